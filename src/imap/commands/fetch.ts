/**
 * The FETCH family: `UID FETCH` (the default) and `FETCH`, as an async iterable of messages whose
 * body values stream (RFC 9051 section 6.4.5; RFC 7162 CHANGEDSINCE).
 *
 * Flow: a body literal reaches a {@link BodyStream} as it is read; when the stream's buffer is
 * full the client stops reading the socket, unless a command issued after this fetch waits for its
 * answer (that answer comes after the fetch's data, so pausing would deadlock): then the fetch keeps
 * buffering, up to `limits.maxFetchBuffer`, beyond which it fails with a LimitExceededError.
 * Complete messages waiting in the iterator are bounded the same way.
 *
 * A set longer than `limits.maxSetLength` is fetched in parts, one command each, the next sent once
 * the previous is answered: messages still come in order, each once.
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, LimitExceededError, MailwireError, ProtocolError } from '../../common/errors.js';
import { ChunkStore } from '../../common/chunk-store.js';
import { callSteps } from '../../common/options.js';
import { FetchBody } from '../fetch-body.js';
import { MessageRecord, type BodyStream, type FetchedMessage } from '../fetch-message.js';
import type { CommandContext, CoreSession, ImapCallOptions } from '../session.js';
import { BUFFER_BODY, type BodySink, type BodyStart, type UnreadableFetch } from '../wire/assembler.js';
import { atom, headerFieldName, list, modSequence, raw, type CommandArg } from '../wire/command-args.js';
import type { FetchResponse, ImapResponse } from '../wire/response-types.js';
import type { SequenceSet } from '../wire/sequence-set.js';
import { namesMessage, namesNoMessage, requireCondstore, resolveSelector, type MessageSelector } from './store.js';

/**
 * What {@link ImapClient.fetch} fetches: UIDs by default (`UID FETCH`): a SequenceSet of UIDs, one
 * UID, a list of UIDs and ranges, or wire text such as `'1:*'`; or `{ seq: ... }` for sequence
 * numbers (`FETCH`). The same shapes as the other message commands take.
 */
export type FetchSet = MessageSelector;

/**
 * A body section to fetch: a section spec (`''` for the whole message, `'HEADER'`, `'TEXT'`,
 * `'1.2'`, `'1.MIME'`, `'HEADER.FIELDS (From Subject)'`), or the same as an object.
 */
export type BodyRequest =
  | string
  | {
      /** The section spec (default `''`, the whole message). */
      readonly section?: string | undefined;
      /**
       * Header field names: turns the section into `HEADER.FIELDS (...)` (or `.NOT` with `exclude`).
       * Each is an RFC 5322 field name without `]` (refused otherwise), sent quoted when it is no atom.
       */
      readonly fields?: readonly string[] | undefined;
      /** With `fields`: fetch every header except these. */
      readonly exclude?: boolean | undefined;
      /** A partial fetch: `length` octets from `start` (`<start.length>`). */
      readonly partial?: { readonly start: number; readonly length: number } | undefined;
    };

/** The data items to fetch. UID is always fetched. */
export interface FetchQuery {
  /** FLAGS. */
  readonly flags?: boolean | undefined;
  /** INTERNALDATE. */
  readonly internalDate?: boolean | undefined;
  /** RFC822.SIZE. */
  readonly size?: boolean | undefined;
  /** ENVELOPE. */
  readonly envelope?: boolean | undefined;
  /** BODYSTRUCTURE. */
  readonly bodyStructure?: boolean | undefined;
  /** MODSEQ (RFC 7162): needs CONDSTORE or QRESYNC (UnsupportedError otherwise, before anything is sent). */
  readonly modseq?: boolean | undefined;
  /** The whole message, `BODY.PEEK[]`: read it with `message.body()`. */
  readonly source?: boolean | undefined;
  /** Body sections, read with `message.body(section)`. */
  readonly bodies?: readonly BodyRequest[] | undefined;
  /** Use `BODY[...]` instead of `BODY.PEEK[...]`, which sets `\Seen`. Default false. */
  readonly markSeen?: boolean | undefined;
}

/** Options of {@link ImapClient.fetch}. */
export interface FetchOptions extends ImapCallOptions {
  /** `'stream'` (default): bodies are streams with backpressure; `'buffer'`: bodies arrive whole. */
  readonly bodies?: 'stream' | 'buffer' | undefined;
  /**
   * Only messages whose mod-sequence is higher (RFC 7162 `CHANGEDSINCE`): from 1 to 2^63-1
   * (InvalidArgumentError otherwise); needs CONDSTORE or QRESYNC (UnsupportedError otherwise).
   */
  readonly changedSince?: bigint | undefined;
}

