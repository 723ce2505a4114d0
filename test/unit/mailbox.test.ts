// The common Mailbox without a server: URL parsing, ids, header summaries, and POP3 edge cases
// (no UIDL, no TOP) played from inline transcripts.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MailwireError, UnsupportedError } from '../../src/common/errors.js';
import {
  headerPart,
  imapMessageId,
  parseMessageId,
  pop3MessageId,
  summarizeHeader,
  UidValidityChangedError,
} from '../../src/common/mailbox.js';
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
  ])('refuses %s', (url, message) => {
    expect(() => parseMailboxUrl(url)).toThrow(InvalidArgumentError);
    expect(() => parseMailboxUrl(url)).toThrow(message);
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

  it('reads a URL object as its text form, ;AUTH= included', () => {
    expect(parseMailboxUrl(new URL('imap://alice;AUTH=PLAIN@host'))).toMatchObject({ username: 'alice', method: 'PLAIN', host: 'host' });
    expect(parseMailboxUrl(new URL('imaps://alice%40example.com@host'))).toMatchObject({ username: 'alice@example.com', method: undefined });
  });

  it('refuses a POP3 login method on an IMAP URL', async () => {
    await expect(openMailbox('imaps://alice@example.com', { method: 'APOP' })).rejects.toThrow(/POP3 login method/);
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
  return `# mailwire transcript v1\n# protocol: pop3\n# tls: implicit\n\n${GREETING}C: CAPA\n${capa}${LOGIN}C: CAPA\n${capa}C: STAT\nS: +OK 1 120\n${afterLogin}@end\n`;
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
