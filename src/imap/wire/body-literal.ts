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

import type { BodyItemName, BodySection } from './fetch-types.js';
import { decodeText } from './reader.js';
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

const BODY_ITEM = /^(BODY|BINARY)\[([^\]]*)\](?:<(\d+)>)?$/;

/**
 * Tracks the structure of the FETCH response being assembled: parenthesis depth, quoting,
 * brackets, and the last top-level token.
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
  private tokenStart = -1;
  private previousToken = '';
  private lastToken = '';

  /** Forgets everything (a new response begins). */
  reset(): void {
    this.scanned = 0;
    this.uid = null;
    this.depth = 0;
    this.inQuote = false;
    this.inBracket = false;
    this.tokenStart = -1;
    this.previousToken = '';
    this.lastToken = '';
  }

  /**
   * Scans the new bytes of the line buffer, up to `end`.
   *
   * @param bytes - the line buffer.
   * @param end - how far it is filled.
   */
  scan(bytes: Uint8Array, end: number): void {
    for (let i = this.scanned; i < end; i++) {
      const byte = bytes[i]!;
      if (this.inQuote) {
        if (byte === 0x5c) i++;
        else if (byte === DQUOTE) this.inQuote = false;
        continue;
      }
      if (this.inBracket) {
        if (byte === 0x5d) this.inBracket = false;
        continue;
      }
      if (byte === DQUOTE) {
        this.inQuote = true;
        this.endToken(bytes, i);
        if (this.depth === 1) this.pushToken('"');
      } else if (byte === LPAREN) {
        this.endToken(bytes, i);
        if (this.depth === 1) this.pushToken('(');
        this.depth++;
      } else if (byte === RPAREN) {
        this.endToken(bytes, i);
        this.depth--;
      } else if (byte === SP) {
        this.endToken(bytes, i);
      } else {
        if (byte === 0x5b) this.inBracket = true;
        if (this.tokenStart < 0 && this.depth === 1) this.tokenStart = i;
      }
    }
    this.scanned = Math.max(this.scanned, end);
  }

  private endToken(bytes: Uint8Array, end: number): void {
    if (this.tokenStart < 0) return;
    this.pushToken(decodeText(bytes, this.tokenStart, end).toUpperCase());
    this.tokenStart = -1;
  }

  private pushToken(token: string): void {
    this.previousToken = this.lastToken;
    this.lastToken = token;
    if (this.previousToken === 'UID' && /^\d{1,10}$/.test(token)) this.uid = Number(token);
  }

  /**
   * Tells whether the literal announced at `end` is the value of a top-level body item.
   * Call after {@link FetchLiteralScanner.scan} up to `end`.
   */
  bodyItemBefore(bytes: Uint8Array, end: number): BodyItemHead | null {
    if (this.depth !== 1 || this.inQuote || this.inBracket) return null;
    const token = this.tokenStart >= 0 ? decodeText(bytes, this.tokenStart, end).toUpperCase() : this.lastToken;
    let head: BodyItemHead | null = null;
    if (token === 'RFC822' || token === 'RFC822.HEADER' || token === 'RFC822.TEXT') {
      head = { item: token, section: sectionOfRfc822Item(token), origin: null };
    } else if (token.startsWith('BODY[') || token.startsWith('BINARY[')) {
      const match = BODY_ITEM.exec(token);
      if (match !== null) {
        head = {
          item: match[1] === 'BODY' ? 'BODY' : 'BINARY',
          section: parseSectionSpec(match[2]!),
          origin: match[3] === undefined ? null : Number(match[3]),
        };
      }
    }
    return head;
  }

  /** Records that a literal value stood at the current position (it ends any token). */
  literalValue(): void {
    this.tokenStart = -1;
    if (this.depth === 1) this.pushToken('{literal}');
  }
}
