/**
 * The whole POP3 client against a server that answers every command with a random mix of sound,
 * odd and broken replies (in random chunks), while several calls are made at once: every call must
 * settle (at the latest when the connection ends), every failure must be a typed mailwire error,
 * and no promise may be left to reject unhandled. The IMAP twin is imap-client-chaos.property.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connector } from '../../src/common/connector.js';
import { ChaosConnection, POP3_REPLIES, expectAllSettle, failuresOf, plans, soundPlan, pop3SoundReply, trackUnhandledRejections } from '../helpers/chaos-server.js';
import { Pop3Client } from '../../src/pop3/client.js';


/** What a caller does; each returns when the call settled (resolved, or rejected with what). */
type Call = (client: Pop3Client) => Promise<unknown>;

/** Counts what the reading calls see (so that each loop body does something). */
let seen = 0;

const CALLS: Record<string, Call> = {
  stat: (client) => client.stat(),
  list: (client) => client.list(),
  listOne: (client) => client.list(1),
  uidl: (client) => client.uidl(),
  retrieve: async (client) => {
    seen += (await (await client.retrieve(1)).bytes()).length;
  },
  retrieveStream: async (client) => {
    for await (const chunk of await client.retrieve(2)) seen += chunk.length;
  },
  top: async (client) => {
    seen += (await (await client.top(1, 0)).bytes()).length;
  },
  retrieveMany: async (client) => {
    for await (const message of client.retrieveMany([1, 2])) seen += (await message.bytes()).length;
  },
  retrieveManyStopEarly: async (client) => {
    for await (const message of client.retrieveMany([1, 2])) {
      seen += message.number;
      break;
    }
  },
  delete: (client) => client.delete(1),
  reset: (client) => client.reset(),
  noop: (client) => client.noop(),
  noopTimeout: (client) => client.noop({ timeout: 2 }),
  statAborted: (client) => {
    const controller = new AbortController();
    setImmediate(() => {
      controller.abort();
    });
    return client.stat({ signal: controller.signal });
  },
  capabilities: (client) => client.refreshCapabilities(),
  login: (client) => client.login({ username: 'alice', password: 'secret', method: 'USER' }),
  utf8: (client) => client.utf8(),
  close: (client) => client.close(),
};

const call = fc.constantFrom(...Object.keys(CALLS));

describe('Pop3Client against a chaotic server', () => {
  const unhandled = trackUnhandledRejections();

  it('settles every call with a result or a mailwire error, and leaves no rejection unhandled', async () => {
    await fc.assert(
      fc.asyncProperty(
        plans(POP3_REPLIES.length, 6),
        fc.array(fc.tuple(call, fc.nat(3)), { minLength: 1, maxLength: 6 }),
        fc.constantFrom<'USER' | 'APOP' | 'none'>('USER', 'APOP', 'none'),
        async (plan, calls, method) => {
          let connection: ChaosConnection | undefined;
          const connector: Connector = (_options, handlers) =>
            Promise.resolve((connection = new ChaosConnection(handlers, '+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n', plan, (index) => POP3_REPLIES[index]!, pop3SoundReply)));
          const client = new Pop3Client({
            host: 'chaos.invalid',
            tls: 'none',
            allowCleartext: true,
            connector,
            ...(method === 'none' ? {} : { auth: { username: 'alice', password: 'secret', method } }),
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

  // Several calls at once against a sound server, its answers cut at random: every call succeeds.
  // Left out: calls meant to fail or to end the session, UTF8 (only before login), and DELE (a later
  // RETR of the same message is then refused, as it should be).
  const SOUND_CALLS = Object.keys(CALLS).filter((name) => !['close', 'noopTimeout', 'statAborted', 'login', 'utf8', 'delete'].includes(name));

  it('completes every call against a sound server, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }).map((chunks) => soundPlan(chunks)),
        fc.array(fc.tuple(fc.constantFrom(...SOUND_CALLS), fc.nat(3)), { minLength: 1, maxLength: 6 }),
        async (plan, calls) => {
          let connection: ChaosConnection | undefined;
          const connector: Connector = (_options, handlers) =>
            Promise.resolve((connection = new ChaosConnection(handlers, '+OK POP3 ready\r\n', plan, (index) => POP3_REPLIES[index]!, pop3SoundReply)));
          const client = new Pop3Client({ host: 'sound.invalid', tls: 'none', allowCleartext: true, connector, auth: { username: 'alice', password: 'secret', method: 'USER' } });
          await client.connect();
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
