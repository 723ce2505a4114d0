/**
 * One message body on its way from the wire to its reader, for both clients: a queue of chunks
 * copied into a {@link ChunkStore}, with backpressure, read by a light async iterator or through a
 * Node `Readable` that takes over whatever is queued.
 *
 * Why not always a `Readable`: for many small bodies its construction, per-body async iterator,
 * events and ticks were a quarter of the IMAP client's time in profiles (a fifth of the POP3
 * client's), and most callers only iterate.
 *
 * The protocol layers subclass {@link BodyChannel}: they say how the connection's input is paused
 * and resumed, and when the `Readable` is made (`imap/fetch-body.ts`: on `message.body()`, read as
 * a stream on its first `_read`; `pop3/body.ts`: on `message.body`, at once).
 *
 * @internal
 * @packageDocumentation
 */
import { Readable } from 'node:stream';
import type { ChunkStore, Piece } from './chunk-store.js';
import { Buffer } from 'node:buffer';
import { InvalidArgumentError, LimitExceededError } from './errors.js';
import type { ChunkOptions } from './options.js';

interface ChunkWaiter {
  resolve: (result: IteratorResult<Buffer, undefined>) => void;
  reject: (error: unknown) => void;
}

/**
 * Who reads the body: nobody yet, a light iterator that keeps or borrows chunks, or a `Readable`
 * (entered when the Readable is first read: it takes over the queue).
 */
type ReaderMode = 'idle' | 'keep' | 'borrow' | 'stream';

const DONE: IteratorResult<Buffer, undefined> = Object.freeze({ value: undefined, done: true });

/** Node's own async iterator of a Readable, for a body already read as a stream. */
const streamIterator = Readable.prototype[Symbol.asyncIterator];

/**
 * The queue between the connection (which pushes chunks, views valid only during the call) and
 * the body's one reader.
 *
 * @internal
 */
export abstract class BodyChannel {
  readonly #store: ChunkStore;
  readonly #highWaterMark: number;
  readonly #lowWaterMark: number;
  #mode: ReaderMode = 'idle';
  #readable: Readable | undefined;
  #queue: (Piece | undefined)[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  /** Every byte arrived (the end is known, though perhaps not yet read). */
  #ended = false;
  /** The body failed ({@link BodyChannel.fail}): it will not complete. */
  #failed = false;
  /** What the reader gets instead of the rest: the failure, or the error its Readable was destroyed with. */
  #error: Error | undefined;
  /** Dropped by the connection's side (the reader is gone, or nobody will read): chunks are dropped as they come. */
  #discarding = false;
  /** Given up by its reader, or failed: nothing more is delivered. */
  #closed = false;
  /** The reader's waiting next() call. */
  #waiter: ChunkWaiter | undefined;
  /** next() calls made while another one waits, oldest first (rare: made only then). */
  #laterWaiters: ChunkWaiter[] | undefined;
  /** The piece a borrowing reader holds now; released when it asks for the next. */
  #lent: Piece | undefined;
  /** Who awaits {@link BodyChannel.settled}; allocated only when someone does. */
  #settledWaiters: { resolve: () => void; reject: (error: Error) => void }[] | undefined;
  #watchingEnd = false;

  /**
   * @param store - where chunks are copied to (shared by the bodies of one fetch or connection).
   * @param highWaterMark - bytes queued before the input is paused.
   * @param lowWaterMark - queued bytes at or below which a light reader resumes the input.
   */
  constructor(store: ChunkStore, highWaterMark: number, lowWaterMark: number) {
    this.#store = store;
    this.#highWaterMark = highWaterMark;
    this.#lowWaterMark = lowWaterMark;
  }

  /**
   * The reader is behind (`buffered` bytes wait): stop reading the connection's input. Called for
   * every chunk that finds it behind.
   */
  protected abstract pauseInput(buffered: number): void;

  /** Read the input again, if this body paused it. */
  protected abstract resumeInput(): void;

  /** True once every byte arrived. */
  get receivedAll(): boolean {
    return this.#ended;
  }

  /** False when chunks would be dropped anyway (nobody reads them, or the body is over). */
  get wantsData(): boolean {
    return !this.#closed && !this.#discarding && !this.#ended;
  }

  /** True once a reader iterates the body or reads it through its `Readable`. */
  protected get reading(): boolean {
    return this.#mode !== 'idle';
  }

  // ---- the writing side (the connection) ----------------------------------------------------------

