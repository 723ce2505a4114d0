/**
 * COPY and MOVE (RFC 9051 sections 6.4.7 and 6.4.8, RFC 6851), their UID forms, and the COPYUID
 * response code of UIDPLUS (RFC 4315) read into a source-to-destination UID map.
 *
 * Without MOVE, a move is done as UID SEARCH (the UIDs the set names now), UID COPY, then UID STORE
 * +FLAGS.SILENT (\Deleted) and UID EXPUNGE of exactly the UIDs copied (COPYUID), which is safe only
 * with UIDPLUS: a plain EXPUNGE would also remove messages someone else had marked \Deleted, so
 * without UIDPLUS the move is refused.
 *
 * A set longer than `limits.maxSetLength` is sent in parts, one command each (see `runInParts`):
 * the COPYUID maps and expunges of the parts are merged; a refused part rejects the call and the
 * parts after it are not sent, while those before stay copied or moved. Their COPYUID maps are not
 * lost: the call rejects with a {@link CopyError} or {@link CopyInterruptedError} carrying them, as
 * STORE does with `StoreError` (an emulated move stopped after its COPY step likewise).
 *
 * @packageDocumentation
 */

import { MailwireError, ProtocolError, ServerError, UnsupportedError } from '../../common/errors.js';
import { callSteps } from '../../common/options.js';
import type { ImapCallOptions, ImapSession } from '../session.js';
import { mailbox, sequenceSet } from '../wire/command-args.js';
import type { ResponseCode } from '../wire/response-code-types.js';
import type { SeqNum, Uid } from '../wire/sequence-set.js';
import { SequenceSet } from '../wire/sequence-set.js';
import { addVanished, ExpungeError, ExpungeInterruptedError, uidExpunge, type ExpungeResult } from './expunge.js';
import { assertMailboxName } from './mailboxes.js';
import { search } from './search.js';
import type { MessageSelector, ResolvedSelector } from './store.js';
import { DEFAULT_MAX_SET_LENGTH, expandRanges, markDeleted, namesNoMessage, resolveSelector, runInParts, runWhileAwaited } from './store.js';

/** What COPY or MOVE reports about the copies (RFC 4315 COPYUID). */
export interface CopyResult {
  /** UIDVALIDITY of the destination mailbox, or null when the server sent no COPYUID. */
  readonly uidValidity: number | null;
  /** Source UID to destination UID, for every message copied; empty without COPYUID. */
  readonly uidMap: ReadonlyMap<Uid, Uid>;
}

/** What {@link ImapClient.move} reports. */
export interface MoveResult extends CopyResult {
  /**
   * The `* n EXPUNGE` sequence numbers the move caused, in order (each relative to the mailbox
   * after the previous ones); empty when the server sent VANISHED instead (QRESYNC).
   */
  readonly expungedSeqs: readonly SeqNum[];
  /** The UIDs reported gone by `* VANISHED` (QRESYNC enabled), or by the fallback's UID EXPUNGE. */
  readonly expungedUids: readonly Uid[];
  /** True when MOVE was absent and COPY + STORE + UID EXPUNGE did the move. */
  readonly emulated: boolean;
}

/**
 * What a {@link CopyError} or {@link CopyInterruptedError} reports done before the failure: the
 * COPYUID data of the parts copied or moved, and the expunges a move caused until then.
 */
export interface CopyProgress extends CopyResult {
  /** The `* n EXPUNGE` sequence numbers reported until the failure (a move); empty for a copy. */
  readonly expungedSeqs: readonly SeqNum[];
  /** The UIDs reported gone by `* VANISHED` until the failure (a move with QRESYNC); empty for a copy. */
  readonly expungedUids: readonly Uid[];
}

/**
 * A copy or move the server refused (`NO` or `BAD`) after part of it was done: a set sent in parts
 * refused in a later part, or an emulated move refused at its STORE or UID EXPUNGE step (the
 * copies then exist; the originals were not expunged). `uidMap` holds the COPYUID map of what was
 * copied or moved before the refusal (empty when the first command was refused, or without UIDPLUS).
 * The server's answer is also the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await client.copy(uids, 'Archive');
 * } catch (err) {
 *   if (!(err instanceof CopyError || err instanceof CopyInterruptedError)) throw err;
 *   for (const [source, copy] of err.uidMap) recordCopy(source, copy);  // copied before the failure
 * }
 * ```
 */
