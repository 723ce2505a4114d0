/**
 * The response assembler: the IMAP parser's end of the Tokenizer's {@link FrameSink} contract.
 *
 * It gathers the line segments and literals of one response, streams FETCH body literals to a sink
 * the client provides (so a 100 MB message never sits in memory), buffers the small literals that
 * appear inside ENVELOPE, BODYSTRUCTURE, LIST names and the like, and hands each complete response
 * to the handler as a typed {@link ImapResponse}.
 *
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { KeptBuffers } from '../../common/chunk-store.js';
import { LimitExceededError, MailwireError, ProtocolError } from '../../common/errors.js';
import type { FrameSink, LiteralHeader } from '../../common/tokenizer.js';
import { FetchLiteralScanner, plainBodyHead, type PlainBodyHead } from './body-literal.js';
import type { BodyContent, BodyItemName, BodySection, FetchBody } from './fetch-types.js';
import type { LiteralSlot } from './reader.js';
import { WireReader } from './reader.js';
import type { ParseContext } from './mailbox-data.js';
import { parseResponse } from './response.js';
import type { ImapResponse } from './response-types.js';
import type { SeqNum, Uid } from './sequence-set.js';

/** What the client learns when a FETCH body literal is about to flow. */
export interface BodyStart {
  /** The message's sequence number. */
  readonly seq: SeqNum;
  /** The message's UID when `UID n` came earlier in the same FETCH response (servers usually send it first for UID FETCH), else null. */
  readonly uid: Uid | null;
  /** The item carrying the value. */
  readonly item: BodyItemName;
  /** The section, as in the response. */
  readonly section: BodySection;
  /** The origin of a partial fetch (`BODY[]<0>`), or null. */
  readonly origin: number | null;
  /** The literal's size in bytes. */
  readonly size: number;
  /** True for a literal8 (`~{n}`, BINARY): it may contain NUL bytes. */
  readonly binary: boolean;
}

/** Where a streamed body's bytes go. */
export interface BodySink {
  /**
   * The next bytes of the body, in order. The view is valid only during the call: copy it or
   * consume it synchronously (pushing it into a `Readable` copies it only if you copy it first:
   * push `Buffer.from(bytes)`).
   */
  write(bytes: Uint8Array): void;
  /** All `size` bytes have been written. */
  end(): void;
}

/**
 * What a command's `bodyStart` hook (see `ImapCommand` and `ImapClient.run`) returns to claim a
 * FETCH body value and have it buffered into the FETCH response (up to `maxBufferedBody`): the
 * command that asked for the message buffers its bodies, so a later command that streams must not
 * take them.
 */
export const BUFFER_BODY: BodySink = Object.freeze({
  write: () => undefined,
  end: () => undefined,
});

/** Receives what the assembler produces. Handlers must not throw. */
export interface ResponseHandler {
  /** A complete, typed response. */
  onResponse(response: ImapResponse): void;
  /**
   * A FETCH body value (`BODY[...]`, `BINARY[...]`, `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`) sent as a
   * literal is about to flow. Return a sink to stream it (the FETCH response will then carry
   * `{ kind: 'streamed', size }`), or {@link BUFFER_BODY} or null to have it buffered into the
   * response as bytes. Absent: every body is buffered.
   */
  onBodyStart?(start: BodyStart): BodySink | null;
  /**
   * A response could not be understood, or a buffered literal exceeded its limit. The response is
   * dropped; the assembler continues with the next one (framing is the tokenizer's and is intact).
   *
   * @param error - what went wrong, with offset and snippet.
   * @param tag - the response's tag when it was a tagged response (so the client can fail that
   *   command), else null.
   * @param fetch - for an untagged `* n FETCH` response, its sequence number and, when it could be
   *   read, its UID (a FETCH command in flight may have lost that message), else null.
   * @param name - for an untagged response, its name upper-cased (`SEARCH`; `EXISTS` for
   *   `* n EXISTS`) when one can be made out, else null.
   */
  onResponseError(error: ProtocolError | LimitExceededError, tag: string | null, fetch: UnreadableFetch | null, name: string | null): void;
}

