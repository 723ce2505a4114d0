/**
 * A cursor over one assembled response: the line bytes with the positions where literals stood.
 *
 * The parsers read in place on the assembled bytes and decode strings only at the leaves.
 *
 * @internal
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../common/errors.js';
import { asBuffer, decodeUtf8 } from '../../common/text.js';
import { decodeUtf8OrLatin1 } from '../../common/mime/encoded-word.js';
import { MAX_MESSAGE_NUMBER } from './sequence-set.js';

/** A literal of the response being parsed, in the place where its announcement stood. */
export interface LiteralSlot {
  /** Index into the line bytes where the literal's value belongs. */
  readonly position: number;
  /** The literal's bytes; null when they were streamed to a body sink or discarded. */
  readonly value: Uint8Array | null;
  /** The announced size. */
  readonly size: number;
  /** Bytes the literal took on the wire: announcement, line end (CRLF or a bare LF) and value (for error offsets). */
  readonly wireLength: number;
}

/** A position of a {@link WireReader}, from {@link WireReader.mark}. */
export interface ReaderMark {
  readonly pos: number;
  /** The index of the next literal to read. */
  readonly literal: number;
}

/** A string value read from the wire, before any decoding. */
export type StringToken =
  /** A literal whose bytes were streamed to a sink (only body values can be). */
  | { readonly kind: 'streamed'; readonly size: number }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;
/**
 * The largest mod-sequence-value, 2^63 - 1 (RFC 7162 section 7).
 *
 * @internal
 */
export const MAX_MOD_SEQUENCE = 0x7fffffffffffffffn;

/*
 * mod-sequence-value = 1*DIGIT    ; up to 2^63 - 1 (RFC 7162 section 7)
 */
/**
 * The mod-sequence-value that `text` spells, digits alone up to {@link MAX_MOD_SEQUENCE}, or null
 * for anything else: for a value read as text (a response code's data, a quoted string).
 *
 * @internal
 */
export function modSequenceOfDigits(text: string): bigint | null {
  return /^\d{1,19}$/.test(text) && BigInt(text) <= MAX_MOD_SEQUENCE ? BigInt(text) : null;
}

/*
 * ATOM-CHAR       = <any CHAR except atom-specials>
 * atom-specials   = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
 * Lenient: 8-bit bytes are accepted in atoms (some servers send raw UTF-8 keywords).
 */
const ATOM_CHAR: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let byte = 0x21; byte < 256; byte++) table[byte] = 1;
  for (const special of '(){%*"\\]') table[special.charCodeAt(0)] = 0;
  table[0x7f] = 0;
  return table;
})();

/**
 * Decodes bytes as UTF-8 (invalid sequences become U+FFFD), in place: no subarray view is created.
 *
 * @internal
 */
export const decodeText = decodeUtf8;

/**
 * Decodes bytes as {@link decodeText} does, upper-cased: for keywords and item names, which servers
 * almost always send upper-case already (then no second string is made).
 *
 * @internal
 */
export function decodeUpperCase(bytes: Uint8Array, start: number, end: number): string {
  const text = decodeText(bytes, start, end);
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if ((byte >= 0x61 && byte <= 0x7a) || byte >= 0x80) return text.toUpperCase();
  }
  return text;
}

/**
 * Strings indexed by their length, for {@link WireReader.looseAtom}'s `known`.
 *
 * @internal
 */
export function byLength(values: readonly string[]): (readonly string[] | undefined)[] {
  const table: string[][] = [];
  for (const value of values) (table[value.length] ??= []).push(value);
  return table;
}

/** Where `search` first stands in `text` at or after `from`, or the text's length when nowhere. */
function indexOrEnd(text: string, search: string, from: number): number {
  const index = text.indexOf(search, from);
  return index === -1 ? text.length : index;
}

/**
 * Quirk: a backslash in a quoted string that escapes neither `"` nor `\` (quoted-specials, the only
 * bytes the grammar escapes), as hMailServer before 5.6.2 sent a mailbox name whose hierarchy
 * delimiter is `\` in STATUS, `"INBOX\Sub"` (hMailServer issue 85): the backslash is kept, as the
 * name's own, rather than dropped. Given the byte after the backslash; called only while unescaping
 * a quoted string that holds one.
 */
function strayBackslash(next: number): boolean {
  return next !== DQUOTE && next !== BACKSLASH;
}

