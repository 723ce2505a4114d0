/**
 * SEARCH and UID SEARCH (RFC 9051 section 6.4.4) with the typed criteria of
 * {@link buildSearchCriteria} (CHARSET UTF-8 added for non-ASCII text), and ESEARCH result options
 * (RFC 4731 `RETURN (MIN MAX COUNT ALL)`) where offered, computed locally where not.
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, ProtocolError, type MailwireError } from '../../common/errors.js';
import type { ImapCallOptions, ImapSession } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { atom, list } from '../wire/command-args.js';
import type { ESearchResponse } from '../wire/response-types.js';
import type { SearchQuery } from '../wire/search.js';
import { buildSearchCriteria } from '../wire/search.js';
import type { SeqNum, Uid } from '../wire/sequence-set.js';
import { SequenceSet } from '../wire/sequence-set.js';
import { imap4rev2InUse, utf8Enabled } from './mailboxes.js';
import { expandRanges, offersCondstore, selectedKnownEmpty } from './store.js';

/** An ESEARCH result option (RFC 4731). */
export type SearchReturn = 'MIN' | 'MAX' | 'COUNT' | 'ALL';

/** Options of {@link ImapClient.searchSummary}. */
export interface SearchSummaryOptions extends ImapCallOptions {
  /** Report sequence numbers (SEARCH) instead of UIDs (UID SEARCH, the default). */
  readonly bySequence?: boolean | undefined;
}

/** What {@link ImapClient.searchSummary} returns; each field is set only when asked for. */
export interface SearchSummary<N extends number> {
  /** The lowest match (MIN), or undefined when nothing matched or it was not asked for. */
  readonly min: N | undefined;
  /** The highest match (MAX), or undefined. */
  readonly max: N | undefined;
  /** The number of matches (COUNT), or undefined when not asked for. */
  readonly count: number | undefined;
  /** Every match as a compact set (ALL), or undefined when nothing matched or not asked for. */
  readonly all: SequenceSet<N> | undefined;
  /** The highest MODSEQ of the matches, when the query used MODSEQ (RFC 7162), or undefined. */
  readonly modseq: bigint | undefined;
}

const SEARCH_RETURNS: readonly SearchReturn[] = ['MIN', 'MAX', 'COUNT', 'ALL'];

/*
 * search-return-opt = "MIN" / "MAX" / "ALL" / "COUNT" / search-return-opt-ext     (RFC 4731)
 * The four this module reads, as named: from JavaScript, `count` went out and its answer was
 * dropped, and an extension (SAVE) would be answered with data nobody reads.
 */
function checkReturns(returns: readonly SearchReturn[]): void {
  const given: unknown = returns;
  if (!Array.isArray(given) || !given.every((item) => SEARCH_RETURNS.includes(item as SearchReturn))) {
    throw new InvalidArgumentError(`Search result options are an array of ${SEARCH_RETURNS.join(', ')} (empty for all four)`);
  }
}

/** The largest result expanded into an array; a larger one (a broken server) is refused. */
const MAX_RESULTS = 10_000_000;

/**
 * Searches the selected mailbox (UID SEARCH) and returns the UIDs of the matching messages.
 *
 * @example
 * ```ts
 * const uids = await client.search({ seen: false, since: new Date('2026-11-01') });
 * const greetings = await client.search({ or: [{ subject: 'Grüße' }, { from: 'anna@example.com' }] });
 * ```
 * @param session - the client; a mailbox must be selected.
 * @param query - the criteria (an empty query matches every message).
 * @param options - signal, timeout.
 * @returns the UIDs, ascending, each once (whatever order and repeats the server sent).
 * @throws ServerError when refused (responseCode `BADCHARSET` when the server lacks UTF-8);
 *   UnsupportedError, before anything is sent, for a `modseq` key without CONDSTORE, or a
 *   `youngerThan` or `olderThan` key without WITHIN;
 *   InvalidArgumentError, before anything is sent, for bad criteria (a `larger` or `smaller` past
 *   2^32-1 unless IMAP4rev2 is in use, then past 2^63-1).
 */
export async function search(session: ImapSession, query: SearchQuery, options: ImapCallOptions = {}): Promise<Uid[]> {
  return (await runSearch(session, query, true, null, options)).ids as Uid[];
}

/**
 * Searches the selected mailbox (SEARCH) and returns the sequence numbers of the matches. Prefer
 * {@link ImapClient.search}: sequence numbers change when messages are expunged.
 *
 * @param session - the client; a mailbox must be selected.
 * @param query - the criteria.
 * @param options - signal, timeout.
 * @returns the sequence numbers, ascending, each once.
 */
