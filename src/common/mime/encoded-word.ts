/**
 * RFC 2047 encoded words (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`) in header values.
 *
 * Shared by IMAP (ENVELOPE) and POP3 (`TOP n 0` headers).
 *
 * @packageDocumentation
 */

/*
 * encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
 * charset may carry an RFC 2231 language suffix: "UTF-8*en".
 */
import { Buffer } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { decodeUtf8 } from '../text.js';

/** True for the characters of the regular expression class `\s`, which no charset or encoded text holds. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/*
 * The word {@link findWord} found last: value[wordStart, wordEnd) is `=?charset?E?text?=`, the
 * charset is value[wordStart + 2, charsetEnd) and the text value[charsetEnd + 3, wordEnd - 2).
 * Module state like the scratch buffer below: decoding is synchronous and never re-entered.
 */
let wordStart = 0;
let charsetEnd = 0;
let wordEnd = 0;

/**
 * Finds the next encoded word at or after `from`, as `/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g`
 * would, without a match array and three strings per word. Returns false when there is none.
 */
function findWord(value: string, from: number): boolean {
  const length = value.length;
  for (let start = value.indexOf('=?', from); start !== -1; start = value.indexOf('=?', start + 1)) {
    let i = start + 2;
    while (i < length && value.charCodeAt(i) !== 0x3f && !isSpace(value.charCodeAt(i))) i++;
    if (i === start + 2 || i + 2 >= length || value.charCodeAt(i) !== 0x3f || value.charCodeAt(i + 2) !== 0x3f) continue;
    const encoding = value.charCodeAt(i + 1) | 0x20;
    if (encoding !== 0x62 && encoding !== 0x71) continue; // B or Q
    let end = i + 3;
    while (end < length && value.charCodeAt(end) !== 0x3f && !isSpace(value.charCodeAt(end))) end++;
    if (end + 1 >= length || value.charCodeAt(end) !== 0x3f || value.charCodeAt(end + 1) !== 0x3d) continue;
    wordStart = start;
    charsetEnd = i;
    wordEnd = end + 2;
    return true;
  }
  return false;
}

const decoders = new Map<string, TextDecoder | null>();

/** The last charset seen (as sent) and its decoder. */
let lastCharset = '';
let lastDecoder: TextDecoder | null = null;

/** The decoder of the charset `value[start, end)` as sent (`UTF-8`, `utf-8*en`). */
function decoderFor(value: string, start: number, end: number): TextDecoder | null {
  if (end - start === lastCharset.length && value.startsWith(lastCharset, start)) return lastDecoder;
  const charset = value.slice(start, end);
  const star = charset.indexOf('*'); // RFC 2231 language suffix: "UTF-8*en"
  const label = (star === -1 ? charset : charset.slice(0, star)).toLowerCase();
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label === 'utf8' ? 'utf-8' : label);
    } catch {
      decoder = null; // a charset Node does not know: the word is left as it is
    }
    // WHATWG reads `UTF-16` (and its aliases) as little-endian; MIME follows RFC 2781 instead.
    if (decoder?.encoding === 'utf-16le' && label !== 'utf-16le') decoder = UTF16_UNMARKED;
    if (decoders.size < 64) decoders.set(label, decoder);
  }
  lastCharset = charset;
  lastDecoder = decoder;
  return decoder;
}

/**
 * The value of a hex digit's character code, or -1 for any other code.
 *
 * @internal
 */
export function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * The bytes of the run of encoded words being joined, reused from call to call (decoding is
 * synchronous and never re-entered), so a word costs no allocation until its text is made.
 */
let scratch = Buffer.allocUnsafe(256);

/** Makes room for `extra` more bytes after the first `used` bytes of the scratch buffer. */
function reserve(used: number, extra: number): void {
  if (used + extra <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(used + extra, scratch.length * 2));
  scratch.copy(grown, 0, 0, used);
  scratch = grown;
}

