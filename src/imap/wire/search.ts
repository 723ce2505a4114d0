/**
 * A typed SEARCH criteria builder (RFC 9051 section 6.4.4, RFC 7162 MODSEQ, RFC 5032 WITHIN).
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, UnsupportedError } from '../../common/errors.js';
import type { CommandArg } from './command-args.js';
import { astring, atom, checkUtf8Text, date, flag, list, modSequence, num, sequenceSet, str } from './command-args.js';
import type { SeqNum, Uid } from './sequence-set.js';
import { SequenceSet } from './sequence-set.js';
import { MAX_MOD_SEQUENCE } from './reader.js';

/**
 * Search criteria. Every field present must match (AND); `or` and `not` combine sub-queries.
 *
 * @example
 * ```ts
 * const query: SearchQuery = {
 *   seen: false,
 *   since: new Date('2024-02-01'),
 *   or: [{ from: 'alice@example.com' }, { subject: 'Grüße' }],
 * };
 * buildSearchCriteria(query); // CHARSET UTF-8 UNSEEN SINCE 1-Feb-2024 OR FROM alice@example.com SUBJECT {7}...
 * ```
 */
export interface SearchQuery {
  /** Every message (the default for an empty query). */
  readonly all?: true;
  /** \Seen set (true) or not (false). */
  readonly seen?: boolean;
  /** \Answered set or not. */
  readonly answered?: boolean;
  /** \Flagged set or not. */
  readonly flagged?: boolean;
  /** \Deleted set or not. */
  readonly deleted?: boolean;
  /** \Draft set or not. */
  readonly draft?: boolean;
  /** Keywords that must be set. */
  readonly keyword?: string | readonly string[];
  /** Keywords that must not be set. */
  readonly unkeyword?: string | readonly string[];
  /** From header contains. */
  readonly from?: string;
  /** To header contains. */
  readonly to?: string;
  /** Cc header contains. */
  readonly cc?: string;
  /** Bcc header contains. */
  readonly bcc?: string;
  /** Subject contains. */
  readonly subject?: string;
  /** Body contains. */
  readonly body?: string;
  /** Header or body contains. */
  readonly text?: string;
  /**
   * Header fields that must contain a value (empty value: the field must exist). The names are
   * RFC 5322 field names (printable ASCII, no space or colon); others are refused.
   */
  readonly header?: Readonly<Record<string, string>>;
  /** Internal date on or after this day (UTC calendar day). */
  readonly since?: Date;
  /** Internal date before this day. */
  readonly before?: Date;
  /** Internal date on this day. */
  readonly on?: Date;
  /** Date header on or after this day. */
  readonly sentSince?: Date;
  /** Date header before this day. */
  readonly sentBefore?: Date;
  /** Date header on this day. */
  readonly sentOn?: Date;
  /**
   * RFC822.SIZE larger than this many octets: a whole number from 0 to 2^32-1, or to 2^63-1 when
   * the session uses IMAP4rev2 (see {@link SearchOptions.imap4rev2}); a bigint past 2^53-1.
   */
  readonly larger?: number | bigint;
  /** RFC822.SIZE smaller than this many octets: the same range as {@link SearchQuery.larger}. */
  readonly smaller?: number | bigint;
  /**
   * UIDs in this set. Sent whole, never in parts as `limits.maxSetLength` has other commands do:
   * SEARCH criteria cannot be split without changing what they mean.
   */
  readonly uid?: SequenceSet<Uid>;
  /** Sequence numbers in this set (sent whole, as `uid` is). */
  readonly seq?: SequenceSet<SeqNum>;
  /** MODSEQ at least this (RFC 7162 CONDSTORE; see {@link SearchOptions.condstore}). */
  readonly modseq?: bigint;
  /** Internal date at most this many seconds ago (RFC 5032 WITHIN; see {@link SearchOptions.within}). */
  readonly youngerThan?: number;
  /** Internal date at least this many seconds ago (RFC 5032 WITHIN; see {@link SearchOptions.within}). */
  readonly olderThan?: number;
  /** All of these must match (useful to repeat a field). */
  readonly and?: readonly SearchQuery[];
  /** At least one of these must match (two or more). */
  readonly or?: readonly SearchQuery[];
  /** This must not match. */
  readonly not?: SearchQuery;
}

