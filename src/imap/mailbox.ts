/**
 * The IMAP implementation of the common {@link Mailbox}, built on {@link ImapClient} and the IMAP
 * command families.
 *
 * IMAP keeps mail on the server and shares its state with every client of the account:
 * - ids are UIDVALIDITY + UID; an id of another UIDVALIDITY is refused with a
 *   {@link UidValidityChangedError} before anything is sent, so the wrong message is never touched;
 * - `headers()` and `fetch()` use `BODY.PEEK[...]` (no `\Seen`); `retrieve()` uses `BODY[]`,
 *   which sets `\Seen`, and leaves the message;
 * - `delete()` flags `\Deleted` and expunges those UIDs only (`UID EXPUNGE`, RFC 4315): a plain
 *   EXPUNGE would also remove what other clients had merely marked;
 * - `watch()` idles on a connection of its own (QRESYNC enabled where offered, so that expunges
 *   name their UIDs; without it each EXPUNGE's UID is checked with UID SEARCH) and keeps a UID/flags
 *   map; after a drop it
 *   reconnects with backoff and diffs (with QRESYNC the EXAMINE itself reports what vanished and
 *   what changed; with CONDSTORE only the flags changed since the last known MODSEQ are fetched),
 *   so no event is lost or repeated.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, UnsupportedError } from '../common/errors.js';
import {
  connectSignal,
  imapMessageId,
  isTransient,
  messageContent,
  requireProtocol,
  checkNotAborted,
  checkMailboxOptions,
  checkOpen,
  checkWatchOptions,
  resolveBackoff,
  sleep,
  summarizeHeader,
  UidValidityChangedError,
  type DeleteResult,
  type HeaderSummary,
  type HeadersOptions,
  type ImapMessageId,
  type Mailbox,
  type MailboxCloseResult,
  type MailboxTraits,
  type MessageContent,
  type MessageId,
  type MessageInfo,
  type MailboxWatch,
  type WatchEvent,
  type WatchOptions,
  WatchRun,
} from '../common/mailbox.js';
import { mailboxConnectors, type Connector } from '../common/connector.js';
import { ImapClient } from './client.js';
import type { ImapClientOptions } from './options.js';
import { ExpungeInterruptedError, uidExpunge } from './commands/expunge.js';
import { offersIdle } from './commands/idle.js';
import { search } from './commands/search.js';
import type { QresyncResult, SelectOptions } from './commands/select.js';
import { markDeleted, offersCondstore } from './commands/store.js';
import type { MailboxEvent } from './session.js';
import { SequenceSet, type Uid } from './wire/sequence-set.js';

/** Options of {@link ImapMailbox.open}. */
export interface ImapMailboxOptions {
  /**
   * The client's options; `auth` is required. `watch()` opens a second connection with them. A
   * `record` option records the mailbox's sessions to one transcript and the watch's connections to
   * a second, as `openMailbox` does (`inbox.txt` and `inbox.watch.txt`).
   */
  readonly client: ImapClientOptions;
  /** The mailbox (folder) to open. Default `INBOX`. */
  readonly mailbox?: string | undefined;
  /**
   * The connector of the connection `watch()` opens (default: `client.connector`). A recording
   * connector records one connection at a time, so a recorded watch needs a transcript of its own.
   */
  readonly watchConnector?: Connector | undefined;
}

const DEFAULT_POLL_INTERVAL = 30_000;
const DEFAULT_IDLE_RESTART = 25 * 60 * 1000;

/**
 * An IMAP mailbox (folder) as a {@link Mailbox}. Open one with `openMailbox('imaps://user@host/INBOX', ...)`
 * or {@link ImapMailbox.open}. The folder is SELECTed read-write.
 *
 * @example
 * ```ts
 * await using mailbox = await ImapMailbox.open({ client: { host, auth: { username, password } } });
 * for await (const { id, subject } of mailbox.headers()) console.log(id.uid, subject); // no \Seen
 * ```
 */
export class ImapMailbox implements Mailbox {
  readonly #options: ImapMailboxOptions;
  readonly #name: string;
  #client: ImapClient | undefined;
  #opening: Promise<ImapClient> | undefined;
  #uidValidity = 0;
  #closed = false;
  /** The first close(), which every later call waits for. */
  #closing: Promise<MailboxCloseResult> | undefined;
  readonly #watches = new Set<WatchRun>();

