import { Buffer } from 'node:buffer';
import { describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  ConnectionClosedError,
  InvalidArgumentError,
  LimitExceededError,
  ProtocolError,
  TlsError,
  UnsupportedError,
} from '../../src/common/errors.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { ImapClient } from '../../src/imap/client.js';
import type { MailboxEvent } from '../../src/imap/session.js';
import { uid } from '../../src/imap/wire/sequence-set.js';
import { openMailbox } from '../../src/open-mailbox.js';
import { Pop3Client } from '../../src/pop3/client.js';
import { C, S, login, pause, quiet, raw, reply, scramServerFirst, selectInbox, sleep, trickle, useImapHarness, waitEnd, type Step } from './imap/fake-server.js';

const { clients, serve, options, connect } = useImapHarness();

describe('ImapClient: greeting variants', () => {
  it('accepts PREAUTH and skips login', async () => {
    const server = await serve([S('* PREAUTH [CAPABILITY IMAP4rev1 IDLE] welcome back'), C('A1 NOOP'), S('A1 OK')]);
    const client = await connect(server);
    expect(client.state).toBe('authenticated');
    expect(client.greeting).toEqual({ status: 'PREAUTH', text: 'welcome back' });
    await client.noop();
  });

  it('ends the connection when close() or destroy() came while connecting, and logs nothing in', async () => {
    for (const end of ['close', 'destroy'] as const) {
      const server = await serve([S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'), waitEnd()]);
      const client = new ImapClient(options(server));
      clients.push(client);
      const connecting = client.connect();
      if (end === 'close') await client.close();
      else client.destroy();
      await expect(connecting, end).rejects.toBeInstanceOf(ConnectionClosedError);
      expect(client.state, end).toBe('logout');
      await server.done; // the server saw the connection end, and no command
    }
  });

  it('refuses PREAUTH on a clear connection in starttls mode (STARTTLS stripping)', async () => {
    const server = await serve([S('* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi'), quiet(50)]);
    const client = new ImapClient(options(server, { tls: 'starttls', allowCleartext: false }));
    clients.push(client);
    await expect(client.connect()).rejects.toBeInstanceOf(TlsError);
  });
});

describe('ImapClient: authentication edge cases', () => {
  /** A server asking SCRAM for `iterations` rounds, then expecting the client to cancel. */
  const scramAsking = (iterations: number): Step[] => [
    S('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] ready'),
    C(/^A1 AUTHENTICATE SCRAM-SHA-256 [A-Za-z0-9+/=]+$/),
    reply(scramServerFirst(iterations)),
    C('*'),
    S('A1 BAD Authentication cancelled'),
  ];

  it('cancels AUTHENTICATE with * when a challenge is not base64, and rejects with a ProtocolError (as POP3 does)', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5] ready'),
      C('A1 AUTHENTICATE CRAM-MD5'),
      S('+ !!!not base64!!!'),
      C('*'),
      // A server that goes on instead of failing the exchange (RFC 9051 section 6.2.2) is cancelled
      // again rather than left waiting, and the first failure is the one reported.
      S('+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+'),
      C('*'),
      S('A1 BAD Authentication cancelled'),
    ]);
    const client = new ImapClient(options(server, { auth: { username: 'alice', password: 'secret', method: 'CRAM-MD5' } }));
    clients.push(client);
    const error = await client.connect().catch((caught: unknown) => caught);
    // The server broke the protocol (RFC 9051 section 6.2.2: the challenge is base64): not a refusal.
    expect(error).toBeInstanceOf(ProtocolError);
    expect(String(error)).toMatch(/SASL challenge is not valid base64/);
    await server.done;
  });

  it('refuses a SCRAM iteration count above the scramMaxIterations option, cancelling with *', async () => {
    const server = await serve(scramAsking(5000));
    const client = new ImapClient(options(server, { auth: { username: 'alice', password: 'secret' }, scramMaxIterations: 4096 }));
    clients.push(client);
    const error = await client.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).cause).toMatchObject({ limit: 'scramMaxIterations' });
    await server.done;
  });

  it('passes scramMaxIterations from openMailbox, and refuses a bad value when the client is made', async () => {
    const server = await serve(scramAsking(5000));
    const error = await openMailbox(`imap://alice@127.0.0.1:${server.port}/INBOX`, { password: 'secret', tls: 'none', allowCleartext: true, scramMaxIterations: 4096 }).catch(
      (caught: unknown) => caught,
    );
    expect((error as AuthenticationError).cause).toMatchObject({ limit: 'scramMaxIterations' });
    await server.done;
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5]) {
      expect(() => new ImapClient(options(server, { scramMaxIterations: bad }))).toThrow(/scramMaxIterations must be a positive integer/);
      expect(() => new Pop3Client({ host: '127.0.0.1', scramMaxIterations: bad })).toThrow(InvalidArgumentError);
    }
  });

  it('keeps the response code data when the SASL server explained its refusal', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready'),
      C(/^A1 AUTHENTICATE XOAUTH2 \S+$/),
      S(`+ ${Buffer.from('{"status":"401","schemes":"bearer"}').toString('base64')}`),
      C(''),
      S('A1 NO [REFERRAL imap://alice@[::1]/] try elsewhere'),
    ]);
    const client = new ImapClient(options(server, { auth: { username: 'alice', accessToken: 'token', method: 'XOAUTH2' } }));
    clients.push(client);
    const error = await client.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ responseCode: 'REFERRAL', responseCodeData: 'imap://alice@[::1]/' });
    expect((error as Error).message).toContain('[REFERRAL imap://alice@[::1]/] try elsewhere (401');
    await server.done;
  });

  it('drops a server that says OK to SCRAM without proving itself', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] ready'),
      C(/^A1 AUTHENTICATE SCRAM-SHA-256 [A-Za-z0-9+/=]+$/),
      S('A1 OK [CAPABILITY IMAP4rev1] Logged in'),
      quiet(50),
    ]);
    const client = new ImapClient(options(server, { auth: { username: 'alice', password: 'secret' } }));
    clients.push(client);
    await expect(client.connect()).rejects.toBeInstanceOf(AuthenticationError);
    expect(client.state).toBe('logout');
  });

  it('releases the writer when the server refuses a literal instead of sending +', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1] ready'),
      C('A1 LOGIN bob {10}'),
      S('A1 NO [AUTHENTICATIONFAILED] nope'),
      C('A2 NOOP'),
      S('A2 OK'),
    ]);
    const client = new ImapClient(options(server, { auth: undefined }));
    clients.push(client);
    await client.connect();
    await expect(client.login({ username: 'bob', password: 'pässwörd', method: 'LOGIN' })).rejects.toMatchObject({
      responseCode: 'AUTHENTICATIONFAILED',
    });
    await client.noop();
  });
});

