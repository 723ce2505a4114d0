/**
 * Dates of message headers (RFC 5322 section 3.3), as in the `Date:` field and an IMAP ENVELOPE.
 *
 * @internal
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';

/*
 * date-time       = [ day-of-week "," ] date time [CFWS]
 * date            = day month year             ; day = 1*2DIGIT, year = 4*DIGIT
 * time            = time-of-day zone           ; time-of-day = hour ":" minute [ ":" second ]
 * zone            = ("+" / "-") 4DIGIT
 */

/** The three letters of each month, lower-cased, as `(c1 << 16) | (c2 << 8) | c3`. */
const MONTH_KEYS = Int32Array.from(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], (name) =>
  (name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2),
);

/** The value of the two digits at `at`, or -1 (also past the buffer, where a read gives undefined). */
function twoDigits(bytes: Uint8Array, at: number): number {
  const high = bytes[at]! - 0x30;
  const low = bytes[at + 1]! - 0x30;
  return high >= 0 && high <= 9 && low >= 0 && low <= 9 ? high * 10 + low : -1;
}

/**
 * The canonical form almost every server and mailer writes (`Fri, 27 Nov 2026 10:01:00 +0000`,
 * weekday and seconds optional), read without the engine's general date parser, which costs several
 * times more. Returns NaN for anything else, including values the general parser may still read.
 */
function parseCanonical(bytes: Uint8Array, start: number, end: number): number {
  // Kept small, and on bytes (a byte read is a far smaller thing to compile than a string's
  // charCodeAt): the engine optimises it early in a large fetch. Reads may pass `end` before the
  // last check, which then fails; whatever they read only leads to NaN sooner.
  let at = bytes[start + 3] === 0x2c ? (bytes[start + 4] === 0x20 ? start + 5 : start + 4) : start; // "Fri, "
  let day = twoDigits(bytes, at);
  if (day < 0) {
    day = bytes[at]! - 0x30; // a one-digit day
    if (!(day >= 1 && day <= 9)) return Number.NaN;
    at--;
  }
  const key = ((bytes[at + 3]! | 0x20) << 16) | ((bytes[at + 4]! | 0x20) << 8) | (bytes[at + 5]! | 0x20);
  const month = MONTH_KEYS.indexOf(key);
  const year = twoDigits(bytes, at + 7) * 100 + twoDigits(bytes, at + 9);
  const hour = twoDigits(bytes, at + 12);
  const minute = twoDigits(bytes, at + 15);
  if (day < 1 || day > 31 || month < 0 || year < 1000 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return Number.NaN;
  if (bytes[at + 2]! !== 0x20 || bytes[at + 6]! !== 0x20 || bytes[at + 11]! !== 0x20 || bytes[at + 14]! !== 0x3a) {
    return Number.NaN;
  }
  at += 17;
  let second = 0;
  if (bytes[at]! === 0x3a) {
    second = twoDigits(bytes, at + 1);
    if (second < 0 || second > 59) return Number.NaN;
    at += 3;
  }
  const sign = bytes[at + 1]!;
  const zoneHours = twoDigits(bytes, at + 2);
  const zoneMinutes = twoDigits(bytes, at + 4);
  if (at + 6 !== end || bytes[at]! !== 0x20 || (sign !== 0x2b && sign !== 0x2d) || zoneHours < 0 || zoneHours > 23 || zoneMinutes < 0 || zoneMinutes > 59) {
    return Number.NaN;
  }
  const offset = (zoneHours * 60 + zoneMinutes) * 60_000;
  return Date.UTC(year, month, day, hour, minute, second) + (sign === 0x2b ? -offset : offset);
}

/**
 * Parses a header date: the canonical RFC 5322 form directly, anything else (obsolete zones such as
 * `GMT` or `EST`, two-digit years, a trailing comment) with the engine's RFC 2822 parser.
 *
 * @param text - the field value, e.g. `Fri, 27 Nov 2026 10:01:00 +0000`.
 * @returns the instant, or null when the value is not a date.
 */
export function parseHeaderDate(text: string): Date | null {
  // UTF-8: a character past ASCII becomes bytes that no check accepts (latin1 could alias a digit).
  const bytes = Buffer.from(text, 'utf8');
  return parseHeaderDateAt(bytes, 0, bytes.length, text);
}

/**
 * {@link parseHeaderDate} for a value that stands in a buffer (an ENVELOPE's date in the line):
 * `bytes[start, end)` are the value's bytes and `text` the same value decoded.
 *
 * @internal
 */
export function parseHeaderDateAt(bytes: Uint8Array, start: number, end: number, text: string): Date | null {
  let ms = parseCanonical(bytes, start, end);
  if (Number.isNaN(ms)) ms = Date.parse(text.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isNaN(ms) ? null : new Date(ms);
}
