import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';

import { ConnectionClosedError, MailwireError, TimeoutError, TlsError } from '../../src/common/errors.js';
import { Transport, type TransportOptions, type WireLogEntry } from '../../src/common/transport.js';
import { testCertificate } from '../helpers/tls-cert.js';

const HOST = '127.0.0.1';
const GO_AHEAD = 'OK Begin TLS now\r\n';
const INJECTED = '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface StarttlsServerOptions {
  /** How the server misbehaves after its go-ahead. */
  readonly inject?: 'same-write' | 'next-write' | 'after-30ms';
  /** Never start TLS after the go-ahead. */
  readonly noTls?: boolean;
  /** Called with the server's TLS socket once the handshake is done. */
  readonly afterTls?: (socket: tls.TLSSocket) => void;
}

interface StarttlsServer {
  readonly port: number;
  /** Raw server-side sockets, in connection order. */
  readonly sockets: net.Socket[];
  /** Resolves when the server has written its injected bytes (kernel-side). */
  injected: Promise<void>;
}

/** A server that answers `STARTTLS\r\n` with GO_AHEAD, then (unless told otherwise) starts TLS. */
async function starttlsServer(options: StarttlsServerOptions = {}): Promise<StarttlsServer> {
  const { key, cert } = testCertificate();
  const sockets: net.Socket[] = [];
  let markInjected: () => void = () => undefined;
  const injected = new Promise<void>((resolve) => {
    markInjected = resolve;
  });
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let command = '';
    const onCommand = (chunk: Buffer): void => {
      command += chunk.toString('latin1');
      if (!command.endsWith('STARTTLS\r\n')) return;
      socket.off('data', onCommand);
      socket.pause();
      if (options.inject === 'same-write') socket.write(GO_AHEAD + INJECTED, () => { markInjected(); });
      else socket.write(GO_AHEAD);
      if (options.inject === 'next-write') socket.write(INJECTED, () => { markInjected(); });
      if (options.inject === 'after-30ms') {
        setTimeout(() => socket.write(INJECTED, () => { markInjected(); }), 30);
      }
      if (options.noTls === true || options.inject !== undefined) return;
      const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
      secure.on('error', () => undefined);
      secure.on('secure', () => options.afterTls?.(secure));
    };
    socket.on('data', onCommand);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, sockets, injected };
}

interface Client {
  readonly transport: Transport;
  readonly closes: MailwireError[];
  readonly chunks: Buffer[];
  received(): string;
}