/** What is known of an untagged FETCH response that could not be read. */
export interface UnreadableFetch {
  readonly seq: number;
  /** From a `UID n` item among the response's first bytes; null when there is none. */
  readonly uid: number | null;
}

/** Limits and session state of a {@link ResponseAssembler}. */
export interface ResponseAssemblerOptions {
  /** Largest literal buffered outside body values (ENVELOPE fields, LIST names...). Default 1 MiB. */
  readonly maxBufferedLiteral?: number;
  /** Largest body value buffered when the body hook returns null or is absent. Default 256 MiB. */
  readonly maxBufferedBody?: number;
  /** Largest BODYSTRUCTURE nesting depth. Default 64. */
  readonly maxBodyDepth?: number;
  /** Whether UTF8=ACCEPT is enabled from the start (see {@link ResponseAssembler.utf8Accept}). */
  readonly utf8Accept?: boolean;
}

const INITIAL_LINE_CAPACITY = 4096;

const RPAREN = 0x29;

const RETAINED_LINE_CAPACITY = 64 * 1024;

type LiteralTarget =
  | { readonly kind: 'buffer'; readonly bytes: Buffer; filled: number }
  | { readonly kind: 'stream'; readonly sink: BodySink }
  | { readonly kind: 'discard' };

/**
 * Turns tokenizer frames into typed responses.
 *
 * @example
 * ```ts
 * const assembler = new ResponseAssembler({
 *   onResponse: (response) => route(response),
 *   onBodyStart: (start) => (wantsStream(start) ? streamFor(start) : null),
 *   onResponseError: (error, tag) => failCommandOrLog(error, tag),
 * });
 * const tokenizer = new Tokenizer(assembler, { literals: true });
 * socket.on('data', (chunk) => tokenizer.push(chunk));
 * ```
 */
export class ResponseAssembler implements FrameSink {
  /**
   * Mailbox names are UTF-8 rather than modified UTF-7: set to true once `ENABLE UTF8=ACCEPT`
   * succeeded (RFC 6855) or IMAP4rev2 is in use.
   */
  utf8Accept: boolean;
  /**
   * Whether a command in flight may stream FETCH bodies (see {@link ResponseHandler.onBodyStart}).
   * While none does, a literal small enough to buffer as any literal (`maxBufferedLiteral`) is
   * buffered without looking for the FETCH item it belongs to: whether it is a body changes
   * neither where it goes nor its limit. Such literals are shown to the scanner later if a larger
   * literal of the same response needs it. Measured: a tenth of the client's time on a cold
   * 10,000-message header fetch.
   */
  bodyStreams = true;
  private readonly handler: ResponseHandler;
  private readonly maxBufferedLiteral: number;
  private readonly maxBufferedBody: number;
  private readonly maxBodyDepth: number;
  private line: Buffer = Buffer.allocUnsafe(INITIAL_LINE_CAPACITY);
  /** Where buffered literal values (headers, small bodies, strings) are allocated. */
  private readonly values = new KeptBuffers();
  private readonly reader = new WireReader(Buffer.alloc(0), 0, [], 0);
  private lineLength = 0;
  private literals: LiteralSlot[] = [];
  private target: LiteralTarget | null = null;
  private discarding = false;
  private fetchSeq: number | null | undefined = undefined; // undefined: not determined yet
  private readonly scanner = new FetchLiteralScanner();
  /** Literals of the current response the scanner has been shown (the others were buffered unscanned). */
  private scannerLiterals = 0;
  /** Whether the scanner saw the current literal's announcement (it is then told of its end). */
  private literalScanned = false;
  private responseOffset = 0;
  /** What {@link plainBodyHead} read of the current response, else null. */
  private plainBody: PlainBodyHead | null = null;
  /** Whether {@link plainBodyHead} has read the current response's line (up to its first literal). */
  private plainRead = false;
  private wireOffset = 0;
  /** What the parsers need of the session, made again only when {@link ResponseAssembler.utf8Accept} changes. */
  private context: ParseContext;

