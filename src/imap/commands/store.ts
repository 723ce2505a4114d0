/**
 * STORE and UID STORE (RFC 9051 section 6.4.6): add, remove or replace flags, optionally silent,
 * optionally conditional (`UNCHANGEDSINCE`, RFC 7162 CONDSTORE). Also the message-set helpers the
 * other message command families share.
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, MailwireError, ServerError, UnsupportedError } from '../../common/errors.js';
import { callSteps } from '../../common/options.js';
import type { ImapCallOptions, ImapCommand, ImapSession } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { atom, flag, list, modSequence, sequenceSet } from '../wire/command-args.js';
import { parseUidSetText } from '../wire/response-code.js';
import type { FetchResponse, NumberRange } from '../wire/response-types.js';
import type { SeqNum, SequenceInput, Uid } from '../wire/sequence-set.js';
import { SequenceSet } from '../wire/sequence-set.js';
import { rangeCount } from '../routing.js';

/**
 * Which messages a command acts on. UIDs are the default: a {@link SequenceSet} of UIDs, one UID,
 * an array of UIDs or UID ranges, or wire text such as `'1:*'`. Sequence numbers must be asked for
 * explicitly with `{ seq: ... }`, so the two can never be mixed up. (The same shapes as
 * `FetchSet`.)
 *
 * @example
 * ```ts
 * await client.store([uid(4), uid(7)], 'add', ['\\Seen']);          // UID STORE 4,7 +FLAGS (\Seen)
 * await client.store('1:*', 'remove', ['\\Flagged']);                // UID STORE 1:* -FLAGS (\Flagged)
 * await client.store({ seq: [seqNum(1)] }, 'add', ['\\Seen']);        // STORE 1 +FLAGS (\Seen)
 * ```
 */
export type MessageSelector =
  | SequenceSet<Uid>
  | Uid
  | readonly SequenceInput<Uid>[]
  | string
  | { readonly seq: SequenceSet<SeqNum> | SeqNum | readonly SequenceInput<SeqNum>[] | string };

/**
 * A {@link MessageSelector} resolved: the set, and whether it holds UIDs.
 *
 * @internal
 */
export interface ResolvedSelector {
  /** True for UIDs (the `UID` form of the command). */
  readonly byUid: boolean;
  /** The numbers. */
  readonly set: SequenceSet;
}

/**
 * Resolves a selector to a set and its kind.
 *
 * @param selector - what the caller passed.
 * @returns the set and whether it holds UIDs.
 * @throws InvalidArgumentError for an empty set, bad text or an out-of-range number.
 * @internal
 */
export function resolveSelector(selector: MessageSelector): ResolvedSelector {
  if (typeof selector === 'object' && !Array.isArray(selector) && 'seq' in selector) {
    return { byUid: false, set: toSet(selector.seq) };
  }
  return { byUid: true, set: toSet(selector as SequenceSet<Uid> | Uid | readonly SequenceInput<Uid>[] | string) };
}

function toSet(input: SequenceSet | number | readonly SequenceInput<number>[] | string): SequenceSet {
  if (input instanceof SequenceSet) return input;
  if (typeof input === 'number') return SequenceSet.from([input]);
  if (typeof input === 'string') {
    try {
      return SequenceSet.parse(input);
    } catch (error) {
      throw new InvalidArgumentError(`Not a sequence set: ${JSON.stringify(input)}`, { cause: error });
    }
  }
  return SequenceSet.from(input);
}

/**
 * Whether a set names no message of the selected mailbox for certain: sequence numbers while the
 * mailbox is known to be empty (EXISTS 0) and no SELECT or EXAMINE is pending. There `*` is an error and any number is beyond the last
 * message (RFC 9051 section 9, seq-number), so a server answers BAD: the calls return their empty
 * result without sending a command instead. UIDs are always sent (`*` is then UIDNEXT).
 *
 * @internal
 */
export function namesNoMessage(session: ImapSession, selector: ResolvedSelector): boolean {
  return !selector.byUid && selectedKnownEmpty(session);
}

/**
 * Whether the selected mailbox is known to be empty (EXISTS 0) for the command called now.
 *
 * @internal
 */
export function selectedKnownEmpty(session: ImapSession): boolean {
  // A SELECT not settled yet may open another mailbox, the one the command will then act on.
  return session.state === 'selected' && session.selectPending !== true && session.mailbox?.exists === 0;
}

/**
 * The default of `limits.maxSetLength`, in bytes: with the command's name and other arguments,
 * the line stays under the 8,192 octets RFC 7162 section 4 recommends.
 *
 * @internal
 */
