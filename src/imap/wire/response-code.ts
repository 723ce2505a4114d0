/**
 * `resp-text` and its bracketed `resp-text-code` (RFC 9051 section 7.1, RFC 5530, RFC 4315,
 * RFC 7162, RFC 4978).
 *
 * @internal
 * @packageDocumentation
 */

import type { ResponseCode, SimpleResponseCodeName } from './response-code-types.js';
import { nilAmongFlags } from './fetch.js';
import { SIMPLE_RESPONSE_CODES } from './response-code-types.js';
import type { NumberRange } from './response-types.js';
import type { WireReader } from './reader.js';
import { decodeText, modSequenceOfDigits } from './reader.js';
import { isAtom, isAtomCharCode } from './command-args.js';
import { MAX_MESSAGE_NUMBER } from './sequence-set.js';

/** A parsed `resp-text`. */
export interface ResponseText {
  /** The code, or null. */
  readonly code: ResponseCode | null;
  /** What followed the code's name inside the brackets, as sent; empty when nothing did. */
  readonly codeData: string;
  /** The text after it. */
  readonly text: string;
}

/*
 * resp-text       = ["[" resp-text-code "]" SP] [text]
 */
export function parseRespText(reader: WireReader): ResponseText {
  reader.sp();
  if (reader.peek() !== 0x5b) return { code: null, codeData: '', text: reader.rest() };
  const close = codeEnd(reader.bytes, reader.pos + 1, reader.end);
  if (close === -1) return { code: null, codeData: '', text: reader.rest() }; // no "]": plain text
  const inner = decodeText(reader.bytes, reader.pos + 1, close);
  reader.pos = close + 1;
  reader.sp();
  const code = parseRespTextCode(inner);
  // An unknown code's text is what followed its name (see codeNameRunIntoData for where that ends).
  const space = inner.indexOf(' ');
  const codeData = code.kind === 'other' ? code.text : space === -1 ? '' : inner.slice(space + 1).trim();
  return { code, codeData, text: reader.rest() };
}

/**
 * Where the response code starting at `from` ends: its `]`, skipping bracketed parts inside
 * (RFC 2221 `[REFERRAL imap://[::1]/INBOX]` holds an IPv6 host); the first `]` when brackets do
 * not balance; -1 when there is none.
 */
function codeEnd(bytes: Uint8Array, from: number, end: number): number {
  let first = -1;
  let depth = 0;
  for (let at = from; at < end; at++) {
    const byte = bytes[at];
    if (byte === 0x5b) depth++;
    else if (byte === 0x5d) {
      if (first === -1) first = at;
      if (depth === 0) return at;
      depth--;
    }
  }
  return first;
}

/*
 * resp-text-code  = "ALERT" /
 *                   "BADCHARSET" [SP "(" charset *(SP charset) ")" ] /
 *                   capability-data / "PARSE" /
 *                   "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" /
 *                   "READ-ONLY" / "READ-WRITE" / "TRYCREATE" /
 *                   "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number /
 *                   "UNSEEN" SP nz-number /
 *                   atom [SP 1*<any TEXT-CHAR except "]">]
 * resp-code-apnd  = "APPENDUID" SP nz-number SP append-uid       (RFC 4315)
 * resp-code-copy  = "COPYUID" SP nz-number SP uid-set SP uid-set (RFC 4315)
 * resp-text-code  =/ "HIGHESTMODSEQ" SP mod-sequence-value / "NOMODSEQ" /
 *                    "MODIFIED" SP sequence-set                   (RFC 7162)
 *
 * A known code whose data cannot be read falls back to { kind: 'other' }: a status response must
 * never be lost because of its code.
 */
export function parseRespTextCode(inner: string): ResponseCode {
  const space = inner.indexOf(' ');
  const name = (space === -1 ? inner : inner.slice(0, space)).toUpperCase();
  const data = space === -1 ? '' : inner.slice(space + 1).trim();
  const other: ResponseCode = { kind: 'other', name, text: data };
  if (SIMPLE_RESPONSE_CODES.has(name)) return { kind: name as SimpleResponseCodeName };
  switch (name) {
    case 'CAPABILITY':
      return { kind: 'CAPABILITY', capabilities: splitWords(data).map((word) => word.toUpperCase()) };
    case 'BADCHARSET':
      return { kind: 'BADCHARSET', charsets: parseCharsets(stripParens(data) ?? data) };
    case 'PERMANENTFLAGS': {
      const flags = stripParens(data);
      // A flag listed twice is kept once, where it first stood (a Set keeps insertion order), as
      // FETCH and mailbox FLAGS keep it (see withoutRepeatedFlags in fetch.ts).
      return flags === null ? other : { kind: 'PERMANENTFLAGS', flags: [...new Set(splitWords(flags).filter((flag) => !nilAmongFlags(flag)))] };
    }
    case 'UIDNEXT':
    case 'UIDVALIDITY':
    case 'UNSEEN': {
      const value = parseNzNumberText(data) ?? parseNzNumberText(digitsInQuotes(data));
      return value === null ? other : { kind: name, value };
    }
    case 'HIGHESTMODSEQ': {
      const value = modSequenceOfDigits(data) ?? modSequenceOfDigits(digitsInQuotes(data));
      return value === null ? other : { kind: 'HIGHESTMODSEQ', value };
    }
    case 'MODIFIED': {
      const set = parseUidSetText(data);
      return set === null ? other : { kind: 'MODIFIED', set };
    }
    case 'APPENDUID': {
      const [validity, uids] = data.split(/ +/);
      const uidValidity = parseNzNumberText(validity ?? '');
      const set = parseUidSetText(uids ?? '');
      return uidValidity === null || set === null ? other : { kind: 'APPENDUID', uidValidity, uids: set };
    }
    case 'COPYUID': {
      const [validity, source, destination] = data.split(/ +/);
      const uidValidity = parseNzNumberText(validity ?? '');
      const sourceUids = parseUidSetText(source ?? '', true);
      const destinationUids = parseUidSetText(destination ?? '', true);
      if (uidValidity === null || sourceUids === null || destinationUids === null) return other;
      return { kind: 'COPYUID', uidValidity, sourceUids, destinationUids };
    }
    default:
      return isAtom(name) ? other : codeNameRunIntoData(inner) ?? other;
  }
}