/**
 * Reads tokens from one assembled response.
 *
 * @internal
 */
export class WireReader {
  /** The line bytes (literal announcements and CRLFs removed). */
  bytes!: Buffer;
  /** End of the line bytes. */
  end = 0;
  /** Current position. */
  pos = 0;
  private literals: readonly LiteralSlot[] = [];
  private nextLiteral = 0;
  /** Where the next literal stands, or -1 when none is left: the one check the hot paths make. */
  private nextLiteralPos = -1;
  private baseOffset = 0;
  /** Backslashes in the quoted string {@link WireReader.scanQuoted} scanned last. */
  private quotedEscapes = 0;
  /**
   * The line decoded once, for string values (see {@link WireReader.plainText}): undefined until a
   * string is read, null when the line's characters do not stand at its byte positions.
   */
  private text: string | null | undefined = undefined;
  /** Where the next backslash of {@link WireReader.text} stands after the last one looked for (0: not looked for). */
  private nextBackslash = 0;

  /**
   * @param bytes - line bytes.
   * @param end - where they end.
   * @param literals - the literals, by position.
   * @param baseOffset - connection offset of the response's first byte.
   */
  constructor(bytes: Uint8Array, end: number, literals: readonly LiteralSlot[], baseOffset: number) {
    this.reset(bytes, end, literals, baseOffset);
  }

  /**
   * Starts over on another response (the assembler keeps one reader: parsed values never refer to
   * it). Takes the same arguments as the constructor.
   */
  reset(bytes: Uint8Array, end: number, literals: readonly LiteralSlot[], baseOffset: number): this {
    this.bytes = asBuffer(bytes);
    this.end = end;
    this.pos = 0;
    this.literals = literals;
    this.nextLiteral = 0;
    this.nextLiteralPos = literals.length > 0 ? literals[0]!.position : -1;
    this.baseOffset = baseOffset;
    this.quotedEscapes = 0;
    this.text = undefined;
    this.nextBackslash = 0;
    return this;
  }

  /**
   * Throws a ProtocolError pointing at the current position (or `at`). A literal standing at that
   * very position counts as passed once it was read (the error is about what follows it), and
   * otherwise not: the literal is what was not expected, and its announcement is pointed at.
   */
  fail(message: string, at = this.pos): never {
    let offset = this.baseOffset + at;
    const literals = this.literals;
    for (let index = 0; index < literals.length; index++) {
      const slot = literals[index]!;
      if (slot.position < at || (slot.position === at && index < this.nextLiteral)) offset += slot.wireLength;
    }
    const from = Math.max(0, at - 24);
    const to = Math.min(this.end, at + 24);
    let snippet = '';
    for (let i = from; i < to; i++) {
      const byte = this.bytes[i]!;
      snippet += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
      if (i + 1 === at) snippet += '\u2038'; // caret marks the offending position
    }
    throw new ProtocolError(message, { offset, snippet });
  }

  /** True at the end of the line and with no literal left here. */
  atEnd(): boolean {
    return this.pos >= this.end && !this.literalHere();
  }

  /** The current byte, or -1 at the end of the line or where a literal stands. */
  peek(): number {
    const pos = this.pos;
    return pos < this.end && pos !== this.nextLiteralPos ? this.bytes[pos]! : -1;
  }

  /** True when a literal stands at the current position. */
  literalHere(): boolean {
    return this.pos === this.nextLiteralPos;
  }

  /** Moves past the literal at the current position. */
  private takeLiteral(): LiteralSlot {
    const slot = this.literals[this.nextLiteral++]!;
    const next = this.literals[this.nextLiteral];
    this.nextLiteralPos = next === undefined ? -1 : next.position;
    return slot;
  }

  /** True while a literal of the response has not been read (or was skipped over by a token). */
  get literalsLeft(): boolean {
    return this.nextLiteralPos !== -1;
  }

  /** How many literals have been read so far (tells whether a range of the line held one). */
  get literalsRead(): number {
    return this.nextLiteral;
  }

  /**
   * Where the reader stands, literals included, for {@link WireReader.rewind}: a parser that can
   * tell two shapes apart only by what follows reads ahead and comes back (setting `pos` alone
   * would lose the literals read meanwhile).
   */
  mark(): ReaderMark {
    return { pos: this.pos, literal: this.nextLiteral };
  }

