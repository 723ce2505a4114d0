/**
 * EXPUNGE (RFC 9051 section 6.4.3) and UID EXPUNGE (RFC 4315 UIDPLUS, RFC 9051 section 6.4.9):
 * permanently remove the messages marked \Deleted, reporting what went.
 *
 * @packageDocumentation
 */

import { UnsupportedError } from '../../common/errors.js';
import type { ImapCallOptions, ImapSession } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { sequenceSet } from '../wire/command-args.js';
import { modSequenceOrNone } from '../wire/mailbox-data.js';
import type { ImapResponse, NumberRange } from '../wire/response-types.js';
import type { SeqNum, Uid } from '../wire/sequence-set.js';
import type { MessageSelector } from './store.js';
import { resolveSelector, runInParts, runWhileAwaited } from './store.js';

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
 * @throws ServerError when refused (a read-only mailbox).
 */
export function expunge(session: ImapSession, options: ImapCallOptions = {}): Promise<ExpungeResult> {
  return runExpunge(session, 'EXPUNGE', [], options);
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
 * @throws UnsupportedError without UIDPLUS (or IMAP4rev2); ServerError when refused.
 */
export async function uidExpunge(session: ImapSession, uids: MessageSelector, options: ImapCallOptions = {}): Promise<ExpungeResult> {
  // Async: a bad set is a rejected promise, as every other refusal of this call is.
  const selector = resolveSelector(uids);
  if (!selector.byUid) throw new UnsupportedError('UID EXPUNGE takes UIDs, not sequence numbers');
  if (!session.hasCapability('UIDPLUS') && !session.hasCapability('IMAP4REV2')) {
    throw new UnsupportedError('UID EXPUNGE needs UIDPLUS, which the server does not offer');
  }
  const parts = await runInParts(session, selector, options, (part, partOptions) => runExpunge(session, 'UID EXPUNGE', [sequenceSet(part)], partOptions));
  if (parts.length === 1) return parts[0]!;
  return {
    seqs: parts.flatMap((part) => part.seqs),
    uids: parts.flatMap((part) => part.uids),
    highestModseq: parts.reduce<bigint | undefined>((latest, part) => part.highestModseq ?? latest, undefined),
  };
}

async function runExpunge(session: ImapSession, name: string, args: readonly CommandArg[], options: ImapCallOptions): Promise<ExpungeResult> {
  const seqs: SeqNum[] = [];
  const uids: Uid[] = [];
  const highestModseq = await runWhileAwaited(
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
  return { seqs, uids, highestModseq };
}