  private constructor(options: ImapMailboxOptions) {
    this.#options = options;
    this.#name = options.mailbox ?? 'INBOX';
  }

  /**
   * Connects, logs in and selects the mailbox.
   *
   * @throws the client's connect and login errors; ServerError when the mailbox does not exist;
   *   InvalidArgumentError for a `watchConnector` that is not a function.
   */
  static async open(options: ImapMailboxOptions): Promise<ImapMailbox> {
    if (options.client.auth === undefined) throw new InvalidArgumentError('An IMAP mailbox needs credentials (client.auth)');
    checkMailboxOptions({ watchConnector: options.watchConnector });
    const mailbox = new ImapMailbox(await recorded(options));
    await mailbox.#ensure();
    return mailbox;
  }

  /** How IMAP behaves (see {@link MailboxTraits}); `push` is `polling` on a server without IDLE. */
  get traits(): MailboxTraits {
    return {
      protocol: 'imap',
      removesOnRetrieve: false,
      sharedState: true,
      headerFetch: 'native',
      push: this.#client === undefined || offersIdle(this.#client) ? 'idle' : 'polling',
      folders: true,
      flags: true,
      deletions: 'immediate',
      snapshot: false,
    };
  }

  /** The mailbox (folder) name. */
  get name(): string {
    return this.#name;
  }

  /** The UIDVALIDITY the ids of this mailbox are issued under. */
  get uidValidity(): number {
    return this.#currentUidValidity();
  }

  /** The underlying client (IMAP-only power stays there: folders, search, flags, ...). */
  get client(): ImapClient | undefined {
    return this.#client;
  }

