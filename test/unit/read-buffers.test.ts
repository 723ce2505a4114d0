// The transport's read buffers (src/common/read-buffers.ts) and the chunk store lending them
// (src/common/chunk-store.ts): a borrowed body chunk is the read buffer's own bytes, pinned so no
// later read overwrites them, the same buffer read into again as soon as nothing of it is lent, a
// bounded number of buffers pinned, and the bytes intact end to end over TCP and implicit TLS.
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkStore, type Piece } from '../../src/common/chunk-store.js';
import type { MailwireError } from '../../src/common/errors.js';
import { ReadBuffers, pinRead } from '../../src/common/read-buffers.js';
import { Transport } from '../../src/common/transport.js';
import { testCertificate } from '../helpers/tls-cert.js';

const SIZE = 4096;

/** What Node does for one read: asks for a buffer, fills the first `bytes.length` bytes of it. */
function read(reads: ReadBuffers, bytes: string): Buffer {
  const buffer = reads.next();
  buffer.write(bytes, 'latin1');
  return buffer.subarray(0, bytes.length);
}

describe('ReadBuffers', () => {
  it('reads into the same buffer while nothing of it is lent, into another while something is', () => {
    const reads = new ReadBuffers(SIZE);
    const first = read(reads, 'first read');
    expect(read(reads, 'second').buffer).toBe(first.buffer);
    const chunk = read(reads, 'a body chunk');
    const slab = pinRead(chunk.subarray(2, 6));
    expect(slab?.buffer.buffer).toBe(chunk.buffer);
    const next = read(reads, 'the next read');
    expect(next.buffer).not.toBe(chunk.buffer);
    expect(chunk.toString('latin1')).toBe('a body chunk');
    reads.release(slab!);
    // The lent buffer is back among the spares; the one read into last stays in use.
    expect(read(reads, 'again').buffer).toBe(next.buffer);
  });

  it('pins only the buffer of the current read, and at most four buffers at once', () => {
    const reads = new ReadBuffers(SIZE);
    const old = read(reads, 'old');
    const slab = pinRead(old)!;
    read(reads, 'new');
    expect(pinRead(old)).toBeUndefined(); // a view kept past its read: not pinned (the caller copies)
    expect(pinRead(Buffer.from('not a read buffer'))).toBeUndefined();
    const pinned = [slab];
    for (let index = 0; index < 3; index++) {
      const chunk = read(reads, `read ${index}`);
      pinned.push(pinRead(chunk)!);
      expect(pinRead(chunk)).toBe(pinned.at(-1)); // a second piece of a pinned buffer costs nothing more
    }
    const fifth = read(reads, 'one too many');
    expect(pinRead(fifth)).toBeUndefined();
    reads.release(pinned[0]!);
    expect(pinRead(read(reads, 'room again'))).toBeDefined();
  });
});

describe('ChunkStore lending read buffers', () => {
  it('lends a borrowed chunk from the read buffer, copies one to keep, and gives buffers back', () => {
    const reads = new ReadBuffers(SIZE);
    const store = new ChunkStore();
    const chunk = read(reads, 'header line {5}\r\nhello');
    const body = chunk.subarray(chunk.length - 5);
    const lent = store.copy(body);
    expect(lent.buffer.buffer).toBe(chunk.buffer);
    expect(store.view(lent)).toBe(body); // the tokenizer's own view, not another one
    expect(store.view(lent).toString()).toBe('hello');
    const kept = store.copy(body, true);
    expect(kept.buffer.buffer).not.toBe(chunk.buffer);
    // Longer than the lent bytes' read: had it gone into the same buffer, 'hello' would be overwritten.
    const next = read(reads, 'a later read, long enough to reach the body');
    expect(next.buffer).not.toBe(chunk.buffer);
    expect(store.view(lent).toString()).toBe('hello');
    expect(store.keep(lent).toString()).toBe('hello'); // copied out, the read buffer released
    expect(read(reads, 'back').buffer).toBe(next.buffer);
    expect(read(reads, 'and the spare').buffer).toBe(next.buffer);
    expect(store.extend(store.copy(read(reads, 'abc')), Buffer.from('def'))).toBe(false);
  });
});

// ---- end to end: a transport whose reader borrows chunks and holds them across reads ----------

const servers: net.Server[] = [];
const transports: Transport[] = [];
afterEach(() => {
  for (const transport of transports.splice(0)) transport.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** 6 MiB of a pattern no two reads share, written at once so reads fill the buffer. */
function payload(): Buffer {
  const bytes = Buffer.alloc(6 * 1024 * 1024);
  for (let offset = 0; offset < bytes.length; offset += 4) bytes.writeUInt32BE(offset, offset);
  return bytes;
}

async function listen(server: net.Server, secureEvent: string, data: Buffer): Promise<number> {
  server.on(secureEvent, (socket: net.Socket) => {
    socket.on('error', () => undefined);
    socket.end(data);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/**
 * Receives everything, lending each chunk as a borrowing body reader would and giving it back
 * only after a later read (up to `held` pieces out at once); the bytes are hashed when given back.
 */
async function receiveHolding(connectTls: boolean, port: number, held: number): Promise<{ sha: string; bytes: number; lent: number }> {
  const store = new ChunkStore();
  const hash = createHash('sha256');
  const out: Piece[] = [];
  let bytes = 0;
  let lent = 0;
  const giveBack = (): void => {
    const piece = out.shift()!;
    hash.update(store.view(piece));
    store.release(piece);
  };
  let closed: (error: MailwireError) => void = () => undefined;
  const ended = new Promise<MailwireError>((resolve) => (closed = resolve));
  const transport = await Transport.connect(
    {
      host: '127.0.0.1',
      port,
      tls: connectTls,
      readBufferSize: 64 * 1024,
      ...(connectTls ? { tlsOptions: { ca: testCertificate().cert } } : {}),
    },
    {
      onData(chunk) {
        bytes += chunk.length;
        // Two pieces of each read, as a read that ends one body and starts the next gives.
        const middle = chunk.length >> 1;
        for (const part of [chunk.subarray(0, middle), chunk.subarray(middle)]) {
          const piece = store.copy(part);
          if (piece.buffer.buffer === chunk.buffer) lent++;
          out.push(piece);
        }
        while (out.length > held) giveBack();
      },
      onClose(error) {
        closed(error);
      },
    },
  );
  transports.push(transport);
  await ended;
  while (out.length > 0) giveBack();
  return { sha: hash.digest('hex'), bytes, lent };
}

describe('a transport lending its read buffers', () => {
  const data = payload();
  const expected = createHash('sha256').update(data).digest('hex');

  for (const [name, useTls] of [['TCP', false], ['implicit TLS', true]] as const) {
    for (const held of [1, 6, 40]) {
      it(`keeps every lent byte intact over ${name} with ${held} pieces held across reads`, async () => {
        const { key, cert } = testCertificate();
        const server = useTls ? tls.createServer({ key, cert }) : net.createServer();
        const port = await listen(server, useTls ? 'secureConnection' : 'connection', data);
        const received = await receiveHolding(useTls, port, held);
        expect(received.bytes).toBe(data.length);
        expect(received.sha).toBe(expected);
        // Chunks were lent without a copy (40 held pieces outrun the four pinned buffers: the rest copied).
        expect(received.lent).toBeGreaterThan(0);
      });
    }
  }
});
