import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';

import {
  AbortError,
  ConnectionClosedError,
  ConnectionFailedError,
  InvalidArgumentError,
  MailwireError,
  ProtocolError,
  TimeoutError,
  TlsError,
} from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import { Transport, type TransportOptions, type WireLogEntry } from '../../src/common/transport.js';
import { testCertificate } from '../helpers/tls-cert.js';

// ---- local servers --------------------------------------------------------------------------

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface TestServer {
  readonly port: number;
  /** Server-side sockets, in connection order. */
  readonly sockets: net.Socket[];
  /** Resolves with the n-th (0-based) server-side socket once it is connected (and, for TLS, secure). */
  socket(index?: number): Promise<net.Socket>;
}

async function serve(server: net.Server, onSocket: (socket: net.Socket) => void, secureEvent: string): Promise<TestServer> {
  const sockets: net.Socket[] = [];
  const waiters: (() => void)[] = [];
  server.on(secureEvent, (socket: net.Socket) => {
    socket.on('error', () => undefined);
    sockets.push(socket);
    onSocket(socket);
    for (const wake of waiters.splice(0)) wake();
  });
  if (secureEvent !== 'connection') server.on('connection', (socket: net.Socket) => socket.on('error', () => undefined));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    async socket(index = 0) {
      while (sockets[index] === undefined) await new Promise<void>((resolve) => waiters.push(resolve));
      return sockets[index];
    },
  };
}

function tcpServer(onSocket: (socket: net.Socket) => void = () => undefined, options: net.ServerOpts = {}): Promise<TestServer> {
  return serve(net.createServer(options), onSocket, 'connection');
}

function tlsServer(onSocket: (socket: net.Socket) => void = () => undefined, altNames?: string): Promise<TestServer> {
  const { key, cert } = testCertificate(altNames);
  return serve(tls.createServer({ key, cert }), onSocket, 'secureConnection');
}

const echo = (socket: net.Socket): void => {
  socket.pipe(socket);
};

// ---- client side ----------------------------------------------------------------------------

interface Client {
  readonly transport: Transport;
  readonly closes: MailwireError[];
  received(): string;
  receivedBytes(): number;
  closed(): Promise<MailwireError>;
}

interface Recorder {
  readonly handlers: { onData(chunk: Uint8Array): void; onClose(error: MailwireError): void };
  readonly closes: MailwireError[];
  readonly chunks: Buffer[];
  onData?: (chunk: Uint8Array) => void;
}

function recorder(): Recorder {
  const rec: Recorder = {
    closes: [],
    chunks: [],
    handlers: {
      onData(chunk) {
        rec.chunks.push(Buffer.from(chunk));
        rec.onData?.(chunk);
      },
      onClose(error) {
        rec.closes.push(error);
      },
    },
  };
  return rec;
}

