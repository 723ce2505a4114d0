/**
 * Message numbers, UIDs and sequence sets (RFC 3501 / RFC 9051 `sequence-set`).
 *
 * UIDs and message sequence numbers are both positive 32-bit integers on the wire, but mixing them
 * up is the classic IMAP bug, so they are distinct branded types here.
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, ProtocolError } from '../../common/errors.js';

declare const uidBrand: unique symbol;
declare const seqNumBrand: unique symbol;

/** A message UID (RFC 9051 section 2.3.1.1): a number that is only valid together with UIDVALIDITY. */
export type Uid = number & { readonly [uidBrand]: true };

/** A message sequence number (RFC 9051 section 2.3.1.2): the position of a message in the mailbox. */
export type SeqNum = number & { readonly [seqNumBrand]: true };

/** The largest value a UID or sequence number can take (`nz-number` is a 32-bit unsigned integer). */
export const MAX_MESSAGE_NUMBER = 0xffff_ffff;

function checkNumber(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_MESSAGE_NUMBER) {
    throw new InvalidArgumentError(`${what} must be an integer from 1 to ${MAX_MESSAGE_NUMBER}, got ${value}`);
  }
}

/**
 * Marks a number as a UID after checking its range.
 *
 * @param value - an integer from 1 to 2^32-1.
 * @returns the same number, typed as a {@link Uid}.
 */
export function uid(value: number): Uid {
  checkNumber(value, 'UID');
  return value as Uid;
}

/**
 * Marks a number as a message sequence number after checking its range.
 *
 * @param value - an integer from 1 to 2^32-1.
 * @returns the same number, typed as a {@link SeqNum}.
 */
export function seqNum(value: number): SeqNum {
  checkNumber(value, 'Sequence number');
  return value as SeqNum;
}

/** One element of a sequence set: `start:end`, with `'*'` meaning the largest number in use. */
export interface SequenceRange<N extends number = number> {
  /** The first number of the range (the order of `start` and `end` does not matter to servers). */
  readonly start: N | '*';
  /** The last number of the range; equal to `start` for a single number. */
  readonly end: N | '*';
}

/** What {@link SequenceSet.from} accepts: numbers, `'*'`, and ranges, in any order. */
export type SequenceInput<N extends number> = N | '*' | SequenceRange<N>;

/**
 * An immutable, normalised set of UIDs or sequence numbers, written in its shortest wire form.
 *
 * @example
 * ```ts
 * SequenceSet.from([1, 2, 3, 4, 5, 7, { start: 9, end: '*' }].map(...)).toString(); // '1:5,7,9:*'
 * SequenceSet.uids([uid(3), uid(1), uid(2)]).toString();                            // '1:3'
 * ```
 */
export class SequenceSet<N extends number = number> {
  /** The ranges, sorted and merged (a range ending in `'*'` comes last). */
  readonly ranges: readonly SequenceRange<N>[];

  /**
   * The same ranges, for has(), split() and toString(): `ranges` is a frozen copy, so that no
   * caller can change the set after toString() cached its wire form (a frozen array is slower to
   * loop over, and has() runs for every FETCH response).
   */
  readonly #ranges: readonly SequenceRange<N>[];

  private constructor(ranges: readonly SequenceRange<N>[]) {
    this.#ranges = ranges;
    this.ranges = Object.freeze(ranges.slice());
  }

  /**
   * Builds a set from numbers and ranges, merging overlapping and adjacent ones.
   *
   * @param items - the members; at least one.
   * @returns the normalised set.
   * @throws InvalidArgumentError when empty, when a number is out of range, or when the items (or
   *   one of them) are not what the types say (a string: see {@link SequenceSet.parse}).
   */
  static from<N extends number>(items: Iterable<SequenceInput<N>>): SequenceSet<N> {
    const input: unknown = items;
    if (typeof input === 'string' || typeof (input as Partial<Iterable<unknown>> | null)?.[Symbol.iterator] !== 'function') {
      throw new InvalidArgumentError('A sequence set is built from an iterable of numbers, \'*\' and ranges (SequenceSet.parse reads a string)');
    }
    const finite: [number, number][] = [];
    let starFrom: number | null = null; // x:* covers x..*; '*' alone is starFrom = Infinity
    for (const item of items) {
      // Untyped callers: anything else would fail below with a TypeError, or read as an empty range.
      const member: unknown = item;
      if (typeof member !== 'number' && member !== '*' && (typeof member !== 'object' || member === null)) {
        throw new InvalidArgumentError(`A sequence set member must be a number, '*' or a range, got ${member === null ? 'null' : typeof member}`);
      }
      if (item === '*') {
        starFrom = Math.min(starFrom ?? Infinity, Infinity);
        continue;
      }
      if (typeof item === 'number') {
        checkNumber(item, 'Sequence set member');
        finite.push([item, item]);
        continue;
      }
      const { start, end } = item;
      if (start !== '*') checkNumber(start, 'Sequence range start');
      if (end !== '*') checkNumber(end, 'Sequence range end');
      if (start === '*' && end === '*') starFrom = Math.min(starFrom ?? Infinity, Infinity);
      else if (start === '*' || end === '*') starFrom = Math.min(starFrom ?? Infinity, start === '*' ? (end as number) : start);
      else finite.push(start <= end ? [start, end] : [end, start]);
    }
    if (finite.length === 0 && starFrom === null) throw new InvalidArgumentError('A sequence set needs at least one member');
    finite.sort((a, b) => a[0] - b[0]);
    const ranges: SequenceRange<N>[] = [];
    let current: [number, number] | null = null;
    for (const range of finite) {
      if (starFrom !== null && range[1] >= starFrom - 1) {
        starFrom = Math.min(starFrom, range[0]);
        continue;
      }
      if (current !== null && range[0] <= current[1] + 1) {
        current[1] = Math.max(current[1], range[1]);
      } else {
        if (current !== null) ranges.push(Object.freeze({ start: current[0] as N, end: current[1] as N }));
        current = [range[0], range[1]];
      }
    }
    if (current !== null) {
      if (starFrom !== null && current[1] >= starFrom - 1) starFrom = Math.min(starFrom, current[0]);
      else ranges.push(Object.freeze({ start: current[0] as N, end: current[1] as N }));
    }
    if (starFrom !== null) ranges.push(Object.freeze({ start: starFrom === Infinity ? '*' : (starFrom as N), end: '*' }));
    return new SequenceSet(ranges);
  }

