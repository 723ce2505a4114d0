/**
 * The shared streaming framer: bytes in, frames out, no socket.
 *
 * One {@link Tokenizer} serves both protocols. It cuts the input into lines (CRLF, tolerating a
 * bare LF), and on request also into IMAP literals (`{n}`, `{n+}`, `~{n}`) and POP3 dot-terminated
 * multi-line data. Bytes are never decoded as text: every frame is a `Uint8Array` view, and the
 * protocol parser above decides what the bytes mean.
 *
 * Cost model (this is the hot path of both clients): every input byte is scanned once, with
 * `indexOf(LF)`; a line or a run of data that lies inside one input chunk is handed on as a view of
 * that chunk without a copy; only the bytes of a line that straddles two chunks are copied, into a
 * growable buffer owned by the tokenizer. No frame allocates beyond its view, except one
 * {@link LiteralHeader} per literal.
 *
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { InvalidArgumentError, LimitExceededError } from './errors.js';

/** The announcement that starts an IMAP literal, handed to {@link FrameSink.onLine}. */
export interface LiteralHeader {
  /** The literal's length in bytes: the `n` of `{n}`, `{n+}` or `~{n}`. */
  readonly size: number;
  /** True for `{n+}`, the non-synchronizing form of LITERAL+ and LITERAL- (RFC 7888). */
  readonly nonSynchronizing: boolean;
  /** True for `~{n}`, a literal8 that may hold NUL bytes (RFC 3516 BINARY). */
  readonly binary: boolean;
  /** Bytes of the announcement on the wire, as sent (`~{007+}` is 7): from `~` or `{` to `}`. */
  readonly announcementLength: number;
}

/**
 * Receives the frames of a {@link Tokenizer}, synchronously, in input order.
 *
 * Every `Uint8Array` passed in is a view that is valid only during the call: it may point into the
 * caller's reused read buffer or into the tokenizer's own line buffer. A sink that keeps bytes
 * copies them (`bytes.slice()`), and never writes into them.
 */
export interface FrameSink {
  /**
   * A whole line without its CRLF (or bare LF), or, when `literal` is non-null, the part of a line
   * before a literal announcement, with the announcement (`{5}`, `{5+}`, `~{5}`) itself removed.
   * After the literal's bytes, the rest of the line arrives through further `onLine` calls.
   *
   * @param bytes - the line (or line segment); may be empty.
   * @param literal - the literal announced at the end of this segment, or null for the line's end.
   * @param lineEndLength - bytes of the line end that followed (after the announcement, when there
   *   is one): 2 for CRLF, 1 for a bare LF. With `bytes` and the announcement, where the next frame
   *   starts on the wire, for error offsets.
   */
  onLine(bytes: Uint8Array, literal: LiteralHeader | null, lineEndLength: number): void;
  /**
   * Part of the current literal's bytes. Zero-length literals produce no `onLiteralData`.
   *
   * @param bytes - the next bytes of the literal, in order; never empty.
   */
  onLiteralData(bytes: Uint8Array): void;
  /** The current literal is complete; the rest of its line follows through `onLine`. */
  onLiteralEnd(): void;
  /**
   * Part of POP3 multi-line data, dot-unstuffed, with each line's terminator kept exactly as sent
   * (CRLF or bare LF). See {@link Tokenizer.startDotData}.
   *
   * @param bytes - the next bytes of the data, in order; never empty.
   */
  onDataChunk(bytes: Uint8Array): void;
  /** The POP3 terminator line `.` was seen; it is not part of the data. */
  onDataEnd(): void;
}

