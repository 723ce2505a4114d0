// The common Mailbox without a server: URL parsing, ids, header summaries, and POP3 edge cases
// (no UIDL, no TOP) and watches stopped while the server stalls, played from inline transcripts.
import { describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, MailwireError, ProtocolError, ServerError, UnsupportedError } from '../../src/common/errors.js';
import {
  headerPart,
  imapMessageId,
  isTransient,
  parseMessageId,
  pop3MessageId,
  summarizeHeader,
  UidValidityChangedError,
  type WatchEvent,
} from '../../src/common/mailbox.js';
import { ImapMailbox } from '../../src/imap/mailbox.js';
import type { ImapLimits } from '../../src/imap/options.js';
import { openMailbox, parseMailboxUrl } from '../../src/open-mailbox.js';
import { Pop3Mailbox } from '../../src/pop3/mailbox.js';
import { parseTranscript, replayConnector } from '../../src/testing/index.js';

describe('parseMailboxUrl', () => {
  it.each([
    ['imaps://alice@mail.example.com', { protocol: 'imap', implicitTls: true, host: 'mail.example.com', port: 993, username: 'alice', method: undefined, mailbox: 'INBOX' }],
    ['imap://alice@mail.example.com:1143/', { protocol: 'imap', implicitTls: false, port: 1143, mailbox: 'INBOX' }],
    ['pop3s://bob@pop.example.com', { protocol: 'pop3', implicitTls: true, port: 995, username: 'bob', mailbox: undefined }],
    ['pop3://bob@pop.example.com', { protocol: 'pop3', implicitTls: false, port: 110 }],
    ['IMAPS://alice%40example.com@[::1]/Archive%2F2024', { host: '::1', username: 'alice@example.com', mailbox: 'Archive/2024' }],
    ['imaps://alice@host/Archive/2024', { mailbox: 'Archive/2024' }],
    ['imaps://alice@host/%E2%9C%93%20Done', { mailbox: '✓ Done' }],
    ['imap://alice;AUTH=scram-sha-256@host', { username: 'alice', method: 'SCRAM-SHA-256' }],
    ['imap://alice;AUTH=*@host', { method: undefined }],
    ['pop3://bob;AUTH=+APOP@host', { method: 'APOP' }],
    // The last "@" ends the user, as the URL parser reads the host.
    ['imap://alice@example.com@mail.host.test/INBOX', { username: 'alice@example.com', host: 'mail.host.test' }],
    ['imap://alice@example.com;AUTH=PLAIN@mail.host.test', { username: 'alice@example.com', method: 'PLAIN', host: 'mail.host.test' }],
    ['imaps://alice@bücher.example', { host: 'xn--bcher-kva.example' }],
    ['imaps://alice@ex%61mple.com', { host: 'example.com' }],
    // RFC 5092: a raw ";" ends the name; a ";" in a name is %3B.
    ['imap://alice@host/INBOX;UIDVALIDITY=385759045', { mailbox: 'INBOX', uidValidity: 385759045 }],
    ['imap://alice@host/Semi%3Bcolon', { mailbox: 'Semi;colon' }],
  ])('%s', (url, expected) => {
    expect(parseMailboxUrl(url)).toMatchObject(expected);
  });

  it.each([
    ['https://alice@example.com', /Unsupported URL scheme "https:"/],
    ['imaps://example.com', /has no user/],
    ['imaps://alice@/', /has no host|Not a URL/],
    ['pop3s://bob@example.com/INBOX', /POP3 URL has no path/],
    ['imaps://alice@example.com/INBOX?x=1', /query or a fragment/],
    ['imaps://alice@example.com/INBOX#x', /query or a fragment/],
    ['imaps://alice;FOO=1@example.com', /Unknown parameter/],
    ['not a url', /Not a URL/],
    ['imap://alice;AUTH=%ZZ@host', /not valid percent-encoding/],
    ['imap://alice@host/INBOX;UIDVALIDITY=385759045/;UID=20', /names more than a mailbox/],
    ['imap://alice@host/INBOX;FOO=1', /names more than a mailbox/],
    ['imap://alice@host/INBOX;UIDVALIDITY=0', /names more than a mailbox/],
    ['pop3://bob@host/;UIDVALIDITY=1', /POP3 URL has no path/],
    ['imaps://alice@host:0/', /port of the mailbox URL must be from 1 to 65535/],
    ['pop3://bob@host:00', /port of the mailbox URL must be from 1 to 65535/],
    ['imaps://alice@host:99999/', /port of the mailbox URL must be from 1 to 65535/],
    ['imaps://alice@[::1]:65536', /port of the mailbox URL must be from 1 to 65535/],
  ])('refuses %s', (url, message) => {
    expect(() => parseMailboxUrl(url)).toThrow(InvalidArgumentError);
    expect(() => parseMailboxUrl(url)).toThrow(message);
  });

  it.each([
    ['imaps://alice;hunter2-secret@example.com/INBOX', /must start a parameter/],
    // A password with "=" in it reads as an unknown parameter: not named either.
    ['imaps://alice;hunter2=secret@example.com/INBOX', /Unknown parameter/],
  ])('refuses %s without repeating what follows ";" in the user part (a password typed after ";")', (url, message) => {
    const error = (() => {
      try {
        parseMailboxUrl(url);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String(error)).toMatch(message);
    expect(String(error)).not.toContain('hunter2');
  });

  it('refuses a password in the URL without repeating it, and opens nothing', async () => {
    const logged: string[] = [];
    let connected = false;
    const error = await openMailbox('imaps://alice:hunter2-secret@example.com/INBOX', {
      logger: (entry) => logged.push(entry.text),
      connector: () => {
        connected = true;
        return Promise.reject(new Error('must not connect'));
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String(error)).not.toContain('hunter2');
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(String(error)).toMatch(/options\.password/);
    expect(logged).toEqual([]);
    expect(connected).toBe(false);
  });

  it.each([
    ['imaps://alice%00@example.com', /user name .*NUL, CR or LF/],
    ['imaps://alice%0D%0ANOOP@example.com', /user name .*NUL, CR or LF/],
    ['imap://alice;AUTH=PLAIN%0A@example.com', /;AUTH= parameter .*NUL, CR or LF/],
    ['imaps://alice@example.com/INBOX%00', /mailbox name .*NUL, CR or LF/],
    ['imaps://alice@example.com/A%0Db', /mailbox name .*NUL, CR or LF/],
    ['pop3s://bob%0A@example.com', /user name .*NUL, CR or LF/],
  ])('refuses %s when parsing (no command could carry a NUL, CR or LF)', (url, message) => {
    expect(() => parseMailboxUrl(url)).toThrow(InvalidArgumentError);
    expect(() => parseMailboxUrl(url)).toThrow(message);
    expect(() => parseMailboxUrl(new URL(url))).toThrow(message);
  });

  it('refuses a password holding %00 in the URL without repeating it', async () => {
    const error = await openMailbox('imaps://alice:hunter2%00secret@example.com/INBOX', {
      connector: () => Promise.reject(new Error('must not connect')),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String(error)).toMatch(/password/);
    expect(String(error)).not.toContain('hunter2');
    expect(String(error)).not.toContain('secret');
  });

  it('reads a URL object as its text form, ;AUTH= included', () => {
    expect(parseMailboxUrl(new URL('imap://alice;AUTH=PLAIN@host'))).toMatchObject({ username: 'alice', method: 'PLAIN', host: 'host' });
    expect(parseMailboxUrl(new URL('imaps://alice%40example.com@host'))).toMatchObject({ username: 'alice@example.com', method: undefined });
  });

  it('refuses a login method mailwire does not know, for both protocols alike, before connecting', async () => {
    let connections = 0;
    const connector = (): Promise<never> => {
      connections++;
      return Promise.reject(new Error('must not connect'));
    };
    for (const url of ['imaps://alice;AUTH=GSSAPI@example.com', 'pop3s://alice;AUTH=GSSAPI@example.com']) {
      const error = await openMailbox(url, { password: 'x', connector }).catch((caught: unknown) => caught);
      expect(error, url).toBeInstanceOf(InvalidArgumentError);
      expect(String(error), url).toMatch(/Unknown login method "GSSAPI"/);
    }
    for (const url of ['imaps://alice@example.com', 'pop3s://alice@example.com']) {
      const error = await openMailbox(url, { password: 'x', connector, method: 'NTLM' as 'auto' }).catch((caught: unknown) => caught);
      expect(error, url).toBeInstanceOf(InvalidArgumentError);
    }
    expect(connections).toBe(0);
  });

  it('refuses a POP3 login method on an IMAP URL', async () => {
    await expect(openMailbox('imaps://alice@example.com', { method: 'APOP' })).rejects.toThrow(/POP3 login method/);
  });

  it('refuses mailbox options of the wrong type, for both protocols, before connecting', async () => {
    let connections = 0;
    const connector = (): Promise<never> => {
      connections++;
      return Promise.reject(new Error('must not connect'));
    };
    // As from plain JavaScript: 'false' is truthy text, not false; treated as "not true" it would
    // delete every retrieved message.
    const bad = [
      [{ leaveOnServer: 'true' as unknown as boolean }, /leaveOnServer must be a boolean, got "true"/],
      [{ leaveOnServer: 1 as unknown as boolean }, /leaveOnServer must be a boolean/],
      [{ headerFallback: 'retreive' as 'retrieve' }, /headerFallback must be 'error' or 'retrieve', got "retreive"/],
      [{ watchConnector: 'socket' as unknown as undefined }, /watchConnector must be a function/],
    ] as const;
    for (const url of ['imaps://alice@example.com', 'pop3s://alice@example.com']) {
      for (const [options, message] of bad) {
        const error = await openMailbox(url, { password: 'x', connector, ...options }).catch((caught: unknown) => caught);
        expect(error, `${url} ${JSON.stringify(options)}`).toBeInstanceOf(InvalidArgumentError);
        expect(String(error)).toMatch(message);
      }
    }
    const client = { host: 'example.com', connector, auth: { username: 'alice', password: 'x' } };
    await expect(Pop3Mailbox.open({ client, leaveOnServer: 'yes' as unknown as boolean })).rejects.toThrow(/leaveOnServer must be a boolean/);
    expect(connections).toBe(0);
  });
});

describe('message ids', () => {
  it('round-trips the text form', () => {
    const imap = imapMessageId(1700000000, 42);
    expect(imap.key).toBe('imap:1700000000:42');
    expect(parseMessageId(imap.key)).toEqual(imap);
    const pop3 = pop3MessageId('000000016b09c3a8');
    expect(pop3.key).toBe('pop3:000000016b09c3a8');
    expect(parseMessageId(pop3.key)).toEqual(pop3);
    expect(() => parseMessageId('smtp:1')).toThrow(InvalidArgumentError);
  });

  it('refuses IMAP keys whose UIDVALIDITY or UID is 0, above 2^32-1, or written with leading zeros', () => {
    expect(parseMessageId('imap:4294967295:4294967295')).toEqual(imapMessageId(4294967295, 4294967295));
    expect(parseMessageId('imap:1:1')).toEqual(imapMessageId(1, 1));
    for (const key of ['imap:0:5', 'imap:7:0', 'imap:4294967296:5', 'imap:7:9999999999', 'imap:007:5', 'imap:7:05', 'imap:00:1']) {
      expect(() => parseMessageId(key), key).toThrow(InvalidArgumentError);
    }
  });

  it('UidValidityChangedError names both values and has a code of its own', () => {
    const error = new UidValidityChangedError('INBOX', 1, 2);
    expect(error).toBeInstanceOf(MailwireError);
    expect(error.code).toBe('UIDVALIDITY_CHANGED');
    expect(error.message).toMatch(/from 1 to 2/);
    expect([error.mailbox, error.expected, error.actual]).toEqual(['INBOX', 1, 2]);
  });
});

describe('summarizeHeader', () => {
  const raw = Buffer.from(
    'From: =?ISO-8859-1?Q?J=F6rg?= <joerg@example.com>\r\n' +
      'To: "Doe, Jane" <jane@example.com>, bob@example.com\r\n' +
      'Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n  und mehr\r\n' +
      'Date: Fri, 27 Nov 2026 10:00:00 +0100 (CET)\r\n' +
      'Message-ID: <m1@example.com>\r\n\r\nbody text\r\n',
  );

  it('decodes RFC 2047 words, addresses and the date; keeps the raw header only', () => {
    const summary = summarizeHeader(pop3MessageId('u1'), raw);
    expect(summary.from).toEqual([{ name: 'Jörg', address: 'joerg@example.com', group: null }]);
    expect(summary.to.map((address) => address.address)).toEqual(['jane@example.com', 'bob@example.com']);
    expect(summary.to[0]?.name).toBe('Doe, Jane');
    expect(summary.subject).toBe('Grüße  und mehr');
    expect(summary.date?.toISOString()).toBe('2026-11-27T09:00:00.000Z');
    expect(summary.messageId).toBe('<m1@example.com>');
    expect(Buffer.from(summary.raw).toString()).not.toContain('body text');
    expect(Buffer.from(summary.raw).toString()).toMatch(/\r\n\r\n$/);
  });

  it('headerPart accepts bare LF and a header without a body', () => {
    expect(Buffer.from(headerPart(Buffer.from('A: 1\nB: 2\n\nbody'))).toString()).toBe('A: 1\nB: 2\n\n');
    expect(Buffer.from(headerPart(Buffer.from('A: 1\r\n'))).toString()).toBe('A: 1\r\n');
  });
});

const GREETING = 'S: +OK ready\n';
const LOGIN = 'C: USER carol\nS: +OK\nC: PASS <redacted>\nS: +OK Logged in.\n';

function pop3Transcript(capa: string, afterLogin: string): string {
  return `# mailwire transcript v1\n# protocol: pop3\n# tls: implicit\n\n${pop3Session(capa, afterLogin)}@end\n`;
}

/** UIDL and LIST answered for a maildrop whose message n has the n-th of `uidls`, each of `size` octets. */
function pop3Listing(uidls: readonly string[], size: number): string {
  const lines = (make: (uidl: string, number: number) => string): string => uidls.map((uidl, index) => `S: ${make(uidl, index + 1)}\n`).join('');
  return `C: UIDL\nS: +OK\n${lines((uidl, number) => `${number} ${uidl}`)}S: .\nC: LIST\nS: +OK\n${lines((_, number) => `${number} ${size}`)}S: .\n`;
}

/** One POP3 session of a transcript: greeting, CAPA, login, then `afterLogin`. */
function pop3Session(capa: string, afterLogin: string): string {
  return `${GREETING}C: CAPA\n${capa}${LOGIN}C: CAPA\n${capa}C: STAT\nS: +OK 1 120\n${afterLogin}`;
}

const clientOptions = (transcript: string) => ({
  host: 'replay.invalid',
  port: 995,
  tls: 'implicit' as const,
  connector: replayConnector(parseTranscript(transcript)),
  auth: { username: 'carol', password: 'x', method: 'USER' as const },
});

describe('POP3 mailbox edge cases (replayed)', () => {
  it('a server without UIDL: UnsupportedError saying so', async () => {
    const capa = 'S: +OK\nS: USER\nS: TOP\nS: .\n';
    const transcript = pop3Transcript(capa, 'C: QUIT\nS: +OK Bye\n@close server\n');
    const error = await Pop3Mailbox.open({ client: clientOptions(transcript) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(String(error)).toMatch(/has no UIDL/);
  });

  it('a server whose CAPA lists UIDL: a -ERR to UIDL is its error, not a missing UIDL (RFC 3206 SYS/TEMP stays transient)', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: RESP-CODES\nS: .\n';
    const transcript = pop3Transcript(capa, 'C: UIDL\nS: -ERR [SYS/TEMP] index being rebuilt\n@close server\n');
    const error = await Pop3Mailbox.open({ client: clientOptions(transcript) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ responseCode: 'SYS/TEMP', serverText: 'index being rebuilt' });
    expect(isTransient(error)).toBe(true);
  });

  it('two messages with the same UIDL: both listed, an id that cannot tell them apart is a ProtocolError, each reachable by number', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    const listing = 'C: UIDL\nS: +OK\nS: 1 dup\nS: 2 u2\nS: 3 dup\nS: .\nC: LIST\nS: +OK\nS: 1 100\nS: 2 200\nS: 3 300\nS: .\n';
    const afterwards = 'C: TOP 1 0\nS: +OK\nS: Subject: one\nS: \nS: .\nC: TOP 3 0\nS: +OK\nS: Subject: three\nS: \nS: .\n' +
      'C: DELE 1\nS: +OK\nC: RETR 3\nS: +OK\nS: Subject: three\nS: \nS: .\nC: QUIT\nS: +OK Bye\n@close server\n';
    const options = clientOptions(pop3Transcript(capa, listing + afterwards).replace('S: +OK 1 120', 'S: +OK 3 600'));
    const mailbox = await Pop3Mailbox.open({ client: options, leaveOnServer: true });
    expect((await mailbox.list()).map((info) => [info.id.key, info.size])).toEqual([['pop3:dup', 100], ['pop3:u2', 200], ['pop3:dup', 300]]);
    const error = await mailbox.fetch(pop3MessageId('dup')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(String(error)).toMatch(/messages 1 and 3 .*same UIDL "dup"/);
    await expect(mailbox.delete([pop3MessageId('dup')])).rejects.toBeInstanceOf(ProtocolError);
    const subjects: (string | null)[] = [];
    for await (const summary of mailbox.headers([pop3MessageId('dup')])) subjects.push(summary.subject);
    expect(subjects).toEqual(['one', 'three']);
    // Once one of them is marked deleted (by number, on the client), the id names the other.
    await mailbox.client!.delete(1);
    expect(Buffer.from(await (await mailbox.fetch(pop3MessageId('dup'))).bytes()).toString()).toBe('Subject: three\r\n\r\n');
    await mailbox.close();
    await options.connector.close();
  });

  it('a watch on a server that gives several messages one UIDL reports each message that comes or goes', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    const quit = 'C: QUIT\nS: +OK Bye\n@close server\n';
    const poll = (...uidls: string[]): string => pop3Session(capa, pop3Listing(uidls, 100) + quit);
    const main = clientOptions(pop3Transcript(capa, pop3Listing(['dup', 'dup', 'u3'], 100) + quit));
    // One of the two "dup" goes, then the other, then two more "dup" arrive.
    const watchReplay = replayConnector(parseTranscript(
      `# mailwire transcript v1\n# protocol: pop3\n# tls: implicit\n\n${[poll('dup', 'u3'), poll('u3'), poll('u3', 'dup', 'dup')].join('@connect\n')}@end\n`,
    ));
    const mailbox = await Pop3Mailbox.open({ client: main, watchConnector: watchReplay });
    const controller = new AbortController();
    const events: WatchEvent[] = [];
    try {
      for await (const event of mailbox.watch({ signal: controller.signal, interval: 1 })) {
        events.push(event);
        if (events.length === 4) controller.abort();
      }
      watchReplay.assertDone();
    } finally {
      await mailbox.close();
      await watchReplay.close();
      await main.connector.close();
    }
    const dup = pop3MessageId('dup');
    expect(events).toEqual([
      { kind: 'removed', id: dup },
      { kind: 'removed', id: dup },
      { kind: 'new', id: dup, size: 100, flags: undefined },
      { kind: 'new', id: dup, size: 100, flags: undefined },
    ]);
  });

  it('a watch starts from the session\'s snapshot (what list() shows): mail that came after login and before watch() is reported', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    const quit = 'C: QUIT\nS: +OK Bye\n@close server\n';
    const main = clientOptions(pop3Transcript(capa, pop3Listing(['u1'], 120) + quit));
    // u2 is there at the watch's first login: it arrived before watch() was called.
    const watchReplay = replayConnector(parseTranscript(pop3Transcript(capa, pop3Listing(['u1', 'u2'], 120) + quit)));
    const mailbox = await Pop3Mailbox.open({ client: main, watchConnector: watchReplay });
    const controller = new AbortController();
    const events: WatchEvent[] = [];
    try {
      const watch = mailbox.watch({ signal: controller.signal, interval: 1 });
      await watch.ready; // at once: the baseline is the snapshot, no login needed
      expect(watchReplay.connections).toBe(0);
      for await (const event of watch) {
        events.push(event);
        controller.abort();
      }
      watchReplay.assertDone();
    } finally {
      await mailbox.close();
      await watchReplay.close();
      await main.connector.close();
    }
    expect(events).toEqual([{ kind: 'new', id: pop3MessageId('u2'), size: 120, flags: undefined }]);
  });

  it('a server whose UIDL and LIST name more messages than STAT counted: every listed id can be fetched', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    // STAT (in pop3Transcript) says 1 message; UIDL and LIST name 2.
    const options = clientOptions(pop3Transcript(capa, `${pop3Listing(['a', 'b'], 10)}C: RETR 2\nS: +OK\nS: second\nS: .\nC: QUIT\nS: +OK Bye\n@close server\n`));
    const mailbox = await Pop3Mailbox.open({ client: options, leaveOnServer: true });
    try {
      const listed = await mailbox.list();
      expect(listed.map((info) => info.id.key)).toEqual(['pop3:a', 'pop3:b']);
      expect(Buffer.from(await (await mailbox.fetch(listed[1]!.id)).bytes()).toString()).toBe('second\r\n');
    } finally {
      await mailbox.close();
      options.connector.assertDone();
      await options.connector.close();
    }
  });

  it('UIDL naming a message LIST left out: its size is asked for alone (LIST n); 0 only when the server will not say', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    const listing = 'C: UIDL\nS: +OK\nS: 1 a\nS: 2 b\nS: 3 c\nS: .\nC: LIST\nS: +OK\nS: 1 100\nS: .\n' +
      'C: LIST 2\nS: +OK 2 200\nC: LIST 3\nS: -ERR no such message\n';
    const options = clientOptions(pop3Transcript(capa, `${listing}C: QUIT\nS: +OK Bye\n@close server\n`).replace('S: +OK 1 120', 'S: +OK 3 600'));
    const mailbox = await Pop3Mailbox.open({ client: options, leaveOnServer: true });
    try {
      expect((await mailbox.list()).map((info) => [info.id.key, info.size])).toEqual([['pop3:a', 100], ['pop3:b', 200], ['pop3:c', 0]]);
    } finally {
      await mailbox.close();
      options.connector.assertDone();
      await options.connector.close();
    }
  });

  it('LIST naming a message UIDL left out: its unique-id is asked for alone (UIDL n); one the server will not name is in withoutUidl, reachable by number', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    const listing = 'C: UIDL\nS: +OK\nS: 1 a\nS: .\nC: LIST\nS: +OK\nS: 1 100\nS: 2 200\nS: 3 300\nS: .\n' +
      'C: UIDL 2\nS: +OK 2 b\nC: UIDL 3\nS: -ERR no unique-id yet\n';
    const afterwards = 'C: RETR 3\nS: +OK\nS: third\nS: .\nC: DELE 3\nS: +OK\nC: QUIT\nS: +OK Bye\n@close server\n';
    const options = clientOptions(pop3Transcript(capa, listing + afterwards).replace('S: +OK 1 120', 'S: +OK 3 600'));
    const mailbox = await Pop3Mailbox.open({ client: options, leaveOnServer: true });
    try {
      expect((await mailbox.list()).map((info) => [info.id.key, info.size])).toEqual([['pop3:a', 100], ['pop3:b', 200]]);
      expect(mailbox.withoutUidl).toEqual([{ number: 3, size: 300 }]);
      expect(Buffer.from(await (await mailbox.client!.retrieve(3)).bytes()).toString()).toBe('third\r\n');
      await mailbox.client!.delete(3);
      expect(mailbox.withoutUidl).toEqual([]);
    } finally {
      await mailbox.close();
      options.connector.assertDone();
      await options.connector.close();
    }
  });

  it('close() called again, or while the first is running, reports what the first close did', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    const options = clientOptions(pop3Transcript(capa, `${pop3Listing(['a', 'b'], 10)}C: DELE 1\nS: +OK\nC: QUIT\nS: +OK Bye\n@close server\n`));
    const mailbox = await Pop3Mailbox.open({ client: options });
    try {
      await mailbox.delete([pop3MessageId('a')]);
      const [first, during] = await Promise.all([mailbox.close(), mailbox.close()]);
      expect(first).toEqual({ deletionsCommitted: true, markedDeleted: 1 });
      expect(during).toEqual(first);
      expect(await mailbox.close()).toEqual(first);
    } finally {
      options.connector.assertDone();
      await options.connector.close();
    }
  });

  it('delete() of an id given twice marks the message once and reports the id as given, as IMAP does', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
    const options = clientOptions(pop3Transcript(capa, `${pop3Listing(['a', 'b'], 10)}C: DELE 1\nS: +OK\nC: QUIT\nS: +OK Bye\n@close server\n`));
    const mailbox = await Pop3Mailbox.open({ client: options });
    try {
      const a = pop3MessageId('a');
      expect(await mailbox.delete([a, a])).toEqual({ deleted: [a, a], missing: [] });
      expect((await mailbox.list()).map((info) => info.id.key)).toEqual(['pop3:b']);
    } finally {
      expect(await mailbox.close()).toEqual({ deletionsCommitted: true, markedDeleted: 1 });
      options.connector.assertDone();
      await options.connector.close();
    }
  });

  describe('a watch waits out the server\'s LOGIN-DELAY (RFC 2449 section 6.5)', () => {
    const quit = 'C: QUIT\nS: +OK Bye\n@close server\n';
    const capaWith = (delay: string): string => `S: +OK\nS: USER\nS: UIDL\nS: TOP\n${delay}S: .\n`;

    /** Lets `ms` of fake time pass a second at a time, with turns of the (real) event loop between. */
    async function elapse(ms: number): Promise<void> {
      for (let passed = 0; passed < ms; passed += 1_000) {
        await vi.advanceTimersByTimeAsync(1_000);
        for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      }
    }

    /** Watches a mailbox whose session's CAPA says `mainDelay`, polled by sessions whose CAPA says `pollDelay`. */
    async function watching(mainDelay: string, pollDelay: string, polls: number, interval: number) {
      const main = clientOptions(pop3Transcript(capaWith(mainDelay), pop3Listing(['u1'], 120) + quit));
      const sessions = Array.from({ length: polls }, () => pop3Session(capaWith(pollDelay), pop3Listing(['u1'], 120) + quit));
      const watchReplay = replayConnector(parseTranscript(`# mailwire transcript v1\n# protocol: pop3\n# tls: implicit\n\n${sessions.join('@connect\n')}@end\n`));
      const mailbox = await Pop3Mailbox.open({ client: main, watchConnector: watchReplay });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const controller = new AbortController();
      const watch = mailbox.watch({ signal: controller.signal, interval });
      await watch.ready;
      const iterating = drain(watch);
      return {
        watchReplay,
        stop: async (): Promise<void> => {
          vi.useRealTimers();
          controller.abort();
          // A watch that polled more often than the transcript holds ends with its mismatch: the test's counts tell.
          await iterating.catch(() => undefined);
          await mailbox.close();
          // The polls a test expects are counted by the test; the transcript holds one more.
          await watchReplay.close().catch(() => undefined);
          await main.connector.close();
        },
      };
    }

    it('a LOGIN-DELAY past the longest timer is not read as "at once" (a timer over 2^31-1 ms fires at once)', async () => {
      const { watchReplay, stop } = await watching('S: LOGIN-DELAY 3000000\n', '', 1, 1);
      try {
        await elapse(60_000);
        expect(watchReplay.connections).toBe(0);
      } finally {
        await stop();
      }
    });

    it('a LOGIN-DELAY the poll sessions announce is waited out from then on', async () => {
      const { watchReplay, stop } = await watching('', 'S: LOGIN-DELAY 900\n', 2, 1000);
      try {
        await elapse(1_000);
        expect(watchReplay.connections).toBe(1);
        // The first poll's CAPA said LOGIN-DELAY 900: no login for 900 s from then on.
        await elapse(60_000);
        expect(watchReplay.connections).toBe(1);
        await elapse(900_000);
        expect(watchReplay.connections).toBe(2);
      } finally {
        await stop();
      }
    });
  });

  it('a server without TOP: headers() fails clearly, or falls back to RETR when asked', async () => {
    const capa = 'S: +OK\nS: USER\nS: UIDL\nS: .\n';
    const listing = 'C: UIDL\nS: +OK\nS: 1 u1\nS: .\nC: LIST\nS: +OK\nS: 1 120\nS: .\n';
    const plain = pop3Transcript(capa, `${listing}C: QUIT\nS: +OK Bye\n@close server\n`);
    const mailbox = await Pop3Mailbox.open({ client: clientOptions(plain) });
    expect(mailbox.traits.headerFetch).toBe('unavailable');
    const failing = (async () => {
      for await (const _summary of mailbox.headers()) {
        // not reached
      }
    })();
    await expect(failing).rejects.toThrow(/does not offer TOP/);
    await mailbox.close();

    const retr = 'C: RETR 1\nS: +OK 120 octets\nS: Subject: hello\nS: \nS: body\nS: .\n';
    const fallback = pop3Transcript(capa, `${listing}${retr}C: QUIT\nS: +OK Bye\n@close server\n`);
    const options = clientOptions(fallback);
    const withFallback = await Pop3Mailbox.open({ client: options, headerFallback: 'retrieve' });
    const subjects: (string | null)[] = [];
    for await (const summary of withFallback.headers()) subjects.push(summary.subject);
    expect(subjects).toEqual(['hello']);
    expect((await withFallback.close()).markedDeleted).toBe(0);
    await options.connector.close();
  });
});

