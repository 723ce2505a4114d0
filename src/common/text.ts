/**
 * Bytes to text, the way both clients' hot paths need it.
 *
 * @internal
 * @packageDocumentation
 */
import { Buffer } from 'node:buffer';

/**
 * The native method behind `buffer.toString('utf8', start, end)`, on every Buffer since Node 0.x but
 * absent from @types/node. Called directly, a string costs one native call and no argument
 * normalisation; ASCII (almost every protocol value) takes the decoder's one-byte fast path.
 */
interface Utf8Slicing {
  utf8Slice(start: number, end: number): string;
}

/**
 * True when `text` holds a lone UTF-16 surrogate (half of a pair, as when an emoji is cut in two):
 * such text has no UTF-8 form, and TextEncoder or Buffer would send U+FFFD in its place.
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** In a `u` regexp a surrogate pair is one code point: only a lone surrogate is in category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/** A Buffer over the same memory (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes `bytes[start, end)` as UTF-8 (invalid sequences become U+FFFD), in place: no view is made. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  return (asBuffer(bytes) as Buffer & Utf8Slicing).utf8Slice(start, end);
}