export class CopyError extends ServerError implements CopyProgress {
  /** UIDVALIDITY of the destination mailbox, or null when no COPYUID was received. */
  readonly uidValidity: number | null;
  /** Source UID to destination UID, for every message copied or moved before the refusal. */
  readonly uidMap: ReadonlyMap<Uid, Uid>;
  /** The `* n EXPUNGE` sequence numbers a move caused before the refusal. */
  readonly expungedSeqs: readonly SeqNum[];
  /** The UIDs reported gone by `* VANISHED` before the refusal. */
  readonly expungedUids: readonly Uid[];

  /**
   * @param refusal - the server's answer (the ServerError of the refused command, kept as `cause`).
   * @param done - what the call had done when the answer came.
   */
  constructor(refusal: ServerError, done: CopyProgress) {
    super(refusal, { cause: refusal });
    this.uidValidity = done.uidValidity;
    this.uidMap = done.uidMap;
    this.expungedSeqs = done.expungedSeqs;
    this.expungedUids = done.expungedUids;
  }
}

/**
 * A copy or move that did not complete, once part of it was done, because the call was aborted,
 * timed out or lost its connection (or an answer could not be read): a set sent in parts ended
 * during a later part, or an emulated move ended after its COPY step. `uidMap` holds the COPYUID
 * map of the parts done (the part in flight may have been done too: its map is unknown). Its `code`
 * is the code of its `cause`, the error that ended the call (`ABORTED`, `TIMEOUT`,
 * `CONNECTION_CLOSED`, `PROTOCOL`...). A call that ends before any part was done rejects with that
 * error itself: nothing is known done.
 */
export class CopyInterruptedError extends MailwireError implements CopyProgress {
  /** UIDVALIDITY of the destination mailbox, or null when no COPYUID was received. */
  readonly uidValidity: number | null;
  /** Source UID to destination UID, for every message known copied or moved before the call ended. */
  readonly uidMap: ReadonlyMap<Uid, Uid>;
  /** The `* n EXPUNGE` sequence numbers a move caused before the call ended. */
  readonly expungedSeqs: readonly SeqNum[];
  /** The UIDs reported gone by `* VANISHED` before the call ended. */
  readonly expungedUids: readonly Uid[];

  /**
   * @param command - `COPY` or `MOVE`, for the message.
   * @param interruption - the error that ended the call, kept as `cause`; its code becomes this error's.
   * @param done - what the call had done when it ended.
   */
  constructor(command: string, interruption: MailwireError, done: CopyProgress) {
    super(interruption.code, `${command} did not complete: ${interruption.message}`, { cause: interruption });
    this.uidValidity = done.uidValidity;
    this.uidMap = done.uidMap;
    this.expungedSeqs = done.expungedSeqs;
    this.expungedUids = done.expungedUids;
  }
}

/**
 * The error a copy or move rejects with, given what it had done: a refusal becomes a
 * {@link CopyError}, another failure once something was done a {@link CopyInterruptedError}; an
 * error that already carries the progress (from the copy step of an emulated move) is kept.
 */
function withProgress(error: unknown, command: string, done: CopyProgress, somethingDone: boolean): unknown {
  if (error instanceof CopyError || error instanceof CopyInterruptedError) return error;
  if (error instanceof ServerError) return new CopyError(error, done);
  if (somethingDone && error instanceof MailwireError) return new CopyInterruptedError(command, error, done);
  return error;
}

/** The largest COPYUID map read; a larger one (a broken or hostile server) is ignored. */
const MAX_UID_MAP = 10_000_000;

/**
 * Reads a COPYUID response code into a map (RFC 4315 section 3: the source and destination sets
 * list the UIDs in corresponding order).
 *
 * @param code - a response code (anything but COPYUID gives null).
 * @returns the destination UIDVALIDITY and the map, or null.
 * @throws ProtocolError when the two sets differ in size: which copy is which, and which messages
 *   were copied at all, is then unknown (an emulated move must not go on to delete the originals).
 * @internal
 */