export const DEFAULT_MAX_SET_LENGTH = 8000;

/**
 * Runs a command once per part of a set too long for one command (`limits.maxSetLength`), one
 * part after another, so that the caller sees one call. The first failure rejects and the parts
 * after it are not sent; those already done stay done (the whole is not atomic). The timeout
 * counts from the call, for all the parts together.
 *
 * A set ending in `n:*` has that range resolved first (see {@link messagesNamedByStar}): `*` is
 * the last message when each part is sent, which a part before may have moved or expunged, and
 * `n:*` names the last message even below `n`, so it could name a message the caller never named,
 * or one an earlier part named too.
 *
 * @param selector - the whole set, and whether it holds UIDs.
 * @param run - sends the command for one part.
 * @returns the parts' results, in the order sent.
 * @internal
 */
export async function runInParts<T, O extends ImapCallOptions>(
  session: ImapSession,
  selector: ResolvedSelector,
  options: O,
  run: (part: SequenceSet, options: O) => Promise<T>,
): Promise<T[]> {
  const maxLength = session.maxSetLength ?? DEFAULT_MAX_SET_LENGTH;
  const { set } = selector;
  let parts = set.split(maxLength);
  if (parts.length === 1) return [await run(set, options)];
  const step = callSteps(options);
  const star = set.ranges.at(-1)!;
  if (star.end === '*') {
    const named = await messagesNamedByStar(session, SequenceSet.from([star]), selector.byUid, step());
    parts = SequenceSet.from([...set.ranges.slice(0, -1), ...named]).split(maxLength);
  }
  const results: T[] = [];
  for (const part of parts) results.push(await run(part, step()));
  return results;
}

/**
 * Runs a command whose untagged data is its caller's only while the call lasts. A call aborted or
 * timed out leaves its command in flight on the server; what the server then reports (expunges,
 * flag changes) is no longer taken by the command, whose result nobody will read, but goes to the
 * event stream, so that a reader of events does not lose it.
 *
 * @internal
 */
export async function runWhileAwaited<T>(session: ImapSession, command: ImapCommand<T>, options: ImapCallOptions): Promise<T> {
  let awaited = true;
  try {
    return await session.run(
      command.untagged === undefined ? command : { ...command, untagged: (response, context) => awaited && command.untagged!(response, context) },
      options,
    );
  } finally {
    awaited = false;
  }
}

/**
 * The numbers (UIDs or sequence numbers) of the messages a set's `n:*` or `*` range names now:
 * `UID FETCH n:* (UID)`, or `FETCH`. Unsolicited FETCH responses (flags changed elsewhere) are
 * left to the event stream.
 */
async function messagesNamedByStar(session: ImapSession, star: SequenceSet, byUid: boolean, options: ImapCallOptions): Promise<number[]> {
  const named: number[] = [];
  await session.run(
    {
      name: byUid ? 'UID FETCH' : 'FETCH',
      args: [sequenceSet(star), list(atom('UID'))],
      states: ['selected'],
      untagged: (response) => {
        if (response.kind !== 'fetch' || !fetchIsFor(response, { byUid, set: star }, session.mailbox?.exists)) return false;
        named.push(byUid ? response.attributes.uid! : response.seq);
        return true;
      },
      done: () => undefined,
    },
    options,
  );
  return named;
}

/**
 * Expands server-sent ranges (COPYUID, ESEARCH ALL) into numbers, refusing more than `max` of
 * them so that a hostile `1:4294967295` cannot exhaust memory. A descending range (COPYUID keeps
 * the server's order) is expanded downwards.
 *
 * @returns the numbers in order, or null when there are more than `max`.
 * @internal
 */
export function expandRanges(ranges: readonly NumberRange[], max: number): number[] | null {
  if (rangeCount(ranges) > max) return null;
  const out: number[] = [];
  for (const { start, end } of ranges) {
    if (start <= end) for (let value = start; value <= end; value++) out.push(value);
    else for (let value = start; value >= end; value--) out.push(value);
  }
  return out;
}

/**
 * Tells whether a FETCH response is about a message of the set (by UID for the UID form, which
 * RFC 9051 section 6.4.9 says such responses carry; by sequence number otherwise).
 *
 * @param lastSeq - the number of messages in the mailbox (`session.mailbox.exists`), for `*`.
 * @internal
 */
export function fetchIsFor(response: FetchResponse, selector: ResolvedSelector, lastSeq: number | undefined): boolean {
  const value = selector.byUid ? response.attributes.uid : response.seq;
  return value !== undefined && namesMessage(selector.set, value, response.seq, lastSeq);
}