  /** Goes back to a {@link WireReader.mark} taken on the same response. */
  rewind(mark: ReaderMark): void {
    this.pos = mark.pos;
    this.nextLiteral = mark.literal;
    const slot = this.literals[mark.literal];
    this.nextLiteralPos = slot === undefined ? -1 : slot.position;
    this.nextBackslash = 0; // found from a later position, it could pass over one after `pos`
  }

  /**
   * True, and moved past them, when the next bytes repeat `bytes[start, end)` exactly and are
   * followed by a space, `)` or the end, with no literal among or right after them. The range must
   * hold no literal either (see {@link WireReader.literalsRead}).
   */
  repeats(start: number, end: number): boolean {
    const pos = this.pos;
    const stop = pos + (end - start);
    if (stop > this.end || (this.nextLiteralPos !== -1 && this.nextLiteralPos <= stop)) return false;
    if (stop < this.end && this.bytes[stop] !== SP && this.bytes[stop] !== RPAREN) return false;
    const text = this.plainText();
    if (text !== null) {
      if (!text.startsWith(text.slice(start, end), pos)) return false;
    } else {
      const bytes = this.bytes;
      for (let i = start, j = pos; i < end; i++, j++) if (bytes[i] !== bytes[j]) return false;
    }
    this.pos = stop;
    return true;
  }

  /** Skips any number of spaces (lenient: servers send extra ones, or none). */
  sp(): void {
    const bytes = this.bytes;
    const end = this.end;
    const literalPos = this.nextLiteralPos;
    let pos = this.pos;
    while (pos < end && bytes[pos] === SP && pos !== literalPos) pos++;
    this.pos = pos;
  }

  /** Consumes `byte` or fails. */
  expect(byte: number, what: string): void {
    if (this.peek() !== byte) this.fail(`Expected ${what}`);
    this.pos++;
  }

  /** Consumes `byte` when it is next. */
  eat(byte: number): boolean {
    if (this.peek() !== byte) return false;
    this.pos++;
    return true;
  }

  /** Consumes the closing parenthesis of a list, after optional spaces. */
  closeParen(): void {
    this.sp();
    this.expect(RPAREN, '")"');
  }

  /** Reads 1*ATOM-CHAR; returns the position range. Fails when empty. */
  private atomRange(what: string): number {
    const start = this.pos;
    if (this.literalHere()) this.fail(`Expected ${what}, found a literal`);
    while (this.pos < this.end && ATOM_CHAR[this.bytes[this.pos]!] === 1) this.pos++;
    if (this.pos === start) this.fail(`Expected ${what}`);
    return start;
  }

  /** `atom` as a string, as sent. */
  atom(what = 'atom'): string {
    const start = this.atomRange(what);
    return decodeText(this.bytes, start, this.pos);
  }

  /** `atom`, upper-cased: for keywords (IMAP keywords are case-insensitive). */
  keyword(what = 'keyword'): string {
    const start = this.atomRange(what);
    return decodeUpperCase(this.bytes, start, this.pos);
  }

  /**
   * Reads text up to (not including) a space, `)` or the end: for flags and other loose atoms.
   *
   * @param known - values to return as they are instead of a new string when the text spells one
   *   exactly, indexed by length (see {@link byLength}): flags repeat on every message.
   */
  looseAtom(what: string, stopAtBracket = false, known?: readonly (readonly string[] | undefined)[]): string {
    const start = this.pos;
    while (this.pos < this.end) {
      const byte = this.bytes[this.pos]!;
      if (byte === SP || byte === RPAREN || byte === LPAREN || byte < 0x20 || (stopAtBracket && byte === 0x5d)) break;
      this.pos++;
    }
    if (this.pos === start) this.fail(`Expected ${what}`);
    const candidates = known?.[this.pos - start];
    if (candidates !== undefined) {
      for (const candidate of candidates) if (this.spells(start, candidate)) return candidate;
    }
    if (this.bytes[start] === DQUOTE) return this.quotedLooseAtom(start, what);
    return decodeText(this.bytes, start, this.pos);
  }