  /** Every message with its id, size, flags and internal date (NOOP, then `UID FETCH 1:*`). See {@link Mailbox.list}. */
  async list(): Promise<MessageInfo[]> {
    const client = await this.#ensure();
    // NOOP first: the server tells of expunges (and flag changes) made elsewhere only between
    // commands, and until it has told, the expunged messages still exist for this session.
    await client.noop();
    if (client.mailbox?.exists === 0) return [];
    const out: MessageInfo[] = [];
    for await (const message of client.fetch('1:*', { flags: true, size: true, internalDate: true })) {
      const { uid, flags, size, internalDate } = await message.complete();
      if (uid === undefined) continue;
      out.push({ id: imapMessageId(this.#currentUidValidity(), uid), size: size ?? 0, flags: sharedFlags(flags), date: internalDate ?? undefined });
    }
    return out;
  }

  /** Parsed headers via `BODY.PEEK[HEADER]`, which leaves `\Seen` alone. See {@link Mailbox.headers}. */
  async *headers(ids?: readonly MessageId[], options: HeadersOptions = {}): AsyncGenerator<HeaderSummary, void, undefined> {
    const { signal } = options;
    checkNotAborted(signal);
    const client = await this.#ensure();
    checkNotAborted(signal);
    const set = ids === undefined ? '1:*' : this.#uidSet(ids);
    if (set === undefined || (ids === undefined && client.mailbox?.exists === 0)) return;
    // The FETCH itself is cancelled by the signal (its late answer is read and dropped); once it
    // is answered, the summaries not yet taken are not handed out after an abort.
    for await (const message of client.fetch(set, { bodies: ['HEADER'] }, { bodies: 'buffer', ...(signal === undefined ? {} : { signal }) })) {
      const { uid } = await message.complete();
      checkNotAborted(signal);
      if (uid === undefined) continue;
      yield summarizeHeader(imapMessageId(this.#currentUidValidity(), uid), message.bodyBytes('HEADER') ?? new Uint8Array());
      checkNotAborted(signal);
    }
  }

  /** The whole message via `BODY.PEEK[]`: no side effect. See {@link Mailbox.fetch}. */
  fetch(id: MessageId): Promise<MessageContent> {
    return this.#body(id, false);
  }

  /** The whole message via `BODY[]`, which sets `\Seen`; the message stays. See {@link Mailbox.retrieve}. */
  retrieve(id: MessageId): Promise<MessageContent> {
    return this.#body(id, true);
  }

  /** `UID STORE +FLAGS.SILENT (\Deleted)` then `UID EXPUNGE` of those UIDs only. See {@link Mailbox.delete}. */
  async delete(ids: readonly MessageId[]): Promise<DeleteResult> {
    const client = await this.#ensure();
    const set = this.#uidSet(ids);
    if (set === undefined) return { deleted: [], missing: [] };
    if (!client.hasCapability('UIDPLUS') && !client.hasCapability('IMAP4REV2')) {
      throw new UnsupportedError(
        'The server offers no UID EXPUNGE (UIDPLUS): a plain EXPUNGE would also remove messages other clients marked \\Deleted, so nothing was deleted',
      );
    }
    // UID SEARCH goes as one command whatever its length (the client never splits a search), and
    // servers refuse a line that long: the set is looked up in the parts STORE and UID EXPUNGE use.
    const present = new Set<number>();
    for (const part of set.split(client.maxSetLength)) for (const found of await search(client, { uid: part })) present.add(found);
    const deleted = ids.filter((id) => present.has((id as ImapMessageId).uid));
    const missing = ids.filter((id) => !present.has((id as ImapMessageId).uid));
    if (deleted.length === 0) return { deleted, missing };
    const targets = SequenceSet.uids([...present] as Uid[]);
    await markDeleted(client, targets);
    // An interruption rejects with the error that ended the call, as the steps before do.
    await uidExpunge(client, targets).catch((error: unknown) => {
      throw error instanceof ExpungeInterruptedError ? error.cause : error;
    });
    return { deleted, missing };
  }

  /**
   * IDLE (or NOOP polling) on a connection of its own. See {@link Mailbox.watch}.
   *
   * Where the server offers QRESYNC it is enabled, and removals come as VANISHED with their UIDs.
   * Without it an EXPUNGE names only a position, which a fetch of new mail may have given to a later
   * message meanwhile: each EXPUNGE is checked with a `UID SEARCH` of the UID at that position before
   * `removed` is reported (one command per removal), and the UID list is read again when it is still there.
   */
  watch(options: WatchOptions = {}): MailboxWatch {
    checkOpen(this.#closed);
    checkWatchOptions(options);
    const connector = this.#options.watchConnector;
    const clientOptions: ImapClientOptions = connector === undefined ? this.#options.client : { ...this.#options.client, connector };
    const watch = new WatchRun((signal, ready) => watchImap(clientOptions, this.#name, this.#currentUidValidity(), options, signal, ready), options.signal);
    this.#watches.add(watch);
    return watch;
  }

  /**
   * Stops the watches, then LOGOUT. See {@link Mailbox.close}. A close called again, or while one
   * is running, settles with the first one, once its LOGOUT is done.
   */
  close(): Promise<MailboxCloseResult> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<MailboxCloseResult> {
    this.#closed = true;
    await Promise.all([...this.#watches].map((watch) => watch.return()));
    this.#watches.clear();
    // A reconnect in flight keeps its connection even when it fails with UidValidityChangedError
    // (later calls use it): take the connection it left, not what it resolved with.
    await this.#opening?.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    await client?.logout();
    return { deletionsCommitted: true, markedDeleted: 0 };
  }

  /** Same as {@link Mailbox.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #body(id: MessageId, markSeen: boolean): Promise<MessageContent> {
    const client = await this.#ensure();
    const uid = this.#check(id).uid as Uid;
    const messages = client.fetch(uid, { source: true, size: true, markSeen });
    const first = await messages.next();
    if (first.done === true) throw new InvalidArgumentError(`No message ${id.key} in ${JSON.stringify(this.#name)} (expunged?)`);
    const body = first.value.body('');
    // The rest of the iteration (the tagged OK) completes in the background.
    void (async () => {
      try {
        for (;;) if ((await messages.next()).done === true) break;
      } catch {
        // The body stream carries the error.
      }
    })();
    return messageContent(id, body.size ?? first.value.attributes.size, body);
  }

  #check(id: MessageId): ImapMessageId {
    const imap = requireProtocol(id, 'imap');
    const uidValidity = this.#currentUidValidity();
    if (imap.uidValidity !== uidValidity) throw new UidValidityChangedError(this.#name, imap.uidValidity, uidValidity);
    return imap;
  }

  /**
   * The UIDVALIDITY ids are checked against and issued under. A server may announce a new one
   * inside the session (`* OK [UIDVALIDITY n]`): the core keeps the selected mailbox's state
   * current, so take it from there; an id issued under the old value would name another message.
   */
  #currentUidValidity(): number {
    const live = this.#client?.mailbox?.uidValidity;
    if (live !== undefined && live !== 0) this.#uidValidity = live;
    return this.#uidValidity;
  }

  #uidSet(ids: readonly MessageId[]): SequenceSet<Uid> | undefined {
    const uids = ids.map((id) => this.#check(id).uid as Uid);
    return uids.length === 0 ? undefined : SequenceSet.uids(uids);
  }

  /**
   * The selected connection, reconnecting (and re-selecting) after a loss. A UIDVALIDITY that
   * changed in between makes every later call with an old id fail with UidValidityChangedError.
   */
  async #ensure(): Promise<ImapClient> {
    checkOpen(this.#closed);
    const current = this.#client;
    if (current !== undefined && current.state === 'selected') return current;
    this.#client = undefined;
    this.#opening ??= (async () => {
      const client = await ImapClient.connect(this.#options.client);
      try {
        const state = await client.select(this.#name);
        if (this.#uidValidity === 0) this.#uidValidity = state.uidValidity;
        else if (state.uidValidity !== this.#uidValidity) {
          // Old ids stay void: every call with one fails, ids issued from now on use the new value.
          const old = this.#uidValidity;
          this.#uidValidity = state.uidValidity;
          this.#client = client;
          throw new UidValidityChangedError(this.#name, old, state.uidValidity);
        }
        this.#client = client;
        return client;
      } catch (error) {
        if (this.#client !== client) client.destroy();
        throw error;
      }
    })().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }
}

/** `options` with a `client.record` turned into the recording connectors of {@link mailboxConnectors}. */
async function recorded(options: ImapMailboxOptions): Promise<ImapMailboxOptions> {
  const { record, ...client } = options.client;
  if (record === undefined) return options;
  const { connector, watchConnector } = await mailboxConnectors({ connector: client.connector, watchConnector: options.watchConnector, record }, 'imap');
  return { ...options, client: { ...client, connector }, watchConnector };
}

interface Known {
  /** UIDs in sequence order (IMAP keeps both orders the same). */
  uids: number[];
  /** UID -> flags. */
  flags: Map<number, readonly string[]>;
  /** The HIGHESTMODSEQ of the last synchronization: every change up to it is in `flags`. */
  highestModseq: bigint | undefined;
  uidValidity: number;
}

/** How long a stopped watch waits for the answer to its DONE before it drops the connection. */
const IDLE_STOP_GRACE_MS = 2_000;

/**
 * `watch()`: IDLE (or NOOP polling) on a connection of its own, EXAMINEd so that it changes
 * nothing. Events are derived from a UID/flags map, so a reconnect diffs against what was known.
 */
async function* watchImap(
  clientOptions: ImapClientOptions,
  name: string,
  uidValidityOfIds: number,
  options: WatchOptions,
  signal: AbortSignal,
  ready: () => void,
): AsyncGenerator<WatchEvent, void, undefined> {
  const backoff = resolveBackoff(options);
  let known: Known | undefined;
  let failures = 0;
  while (!isAborted(signal)) {
    let client: ImapClient | undefined;
    // True while the watch waits for a command of its own (EXAMINE, the resync, the fetch of an
    // IDLE event): an abort then closes the connection at once, so that a server that stopped
    // answering cannot hold the watch (or close()) until the command timeout. While idling, the
    // IDLE loop ends on the abort by itself (DONE, then LOGOUT below).
    // (An object: TypeScript would narrow a variable set by the listener.)
    const connection = { busy: false, abandoned: false };
    let grace: NodeJS.Timeout | undefined;
    const drop = (): void => {
      if (client === undefined) return;
      connection.abandoned = true;
      client.destroy();
    };
    const abandon = (): void => {
      if (connection.busy) drop();
      // Idling: DONE goes out; a server that does not answer it within the grace is left (the
      // connection only ever EXAMINEd, so dropping it loses nothing).
      else grace = setTimeout(drop, IDLE_STOP_GRACE_MS);
    };
    signal.addEventListener('abort', abandon, { once: true });
    try {
      const connecting = connectSignal(signal, clientOptions.signal);
      try {
        client = await ImapClient.connect({ ...clientOptions, ...connecting.options });
      } finally {
        connecting.release();
      }
      if (isAborted(signal)) break;
      connection.busy = true;
      // With QRESYNC, expunges come as VANISHED and name their UIDs (RFC 7162 section 3.2.10), and
      // every FETCH names its UID: an EXPUNGE names a sequence number, which a message that arrived
      // and left while the watch fetched new mail would make it read as another message's.
      if (client.hasCapability('QRESYNC') && !client.enabled.has('QRESYNC')) await client.enable(['QRESYNC']);
      const state = await client.examine(name, examineOptions(client, known));
      const expected = known?.uidValidity ?? (uidValidityOfIds || state.uidValidity);
      if (state.uidValidity !== expected) throw new UidValidityChangedError(name, expected, state.uidValidity);
      const events: WatchEvent[] = [];
      known = await resync(client, known, state.uidValidity, events, state.qresync);
      checkUidValidity(client, name, known);
      connection.busy = false;
      failures = 0;
      ready();
      for (const event of events) yield event;
      const idle = client.idle({
        restartAfter: options.idleRestart ?? DEFAULT_IDLE_RESTART,
        pollInterval: options.interval ?? DEFAULT_POLL_INTERVAL,
        signal,
      });
      for await (const event of idle) {
        if (isAborted(signal)) break;
        const out: WatchEvent[] = [];
        checkUidValidity(client, name, known);
        connection.busy = true;
        await apply(client, known, event, out);
        checkUidValidity(client, name, known);
        connection.busy = false;
        for (const each of out) yield each;
      }
      if (isAborted(signal)) break;
    } catch (error) {
      if (isAborted(signal)) break;
      failures++;
      if (!isTransient(error) || failures >= backoff.attempts) throw error;
      client?.destroy();
      await sleep(Math.min(backoff.max, backoff.first * 2 ** (failures - 1)), signal);
      continue;
    } finally {
      signal.removeEventListener('abort', abandon);
      // The grace runs on through the LOGOUT, which waits for DONE's answer.
      if (client !== undefined && !connection.abandoned && client.state !== 'logout') await client.logout().catch(() => undefined);
      if (grace !== undefined) clearTimeout(grace);
    }
  }
}

/**
 * Ends the watch when the server announces a new UIDVALIDITY inside the session
 * (`* OK [UIDVALIDITY n]`, which the core applies to the mailbox state): its UIDs are renumbered,
 * and an event with the old UIDVALIDITY would name another message.
 *
 * @throws UidValidityChangedError when the selected mailbox's UIDVALIDITY is no longer the known one.
 */
function checkUidValidity(client: ImapClient, name: string, known: Known): void {
  const live = client.mailbox?.uidValidity;
  if (live !== undefined && live !== 0 && live !== known.uidValidity) throw new UidValidityChangedError(name, known.uidValidity, live);
}

/**
 * How the watch connection opens the mailbox: on a reconnect with QRESYNC (RFC 7162 section 3.2.5),
 * telling the server what was known so that EXAMINE itself reports what vanished and what changed;
 * else with CONDSTORE where offered (QRESYNC implies it, RFC 7162).
 */
function examineOptions(client: ImapClient, known: Known | undefined): SelectOptions {
  if (known?.highestModseq !== undefined && client.hasCapability('QRESYNC')) {
    const knownUids = known.uids.length > 0 ? { knownUids: knownUidsParameter(known.uids, client.maxSetLength) } : {};
    return { qresync: { uidValidity: known.uidValidity, modseq: known.highestModseq, ...knownUids } };
  }
  return { condstore: offersCondstore(client) };
}

/**
 * The known UIDs of a QRESYNC EXAMINE. A parameter cannot be sent in parts, and servers refuse a
 * line too long (Dovecot: "Too long argument"), so when the list is longer than
 * `limits.maxSetLength` the range from the lowest to the highest known UID stands for it: the
 * server may then report as vanished UIDs the watch never knew, which {@link resync} ignores.
 */
function knownUidsParameter(uids: readonly number[], maxSetLength: number): SequenceSet<Uid> {
  const set = SequenceSet.uids(uids as Uid[]);
  if (set.toString().length <= maxSetLength) return set;
  const first = set.ranges[0]!;
  const last = set.ranges[set.ranges.length - 1]!;
  return SequenceSet.uids([{ start: first.start, end: last.end }]);
}

/**
 * Brings `known` up to date with the mailbox, appending the differences to `events`. `report` is
 * what a QRESYNC EXAMINE reported (see {@link examineOptions}).
 */
async function resync(client: ImapClient, previous: Known | undefined, uidValidity: number, events: WatchEvent[], report?: QresyncResult): Promise<Known> {
  const modseq = client.mailbox?.highestModseq;
  const next: Known = { uids: [], flags: new Map(), highestModseq: modseq, uidValidity };
  const sizes = new Map<number, number>();
  const empty = client.mailbox?.exists === 0;
  if (previous?.highestModseq !== undefined && modseq !== undefined && report !== undefined && !report.uidValidityChanged) {
    // QRESYNC: the EXAMINE named the known UIDs expunged since and the flags changed since; only
    // messages above the highest known UID are fetched (`n:*` also matches the highest UID when it
    // is below n, RFC 9051 section 6.4.8: filtered).
    const gone = new Set<number>(report.vanished?.values() ?? []);
    next.uids = previous.uids.filter((uid) => !gone.has(uid));
    for (const uid of next.uids) next.flags.set(uid, previous.flags.get(uid) ?? []);
    for (const change of report.changed) {
      if (next.flags.has(change.uid) && change.flags !== undefined) next.flags.set(change.uid, sharedFlags(change.flags));
    }
    const highest = previous.uids[previous.uids.length - 1] ?? 0;
    if (!empty) {
      for await (const message of client.fetch(`${highest + 1}:*`, { flags: true, size: true })) {
        const { uid, flags, size } = await message.complete();
        if (uid === undefined || uid <= highest || next.flags.has(uid)) continue;
        next.uids.push(uid);
        next.flags.set(uid, sharedFlags(flags));
        if (size !== undefined) sizes.set(uid, size);
      }
    }
  } else if (previous?.highestModseq !== undefined && modseq !== undefined) {
    // CONDSTORE (RFC 7162 section 3.1.4.1): only flags changed since the last known MODSEQ, plus
    // the current UID list for arrivals and removals.
    next.uids = empty ? [] : (await search(client, {})).map(Number).sort((a, b) => a - b);
    for (const uid of next.uids) {
      const flags = previous.flags.get(uid);
      if (flags !== undefined) next.flags.set(uid, flags);
    }
    if (!empty) {
      for await (const message of client.fetch('1:*', { flags: true }, { changedSince: previous.highestModseq })) {
        const { uid, flags } = await message.complete();
        if (uid !== undefined && flags !== undefined) next.flags.set(uid, sharedFlags(flags));
      }
      const arrived = next.uids.filter((uid) => !previous.flags.has(uid));
      if (arrived.length > 0) {
        for await (const message of client.fetch(SequenceSet.uids(arrived as Uid[]), { flags: true, size: true })) {
          const { uid, flags, size } = await message.complete();
          if (uid === undefined) continue;
          next.flags.set(uid, sharedFlags(flags));
          if (size !== undefined) sizes.set(uid, size);
        }
      }
    }
  } else if (!empty) {
    for await (const message of client.fetch('1:*', { flags: true, size: true })) {
      const { uid, flags, size } = await message.complete();
      if (uid === undefined) continue;
      next.uids.push(uid);
      next.flags.set(uid, sharedFlags(flags));
      if (size !== undefined) sizes.set(uid, size);
    }
    next.uids.sort((a, b) => a - b);
  }
  if (previous !== undefined) {
    const current = new Set(next.uids);
    for (const uid of previous.uids) if (!current.has(uid)) events.push({ kind: 'removed', id: imapMessageId(uidValidity, uid) });
    for (const uid of next.uids) {
      const flags = next.flags.get(uid) ?? [];
      const before = previous.flags.get(uid);
      if (before === undefined) events.push({ kind: 'new', id: imapMessageId(uidValidity, uid), size: sizes.get(uid), flags });
      else if (!sameFlags(before, flags)) events.push({ kind: 'flags', id: imapMessageId(uidValidity, uid), flags });
    }
  }
  return next;
}

/** Applies one IDLE event to `known`, appending the resulting watch events to `out`. */
async function apply(client: ImapClient, known: Known, event: MailboxEvent, out: WatchEvent[]): Promise<void> {
  const id = (uid: number): ImapMessageId => imapMessageId(known.uidValidity, uid);
  switch (event.kind) {
    case 'exists': {
      if (event.count <= known.uids.length) return;
      const last = known.uids[known.uids.length - 1] ?? 0;
      // Known only once the fetch is answered: a connection lost before its end leaves them
      // unknown, so that the reconnect's diff reports them (their events would be lost with it).
      const arrived = new Map<number, { flags: readonly string[]; size: number | undefined }>();
      // `n:*` also matches the highest UID when it is below n (RFC 9051 section 6.4.8): filter.
      for await (const message of client.fetch(`${last + 1}:*`, { flags: true, size: true })) {
        const { uid, flags, size } = await message.complete();
        if (uid === undefined || uid <= last || known.flags.has(uid) || arrived.has(uid)) continue;
        arrived.set(uid, { flags: sharedFlags(flags), size });
      }
      for (const [uid, { flags, size }] of arrived) {
        known.uids.push(uid);
        known.flags.set(uid, flags);
        out.push({ kind: 'new', id: id(uid), size, flags });
      }
      return;
    }
    case 'expunge': {
      const uid = known.uids[event.seq - 1];
      if (uid === undefined) return;
      // An EXPUNGE names a position in the session's view when it was sent. A fetch of new mail
      // answered after it (a message that came and went, then another) has already put a later
      // message at that position: if the UID found there still exists, the position is stale and
      // the UID list is read again instead. (With QRESYNC, expunges come as VANISHED, by UID.)
      if ((await search(client, { uid: SequenceSet.uids([uid as Uid]) })).length > 0) {
        await resyncAll(client, known, out);
        return;
      }
      known.uids.splice(event.seq - 1, 1);
      known.flags.delete(uid);
      out.push({ kind: 'removed', id: id(uid) });
      return;
    }
    case 'vanished': {
      if (event.earlier) return;
      for (const range of event.uids) {
        for (const uid of known.uids.filter((each) => each >= range.start && each <= range.end)) {
          known.uids.splice(known.uids.indexOf(uid), 1);
          known.flags.delete(uid);
          out.push({ kind: 'removed', id: id(uid) });
        }
      }
      return;
    }
    case 'fetch': {
      // Its MODSEQ does not move known.highestModseq: servers need not report changes in MODSEQ
      // order (RFC 7162), so one with a lower MODSEQ may be unreported yet, and a reconnect from
      // this MODSEQ would never hear of it. A reconnect asks from the last full synchronization;
      // what it reports again is compared with the flags known, so no event repeats.
      const uid = event.uid ?? known.uids[event.seq - 1];
      if (uid === undefined || event.flags === undefined) return;
      const before = known.flags.get(uid);
      const flags = sharedFlags(event.flags);
      if (before === undefined || sameFlags(before, flags)) return;
      known.flags.set(uid, flags);
      out.push({ kind: 'flags', id: id(uid), flags });
      return;
    }
    case 'overflow':
      // Events were dropped: rebuild from the server.
      await resyncAll(client, known, out);
      return;
    default:
      return;
  }
}

/** Rebuilds `known` from the whole mailbox (every UID and its flags), appending the differences to `out`. */
async function resyncAll(client: ImapClient, known: Known, out: WatchEvent[]): Promise<void> {
  const fresh = await resync(client, { ...known, highestModseq: undefined }, known.uidValidity, out);
  Object.assign(known, fresh);
}

/**
 * The flags every client sees: `\Recent` is left out, since it belongs to one session (RFC 3501
 * section 2.3.2; gone from IMAP4rev2) and would differ between devices and across reconnects.
 */
function sharedFlags(flags: readonly string[] | undefined): readonly string[] {
  return (flags ?? []).filter((flag) => flag.toLowerCase() !== '\\recent');
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((flag) => flag.toLowerCase()));
  return b.every((flag) => set.has(flag.toLowerCase()));
}

/** Read through a function: TypeScript would narrow a property read across awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