/**
 * Whether the set names the message with this number (UID or sequence number) and sequence
 * number: the number is in the set, or the set has `*` and this is the last message. `*` is the
 * largest number in use (RFC 9051 section 6.4.9), the last message's for UIDs too since UIDs
 * ascend with sequence numbers, so `559:*` names the last message even when every number in use
 * is below 559.
 *
 * @param lastSeq - the number of messages in the mailbox, when known.
 * @internal
 */
export function namesMessage(set: SequenceSet, value: number, seq: number, lastSeq: number | undefined): boolean {
  if (set.has(value)) return true;
  if (seq !== lastSeq) return false;
  for (const range of set.ranges) if (range.end === '*') return true;
  return false;
}

/**
 * Whether the server offers CONDSTORE, or QRESYNC, which implies it (RFC 7162 section 3.2).
 *
 * @internal
 */
export function offersCondstore(session: Pick<ImapSession, 'hasCapability'>): boolean {
  return session.hasCapability('CONDSTORE') || session.hasCapability('QRESYNC');
}

/**
 * Refuses an option that needs CONDSTORE before anything is sent, when the server offers neither
 * it nor QRESYNC: the server would answer BAD.
 *
 * @param what - the option, as the caller names it (and the wire, in parentheses).
 * @throws UnsupportedError naming CONDSTORE.
 * @internal
 */
export function requireCondstore(session: Pick<ImapSession, 'hasCapability'>, what: string): void {
  if (!offersCondstore(session)) throw new UnsupportedError(`${what} needs CONDSTORE, which the server does not offer`);
}

/** How STORE changes the flags: `add` (+FLAGS), `remove` (-FLAGS) or `set` (FLAGS). */
export type StoreOperation = 'add' | 'remove' | 'set';

/* store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag))) */
const STORE_PREFIXES: ReadonlyMap<unknown, string> = new Map<StoreOperation, string>([['add', '+'], ['remove', '-'], ['set', '']]);

/** Options of {@link ImapClient.store}. */
export interface StoreOptions extends ImapCallOptions {
  /** `.SILENT`: the server does not echo the new flags (the result is then usually empty). */
  readonly silent?: boolean | undefined;
  /**
   * RFC 7162 CONDSTORE: change only messages whose MODSEQ is not above this; the others are
   * reported in {@link StoreResult.modified}. Needs CONDSTORE.
   */
  readonly unchangedSince?: bigint | undefined;
}

/** The new flags of one message, as the server echoed them. */
export interface FlagUpdate {
  /** The message's sequence number. */
  readonly seq: SeqNum;
  /** The UID (always present for the UID form). */
  readonly uid: Uid | undefined;
  /** The flags now set, or undefined when the server sent only MODSEQ (silent CONDSTORE). */
  readonly flags: readonly string[] | undefined;
  /** The new MODSEQ (CONDSTORE), or undefined. */
  readonly modseq: bigint | undefined;
}

/** What {@link ImapClient.store} returns. */
export interface StoreResult {
  /** One entry per message the server reported, in the order it did. */
  readonly updated: readonly FlagUpdate[];
  /**
   * `UNCHANGEDSINCE` only: the messages (UIDs for the UID form) the server did not change because
   * they were modified since, or expunged (`[MODIFIED ...]`, in the tagged OK or NO); empty otherwise.
   */
  readonly modified: readonly number[];
}

/**
 * A STORE the server refused (`NO` or `BAD`), with what it had changed before: a server may change
 * some messages of the set and answer NO for the rest (`NO Some of the messages no longer exist.`
 * when other sessions expunged some of them; Dovecot 2.3 answers OK instead), and a set sent in parts may be refused after
 * the first parts were done. Which messages were not changed is not said; `updated` says which were.
 *
 * @example
 * ```ts
 * try {
 *   await client.store(uids, 'add', ['$Processed']);
 * } catch (err) {
 *   if (!(err instanceof StoreError)) throw err;
 *   for (const { uid } of err.updated) markProcessed(uid);  // changed before the refusal
 * }
 * ```
 */
export class StoreError extends ServerError implements StoreResult {
  /** The messages the server reported changed before it refused (all parts), in the order it did; empty when it changed none or when `silent`. */
  readonly updated: readonly FlagUpdate[];
  /** `UNCHANGEDSINCE` only: the messages reported `[MODIFIED ...]` by the parts done before the refusal. */
  readonly modified: readonly number[];