describe('ImapClient: an authorization identity (authzid)', () => {
  const auth = { username: 'admin', password: 'secret', authzid: 'ursel' };

  it('picks a mechanism that carries it (PLAIN over CRAM-MD5)', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=CRAM-MD5 AUTH=PLAIN] ready'),
      C(`A1 AUTHENTICATE PLAIN ${Buffer.from('ursel\0admin\0secret').toString('base64')}`),
      S('A1 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    const client = await connect(server, { auth });
    expect(client.state).toBe('authenticated');
    await server.done;
  });

  it('refuses to log in as the user name itself when no offered mechanism carries it (no CRAM-MD5, no LOGIN)', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5] ready'), C('A1 LOGOUT'), S('* BYE', 'A1 OK')]);
    const client = await connect(server, { auth: undefined });
    const error = await client.login(auth).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(String(error)).toMatch(/authzid/);
    expect(client.state).toBe('not-authenticated');
    await client.logout();
    await server.done;
  });

  it('refuses it with the LOGIN command, before sending anything', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1] ready'), C('A1 LOGOUT'), S('* BYE', 'A1 OK')]);
    const client = await connect(server, { auth: undefined });
    await expect(client.login({ ...auth, method: 'LOGIN' })).rejects.toThrow(InvalidArgumentError);
    await client.logout();
    await server.done;
  });
});