  /**
   * @param handler - receives responses, body streams and errors.
   * @param options - limits.
   */
  constructor(handler: ResponseHandler, options: ResponseAssemblerOptions = {}) {
    this.handler = handler;
    this.maxBufferedLiteral = options.maxBufferedLiteral ?? 1024 * 1024;
    this.maxBufferedBody = options.maxBufferedBody ?? 256 * 1024 * 1024;
    this.maxBodyDepth = options.maxBodyDepth ?? 64;
    this.utf8Accept = options.utf8Accept ?? false;
    this.context = { utf8Accept: this.utf8Accept, maxDepth: this.maxBodyDepth };
  }

  /** True between responses (no partial response held). */
  get idle(): boolean {
    return this.lineLength === 0 && this.literals.length === 0 && this.target === null && !this.discarding;
  }

  /**
   * A line, or the part of a line before a literal announcement (tokenizer contract).
   *
   * @param bytes - the segment (a view, copied here).
   * @param literal - the literal announced at its end, or null at the end of the response's line.
   * @param lineEndLength - 2 for CRLF, 1 for a bare LF (for error offsets).
   */
  onLine(bytes: Uint8Array, literal: LiteralHeader | null, lineEndLength: number): void {
    this.wireOffset += bytes.length + lineEndLength;
    if (!this.discarding) this.append(bytes);
    if (literal === null) {
      this.completeResponse();
      return;
    }
    this.wireOffset += literal.announcementLength;
    this.target = this.discarding ? { kind: 'discard' } : this.startLiteral(literal, lineEndLength);
  }

  /**
   * Part of the current literal: written to the body sink or copied into the literal's buffer.
   *
   * @param bytes - the next bytes of the literal (a view, valid only during the call).
   */
  onLiteralData(bytes: Uint8Array): void {
    this.wireOffset += bytes.length;
    const target = this.target;
    if (target === null) {
      throw new ProtocolError('Literal data outside a literal (tokenizer contract broken)');
    }
    if (target.kind === 'buffer') {
      target.bytes.set(bytes, target.filled);
      target.filled += bytes.length;
    } else if (target.kind === 'stream') {
      target.sink.write(bytes);
    }
  }

  /** The current literal is complete (a streamed body's sink is ended here). */
  onLiteralEnd(): void {
    const target = this.target;
    this.target = null;
    if (target?.kind === 'stream') target.sink.end();
    if (this.literalScanned) {
      this.literalScanned = false;
      this.scanner.literalValue();
      this.scannerLiterals++;
    }
  }

  /** POP3 multi-line data never reaches an IMAP assembler; receiving it is a wiring bug. */
  onDataChunk(): void {
    throw new ProtocolError('Unexpected POP3 multi-line data in an IMAP session');
  }

  /** POP3 multi-line data never reaches an IMAP assembler; receiving it is a wiring bug. */
  onDataEnd(): void {
    throw new ProtocolError('Unexpected POP3 multi-line data in an IMAP session');
  }

  /**
   * Drops any partial response (for a connection that is being reset). A body sink in progress is
   * not ended: the client aborts its stream itself.
   */
  reset(): void {
    this.clear();
  }

