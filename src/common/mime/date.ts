/**
 * Dates of message headers (RFC 5322 section 3.3), as in the `Date:` field and an IMAP ENVELOPE.
 *
 * @internal
 * @packageDocumentation
 */

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

/** The value of the two digits at `at`, or -1 (also past the end, where charCodeAt gives NaN). */
function twoDigits(text: string, at: number): number {
  const high = text.charCodeAt(at) - 0x30;
  const low = text.charCodeAt(at + 1) - 0x30;
  return high >= 0 && high <= 9 && low >= 0 && low <= 9 ? high * 10 + low : -1;
}

/**
 * The canonical form almost every server and mailer writes (`Fri, 27 Nov 2026 10:01:00 +0000`,
 * weekday and seconds optional), read without the engine's general date parser, which costs several
 * times more. Returns NaN for anything else, including values the general parser may still read.
 */
function parseCanonical(text: string): number {
  // Kept small on purpose: the engine optimises it early in a large fetch, and a smaller function
  // costs less to compile (charCodeAt past the end gives NaN, which every check below refuses).
  let at = text.charCodeAt(3) === 0x2c ? (text.charCodeAt(4) === 0x20 ? 5 : 4) : 0; // "Fri, "
  let day = twoDigits(text, at);
  if (day < 0) {
    day = text.charCodeAt(at) - 0x30; // a one-digit day
    if (!(day >= 1 && day <= 9)) return Number.NaN;
    at--;
  }
  const key = ((text.charCodeAt(at + 3) | 0x20) << 16) | ((text.charCodeAt(at + 4) | 0x20) << 8) | (text.charCodeAt(at + 5) | 0x20);
  const month = MONTH_KEYS.indexOf(key);
  const year = twoDigits(text, at + 7) * 100 + twoDigits(text, at + 9);
  const hour = twoDigits(text, at + 12);
  const minute = twoDigits(text, at + 15);
  if (day < 1 || day > 31 || month < 0 || year < 1000 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return Number.NaN;
  if (text.charCodeAt(at + 2) !== 0x20 || text.charCodeAt(at + 6) !== 0x20 || text.charCodeAt(at + 11) !== 0x20 || text.charCodeAt(at + 14) !== 0x3a) {
    return Number.NaN;
  }
  at += 17;
  let second = 0;
  if (text.charCodeAt(at) === 0x3a) {
    second = twoDigits(text, at + 1);
    if (second < 0 || second > 59) return Number.NaN;
    at += 3;
  }
  const sign = text.charCodeAt(at + 1);
  const zoneHours = twoDigits(text, at + 2);
  const zoneMinutes = twoDigits(text, at + 4);
  if (at + 6 !== text.length || text.charCodeAt(at) !== 0x20 || (sign !== 0x2b && sign !== 0x2d) || zoneHours < 0 || zoneHours > 23 || zoneMinutes < 0 || zoneMinutes > 59) {
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
  let ms = parseCanonical(text);
  if (Number.isNaN(ms)) ms = Date.parse(text.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isNaN(ms) ? null : new Date(ms);
}
