/**
 * One streamed body value of a FETCH: the shared {@link BodyChannel} (`common/body-channel.ts`, with
 * its chunk memory in `common/chunk-store.ts`), with what is IMAP's own: a message has several
 * bodies, each named by its section; backpressure goes through the command's context, which pauses
 * the socket only while no later command waits, and fails the body past `limits.maxFetchBuffer`;
 * the {@link BodyStream} is made on `message.body()` and becomes a stream only when first read, so
 * that iterating it stays light.
 *
 * @packageDocumentation
 */
import { Buffer } from 'node:buffer';
import { BodyChannel, ChannelReadable, collectBody } from '../common/body-channel.js';
import type { ChunkStore } from '../common/chunk-store.js';
import { LimitExceededError } from '../common/errors.js';
import type { ChunkOptions } from '../common/options.js';
import type { BodyStream } from './fetch-message.js';
import type { CommandContext } from './session.js';
import type { BodySink, BodyStart } from './wire/assembler.js';

/**
 * A body value of a fetched message on its way to its reader; the assembler writes its literal
 * to it (it is its own {@link BodySink}: no object per body beyond it).
 *
 * @internal
 */
export class FetchBody extends BodyChannel implements BodySink {
  /** The section's canonical key (see `sectionKey`). */
  readonly section: string;
  /** The size in bytes once the literal was announced. */
  size: number | undefined;
  /** The caller asked for this body (`body()` or `chunks()`), so it is not discarded when the fetch moves on. */
  claimed = false;
  /** Discarded unread because nobody asked for it before the fetch moved on: asking later is an error. */
  dropped = false;
  readonly #highWaterMark: number;
  readonly #maxBuffer: number;
  #context: CommandContext | undefined;
  /** Lifts this body's request to pause the socket. */
  #release: (() => void) | undefined;
  #readable: BodyReadable | undefined;

  /**
   * @param section - the section's canonical key.
   * @param highWaterMark - bytes buffered before the socket is paused; a light reader resumes it
   *   at half of it, since a pause costs the core more than a flag.
   * @param maxBuffer - bytes buffered at most while the socket cannot be paused (`limits.maxFetchBuffer`).
   * @param store - where chunks are copied to (shared by the bodies of one fetch).
   */
  constructor(section: string, highWaterMark: number, maxBuffer: number, store: ChunkStore) {
    super(store, highWaterMark, highWaterMark / 2);
    this.section = section;
    this.#highWaterMark = highWaterMark;
    this.#maxBuffer = maxBuffer;
  }

  /** The body as a {@link BodyReadable}, created on first use. */
  get readable(): BodyReadable {
    let readable = this.#readable;
    if (readable !== undefined) return readable;
    readable = new BodyReadable(this, this.#highWaterMark);
    this.#readable = readable;
    this.adopt(readable);
    return readable;
  }

  /** The body's literal starts: the assembler writes it here. */
  attach(start: BodyStart, context: CommandContext): BodySink {
    this.size = start.size;
    this.#context = context;
    return this;
  }

  /** The next bytes of the literal (a view valid only during the call). */
  write(bytes: Uint8Array): void {
    this.push(bytes);
  }

  /** Stops reading the socket, or, when that would deadlock, buffers up to the limit. */
  protected pauseInput(buffered: number): void {
    const context = this.#context;
    if (context === undefined) return;
    this.#release ??= context.pauseInput();
    if (context.othersWaiting && buffered > this.#maxBuffer) {
      this.fail(new LimitExceededError('maxFetchBuffer', this.#maxBuffer, buffered));
    }
  }

  /** Lifts this body's request to pause the socket, if it made one. */
  protected resumeInput(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

/**
 * The {@link BodyStream} implementation: a `Readable` over a {@link FetchBody}, created when
 * `FetchedMessage.body` is first called for the body.
 *
 * @internal
 */
export class BodyReadable extends ChannelReadable implements BodyStream {
  readonly #body: FetchBody;

  constructor(body: FetchBody, highWaterMark: number) {
    super(body, highWaterMark);
    this.#body = body;
  }

  get section(): string {
    return this.#body.section;
  }

  get size(): number | undefined {
    return this.#body.size;
  }

  override [Symbol.asyncIterator](): NodeJS.AsyncIterator<Buffer> {
    return this.#body.iterator();
  }

  chunks(options?: ChunkOptions): AsyncIterableIterator<Buffer> {
    return this.#body.iterator(options);
  }

  collect(maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
    return collectBody(this.#body.iterator({ reuse: true }), this.#body.size, maxBytes);
  }
}
