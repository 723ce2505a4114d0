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

/** Month number (0-11) of a three-letter English month name, keyed by its letters' codes, lower-cased. */
const MONTH_BY_KEY: ReadonlyMap<number, number> = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((name, index) => [monthKey(name, 0), index]),
);

function monthKey(text: string, at: number): number {
  return ((text.charCodeAt(at) | 0x20) << 16) | ((text.charCodeAt(at + 1) | 0x20) << 8) | (text.charCodeAt(at + 2) | 0x20);
}

/** The value of the digits `text[at, at + count)`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (!(digit >= 0 && digit <= 9)) return -1; // NaN past the end fails too
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The canonical form almost every server and mailer writes (`Fri, 27 Nov 2026 10:01:00 +0000`,
 * weekday and seconds optional), read without the engine's general date parser, which costs several
 * times more. Returns NaN for anything else, including values the general parser may still read.
 */
function parseCanonical(text: string): number {
  let at = 0;
  const length = text.length;
  if (length > 5 && text.charCodeAt(3) === 0x2c) at = text.charCodeAt(4) === 0x20 ? 5 : 4; // "Fri, "
  const oneDigitDay = text.charCodeAt(at + 1) === 0x20;
  const day = digits(text, at, oneDigitDay ? 1 : 2);
  at += oneDigitDay ? 2 : 3;
  if (day < 1 || day > 31 || text.charCodeAt(at - 1) !== 0x20) return Number.NaN;
  const month = MONTH_BY_KEY.get(monthKey(text, at));
  if (month === undefined || text.charCodeAt(at + 3) !== 0x20) return Number.NaN;
  const year = digits(text, at + 4, 4);
  if (year < 1000 || text.charCodeAt(at + 8) !== 0x20) return Number.NaN;
  at += 9;
  const hour = digits(text, at, 2);
  const minute = digits(text, at + 3, 2);
  if (hour < 0 || hour > 23 || text.charCodeAt(at + 2) !== 0x3a || minute < 0 || minute > 59) return Number.NaN;
  at += 5;
  let second = 0;
  if (text.charCodeAt(at) === 0x3a) {
    second = digits(text, at + 1, 2);
    if (second < 0 || second > 59) return Number.NaN;
    at += 3;
  }
  if (at + 6 !== length || text.charCodeAt(at) !== 0x20) return Number.NaN;
  const sign = text.charCodeAt(at + 1);
  const zoneHours = digits(text, at + 2, 2);
  const zoneMinutes = digits(text, at + 4, 2);
  if ((sign !== 0x2b && sign !== 0x2d) || zoneHours < 0 || zoneHours > 23 || zoneMinutes < 0 || zoneMinutes > 59) return Number.NaN;
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
