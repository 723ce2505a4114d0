/**
 * EXPUNGE (RFC 9051 section 6.4.3) and UID EXPUNGE (RFC 4315 UIDPLUS, RFC 9051 section 6.4.9):
 * permanently remove the messages marked \Deleted, reporting what went.
 *
 * @packageDocumentation
 */

import { MailwireError, ServerError, UnsupportedError } from '../../common/errors.js';
import type { ImapCallOptions, ImapSession } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { sequenceSet } from '../wire/command-args.js';
import { modSequenceOrNone } from '../wire/mailbox-data.js';
import type { ImapResponse, NumberRange } from '../wire/response-types.js';
import type { SeqNum, Uid } from '../wire/sequence-set.js';
import type { MessageSelector } from './store.js';
import { interruptedAfterSending, resolveSelector, runInParts, runWhileAwaited } from './store.js';

/** What EXPUNGE or UID EXPUNGE removed. */
export interface ExpungeResult {
  /**
   * The sequence numbers of `* n EXPUNGE` responses, in the order sent. Each is relative to the
   * mailbox after the previous ones (expunging 3 and 4 is usually reported as `3, 3`).
   */
  readonly seqs: readonly SeqNum[];
  /**
   * The UIDs of `* VANISHED` responses (sent instead of EXPUNGE once QRESYNC is enabled). Ranges
   * are listed UID by UID up to 10,000,000 UIDs in all; a range that would go past that is listed
   * by its two ends only.
   */
  readonly uids: readonly Uid[];
  /** The mailbox's new HIGHESTMODSEQ from the tagged OK (CONDSTORE), or undefined (also for 0: none kept). */
  readonly highestModseq: bigint | undefined;
}

/** What an {@link ExpungeError} or {@link ExpungeInterruptedError} reports removed before the failure. */
export type ExpungeProgress = Pick<ExpungeResult, 'seqs' | 'uids'>;

/**
 * An EXPUNGE or UID EXPUNGE the server refused (`NO` or `BAD`), with what it reported removed
 * before: the parts of a set sent in parts done before the refused one, and any `* n EXPUNGE` or
 * `* VANISHED` the refused command had sent. The server's answer is also the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await client.uidExpunge(uids);
 * } catch (err) {
 *   if (!(err instanceof ExpungeError || err instanceof ExpungeInterruptedError)) throw err;
 *   forgetMessages(err.seqs, err.uids);  // removed before the failure
 * }
 * ```
 */
export class ExpungeError extends ServerError implements ExpungeProgress {
  /** The sequence numbers of the `* n EXPUNGE` responses read before the refusal, in order (as {@link ExpungeResult.seqs}). */
  readonly seqs: readonly SeqNum[];
  /** The UIDs of the `* VANISHED` responses read before the refusal (as {@link ExpungeResult.uids}). */
  readonly uids: readonly Uid[];

  /**
   * @param refusal - the server's answer (the ServerError of the refused command, kept as `cause`).
   * @param done - what was reported removed when the answer came.
   */
  constructor(refusal: ServerError, done: ExpungeProgress) {
    super(refusal, { cause: refusal });
    this.seqs = done.seqs;
    this.uids = done.uids;
  }
}

/**
 * An EXPUNGE or UID EXPUNGE that did not complete because the call was aborted, timed out, or lost
 * its connection (or an answer could not be read), with what the server had reported removed until
 * then; it may have removed more. Its `code` is the code of its `cause`, the error that ended the
 * call (`ABORTED`, `TIMEOUT`, `CONNECTION_CLOSED`, `PROTOCOL`...). Expunges the server reports after
 * the call ended come as `expunge` and `vanished` events.
 */
export class ExpungeInterruptedError extends MailwireError implements ExpungeProgress {
  /** The sequence numbers of the `* n EXPUNGE` responses read before the call ended, in order. */
  readonly seqs: readonly SeqNum[];
  /** The UIDs of the `* VANISHED` responses read before the call ended. */
  readonly uids: readonly Uid[];

  /**
   * @param interruption - the error that ended the call, kept as `cause`; its code becomes this error's.
   * @param done - what was reported removed when the call ended.
   */
  constructor(interruption: MailwireError, done: ExpungeProgress) {
    super(interruption.code, `EXPUNGE did not complete: ${interruption.message}`, { cause: interruption });
    this.seqs = done.seqs;
    this.uids = done.uids;
  }
}

/** The most UIDs VANISHED responses are expanded into; past that, ranges are reported by their ends. */
const MAX_VANISHED = 10_000_000;

/**
 * Adds the UIDs of a `* VANISHED` response to `uids`: each range UID by UID while the list stays
 * within {@link MAX_VANISHED} entries, else by its two ends (a broken or hostile server can
 * announce `1:4294967295`, in one range or in many).
 *
 * @internal
 */
