/**
 * The IMAP client: connection lifecycle (greeting, STARTTLS, close), the session's state, the
 * unsolicited event stream, and the typed methods. The tag table, pipelining and the routing of
 * responses to the command that asked live in pipeline.ts; the commands themselves in
 * `commands/*.ts` (see "IMAP client" in docs/internals.md).
 *
 * @packageDocumentation
 */

import {
  ConnectionClosedError,
  InvalidArgumentError,
  MailwireError,
  ProtocolError,
  TlsError,
  type LimitExceededError,
} from '../common/errors.js';
import { Tokenizer, type FrameSink, type LiteralHeader } from '../common/tokenizer.js';
import { clientConnector, type Connection } from '../common/connector.js';
import { callOptionsError, checkClientOptions, checkLimits, transportOptionsOf } from '../common/options.js';
import { ResponseAssembler, type UnreadableFetch } from './wire/assembler.js';
import type { ImapResponse, ListResponse, TaggedStatusResponse } from './wire/response-types.js';
import { encodeModifiedUtf7 } from './wire/modified-utf7.js';
import { hasNameControl } from './wire/command-args.js';
import { EventChannel, type EventSubscriptionOptions } from './events.js';
import * as connection from './commands/connection.js';
import * as select from './commands/select.js';
import * as fetch from './commands/fetch.js';
import * as idle from './commands/idle.js';
import * as mailboxes from './commands/mailboxes.js';
import * as statusFamily from './commands/status.js';
import * as storeFamily from './commands/store.js';
import * as copyMove from './commands/copy-move.js';
import * as expungeFamily from './commands/expunge.js';
import * as appendFamily from './commands/append.js';
import * as searchFamily from './commands/search.js';
import type { SearchQuery } from './wire/search.js';
import type { MailboxStatusAttributes } from './wire/response-types.js';
import type { SeqNum, Uid } from './wire/sequence-set.js';
import { ModseqWindow, mailboxEventOf, mayChangeSeen, responseCodeName, updateMailbox, updateMailboxFromTagged } from './routing.js';
import { CommandPipeline, refuse } from './pipeline.js';
import type { ImapClientOptions, ImapGreeting, ImapLimits } from './options.js';
import type {
  CoreSession,
  ImapCallOptions,
  ImapCommand,
  ImapSession,
  ImapState,
  ImapTlsMode,
  MailboxEventStream,
  MailboxState,
  MutableMailboxState,
} from './session.js';

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_COMMAND_TIMEOUT = 60_000;
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/**
 * The transport's read buffer: IMAP bodies arrive in bulk, and 256 KiB reads cut the client's CPU
 * time on a 1,000 x 100 KB download by about a fifth against 64 KiB (bench/imap.ts, scenario c).
 */
const READ_BUFFER_SIZE = 256 * 1024;
const DEFAULT_MAX_FETCH_BUFFER = 256 * 1024 * 1024;
/** The most mailbox names remembered in their listed form (see ImapClient.#noteListedName). */
const MAX_LISTED_NAMES = 10_000;
const decoder = new TextDecoder();
/** The fields of {@link ImapLimits}, each a byte count or a depth. */
const IMAP_LIMITS: readonly (keyof ImapLimits)[] = ['maxLineLength', 'maxLiteralSize', 'maxBufferedLiteral', 'maxBodyDepth', 'bodyHighWaterMark', 'maxFetchBuffer', 'maxSetLength'];

export type { ImapClientOptions, ImapGreeting, ImapLimits } from './options.js';

/**
 * An IMAP4rev1 / IMAP4rev2 client (RFC 3501, RFC 9051) with pipelining, streamed FETCH bodies
 * and IDLE.
 *
 * Every method may be called at any time, concurrently: commands are pipelined where the protocol
 * allows, and serialised where it does not. Untagged data goes to the command that asked for it;
 * the rest is readable from {@link ImapClient.events}.
 *
 * @example
 * ```ts
 * const client = await ImapClient.connect({ host: 'imap.example.com', auth: { username, password } });
 * await client.select('INBOX');
 * for await (const message of client.fetch('1:*', { envelope: true, flags: true })) {
 *   console.log(message.uid, message.attributes.envelope?.subject);
 * }
 * await client.logout();
 * ```
 */
export class ImapClient implements ImapSession {
  readonly #options: ImapClientOptions;
  readonly #tlsMode: ImapTlsMode;
  readonly #commandTimeout: number;
  readonly #tokenizer: Tokenizer;
  readonly #assembler: ResponseAssembler;
  readonly #events = new EventChannel();
  #transport: Connection | undefined;
  #state: ImapState = 'not-authenticated';
  #opened = false;
  #ready = false;
  #capabilities = new Set<string>();
  #capabilitiesKnown = false;
  readonly #enabled = new Set<string>();
  #mailbox: MutableMailboxState | null = null;
  /**
   * The mailbox the server's untagged data speaks of, at the point of the response stream read so
   * far (see `MailboxEvent`): the selected one, except while a SELECT or EXAMINE is in flight,
   * when it turns from the mailbox left to the one opened before the command completes.
   */
  #eventMailbox: string | null = null;
  /** The MODSEQs heard since the last tagged response, not yet the selected mailbox's HIGHESTMODSEQ. */
  readonly #modseqs = new ModseqWindow();
  #greeting: ImapGreeting | undefined;
  #greetingWaiter: { resolve: (greeting: ImapGreeting) => void; reject: (error: MailwireError) => void } | undefined;
  #closeError: MailwireError | undefined;
  #loggingOut = false;
  readonly #core: CoreSession;
  readonly #pipeline: CommandPipeline;
  /** Mailbox names listed in a form their encoding does not give back: decoded name to the name as listed. */
  readonly #listedNames = new Map<string, string>();