export function readCopyUid(code: ResponseCode | null): { uidValidity: number; uidMap: Map<Uid, Uid> } | null {
  if (code?.kind !== 'COPYUID') return null;
  const sources = expandRanges(code.sourceUids, MAX_UID_MAP);
  const destinations = expandRanges(code.destinationUids, MAX_UID_MAP);
  if (sources === null || destinations === null) return null;
  if (sources.length !== destinations.length) {
    throw new ProtocolError(`COPYUID names ${sources.length} source UIDs but ${destinations.length} destination UIDs`);
  }
  const uidMap = new Map<Uid, Uid>();
  sources.forEach((source, index) => uidMap.set(source as Uid, destinations[index]! as Uid));
  return { uidValidity: code.uidValidity, uidMap };
}

/** A COPYUID response code whose data could not be read (the parser keeps it as `other`). */
function isUnreadableCopyUid(code: ResponseCode | null): code is Extract<ResponseCode, { kind: 'other' }> {
  return code?.kind === 'other' && code.name === 'COPYUID';
}

/**
 * The error of a COPY or MOVE done whose COPYUID could not be read: an empty map would read as a
 * server without UIDPLUS, and the caller would not know that the new UIDs are lost.
 */
function copyUidLost(done: 'copied' | 'moved', code: Extract<ResponseCode, { kind: 'other' }>): ProtocolError {
  return new ProtocolError(`The messages were ${done}, but the COPYUID naming their new UIDs could not be read: [COPYUID ${code.text}]`);
}

/** The result of a copy the server gave no COPYUID for: a fresh map each time, since the caller owns the result. */
function noCopyUid(): CopyResult {
  return { uidValidity: null, uidMap: new Map() };
}

/** The COPYUID data of the parts of a set sent in several commands, as one: the maps in order. */
function mergeCopyUids(parts: readonly CopyResult[]): CopyResult {
  if (parts.length === 1) return parts[0]!;
  let uidValidity: number | null = null;
  const uidMap = new Map<Uid, Uid>();
  for (const part of parts) {
    uidValidity ??= part.uidValidity;
    for (const [source, destination] of part.uidMap) uidMap.set(source, destination);
  }
  return { uidValidity, uidMap };
}

/**
 * Copies messages to another mailbox (UID COPY by default).
 *
 * @example
 * ```ts
 * const { uidMap } = await client.copy([uid(5), uid(9)], 'Archive');
 * uidMap.get(uid(5)); // the copy's UID in Archive (with UIDPLUS)
 * ```
 * @param session - the client; a mailbox must be selected.
 * @param messages - the messages (UIDs, or `{ seq }`).
 * @param destination - the destination mailbox.
 * @param options - signal, timeout.
 * @returns the COPYUID data when the server sent it.
 * @throws ServerError with responseCode `TRYCREATE` when the destination does not exist (a
 *   {@link CopyError}, carrying the COPYUID map of the parts copied before a refused part);
 *   ProtocolError when the server's COPYUID names more or fewer copies than originals, or cannot be
 *   read (the messages were copied; their new UIDs are unknown); CopyInterruptedError when a set
 *   sent in parts is aborted, timed out or disconnected after a part was copied (the error that
 *   ended the call is its `cause`, and before any part was copied, the error itself).
 */
export async function copy(session: ImapSession, messages: MessageSelector, destination: string, options: ImapCallOptions = {}): Promise<CopyResult> {
  assertMailboxName(session, destination, 'Destination mailbox name');
  const selector = resolveSelector(messages);
  if (namesNoMessage(session, selector)) return noCopyUid();
  const parts: CopyResult[] = [];
  try {
    await runInParts(session, selector, options, async (part, partOptions) => {
      parts.push(await session.run(
        {
          name: selector.byUid ? 'UID COPY' : 'COPY',
          args: [sequenceSet(part), mailbox(destination)],
          states: ['selected'],
          done: (response) => {
            if (isUnreadableCopyUid(response.code)) throw copyUidLost('copied', response.code);
            return readCopyUid(response.code) ?? noCopyUid();
          },
        },
        partOptions,
      ));
    });
  } catch (error) {
    throw withProgress(error, 'COPY', { ...mergeCopyUids(parts), expungedSeqs: [], expungedUids: [] }, parts.length > 0);
  }
  return mergeCopyUids(parts);
}

