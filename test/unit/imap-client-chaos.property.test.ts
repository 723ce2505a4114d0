/**
 * The whole IMAP client against a server that answers every command with a random mix of sound,
 * odd and broken responses (in random chunks), while several commands run at once. Whatever it
 * sends, every call must settle (at the latest when the connection ends), every failure must be
 * a typed mailwire error, and no promise may be left to reject unhandled.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connector } from '../../src/common/connector.js';
import { ChaosConnection, expectAllSettle, plans, trackUnhandledRejections } from '../helpers/chaos-server.js';
import { ImapClient } from '../../src/imap/client.js';
import { uid } from '../../src/imap/wire/sequence-set.js';

/** What the server sends for one command line; `$T` is the command's tag. */
const REPLIES = [
  '$T OK done\r\n',
  '$T OK done\r\n',
  '$T NO [TRYCREATE] no such mailbox\r\n',
  '$T BAD what?\r\n',
  '* 5 EXISTS\r\n* 1 RECENT\r\n$T OK done\r\n',
  '* 3 EXPUNGE\r\n$T OK done\r\n',
  '* 1 FETCH (UID 9 FLAGS (\\Seen $Junk))\r\n$T OK done\r\n',
  '* 2 FETCH (UID 10 RFC822.SIZE 5 BODY[] {5}\r\nhello)\r\n$T OK done\r\n',
  '* 2 FETCH (UID 10 BODY[] {50}\r\nshort)\r\n',
  '* 2 FETCH (UID 10 BODY[] {5+}\r\nhello)\r\n$T OK done\r\n',
  '* 4 FETCH (UID 11 ENVELOPE (NIL "s" (("a" NIL "b" "c")) NIL NIL NIL NIL NIL NIL "<id>"))\r\n$T OK done\r\n',
  '* 4 FETCH (UID 11 ENVELOPE ((("\r\n',
  '* 4 FETCH (UID 11 BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 5 1))\r\n$T OK done\r\n',
  '* 4 FETCH (UID 11 BODYSTRUCTURE ((((((((((((((\r\n$T OK done\r\n',
  '* 4 FETCH (UID 12 MODSEQ (99999999999999999999))\r\n$T OK done\r\n',
  '* SEARCH 1 2 3\r\n$T OK done\r\n',
  '* ESEARCH (TAG "$T") UID MIN 1 MAX 9 COUNT 3 ALL 1:3\r\n$T OK done\r\n',
  '* LIST (\\HasNoChildren \\Sent) "/" "Sent &AOQ-"\r\n$T OK done\r\n',
  '* LIST (\\Noselect) NIL {3}\r\nabc\r\n$T OK done\r\n',
  '* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 5)\r\n$T OK done\r\n',
  '* FLAGS (\\Seen \\Deleted)\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 8] n\r\n* 2 EXISTS\r\n$T OK [READ-WRITE] selected\r\n',
  '* VANISHED (EARLIER) 1:3\r\n$T OK done\r\n',
  '$T OK [APPENDUID 7 9] appended\r\n',
  '$T OK [COPYUID 7 1:2 5:6] copied\r\n',
  '+ go ahead\r\n',
  '+ idling\r\n* 6 EXISTS\r\n',
  '* OK [ALERT] maintenance soon\r\n',
  '* CAPABILITY IMAP4rev1 IDLE\r\n$T OK done\r\n',
  '* BYE going away\r\n',
  'A999 OK nobody asked\r\n',
  '* 99999999999999999999 EXISTS\r\n$T OK done\r\n',
  '* FLAGS (\\Seen\r\n',
  ')))))\r\n',
  '\x00\xff\xfe garbage\r\n',
  '$T OK',
  '* 1 FETCH (BODY[] {99999999999}\r\n',
  '',
] as const;

/** What a caller does; each returns when the call settled (resolved, or rejected with what). */
type Call = (client: ImapClient) => Promise<unknown>;

/** Counts what the iterating calls see (so that each loop body does something). */
let seen = 0;

