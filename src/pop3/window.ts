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
import { ignoreRejection } from './exchange.js';
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
 * The window opens slowly: the RETR the loop waits for and one more at first, twice as many at
 * each step, up to the pipeline depth, and no further ahead than `readAheadBytes` of bodies of the
 * average size seen so far. It is topped up in batches, when half of it was used: each top-up is
 * one write. When the loop's body issues commands of its own (a DELE after each message, say),
 * they go before the RETRs not written yet, and the bodies of those already written are buffered
 * whole, since a command awaited behind them must be answered (see `CommandQueue.awaiting`); from
 * then on the window sends nothing ahead of need until a step passes without such a command.
 */
export class RetrievalWindow {
  readonly #numbers: readonly number[];
  readonly #maxAhead: number;
  readonly #readAheadBytes: number;
  readonly #host: RetrievalHost;
  readonly #window = new Queue<Pending>();
  #ahead: number;
  #queued = 0;
  #current: MessageExchange | undefined;
  /** {@link RetrievalHost.issued} when the loop last moved on. */
  #issued = -1;
  /** Body bytes and bodies measured, for the average size. */
  #seenBytes = 0;
  #seen = 0;
  /** Bodies the loop moved past whose size is not known yet (still arriving, to be dropped). */
  readonly #measuring = new Queue<MessageExchange>();
  /** RETRs queued out of turn by {@link RetrievalWindow.claim}, by their index in the numbers. */
  readonly #claimed = new Map<number, Pending>();

  /**
   * @param numbers - the checked message numbers, in order.
   * @param maxAhead - the most RETRs queued ahead of the reader (the pipeline depth).
   * @param readAheadBytes - how many bytes of bodies (of the average size seen) to ask for ahead.
   * @param host - the client's side.
   */
  constructor(numbers: readonly number[], maxAhead: number, readAheadBytes: number, host: RetrievalHost) {
    this.#numbers = numbers;
    this.#maxAhead = Math.max(1, maxAhead);
    this.#readAheadBytes = readAheadBytes;
    this.#ahead = Math.min(2, this.#maxAhead);
    this.#host = host;
  }

  /**
   * Moves on: drops what is left of the previous body (or the next answer never comes), tops the
   * window up, and returns the next message's promise; undefined after the last.
   */
  next(): Promise<Pop3Message> | undefined {
    const previous = this.#current;
    if (previous !== undefined) {
      previous.dropBody();
      this.#measuring.push(previous);
    }
    this.#measure();
    const host = this.#host;
    if (this.#issued !== -1) {
      // Commands issued by the loop's body: send nothing ahead of need while it issues them.
      this.#ahead = host.issued !== this.#issued ? 1 : Math.min(this.#ahead * 2, this.#limit());
    }
    // Topped up in batches, when half of it was used: each top-up is a write.
    const refill = this.#window.length <= this.#ahead / 2;
    while (refill && this.#queued < this.#numbers.length && this.#window.length < this.#ahead) {
      const index = this.#queued++;
      const claimed = this.#claimed.get(index);
      this.#claimed.delete(index);
      this.#window.push(claimed ?? this.#prefetch(this.#numbers[index]!));
    }
    const next = this.#window.shift();
    this.#current = next?.exchange;
    this.#issued = host.issued;
    if (next === undefined) return undefined;
    return next.result === next.exchange.result ? host.handOut(next.exchange) : next.result;
  }

  /**
   * A DELE of `messageNumber` is about to be queued: when the loop has yet to reach that message
   * and its RETR is not queued yet, it is queued now, so the DELE goes behind it and the loop
   * still gets the message it asked for first (RFC 1939 section 5: once marked, a message may not
   * be named again).
   */
  claim(messageNumber: number): void {
    const index = this.#numbers.indexOf(messageNumber, this.#queued);
    if (index === -1 || this.#claimed.has(index)) return;
    this.#claimed.set(index, this.#prefetch(messageNumber));
  }

  /** The loop ended or stopped early: commands not sent yet are withdrawn, answers on their way dropped. */
  stop(): void {
    this.#current?.dropBody();
    const pending = [...this.#window.drain(), ...this.#claimed.values()];
    this.#claimed.clear();
    for (const { exchange } of pending) {
      if (this.#host.withdraw(exchange)) exchange.fail(new AbortError(`${exchange.display} was withdrawn: the retrieveMany loop stopped`));
      else exchange.dropBody();
    }
  }

  /** Queues the RETR of a message ahead of need. */
  #prefetch(messageNumber: number): Pending {
    const exchange = this.#host.create(messageNumber);
    exchange.prefetch = true;
    const result = this.#host.enqueue(exchange);
    // Awaited by the loop, or dropped on purpose by stop() (an exchange's own result is guarded already).
    if (result !== exchange.result) result.catch(ignoreRejection);
    return { exchange, result };
  }

  /**
   * Counts the sizes of the bodies left behind, oldest first, as they become known: the whole
   * body once received, or the size its `+OK` announced. A loop that skips bodies moves on before
   * they arrive, and counting the bytes received by then would make big bodies look small.
   */
  #measure(): void {
    for (let exchange = this.#measuring.peek(); exchange !== undefined; exchange = this.#measuring.peek()) {
      const announced = exchange.announcedSize;
      if (exchange.bodyEnded) this.#count(exchange.receivedBytes);
      else if (announced !== undefined) this.#count(Math.max(announced, exchange.receivedBytes));
      // Refused, withdrawn or cut off: no size to count. Else it is still to come.
      else if (!exchange.failed) break;
      this.#measuring.shift();
    }
  }

  #count(bytes: number): void {
    this.#seenBytes += bytes;
    this.#seen++;
  }

  /** How many RETRs may be queued: the pipeline depth, and no more than the read-ahead in bodies of the average size. */
  #limit(): number {
    if (this.#seen === 0) return this.#maxAhead;
    const average = Math.max(1, this.#seenBytes / this.#seen);
    return Math.max(Math.min(2, this.#maxAhead), Math.min(this.#maxAhead, Math.floor(this.#readAheadBytes / average)));
  }
}