/**
 * An async iterator of fetched messages; the command is sent at once. `return()` (what `break`
 * calls) stops the iteration: the rest of the answer is read and dropped.
 */
export interface FetchIterable extends AsyncIterableIterator<FetchedMessage> {
  /** Stops the iteration. */
  return(): Promise<IteratorResult<FetchedMessage>>;
}

const QUEUE_HIGH_WATER = 1000;
/*
 * section-spec    = section-msgtext / (section-part ["." section-text])
 * section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
 * section-part    = nz-number *("." nz-number)
 * section-text    = section-msgtext / "MIME"
 * (the header-list is checked apart; MIME needs a part number, RFC 3501 section 6.4.5)
 */
const SECTION_SPEC = /^(?:[1-9]\d*(?:\.[1-9]\d*)*(?:\.(?:HEADER(?:\.FIELDS(?:\.NOT)?)?|TEXT|MIME))?|HEADER(?:\.FIELDS(?:\.NOT)?)?|TEXT)?$/i;
const DISCARD: BodySink = { write: () => undefined, end: () => undefined };

class FetchRun implements FetchIterable {
  readonly #session: CoreSession;
  readonly #byUid: boolean;
  readonly #set: SequenceSet;
  readonly #onlyFlags: boolean;
  readonly #buffer: boolean;
  readonly #queue: MessageRecord[] = [];
  #queuedBytes = 0;
  #current: MessageRecord | undefined;
  #previous: MessageRecord | undefined;
  /** Calls of next() waiting for a message, oldest first (as an async generator queues them). */
  #waiters: { resolve: (result: IteratorResult<FetchedMessage>) => void; reject: (error: unknown) => void }[] = [];
  #ended = false;
  #error: MailwireError | undefined;
  #abandoned = false;
  #release: (() => void) | undefined;

  constructor(session: CoreSession, set: FetchSet, query: FetchQuery, options: FetchOptions) {
    this.#session = session;
    const resolved = resolveSelector(set);
    this.#byUid = resolved.byUid;
    this.#set = resolved.set;
    this.#buffer = options.bodies === 'buffer';
    const items = fetchItems(query);
    // RFC 7162 section 3.1.4.1: the MODSEQ item exists only where CONDSTORE does.
    if (query.modseq === true) requireCondstore(session, 'modseq (MODSEQ)');
    this.#onlyFlags = items.every((item) => item === 'UID' || item === 'FLAGS' || item === 'MODSEQ');
    const afterSet: CommandArg[] = [list(...items.map((item) => raw(item)))];
    if (options.changedSince !== undefined) afterSet.push(changedSince(session, options.changedSince));
    // Sequence numbers in an empty mailbox name no message: the iteration ends at once, nothing sent.
    if (namesNoMessage(session, resolved)) {
      this.#end(undefined);
      return;
    }
    const parts = this.#set.split(session.maxSetLength);
    // A set too long for one command goes in parts, one command each, under one timeout.
    this.#send(parts, 0, afterSet, parts.length === 1 ? () => options : callSteps(options));
  }