export function addVanished(uids: Uid[], ranges: readonly NumberRange[]): void {
  for (const range of ranges) {
    if (uids.length + (range.end - range.start) >= MAX_VANISHED) uids.push(range.start as Uid, range.end as Uid);
    else for (let value = range.start; value <= range.end; value++) uids.push(value as Uid);
  }
}

/**
 * Removes every message marked \Deleted from the selected mailbox (EXPUNGE).
 *
 * @example
 * ```ts
 * await client.store([uid(3), uid(4)], 'add', ['\\Deleted']);
 * const { seqs } = await client.expunge();
 * ```
 * @param session - the client; a mailbox must be selected read-write.
 * @param options - signal, timeout.
 * @returns what was removed.
 * @throws ExpungeError (a ServerError) when refused (a read-only mailbox), with what was reported
 *   removed before; ExpungeInterruptedError when aborted, timed out or disconnected, with what was
 *   reported removed until then.
 */
export async function expunge(session: ImapSession, options: ImapCallOptions = {}): Promise<ExpungeResult> {
  const done: ExpungeProgress = { seqs: [], uids: [] };
  try {
    return { ...done, highestModseq: await runExpunge(session, 'EXPUNGE', [], options, done) };
  } catch (error) {
    throw withExpunged(error, done, 0);
  }
}

/**
 * Removes only the given messages, if marked \Deleted (UID EXPUNGE, RFC 4315). Messages other
 * sessions marked \Deleted stay. A set longer than `limits.maxSetLength` is sent in parts, one
 * command each; a refused part rejects the call, and the parts before stay expunged.
 *
 * @example
 * ```ts
 * await client.store([uid(9)], 'add', ['\\Deleted']);
 * const { seqs, uids } = await client.uidExpunge([uid(9)]);
 * ```
 * @param session - the client; a mailbox must be selected read-write.
 * @param uids - the UIDs (a `{ seq }` selector is refused: the command takes UIDs only).
 * @param options - signal, timeout.
 * @returns what was removed.
 * @throws UnsupportedError without UIDPLUS (or IMAP4rev2); ExpungeError (a ServerError) when
 *   refused, and ExpungeInterruptedError when aborted, timed out or disconnected, each with what
 *   was reported removed before (all parts).
 */
export async function uidExpunge(session: ImapSession, uids: MessageSelector, options: ImapCallOptions = {}): Promise<ExpungeResult> {
  // Async: a bad set is a rejected promise, as every other refusal of this call is.
  const selector = resolveSelector(uids);
  if (!selector.byUid) throw new UnsupportedError('UID EXPUNGE takes UIDs, not sequence numbers');
  if (!session.hasCapability('UIDPLUS') && !session.hasCapability('IMAP4REV2')) {
    throw new UnsupportedError('UID EXPUNGE needs UIDPLUS, which the server does not offer');
  }
  // The parts add to the same lists, so that a failure reports what every part before removed.
  const done: ExpungeProgress = { seqs: [], uids: [] };
  let partsDone = 0;
  let highestModseq: bigint | undefined;
  try {
    await runInParts(session, selector, options, async (part, partOptions) => {
      highestModseq = (await runExpunge(session, 'UID EXPUNGE', [sequenceSet(part)], partOptions, done)) ?? highestModseq;
      partsDone++;
    });
  } catch (error) {
    throw withExpunged(error, done, partsDone);
  }
  return { ...done, highestModseq };
}

/** The error an expunge rejects with, given what was reported removed (see {@link interruptedAfterSending}). */
function withExpunged(error: unknown, done: ExpungeProgress, partsDone: number): unknown {
  const progress = { seqs: [...done.seqs], uids: [...done.uids] };
  if (error instanceof ServerError) return new ExpungeError(error, progress);
  if (interruptedAfterSending(error, partsDone)) return new ExpungeInterruptedError(error, progress);
  return error;
}

/** One EXPUNGE or UID EXPUNGE: its expunges are added to `done`; resolves with the tagged OK's HIGHESTMODSEQ. */
async function runExpunge(session: ImapSession, name: string, args: readonly CommandArg[], options: ImapCallOptions, done: ExpungeProgress): Promise<bigint | undefined> {
  const seqs = done.seqs as SeqNum[];
  const uids = done.uids as Uid[];
  return runWhileAwaited(
    session,
    {
      name,
      args,
      states: ['selected'],
      // Its answers cannot be told from another command's (RFC 9051 section 5.5).
      exclusive: true,
      untagged: (response: ImapResponse) => {
        if (response.kind === 'expunge') {
          seqs.push(response.seq);
          return true;
        }
        if (response.kind === 'vanished' && !response.earlier) {
          addVanished(uids, response.uids);
          return true;
        }
        return false;
      },
      done: (response) => (response.code?.kind === 'HIGHESTMODSEQ' ? modSequenceOrNone(response.code.value) : undefined),
    },
    options,
  );
}
