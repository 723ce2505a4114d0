/**
 * IDLE (RFC 2177): mailbox events as they happen. The client leaves IDLE (`DONE`) when the caller
 * stops iterating, when another command is issued (and re-enters IDLE once it is answered), and
 * every `restartAfter` milliseconds (RFC 2177 section 3: servers may drop a client idle for 30
 * minutes). Without the IDLE capability (or IMAP4rev2, which includes it) it polls with NOOP.
 *
 * @packageDocumentation
 */

import { ConnectionClosedError, InvalidArgumentError, MailwireError, ProtocolError } from '../../common/errors.js';
import { MAX_TIMER_MS, describeValue } from '../../common/transport-options.js';
import type { EventSubscription } from '../events.js';
import type { CommandContext, CoreSession, MailboxEvent, MailboxEventStream } from '../session.js';
import { noop } from './connection.js';

/** Options of {@link ImapClient.idle}. */
export interface IdleOptions {
  /** Stops idling (the iteration then ends normally). */
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds after which IDLE is ended and re-issued, 1 to 2^31-1. Default 29 minutes. */
  readonly restartAfter?: number | undefined;
  /**
   * Milliseconds between NOOPs where the server lacks IDLE, 1 to 2^31-1. Default 30,000. Also the
   * wait before the next IDLE when the server ended one at once, without entering it.
   */
  readonly pollInterval?: number | undefined;
  /** Unread events kept before the oldest are dropped (an `overflow` event says so). Default 10,000. */
  readonly limit?: number | undefined;
}

const DEFAULT_RESTART = 29 * 60 * 1000;
const DEFAULT_POLL = 30_000;

/** A timer's delay option: 1 to 2^31-1 ms (a longer one would fire at once). */
function delay(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  // typeof first: a JavaScript caller's '5000' would pass the comparison and reach setTimeout as text.
  if (!(typeof value === 'number' && value >= 1 && value <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError(`${name} must be from 1 to ${MAX_TIMER_MS} ms, got ${describeValue(value)}`);
  }
  return value;
}

class IdleLoop implements MailboxEventStream {
  readonly #session: CoreSession;
  readonly #events: EventSubscription;
  readonly #restartAfter: number;
  readonly #pollInterval: number;
  readonly #signal: AbortSignal | undefined;
  #stopped = false;
  /** Ends the current IDLE (or the current poll wait). */
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;
  readonly #onAbort = (): void => {
    this.#stop();
  };

  constructor(session: CoreSession, options: IdleOptions) {
    this.#session = session;
    this.#signal = options.signal;
    this.#restartAfter = delay('restartAfter', options.restartAfter, DEFAULT_RESTART);
    this.#pollInterval = delay('pollInterval', options.pollInterval, DEFAULT_POLL);
    // The subscription ends with the session (LOGOUT, a lost connection): so does the loop.
    this.#events = session.subscribe({
      signal: options.signal,
      limit: options.limit,
      onEnd: () => {
        this.#stop();
      },
    });
    if (this.#signal?.aborted === true) this.#stopped = true;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    try {
      while (!this.#stopped) {
        if (!offersIdle(this.#session)) await this.#pollOnce();
        // A server that answers IDLE at once, without entering it, would else be sent IDLE after
        // IDLE without pause: the next one waits as a poll would.
        else if (!(await this.#idleOnce())) await this.#pause();
      }
    } catch (error) {
      if (this.#stopped && error instanceof MailwireError && error.code === 'ABORTED') return;
      // After LOGOUT the event stream ends by itself (normally, or with the connection's error).
      if (this.#session.state === 'logout' && error instanceof ConnectionClosedError) return;
      // The events received before the failure are read first, then the error (and the subscription is gone).
      this.#events.end(error instanceof MailwireError ? error : new ProtocolError('IDLE failed', {}, { cause: error }));
    } finally {
      this.#signal?.removeEventListener('abort', this.#onAbort);
    }
  }

  /**
   * One IDLE command, ended by DONE on stop, interrupt or restart timer. Resolves true when the
   * server entered IDLE (its `+`) or the client asked it to end, false when it ended IDLE unasked
   * before entering it.
   */
  async #idleOnce(): Promise<boolean> {
    let context: CommandContext | undefined;
    let doneWanted = false;
    let doneSent = false;
    let timer: NodeJS.Timeout | undefined;
    const sendDone = (): void => {
      doneWanted = true;
      if (context === undefined || doneSent) return;
      doneSent = true;
      context.sendLine('DONE');
    };
    // Stopping before the server's `+`: a queued IDLE is withdrawn; a sent one gets its DONE as soon
    // as the `+` arrives (RFC 2177 allows DONE only then), without the caller waiting for it.
    const withdraw = new AbortController();
    this.#wake = () => {
      sendDone();
      if (context === undefined) withdraw.abort();
    };
    try {
      await this.#session.run({
        name: 'IDLE',
        exclusive: true,
        // Idles only while nothing else wants the connection: several loops share one IDLE.
        background: true,
        states: ['authenticated', 'selected'],
        continuation: (_response, commandContext) => {
          context = commandContext;
          if (doneWanted) sendDone();
          // Once: a server that sends another `+` while idling must not arm a second timer, which
          // the finally below would not clear.
          else timer ??= setTimeout(sendDone, this.#restartAfter);
        },
        interrupt: () => {
          sendDone();
        },
        done: () => undefined,
      }, { signal: withdraw.signal });
      return context !== undefined || doneWanted;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  /** Waits `pollInterval` (or until stopped), then NOOP: its untagged data becomes events. */
  async #pollOnce(): Promise<void> {
    await this.#pause();
    if (!this.#stopped) await noop(this.#session);
  }

  /** Waits `pollInterval`, or until stopped. */
  async #pause(): Promise<void> {
    if (this.#stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#pollInterval);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  #stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  next(): Promise<IteratorResult<MailboxEvent>> {
    return this.#events.next();
  }

  async return(): Promise<IteratorResult<MailboxEvent>> {
    this.#stop();
    await this.#events.return();
    await this.#loop;
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): MailboxEventStream {
    return this;
  }
}

/**
 * Whether the server takes IDLE: listed, or part of IMAP4rev2 (RFC 9051 section 6.3.13), whose
 * servers need not list it apart. Without it, {@link idle} polls with NOOP.
 *
 * @internal
 */
export function offersIdle(session: Pick<CoreSession, 'hasCapability'>): boolean {
  return session.hasCapability('IDLE') || session.hasCapability('IMAP4REV2');
}

/**
 * IDLE as an async iterable of mailbox events.
 *
 * @example
 * ```ts
 * for await (const event of client.idle({ signal })) {
 *   if (event.kind === 'exists') await fetchNew();   // the fetch ends IDLE, IDLE resumes after it
 * }
 * ```
 */
export function idle(session: CoreSession, options: IdleOptions = {}): MailboxEventStream {
  return new IdleLoop(session, options);
}