  /**
   * Sends the command for `parts[index]`; once it is answered, the next part's, unless the
   * iteration ended (the caller left it, or a message was lost). Parts ascend, so messages do.
   */
  #send(parts: readonly SequenceSet[], index: number, afterSet: readonly CommandArg[], step: () => FetchOptions): void {
    const last = index === parts.length - 1;
    const part = parts[index]!;
    if (index > 0) this.#earlierBelow = earlierPartsEndBelow(part);
    this.#session
      .run(
        {
          name: this.#byUid ? 'UID FETCH' : 'FETCH',
          args: [raw(part.toString()), ...afterSet],
          states: ['selected'],
          untagged: (response, context) => this.#untagged(response, context),
          bodyStart: (start, context) => this.#bodyStart(start, context),
          streamsBodies: !this.#buffer,
          unreadableFetch: (error, seq) => this.#unreadable(error, seq),
          done: () => {
            // A message lost to an unreadable response fails the fetch, after the ones read.
            if (last || this.#lost !== undefined) this.#end(this.#lost);
          },
          failed: (error) => {
            this.#end(error);
          },
        },
        step(),
      )
      .then(() => {
        if (!this.#ended) this.#send(parts, index + 1, afterSet, step);
      })
      .catch((error: unknown) => {
        this.#end(error instanceof MailwireError ? error : new ProtocolError('FETCH failed', {}, { cause: error }));
      });
  }

  /** The memory the bodies of this fetch are copied into (recycled for readers that borrow chunks). */
  readonly #store = new ChunkStore();

  readonly #newStream = (key: string): FetchBody =>
    new FetchBody(key, this.#session.bodyHighWaterMark, this.#session.maxFetchBuffer, this.#store);

  /**
   * True when the set is `1:*`, or has a bare `*` (the last message, taken to cover all: a new
   * message's EXISTS may come before the answer, and an answer with more than flags is ours anyway).
   */
  #matchesAll: boolean | undefined;

  /**
   * The parts sent before the current one name only numbers below this (0 for the first part). A
   * message below it in a later part came through `n:*` with `*` under `n` (the last message): if
   * an earlier part named it too, it was yielded already.
   */
  #earlierBelow = 0;

  /** Whether a later part's message (by UID or sequence number) was an earlier part's too. */
  #repeated(value: number): boolean {
    return value < this.#earlierBelow && this.#set.has(value);
  }

  /** Whether the set names the message with this number (UID or sequence number) and sequence number. */
  #inSet(value: number, seq: number): boolean {
    this.#matchesAll ??= this.#set.ranges.some((range) => range.start === '*' || (range.start === 1 && range.end === '*'));
    return this.#matchesAll || namesMessage(this.#set, value, seq, this.#session.mailbox?.exists);
  }

