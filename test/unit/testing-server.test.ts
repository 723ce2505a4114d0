import * as net from 'node:net';
import * as tls from 'node:tls';

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { describe, expect, it, vi } from 'vitest';

import { FixtureMismatchError, FixtureUnconsumedError, parseTranscript, startReplayServer, TEST_CERT } from '../../src/testing/index.js';

const TRANSCRIPT = parseTranscript(
  '# mailwire transcript v1\n# protocol: imap\n\nS: * OK ready\nC: A1 NOOP\nS: * 3 EXISTS\nS: A1 OK done\nC: A2 STARTTLS\nS: A2 OK go\n@tls\nC: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n',
  { file: 'server.txt' },
);

/** Reads from a socket until `text` has arrived. */
function until(socket: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      if (received.includes(text)) {
        socket.off('data', onData);
        resolve(received);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => {
      reject(new Error(`closed before ${JSON.stringify(text)}; got ${JSON.stringify(received)}`));
    });
  });
}

describe('startReplayServer', () => {
  it('plays over TCP, with a real STARTTLS handshake at @tls, and reports done', async () => {
    const server = await startReplayServer(TRANSCRIPT, { chunking: 'byte' });
    expect(server.host).toBe('127.0.0.1');
    expect(server.ca).toBe(TEST_CERT);
    const socket = net.connect(server.port, server.host);
    await until(socket, 'ready\r\n');
    socket.write('t1 NOOP\r\n');
    expect(await until(socket, 't1 OK done\r\n')).toBe('* 3 EXISTS\r\nt1 OK done\r\n');
    socket.write('t2 STARTTLS\r\n');
    await until(socket, 't2 OK go\r\n');
    const secure = tls.connect({ socket, ca: server.ca, servername: server.servername });
    await new Promise<void>((resolve) => secure.once('secureConnect', resolve));
    expect(secure.authorized).toBe(true);
    secure.write('t3 LOGOUT\r\n');
    expect(await until(secure, 't3 OK bye\r\n')).toBe('* BYE\r\nt3 OK bye\r\n');
    await new Promise((resolve) => secure.once('close', resolve));
    await server.done();
    await server.close();
  });

  it('implicit TLS with the bundled certificate, valid for 127.0.0.1 too', async () => {
    const server = await startReplayServer(TRANSCRIPT, { tls: true });
    const socket = tls.connect({ host: server.host, port: server.port, ca: server.ca });
    await until(socket, 'ready\r\n');
    expect(socket.authorized).toBe(true);
    socket.destroy();
    await expect(server.close()).rejects.toBeInstanceOf(FixtureUnconsumedError);
  });

  it('closes the connection on a mismatch; done() and close() reject with it', async () => {
    const server = await startReplayServer(TRANSCRIPT);
    const socket = net.connect(server.port, server.host);
    await until(socket, 'ready\r\n');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('t1 CAPABILITY\r\n');
    await closed;
    const error: unknown = await server.done().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FixtureMismatchError);
    expect((error as Error).message).toBe(
      'server.txt:5: replay mismatch: the client sent something else than the transcript\n  expected: C: A1 NOOP\n  actual:   C: t1 CAPABILITY',
    );
    await expect(server.close()).rejects.toBe(error);
  });

  it('done() rejects, naming the first line not played, when the client ends a connection early', async () => {
    const server = await startReplayServer(TRANSCRIPT);
    const socket = net.connect(server.port, server.host);
    await until(socket, 'ready\r\n');
    socket.end();
    const error: unknown = await server.done().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FixtureUnconsumedError);
    expect((error as FixtureUnconsumedError).line).toBe(5);
    await expect(server.close()).rejects.toBe(error);
  });

  it('refuses a connection more than the transcript holds', async () => {
    const server = await startReplayServer(parseTranscript('# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\n@close server\n@end\n'));
    const first = net.connect(server.port, server.host);
    await until(first, '+OK\r\n');
    const second = net.connect(server.port, server.host);
    await new Promise((resolve) => second.once('close', resolve));
    await expect(server.close()).rejects.toThrow(/more connections than were recorded/);
  });

  it('keeps no hold on a connection it refused: the refused socket can be collected while the server runs', async () => {
    // The server's own side of each connection, seen as the listener hands it over (weakly held).
    const accepted: WeakRef<net.Socket>[] = [];
    const prototype = net.Server.prototype as unknown as { emit: (this: net.Server, event: string | symbol, ...args: unknown[]) => boolean };
    const emit = prototype.emit;
    prototype.emit = function (event, ...args) {
      if (event === 'connection') accepted.push(new WeakRef(args[0] as net.Socket));
      return emit.call(this, event, ...args);
    };
    let server: Awaited<ReturnType<typeof startReplayServer>>;
    try {
      server = await startReplayServer(parseTranscript('# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\n@close server\n@end\n'));
      const first = net.connect(server.port, server.host);
      await until(first, '+OK\r\n');
      const second = net.connect(server.port, server.host);
      await new Promise((resolve) => second.once('close', resolve));
      second.destroy();
    } finally {
      prototype.emit = emit;
    }
    expect(accepted).toHaveLength(2);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await vi.waitFor(async () => {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      expect(accepted[1]!.deref()).toBeUndefined();
    });
    await expect(server.close()).rejects.toThrow(/more connections than were recorded/);
  });
});
