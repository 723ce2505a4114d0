/**
 * The whole IMAP client against a server that answers every command with a random mix of sound,
 * odd and broken responses (in random chunks), while several commands run at once. Whatever it
 * sends, every call must settle (at the latest when the connection ends), every failure must be
 * a typed mailwire error, and no promise may be left to reject unhandled.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection, Connector } from '../../src/common/connector.js';
import { ConnectionClosedError, MailwireError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { TransportHandlers } from '../../src/common/transport-options.js';
import type { WirePart } from '../../src/common/wirelog.js';
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

/** One step of the server's plan. */
type Act = { readonly kind: 'reply'; readonly index: number; readonly chunk: number } | { readonly kind: 'close' } | { readonly kind: 'silence' };

const act: fc.Arbitrary<Act> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('reply' as const), index: fc.nat(REPLIES.length - 1), chunk: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'silence' as const }) },
);

/**
 * An in-memory connection playing the plan: each line the client ends gets the plan's next step
 * (a reply cut into chunks of the given size, delivered on later turns of the event loop, or a
 * hang-up, or nothing). When the plan runs out the server hangs up at the next line, and the test
 * hangs up itself once every call has been made ({@link ChaosConnection.hangUp}).
 */
class ChaosConnection implements Connection {
  readonly secure = false;
  readonly logging = false;
  closed = false;
  readonly #handlers: TransportHandlers;
  readonly #plan: Act[];
  #line = '';
  #queue: Uint8Array[] = [];
  #paused = false;
  #scheduled = false;

  constructor(handlers: TransportHandlers, greeting: string, plan: readonly Act[]) {
    this.#handlers = handlers;
    this.#plan = [...plan];
    this.#send(greeting, 64);
  }

  write(parts: readonly WirePart[]): void {
    if (this.closed) throw new ConnectionClosedError('closed');
    for (const part of parts) {
      this.#line += typeof part === 'string' ? part : part instanceof Secret ? part.reveal() : Buffer.from(part).toString('latin1');
    }
    let end: number;
    while ((end = this.#line.indexOf('\r\n')) !== -1) {
      const line = this.#line.slice(0, end);
      this.#line = this.#line.slice(end + 2);
      this.#answer(line);
    }
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  upgradeToTls(): Promise<void> {
    return Promise.reject(new ConnectionClosedError('no TLS here'));
  }

  armTimeout(): void {
    // The plan ends with a hang-up, which settles everything; timers would only slow the runs.
  }

  disarmTimeout(): void {
    // See armTimeout.
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  logServer(): void {
    // No wire log.
  }

  close(): Promise<void> {
    this.#end(new ConnectionClosedError('closed by the client'));
    return Promise.resolve();
  }

  destroy(error?: MailwireError): void {
    this.#end(error ?? new ConnectionClosedError('destroyed'));
  }

  /** Hangs up after what is queued (a silent server would only be ended by the command timeout). */
  hangUp(): void {
    this.#queue.push(new Uint8Array(0));
    this.#schedule();
  }

  #answer(line: string): void {
    const tag = /^(\S+) /.exec(line)?.[1] ?? '*';
    const step = this.#plan.shift();
    if (step === undefined || step.kind === 'close') {
      this.#queue.push(new Uint8Array(0)); // the hang-up, after what is queued
      this.#schedule();
      return;
    }
    if (step.kind === 'reply') this.#send(REPLIES[step.index]!.replaceAll('$T', tag), step.chunk);
  }

  #send(text: string, chunk: number): void {
    const bytes = Buffer.from(text, 'latin1');
    for (let start = 0; start < bytes.length; start += chunk) this.#queue.push(bytes.subarray(start, start + chunk));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  #deliver(): void {
    if (this.closed || this.#paused) return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    if (next.length === 0) {
      this.#end(new ConnectionClosedError('the server hung up'));
      return;
    }
    try {
      this.#handlers.onData(next);
    } catch (error) {
      this.#end(error instanceof MailwireError ? error : new ConnectionClosedError('the data handler threw', { cause: error }));
      return;
    }
    this.#schedule();
  }

  #end(error: MailwireError): void {
    if (this.closed) return;
    this.closed = true;
    this.#queue = [];
    queueMicrotask(() => {
      this.#handlers.onClose(error);
    });
  }
}

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
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('settles every call with a result or a mailwire error, and leaves no rejection unhandled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(act, { maxLength: 12 }),
        fc.array(fc.tuple(call, fc.nat(3)), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.constantFrom('LITERAL+ IDLE UIDPLUS MOVE CONDSTORE ESEARCH ENABLE', 'UIDPLUS', 'IDLE LITERAL- STARTTLS'),
        async (plan, calls, preauth, extensions) => {
          const greeting = preauth
            ? `* PREAUTH [CAPABILITY IMAP4rev1 ${extensions}] hi\r\n`
            : `* OK [CAPABILITY IMAP4rev1 ${extensions} AUTH=PLAIN] hi\r\n`;
          let connection: ChaosConnection | undefined;
          const connector: Connector = (_options, handlers) => Promise.resolve((connection = new ChaosConnection(handlers, greeting, plan)));
          const client = new ImapClient({
            host: 'chaos.invalid',
            tls: extensions.includes('STARTTLS') ? 'starttls' : 'none',
            allowCleartext: !extensions.includes('STARTTLS'),
            connector,
            ...(preauth ? {} : { auth: { username: 'alice', password: 'secret', method: 'LOGIN' as const } }),
          });
          const outcomes: Promise<unknown>[] = [
            client.connect().then(
              () => 'connected',
              (error: unknown) => error,
            ),
          ];
          for (const [name, turns] of calls) {
            for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
            outcomes.push(
              CALLS[name]!(client).then(
                () => 'ok',
                (error: unknown) => error,
              ),
            );
          }
          for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
          connection?.hangUp();
          let timer: NodeJS.Timeout | undefined;
          const hung = new Promise((resolve) => {
            timer = setTimeout(() => { resolve('hung'); }, 5000);
          });
          const settled = await Promise.race([Promise.all(outcomes), hung]);
          clearTimeout(timer);
          client.destroy();
          expect(settled).not.toBe('hung');
          for (const outcome of settled as unknown[]) {
            if (outcome === 'ok' || outcome === 'connected') continue;
            expect(outcome).toBeInstanceOf(MailwireError);
          }
          await new Promise((resolve) => setImmediate(resolve));
          expect(unhandled).toEqual([]);
          expect(seen).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: Number(process.env.CHAOS_RUNS ?? 400) },
    );
  }, 120_000);
});
