/**
 * The objects a FETCH hands to the caller: {@link FetchedMessage} and its {@link BodyStream}s, and
 * the internal classes that fill them from the wire (used by `commands/fetch.ts`).
 *
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { InvalidArgumentError, LimitExceededError, type MailwireError } from '../common/errors.js';
import type { ChunkOptions } from '../common/options.js';
import type { CommandContext } from './session.js';
import type { BodySink, BodyStart } from './wire/assembler.js';
import type { BodySection, FetchAttributes } from './wire/fetch-types.js';
import { parseSectionSpec } from './wire/section.js';
import type { SeqNum, Uid } from './wire/sequence-set.js';

const MESSAGE_OVERHEAD = 512;

/** The attributes of a message whose response has not arrived yet. */
const EMPTY_ATTRIBUTES: FetchAttributes = Object.freeze({});

function ignoreError(): void {
  // See BodyReadable's constructor.
}

/**
 * A body value as a Node `Readable` of `Buffer`s, with backpressure; `collect()` buffers it.
 *
 * Iterating it (`for await (const chunk of body)`, or {@link BodyStream.chunks}) reads the chunks
 * directly, with less overhead than the `Readable` machinery; use it either way (iterate, or pipe
 * and listen), not both.
 */
export interface BodyStream extends Readable {
  /** The section, canonical and upper-cased (`''`, `HEADER`, `1.2`, `HEADER.FIELDS (FROM)`). */
  readonly section: string;
  /** The size in bytes once the literal was announced, else undefined. */
  readonly size: number | undefined;
  /**
   * Reads the whole body into one Buffer.
   *
   * @param maxBytes - refuse bodies larger than this (LimitExceededError). Default unlimited.
   */
  collect(maxBytes?: number): Promise<Buffer>;
  /**
   * Iterates the body's chunks (what `for await (const chunk of body)` does), optionally with
   * recycled buffers. Stopping early (`break`) drops the rest of the body, as with a `Readable`.
   *
   * @example
   * ```ts
   * for await (const message of client.fetch('1:*', { source: true })) {
   *   // Each chunk is valid until the next step of the loop: hash it, write it, or copy it.
   *   for await (const chunk of message.body().chunks({ reuse: true })) hash.update(chunk);
   * }
   * ```
   * @throws InvalidArgumentError when the body is already being iterated.
   */
  chunks(options?: ChunkOptions): AsyncIterableIterator<Buffer>;
  /** The body's chunks: the same as {@link BodyStream.chunks} without options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer>;
}

/**
 * One fetched message. Yielded as soon as its first streamed body starts (or when its response is
 * complete, if it has none): read its bodies before awaiting {@link FetchedMessage.complete}.
 * Bodies not asked for with {@link FetchedMessage.body} or {@link FetchedMessage.chunks} by the
 * time the iteration moves on are discarded.
 */
export interface FetchedMessage {
  /** The message's sequence number. */
  readonly seq: SeqNum;
  /** The message's UID (always known once complete; for a streamed message usually at once). */
  readonly uid: Uid | undefined;
  /** The data items; complete when {@link FetchedMessage.isComplete}. */
  readonly attributes: FetchAttributes;
  /** True when the whole FETCH response has arrived. */
  readonly isComplete: boolean;
  /** Resolves with the complete attributes once the whole response (bodies included) has arrived. */
  complete(): Promise<FetchAttributes>;
  /**
   * A body value as a stream (empty when the server sent NIL).
   *
   * @param section - as requested (`''` for the whole message, `'HEADER'`, `'1.2'`...).
   * @throws InvalidArgumentError when the complete message has no such body.
   */
  body(section?: string): BodyStream;
  /**
   * Iterates a body value's chunks without creating its `Readable`: the lightest way to read many
   * bodies. The same as `body(section).chunks(options)`; read a body one way only.
   *
   * @param section - as for {@link FetchedMessage.body}.
   * @param options - `{ reuse: true }` recycles chunk memory (see {@link ChunkOptions.reuse}).
   * @throws InvalidArgumentError when the complete message has no such body, or it is already being iterated.
   */
  chunks(section?: string, options?: ChunkOptions): AsyncIterableIterator<Buffer>;
  /**
   * A body value received whole (with `bodies: 'buffer'`, or sent as a quoted string), else
   * undefined. A value of up to 16 KiB is a view into a shared 64 KiB block (see docs/imap.md):
   * copy it to keep a few of many for long.
   */
  bodyBytes(section?: string): Uint8Array | undefined;
}

/** The canonical form of a section, used to match requests with response items. */
export function sectionKey(section: BodySection): string {
  const part = section.part.join('.');
  const text = section.text ?? (part === '' ? section.raw : '');
  let key = part !== '' && text !== '' ? `${part}.${text}` : part + text;
  if (section.fields.length > 0) key += ` (${section.fields.join(' ')})`;
  return key;
}

/** The canonical form of a section as a caller writes it (`'header'`, `'1.2'`). @internal */
export function requestKey(section: string): string {
  // The whole message, by far the most asked for, needs no parsing.
  return section === '' ? '' : sectionKey(parseSectionSpec(section.trim()));
}

/** Bytes of one slab of a {@link ChunkArena}. */
const SLAB_SIZE = 1024 * 1024;
/** Larger chunks get a buffer of their own (a chunk is at most one transport read, 256 KiB for IMAP). */
const MAX_ARENA_CHUNK = SLAB_SIZE / 4;

/** One buffer of a {@link ChunkArena}: `used` bytes handed out, `lent` of its chunks not yet released. */
interface Slab {
  readonly buffer: Buffer;
  used: number;
  lent: number;
}

/**
 * Recycled memory for the chunks of `chunks({ reuse: true })`, shared by the bodies of one fetch:
 * chunks are copied one after the other into a slab, and the slab starts over from its beginning
 * whenever every chunk copied into it has been released (the reader asked for the next one). A
 * reader that keeps up therefore cycles through the same few cache-warm KiB, allocating nothing
 * and leaving no garbage; a slab still lent when it fills up is left to its readers and the GC.
 *
 * @internal
 */
export class ChunkArena {
  /** Allocated on first use: most fetches never recycle. */
  #slab: Slab = { buffer: Buffer.alloc(0), used: SLAB_SIZE, lent: 1 };
  /** Set once a reader of this fetch asks for recycled chunks: later bodies queue their chunks here. */
  wanted = false;

