/**
 * The body of a RETR or TOP answer: the shared {@link BodyChannel} (`common/body-channel.ts`, with
 * its chunk memory in `common/chunk-store.ts`), with what is POP3's own: one body per command,
 * backpressure through the client's {@link FlowControl}, and a `Readable` that takes over the body
 * as soon as it is asked for (`message.body`), so that iterating the message afterwards iterates
 * the `Readable`.
 *
 * @internal
 * @packageDocumentation
 */
import type { Readable } from 'node:stream';
import { BodyChannel, ChannelReadable } from '../common/body-channel.js';
import { ChunkStore } from '../common/chunk-store.js';
import { InvalidArgumentError } from '../common/errors.js';

/** Pauses and resumes the connection's reading, for backpressure from the bodies. */
export interface FlowControl {
  /**
   * `body` is behind: stop reading from the socket until it calls {@link FlowControl.resume}.
   * False when the connection must read on (a command the caller issued, and may be awaiting, is
   * queued behind the body): the body then buffers, and asks again with its next chunk.
   */
  pause(body: Pop3BodyChannel): boolean;
  /** `body` caught up: reading resumes once no other body is behind. */
  resume(body: Pop3BodyChannel): void;
}

/** What a {@link FlowGate} does to the connection. */
export interface FlowIo {
  /** Stop reading from the socket. */
  pause(): void;
  /** Read again. */
  resume(): void;
  /** False while the connection must read on whatever bodies are behind (see {@link FlowControl.pause}). */
  mayPause(): boolean;
}

/**
 * The connection's flow control: reading stops while any body is behind and resumes once every
 * one of them has caught up (two bodies in one read can both be behind).
 *
 * @internal
 */
export class FlowGate implements FlowControl {
  readonly #io: FlowIo;
  readonly #pausers = new Set<Pop3BodyChannel>();

  /** @param io - the connection's side. */
  constructor(io: FlowIo) {
    this.#io = io;
  }

  /** True while reading is paused for a body. */
  get paused(): boolean {
    return this.#pausers.size > 0;
  }

  /** @inheritDoc */
  pause(body: Pop3BodyChannel): boolean {
    if (!this.#io.mayPause()) return false;
    if (this.#pausers.has(body)) return true;
    this.#pausers.add(body);
    if (this.#pausers.size === 1) this.#io.pause();
    return true;
  }

  /** @inheritDoc */
  resume(body: Pop3BodyChannel): void {
    if (this.#pausers.delete(body) && this.#pausers.size === 0) this.#io.resume();
  }

  /** Every body lets go of the connection (they buffer from now on, until they pause again). */
  release(): void {
    if (this.#pausers.size === 0) return;
    for (const body of this.#pausers) body.released();
    this.#pausers.clear();
    this.#io.resume();
  }
}

/**
 * One message body on its way from the connection to its reader.
 *
 * @internal
 */
export class Pop3BodyChannel extends BodyChannel {
  readonly #flow: FlowControl;
  readonly #highWaterMark: number;
  /** This body paused the connection and owes it a resume. */
  #paused = false;

  /**
   * @param flow - the connection's flow control.
   * @param highWaterMark - bytes buffered before the connection is paused; reading resumes as soon
   *   as the reader is back at the mark, as a `Readable` does.
   * @param store - where chunks are copied to (shared by the bodies of one connection).
   */
  constructor(flow: FlowControl, highWaterMark: number, store: ChunkStore = new ChunkStore()) {
    super(store, highWaterMark, highWaterMark);
    this.#flow = flow;
    this.#highWaterMark = highWaterMark;
  }

  /**
   * The body as a Node `Readable`, created on first use with whatever is queued.
   *
   * @throws InvalidArgumentError when the body is already being iterated.
   */
  get readable(): Readable {
    const existing = this.stream;
    if (existing !== undefined) return existing;
    if (this.reading) throw new InvalidArgumentError('The message body is already being read through its iterator');
    const readable = new ChannelReadable(this, this.#highWaterMark);
    this.adopt(readable);
    this.startStreaming();
    return readable;
  }

  /** The connection no longer waits for this body (see {@link FlowControl.pause}); it buffers. */
  released(): void {
    this.#paused = false;
  }

  /** Pauses the connection, once for this body. */
  protected pauseInput(): void {
    if (this.#paused) return;
    this.#paused = this.#flow.pause(this);
  }

  /** Resumes the connection if this body paused it. */
  protected resumeInput(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flow.resume(this);
  }
}
