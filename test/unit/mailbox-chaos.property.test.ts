/**
 * `openMailbox` over both protocols against the chaotic server of the client property tests: the
 * mailbox's own calls (list, headers, fetch, retrieve, delete, watch, close) made at once while
 * the server answers at random. Every call must settle with a result or a typed mailwire error,
 * and no promise may be left to reject unhandled.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Connector } from '../../src/common/connector.js';
import { imapMessageId, pop3MessageId, type Mailbox, type MessageId } from '../../src/common/mailbox.js';
import { openMailbox } from '../../src/open-mailbox.js';
import { ChaosConnection, IMAP_REPLIES, POP3_REPLIES, expectAllSettle, imapReply, imapSoundReply, plans, pop3SoundReply, trackUnhandledRejections, type Act } from '../helpers/chaos-server.js';

/** What a caller does with the mailbox; `ids` are what `list()` gave, if it answered. */
type Call = (mailbox: Mailbox, ids: MessageId[]) => Promise<unknown>;

/** Counts what the reading calls see (so that each loop body does something). */
let seen = 0;

const CALLS: Record<string, Call> = {
  list: async (mailbox, ids) => {
    for (const info of await mailbox.list()) ids.push(info.id);
  },
  headers: async (mailbox, ids) => {
    for await (const summary of mailbox.headers(ids.slice(0, 2))) seen += summary.id.key.length;
  },
  fetch: async (mailbox, ids) => {
    seen += (await (await mailbox.fetch(ids[0] ?? fallbackId(mailbox))).bytes()).length;
  },
  retrieve: async (mailbox, ids) => {
    for await (const chunk of await mailbox.retrieve(ids[0] ?? fallbackId(mailbox))) seen += chunk.length;
  },
  delete: (mailbox, ids) => mailbox.delete(ids.length > 0 ? ids.slice(0, 1) : [fallbackId(mailbox)]),
  watch: async (mailbox) => {
    // By default a watch reconnects for ever (a server that keeps hanging up is a server to wait
    // for); here it gives up after two failed attempts.
    const watch = mailbox.watch({ backoff: { first: 1, max: 2, attempts: 2 }, interval: 5 });
    try {
      for await (const event of watch) {
        seen += event.kind.length;
        break;
      }
    } finally {
      await watch.return();
    }
  },
  close: (mailbox) => mailbox.close(),
};

/** An id of the mailbox's protocol for a message `list()` did not report. */
function fallbackId(mailbox: Mailbox): MessageId {
  return mailbox.traits.protocol === 'imap' ? imapMessageId(7, 1) : pop3MessageId('uid-1');
}

const call = fc.constantFrom(...Object.keys(CALLS));

describe('Mailbox against a chaotic server', () => {
  const unhandled = trackUnhandledRejections();

  for (const protocol of ['imap', 'pop3'] as const) {
    it(`${protocol}: settles every call with a result or a mailwire error, and leaves no rejection unhandled`, async () => {
      const greeting =
        protocol === 'imap'
          ? '* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE UIDPLUS MOVE CONDSTORE ESEARCH ENABLE AUTH=PLAIN] hi\r\n'
          : '+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n';
      const reply = protocol === 'imap' ? imapReply : (index: number): string => POP3_REPLIES[index]!;
      const sound = protocol === 'imap' ? imapSoundReply : pop3SoundReply;
      await fc.assert(
        fc.asyncProperty(
          plans(protocol === 'imap' ? IMAP_REPLIES.length : POP3_REPLIES.length, 40),
          plans(protocol === 'imap' ? IMAP_REPLIES.length : POP3_REPLIES.length, 40),
          fc.array(fc.tuple(call, fc.nat(3)), { minLength: 1, maxLength: 5 }),
          async (plan, watchPlan, calls) => {
            const connections: ChaosConnection[] = [];
            let over = false;
            const chaos = (steps: readonly Act[]): Connector => (_options, handlers) => {
              const connection = new ChaosConnection(handlers, greeting, steps, reply, sound);
              connections.push(connection);
              // A connection opened after the test hung up (a watch reconnecting) is hung up at once.
              if (over) connection.hangUp();
              return Promise.resolve(connection);
            };
            let mailbox: Mailbox | undefined;
            const ids: MessageId[] = [];
            const open = async (): Promise<void> => {
              mailbox = await openMailbox(`${protocol}://alice@chaos.invalid/`.replace(/\/$/, protocol === 'imap' ? '/INBOX' : ''), {
                password: 'secret',
                tls: 'none',
                allowCleartext: true,
                connector: chaos(plan),
                watchConnector: chaos(watchPlan),
              });
            };
            // The calls wait for the mailbox to open; one that starts before it did settles as the open does.
            const opened = open();
            await expectAllSettle(
              () => ({
                hangUp: () => {
                  over = true;
                  for (const connection of connections) connection.hangUp();
                },
              }),
              () => opened,
              calls,
              async (name) => {
                await opened;
                if (mailbox !== undefined) await CALLS[name]!(mailbox, ids);
              },
              unhandled,
            );
            await expectAllSettle(() => undefined, () => mailbox?.close() ?? Promise.resolve(), [], () => Promise.resolve(), unhandled);
            seen = Math.max(seen, 0);
          },
        ),
        { numRuns: Number(process.env.CHAOS_RUNS ?? 200), endOnFailure: process.env.CHAOS_END === "1" },
      );
    }, 120_000);
  }
});