describe('ImapClient: commands queued behind LOGIN and ENABLE', () => {
  const noAuth = { auth: undefined };

  it('runs a select() issued while login() is in flight, after the login', async () => {
    const server = await serve([...login(), ...selectInbox('A2', 3)]);
    const client = await connect(server, noAuth);
    const loggingIn = client.login({ username: 'alice', password: 'secret', method: 'LOGIN' });
    const selecting = client.select('INBOX');
    await loggingIn;
    expect((await selecting).exists).toBe(3);
    expect(client.state).toBe('selected');
    await server.done;
  });

  it('closes the connection when a LOGIN timed out here (it may succeed there): no session in an unknown state', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1] ready'), C('A1 LOGIN alice secret'), waitEnd()]);
    const client = await connect(server, noAuth);
    await expect(client.login({ username: 'alice', password: 'secret', method: 'LOGIN' }, { timeout: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(client.state).toBe('logout');
    await server.done; // the client closed the connection
  });

  it('encodes a list() issued right after enable(UTF8=ACCEPT) in UTF-8 (RFC 6855)', async () => {
    const server = await serve([
      S('* PREAUTH [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] ready'),
      C('A1 ENABLE UTF8=ACCEPT'),
      S('* ENABLED UTF8=ACCEPT', 'A1 OK enabled'),
      C(`A2 LIST "" "${Buffer.from('Entwürfe', 'utf8').toString('latin1')}"`), // the received bytes, read as Latin-1
      S('* LIST () "/" "Entwürfe"', 'A2 OK done'),
    ]);
    const client = await connect(server, noAuth);
    const enabling = client.enable(['UTF8=ACCEPT']);
    const listing = client.list({ pattern: 'Entwürfe' });
    await enabling;
    expect((await listing).map((entry) => entry.name)).toEqual(['Entwürfe']);
    await server.done;
  });

  it('refuses ID fields past RFC 2971 limits before sending (30 pairs, 30-octet names, 1024-octet values)', async () => {
    const server = await serve([S('* PREAUTH [CAPABILITY IMAP4rev1 ID] ready'), C('A1 NOOP'), S('A1 OK')]);
    const client = await connect(server, noAuth);
    const many = Object.fromEntries(Array.from({ length: 31 }, (_, index) => [`f${index}`, 'v']));
    for (const fields of [many, { ['x'.repeat(31)]: 'v' }, { name: 'v'.repeat(1025) }]) {
      await expect(client.id(fields)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await client.noop();
    await server.done;
  });
});

describe('ImapClient: fetch edge cases', () => {
  /** The UIDs a fetch of ENVELOPEs yielded, and how it ended. */
  async function envelopes(client: ImapClient, set: string): Promise<{ uids: (number | undefined)[]; error: unknown }> {
    const uids: (number | undefined)[] = [];
    try {
      for await (const message of client.fetch(set, { envelope: true })) uids.push(message.uid);
      return { uids, error: undefined };
    } catch (error) {
      return { uids, error };
    }
  }

  it('fails, after the messages it read, a fetch whose answer for one message could not be parsed', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 UID FETCH 1:3 (UID ENVELOPE)'),
      S(
        '* 1 FETCH (UID 1 ENVELOPE (NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL))',
        '* 2 FETCH (UID 2 ENVELOPE (NIL "two" ((NIL NIL "x" "y") NIL NIL NIL NIL NIL NIL NIL NIL))',
        '* 3 FETCH (UID 3 ENVELOPE (NIL "three" NIL NIL NIL NIL NIL NIL NIL NIL))',
        'A3 OK done',
      ),
      C('A4 NOOP'),
      S('A4 OK'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const { uids, error } = await envelopes(client, '1:3');
    expect(uids).toEqual([1, 3]);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(String(error)).toMatch(/FETCH response for message 2 could not be read/);
    await client.noop();
    await server.done;
  });

  it('fails a fetch with LimitExceededError when a literal of one message is over maxBufferedLiteral', async () => {
    const subject = 's'.repeat(300);
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 2),
      C('A3 UID FETCH 1:2 (UID ENVELOPE)'),
      raw(
        `* 1 FETCH (UID 1 ENVELOPE (NIL {${subject.length}}\r\n${subject} NIL NIL NIL NIL NIL NIL NIL NIL))\r\n` +
          '* 2 FETCH (UID 2 ENVELOPE (NIL "two" NIL NIL NIL NIL NIL NIL NIL NIL))\r\nA3 OK done\r\n',
      ),
    ]);
    const client = await connect(server, { limits: { maxBufferedLiteral: 100 } });
    await client.select('INBOX');
    const { uids, error } = await envelopes(client, '1:2');
    expect(uids).toEqual([2]);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxBufferedLiteral' });
    await server.done;
  });
  it.each(['taken', 'being collected'])('still delivers a body %s when the loop breaks while it arrives', async (how) => {
    const body = 'q'.repeat(20_000);
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1 (UID BODY.PEEK[])'),
      raw(`* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n${body.slice(0, 100)}`),
      pause(50),
      raw(`${body.slice(100)})\r\nA3 OK done\r\n`),
      C('A4 NOOP'),
      S('A4 OK'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    let collected: Promise<Uint8Array> | undefined;
    for await (const message of client.fetch(uid(1), { source: true })) {
      const stream = message.body();
      collected = how === 'taken' ? Promise.resolve().then(() => stream.collect()) : stream.collect();
      break;
    }
    expect((await collected!).length).toBe(body.length);
    await client.noop();
    await server.done;
  });

  it('rejects an aborted fetch at once, drops the rest of its answer, and keeps the session', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 UID FETCH 1:* (UID FLAGS)'),
      S('* 1 FETCH (UID 1 FLAGS ())'),
      pause(80),
      S('* 2 FETCH (UID 2 FLAGS ())', '* 3 FETCH (UID 3 FLAGS ())', 'A3 OK done'),
      C('A4 NOOP'),
      S('A4 OK'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const events: MailboxEvent[] = [];
    const subscription = client.events();
    void (async () => {
      for await (const event of subscription) events.push(event);
    })().catch(() => undefined);
    const controller = new AbortController();
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const message of client.fetch('1:*', { flags: true }, { signal: controller.signal })) {
        seen.push(message.uid);
        controller.abort();
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AbortError);
    expect(seen).toEqual([1]);
    await sleep(150);
    await client.noop();
    expect(events).toEqual([]); // the dropped answers did not leak into the event stream
  });

  it('drops the rest of a fetch when the loop breaks early', async () => {
    const body = 'x'.repeat(5000);
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 UID FETCH 1:3 (UID BODY.PEEK[])'),
      raw(
        [1, 2, 3].map((n) => `* ${n} FETCH (UID ${n} BODY[] {${body.length}}\r\n${body})\r\n`).join('') + 'A3 OK done\r\n',
      ),
      C('A4 NOOP'),
      S('A4 OK'),
    ]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 1024 } });
    await client.select('INBOX');
    for await (const message of client.fetch('1:3', { source: true })) {
      expect(message.uid).toBe(1);
      break;
    }
    await client.noop();
  });

  it('closes at once on a BYE read while an unread body had paused the input', async () => {
    const body = 'z'.repeat(5000);
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1 (UID BODY.PEEK[])'),
      // One chunk: the body (past the high-water mark, so the input pauses), then the server leaves.
      raw(`* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n${body})\r\n* BYE shutting down\r\n`),
      waitEnd(),
    ]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 1024 } });
    await client.select('INBOX');
    const events = client.events();
    // Were the input left paused, the server's end would go unread and only the close timeout
    // (a timer, stopped here) would end the connection: the events below would never end.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const messages = client.fetch(uid(1), { source: true });
      const first = await messages.next();
      expect(first.value?.uid).toBe(1);
      await expect(messages.next()).rejects.toBeInstanceOf(ConnectionClosedError);
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const event of events) seen.push(event.kind);
        })(),
      ).rejects.toBeInstanceOf(ConnectionClosedError);
      expect(seen).toEqual(['bye']);
      expect(client.state).toBe('logout');
    } finally {
      vi.useRealTimers();
    }
  });

  it('settles a next() still waiting when return() stops the fetch', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1 (UID FLAGS)'),
      C('A4 NOOP'),
      S('* 1 FETCH (UID 1 FLAGS ())', 'A3 OK done', 'A4 OK'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const iterator = client.fetch(uid(1), { flags: true });
    const settled: unknown[] = [];
    void iterator.next().then((result) => settled.push(result), (error: unknown) => settled.push(error));
    await iterator.return();
    await client.noop(); // answered after the whole fetch: the waiting next() had every chance to settle
    expect(settled).toEqual([{ value: undefined, done: true }]);
  });

  it('answers next() calls made before the previous one settled, in order (as an async generator does)', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 2),
      C('A3 UID FETCH 1:2 (UID FLAGS)'),
      C('A4 NOOP'),
      S('* 1 FETCH (UID 1 FLAGS ())', '* 2 FETCH (UID 2 FLAGS ())', 'A3 OK done', 'A4 OK'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const iterator = client.fetch('1:2', { flags: true });
    const results = [iterator.next(), iterator.next(), iterator.next()];
    const settled: unknown[] = [];
    for (const result of results) void result.then((value) => settled.push(value.done ? 'done' : value.value.uid));
    await client.noop();
    expect(settled).toEqual([1, 2, 'done']);
  });

  it('fails a fetch that must buffer past maxFetchBuffer because a later command waits', async () => {
    const body = 'y'.repeat(200_000);
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1 (UID BODY.PEEK[])'),
      C('A4 NOOP'),
      raw(`* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n${body})\r\nA3 OK done\r\nA4 OK noop\r\n`),
    ]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 1024, maxFetchBuffer: 50_000 } });
    await client.select('INBOX');
    const iterator = client.fetch(uid(1), { source: true });
    const noop = client.noop();
    const first = await iterator.next();
    const message = first.value;
    await noop; // answered although nobody read the body
    await expect(message.body().collect()).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('fails only the command whose tagged response cannot be parsed', async () => {
    const server = await serve([...login(), C('A2 NOOP'), S('A2 WHAT is this'), C('A3 NOOP'), S('A3 OK')]);
    const client = await connect(server);
    await expect(client.noop()).rejects.toBeInstanceOf(ProtocolError);
    await client.noop();
  });
});