/** Decodes the Q encoding (RFC 2047 section 4.2) of `text[start, end)` into the scratch buffer at `at`; -1 when malformed, else the new length. */
function decodeQ(text: string, start: number, end: number, at: number): number {
  reserve(at, end - start);
  const out = scratch;
  let length = at;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x5f) {
      out[length++] = 0x20;
    } else if (code === 0x3d) {
      if (i + 2 >= end) return -1;
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return -1;
      out[length++] = (high << 4) | low;
      i += 2;
    } else if (code > 0x7e) {
      return -1;
    } else {
      out[length++] = code;
    }
  }
  return length;
}

const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes B encoding (base64, padding optional) into the scratch buffer at `at`; -1 when malformed, else the new length. */
function decodeB(text: string, at: number): number {
  if (!BASE64_TEXT.test(text)) return -1;
  let unpadded = text.length;
  while (unpadded > 0 && text.charCodeAt(unpadded - 1) === 0x3d) unpadded--;
  if (unpadded % 4 === 1) return -1;
  reserve(at, Math.ceil((text.length * 3) / 4) + 3);
  return at + scratch.write(text, at, 'base64');
}

/**
 * Windows-1252 code points for bytes 0x80..0x9F (WHATWG: the labels iso-8859-1, latin1 and
 * us-ascii all mean windows-1252). Node 20's TextDecoder decodes these labels as ISO-8859-1, which
 * loses the euro sign and curly quotes that mail labelled "iso-8859-1" so often carries.
 */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/**
 * The decoder of the labels that name UTF-16 without its byte order (`UTF-16`, `UCS-2`): RFC 2781
 * section 4.3 reads such text big-endian unless it begins with a byte order mark. `FE FF` is taken
 * off by this decoder; `FF FE` switches to {@link UTF16_LITTLE_ENDIAN}.
 */
const UTF16_UNMARKED = new TextDecoder('utf-16be');
const UTF16_LITTLE_ENDIAN = new TextDecoder('utf-16le');

/** Decodes the first `length` bytes of `bytes` with `decoder`. */
function decodeBytes(decoder: TextDecoder, bytes: Uint8Array, length: number): string {
  if (decoder.encoding === 'utf-8') return decodeUtf8(bytes, 0, length);
  if (decoder === UTF16_UNMARKED && length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return UTF16_LITTLE_ENDIAN.decode(bytes.subarray(0, length));
  }
  if (decoder.encoding !== 'windows-1252') return decoder.decode(bytes.subarray(0, length));
  let out = '';
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    out += String.fromCharCode(byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH[byte - 0x80]! : byte);
  }
  return out;
}

/** Decodes the first `length` bytes of the scratch buffer. */
function decodeScratch(decoder: TextDecoder, length: number): string {
  return decodeBytes(decoder, scratch, length);
}

/**
 * Decodes bytes in the charset an encoded word or an RFC 2231 parameter value names, as encoded
 * words are decoded (`iso-8859-1` read as windows-1252, invalid sequences as U+FFFD).
 *
 * @param bytes - the bytes.
 * @param charset - the charset as sent (`UTF-8`, `iso-8859-1`).
 * @returns the text, or null when Node knows no such charset.
 * @internal
 */
export function decodeCharset(bytes: Uint8Array, charset: string): string | null {
  const decoder = decoderFor(charset, 0, charset.length);
  return decoder === null ? null : decodeBytes(decoder, bytes, bytes.length);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes in no declared charset (raw 8-bit header text, a parameter value without one): as
 * UTF-8 when they are valid UTF-8 (ASCII, RFC 6532), else as Latin-1 (read as windows-1252, as
 * encoded words labelled so are), the charset of most old mail that sends 8-bit text unlabelled.
 *
 * @param bytes - the bytes.
 * @returns the text.
 * @internal
 */
export function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  return decodeValidUtf8(bytes) ?? decodeCharset(bytes, 'iso-8859-1')!;
}

/**
 * Decodes bytes that are valid UTF-8.
 *
 * @param bytes - the bytes.
 * @returns the text, or null when the bytes are not valid UTF-8.
 * @internal
 */
