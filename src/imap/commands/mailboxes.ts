/**
 * Mailbox management: LIST and LSUB (RFC 9051 sections 6.3.9 and 6.3.8 of RFC 3501), with RFC 6154
 * special-use attributes, RFC 5258 LIST-EXTENDED selection and RFC 5819 LIST-STATUS where the server
 * offers them; CREATE (with RFC 6154 CREATE-SPECIAL-USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE.
 *
 * Names are plain JavaScript strings: the encoder writes them in modified UTF-7 (or UTF-8 under
 * UTF8=ACCEPT) and the parser decodes them, so `Entwürfe & Co` round-trips.
 *
 * @packageDocumentation
 */

import type { LimitExceededError, ProtocolError } from '../../common/errors.js';
import { InvalidArgumentError, ServerError, UnsupportedError } from '../../common/errors.js';
import { callSteps } from '../../common/options.js';
import type { ImapCallOptions, ImapCommand, ImapSession } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { atom, checkMailboxName, list as listOf, listMailbox, mailbox, raw } from '../wire/command-args.js';
import { isInbox } from '../wire/modified-utf7.js';
import type { ListResponse, MailboxStatusAttributes } from '../wire/response-types.js';
import type { StatusItem } from './status.js';
import { status, statusItemsFor } from './status.js';

/** The special-use attributes of RFC 6154 (and `\Important`, RFC 8457). */
export type SpecialUse = '\\All' | '\\Archive' | '\\Drafts' | '\\Flagged' | '\\Junk' | '\\Sent' | '\\Trash' | '\\Important';

const SPECIAL_USES: ReadonlyMap<string, SpecialUse> = new Map(
  (['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash', '\\Important'] as const).map((use) => [use.toLowerCase(), use]),
);

/** One mailbox as LIST or LSUB reported it. */
export interface MailboxEntry {
  /** The name, decoded (modified UTF-7 undone); pass it as is to SELECT, STATUS, RENAME... */
  readonly name: string;
  /** The name exactly as the server sent it. */
  readonly nameRaw: string;
  /**
   * The hierarchy delimiter (`/`, `.`), one character, or null for a flat namespace (the server sent
   * NIL, or an empty string). A server that sends several characters is read as its first.
   */
  readonly delimiter: string | null;
  /** Every attribute as sent (`\HasNoChildren`, `\Noselect`, `\Sent`, `\Subscribed`...). */
  readonly attributes: readonly string[];
  /** The special use (`\Sent`, `\Trash`...), or null. */
  readonly specialUse: SpecialUse | null;
  /** False for `\Noselect` and `\NonExistent` entries (hierarchy placeholders). */
  readonly selectable: boolean;
  /**
   * True when subscribed: for LSUB entries, true unless marked `\Noselect` (such an entry may be only
   * the parent of subscribed names, RFC 3501 section 6.3.9: undefined); with LIST-EXTENDED, true or
   * false from `\Subscribed`; undefined when the server could not tell (a plain LIST).
   */
  readonly subscribed: boolean | undefined;
  /** From `\HasChildren` / `\HasNoChildren`; undefined when the server did not say. */
  readonly hasChildren: boolean | undefined;
  /** RFC 5258 CHILDINFO data (`SUBSCRIBED`), or null. */
  readonly childInfo: readonly string[] | null;
  /** The STATUS attributes, when `status` was asked for (LIST-STATUS or one STATUS per mailbox). */
  readonly status: MailboxStatusAttributes | undefined;
}

