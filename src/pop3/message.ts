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
import type { MailwireError } from '../common/errors.js';
import type { ChunkStore } from '../common/chunk-store.js';
import type { ChunkOptions } from '../common/options.js';
import { collectBody } from '../common/body-channel.js';
import { Pop3BodyChannel, type FlowControl } from './body.js';
import { encodeNumericCommand, type Pop3Status } from './codec.js';
import { Exchange, type StatusOutcome } from './exchange.js';

/** What a {@link MessageExchange} needs from the client. */
export interface BodyStreaming {
  /** The connection's flow control. */
  readonly flow: FlowControl;
  /** Bytes a body stream buffers before the connection is paused. */
  readonly highWaterMark: number;
  /** Where chunks are copied to. */
  readonly store: ChunkStore;
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
 * A message being retrieved by RETR or TOP. Its body streams with backpressure. The connection
 * delivers answers in order: a command issued before the body is read is answered after it, and
 * the body is then buffered in memory until it is, so read it (or call
 * {@link Pop3Message.discard}) before issuing the next command to keep memory flat.
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
  readonly #channel: Pop3BodyChannel;

  /** @internal */
  constructor(messageNumber: number, announcedSize: number | undefined, channel: Pop3BodyChannel) {
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
   * Iterates the body's chunks, with less overhead than a `Readable`; each chunk is yours to keep.
   * Stopping early (`break`) drops the rest of the body; the connection stays usable.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this.#channel.iterator();
  }

  /**
   * Iterates the body's chunks (what `for await (const chunk of message)` does), optionally with
   * recycled buffers: with `{ reuse: true }` a chunk is valid only until the loop asks for the next
   * one (or ends, or the next message is read), and the fastest way to read many messages. Stopping
   * early (`break`) drops the rest of the body; the connection stays usable. When the `Readable`
   * ({@link Pop3Message.body}) was asked for first, iterates that (chunks are then kept).
   *
   * @example
   * ```ts
   * for await (const message of client.retrieveMany(numbers)) {
   *   // Each chunk is valid until the next step of the loop: hash it, write it, or copy it.
   *   for await (const chunk of message.chunks({ reuse: true })) hash.update(chunk);
   * }
   * ```
   * @throws InvalidArgumentError when the body is already being iterated.
   */
  chunks(options: ChunkOptions = {}): AsyncIterableIterator<Buffer> {
    return this.#channel.iterator(options);
  }

  /**
   * Collects the whole body into one `Uint8Array`. Meant for small messages; stream large ones.
   *
   * @throws LimitExceededError when the body exceeds `maxBytes`; the rest of the body is then
   *   read and dropped, so the session stays usable.
   */
  async bytes(options: CollectOptions = {}): Promise<Uint8Array> {
    return collectBody(this.chunks({ reuse: true }), this.announcedSize, options.maxBytes ?? Infinity);
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
  #channel: Pop3BodyChannel | undefined;
  /** See {@link MessageExchange.dropBody}. */
  #dropped = false;
  #received = 0;
  #ended = false;
  #failed = false;
  #announced: number | undefined;

  /**
   * @param messageNumber - the message.
   * @param lines - for TOP, how many body lines; undefined for RETR.
   * @param streaming - flow control, buffering and copying of the body.
   */
  constructor(messageNumber: number, lines: number | undefined, streaming: BodyStreaming) {
    super(lines === undefined ? encodeNumericCommand('RETR', messageNumber) : encodeNumericCommand('TOP', messageNumber, lines), {
      messageNumber,
    });
    this.#messageNumber = messageNumber;
    this.#streaming = streaming;
  }

  /** @inheritDoc */
  protected onOk(status: Pop3Status): StatusOutcome {
    // Aborted while in flight: the body is read and dropped.
    if (this.settled) return 'data';
    // RFC 1939 leaves the text free; most servers (Dovecot, Courier, qpopper) say "<n> octets".
    const channel = new Pop3BodyChannel(this.#streaming.flow, this.#streaming.highWaterMark, this.#streaming.store);
    this.#channel = channel;
    this.#announced = leadingOctets(status.text);
    this.succeed(new Pop3Message(this.#messageNumber, this.#announced, channel));
    if (this.#dropped) channel.discard();
    return 'data';
  }

  /** Body bytes received so far (read or dropped). */
  get receivedBytes(): number {
    return this.#received;
  }

  /** The size the `+OK` line announced, once it came (see {@link Pop3Message.announcedSize}). */
  get announcedSize(): number | undefined {
    return this.#announced;
  }

  /** The command was refused, withdrawn or cut off: no more of its body will come. */
  get failed(): boolean {
    return this.#failed;
  }

  /** The body's last byte was received: {@link MessageExchange.receivedBytes} is its size. */
  get bodyEnded(): boolean {
    return this.#ended;
  }

  /** @inheritDoc */
  override onData(chunk: Uint8Array): void {
    this.#received += chunk.length;
    this.#channel?.push(chunk);
  }

  /** @inheritDoc */
  override onDataEnd(): void {
    this.#ended = true;
    this.#channel?.end();
  }

  /**
   * Drops whatever of the body is left unread, now or, when the answer has not come yet, as it
   * comes: nobody will read it, and the connection must read on.
   */
  dropBody(): void {
    this.#dropped = true;
    this.#channel?.discard();
  }

  /** Fails the result, or, once the body is streaming, the body. */
  override fail(error: MailwireError): void {
    this.#failed = true;
    super.fail(error);
    this.#channel?.fail(error);
  }
}

/** The `<n>` of a `+OK <n> octets` text: 1 to 15 digits, then a blank or the end; else undefined. */
function leadingOctets(text: string): number | undefined {
  let end = 0;
  while (end < text.length && end <= 15) {
    const code = text.charCodeAt(end);
    if (code < 0x30 || code > 0x39) break;
    end++;
  }
  if (end === 0 || end > 15) return undefined;
  if (end < text.length && !/\s/.test(text.charAt(end))) return undefined;
  return Number(text.slice(0, end));
}
