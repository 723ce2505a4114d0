/**
 * Pure helpers of the client core (client.ts, pipeline.ts): selected-mailbox bookkeeping, the mapping of unclaimed
 * untagged responses to {@link MailboxEvent}s, and the typed error of a tagged NO/BAD.
 *
 * @internal
 * @packageDocumentation
 */

import { AuthenticationError, ServerError, type MailwireError } from '../common/errors.js';
import { modSequenceOrNone } from './wire/mailbox-data.js';
import type { ResponseCode } from './wire/response-code-types.js';
import type { ImapResponse, NumberRange, TaggedStatusResponse } from './wire/response-types.js';
import type { ImapCommand, MailboxEvent, MutableMailboxState } from './session.js';
import type { SeqNum } from './wire/sequence-set.js';

/** The name of a response code as ServerError.responseCode carries it (`TRYCREATE`, `COPYUID`...). */
export function responseCodeName(code: ResponseCode | null): string | undefined {
  if (code === null) return undefined;
  return code.kind === 'other' ? code.name : code.kind;
}

/** The typed error of a tagged NO or BAD. */
export function commandError(command: ImapCommand<unknown>, response: TaggedStatusResponse): MailwireError {
  const info = {
    command: command.display ?? command.name,
    status: response.status,
    responseCode: responseCodeName(response.code),
    responseCodeData: response.codeData,
    serverText: response.text,
  };
  return command.authentication === true ? new AuthenticationError(info) : new ServerError(info);
}

/** How many numbers a list of ranges covers. */
export function rangeCount(ranges: readonly NumberRange[]): number {
  let count = 0;
  for (const range of ranges) count += Math.abs(range.end - range.start) + 1;
  return count;
}

/**
 * Applies what an untagged response says about the selected mailbox (RFC 9051 section 7.3/7.4):
 * message counts, flags, and the response codes of untagged OK. A FETCH's MODSEQ is only noted in
 * `modseqs`: it moves HIGHESTMODSEQ at the next tagged response (see {@link ModseqWindow}).
 */
export function updateMailbox(mailbox: MutableMailboxState, response: ImapResponse, modseqs: ModseqWindow): void {
  switch (response.kind) {
    case 'exists':
      // New mail: its UIDs are at or above UIDNEXT (RFC 9051 section 2.3.1.1), so the value known
      // so far is too low, and the new one unknown until a FETCH or a [UIDNEXT] code tells.
      if (response.count > mailbox.exists) mailbox.uidNext = undefined;
      mailbox.exists = response.count;
      break;
    case 'recent':
      mailbox.recent = response.count;
      break;
    case 'expunge':
      mailbox.unseen = unseenAfterExpunge(mailbox.unseen, response.seq);
      mailbox.recent = recentAfterRemoval(mailbox, 1);
      mailbox.exists = Math.max(0, mailbox.exists - 1);
      break;
    case 'vanished':
      if (!response.earlier) {
        const count = rangeCount(response.uids);
        // VANISHED names UIDs, not sequence numbers: where the first unseen message now is cannot be told.
        if (count > 0) mailbox.unseen = undefined;
        mailbox.recent = recentAfterRemoval(mailbox, count);
        mailbox.exists = Math.max(0, mailbox.exists - count);
      }
      break;
    case 'flags':
      // Without PERMANENTFLAGS, SELECT made the FLAGS list itself (the same array) the permanent
      // flags, "all flags" (RFC 9051 section 7.1): a newer list is all flags then.
      if (mailbox.permanentFlags === mailbox.flags) mailbox.permanentFlags = response.flags;
      mailbox.flags = response.flags;
      break;
    case 'fetch':
      if (response.attributes.modseq !== undefined) modseqs.noteFetch(response.attributes.modseq);
      if (response.attributes.flags !== undefined) mailbox.unseen = unseenAfterFlags(mailbox.unseen, response.seq, response.attributes.flags);
      if (response.attributes.uid !== undefined) mailbox.uidNext = uidNextAfterFetch(mailbox, response.seq, response.attributes.uid);
      break;
    case 'status':
      if (response.status === 'OK' && response.code !== null) {
        if (response.code.kind === 'UIDVALIDITY' && response.code.value !== mailbox.uidValidity) {
          // RFC 9051 section 2.3.1.1: the UIDs are renumbered. What was learnt of the old ones
          // (the next UID, the mod-sequences) says nothing of the new: unknown until the server tells.
          mailbox.uidNext = undefined;
          mailbox.highestModseq = undefined;
          modseqs.reset();
        }
        applyCode(mailbox, response.code);
        modseqs.noteCode(response.code);
      }
      break;
    default:
      break;
  }
}