/** Options of {@link ImapClient.list}. */
export interface ListOptions extends ImapCallOptions {
  /** The reference name (RFC 9051 section 6.3.9): a mailbox name, not a pattern (`%` and `*` in it are sent quoted, as themselves); default `''`. */
  readonly reference?: string | undefined;
  /**
   * The pattern(s): `*` matches anything, `%` anything but the delimiter. Default `'*'`. Several
   * patterns go in one command with LIST-EXTENDED, else in one command each.
   */
  readonly pattern?: string | readonly string[] | undefined;
  /** Only subscribed mailboxes: `LIST (SUBSCRIBED)` with LIST-EXTENDED or IMAP4rev2, else LSUB. */
  readonly subscribedOnly?: boolean | undefined;
  /** Only mailboxes with a special use: `LIST (SPECIAL-USE)` where offered, else filtered here. */
  readonly specialUseOnly?: boolean | undefined;
  /**
   * STATUS items wanted for each selectable mailbox: `RETURN (STATUS (...))` with LIST-STATUS
   * (RFC 5819), else one STATUS command per mailbox, pipelined. Items the server does not offer
   * are left out (see {@link ImapClient.status}).
   */
  readonly status?: readonly StatusItem[] | undefined;
}

/** Options of {@link ImapClient.createMailbox}. */
export interface CreateMailboxOptions extends ImapCallOptions {
  /** Special uses to give the new mailbox (RFC 6154 `USE`); needs CREATE-SPECIAL-USE. */
  readonly specialUse?: readonly SpecialUse[] | undefined;
}

/**
 * Refuses a mailbox name that cannot be sent: empty, or with a control character (CR, LF, NUL, TAB,
 * DEL, a C1 control, U+2028 or U+2029: see checkMailboxName), which would otherwise be modified-UTF-7
 * encoded and create a mailbox nobody asked for. A name the server listed in this session (see
 * {@link ImapSession.isListedName}) may hold such characters, CR, LF and NUL excepted.
 *
 * @param session - the session, which knows the names its server listed.
 * @param name - the name as the caller gave it.
 * @param what - what the name is, for the error message.
 * @throws InvalidArgumentError when the name is empty or contains a control character.
 * @internal
 */
export function assertMailboxName(session: ImapSession, name: string, what = 'Mailbox name'): void {
  if (name.length === 0) throw new InvalidArgumentError(`${what} is empty`);
  checkMailboxName(name, what, (listed) => session.isListedName?.(listed) === true);
}

/**
 * Tells whether two decoded mailbox names denote the same mailbox (`INBOX` is case-insensitive).
 *
 * @internal
 */
export function sameMailbox(a: string, b: string): boolean {
  return a === b || (isInbox(a) && isInbox(b));
}

/**
 * True when mailbox names and strings travel as UTF-8: UTF8=ACCEPT or IMAP4rev2 enabled, or a
 * server that speaks IMAP4rev2 only (RFC 9051 section 6.3.1: then there is nothing to enable).
 * The client switches its encoder and parser by the same rule.
 *
 * @internal
 */
export function utf8Enabled(session: Pick<ImapSession, 'enabled' | 'capabilities'>): boolean {
  return session.enabled.has('UTF8=ACCEPT') || imap4rev2InUse(session);
}

/**
 * The session speaks IMAP4rev2: enabled (RFC 9051 section 6.3.1), or the server offers nothing
 * else. A server offering both speaks IMAP4rev1 until then.
 *
 * @internal
 */
export function imap4rev2InUse(session: Pick<ImapSession, 'enabled' | 'capabilities'>): boolean {
  return session.enabled.has('IMAP4REV2') || rev2Only(session.capabilities);
}

/** A server that offers IMAP4rev2 and not IMAP4rev1 (capabilities upper-cased). @internal */
export function rev2Only(capabilities: ReadonlySet<string>): boolean {
  return capabilities.has('IMAP4REV2') && !capabilities.has('IMAP4REV1');
}

/**
 * Lists mailboxes (LIST, or LSUB for `subscribedOnly` without LIST-EXTENDED or IMAP4rev2).
 *
 * @example
 * ```ts
 * const boxes = await client.list();
 * const sent = boxes.find((box) => box.specialUse === '\\Sent');
 * const counts = await client.list({ pattern: '%', status: ['MESSAGES', 'UNSEEN'] });
 * ```
 * @param session - the client.
 * @param options - pattern, selection, STATUS items, signal, timeout.
 * @returns the entries in the order the server sent them.
 * @throws InvalidArgumentError for a reference or pattern with a control character; ServerError when refused;
 *   ProtocolError when an answer (a LIST line, or a STATUS line of LIST-STATUS) cannot be read.
 */