  /**
   * Prepares a client; {@link ImapClient.connect} opens the connection.
   *
   * @throws InvalidArgumentError for an option of the wrong type or out of its range (`tls: true`,
   *   a `signal` that is not an AbortSignal, a timeout that is not a number of milliseconds...), naming it.
   */
  constructor(options: ImapClientOptions) {
    checkClientOptions(options);
    checkLimits(options.limits, IMAP_LIMITS);
    this.#options = options;
    this.#tlsMode = options.tls ?? (options.port === 993 ? 'implicit' : 'starttls');
    this.#commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT;
    const limits = options.limits ?? {};
    this.#assembler = new ResponseAssembler(
      {
        onResponse: (response) => {
          this.#onResponse(response);
        },
        onBodyStart: (start) => this.#pipeline.bodyStart(start),
        onResponseError: (error, tag, fetch, name) => {
          this.#onResponseError(error, tag, fetch, name);
        },
      },
      {
        ...(limits.maxBufferedLiteral === undefined ? {} : { maxBufferedLiteral: limits.maxBufferedLiteral }),
        ...(limits.maxBodyDepth === undefined ? {} : { maxBodyDepth: limits.maxBodyDepth }),
      },
    );
    // No command in flight streams bodies yet (see ResponseAssembler.bodyStreams).
    this.#assembler.bodyStreams = false;
    this.#tokenizer = new Tokenizer(this.#sink(), {
      literals: true,
      ...(limits.maxLineLength === undefined ? {} : { maxLineLength: limits.maxLineLength }),
      ...(limits.maxLiteralSize === undefined ? {} : { maxLiteralSize: limits.maxLiteralSize }),
    });
    this.#core = this.#makeCore(limits);
    this.#pipeline = this.#makePipeline();
  }

  /**
   * Creates a client and connects it (see {@link ImapClient.connect}).
   *
   * @example
   * ```ts
   * const client = await ImapClient.connect({ host: 'localhost', port: 993, auth: { username: 'alice', password } });
   * ```
   */
  static async connect(options: ImapClientOptions): Promise<ImapClient> {
    const client = new ImapClient(options);
    await client.connect();
    return client;
  }

  /** The session state. */
  get state(): ImapState {
    return this.#state;
  }

  /** The capabilities, upper-cased; refreshed after STARTTLS and after login. */
  get capabilities(): ReadonlySet<string> {
    return this.#capabilities;
  }

  /**
   * Extensions enabled with {@link ImapClient.enable}, upper-cased; CONDSTORE too once QRESYNC is
   * (RFC 7162 section 3.2.3), whether or not the server named it.
   */
  get enabled(): ReadonlySet<string> {
    return this.#enabled;
  }

  /** The selected mailbox, kept current by the untagged data the server sends (EXISTS, RECENT, EXPUNGE, VANISHED, FLAGS, FETCH flags); null when none is selected. */
  get mailbox(): MailboxState | null {
    return this.#mailbox;
  }

  /**
   * The longest message set one command sends, in bytes (`limits.maxSetLength`, default 8,000):
   * FETCH, STORE, COPY, MOVE and UID EXPUNGE send a longer set in parts, one command each.
   */
  get maxSetLength(): number {
    return this.#core.maxSetLength;
  }

  /** True while the connection is encrypted. */
  get secure(): boolean {
    return this.#transport?.secure ?? false;
  }

  /** The greeting, once received. */
  get greeting(): ImapGreeting | undefined {
    return this.#greeting;
  }

  /** True when the server offers `name` (case-insensitive, e.g. `'IDLE'`, `'AUTH=PLAIN'`). */
  hasCapability(name: string): boolean {
    return this.#capabilities.has(name.toUpperCase());
  }

  /**
   * True when the server listed the mailbox `name` (LIST, LSUB) in this session in a form it is
   * sent back in: with a control character such as TAB, which Exchange puts in names and which a
   * name of the caller's own may not hold, or in non-canonical modified UTF-7. Forgotten on STARTTLS.
   */
  isListedName(name: string): boolean {
    return this.#listedNames.has(name);
  }

  /**
   * Opens the connection: TCP or TLS, greeting, CAPABILITY, STARTTLS as configured, and login when
   * `options.auth` is set. On failure the connection is closed and the error rethrown.
   *
   * @throws ConnectionFailedError, TimeoutError, TlsError, ServerError (a BYE greeting),
   *   AuthenticationError, AbortError.
   */
  async connect(): Promise<void> {
    if (this.#opened) throw new InvalidArgumentError('ImapClient.connect() was already called');
    this.#opened = true;
    const options = this.#options;
    const greeting = new Promise<ImapGreeting>((resolve, reject) => {
      this.#greetingWaiter = { resolve, reject };
    });
    greeting.catch(() => undefined);
    const implicit = this.#tlsMode === 'implicit';
    try {
      const connector = await clientConnector(options, 'imap');
      this.#transport = await connector(
        { ...transportOptionsOf(options, this.#core.port, implicit), readBufferSize: READ_BUFFER_SIZE },
        {
          onData: (chunk) => {
            this.#onData(chunk);
          },
          onClose: (error) => {
            this.#onClose(error);
          },
        },
      );
    } catch (error) {
      this.#state = 'logout';
      this.#events.close(error instanceof MailwireError ? error : undefined);
      throw error;
    }
    if (this.#state === 'logout') {
      // close() or destroy() came while connecting, when there was no connection to end: end this
      // one now, before a greeting could start a session that nothing would close.
      const error = new ConnectionClosedError('The client was closed while connecting');
      this.#transport.destroy(error);
      throw error;
    }
    try {
      this.#transport.armTimeout('greeting', options.greetingTimeout ?? DEFAULT_TIMEOUT);
      await greeting;
      await connection.establish(this.#core, options.auth);
    } catch (error) {
      this.destroy(error instanceof MailwireError ? error : undefined);
      throw error;
    }
  }

  /**
   * Runs one command (the primitive the command families are written on; see
   * docs/internals.md). Prefer the typed methods.
   */
  run<T>(command: ImapCommand<T>, options: ImapCallOptions = {}): Promise<T> {
    if (this.#state === 'logout' || this.#transport === undefined) {
      return refuse(command, this.#closedError(command.display ?? command.name));
    }
    return this.#pipeline.submit(command, options);
  }

  /**
   * Subscribes to the unsolicited event stream of the session: EXISTS, EXPUNGE, VANISHED, flag
   * changes made by other sessions, alerts, BYE. Each call returns a new subscription that sees
   * the events emitted from then on; it ends normally once LOGOUT is answered, throws the
   * connection's error when the connection is lost, and ends when `signal` aborts. Emitting never
   * waits for a reader: a subscriber more than `limit` events behind loses the oldest and reads an
   * `overflow` event instead.
   *
   * @example
   * ```ts
   * for await (const event of client.events({ signal })) {
   *   if (event.kind === 'exists') console.log(`${event.count} messages`);
   * }
   * ```
   */
  events(options: EventSubscriptionOptions = {}): MailboxEventStream {
    return this.#events.subscribe(options);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands of the core's own families (one-line wrappers)
  // ---------------------------------------------------------------------------------------------

  /** `CAPABILITY`: asks again and returns the capabilities. */
  capability(options?: ImapCallOptions): Promise<ReadonlySet<string>> {
    return connection.capability(this.#core, options);
  }

  /**
   * Logs in with LOGIN or AUTHENTICATE (the strongest SASL mechanism both sides offer, unless
   * `credentials.method` names one), then refreshes the capabilities.
   *
   * @throws TlsError when not encrypted and `allowCleartext` is not set (nothing is sent);
   *   UnsupportedError when LOGINDISABLED or no usable mechanism; AuthenticationError when refused
   *   (or when the SASL exchange fails, e.g. a SCRAM server signature that does not verify);
   *   ProtocolError when a server challenge is not base64 (the exchange is cancelled with `*`).
   *   InvalidArgumentError, before anything is sent, for an unknown `method`, credentials of the
   *   wrong shape (a `username` that is not a string...), or a credential holding a lone UTF-16
   *   surrogate (it has no UTF-8 form).
   *   AbortError or TimeoutError when `options.signal` fires or `options.timeout` expires: before
   *   LOGIN or AUTHENTICATE is written nothing else happens. Once LOGIN is written, the connection
   *   is closed (whether the server logged in is unknown) and the other pending calls reject with
   *   ConnectionClosedError. Once AUTHENTICATE is written, the exchange is cancelled instead (RFC
   *   9051 section 6.2.2: the server's next challenge is answered `*`): the call rejects at once,
   *   the session stays open and not authenticated, and calls made meanwhile wait for the server's
   *   answer. The connection is still closed when that answer does not come within the
   *   `commandTimeout`, or is an OK (the server logged in anyway).
   */
  login(credentials: connection.ImapCredentials, options?: ImapCallOptions): Promise<void> {
    return connection.login(this.#core, credentials, options);
  }

  /** `ENABLE` (RFC 5161): returns the extensions the server enabled. */
  enable(extensions: readonly string[], options?: ImapCallOptions): Promise<readonly string[]> {
    return connection.enable(this.#core, extensions, options);
  }

  /** `ID` (RFC 2971): sends the client's fields, returns the server's (null for NIL). */
  id(fields: Readonly<Record<string, string | null>> | null = null, options?: ImapCallOptions): Promise<Readonly<Record<string, string | null>> | null> {
    return connection.id(this.#core, fields, options);
  }

  /** `NAMESPACE` (RFC 2342). */
  namespace(options?: ImapCallOptions): Promise<connection.Namespaces> {
    return connection.namespace(this.#core, options);
  }

  /** `NOOP`: polls for mailbox changes (they reach {@link ImapClient.events}). */
  noop(options?: ImapCallOptions): Promise<void> {
    return connection.noop(this.#core, options);
  }

  /**
   * `LOGOUT`, then closes the connection. Never rejects on a lost connection.
   *
   * @throws InvalidArgumentError for options of the wrong type (nothing is sent; the session stays open).
   */
  logout(options?: ImapCallOptions): Promise<void> {
    // Bad options are the caller's mistake, not a reason to close without LOGOUT: refused first,
    // the session left as it was.
    const invalid = callOptionsError(options ?? {});
    if (invalid !== undefined) return Promise.reject(invalid);
    this.#loggingOut = true;
    return connection.logout(this.#core, options);
  }

  /** Ends the session: LOGOUT when possible, then closes. Same as {@link ImapClient.logout}. */
  close(options?: ImapCallOptions): Promise<void> {
    return this.logout(options);
  }

  /**
   * `SELECT`: opens a mailbox read-write (`options.condstore` adds `(CONDSTORE)`). With
   * `options.qresync` (RFC 7162 QRESYNC, enabled first if needed) the result also tells what
   * vanished and what changed since the client's last synchronization.
   *
   * @example
   * ```ts
   * const inbox = await client.select('INBOX', { qresync: { uidValidity: 1700000000, modseq: 4211n, knownUids: '1:300' } });
   * if (inbox.qresync?.uidValidityChanged === true) { ... } // every cached UID is void: resynchronize in full
   * for (const gone of inbox.qresync?.vanished?.values() ?? []) cache.delete(gone);
   * for (const { uid, flags, modseq } of inbox.qresync?.changed ?? []) cache.update(uid, flags, modseq);
   * ```
   * @throws ServerError (NO: no such mailbox; no mailbox is selected afterwards), UnsupportedError
   *   (`qresync` without the QRESYNC extension, `condstore` without CONDSTORE), InvalidArgumentError
   *   (bad QRESYNC parameters).
   */
  select(mailbox: string, options?: select.SelectOptions): Promise<select.SelectResult> {
    return this.#countPending(select.select(this.#core, mailbox, false, options));
  }

  /** `EXAMINE`: opens a mailbox read-only; the options and the result are those of {@link ImapClient.select}. */
  examine(mailbox: string, options?: select.SelectOptions): Promise<select.SelectResult> {
    return this.#countPending(select.select(this.#core, mailbox, true, options));
  }

  /** SELECT and EXAMINE calls not settled yet (see {@link ImapClient.selectPending}). */
  #selectsPending = 0;

  #countPending<T>(selecting: Promise<T>): Promise<T> {
    this.#selectsPending++;
    const settled = (): void => {
      this.#selectsPending--;
    };
    void selecting.then(settled, settled);
    return selecting;
  }

  /**
   * True while a `select()` or `examine()` has not settled: {@link ImapClient.mailbox} is then the
   * mailbox before it, not the one a call made now will act on.
   */
  get selectPending(): boolean {
    return this.#selectsPending > 0;
  }

  /** `UNSELECT` (RFC 3691), or CLOSE on a read-only mailbox where UNSELECT is absent. */
  unselect(options?: ImapCallOptions): Promise<void> {
    return select.unselect(this.#core, options);
  }

  /** `CLOSE`: expunges messages flagged `\Deleted` (unless read-only) and deselects. */
  closeMailbox(options?: ImapCallOptions): Promise<void> {
    return select.closeMailbox(this.#core, options);
  }

  /**
   * `UID FETCH` (or `FETCH` for sequence numbers, `{ seq: '1:10' }`): an async iterable of messages; body values are
   * streams (see {@link FetchedMessage}). A set longer than `limits.maxSetLength` goes in parts,
   * one command each, one after another; every message still comes once, in order.
   * Sequence numbers while the selected mailbox is empty (`exists` 0) name no message: the iteration ends at once and nothing is sent.
   *
   * @throws InvalidArgumentError (a bad section, field name, partial range or `changedSince`) and
   *   UnsupportedError (`changedSince` or the `modseq` item without CONDSTORE) at once, before
   *   anything is sent.
   */
  fetch(set: fetch.FetchSet, query: fetch.FetchQuery, options?: fetch.FetchOptions): fetch.FetchIterable {
    return fetch.fetch(this.#core, set, query, options);
  }

  /**
   * Fetches with bodies buffered and returns the first message the server answered with (the one
   * of a single UID, or `{ seq }` number); undefined when none exists.
   */
  fetchOne(set: fetch.FetchSet, query: fetch.FetchQuery, options?: fetch.FetchOptions): Promise<fetch.FetchedMessage | undefined> {
    return fetch.fetchOne(this.#core, set, query, options);
  }

  /**
   * IDLE (RFC 2177): mailbox events as they happen, until the iteration stops or `signal` aborts.
   * Falls back to NOOP polling where IDLE is absent.
   */
  idle(options?: idle.IdleOptions): MailboxEventStream {
    return idle.idle(this.#core, options);
  }

  // ---------------------------------------------------------------------------------------------
  // The other command families (commands/mailboxes, status, store, copy-move, expunge, append,
  // search): one-line wrappers, documented in their files.
  // ---------------------------------------------------------------------------------------------

  /** `LIST` (RFC 9051 section 6.3.9, RFC 5258, RFC 6154, RFC 5819): the mailboxes matching the options. */
  list(options?: mailboxes.ListOptions): Promise<mailboxes.MailboxEntry[]> {
    return mailboxes.list(this, options);
  }

  /** `LSUB`: the subscribed mailboxes matching `pattern`. */
  lsub(pattern?: string, options?: ImapCallOptions): Promise<mailboxes.MailboxEntry[]> {
    return mailboxes.lsub(this, pattern, options);
  }

  /** `CREATE` (with `USE` for special-use mailboxes, RFC 6154). */
  createMailbox(name: string, options?: mailboxes.CreateMailboxOptions): Promise<void> {
    return mailboxes.createMailbox(this, name, options);
  }

  /** `DELETE`. */
  deleteMailbox(name: string, options?: ImapCallOptions): Promise<void> {
    return mailboxes.deleteMailbox(this, name, options);
  }

  /** `RENAME`. */
  renameMailbox(from: string, to: string, options?: ImapCallOptions): Promise<void> {
    return mailboxes.renameMailbox(this, from, to, options);
  }

  /** `SUBSCRIBE`. */
  subscribeMailbox(name: string, options?: ImapCallOptions): Promise<void> {
    return mailboxes.subscribeMailbox(this, name, options);
  }

  /** `UNSUBSCRIBE`. */
  unsubscribeMailbox(name: string, options?: ImapCallOptions): Promise<void> {
    return mailboxes.unsubscribeMailbox(this, name, options);
  }

  /** `STATUS`: a mailbox's counters without selecting it. */
  status(name: string, items?: readonly statusFamily.StatusItem[], options?: ImapCallOptions): Promise<MailboxStatusAttributes> {
    return statusFamily.status(this, name, items, options);
  }

  /**
   * `UID STORE` / `STORE`: adds, removes or sets flags. A set longer than `limits.maxSetLength`
   * goes in parts (not atomic: a refused part rejects, the parts before stay done). A refusal
   * rejects with a {@link storeFamily.StoreError | StoreError} listing in `updated` what was changed before it (a server may
   * change part of the set and answer NO for messages expunged meanwhile). An abort, a timeout or a
   * lost connection rejects with a {@link storeFamily.StoreInterruptedError | StoreInterruptedError}
   * carrying in `updated` what the server had reported changed until then.
   * Sequence numbers while the selected mailbox is empty (`exists` 0) name no message: the result is empty and nothing is sent.
   */
  store(messages: storeFamily.MessageSelector, operation: storeFamily.StoreOperation, flags: readonly string[], options?: storeFamily.StoreOptions): Promise<storeFamily.StoreResult> {
    const stored = storeFamily.store(this, messages, operation, flags, options);
    const mailbox = this.#mailbox;
    if (mailbox !== null && options?.silent === true && mayChangeSeen(operation, flags)) {
      // The server echoes no flags: once it answers (or the call ends), the first unseen message is not known.
      const forget = (): void => {
        if (this.#mailbox === mailbox) mailbox.unseen = undefined;
      };
      void stored.then(forget, forget);
    }
    return stored;
  }

  /**
   * `UID COPY` / `COPY` (COPYUID read from UIDPLUS). A set longer than `limits.maxSetLength` goes
   * in parts, their COPYUID maps merged (not atomic: a refused part rejects, the parts before stay
   * copied, and the call rejects with a {@link copyMove.CopyError | CopyError} or
   * {@link copyMove.CopyInterruptedError | CopyInterruptedError} carrying their COPYUID map).
   * Sequence numbers while the selected mailbox is empty (`exists` 0) name no message: the result is empty and nothing is sent.
   */
  copy(messages: storeFamily.MessageSelector, destination: string, options?: ImapCallOptions): Promise<copyMove.CopyResult> {
    return copyMove.copy(this, messages, destination, options);
  }

  /**
   * `UID MOVE` / `MOVE`, or COPY + STORE + UID EXPUNGE where MOVE is absent and UIDPLUS present. A
   * set longer than `limits.maxSetLength` goes in parts, their results merged (not atomic: a
   * refused part rejects, the parts before stay moved; what was done, and the copies of an
   * emulated move stopped after its COPY, come in a {@link copyMove.CopyError | CopyError} or
   * {@link copyMove.CopyInterruptedError | CopyInterruptedError}). Sequence numbers while the selected mailbox is empty (`exists` 0) name no message: the
   * result is empty and nothing is sent.
   */
  move(messages: storeFamily.MessageSelector, destination: string, options?: ImapCallOptions): Promise<copyMove.MoveResult> {
    return copyMove.move(this, messages, destination, options);
  }

  /**
   * `EXPUNGE`: removes every message flagged `\Deleted`. A refusal or an interruption rejects with
   * an {@link expungeFamily.ExpungeError | ExpungeError} or
   * {@link expungeFamily.ExpungeInterruptedError | ExpungeInterruptedError} listing what was removed.
   */
  expunge(options?: ImapCallOptions): Promise<expungeFamily.ExpungeResult> {
    return expungeFamily.expunge(this, options);
  }

  /**
   * `UID EXPUNGE` (UIDPLUS): removes only these messages, if flagged `\Deleted`. A set longer than
   * `limits.maxSetLength` goes in parts (not atomic: a refused part rejects, the parts before stay
   * expunged, and the {@link expungeFamily.ExpungeError | ExpungeError} or
   * {@link expungeFamily.ExpungeInterruptedError | ExpungeInterruptedError} lists what was removed).
   */
  uidExpunge(uids: storeFamily.MessageSelector, options?: ImapCallOptions): Promise<expungeFamily.ExpungeResult> {
    return expungeFamily.uidExpunge(this, uids, options);
  }

  /**
   * `APPEND` (APPENDUID read from UIDPLUS; null when the server does not say). A stream with
   * `options.size` is sent as it is read, never held in memory whole; see {@link AppendOptions.size}
   * for what happens when it does not keep that promise.
   */
  append(mailbox: string, body: appendFamily.AppendBody, options?: appendFamily.AppendOptions): Promise<appendFamily.AppendResult | null> {
    return appendFamily.append(this, mailbox, body, options);
  }

  /**
   * `UID SEARCH`: the UIDs of the matching messages, ascending, each once. A query with a `seq` key
   * while the selected mailbox is empty (`exists` 0) matches nothing: the result is empty and
   * nothing is sent (as for {@link ImapClient.searchSeq} and {@link ImapClient.searchSummary}).
   */
  search(query: SearchQuery, options?: ImapCallOptions): Promise<Uid[]> {
    return searchFamily.search(this, query, options);
  }

  /** `SEARCH`: the sequence numbers of the matching messages, ascending, each once. */
  searchSeq(query: SearchQuery, options?: ImapCallOptions): Promise<SeqNum[]> {
    return searchFamily.searchSeq(this, query, options);
  }

  /** ESEARCH-style results (MIN, MAX, COUNT, ALL): one ESEARCH where offered, computed locally elsewhere. */
  searchSummary(query: SearchQuery, returns: readonly searchFamily.SearchReturn[], options?: searchFamily.SearchSummaryOptions & { readonly bySequence?: false | undefined }): Promise<searchFamily.SearchSummary<Uid>>;
  /** The same by sequence numbers. */
  searchSummary(query: SearchQuery, returns: readonly searchFamily.SearchReturn[], options: searchFamily.SearchSummaryOptions & { readonly bySequence: true }): Promise<searchFamily.SearchSummary<SeqNum>>;
  searchSummary(query: SearchQuery, returns: readonly searchFamily.SearchReturn[], options: searchFamily.SearchSummaryOptions = {}): Promise<searchFamily.SearchSummary<number>> {
    return searchFamily.searchSummary(this, query, returns, options as searchFamily.SearchSummaryOptions & { readonly bySequence: true });
  }

  /** Closes the connection at once, without LOGOUT; pending commands reject. */
  destroy(error?: MailwireError): void {
    if (this.#transport !== undefined && !this.#transport.closed) this.#transport.destroy(error);
    else this.#onClose(error ?? new ConnectionClosedError('The client was destroyed'));
  }

  // ---------------------------------------------------------------------------------------------
  // Reading
  // ---------------------------------------------------------------------------------------------

  /** The tokenizer's sink: the assembler itself, behind a wire-log tap when a logger is set. */
  #sink(): FrameSink {
    const assembler = this.#assembler;
    if (this.#options.logger === undefined) return assembler;
    return {
      onLine: (bytes: Uint8Array, literal: LiteralHeader | null, lineEndLength: number) => {
        const transport = this.#transport;
        if (transport?.logging === true) {
          transport.logServer(serverLogText(bytes, literal, this.#pipeline.authenticating));
        }
        assembler.onLine(bytes, literal, lineEndLength);
      },
      onLiteralData: (bytes: Uint8Array) => {
        assembler.onLiteralData(bytes);
      },
      onLiteralEnd: () => {
        assembler.onLiteralEnd();
      },
      onDataChunk: () => {
        assembler.onDataChunk();
      },
      onDataEnd: () => {
        assembler.onDataEnd();
      },
    };
  }

  #onData(chunk: Uint8Array): void {
    try {
      const consumed = this.#tokenizer.push(chunk);
      if (consumed < chunk.length) {
        // Parsing stops only after STARTTLS's tagged OK: bytes after it in the same read were sent in
        // clear where the handshake should be (RFC 9051 section 6.2.1; CVE-2011-0411 style injection).
        throw new TlsError('The server sent data after the STARTTLS go-ahead (possible response injection)');
      }
    } catch (error) {
      const failure = error instanceof MailwireError ? error : new ProtocolError('Failed to process server data', {}, { cause: error });
      this.#transport?.destroy(failure);
    }
  }

  #onResponse(response: ImapResponse): void {
    if (this.#greetingWaiter !== undefined) {
      this.#onGreeting(response);
      return;
    }
    switch (response.kind) {
      case 'tagged':
        this.#onTagged(response);
        return;
      case 'continuation':
        if (!this.#pipeline.continuation(response)) this.#events.emit({ kind: 'other', response });
        return;
      default:
        this.#onUntagged(response);
    }
  }

  #onGreeting(response: ImapResponse): void {
    const waiter = this.#greetingWaiter!;
    this.#greetingWaiter = undefined;
    this.#transport?.disarmTimeout();
    if (response.kind !== 'status' || (response.status !== 'OK' && response.status !== 'PREAUTH')) {
      const error = connection.greetingError(response);
      waiter.reject(error);
      this.#transport?.destroy(error);
      return;
    }
    if (response.code?.kind === 'CAPABILITY') this.#core.setCapabilities(response.code.capabilities);
    this.#state = response.status === 'PREAUTH' ? 'authenticated' : 'not-authenticated';
    this.#greeting = { status: response.status, text: response.text };
    this.#ready = true;
    waiter.resolve(this.#greeting);
    this.#pipeline.pump();
  }

  #onUntagged(response: ImapResponse): void {
    if (response.kind === 'capability') this.#core.setCapabilities(response.capabilities);
    else if (response.kind === 'status' && response.code?.kind === 'CAPABILITY') this.#core.setCapabilities(response.code.capabilities);
    const opening = this.#pipeline.openingMailbox;
    // Nothing was selected before this SELECT, or `[CLOSED]` marks where the left mailbox's data ends.
    if (opening !== null && (this.#eventMailbox === null || isClosedCode(response))) this.#eventMailbox = opening;
    // What a SELECT or EXAMINE in flight hears is the new mailbox's, which the command collects: the
    // state of the mailbox being left (a caller may hold it) must not take its counts and UIDVALIDITY.
    if (this.#mailbox !== null && !this.#pipeline.selecting) updateMailbox(this.#mailbox, response, this.#modseqs);
    if (response.kind === 'list') this.#noteListedName(response);
    if (this.#pipeline.untagged(response)) {
      // Where no `[CLOSED]` will mark the switch, the first line the SELECT takes (it is exclusive:
      // the only command in flight) shows that the server has begun to answer it.
      if (opening !== null && !select.announcesClosed(this)) this.#eventMailbox = opening;
      return;
    }
    if (response.kind === 'status' && response.status === 'BYE') {
      this.#events.emit({ kind: 'bye', code: response.code, text: response.text });
      // The server ends the session: every pending command fails now, not when the socket closes.
      // (The BYE answering a LOGOUT in flight is LOGOUT's own; one here came before LOGOUT was sent.)
      const server = { status: 'BYE', responseCode: responseCodeName(response.code), responseCodeData: response.codeData, serverText: response.text };
      const error = new ConnectionClosedError('The server closed the session', { server });
      this.#failAll(error);
      void this.#transport?.close();
      return;
    }
    const event = mailboxEventOf(response, this.#eventMailbox);
    if (event !== null) this.#events.emit(event);
  }

  /**
   * A server may list a name in invalid or non-canonical modified UTF-7 (`Foo&Bar`, `&AGE-`): its
   * decoded name, which callers pass back, would then be encoded into another name. Such names
   * are remembered and sent as listed (a name listed canonically again is forgotten). So are names
   * with a control character (Exchange lists names with TABs), in UTF-8 mode too: the name check
   * lets them through (see checkMailboxName), since the server itself gave them.
   */
  #noteListedName(response: ListResponse): void {
    const { name, nameRaw } = response;
    if (name === 'INBOX') return;
    const remember = hasNameControl(name) || (!this.#assembler.utf8Accept && encodeModifiedUtf7(name) !== nameRaw);
    if (remember) {
      if (this.#listedNames.size < MAX_LISTED_NAMES) this.#listedNames.set(name, nameRaw);
    } else if (!this.#assembler.utf8Accept) {
      this.#listedNames.delete(name);
    }
  }

  /**
   * STARTTLS was accepted: nothing the server said in clear may be trusted once TLS is up (RFC 3501
   * and RFC 9051 section 6.2.1; a man in the middle could have written it), so it is forgotten
   * before the handshake starts: the capabilities (a `[CAPABILITY]` code on the STARTTLS OK
   * included; they are asked again over TLS), the UTF-8 mode an IMAP4rev2-only announcement
   * switched on, the extensions enabled, and the mailbox names remembered in their listed form
   * (an unsolicited LIST could have planted one). The greeting stays, as a record: its PREAUTH
   * would have made STARTTLS impossible.
   */
  #forgetCleartextState(): void {
    this.#core.setCapabilities(null);
    this.#enabled.clear();
    this.#assembler.utf8Accept = false;
    this.#listedNames.clear();
  }

  #onTagged(response: TaggedStatusResponse): void {
    const observe = (): void => {
      if (response.code?.kind === 'CAPABILITY') this.#core.setCapabilities(response.code.capabilities);
    };
    if (!this.#pipeline.tagged(response, observe)) this.#events.emit({ kind: 'other', response });
    // After the command's own result: a SELECT's OK then speaks of the mailbox it has just opened.
    else if (this.#mailbox !== null) updateMailboxFromTagged(this.#mailbox, response, this.#modseqs);
  }

  #onResponseError(error: ProtocolError | LimitExceededError, tag: string | null, fetch: UnreadableFetch | null, name: string | null): void {
    if (this.#pipeline.responseError(error, tag)) return;
    // An unreadable `* n FETCH`: the fetch in flight that may have lost message n says so.
    if (fetch !== null && this.#pipeline.unreadableFetch(error, fetch)) return;
    // Another unreadable answer (`* SEARCH` with junk): the command that asked for it fails.
    if (fetch === null && name !== null && this.#pipeline.unreadableUntagged(error, name)) return;
    this.#events.emit({ kind: 'other', response: { kind: 'unknown', name: 'ERROR', text: error.message } });
  }

  /** The session is over: it stays in `logout`, and every pending command fails at once. */
  #failAll(error: MailwireError): void {
    this.#state = 'logout';
    this.#ready = false;
    this.#closeError ??= error;
    this.#pipeline.failAll(error);
  }

  #onClose(error: MailwireError): void {
    const waiter = this.#greetingWaiter;
    this.#greetingWaiter = undefined;
    waiter?.reject(error);
    const cause = this.#closeError;
    const failure =
      error instanceof ConnectionClosedError && cause === undefined
        ? new ConnectionClosedError('The connection closed before the server answered', { cause: error })
        : cause ?? error;
    this.#failAll(failure);
    this.#mailbox = null;
    this.#eventMailbox = null;
    this.#events.close(this.#loggingOut ? undefined : failure);
  }

  #closedError(command: string): MailwireError {
    if (!this.#opened) return new ConnectionClosedError(`Cannot send ${command}: not connected (call connect() first)`);
    return new ConnectionClosedError(
      // After LOGOUT's answer the socket may stay open a while (close() waits for the server's side).
      `Cannot send ${command}: ${this.#loggingOut ? 'the session has logged out' : 'the connection is closed'}`,
      this.#closeError === undefined ? undefined : { cause: this.#closeError },
    );
  }

  #makePipeline(): CommandPipeline {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const client = this;
    return new CommandPipeline({
      get transport() {
        return client.#transport;
      },
      get ready() {
        return client.#ready;
      },
      get state() {
        return client.#state;
      },
      get capabilities() {
        return client.#capabilities;
      },
      get enabled() {
        return client.#enabled;
      },
      assembler: this.#assembler,
      commandTimeout: this.#commandTimeout,
      listedNames: this.#listedNames,
      breakConnection: (transport, message, cause) => {
        // Unless the session is already over (connection lost, BYE), close it: the literal is broken.
        if (transport.closed || client.#closeError !== undefined) return;
        client.#closeError = new ConnectionClosedError(message, { cause });
        transport.destroy(client.#closeError);
      },
    });
  }

  #makeCore(limits: ImapLimits): CoreSession {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const client = this;
    return {
      get state() {
        return client.#state;
      },
      get capabilities() {
        return client.#capabilities;
      },
      get enabled() {
        return client.#enabled;
      },
      get mailbox() {
        return client.#mailbox;
      },
      get selectPending() {
        return client.#selectsPending > 0;
      },
      hasCapability: (name) => client.hasCapability(name),
      isListedName: (name) => client.isListedName(name),
      run: (command, options) => client.run(command, options),
      get secure() {
        return client.secure;
      },
      allowCleartext: this.#options.allowCleartext === true,
      tlsMode: this.#tlsMode,
      host: this.#options.host,
      port: this.#options.port ?? (this.#tlsMode === 'implicit' ? 993 : 143),
      saslOptions: { scramMaxIterations: this.#options.scramMaxIterations, scramMinIterations: this.#options.scramMinIterations },
      get capabilitiesKnown() {
        return client.#capabilitiesKnown;
      },
      setCapabilities: (capabilities) => {
        client.#capabilities = new Set(capabilities?.map((name) => name.toUpperCase()) ?? []);
        client.#capabilitiesKnown = capabilities !== null;
        if (mailboxes.rev2Only(client.#capabilities)) client.#assembler.utf8Accept = true;
      },
      setState: (state) => {
        // Once the connection is gone the session stays over: a command settling late (a login
        // whose OK came just before the connection dropped) must not bring it back.
        if (client.#state !== 'logout') client.#state = state;
      },
      addEnabled: (names) => {
        for (const name of names) client.#enabled.add(name.toUpperCase());
        // "ENABLE QRESYNC" is a CONDSTORE enabling command (RFC 7162 section 3.2.3): MODSEQ is on
        // from now on, though the server's ENABLED response may name QRESYNC alone.
        if (client.#enabled.has('QRESYNC')) client.#enabled.add('CONDSTORE');
        if (client.#enabled.has('UTF8=ACCEPT') || client.#enabled.has('IMAP4REV2')) client.#assembler.utf8Accept = true;
      },
      startTls: () => {
        client.#tokenizer.stop();
        const transport = client.#transport;
        if (transport === undefined) return Promise.reject(client.#closedError('STARTTLS'));
        client.#ready = false;
        client.#forgetCleartextState();
        // STARTTLS is answered: its command timer ends here (nothing re-arms it until TLS is up). The
        // handshake is the transport's to time, with its own limit; the handshake's bytes never
        // reach onData, so a leftover command timer would cut a slow handshake as a silent server.
        transport.disarmTimeout();
        const upgrade = transport.upgradeToTls(client.#options.tlsOptions).then(() => {
          client.#ready = true;
          client.#pipeline.pump();
        });
        upgrade.catch(() => undefined);
        return upgrade;
      },
      setMailbox: (mailbox) => {
        // A SELECT failed by the connection's end deselects, but the session stays over (see setState).
        if (client.#state === 'logout') return;
        client.#mailbox = mailbox;
        client.#modseqs.reset();
        client.#eventMailbox = mailbox?.name ?? null;
        client.#state = mailbox === null ? 'authenticated' : 'selected';
      },
      endSession: () => {
        client.#state = 'logout';
        const error = new ConnectionClosedError('The session was logged out (LOGOUT) before this command was sent');
        client.#closeError ??= error;
        client.#pipeline.failQueued(error);
        // No event can follow LOGOUT's answer: subscriptions (and idle() loops) end normally now.
        client.#events.close(undefined);
      },
      subscribe: (options) => client.#events.subscribe(options),
      destroy: (error) => {
        client.destroy(error);
      },
      closeConnection: async () => {
        client.#loggingOut = true;
        await client.#transport?.close();
      },
      bodyHighWaterMark: limits.bodyHighWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      maxFetchBuffer: limits.maxFetchBuffer ?? DEFAULT_MAX_FETCH_BUFFER,
      maxSetLength: limits.maxSetLength ?? storeFamily.DEFAULT_MAX_SET_LENGTH,
    };
  }
}

/** `* OK [CLOSED]`: the mailbox selected before is closed, and what follows is the new one's. */
function isClosedCode(response: ImapResponse): boolean {
  return response.kind === 'status' && response.status === 'OK' && response.code?.kind === 'CLOSED';
}

/** A server line for the wire log; SASL challenges are logged by size only. */
function serverLogText(bytes: Uint8Array, literal: LiteralHeader | null, authenticating: boolean): string {
  if (authenticating && bytes[0] === 0x2b) return `+ {${bytes.length} bytes}`;
  const text = decoder.decode(bytes);
  if (literal === null) return text;
  return `${text}${literal.binary ? '~' : ''}{${literal.size}${literal.nonSynchronizing ? '+' : ''}}`;
}