describe('headers(ids): the same order on both protocols', () => {
  const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
  const listing = 'C: UIDL\nS: +OK\nS: 1 u1\nS: 2 u2\nS: .\nC: LIST\nS: +OK\nS: 1 60\nS: 2 60\nS: .\n';
  const top = (n: number): string => `C: TOP ${n} 0\nS: +OK\nS: Subject: m${n}\nS: \nS: .\n`;
  const IMAP =
    '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n' +
    'S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS] Logged in\n' +
    'C: A2 SELECT INBOX\nS: * 2 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 3] ok\nS: A2 OK [READ-WRITE] done\n' +
    // The server answers a UID FETCH in mailbox order, whatever the order of the set.
    'C: A3 UID FETCH 1:2 (UID BODY.PEEK[HEADER])\nS: * 1 FETCH (UID 1 BODY[HEADER] {15}\nS: Subject: m1\nS: \nS: )\nS: * 2 FETCH (UID 2 BODY[HEADER] {15}\nS: Subject: m2\nS: \nS: )\nS: A3 OK done\n' +
    'C: A4 LOGOUT\nS: * BYE\nS: A4 OK bye\n@close server\n@end\n';

  it('yields the messages asked for in mailbox (list) order, each once, whatever the order of ids', async () => {
    const pop3Options = clientOptions(
      pop3Transcript(capa, `${listing}${top(1)}${top(2)}C: QUIT\nS: +OK Bye\n@close server\n`).replace('S: +OK 1 120', 'S: +OK 2 120'),
    );
    const pop3 = await Pop3Mailbox.open({ client: pop3Options });
    const imapReplay = replayConnector(parseTranscript(IMAP));
    const imap = await ImapMailbox.open({
      client: { host: 'replay.invalid', port: 993, tls: 'implicit', connector: imapReplay, auth: { username: 'carol', password: 'x', method: 'PLAIN' } },
    });
    try {
      const cases = [
        [pop3, pop3MessageId('u1'), pop3MessageId('u2')],
        [imap, imapMessageId(7, 1), imapMessageId(7, 2)],
      ] as const;
      for (const [mailbox, first, second] of cases) {
        const subjects: (string | null)[] = [];
        for await (const summary of mailbox.headers([second, first, second])) subjects.push(summary.subject);
        expect(subjects, mailbox.traits.protocol).toEqual(['m1', 'm2']);
      }
    } finally {
      await pop3.close();
      await imap.close();
      await pop3Options.connector.close();
      await imapReplay.close();
    }
  });
});