export async function list(session: ImapSession, options: ListOptions = {}): Promise<MailboxEntry[]> {
  const reference = options.reference ?? '';
  const patterns = typeof options.pattern === 'string' ? [options.pattern] : (options.pattern ?? ['*']);
  if (patterns.length === 0) throw new InvalidArgumentError('list() needs at least one pattern');
  for (const pattern of [reference, ...patterns]) checkMailboxName(pattern, 'A LIST pattern');
  // IMAP4rev2 includes the selection and return options of LIST-EXTENDED and LIST-STATUS, and has
  // no LSUB (RFC 9051 section 6.3.9 and appendix E): a server that speaks only IMAP4rev2 need not
  // announce them.
  const rev2 = imap4rev2InUse(session);
  const extended = rev2 || session.hasCapability('LIST-EXTENDED');
  const specialUse = session.hasCapability('SPECIAL-USE');
  const statusItems = options.status === undefined ? [] : statusItemsFor(session, options.status);
  const listStatus = extended && statusItems.length > 0 && (rev2 || session.hasCapability('LIST-STATUS'));
  // One timeout for the call: the STATUS commands after the LIST get what is left of it.
  const step = callSteps(options);

  let entries: MailboxEntry[];
  if (extended) {
    const selection: CommandArg[] = [];
    if (options.subscribedOnly === true) selection.push(atom('SUBSCRIBED'));
    if (options.specialUseOnly === true && specialUse) selection.push(atom('SPECIAL-USE'));
    const returns: CommandArg[] = [atom('SUBSCRIBED'), atom('CHILDREN')];
    if (specialUse) returns.push(atom('SPECIAL-USE'));
    if (listStatus) returns.push(atom('STATUS'), listOf(...statusItems.map(atom)));
    const args: CommandArg[] = [];
    if (selection.length > 0) args.push(listOf(...selection));
    args.push(mailbox(reference));
    args.push(patterns.length === 1 ? listMailbox(patterns[0]!) : listOf(...patterns.map(listMailbox)));
    args.push(atom('RETURN'), listOf(...returns));
    // RETURN (SUBSCRIBED) was asked: an entry without \Subscribed is known not to be subscribed (RFC 5258 section 3.4).
    entries = (await runList(session, 'LIST', args, reference, patterns, listStatus, step())).map((entry) =>
      entry.subscribed === undefined ? { ...entry, subscribed: false } : entry,
    );
  } else {
    const command = options.subscribedOnly === true ? 'LSUB' : 'LIST';
    const results = await Promise.all(
      patterns.map((pattern) => runList(session, command, [mailbox(reference), listMailbox(pattern)], reference, [pattern], false, step())),
    );
    // Overlapping patterns list a mailbox twice: keep the first.
    const byName = new Map<string, MailboxEntry>();
    for (const entry of results.flat()) if (!byName.has(entry.nameRaw)) byName.set(entry.nameRaw, entry);
    entries = [...byName.values()];
  }
  if (options.specialUseOnly === true) entries = entries.filter((entry) => entry.specialUse !== null);
  if (statusItems.length > 0 && !listStatus) {
    // Like LIST-STATUS, which leaves out the STATUS of a mailbox it cannot open, a mailbox whose
    // STATUS is refused (deleted meanwhile, no rights) keeps `status: undefined`.
    entries = await Promise.all(
      entries.map(async (entry) => {
        if (!entry.selectable) return entry;
        try {
          return { ...entry, status: await status(session, entry.name, statusItems, step()) };
        } catch (error) {
          if (error instanceof ServerError) return entry;
          throw error;
        }
      }),
    );
  }
  return entries;
}

/**
 * Lists subscribed mailboxes with LSUB (RFC 3501; dropped by RFC 9051 in favour of
 * `list({ subscribedOnly: true })`, which this library prefers when LIST-EXTENDED is offered or
 * IMAP4rev2 is in use).
 *
 * @param session - the client.
 * @param pattern - the pattern, default `'*'`.
 * @param options - signal, timeout.
 * @returns the subscribed mailboxes (`subscribed` is true on each, undefined on a `\Noselect` entry,
 *   which `%` may return as the parent of subscribed names without itself being subscribed).
 */
