/**
 * The mailbox-selection family: SELECT, EXAMINE (RFC 9051 sections 6.3.2, 6.3.3; RFC 7162
 * CONDSTORE and QRESYNC), UNSELECT (RFC 3691) and CLOSE (RFC 9051 section 6.4.1).
 *
 * @packageDocumentation
 */

import { InvalidArgumentError, UnsupportedError } from '../../common/errors.js';
import { callSteps } from '../../common/options.js';
import { applyCode, rangeCount } from '../routing.js';
import type { CoreSession, ImapCallOptions, ImapSession, MailboxState, MutableMailboxState } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { atom, list, mailbox, modSequence, num, sequenceSet } from '../wire/command-args.js';
import type { ImapResponse, NumberRange } from '../wire/response-types.js';
import { MAX_MESSAGE_NUMBER, SequenceSet, type SeqNum, type SequenceInput, type Uid } from '../wire/sequence-set.js';
import { enable } from './connection.js';
import { assertMailboxName, imap4rev2InUse } from './mailboxes.js';
import { requireCondstore, resolveSelector, type FlagUpdate } from './store.js';

/** Options of {@link ImapClient.select} and {@link ImapClient.examine}. */
export interface SelectOptions extends ImapCallOptions {
  /**
   * Send `(CONDSTORE)` (RFC 7162) so the answer carries HIGHESTMODSEQ and FETCH can ask MODSEQ.
   * Needs CONDSTORE or QRESYNC (UnsupportedError otherwise, before anything is sent).
   */
  readonly condstore?: boolean | undefined;
  /**
   * Quick resynchronization (RFC 7162 QRESYNC): tell the server what the client last knew of the
   * mailbox, and receive in {@link SelectResult.qresync} the UIDs expunged since and the flags
   * changed since, instead of fetching every message's flags again. Needs the QRESYNC capability. When QRESYNC
   * is not enabled yet it is enabled first (ENABLE QRESYNC; a selected mailbox is unselected
   * before, since ENABLE is valid only in the authenticated state, and needs UNSELECT for that).
   * Implies CONDSTORE.
   */
  readonly qresync?: QresyncParameters | undefined;
}

/**
 * What the client knew of a mailbox when it last synchronized: the `QRESYNC` parameter of
 * SELECT/EXAMINE (RFC 7162 section 3.2.5).
 *
 * ```
 * select-param   =/ "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
 * seq-match-data =  "(" known-sequence-set SP known-uid-set ")"
 * ```
 *
 * @example
 * ```ts
 * const { qresync } = await client.select('INBOX', {
 *   qresync: { uidValidity: cache.uidValidity, modseq: cache.highestModseq, knownUids: '1:500' },
 * });
 * ```
 */
export interface QresyncParameters {
  /** The UIDVALIDITY the client's copy belongs to. */
  readonly uidValidity: number;
  /** The mailbox's HIGHESTMODSEQ when the client last synchronized (the client's copy is complete up to it). */
  readonly modseq: bigint;
  /**
   * The UIDs the client knows (no `*`): the server reports only those of them that vanished.
   * Without it (or with an empty array) the server may report every UID expunged since `modseq`,
   * including UIDs the client never saw.
   */
  readonly knownUids?: SequenceSet<Uid> | Uid | readonly SequenceInput<Uid>[] | string | undefined;
  /**
   * A sample of sequence numbers and the UIDs the client believes they have (same count, same
   * order; no `*`): lets a server that does not keep expunged UIDs for long narrow down what
   * vanished (RFC 7162 section 3.2.5.2).
   */
  readonly sequenceMatch?:
    | {
        readonly seqNums: SequenceSet<SeqNum> | SeqNum | readonly SequenceInput<SeqNum>[] | string;
        readonly uids: SequenceSet<Uid> | Uid | readonly SequenceInput<Uid>[] | string;
      }
    | undefined;
}

/** A message whose flags changed since the given MODSEQ, from a FETCH answering QRESYNC. */
export interface QresyncChange extends FlagUpdate {
  /** The message's UID (the server always sends it in these responses). */
  readonly uid: Uid;
}