/** Options of a {@link Tokenizer}. */
export interface TokenizerOptions {
  /**
   * Recognise IMAP literal announcements (`{n}`, `{n+}`, `~{n}`, `~{n+}`) at the end of a line.
   * True for IMAP, false (the default) for POP3.
   */
  readonly literals?: boolean | undefined;
  /**
   * The longest line the tokenizer will buffer, in bytes, not counting its CRLF or LF. With
   * literals, each segment between two literals is measured on its own, announcement included.
   * POP3 multi-line data is streamed, never buffered, so it is not subject to this limit.
   * Default 1 MiB.
   */
  readonly maxLineLength?: number | undefined;
  /** The largest literal size a server may announce, in bytes. Default 2^40. */
  readonly maxLiteralSize?: number | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const PLUS = 0x2b;
const TILDE = 0x7e;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** LF then ".": where a line of dot data starts with a dot (searched natively, in one call per run). */
const LF_DOT = Buffer.from([LF, DOT]);

const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;
const DEFAULT_MAX_LITERAL_SIZE = 2 ** 40;
const INITIAL_LINE_BUFFER = 1024;
/** A line buffer grown beyond this is dropped once its line is done, so one huge line is not held. */
const RETAINED_LINE_BUFFER = 64 * 1024;

// What the next input byte belongs to (plain numbers: the hot loop switches on them).
/** A line (or the segment of a line after a literal). */
const LINE = 0;
/** Literal bytes; `#literalBytesRemaining` of them are still due. */
const LITERAL = 1;
/** Dot data, at the start of a line: a `.` here is stuffing or the terminator. */
const DOT_LINE_START = 2;
/** Dot data, a `.` seen at line start. */
const DOT_AFTER_DOT = 3;
/** Dot data, `.` then CR seen at line start; an LF now ends the data. */
const DOT_AFTER_DOT_CR = 4;
/** Dot data, inside a line. */
const DOT_IN_LINE = 5;
type Mode = typeof LINE | typeof LITERAL | typeof DOT_LINE_START | typeof DOT_AFTER_DOT | typeof DOT_AFTER_DOT_CR
  | typeof DOT_IN_LINE;

/**
 * Cuts a byte stream into frames for a {@link FrameSink}: lines, IMAP literals and POP3 multi-line
 * data.
 *
 * Feed it whatever the socket delivers, in any chunking; the frames do not depend on where the
 * chunks are cut (except that literal and data bytes arrive in as many pieces as the input had).
 *
 * A `{` at the end of a line that is not a well-formed announcement (`{abc}`, `{}`, `{ 5}`) makes
 * the line a plain line: lenient in, since such text can occur in human-readable response text. A
 * well-formed announcement is a literal wherever it stands at the end of a line. An announced size
 * above `maxLiteralSize` (including digit strings too long for any number) is a
 * `LimitExceededError('maxLiteralSize')`.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const tokenizer = new Tokenizer({
 *   onLine: (bytes, literal) => lines.push(latin1(bytes) + (literal ? `{${literal.size}}` : '')),
 *   onLiteralData: (bytes) => body.write(bytes.slice()), // a copy: the view dies with the call
 *   onLiteralEnd: () => body.end(),
 *   onDataChunk: () => {},
 *   onDataEnd: () => {},
 * }, { literals: true });
 * // in the transport's onData(chunk):
 * tokenizer.push(chunk);
 * ```
 */
export class Tokenizer {
  readonly #sink: FrameSink;
  readonly #literals: boolean;
  readonly #maxLineLength: number;
  readonly #maxLiteralSize: number;

  #mode: Mode = LINE;
  /** Bytes of the current line copied from earlier chunks, in `#lineBuffer[0..#lineLength)`. */
  #lineBuffer = Buffer.allocUnsafeSlow(INITIAL_LINE_BUFFER);
  #lineLength = 0;
  /** A literal ended and the rest of its line has not been completed yet. */
  #lineContinues = false;
  #literalBytesRemaining = 0;
  /** Where the announcement found by `#announcement` starts (the `{`, or the `~` of literal8). */
  #announcementStart = 0;

  /** Bytes consumed before the current push. */
  #offsetBeforePush = 0;
  /** Bytes consumed up to the end of the frame being delivered (or of the last push). */
  #offset = 0;
  #pushing = false;
  #stopRequested = false;
  #failure: unknown = null;
  #failed = false;