/**
 * Moves messages to another mailbox: UID MOVE (RFC 6851) when offered, else UID COPY + UID STORE
 * \Deleted + UID EXPUNGE (needs UIDPLUS).
 *
 * @example
 * ```ts
 * const moved = await client.move([uid(5)], 'Trash');
 * console.log(moved.uidMap.get(uid(5)), moved.emulated);
 * ```
 * @param session - the client; a mailbox must be selected read-write.
 * @param messages - the messages (UIDs, or `{ seq }`).
 * @param destination - the destination mailbox.
 * @param options - signal, timeout.
 * @returns the COPYUID data and what was expunged.
 * @throws UnsupportedError when neither MOVE nor UIDPLUS is offered (no safe way to move);
 *   ServerError with responseCode `TRYCREATE` when the destination does not exist (a
 *   {@link CopyError}, carrying the COPYUID map and expunges of what was moved before a refused
 *   part, or of the copies an emulated move made before its STORE or UID EXPUNGE was refused);
 *   ProtocolError when the server's COPYUID names more or fewer copies than originals, or cannot be
 *   read (a MOVE was then done, its new UIDs unknown; an emulated move stops after the copy,
 *   deleting nothing); CopyInterruptedError when aborted, timed out or disconnected once a part was
 *   moved or an emulated move's COPY was done, carrying what was done (its `cause` the error that
 *   ended the call).
 */
export async function move(session: ImapSession, messages: MessageSelector, destination: string, options: ImapCallOptions = {}): Promise<MoveResult> {
  assertMailboxName(session, destination, 'Destination mailbox name');
  const selector = resolveSelector(messages);
  if (session.hasCapability('MOVE') || session.hasCapability('IMAP4REV2')) return nativeMove(session, selector, destination, options);
  if (!session.hasCapability('UIDPLUS')) {
    throw new UnsupportedError('The server offers neither MOVE nor UIDPLUS: a move would need an EXPUNGE of every \\Deleted message');
  }
  if (session.mailbox?.readOnly === true) {
    throw new UnsupportedError('Cannot move out of a read-only mailbox (selected with EXAMINE or [READ-ONLY])');
  }
  return emulatedMove(session, selector, destination, options);
}

async function nativeMove(session: ImapSession, selector: ResolvedSelector, destination: string, options: ImapCallOptions): Promise<MoveResult> {
  const expungedSeqs: SeqNum[] = [];
  const expungedUids: Uid[] = [];
  if (namesNoMessage(session, selector)) return { ...noCopyUid(), expungedSeqs, expungedUids, emulated: false };
  let moving = selector;
  let partsOptions = options;
  if (!selector.byUid && selector.set.split(session.maxSetLength ?? DEFAULT_MAX_SET_LENGTH).length > 1) {
    // Sequence numbers in parts: a part's MOVE may also report another session's EXPUNGE, which
    // renumbers the parts after it; their UIDs, read first, stay. One timeout for all.
    const step = callSteps(options);
    const uids = await uidsOf(session, selector, step());
    if (uids === null) return { ...noCopyUid(), expungedSeqs, expungedUids, emulated: false };
    moving = { byUid: true, set: uids };
    partsOptions = step();
  }
  const parts: CopyResult[] = [];
  try {
    await runInParts(session, moving, partsOptions, async (part, partOptions) => {
      parts.push(await movePart(session, moving.byUid, part, destination, partOptions, expungedSeqs, expungedUids));
    });
  } catch (error) {
    throw withProgress(error, 'MOVE', { ...mergeCopyUids(parts), expungedSeqs: [...expungedSeqs], expungedUids: [...expungedUids] }, parts.length > 0);
  }
  return { ...mergeCopyUids(parts), expungedSeqs, expungedUids, emulated: false };
}