  private append(bytes: Uint8Array): void {
    const needed = this.lineLength + bytes.length;
    if (needed > this.line.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.line.length * 2));
      grown.set(this.line.subarray(0, this.lineLength));
      this.line = grown;
    }
    this.line.set(bytes, this.lineLength);
    this.lineLength = needed;
  }

  private startLiteral(literal: LiteralHeader, lineEndLength: number): LiteralTarget {
    const wireLength = literal.announcementLength + lineEndLength + literal.size;
    const position = this.lineLength;
    let limit = this.maxBufferedLiteral;
    let limitName = 'maxBufferedLiteral';
    const start = this.bodyStreams || literal.size > limit ? this.bodyStartOf(literal) : null;
    if (start !== null) {
      const sink = this.handler.onBodyStart?.(start) ?? null;
      if (sink !== null && sink !== BUFFER_BODY) {
        this.literals.push({ position, value: null, size: literal.size, wireLength });
        if (literal.size === 0) sink.end();
        return literal.size === 0 ? { kind: 'discard' } : { kind: 'stream', sink };
      }
      limit = this.maxBufferedBody;
      limitName = 'maxBufferedBody';
    }
    if (literal.size > limit) {
      this.reportError(new LimitExceededError(limitName, limit, literal.size));
      this.discarding = true;
      return { kind: 'discard' };
    }
    const bytes = this.values.allocate(literal.size);
    this.literals.push({ position, value: bytes, size: literal.size, wireLength });
    return { kind: 'buffer', bytes, filled: 0 };
  }

  /** What the client learns of the literal announced now when it is a FETCH body value, else null. */
  private bodyStartOf(literal: LiteralHeader): BodyStart | null {
    if (this.literals.length === 0) {
      const plain = this.readPlainBody(this.lineLength);
      if (plain !== null) {
        return { seq: plain.seq as SeqNum, uid: plain.uid as Uid | null, item: plain.item, section: plain.section, origin: plain.origin, size: literal.size, binary: literal.binary };
      }
    }
    const seq = this.fetchSequenceNumber();
    if (seq === null) return null;
    this.catchUpScanner();
    this.scanner.scan(this.line, this.lineLength);
    this.literalScanned = true;
    const head = this.scanner.bodyItemBefore(this.line, this.lineLength);
    if (head === null) return null;
    return {
      seq: seq as SeqNum,
      uid: this.scanner.uid as Uid | null,
      item: head.item,
      section: head.section,
      origin: head.origin,
      size: literal.size,
      binary: literal.binary,
    };
  }

  /**
   * Reads the response's first `end` bytes with {@link plainBodyHead} and remembers what they say
   * for {@link ResponseAssembler.plainFetchResponse}; null when they are of another shape.
   */
  private readPlainBody(end: number): PlainBodyHead | null {
    this.plainRead = true;
    const plain = plainBodyHead(this.line, end);
    if (plain !== null) this.fetchSeq = plain.seq;
    this.plainBody = plain;
    return plain;
  }

  /**
   * The response when it is a body in the shape {@link plainBodyHead} reads, its literal followed by
   * nothing but `)`: made from what that read, without parsing the line again. Else null.
   */
  private plainFetchResponse(): ImapResponse | null {
    const literals = this.literals;
    const slot = literals[0];
    if (literals.length !== 1 || this.lineLength !== slot!.position + 1 || this.line[this.lineLength - 1] !== RPAREN) return null;
    // Buffered without a look at the item before it (nothing streamed bodies): read it now, once.
    const plain = this.plainRead ? this.plainBody : this.readPlainBody(slot!.position);
    if (plain === null) return null;
    const content: BodyContent = slot!.value === null ? { kind: 'streamed', size: slot!.size } : { kind: 'bytes', bytes: slot!.value };
    const body: FetchBody = { item: plain.item, section: plain.section, origin: plain.origin, content };
    return { kind: 'fetch', seq: plain.seq as SeqNum, attributes: plain.uid === null ? { bodies: [body] } : { uid: plain.uid as Uid, bodies: [body] } };
  }

  /** Shows the scanner the literals of this response it has not seen (buffered while nobody streamed bodies). */
  private catchUpScanner(): void {
    const literals = this.literals;
    for (let index = this.scannerLiterals; index < literals.length; index++) {
      this.scanner.scan(this.line, literals[index]!.position);
      this.scanner.literalValue();
    }
    this.scannerLiterals = literals.length;
  }

  /** The sequence number when the response being assembled is `* n FETCH`, else null. */
  private fetchSequenceNumber(): number | null {
    if (this.fetchSeq === undefined) this.fetchSeq = fetchResponseSeq(this.line, Math.min(this.lineLength, 32));
    return this.fetchSeq;
  }

  private completeResponse(): void {
    if (this.discarding) {
      this.clear();
      return;
    }
    let response: ImapResponse | null = this.plainFetchResponse();
    if (response !== null) {
      this.clear();
      this.handler.onResponse(response);
      return;
    }
    try {
      const reader = this.reader.reset(this.line, this.lineLength, this.literals, this.responseOffset);
      if (this.context.utf8Accept !== this.utf8Accept) this.context = { utf8Accept: this.utf8Accept, maxDepth: this.maxBodyDepth };
      response = parseResponse(reader, this.context);
    } catch (error) {
      this.reportError(toParseError(error));
      this.clear();
      return;
    }
    this.clear();
    this.handler.onResponse(response);
  }

  private reportError(error: ProtocolError | LimitExceededError): void {
    const tag = this.tagOfCurrentResponse();
    this.handler.onResponseError(error, tag, tag === null ? this.unreadableFetch() : null, tag === null ? this.untaggedName() : null);
  }

  /** The name of the current untagged response (`* SEARCH ...`, `* 3 EXISTS`), upper-cased, or null. */
  private untaggedName(): string | null {
    const text = this.line.toString('latin1', 0, Math.min(this.lineLength, 64));
    const match = /^\* +(?:[0-9]+ +)?([A-Za-z][A-Za-z0-9.-]*)/.exec(text);
    return match === null ? null : match[1]!.toUpperCase();
  }

  /** The sequence number (and UID, if it comes early) of a current `* n FETCH` response, else null. */
  private unreadableFetch(): UnreadableFetch | null {
    const text = this.line.toString('latin1', 0, Math.min(this.lineLength, 256));
    const match = /^\* ([1-9][0-9]{0,9}) FETCH /i.exec(text);
    if (match === null) return null;
    const uid = /[( ]UID ([1-9][0-9]{0,9})[ )]/i.exec(text);
    return { seq: Number(match[1]), uid: uid === null ? null : Number(uid[1]) };
  }

  private tagOfCurrentResponse(): string | null {
    let end = 0;
    while (end < this.lineLength && end < 64 && this.line[end] !== 0x20) end++;
    if (end === 0) return null;
    const tag = this.line.toString('latin1', 0, end);
    return tag === '*' || tag === '+' ? null : tag;
  }

  private clear(): void {
    if (this.line.length > RETAINED_LINE_CAPACITY) this.line = Buffer.allocUnsafe(INITIAL_LINE_CAPACITY);
    this.lineLength = 0;
    if (this.literals.length > 0) this.literals = [];
    this.target = null;
    this.discarding = false;
    if (this.fetchSeq !== undefined) {
      this.fetchSeq = undefined;
      this.scanner.reset();
    }
    this.scannerLiterals = 0;
    this.literalScanned = false;
    this.plainBody = null;
    this.plainRead = false;
    this.responseOffset = this.wireOffset;
  }
}