  /**
   * @param sink - receives the frames.
   * @param options - literal recognition and limits.
   * @throws InvalidArgumentError when a limit is not a non-negative safe integer.
   */
  constructor(sink: FrameSink, options: TokenizerOptions = {}) {
    this.#sink = sink;
    this.#literals = options.literals ?? false;
    this.#maxLineLength = checkLimit('maxLineLength', options.maxLineLength, DEFAULT_MAX_LINE_LENGTH);
    this.#maxLiteralSize = checkLimit('maxLiteralSize', options.maxLiteralSize, DEFAULT_MAX_LITERAL_SIZE);
  }

  /** Total bytes consumed since construction; inside a sink callback, up to the end of the current frame. */
  get offset(): number {
    return this.#offset;
  }

  /** True when not inside a line, a literal or multi-line data. */
  get idle(): boolean {
    return this.#mode === LINE && this.#lineLength === 0 && !this.#lineContinues;
  }

  /**
   * Feeds bytes and calls the sink synchronously for every frame they complete.
   *
   * The tokenizer keeps no reference to `input` after the call returns, so the caller may reuse it.
   *
   * @param input - the next bytes of the stream (any length, including zero).
   * @returns how many bytes of `input` were consumed: `input.length`, unless the sink called
   *   {@link Tokenizer.stop} during this push.
   * @throws LimitExceededError when a line or an announced literal exceeds its limit, or whatever
   *   a sink callback threw. After a throw the tokenizer is failed and every later push throws the
   *   same error.
   * @throws InvalidArgumentError when called from inside a sink callback.
   */
  push(input: Uint8Array): number {
    if (this.#failed) throw this.#failure;
    if (this.#pushing) throw new InvalidArgumentError('Tokenizer.push() must not be called from a sink callback');
    this.#pushing = true;
    // Buffer's indexOf is a native memchr, several times faster than TypedArray's on Node 20; a
    // socket delivers Buffers already, anything else gets a Buffer view (no copy).
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const length = chunk.length;
    let position = 0;
    try {
      for (;;) {
        switch (this.#mode) {
          case LINE:
            position = this.#readLines(chunk, position);
            break;
          case LITERAL:
            position = this.#readLiteral(chunk, position);
            break;
          default:
            position = this.#readDotData(chunk, position);
            break;
        }
        if (this.#stopRequested) break;
        // A literal whose last byte arrived (or a zero-length one) still owes its onLiteralEnd.
        if (position >= length && !(this.#mode === LITERAL && this.#literalBytesRemaining === 0)) break;
      }
    } catch (error) {
      this.#failed = true;
      this.#failure = error;
      throw error;
    } finally {
      this.#pushing = false;
      this.#stopRequested = false;
    }
    this.#offsetBeforePush += position;
    this.#offset = this.#offsetBeforePush;
    return position;
  }

  /**
   * From inside a sink callback (typically `onLine` of a POP3 `+OK`): the bytes after the current
   * line are POP3 multi-line data (RFC 1939 section 3) up to the terminator line `.`, delivered
   * through `onDataChunk` and `onDataEnd`. The terminator is also valid as the very first line
   * (empty data).
   *
   * @throws InvalidArgumentError unless the tokenizer is at a line boundary (inside `onLine` of a
   *   complete line, `onDataEnd`, or between pushes while {@link Tokenizer.idle}).
   */
  startDotData(): void {
    if (!this.idle) throw new InvalidArgumentError('Tokenizer.startDotData() called in the middle of a line');
    this.#mode = DOT_LINE_START;
  }

  /**
   * From inside a sink callback: `push()` returns right after the current frame, leaving the rest
   * of its chunk unparsed (used before a STARTTLS/STLS handshake: bytes after the go-ahead must be
   * refused, never parsed). A frame that needs no bytes (the `onLiteralEnd` after a literal's last
   * data) is then delivered by the next push, even an empty one.
   */
  stop(): void {
    this.#stopRequested = true;
  }

  // line = *(any byte but LF) [CR] LF   (RFC 9051 section 4, RFC 1939 section 3; bare LF tolerated)
  #readLines(chunk: Buffer, position: number): number {
    const length = chunk.length;
    const sink = this.#sink;
    while (position < length) {
      const lf = chunk.indexOf(LF, position);
      if (lf === -1) {
        this.#appendPartialLine(chunk, position, length);
        return length;
      }
      let bytes: Uint8Array;
      let end: number;
      let lineEndLength = 1;
      if (this.#lineLength === 0) {
        bytes = chunk;
        end = lf;
        if (lf > position && chunk[lf - 1] === CR) {
          end--;
          lineEndLength = 2;
        }
      } else {
        this.#appendLineBytes(chunk, position, lf);
        bytes = this.#lineBuffer;
        end = this.#lineLength;
        if (end > 0 && bytes[end - 1] === CR) {
          end--;
          lineEndLength = 2;
        }
        position = 0;
        this.#lineLength = 0;
      }
      if (end - position > this.#maxLineLength) {
        throw new LimitExceededError('maxLineLength', this.#maxLineLength, end - position);
      }
      let header: LiteralHeader | null = null;
      if (this.#literals && end > position && bytes[end - 1] === CLOSE_BRACE) {
        header = this.#announcement(bytes, position, end);
        if (header !== null) end = this.#announcementStart;
      }
      const line = bytes.subarray(position, end);
      position = lf + 1;
      this.#offset = this.#offsetBeforePush + position;
      if (header === null) {
        this.#lineContinues = false;
      } else {
        this.#mode = LITERAL;
        this.#literalBytesRemaining = header.size;
      }
      if (bytes !== chunk && this.#lineBuffer.length > RETAINED_LINE_BUFFER) {
        this.#lineBuffer = Buffer.allocUnsafeSlow(INITIAL_LINE_BUFFER); // `line` still views the old one
      }
      sink.onLine(line, header, lineEndLength);
      if (this.#mode !== LINE || this.#stopRequested) return position;
    }
    return position;
  }

  // literal  = "{" number64 ["+"] "}" CRLF *CHAR8   (RFC 9051; "+" is LITERAL+/LITERAL-, RFC 7888)
  // literal8 = "~{" number64 ["+"] "}" CRLF *OCTET  (RFC 3516, RFC 9051)
  // Called with bytes[end - 1] === "}"; scans back over the announcement only.
  #announcement(bytes: Uint8Array, start: number, end: number): LiteralHeader | null {
    let index = end - 2;
    const nonSynchronizing = index >= start && bytes[index] === PLUS;
    if (nonSynchronizing) index--;
    const digitsEnd = index + 1;
    while (index >= start) {
      const byte = bytes[index]!;
      if (byte < DIGIT_0 || byte > DIGIT_9) break;
      index--;
    }
    if (index < start || bytes[index] !== OPEN_BRACE || index + 1 === digitsEnd) return null;
    const open = index;
    const binary = open > start && bytes[open - 1] === TILDE;
    // Exact up to 2^53; beyond that only its magnitude matters (it exceeds every allowed limit).
    let size = 0;
    for (let digit = open + 1; digit < digitsEnd; digit++) size = size * 10 + (bytes[digit]! - DIGIT_0);
    if (size > this.#maxLiteralSize) throw new LimitExceededError('maxLiteralSize', this.#maxLiteralSize, size);
    const announcementStart = binary ? open - 1 : open;
    this.#announcementStart = announcementStart;
    return { size, nonSynchronizing, binary, announcementLength: end - announcementStart };
  }

  #readLiteral(chunk: Buffer, position: number): number {
    const remaining = this.#literalBytesRemaining;
    if (remaining > 0) {
      const available = chunk.length - position;
      if (available === 0) return position;
      const taken = available < remaining ? available : remaining;
      const start = position;
      position += taken;
      this.#literalBytesRemaining = remaining - taken;
      this.#offset = this.#offsetBeforePush + position;
      this.#sink.onLiteralData(chunk.subarray(start, position));
      if (this.#stopRequested || this.#literalBytesRemaining > 0) return position;
    }
    this.#mode = LINE;
    this.#lineContinues = true;
    this.#offset = this.#offsetBeforePush + position;
    this.#sink.onLiteralEnd();
    return position;
  }

  // RFC 1939 section 3: a line of data starting with "." has it doubled; the line "." ends the data.
  #readDotData(chunk: Buffer, position: number): number {
    const length = chunk.length;
    const sink = this.#sink;
    while (position < length) {
      switch (this.#mode) {
        case DOT_LINE_START:
          if (chunk[position] === DOT) {
            position++;
            this.#mode = DOT_AFTER_DOT;
          } else {
            this.#mode = DOT_IN_LINE;
          }
          break;
        case DOT_AFTER_DOT: {
          const byte = chunk[position];
          if (byte === LF) return this.#endDotData(position + 1);
          if (byte === CR) {
            if (position + 1 === length) {
              this.#mode = DOT_AFTER_DOT_CR;
              return length;
            }
            if (chunk[position + 1] === LF) return this.#endDotData(position + 2);
          }
          // A stuffed line: the dot is dropped, the rest of the line is data.
          this.#mode = DOT_IN_LINE;
          break;
        }
        case DOT_AFTER_DOT_CR: {
          if (chunk[position] === LF) return this.#endDotData(position + 1);
          // ".\r" then something else: a stuffed line whose data starts with the CR held back.
          this.#mode = DOT_IN_LINE;
          this.#offset = this.#offsetBeforePush + position;
          sink.onDataChunk(Uint8Array.of(CR));
          if (this.#stopRequested) return position;
          break;
        }
        case DOT_IN_LINE: {
          // One view for the whole run of lines up to the next line-start dot (or chunk end).
          const start = position;
          const lineStartDot = chunk.indexOf(LF_DOT, position);
          if (lineStartDot === -1) {
            position = length;
            if (chunk[length - 1] === LF) this.#mode = DOT_LINE_START;
          } else {
            position = lineStartDot + 1;
            this.#mode = DOT_LINE_START;
          }
          this.#offset = this.#offsetBeforePush + position;
          sink.onDataChunk(chunk.subarray(start, position));
          if (this.#stopRequested) return position;
          break;
        }
        default:
          return position;
      }
    }
    return position;
  }

  #endDotData(position: number): number {
    this.#mode = LINE;
    this.#offset = this.#offsetBeforePush + position;
    this.#sink.onDataEnd();
    return position;
  }

  /** Copies the unterminated tail of a chunk, failing as soon as the line is known to be too long. */
  #appendPartialLine(chunk: Buffer, from: number, to: number): void {
    if (from === to) return;
    const total = this.#lineLength + (to - from);
    // The last byte may be the CR of the coming CRLF, which does not count.
    const known = chunk[to - 1] === CR ? total - 1 : total;
    if (known > this.#maxLineLength) throw new LimitExceededError('maxLineLength', this.#maxLineLength, known);
    this.#appendLineBytes(chunk, from, to);
  }

  #appendLineBytes(chunk: Buffer, from: number, to: number): void {
    const count = to - from;
    if (count === 0) return;
    const needed = this.#lineLength + count;
    if (needed > this.#lineBuffer.length) {
      let capacity = this.#lineBuffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafeSlow(capacity);
      this.#lineBuffer.copy(grown, 0, 0, this.#lineLength);
      this.#lineBuffer = grown;
    }
    chunk.copy(this.#lineBuffer, this.#lineLength, from, to);
    this.#lineLength = needed;
  }
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative safe integer, got ${String(value)}`);
  }
  return value;
}
