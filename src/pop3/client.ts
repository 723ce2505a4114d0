/**
 * The POP3 client: connection lifecycle, TLS policy, login, and RFC 1939 session semantics. The
 * command queue with RFC 2449 pipelining lives in pipeline.ts.
 *
 * @packageDocumentation
 */
import {
  AbortError,
  ConnectionClosedError,
  InvalidArgumentError,
  abortErrorFrom,
  MailwireError,
  ProtocolError,
  ServerError,
  TimeoutError,
  TlsError,
  UnsupportedError,
} from '../common/errors.js';
import { createSaslSession, type SaslCredentials, type SaslMechanismName } from '../common/sasl/index.js';
import { actsAsAnotherUser, checkCredentials } from '../common/sasl/shared.js';
import { Secret } from '../common/secret.js';
import { Tokenizer, type FrameSink } from '../common/tokenizer.js';
import { clientConnector, type Connection } from '../common/connector.js';
import { callOptionsError, callSteps, checkClientOptions, checkLimits, transportOptionsOf } from '../common/options.js';
import { ChunkStore } from '../common/chunk-store.js';
import { SaslExchange, chooseLoginMethod, pop3LoginMethod } from './auth.js';
import {
  NO_CAPABILITIES,
  apopDigest,
  checkLineCount,
  checkMessageNumber,
  parseApopTimestamp,
  parseCapabilities,
  parseStatusLine,
  type Pop3Capabilities,
  type Pop3Language,
  type Pop3ListEntry,
  type Pop3Stat,
  type Pop3UidlEntry,
} from './codec.js';
import * as commands from './commands.js';
import type { Pop3Reply } from './commands.js';
import { ignoreRejection, type Exchange } from './exchange.js';
import { CommandQueue, type AnyExchange } from './pipeline.js';
import { FlowGate } from './body.js';
import { MessageExchange, type BodyStreaming, type Pop3Message } from './message.js';
import { RetrievalWindow } from './window.js';
import { MultiLineLog, logText } from './wire-log.js';
import type {
  Pop3CallOptions,
  Pop3ClientOptions,
  Pop3CloseResult,
  Pop3Credentials,
  Pop3Greeting,
  Pop3Limits,
  Pop3State,
  Pop3TlsMode,
} from './options.js';

export type {
  Pop3CallOptions,
  Pop3ClientOptions,
  Pop3CloseResult,
  Pop3Credentials,
  Pop3Greeting,
  Pop3Limits,
  Pop3State,
  Pop3TlsMode,
} from './options.js';

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_COMMAND_TIMEOUT = 60_000;
const DEFAULT_MAX_LINE = 64 * 1024;
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
const DEFAULT_PIPELINE_DEPTH = 512;
/** How far a retrieveMany window reads ahead, in body high-water marks (of the average body seen). */
const READ_AHEAD_MARKS = 8;
/** Bytes of each socket read: four times the transport's default, fewer and larger reads on bulk downloads. */
const READ_BUFFER_SIZE = 256 * 1024;
/** The fields of {@link Pop3Limits}. */
const POP3_LIMITS: readonly (keyof Pop3Limits)[] = ['maxLineLength', 'bodyHighWaterMark', 'pipelineDepth'];

/**
 * A POP3 client (RFC 1939) with the extensions of RFC 2449 (CAPA, PIPELINING, response codes),
 * RFC 2595 (STLS), RFC 5034 (SASL) and RFC 6856 (UTF8, LANG).
 *
 * Commands may be called concurrently: they are queued, and written together when the server
 * offers PIPELINING, one at a time otherwise. Answers come back in order.
 *
 * @example
 * ```ts
 * const client = await Pop3Client.connect({
 *   host: 'pop.example.com',
 *   auth: { username: 'alice', password: process.env.POP3_PASSWORD ?? '' },
 * });
 * const { count } = await client.stat();
 * for await (const message of client.retrieveMany(range(1, count))) {
 *   await saveTo(`${message.number}.eml`, message.body);
 * }
 * const { deletionsCommitted } = await client.close();
 * ```
 */
export class Pop3Client {
  readonly #options: Pop3ClientOptions;
  readonly #tlsMode: Pop3TlsMode;
  readonly #maxLineLength: number;
  readonly #highWaterMark: number;
  readonly #pipelineDepth: number;

  #transport: Connection | undefined;
  #tokenizer: Tokenizer;
  #state: Pop3State = 'disconnected';
  #capabilities: Pop3Capabilities = NO_CAPABILITIES;
  #capaAnswered = false;
  #greeting: Pop3Greeting | undefined;
  #greetingWaiter: { resolve: (greeting: Pop3Greeting) => void; reject: (error: MailwireError) => void } | undefined;
  #tlsUpgrade: Promise<void> | undefined;
  readonly #queue: CommandQueue;
  #closeError: MailwireError | undefined;
  #quitAnswered: Pop3Reply | undefined;
  #closing: Promise<Pop3CloseResult> | undefined;