const FETCH_LOWER = [0x66, 0x65, 0x74, 0x63, 0x68]; // "fetch"

/** `n` when `bytes[0, end)` starts like `* n FETCH ` (as /^\* +(\d{1,10}) +FETCH /i), else null. */
function fetchResponseSeq(bytes: Uint8Array, end: number): number | null {
  if (end < 1 || bytes[0] !== 0x2a) return null;
  let i = 1;
  if (i >= end || bytes[i] !== 0x20) return null;
  while (i < end && bytes[i] === 0x20) i++;
  const digitsStart = i;
  let seq = 0;
  while (i < end && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) seq = seq * 10 + bytes[i++]! - 0x30;
  if (i === digitsStart || i - digitsStart > 10 || i >= end || bytes[i] !== 0x20) return null;
  while (i < end && bytes[i] === 0x20) i++;
  if (i + 6 > end) return null;
  for (let k = 0; k < 5; k++) if ((bytes[i + k]! | 0x20) !== FETCH_LOWER[k]) return null;
  return bytes[i + 5] === 0x20 ? seq : null;
}

function toParseError(error: unknown): ProtocolError | LimitExceededError {
  if (error instanceof ProtocolError || error instanceof LimitExceededError) return error;
  const message = error instanceof MailwireError || error instanceof Error ? error.message : String(error);
  return new ProtocolError(`Could not parse response: ${message}`, undefined, { cause: error });
}
