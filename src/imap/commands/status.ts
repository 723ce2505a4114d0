/**
 * STATUS (RFC 9051 section 6.3.11): counters of a mailbox without selecting it, with
 * HIGHESTMODSEQ (RFC 7162), SIZE (RFC 8438) and APPENDLIMIT (RFC 7889) where offered.
 *
 * @packageDocumentation
 */

import type { LimitExceededError, ProtocolError } from '../../common/errors.js';
import { InvalidArgumentError, UnsupportedError } from '../../common/errors.js';
import type { ImapCallOptions, ImapSession } from '../session.js';
import { atom, list, mailbox } from '../wire/command-args.js';
import type { MailboxStatusAttributes } from '../wire/response-types.js';
import { assertMailboxName, imap4rev2InUse, sameMailbox } from './mailboxes.js';
import { offersCondstore } from './store.js';

/** A STATUS data item. */
export type StatusItem =
  | 'MESSAGES'
  | 'RECENT'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'DELETED'
  | 'SIZE'
  | 'HIGHESTMODSEQ'
  | 'APPENDLIMIT';

const ALL_ITEMS: ReadonlySet<string> = new Set<StatusItem>([
  'MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'HIGHESTMODSEQ', 'APPENDLIMIT',
]);

/** What {@link ImapClient.status} asks for when no items are given. */
export const DEFAULT_STATUS_ITEMS: readonly StatusItem[] = ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ'];

/**
 * The items of `wanted` that this server can answer: HIGHESTMODSEQ needs CONDSTORE (or QRESYNC, which
 * implies it), SIZE needs STATUS=SIZE or IMAP4rev2, DELETED needs IMAP4rev2, APPENDLIMIT needs
 * APPENDLIMIT or APPENDLIMIT=n, and RECENT is gone from IMAP4rev2-only servers and once IMAP4rev2 is enabled.
 * Duplicates are dropped.
 *
 * @param session - the client.
 * @param wanted - the items asked for.
 * @returns the items to send.
 * @throws InvalidArgumentError for an unknown item.
 * @internal
 */
export function statusItemsFor(session: ImapSession, wanted: readonly StatusItem[]): StatusItem[] {
  const rev2 = session.hasCapability('IMAP4REV2');
  const out: StatusItem[] = [];
  for (const item of wanted) {
    const name = item.toUpperCase();
    if (!ALL_ITEMS.has(name)) throw new InvalidArgumentError(`Unknown STATUS item: ${JSON.stringify(item)}`);
    const known = name as StatusItem;
    if (out.includes(known)) continue;
    if (known === 'HIGHESTMODSEQ' && !offersCondstore(session)) continue;
    if (known === 'SIZE' && !rev2 && !session.hasCapability('STATUS=SIZE')) continue;
    if (known === 'DELETED' && !rev2) continue;
    if (known === 'APPENDLIMIT' && !offersAppendLimit(session)) continue;
    // RFC 9051 has no RECENT: gone once the session speaks IMAP4rev2, or when the server speaks nothing else.
    if (known === 'RECENT' && imap4rev2InUse(session)) continue;
    out.push(known);
  }
  return out;
}

/*
 * RFC 7889 section 2: capability =/ "APPENDLIMIT" [ "=" number ]. Either form means STATUS
 * APPENDLIMIT is supported; the bare one says the limit differs per mailbox.
 */
function offersAppendLimit(session: ImapSession): boolean {
  if (session.hasCapability('APPENDLIMIT')) return true;
  for (const capability of session.capabilities) if (capability.startsWith('APPENDLIMIT=')) return true;
  return false;
}

/**
 * Reads a mailbox's counters with STATUS.
 *
 * Items the server does not offer (see the list under `items`) are left out rather than sent and
 * refused, so each field of the result is present only when the server reported it.
 *
 * @example
 * ```ts
 * const { messages, unseen, uidNext } = await client.status('INBOX');
 * const { size } = await client.status('Archive', ['SIZE']); // undefined without STATUS=SIZE
 * ```
 * @param session - the client.
 * @param name - the mailbox (RFC 9051 advises against asking for the selected one).
 * @param items - what to ask for (default {@link DEFAULT_STATUS_ITEMS}). HIGHESTMODSEQ needs
 *   CONDSTORE or QRESYNC, SIZE needs STATUS=SIZE or IMAP4rev2, DELETED needs IMAP4rev2, APPENDLIMIT needs
 *   the APPENDLIMIT capability, with or without a value (RFC 7889).
 * @param options - signal, timeout.
 * @returns the attributes the server sent.
 * @throws ServerError with responseCode `NONEXISTENT` for an unknown mailbox (Dovecot 2.3 sends a
 *   bare NO); ProtocolError when the server's STATUS answer cannot be read; UnsupportedError when the server offers none of `items`; InvalidArgumentError for an
 *   empty or unknown item, or a name with a control character.
 */
export async function status(
  session: ImapSession,
  name: string,
  items: readonly StatusItem[] = DEFAULT_STATUS_ITEMS,
  options: ImapCallOptions = {},
): Promise<MailboxStatusAttributes> {
  assertMailboxName(session, name);
  if (items.length === 0) throw new InvalidArgumentError('status() needs at least one item');
  const send = statusItemsFor(session, items);
  if (send.length === 0) throw new UnsupportedError(`The server offers none of the STATUS items ${items.join(', ')}`);
  let found: MailboxStatusAttributes = {};
  let taken = false;
  /** Our answer, if the parser could not read it: the call fails rather than return no counters. */
  let unreadable: ProtocolError | LimitExceededError | undefined;
  await session.run(
    {
      name: 'STATUS',
      args: [mailbox(name), list(...send.map(atom))],
      states: ['authenticated', 'selected'],
      untagged: (response) => {
        if (taken || response.kind !== 'mailbox-status' || !sameMailbox(response.mailbox, name)) return false;
        found = response.attributes;
        taken = true;
        return true;
      },
      unreadableUntagged: (error, responseName) => {
        // Its mailbox name cannot be read either: the first STATUS in flight still waiting takes it.
        if (taken || responseName !== 'STATUS') return false;
        taken = true;
        unreadable = error;
        return true;
      },
      done: () => {
        if (unreadable !== undefined) throw unreadable;
        return undefined;
      },
    },
    options,
  );
  return found;
}