describe('IMAP delete(ids) of a set longer than maxSetLength', () => {
  const IMAP =
    '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n' +
    'S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS] Logged in\n' +
    'C: A2 SELECT INBOX\nS: * 2 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 6] ok\nS: A2 OK [READ-WRITE] done\n' +
    // The UIDs still there are looked up in parts too: a server refuses a line too long (BAD).
    'C: A3 UID SEARCH UID 1,3\nS: * SEARCH 1\nS: A3 OK done\nC: A4 UID SEARCH UID 5\nS: * SEARCH 5\nS: A4 OK done\n' +
    'C: A5 UID STORE 1,5 +FLAGS.SILENT (\\\\Deleted)\nS: A5 OK done\n' +
    'C: A6 UID EXPUNGE 1,5\nS: * 2 EXPUNGE\nS: * 1 EXPUNGE\nS: A6 OK done\n' +
    'C: A7 LOGOUT\nS: * BYE\nS: A7 OK bye\n@close server\n@end\n';

  it('looks the ids up in parts, as it flags and expunges them', async () => {
    const replay = replayConnector(parseTranscript(IMAP));
    const mailbox = await ImapMailbox.open({
      client: {
        host: 'replay.invalid',
        port: 993,
        tls: 'implicit',
        connector: replay,
        auth: { username: 'carol', password: 'x', method: 'PLAIN' },
        limits: { maxSetLength: 4 },
      },
    });
    try {
      const [one, three, five] = [imapMessageId(7, 1), imapMessageId(7, 3), imapMessageId(7, 5)];
      expect(await mailbox.delete([one, three, five])).toEqual({ deleted: [one, five], missing: [three] });
    } finally {
      await mailbox.close();
      await replay.close();
    }
  });
});