  #untagged(response: ImapResponse, context: CommandContext): boolean {
    if (response.kind !== 'fetch') return false;
    const current = this.#current;
    if (current !== undefined && current.seq === response.seq) {
      this.#current = undefined;
      current.finish(response.attributes);
      // Left by its loop: what nobody asked for is dropped; the bodies the caller took are theirs.
      if (this.#abandoned) current.drainUnclaimed();
      return true;
    }
    if (!this.#matches(response)) return false;
    const number = this.#byUid ? response.attributes.uid! : response.seq;
    // A flags-only answer may be another session's flag change: left to the event stream.
    if (this.#repeated(number)) return !this.#onlyFlags;
    if (this.#onlyFlags && this.#isChangeOfYielded(number)) return false;
    this.#failCurrent();
    if (this.#abandoned) return true;
    const record = new MessageRecord(this.#newStream, response.seq, response.attributes.uid);
    record.finish(response.attributes);
    this.#enqueue(record, context);
    return true;
  }

  #bodyStart(start: BodyStart, context: CommandContext): BodySink | null {
    const current = this.#current;
    if (current?.seq === start.seq) return this.#abandoned && !current.claims(start.section) ? DISCARD : current.startBody(start, context);
    if (this.#byUid ? start.uid !== null && !this.#inSet(start.uid, start.seq) : !this.#inSet(start.seq, start.seq)) return null;
    if (this.#repeated(this.#byUid ? start.uid ?? 0 : start.seq)) return DISCARD;
    this.#failCurrent();
    if (this.#abandoned) return DISCARD;
    if (this.#buffer) return BUFFER_BODY;
    const record = new MessageRecord(this.#newStream, start.seq, start.uid ?? undefined);
    this.#current = record;
    this.#enqueue(record, context);
    return record.startBody(start, context);
  }

  /**
   * The numbers (UIDs, or sequence numbers) of the messages a flags-only fetch has taken: a second
   * `* n FETCH` of one of them is a flag change another session made meanwhile, reported unasked
   * (an unsolicited FETCH, RFC 9051 section 7.5.2), not a second message.
   */
  readonly #yielded = new Set<number>();

  /** Whether a flags-only answer is for a message already taken (noting it taken otherwise). */
  #isChangeOfYielded(number: number): boolean {
    if (this.#yielded.has(number)) return true;
    this.#yielded.add(number);
    return false;
  }

  /** Is this untagged FETCH an answer to this command (not a flag change reported by the server)? */
  #matches(response: FetchResponse): boolean {
    const attributes = response.attributes;
    if (this.#byUid ? attributes.uid === undefined || !this.#inSet(attributes.uid, response.seq) : !this.#inSet(response.seq, response.seq)) return false;
    // UID is always asked for, so an answer without it is a flag change the server reported unasked.
    if (this.#onlyFlags) return attributes.uid !== undefined;
    return (
      attributes.envelope !== undefined || attributes.bodyStructure !== undefined || attributes.body !== undefined ||
      attributes.internalDate !== undefined || attributes.size !== undefined || attributes.bodies !== undefined
    );
  }

  /** The first unreadable FETCH response that may have been one of this command's messages. */
  #lost: MailwireError | undefined;

  #unreadable(error: ProtocolError | LimitExceededError, { seq, uid }: UnreadableFetch): boolean {
    // A number past the mailbox's end names no message; else the set tells, by the response's UID
    // when it was read (a UID FETCH without it may have lost any message).
    if (seq > (this.#session.mailbox?.exists ?? 0)) return false;
    if (this.#byUid ? uid !== null && !this.#inSet(uid, seq) : !this.#inSet(seq, seq)) return false;
    this.#lost ??=
      error instanceof LimitExceededError
        ? error
        : new ProtocolError(`The FETCH response for message ${seq} could not be read: ${error.message}`, {}, { cause: error });
    if (this.#current?.seq === seq) this.#failCurrent();
    return true;
  }

  #failCurrent(): void {
    const current = this.#current;
    if (current === undefined) return;
    this.#current = undefined;
    current.fail(new ProtocolError(`The FETCH response for message ${current.seq} was lost (it could not be parsed)`));
  }

  #enqueue(record: MessageRecord, context: CommandContext): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#previous = record;
      waiter.resolve({ value: record, done: false });
      return;
    }
    this.#queue.push(record);
    this.#queuedBytes += record.weight;
    if (this.#queue.length >= QUEUE_HIGH_WATER || this.#queuedBytes >= this.#session.bodyHighWaterMark) {
      this.#release ??= context.pauseInput();
      if (context.othersWaiting && this.#queuedBytes > this.#session.maxFetchBuffer) {
        this.#abandon(new LimitExceededError('maxFetchBuffer', this.#session.maxFetchBuffer, this.#queuedBytes));
      }
    }
  }

  #end(error: MailwireError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (error !== undefined) this.#abandoned = true;
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) current.fail(error ?? new ProtocolError(`The FETCH response for message ${current.seq} never completed`));
    this.#releaseFlow();
    this.#settleWaiters();
  }

  /** The iteration is over: the first waiting next() gets the error, if any, the others the end. */
  #settleWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      const error = this.#error;
      this.#error = undefined;
      if (error !== undefined) waiter.reject(error);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  #abandon(error: MailwireError | undefined): void {
    this.#abandoned = true;
    for (const record of this.#queue.splice(0)) record.drainUnclaimed(true);
    this.#queuedBytes = 0;
    this.#previous?.drainUnclaimed();
    // A body the caller already took (body(), collect(), chunks()) is theirs: it still arrives
    // whole (the response is read to its end anyway); only the ones nobody asked for are dropped.
    this.#current?.drainUnclaimed();
    if (error !== undefined) this.#end(error);
    this.#releaseFlow();
  }

  #releaseFlow(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  next(): Promise<IteratorResult<FetchedMessage>> {
    this.#previous?.drainUnclaimed();
    this.#previous = undefined;
    const record = this.#queue.shift();
    if (record !== undefined) {
      this.#queuedBytes = Math.max(0, this.#queuedBytes - record.weight);
      this.#previous = record;
      if (this.#queue.length < QUEUE_HIGH_WATER / 2 && this.#queuedBytes < this.#session.bodyHighWaterMark / 2) this.#releaseFlow();
      return Promise.resolve({ value: record, done: false });
    }
    if (this.#ended) {
      const error = this.#error;
      this.#error = undefined;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    this.#releaseFlow();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  return(): Promise<IteratorResult<FetchedMessage>> {
    // The command still runs on the server; the rest of its answer is read and dropped.
    if (!this.#ended) this.#abandon(undefined);
    else this.#previous?.drainUnclaimed();
    this.#error = undefined;
    this.#ended = true;
    // A next() still waiting (called before this return()) ends too, instead of waiting forever.
    this.#settleWaiters();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): FetchIterable {
    return this;
  }
}

export type { BodyStream, FetchedMessage };

/**
 * The lowest number a part names, or Infinity for a part that is only `*`: the parts before it
 * name only lower numbers (a set's ranges ascend, `*` last, and its parts keep that order).
 */
function earlierPartsEndBelow(part: SequenceSet): number {
  const start = part.ranges[0]!.start;
  return start === '*' ? Infinity : start;
}

/*
 * chgsince-fetch-mod = "CHANGEDSINCE" SP mod-sequence-value   ; RFC 7162 section 7: 1 to 2^63-1
 * Needs CONDSTORE (QRESYNC implies it): elsewhere the server would answer BAD.
 */
function changedSince(session: CoreSession, value: bigint): CommandArg {
  if (typeof value !== 'bigint' || value < 1n) {
    throw new InvalidArgumentError(`changedSince needs a mod-sequence from 1 to 2^63-1, got ${String(value)}`);
  }
  const arg = modSequence(value);
  requireCondstore(session, 'changedSince (CHANGEDSINCE)');
  return list(atom('CHANGEDSINCE'), arg);
}

/** The FETCH items of a query, bodies last (so the small items arrive before a large literal). */
export function fetchItems(query: FetchQuery): string[] {
  const items = ['UID'];
  if (query.flags === true) items.push('FLAGS');
  if (query.internalDate === true) items.push('INTERNALDATE');
  if (query.size === true) items.push('RFC822.SIZE');
  if (query.envelope === true) items.push('ENVELOPE');
  if (query.bodyStructure === true) items.push('BODYSTRUCTURE');
  if (query.modseq === true) items.push('MODSEQ');
  const name = query.markSeen === true ? 'BODY' : 'BODY.PEEK';
  const requests: BodyRequest[] = [...(query.source === true ? [''] : []), ...(query.bodies ?? [])];
  for (const request of requests) items.push(`${name}[${sectionText(request)}]${partialText(request)}`);
  return items;
}

function sectionText(request: BodyRequest): string {
  const spec = (typeof request === 'string' ? request : request.section ?? '').trim();
  let text = spec;
  let fields: readonly string[] | undefined;
  if (typeof request !== 'string' && request.fields !== undefined) {
    text = `${spec === '' ? '' : `${spec}.`}${request.exclude === true ? 'HEADER.FIELDS.NOT' : 'HEADER.FIELDS'}`;
    fields = request.fields;
  } else {
    const open = spec.indexOf(' (');
    if (open !== -1 && spec.endsWith(')')) {
      text = spec.slice(0, open);
      fields = splitHeaderList(spec.slice(open + 2, -1), spec);
    }
  }
  if (!SECTION_SPEC.test(text)) throw new InvalidArgumentError(`Not a body section: ${JSON.stringify(spec)}`);
  // header-list = "(" header-fld-name *(SP header-fld-name) ")": after HEADER.FIELDS(.NOT) only, never empty.
  const withFields = /(^|\.)HEADER\.FIELDS(\.NOT)?$/i.test(text);
  if (withFields !== (fields !== undefined) || fields?.length === 0) {
    throw new InvalidArgumentError(`HEADER.FIELDS(.NOT) needs header field names, and only it takes them: ${JSON.stringify(spec)}`);
  }
  return fields === undefined ? text : `${text} (${fields.map(headerFieldName).join(' ')})`;
}

/** The names of a header list written by the caller: atoms, or quoted strings (`\"` and `\\` escapes). */
function splitHeaderList(list: string, spec: string): string[] {
  const names: string[] = [];
  const token = /"((?:[^"\\]|\\.)*)"|([^ "]+)/y;
  for (let index = 0; index < list.length; index++) {
    token.lastIndex = index;
    const match = token.exec(list);
    index = token.lastIndex;
    // Names are separated by exactly one space.
    if (match === null || (index < list.length && (list[index] !== ' ' || index === list.length - 1))) throw new InvalidArgumentError(`Not a header list: ${JSON.stringify(spec)}`);
    names.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2]!);
  }
  return names;
}

function partialText(request: BodyRequest): string {
  if (typeof request === 'string' || request.partial === undefined) return '';
  const { start, length } = request.partial;
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 1) {
    throw new InvalidArgumentError('A partial fetch needs a start >= 0 and a length >= 1');
  }
  return `<${start}.${length}>`;
}

/**
 * `UID FETCH` / `FETCH` as an async iterable.
 *
 * @example
 * ```ts
 * for await (const message of fetch(session, '1:*', { source: true })) {
 *   await pipeline(message.body(), createWriteStream(`${message.uid}.eml`));
 * }
 * ```
 */
export function fetch(session: CoreSession, set: FetchSet, query: FetchQuery, options: FetchOptions = {}): FetchIterable {
  return new FetchRun(session, set, query, options);
}

/** Fetches messages with their bodies buffered and returns the first, or undefined when none matched. */
export async function fetchOne(session: CoreSession, set: FetchSet, query: FetchQuery, options: FetchOptions = {}): Promise<FetchedMessage | undefined> {
  let first: FetchedMessage | undefined;
  for await (const message of fetch(session, set, query, { ...options, bodies: 'buffer' })) first ??= message;
  return first;
}
