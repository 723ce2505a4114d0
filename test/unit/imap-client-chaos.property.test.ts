/**
 * The whole IMAP client against a server that answers every command with a random mix of sound,
 * odd and broken responses (in random chunks), while several commands run at once. Whatever it
 * sends, every call must settle (at the latest when the connection ends), every failure must be
 * a typed mailwire error, and no promise may be left to reject unhandled.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connector } from '../../src/common/connector.js';
import { ChaosConnection, IMAP_NOISE, IMAP_REPLIES, expectAllSettle, failuresOf, imapReply, imapSoundReply, plans, soundPlan, trackUnhandledRejections } from '../helpers/chaos-server.js';
import { ImapClient } from '../../src/imap/client.js';
import { uid } from '../../src/imap/wire/sequence-set.js';


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
  appendStream: (client) => {
    const body = Buffer.from('Subject: streamed\r\n\r\nbody\r\n');
    return client.append('Archive', Readable.from([body.subarray(0, 9), body.subarray(9)]), { size: body.length });
  },
  searchSummary: (client) => client.searchSummary({ all: true }, ['MIN', 'MAX', 'COUNT']),
  fetchOne: async (client) => {
    seen += (await client.fetchOne(uid(1), { source: true }))?.seq ?? 0;
  },
  events: async (client) => {
    const controller = new AbortController();
    setImmediate(() => {
      controller.abort();
    });
    for await (const event of client.events({ signal: controller.signal })) {
      seen += event.kind.length;
      break;
    }
  },
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
  fetchBuffered: async (client) => {
    for await (const message of client.fetch('1:*', { bodies: ['HEADER'], source: true }, { bodies: 'buffer' })) {
      seen += (message.bodyBytes('HEADER')?.length ?? 0) + (message.bodyBytes('')?.length ?? 0);
    }
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
        plans(IMAP_REPLIES.length, 6),
        fc.array(fc.tuple(call, fc.nat(3)), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.constantFrom('LITERAL+ IDLE UIDPLUS MOVE CONDSTORE ESEARCH ENABLE', 'UIDPLUS', 'IDLE LITERAL- STARTTLS'),
        async (plan, calls, preauth, extensions) => {
          const greeting = preauth
            ? `* PREAUTH [CAPABILITY IMAP4rev1 ${extensions}] hi\r\n`
            : `* OK [CAPABILITY IMAP4rev1 ${extensions} AUTH=PLAIN] hi\r\n`;
          let connection: ChaosConnection | undefined;
          const connector: Connector = (_options, handlers) => Promise.resolve((connection = new ChaosConnection(handlers, greeting, plan, imapReply, imapSoundReply)));
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
            calls,
            (name) => CALLS[name]!(client),
            unhandled,
          );
          client.destroy();
          expect(seen).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: Number(process.env.CHAOS_RUNS ?? 400) },
    );
  }, 120_000);

  // Several commands at once against a sound server, its answers cut at random: every call succeeds.
  // Left out: calls meant to fail or to end the session, and an IDLE waiting for a second event.
  const SOUND_CALLS = Object.keys(CALLS).filter((name) => !['logout', 'noopTimeout', 'selectAborted', 'fetchAborted', 'idleTwoEvents'].includes(name));

  it('completes every call against a sound server, whatever the chunking and the noise around its answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }), fc.array(fc.constantFrom(...IMAP_NOISE), { maxLength: 12 }))
          .map(([chunks, noise]) => soundPlan(chunks, 100, noise)),
        fc.array(fc.tuple(fc.constantFrom(...SOUND_CALLS), fc.nat(3)), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('LITERAL+ IDLE UIDPLUS MOVE CONDSTORE ESEARCH ENABLE', 'IDLE UIDPLUS', 'IDLE LITERAL-'),
        async (plan, calls, extensions) => {
          let connection: ChaosConnection | undefined;
          const connector: Connector = (_options, handlers) =>
            Promise.resolve((connection = new ChaosConnection(handlers, `* OK [CAPABILITY IMAP4rev1 ${extensions} AUTH=PLAIN] hi\r\n`, plan, imapReply, imapSoundReply)));
          const client = new ImapClient({ host: 'sound.invalid', tls: 'none', allowCleartext: true, connector, auth: { username: 'alice', password: 'secret', method: 'LOGIN' } });
          await client.connect();
          await client.select('INBOX');
          const failures = await failuresOf(calls, (name) => CALLS[name]!(client));
          connection?.hangUp();
          client.destroy();
          expect(failures).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.CHAOS_RUNS ?? 300) },
    );
  }, 120_000);
});