/** Settles with what `promise` gives, or with `'pending'` when it has not settled after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => {
      resolve('pending');
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => {
    clearTimeout(timer);
  });
}

/** Collects a watch's events until it ends. */
async function drain(watch: AsyncIterable<WatchEvent>): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for await (const event of watch) events.push(event);
  return events;
}

/**
 * Opens an IMAP mailbox on the transcript `mainText`, watches it on `watchText` (retrying at once
 * after a drop) and stops once `count` events have come: the events. The watch transcript must be
 * played to its end.
 */
async function replayedWatchEvents(mainText: string, watchText: string, count: number, limits: ImapLimits = {}): Promise<WatchEvent[]> {
  const main = replayConnector(parseTranscript(mainText));
  const watchReplay = replayConnector(parseTranscript(watchText));
  const mailbox = await ImapMailbox.open({
    client: { host: 'replay.invalid', port: 993, tls: 'implicit', connector: main, auth: { username: 'carol', password: 'x', method: 'PLAIN' }, limits },
    watchConnector: watchReplay,
  });
  const controller = new AbortController();
  const events: WatchEvent[] = [];
  try {
    for await (const event of mailbox.watch({ signal: controller.signal, backoff: { first: 1 } })) {
      events.push(event);
      if (events.length === count) controller.abort();
    }
    watchReplay.assertDone();
  } finally {
    await mailbox.close();
    await watchReplay.close();
    await main.close();
  }
  return events;
}

