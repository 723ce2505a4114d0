/**
 * IMAP dates (`date`, used by SEARCH) and date-times (`date-time`, used by INTERNALDATE and APPEND).
 *
 * @packageDocumentation
 */

import { InvalidArgumentError } from '../../common/errors.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** date-year = 4DIGIT: only years 1 to 9999 (UTC) can be written. */
function checkDate(date: Date): void {
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('Invalid Date');
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) throw new InvalidArgumentError(`IMAP dates have four-digit years; ${date.toISOString()} has none`);
}

/** A year as date-year's 4DIGIT. */
function year4(date: Date): string {
  return String(date.getUTCFullYear()).padStart(4, '0');
}

/**
 * Midnight UTC of a day, in milliseconds. Not `Date.UTC`, which reads years 0 to 99 as 1900 to 1999:
 * `setUTCFullYear` takes the year as written.
 */
function utcDay(year: number, month: number, day: number): number {
  return new Date(0).setUTCFullYear(year, month, day);
}

/** Day `day` of `month` (0-11) of `year` exists: `31-Feb-2024` is refused rather than rolled over into March. */
function dayExists(year: number, month: number, day: number): boolean {
  return day >= 1 && day <= new Date(utcDay(year, month + 1, 0)).getUTCDate();
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * Formats a calendar date for SEARCH (`SINCE 1-Feb-2024`), using the date's UTC components.
 *
 * ```
 * date-text       = date-day "-" date-month "-" date-year
 * ```
 *
 * @param date - the date; its UTC year, month and day are used.
 * @returns e.g. `1-Feb-2024`.
 * @throws InvalidArgumentError for an invalid Date.
 */
export function formatImapDate(date: Date): string {
  checkDate(date);
  return `${date.getUTCDate()}-${MONTHS[date.getUTCMonth()]!}-${year4(date)}`;
}

/**
 * Formats a date-time for APPEND, in UTC.
 *
 * ```
 * date-time       = DQUOTE date-day-fixed "-" date-month "-" date-year
 *                   SP time SP zone DQUOTE
 * ```
 *
 * @param date - the instant.
 * @returns e.g. ` 1-Feb-2024 09:05:00 +0000` (without the quotes).
 * @throws InvalidArgumentError for an invalid Date.
 */
export function formatImapDateTime(date: Date): string {
  checkDate(date);
  const day = date.getUTCDate();
  return (
    `${day < 10 ? ` ${day}` : String(day)}-${MONTHS[date.getUTCMonth()]!}-${year4(date)} ` +
    `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())} +0000`
  );
}

function monthIndex(text: string): number {
  const key = text.length === 3 ? text[0]!.toUpperCase() + text.slice(1).toLowerCase() : '';
  return (MONTHS as readonly string[]).indexOf(key);
}

const DATE_TIME = /^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s+([+-])(\d{2})(\d{2}))?\s*$/;

/**
 * Parses an IMAP `date-time` (INTERNALDATE).
 *
 * Lenient: a day without its padding space, a missing seconds field and a missing zone (read as
 * UTC) are accepted, since some servers send them. A field out of range (hour 24, minute 60, a zone
 * of `+0099`) makes it no date-time; a leap second is read as second 59.
 *
 * @param text - the value without its quotes, e.g. `17-Jul-1996 02:44:25 -0700`.
 * @returns the instant, or null when the text is not a date-time.
 */
export function parseImapDateTime(text: string): Date | null {
  const match = DATE_TIME.exec(text);
  if (match === null) return null;
  const month = monthIndex(match[2]!);
  if (month < 0 || !dayExists(Number(match[3]), month, Number(match[1]))) return null;
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6] ?? 0);
  // 25:00 or +0099 is no time: refused rather than rolled over into another instant.
  if (hour > 23 || minute > 59 || second > 60) return null;
  if (match[7] !== undefined && (Number(match[8]) > 23 || Number(match[9]) > 59)) return null;
  // A leap second is read as the last second of its minute (as header dates are).
  let ms = utcDay(Number(match[3]), month, Number(match[1])) + ((hour * 60 + minute) * 60 + Math.min(second, 59)) * 1000;
  if (match[7] !== undefined) {
    const offset = (Number(match[8]) * 60 + Number(match[9])) * 60_000;
    ms += match[7] === '+' ? -offset : offset;
  }
  return new Date(ms);
}

/**
 * Parses an IMAP `date` (`1-Feb-2024`, optionally quoted) to midnight UTC of that day.
 *
 * @param text - the date text.
 * @returns the date, or null when the text is not a date.
 */
export function parseImapDate(text: string): Date | null {
  const match = /^"?(\d{1,2})-([A-Za-z]{3})-(\d{4})"?$/.exec(text.trim());
  if (match === null) return null;
  const month = monthIndex(match[2]!);
  return month < 0 || !dayExists(Number(match[3]), month, Number(match[1])) ? null : new Date(utcDay(Number(match[3]), month, Number(match[1])));
}
