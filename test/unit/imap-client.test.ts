import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  ConnectionClosedError,
  InvalidArgumentError,
  ServerError,
  TimeoutError,
  TlsError,
  UnsupportedError,
} from '../../src/common/errors.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { ImapClient } from '../../src/imap/client.js';
import type { MailboxEvent } from '../../src/imap/session.js';
import { uid } from '../../src/imap/wire/sequence-set.js';
import { C, S, hangUp, login, pause, quiet, raw, selectInbox, sleep, splitAt, until, waitEnd, useImapHarness, type FakeServer } from './imap/fake-server.js';

const { clients, serve, options, connect } = useImapHarness();

/** Collects events from a subscription in the background. */
function record(client: ImapClient): MailboxEvent[] {
  const events: MailboxEvent[] = [];
  void (async () => {
    try {
      for await (const event of client.events()) events.push(event);
    } catch {
      // the connection closed
    }
  })();
  return events;
}

describe('ImapClient: session set-up', () => {
  it('uses the capabilities of the greeting and of the LOGIN OK, then LOGOUT', async () => {
    const server = await serve([...login(), C('A2 LOGOUT'), S('* BYE Logging out', 'A2 OK Logout completed.'), waitEnd()]);
    const client = await connect(server);
    expect(client.state).toBe('authenticated');
    expect(client.hasCapability('idle')).toBe(true);
    expect(client.hasCapability('AUTH=PLAIN')).toBe(false); // from the LOGIN OK, not the greeting
    await client.logout();
    expect(client.state).toBe('logout');
    await server.done;
  });

  it('asks CAPABILITY when the greeting has none, and again after login', async () => {
    const server = await serve([
      S('* OK ready'),
      C('A1 CAPABILITY'),
      S('* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR', 'A1 OK done'),
      C(`A2 AUTHENTICATE PLAIN ${Buffer.from('\0alice\0secret').toString('base64')}`),
      S('A2 OK Logged in'),
      C('A3 CAPABILITY'),
      S('* CAPABILITY IMAP4rev1 IDLE', 'A3 OK done'),
    ]);
    const client = await connect(server, { auth: { username: 'alice', password: 'secret' } });
    await server.done;
    expect([...client.capabilities]).toEqual(['IMAP4REV1', 'IDLE']);
  });

  it('answers SASL challenges without SASL-IR and redacts them in the wire log', async () => {
    const log: WireLogEntry[] = [];
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'),
      C('A1 AUTHENTICATE PLAIN'),
      S('+ '),
      C(Buffer.from('\0alice\0secret').toString('base64')),
      S('A1 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    await connect(server, { auth: { username: 'alice', password: 'secret' }, logger: (entry) => log.push(entry) });
    await server.done;
    const clientLines = log.filter((entry) => entry.direction === 'client').map((entry) => entry.text);
    expect(clientLines).toContain('<redacted>');
    expect(JSON.stringify(log)).not.toContain(Buffer.from('\0alice\0secret').toString('base64'));
  });

  it('logs a UTF-8 character of a server line split across two reads once (the framer hands whole lines)', async () => {
    const log: WireLogEntry[] = [];
    const greeting = Buffer.from('* PREAUTH [CAPABILITY IMAP4rev1] Café ready\r\n', 'utf8');
    const server = await serve([...splitAt(greeting, [greeting.indexOf(0xa9)]), C('A1 NOOP'), S('A1 OK done')]);
    const client = await connect(server, { logger: (entry) => log.push(entry) });
    await client.noop();
    expect(log.filter((entry) => entry.direction === 'server').map((entry) => entry.text)).toContain('* PREAUTH [CAPABILITY IMAP4rev1] Café ready');
  });

  it('sends a password that needs a literal only after the + go-ahead', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1] ready'),
      C('A1 LOGIN bob {10}'),
      quiet(80),
      S('+ go ahead'),
      C(Buffer.from('pässwörd').toString('latin1')),
      S('A1 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    await connect(server, { auth: { username: 'bob', password: 'pässwörd', method: 'LOGIN' } });
    await server.done;
  });

  it('uses a non-synchronizing literal with LITERAL+, and quotes what can be quoted', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 LITERAL+] ready'),
      C('A1 LOGIN bob {10+}'),
      C(Buffer.from('pässwörd').toString('latin1')),
      S('A1 NO [AUTHENTICATIONFAILED] no'),
      C('A2 LOGIN bob "a\\"b\\\\c"'),
      S('A2 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    const client = new ImapClient(options(server, { auth: undefined }));
    clients.push(client);
    await client.connect();
    await expect(client.login({ username: 'bob', password: 'pässwörd', method: 'LOGIN' })).rejects.toBeInstanceOf(AuthenticationError);
    await client.login({ username: 'bob', password: 'a"b\\c', method: 'LOGIN' });
    await server.done;
  });

  it('refuses LOGIN when the server announces LOGINDISABLED, sending nothing', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready'), quiet(100)]);
    const client = new ImapClient(options(server));
    clients.push(client);
    await expect(client.connect()).rejects.toBeInstanceOf(UnsupportedError);
    expect(server.received).toEqual([]);
  });

  it('refuses to send credentials in clear unless allowed', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'), quiet(100)]);
    const client = new ImapClient(options(server, { allowCleartext: false }));
    clients.push(client);
    await expect(client.connect()).rejects.toBeInstanceOf(TlsError);
    expect(server.received).toEqual([]);
  });

  it('fails with TlsError in starttls mode when STARTTLS is not offered', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1] ready'), quiet(100)]);
    const client = new ImapClient(options(server, { tls: 'starttls', allowCleartext: false }));
    clients.push(client);
    await expect(client.connect()).rejects.toThrow(/STARTTLS/);
  });

  it('fails with TlsError when the server refuses STARTTLS, unless cleartext is allowed: then goes on as if it were not offered (as POP3 with STLS)', async () => {
    const refused = await serve([S('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready'), C('A1 STARTTLS'), S('A1 NO [UNAVAILABLE] not now')]);
    const strict = new ImapClient(options(refused, { tls: 'starttls', allowCleartext: false }));
    clients.push(strict);
    await expect(strict.connect()).rejects.toThrow(TlsError);
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready'),
      C('A1 STARTTLS'),
      S('A1 NO [UNAVAILABLE] not now'),
      C('A2 LOGIN alice secret'),
      S('A2 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    const client = new ImapClient(options(server, { tls: 'starttls', allowCleartext: true }));
    clients.push(client);
    await client.connect();
    await server.done;
    expect(client.secure).toBe(false);
    expect(client.state).toBe('authenticated');
  });

  it('refuses bytes injected after the STARTTLS go-ahead', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready'),
      C('A1 STARTTLS'),
      raw('A1 OK Begin TLS now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n'),
      waitEnd(),
    ]);
    const client = new ImapClient(options(server, { tls: 'starttls', allowCleartext: false }));
    clients.push(client);
    await expect(client.connect()).rejects.toBeInstanceOf(TlsError);
  });

  it('turns a LOGIN NO into an AuthenticationError with its code', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1] ready'),
      C('A1 LOGIN alice secret'),
      S('A1 NO [AUTHENTICATIONFAILED] Authentication failed.'),
    ]);
    const client = new ImapClient(options(server));
    clients.push(client);
    const error = await client.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ responseCode: 'AUTHENTICATIONFAILED', status: 'NO', serverText: 'Authentication failed.' });
  });

  it('reports a BYE greeting as a ServerError', async () => {
    const server = await serve([S('* BYE [UNAVAILABLE] too busy')]);
    const client = new ImapClient(options(server));
    clients.push(client);
    await expect(client.connect()).rejects.toMatchObject({ status: 'BYE', responseCode: 'UNAVAILABLE' });
  });
});