describe('ImapClient: events', () => {
  it('reports overflow to a slow subscriber instead of blocking', async () => {
    const server = await serve([...login(), C('A2 NOOP'), S('* 1 EXISTS', '* 2 EXISTS', '* 3 EXISTS', '* 4 EXISTS', 'A2 OK')]);
    const client = await connect(server);
    const events = client.events({ limit: 2 });
    await client.noop();
    const first = await events.next();
    const second = await events.next();
    const third = await events.next();
    expect([first.value, second.value, third.value]).toEqual([
      { kind: 'overflow', dropped: 2 },
      { kind: 'exists', count: 3, mailbox: null },
      { kind: 'exists', count: 4, mailbox: null },
    ]);
    await events.return();
  });

  it('ends a stopped subscription for good, even one that had lost events to overflow', async () => {
    const server = await serve([...login(), C('A2 NOOP'), S('* 1 EXISTS', '* 2 EXISTS', '* 3 EXISTS', 'A2 OK')]);
    const client = await connect(server);
    const events = client.events({ limit: 1 });
    await client.noop();
    await events.return();
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });

  it('routes alerts and unknown tags to the event stream, and logs server lines', async () => {
    const log: WireLogEntry[] = [];
    const server = await serve([...login(), C('A2 NOOP'), S('* OK [ALERT] Maintenance at noon', 'Z9 OK stray', 'A2 OK')]);
    const client = await connect(server, { logger: (entry) => log.push(entry) });
    const events = client.events();
    await client.noop();
    expect((await events.next()).value).toEqual({ kind: 'alert', text: 'Maintenance at noon' });
    expect((await events.next()).value).toMatchObject({ kind: 'other', response: { kind: 'tagged', tag: 'Z9' } });
    expect(log).toContainEqual({ direction: 'server', text: '* OK [ALERT] Maintenance at noon' });
    await events.return();
  });

  it('ends subscriptions normally after LOGOUT', async () => {
    const server = await serve([...login(), C('A2 LOGOUT'), S('* BYE bye', 'A2 OK')]);
    const client = await connect(server);
    const events = client.events();
    await client.logout();
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });
});