async function connect(
  options: TransportOptions,
  onData: (chunk: Uint8Array, client: Client) => void = () => undefined,
): Promise<Client> {
  const closes: MailwireError[] = [];
  const chunks: Buffer[] = [];
  const ref: { client?: Client } = {};
  const transport = await Transport.connect(options, {
    onData(chunk) {
      chunks.push(Buffer.from(chunk));
      if (ref.client !== undefined) onData(chunk, ref.client);
    },
    onClose(error) {
      closes.push(error);
    },
  });
  const client: Client = { transport, closes, chunks, received: () => Buffer.concat(chunks).toString('latin1') };
  ref.client = client;
  cleanups.push(() => {
    transport.destroy();
  });
  return client;
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

function serverClosed(socket: net.Socket | undefined): Promise<void> {
  if (socket === undefined || socket.destroyed) return Promise.resolve();
  socket.resume();
  return new Promise((resolve) => socket.once('close', () => { resolve(); }));
}

const ca = (): string => testCertificate().cert;
const INJECTION = /sent data after STARTTLS go-ahead \(possible response injection\)/;

describe('upgradeToTls', () => {
  it('starts TLS on the open connection; data then flows through TLS', async () => {
    let serverTls: tls.TLSSocket | undefined;
    const server = await starttlsServer({
      afterTls: (socket) => {
        serverTls = socket;
        socket.pipe(socket);
      },
    });
    const log: WireLogEntry[] = [];
    const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() }, logger: (e) => log.push(e) });
    client.transport.write(['STARTTLS\r\n']);
    await waitFor(() => client.received() === GO_AHEAD);
    expect(client.transport.secure).toBe(false);
    await client.transport.upgradeToTls(); // the CA given to connect() applies
    expect(client.transport.secure).toBe(true);
    client.transport.write(['A2 CAPABILITY\r\n']);
    await waitFor(() => client.received() === `${GO_AHEAD}A2 CAPABILITY\r\n`);
    expect(serverTls?.encrypted).toBe(true);
    expect(serverTls?.servername).toBe(false); // no SNI for an IP address
    expect(log.map((e) => e.text)).toEqual([
      `connected to ${HOST}:${server.port}`,
      'STARTTLS',
      'starting TLS on the open connection',
      expect.stringMatching(/^TLS established: TLSv1\.[23], \S+, certificate verified$/),
      'A2 CAPABILITY',
    ]);
    await client.transport.close();
    expect(client.closes).toHaveLength(1);
    expect(client.closes[0]).toBeInstanceOf(ConnectionClosedError);
  });

  it('close() during the handshake reports the client closing, not a TLS failure', async () => {
    // A server that says go ahead, then reads and drops whatever comes (the ClientHello included).
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.write(GO_AHEAD);
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    cleanups.push(() => server.close());
    const client = await connect({ host: HOST, port: (server.address() as net.AddressInfo).port, tlsOptions: { ca: ca() }, closeTimeout: 300 });
    await waitFor(() => client.received() === GO_AHEAD);
    const upgrade = client.transport.upgradeToTls().catch((e: unknown) => e);
    await client.transport.close();
    expect(await upgrade).toBeInstanceOf(ConnectionClosedError);
    expect(client.closes).toHaveLength(1);
    expect(client.closes[0]).toBeInstanceOf(ConnectionClosedError);
    expect((client.closes[0] as Error).message).toMatch(/closed by the client/);
  });

  it('verifies the certificate: a self-signed one without the CA is a TlsError', async () => {
    const server = await starttlsServer();
    const client = await connect({ host: HOST, port: server.port });
    client.transport.write(['STARTTLS\r\n']);
    await waitFor(() => client.received() === GO_AHEAD);
    const error = await client.transport.upgradeToTls().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toMatch(/self-signed/);
    expect(client.closes).toEqual([error]);
    expect(client.transport.closed).toBe(true);
  });

  it('refuses bytes sent after the go-ahead while the handshake runs', async () => {
    const server = await starttlsServer({ inject: 'after-30ms' });
    const upgrade: Promise<unknown>[] = [];
    const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() } }, (_chunk, c) => {
      // Like a protocol client: upgrade synchronously, right after the go-ahead line.
      if (c.received() === GO_AHEAD) upgrade.push(c.transport.upgradeToTls().catch((e: unknown) => e));
    });
    client.transport.write(['STARTTLS\r\n']);
    await waitFor(() => upgrade.length === 1);
    const error = await upgrade[0];
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toMatch(INJECTION);
    expect(client.closes).toEqual([error]);
    expect(client.received()).toBe(GO_AHEAD); // the injected line never reached onData
    await serverClosed(server.sockets[0]);
  });

  it('refuses bytes that were already waiting in the socket when the upgrade began', async () => {
    const server = await starttlsServer({ inject: 'after-30ms' });
    const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() } }, (_chunk, c) => {
      if (c.received() === GO_AHEAD) c.transport.pause(); // the client is busy for a while
    });
    client.transport.write(['STARTTLS\r\n']);
    await server.injected;
    await sleep(30); // loopback delivery: the injected bytes now wait in the kernel buffer
    const error = await client.transport.upgradeToTls().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toMatch(INJECTION);
    expect(client.closes).toEqual([error]);
    expect(client.received()).toBe(GO_AHEAD);
    await serverClosed(server.sockets[0]);
  });

  for (const inject of ['same-write', 'next-write'] as const) {
    it(`with the protocol client's leftover check, refuses bytes injected immediately (${inject})`, async () => {
      for (let round = 0; round < 3; round++) {
        const server = await starttlsServer({ inject });
        const outcome: Promise<unknown>[] = [];
        const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() } }, (_chunk, c) => {
          const text = c.received();
          if (!text.includes('\r\n') || outcome.length > 0) return;
          if (text !== GO_AHEAD) {
            // The contract's other half: the tokenizer had bytes left over in the go-ahead's chunk.
            const refused = new TlsError('Server sent data after STARTTLS go-ahead (possible response injection)');
            c.transport.destroy(refused);
            outcome.push(Promise.resolve(refused));
          } else {
            outcome.push(c.transport.upgradeToTls().catch((e: unknown) => e));
          }
        });
        client.transport.write(['STARTTLS\r\n']);
        await waitFor(() => outcome.length === 1);
        const error = await outcome[0];
        expect(error).toBeInstanceOf(TlsError);
        expect((error as Error).message).toMatch(INJECTION);
        expect(client.closes).toEqual([error]);
        await serverClosed(server.sockets[0]);
      }
    });
  }

  it('times out a handshake the server never answers with TimeoutError(tls)', async () => {
    const server = await starttlsServer({ noTls: true });
    const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() }, handshakeTimeout: 80 });
    client.transport.write(['STARTTLS\r\n']);
    await waitFor(() => client.received() === GO_AHEAD);
    const error = await client.transport.upgradeToTls().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'tls', timeoutMs: 80 });
    expect(client.closes).toEqual([error]);
    await serverClosed(server.sockets[0]);
  });

  it('settles when the server closes the connection during the handshake', async () => {
    const server = await starttlsServer({ noTls: true });
    const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() } });
    client.transport.write(['STARTTLS\r\n']);
    await waitFor(() => client.received() === GO_AHEAD);
    const upgrading = client.transport.upgradeToTls().catch((e: unknown) => e);
    server.sockets[0]!.destroy();
    const error = await upgrading;
    expect(error).toBeInstanceOf(MailwireError);
    expect(client.closes).toEqual([error]);
  });

  it('refuses a second upgrade, an upgrade of implicit TLS and an upgrade after close', async () => {
    const server = await starttlsServer({ afterTls: (socket) => socket.resume() });
    const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() } });
    client.transport.write(['STARTTLS\r\n']);
    await waitFor(() => client.received() === GO_AHEAD);
    const first = client.transport.upgradeToTls();
    await expect(client.transport.upgradeToTls()).rejects.toBeInstanceOf(TlsError);
    await first;
    await expect(client.transport.upgradeToTls()).rejects.toBeInstanceOf(TlsError);
    expect(client.closes).toEqual([]);
    await client.transport.close();
    await expect(client.transport.upgradeToTls()).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('keeps a pause across the upgrade; backpressure works on the upgraded connection', async () => {
    const server = await starttlsServer({
      afterTls: (socket) => {
        const block = Buffer.alloc(256 * 1024, 0x62);
        const pump = (): void => {
          while (!socket.destroyed && socket.write(block));
        };
        socket.on('drain', pump);
        pump();
      },
    });
    const client = await connect({ host: HOST, port: server.port, tlsOptions: { ca: ca() } });
    client.transport.write(['STARTTLS\r\n']);
    await waitFor(() => client.received() === GO_AHEAD);
    client.transport.pause();
    await client.transport.upgradeToTls();
    await sleep(100);
    expect(client.chunks).toHaveLength(1); // only the go-ahead
    client.transport.resume();
    await waitFor(() => client.chunks.length > 10);
    client.transport.pause();
    await sleep(20);
    const frozen = client.chunks.length;
    await sleep(80);
    expect(client.chunks.length).toBe(frozen);
    client.transport.resume();
    await waitFor(() => client.chunks.length > frozen + 10);
    expect(client.closes).toEqual([]);
  });
});

describe('upgradeToTls with an open implicit-TLS connection', () => {
  it('is refused', async () => {
    const { key, cert } = testCertificate();
    const server = tls.createServer({ key, cert }, (socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    cleanups.push(() => server.close());
    const client = await connect({ host: HOST, port: (server.address() as net.AddressInfo).port, tls: true, tlsOptions: { ca: cert } });
    await expect(client.transport.upgradeToTls()).rejects.toBeInstanceOf(TlsError);
    client.transport.destroy();
  });
});
