// Body streams of a FETCH (src/imap/fetch-message.ts): read as a Readable, by light iteration, and
// by iteration with recycled chunks; the same bytes every way, with backpressure and clean ends.
import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { ImapClient } from '../../src/imap/client.js';
import type { BodyStream, FetchedMessage } from '../../src/imap/fetch-message.js';
import { uid } from '../../src/imap/wire/sequence-set.js';
import { C, login, pause, raw, selectInbox, sleep, startFakeServer, until, type FakeServer, type Step } from './imap/fake-server.js';

const servers: FakeServer[] = [];
const clients: ImapClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function open(script: Step[], bodyHighWaterMark?: number): Promise<{ client: ImapClient; server: FakeServer }> {
  const server = await startFakeServer(script);
  servers.push(server);
  const client = new ImapClient({
    host: '127.0.0.1',
    port: server.port,
    tls: 'none',
    allowCleartext: true,
    auth: { username: 'alice', password: 'secret', method: 'LOGIN' },
    commandTimeout: 5_000,
    ...(bodyHighWaterMark === undefined ? {} : { limits: { bodyHighWaterMark } }),
  });
  clients.push(client);
  await client.connect();
  await client.select('INBOX');
  return { client, server };
}

/** Message bodies of mixed sizes: tiny, around one transport read, and several reads. */
function bodies(): Buffer[] {
  const sizes = [1, 700, 65_536 - 40, 65_536 + 3, 3_000, 200_000, 17, 130_000, 5];
  return sizes.map((size, index) => {
    const body = Buffer.alloc(size);
    for (let offset = 0; offset < size; offset++) body[offset] = (offset * 31 + index * 7) & 0xff;
    return body;
  });
}