  /**
   * @param refusal - the server's answer (the ServerError of the refused command, kept as `cause`).
   * @param done - what the call had collected when the answer came.
   */
  constructor(refusal: ServerError, done: StoreResult) {
    super(refusal, { cause: refusal });
    this.updated = done.updated;
    this.modified = done.modified;
  }
}

/**
 * A STORE that did not complete because the call was aborted, timed out, or lost its connection
 * (or the server's answer could not be read), with what the server had reported changed until
 * then: the server may have changed some or all of the messages, and the FETCH responses already
 * read say which. Its `code` is the code of its `cause`, the error that ended the call
 * (`ABORTED` for an `AbortError`, `TIMEOUT` for a `TimeoutError`, `CONNECTION_CLOSED` for a
 * `ConnectionClosedError`, `PROTOCOL`...), so that code that branches on `code` is
 * unchanged. Updates the server sends after the call ended are not lost: they come as `fetch`
 * events.
 *
 * @example
 * ```ts
 * try {
 *   await client.store(uids, 'add', ['$Processed'], { timeout: 10_000 });
 * } catch (err) {
 *   if (!(err instanceof StoreError || err instanceof StoreInterruptedError)) throw err;
 *   for (const { uid } of err.updated) markProcessed(uid);  // known changed; the rest is unknown
 * }
 * ```
 */
export class StoreInterruptedError extends MailwireError implements StoreResult {
  /** The messages the server reported changed before the call ended (all parts), in the order it did; empty when none or when `silent`. */
  readonly updated: readonly FlagUpdate[];
  /** `UNCHANGEDSINCE` only: the messages reported `[MODIFIED ...]` by the parts answered before the call ended. */
  readonly modified: readonly number[];

  /**
   * @param interruption - the error that ended the call, kept as `cause`; its code becomes this error's.
   * @param done - what the call had collected when it ended.
   */
  constructor(interruption: MailwireError, done: StoreResult) {
    super(interruption.code, `STORE did not complete: ${interruption.message}`, { cause: interruption });
    this.updated = done.updated;
    this.modified = done.modified;
  }
}

/**
 * Changes flags (UID STORE by default, STORE for `{ seq }` selectors).
 *
 * Only the untagged FETCH responses of the messages in the set are collected; flag changes of
 * other messages (made by other sessions) stay in the event stream. A set longer than
 * `limits.maxSetLength` is sent in parts, one command each, and their results merged; a refused part
 * rejects the call and the parts after it are not sent, while those before stay done.
 *
 * A refusal after part of the work (a plain STORE answered NO because some messages of the set were
 * expunged by another session, or a later part refused) rejects with a {@link StoreError} whose
 * `updated` lists what was changed. A conditional STORE (`unchangedSince`) answered `NO [MODIFIED
 * set]` resolves instead, since the server then names exactly what it did not change. A call
 * ended by its signal, its timeout or the connection's loss rejects with a
 * {@link StoreInterruptedError} (its `cause` the AbortError, TimeoutError or ConnectionClosedError,
 * its `code` theirs), whose `updated` lists what the server had reported changed until then.
 *
 * @example
 * ```ts
 * const { updated } = await client.store([uid(12)], 'add', ['\\Seen', '$Important']);
 * console.log(updated[0]?.flags); // ['\\Seen', '$Important']
 * ```
 * Sequence numbers in an empty mailbox name no message: the result is then empty and no command is sent.
 *
 * @param session - the client; a mailbox must be selected.
 * @param messages - the messages.
 * @param operation - add, remove or replace.
 * @param flags - system flags (`\Seen`) and keywords (`$Forwarded`); refused if not valid flags.
 * @param options - silent, unchangedSince, signal, timeout.
 * @returns the new flags per message.
 * @throws InvalidArgumentError for a bad flag or an unknown operation; UnsupportedError for `unchangedSince` without
 *   CONDSTORE; StoreError (a ServerError) when refused (e.g. a read-only mailbox), carrying the updates
 *   reported before the refusal; StoreInterruptedError when aborted, timed out or disconnected,
 *   carrying the updates reported before that.
 */