/** What the server reported in answer to {@link SelectOptions.qresync}. */
export interface QresyncResult {
  /**
   * True when the mailbox's UIDVALIDITY is not the one given: the server then ignores the rest of
   * the parameter and reports nothing, and every cached UID of the mailbox is void (resynchronize
   * in full).
   */
  readonly uidValidityChanged: boolean;
  /**
   * The UIDs expunged since `modseq` (`* VANISHED (EARLIER) ...`, restricted to `knownUids` when
   * given), or undefined when none were reported.
   */
  readonly vanished: SequenceSet<Uid> | undefined;
  /**
   * The messages whose flags changed since `modseq` (among `knownUids` when given): UID, flags and
   * MODSEQ, in the order the server sent them. Messages that arrived since are not necessarily
   * listed: fetch the UIDs above the highest known one.
   */
  readonly changed: readonly QresyncChange[];
}

/** What {@link ImapClient.select} and {@link ImapClient.examine} return: the new mailbox's state, and the QRESYNC report. */
export interface SelectResult extends MailboxState {
  /**
   * With {@link SelectOptions.qresync}: what vanished and what changed since. Collected by the
   * command: these responses do not reach {@link ImapClient.events}. Undefined without the option.
   */
  readonly qresync: QresyncResult | undefined;
}

/** The largest mod-sequence-value (RFC 7162: a positive 63-bit integer). */
const MAX_MODSEQ = 2n ** 63n - 1n;

/** Codes of an untagged OK that belong to a SELECT/EXAMINE answer. */
const SELECT_CODES = new Set(['UIDVALIDITY', 'UIDNEXT', 'UNSEEN', 'PERMANENTFLAGS', 'HIGHESTMODSEQ', 'NOMODSEQ', 'CLOSED', 'READ-ONLY', 'READ-WRITE']);

/**
 * `SELECT` / `EXAMINE`: the new mailbox's state. A failure leaves no mailbox selected (RFC 9051
 * section 6.3.2). An EXPUNGE or VANISHED that follows the new mailbox's EXISTS in the answer (a
 * message expunged meanwhile by another session) is counted in `exists`.
 *
 * @throws UnsupportedError when `qresync` is asked for and the server does not offer (or enable)
 *   QRESYNC, or when it would have to be enabled while a mailbox is selected and UNSELECT is absent;
 *   when `condstore` is asked for and the server offers neither CONDSTORE nor QRESYNC;
 *   InvalidArgumentError for an empty name or one with a control character, or invalid QRESYNC parameters
 *   (before anything is sent).
 */
