/**
 * The channel between a RETR/TOP answer and whoever reads the message: a queue of copied chunks
 * with backpressure, read either through a light async iterator or, on demand, a Node `Readable`.
 *
 * Why not always a `Readable`: for a stream of small messages its per-message setup and per-chunk
 * event machinery were a fifth of the client's time in profiles, and most callers only iterate.
 * The `Readable` is created the first time {@link BodyChannel.readable} is asked for, and then
 * takes over whatever is queued.
 *
 * Every chunk the tokenizer hands over is a view of the transport's reused read buffer, so it is
 * copied once, into a slab of a {@link ChunkStore}. A reader that keeps its chunks (the default)
 * keeps the slab too; a reader that borrows them (`chunks({ reuse: true })`) gives each back when
 * it asks for the next, and the slab is then recycled. Fresh memory for every byte, and the garbage
 * it leaves, cost more than the copy itself (a third of a pipelined download in profiles).
 *
 * @internal
 * @packageDocumentation
 */
import { Readable } from 'node:stream';
import { InvalidArgumentError, type MailwireError } from '../common/errors.js';
import type { ChunkOptions } from '../common/options.js';
export type { ChunkOptions } from '../common/options.js';

/** Pauses and resumes the connection's reading, for backpressure from a body. */
export interface FlowControl {
  /** Stop reading from the socket until {@link FlowControl.resume}. */
  pause(): void;
  /** Read again. */
  resume(): void;
}

/** Bytes of one slab: a chunk is at most one socket read (256 KiB for the client), and a slab holds several. */
const SLAB_SIZE = 1024 * 1024;
/** A chunk longer than this gets a buffer of its own rather than most of a slab. */
const OWN_BUFFER_ABOVE = SLAB_SIZE / 2;
/** Free slabs a store keeps (beyond them, released slabs are left to the GC). */
const MAX_FREE_SLABS = 2;

/** A buffer that chunks are copied into, one after another. */
interface Slab {
  readonly buffer: Buffer;
  /** Bytes handed out. */
  used: number;
  /** Pieces handed out and not yet released. */
  outstanding: number;
  /** A piece was given to a reader for keeps: the slab is never recycled. */
  givenAway: boolean;
}

/** A copied chunk: its bytes, and the slab they live in (undefined for a buffer of its own). */
export interface Piece {
  readonly bytes: Buffer;
  readonly slab: Slab | undefined;
}

/**
 * Copies body chunks out of the transport's reused read buffer into shared slabs, one allocation
 * per slab instead of one per chunk, and recycles a slab once every piece of it was released.
 * One store serves every body of a client (they are read one after another).
 *
 * @internal
 */
export class ChunkStore {
  #current: Slab = newSlab();
  readonly #free: Slab[] = [];

  /** A copy of `chunk` (a view valid only during the caller's callback). */
  copy(chunk: Uint8Array): Piece {
    const length = chunk.length;
    if (length > OWN_BUFFER_ABOVE) {
      const own = Buffer.allocUnsafeSlow(length);
      own.set(chunk);
      return { bytes: own, slab: undefined };
    }
    let slab = this.#current;
    if (slab.used + length > SLAB_SIZE) {
      if (slab.outstanding === 0 && !slab.givenAway) slab.used = 0;
      else {
        slab = this.#free.pop() ?? newSlab();
        this.#current = slab;
      }
    }
    const start = slab.used;
    slab.used = start + length;
    slab.outstanding++;
    const bytes = slab.buffer.subarray(start, slab.used);
    bytes.set(chunk);
    return { bytes, slab };
  }