export async function lsub(session: ImapSession, pattern = '*', options: ImapCallOptions = {}): Promise<MailboxEntry[]> {
  checkMailboxName(pattern, 'An LSUB pattern');
  return runList(session, 'LSUB', [mailbox(''), listMailbox(pattern)], '', [pattern], false, options);
}

/** The LIST/LSUB commands of this module in flight, per session, to tell their answers apart. */
const listsInFlight = new WeakMap<ImapSession, Set<ListCollector>>();

interface ListCollector {
  readonly command: 'LIST' | 'LSUB';
  matches(entry: ListResponse): boolean;
}

async function runList(
  session: ImapSession,
  command: 'LIST' | 'LSUB',
  args: readonly CommandArg[],
  reference: string,
  patterns: readonly string[],
  withStatus: boolean,
  options: ImapCallOptions,
): Promise<MailboxEntry[]> {
  const entries: MailboxEntry[] = [];
  const awaitingStatus = new Map<string, number>(); // decoded name -> index in entries
  // The patterns as given, matched against the names as decoded: wildcards match names, not their
  // modified UTF-7 (`Ü*` finds `Üß`, listed as `&ANwA3w-`, which the pattern's encoding `&ANw-*`
  // does not spell). Either side is as sent under UTF8=ACCEPT, before or after a pipelined ENABLE.
  const fullPatterns = patterns.map((pattern) => reference + pattern);
  // A LIST names each mailbox once, and answers an empty pattern with one root: a second one is
  // another LIST's answer.
  const takenNames = new Set<string>();
  let rootTaken = false;
  const collector: ListCollector = {
    command,
    matches: (entry) =>
      !takenNames.has(entry.nameRaw) &&
      patterns.some((pattern, index) =>
        pattern === '' ? !rootTaken && isRootOf(entry.name, reference, entry.delimiter) : patternMatches(fullPatterns[index]!, entry.name, entry.delimiter),
      ),
  };
  let inFlight = listsInFlight.get(session);
  if (inFlight === undefined) {
    inFlight = new Set();
    listsInFlight.set(session, inFlight);
  }
  const others = inFlight;
  /** An answer the parser could not read: the call fails rather than return a list missing a mailbox. */
  let unreadable: ProtocolError | LimitExceededError | undefined;
  const definition: ImapCommand<undefined> = {
    name: command,
    args,
    states: ['authenticated', 'selected'],
    untagged: (response) => {
      if (response.kind === 'list') {
        if (response.command !== command) return false;
        // Pipelined LISTs cannot be told apart by their answers (RFC 9051 section 5.5) except by
        // the patterns: when another LIST of ours is in flight, take only what our patterns match.
        const alone = [...others].every((other) => other === collector || other.command !== command);
        if (!alone && !collector.matches(response)) return false;
        const entry = toEntry(response, command);
        if (withStatus && entry.selectable) awaitingStatus.set(entry.name, entries.length);
        entries.push(entry);
        takenNames.add(entry.nameRaw);
        rootTaken ||= patterns.includes('') && isRootOf(entry.name, reference, entry.delimiter);
        return true;
      }
      if (response.kind === 'mailbox-status' && withStatus) {
        // RFC 5819: the STATUS response follows the LIST response of the same mailbox.
        const index = findAwaiting(awaitingStatus, response.mailbox);
        if (index === undefined) return false;
        const entry = entries[index]!;
        entries[index] = { ...entry, status: response.attributes };
        return true;
      }
      return false;
    },
    unreadableUntagged: (error, name) => {
      // Whose it was cannot be read either: the first LIST in flight takes it, as answers come in
      // the order the commands were sent.
      if (name !== command && !(withStatus && name === 'STATUS')) return false;
      unreadable ??= error;
      return true;
    },
    done: () => {
      if (unreadable !== undefined) throw unreadable;
      return undefined;
    },
  };
  others.add(collector);
  try {
    await session.run(definition, options);
  } finally {
    others.delete(collector);
  }
  return entries;
}