/**
 * UIDNEXT once a FETCH reports message `seq` with `uid`: a UID at or above it shows that it is
 * higher now (uid + 1 is the least it can be). When it is unknown because new mail came, the last
 * message's UID is the highest in use (UIDs ascend with sequence numbers), so uid + 1 is the
 * predicted next UID again; another message's UID says nothing of it.
 */
function uidNextAfterFetch(mailbox: MutableMailboxState, seq: number, uid: number): MutableMailboxState['uidNext'] {
  const next = (uid + 1) as MutableMailboxState['uidNext'];
  if (mailbox.uidNext !== undefined) return uid >= mailbox.uidNext ? next : mailbox.uidNext;
  return seq === mailbox.exists ? next : undefined;
}

/**
 * The first unseen message's sequence number once message `expunged` is gone (RFC 9051 section
 * 7.5.1: the messages above it move down by one). Undefined when the expunged message was that
 * first unseen one: which message is now first unseen cannot be told without asking.
 */
function unseenAfterExpunge(unseen: SeqNum | undefined, expunged: number): SeqNum | undefined {
  if (unseen === undefined || expunged > unseen) return unseen;
  return expunged === unseen ? undefined : ((unseen - 1) as SeqNum);
}

/**
 * The first unseen message's sequence number once message `seq` is reported with `flags`: a message
 * below it that is unseen becomes the first; the first one now seen leaves it unknown.
 */
function unseenAfterFlags(unseen: SeqNum | undefined, seq: number, flags: readonly string[]): SeqNum | undefined {
  if (unseen === undefined || seq > unseen) return unseen;
  const seen = flags.some(isSeenFlag);
  if (seq === unseen) return seen ? undefined : unseen;
  return seen ? unseen : (seq as SeqNum);
}

/** Whether a STORE may set or clear `\\Seen`: it names the flag, or replaces every flag. */
export function mayChangeSeen(operation: string, flags: readonly unknown[]): boolean {
  return operation === 'set' || (Array.isArray(flags) && flags.some(isSeenFlag));
}

function isSeenFlag(flag: unknown): boolean {
  return typeof flag === 'string' && flag.toLowerCase() === '\\seen';
}

/**
 * RECENT once `removed` messages are expunged: the client does not track which messages are
 * `\Recent`, so the count is known only when none is (it stays 0) or all are (it drops by as many);
 * otherwise it becomes undefined until the server sends `* n RECENT` again.
 */
function recentAfterRemoval(mailbox: MutableMailboxState, removed: number): number | undefined {
  const { recent, exists } = mailbox;
  if (recent === undefined || recent === 0 || removed === 0) return recent;
  return recent >= exists ? Math.max(0, recent - removed) : undefined;
}

/**
 * Applies what a tagged OK says about the selected mailbox: its new HIGHESTMODSEQ, which RFC 7162
 * servers send in the tagged OK of EXPUNGE (section 3.2.10), since expunges move it without any
 * FETCH MODSEQ. The other codes of a tagged OK belong to its command (SELECT's `[READ-WRITE]`).
 * Any tagged response then closes the window of MODSEQs heard since the last (see {@link ModseqWindow}).
 */
export function updateMailboxFromTagged(mailbox: MutableMailboxState, response: TaggedStatusResponse, modseqs: ModseqWindow): void {
  if (response.status === 'OK' && response.code?.kind === 'HIGHESTMODSEQ') {
    applyCode(mailbox, response.code);
    modseqs.noteCode(response.code);
  }
  modseqs.close(mailbox);
}