/** One MOVE command: its COPYUID data; its expunges are added to `expungedSeqs` and `expungedUids`. */
async function movePart(
  session: ImapSession,
  byUid: boolean,
  set: SequenceSet,
  destination: string,
  options: ImapCallOptions,
  expungedSeqs: SeqNum[],
  expungedUids: Uid[],
): Promise<CopyResult> {
  let untaggedCopyUid: ResponseCode | null = null;
  /** An untagged COPYUID (RFC 6851 section 4.3) whose data could not be read. */
  let unreadableCopyUid: Extract<ResponseCode, { kind: 'other' }> | null = null;
  let copyUid: CopyResult = noCopyUid();
  await runWhileAwaited(
    session,
    {
      name: byUid ? 'UID MOVE' : 'MOVE',
      args: [sequenceSet(set), mailbox(destination)],
      states: ['selected'],
      // Its EXPUNGE answers cannot be told from another command's (RFC 9051 section 5.5).
      exclusive: true,
      untagged: (response) => {
        // RFC 6851 section 4.3: COPYUID comes in an untagged OK before the expunges.
        if (response.kind === 'status' && response.status === 'OK' && response.code?.kind === 'COPYUID') {
          untaggedCopyUid = response.code; // read at the end, where a broken one can fail the call
          return true;
        }
        if (response.kind === 'status' && response.status === 'OK' && isUnreadableCopyUid(response.code)) {
          unreadableCopyUid ??= response.code;
          return true;
        }
        if (response.kind === 'expunge') {
          expungedSeqs.push(response.seq);
          return true;
        }
        if (response.kind === 'vanished' && !response.earlier) {
          addVanished(expungedUids, response.uids);
          return true;
        }
        return false;
      },
      done: (response) => {
        // Some servers put COPYUID on the tagged OK instead.
        const tagged = readCopyUid(response.code);
        if (tagged === null && untaggedCopyUid === null) {
          const unreadable = isUnreadableCopyUid(response.code) ? response.code : unreadableCopyUid;
          if (unreadable !== null) throw copyUidLost('moved', unreadable);
        }
        copyUid = tagged ?? readCopyUid(untaggedCopyUid) ?? noCopyUid();
        return undefined;
      },
    },
    options,
  );
  return copyUid;
}

async function emulatedMove(session: ImapSession, selector: ResolvedSelector, destination: string, options: ImapCallOptions): Promise<MoveResult> {
  // The UIDs to move, as they stand now: UID EXPUNGE needs UIDs, and a set that is open (`*`) or
  // reaches past the newest UID would also take in mail that arrives between the three steps.
  // One timeout for the four commands (CallOptions.timeout counts from the call).
  const step = callSteps(options);
  const uids = await uidsOf(session, selector, step());
  if (uids === null) return { ...noCopyUid(), expungedSeqs: [], expungedUids: [], emulated: true };
  const copied = await copy(session, uids, destination, step());
  // Only what was copied is deleted: COPYUID says what that was (a message another session
  // expunged meanwhile was not); without it, the UIDs found above. Never a UID outside those: a
  // COPYUID naming more than was asked for is not a licence to delete it.
  const copiedUids = [...copied.uidMap.keys()].filter((copiedUid) => uids.has(copiedUid));
  if (copied.uidMap.size > 0 && copiedUids.length === 0) return { ...copied, expungedSeqs: [], expungedUids: [], emulated: true };
  const moved = copied.uidMap.size > 0 ? SequenceSet.uids(copiedUids) : uids;
  let expunged: ExpungeResult;
  try {
    await markDeleted(session, moved, step());
    expunged = await uidExpunge(session, moved, step());
  } catch (error) {
    // The copies exist (and the originals may be marked \Deleted): the caller gets their map, and
    // what UID EXPUNGE reported removed before it failed.
    const expunged = error instanceof ExpungeError || error instanceof ExpungeInterruptedError ? error : { seqs: [], uids: [] };
    throw withProgress(error, 'MOVE', { ...copied, expungedSeqs: expunged.seqs, expungedUids: expunged.uids }, true);
  }
  return { ...copied, expungedSeqs: expunged.seqs, expungedUids: expunged.uids, emulated: true };
}

/**
 * The UIDs of the selected messages that exist now (`UID SEARCH UID <set>` or `UID SEARCH
 * <seq-set>`, one per part of a set too long for one command), or null for none.
 */
async function uidsOf(session: ImapSession, selector: ResolvedSelector, options: ImapCallOptions): Promise<SequenceSet<Uid> | null> {
  if (namesNoMessage(session, selector)) return null;
  const parts = await runInParts(session, selector, options, (part, partOptions) =>
    search(session, selector.byUid ? { uid: part as SequenceSet<Uid> } : { seq: part as SequenceSet<SeqNum> }, partOptions),
  );
  const found = parts.flat();
  return found.length === 0 ? null : SequenceSet.uids(found);
}
