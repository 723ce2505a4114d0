/**
 * The channel between a RETR/TOP answer and whoever reads the message: a queue of copied chunks
 * with backpressure, read either through a light async iterator or, on demand, a Node `Readable`.
 *
 * Why not always a `Readable`: for a stream of small messages its per-message setup and per-chunk
 * event machinery were a fifth of the client's time in profiles, and most callers only iterate.
 * The `Readable` is created the first time {@link BodyChannel.readable} is asked for, and then
 * takes over whatever is queued.
 *
 * @internal
 * @packageDocumentation
 */
import { Readable } from 'node:stream';
import { InvalidArgumentError, type MailwireError } from '../common/errors.js';

/** Pauses and resumes the connection's reading, for backpressure from a body. */
export interface FlowControl {
  /** Stop reading from the socket until {@link FlowControl.resume}. */
  pause(): void;
  /** Read again. */
  resume(): void;
}

interface Waiter {
  resolve: (result: IteratorResult<Buffer, undefined>) => void;
  reject: (error: MailwireError) => void;
}

/** One message body on its way from the connection to its reader. */
export class BodyChannel {
  readonly #flow: FlowControl;
  readonly #highWaterMark: number;
  #queue: (Buffer | undefined)[] = [];
  #queueHead = 0;
  #buffered = 0;
  #ended = false;
  #error: MailwireError | undefined;
  /** This channel paused the connection and owes it a resume. */
  #paused = false;
  /** The reader gave up: chunks are dropped as they come. */
  #discarding = false;
  #readable: Readable | undefined;
  #iterating = false;
  #readableEnded = false;
  #waiter: Waiter | undefined;
  #settledWaiters: { resolve: () => void; reject: (error: MailwireError) => void }[] = [];

  /**
   * @param flow - the connection's flow control.
   * @param highWaterMark - bytes buffered before the connection is paused.
   */
  constructor(flow: FlowControl, highWaterMark: number) {
    this.#flow = flow;
    this.#highWaterMark = highWaterMark;
  }

  /** False when chunks would be dropped anyway (the reader gave up, or the body is over): no need to copy them. */
  get wantsData(): boolean {
    return !this.#discarding && !this.finished && this.#readable?.destroyed !== true;
  }

  /** True once every byte arrived (or the body failed). */
  get finished(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  // ---- the writing side (the exchange) --------------------------------------------------------

  /** A chunk of the body, already copied out of the read buffer. */
  push(chunk: Buffer): void {
    if (this.finished || this.#discarding) return;
    if (this.#readable !== undefined) {
      if (!this.#readable.destroyed && !this.#readable.push(chunk)) this.#pause();
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#queueHead === this.#queue.length) {
      this.#waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
      return;
    }
    this.#queue.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered > this.#highWaterMark) this.#pause();
  }

  /** The terminator arrived. */
  end(): void {
    if (this.finished) return;
    this.#ended = true;
    if (this.#readable !== undefined && !this.#readable.destroyed) this.#readable.push(null);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
    this.#settle();
  }

  /** The connection was lost (or the call aborted) before the terminator. */
  fail(error: MailwireError): void {
    if (this.finished) return;
    this.#error = error;
    this.#resume();
    if (this.#readable !== undefined && !this.#readable.destroyed) this.#readable.destroy(error);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
    this.#settle();
  }

  // ---- the reading side -----------------------------------------------------------------------

  /**
   * The body as a Node `Readable`, created on first use with whatever is queued.
   *
   * @throws InvalidArgumentError when the body is already being iterated.
   */
  get readable(): Readable {
    if (this.#readable !== undefined) return this.#readable;
    if (this.#iterating) throw new InvalidArgumentError('The message body is already being read through its iterator');
    const readable = new Readable({
      highWaterMark: this.#highWaterMark,
      read: () => {
        this.#resume();
      },
      destroy: (error, callback) => {
        // A reader that gives up must not stall the connection: later chunks are dropped.
        this.#discarding = true;
        this.#resume();
        callback(error);
        this.#settle();
      },
    });
    // A body nobody reads must not crash the process with an unhandled 'error' event when the
    // connection drops; readers (for await, pipeline, bytes()) still receive the error.
    readable.on('error', () => undefined);
    readable.once('end', () => {
      this.#readableEnded = true;
      this.#settle();
    });
    this.#readable = readable;
    for (let index = this.#queueHead; index < this.#queue.length; index++) readable.push(this.#queue[index]);
    this.#queue = [];
    this.#queueHead = 0;
    this.#buffered = 0;
    if (this.#error !== undefined) readable.destroy(this.#error);
    else if (this.#ended) readable.push(null);
    return readable;
  }

  /** Iterates the chunks; when a `Readable` was asked for, iterates that instead. */
  iterator(): AsyncIterator<Buffer, undefined> {
    if (this.#readable !== undefined) return this.#readable[Symbol.asyncIterator]() as AsyncIterator<Buffer, undefined>;
    if (this.#iterating) throw new InvalidArgumentError('The message body can be iterated only once');
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.discard();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Drops what is queued and what is still to come; the connection moves on. */
  discard(): void {
    if (this.#readable !== undefined) {
      if (!this.#readable.readableEnded && !this.#readable.destroyed) this.#readable.resume();
      return;
    }
    this.#discarding = true;
    this.#queue = [];
    this.#queueHead = 0;
    this.#buffered = 0;
    this.#resume();
    this.#settle();
  }

  /** Resolves when the body has been read to its end or dropped; rejects if the connection failed first. */
  settled(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#settledWaiters.push({ resolve, reject });
      this.#settle();
    });
  }

  #next(): Promise<IteratorResult<Buffer, undefined>> {
    if (this.#queueHead < this.#queue.length) {
      const chunk = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead] = undefined;
      this.#queueHead++;
      if (this.#queueHead === this.#queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      }
      this.#buffered -= chunk.length;
      if (this.#buffered <= this.#highWaterMark) this.#resume();
      this.#settle();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended || this.#discarding) {
      this.#settle();
      return Promise.resolve({ value: undefined, done: true });
    }
    this.#resume();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#flow.pause();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flow.resume();
  }

  /** True when nothing more will reach the reader: failed, or ended and read (or dropped). */
  #isDone(): boolean {
    if (this.#error !== undefined) return true;
    if (!this.#ended) return false;
    if (this.#discarding) return true;
    if (this.#readable !== undefined) return this.#readableEnded || this.#readable.destroyed;
    return this.#queueHead === this.#queue.length;
  }

  #settle(): void {
    if (this.#settledWaiters.length === 0 || !this.#isDone()) return;
    const waiters = this.#settledWaiters;
    this.#settledWaiters = [];
    const error = this.#error;
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }
}
