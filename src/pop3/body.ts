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

/** Pauses and resumes the connection's reading, for backpressure from a body. */
export interface FlowControl {
  /** Stop reading from the socket until {@link FlowControl.resume}. */
  pause(): void;
  /** Read again. */
  resume(): void;
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

  /** Pauses the connection, once for this body. */
  protected pauseInput(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#flow.pause();
  }

  /** Resumes the connection if this body paused it. */
  protected resumeInput(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flow.resume();
  }
}
