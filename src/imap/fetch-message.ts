/**
 * The objects a FETCH hands to the caller: {@link FetchedMessage} and its {@link BodyStream}s, and
 * the internal classes that fill them from the wire (used by `commands/fetch.ts`).
 *
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { InvalidArgumentError, LimitExceededError, type MailwireError } from '../common/errors.js';
import type { CommandContext } from './session.js';
import type { BodySink, BodyStart } from './wire/assembler.js';
import type { BodySection, FetchAttributes } from './wire/fetch-types.js';
import { parseSectionSpec } from './wire/section.js';
import type { SeqNum, Uid } from './wire/sequence-set.js';

const MESSAGE_OVERHEAD = 512;

function ignoreError(): void {
  // See BodyReadable's constructor.
}

/** A body value as a stream; `collect()` buffers it. */
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
}

/**
 * One fetched message. Yielded as soon as its first streamed body starts (or when its response is
 * complete, if it has none): read its bodies before awaiting {@link FetchedMessage.complete}.
 * Bodies not asked for with {@link FetchedMessage.body} by the time the iteration moves on are
 * discarded.
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
  /** A body value received whole (with `bodies: 'buffer'`, or sent as a quoted string), else undefined. */
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
  return sectionKey(parseSectionSpec(section.trim()));
}

/**
 * The {@link BodyStream} implementation: fed by the response assembler through the sink that
 * {@link BodyReadable.attach} returns; asks the client to pause reading when its buffer is full.
 *
 * @internal
 */
export class BodyReadable extends Readable implements BodyStream {
  readonly section: string;
  size: number | undefined;
  claimed = false;
  #context: CommandContext | undefined;
  #release: (() => void) | undefined;
  readonly #maxBuffer: number;

  constructor(section: string, highWaterMark: number, maxBuffer: number) {
    super({ highWaterMark });
    this.section = section;
    // A body the caller never read must not crash the process when the connection fails: readers
    // (collect, pipeline, for await) still get the error through their own listeners.
    this.on('error', ignoreError);
    this.#maxBuffer = maxBuffer;
  }

  attach(start: BodyStart, context: CommandContext): BodySink {
    this.size = start.size;
    this.#context = context;
    return {
      write: (bytes) => {
        this.feed(bytes);
      },
      end: () => {
        this.finish();
      },
    };
  }

  feed(bytes: Uint8Array): void {
    if (this.destroyed) return;
    if (this.push(Buffer.from(bytes))) return;
    const context = this.#context;
    if (context === undefined) return;
    this.#release ??= context.pauseInput();
    if (context.othersWaiting && this.readableLength > this.#maxBuffer) {
      this.destroy(new LimitExceededError('maxFetchBuffer', this.#maxBuffer, this.readableLength));
    }
  }

  /** True once every byte arrived (the end is pushed, though perhaps not yet read). */
  receivedAll = false;

  finish(): void {
    if (this.receivedAll) return;
    this.receivedAll = true;
    if (!this.destroyed) this.push(null);
  }

  override _read(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this._read();
    callback(error);
  }

  async collect(maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of this) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) {
        this.destroy();
        throw new LimitExceededError('maxBytes', maxBytes, total);
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks, total);
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
  #attributes: FetchAttributes = {};
  #complete = false;
  #failure: MailwireError | undefined;
  readonly #streams = new Map<string, BodyReadable>();
  readonly #buffered = new Map<string, Uint8Array | null>();
  readonly #newStream: (section: string) => BodyReadable;
  #waiters: { resolve: (attributes: FetchAttributes) => void; reject: (error: MailwireError) => void }[] = [];

  constructor(newStream: (section: string) => BodyReadable, seq: SeqNum, uid: Uid | undefined) {
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
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  body(section = ''): BodyStream {
    if (this.#failure !== undefined) throw this.#failure;
    const key = requestKey(section);
    let stream = this.#streams.get(key);
    if (stream === undefined) {
      if (this.#complete && !this.#buffered.has(key)) {
        throw new InvalidArgumentError(`Message ${this.seq} has no body ${JSON.stringify(section)} (was it fetched?)`);
      }
      stream = this.#newStream(key);
      this.#streams.set(key, stream);
      if (this.#complete) {
        const bytes = this.#buffered.get(key);
        if (bytes !== undefined && bytes !== null) stream.feed(bytes);
        stream.finish();
      }
    }
    stream.claimed = true;
    return stream;
  }

  bodyBytes(section = ''): Uint8Array | undefined {
    return this.#buffered.get(requestKey(section)) ?? undefined;
  }

  /** A body literal of this message starts: its stream (created now or earlier by body()). */
  startBody(start: BodyStart, context: CommandContext): BodySink {
    if (start.uid !== null) this.#uid = start.uid;
    const key = sectionKey(start.section);
    let stream = this.#streams.get(key);
    if (stream === undefined) {
      stream = this.#newStream(key);
      this.#streams.set(key, stream);
    }
    return stream.attach(start, context);
  }

  /** The whole response arrived. */
  finish(attributes: FetchAttributes): void {
    this.#attributes = attributes;
    if (attributes.uid !== undefined) this.#uid = attributes.uid;
    for (const body of attributes.bodies ?? []) {
      const key = sectionKey(body.section);
      if (body.content.kind === 'streamed') continue;
      const bytes = body.content.kind === 'bytes' ? body.content.bytes : null;
      this.#buffered.set(key, bytes);
      const stream = this.#streams.get(key);
      if (stream !== undefined) {
        if (bytes !== null) stream.feed(bytes);
        stream.finish();
      }
    }
    // A stream asked for but never sent ends empty.
    for (const stream of this.#streams.values()) stream.finish();
    this.#complete = true;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(attributes);
  }

  fail(error: MailwireError): void {
    if (this.#complete) return;
    this.#failure = error;
    for (const stream of this.#streams.values()) {
      if (!stream.receivedAll) stream.destroy(error);
    }
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  /** Throws away what the caller did not ask for, so reading never stalls on it. */
  drainUnclaimed(all = false): void {
    for (const stream of this.#streams.values()) {
      if (all || !stream.claimed) stream.resume();
    }
  }

  /** Bytes held by this record while it waits in the queue. */
  get weight(): number {
    let total = MESSAGE_OVERHEAD;
    for (const bytes of this.#buffered.values()) total += bytes?.length ?? 0;
    return total;
  }
}