/** An IMAP mailbox opened on the transcript `text` (user carol, PLAIN), with its replay. */
async function replayedImapMailbox(text: string): Promise<{ mailbox: ImapMailbox; main: ReturnType<typeof replayConnector> }> {
  const main = replayConnector(parseTranscript(text));
  const mailbox = await ImapMailbox.open({
    client: { host: 'replay.invalid', port: 993, tls: 'implicit', connector: main, auth: { username: 'carol', password: 'x', method: 'PLAIN' } },
  });
  return { mailbox, main };
}

describe('watch stopped while the server stalls (replayed)', () => {
  // A command timeout far beyond the test's: only the abort (or close()) can end the stalled command.
  const STALLED_TIMEOUT = 20_000;
  const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
  const listing = 'C: UIDL\nS: +OK\nS: 1 u1\nS: .\nC: LIST\nS: +OK\nS: 1 120\nS: .\n';

  /** A POP3 mailbox whose watch logins are answered up to their UIDL, which never is. */
  async function stalledPop3(): Promise<{ mailbox: Pop3Mailbox; watchReplay: ReturnType<typeof replayConnector> }> {
    const watchReplay = replayConnector(parseTranscript(pop3Transcript(capa, 'C: UIDL\n')));
    const client = { ...clientOptions(pop3Transcript(capa, `${listing}C: QUIT\nS: +OK Bye\n@close server\n`)), commandTimeout: STALLED_TIMEOUT };
    const mailbox = await Pop3Mailbox.open({ client, watchConnector: watchReplay });
    return { mailbox, watchReplay };
  }

  it('POP3: aborting while a poll session is stalled ends the watch promptly', async () => {
    const { mailbox, watchReplay } = await stalledPop3();
    const controller = new AbortController();
    const watch = mailbox.watch({ signal: controller.signal, interval: 10 });
    await watch.ready;
    const iterating = drain(watch);
    // The poll's UIDL was sent (the transcript is played to its end) and is never answered.
    await vi.waitFor(() => {
      watchReplay.assertDone();
    });
    controller.abort();
    expect(await within(iterating, 2000)).toEqual([]);
    expect(await within(mailbox.close(), 2000)).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
    await watchReplay.close();
  });

  it('POP3: close() while a poll session is stalled returns promptly, and ends the watch', async () => {
    const { mailbox, watchReplay } = await stalledPop3();
    const watch = mailbox.watch({ interval: 10 });
    await watch.ready;
    const iterating = drain(watch);
    await vi.waitFor(() => {
      watchReplay.assertDone();
    });
    expect(await within(mailbox.close(), 2000)).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
    expect(await within(iterating, 2000)).toEqual([]);
    await watchReplay.close();
  });

  const IMAP_HEAD = '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n';
  const IMAP_GREET =
    'S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS] Logged in\n';
  const IMAP_SELECT = 'C: A2 SELECT INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-WRITE] done\n';
  const IMAP_LOGOUT = 'C: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n';

  /** The watch connection up to its first IDLE: EXAMINE and the UID list answered. */
  const IMAP_WATCH_IDLE =
    `${IMAP_GREET}C: A2 EXAMINE INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-ONLY] done\n` +
    'C: A3 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: A3 OK done\nC: A4 IDLE\nS: + idling\n';

  it('IMAP: client.record records the mailbox\'s own session, not the watch connection that runs alongside it', async () => {
    const main = replayConnector(parseTranscript(`${IMAP_HEAD}${IMAP_GREET}${IMAP_SELECT}${IMAP_LOGOUT}@end\n`));
    const watchReplay = replayConnector(
      parseTranscript(`${IMAP_HEAD}${IMAP_WATCH_IDLE}C: DONE\nS: A4 OK idle done\nC: A5 LOGOUT\nS: * BYE\nS: A5 OK bye\n@close server\n@end\n`),
    );
    let recorded = '';
    const mailbox = await ImapMailbox.open({
      client: {
        host: 'replay.invalid',
        port: 993,
        tls: 'implicit',
        connector: main,
        auth: { username: 'carol', password: 'x', method: 'PLAIN' },
        record: { sink: (text) => (recorded += text) },
      },
      watchConnector: watchReplay,
    });
    const controller = new AbortController();
    const watch = mailbox.watch({ signal: controller.signal });
    await watch.ready;
    controller.abort();
    expect(await drain(watch)).toEqual([]);
    await mailbox.close();
    watchReplay.assertDone();
    main.assertDone();
    // One session in the transcript: the watch's was written into it as well, interleaved.
    expect(recorded).toContain('C: A2 SELECT INBOX');
    expect(recorded).not.toContain('EXAMINE');
    expect(recorded.match(/AUTHENTICATE/g)).toHaveLength(1);
  });

  /** An IMAP mailbox whose watch connection plays `watchSession` (after `# tls: implicit`). */
  async function stalledImap(
    watchSession = `${IMAP_GREET}C: A2 EXAMINE INBOX\n`,
  ): Promise<{ mailbox: ImapMailbox; main: ReturnType<typeof replayConnector>; watchReplay: ReturnType<typeof replayConnector> }> {
    const main = replayConnector(parseTranscript(`${IMAP_HEAD}${IMAP_GREET}${IMAP_SELECT}${IMAP_LOGOUT}@end\n`));
    const watchReplay = replayConnector(parseTranscript(`${IMAP_HEAD}${watchSession}@end\n`));
    const mailbox = await ImapMailbox.open({
      client: { host: 'replay.invalid', port: 993, tls: 'implicit', connector: main, auth: { username: 'carol', password: 'x', method: 'PLAIN' }, commandTimeout: STALLED_TIMEOUT },
      watchConnector: watchReplay,
    });
    return { mailbox, main, watchReplay };
  }

  it('IMAP: aborting while the watch connection is stalled (EXAMINE unanswered) ends the watch promptly', async () => {
    const { mailbox, main, watchReplay } = await stalledImap();
    const controller = new AbortController();
    const watch = mailbox.watch({ signal: controller.signal });
    const iterating = drain(watch);
    await vi.waitFor(() => {
      watchReplay.assertDone();
    });
    controller.abort();
    expect(await within(iterating, 2000)).toEqual([]);
    // Stopped before it knew the mailbox's state: ready settles all the same, without an error.
    await watch.ready;
    expect(await within(mailbox.close(), 2000)).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
    await watchReplay.close();
    await main.close();
  });

  it('IMAP: close() while the watch connection is stalled returns promptly, and ends the watch', async () => {
    const { mailbox, main, watchReplay } = await stalledImap();
    const watch = mailbox.watch();
    const iterating = drain(watch);
    await vi.waitFor(() => {
      watchReplay.assertDone();
    });
    expect(await within(mailbox.close(), 2000)).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
    expect(await within(iterating, 2000)).toEqual([]);
    await watchReplay.close();
    await main.close();
  });

  it('IMAP: aborting while the fetch of a new message is stalled ends the watch promptly', async () => {
    // IDLE reports a new message; the watch leaves IDLE to fetch it, and the fetch is never answered.
    const { mailbox, main, watchReplay } = await stalledImap(
      `${IMAP_WATCH_IDLE}S: * 2 EXISTS\nC: DONE\nS: A4 OK idle done\nC: A5 UID FETCH 2:* (UID FLAGS RFC822.SIZE)\n`,
    );
    const controller = new AbortController();
    const watch = mailbox.watch({ signal: controller.signal });
    await watch.ready;
    const iterating = drain(watch);
    await vi.waitFor(() => {
      watchReplay.assertDone();
    });
    controller.abort();
    expect(await within(iterating, 2000)).toEqual([]);
    expect(await within(mailbox.close(), 2000)).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
    await watchReplay.close();
    await main.close();
  });

  /** Starts a watch, waits until it idles (the IDLE's continuation has arrived), aborts it: its events. */
  async function abortedWhileIdling(mailbox: ImapMailbox, watchReplay: ReturnType<typeof replayConnector>): Promise<WatchEvent[] | 'pending'> {
    const controller = new AbortController();
    const watch = mailbox.watch({ signal: controller.signal });
    await watch.ready;
    const iterating = drain(watch);
    await vi.waitFor(() => {
      expect(() => {
        watchReplay.assertDone();
      }).toThrow(expect.objectContaining({ text: 'C: DONE' }));
    });
    controller.abort();
    return within(iterating, 6000);
  }

  it('IMAP: aborting while idling still ends with DONE and LOGOUT', async () => {
    const { mailbox, main, watchReplay } = await stalledImap(
      `${IMAP_WATCH_IDLE}C: DONE\nS: A4 OK idle done\nC: A5 LOGOUT\nS: * BYE\nS: A5 OK bye\n@close server\n`,
    );
    expect(await abortedWhileIdling(mailbox, watchReplay)).toEqual([]);
    // The transcript was played to its end: DONE, then LOGOUT, not a dropped connection.
    watchReplay.assertDone();
    await mailbox.close();
    await watchReplay.close();
    await main.close();
  });

  it('IMAP: aborting while idling on a server that never answers DONE ends the watch after a short grace', async () => {
    const { mailbox, main, watchReplay } = await stalledImap(`${IMAP_WATCH_IDLE}C: DONE\n`);
    // The grace is 2 s; the command timeout 20 s.
    expect(await abortedWhileIdling(mailbox, watchReplay)).toEqual([]);
    watchReplay.assertDone(); // DONE was sent before the connection was dropped
    expect(await within(mailbox.close(), 2000)).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
    await watchReplay.close();
    await main.close();
  }, 10_000);

  it('refuses timings a timer cannot keep, from the call itself, for both protocols; ready resolves with nothing', async () => {
    const { mailbox: pop3, watchReplay } = await stalledPop3();
    const { mailbox: imap, main } = await stalledImap();
    const bad = [{ interval: 2 ** 31 }, { interval: Infinity }, { interval: 0 }, { idleRestart: Number.NaN }, { backoff: { first: 2 ** 31 } }, { backoff: { max: -1 } }, { backoff: { attempts: 0 } }, { backoff: { attempts: 1.5 } }, { interval: '5000' as unknown as number }, { backoff: { max: '60000' as unknown as number } }, { signal: {} as AbortSignal }];
    for (const options of bad) {
      expect(() => pop3.watch(options), JSON.stringify(options)).toThrow(InvalidArgumentError);
      expect(() => imap.watch(options), JSON.stringify(options)).toThrow(InvalidArgumentError);
    }
    const controller = new AbortController();
    const watch = pop3.watch({ signal: controller.signal, interval: 10, backoff: { attempts: Infinity } });
    await expect(watch.ready).resolves.toBeUndefined();
    await vi.waitFor(() => {
      watchReplay.assertDone();
    });
    controller.abort();
    await pop3.close();
    await imap.close();
    await watchReplay.close();
    await main.close(); // the IMAP watch connection was never opened: nothing to close
  });
});

