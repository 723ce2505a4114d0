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

/** Queues an exchange on the client; resolves with its result, or rejects at once when it cannot be sent. */
export type EnqueueRetrieval = (exchange: MessageExchange) => Promise<Pop3Message>;

/** Removes an exchange not sent yet from the client's queue; false when it is in flight already. */
export type WithdrawRetrieval = (exchange: MessageExchange) => boolean;

interface Pending {
  readonly exchange: MessageExchange;
  readonly result: Promise<Pop3Message>;
}

/** The RETRs of one `retrieveMany` loop. */
export class RetrievalWindow {
  readonly #numbers: readonly number[];
  readonly #ahead: number;
  readonly #create: (messageNumber: number) => MessageExchange;
  readonly #enqueue: EnqueueRetrieval;
  readonly #withdraw: WithdrawRetrieval;
  readonly #window = new Queue<Pending>();
  #queued = 0;
  #current: MessageExchange | undefined;

  /**
   * @param numbers - the checked message numbers, in order.
   * @param ahead - how many commands to keep queued ahead of the reader (the pipeline depth).
   * @param create - makes the RETR exchange of a message.
   * @param enqueue - queues it on the client.
   * @param withdraw - takes back one not sent yet.
   */
  constructor(
    numbers: readonly number[],
    ahead: number,
    create: (messageNumber: number) => MessageExchange,
    enqueue: EnqueueRetrieval,
    withdraw: WithdrawRetrieval,
  ) {
    this.#numbers = numbers;
    this.#ahead = ahead;
    this.#create = create;
    this.#enqueue = enqueue;
    this.#withdraw = withdraw;
  }

  /**
   * Moves on: drops what is left of the previous body (or the next answer never comes), tops the
   * window up, and returns the next message's promise; undefined after the last.
   */
  next(): Promise<Pop3Message> | undefined {
    this.#current?.dropBody();
    while (this.#queued < this.#numbers.length && this.#window.length < this.#ahead) {
      const exchange = this.#create(this.#numbers[this.#queued++]!);
      const result = this.#enqueue(exchange);
      // Awaited by the loop, or dropped on purpose by stop() (an exchange's own result is guarded already).
      if (result !== exchange.result) result.catch(ignoreRejection);
      this.#window.push({ exchange, result });
    }
    const next = this.#window.shift();
    this.#current = next?.exchange;
    return next?.result;
  }

  /** The loop ended or stopped early: commands not sent yet are withdrawn, answers on their way dropped. */
  stop(): void {
    this.#current?.dropBody();
    for (const { exchange } of this.#window.drain()) {
      if (this.#withdraw(exchange)) exchange.fail(new AbortError(`${exchange.display} was withdrawn: the retrieveMany loop stopped`));
      else exchange.dropBody();
    }
  }
}

function ignoreRejection(): void {
  // The loop that awaits the result sees the error; a dropped one needs no handling.
}