async function connect(options: TransportOptions, rec = recorder()): Promise<Client> {
  const transport = await Transport.connect(options, rec.handlers);
  cleanups.push(() => {
    transport.destroy();
  });
  return {
    transport,
    closes: rec.closes,
    received: () => Buffer.concat(rec.chunks).toString('latin1'),
    receivedBytes: () => rec.chunks.reduce((sum, chunk) => sum + chunk.length, 0),
    closed: async () => {
      await waitFor(() => rec.closes.length > 0);
      return rec.closes[0]!;
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: condition not met in time');
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when the server side of a connection has closed (it reads, to see the client's FIN). */
function socketClosed(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  socket.resume();
  return new Promise((resolve) => socket.once('close', () => { resolve(); }));
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const HOST = '127.0.0.1';

/** The SNI a TLS server received (`false` when none). */
function servernameOf(socket: net.Socket): unknown {
  return socket instanceof tls.TLSSocket ? socket.servername : 'not a TLS socket';
}

// ---- connect --------------------------------------------------------------------------------

describe('Transport.connect over TCP', () => {
  it('connects, writes the parts in order and delivers the echo', async () => {
    const server = await tcpServer(echo);
    const client = await connect({ host: HOST, port: server.port });
    expect(client.transport.secure).toBe(false);
    expect(client.transport.closed).toBe(false);
    client.transport.write(['A1 LOGIN ', new Secret('pässword'), ' ', new Uint8Array([0x7b, 0x7d]), '\r\n']);
    await waitFor(() => client.received().endsWith('\r\n'));
    expect(Buffer.from(client.received(), 'latin1').toString('utf8')).toBe('A1 LOGIN pässword {}\r\n');
  });

  it('writes large parts without reordering them', async () => {
    const server = await tcpServer(echo);
    const client = await connect({ host: HOST, port: server.port });
    const big = new Uint8Array(200_000).fill(0x61);
    client.transport.write(['<', big, '>', new Uint8Array(10).fill(0x62), '\r\n']);
    await waitFor(() => client.receivedBytes() === 200_014);
    expect(client.received()).toBe(`<${'a'.repeat(200_000)}>${'b'.repeat(10)}\r\n`);
  });

  it('rejects a refused port with ConnectionFailedError', async () => {
    const port = await freePort();
    const error = await Transport.connect({ host: HOST, port }, recorder().handlers).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect((error as ConnectionFailedError).message).toMatch(/connection refused/);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects an unknown host with ConnectionFailedError', async () => {
    const error = await Transport.connect({ host: 'mailwire-test.invalid', port: 143 }, recorder().handlers).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']).toContain(((error as Error).cause as NodeJS.ErrnoException).code);
  });

  it('rejects invalid options with InvalidArgumentError', async () => {
    const { handlers } = recorder();
    await expect(Transport.connect({ host: '', port: 143 }, handlers)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(Transport.connect({ host: HOST, port: 0 }, handlers)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(Transport.connect({ host: HOST, port: 70_000 }, handlers)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(Transport.connect({ host: HOST, port: 143, connectTimeout: 0 }, handlers)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(Transport.connect({ host: HOST, port: 143, keepAlive: -1 }, handlers)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      Transport.connect({ host: HOST, port: 143, tls: true, tlsOptions: { servername: '10.0.0.1' } }, handlers),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('reads into a buffer of readBufferSize and refuses sizes out of range', async () => {
    const burst = Buffer.alloc(1024 * 1024, 0x61);
    const server = await tcpServer((socket) => socket.end(burst));
    const rec = recorder();
    await connect({ host: HOST, port: server.port, readBufferSize: 16 * 1024 }, rec);
    await waitFor(() => rec.chunks.reduce((sum, chunk) => sum + chunk.length, 0) === burst.length);
    expect(Math.max(...rec.chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(16 * 1024);
    const { handlers } = recorder();
    for (const readBufferSize of [0, 1024, 4096.5, 8 * 1024 * 1024]) {
      await expect(Transport.connect({ host: HOST, port: 143, readBufferSize }, handlers)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('accepts keepAlive false and a custom delay', async () => {
    const server = await tcpServer(echo);
    for (const keepAlive of [false, 5_000]) {
      const client = await connect({ host: HOST, port: server.port, keepAlive });
      client.transport.write(['ping\r\n']);
      await waitFor(() => client.received() === 'ping\r\n');
    }
  });
});

describe('Transport.connect with implicit TLS', () => {
  it('verifies the certificate against the given CA and sends no SNI for an IP address', async () => {
    const server = await tlsServer(echo);
    const client = await connect({ host: HOST, port: server.port, tls: true, tlsOptions: { ca: testCertificate().cert } });
    expect(client.transport.secure).toBe(true);
    client.transport.write(['hello\r\n']);
    await waitFor(() => client.received() === 'hello\r\n');
    expect(servernameOf(await server.socket())).toBe(false);
  });

  it('sends the host name as SNI', async () => {
    const server = await tlsServer(echo);
    await connect({ host: 'localhost', port: server.port, tls: true, tlsOptions: { ca: testCertificate().cert } });
    expect(servernameOf(await server.socket())).toBe('localhost');
  });

  it('rejects a self-signed certificate by default with TlsError naming the reason', async () => {
    const server = await tlsServer();
    const rec = recorder();
    const error = await Transport.connect({ host: HOST, port: server.port, tls: true }, rec.handlers).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toMatch(/self-signed/);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    await sleep(20);
    expect(rec.closes).toEqual([]);
  });

  it('rejects a certificate for another host name', async () => {
    const server = await tlsServer();
    const error = await Transport.connect(
      { host: HOST, port: server.port, tls: true, tlsOptions: { ca: testCertificate().cert, servername: 'mail.example.org' } },
      recorder().handlers,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toMatch(/does not match the host name/);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('checks an IP address host against the certificate', async () => {
    const names = 'DNS:mail.example.org';
    const server = await tlsServer(() => undefined, names);
    const error = await Transport.connect(
      { host: HOST, port: server.port, tls: true, tlsOptions: { ca: testCertificate(names).cert } },
      recorder().handlers,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toMatch(/does not match/);
  });

  it('connects without verification only when rejectUnauthorized is explicitly false, and logs it', async () => {
    const server = await tlsServer(echo);
    const log: WireLogEntry[] = [];
    const client = await connect({
      host: HOST,
      port: server.port,
      tls: true,
      tlsOptions: { rejectUnauthorized: false },
      logger: (entry) => log.push(entry),
    });
    expect(client.transport.secure).toBe(true);
    expect(log.find((e) => e.text.startsWith('TLS established'))?.text).toMatch(/NOT verified/);
  });

  it('times out a handshake that never completes with TimeoutError(connect) and closes the socket', async () => {
    const server = await tcpServer(); // accepts TCP, never speaks TLS
    const error = await Transport.connect(
      { host: HOST, port: server.port, tls: true, connectTimeout: 100 },
      recorder().handlers,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('connect');
    expect((error as TimeoutError).timeoutMs).toBe(100);
    await socketClosed(await server.socket());
  });

  it('rejects unusable TLS material with TlsError', async () => {
    const server = await tlsServer();
    await expect(
      Transport.connect({ host: HOST, port: server.port, tls: true, tlsOptions: { key: 'not a key', cert: 'no' } }, recorder().handlers),
    ).rejects.toBeInstanceOf(TlsError);
  });
});

describe('AbortSignal', () => {
  it('rejects at once for an already-aborted signal, opening no socket', async () => {
    const server = await tcpServer();
    const reason = new Error('stop');
    const error = await Transport.connect(
      { host: HOST, port: server.port, signal: AbortSignal.abort(reason) },
      recorder().handlers,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).cause).toBe(reason);
    await sleep(30);
    expect(server.sockets).toHaveLength(0);
  });

  it('aborts a connect in progress and leaves no socket open', async () => {
    const server = await tcpServer(); // the TLS handshake never completes
    const controller = new AbortController();
    const rec = recorder();
    const pending = Transport.connect({ host: HOST, port: server.port, tls: true, signal: controller.signal }, rec.handlers);
    const serverSide = await server.socket();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    await socketClosed(serverSide);
    expect(rec.closes).toEqual([]);
  });

  it('destroys an open connection with AbortError passed to onClose', async () => {
    const server = await tcpServer();
    const controller = new AbortController();
    const client = await connect({ host: HOST, port: server.port, signal: controller.signal });
    const serverSide = await server.socket();
    controller.abort();
    expect(client.transport.closed).toBe(true);
    expect(client.closes).toHaveLength(1);
    expect(client.closes[0]).toBeInstanceOf(AbortError);
    await socketClosed(serverSide);
    await sleep(20);
    expect(client.closes).toHaveLength(1);
  });

  it('passes a MailwireError reason through unchanged', async () => {
    const server = await tcpServer();
    const controller = new AbortController();
    const client = await connect({ host: HOST, port: server.port, signal: controller.signal });
    const reason = new TimeoutError('command', 5);
    controller.abort(reason);
    expect(client.closes).toEqual([reason]);
  });
});

// ---- reading, timeouts, closing -------------------------------------------------------------

describe('inactivity timeout', () => {
  it('destroys a connection whose server never answers with TimeoutError(phase, ms)', async () => {
    const server = await tcpServer();
    const client = await connect({ host: HOST, port: server.port });
    const start = performance.now();
    client.transport.armTimeout('command', 80);
    const error = await client.closed();
    expect(performance.now() - start).toBeGreaterThanOrEqual(75);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'command', timeoutMs: 80 });
    await socketClosed(await server.socket());
  });

  it('is re-armed by every received byte', async () => {
    const server = await tcpServer((socket) => {
      let sent = 0;
      const timer = setInterval(() => {
        socket.write('x');
        if (++sent === 6) clearInterval(timer);
      }, 30);
      socket.on('close', () => { clearInterval(timer); });
    });
    const client = await connect({ host: HOST, port: server.port });
    client.transport.armTimeout('idle', 100);
    await waitFor(() => client.received() === 'xxxxxx');
    expect(client.closes).toEqual([]);
    const lastByte = performance.now();
    const error = await client.closed();
    expect(error).toMatchObject({ phase: 'idle', timeoutMs: 100 });
    expect(performance.now() - lastByte).toBeGreaterThanOrEqual(60);
  });

  it('stops when disarmed and does not run out while paused', async () => {
    const server = await tcpServer();
    const client = await connect({ host: HOST, port: server.port });
    client.transport.armTimeout('command', 40);
    client.transport.disarmTimeout();
    client.transport.pause();
    client.transport.armTimeout('command', 40);
    await sleep(120);
    expect(client.closes).toEqual([]);
    client.transport.resume();
    expect(await client.closed()).toBeInstanceOf(TimeoutError);
  });

  it('rejects an out-of-range delay', async () => {
    const server = await tcpServer();
    const client = await connect({ host: HOST, port: server.port });
    expect(() => { client.transport.armTimeout('command', 0); }).toThrow(InvalidArgumentError);
    expect(() => { client.transport.armTimeout('command', 2 ** 31); }).toThrow(InvalidArgumentError);
  });
});

describe('end of the connection', () => {
  it('reports a connection cut mid-line once, and drained()/close() settle afterwards', async () => {
    const server = await tcpServer((socket) => {
      socket.end('* 1 FETCH (BODY[] {100}\r\npartial');
    });
    const client = await connect({ host: HOST, port: server.port });
    const error = await client.closed();
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error.message).toMatch(/closed by the server/);
    expect(client.received()).toBe('* 1 FETCH (BODY[] {100}\r\npartial');
    expect(client.transport.closed).toBe(true);
    await expect(client.transport.drained()).rejects.toBe(error);
    await expect(client.transport.close()).resolves.toBeUndefined();
    await sleep(20);
    expect(client.closes).toHaveLength(1);
  });

  it('settles a pending drained() when the server vanishes', async () => {
    const server = await tcpServer((socket) => { socket.pause(); });
    const client = await connect({ host: HOST, port: server.port });
    const serverSide = await server.socket();
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < 32 && !client.transport.closed; i++) client.transport.write([block]);
    const drained = client.transport.drained();
    let settledEarly = false;
    const outcome = drained.then(() => 'resolved', (e: unknown) => e).finally(() => { settledEarly = true; });
    await sleep(20);
    expect(settledEarly).toBe(false); // 32 MiB cannot all fit in the socket buffers
    serverSide.destroy();
    const settled = await outcome;
    expect(settled).toBeInstanceOf(MailwireError);
    await client.closed();
    expect(client.closes).toHaveLength(1);
    await client.transport.close();
  });

  it('resolves drained() once the server has read everything', async () => {
    const server = await tcpServer((socket) => { socket.resume(); });
    const client = await connect({ host: HOST, port: server.port });
    for (let i = 0; i < 16; i++) client.transport.write([new Uint8Array(1 << 20)]);
    await client.transport.drained();
    expect(client.closes).toEqual([]);
  });

  it('closes gracefully: FIN, the server closes, onClose gets ConnectionClosedError', async () => {
    const server = await tcpServer(echo);
    const log: WireLogEntry[] = [];
    const client = await connect({ host: HOST, port: server.port, logger: (entry) => log.push(entry) });
    const closing = client.transport.close();
    expect(client.transport.close()).toBeInstanceOf(Promise);
    await closing;
    expect(client.transport.closed).toBe(true);
    expect(client.closes).toHaveLength(1);
    expect(client.closes[0]).toBeInstanceOf(ConnectionClosedError);
    expect(client.closes[0]!.message).toMatch(/closed by the client/);
    expect(log.map((e) => e.text)).toContain('closing');
  });

  it('destroys the socket when the server ignores the FIN for closeTimeout', async () => {
    const server = await tcpServer(() => undefined, { allowHalfOpen: true });
    const client = await connect({ host: HOST, port: server.port, closeTimeout: 60 });
    const start = performance.now();
    await client.transport.close();
    expect(performance.now() - start).toBeGreaterThanOrEqual(50);
    expect(client.closes).toHaveLength(1);
    expect(client.closes[0]).toBeInstanceOf(ConnectionClosedError);
    expect(client.transport.closed).toBe(true);
  });

  it('closes gracefully while paused: the server closing its side is noticed before closeTimeout', async () => {
    const server = await tcpServer(echo);
    const client = await connect({ host: HOST, port: server.port, closeTimeout: 2 ** 31 - 1 });
    client.transport.pause();
    const serverSide = await server.socket();
    const serverClosed = new Promise<void>((resolve) => serverSide.once('close', () => { resolve(); }));
    await client.transport.close();
    await serverClosed;
    expect(client.closes).toHaveLength(1);
    expect(client.closes[0]).toBeInstanceOf(ConnectionClosedError);
    expect(client.closes[0]!.message).toMatch(/closed by the client/);
  }, 3_000);

  it('destroys a paused connection whose server keeps sending after close(), past 1 MiB held', async () => {
    // The server never ends its side and sends on: without a bound, close() would hold all of it
    // until closeTimeout (here never).
    const server = await tcpServer((socket) => {
      socket.on('error', () => undefined);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const send = (): void => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', send);
      };
      send();
    }, { allowHalfOpen: true });
    const client = await connect({ host: HOST, port: server.port, closeTimeout: 2 ** 31 - 1 });
    client.transport.pause();
    await client.transport.close();
    expect(client.closes).toHaveLength(1);
    expect(client.closes[0]).toBeInstanceOf(ConnectionClosedError);
  });

  it('throws ConnectionClosedError synchronously on a write after close', async () => {
    const server = await tcpServer(echo);
    const client = await connect({ host: HOST, port: server.port });
    const closing = client.transport.close();
    expect(() => { client.transport.write(['A1 NOOP\r\n']); }).toThrow(ConnectionClosedError);
    await closing;
    expect(() => { client.transport.write(['A1 NOOP\r\n']); }).toThrow(ConnectionClosedError);
  });

  it('destroy(error) passes the error to onClose exactly once', async () => {
    const server = await tcpServer();
    const client = await connect({ host: HOST, port: server.port });
    const error = new ProtocolError('bad');
    client.transport.destroy(error);
    client.transport.destroy(new ProtocolError('again'));
    await client.transport.close();
    await socketClosed(await server.socket());
    expect(client.closes).toEqual([error]);
  });

  it('reports a throwing onClose handler as a process warning, not an exception', async () => {
    const server = await tcpServer();
    const transport = await Transport.connect({ host: HOST, port: server.port }, {
      onData: () => undefined,
      onClose: () => {
        throw new Error('handler bug');
      },
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      expect(() => { transport.destroy(); }).not.toThrow();
      await waitFor(() => warnings.length > 0);
      expect(warnings[0]!.message).toMatch(/onClose handler threw: handler bug/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reports a reset connection as ConnectionClosedError with the socket error as cause', async () => {
    const server = await tcpServer();
    const client = await connect({ host: HOST, port: server.port });
    (await server.socket()).resetAndDestroy();
    const error = await client.closed();
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error.message).toMatch(/connection reset by peer|closed by the server/);
  });

  it('ignores empty writes', async () => {
    const server = await tcpServer(echo);
    const client = await connect({ host: HOST, port: server.port });
    client.transport.write([]);
    client.transport.write(['']);
    client.transport.write(['', new Uint8Array(0), new Secret('')]);
    client.transport.write(['ok\r\n']);
    await waitFor(() => client.received() === 'ok\r\n');
  });

  it('ends the connection with the error an onData handler throws', async () => {
    const server = await tcpServer((socket) => { socket.write('* BYE\r\n'); });
    const rec = recorder();
    const thrown = new ProtocolError('unparsable');
    rec.onData = () => {
      throw thrown;
    };
    const client = await connect({ host: HOST, port: server.port }, rec);
    expect(await client.closed()).toBe(thrown);
  });

  it('wraps a foreign error thrown by onData in ConnectionClosedError', async () => {
    const server = await tcpServer((socket) => { socket.write('* BYE\r\n'); });
    const rec = recorder();
    const thrown = new RangeError('bug');
    rec.onData = () => {
      throw thrown;
    };
    const client = await connect({ host: HOST, port: server.port }, rec);
    const error = await client.closed();
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error.cause).toBe(thrown);
  });
});

describe('backpressure', () => {
  const BLOCK = 256 * 1024;
  const patternByte = (offset: number): number => (offset % BLOCK) % 251;
  /** Waits for "GO\r\n", then writes a numbered pattern as fast as the client takes it. */
  const flood = (socket: net.Socket): void => {
    const block = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) block[i] = patternByte(i);
    const pump = (): void => {
      while (!socket.destroyed && socket.write(block));
    };
    socket.once('data', () => {
      socket.on('drain', pump);
      pump();
    });
  };

  for (const secure of [false, true]) {
    it(`pause() stops onData until resume(), losing and reordering nothing (${secure ? 'implicit TLS' : 'TCP'})`, async () => {
      const server = secure ? await tlsServer(flood) : await tcpServer(flood);
      const rec = recorder();
      const ref: { client?: Client } = {};
      rec.onData = () => {
        if (rec.chunks.length === 1) ref.client?.transport.pause();
      };
      const client = await connect(
        { host: HOST, port: server.port, ...(secure ? { tls: true, tlsOptions: { ca: testCertificate().cert } } : {}) },
        rec,
      );
      ref.client = client;
      client.transport.write(['GO\r\n']);
      await waitFor(() => rec.chunks.length > 0);
      await sleep(100);
      expect(rec.chunks.length).toBe(1);
      expect((await server.socket()).writableNeedDrain).toBe(true); // the server feels it
      client.transport.resume();
      await waitFor(() => client.receivedBytes() > 4 * 1024 * 1024);
      client.transport.pause();
      const received = Buffer.concat(rec.chunks);
      let mismatch = -1;
      for (let i = 0; i < received.length && mismatch === -1; i++) if (received[i] !== patternByte(i)) mismatch = i;
      expect(mismatch).toBe(-1);
      expect(client.closes).toEqual([]);
    });
  }
});

// ---- wire log ---------------------------------------------------------------------------------

describe('wire log', () => {
  it('logs connect, one entry per client line, server lines and close, never a secret', async () => {
    const server = await tcpServer(echo);
    const log: WireLogEntry[] = [];
    const client = await connect({ host: HOST, port: server.port, logger: (entry) => log.push(entry) });
    expect(client.transport.logging).toBe(true);
    const t = client.transport;
    t.write(['A1 LOGIN alice ', new Secret('hunter2'), '\r\n']);
    t.write(['A2 AUTHENTICATE PLAIN\r\n', new Secret('AGFsaWNlAGh1bnRlcjI='), '\r\n']);
    t.write(['A3 APPEND INBOX {5}\r\n']);
    t.write([new Uint8Array(5), '\r\n']);
    t.write(['A4 NOOP']);
    t.write(['\r\nA5 LOGOUT\r\n']);
    t.logServer('* OK done');
    await waitFor(() => client.received().endsWith('LOGOUT\r\n'));
    t.write(['unterminated']);
    await t.close();
    expect(client.received()).toContain('hunter2');
    expect(log).toEqual([
      { direction: 'info', text: `connected to ${HOST}:${server.port}` },
      { direction: 'client', text: 'A1 LOGIN alice <redacted>' },
      { direction: 'client', text: 'A2 AUTHENTICATE PLAIN' },
      { direction: 'client', text: '<redacted>' },
      { direction: 'client', text: 'A3 APPEND INBOX {5}' },
      { direction: 'client', text: '{5 bytes}' },
      { direction: 'client', text: 'A4 NOOP' },
      { direction: 'client', text: 'A5 LOGOUT' },
      { direction: 'server', text: '* OK done' },
      { direction: 'client', text: 'unterminated' },
      { direction: 'info', text: 'closing' },
      { direction: 'info', text: `connection closed: Connection to ${HOST}:${server.port} closed by the client` },
    ]);
    const serialized = JSON.stringify(log);
    expect(serialized).not.toContain('hunter2');
    expect(serialized).not.toContain('AGFsaWNlAGh1bnRlcjI=');
  });

  it('logs the TLS protocol and cipher', async () => {
    const server = await tlsServer(echo);
    const log: WireLogEntry[] = [];
    await connect({ host: HOST, port: server.port, tls: true, tlsOptions: { ca: testCertificate().cert }, logger: (e) => log.push(e) });
    expect(log.map((e) => e.text)).toEqual([
      `connected to ${HOST}:${server.port}`,
      expect.stringMatching(/^TLS established: TLSv1\.[23], \S+, certificate verified$/),
    ]);
  });

  it('costs nothing and says so without a logger; a throwing logger is ignored', async () => {
    const server = await tcpServer(echo);
    const quiet = await connect({ host: HOST, port: server.port });
    expect(quiet.transport.logging).toBe(false);
    quiet.transport.logServer('ignored');
    const noisy = await connect({
      host: HOST,
      port: server.port,
      logger: () => {
        throw new Error('logger bug');
      },
    });
    noisy.transport.write(['A1 NOOP\r\n']);
    await waitFor(() => noisy.received() === 'A1 NOOP\r\n');
    expect(noisy.closes).toEqual([]);
  });
});