const CALLS: Record<string, Call> = {
  noop: (client) => client.noop(),
  select: (client) => client.select('INBOX'),
  examine: (client) => client.examine('Archive'),
  list: (client) => client.list(),
  status: (client) => client.status('INBOX'),
  search: (client) => client.search({ seen: false }),
  store: (client) => client.store(uid(1), 'add', ['\\Seen']),
  copy: (client) => client.copy(uid(1), 'Archive'),
  move: (client) => client.move(uid(2), 'Archive'),
  expunge: (client) => client.expunge(),
  append: (client) => client.append('INBOX', Buffer.from('Subject: hi\r\n\r\nbody\r\n')),
  capability: (client) => client.capability(),
  logout: (client) => client.logout(),
  noopTimeout: (client) => client.noop({ timeout: 2 }),
  selectAborted: (client) => {
    const controller = new AbortController();
    setImmediate(() => {
      controller.abort();
    });
    return client.select('INBOX', { signal: controller.signal });
  },
  fetchEnvelopes: async (client) => {
    for await (const message of client.fetch('1:*', { envelope: true, flags: true })) seen += message.seq;
  },
  fetchBodies: async (client) => {
    for await (const message of client.fetch('1:*', { source: true })) seen += (await message.body().collect()).length;
  },
  fetchChunks: async (client) => {
    for await (const message of client.fetch('1:*', { source: true })) {
      for await (const chunk of message.chunks('', { reuse: true })) seen += chunk.length;
    }
  },
  fetchStopEarly: async (client) => {
    for await (const message of client.fetch('1:*', { source: true })) {
      seen += message.seq;
      break;
    }
  },
  fetchAborted: async (client) => {
    const controller = new AbortController();
    setImmediate(() => {
      controller.abort();
    });
    for await (const message of client.fetch('1:*', { flags: true }, { signal: controller.signal })) seen += message.seq;
  },
  idle: async (client) => {
    for await (const event of client.idle()) {
      seen += event.kind.length;
      break;
    }
  },
  idleTwoEvents: async (client) => {
    let events = 0;
    for await (const event of client.idle()) {
      seen += event.kind.length;
      if (++events === 2) break;
    }
  },
};

const call = fc.constantFrom(...Object.keys(CALLS));

describe('ImapClient against a chaotic server', () => {
  const unhandled = trackUnhandledRejections();

  it('settles every call with a result or a mailwire error, and leaves no rejection unhandled', async () => {
    await fc.assert(
      fc.asyncProperty(
        plans(REPLIES.length),
        fc.array(fc.tuple(call, fc.nat(3)), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.constantFrom('LITERAL+ IDLE UIDPLUS MOVE CONDSTORE ESEARCH ENABLE', 'UIDPLUS', 'IDLE LITERAL- STARTTLS'),
        async (plan, calls, preauth, extensions) => {
          const greeting = preauth
            ? `* PREAUTH [CAPABILITY IMAP4rev1 ${extensions}] hi\r\n`
            : `* OK [CAPABILITY IMAP4rev1 ${extensions} AUTH=PLAIN] hi\r\n`;
          let connection: ChaosConnection | undefined;
          const connector: Connector = (_options, handlers) => Promise.resolve((connection = new ChaosConnection(handlers, greeting, plan, (index, line) => REPLIES[index]!.replaceAll('$T', /^(\S+) /.exec(line)?.[1] ?? '*'))));
          const client = new ImapClient({
            host: 'chaos.invalid',
            tls: extensions.includes('STARTTLS') ? 'starttls' : 'none',
            allowCleartext: !extensions.includes('STARTTLS'),
            connector,
            ...(preauth ? {} : { auth: { username: 'alice', password: 'secret', method: 'LOGIN' as const } }),
          });
          await expectAllSettle(
            () => connection,
            () => client.connect(),
            calls.map(([name, wait]) => [() => CALLS[name]!(client), wait] as const),
            unhandled,
          );
          client.destroy();
          expect(seen).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: Number(process.env.CHAOS_RUNS ?? 400) },
    );
  }, 120_000);
});