  /** Copies `bytes` (at most {@link MAX_ARENA_CHUNK}) into the arena until {@link ChunkArena.release}. */
  copy(bytes: Uint8Array): QueuedChunk {
    let slab = this.#slab;
    if (slab.used + bytes.length > SLAB_SIZE) {
      slab = slab.lent === 0 ? slab : { buffer: Buffer.allocUnsafeSlow(SLAB_SIZE), used: 0, lent: 0 };
      slab.used = 0;
      this.#slab = slab;
    }
    const offset = slab.used;
    slab.buffer.set(bytes, offset);
    slab.used = offset + bytes.length;
    slab.lent++;
    return { buffer: slab.buffer, offset, length: bytes.length, slab };
  }

  /** Appends `bytes` to `chunk` in place when it was the last copy and there is room. */
  extend(chunk: QueuedChunk, bytes: Uint8Array): boolean {
    const slab = chunk.slab;
    if (slab !== this.#slab || chunk.offset + chunk.length !== slab.used || slab.used + bytes.length > SLAB_SIZE) return false;
    slab.buffer.set(bytes, slab.used);
    slab.used += bytes.length;
    chunk.length += bytes.length;
    return true;
  }

  /** The reader is done with a chunk from {@link ChunkArena.copy}. */
  release(chunk: QueuedChunk): void {
    const slab = chunk.slab;
    if (slab === undefined) return;
    slab.lent--;
    if (slab.lent === 0 && slab === this.#slab) slab.used = 0;
  }
}

/** Body bytes waiting for their reader: `length` bytes of `buffer` at `offset`; `slab` when in a {@link ChunkArena}. */
interface QueuedChunk {
  readonly buffer: Buffer;
  readonly offset: number;
  length: number;
  readonly slab?: Slab | undefined;
}

interface ChunkWaiter {
  resolve: (result: IteratorResult<Buffer, undefined>) => void;
  reject: (error: unknown) => void;
}

/** A copy of a view of the transport's read buffer, which is reused after the call that lent it. */
function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}

/**
 * One body value on its way from the wire to its reader: a queue of copied chunks with
 * backpressure, read by a light iterator (`'light'`) or, once asked for, through a
 * {@link BodyReadable} (`'stream'`, entered on its first `_read`, which takes over whatever is
 * queued). Until the first reader (`'idle'`) chunks wait in the queue.
 *
 * Why not always a `Readable`: for many small bodies its construction, per-message async iterator,
 * events and ticks were a quarter of the client's time in profiles, and most callers only iterate.
 *
 * @internal
 */
export class BodyChannel {
  readonly section: string;
  size: number | undefined;
  claimed = false;
  /** True once every byte arrived (the end is known, though perhaps not yet read). */
  receivedAll = false;
  #context: CommandContext | undefined;
  #release: (() => void) | undefined;
  readonly #maxBuffer: number;
  readonly #highWaterMark: number;
  readonly #arena: ChunkArena | undefined;
  #mode: 'idle' | 'light' | 'stream' = 'idle';
  #readable: BodyReadable | undefined;
  /** The light reader borrows recycled chunks (`chunks({ reuse: true })`). */
  #reuse = false;
  /** The fetch moved on and nobody reads this body: chunks are dropped as they come. */
  #discarding = false;
  /** Failed, or given up by its reader: nothing more is delivered. */
  #closed = false;
  #error: Error | undefined;
  #queue: QueuedChunk[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #waiter: ChunkWaiter | undefined;
  /** The arena chunk the light reader holds now; released when it asks for the next. */
  #lent: QueuedChunk | undefined;