export async function select(session: CoreSession, name: string, readOnly: boolean, options: SelectOptions = {}): Promise<SelectResult> {
  assertMailboxName(session, name);
  const qresync = options.qresync;
  const qresyncArg = qresync === undefined ? undefined : qresyncParameter(qresync);
  if (qresync === undefined && options.condstore === true) requireCondstore(session, `${readOnly ? 'EXAMINE' : 'SELECT'} with condstore (CONDSTORE)`);
  // One timeout for the call, ENABLE (and UNSELECT) before the SELECT included.
  const step = callSteps(options);
  if (qresync !== undefined) await enableQresync(session, step);
  const vanished: NumberRange[] = [];
  const changed: QresyncChange[] = [];
  let closedSeen = false;
  let permanentFlagsSeen = false;
  let existsSeen = false;
  const state = openingState(name, readOnly);
  // Until `[CLOSED]`, a server that announces the switch still speaks of the mailbox being left
  // (RFC 7162 section 3.2.11, RFC 9051 section 6.3.2): its pending EXISTS, FLAGS, FETCH... stay
  // that mailbox's events. They are still heard, in case `[CLOSED]` never comes (see below).
  const collect = (response: ImapResponse): boolean => {
    const beforeClosed = !closedSeen && session.mailbox !== null && announcesClosed(session);
    const taken = take(response);
    // `[CLOSED]` itself (closedSeen now) is the command's.
    return taken && !(beforeClosed && !closedSeen);
  };
  const take = (response: ImapResponse): boolean => {
    switch (response.kind) {
      case 'exists':
        state.exists = response.count;
        existsSeen = true;
        return true;
      case 'recent':
        state.recent = response.count;
        return true;
      case 'flags':
        state.flags = response.flags;
        return true;
      case 'status':
        // RFC 4315 section 3: "returned in an untagged NO response to the SELECT command".
        if (response.status === 'NO' && response.code?.kind === 'UIDNOTSTICKY') {
          state.uidNotSticky = true;
          return true;
        }
        if (response.status !== 'OK' || response.code === null || !SELECT_CODES.has(response.code.kind)) return false;
        if (response.code.kind === 'CLOSED') {
          // What came before was the left mailbox's: forget it. A server that does not announce the
          // switch yet sends `[CLOSED]` is trusted all the same.
          closedSeen = true;
          permanentFlagsSeen = false;
          existsSeen = false;
          Object.assign(state, openingState(name, readOnly));
          vanished.length = 0;
          changed.length = 0;
        }
        if (response.code.kind === 'PERMANENTFLAGS') permanentFlagsSeen = true;
        applyCode(state, response.code);
        return true;
      case 'expunge':
        // After the opened mailbox's EXISTS, a message of it expunged meanwhile, which that EXISTS
        // counted. Before it, the left mailbox's pending data (an event): the EXISTS to come is
        // the count after it anyway.
        if (!existsSeen) return false;
        state.exists = Math.max(0, state.exists - 1);
        return true;
      case 'vanished':
        if (!response.earlier) {
          // The same, once QRESYNC is enabled (RFC 7162 section 3.2.10): each UID is one message fewer.
          if (!existsSeen) return false;
          state.exists = Math.max(0, state.exists - rangeCount(response.uids));
          return true;
        }
        // VANISHED (EARLIER) only ever answers a request (RFC 7162 section 3.2.10): here, QRESYNC.
        if (qresync === undefined) return false;
        // One by one: a spread passes one argument per range, and a long VANISHED overflows the stack.
        for (const range of response.uids) vanished.push(range);
        return true;
      case 'fetch': {
        if (qresync === undefined) return false;
        const { uid, flags, modseq } = response.attributes;
        if (uid === undefined) return false;
        changed.push({ seq: response.seq, uid, flags, modseq });
        return true;
      }
      case 'list':
        // IMAP4rev2 servers describe the selected mailbox with a LIST response.
        return response.command === 'LIST';
      default:
        return false;
    }
  };
  // Lenient: a server that should mark the switch with `[CLOSED]` and does not has sent the opened
  // mailbox's data as if it were the left one's (events), and the state keeps it all the same.
  // select-params = SP "(" select-param *(SP select-param) ")"; QRESYNC implies CONDSTORE.
  const params = qresyncArg !== undefined ? [atom('QRESYNC'), qresyncArg] : options.condstore === true ? [atom('CONDSTORE')] : [];
  return session.run(
    {
      name: readOnly ? 'EXAMINE' : 'SELECT',
      args: params.length > 0 ? [mailbox(name), list(...params)] : [mailbox(name)],
      exclusive: true,
      states: ['authenticated', 'selected'],
      untagged: collect,
      done: (response) => {
        if (response.code !== null) applyCode(state, response.code);
        if (readOnly) state.readOnly = true;
        // Without [PERMANENTFLAGS], "the client should assume that all flags can be changed
        // permanently" (RFC 3501 and RFC 9051, section 7.1): the FLAGS list, unless nothing can change.
        // The same array, which tells updateMailbox to let a later FLAGS response replace both.
        if (!permanentFlagsSeen && response.code?.kind !== 'PERMANENTFLAGS') state.permanentFlags = state.readOnly ? [] : state.flags;
        session.setMailbox(state);
        return {
          ...state,
          qresync:
            qresync === undefined
              ? undefined
              : {
                  uidValidityChanged: state.uidValidity !== qresync.uidValidity,
                  vanished: vanished.length === 0 ? undefined : (SequenceSet.from(vanished) as SequenceSet<Uid>),
                  changed,
                },
        };
      },
      failed: () => {
        session.setMailbox(null);
      },
    },
    step(),
  );
}

/** The state of a mailbox being opened, before the server has said anything of it. */
function openingState(name: string, readOnly: boolean): MutableMailboxState {
  return {
    name,
    readOnly,
    uidValidity: 0,
    uidNext: undefined,
    exists: 0,
    recent: undefined,
    unseen: undefined,
    flags: [],
    permanentFlags: [],
    highestModseq: undefined,
    uidNotSticky: false,
  };
}

/**
 * True when the server marks the implicit close of a selected mailbox with `* OK [CLOSED]`: RFC 7162
 * section 3.2.11 once QRESYNC is enabled, RFC 9051 section 6.3.2 in an IMAP4rev2 session.
 *
 * @internal
 */
export function announcesClosed(session: Pick<ImapSession, 'enabled' | 'capabilities'>): boolean {
  return session.enabled.has('QRESYNC') || imap4rev2InUse(session);
}

