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

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

const decoders = new Map<string, TextDecoder | null>();

function decoderFor(charset: string): TextDecoder | null {
  const label = charset.toLowerCase();
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label === 'utf8' ? 'utf-8' : label);
    } catch {
      decoder = null; // a charset Node does not know: the word is left as it is
    }
    if (decoders.size < 64) decoders.set(label, decoder);
  }
  return decoder;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** Decodes Q encoding (RFC 2047 section 4.2); null when malformed. */
function decodeQ(text: string): Uint8Array | null {
  const out = new Uint8Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x5f) {
      out[length++] = 0x20;
    } else if (code === 0x3d) {
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return null;
      out[length++] = (high << 4) | low;
      i += 2;
    } else if (code > 0x7e) {
      return null;
    } else {
      out[length++] = code;
    }
  }
  return out.subarray(0, length);
}

/** Decodes B encoding (base64, padding optional); null when malformed. */
function decodeB(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(text, 'base64');
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

function decodeBytes(decoder: TextDecoder, bytes: Uint8Array): string {
  if (decoder.encoding === 'utf-8') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (decoder.encoding !== 'windows-1252') return decoder.decode(bytes);
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH[byte - 0x80]! : byte);
  return out;
}

interface DecodedWord {
  readonly start: number;
  readonly end: number;
  readonly charset: string;
  readonly bytes: Uint8Array;
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
  if (!value.includes('=?')) return value;
  const words: DecodedWord[] = [];
  ENCODED_WORD.lastIndex = 0;
  for (let match = ENCODED_WORD.exec(value); match !== null; match = ENCODED_WORD.exec(value)) {
    const charset = match[1]!.split('*')[0]!;
    if (decoderFor(charset) === null) continue;
    const text = match[3]!;
    const bytes = match[2] === 'B' || match[2] === 'b' ? decodeB(text) : decodeQ(text);
    if (bytes === null) continue;
    words.push({ start: match.index, end: match.index + match[0].length, charset: charset.toLowerCase(), bytes });
  }
  if (words.length === 0) return value;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < words.length) {
    const first = words[i]!;
    out += value.slice(copied, first.start);
    // Join the run of adjacent words (only whitespace between them) that share a charset.
    const chunks: Uint8Array[] = [first.bytes];
    let last = first;
    let j = i + 1;
    while (j < words.length) {
      const next = words[j]!;
      if (!/^[ \t\r\n]*$/.test(value.slice(last.end, next.start))) break;
      if (next.charset !== first.charset) break;
      chunks.push(next.bytes);
      last = next;
      j++;
    }
    out += decodeBytes(decoderFor(first.charset)!, chunks.length === 1 ? first.bytes : Buffer.concat(chunks));
    copied = last.end;
    // Whitespace between this run and a following encoded word in another charset is dropped too.
    const following = words[j];
    if (following !== undefined && /^[ \t\r\n]*$/.test(value.slice(last.end, following.start))) copied = following.start;
    i = j;
  }
  return out + value.slice(copied);
}