function fetchAll(tag: string, all: Buffer[]): Step[] {
  const parts = all.map((body, index) => Buffer.concat([Buffer.from(`* ${index + 1} FETCH (UID ${index + 1} BODY[] {${body.length}}\r\n`), body, Buffer.from(')\r\n')]));
  return [C(`${tag} UID FETCH 1:* (UID BODY.PEEK[])`), raw(Buffer.concat([...parts, Buffer.from(`${tag} OK done\r\n`)]))];
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function readAsStream(body: BodyStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  body.on('data', (chunk: Buffer) => chunks.push(chunk));
  await finished(body);
  return Buffer.concat(chunks);
}

describe('FETCH body streams', () => {
  it('deliver the same bytes as a Readable, by iteration, by recycled iteration and collected', async () => {
    const all = bodies();
    const { client } = await open([...login(), ...selectInbox('A2', all.length), ...fetchAll('A3', all)]);
    const ways = ['stream', 'iterate', 'reuse', 'collect', 'message', 'message-reuse'] as const;
    let index = 0;
    for await (const message of client.fetch('1:*', { source: true })) {
      const way = ways[index % ways.length];
      let hash: string;
      if (way === 'message' || way === 'message-reuse') {
        // message.chunks(): the same bytes without a Readable.
        const digest = createHash('sha256');
        for await (const chunk of message.chunks('', { reuse: way === 'message-reuse' })) digest.update(chunk);
        expect(() => message.chunks()).toThrow(InvalidArgumentError);
        hash = digest.digest('hex');
        expect(hash, `message ${index + 1} read by ${way}`).toBe(sha(all[index]!));
        index++;
        continue;
      }
      const body = message.body();
      if (way === 'stream') {
        hash = sha(await readAsStream(body));
      } else if (way === 'collect') {
        hash = sha(await body.collect());
      } else {
        const digest = createHash('sha256');
        let total = 0;
        for await (const chunk of way === 'reuse' ? body.chunks({ reuse: true }) : body) {
          digest.update(chunk);
          total += chunk.length;
        }
        expect(total).toBe(all[index]!.length);
        hash = digest.digest('hex');
      }
      expect(hash, `message ${index + 1} read by ${way}`).toBe(sha(all[index]!));
      index++;
    }
    expect(index).toBe(all.length);
  });

  it('recycles chunks: a reused chunk is valid until the next step, plain chunks are kept', async () => {
    const all = bodies();
    const { client } = await open([...login(), ...selectInbox('A2', all.length), ...fetchAll('A3', all)], 4 * 1024 * 1024);
    let index = 0;
    for await (const message of client.fetch('1:*', { source: true })) {
      const reuse = index % 2 === 0;
      const copies: Buffer[] = [];
      const kept: Buffer[] = [];
      for await (const chunk of message.body().chunks({ reuse })) {
        copies.push(Buffer.from(chunk));
        kept.push(chunk);
      }
      expect(sha(Buffer.concat(copies))).toBe(sha(all[index]!));
      if (!reuse) expect(sha(Buffer.concat(kept))).toBe(sha(all[index]!));
      index++;
    }
    expect(index).toBe(all.length);
  });

  it('pauses the socket for a slow recycled reader, then delivers every byte in order', async () => {
    const size = 24 * 1024 * 1024;
    const body = Buffer.alloc(size);
    for (let offset = 0; offset < size; offset += 4) body.writeUInt32BE(offset, offset);
    let stalled = false;
    const holder: { server?: FakeServer } = {};
    const { client, server } = await open(
      [
        ...login(),
        ...selectInbox('A2', 1),
        C('A3 UID FETCH 1 (UID BODY.PEEK[])'),
        raw(Buffer.concat([Buffer.from(`* 1 FETCH (UID 1 BODY[] {${size}}\r\n`), body, Buffer.from(')\r\nA3 OK done\r\n')])),
        until(() => {
          stalled ||= (holder.server?.socket()?.writableLength ?? 0) > 4 * 1024 * 1024;
          return stalled;
        }),
      ],
      64 * 1024,
    );
    holder.server = server;
    for await (const message of client.fetch(uid(1), { source: true })) {
      const chunks = message.body().chunks({ reuse: true });
      const first = await chunks.next();
      expect(first.done).toBe(false);
      const hash = createHash('sha256').update(first.value as Buffer);
      const deadline = Date.now() + 5_000;
      const isStalled = (): boolean => stalled;
      while (!isStalled() && Date.now() < deadline) await sleep(5);
      expect(isStalled()).toBe(true);
      for await (const chunk of chunks) hash.update(chunk);
      expect(hash.digest('hex')).toBe(sha(body));
    }
  });

  it('ends the Readable after a light iteration for those who listen, and refuses a second reader', async () => {
    const all = bodies().slice(0, 2);
    const { client } = await open([...login(), ...selectInbox('A2', all.length), ...fetchAll('A3', all)]);
    let index = 0;
    for await (const message of client.fetch('1:*', { source: true })) {
      const body = message.body();
      const ended = finished(body);
      const chunks = body.chunks({ reuse: index === 1 });
      expect(() => body.chunks()).toThrow(InvalidArgumentError);
      let total = 0;
      for await (const chunk of chunks) total += chunk.length;
      expect(total).toBe(all[index]!.length);
      await ended;
      expect(body.readableEnded).toBe(true);
      index++;
    }
    expect(index).toBe(2);
  });

  it('drops the rest of a body when its loop breaks, and the fetch goes on', async () => {
    const all = bodies();
    const { client } = await open([...login(), ...selectInbox('A2', all.length), ...fetchAll('A3', all), C('A4 NOOP'), raw('A4 OK done\r\n')]);
    const seen: number[] = [];
    for await (const message of client.fetch('1:*', { source: true })) {
      for await (const chunk of message.body().chunks({ reuse: seen.length % 2 === 0 })) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
      seen.push(message.uid ?? 0);
    }
    expect(seen).toEqual(all.map((_, index) => index + 1));
    await client.noop();
  });
});

describe('FETCH bodies the caller took before leaving the fetch loop', () => {
  it('refuses a body asked for after the loop moved on (it was discarded), instead of an empty one', async () => {
    const all = [Buffer.from('first body'), Buffer.from('second body')];
    const { client } = await open([...login(), ...selectInbox('A2', all.length), ...fetchAll('A3', all)]);
    const seen: FetchedMessage[] = [];
    for await (const message of client.fetch('1:*', { source: true })) {
      if (seen.length === 1) {
        expect(() => seen[0]!.body()).toThrow(/discarded when the fetch moved on/);
        expect(() => seen[0]!.chunks()).toThrow(InvalidArgumentError);
        expect((await message.body().collect()).toString()).toBe('second body');
      }
      seen.push(message);
    }
    expect(seen.length).toBe(2);
  });

  it('still arrive whole: the one streaming, and another of the same message not started yet', async () => {
    let stopped = false;
    const { client } = await open([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1:* (UID BODY.PEEK[] BODY.PEEK[TEXT])'),
      raw('* 1 FETCH (UID 1 BODY[] {11}\r\nhello'),
      until(() => stopped),
      pause(20),
      raw(' world'),
      pause(20),
      raw(' BODY[TEXT] {4}\r\ntext)\r\nA3 OK done\r\n'),
      C('A4 NOOP'),
      raw('A4 OK done\r\n'),
    ]);
    const fetch = client.fetch('1:*', { source: true, bodies: ['TEXT'] })[Symbol.asyncIterator]();
    const message = (await fetch.next()).value as FetchedMessage;
    const whole = message.body();
    const text = message.body('TEXT');
    await fetch.return?.();
    stopped = true;
    await client.noop(); // answered after the FETCH: every byte of it has arrived
    expect((await whole.collect()).toString()).toBe('hello world');
    expect((await text.collect()).toString()).toBe('text');
  });
});

describe('FETCH bodies of pipelined fetches', () => {
  // Servers answer pipelined commands in order, so a body belongs to the first fetch in flight that
  // asked for its message. A fetch that buffers its bodies claims them (it used to decline, and a
  // streaming fetch sent after it took them).
  it('go to the fetch that asked: buffered for the first, streamed for the second', async () => {
    const message = (seq: number, text: string): string => `* ${seq} FETCH (UID ${seq} BODY[] {${text.length}}\r\n${text})\r\n`;
    const { client } = await open([
      ...login(),
      ...selectInbox('A2'),
      C('A3 UID FETCH 1:2 (UID BODY.PEEK[])'),
      C('A4 UID FETCH 1:2 (UID BODY.PEEK[])'),
      raw(`${message(1, 'first of A3')}${message(2, 'second of A3')}A3 OK done\r\n${message(1, 'first of A4')}${message(2, 'second of A4')}A4 OK done\r\n`),
    ]);
    const buffered = (async () => {
      const texts: string[] = [];
      for await (const fetched of client.fetch('1:2', { source: true }, { bodies: 'buffer' })) texts.push(Buffer.from(fetched.bodyBytes('')!).toString());
      return texts;
    })();
    const streamed = (async () => {
      const texts: string[] = [];
      for await (const fetched of client.fetch('1:2', { source: true })) texts.push((await fetched.body().collect()).toString());
      return texts;
    })();
    expect(await buffered).toEqual(['first of A3', 'second of A3']);
    expect(await streamed).toEqual(['first of A4', 'second of A4']);
  });
});