export async function store(
  session: ImapSession,
  messages: MessageSelector,
  operation: StoreOperation,
  flags: readonly string[],
  options: StoreOptions = {},
): Promise<StoreResult> {
  const selector = resolveSelector(messages);
  const prefix = STORE_PREFIXES.get(operation);
  // Checked, not defaulted: anything unknown (`'ADD'`, `'delete'` from untyped code) would else go
  // out as FLAGS, which replaces every flag of the messages.
  if (prefix === undefined) throw new InvalidArgumentError(`Unknown store operation ${JSON.stringify(operation)}: use 'add', 'remove' or 'set'`);
  if (operation !== 'set' && flags.length === 0) throw new InvalidArgumentError(`store(${operation}) needs at least one flag`);
  const flagArgs = flags.map(flag);
  const afterSet: CommandArg[] = [];
  if (options.unchangedSince !== undefined) {
    requireCondstore(session, 'unchangedSince (UNCHANGEDSINCE)');
    afterSet.push(list(atom('UNCHANGEDSINCE'), modSequence(options.unchangedSince)));
  }
  afterSet.push(atom(`${prefix}FLAGS${options.silent === true ? '.SILENT' : ''}`), list(...flagArgs));
  if (namesNoMessage(session, selector)) return { updated: [], modified: [] };
  const updated: FlagUpdate[] = [];
  const conditional = options.unchangedSince !== undefined;
  const modifiedOfParts: number[][] = [];
  let partsDone = 0;
  const runPart = (part: SequenceSet, partOptions: StoreOptions): Promise<number[]> => runWhileAwaited(
    session,
    {
      name: selector.byUid ? 'UID STORE' : 'STORE',
      args: [sequenceSet(part), ...afterSet],
      states: ['selected'],
      untagged: (response) => {
        if (response.kind !== 'fetch' || !fetchIsFor(response, selector, session.mailbox?.exists)) return false;
        const { attributes } = response;
        if (attributes.flags === undefined && attributes.modseq === undefined) return false;
        updated.push({ seq: response.seq, uid: attributes.uid, flags: attributes.flags, modseq: attributes.modseq });
        return true;
      },
      done: (response) => (response.code?.kind === 'MODIFIED' ? (expandRanges(response.code.set, MAX_MODIFIED) ?? []) : []),
    },
    partOptions,
  ).catch((error: unknown) => {
    const refused = conditional ? modifiedOfRefusal(error) : undefined;
    if (refused === undefined) throw error;
    return refused;
  }).then((modified) => {
    modifiedOfParts.push(modified);
    partsDone++;
    return modified;
  });
  try {
    await runInParts(session, selector, options, runPart);
  } catch (error) {
    const done = { updated: [...updated], modified: modifiedOfParts.flat() };
    if (error instanceof ServerError) throw new StoreError(error, done);
    if (interruptedAfterSending(error, partsDone)) throw new StoreInterruptedError(error, done);
    throw error;
  }
  return { updated, modified: modifiedOfParts.flat() };
}

/**
 * `UID STORE +FLAGS.SILENT (\Deleted)` as one step of a larger call (an emulated move, a mailbox's
 * delete): an interruption rejects with the error that ended the call, as the call's other steps
 * do, not with the {@link StoreInterruptedError} of a caller's own store().
 *
 * @internal
 */
export async function markDeleted(session: ImapSession, uids: SequenceSet<Uid>, options: ImapCallOptions = {}): Promise<void> {
  try {
    await store(session, uids, 'add', ['\\Deleted'], { ...options, silent: true });
  } catch (error) {
    throw error instanceof StoreInterruptedError ? error.cause : error;
  }
}

/**
 * Whether a failure that is not the server's refusal may have come after the server began to act
 * (change flags, expunge): anything but an argument or capability refused before a command was sent
 * (which, after a first part was done, is a later part refused because the mailbox was closed meanwhile).
 *
 * @internal
 */
export function interruptedAfterSending(error: unknown, partsDone: number): error is MailwireError {
  if (!(error instanceof MailwireError)) return false;
  return partsDone > 0 || (error.code !== 'INVALID_ARGUMENT' && error.code !== 'UNSUPPORTED');
}

/**
 * The messages a conditional STORE answered `NO [MODIFIED set]` did not change. RFC 7162 section
 * 3.1.3 asks for MODIFIED in the tagged response: Dovecot sends it with OK, Stalwart and Sora with
 * NO (when the precondition failed, or messages were expunged meanwhile). Either way the other
 * messages of the set were changed, and their FETCH responses were taken by this command, so the
 * caller gets the same result as for OK. Undefined for any other failure.
 */
function modifiedOfRefusal(error: unknown): number[] | undefined {
  if (!(error instanceof ServerError) || error.status !== 'NO' || error.responseCode !== 'MODIFIED') return undefined;
  const set = parseUidSetText(error.responseCodeData ?? '');
  return set === null ? undefined : (expandRanges(set, MAX_MODIFIED) ?? undefined);
}

/** The most messages a `[MODIFIED]` set is read for, in the tagged OK or NO alike; a larger set reads as none. */
const MAX_MODIFIED = 1_000_000;
