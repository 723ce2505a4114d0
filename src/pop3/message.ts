/**
 * RETR and TOP: the message handle and its streamed body.
 *
 * The body is the message's exact bytes, dot-unstuffed and never decoded, read by async iteration
 * or as a Node `Readable`. Each chunk the tokenizer hands over is a view of the transport's read
 * buffer, so it is copied once. When the reader falls behind, the transport is paused; reading
 * resumes it.
 *
 * @packageDocumentation
 */
import type { Readable } from 'node:stream';
import { LimitExceededError, type MailwireError } from '../common/errors.js';
import { BodyChannel, type FlowControl } from './body.js';
import { encodeCommand, type Pop3Status } from './codec.js';
import { Exchange, type StatusOutcome } from './exchange.js';

export type { FlowControl } from './body.js';

/** Bytes of one slab of {@link ChunkCopier}. */
const SLAB_SIZE = 512 * 1024;

/**
 * Copies body chunks out of the transport's reused read buffer into shared slabs: one allocation
 * per 512 KiB instead of one per chunk (allocation and its garbage were the largest cost of a
 * streamed RETR in profiles). A chunk over a quarter of a slab gets a buffer of its own.
 *
 * @internal
 */
export class ChunkCopier {
  #slab: Buffer = Buffer.allocUnsafeSlow(SLAB_SIZE);
  #used = 0;

  /** A copy of `chunk` that stays valid after the callback that handed it over. */
  copy(chunk: Uint8Array): Buffer {
    const length = chunk.length;
    if (length > SLAB_SIZE / 4) {
      const own = Buffer.allocUnsafeSlow(length);
      own.set(chunk);
      return own;
    }
    if (this.#used + length > SLAB_SIZE) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      this.#used = 0;
    }
    const start = this.#used;
    this.#used = start + length;
    const view = this.#slab.subarray(start, this.#used);
    view.set(chunk);
    return view;
  }
}

/** What a {@link MessageExchange} needs from the client. */
export interface BodyStreaming {
  /** The connection's flow control. */
  readonly flow: FlowControl;
  /** Bytes a body stream buffers before the connection is paused. */
  readonly highWaterMark: number;
  /** Where chunks are copied to. */
  readonly copier: ChunkCopier;
}

/** Options of {@link Pop3Message.bytes}. */
export interface CollectOptions {
  /**
   * The largest body accepted, in bytes. Beyond it the body stream is destroyed (the rest of the
   * message is read and discarded, so the session stays usable) and the promise rejects with
   * `LimitExceededError('maxBytes')`. Default: no limit.
   */
  readonly maxBytes?: number | undefined;
}

/**
 * A message being retrieved by RETR or TOP. Its body streams: read it (or call
 * {@link Pop3Message.discard}) before awaiting a later command's result, since the connection
 * delivers answers in order.
 *
 * @example
 * ```ts
 * const message = await client.retrieve(1);
 * for await (const chunk of message) process.stdout.write(chunk);
 * ```
 */
export class Pop3Message implements AsyncIterable<Buffer> {
  /** The message number, fixed for the session. */
  readonly number: number;
  /**
   * The size in octets the server announced in its `+OK` line (`+OK 1234 octets`), if it did.
   * For TOP, or for servers that count differently, the body may differ from it.
   */
  readonly announcedSize: number | undefined;
  readonly #channel: BodyChannel;

  /** @internal */
  constructor(messageNumber: number, announcedSize: number | undefined, channel: BodyChannel) {
    this.number = messageNumber;
    this.announcedSize = announcedSize;
    this.#channel = channel;
  }

  /**
   * The body as a Node `Readable` of `Buffer`s: the exact bytes of the message (or of the header
   * and first lines, for TOP), dot-unstuffed, line endings as the server sent them. It errors with
   * the connection's error if the connection is lost before the end. Created on first access;
   * iterate the message itself (or the `Readable`), not both.
   *
   * @throws InvalidArgumentError when the message is already being iterated directly.
   */
  get body(): Readable {
    return this.#channel.readable;
  }

  /**
   * Iterates the body's chunks, with less overhead than a `Readable`. Stopping early (`break`)
   * drops the rest of the body; the connection stays usable.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer, undefined> {
    return this.#channel.iterator();
  }

  /**
   * Collects the whole body into one `Uint8Array`. Meant for small messages; stream large ones.
   *
   * @throws LimitExceededError when the body exceeds `maxBytes`; the rest of the body is then
   *   read and dropped, so the session stays usable.
   */
  async bytes(options: CollectOptions = {}): Promise<Uint8Array> {
    const maxBytes = options.maxBytes ?? Infinity;
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of this) {
      total += chunk.length;
      if (total > maxBytes) throw new LimitExceededError('maxBytes', maxBytes, total); // `break` drops the rest
      chunks.push(chunk);
    }
    const only = chunks.length === 1 ? chunks[0]! : undefined;
    // A lone chunk may be a view of a shared slab: copy it rather than keep the slab alive.
    if (only !== undefined) return only.byteLength === only.buffer.byteLength ? only : Uint8Array.prototype.slice.call(only);
    return Buffer.concat(chunks, total);
  }

  /**
   * Drops the rest of the body. The connection stays usable; resolves once the message's last
   * byte has been read, and rejects if the connection is lost first.
   */
  discard(): Promise<void> {
    this.#channel.discard();
    return this.#channel.settled();
  }
}

/** `RETR msg` or `TOP msg n`: resolves with the message handle once `+OK` arrives. */
export class MessageExchange extends Exchange<Pop3Message> {
  readonly #messageNumber: number;
  readonly #streaming: BodyStreaming;
  #channel: BodyChannel | undefined;

  /**
   * @param messageNumber - the message.
   * @param lines - for TOP, how many body lines; undefined for RETR.
   * @param streaming - flow control, buffering and copying of the body.
   */
  constructor(messageNumber: number, lines: number | undefined, streaming: BodyStreaming) {
    super(
      lines === undefined
        ? encodeCommand('RETR', [String(messageNumber)])
        : encodeCommand('TOP', [String(messageNumber), String(lines)]),
    );
    this.#messageNumber = messageNumber;
    this.#streaming = streaming;
  }

  /** @inheritDoc */
  protected onOk(status: Pop3Status): StatusOutcome {
    // Aborted while in flight: the body is read and dropped.
    if (this.settled) return 'data';
    // RFC 1939 leaves the text free; most servers (Dovecot, Courier, qpopper) say "<n> octets".
    const sizeMatch = /^(\d{1,15})(?:\s|$)/.exec(status.text);
    const channel = new BodyChannel(this.#streaming.flow, this.#streaming.highWaterMark);
    this.#channel = channel;
    this.succeed(new Pop3Message(this.#messageNumber, sizeMatch === null ? undefined : Number(sizeMatch[1]), channel));
    return 'data';
  }

  /** @inheritDoc */
  override onData(chunk: Uint8Array): void {
    const channel = this.#channel;
    if (channel?.wantsData === true) channel.push(this.#streaming.copier.copy(chunk));
  }

  /** @inheritDoc */
  override onDataEnd(): void {
    this.#channel?.end();
  }

  /** Fails the result, or, once the body is streaming, the body. */
  override fail(error: MailwireError): void {
    super.fail(error);
    this.#channel?.fail(error);
  }
}
