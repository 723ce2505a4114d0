/**
 * The objects a FETCH hands to the caller: {@link FetchedMessage} and its {@link BodyStream}s, and
 * the message record that fills them from the wire (used by `commands/fetch.ts`; each body is a
 * `FetchBody`, see `fetch-body.ts`).
 *
 * @packageDocumentation
 */

import type { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, type MailwireError } from '../common/errors.js';
import type { ChunkOptions } from '../common/options.js';
import type { FetchBody } from './fetch-body.js';
import type { CommandContext } from './session.js';
import type { BodySink, BodyStart } from './wire/assembler.js';
import type { BodySection, FetchAttributes } from './wire/fetch-types.js';
import { parseSectionSpec } from './wire/section.js';
import type { SeqNum, Uid } from './wire/sequence-set.js';

const MESSAGE_OVERHEAD = 512;

/** The attributes of a message whose response has not arrived yet. */
const EMPTY_ATTRIBUTES: FetchAttributes = Object.freeze({});

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
  /**
   * The body's chunks: the same as {@link BodyStream.chunks} without options. Typed as a
   * `Readable`'s own iterator, so that the type still extends `Readable` where @types/node gives
   * that iterator `[Symbol.asyncDispose]` (the `esnext.disposable` lib).
   */
  [Symbol.asyncIterator](): NodeJS.AsyncIterator<Buffer>;
}

/**
 * One fetched message. Yielded as soon as its first streamed body starts (or when its response is
 * complete, if it has none): read its bodies before awaiting {@link FetchedMessage.complete}.
 * Bodies not asked for with {@link FetchedMessage.body} or {@link FetchedMessage.chunks} by the
 * time the iteration moves on are discarded (asking for one afterwards throws).
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
   * @throws InvalidArgumentError when the complete message has no such body, or when the body was
   *   discarded because it was not asked for before the iteration moved on.
   */
  body(section?: string): BodyStream;
  /**
   * Iterates a body value's chunks without creating its `Readable`: the lightest way to read many
   * bodies. The same as `body(section).chunks(options)`; read a body one way only.
   *
   * @param section - as for {@link FetchedMessage.body}.
   * @param options - `{ reuse: true }` recycles chunk memory (see {@link ChunkOptions.reuse}).
   * @throws InvalidArgumentError when the complete message has no such body, it is already being
   *   iterated, or it was discarded because it was not asked for before the iteration moved on.
   */
  chunks(section?: string, options?: ChunkOptions): AsyncIterableIterator<Buffer>;
  /**
   * A body value received whole (with `bodies: 'buffer'`, or sent as a quoted string), else
   * undefined. A value of up to 16 KiB is a view into a shared 64 KiB block (see docs/imap.md):
   * copy it to keep a few of many for long.
   */
  bodyBytes(section?: string): Uint8Array | undefined;
}

/** A section that is part numbers only (`1.2`), or the whole message. */
const PART_ONLY = /^(\d+(\.\d+)*)?$/;

/** The canonical form of a section, used to match requests with response items. */
export function sectionKey(section: BodySection): string {
  // A section text the parser did not recognise (`1.BOGUS`) is a section of its own, not part 1.
  if (section.text === null && !PART_ONLY.test(section.raw)) return section.raw;
  // No part number and no field list (the whole message, HEADER, TEXT): the key is the text itself.
  if (section.part.length === 0 && section.fields.length === 0) return section.text ?? section.raw;
  const part = section.part.join('.');
  const text = section.text ?? (part === '' ? section.raw : '');
  let key = part !== '' && text !== '' ? `${part}.${text}` : part + text;
  if (section.fields.length > 0) key += ` (${section.fields.join(' ')})`;
  return key;
}

/** The canonical form of a section as a caller writes it (`'header'`, `'1.2'`). @internal */
export function requestKey(section: string): string {
  // The whole message, by far the most asked for, needs no parsing; a loop over many messages asks
  // for the same section each time.
  if (section === '') return '';
  if (section !== lastRequest) {
    lastRequestKey = sectionKey(parseSectionSpec(section.trim()));
    lastRequest = section;
  }
  return lastRequestKey;
}

let lastRequest = '';
let lastRequestKey = '';

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
  #streams: Map<string, FetchBody> | undefined;
  /** Buffered bodies as key, bytes, key, bytes...: usually one or two, where a Map costs more than a search. */
  #buffered: (string | Uint8Array | null)[] | undefined;
  readonly #newStream: (section: string) => FetchBody;
  #waiters: { resolve: (attributes: FetchAttributes) => void; reject: (error: MailwireError) => void }[] | undefined;
  #weight = MESSAGE_OVERHEAD;

  constructor(newStream: (section: string) => FetchBody, seq: SeqNum, uid: Uid | undefined) {
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
    return this.#channel(section).iterator(options);
  }

  /** The channel of a body the caller asks for (created now if its literal has not started yet). */
  #channel(section: string): FetchBody {
    if (this.#failure !== undefined) throw this.#failure;
    const key = requestKey(section);
    const streams = (this.#streams ??= new Map<string, FetchBody>());
    let channel = streams.get(key);
    if (channel === undefined) {
      if (this.#complete && this.#bufferedIndex(key) < 0) {
        throw new InvalidArgumentError(`Message ${this.seq} has no body ${JSON.stringify(section)} (was it fetched?)`);
      }
      channel = this.#newStream(key);
      streams.set(key, channel);
      if (this.#complete) {
        const bytes = this.#bufferedBytes(key);
        if (bytes !== undefined && bytes !== null) channel.push(bytes);
        channel.end();
      }
    } else if (channel.dropped) {
      // Silently empty would read as an empty body: say it is gone, and why.
      throw new InvalidArgumentError(
        `The body ${JSON.stringify(section)} of message ${this.seq} was discarded when the fetch moved on: ask for a body before the loop's next step`,
      );
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

  /** True when the caller asked for this section's body ({@link FetchedMessage.body} or {@link FetchedMessage.chunks}). */
  claims(section: BodySection): boolean {
    return this.#streams?.get(sectionKey(section))?.claimed === true;
  }

  /** A body literal of this message starts: its stream (created now or earlier by body()). */
  startBody(start: BodyStart, context: CommandContext): BodySink {
    if (start.uid !== null) this.#uid = start.uid;
    const key = sectionKey(start.section);
    const streams = (this.#streams ??= new Map<string, FetchBody>());
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
      for (let index = 0; index < bodies.length; index++) {
        const body = bodies[index]!;
        const key = sectionKey(body.section);
        if (body.content.kind === 'streamed') continue;
        const bytes = body.content.kind === 'bytes' ? body.content.bytes : null;
        this.#setBuffered(key, bytes);
        this.#weight += bytes?.length ?? 0;
        const stream = streams?.get(key);
        if (stream !== undefined) {
          if (bytes !== null) stream.push(bytes);
          stream.end();
        }
      }
    }
    // A stream asked for but never sent ends empty.
    if (streams !== undefined) for (const stream of streams.values()) stream.end();
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
      if (stream.claimed) {
        if (all) stream.discard();
      } else {
        stream.dropped = true;
        stream.discard();
      }
    }
  }

  /** Bytes held by this record while it waits in the queue. */
  get weight(): number {
    return this.#weight;
  }
}