/**
 * The MODSEQs the server reported between two tagged responses. Servers need not send MODSEQ FETCH
 * data in ascending order, so HIGHESTMODSEQ cannot take each as it comes: a change with a lower
 * MODSEQ may still be on its way, and a client that saved the higher value for a later QRESYNC or
 * CHANGEDSINCE would never hear of it. At each tagged response the highest MODSEQ heard becomes
 * HIGHESTMODSEQ, unless a `[HIGHESTMODSEQ]` code came meanwhile: that code wins (RFC 5162 section
 * 5 as corrected by erratum 1809, the rule RFC 7162 keeps for the QRESYNC client).
 */
export class ModseqWindow {
  #highest: bigint | undefined;
  #codeSeen = false;

  /** An untagged FETCH carried this MODSEQ. */
  noteFetch(modseq: bigint): void {
    if (this.#highest === undefined || modseq > this.#highest) this.#highest = modseq;
  }

  /** A response code was applied to the mailbox: `[HIGHESTMODSEQ]` and `[NOMODSEQ]` say what HIGHESTMODSEQ is. */
  noteCode(code: ResponseCode): void {
    if (code.kind === 'HIGHESTMODSEQ' || code.kind === 'NOMODSEQ') this.#codeSeen = true;
  }

  /** A tagged response: HIGHESTMODSEQ takes what was heard since the last one, and a new window opens. */
  close(mailbox: MutableMailboxState): void {
    const highest = this.#highest;
    if (!this.#codeSeen && highest !== undefined && mailbox.highestModseq !== undefined && highest > mailbox.highestModseq) mailbox.highestModseq = highest;
    this.reset();
  }

  /** Forgets what was heard (another mailbox is selected, or none). */
  reset(): void {
    this.#highest = undefined;
    this.#codeSeen = false;
  }
}

/** Applies a response code of SELECT/EXAMINE or of an untagged OK to the mailbox state. */
export function applyCode(mailbox: MutableMailboxState, code: ResponseCode): void {
  switch (code.kind) {
    case 'UIDNEXT':
      mailbox.uidNext = code.value as MutableMailboxState['uidNext'];
      break;
    case 'UIDVALIDITY':
      mailbox.uidValidity = code.value;
      break;
    case 'UNSEEN':
      mailbox.unseen = code.value as MutableMailboxState['unseen'];
      break;
    case 'PERMANENTFLAGS':
      mailbox.permanentFlags = code.flags;
      break;
    case 'HIGHESTMODSEQ':
      mailbox.highestModseq = modSequenceOrNone(code.value);
      break;
    case 'NOMODSEQ':
      mailbox.highestModseq = undefined;
      break;
    case 'READ-ONLY':
      mailbox.readOnly = true;
      break;
    case 'READ-WRITE':
      mailbox.readOnly = false;
      break;
    default:
      break;
  }
}

/**
 * The event an unclaimed untagged response becomes, or null for none; `mailbox` is the mailbox the
 * server spoke of when it sent the response (see {@link MailboxEvent}).
 */
export function mailboxEventOf(response: ImapResponse, mailbox: string | null): MailboxEvent | null {
  switch (response.kind) {
    case 'exists':
      return { kind: 'exists', count: response.count, mailbox };
    case 'recent':
      return { kind: 'recent', count: response.count, mailbox };
    case 'expunge':
      return { kind: 'expunge', seq: response.seq, mailbox };
    case 'vanished':
      return { kind: 'vanished', uids: response.uids, earlier: response.earlier, mailbox };
    case 'flags':
      return { kind: 'flags', flags: response.flags, mailbox };
    case 'fetch': {
      const { attributes } = response;
      return { kind: 'fetch', seq: response.seq, uid: attributes.uid, flags: attributes.flags, modseq: attributes.modseq, attributes, mailbox };
    }
    case 'status':
      if (response.code?.kind === 'ALERT') return { kind: 'alert', text: response.text };
      if (response.status === 'BYE') return { kind: 'bye', code: response.code, text: response.text };
      return { kind: 'status', status: response.status, code: response.code, text: response.text, mailbox };
    case 'capability':
    case 'enabled':
      return null;
    default:
      return { kind: 'other', response };
  }
}