function findAwaiting(awaiting: Map<string, number>, name: string): number | undefined {
  for (const [key, index] of awaiting) {
    if (sameMailbox(key, name)) {
      awaiting.delete(key);
      return index;
    }
  }
  return undefined;
}

function toEntry(response: ListResponse, command: 'LIST' | 'LSUB'): MailboxEntry {
  let specialUse: SpecialUse | null = null;
  let selectable = true;
  let subscribed: boolean | undefined = command === 'LSUB' ? true : undefined;
  let hasChildren: boolean | undefined;
  for (const attribute of response.attributes) {
    const lower = attribute.toLowerCase();
    specialUse ??= SPECIAL_USES.get(lower) ?? null;
    if (lower === '\\noselect' || lower === '\\nonexistent') {
      selectable = false;
      // An LSUB entry marked \Noselect may be only the parent of subscribed names (RFC 3501 section 6.3.9).
      if (command === 'LSUB' && lower === '\\noselect') subscribed = undefined;
    } else if (lower === '\\subscribed') subscribed = true;
    else if (lower === '\\haschildren') hasChildren = true;
    else if (lower === '\\hasnochildren' || lower === '\\noinferiors') hasChildren ??= false;
  }
  return {
    name: response.name,
    nameRaw: response.nameRaw,
    delimiter: response.delimiter,
    attributes: response.attributes,
    specialUse,
    selectable,
    subscribed,
    hasChildren,
    childInfo: response.childInfo,
    status: undefined,
  };
}

/**
 * Does a mailbox name match a LIST pattern (`*` anything, `%` anything but the delimiter)? INBOX
 * is case-insensitive (RFC 9051 section 5.1): when the name is INBOX or one of its children, its
 * first five characters match the pattern in any ASCII case, so `inbox%` and `InBox*` find INBOX
 * and `INBOX/Sub` as a server would, while `Inboxes` stays a name like any other.
 */
function patternMatches(pattern: string, name: string, delimiter: string | null): boolean {
  const nameChars = Array.from(name); // code points: a wildcard skips a character, not half of one
  const foldedLength = inboxPrefixLength(name, delimiter);
  // matched[i]: the pattern read so far can match the first i characters of the name.
  let matched = nameChars.map(() => false).concat(false);
  matched[0] = true;
  for (const patternChar of pattern) {
    const next = matched.map(() => false);
    for (let index = 0; index <= nameChars.length; index++) {
      if (patternChar === '*' || patternChar === '%') {
        // A wildcard matches nothing more, or one more character (`%` not the delimiter).
        next[index] = matched[index]! || (index > 0 && next[index - 1]! && (patternChar === '*' || nameChars[index - 1] !== delimiter));
      } else {
        next[index] = index > 0 && matched[index - 1]! && sameNameChar(patternChar, nameChars[index - 1]!, index <= foldedLength);
      }
    }
    matched = next;
  }
  return matched[nameChars.length]!;
}

/**
 * Is `name` the root that `LIST reference ""` answers with? RFC 3501 section 6.3.8: the empty
 * pattern asks for the hierarchy delimiter and the root name of the reference, which is a leading
 * part of it (`#news.` of `#news.comp.mail.misc`, `/` of `/usr/staff/jones`) or the empty string.
 */
function isRootOf(name: string, reference: string, delimiter: string | null): boolean {
  const nameChars = Array.from(name);
  const referenceChars = Array.from(reference);
  const foldedLength = inboxPrefixLength(reference, delimiter);
  return nameChars.length <= referenceChars.length && nameChars.every((char, index) => sameNameChar(char, referenceChars[index]!, index < foldedLength));
}

/** 5 when the name is INBOX or a child of it (`INBOX/Sub`), in any ASCII case, else 0. */
function inboxPrefixLength(name: string, delimiter: string | null): number {
  const isInboxOrChild = isInbox(name.slice(0, 5)) && (name.length === 5 || (delimiter !== null && name.startsWith(delimiter, 5)));
  return isInboxOrChild ? 5 : 0;
}