  constructor(section: string, highWaterMark: number, maxBuffer: number, arena?: ChunkArena) {
    this.section = section;
    this.#highWaterMark = highWaterMark;
    this.#maxBuffer = maxBuffer;
    this.#arena = arena;
  }

  /** True once the body is read through its `Readable`. */
  get streaming(): boolean {
    return this.#mode === 'stream';
  }

  /** The body as a {@link BodyReadable}, created on first use. */
  get readable(): BodyReadable {
    let readable = this.#readable;
    if (readable !== undefined) return readable;
    readable = new BodyReadable(this, this.#highWaterMark);
    this.#readable = readable;
    if (this.#closed) readable.destroy(this.#error);
    return readable;
  }

  attach(start: BodyStart, context: CommandContext): BodySink {
    this.size = start.size;
    this.#context = context;
    return new BodyFeed(this);
  }

  // ---- the writing side (the assembler, the message record) -------------------------------------

  /** The next piece of the body (a view valid only during the call). */
  feed(bytes: Uint8Array): void {
    if (this.#closed || this.#discarding) return;
    if (this.#mode === 'stream') {
      const readable = this.#readable!;
      if (!readable.push(ownCopy(bytes))) this.#backpressure(readable.readableLength);
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      // The reader is waiting, so the queue is empty: hand the chunk over at once.
      this.#waiter = undefined;
      if (this.#reuse && bytes.length <= MAX_ARENA_CHUNK) {
        const chunk = this.#arena!.copy(bytes);
        this.#lent = chunk;
        waiter.resolve({ value: chunk.buffer.subarray(chunk.offset, chunk.offset + chunk.length), done: false });
      } else {
        waiter.resolve({ value: ownCopy(bytes), done: false });
      }
      return;
    }
    this.#enqueue(bytes);
    if (this.#queuedBytes > this.#highWaterMark) this.#backpressure(this.#queuedBytes);
  }

  /** Every byte arrived. */
  finish(): void {
    if (this.receivedAll) return;
    this.receivedAll = true;
    if (this.#closed) return;
    if (this.#mode === 'stream') {
      this.#readable!.push(null);
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#endLight();
      waiter.resolve({ value: undefined, done: true });
    }
  }

  /** The body cannot complete (connection lost, command failed, limit): its reader gets `error`. */
  fail(error: Error): void {
    if (this.#closed) return;
    if (this.#readable !== undefined && !this.#readable.destroyed) this.#readable.destroy(error);
    else this.close(error);
  }

  /** Drops the rest of the body: the fetch moved on without it. */
  discard(): void {
    if (this.#mode === 'stream') {
      const readable = this.#readable!;
      if (!readable.readableEnded && !readable.destroyed) readable.resume();
      return;
    }
    this.#discarding = true;
    this.#clearQueue();
    this.#releaseInput();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) {
      this.#endLight();
      waiter.resolve({ value: undefined, done: true });
    }
  }

  // ---- the reading side -------------------------------------------------------------------------

  /** Iterates the chunks (see {@link BodyStream.chunks}). */
  chunks(options: ChunkOptions = {}): AsyncIterableIterator<Buffer> {
    if (this.#mode === 'stream') return this.#readable!.streamIterator();
    if (this.#mode === 'light') throw new InvalidArgumentError('The body can be iterated only once');
    this.#mode = 'light';
    if (options.reuse === true && this.#arena !== undefined) {
      this.#reuse = true;
      this.#arena.wanted = true;
    }
    return new ChunkIterator(this);
  }

  /** The light reader's next chunk. */
  nextChunk(): Promise<IteratorResult<Buffer, undefined>> {
    this.#giveBack();
    if (this.#queueHead < this.#queue.length) {
      const queued = this.#queue[this.#queueHead]!;
      this.#queueHead++;
      if (this.#queueHead === this.#queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      }
      this.#queuedBytes -= queued.length;
      if (this.#queuedBytes <= this.#highWaterMark / 2) this.#releaseInput();
      let value: Buffer;
      if (this.#reuse && queued.slab !== undefined) {
        this.#lent = queued;
        value = queued.buffer.subarray(queued.offset, queued.offset + queued.length);
      } else {
        value = this.#own(queued);
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.receivedAll || this.#discarding || this.#closed) {
      this.#endLight();
      return Promise.resolve({ value: undefined, done: true });
    }
    this.#releaseInput();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The light reader stops (`break`): as Node's stream iterator does, the rest is dropped. */
  stopReading(): void {
    this.#giveBack();
    if (this.receivedAll && this.#queueHead === this.#queue.length) this.#endLight();
    else if (this.#readable !== undefined && !this.#readable.destroyed) this.#readable.destroy();
    else this.close(undefined);
  }

  // ---- the Readable's side ----------------------------------------------------------------------

  /** The `Readable` wants data (`_read`). */
  startStreaming(): void {
    const readable = this.#readable!;
    if (this.#mode === 'light') {
      readable.destroy(new InvalidArgumentError('The body is being iterated: read it either as a stream or by iteration, not both'));
      return;
    }
    if (this.#mode === 'idle') {
      this.#mode = 'stream';
      for (let index = this.#queueHead; index < this.#queue.length; index++) readable.push(this.#own(this.#queue[index]!));
      this.#queue = [];
      this.#queueHead = 0;
      this.#queuedBytes = 0;
      if (this.receivedAll || this.#discarding) readable.push(null);
    }
    this.#releaseInput();
  }

  /** Nothing more will be read (`_destroy`, or a failure before any `Readable` exists). */
  close(error: Error | null | undefined): void {
    if (error !== null && error !== undefined) this.#error ??= error;
    this.#closed = true;
    this.#clearQueue();
    this.#releaseInput();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) {
      if (error === null || error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
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

  /** A queued chunk as a Buffer of the reader's own (an arena chunk is copied out and released). */
  #own(queued: QueuedChunk): Buffer {
    if (queued.slab === undefined) return queued.buffer;
    const copy = ownCopy(queued.buffer.subarray(queued.offset, queued.offset + queued.length));
    this.#arena!.release(queued);
    return copy;
  }

  #giveBack(): void {
    const lent = this.#lent;
    if (lent === undefined) return;
    this.#lent = undefined;
    this.#arena!.release(lent);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#queuedBytes += bytes.length;
    const arena = this.#arena;
    // Idle bodies of a fetch whose reader recycles chunks queue in the arena too (the reader is
    // most likely about to ask for the same); otherwise each chunk is a Buffer of its own.
    if (arena === undefined || !(this.#reuse || (this.#mode === 'idle' && arena.wanted)) || bytes.length > MAX_ARENA_CHUNK) {
      this.#queue.push({ buffer: ownCopy(bytes), offset: 0, length: bytes.length });
      return;
    }
    // Coalesce with the last queued chunk when it is the arena's last copy: fewer, larger chunks
    // for a reader that has fallen behind.
    const last = this.#queue.length > this.#queueHead ? this.#queue[this.#queue.length - 1]! : undefined;
    if (last?.slab !== undefined && arena.extend(last, bytes)) return;
    this.#queue.push(arena.copy(bytes));
  }

  #clearQueue(): void {
    for (let index = this.#queueHead; index < this.#queue.length; index++) this.#arena?.release(this.#queue[index]!);
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
  }

  /** The reader is behind: stop reading the socket, or, when that would deadlock, buffer up to the limit. */
  #backpressure(buffered: number): void {
    const context = this.#context;
    if (context === undefined) return;
    this.#release ??= context.pauseInput();
    if (context.othersWaiting && buffered > this.#maxBuffer) {
      this.fail(new LimitExceededError('maxFetchBuffer', this.#maxBuffer, buffered));
    }
  }

  #releaseInput(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

/**
 * The {@link BodyStream} implementation: a `Readable` over a {@link BodyChannel}, created when
 * {@link FetchedMessage.body} is first called for the body.
 *
 * @internal
 */
export class BodyReadable extends Readable implements BodyStream {
  readonly #channel: BodyChannel;

  constructor(channel: BodyChannel, highWaterMark: number) {
    super({ highWaterMark });
    this.#channel = channel;
    // A body the caller never read must not crash the process when the connection fails: readers
    // (collect, pipeline, for await) still get the error through their own listeners.
    this.on('error', ignoreError);
  }

  get section(): string {
    return this.#channel.section;
  }

  get size(): number | undefined {
    return this.#channel.size;
  }

  override _read(): void {
    this.#channel.startStreaming();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#channel.close(error);
    callback(error);
  }

  override [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this.chunks();
  }

  chunks(options?: ChunkOptions): AsyncIterableIterator<Buffer> {
    return this.#channel.chunks(options);
  }

  /** Node's own iterator, for a body already read as a stream. @internal */
  streamIterator(): AsyncIterableIterator<Buffer> {
    return super[Symbol.asyncIterator]() as AsyncIterableIterator<Buffer>;
  }

  async collect(maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
    return collectChunks(this, maxBytes);
  }
}

/** Reads a body's chunks into one Buffer (`break` on the limit drops the rest). */
async function collectChunks(chunks: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const collected: Buffer[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > maxBytes) throw new LimitExceededError('maxBytes', maxBytes, total);
    collected.push(chunk);
  }
  return collected.length === 1 ? collected[0]! : Buffer.concat(collected, total);
}

/** The sink the assembler writes a body literal to (a class: no closures per body). */
class BodyFeed implements BodySink {
  readonly #body: BodyChannel;

  constructor(body: BodyChannel) {
    this.#body = body;
  }

  write(bytes: Uint8Array): void {
    this.#body.feed(bytes);
  }

  end(): void {
    this.#body.finish();
  }
}

/** What {@link BodyChannel.chunks} returns. */
class ChunkIterator implements AsyncIterableIterator<Buffer> {
  readonly #body: BodyChannel;

  constructor(body: BodyChannel) {
    this.#body = body;
  }

  next(): Promise<IteratorResult<Buffer, undefined>> {
    return this.#body.nextChunk();
  }

  return(): Promise<IteratorResult<Buffer, undefined>> {
    this.#body.stopReading();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this;
  }
}

/**
 * The {@link FetchedMessage} implementation, filled by `commands/fetch.ts`.
 *
 * @internal
 */
export class MessageRecord implements FetchedMessage {
  readonly seq: SeqNum;
  #uid: Uid | undefined;
  #attributes: FetchAttributes = EMPTY_ATTRIBUTES;
  #complete = false;
  #failure: MailwireError | undefined;
  // Made on first use: most fetched messages (flags, envelopes) never stream a body nor are awaited,
  // and two Maps and an array per message were a measurable part of a 10,000-message fetch.
  #streams: Map<string, BodyChannel> | undefined;
  /** Buffered bodies as key, bytes, key, bytes...: usually one or two, where a Map costs more than a search. */
  #buffered: (string | Uint8Array | null)[] | undefined;
  readonly #newStream: (section: string) => BodyChannel;
  #waiters: { resolve: (attributes: FetchAttributes) => void; reject: (error: MailwireError) => void }[] | undefined;
  #weight = MESSAGE_OVERHEAD;

  constructor(newStream: (section: string) => BodyChannel, seq: SeqNum, uid: Uid | undefined) {
    this.#newStream = newStream;
    this.seq = seq;
    this.#uid = uid;
  }

  get uid(): Uid | undefined {
    return this.#uid;
  }

  get attributes(): FetchAttributes {
    return this.#attributes;
  }

  get isComplete(): boolean {
    return this.#complete;
  }

  complete(): Promise<FetchAttributes> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#complete) return Promise.resolve(this.#attributes);
    return new Promise((resolve, reject) => (this.#waiters ??= []).push({ resolve, reject }));
  }

  body(section = ''): BodyStream {
    return this.#channel(section).readable;
  }

  chunks(section = '', options?: ChunkOptions): AsyncIterableIterator<Buffer> {
    return this.#channel(section).chunks(options);
  }

  /** The channel of a body the caller asks for (created now if its literal has not started yet). */
  #channel(section: string): BodyChannel {
    if (this.#failure !== undefined) throw this.#failure;
    const key = requestKey(section);
    const streams = (this.#streams ??= new Map<string, BodyChannel>());
    let channel = streams.get(key);
    if (channel === undefined) {
      if (this.#complete && this.#bufferedIndex(key) < 0) {
        throw new InvalidArgumentError(`Message ${this.seq} has no body ${JSON.stringify(section)} (was it fetched?)`);
      }
      channel = this.#newStream(key);
      streams.set(key, channel);
      if (this.#complete) {
        const bytes = this.#bufferedBytes(key);
        if (bytes !== undefined && bytes !== null) channel.feed(bytes);
        channel.finish();
      }
    }
    channel.claimed = true;
    return channel;
  }

  bodyBytes(section = ''): Uint8Array | undefined {
    return this.#bufferedBytes(requestKey(section)) ?? undefined;
  }

  /** Where the key of a buffered body stands in {@link MessageRecord.#buffered}, or -1. */
  #bufferedIndex(key: string): number {
    const buffered = this.#buffered;
    if (buffered === undefined) return -1;
    for (let index = 0; index < buffered.length; index += 2) if (buffered[index] === key) return index;
    return -1;
  }

  #bufferedBytes(key: string): Uint8Array | null | undefined {
    const index = this.#bufferedIndex(key);
    return index < 0 ? undefined : (this.#buffered![index + 1] as Uint8Array | null);
  }

  #setBuffered(key: string, bytes: Uint8Array | null): void {
    const index = this.#bufferedIndex(key);
    if (index >= 0) this.#buffered![index + 1] = bytes;
    else if (this.#buffered === undefined) this.#buffered = [key, bytes];
    else this.#buffered.push(key, bytes);
  }

  /** A body literal of this message starts: its stream (created now or earlier by body()). */
  startBody(start: BodyStart, context: CommandContext): BodySink {
    if (start.uid !== null) this.#uid = start.uid;
    const key = sectionKey(start.section);
    const streams = (this.#streams ??= new Map<string, BodyChannel>());
    let stream = streams.get(key);
    if (stream === undefined) {
      stream = this.#newStream(key);
      streams.set(key, stream);
    }
    return stream.attach(start, context);
  }

  /** The whole response arrived. */
  finish(attributes: FetchAttributes): void {
    this.#attributes = attributes;
    if (attributes.uid !== undefined) this.#uid = attributes.uid;
    const streams = this.#streams;
    const bodies = attributes.bodies;
    if (bodies !== undefined) {
      for (const body of bodies) {
        const key = sectionKey(body.section);
        if (body.content.kind === 'streamed') continue;
        const bytes = body.content.kind === 'bytes' ? body.content.bytes : null;
        this.#setBuffered(key, bytes);
        this.#weight += bytes?.length ?? 0;
        const stream = streams?.get(key);
        if (stream !== undefined) {
          if (bytes !== null) stream.feed(bytes);
          stream.finish();
        }
      }
    }
    // A stream asked for but never sent ends empty.
    if (streams !== undefined) for (const stream of streams.values()) stream.finish();
    this.#complete = true;
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    this.#waiters = undefined;
    for (const waiter of waiters) waiter.resolve(attributes);
  }

  fail(error: MailwireError): void {
    if (this.#complete) return;
    this.#failure = error;
    if (this.#streams !== undefined) {
      for (const stream of this.#streams.values()) {
        if (!stream.receivedAll) stream.fail(error);
      }
    }
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters !== undefined) for (const waiter of waiters) waiter.reject(error);
  }

  /** Throws away what the caller did not ask for, so reading never stalls on it. */
  drainUnclaimed(all = false): void {
    if (this.#streams === undefined) return;
    for (const stream of this.#streams.values()) {
      if (all || !stream.claimed) stream.discard();
    }
  }

  /** Bytes held by this record while it waits in the queue. */
  get weight(): number {
    return this.#weight;
  }
}