describe('IMAP watch: a mod-sequence of 0 is no mod-sequence (replayed)', () => {
  const HEAD = '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n';
  const greet = (capabilities: string): string =>
    `S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE ${capabilities} AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE ${capabilities}] Logged in\n`;
  const MAIN = `${HEAD}${greet('')}C: A2 SELECT INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-WRITE] done\nC: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n`;
  /**
   * EXAMINE (CONDSTORE) answered with `[HIGHESTMODSEQ 0]`, as some servers do for a mailbox without
   * mod-sequences; a server with QRESYNC has it enabled first. `tag` numbers the commands after login.
   */
  const examine = (capabilities: string, tag: (n: number) => string, exists: number, highestModseq = 0): string =>
    (capabilities.includes('QRESYNC') ? `C: ${tag(0)} ENABLE QRESYNC\nS: * ENABLED QRESYNC\nS: ${tag(0)} OK enabled\n` : '') +
    `C: ${tag(1)} EXAMINE INBOX (CONDSTORE)\nS: * ${exists} EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT ${exists + 1}] ok\nS: * OK [HIGHESTMODSEQ ${highestModseq}] ok\nS: ${tag(1)} OK [READ-ONLY] done\n`;

  /**
   * Watches across one reconnect (a BYE while idling; `firstIdle` is sent before it; the second
   * EXAMINE reports `reconnectModseq`), then stops: the events.
   */
  async function watchFor(capabilities: string, firstIdle: string, reconnectModseq = 0): Promise<WatchEvent[]> {
    const first = capabilities.includes('QRESYNC') ? 2 : 1;
    const tag = (n: number): string => `A${first + n}`;
    const watchText =
      `${HEAD}${greet(capabilities)}${examine(capabilities, tag, 1)}C: ${tag(2)} UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: ${tag(2)} OK done\n` +
      `C: ${tag(3)} IDLE\nS: + idling\n${firstIdle}S: * BYE restarting\n@close server\n@connect\n` +
      // The reconnect knows no mod-sequence: the whole UID list and flags are fetched again.
      `${greet(capabilities)}${examine(capabilities, tag, 2, reconnectModseq)}C: ${tag(2)} UID FETCH 1:* (UID FLAGS RFC822.SIZE)\n` +
      `S: * 1 FETCH (UID 1 FLAGS (\\\\Seen) RFC822.SIZE 120)\nS: * 2 FETCH (UID 2 FLAGS () RFC822.SIZE 80)\nS: ${tag(2)} OK done\n` +
      // Stopped as the last event arrives: no IDLE.
      `C: ${tag(3)} LOGOUT\nS: * BYE\nS: ${tag(3)} OK bye\n@close server\n@end\n`;
    return replayedWatchEvents(MAIN, watchText, firstIdle === '' ? 2 : 3);
  }

  it('CONDSTORE: [HIGHESTMODSEQ 0] is not sent back as CHANGEDSINCE 0 after a reconnect', async () => {
    expect(await watchFor('CONDSTORE', '')).toEqual([
      { kind: 'flags', id: imapMessageId(7, 1), flags: ['\\Seen'] },
      { kind: 'new', id: imapMessageId(7, 2), size: 80, flags: [] },
    ]);
  });

  it('CONDSTORE: a FETCH with MODSEQ (0) while idling does not make 0 the known mod-sequence', async () => {
    // The reconnect's EXAMINE has a real HIGHESTMODSEQ: only a known one of 1 or more would allow CHANGEDSINCE.
    expect(await watchFor('CONDSTORE', 'S: * 1 FETCH (UID 1 FLAGS (\\\\Flagged) MODSEQ (0))\n', 5)).toEqual([
      { kind: 'flags', id: imapMessageId(7, 1), flags: ['\\Flagged'] },
      { kind: 'flags', id: imapMessageId(7, 1), flags: ['\\Seen'] },
      { kind: 'new', id: imapMessageId(7, 2), size: 80, flags: [] },
    ]);
  });

  it('QRESYNC: [HIGHESTMODSEQ 0] is not used to resynchronize (QRESYNC needs a mod-sequence of 1 or more)', async () => {
    expect(await watchFor('CONDSTORE QRESYNC ENABLE', '')).toEqual([
      { kind: 'flags', id: imapMessageId(7, 1), flags: ['\\Seen'] },
      { kind: 'new', id: imapMessageId(7, 2), size: 80, flags: [] },
    ]);
  });
});