/** Equal characters, or (`asciiCaseless`) the same ASCII letter in another case; never `ı` for `I`. */
function sameNameChar(a: string, b: string, asciiCaseless: boolean): boolean {
  return a === b || (asciiCaseless && /^[a-z]$/i.test(a) && a.toLowerCase() === b.toLowerCase());
}

/**
 * Creates a mailbox (CREATE), optionally with special uses (CREATE-SPECIAL-USE, RFC 6154).
 *
 * @example
 * ```ts
 * await client.createMailbox('Projects/Été 2026');
 * await client.createMailbox('Archive/2026', { specialUse: ['\\Archive'] });
 * ```
 * @param session - the client.
 * @param name - the new mailbox's name; intermediate levels are created by most servers.
 * @param options - special uses, signal, timeout.
 * @throws ServerError with responseCode `ALREADYEXISTS` (or another code) when refused;
 *   UnsupportedError when `specialUse` is given and CREATE-SPECIAL-USE is not offered.
 */
export async function createMailbox(session: ImapSession, name: string, options: CreateMailboxOptions = {}): Promise<void> {
  assertMailboxName(session, name);
  const args: CommandArg[] = [mailbox(name)];
  const uses = options.specialUse ?? [];
  if (uses.length > 0) {
    if (!session.hasCapability('CREATE-SPECIAL-USE')) throw new UnsupportedError('The server does not offer CREATE-SPECIAL-USE');
    args.push(listOf(atom('USE'), listOf(...uses.map((use) => raw(use)))));
  }
  await simple(session, 'CREATE', args, options);
}

/**
 * Deletes a mailbox (DELETE).
 *
 * @param session - the client.
 * @param name - the mailbox.
 * @param options - signal, timeout.
 * @throws ServerError with responseCode `NONEXISTENT`, `HASCHILDREN`, `INUSE`... when refused.
 */
export async function deleteMailbox(session: ImapSession, name: string, options: ImapCallOptions = {}): Promise<void> {
  assertMailboxName(session, name);
  await simple(session, 'DELETE', [mailbox(name)], options);
}

/**
 * Renames a mailbox (RENAME). Renaming INBOX moves its messages to the new mailbox and leaves INBOX
 * empty (RFC 9051 section 6.3.6).
 *
 * @param session - the client.
 * @param from - the current name.
 * @param to - the new name.
 * @param options - signal, timeout.
 * @throws ServerError with responseCode `NONEXISTENT`, `ALREADYEXISTS`... when refused.
 */
export async function renameMailbox(session: ImapSession, from: string, to: string, options: ImapCallOptions = {}): Promise<void> {
  assertMailboxName(session, from, 'Source mailbox name');
  assertMailboxName(session, to, 'New mailbox name');
  await simple(session, 'RENAME', [mailbox(from), mailbox(to)], options);
}

/**
 * Subscribes to a mailbox (SUBSCRIBE).
 *
 * @param session - the client.
 * @param name - the mailbox (servers may accept names that do not exist).
 * @param options - signal, timeout.
 */
export async function subscribeMailbox(session: ImapSession, name: string, options: ImapCallOptions = {}): Promise<void> {
  assertMailboxName(session, name);
  await simple(session, 'SUBSCRIBE', [mailbox(name)], options);
}

/**
 * Unsubscribes from a mailbox (UNSUBSCRIBE).
 *
 * @param session - the client.
 * @param name - the mailbox.
 * @param options - signal, timeout.
 */
export async function unsubscribeMailbox(session: ImapSession, name: string, options: ImapCallOptions = {}): Promise<void> {
  assertMailboxName(session, name);
  await simple(session, 'UNSUBSCRIBE', [mailbox(name)], options);
}

function simple(session: ImapSession, name: string, args: readonly CommandArg[], options: ImapCallOptions): Promise<undefined> {
  return session.run({ name, args, states: ['authenticated', 'selected'], done: () => undefined }, options);
}
