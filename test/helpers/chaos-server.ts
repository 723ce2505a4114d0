/**
 * The chaotic server of the client property tests (test/unit/*-client-chaos.property.test.ts): an
 * in-memory {@link Connection} that answers each command line with the next step of a random plan,
 * and the loop that makes the calls and checks that every one settles.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Connection } from '../../src/common/connector.js';
import { ConnectionClosedError, MailwireError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { TransportHandlers } from '../../src/common/transport-options.js';
import type { WirePart } from '../../src/common/wirelog.js';

/** One step of the server's plan: reply `index` of the protocol's table, a hang-up, or nothing. */
export type Act =
  | { readonly kind: 'reply'; readonly index: number; readonly chunk: number; readonly thenClose: boolean }
  | { readonly kind: 'close' }
  | { readonly kind: 'silence' };

/** Plans over a table of `replies` replies: mostly replies, cut in chunks of 1-40 bytes, some followed at once by a hang-up. */
export function plans(replies: number): fc.Arbitrary<Act[]> {
  const act: fc.Arbitrary<Act> = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        kind: fc.constant('reply' as const),
        index: fc.nat(replies - 1),
        chunk: fc.integer({ min: 1, max: 40 }),
        thenClose: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'silence' as const }) },
  );
  return fc.array(act, { maxLength: 12 });
}

/**
 * An in-memory connection playing the plan: each line the client ends gets the plan's next step
 * (a reply cut into chunks of the given size, delivered on later turns of the event loop, or a
 * hang-up, or nothing). When the plan runs out the server hangs up at the next line, and the test
 * hangs up itself once every call has been made ({@link ChaosConnection.hangUp}).
 */
export class ChaosConnection implements Connection {
  readonly secure = false;
  readonly logging = false;
  closed = false;
  readonly #handlers: TransportHandlers;
  readonly #plan: Act[];
  #line = '';
  #queue: Uint8Array[] = [];
  #paused = false;
  #scheduled = false;
  /** Deliveries left until the server hangs up in the same turn as its last bytes; -1: no such hang-up. */
  #closeAfter = -1;

  readonly #reply: (index: number, line: string) => string;

  /**
   * @param reply - the text of reply `index` of the protocol's table for a command `line`.
   */
  constructor(handlers: TransportHandlers, greeting: string, plan: readonly Act[], reply: (index: number, line: string) => string) {
    this.#handlers = handlers;
    this.#plan = [...plan];
    this.#reply = reply;
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
    const step = this.#plan.shift();
    if (step === undefined || step.kind === 'close') {
      this.#queue.push(new Uint8Array(0)); // the hang-up, after what is queued
      this.#schedule();
      return;
    }
    if (step.kind !== 'reply') return;
    const text = this.#reply(step.index, line);
    if (step.thenClose) this.#closeAfter = this.#queue.length + Math.ceil(Buffer.byteLength(text, 'latin1') / step.chunk);
    this.#send(text, step.chunk);
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
    if (this.#closeAfter !== -1 && --this.#closeAfter <= 0) {
      // The server's last bytes and its hang-up arrive together (a reply, then close).
      this.#end(new ConnectionClosedError('the server hung up'));
      return;
    }
    this.#schedule();
  }

  #end(error: MailwireError): void {
    if (this.closed) return;
    this.closed = true;
    this.#queue = [];
    // As Transport does: onClose at once, before the promises the last data settled run on.
    this.#handlers.onClose(error);
  }
}

/**
 * Collects unhandled promise rejections during each test of the calling file (registers the
 * hooks); returns the list of the current test.
 */
export function trackUnhandledRejections(): () => readonly unknown[] {
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
  return () => unhandled;
}

/** Resolves after `turns` turns of the event loop. */
async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Starts `connect`, then each call after its number of event-loop turns, then hangs the server up
 * once they are all made; expects every one to settle within 5 s with a result or a
 * {@link MailwireError}, and `unhandled()` (see {@link trackUnhandledRejections}) to stay empty.
 */
export async function expectAllSettle(
  connection: () => ChaosConnection | undefined,
  connect: () => Promise<unknown>,
  calls: readonly (readonly [() => Promise<unknown>, number])[],
  unhandled: () => readonly unknown[],
): Promise<void> {
  const settle = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => 'ok',
      (error: unknown) => error,
    );
  const outcomes = [settle(connect())];
  for (const [call, wait] of calls) {
    await turns(wait);
    outcomes.push(settle(call()));
  }
  await turns(20);
  connection()?.hangUp();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => {
      resolve('hung');
    }, 5000);
  });
  const settled = await Promise.race([Promise.all(outcomes), hung]);
  clearTimeout(timer);
  expect(settled).not.toBe('hung');
  for (const outcome of settled as unknown[]) {
    if (outcome !== 'ok') expect(outcome).toBeInstanceOf(MailwireError);
  }
  await turns(1);
  expect(unhandled()).toEqual([]);
}