  /**
   * Builds a UID set.
   *
   * @param items - UIDs and UID ranges.
   * @returns the normalised set.
   */
  static uids(items: Iterable<SequenceInput<Uid>>): SequenceSet<Uid> {
    return SequenceSet.from(items);
  }

  /**
   * Builds a set of message sequence numbers.
   *
   * @param items - sequence numbers and ranges.
   * @returns the normalised set.
   */
  static seqNums(items: Iterable<SequenceInput<SeqNum>>): SequenceSet<SeqNum> {
    return SequenceSet.from(items);
  }

  /**
   * Parses the wire form (`1:5,7,9:*`).
   *
   * @param text - a `sequence-set`.
   * @returns the normalised set.
   * @throws ProtocolError when the text is not a sequence set.
   */
  static parse<N extends number = number>(text: string): SequenceSet<N> {
    const items: SequenceRange<N>[] = [];
    for (const element of text.split(',')) {
      const colon = element.indexOf(':');
      const start = parseSeqNumber(colon === -1 ? element : element.slice(0, colon), text);
      const end = colon === -1 ? start : parseSeqNumber(element.slice(colon + 1), text);
      items.push({ start: start as N | '*', end: end as N | '*' });
    }
    return SequenceSet.from<N>(items);
  }

  /**
   * The finite members in ascending order (a range ending in `'*'` contributes only its start).
   *
   * @returns a generator over the numbers.
   */
  *values(): Generator<N> {
    for (const { start, end } of this.ranges) {
      if (start === '*') continue;
      const last = end === '*' ? start : end;
      for (let value = start as number; value <= last; value++) yield value as N;
    }
  }

  /**
   * Tells whether a number is a member (`'*'` ranges are treated as unbounded).
   *
   * @param value - the number to look for.
   * @returns true when it is in the set.
   */
  has(value: N): boolean {
    // A loop, not some() with a closure: FETCH asks this for every response it receives.
    for (const range of this.#ranges) {
      const start = range.start;
      const end = range.end;
      if (start !== '*' && value >= start && (end === '*' || value <= end)) return true;
    }
    return false;
  }

  /**
   * Splits the set into consecutive sets, in ascending order, whose wire forms are at most
   * `maxLength` bytes each (a range that is longer on its own still goes whole, alone): commands
   * too long for the server are sent as several commands, one part each.
   *
   * @param maxLength - the longest wire form of a part, in bytes.
   * @returns the parts; the set itself when it fits.
   * @internal
   */
  split(maxLength: number): SequenceSet<N>[] {
    if (this.toString().length <= maxLength) return [this];
    const parts: SequenceSet<N>[] = [];
    let part: SequenceRange<N>[] = [];
    let partLength = 0;
    for (const range of this.#ranges) {
      const length = rangeText(range).length;
      if (part.length > 0 && partLength + 1 + length > maxLength) {
        parts.push(new SequenceSet(part));
        part = [];
      }
      partLength = part.length === 0 ? length : partLength + 1 + length;
      part.push(range);
    }
    parts.push(new SequenceSet(part));
    return parts;
  }

  /** @returns the shortest wire form, e.g. `1:5,7,9:*`. */
  toString(): string {
    this.#text ??= this.#ranges.map(rangeText).join(',');
    return this.#text;
  }

  /** The wire form, made once: FETCH sends it and split() measures it. */
  #text: string | undefined;
}

/* seq-range = seq-number ":" seq-number */
function rangeText({ start, end }: SequenceRange): string {
  return start === end ? String(start) : `${String(start)}:${String(end)}`;
}

/*
 * seq-number      = nz-number / "*"
 */
function parseSeqNumber(text: string, whole: string): number | '*' {
  if (text === '*') return '*';
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > MAX_MESSAGE_NUMBER) {
    throw new ProtocolError('Invalid sequence set', { snippet: whole.slice(0, 80) });
  }
  return Number(text);
}