describe('IMAP watch: the mod-sequence a reconnect resynchronizes from (replayed)', () => {
  const HEAD = '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n';
  const CAPABILITIES = 'IMAP4rev1 SASL-IR IDLE CONDSTORE QRESYNC ENABLE';
  const GREET = `S: * OK [CAPABILITY ${CAPABILITIES} AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY ${CAPABILITIES}] Logged in\n`;
  const STATE = (highestModseq: number): string => `S: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: * OK [HIGHESTMODSEQ ${highestModseq}] ok\n`;

  it('is not raised by a MODSEQ heard while idling: a change with a lower one, not yet reported when the connection dropped, is not lost', async () => {
    const mainText =
      `${HEAD}${GREET}C: A2 SELECT INBOX\n${STATE(10)}S: A2 OK [READ-WRITE] done\n` +
      'C: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n';
    const watchText =
      `${HEAD}${GREET}C: A2 ENABLE QRESYNC\nS: * ENABLED QRESYNC\nS: A2 OK enabled\nC: A3 EXAMINE INBOX (CONDSTORE)\n${STATE(10)}S: A3 OK [READ-ONLY] done\n` +
      'C: A4 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: A4 OK done\n' +
      // MODSEQ 50 is reported first; the change at 45 (\Seen) never was before the drop.
      'C: A5 IDLE\nS: + idling\nS: * 1 FETCH (UID 1 FLAGS (\\\\Flagged) MODSEQ (50))\nS: * BYE restarting\n@close server\n@connect\n' +
      // The reconnect asks for what changed since 10, what the watch knows completely, not since 50.
      `${GREET}C: A2 ENABLE QRESYNC\nS: * ENABLED QRESYNC\nS: A2 OK enabled\nC: A3 EXAMINE INBOX (QRESYNC (7 10 1))\n${STATE(50)}` +
      'S: * 1 FETCH (UID 1 FLAGS (\\\\Flagged \\\\Seen) MODSEQ (50))\nS: A3 OK [READ-ONLY] done\n' +
      'C: A4 UID FETCH 2:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS (\\\\Flagged \\\\Seen) RFC822.SIZE 120)\nS: A4 OK done\n' +
      'C: A5 LOGOUT\nS: * BYE\nS: A5 OK bye\n@close server\n@end\n';
    expect(await replayedWatchEvents(mainText, watchText, 2)).toEqual([
      { kind: 'flags', id: imapMessageId(7, 1), flags: ['\\Flagged'] },
      { kind: 'flags', id: imapMessageId(7, 1), flags: ['\\Flagged', '\\Seen'] },
    ]);
  });

  it('names the known UIDs by the range they span when their list is longer than maxSetLength (a QRESYNC parameter cannot go in parts)', async () => {
    const state = 'S: * 2 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 4] ok\nS: * OK [HIGHESTMODSEQ 10] ok\n';
    const mainText = `${HEAD}${GREET}C: A2 SELECT INBOX\n${state}S: A2 OK [READ-WRITE] done\nC: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n`;
    const watchText =
      `${HEAD}${GREET}C: A2 ENABLE QRESYNC\nS: * ENABLED QRESYNC\nS: A2 OK enabled\nC: A3 EXAMINE INBOX (CONDSTORE)\n${state}S: A3 OK [READ-ONLY] done\n` +
      'C: A4 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: * 2 FETCH (UID 3 FLAGS () RFC822.SIZE 120)\nS: A4 OK done\n' +
      'C: A5 IDLE\nS: + idling\nS: * BYE restarting\n@close server\n@connect\n' +
      // "1,3" is longer than the limit: "1:3" stands for it (a server refuses a line too long; Dovecot:
      // "Too long argument"), and UID 2, which the watch never knew, is reported vanished and ignored.
      `${GREET}C: A2 ENABLE QRESYNC\nS: * ENABLED QRESYNC\nS: A2 OK enabled\nC: A3 EXAMINE INBOX (QRESYNC (7 10 1:3))\n` +
      'S: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 4] ok\nS: * OK [HIGHESTMODSEQ 12] ok\nS: * VANISHED (EARLIER) 2:3\nS: A3 OK [READ-ONLY] done\n' +
      'C: A4 UID FETCH 4:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: A4 OK done\n' +
      'C: A5 LOGOUT\nS: * BYE\nS: A5 OK bye\n@close server\n@end\n';
    expect(await replayedWatchEvents(mainText, watchText, 1, { maxSetLength: 2 })).toEqual([{ kind: 'removed', id: imapMessageId(7, 3) }]);
  });
});

describe('IMAP watch: a message that comes and goes while the watch fetches new mail (replayed)', () => {
  const HEAD = '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n';
  const CAPABILITIES = 'IMAP4rev1 SASL-IR IDLE CONDSTORE QRESYNC ENABLE';
  const GREET = `S: * OK [CAPABILITY ${CAPABILITIES} AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY ${CAPABILITIES}] Logged in\n`;
  const STATE = 'S: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: * OK [HIGHESTMODSEQ 10] ok\n';
  /** UID 3 reported new once, and nothing removed; then a flag change, to end the watch. */
  const COMES_AND_GOES_EVENTS = [
    { kind: 'new', id: imapMessageId(7, 3), size: 80, flags: [] },
    { kind: 'flags', id: imapMessageId(7, 1), flags: ['\\Seen'] },
  ];

  it('with QRESYNC, expunges name their UIDs: the message expunged is not taken for the one fetched after it', async () => {
    const mainText = `${HEAD}${GREET}C: A2 SELECT INBOX\n${STATE}S: A2 OK [READ-WRITE] done\nC: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n`;
    // UID 2 arrives and is moved away at once, then UID 3 arrives: by the time the watch fetches what
    // the first EXISTS announced, only UID 3 is there. `* 2 EXPUNGE` would then be read as UID 3's.
    const watchText =
      `${HEAD}${GREET}C: A2 ENABLE QRESYNC\nS: * ENABLED QRESYNC\nS: A2 OK enabled\nC: A3 EXAMINE INBOX (CONDSTORE)\n${STATE}S: A3 OK [READ-ONLY] done\n` +
      'C: A4 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: A4 OK done\n' +
      'C: A5 IDLE\nS: + idling\nS: * 2 EXISTS\nS: * VANISHED 2\nS: * 2 EXISTS\nC: DONE\nS: A5 OK idle done\n' +
      'C: A6 UID FETCH 2:* (UID FLAGS RFC822.SIZE)\nS: * 2 FETCH (UID 3 FLAGS () RFC822.SIZE 80)\nS: A6 OK done\n' +
      'C: A7 IDLE\nS: + idling\nS: * 1 FETCH (UID 1 FLAGS (\\\\Seen) MODSEQ (12))\nC: DONE\nS: A7 OK idle done\n' +
      'C: A8 LOGOUT\nS: * BYE\nS: A8 OK bye\n@close server\n@end\n';
    expect(await replayedWatchEvents(mainText, watchText, 2)).toEqual(COMES_AND_GOES_EVENTS);
  });

  it('without QRESYNC, an EXPUNGE whose position names a message that is still there is not reported: the watch resynchronizes', async () => {
    const greet = GREET.replaceAll(CAPABILITIES, 'IMAP4rev1 SASL-IR IDLE');
    const state = STATE.replace('S: * OK [HIGHESTMODSEQ 10] ok\n', '');
    const mainText = `${HEAD}${greet}C: A2 SELECT INBOX\n${state}S: A2 OK [READ-WRITE] done\nC: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n`;
    const fetchAll = 'C: A9 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: * 2 FETCH (UID 3 FLAGS () RFC822.SIZE 80)\nS: A9 OK done\n';
    // IDLE goes out again after each command of the watch; the next command ends it.
    const idleEnded = (tag: string): string => `C: ${tag} IDLE\nS: + idling\nC: DONE\nS: ${tag} OK idle done\n`;
    // The same race: `* 2 EXPUNGE` (UID 2's) reaches the watch after the fetch has put UID 3 at position 2.
    const watchText =
      `${HEAD}${greet}C: A2 EXAMINE INBOX\n${state}S: A2 OK [READ-ONLY] done\n` +
      'C: A3 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: A3 OK done\n' +
      'C: A4 IDLE\nS: + idling\nS: * 2 EXISTS\nC: DONE\nS: A4 OK idle done\n' +
      'C: A5 UID FETCH 2:* (UID FLAGS RFC822.SIZE)\nS: * 2 EXPUNGE\nS: * 2 EXISTS\nS: * 2 FETCH (UID 3 FLAGS () RFC822.SIZE 80)\nS: A5 OK done\n' +
      // The queued EXPUNGE: UID 3 is still there, so the position was stale, and the UID list is read again.
      `${idleEnded('A6')}C: A7 UID SEARCH UID 3\nS: * SEARCH 3\nS: A7 OK done\n${idleEnded('A8')}${fetchAll}` +
      'C: A10 IDLE\nS: + idling\nS: * 1 FETCH (FLAGS (\\\\Seen))\nC: DONE\nS: A10 OK idle done\n' +
      'C: A11 LOGOUT\nS: * BYE\nS: A11 OK bye\n@close server\n@end\n';
    expect(await replayedWatchEvents(mainText, watchText, 2)).toEqual(COMES_AND_GOES_EVENTS);
  });
});