export function decodeValidUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** True when `value` holds only SP, HTAB, CR and LF between `from` and `to`. */
function onlyWhitespace(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) return false;
  }
  return true;
}

/**
 * Decodes the RFC 2047 encoded words of a header value.
 *
 * Adjacent encoded words are joined without the whitespace between them (RFC 2047 section 6.2);
 * consecutive words in the same charset are joined before decoding, so a multi-byte character split
 * across two words survives. Invalid words and unknown charsets are left as they are.
 *
 * @example
 * ```ts
 * decodeEncodedWords('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?B?IGF1cyBCZXJsaW4=?='); // 'Grüße aus Berlin'
 * ```
 * @param value - a header value (unfolded or not).
 * @returns the decoded text.
 */
export function decodeEncodedWords(value: string): string {
  const first = value.indexOf('=?');
  if (first === -1) return value;
  let out = '';
  let copied = 0; // value[0, copied) is in `out`, or is the run being joined
  // The run of adjacent words in one charset not yet decoded: its bytes are scratch[0, runLength).
  let runDecoder: TextDecoder | null = null;
  let runEnd = 0;
  let runLength = 0;
  for (let from = first; findWord(value, from); from = wordEnd) {
    const decoder = decoderFor(value, wordStart + 2, charsetEnd);
    if (decoder === null) continue; // an unknown charset: the word is left as it is
    // The word's bytes go after the run's, so that the run survives until it is decoded.
    let length =
      (value.charCodeAt(charsetEnd + 1) | 0x20) === 0x62
        ? decodeB(value.slice(charsetEnd + 3, wordEnd - 2), runLength)
        : decodeQ(value, charsetEnd + 3, wordEnd - 2, runLength);
    if (length < 0) continue; // malformed: left as it is
    const separatedBySpace = runDecoder !== null && onlyWhitespace(value, runEnd, wordStart);
    // One charset under two labels (`utf8` and `UTF-8`) is one run: a character split between them survives.
    // Not UTF-16 of unmarked byte order: each word may begin with its own byte order mark.
    if (separatedBySpace && decoder.encoding === runDecoder?.encoding && decoder !== UTF16_UNMARKED && runDecoder !== UTF16_UNMARKED) {
      runLength = length; // joined to the run before decoding
    } else {
      if (runDecoder !== null) {
        out += decodeScratch(runDecoder, runLength);
        scratch.copyWithin(0, runLength, length);
        length -= runLength;
        // Whitespace between a run and a following encoded word in another charset is dropped too.
        if (separatedBySpace) copied = wordStart;
      }
      out += value.slice(copied, wordStart);
      runDecoder = decoder;
      runLength = length;
    }
    runEnd = wordEnd;
    copied = runEnd;
  }
  if (runDecoder === null) return value;
  return out + decodeScratch(runDecoder, runLength) + value.slice(copied);
}

/**
 * Display names decoded lately. Mail from the same people carries the same encoded names again and
 * again (a 10,000-message ENVELOPE fetch of a list's archive decodes a handful of distinct names
 * thousands of times), and decoding is what a fresh process pays most for before the engine has
 * optimised it: on a cold fetch where every message names one encoded Cc, remembering the names
 * cut the client's time by about a tenth. Bounded: cleared when full.
 */
const recentNames = new Map<string, string>();
const RECENT_NAMES = 256;

/**
 * {@link decodeEncodedWords} for display names, remembering the last few hundred distinct values
 * (the result is the same; only repeated work is saved).
 *
 * @param value - an address's display name as sent.
 * @returns the decoded name.
 */
export function decodeDisplayName(value: string): string {
  // Most names hold no encoded word: nothing to decode, nothing to remember.
  if (!value.includes('=?')) return value;
  let decoded = recentNames.get(value);
  if (decoded === undefined) {
    decoded = decodeEncodedWords(value);
    if (recentNames.size >= RECENT_NAMES) recentNames.clear();
    recentNames.set(value, decoded);
  }
  return decoded;
}