/**
 * Quirk: Outlook 365 writes codes outside the grammar, `[Error="Microsoft.Exchange...Exception:
 * Cross Server access is not allowed ..." AuthResultFromPopImapEnd=0 Proxy=... Service=Imap4]`
 * (reported in ruby/net-imap issue 597), whose first word is no atom. The name is the atom the
 * grammar reads, up to the first character an atom may not hold, without the `=` that joins it
 * to a quoted value (`ERROR`); the rest, from there on, is the code's text. Null when no atom
 * starts the code. Called only for a name that is not an atom.
 */
function codeNameRunIntoData(inner: string): ResponseCode | null {
  let end = 0;
  while (end < inner.length && isAtomCharCode(inner.charCodeAt(end))) end++;
  const nameEnd = inner.charCodeAt(end) === 0x22 && inner.charCodeAt(end - 1) === 0x3d ? end - 1 : end;
  if (nameEnd <= 0) return null;
  return { kind: 'other', name: inner.slice(0, nameEnd).toUpperCase(), text: inner.slice(end).trim() };
}

function splitWords(text: string): string[] {
  return text.split(' ').filter((word) => word.length > 0);
}

/*
 * charset         = atom / quoted
 * Each charset of BADCHARSET's list, a quoted one without its quotes and escapes.
 */
function parseCharsets(text: string): string[] {
  const charsets: string[] = [];
  for (const [, quoted, atom] of text.matchAll(/"((?:[^"\\]|\\.)*)"|([^ ]+)/g)) {
    charsets.push(quoted === undefined ? atom! : quoted.replace(/\\(.)/g, '$1'));
  }
  return charsets;
}

function stripParens(text: string): string | null {
  return text.startsWith('(') && text.endsWith(')') ? text.slice(1, -1) : null;
}

/*
 * nz-number       = digit-nz *DIGIT
 * A 0 where the code wants a nz-number (`[UIDVALIDITY 0]`, `[APPENDUID 0 4]`) is no value: the code
 * is read as 'other', and its OK or NO kept.
 */
function parseNzNumberText(text: string): number | null {
  const value = /^\d{1,10}$/.test(text) ? Number(text) : 0;
  return value >= 1 && value <= MAX_MESSAGE_NUMBER ? value : null;
}

/**
 * Quirk: a number code's value sent as a quoted string of digits (`[UIDVALIDITY "3857529045"]`,
 * `[HIGHESTMODSEQ "7"]`), as STATUS values and RFC822.SIZE are (see WireReader.numberInQuotes);
 * reported by client libraries, server not named. Returns the digits between the quotes, read
 * then with the ranges of the unquoted form, or '' (no value) when the text is not a quoted string
 * of digits alone. Called only once the unquoted value has not matched.
 */
function digitsInQuotes(text: string): string {
  return /^"\d+"$/.test(text) ? text.slice(1, -1) : '';
}

/*
 * uid-set         = (uniqueid / uid-range) *("," uid-set)
 * uid-range       = (uniqueid ":" uniqueid)
 *
 * A range means the same set whichever end comes first, and is returned ascending; with `ordered`
 * (COPYUID, whose two sets correspond element by element, RFC 4315 section 3) a range sent
 * descending keeps its order (`5:3` is start 5, end 3: 5, 4, 3), as imapflow and MailKit read it.
 */
export function parseUidSetText(text: string, ordered = false): NumberRange[] | null {
  if (text.length === 0) return null;
  const ranges: NumberRange[] = [];
  for (const element of text.split(',')) {
    const match = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(element);
    if (match === null) return null;
    const a = Number(match[1]);
    const b = match[2] === undefined ? a : Number(match[2]);
    // nz-number: 1 to 4294967295 (RFC 9051 section 9).
    if (a < 1 || b < 1 || a > MAX_MESSAGE_NUMBER || b > MAX_MESSAGE_NUMBER) return null;
    ranges.push(a <= b || ordered ? { start: a, end: b } : { start: b, end: a });
  }
  return ranges;
}
