/**
 * The unsolicited event stream: every subscriber gets its own bounded queue and reads it as an
 * async iterator. Emitting never blocks and never waits for a reader: a subscriber that falls
 * more than `limit` events behind loses the oldest ones and is told so by an `overflow` event.
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, type MailwireError } from '../common/errors.js';
import type { MailboxEvent, MailboxEventStream } from './session.js';

/** Options of {@link ImapClient.events}. */
export interface EventSubscriptionOptions {
  /** Ends the iteration (it then returns normally). */
  readonly signal?: AbortSignal | undefined;
  /** How many unread events are kept before the oldest are dropped. Default 10,000. */
  readonly limit?: number | undefined;
}

const DEFAULT_LIMIT = 10_000;

/** A subscriber's queue. */
class Subscription implements MailboxEventStream {
  readonly #channel: EventChannel;
  readonly #limit: number;
  readonly #queue: MailboxEvent[] = [];
  #dropped = 0;
  #waiter: { resolve: (result: IteratorResult<MailboxEvent>) => void; reject: (error: unknown) => void } | undefined;
  #ended = false;
  #error: MailwireError | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => {
    this.end(undefined);
  };

  constructor(channel: EventChannel, options: EventSubscriptionOptions) {
    this.#channel = channel;
    this.#limit = Math.max(1, options.limit ?? DEFAULT_LIMIT);
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) this.#ended = true;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  push(event: MailboxEvent): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
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
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (error !== undefined && this.#signal?.aborted !== true) waiter.reject(error);
    else waiter.resolve({ value: undefined, done: true });
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
    if (this.#waiter !== undefined) return Promise.reject(new InvalidArgumentError('next() called while a previous next() is pending'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<MailboxEvent>> {
    this.#queue.length = 0;
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
  subscribe(options: EventSubscriptionOptions = {}): MailboxEventStream {
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
