/**
 * The window of RETR commands behind `Pop3Client.retrieveMany`: commands are queued one pipeline
 * window ahead of the reader, not all at once, and what the reader leaves is dropped.
 *
 * Kept apart from the async generator that uses it so the generator stays a few lines: an async
 * generator's optimized code is costly to build, and a download of a thousand messages is over in
 * the time that takes, so the work lives in small methods.
 *
 * @internal
 * @packageDocumentation
 */
import { AbortError } from '../common/errors.js';
import { Queue } from './queue.js';
import type { MessageExchange, Pop3Message } from './message.js';

/** What the window needs of the client. */
export interface RetrievalHost {
  /** Makes the RETR exchange of a message. */
  create(messageNumber: number): MessageExchange;
  /** Queues a prefetched exchange; resolves with its result, or rejects at once when it cannot be sent. */
  enqueue(exchange: MessageExchange): Promise<Pop3Message>;
  /** The loop awaits the exchange now: it counts as awaited, with the call's signal and timeout. */
  handOut(exchange: MessageExchange): Promise<Pop3Message>;
  /** Takes back an exchange not sent yet; false when it is in flight already. */
  withdraw(exchange: MessageExchange): boolean;
  /** How many commands somebody awaits were issued on the connection so far. */
  readonly issued: number;
}

interface Pending {
  readonly exchange: MessageExchange;
  readonly result: Promise<Pop3Message>;
}

/**
 * The RETRs of one `retrieveMany` loop.
 *
 * The window opens slowly: two RETRs ahead at first, twice as many at each step, up to the
 * pipeline depth. When the loop's body issues commands of its own (a DELE after each message, say),
 * their answers come after every RETR already sent, and the bodies of those RETRs are buffered
 * whole so that the commands are answered (see `CommandQueue.awaiting`); the window then sends no
 * RETR before the loop asks for it, so at most one message is ever buffered that way.
 */
export class RetrievalWindow {
  readonly #numbers: readonly number[];
  readonly #maxAhead: number;
  readonly #host: RetrievalHost;
  readonly #window = new Queue<Pending>();
  #ahead: number;
  #queued = 0;
  #current: MessageExchange | undefined;
  /** {@link RetrievalHost.issued} when the loop last moved on. */
  #issued = -1;

  /**
   * @param numbers - the checked message numbers, in order.
   * @param maxAhead - the most RETRs queued ahead of the reader (the pipeline depth).
   * @param host - the client's side.
   */
  constructor(numbers: readonly number[], maxAhead: number, host: RetrievalHost) {
    this.#numbers = numbers;
    this.#maxAhead = Math.max(1, maxAhead);
    this.#ahead = Math.min(2, this.#maxAhead);
    this.#host = host;
  }

  /**
   * Moves on: drops what is left of the previous body (or the next answer never comes), tops the
   * window up, and returns the next message's promise; undefined after the last.
   */
  next(): Promise<Pop3Message> | undefined {
    this.#current?.dropBody();
    const host = this.#host;
    if (this.#issued !== -1) {
      // Commands issued by the loop's body: send nothing ahead of need any more.
      this.#ahead = host.issued !== this.#issued ? 1 : Math.min(this.#ahead * 2, this.#maxAhead);
    }
    while (this.#queued < this.#numbers.length && this.#window.length < this.#ahead) {
      const exchange = host.create(this.#numbers[this.#queued++]!);
      exchange.prefetch = true;
      const result = host.enqueue(exchange);
      // Awaited by the loop, or dropped on purpose by stop() (an exchange's own result is guarded already).
      if (result !== exchange.result) result.catch(ignoreRejection);
      this.#window.push({ exchange, result });
    }
    const next = this.#window.shift();
    this.#current = next?.exchange;
    this.#issued = host.issued;
    if (next === undefined) return undefined;
    return next.result === next.exchange.result ? host.handOut(next.exchange) : next.result;
  }

  /** The loop ended or stopped early: commands not sent yet are withdrawn, answers on their way dropped. */
  stop(): void {
    this.#current?.dropBody();
    for (const { exchange } of this.#window.drain()) {
      if (this.#host.withdraw(exchange)) exchange.fail(new AbortError(`${exchange.display} was withdrawn: the retrieveMany loop stopped`));
      else exchange.dropBody();
    }
  }
}

function ignoreRejection(): void {
  // The loop that awaits the result sees the error; a dropped one needs no handling.
}