  /**
   * Quirk: InterMail quotes a flag, `* FLAGS ("\\Deleted" \Answered ...)` (MailKit issue 771),
   * where the grammar allows an atom only. The quoted string is read from `start` as the value it
   * spells (`\Deleted`), spaces and escapes included, rather than kept with its quotes as a flag no
   * message has; a mailbox attribute or objectid sent so is read the same way. Called only for a
   * loose atom that is none of the `known` values, where a string is made anyway.
   */
  private quotedLooseAtom(start: number, what: string): string {
    this.pos = start;
    return this.string(what);
  }

  /** True when the bytes at `start` are exactly the characters of `text` (ASCII). */
  private spells(start: number, text: string): boolean {
    const bytes = this.bytes;
    for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /**
   * `number` or `number64` (up to 2^53 - 1, beyond which a double would round it: a larger one
   * fails): for sizes. UIDs, sequence numbers and counts use {@link WireReader.number32},
   * mod-sequences {@link WireReader.bigNumber}.
   *
   * @param beyondSafe - read a value past 2^53 - 1 as an inexact number (at least 2^53) instead of
   *   failing, for a caller that leaves such a value out (a STATUS item).
   */
  number(what = 'number', beyondSafe = false): number {
    const start = this.pos;
    let value = 0;
    while (this.pos < this.end) {
      const digit = this.bytes[this.pos]! - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      this.pos++;
    }
    if (this.pos === start || start === this.nextLiteralPos) this.fail(`Expected ${what}`, start);
    if (value > Number.MAX_SAFE_INTEGER && !beyondSafe) this.fail(`Expected ${what} below 2^53`, start);
    return value;
  }

  /**
   * `number`, `nz-number` or `uniqueid` where the value counts or names messages (UIDs, sequence
   * numbers, counts): 32 bits (RFC 9051 section 9). A larger one fails rather than reach UID or
   * sequence arithmetic, which a server's UID of 2^32 would break; sizes, which may be number64
   * (RFC822.SIZE), use {@link WireReader.number}.
   */
  number32(what = 'number'): number {
    const start = this.pos;
    const value = this.number(what);
    if (value > MAX_MESSAGE_NUMBER) this.fail(`Expected ${what} of at most 32 bits`, start);
    return value;
  }

  /**
   * {@link WireReader.number}, or undefined where the server sent NIL instead.
   *
   * Quirk: NIL where the grammar wants a number (`RFC822.SIZE NIL`, `BINARY.SIZE[1] NIL`, STATUS
   * `UIDNEXT NIL`), seen in the wild, server not named. The value is unknown, so it is read as
   * absent, never as 0, and the rest of the response is kept. A number in quotes is read too (see
   * {@link WireReader.numberInQuotes}). The digits are tried first: these checks cost nothing on
   * the usual path.
   *
   * @param beyondSafe - as for {@link WireReader.number}.
   */
  numberOrNil(what: string, beyondSafe = false): number | undefined {
    const byte = this.peek();
    if (byte < 0x30 || byte > 0x39) {
      if (this.nil()) return undefined;
      if (byte === DQUOTE) return this.numberInQuotes(what, beyondSafe) ?? this.fail(`Expected ${what}`);
    }
    return this.number(what, beyondSafe);
  }

  /**
   * Quirk: a number sent as a quoted string of digits, reported by client libraries: a STATUS value
   * (`MESSAGES "12"`), `RFC822.SIZE "2664"`, a BODYSTRUCTURE size or line count (`"1234"`); server
   * not named. Read as the number it spells. Returns null, with the reader unmoved, when the string
   * is not one (empty, a sign, a space, a fraction, or, unless `beyondSafe`, beyond 2^53 - 1): the caller refuses it, or,
   * where a line count may be missing, reads it as the MD5 that follows. Called only once the
   * digits and NIL have not matched.
   *
   * @param beyondSafe - as for {@link WireReader.number}: digits past 2^53 - 1 are read inexact.
   */
  numberInQuotes(what: string, beyondSafe = false): number | null {
    return this.digitsInQuotes(what, (digits) => (beyondSafe || (digits.length <= 16 && Number(digits) <= Number.MAX_SAFE_INTEGER) ? Number(digits) : null));
  }

  /**
   * {@link WireReader.numberInQuotes} for a mod-sequence (STATUS `HIGHESTMODSEQ "5"`, as the other
   * STATUS values may come): up to 2^63 - 1, as {@link WireReader.bigNumber}. Called only once
   * the digits and NIL have not matched.
   *
   * @param beyondRange - as for {@link WireReader.bigNumber}.
   */
  bigNumberInQuotes(what: string, beyondRange = false): bigint | null {
    return this.digitsInQuotes(what, (digits) => (beyondRange ? BigInt(digits) : modSequenceOfDigits(digits)));
  }

  /** Reads a quoted string of digits into `convert`'s value; null, with the reader unmoved, for anything else or a null `convert` gives. */
  private digitsInQuotes<T>(what: string, convert: (digits: string) => T | null): T | null {
    const start = this.mark();
    const text = this.string(what);
    const value = /^\d+$/.test(text) ? convert(text) : null;
    if (value === null) this.rewind(start);
    return value;
  }

  /**
   * `mod-sequence-value`: a 63-bit number (up to 2^63 - 1, RFC 7162 section 7); a larger one fails.
   *
   * @param beyondRange - return a larger value instead of failing, for a caller that leaves such a
   *   value out (a STATUS item).
   */
  bigNumber(what = 'number', beyondRange = false): bigint {
    const start = this.pos;
    while (this.pos < this.end && this.bytes[this.pos]! >= 0x30 && this.bytes[this.pos]! <= 0x39) this.pos++;
    if (this.pos === start) this.fail(`Expected ${what}`);
    // Up to 15 digits fit a double exactly, and BigInt(number) is several times cheaper than parsing text.
    if (this.pos - start <= 15) {
      let value = 0;
      for (let i = start; i < this.pos; i++) value = value * 10 + this.bytes[i]! - 0x30;
      return BigInt(value);
    }
    const value = BigInt(decodeText(this.bytes, start, this.pos));
    if (value > MAX_MOD_SEQUENCE && !beyondRange) this.fail(`Expected ${what} below 2^63`, start);
    return value;
  }

  /** True (and consumed) when the next token is the atom NIL, case-insensitively. */
  nil(): boolean {
    const p = this.pos;
    if (p + 3 > this.end || this.literalHere()) return false;
    const b = this.bytes;
    if ((b[p]! | 0x20) !== 0x6e || (b[p + 1]! | 0x20) !== 0x69 || (b[p + 2]! | 0x20) !== 0x6c) return false;
    if (p + 3 < this.end && ATOM_CHAR[b[p + 3]!] === 1) return false;
    this.pos = p + 3;
    return true;
  }

  /*
   * string          = quoted / literal
   * quoted          = DQUOTE *QUOTED-CHAR DQUOTE
   * Returns the raw token: bytes (unescaped) or a streamed marker.
   */
  stringToken(what = 'string'): StringToken {
    if (this.pos === this.nextLiteralPos) {
      const slot = this.takeLiteral();
      return slot.value === null ? { kind: 'streamed', size: slot.size } : { kind: 'bytes', bytes: slot.value };
    }
    if (this.peek() !== DQUOTE) this.fail(`Expected ${what}`);
    return { kind: 'bytes', bytes: this.quotedBytes() };
  }

  /**
   * Scans a quoted string starting at the current `"` and moves past its closing `"`. Returns where
   * its content ends (it starts after the opening `"`); sets {@link WireReader.quotedEscapes}.
   */
  private scanQuoted(): number {
    const b = this.bytes;
    const start = this.pos + 1;
    const end = this.end;
    let escapes = 0;
    let pos = start;
    while (pos < end) {
      const byte = b[pos]!;
      if (byte === DQUOTE) break;
      if (byte === BACKSLASH) {
        escapes++;
        pos++;
      }
      pos++;
    }
    if (pos >= end) this.fail('Unterminated quoted string', start - 1);
    this.pos = pos + 1;
    this.quotedEscapes = escapes;
    return pos;
  }

  /** A quoted string's bytes, copied (unescaped). */
  private quotedBytes(): Buffer {
    const start = this.pos + 1;
    const stop = this.scanQuoted();
    const escapes = this.quotedEscapes;
    const b = this.bytes;
    if (escapes === 0) return Buffer.from(b.subarray(start, stop));
    const out = Buffer.allocUnsafe(stop - start);
    let o = 0;
    for (let i = start; i < stop; i++) {
      if (b[i] === BACKSLASH && !strayBackslash(b[i + 1]!)) i++;
      out[o++] = b[i]!;
    }
    return out.subarray(0, o);
  }

  /** `string`, decoded as UTF-8. */
  string(what = 'string'): string {
    if (this.peek() === DQUOTE) return this.quotedText();
    const token = this.stringToken(what);
    if (token.kind === 'streamed') this.fail(`Unexpected streamed literal for ${what}`);
    return decodeText(token.bytes, 0, token.bytes.length);
  }

  /** A quoted string, decoded, without copying when there are no escapes. */
  private quotedText(): string {
    const start = this.pos + 1;
    const stop = this.scanQuoted();
    if (this.quotedEscapes === 0) return this.lineSlice(start, stop);
    this.pos = start - 1;
    const bytes = this.quotedBytes();
    return decodeText(bytes, 0, bytes.length);
  }

  /**
   * The line as text whose character positions are its byte positions, or null when it has none;
   * parsers with a fast path read it up to {@link WireReader.plainEnd}.
   *
   * An ENVELOPE is some thirty short strings; cutting them from one decoded line (a slice, no call
   * into the runtime) costs under half of decoding each one on its own. The line is decoded as
   * UTF-8 once: when that gives as many characters as there are bytes and no U+FFFD, every byte
   * is an ASCII character, and
   * since string values are delimited by ASCII bytes, a slice equals decoding that value's bytes.
   * Otherwise (multi-byte characters, or invalid bytes) values are decoded one by one. A slice may keep the line's
   * text alive as long as the value lives (V8 shares the characters of slices of 13 or more).
   */
  plainText(): string | null {
    let text = this.text;
    if (text === undefined) {
      text = decodeUtf8(this.bytes, 0, this.end);
      // As many characters as bytes, but a U+FFFD: invalid bytes, which header text reads as Latin-1
      // (see headerNstring); such rare lines take the value-by-value path.
      if (text.length !== this.end || text.includes('\uFFFD')) text = null;
      this.text = text;
    }
    return text;
  }

  /**
   * Where plain text ends after the current position: the first backslash (an escape in a quoted
   * string, or a flag), the next literal, or the end of the line. Call when {@link WireReader.plainText}
   * is not null.
   */
  plainEnd(): number {
    const pos = this.pos;
    let backslash = this.nextBackslash;
    if (backslash <= pos) backslash = this.nextBackslash = indexOrEnd(this.text!, '\\', pos);
    const literal = this.nextLiteralPos;
    return literal !== -1 && literal < backslash ? literal : backslash;
  }

  /** Decodes `bytes[start, end)` of the line as UTF-8. */
  private lineSlice(start: number, end: number): string {
    const text = this.plainText();
    return text === null ? decodeUtf8(this.bytes, start, end) : text.slice(start, end);
  }

  /** `nstring = string / nil`, decoded; NIL is null. */
  nstring(what = 'string'): string | null {
    // ENVELOPE is mostly nstrings: a quoted string without escapes is found with the engine's own
    // string search and cut from the line's text (see plainText), with no loop over its bytes in
    // JavaScript: that matters most on the first thousand messages, before the engine optimises.
    const pos = this.pos;
    if (pos < this.end && pos !== this.nextLiteralPos) {
      if (this.bytes[pos] === DQUOTE) {
        const text = this.plainText();
        if (text !== null) {
          const close = text.indexOf('"', pos + 1);
          if (close !== -1 && close < this.plainEnd()) {
            this.pos = close + 1;
            return text.slice(pos + 1, close);
          }
        }
        return this.quotedText(); // escapes, a multi-byte line, or unterminated
      }
      if (this.nil()) return null;
    }
    return this.string(what);
  }

  /**
   * An nstring of message header text (ENVELOPE subject, names, message ids): as
   * {@link WireReader.nstring}, but a value whose bytes are not valid UTF-8 is read as Latin-1, as
   * header lines are (`parseHeaderFields`). Servers pass on the raw 8-bit text of old mailers
   * unchanged (Dovecot, in a literal). Only a value that decoded with U+FFFD is read again.
   */
  headerNstring(what = 'string'): string | null {
    if (this.pos === this.nextLiteralPos) {
      const token = this.stringToken(what);
      if (token.kind === 'streamed') this.fail(`Unexpected streamed literal for ${what}`);
      return decodeUtf8OrLatin1(token.bytes);
    }
    const start = this.pos;
    const value = this.nstring(what);
    if (value === null || !value.includes('\uFFFD') || this.bytes[start] !== DQUOTE) return value;
    const end = this.pos;
    this.pos = start;
    const bytes = this.quotedBytes();
    this.pos = end;
    return decodeUtf8OrLatin1(bytes);
  }

  /*
   * astring         = 1*ASTRING-CHAR / string
   * ASTRING-CHAR    = ATOM-CHAR / resp-specials
   */
  astring(what = 'astring'): string {
    const byte = this.peek();
    if (byte === DQUOTE || this.literalHere()) return this.string(what);
    const start = this.pos;
    while (this.pos < this.end && (ATOM_CHAR[this.bytes[this.pos]!] === 1 || this.bytes[this.pos] === 0x5d)) this.pos++;
    if (this.pos === start) this.fail(`Expected ${what}`);
    return decodeText(this.bytes, start, this.pos);
  }

  /**
   * A parenthesized list of items separated by spaces; lenient about extra spaces.
   *
   * @param item - reads one item at the current position (called with the reader as `this`, so a
   *   hot caller can pass a plain function instead of making a closure per list).
   */
  list<T>(item: (this: WireReader) => T, what = 'list'): T[] {
    this.expect(LPAREN, `"(" starting ${what}`);
    const items: T[] = [];
    this.sp();
    while (this.peek() !== RPAREN) {
      if (this.atEnd()) this.fail(`Unterminated ${what}`);
      const before = this.pos;
      const literalBefore = this.nextLiteral;
      items.push(item.call(this));
      if (this.pos === before && this.nextLiteral === literalBefore) this.fail(`Unexpected byte in ${what}`);
      this.sp();
    }
    this.pos++;
    return items;
  }

  /**
   * Skips one value of any shape (atom, number, string, literal, nested list) and returns it as
   * text, literals inlined as JSON strings: for items this parser does not type. Returns '' without
   * moving when the next byte is `)` or the end.
   */
  skipValue(): string {
    let text = '';
    let depth = 0;
    let from = this.pos;
    for (;;) {
      if (this.literalHere()) {
        text += decodeText(this.bytes, from, this.pos);
        const token = this.stringToken();
        text += token.kind === 'bytes' ? JSON.stringify(decodeText(token.bytes, 0, token.bytes.length)) : `{${token.size}}`;
        from = this.pos;
      } else {
        const byte = this.peek();
        if (byte === -1) {
          if (depth > 0) this.fail('Unterminated list');
          break;
        }
        if (depth === 0 && (byte === RPAREN || byte === SP)) break;
        if (byte === SP || byte === LPAREN) {
          if (byte === LPAREN) depth++;
          this.pos++;
          continue;
        }
        if (byte === RPAREN) {
          depth--;
          this.pos++;
        } else if (byte === DQUOTE) {
          this.scanQuoted();
        } else {
          this.skipAtom();
        }
      }
      if (depth === 0) break;
    }
    return text + decodeText(this.bytes, from, this.pos);
  }

  /** Skips an atom-like token, including a bracketed section with spaces (`BODY[HEADER.FIELDS (A B)]`). */
  private skipAtom(): void {
    while (this.pos < this.end && !this.literalHere()) {
      const byte = this.bytes[this.pos]!;
      if (byte === SP || byte === LPAREN || byte === RPAREN || byte === DQUOTE) break;
      this.pos++;
      if (byte === 0x5b) this.skipBracket();
    }
  }

  /**
   * Skips to just after the `]` matching a `[` already consumed. A `]` inside a quoted string (a
   * header field name of `BODY[HEADER.FIELDS ("X]Y")]`) does not end it.
   */
  skipBracket(): void {
    const bytes = this.bytes;
    let inQuote = false;
    while (this.pos < this.end) {
      const byte = bytes[this.pos]!;
      if (inQuote) {
        if (byte === 0x5c) this.pos++;
        else if (byte === DQUOTE) inQuote = false;
      } else if (byte === DQUOTE) {
        inQuote = true;
      } else if (byte === 0x5d) {
        break;
      }
      this.pos++;
    }
    if (this.pos >= this.end) this.fail('Unterminated "["');
    this.pos++;
  }

  /** The rest of the line as text (resp-text). */
  rest(): string {
    const start = this.pos;
    this.pos = this.end;
    return decodeText(this.bytes, start, this.end);
  }
}