describe('ImapClient: IDLE and timeouts', () => {
  it('lets an established IDLE stay silent past commandTimeout, but not a server that never answers IDLE', async () => {
    const server = await serve([
      ...login(),
      C('A2 IDLE'),
      S('+ idling'),
      pause(300),
      S('* 3 EXISTS'),
      C('DONE'),
      S('A2 OK'),
      C('A3 IDLE'),
      pause(1_000),
    ]);
    const client = await connect(server, { commandTimeout: 100 });
    const idle = client.idle();
    expect((await idle.next()).value).toEqual({ kind: 'exists', count: 3, mailbox: null });
    await idle.return();
    const again = client.idle();
    await expect(again.next()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('idles on an IMAP4rev2 server that does not list IDLE apart (RFC 9051 section 6.3.13), without polling', async () => {
    const server = await serve([...login('IMAP4rev2'), C('A2 IDLE'), S('+ idling', '* 3 EXISTS'), C('DONE'), S('A2 OK')]);
    const client = await connect(server);
    const idle = client.idle({ pollInterval: 10 });
    expect((await idle.next()).value).toEqual({ kind: 'exists', count: 3, mailbox: null });
    await idle.return();
    await server.done;
  });

  it('never sends an IDLE that was stopped while still queued', async () => {
    const server = await serve([...login(), C('A2 NOOP'), pause(50), S('A2 OK'), quiet(80)]);
    const client = await connect(server);
    const noop = client.noop();
    const idle = client.idle();
    await sleep(10);
    await idle.return();
    await noop;
    await server.done;
  });

  it('ends an IDLE iteration quietly when the session logs out, sending nothing after LOGOUT', async () => {
    const server = await serve([
      ...login(),
      C('A2 IDLE'),
      S('+ idling'),
      C('DONE'),
      S('A2 OK'),
      C('A3 LOGOUT'),
      S('* BYE', 'A3 OK'),
      // Neither the loop's next IDLE nor a command queued behind LOGOUT is written after its OK.
      quiet(80),
    ]);
    const client = await connect(server);
    const idle = client.idle();
    const next = idle.next();
    await sleep(30);
    const logout = client.logout();
    // Handled at once: it rejects at the BYE, which may come a read before LOGOUT's OK.
    const noop = expect(client.noop()).rejects.toBeInstanceOf(ConnectionClosedError);
    await logout;
    expect(await next).toEqual({ value: undefined, done: true });
    await noop;
    await server.done;
  });
});

describe('ImapClient: responses cut at every point', () => {
  it('assembles literals, bodies and events the same whatever the read boundaries', async () => {
    const body = 'Subject: cut\r\n\r\nline one\r\nline two\r\n';
    const transcript =
      `* 1 FETCH (UID 7 FLAGS (\\Seen) ENVELOPE (NIL {5}\r\nhello NIL NIL NIL NIL NIL NIL NIL NIL) BODY[] {${body.length}}\r\n${body})\r\n` +
      '* 2 EXISTS\r\n' +
      `* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\n` +
      'A3 OK done\r\n';
    for (const size of [1, 3, 7, 64]) {
      const server = await serve([...login(), ...selectInbox('A2', 1), C('A3 UID FETCH 7 (UID FLAGS ENVELOPE BODY.PEEK[])'), ...trickle(transcript, size)]);
      const client = await connect(server);
      await client.select('INBOX');
      const events = client.events();
      const got: string[] = [];
      for await (const message of client.fetch(uid(7), { flags: true, envelope: true, source: true })) {
        got.push((await message.body().collect()).toString());
        const attributes = await message.complete();
        got.push(attributes.envelope?.subject ?? 'none', String(attributes.flags));
      }
      expect(got).toEqual([body, 'hello', '\\Seen']);
      expect((await events.next()).value).toEqual({ kind: 'exists', count: 2, mailbox: 'INBOX' });
      expect((await events.next()).value).toMatchObject({ kind: 'fetch', seq: 1, flags: ['\\Seen', '\\Flagged'] });
      await events.return();
      client.destroy();
    }
  });
});