  /** The next piece of the body: a view valid only during the call, copied if anyone will read it. */
  push(bytes: Uint8Array): void {
    if (this.#closed || this.#discarding) return;
    const mode = this.#mode;
    if (mode === 'stream') {
      const readable = this.#readable!;
      if (!readable.push(this.#store.keepCopy(bytes))) this.pauseInput(readable.readableLength);
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      // The reader is waiting, so the queue is empty: hand the chunk over at once.
      this.#waiter = this.#laterWaiters?.shift();
      let value: Buffer;
      // A lent chunk is valid until the next call: of next() calls made at once, only the last borrows.
      if (mode === 'borrow' && this.#waiter === undefined) {
        const piece = this.#store.copy(bytes);
        this.#lent = piece;
        value = this.#store.view(piece);
      } else {
        value = this.#store.keepCopy(bytes);
      }
      waiter.resolve({ value, done: false });
      return;
    }
    this.#enqueue(bytes);
    if (this.#queuedBytes > this.#highWaterMark) this.pauseInput(this.#queuedBytes);
  }

  /** Every byte arrived. */
  end(): void {
    if (this.#ended || this.#failed) return;
    this.#ended = true;
    if (!this.#closed) {
      if (this.#mode === 'stream') {
        const readable = this.#readable!;
        if (!readable.destroyed) readable.push(null);
      } else {
        if (this.#waiter !== undefined) {
          this.#endLight();
          this.#releaseWaiters(undefined);
        }
      }
    }
    this.#settle();
  }

  /**
   * The body cannot complete (connection lost, command failed, limit): the queue is dropped and
   * the reader gets `error` (as `Readable.destroy(error)` does).
   */
  fail(error: Error): void {
    if (this.#ended || this.#failed) return;
    this.#failed = true;
    this.#error ??= error;
    const readable = this.#readable;
    if (readable !== undefined && !readable.destroyed) readable.destroy(error);
    else this.close(error);
  }

  /** Drops what is queued and what is still to come (a `Readable` is left flowing); the connection reads on. */
  discard(): void {
    if (this.#mode === 'stream') {
      const readable = this.#readable!;
      if (!readable.readableEnded && !readable.destroyed) readable.resume();
      return;
    }
    this.#discarding = true;
    this.#stop(undefined);
  }

  // ---- the reading side ---------------------------------------------------------------------------

  /**
   * Iterates the chunks: kept (each is the reader's) or, with `reuse`, borrowed (each valid until
   * the next step). Once the body is read as a stream, iterates its `Readable` instead.
   *
   * @throws InvalidArgumentError when the body is already being iterated.
   */
  iterator(options: ChunkOptions = {}): NodeJS.AsyncIterator<Buffer> {
    const mode = this.#mode;
    if (mode === 'stream') return streamIterator.call(this.#readable!) as NodeJS.AsyncIterator<Buffer>;
    if (mode !== 'idle') throw new InvalidArgumentError('The body can be iterated only once');
    if (options.reuse === true) {
      this.#mode = 'borrow';
      this.#store.lending = true;
    } else {
      this.#mode = 'keep';
    }
    return new ChunkIterator(this);
  }

  /** The light reader's next chunk. */
  nextChunk(): Promise<IteratorResult<Buffer, undefined>> {
    this.#giveBack();
    const queue = this.#queue;
    const head = this.#queueHead;
    if (head < queue.length) {
      const piece = queue[head]!;
      if (head + 1 === queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      } else {
        queue[head] = undefined;
        this.#queueHead = head + 1;
      }
      this.#queuedBytes -= piece.length;
      if (this.#queuedBytes <= this.#lowWaterMark) this.resumeInput();
      let value: Buffer;
      if (this.#mode === 'borrow') {
        this.#lent = piece;
        value = this.#store.view(piece);
      } else {
        value = this.#store.keep(piece);
      }
      this.#settle();
      return Promise.resolve({ value, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended || this.#discarding || this.#closed) {
      this.#endLight();
      this.#settle();
      return Promise.resolve(DONE);
    }
    this.resumeInput();
    return new Promise((resolve, reject) => {
      if (this.#waiter === undefined) this.#waiter = { resolve, reject };
      else (this.#laterWaiters ??= []).push({ resolve, reject });
    });
  }

  /** The light reader stops (`break`): as Node's stream iterator does, the rest is dropped. */
  stopReading(): void {
    this.#giveBack();
    if (this.#ended && this.#queueHead === this.#queue.length) {
      this.#endLight();
      this.#settle();
    } else if (this.#readable !== undefined && !this.#readable.destroyed) {
      this.#readable.destroy();
    } else {
      this.close(undefined);
    }
  }

  /** Resolves when the body has been read to its end or dropped; rejects if it failed first. */
  settled(): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.#settledWaiters ??= []).push({ resolve, reject });
      this.#settle();
      this.#watchEnd();
    });
  }

  // ---- the Readable's side ------------------------------------------------------------------------

  /** The body's `Readable`, once made. */
  protected get stream(): Readable | undefined {
    return this.#readable;
  }

  /** Makes `readable` the body's `Readable` (read as a stream from its first `_read`). */
  protected adopt(readable: Readable): void {
    this.#readable = readable;
    if (this.#closed) readable.destroy(this.#error);
    else this.#watchEnd();
  }

  /**
   * The `Readable` wants data (`_read`): the first time, it takes over whatever is queued. A
   * `Readable` read while a light reader iterates the body fails.
   */
  startStreaming(): void {
    const readable = this.#readable!;
    const mode = this.#mode;
    if (mode === 'keep' || mode === 'borrow') {
      readable.destroy(new InvalidArgumentError('The body is being iterated: read it either as a stream or by iteration, not both'));
      return;
    }
    if (mode === 'idle') {
      this.#mode = 'stream';
      if (!readable.destroyed) {
        const queue = this.#queue;
        for (let index = this.#queueHead; index < queue.length; index++) readable.push(this.#store.keep(queue[index]!));
        this.#queue = [];
        this.#queueHead = 0;
        this.#queuedBytes = 0;
        if (this.#ended || this.#discarding) readable.push(null);
      }
    }
    this.resumeInput();
  }

  /** Nothing more will be read (the `Readable`'s `_destroy`, or a failure before any `Readable`). */
  close(error: Error | null | undefined): void {
    if (error !== null && error !== undefined) this.#error ??= error;
    this.#closed = true;
    this.#stop(error ?? undefined);
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** Drops the queue and lets the input flow; a waiting light reader gets the end, or `error`. */
  #stop(error: Error | undefined): void {
    this.#dropQueue();
    this.resumeInput();
    if (this.#waiter !== undefined) {
      if (error === undefined) this.#endLight();
      this.#releaseWaiters(error);
    }
    this.#settle();
  }

  /**
   * Every waiting next() call, oldest first, gets the end (or `error`); none waits afterwards.
   * Called at the end of every body a reader waits on: nothing is allocated for the usual one waiter.
   */
  #releaseWaiters(error: Error | undefined): void {
    const first = this.#waiter;
    const later = this.#laterWaiters;
    this.#waiter = undefined;
    this.#laterWaiters = undefined;
    if (first !== undefined) settleWaiter(first, error);
    if (later !== undefined) for (const waiter of later) settleWaiter(waiter, error);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#queuedBytes += bytes.length;
    const store = this.#store;
    const queue = this.#queue;
    // Bodies not read yet are taken to be read as this store's readers read: borrowing once one
    // of them borrowed, else keeping.
    const lending = this.#mode === 'borrow' || (this.#mode === 'idle' && store.lending);
    // A borrowing reader that has fallen behind gets fewer, larger chunks: coalesce with the last
    // queued piece while it is the store's last copy.
    if (lending && queue.length > this.#queueHead && store.extend(queue[queue.length - 1]!, bytes)) return;
    queue.push(store.copy(bytes, !lending));
  }

  #dropQueue(): void {
    const queue = this.#queue;
    for (let index = this.#queueHead; index < queue.length; index++) this.#store.release(queue[index]!);
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
  }

  /** The borrowing reader moved on: its last chunk may be overwritten. */
  #giveBack(): void {
    const lent = this.#lent;
    if (lent === undefined) return;
    this.#lent = undefined;
    this.#store.release(lent);
  }

  /**
   * The light reader is done. A `Readable` that exists is ended too (`'end'`, then `'close'`) when
   * someone listens: its ticks and events cost more than the rest of a small body's iteration.
   */
  #endLight(): void {
    this.#giveBack();
    const readable = this.#readable;
    if (readable === undefined || readable.destroyed || readable.readableEnded) return;
    if (readable.listenerCount('end') === 0 && readable.listenerCount('close') === 0) return;
    readable.push(null);
    readable.read(0);
  }

  /** True when nothing more will reach the reader: failed, or ended and read (or dropped). */
  #isDone(): boolean {
    if (this.#failed) return true;
    if (!this.#ended) return false;
    if (this.#discarding || this.#closed) return true;
    const readable = this.#readable;
    if (readable !== undefined && this.#mode === 'stream') return readable.readableEnded || readable.destroyed;
    return this.#queueHead === this.#queue.length;
  }

  #settle(): void {
    const waiters = this.#settledWaiters;
    if (waiters === undefined || !this.#isDone()) return;
    this.#settledWaiters = undefined;
    const error = this.#failed ? this.#error : undefined;
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** Someone awaits {@link BodyChannel.settled} and the body is read as a stream: settle on its `'end'`. */
  #watchEnd(): void {
    const readable = this.#readable;
    if (readable === undefined || this.#settledWaiters === undefined || this.#watchingEnd) return;
    this.#watchingEnd = true;
    readable.once('end', () => {
      this.#settle();
    });
  }
}

/** Ends a waiting next() call: done, or rejected with `error`. */
function settleWaiter(waiter: ChunkWaiter, error: Error | undefined): void {
  if (error === undefined) waiter.resolve(DONE);
  else waiter.reject(error);
}

function ignoreError(): void {
  // See ChannelReadable's constructor.
}

/**
 * A `Readable` over a {@link BodyChannel}: its `_read` asks the channel for data, its `_destroy`
 * closes the channel.
 *
 * @internal
 */
export class ChannelReadable extends Readable {
  readonly #channel: BodyChannel;

  constructor(channel: BodyChannel, highWaterMark: number) {
    super({ highWaterMark });
    this.#channel = channel;
    // A body the caller never read must not crash the process when the connection fails: readers
    // (collect, pipeline, for await) still get the error through their own listeners.
    this.on('error', ignoreError);
  }

  override _read(): void {
    this.#channel.startStreaming();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#channel.close(error);
    callback(error);
  }
}

/** The largest buffer {@link collectBody} allocates ahead from a size hint: a hint is the server's word. */
const MAX_PRESIZE = 1024 * 1024;

/**
 * Reads a body into one Buffer (IMAP `collect()`, POP3 `bytes()`): sized from `sizeHint` when there
 * is one and grown if it was wrong, so that with borrowed chunks (`chunks({ reuse: true })`) each
 * byte is copied once more, into the result, and nothing else.
 *
 * @param chunks - the body's chunks; each is copied before the next is asked for.
 * @param sizeHint - the announced size, if any (at most {@link MAX_PRESIZE} is allocated ahead).
 * @param maxBytes - the most bytes accepted.
 * @throws LimitExceededError past `maxBytes` (leaving the loop drops the rest of the body).
 */
export async function collectBody(chunks: AsyncIterable<Buffer>, sizeHint: number | undefined, maxBytes: number): Promise<Buffer> {
  let result = Buffer.allocUnsafe(Math.floor(Math.min(sizeHint ?? 16 * 1024, maxBytes, MAX_PRESIZE)));
  let total = 0;
  for await (const chunk of chunks) {
    const length = total + chunk.length;
    if (length > maxBytes) throw new LimitExceededError('maxBytes', maxBytes, length);
    if (length > result.length) {
      const grown = Buffer.allocUnsafe(Math.floor(Math.min(Math.max(length, result.length * 2), maxBytes)));
      grown.set(result.subarray(0, total));
      result = grown;
    }
    result.set(chunk, total);
    total = length;
  }
  // A result larger than the body (a size hint that counted more) is trimmed, by a copy.
  return total === result.length ? result : (Uint8Array.prototype.slice.call(result, 0, total) as Buffer);
}

/**
 * What {@link BodyChannel.iterator} returns: one small object a body, its methods shared. Typed as
 * Node's own stream iterator (`NodeJS.AsyncIterator`), which under the explicit resource management
 * lib also has `[Symbol.asyncDispose]`, so that a body's `Readable` can return it.
 */
class ChunkIterator implements NodeJS.AsyncIterator<Buffer> {
  readonly #channel: BodyChannel;

  constructor(channel: BodyChannel) {
    this.#channel = channel;
  }

  next(): Promise<IteratorResult<Buffer, undefined>> {
    return this.#channel.nextChunk();
  }

  /** `break` out of a `for await` loop: the rest of the body is dropped. */
  return(): Promise<IteratorResult<Buffer, undefined>> {
    this.#channel.stopReading();
    return Promise.resolve(DONE);
  }

  /** `await using`: as leaving a loop early, the rest of the body is dropped. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  [Symbol.asyncIterator](): NodeJS.AsyncIterator<Buffer> {
    return this;
  }
}
