/**
 * The mailbox-selection family: SELECT, EXAMINE (RFC 9051 sections 6.3.2, 6.3.3; RFC 7162
 * CONDSTORE), UNSELECT (RFC 3691) and CLOSE (RFC 9051 section 6.4.1).
 *
 * @packageDocumentation
 */

import { UnsupportedError } from '../../common/errors.js';
import { applyCode } from '../routing.js';
import type { CoreSession, ImapCallOptions, MailboxState, MutableMailboxState } from '../session.js';
import { atom, list, mailbox } from '../wire/command-args.js';
import type { ImapResponse } from '../wire/response-types.js';

/** Options of {@link ImapClient.select} and {@link ImapClient.examine}. */
export interface SelectOptions extends ImapCallOptions {
  /** Send `(CONDSTORE)` (RFC 7162) so the answer carries HIGHESTMODSEQ and FETCH can ask MODSEQ. */
  readonly condstore?: boolean | undefined;
}

/** Codes of an untagged OK that belong to a SELECT/EXAMINE answer. */
const SELECT_CODES = new Set(['UIDVALIDITY', 'UIDNEXT', 'UNSEEN', 'PERMANENTFLAGS', 'HIGHESTMODSEQ', 'NOMODSEQ', 'CLOSED', 'READ-ONLY', 'READ-WRITE']);

/**
 * `SELECT` / `EXAMINE`: the new mailbox's state. A failure leaves no mailbox selected (RFC 9051
 * section 6.3.2).
 */
export async function select(session: CoreSession, name: string, readOnly: boolean, options: SelectOptions = {}): Promise<MailboxState> {
  const state: MutableMailboxState = {
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
  };
  const collect = (response: ImapResponse): boolean => {
    switch (response.kind) {
      case 'exists':
        state.exists = response.count;
        return true;
      case 'recent':
        state.recent = response.count;
        return true;
      case 'flags':
        state.flags = response.flags;
        return true;
      case 'status':
        if (response.status !== 'OK' || response.code === null || !SELECT_CODES.has(response.code.kind)) return false;
        applyCode(state, response.code);
        return true;
      case 'list':
        // IMAP4rev2 servers describe the selected mailbox with a LIST response.
        return response.command === 'LIST';
      default:
        return false;
    }
  };
  return session.run(
    {
      name: readOnly ? 'EXAMINE' : 'SELECT',
      args: options.condstore === true ? [mailbox(name), list(atom('CONDSTORE'))] : [mailbox(name)],
      exclusive: true,
      states: ['authenticated', 'selected'],
      untagged: collect,
      done: (response) => {
        if (response.code !== null) applyCode(state, response.code);
        if (readOnly) state.readOnly = true;
        session.setMailbox(state);
        return { ...state };
      },
      failed: () => {
        session.setMailbox(null);
      },
    },
    options,
  );
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