  /** The piece was dropped or given back by its borrower: its slab may be recycled. */
  release(piece: Piece): void {
    const slab = piece.slab;
    if (slab === undefined) return;
    slab.outstanding--;
    if (slab.outstanding > 0 || slab.givenAway || slab === this.#current) return;
    slab.used = 0;
    if (this.#free.length < MAX_FREE_SLABS) this.#free.push(slab);
  }

  /** The piece now belongs to a reader that may keep it: its slab is never reused. */
  giveAway(piece: Piece): Buffer {
    if (piece.slab !== undefined) piece.slab.givenAway = true;
    return piece.bytes;
  }
}

function newSlab(): Slab {
  return { buffer: Buffer.allocUnsafeSlow(SLAB_SIZE), used: 0, outstanding: 0, givenAway: false };
}

interface Waiter {
  resolve: (result: IteratorResult<Buffer, undefined>) => void;
  reject: (error: MailwireError) => void;
}

/** Who reads the body: nobody yet, an iterator that keeps or borrows chunks, or a `Readable`. */
type ReaderMode = 'none' | 'keep' | 'borrow' | 'readable';

/** One message body on its way from the connection to its reader. */
export class BodyChannel {
  readonly #flow: FlowControl;
  readonly #highWaterMark: number;
  readonly #store: ChunkStore;
  #queue: (Piece | undefined)[] = [];
  #queueHead = 0;
  #buffered = 0;
  #ended = false;
  #error: MailwireError | undefined;
  /** This channel paused the connection and owes it a resume. */
  #paused = false;
  /** The reader gave up: chunks are dropped as they come. */
  #discarding = false;
  #mode: ReaderMode = 'none';
  #readable: Readable | undefined;
  #readableEnded = false;
  #waiter: Waiter | undefined;
  /** The piece a borrowing reader holds now; released when it asks for the next. */
  #lent: Piece | undefined;
  /** Who awaits {@link BodyChannel.settled}; allocated only when someone does. */
  #settledWaiters: { resolve: () => void; reject: (error: MailwireError) => void }[] | undefined;

  /**
   * @param flow - the connection's flow control.
   * @param highWaterMark - bytes buffered before the connection is paused.
   * @param store - where chunks are copied to (shared by the bodies of one connection).
   */
  constructor(flow: FlowControl, highWaterMark: number, store: ChunkStore = new ChunkStore()) {
    this.#flow = flow;
    this.#highWaterMark = highWaterMark;
    this.#store = store;
  }

  /** False when chunks would be dropped anyway (the reader gave up, or the body is over). */
  get wantsData(): boolean {
    return !this.#discarding && !this.finished && this.#readable?.destroyed !== true;
  }

  /** True once every byte arrived (or the body failed). */
  get finished(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  // ---- the writing side (the exchange) --------------------------------------------------------

  /** A chunk of the body: a view valid only during the call, copied if anyone will read it. */
  push(chunk: Uint8Array): void {
    if (!this.wantsData) return;
    const readable = this.#readable;
    if (readable !== undefined) {
      const piece = this.#store.copy(chunk);
      if (!readable.push(this.#store.giveAway(piece))) this.#pause();
      return;
    }
    const piece = this.#store.copy(chunk);
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      // The reader is waiting, so the queue is empty: hand the chunk over at once.
      this.#waiter = undefined;
      waiter.resolve({ value: this.#hand(piece), done: false });
      return;
    }
    this.#queue.push(piece);
    this.#buffered += piece.bytes.length;
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
    if (this.#mode !== 'none') throw new InvalidArgumentError('The message body is already being read through its iterator');
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
    this.#mode = 'readable';
    this.#readable = readable;
    for (let index = this.#queueHead; index < this.#queue.length; index++) {
      readable.push(this.#store.giveAway(this.#queue[index]!));
    }
    this.#queue = [];
    this.#queueHead = 0;
    this.#buffered = 0;
    if (this.#error !== undefined) readable.destroy(this.#error);
    else if (this.#ended) readable.push(null);
    return readable;
  }

  /**
   * Iterates the chunks: kept (each is the reader's) or, with `reuse`, borrowed (each is valid
   * until the next step). When a `Readable` was asked for, iterates that instead.
   *
   * @throws InvalidArgumentError when the body is already being iterated.
   */
  iterator(options: ChunkOptions = {}): AsyncIterableIterator<Buffer> {
    if (this.#readable !== undefined) return this.#readable[Symbol.asyncIterator]() as AsyncIterableIterator<Buffer>;
    if (this.#mode !== 'none') throw new InvalidArgumentError('The message body can be iterated only once');
    this.#mode = options.reuse === true ? 'borrow' : 'keep';
    return new ChunkIterator(this);
  }

  /** The next chunk for the iterator (see {@link BodyChannel.iterator}). */
  nextChunk(): Promise<IteratorResult<Buffer, undefined>> {
    return this.#next();
  }

  /** Drops what is queued and what is still to come; the connection moves on. */
  discard(): void {
    if (this.#readable !== undefined) {
      if (!this.#readable.readableEnded && !this.#readable.destroyed) this.#readable.resume();
      return;
    }
    this.#discarding = true;
    this.#giveBack();
    this.#dropQueue();
    this.#resume();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
    this.#settle();
  }

  /** Resolves when the body has been read to its end or dropped; rejects if the connection failed first. */
  settled(): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.#settledWaiters ??= []).push({ resolve, reject });
      this.#settle();
    });
  }

  #next(): Promise<IteratorResult<Buffer, undefined>> {
    this.#giveBack();
    if (this.#queueHead < this.#queue.length) {
      const piece = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead] = undefined;
      this.#queueHead++;
      if (this.#queueHead === this.#queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      }
      this.#buffered -= piece.bytes.length;
      if (this.#buffered <= this.#highWaterMark) this.#resume();
      this.#settle();
      return Promise.resolve({ value: this.#hand(piece), done: false });
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

  /** A piece for the iterator: lent to a borrowing reader, given to one that keeps chunks. */
  #hand(piece: Piece): Buffer {
    if (this.#mode === 'borrow') {
      this.#lent = piece;
      return piece.bytes;
    }
    return this.#store.giveAway(piece);
  }

  /** The borrowing reader moved on: its last chunk may be overwritten. */
  #giveBack(): void {
    const lent = this.#lent;
    if (lent === undefined) return;
    this.#lent = undefined;
    this.#store.release(lent);
  }

  #dropQueue(): void {
    for (let index = this.#queueHead; index < this.#queue.length; index++) this.#store.release(this.#queue[index]!);
    this.#queue = [];
    this.#queueHead = 0;
    this.#buffered = 0;
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
    const waiters = this.#settledWaiters;
    if (waiters === undefined || !this.#isDone()) return;
    this.#settledWaiters = undefined;
    const error = this.#error;
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }
}

/** The iterator of {@link BodyChannel.iterator}: one small object a body, its methods shared. */
class ChunkIterator implements AsyncIterableIterator<Buffer> {
  readonly #channel: BodyChannel;

  constructor(channel: BodyChannel) {
    this.#channel = channel;
  }

  next(): Promise<IteratorResult<Buffer, undefined>> {
    return this.#channel.nextChunk();
  }

  /** `break` out of a `for await` loop: the rest of the body is dropped. */
  return(): Promise<IteratorResult<Buffer, undefined>> {
    this.#channel.discard();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this;
  }
}