  #messageCount: number | undefined;
  /**
   * Messages marked deleted (or with a DELE in flight) in this session, each with the
   * {@link Pop3Client.#markStamp} of its DELE.
   */
  readonly #deleted = new Map<number, number>();
  /** Orders DELE and RSET calls, so an RSET unmarks only what was marked before it. */
  #markStamp = 0;
  /** The windows of the retrieveMany loops running: a DELE goes behind the RETR they still owe. */
  readonly #windows = new Set<RetrievalWindow>();

  /** Set by close(): from then on bodies no longer hold the connection back, so QUIT is answered. */
  #ignoreBackpressure = false;
  #connectCalled = false;
  #quitting = false;

  readonly #flow = new FlowGate({
    pause: () => {
      this.#transport?.pause();
      this.#transport?.disarmTimeout();
    },
    resume: () => {
      this.#transport?.resume();
      this.#queue.armTimeout();
    },
    // A command somebody awaits is answered after every body ahead of it, and whoever would read
    // them may be the one awaiting: they are buffered instead, so the answer comes.
    mayPause: () => !this.#ignoreBackpressure && !this.#queue.awaiting,
  });

  readonly #streaming: BodyStreaming;

  readonly #sink: FrameSink = {
    onLine: (bytes, _literal, lineEndLength) => {
      this.#onLine(bytes, lineEndLength);
    },
    onLiteralData: () => {
      // POP3 has no literals (the tokenizer is built with literals: false).
    },
    onLiteralEnd: () => {
      // Idem.
    },
    onDataChunk: (bytes) => {
      const head = this.#queue.head();
      if (this.#transport?.logging === true) this.#dataLog.add(bytes, head instanceof MessageExchange);
      head.onData(bytes);
    },
    onDataEnd: () => {
      const head = this.#queue.head();
      if (this.#transport?.logging === true) this.#dataLog.flush(this.#transport);
      head.onDataEnd();
      this.#queue.complete();
    },
  };

  /** With a logger: the lines of multi-line listings (CAPA, LIST, UIDL), and a size for bodies. */
  readonly #dataLog = new MultiLineLog();

  /**
   * Prepares a client; {@link Pop3Client.connect} opens the connection.
   *
   * @throws InvalidArgumentError for an option of the wrong type or out of its range (`tls: true`,
   *   a `signal` that is not an AbortSignal, a timeout that is not a number of milliseconds...), naming it.
   */
  constructor(options: Pop3ClientOptions) {
    checkClientOptions(options);
    checkLimits(options.limits, POP3_LIMITS);
    this.#options = options;
    this.#tlsMode = options.tls ?? (options.port === 995 ? 'implicit' : 'starttls');
    this.#maxLineLength = options.limits?.maxLineLength ?? DEFAULT_MAX_LINE;
    this.#highWaterMark = options.limits?.bodyHighWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#pipelineDepth = Math.max(1, options.limits?.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH);
    this.#queue = this.#makeQueue(options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT, this.#pipelineDepth);
    this.#tokenizer = new Tokenizer(this.#sink, { literals: false, maxLineLength: this.#maxLineLength });
    this.#streaming = { flow: this.#flow, highWaterMark: this.#highWaterMark, store: new ChunkStore() };
  }

  /**
   * Connects, reads the greeting, asks CAPA, upgrades with STLS as the TLS mode says, and logs in
   * when `options.auth` is given.
   *
   * @example
   * ```ts
   * const client = await Pop3Client.connect({ host: 'localhost', port: 995, auth: { username, password } });
   * ```
   */
  static async connect(options: Pop3ClientOptions): Promise<Pop3Client> {
    const client = new Pop3Client(options);
    await client.connect();
    return client;
  }

  /** The session's phase. */
  get state(): Pop3State {
    return this.#state;
  }

  /** True while the connection is encrypted. */
  get secure(): boolean {
    return this.#transport?.secure ?? false;
  }

  /** The greeting, once received. */
  get greeting(): Pop3Greeting | undefined {
    return this.#greeting;
  }

  /**
   * What the server announced in its latest CAPA answer (refreshed after STLS and after login).
   * All `false` when CAPA is not supported; see {@link Pop3Client.capabilitiesKnown}.
   */
  get capabilities(): Pop3Capabilities {
    return this.#capabilities;
  }

  /** False when the server refused CAPA: the client then learns by trying commands. */
  get capabilitiesKnown(): boolean {
    return this.#capaAnswered;
  }

  /**
   * The number of messages in the maildrop at login (RFC 1939: fixed for the session), or
   * undefined before login. STAT's count, raised to the highest message number a full LIST or
   * UIDL names when the server's listings and STAT disagree.
   */
  get messageCount(): number | undefined {
    return this.#messageCount;
  }

  /** The message numbers marked deleted in this session, ascending. */
  get markedDeleted(): readonly number[] {
    return [...this.#deleted.keys()].sort((a, b) => a - b);
  }

  /**
   * Opens the connection: TCP or TLS, greeting, CAPA, STLS as configured, and login when
   * `options.auth` is set. On failure the connection is closed and the error rethrown.
   *
   * @throws ConnectionFailedError, TimeoutError, TlsError, ServerError (a `-ERR` greeting),
   *   AuthenticationError, AbortError.
   */
  async connect(): Promise<void> {
    if (this.#connectCalled) throw new InvalidArgumentError('Pop3Client.connect() was already called');
    this.#connectCalled = true;
    const options = this.#options;
    const greeting = new Promise<Pop3Greeting>((resolve, reject) => {
      this.#greetingWaiter = { resolve, reject };
    });
    greeting.catch(() => undefined);
    const implicit = this.#tlsMode === 'implicit';
    try {
      const connector = await clientConnector(options, 'pop3');
      this.#transport = await connector(
        { ...transportOptionsOf(options, options.port ?? (implicit ? 995 : 110), implicit), readBufferSize: READ_BUFFER_SIZE },
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
      this.#state = 'closed';
      throw error;
    }
    if (this.#state === 'closed') {
      // close() or destroy() was called while connecting (it found no connection to end): the
      // session must not come up behind it, logged in and never closed.
      const error = new ConnectionClosedError(
        'The client was closed while connecting',
        this.#closeError === undefined ? undefined : { cause: this.#closeError },
      );
      this.#transport.destroy(error);
      throw error;
    }
    this.#state = 'authorization';
    try {
      this.#transport.armTimeout('greeting', options.greetingTimeout ?? DEFAULT_TIMEOUT);
      await greeting;
      await this.refreshCapabilities();
      if (this.#tlsMode === 'starttls') await this.#startTls();
      if (options.auth !== undefined) await this.login(options.auth);
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  /**
   * Logs in (RFC 1939 section 7, RFC 5034), then asks CAPA again and STAT for the message count.
   *
   * @throws TlsError when the connection is not encrypted and `allowCleartext` is not set: nothing
   *   is sent. AuthenticationError with the server's response code (`AUTH`, `IN-USE`,
   *   `LOGIN-DELAY`, `SYS/TEMP`, `SYS/PERM`) when refused; the session stays in the AUTHORIZATION
   *   state, so another attempt may follow. UnsupportedError when the chosen method is not offered.
   *   InvalidArgumentError, before anything is sent, for a method mailwire does not implement,
   *   credentials of the wrong shape (a `username` that is not a string...), or a credential
   *   holding a lone UTF-16 surrogate (it has no UTF-8 form).
   *   ProtocolError when a SASL challenge is not base64 (the exchange is cancelled with `*`).
   *   AbortError or TimeoutError when `options.signal` fires or `options.timeout` expires: before the
   *   credentials are written nothing else happens; once USER, PASS or APOP was written, the
   *   connection is closed, since whether the server accepted them is unknown (and so on a
   *   timeout of any login command). An AUTH aborted once written is cancelled instead (RFC 5034
   *   section 4: the server's next challenge is answered `*`): the call rejects at once and the
   *   session stays open in the AUTHORIZATION state; the connection is still closed when the
   *   server's answer does not come within the `commandTimeout`, or is `+OK` (it logged in anyway).
   *   When the CAPA or STAT that follows a successful login fails (an abort, a `-ERR` to STAT), the
   *   call fails and the connection is closed too: the session does not stay logged in unseen.
   */
  async login(credentials: Pop3Credentials, options: Pop3CallOptions = {}): Promise<void> {
    this.#requireState('authorization', 'login');
    if (!this.secure && this.#options.allowCleartext !== true) {
      throw new TlsError('Refusing to send credentials over an unencrypted connection (set allowCleartext to allow it)');
    }
    checkCredentials(credentials);
    const requested = pop3LoginMethod(credentials.method ?? 'auto');
    if (requested === undefined) throw new InvalidArgumentError(`Unknown login method ${JSON.stringify(credentials.method)}`);
    const sasl: SaslCredentials = {
      username: credentials.username,
      ...(credentials.password === undefined ? {} : { password: Secret.from(credentials.password) }),
      ...(credentials.accessToken === undefined ? {} : { accessToken: Secret.from(credentials.accessToken) }),
      ...(credentials.authzid === undefined ? {} : { authzid: credentials.authzid }),
      host: this.#options.host,
      port: this.#options.port ?? (this.#tlsMode === 'implicit' ? 995 : 110),
    };
    // One timeout for the call: the CAPA and STAT after the login get what is left of it.
    const step = callSteps(options);
    const method =
      requested === 'auto'
        ? chooseLoginMethod(
            { sasl: this.#capabilities.sasl, apopTimestamp: this.#greeting?.apopTimestamp, secure: this.secure },
            sasl,
          )
        : requested;
    if ((method === 'USER' || method === 'APOP') && actsAsAnotherUser(credentials)) {
      // Ignored, the authzid would leave the session on the user name's own maildrop.
      throw new InvalidArgumentError(`${method} cannot carry an authorization identity (authzid): use a SASL mechanism (PLAIN, SCRAM)`);
    }
    switch (method) {
      case 'USER': {
        // Both lines are built (and checked) before USER goes out: a bad password sends nothing.
        const user = commands.user(credentials.username);
        const pass = commands.pass(requirePassword(credentials));
        // PASS takes its place behind USER at once, held until USER is accepted: after a +OK to
        // USER the server takes only PASS or QUIT (RFC 1939 section 7), so a command issued
        // meanwhile (a CAPA, a LANG) must not be written between them.
        pass.held = true;
        const userAnswer = this.#enqueue(user, options);
        const passAnswer = this.#enqueue(pass, options);
        passAnswer.catch(ignoreRejection); // awaited below, unless USER's failure is reported instead
        try {
          await userAnswer;
        } catch (error) {
          if (this.#queue.withdraw(pass as AnyExchange)) pass.fail(error instanceof MailwireError ? error : this.#closedError(pass.display));
          throw error;
        }
        this.#queue.release(pass as AnyExchange);
        try {
          await passAnswer;
        } catch (error) {
          // After a +OK to USER the server takes only PASS or QUIT (RFC 1939 section 7): a PASS
          // withdrawn unsent (the call aborted or timed out in between) would leave it waiting,
          // and the next login's USER refused as if the credentials were wrong.
          if (error instanceof AbortError || error instanceof TimeoutError) this.destroy(error);
          throw error;
        }
        break;
      }
      case 'APOP': {
        const timestamp = this.#greeting?.apopTimestamp;
        if (timestamp === undefined) throw new UnsupportedError('The server offers no APOP timestamp in its greeting');
        const digest = apopDigest(timestamp, requirePassword(credentials));
        await this.#enqueue(commands.apop(credentials.username, digest), options);
        break;
      }
      default:
        await this.#authenticate(method, sasl, options);
    }
    // The connection may have ended in the same read as the server's +OK (garbage after it, a
    // hang-up): the session is over then, and must not come back as logged in.
    this.#requireState('authorization', 'login');
    this.#state = 'transaction';
    try {
      // RFC 2449 section 5: capabilities may differ after login.
      // Awaited together: the first failure is the call's, and the other's is handled.
      const [, stat] = await Promise.all([this.#queueCapa(step()), this.#enqueue(commands.stat(), step())]);
      this.#messageCount = stat.count;
    } catch (error) {
      // Logged in (the maildrop locked), yet the call fails: a session its caller takes for not
      // logged in must not stay open.
      this.destroy(error instanceof MailwireError ? error : undefined);
      throw error;
    }
  }

  async #authenticate(mechanism: SaslMechanismName, credentials: SaslCredentials, options: Pop3CallOptions): Promise<void> {
    if (this.#capaAnswered && !this.#capabilities.sasl.includes(mechanism)) {
      throw new UnsupportedError(`The server does not offer SASL ${mechanism}`);
    }
    const exchange = new SaslExchange(createSaslSession(mechanism, credentials, {
      scramMaxIterations: this.#options.scramMaxIterations,
      scramMinIterations: this.#options.scramMinIterations,
    }));
    try {
      await this.#enqueue(exchange, options);
    } catch (error) {
      // The server said +OK but its SCRAM signature did not verify: do not stay on such a server.
      if (error instanceof MailwireError && error.code === 'AUTHENTICATION_FAILED' && this.#state === 'authorization' && exchange.serverAccepted) {
        this.destroy(error);
      }
      throw error;
    }
  }

  /** Asks CAPA again (RFC 2449). When the server refuses CAPA, capabilities become unknown. */
  async refreshCapabilities(options: Pop3CallOptions = {}): Promise<Pop3Capabilities> {
    await this.#queueCapa(options);
    return this.#capabilities;
  }

  async #queueCapa(options: Pop3CallOptions = {}): Promise<void> {
    try {
      this.#capabilities = parseCapabilities(await this.#enqueue(commands.capa(this.#maxLineLength), options));
      this.#capaAnswered = true;
    } catch (error) {
      if (!(error instanceof ServerError)) throw error;
      // RFC 2449 section 5: a server without CAPA answers -ERR; work from what commands reveal.
      this.#capabilities = NO_CAPABILITIES;
      this.#capaAnswered = false;
    }
  }

  async #startTls(): Promise<void> {
    // When CAPA failed, STLS is tried anyway: the command itself says whether it is there.
    if (this.#capaAnswered && !this.#capabilities.stls) {
      if (this.#options.allowCleartext === true) return;
      throw new TlsError('The server does not offer STLS and allowCleartext is not set');
    }
    try {
      await this.#enqueue(commands.stls());
    } catch (error) {
      if (error instanceof ServerError && this.#options.allowCleartext === true) return;
      if (error instanceof ServerError) throw new TlsError(`The server refused STLS: ${error.serverText}`, { cause: error });
      throw error;
    }
    const upgrade = this.#tlsUpgrade;
    if (upgrade === undefined) throw new ProtocolError('STLS accepted but no upgrade started');
    try {
      await upgrade;
    } finally {
      this.#tlsUpgrade = undefined;
    }
    // What was learnt before the handshake is gone (#forgetCleartextState): ask again over TLS.
    await this.refreshCapabilities();
  }

  /**
   * The STLS go-ahead was read: RFC 2595 section 4, what was learnt before the handshake is
   * discarded (capabilities are asked again once TLS is up). The greeting's APOP timestamp is kept:
   * a tampered one can only make APOP fail, never reveal the password.
   */
  #forgetCleartextState(): void {
    this.#capabilities = NO_CAPABILITIES;
    this.#capaAnswered = false;
  }

  /** `STAT` (RFC 1939 section 5): the count and total size of messages not marked deleted. */
  async stat(options: Pop3CallOptions = {}): Promise<Pop3Stat> {
    this.#requireState('transaction', 'STAT');
    return this.#enqueue(commands.stat(), options);
  }

  /** `LIST`: the size of every message not marked deleted (RFC 1939 section 5). */
  list(options?: Pop3CallOptions): Promise<Pop3ListEntry[]>;
  /** `LIST msg`: the size of one message. */
  list(messageNumber: number, options?: Pop3CallOptions): Promise<Pop3ListEntry>;
  async list(first?: number | Pop3CallOptions, second?: Pop3CallOptions): Promise<Pop3ListEntry[] | Pop3ListEntry> {
    this.#requireState('transaction', 'LIST');
    if (typeof first === 'number') return this.#enqueue(commands.listOne(this.#checkMessage(first)), second ?? {});
    return this.#countListed(await this.#enqueue(commands.listAll(this.#maxLineLength), first ?? {}));
  }

  /**
   * `UIDL`: the unique-id of every message not marked deleted (RFC 1939 section 7).
   *
   * @throws UnsupportedError when the server does not implement UIDL.
   */
  uidl(options?: Pop3CallOptions): Promise<Pop3UidlEntry[]>;
  /** `UIDL msg`: the unique-id of one message. */
  uidl(messageNumber: number, options?: Pop3CallOptions): Promise<Pop3UidlEntry>;
  async uidl(first?: number | Pop3CallOptions, second?: Pop3CallOptions): Promise<Pop3UidlEntry[] | Pop3UidlEntry> {
    this.#requireState('transaction', 'UIDL');
    if (this.#capaAnswered && !this.#capabilities.uidl) throw new UnsupportedError('The server does not offer UIDL');
    if (typeof first === 'number') return this.#enqueue(commands.uidlOne(this.#checkMessage(first)), second ?? {});
    return this.#countListed(await this.#enqueue(commands.uidlAll(this.#maxLineLength), first ?? {}));
  }

  /**
   * `RETR msg`: resolves when the server accepts, with a handle whose body streams the message.
   * Answers arrive in order: a command issued before this body is read is answered after it, and
   * the body is then buffered in memory (not paused) until it is; read the body (or `discard()` it)
   * before issuing the next command to keep memory flat.
   *
   * @example
   * ```ts
   * const message = await client.retrieve(1);
   * const bytes = await message.bytes({ maxBytes: 10 * 1024 * 1024 });
   * ```
   */
  async retrieve(messageNumber: number, options: Pop3CallOptions = {}): Promise<Pop3Message> {
    this.#requireState('transaction', 'RETR');
    return this.#enqueue(new MessageExchange(this.#checkMessage(messageNumber), undefined, this.#streaming), options);
  }

  /**
   * `TOP msg n`: the headers and the first `lines` lines of the body (RFC 1939 section 7).
   *
   * @throws UnsupportedError when CAPA was answered without TOP.
   */
  async top(messageNumber: number, lines: number, options: Pop3CallOptions = {}): Promise<Pop3Message> {
    this.#requireState('transaction', 'TOP');
    if (this.#capaAnswered && !this.#capabilities.top) throw new UnsupportedError('The server does not offer TOP');
    const exchange = new MessageExchange(this.#checkMessage(messageNumber), checkLineCount(lines), this.#streaming);
    return this.#enqueue(exchange, options);
  }

  /**
   * Retrieves several messages, pipelined when the server offers PIPELINING (a window that opens
   * from two RETRs up to the pipeline depth and a read-ahead of about eight body high-water marks).
   * Yields each message in order of `messageNumbers`; consume each body before asking for the next:
   * whatever is left unread is discarded when the iteration moves on (or stops). Commands the loop
   * issues (a `delete()` after each message) are answered; bodies already requested are buffered
   * meanwhile, and no RETR is sent ahead of need while the loop issues commands. `options.signal`
   * and `options.timeout` apply to the message the loop waits for.
   *
   * @example
   * ```ts
   * for await (const message of client.retrieveMany([1, 2, 3])) {
   *   const bytes = await message.bytes();
   *   await client.delete(message.number);
   * }
   * ```
   */
  async *retrieveMany(messageNumbers: Iterable<number>, options: Pop3CallOptions = {}): AsyncGenerator<Pop3Message, void, undefined> {
    this.#requireState('transaction', 'RETR');
    const invalid = callOptionsError(options);
    if (invalid !== undefined) throw invalid;
    const numbers = [...messageNumbers].map((n) => this.#checkMessage(n));
    const { signal } = options;
    if (signal?.aborted === true) throw abortErrorFrom(signal, 'RETR');
    // The call's signal and timeout guard the RETR the loop waits for, one at a time: RETRs sent
    // ahead of need have none (a listener each on one signal, hundreds of them, is a leak warning).
    const queue = this.#queue;
    const window = new RetrievalWindow(numbers, this.#pipelineDepth, READ_AHEAD_MARKS * this.#highWaterMark, {
      create: (messageNumber) => new MessageExchange(messageNumber, undefined, this.#streaming),
      enqueue: (exchange) => this.#enqueue(exchange),
      handOut: (exchange) => {
        queue.markAwaited(exchange as AnyExchange);
        return queue.guard(exchange, options);
      },
      withdraw: (exchange) => queue.withdraw(exchange as AnyExchange),
      get issued() {
        return queue.issued;
      },
    });
    this.#windows.add(window);
    try {
      for (let next = window.next(); next !== undefined; next = window.next()) yield await next;
    } finally {
      this.#windows.delete(window);
      window.stop();
    }
  }

  /**
   * `DELE msg`: marks a message deleted (RFC 1939 section 5). It is removed only when
   * {@link Pop3Client.close} succeeds; later commands on it are refused before sending.
   */
  async delete(messageNumber: number, options: Pop3CallOptions = {}): Promise<Pop3Reply> {
    this.#requireState('transaction', 'DELE');
    const checked = this.#checkMessage(messageNumber);
    // A loop that has yet to reach the message asked for it first: its RETR goes before the DELE.
    for (const window of this.#windows) window.claim(checked);
    // Marked now, so a pipelined command after it is refused too; a -ERR (or a DELE withdrawn
    // before it was written) unmarks it.
    const stamp = ++this.#markStamp;
    this.#deleted.set(checked, stamp);
    return this.#enqueue(
      commands.dele(checked, () => {
        if (this.#deleted.get(checked) === stamp) this.#deleted.delete(checked);
      }),
      options,
    );
  }

  /**
   * `RSET`: unmarks the messages marked deleted (RFC 1939 section 5): those whose DELE was issued
   * before it (a DELE pipelined after it stays marked).
   */
  async reset(options: Pop3CallOptions = {}): Promise<Pop3Reply> {
    this.#requireState('transaction', 'RSET');
    // Applied when the answer is read, in answer order: a DELE issued after the RSET stays marked.
    const stamp = ++this.#markStamp;
    return this.#enqueue(
      commands.rset(() => {
        for (const [messageNumber, marked] of this.#deleted) if (marked < stamp) this.#deleted.delete(messageNumber);
      }),
      options,
    );
  }

  /** `NOOP`: keeps the session alive (RFC 1939 section 5). */
  async noop(options: Pop3CallOptions = {}): Promise<Pop3Reply> {
    this.#requireState('transaction', 'NOOP');
    return this.#enqueue(commands.noop(), options);
  }

  /**
   * `UTF8` (RFC 6856 section 2): before login, switches the session to UTF-8 (user names,
   * passwords and server text).
   *
   * @throws UnsupportedError when CAPA was answered without UTF8.
   */
  async utf8(options: Pop3CallOptions = {}): Promise<Pop3Reply> {
    this.#requireState('authorization', 'UTF8');
    if (this.#capaAnswered && this.#capabilities.utf8 === undefined) throw new UnsupportedError('The server does not offer UTF8');
    return this.#enqueue(commands.utf8(), options);
  }

  /** `LANG` (RFC 6856 section 3): the languages the server can use for its text. */
  async languages(options: Pop3CallOptions = {}): Promise<Pop3Language[]> {
    this.#requireOpen('LANG');
    return this.#enqueue(commands.langList(this.#maxLineLength), options);
  }

  /** `LANG tag` (RFC 6856 section 3): switches the language of the server's text (`*` for its default). */
  async setLanguage(tag: string, options: Pop3CallOptions = {}): Promise<Pop3Reply> {
    this.#requireOpen('LANG');
    return this.#enqueue(commands.langSet(tag), options);
  }

  /**
   * Ends the session with QUIT and closes the connection. In the TRANSACTION state, a `+OK` means
   * the messages marked deleted are removed (RFC 1939 section 6). Never rejects on a lost
   * connection or an abort: the result says whether the deletions were committed, or that it
   * cannot be known (`deletionsCommitted: undefined`, see {@link Pop3CloseResult}).
   *
   * @throws InvalidArgumentError for options of the wrong type (nothing is sent; the session stays open).
   */
  close(options: Pop3CallOptions = {}): Promise<Pop3CloseResult> {
    // Refused before QUIT is queued: closing without it would drop the deletions the caller meant to commit.
    const invalid = callOptionsError(options);
    if (invalid !== undefined) return Promise.reject(invalid);
    this.#closing ??= this.#quit(options);
    return this.#closing;
  }

  async #quit(options: Pop3CallOptions): Promise<Pop3CloseResult> {
    const wasTransaction = this.#state === 'transaction';
    let markedDeleted = this.#deleted.size;
    if (this.#transport === undefined || this.#state === 'closed' || this.#state === 'disconnected') {
      this.#state = 'closed';
      return { deletionsCommitted: false, markedDeleted, serverText: undefined };
    }
    let reply: Pop3Reply | undefined;
    let deletionsCommitted: boolean | undefined = false;
    this.#quitting = true;
    // RETRs a retrieveMany window queued ahead of need are not sent: nothing goes after QUIT,
    // and a loop still running gets the same error as for the messages it had not reached.
    this.#queue.withdrawPrefetched((exchange) => this.#closedError(exchange.display));
    // A body nobody reads must not keep QUIT's answer from arriving: what is left of it is
    // buffered from now on (a reader still gets it all).
    this.#ignoreBackpressure = true;
    this.#flow.release();
    const quit = commands.quit();
    try {
      reply = await this.#queue.enqueue(quit, options);
      this.#quitAnswered = reply;
      deletionsCommitted = wasTransaction;
      // Every DELE queued before QUIT is answered by now: a refused one is no longer marked.
      markedDeleted = this.#deleted.size;
    } catch (error) {
      if (!(error instanceof MailwireError)) throw error;
      if (error instanceof ServerError) {
        reply = { text: error.serverText, responseCode: error.responseCode };
        markedDeleted = this.#deleted.size;
      }
      // A -ERR in the UPDATE state leaves "some or none" of the marked messages removed (RFC 1939
      // section 6); a QUIT written but not answered (abort, timeout, lost connection) may have
      // been read and obeyed. Only a QUIT never written surely left the maildrop as it was.
      if (wasTransaction && markedDeleted > 0 && (error instanceof ServerError || quit.written)) deletionsCommitted = undefined;
    }
    const transport = this.#transport;
    this.#state = 'closed';
    // An aborted or timed-out QUIT is not waited for: the connection goes now.
    if (reply === undefined) transport.destroy();
    await transport.close().catch(() => undefined);
    return { deletionsCommitted, markedDeleted, serverText: reply?.text };
  }

  /** Closes the connection at once, without QUIT: nothing marked deleted is removed. */
  destroy(error?: MailwireError): void {
    if (this.#transport !== undefined && !this.#transport.closed) this.#transport.destroy(error);
    else this.#onClose(error ?? new ConnectionClosedError('The client was destroyed'));
  }

  // -------------------------------------------------------------------------------------------
  // The queue
  // -------------------------------------------------------------------------------------------

  #enqueue<T>(exchange: Exchange<T>, options: Pop3CallOptions = {}): Promise<T> {
    // Nothing is queued once close() was called (its QUIT goes to the queue directly): a command
    // queued behind QUIT would be written after its +OK (a retrieveMany window's RETRs, a CAPA).
    if (this.#state === 'closed' || this.#transport === undefined || this.#quitting) {
      exchange.onWithdrawn();
      return Promise.reject(this.#closedError(exchange.display));
    }
    return this.#queue.enqueue(exchange, options);
  }

  #makeQueue(commandTimeout: number, pipelineDepth: number): CommandQueue {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const client = this;
    const host = {
      get transport() {
        return client.#transport;
      },
      get writable() {
        return client.#greeting !== undefined && client.#tlsUpgrade === undefined;
      },
      get pipelining() {
        return client.#capabilities.pipelining;
      },
      get flowPaused() {
        return client.#flow.paused;
      },
      onAwaited() {
        client.#flow.release();
      },
    };
    return new CommandQueue(host, commandTimeout, pipelineDepth);
  }

  // -------------------------------------------------------------------------------------------
  // Input
  // -------------------------------------------------------------------------------------------

  #onData(chunk: Uint8Array): void {
    try {
      const consumed = this.#tokenizer.push(chunk);
      if (consumed < chunk.length) {
        // Input stops only after the STLS go-ahead: whatever followed it in the same read was
        // sent in clear where the handshake should be (RFC 2595 section 4; CVE-2011-0411 style).
        throw new TlsError('The server sent data after the STLS go-ahead (possible response injection)');
      }
    } catch (error) {
      const failure =
        error instanceof MailwireError ? error : new ProtocolError('Failed to process server data', {}, { cause: error });
      this.#transport?.destroy(failure);
    }
  }

  #onLine(bytes: Uint8Array, lineEndLength: number): void {
    // The tokenizer's offset is where the line ends: the error points at the line's first byte.
    const status = parseStatusLine(bytes, this.#tokenizer.offset - lineEndLength - bytes.length);
    if (this.#transport?.logging === true) this.#transport.logServer(logText(bytes, status.kind));
    const waiter = this.#greetingWaiter;
    if (waiter !== undefined) {
      this.#greetingWaiter = undefined;
      this.#onGreeting(status, waiter);
      return;
    }
    const head = this.#queue.head();
    const outcome = head.onStatus(status);
    switch (outcome) {
      case 'data':
        this.#tokenizer.startDotData();
        break;
      case 'more': {
        const response = head.takeResponse();
        if (response !== undefined) this.#transport?.write(response);
        break;
      }
      case 'done':
        if (status.kind === 'ok' && head.startsTls) {
          // RFC 2595 section 4: the handshake starts right after this line; nothing after it is parsed.
          this.#tokenizer.stop();
          this.#forgetCleartextState();
          this.#tlsUpgrade = this.#transport?.upgradeToTls();
          this.#tlsUpgrade?.catch(() => undefined);
        }
        this.#queue.complete();
        if (status.kind === 'ok' && head.cancelledOnWire) {
          // The server logged in although the caller cancelled: the caller was told the login
          // failed, so the session must not stay.
          this.destroy(new ConnectionClosedError(`Connection closed: ${head.display} was cancelled, yet the server logged in`));
        }
        break;
    }
  }

  #onGreeting(
    status: ReturnType<typeof parseStatusLine>,
    waiter: { resolve: (greeting: Pop3Greeting) => void; reject: (error: MailwireError) => void },
  ): void {
    if (status.kind !== 'ok') {
      const error = new ServerError({
        command: '(greeting)',
        status: status.kind === 'err' ? '-ERR' : '+',
        responseCode: status.responseCode,
        serverText: status.text,
      });
      waiter.reject(error);
      this.#transport?.destroy(error);
      return;
    }
    this.#greeting = { text: status.text, responseCode: status.responseCode, apopTimestamp: parseApopTimestamp(status.text) };
    // The greeting timer ends here, not where connect() resumes: a command queued before the
    // greeting is written now (pump), and its command timeout must not be disarmed after it.
    this.#transport?.disarmTimeout();
    waiter.resolve(this.#greeting);
    this.#queue.pump();
  }

  #onClose(error: MailwireError): void {
    if (this.#state === 'closed' && this.#queue.empty && this.#greetingWaiter === undefined) {
      this.#closeError ??= error;
      return;
    }
    const wasTransaction = this.#state === 'transaction';
    this.#state = 'closed';
    this.#closeError = error;
    const note =
      wasTransaction && this.#quitAnswered === undefined
        ? this.#deleted.size > 0
          ? `; no deletions were committed (${this.#deleted.size} marked message(s) stay in the maildrop)`
          : '; no deletions were committed'
        : '';
    const waiter = this.#greetingWaiter;
    this.#greetingWaiter = undefined;
    waiter?.reject(error);
    const pending = this.#queue.drain();
    pending.forEach((exchange, index) => {
      // The command the server was answering gets the cause itself (a timeout, a limit, a
      // protocol error); the rest learn that the connection is gone.
      const ownError =
        index === 0 && !(error instanceof ConnectionClosedError)
          ? error
          : new ConnectionClosedError(`The connection closed before the answer to ${exchange.display}${note}`, { cause: error });
      exchange.fail(ownError);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Session checks
  // -------------------------------------------------------------------------------------------

  #requireOpen(command: string): void {
    if (this.#state === 'closed' || this.#state === 'disconnected' || this.#quitting) throw this.#closedError(command);
  }

  #requireState(state: Pop3State, command: string): void {
    this.#requireOpen(command);
    if (this.#state !== state) {
      throw new InvalidArgumentError(
        state === 'transaction' ? `${command} needs a logged-in session` : `${command} is only valid before login`,
      );
    }
  }

  #closedError(command: string): MailwireError {
    return new ConnectionClosedError(
      `Cannot send ${command}: the connection is closed or closing`,
      this.#closeError === undefined ? undefined : { cause: this.#closeError },
    );
  }

  /**
   * A server whose full LIST or UIDL names messages above the count STAT gave at login: STAT and
   * the listings should agree (RFC 1939 section 5), but the listing is the server's own word that
   * those messages exist, so they may be named (a `Mailbox` lists them, and must reach them).
   */
  #countListed<T extends { readonly number: number }>(entries: T[]): T[] {
    const highest = entries.reduce((most, entry) => Math.max(most, entry.number), 0);
    if (this.#messageCount !== undefined && highest > this.#messageCount) this.#messageCount = highest;
    return entries;
  }

  /** RFC 1939 section 3: numbers are fixed for the session; deleted messages may not be named. */
  #checkMessage(messageNumber: number): number {
    checkMessageNumber(messageNumber);
    const count = this.#messageCount;
    if (count !== undefined && messageNumber > count) {
      throw new InvalidArgumentError(`Message ${messageNumber} does not exist: the maildrop has ${count} message(s)`);
    }
    if (this.#deleted.has(messageNumber)) throw new InvalidArgumentError(`Message ${messageNumber} is marked deleted`);
    return messageNumber;
  }
}

function requirePassword(credentials: Pop3Credentials): Secret {
  if (credentials.password === undefined) throw new InvalidArgumentError('A password is needed for this login method');
  return Secret.from(credentials.password);
}
