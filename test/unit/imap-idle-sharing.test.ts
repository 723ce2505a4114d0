import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { ImapClient } from '../../src/imap/client.js';
import type { MailboxEvent } from '../../src/imap/session.js';
import { uid } from '../../src/imap/wire/sequence-set.js';
import { autoServer, basicImap, type AutoServer } from './imap/answering-server.js';
import { C, S, login, pause, raw, selectInbox, sleep, useImapHarness } from './imap/fake-server.js';

const { serve, connect, clients } = useImapHarness();
const answering: AutoServer[] = [];
afterEach(async () => {
  for (const server of answering.splice(0)) await server.close();
});

async function answeringClient(): Promise<{ client: ImapClient; server: AutoServer }> {
  const server = await autoServer('* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] ready', basicImap());
  answering.push(server);
  const client = new ImapClient({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, auth: { username: 'alice', password: 'secret', method: 'LOGIN' }, commandTimeout: 3000 });
  clients.push(client);
  await client.connect();
  await client.select('INBOX');
  return { client, server };
}

const idles = (server: AutoServer): number => server.received.filter((line) => / IDLE$/.test(line)).length;

describe('IDLE shared by several loops', () => {
  it('two idle() loops share one IDLE instead of interrupting each other', async () => {
    const { client, server } = await answeringClient();
    const first = client.idle();
    const second = client.idle();
    const pending = [first.next(), second.next()];
    await sleep(200);
    expect(idles(server)).toBe(1);
    await first.return();
    // The second loop's IDLE goes out once the first has ended.
    await sleep(50);
    expect(idles(server)).toBe(2);
    await second.return();
    await Promise.all(pending);
    await client.noop();
  });

  it.each([2 ** 31, Infinity, 0, Number.NaN])('refuses a restartAfter or pollInterval of %s ms (a timer would fire at once)', async (ms) => {
    const { client, server } = await answeringClient();
    expect(() => client.idle({ restartAfter: ms })).toThrow(/restartAfter must be from 1 to 2147483647 ms/);
    expect(() => client.idle({ pollInterval: ms })).toThrow(/pollInterval must be from 1 to 2147483647 ms/);
    await sleep(20);
    expect(idles(server)).toBe(0);
  });

  it('refuses, from the call itself, a timing given as text and a signal that is not an AbortSignal (events() too)', async () => {
    const { client, server } = await answeringClient();
    // As from plain JavaScript: '5000' would pass `>= 1` and reach setTimeout as text.
    expect(() => client.idle({ restartAfter: '5000' as unknown as number })).toThrow(/restartAfter must be from 1 to 2147483647 ms, got "5000"/);
    expect(() => client.idle({ pollInterval: '5000' as unknown as number })).toThrow(InvalidArgumentError);
    expect(() => client.idle({ signal: new AbortController() as unknown as AbortSignal })).toThrow(/signal must be an AbortSignal \(pass controller.signal/);
    expect(() => client.events({ signal: {} as AbortSignal })).toThrow(InvalidArgumentError);
    await sleep(20);
    expect(idles(server)).toBe(0);
    await client.noop();
  });
});

describe('a server that ends IDLE without entering it', () => {
  it('is sent the next IDLE only after pollInterval, not at once again and again', async () => {
    // Answers IDLE with its tagged OK straight away: no `+`, so no DONE is ever due.
    const answer = basicImap();
    const server = await autoServer('* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] ready', (line, write) => {
      const [tag, command] = line.split(' ');
      if (command === 'IDLE') write(`${tag} OK Idle ended`);
      else answer(line, write);
    });
    answering.push(server);
    const client = new ImapClient({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, auth: { username: 'alice', password: 'secret', method: 'LOGIN' }, commandTimeout: 3000 });
    clients.push(client);
    await client.connect();
    await client.select('INBOX');
    const loop = client.idle({ pollInterval: 3_600_000 });
    const pending = loop.next();
    await sleep(100);
    await client.noop();
    expect(idles(server)).toBe(1);
    await loop.return();
    await pending;
    expect(idles(server)).toBe(1);
  });
});

describe('the limit of unread events', () => {
  it.each([Number.NaN, 'many'])('refuses a limit of %s from the call itself (the queue would have no bound)', async (limit) => {
    const { client, server } = await answeringClient();
    expect(() => client.events({ limit: limit as number })).toThrow(/limit must be a number of events, got (NaN|"many")/);
    expect(() => client.idle({ limit: limit as number })).toThrow(InvalidArgumentError);
    await sleep(20);
    expect(idles(server)).toBe(0);
    await client.noop();
  });
});

describe('a body streamed while idle() waits to idle again', () => {
  const size = 4 * 1024 * 1024;
  const body = Buffer.alloc(size, 'x');
  const fetchReply = (tag: string): ReturnType<typeof raw> =>
    raw(Buffer.concat([Buffer.from(`* 2 FETCH (UID 2 BODY[] {${size}}\r\n`), body, Buffer.from(`)\r\n${tag} OK done\r\n`)]));
  // Buffering the body whole would exceed maxFetchBuffer: only backpressure gets it through.
  const limits = { bodyHighWaterMark: 64 * 1024, maxFetchBuffer: 512 * 1024 };

  async function readSlowly(stream: AsyncIterable<Uint8Array>): Promise<number> {
    await sleep(300);
    let bytes = 0;
    for await (const chunk of stream) bytes += chunk.length;
    return bytes;
  }

  it('keeps backpressure for a fetch issued inside the idle() loop', async () => {
    const server = await serve([
      ...login(), ...selectInbox('A2', 1),
      C('A3 IDLE'), S('+ idling', '* 2 EXISTS'), C('DONE'), S('A3 OK'),
      C('A4 UID FETCH 2 (UID BODY.PEEK[])'), fetchReply('A4'),
      C('A5 IDLE'), S('+ idling'), C('DONE'), S('A5 OK'),
    ]);
    const client = await connect(server, { limits });
    await client.select('INBOX');
    for await (const event of client.idle()) {
      expect(event).toEqual({ kind: 'exists', count: 2, mailbox: 'INBOX' });
      for await (const message of client.fetch(uid(2), { source: true })) expect(await readSlowly(message.body())).toBe(size);
      break;
    }
    await server.done;
  }, 10_000);

  it('keeps backpressure for a fetch that interrupts an idle() running in the background', async () => {
    const server = await serve([
      ...login(), ...selectInbox('A2', 2),
      C('A3 IDLE'), S('+ idling'), C('DONE'), S('A3 OK'),
      C('A4 UID FETCH 2 (UID BODY.PEEK[])'), fetchReply('A4'),
      C('A5 IDLE'), S('+ idling'), C('DONE'), S('A5 OK'),
    ]);
    const client = await connect(server, { limits });
    await client.select('INBOX');
    const idle = client.idle();
    const pending = idle.next();
    await sleep(20);
    for await (const message of client.fetch(uid(2), { source: true })) expect(await readSlowly(message.body())).toBe(size);
    await idle.return();
    await pending;
    await server.done;
  }, 10_000);
});

describe('the end of an idle() loop', () => {
  it('delivers the events received before IDLE failed, then the error', async () => {
    const server = await serve([
      ...login(), ...selectInbox('A2', 1),
      C('A3 IDLE'), S('+ idling', '* 5 EXISTS', '* 6 EXISTS'), pause(30), S('A3 BAD idle aborted'), pause(500),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const idle = client.idle();
    expect((await idle.next()).value).toEqual({ kind: 'exists', count: 5, mailbox: 'INBOX' });
    await sleep(100);
    expect((await idle.next()).value).toEqual({ kind: 'exists', count: 6, mailbox: 'INBOX' });
    await expect(idle.next()).rejects.toMatchObject({ code: 'SERVER_REJECTED' });
    expect(await idle.next()).toEqual({ value: undefined, done: true });
  });

  it('stops polling once the session logs out (no NOOP, no timer left)', async () => {
    const server = await serve([...login('IMAP4rev1'), C('A2 LOGOUT'), S('* BYE', 'A2 OK')]);
    const client = await connect(server);
    const runs: string[] = [];
    const original = client.run.bind(client);
    (client as unknown as { run: typeof client.run }).run = (command, options) => {
      runs.push(command.name);
      return original(command, options);
    };
    const loop = (async () => {
      for await (const _ of client.idle({ pollInterval: 300 })) {
        // No events come.
      }
    })();
    await sleep(20);
    await client.logout();
    await loop;
    const before = runs.length;
    await sleep(400);
    expect(runs.slice(before)).toEqual([]);
  });

  it('lets two loops read one events() stream (next() calls queue as an async generator queues them)', async () => {
    const server = await serve([...login(), ...selectInbox('A2', 3), C('A3 NOOP'), S('* 4 EXISTS', '* 5 EXISTS', 'A3 OK')]);
    const client = await connect(server);
    await client.select('INBOX');
    const stream = client.events();
    const got: MailboxEvent[] = [];
    const loop = async (): Promise<void> => {
      for await (const event of stream) {
        got.push(event);
        if (got.length >= 2) break;
      }
    };
    const both = Promise.allSettled([loop(), loop()]);
    await sleep(10);
    await client.noop();
    expect((await both).map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(got).toEqual([{ kind: 'exists', count: 4, mailbox: 'INBOX' }, { kind: 'exists', count: 5, mailbox: 'INBOX' }]);
  });
});
