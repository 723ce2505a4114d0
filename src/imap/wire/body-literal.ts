/**
 * Recognises, at the moment a literal is announced, whether it is a FETCH body value
 * (`BODY[...]<n>`, `BINARY[...]`, `RFC822*`) that may be streamed instead of buffered.
 *
 * The scan is incremental: each byte of a FETCH response's line segments is looked at once, and
 * only for FETCH responses that carry a literal (responses without literals are never scanned).
 *
 * @internal
 * @packageDocumentation
 */

import type { Buffer } from 'node:buffer';
import type { BodyItemName, BodySection } from './fetch-types.js';
import { decodeUpperCase } from './reader.js';
import { parseSectionSpec, sectionOfRfc822Item } from './section.js';

/** A body item recognised before its literal. */
export interface BodyItemHead {
  /** The item. */
  readonly item: BodyItemName;
  /** Its section. */
  readonly section: BodySection;
  /** The partial-fetch origin, or null. */
  readonly origin: number | null;
}

const SP = 0x20;
const DQUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;

/* The section may hold quoted header field names, in which `]` does not end it. */
const BODY_ITEM = /^(BODY|BINARY)\[((?:[^\]"]|"(?:[^"\\]|\\.)*")*)\](?:<(\d+)>)?$/;

/** Is `bytes[start, end)` the atom UID, in any case? */
function isUidAtom(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === 3 && (bytes[start]! | 0x20) === 0x75 && (bytes[start + 1]! | 0x20) === 0x69 && (bytes[start + 2]! | 0x20) === 0x64;
}

/** `bytes[start, end)` as a number when it is 1 to 10 digits, else -1. */
function digitsValue(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 10) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Tracks the structure of the FETCH response being assembled: parenthesis depth, quoting,
 * brackets, and the last top-level token. Tokens are kept as positions in the line buffer and
 * decoded only when a literal is announced after one.
 *
 * @internal
 */
export class FetchLiteralScanner {
  /** Bytes of the line buffer already scanned. */
  scanned = 0;
  /** The UID, once `UID n` has been seen at the top level. */
  uid: number | null = null;
  private depth = 0;
  private inQuote = false;
  private inBracket = false;
  /** Inside a quoted string within the brackets (`BODY[HEADER.FIELDS ("X]Y")]`). */
  private inBracketQuote = false;
  private tokenStart = -1;
  /** The last top-level token: its range in the line buffer, or a start of -1 for `"`, `(` or a literal. */
  private lastStart = -1;
  private lastEnd = -1;
  /** Whether the last top-level token was the atom UID. */
  private lastIsUid = false;
  /** The last token {@link FetchLiteralScanner.bodyItemBefore} recognised, and what it made of it. */
  private cachedToken = '';
  private cachedHead: BodyItemHead | null = null;

  /** Forgets everything (a new response begins). */
  reset(): void {
    this.scanned = 0;
    this.uid = null;
    this.depth = 0;
    this.inQuote = false;
    this.inBracket = false;
    this.inBracketQuote = false;
    this.tokenStart = -1;
    this.lastStart = -1;
    this.lastEnd = -1;
    this.lastIsUid = false;
  }

  /**
   * Scans the new bytes of the line buffer, up to `end`.
   *
   * @param bytes - the line buffer.
   * @param end - how far it is filled.
   */
  scan(bytes: Uint8Array, end: number): void {
    // The state lives in locals during the loop: this runs on every FETCH response with a literal.
    let depth = this.depth;
    let inQuote = this.inQuote;
    let inBracket = this.inBracket;
    let inBracketQuote = this.inBracketQuote;
    let tokenStart = this.tokenStart;
    for (let i = this.scanned; i < end; i++) {
      const byte = bytes[i]!;
      if (inQuote) {
        if (byte === 0x5c) i++;
        else if (byte === DQUOTE) inQuote = false;
        continue;
      }
      if (inBracket) {
        if (inBracketQuote) {
          if (byte === 0x5c) i++;
          else if (byte === DQUOTE) inBracketQuote = false;
        } else if (byte === DQUOTE) inBracketQuote = true;
        else if (byte === 0x5d) inBracket = false;
        continue;
      }
      if (byte === DQUOTE || byte === LPAREN || byte === RPAREN || byte === SP) {
        if (tokenStart >= 0) {
          this.endToken(bytes, tokenStart, i);
          tokenStart = -1;
        }
        if (byte === DQUOTE) {
          inQuote = true;
          if (depth === 1) this.pushMark();
        } else if (byte === LPAREN) {
          if (depth === 1) this.pushMark();
          depth++;
        } else if (byte === RPAREN) {
          depth--;
        }
      } else {
        if (byte === 0x5b) inBracket = true;
        if (tokenStart < 0 && depth === 1) tokenStart = i;
      }
    }
    this.depth = depth;
    this.inQuote = inQuote;
    this.inBracket = inBracket;
    this.inBracketQuote = inBracketQuote;
    this.tokenStart = tokenStart;
    this.scanned = Math.max(this.scanned, end);
  }

  /** A top-level token `bytes[start, end)` ended. */
  private endToken(bytes: Uint8Array, start: number, end: number): void {
    if (this.lastIsUid) {
      const uid = digitsValue(bytes, start, end);
      if (uid >= 0) this.uid = uid;
    }
    this.lastIsUid = isUidAtom(bytes, start, end);
    this.lastStart = start;
    this.lastEnd = end;
  }

  /** A top-level token that is not text: `"`, `(` or a literal. */
  private pushMark(): void {
    this.lastIsUid = false;
    this.lastStart = -1;
  }

  /**
   * Tells whether the literal announced at `end` is the value of a top-level body item.
   * Call after {@link FetchLiteralScanner.scan} up to `end`.
   */
  bodyItemBefore(bytes: Uint8Array, end: number): BodyItemHead | null {
    if (this.depth !== 1 || this.inQuote || this.inBracket) return null;
    let start = this.tokenStart;
    let stop = end;
    if (start < 0) {
      start = this.lastStart;
      stop = this.lastEnd;
      if (start < 0) return null;
    }
    const token = decodeUpperCase(bytes, start, stop);
    if (token !== this.cachedToken) {
      this.cachedToken = token;
      this.cachedHead = bodyItemHead(token);
    }
    return this.cachedHead;
  }

  /** Records that a literal value stood at the current position (it ends any token). */
  literalValue(): void {
    this.tokenStart = -1;
    if (this.depth === 1) this.pushMark();
  }
}

/** A streamed body's response in the shape {@link plainBodyHead} reads. */
export interface PlainBodyHead {
  /** The message's sequence number. */
  readonly seq: number;
  /** The UID when `UID n` came first, else null. */
  readonly uid: number | null;
  /** The item. */
  readonly item: 'BODY' | 'BINARY';
  /** The section between the brackets (printable ASCII without quotes or brackets). */
  readonly section: BodySection;
  /** The partial-fetch origin, or null. */
  readonly origin: number | null;
}

/**
 * `* n FETCH (` [`UID u `] `BODY[section]` [`<origin>`] SP, exactly: single spaces, a section of
 * printable ASCII without `"`, `[`, `]` or `\`. Anything else is left to the scanner.
 */
const PLAIN_BODY_HEAD = /^\* ([1-9][0-9]{0,9}) FETCH \((?:UID ([1-9][0-9]{0,9}) )?(BODY|BINARY)\[([\x20\x21\x23-\x5a\x5e-\x7e]*)\](?:<([0-9]{1,10})>)? $/i;

/** Longer lines than this are not of the plain shape (a section names at most a few header fields). */
const PLAIN_HEAD_MAX = 256;

/**
 * Reads the line before a literal when it is the shape nearly every streamed body arrives in, the
 * body its response's first literal: `* 12 FETCH (UID 345 BODY[] {102400}`. One regular expression
 * over the line instead of the scanner's byte loop and the parser's second pass: while the engine
 * still interprets the client (the first thousand bodies of a process), those loops cost more than
 * everything else a body's response needs. Null for any other shape, which the scanner reads.
 *
 * @param line - the response's bytes so far (the literal's announcement removed).
 * @param length - how many of them.
 */
export function plainBodyHead(line: Buffer, length: number): PlainBodyHead | null {
  if (length > PLAIN_HEAD_MAX) return null;
  const match = PLAIN_BODY_HEAD.exec(line.toString('latin1', 0, length));
  if (match === null) return null;
  const seq = Number(match[1]);
  const uid = match[2] === undefined ? null : Number(match[2]);
  // Beyond 32 bits the parser's own checks decide.
  if (seq > 0xffffffff || (uid !== null && uid > 0xffffffff)) return null;
  return {
    seq,
    uid,
    item: match[3]!.length === 4 ? 'BODY' : 'BINARY',
    section: plainSection(match[4]!),
    origin: match[5] === undefined ? null : Number(match[5]),
  };
}

let lastSectionText = '';
let lastSection: BodySection | undefined;

/** The section a plain body head names: a fetch's bodies name the same one, parsed once. */
function plainSection(text: string): BodySection {
  if (lastSection === undefined || text !== lastSectionText) {
    lastSection = parseSectionSpec(text);
    lastSectionText = text;
  }
  return lastSection;
}

/** The body item a top-level token (upper-cased) names, or null. */
function bodyItemHead(token: string): BodyItemHead | null {
  if (token === 'RFC822' || token === 'RFC822.HEADER' || token === 'RFC822.TEXT') {
    return { item: token, section: sectionOfRfc822Item(token), origin: null };
  }
  if (token.startsWith('BODY[') || token.startsWith('BINARY[')) {
    const match = BODY_ITEM.exec(token);
    if (match !== null) {
      return {
        item: match[1] === 'BODY' ? 'BODY' : 'BINARY',
        section: parseSectionSpec(match[2]!),
        origin: match[3] === undefined ? null : Number(match[3]),
      };
    }
  }
  return null;
}
