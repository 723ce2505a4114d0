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

function isLetter(byte: number): boolean {
  return (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a;
}

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
  let at = start;
  if (bytes[start + 3] === 0x2c) {
    // "Fri, ": three letters and a comma
    if (!isLetter(bytes[start]!) || !isLetter(bytes[start + 1]!) || !isLetter(bytes[start + 2]!)) return Number.NaN;
    at = bytes[start + 4] === 0x20 ? start + 5 : start + 4;
  }
  let day = twoDigits(bytes, at);
  if (day < 0) {
    day = bytes[at]! - 0x30; // a one-digit day
    if (!(day >= 1 && day <= 9)) return Number.NaN;
    at--;
  }
  const key = ((bytes[at + 3]! | 0x20) << 16) | ((bytes[at + 4]! | 0x20) << 8) | (bytes[at + 5]! | 0x20);
  const month = MONTH_KEYS.indexOf(key);
  const century = twoDigits(bytes, at + 7);
  const yearInCentury = twoDigits(bytes, at + 9);
  const year = yearInCentury < 0 ? -1 : century * 100 + yearInCentury;
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
  if (day > 28 && day > daysInMonth(year, month)) return Number.NaN; // 31 February is no date
  const offset = (zoneHours * 60 + zoneMinutes) * 60_000;
  return Date.UTC(year, month, day, hour, minute, second) + (sign === 0x2b ? -offset : offset);
}

/**
 * Zones named by letters: RFC 5322 section 4.3's obsolete ones, and a few more that mailers write.
 * Minutes east of UTC. Any other name (the military letters among them, which senders got wrong)
 * means -0000, "no information", as that section says: the time is read as UTC.
 */
const ZONE_NAMES: ReadonlyMap<string, number> = new Map([
  ['UT', 0], ['UTC', 0], ['GMT', 0], ['Z', 0],
  ['EST', -300], ['EDT', -240], ['CST', -360], ['CDT', -300], ['MST', -420], ['MDT', -360], ['PST', -480], ['PDT', -420],
  ['WET', 0], ['WEST', 60], ['BST', 60], ['CET', 60], ['CEST', 120], ['MET', 60], ['MEST', 120], ['EET', 120], ['EEST', 180],
  ['MSK', 180], ['JST', 540], ['KST', 540], ['HKT', 480], ['SGT', 480], ['AEST', 600], ['AEDT', 660], ['NZST', 720], ['NZDT', 780],
]);

/** A month's name, three letters or whole (`SEPT` too), upper-cased: its index, or -1. */
function monthIndex(word: string): number {
  const index = MONTH_KEYS.indexOf(
    ((word.charCodeAt(0) | 0x20) << 16) | ((word.charCodeAt(1) | 0x20) << 8) | (word.charCodeAt(2) | 0x20),
  );
  if (index < 0 || word.length === 3) return index;
  return MONTH_NAMES[index]!.startsWith(word) || word === 'SEPT' ? index : -1;
}

const MONTH_NAMES = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];