/** Options for encoding a search: what the server allows (charset, UTF8=ACCEPT, CONDSTORE). */
export interface SearchOptions {
  /** UTF8=ACCEPT is enabled: UTF-8 text needs no CHARSET (RFC 6855 forbids it then). */
  readonly utf8Accept?: boolean;
  /**
   * Whether the server offers CONDSTORE (or QRESYNC, which implies it). When false, a `modseq` key
   * is refused with UnsupportedError, since the server would answer BAD. Default: not checked.
   */
  readonly condstore?: boolean;
  /**
   * Whether the server offers WITHIN (RFC 5032). When false, a `youngerThan` or `olderThan` key is
   * refused with UnsupportedError, since the server would answer BAD. Default: not checked.
   */
  readonly within?: boolean;
  /**
   * The session uses IMAP4rev2 (enabled, or the server speaks nothing else): `larger` and
   * `smaller` may then reach 2^63-1 (RFC 9051 number64) rather than 2^32-1. Default false.
   */
  readonly imap4rev2?: boolean;
}

/** What the encoding learns and needs on its way through the query. */
interface EncodeState {
  /** Some text is not ASCII: `CHARSET UTF-8` goes in front (without UTF8=ACCEPT). */
  nonAscii: boolean;
  readonly options: SearchOptions;
}

const FLAG_KEYS = [
  ['seen', 'SEEN', 'UNSEEN'],
  ['answered', 'ANSWERED', 'UNANSWERED'],
  ['flagged', 'FLAGGED', 'UNFLAGGED'],
  ['deleted', 'DELETED', 'UNDELETED'],
  ['draft', 'DRAFT', 'UNDRAFT'],
] as const;

const TEXT_KEYS = [
  ['from', 'FROM'], ['to', 'TO'], ['cc', 'CC'], ['bcc', 'BCC'], ['subject', 'SUBJECT'], ['body', 'BODY'], ['text', 'TEXT'],
] as const;

const DATE_KEYS = [
  ['since', 'SINCE'], ['before', 'BEFORE'], ['on', 'ON'],
  ['sentSince', 'SENTSINCE'], ['sentBefore', 'SENTBEFORE'], ['sentOn', 'SENTON'],
] as const;

/**
 * Turns a query into SEARCH arguments, with `CHARSET UTF-8` in front when a string is not ASCII
 * (and UTF8=ACCEPT is not enabled).
 *
 * @param query - the criteria.
 * @param options - session state.
 * @returns the arguments that follow `SEARCH` (or `UID SEARCH`), for the command encoder.
 * @throws InvalidArgumentError for an `or` with fewer than two alternatives, bad numbers (sizes
 *   outside 0..2^32-1, or 0..2^63-1 under IMAP4rev2, WITHIN intervals outside 1..2^32-1, MODSEQ past 2^63-1),
 *   or a value of the wrong type (a date that is no Date, a `uid` that is no SequenceSet...); UnsupportedError
 *   for a `modseq` key when `options.condstore` is false, and for `youngerThan` or `olderThan`
 *   when `options.within` is false.
 */
export function buildSearchCriteria(query: SearchQuery, options: SearchOptions = {}): CommandArg[] {
  const state: EncodeState = { nonAscii: false, options };
  const keys = searchKeys(query, state);
  const args = keys.length === 0 ? [atom('ALL')] : keys;
  return state.nonAscii && options.utf8Accept !== true ? [atom('CHARSET'), atom('UTF-8'), ...args] : args;
}

/*
 * search-key      = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date / "BODY" SP astring /
 *                   "CC" SP astring / "DELETED" / "FLAGGED" / "FROM" SP astring / "KEYWORD" SP flag-keyword /
 *                   "ON" SP date / "SEEN" / "SINCE" SP date / "SUBJECT" SP astring / "TEXT" SP astring /
 *                   "TO" SP astring / "UNANSWERED" / "UNDELETED" / "UNFLAGGED" / "UNKEYWORD" SP flag-keyword /
 *                   "UNSEEN" / "DRAFT" / "HEADER" SP header-fld-name SP astring / "LARGER" SP number64 /
 *                   "NOT" SP search-key / "OR" SP search-key SP search-key / "SENTBEFORE" SP date /
 *                   "SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number64 / "UID" SP sequence-set /
 *                   "UNDRAFT" / sequence-set / "(" search-key *(SP search-key) ")"
 */