export async function searchSeq(session: ImapSession, query: SearchQuery, options: ImapCallOptions = {}): Promise<SeqNum[]> {
  return (await runSearch(session, query, false, null, options)).ids as SeqNum[];
}

/**
 * Searches and returns only MIN, MAX, COUNT and/or ALL: one ESEARCH command when the server offers
 * ESEARCH (RFC 4731), else a plain search whose results are summarised here.
 *
 * @example
 * ```ts
 * const { count, max } = await client.searchSummary({ seen: false }, ['COUNT', 'MAX']);
 * ```
 * @param session - the client; a mailbox must be selected.
 * @param query - the criteria.
 * @param returns - the result options wanted (all four when empty).
 * @param options - `bySequence`, signal, timeout.
 * @returns the summary.
 * @throws InvalidArgumentError, before anything is sent, when `returns` is not an array of `MIN`,
 *   `MAX`, `COUNT` and `ALL`, or for bad criteria (as {@link search}).
 */
export function searchSummary(
  session: ImapSession,
  query: SearchQuery,
  returns: readonly SearchReturn[],
  options?: SearchSummaryOptions & { readonly bySequence?: false | undefined },
): Promise<SearchSummary<Uid>>;
export function searchSummary(
  session: ImapSession,
  query: SearchQuery,
  returns: readonly SearchReturn[],
  options: SearchSummaryOptions & { readonly bySequence: true },
): Promise<SearchSummary<SeqNum>>;
export async function searchSummary(
  session: ImapSession,
  query: SearchQuery,
  returns: readonly SearchReturn[],
  options: SearchSummaryOptions = {},
): Promise<SearchSummary<number>> {
  checkReturns(returns);
  const wanted = new Set<SearchReturn>(returns.length === 0 ? SEARCH_RETURNS : returns);
  const byUid = options.bySequence !== true;
  const outcome = await runSearch(session, query, byUid, wanted, options);
  if (outcome.esearch !== null && outcome.summarised) {
    const found = outcome.esearch;
    return {
      min: wanted.has('MIN') ? (found.min ?? undefined) : undefined,
      max: wanted.has('MAX') ? (found.max ?? undefined) : undefined,
      count: wanted.has('COUNT') ? (found.count ?? 0) : undefined,
      all: wanted.has('ALL') && found.all !== null && found.all.length > 0 ? SequenceSet.from(found.all) : undefined,
      modseq: found.modseq ?? undefined,
    };
  }
  const ids = outcome.ids;
  let min: number | undefined;
  let max: number | undefined;
  for (const id of ids) {
    if (min === undefined || id < min) min = id;
    if (max === undefined || id > max) max = id;
  }
  return {
    min: wanted.has('MIN') ? min : undefined,
    max: wanted.has('MAX') ? max : undefined,
    count: wanted.has('COUNT') ? ids.length : undefined,
    all: wanted.has('ALL') && ids.length > 0 ? SequenceSet.from(ids) : undefined,
    modseq: outcome.modseq,
  };
}

interface SearchOutcome {
  /** The matches, expanded (empty for a summarised ESEARCH). */
  readonly ids: number[];
  /** The ESEARCH response, when the server answered with one. */
  readonly esearch: ESearchResponse | null;
  /** True when `RETURN (...)` was sent, so `esearch` holds a summary rather than ALL. */
  readonly summarised: boolean;
  readonly modseq: bigint | undefined;
}

/**
 * The searches of this module in flight, per session. ESEARCH answers carry their command's tag
 * (RFC 4731 `(TAG "A5")`) but a command does not know its tag before it completes, so any of our
 * searches takes a tagged ESEARCH, files it here, and each looks its own up in `done`.
 */
interface SearchRegistry {
  readonly inFlight: Set<object>;
  readonly byTag: Map<string, ESearchResponse>;
}

const registries = new WeakMap<ImapSession, SearchRegistry>();

function registryOf(session: ImapSession): SearchRegistry {
  let registry = registries.get(session);
  if (registry === undefined) {
    registry = { inFlight: new Set(), byTag: new Map() };
    registries.set(session, registry);
  }
  return registry;
}