/** Minutes east of UTC for a zone as written (`+0130`, `-05:00`, `+0000 GMT`, `GMT+0100`, `EST`, `Z`), 0 when absent; null when malformed. */
function zoneMinutes(zone: string | undefined): number | null {
  if (zone === undefined) return 0; // no zone: -0000
  const numeric = /^(?:GMT|UTC?)?([+-])(\d\d):?(\d\d)(?: [A-Z]{1,5})?$/.exec(zone);
  if (numeric === null) return ZONE_NAMES.get(zone) ?? 0;
  const hours = Number(numeric[2]);
  const minutes = Number(numeric[3]);
  if (hours > 23 || minutes > 59) return null;
  return (numeric[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** The instant, or NaN when a field is out of range (31 February is no date). */
function instant(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: number | null): number {
  if (zone === null || month < 0 || month > 11 || year < 1000 || year > 9999 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  if (day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  // A leap second is read as the last second of its minute.
  const utc = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  return utc - zone * 60_000;
}

/** How many days `month` (0-11) of `year` has. */
function daysInMonth(year: number, month: number): number {
  return month === 1 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : DAYS_IN_MONTH[month]!;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** RFC 5322 section 4.3: a two-digit year is 19xx from 50 on, else 20xx; a three-digit one adds 1900. */
function fullYear(digits: string): number {
  const year = Number(digits);
  return digits.length === 2 ? (year < 50 ? 2000 + year : 1900 + year) : digits.length === 3 ? 1900 + year : year;
}

/** The text without its comments (CFWS: nested, with quoted pairs), blanks collapsed, upper-cased. */
function withoutComments(text: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (depth > 0) {
      if (char === '\\') i++;
      else if (char === '(') depth++;
      else if (char === ')') depth--;
      continue;
    }
    if (char === '(') {
      depth = 1;
      out += ' ';
    } else {
      out += char;
    }
  }
  return out.replace(/\s+/g, ' ').trim().toUpperCase();
}

const DAY_NAME = '(?:(?:MON|TUE|WED|THU|FRI|SAT|SUN)[A-Z]*\\.? ?,? ?)?';
/** RFC 5322 section 4.3 allows CFWS around the colons (comments are blanks by then). */
const TIME = '(\\d{1,2}) ?: ?(\\d\\d)(?: ?: ?(\\d\\d)(?:\\.\\d+)?)?';
/**
 * A numeric zone may be followed by its name (`+0000 GMT`, as some mailers write), or led by
 * GMT, UT or UTC (`GMT+0100`, as some Java and webmail mailers write): the number counts.
 */
const ZONE = '((?:GMT|UTC?)?[+-]\\d\\d:?\\d\\d(?: [A-Z]{1,5})?|[A-Z]{1,5})';
/** `[day,] d month y time [zone]`, also with `-` between the date's parts (`27-Nov-2026`). */
const RFC_DATE = new RegExp(`^${DAY_NAME}(\\d{1,2})[ -]?([A-Z]{3,9})\\.?[ -]?(\\d{2,4}),? ${TIME} ?${ZONE}?$`);
/** The month before the day (`Fri, Nov 27 2026 10:01:00 +0000`, `November 27, 2026 ...`), US style. */
const MONTH_FIRST = new RegExp(`^${DAY_NAME}([A-Z]{3,9})\\.? (\\d{1,2}),? (\\d{2,4}),? ${TIME} ?${ZONE}?$`);
/** asctime's `Fri Nov 27 10:01:00 [zone] 2026`, written by some old mailers. */
const ASCTIME = new RegExp(`^${DAY_NAME}([A-Z]{3,9}) (\\d{1,2}) ${TIME}(?: ${ZONE})? (\\d{4})$`);
/** ISO 8601 (`2026-11-27T10:01:00Z`), written by some scripts and web forms. */
const ISO = new RegExp(`^(\\d{4})-(\\d\\d)-(\\d\\d)[T ]${TIME} ?${ZONE}?$`);

/**
 * Any other date a message may carry (RFC 5322 section 4.3's obsolete syntax, the month first, asctime, ISO 8601),
 * read field by field. Never the engine's `Date.parse`, which reads a missing zone in the host's
 * time zone and accepts nearly anything (`"1"` is the year 2001). NaN when the text is no date.
 */
function parseObsolete(text: string): number {
  const value = withoutComments(text);
  let match = RFC_DATE.exec(value);
  if (match !== null) {
    const [, day, month, year, hour, minute, second, zone] = match;
    return instant(fullYear(year!), monthIndex(month!), Number(day), Number(hour), Number(minute), Number(second ?? 0), zoneMinutes(zone));
  }
  match = MONTH_FIRST.exec(value);
  if (match !== null) {
    const [, month, day, year, hour, minute, second, zone] = match;
    return instant(fullYear(year!), monthIndex(month!), Number(day), Number(hour), Number(minute), Number(second ?? 0), zoneMinutes(zone));
  }
  match = ASCTIME.exec(value);
  if (match !== null) {
    const [, month, day, hour, minute, second, zone, year] = match;
    return instant(Number(year), monthIndex(month!), Number(day), Number(hour), Number(minute), Number(second ?? 0), zoneMinutes(zone));
  }
  match = ISO.exec(value);
  if (match !== null) {
    const [, year, month, day, hour, minute, second, zone] = match;
    return instant(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second ?? 0), zoneMinutes(zone));
  }
  return Number.NaN;
}

/**
 * Parses a header date: the canonical RFC 5322 form directly, anything else (obsolete zones such as
 * `GMT` or `EST`, two-digit years, comments, a missing zone, asctime and ISO 8601 forms) field by
 * field. A missing or unknown zone name means UTC (RFC 5322's `-0000`), never the host's zone.
 *
 * @param text - the field value, e.g. `Fri, 27 Nov 2026 10:01:00 +0000`.
 * @returns the instant, or null when the value is not a date (or names an impossible day).
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
  if (Number.isNaN(ms)) ms = parseObsolete(text);
  return Number.isNaN(ms) ? null : new Date(ms);
}