describe('ImapClient: pipelining and routing', () => {
  it('pipelines several commands and matches answers by tag', async () => {
    const server = await serve([
      ...login(),
      C('A2 NOOP'),
      C('A3 ID NIL'),
      C('A4 NAMESPACE'),
      S('* NAMESPACE (("" "/")) NIL NIL', 'A4 OK ns', '* ID ("name" "Dovecot")', 'A3 OK id', 'A2 OK noop'),
    ]);
    const client = await connect(server);
    const [, id, ns] = await Promise.all([client.noop(), client.id(), client.namespace()]);
    expect(id).toEqual({ name: 'Dovecot' });
    expect(ns.personal).toEqual([{ prefix: '', delimiter: '/' }]);
  });

  it('selects a mailbox into a typed MailboxState and rejects NO with its code', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 SELECT Nope'),
      S('A3 NO [NONEXISTENT] Mailbox doesn\'t exist: Nope'),
    ]);
    const client = await connect(server);
    const mailbox = await client.select('INBOX');
    expect(mailbox).toMatchObject({ name: 'INBOX', exists: 3, uidValidity: 1700000000, uidNext: 4, highestModseq: 42n, readOnly: false });
    expect(mailbox.permanentFlags).toContain('\\*');
    expect(client.state).toBe('selected');
    const error = await client.select('Nope').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ command: 'SELECT', status: 'NO', responseCode: 'NONEXISTENT' });
    expect(client.state).toBe('authenticated');
  });

  it('leaves the state of the mailbox being left alone while SELECT reports another (RFC 9051 section 6.3.2)', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 10),
      C('A3 SELECT Archive'),
      S(
        '* OK [CLOSED] Previous mailbox closed',
        '* FLAGS (\\Seen)',
        '* 2 EXISTS',
        '* OK [UIDVALIDITY 5] UIDs valid',
        '* OK [UIDNEXT 3] Predicted next UID',
        '* OK [HIGHESTMODSEQ 7] Highest',
        'A3 OK [READ-WRITE] Select completed',
      ),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const inbox = client.mailbox;
    await client.select('Archive');
    expect(inbox).toMatchObject({ name: 'INBOX', exists: 10, uidValidity: 1700000000, uidNext: 11, highestModseq: 42n });
    expect(inbox?.flags).toContain('\\Deleted');
    expect(client.mailbox).toMatchObject({ name: 'Archive', exists: 2, uidValidity: 5, uidNext: 3, highestModseq: 7n, flags: ['\\Seen'] });
  });

  it('routes an unsolicited FETCH and EXPUNGE during a FETCH to the event stream', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 UID FETCH 1:3 (UID FLAGS RFC822.SIZE)'),
      S(
        '* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 100)',
        '* 3 FETCH (FLAGS (\\Flagged) UID 9)', // another session's flag change, not in the set
        '* 2 EXPUNGE',
        '* 2 FETCH (UID 3 FLAGS () RFC822.SIZE 300)',
        'A3 OK Fetch completed',
      ),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const events = record(client);
    const messages = [];
    for await (const message of client.fetch('1:3', { flags: true, size: true })) messages.push(message);
    expect(messages.map((message) => [message.uid, message.attributes.size])).toEqual([[1, 100], [3, 300]]);
    await sleep(10);
    expect(events).toEqual([
      expect.objectContaining({ kind: 'fetch', seq: 3, uid: 9, flags: ['\\Flagged'] }),
      { kind: 'expunge', seq: 2, mailbox: 'INBOX' },
    ]);
    expect(client.mailbox?.exists).toBe(2);
  });

  it('takes the last message as the answer to `N:*` when every UID is below N (RFC 9051 section 6.4.9)', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 UID FETCH 500:* (UID FLAGS)'),
      S('* 2 FETCH (UID 50 FLAGS (\\Seen))', '* 3 FETCH (UID 99 FLAGS ())', 'A3 OK Fetch completed'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const events = record(client);
    const messages = [];
    for await (const message of client.fetch('500:*', { flags: true })) messages.push(message.uid);
    expect(messages).toEqual([99]);
    await sleep(10);
    expect(events).toEqual([expect.objectContaining({ kind: 'fetch', seq: 2, uid: 50 })]);
  });

  it('parses literals in the middle of a response (ENVELOPE) and streams body literals', async () => {
    const subject = 'Hello {world}\r\nfolded';
    const body = 'Subject: x\r\n\r\nbody bytes\r\n';
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1 (UID ENVELOPE BODY.PEEK[])'),
      raw(
        `* 1 FETCH (UID 1 ENVELOPE ("Mon, 1 Jan 2024 00:00:00 +0000" {${subject.length}}\r\n${subject} ` +
          `(("Al" NIL "al" "example.com")) NIL NIL NIL NIL NIL NIL "<id@x>") BODY[] {${body.length}}\r\n${body})\r\n` +
          'A3 OK done\r\n',
      ),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    for await (const message of client.fetch(uid(1), { envelope: true, source: true })) {
      expect((await message.body().collect()).toString()).toBe(body);
      const attributes = await message.complete();
      expect(attributes.envelope?.subject).toBe(subject);
      expect(attributes.envelope?.from[0]?.address).toBe('al@example.com');
    }
  });

  it('runs a command issued inside a fetch loop without deadlock', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 UID FETCH 1:* (UID FLAGS)'),
      S('* 1 FETCH (UID 1 FLAGS ())'),
      C('A4 NOOP'),
      S('* 2 FETCH (UID 2 FLAGS ())', '* 3 FETCH (UID 3 FLAGS ())', 'A3 OK fetch done', 'A4 OK noop done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const uids = [];
    for await (const message of client.fetch('1:*', { flags: true })) {
      uids.push(message.uid);
      if (message.uid === 1) await client.noop();
    }
    expect(uids).toEqual([1, 2, 3]);
  });

  it('rejects every pending command at once on BYE', async () => {
    const server = await serve([
      ...login(),
      C('A2 NOOP'),
      C('A3 NAMESPACE'),
      S('* BYE [UNAVAILABLE] Server shutting down'),
      // The script ends here and the socket stays open: the rejections must not wait for it.
    ]);
    const client = await connect(server);
    const events = record(client);
    const results = await Promise.allSettled([client.noop(), client.namespace()]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionClosedError);
    }
    for (const result of results) expect((result as PromiseRejectedResult).reason).toMatchObject({ status: 'BYE', responseCode: 'UNAVAILABLE', serverText: 'Server shutting down' });
    expect(events).toContainEqual({ kind: 'bye', code: { kind: 'UNAVAILABLE' }, text: 'Server shutting down' });
    await expect(client.noop()).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it("carries the BYE's status, response code, its data and text on the ConnectionClosedError", async () => {
    const server = await serve([...login(), C('A2 NOOP'), S('* BYE [REFERRAL imap://other.example.com/] Moved, try there'), waitEnd()]);
    const client = await connect(server);
    const error = await client.noop().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    const farewell = { status: 'BYE', responseCode: 'REFERRAL', responseCodeData: 'imap://other.example.com/', serverText: 'Moved, try there' };
    expect(error).toMatchObject(farewell);
    expect((error as Error).message).toBe('The server closed the session: BYE [REFERRAL imap://other.example.com/] Moved, try there');
    // A call made after it is refused with an error whose cause is the BYE's.
    const later = await client.noop().catch((caught: unknown) => caught);
    expect((later as Error).cause).toBe(error);
  });

  it('leaves those fields unset when the connection just drops', async () => {
    const server = await serve([...login(), C('A2 NOOP'), hangUp()]);
    const client = await connect(server);
    const error = await client.noop().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    const { status, responseCode, serverText } = error as ConnectionClosedError;
    expect([status, responseCode, serverText]).toEqual([undefined, undefined, undefined]);
  });

  it('rejects a fetch at once on BYE while a LOGOUT waits behind it', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 2),
      C('A3 UID FETCH 1:2 (UID FLAGS)'),
      S('* 1 FETCH (UID 1 FLAGS ())'),
      until(() => loggingOut),
      S('* BYE [UNAVAILABLE] Server shutting down'),
      // The socket stays open until the client closes it: the fetch must not wait for that.
      waitEnd(),
    ]);
    let loggingOut = false;
    const client = await connect(server);
    await client.select('INBOX');
    const messages = client.fetch('1:2', { flags: true });
    expect((await messages.next()).value?.uid).toBe(1);
    const logout = client.logout(); // exclusive: queued behind the fetch
    loggingOut = true;
    await expect(messages.next()).rejects.toBeInstanceOf(ConnectionClosedError);
    await logout;
    expect(client.state).toBe('logout');
  });

  it('fails the body stream and the fetch when the connection drops mid-literal', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1 (UID BODY.PEEK[])'),
      raw('* 1 FETCH (UID 1 BODY[] {1000}\r\nonly part of it'),
      pause(20),
      hangUp(),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const iterator = client.fetch(uid(1), { source: true });
    const first = await iterator.next();
    expect(first.done).toBe(false);
    const message = first.value;
    await expect(message.body().collect()).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(iterator.next()).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(client.state).toBe('logout');
  });

  it('turns BAD into a ServerError and keeps the session usable', async () => {
    const server = await serve([...login(), C('A2 ENABLE FOO'), S('A2 BAD [CLIENTBUG] Unknown'), C('A3 NOOP'), S('A3 OK')]);
    const client = await connect(server);
    await expect(client.enable(['FOO'])).rejects.toMatchObject({ status: 'BAD', responseCode: 'CLIENTBUG' });
    await client.noop();
  });

  it('refuses a command in the wrong state before sending it', async () => {
    const server = await serve([...login(), quiet(50)]);
    const client = await connect(server);
    await expect(client.fetch('1', { flags: true }).next()).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('ImapClient: abort and timeouts', () => {
  it('rejects an aborted call at once and drops its late answer', async () => {
    const server = await serve([...login(), C('A2 NOOP'), pause(150), S('A2 OK late'), C('A3 NOOP'), S('A3 OK')]);
    const client = await connect(server);
    const controller = new AbortController();
    const noop = client.noop({ signal: controller.signal });
    setTimeout(() => { controller.abort(); }, 20);
    await expect(noop).rejects.toBeInstanceOf(AbortError);
    await client.noop();
    await server.done;
  });

  it('withdraws a queued call on timeout', async () => {
    const server = await serve([...login(), C('A2 NOOP'), pause(100), S('A2 OK'), quiet(50)]);
    const client = await connect(server);
    const first = client.noop();
    const second = client.logout({ timeout: 30 }); // LOGOUT is exclusive: it waits behind NOOP
    await expect(second).resolves.toBeUndefined(); // logout never rejects; the timeout withdrew it
    await first.catch(() => undefined);
  });

  it('closes the connection when the server is silent past commandTimeout', async () => {
    const server = await serve([...login(), C('A2 NOOP'), pause(1_000)]);
    const client = await connect(server, { commandTimeout: 100 });
    await expect(client.noop()).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe('ImapClient: IDLE', () => {
  it('yields events, ends IDLE for another command, resumes it, and sends DONE on return', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 IDLE'),
      S('+ idling', '* 2 EXISTS'),
      C('DONE'),
      S('A3 OK Idle completed'),
      C('A4 NOOP'),
      S('A4 OK'),
      C('A5 IDLE'),
      S('+ idling', '* 1 EXPUNGE'),
      C('DONE'),
      S('A5 OK Idle completed'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const seen: MailboxEvent[] = [];
    for await (const event of client.idle()) {
      seen.push(event);
      if (event.kind === 'exists') await client.noop();
      if (event.kind === 'expunge') break;
    }
    expect(seen).toEqual([{ kind: 'exists', count: 2, mailbox: 'INBOX' }, { kind: 'expunge', seq: 1, mailbox: 'INBOX' }]);
    await server.done;
  });

  it('re-issues IDLE after restartAfter', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 IDLE'),
      S('+ idling'),
      C('DONE'),
      S('A3 OK'),
      C('A4 IDLE'),
      S('+ idling', '* 5 EXISTS'),
      C('DONE'),
      S('A4 OK'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    for await (const event of client.idle({ restartAfter: 50 })) {
      expect(event).toEqual({ kind: 'exists', count: 5, mailbox: 'INBOX' });
      break;
    }
    await server.done;
  });

  it('clears its restart timer also when the server sends a second continuation while idling', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 IDLE'),
      S('+ idling', '+ still here', '* 2 EXISTS'),
      C('DONE'),
      S('A3 OK Idle completed'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    // The restart timers, told apart from the others by their delay.
    const restartAfter = 1_234_567;
    const armed = new Set<unknown>();
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation((handler: () => void, ms?: number) => {
      const timer = realSetTimeout(handler, ms);
      if (ms === restartAfter) armed.add(timer);
      return timer;
    });
    const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation((timer?: Parameters<typeof clearTimeout>[0]) => {
      armed.delete(timer);
      realClearTimeout(timer);
    });
    try {
      for await (const event of client.idle({ restartAfter })) {
        expect(event).toEqual({ kind: 'exists', count: 2, mailbox: 'INBOX' });
        break;
      }
      await server.done;
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
    // A timer left armed would keep the process alive for restartAfter after the IDLE ended.
    expect(armed.size).toBe(0);
  });

  it('polls with NOOP where IDLE is absent', async () => {
    const server = await serve([
      ...login('IMAP4rev1'),
      C('A2 NOOP'),
      S('* 4 EXISTS', 'A2 OK'),
      quiet(20),
    ]);
    const client = await connect(server);
    for await (const event of client.idle({ pollInterval: 20 })) {
      expect(event).toEqual({ kind: 'exists', count: 4, mailbox: null });
      break;
    }
  });
});

describe('ImapClient: streamed bodies', () => {
  it('stops reading while a body stream is full, then delivers every byte', async () => {
    const size = 48 * 1024 * 1024;
    const body = Buffer.alloc(size, 'x');
    body.write('Subject: big\r\n\r\n');
    let stalled = false;
    const holder: { server?: FakeServer } = {};
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 UID FETCH 1 (UID BODY.PEEK[])'),
      raw(Buffer.concat([Buffer.from(`* 1 FETCH (UID 1 BODY[] {${size}}\r\n`), body, Buffer.from(')\r\nA3 OK done\r\n')])),
      until(() => {
        stalled ||= (holder.server?.socket()?.writableLength ?? 0) > 8 * 1024 * 1024;
        return stalled;
      }),
    ]);
    holder.server = server;
    const client = await connect(server, { limits: { bodyHighWaterMark: 64 * 1024 } });
    await client.select('INBOX');
    for await (const message of client.fetch(uid(1), { source: true })) {
      const stream = message.body();
      await waitUntil(() => stalled, 5_000);
      const hash = createHash('sha256');
      for await (const chunk of stream) hash.update(chunk);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    }
    expect(stalled).toBe(true);
  });
});

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await sleep(5);
  }
}