async function runSearch(
  session: ImapSession,
  query: SearchQuery,
  byUid: boolean,
  summary: ReadonlySet<SearchReturn> | null,
  options: ImapCallOptions,
): Promise<SearchOutcome> {
  const esearchOffered = session.hasCapability('ESEARCH') || session.hasCapability('IMAP4REV2');
  const prefix: CommandArg[] = [];
  // A full result goes as RETURN (ALL) too where offered: a compact set instead of every number.
  const returns = summary === null ? ['ALL'] : [...summary];
  if (esearchOffered) prefix.push(atom('RETURN'), list(...returns.map((item) => atom(item))));
  // Built (and checked) now; whether `CHARSET UTF-8` goes in front is decided when the command is
  // written: a search queued behind ENABLE UTF8=ACCEPT is written after its OK, when RFC 6855
  // section 3 forbids the charset (and a server that enabled nothing still needs it). Sizes are
  // checked against the IMAP4rev2 range only once it is in use (not behind an ENABLE in flight).
  const withCharset = buildSearchCriteria(query, {
    condstore: offersCondstore(session),
    within: session.hasCapability('WITHIN'),
    imap4rev2: imap4rev2InUse(session),
  });
  // Sequence numbers in an empty mailbox name no message, and a server may answer BAD to them
  // (RFC 9051 section 9, seq-number): nothing can match, so nothing is sent, as for FETCH. A
  // search without them is still sent, and may find messages the server has not announced yet.
  if (hasSeqKey(query) && selectedKnownEmpty(session)) return { ids: [], esearch: null, summarised: false, modseq: undefined };
  const charset = withCharset[0]?.kind === 'atom' && withCharset[0].value === 'CHARSET';
  const withoutCharset = charset ? withCharset.slice(2) : withCharset;

  const registry = registryOf(session);
  const token = {};
  const ids: number[] = [];
  let modseq: bigint | undefined;
  let esearch: ESearchResponse | null = null;
  let answered = false;
  /** An answer of ours the parser could not read: the search fails rather than miss its matches. */
  let unreadable: MailwireError | undefined;
  registry.inFlight.add(token);
  try {
    await session.run(
      {
        name: byUid ? 'UID SEARCH' : 'SEARCH',
        get args() {
          return [...prefix, ...(utf8Enabled(session) ? withoutCharset : withCharset)];
        },
        states: ['selected'],
        untagged: (response) => {
          // Pipelined searches answer in order, one SEARCH line each: take the first one, or
          // every one when no other search of ours is waiting for its own.
          const alone = registry.inFlight.size === 1;
          if (response.kind === 'search') {
            if (answered && !alone) return false;
            answered = true;
            for (const id of response.ids) ids.push(id);
            if (response.modseq !== null) modseq = response.modseq;
            return true;
          }
          if (response.kind === 'esearch') {
            if (response.tag !== null) {
              registry.byTag.set(response.tag, response);
              return true;
            }
            if (answered && !alone) return false;
            answered = true;
            esearch = response;
            return true;
          }
          return false;
        },
        unreadableUntagged: (error, name) => {
          // As with a readable one: the first unreadable answer is ours unless another search waits.
          if ((name !== 'SEARCH' && name !== 'ESEARCH') || (answered && registry.inFlight.size > 1)) return false;
          answered = true;
          unreadable ??= error;
          return true;
        },
        done: (response) => {
          if (unreadable !== undefined) throw unreadable;
          const tagged = registry.byTag.get(response.tag);
          if (tagged !== undefined) {
            registry.byTag.delete(response.tag);
            esearch = tagged;
          }
          return undefined;
        },
      },
      options,
    );
  } finally {
    registry.inFlight.delete(token);
    if (registry.inFlight.size === 0) registry.byTag.clear();
  }
  const found = esearch as ESearchResponse | null;
  if (found === null) return { ids: ascendingUnique(ids), esearch: null, summarised: false, modseq };
  if (found.all !== null && summary === null) {
    const expanded = expandRanges(found.all, MAX_RESULTS);
    if (expanded === null) throw new ProtocolError(`ESEARCH ALL holds more than ${MAX_RESULTS} messages`);
    for (const id of expanded) ids.push(id);
  }
  return { ids: ascendingUnique(ids), esearch: found, summarised: summary !== null && esearchOffered, modseq: found.modseq ?? modseq };
}

/** Whether the query has a sequence-number key (`seq`) at any depth; asked of a checked query. */
function hasSeqKey(query: SearchQuery): boolean {
  return query.seq !== undefined || query.and?.some(hasSeqKey) === true || query.or?.some(hasSeqKey) === true || (query.not !== undefined && hasSeqKey(query.not));
}

/**
 * The matches ascending, each once, as imapflow and MailKit return them: RFC 9051 promises no
 * order for SEARCH, and servers have repeated a number (`* SEARCH 3 3`) or sent overlapping ranges
 * (`ALL 1:3,2:4`). Sorted in place, and only when they are not ascending already (the usual case).
 */
function ascendingUnique(ids: number[]): number[] {
  let ascending = true;
  for (let index = 1; index < ids.length && ascending; index++) ascending = ids[index]! > ids[index - 1]!;
  if (ascending) return ids;
  ids.sort((a, b) => a - b);
  let length = 0;
  for (const id of ids) if (length === 0 || ids[length - 1] !== id) ids[length++] = id;
  ids.length = length;
  return ids;
}
