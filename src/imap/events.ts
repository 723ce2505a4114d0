/**
 * The unsolicited event stream: every subscriber gets its own bounded queue and reads it as an
 * async iterator. Emitting never blocks and never waits for a reader: a subscriber that falls
 * more than `limit` events behind loses the oldest ones and is told so by an `overflow` event.
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, type MailwireError } from '../common/errors.js';
import { checkSignal, describeValue } from '../common/transport-options.js';
import type { MailboxEvent, MailboxEventStream } from './session.js';

/** Options of {@link ImapClient.events}. */
export interface EventSubscriptionOptions {
  /** Ends the iteration (it then returns normally). */
  readonly signal?: AbortSignal | undefined;
  /** How many unread events are kept before the oldest are dropped (a number; NaN is refused). Default 10,000. */
  readonly limit?: number | undefined;
}

const DEFAULT_LIMIT = 10_000;

/** What the core's own families may ask of a subscription. @internal */
export interface InternalSubscriptionOptions extends EventSubscriptionOptions {
  /** Called once when the subscription ends (its signal, `return()`, the connection's end, or `end()`). */
  readonly onEnd?: (() => void) | undefined;
}

/** A subscription as the core's own families see it. @internal */
export interface EventSubscription extends MailboxEventStream {
  /** Ends the subscription: normally (undefined) or with `error`, delivered after the queued events. */
  end(error: MailwireError | undefined): void;
}

interface Waiter {
  readonly resolve: (result: IteratorResult<MailboxEvent>) => void;
  readonly reject: (error: unknown) => void;
}

/** A subscriber's queue. */
class Subscription implements EventSubscription {
  readonly #channel: EventChannel;
  readonly #limit: number;
  readonly #queue: MailboxEvent[] = [];
  #dropped = 0;
  /** Calls of next() waiting for an event, oldest first (as an async generator queues them). */
  #waiters: Waiter[] = [];
  #ended = false;
  #error: MailwireError | undefined;
  readonly #signal: AbortSignal | undefined;
  #onEnd: (() => void) | undefined;
  readonly #onAbort = (): void => {
    this.end(undefined);
  };

  constructor(channel: EventChannel, options: InternalSubscriptionOptions) {
    this.#channel = channel;
    this.#limit = Math.max(1, options.limit ?? DEFAULT_LIMIT);
    this.#signal = options.signal;
    this.#onEnd = options.onEnd;
    if (this.#signal?.aborted === true) this.#ended = true;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  push(event: MailboxEvent): void {
    if (this.#ended) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.#queue.length >= this.#limit) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#queue.push(event);
  }

  /** Ends the subscription: normally (undefined) or with the connection's error, after the queue. */
  end(error: MailwireError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#channel.remove(this);
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    onEnd?.();
    const waiters = this.#waiters;
    this.#waiters = [];
    // Waiters exist only when the queue is empty: the first gets the error, the rest the end.
    for (const waiter of waiters) {
      const failure = this.#error;
      this.#error = undefined;
      if (failure !== undefined && this.#signal?.aborted !== true) waiter.reject(failure);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<MailboxEvent>> {
    if (this.#dropped > 0) {
      const dropped = this.#dropped;
      this.#dropped = 0;
      return Promise.resolve({ value: { kind: 'overflow', dropped }, done: false });
    }
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.#ended) {
      const error = this.#error;
      this.#error = undefined;
      if (error !== undefined && this.#signal?.aborted !== true) return Promise.reject(error);
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  return(): Promise<IteratorResult<MailboxEvent>> {
    // What was dropped is forgotten with the rest: a stopped iterator yields no `overflow` after.
    this.#queue.length = 0;
    this.#dropped = 0;
    this.end(undefined);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): MailboxEventStream {
    return this;
  }
}

/**
 * Fans mailbox events out to subscribers.
 *
 * @internal
 */
export class EventChannel {
  readonly #subscribers = new Set<Subscription>();
  #closed = false;
  #closeError: MailwireError | undefined;

  /** A new subscription that receives every event emitted from now on. */
  subscribe(options: InternalSubscriptionOptions = {}): EventSubscription {
    checkSignal(options.signal);
    const limit: unknown = options.limit;
    // NaN (or text that is no number, from JavaScript) is never reached: the queue would grow without bound.
    if (limit !== undefined && (typeof limit !== 'number' || Number.isNaN(limit))) {
      throw new InvalidArgumentError(`limit must be a number of events, got ${describeValue(limit)}`);
    }
    const subscription = new Subscription(this, options);
    if (this.#closed) subscription.end(this.#closeError);
    else if (options.signal?.aborted !== true) this.#subscribers.add(subscription);
    return subscription;
  }

  /** True when someone listens. */
  get active(): boolean {
    return this.#subscribers.size > 0;
  }

  emit(event: MailboxEvent): void {
    for (const subscription of this.#subscribers) subscription.push(event);
  }

  /**
   * The connection is gone: every subscription ends after its queued events, normally after a
   * LOGOUT (`error` undefined), else by throwing `error`.
   */
  close(error: MailwireError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    for (const subscription of [...this.#subscribers]) subscription.end(error);
  }

  /** @internal */
  remove(subscription: Subscription): void {
    this.#subscribers.delete(subscription);
  }
}