/**
 * The parenthesized value of the `QRESYNC` select parameter, validated.
 *
 * @throws InvalidArgumentError for an out-of-range UIDVALIDITY or MODSEQ, or a set with `*`.
 */
function qresyncParameter(parameters: QresyncParameters): CommandArg {
  const { uidValidity, modseq, knownUids, sequenceMatch } = parameters;
  if (!Number.isInteger(uidValidity) || uidValidity < 1 || uidValidity > MAX_MESSAGE_NUMBER) {
    throw new InvalidArgumentError(`QRESYNC needs a UIDVALIDITY from 1 to ${MAX_MESSAGE_NUMBER}, got ${uidValidity}`);
  }
  if (typeof modseq !== 'bigint' || modseq < 1n || modseq > MAX_MODSEQ) {
    throw new InvalidArgumentError(`QRESYNC needs a MODSEQ from 1 to 2^63-1, got ${String(modseq)}`);
  }
  const items: CommandArg[] = [num(uidValidity), modSequence(modseq)];
  // An empty list of known UIDs says nothing: it is left out like undefined.
  if (knownUids !== undefined && !(Array.isArray(knownUids) && knownUids.length === 0)) {
    items.push(sequenceSet(finiteSet(resolveSelector(knownUids).set, 'knownUids')));
  }
  if (sequenceMatch !== undefined) {
    const seqNums = finiteSet(resolveSelector({ seq: sequenceMatch.seqNums }).set, 'sequenceMatch.seqNums');
    const uids = finiteSet(resolveSelector(sequenceMatch.uids).set, 'sequenceMatch.uids');
    items.push(list(sequenceSet(seqNums), sequenceSet(uids)));
  }
  return list(...items);
}

/** known-uids and seq-match-data exclude `*` (RFC 7162 section 7). */
function finiteSet(set: SequenceSet, what: string): SequenceSet {
  if (set.ranges.some((range) => range.start === '*' || range.end === '*')) throw new InvalidArgumentError(`QRESYNC ${what} cannot contain "*"`);
  return set;
}

/**
 * Makes sure QRESYNC is enabled (RFC 7162 section 3.2.3), enabling it if the server offers it.
 * ENABLE is valid only in the authenticated state (RFC 5161 section 3.1): a selected mailbox is
 * unselected first, which the SELECT that follows would have done anyway.
 */
async function enableQresync(session: CoreSession, step: () => ImapCallOptions): Promise<void> {
  if (session.enabled.has('QRESYNC')) return;
  if (!session.hasCapability('QRESYNC')) throw new UnsupportedError('SELECT with QRESYNC needs the QRESYNC extension, which the server does not offer');
  if (session.state === 'selected') {
    if (!session.hasCapability('UNSELECT') && !session.hasCapability('IMAP4REV2')) {
      throw new UnsupportedError("QRESYNC must be enabled before a mailbox is selected: call client.enable(['QRESYNC']) first");
    }
    await deselect(session, 'UNSELECT', step());
  }
  await enable(session, ['QRESYNC'], step());
  if (!session.enabled.has('QRESYNC')) throw new UnsupportedError('The server did not enable QRESYNC');
}

/** `UNSELECT` (RFC 3691), or CLOSE where UNSELECT is absent and the mailbox is read-only. */
export async function unselect(session: CoreSession, options?: ImapCallOptions): Promise<void> {
  if (!session.hasCapability('UNSELECT') && !session.hasCapability('IMAP4REV2')) {
    if (session.mailbox?.readOnly === true) {
      await closeMailbox(session, options);
      return;
    }
    throw new UnsupportedError('The server offers no UNSELECT (CLOSE would expunge: use closeMailbox() if that is wanted)');
  }
  await deselect(session, 'UNSELECT', options);
}

/** `CLOSE`: expunges `\Deleted` messages (not on a read-only mailbox) and deselects. */
export async function closeMailbox(session: CoreSession, options?: ImapCallOptions): Promise<void> {
  await deselect(session, 'CLOSE', options);
}

async function deselect(session: CoreSession, name: 'CLOSE' | 'UNSELECT', options?: ImapCallOptions): Promise<void> {
  await session.run(
    {
      name,
      exclusive: true,
      states: ['selected'],
      done: () => {
        session.setMailbox(null);
      },
    },
    options,
  );
}