/*
 * flag-keyword    = "$MDNSent" / "$Forwarded" / "$Junk" / "$NotJunk" / "$Phishing" / atom
 * A system flag (`\Seen`) is no keyword: its own key (`seen: true`) asks for it.
 */
function keyword(value: string): CommandArg {
  expectType(typeof value === 'string', 'a keyword', 'a string', value);
  if (value.startsWith('\\')) {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is a system flag, not a keyword: use its own key (seen, flagged, answered, deleted, draft)`);
  }
  return flag(value);
}

/* RFC 5032: "OLDER" SP nz-number / "YOUNGER" SP nz-number */
function seconds(value: number, what: string, state: EncodeState): CommandArg {
  if (state.options.within === false) throw new UnsupportedError(`The search key ${what} (${what === 'youngerThan' ? 'YOUNGER' : 'OLDER'}) needs WITHIN, which the server does not offer`);
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new InvalidArgumentError(`${what} must be a whole number of seconds from 1 to 4294967295, got ${value}`);
  }
  return num(value);
}

/*
 * "HEADER" SP header-fld-name SP astring; header-fld-name = astring, a field name of RFC 5322
 * (1*ftext: printable US-ASCII except ":"), quoted by the encoder when it is no atom.
 */
function headerName(name: string): CommandArg {
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new InvalidArgumentError(`Not a header field name: ${JSON.stringify(name)}`);
  return astring(name);
}

/** number (RFC 3501 section 9): 32-bit unsigned. */
const MAX_NUMBER = 0xffffffffn;
/** number64 (RFC 9051 section 9): 63-bit, as a signed 64-bit integer holds it (as mod-sequences). */
const MAX_NUMBER64 = MAX_MOD_SEQUENCE;

/*
 * "LARGER" SP number / "SMALLER" SP number (RFC 3501); "LARGER" SP number64 / "SMALLER" SP number64
 * (RFC 9051). A server that speaks IMAP4rev1 refuses more than 32 bits, so the wider range waits
 * for IMAP4rev2 to be in use. A number past 2^53-1 is no longer exact: a bigint is needed there.
 */
function octets(value: number | bigint, what: string, number64: boolean): CommandArg {
  const max = number64 ? MAX_NUMBER64 : MAX_NUMBER;
  const whole = typeof value === 'bigint' || Number.isSafeInteger(value);
  if (!whole || value < 0 || BigInt(value) > max) {
    throw new InvalidArgumentError(`${what} must be a whole number of octets from 0 to ${max} (a bigint past 2^53-1), got ${String(value)}`);
  }
  return num(value);
}

function searchKeys(query: SearchQuery, state: EncodeState): CommandArg[] {
  expectType(isRecord(query), 'A search query', 'an object', query);
  const out: CommandArg[] = [];
  const text = (value: string, what: string): CommandArg => {
    expectType(typeof value === 'string', what, 'a string', value);
    if (!isAscii(value)) {
      // Checked here too, not only by the encoder, so the error names the search key.
      checkUtf8Text(value, what);
      state.nonAscii = true;
    }
    return value.length === 0 ? str(value) : astring(value);
  };
  if (query.all !== undefined) {
    expectType((query.all as unknown) === true, 'all', 'true', query.all);
    out.push(atom('ALL'));
  }
  for (const [key, yes, no] of FLAG_KEYS) {
    const value = query[key];
    if (value === undefined) continue;
    expectType(typeof value === 'boolean', key, 'a boolean', value);
    out.push(atom(value ? yes : no));
  }
  for (const value of asArray(query.keyword, 'keyword')) out.push(atom('KEYWORD'), keyword(value));
  for (const value of asArray(query.unkeyword, 'unkeyword')) out.push(atom('UNKEYWORD'), keyword(value));
  for (const [key, name] of TEXT_KEYS) {
    const value = query[key];
    if (value !== undefined) out.push(atom(name), text(value, key));
  }
  if (query.header !== undefined) {
    expectType(isRecord(query.header), 'header', 'an object of field names and values', query.header);
    for (const [name, value] of Object.entries(query.header)) out.push(atom('HEADER'), headerName(name), text(value, `header ${name}`));
  }
  for (const [key, name] of DATE_KEYS) {
    const value = query[key];
    if (value === undefined) continue;
    expectType(isDate(value), key, 'a Date', value);
    out.push(atom(name), date(value));
  }
  const number64 = state.options.imap4rev2 === true;
  if (query.larger !== undefined) out.push(atom('LARGER'), octets(query.larger, 'larger', number64));
  if (query.smaller !== undefined) out.push(atom('SMALLER'), octets(query.smaller, 'smaller', number64));
  if (query.youngerThan !== undefined) out.push(atom('YOUNGER'), seconds(query.youngerThan, 'youngerThan', state));
  if (query.olderThan !== undefined) out.push(atom('OLDER'), seconds(query.olderThan, 'olderThan', state));
  if (query.uid !== undefined) out.push(atom('UID'), sequenceSet(asSequenceSet(query.uid, 'uid')));
  if (query.seq !== undefined) out.push(sequenceSet(asSequenceSet(query.seq, 'seq')));
  if (query.modseq !== undefined) {
    if (state.options.condstore === false) throw new UnsupportedError('The search key modseq (MODSEQ) needs CONDSTORE, which the server does not offer');
    out.push(atom('MODSEQ'), modSequence(query.modseq));
  }
  if (query.and !== undefined) {
    expectType(isList(query.and), 'and', 'an array of queries', query.and);
    for (const sub of query.and) out.push(...searchKeys(sub, state));
  }
  if (query.not !== undefined) out.push(atom('NOT'), group(searchKeys(query.not, state)));
  if (query.or !== undefined) out.push(orOf(query.or, state));
  return out;
}

/* "OR" SP search-key SP search-key, folded to the right for more than two alternatives */
function orOf(alternatives: readonly SearchQuery[], state: EncodeState): CommandArg {
  expectType(isList(alternatives), 'or', 'an array of queries', alternatives);
  if (alternatives.length < 2) throw new InvalidArgumentError('A search "or" needs at least two alternatives');
  const [first, ...rest] = alternatives;
  const right = rest.length === 1 ? group(searchKeys(rest[0]!, state)) : orOf(rest, state);
  return { kind: 'concat', items: [atom('OR'), { kind: 'raw', text: ' ' }, group(searchKeys(first!, state)), { kind: 'raw', text: ' ' }, right] };
}

/** One search-key: a single key as is, several in parentheses, none as ALL. */
function group(keys: CommandArg[]): CommandArg {
  if (keys.length === 0) return atom('ALL');
  if (keys.length === 1) return keys[0]!;
  // A key with an argument ("FROM x") is two args: parenthesize unless it is exactly one key.
  return keys.length === 2 && takesArgument(keys[0]!) ? { kind: 'concat', items: [keys[0]!, { kind: 'raw', text: ' ' }, keys[1]!] } : list(...keys);
}

const ONE_ARGUMENT = new Set(['KEYWORD', 'UNKEYWORD', 'FROM', 'TO', 'CC', 'BCC', 'SUBJECT', 'BODY', 'TEXT', 'SINCE', 'BEFORE',
  'ON', 'SENTSINCE', 'SENTBEFORE', 'SENTON', 'LARGER', 'SMALLER', 'YOUNGER', 'OLDER', 'UID', 'MODSEQ', 'NOT']);

function takesArgument(arg: CommandArg): boolean {
  return arg.kind === 'atom' && ONE_ARGUMENT.has(arg.value);
}

/*
 * The types say what each key takes, but JavaScript callers and queries read from JSON get past
 * them: a wrong value is refused by name rather than sent wrongly (a string `uid` went on the line
 * as it was) or failing deep inside with a TypeError.
 */
function expectType(ok: boolean, what: string, expected: string, value: unknown): void {
  if (!ok) throw new InvalidArgumentError(`${what} must be ${expected}, got ${describeValue(value)}`);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
}

/* Not `instanceof`: a Date made in another realm (a vm context, a test environment) is a Date too. */
function isDate(value: unknown): boolean {
  return Object.prototype.toString.call(value) === '[object Date]';
}

function isList(value: unknown): boolean {
  return Array.isArray(value);
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSequenceSet<N extends number>(value: SequenceSet<N>, what: string): SequenceSet<N> {
  expectType(value instanceof SequenceSet, what, 'a SequenceSet (SequenceSet.uids, SequenceSet.seqNums or SequenceSet.parse)', value);
  return value;
}

function asArray(value: string | readonly string[] | undefined, what: string): readonly string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  expectType(isList(value), what, 'a string or an array of strings', value);
  return value;
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}