describe('IMAP watch: a connection lost while fetching new mail (replayed)', () => {
  const HEAD = '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n';
  const GREET =
    'S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS] Logged in\n';
  const examine = (exists: number): string =>
    `C: A2 EXAMINE INBOX\nS: * ${exists} EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT ${exists + 1}] ok\nS: A2 OK [READ-ONLY] done\n`;

  it('reports the message whose fetch the drop cut short, once, after the reconnect', async () => {
    const mainText =
      `${HEAD}${GREET}C: A2 SELECT INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-WRITE] done\n` +
      'C: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n';
    const watchText =
      `${HEAD}${GREET}${examine(1)}C: A3 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: A3 OK done\n` +
      // UID 2 arrives; the connection is lost after its FETCH response, before the tagged OK.
      'C: A4 IDLE\nS: + idling\nS: * 2 EXISTS\nC: DONE\nS: A4 OK idle done\nC: A5 UID FETCH 2:* (UID FLAGS RFC822.SIZE)\nS: * 2 FETCH (UID 2 FLAGS () RFC822.SIZE 80)\n@close server\n@connect\n' +
      `${GREET}${examine(2)}C: A3 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\n` +
      'S: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: * 2 FETCH (UID 2 FLAGS () RFC822.SIZE 80)\nS: A3 OK done\n' +
      // Stopped as the event arrives: no IDLE.
      'C: A4 LOGOUT\nS: * BYE\nS: A4 OK bye\n@close server\n@end\n';
    expect(await replayedWatchEvents(mainText, watchText, 1)).toEqual([{ kind: 'new', id: imapMessageId(7, 2), size: 80, flags: [] }]);
  });
});

describe('IMAP: a UIDVALIDITY announced inside the session (replayed)', () => {
  const HEAD = '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n';
  const GREET =
    'S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS] Logged in\n';
  const SELECT = 'C: A2 SELECT INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-WRITE] done\n';

  it('list() and headers() issue ids under the new UIDVALIDITY; an id of the old one is refused', async () => {
    const { mailbox, main } = await replayedImapMailbox(
      `${HEAD}${GREET}${SELECT}C: A3 NOOP\nS: * OK [UIDVALIDITY 9] renumbered\nS: A3 OK done\n` +
        'C: A4 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () INTERNALDATE "27-Nov-2026 18:10:59 +0000" RFC822.SIZE 20)\nS: A4 OK done\n' +
        'C: A5 UID FETCH 1:* (UID BODY.PEEK[HEADER])\nS: * 1 FETCH (UID 1 BODY[HEADER] {23}\nS: Subject: renumbered\nS: \nS: )\nS: A5 OK done\n' +
        'C: A6 LOGOUT\nS: * BYE\nS: A6 OK bye\n@close server\n@end\n',
    );
    try {
      // UID 1 is another message now: an id that says UIDVALIDITY 7 would pass for the old UID 1.
      expect((await mailbox.list()).map((info) => info.id)).toEqual([imapMessageId(9, 1)]);
      expect(mailbox.uidValidity).toBe(9);
      const summaries = [];
      for await (const summary of mailbox.headers()) summaries.push(summary);
      expect(summaries.map((summary) => summary.id)).toEqual([imapMessageId(9, 1)]);
      await expect(mailbox.fetch(imapMessageId(7, 1))).rejects.toThrow(UidValidityChangedError);
    } finally {
      await mailbox.close();
      main.assertDone();
      await main.close();
    }
  });

  it('close() during a reconnect that finds a new UIDVALIDITY logs out the connection it opened', async () => {
    const renumbered = SELECT.replace('UIDVALIDITY 7', 'UIDVALIDITY 9');
    const { mailbox, main } = await replayedImapMailbox(
      `${HEAD}${GREET}${SELECT}@close server\n@connect\n${GREET}${renumbered}C: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n`,
    );
    const lost = mailbox.client!;
    await vi.waitFor(() => {
      expect(lost.state).toBe('logout');
    });
    // list() reconnects; close() comes while the reconnect is in flight.
    const listing = mailbox.list().catch((caught: unknown) => caught);
    expect(await mailbox.close()).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
    expect(await listing).toBeInstanceOf(UidValidityChangedError);
    main.assertDone();
    await main.close();
  });

  it('a watch ends with UidValidityChangedError, reporting no message under the old UIDVALIDITY', async () => {
    const main = replayConnector(parseTranscript(`${HEAD}${GREET}${SELECT}C: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n`));
    // Renumbered while idling, then a new message: its UID 2 is of the new numbering.
    const watchReplay = replayConnector(
      parseTranscript(
        `${HEAD}${GREET}C: A2 EXAMINE INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-ONLY] done\n` +
          'C: A3 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\nS: * 1 FETCH (UID 1 FLAGS () RFC822.SIZE 120)\nS: A3 OK done\nC: A4 IDLE\nS: + idling\n' +
          'S: * OK [UIDVALIDITY 9] renumbered\nS: * 2 EXISTS\nC: DONE\nS: A4 OK idle done\nC: A5 LOGOUT\nS: * BYE\nS: A5 OK bye\n@close server\n@end\n',
      ),
    );
    const mailbox = await ImapMailbox.open({
      client: { host: 'replay.invalid', port: 993, tls: 'implicit', connector: main, auth: { username: 'carol', password: 'x', method: 'PLAIN' } },
      watchConnector: watchReplay,
    });
    const events: WatchEvent[] = [];
    try {
      const error = await (async () => {
        for await (const event of mailbox.watch()) events.push(event);
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UidValidityChangedError);
      expect(error).toMatchObject({ expected: 7, actual: 9 });
      expect(events).toEqual([]);
      watchReplay.assertDone();
    } finally {
      await mailbox.close();
      await watchReplay.close();
      await main.close();
    }
  });
});

describe('IMAP traits', () => {
  it('push is idle on an IMAP4rev2 server that does not list IDLE apart (rev2 includes it; the watch idles)', async () => {
    const { mailbox, main } = await replayedImapMailbox(
      '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n' +
        'S: * OK [CAPABILITY IMAP4rev2 SASL-IR AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev2 SASL-IR] Logged in\n' +
        'C: A2 SELECT INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-WRITE] done\n' +
        'C: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n',
    );
    try {
      expect(mailbox.traits.push).toBe('idle');
    } finally {
      await mailbox.close();
      await main.close();
    }
  });
});

describe('a closed mailbox', () => {
  const capa = 'S: +OK\nS: USER\nS: UIDL\nS: TOP\nS: .\n';
  const listing = 'C: UIDL\nS: +OK\nS: 1 u1\nS: .\nC: LIST\nS: +OK\nS: 1 120\nS: .\n';
  const IMAP_TRANSCRIPT =
    '# mailwire transcript v1\n# protocol: imap\n# tls: implicit\n\n' +
    'S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS AUTH=PLAIN] ready.\nC: A1 AUTHENTICATE PLAIN <redacted>\nS: A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ UIDPLUS] Logged in\n' +
    'C: A2 SELECT INBOX\nS: * 1 EXISTS\nS: * OK [UIDVALIDITY 7] ok\nS: * OK [UIDNEXT 2] ok\nS: A2 OK [READ-WRITE] done\n' +
    'C: A3 LOGOUT\nS: * BYE\nS: A3 OK bye\n@close server\n@end\n';

  it('refuses watch() from the call itself, as its other methods refuse, and opens no connection', async () => {
    let watchConnections = 0;
    const watchConnector = (): Promise<never> => {
      watchConnections++;
      return Promise.reject(new Error('must not connect'));
    };
    const pop3 = await Pop3Mailbox.open({
      client: clientOptions(pop3Transcript(capa, `${listing}C: QUIT\nS: +OK Bye\n@close server\n`)),
      watchConnector,
    });
    const imap = await ImapMailbox.open({
      client: { host: 'replay.invalid', port: 993, tls: 'implicit', connector: replayConnector(parseTranscript(IMAP_TRANSCRIPT)), auth: { username: 'carol', password: 'x', method: 'PLAIN' } },
      watchConnector,
    });
    await pop3.close();
    await imap.close();
    for (const mailbox of [pop3, imap]) {
      await expect(mailbox.list()).rejects.toThrow(InvalidArgumentError);
      expect(() => mailbox.watch()).toThrow(InvalidArgumentError);
      expect(() => mailbox.watch()).toThrow(/mailbox is closed/);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(watchConnections).toBe(0);
  });
});
