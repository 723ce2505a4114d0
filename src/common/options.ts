/**
 * The connection options both clients share: where to connect, how to secure it, how long to wait,
 * and how to log or record it. `ImapClientOptions` and `Pop3ClientOptions` extend
 * {@link ClientOptions} with their protocol's credentials and limits.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from './errors.js';
import { DEFAULT_SCRAM_MAX_ITERATIONS, DEFAULT_SCRAM_MIN_ITERATIONS, floorAboveCap } from './sasl/scram.js';
import type { Connector, RecordSetting } from './connector.js';
import type { TransportOptions, TransportTlsOptions } from './transport.js';
import { MAX_TIMER_MS, checkDelay, checkSharedOptions, describeValue, signalError } from './transport-options.js';
import type { WireLogger } from './wirelog.js';

/**
 * How a connection is secured.
 *
 * - `'implicit'`: TLS from the first byte (RFC 8314; ports 993 and 995).
 * - `'starttls'`: plain TCP, then STARTTLS (IMAP) or STLS (POP3) when the server offers it. If it
 *   does not, the connection fails with a TlsError unless `allowCleartext` is set.
 * - `'none'`: never TLS. Logging in then needs `allowCleartext`.
 */
export type TlsMode = 'implicit' | 'starttls' | 'none';

/** The options of a connection, common to `ImapClient` and `Pop3Client`. */
export interface ClientOptions {
  /** The server's host name or address. */
  readonly host: string;
  /** The port: default 993 (IMAP) or 995 (POP3) for `tls: 'implicit'`, 143 or 110 otherwise. */
  readonly port?: number | undefined;
  /** How the connection is secured. Default `'implicit'` on port 993 or 995, `'starttls'` otherwise. */
  readonly tls?: TlsMode | undefined;
  /**
   * Allow credentials over an unencrypted connection. Default `false`: login refuses with a TlsError
   * before sending anything, and `tls: 'starttls'` fails when the server does not offer TLS or
   * refuses it. When `true`, a connection whose server does not offer or refuses STARTTLS/STLS
   * goes on in clear.
   */
  readonly allowCleartext?: boolean | undefined;
  /** TLS settings (CA, client certificate, `rejectUnauthorized`, `servername`, ...). */
  readonly tlsOptions?: TransportTlsOptions | undefined;
  /**
   * Milliseconds for the TCP connect and the TLS handshake: implicit TLS, or the one after
   * STARTTLS/STLS (the command timeout does not run during that handshake). Default 30,000.
   */
  readonly connectTimeout?: number | undefined;
  /** Milliseconds to wait for the greeting. Default 30,000. */
  readonly greetingTimeout?: number | undefined;
  /**
   * Milliseconds of silence tolerated while an answer is due (not during IMAP IDLE). Default 60,000.
   * On expiry the connection is closed and every pending command rejects with a TimeoutError.
   */
  readonly commandTimeout?: number | undefined;
  /** Aborts the connect; after it, aborting closes the connection. */
  readonly signal?: AbortSignal | undefined;
  /** Receives the wire log, secrets redacted. */
  readonly logger?: WireLogger | undefined;
  /** TCP keep-alive: `true` (the default, 60 s initial delay), `false`, or the delay in ms. */
  readonly keepAlive?: boolean | number | undefined;
  /**
   * Opens the connection; default: a real socket. The test kit (`mailwire/testing`) supplies
   * connectors that record a session or replay a recorded one.
   */
  readonly connector?: Connector | undefined;
  /**
   * Records the whole session to a transcript as it happens: a file path, or the recorder's
   * options. Secrets (passwords, SASL payloads, tokens) never reach the file. Replay it in tests with
   * `replayConnector` from `mailwire/testing`; see docs/testing.md.
   *
   * @example
   * ```ts
   * const client = await ImapClient.connect({ host, auth, record: 'fixtures/my-server-login.txt' });
   * ```
   */
  readonly record?: RecordSetting | undefined;
  /**
   * The largest SCRAM iteration count (`i=`) accepted from the server. Deriving the key runs that
   * many HMAC rounds on the client, so a server asking for too many could stall it; a larger count
   * fails the login with an AuthenticationError caused by a LimitExceededError. Default
   * 10,000,000 (servers use 4,096 to a few hundred thousand).
   */
  readonly scramMaxIterations?: number | undefined;
  /**
   * The smallest SCRAM iteration count (`i=`) accepted from the server. The client proof costs
   * that many rounds to recompute per guessed password, so a server-first message tampered down
   * to `i=1` would make a captured proof cheap to crack offline; a smaller count fails the login
   * with an AuthenticationError before any proof is computed or sent. Default 4,096, the least RFC
   * 7677 section 4 asks of servers; lower it only for a server known to use fewer.
   */
  readonly scramMinIterations?: number | undefined;
}

/**
 * Options of a single call, on either client. A `signal` that is not an AbortSignal, or a `timeout`
 * that is not a number of milliseconds from 0 to 2^31 - 1, rejects the call with an
 * InvalidArgumentError before its command is queued.
 */
export interface CallOptions {
  /**
   * Cancels the call. A command not yet sent is withdrawn; one already sent still runs on the
   * server (its answer is read and dropped) but the call rejects at once with an AbortError.
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Milliseconds for this call, from now; on expiry it rejects with a TimeoutError. A call that
   * takes several commands (a login and its CAPABILITY, an emulated MOVE) has this much in all.
   */
  readonly timeout?: number | undefined;
}

/**
 * How a message body is iterated (`message.chunks()` on either client): a chunk of its own for each
 * step (the default), or borrowed from recycled buffers.
 */
export interface ChunkOptions {
  /**
   * Lend recycled buffers instead of giving each chunk its own: a chunk is valid only until the
   * loop asks for the next one or stops (POP3: or the next message is read); copy whatever you keep.
   * Saves an allocation per chunk and the garbage it leaves (a 100 MB body then downloads in a
   * few MiB of memory). Default false: every chunk is yours to keep.
   */
  readonly reuse?: boolean | undefined;
}

/** The values of {@link ClientOptions.tls}. */
const TLS_MODES: readonly TlsMode[] = ['implicit', 'starttls', 'none'];

/**
 * Checks a client's options when the client is made, each against the type it is declared with,
 * so that a JavaScript caller's mistake (`tls: true`, `signal: controller`, `commandTimeout: '5000'`)
 * fails at once with the option's name, not later and elsewhere. The transport checks the same
 * connection options again when it connects (a custom connector may take others).
 *
 * @throws InvalidArgumentError naming the first option of the wrong type or out of its range.
 * @internal
 */
export function checkClientOptions(options: ClientOptions): void {
  const tls: unknown = options.tls;
  if (tls !== undefined && !TLS_MODES.includes(tls as TlsMode)) {
    throw new InvalidArgumentError(`tls must be 'implicit', 'starttls' or 'none', got ${describeValue(tls)}`);
  }
  const allowCleartext: unknown = options.allowCleartext;
  if (allowCleartext !== undefined && typeof allowCleartext !== 'boolean') {
    throw new InvalidArgumentError(`allowCleartext must be a boolean, got ${describeValue(allowCleartext)}`);
  }
  checkSharedOptions(options);
  for (const name of ['connectTimeout', 'greetingTimeout', 'commandTimeout'] as const) {
    const ms = options[name];
    if (ms !== undefined) checkDelay(name, ms);
  }
  const connector: unknown = options.connector;
  if (connector !== undefined && typeof connector !== 'function') {
    throw new InvalidArgumentError(`connector must be a function opening the connection, got ${describeValue(connector)}`);
  }
  const iterations = { scramMaxIterations: options.scramMaxIterations, scramMinIterations: options.scramMinIterations };
  for (const [name, count] of Object.entries(iterations)) {
    if (count !== undefined && !(Number.isSafeInteger(count) && count >= 1)) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got ${describeValue(count)}`);
    }
  }
  const floor = iterations.scramMinIterations ?? DEFAULT_SCRAM_MIN_ITERATIONS;
  const cap = iterations.scramMaxIterations ?? DEFAULT_SCRAM_MAX_ITERATIONS;
  if (floor > cap) throw new InvalidArgumentError(floorAboveCap(floor, cap));
}

/**
 * Checks a client's `limits`: an object whose named fields are each undefined or a non-negative
 * safe integer (a `NaN` pipeline depth would lift the limit, a string high-water mark compare as
 * text).
 *
 * @param limits - the `limits` option as given.
 * @param names - the fields the client reads.
 * @throws InvalidArgumentError naming the first bad field.
 * @internal
 */
export function checkLimits(limits: unknown, names: readonly string[]): void {
  if (limits === undefined) return;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new InvalidArgumentError(`limits must be an object, got ${describeValue(limits)}`);
  }
  for (const name of names) {
    const value: unknown = (limits as Record<string, unknown>)[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
      throw new InvalidArgumentError(`limits.${name} must be a non-negative safe integer, got ${describeValue(value)}`);
    }
  }
}

/**
 * What is wrong with the options of one call, checked before its command is queued: a `signal`
 * that is not an AbortSignal would otherwise fail once the command was already on its way (a DELE
 * sent, its call rejected), and a `timeout` over 2^31 - 1 ms would fire at once.
 *
 * @returns an InvalidArgumentError naming the option, or undefined when the options are sound.
 * @internal
 */
export function callOptionsError(options: CallOptions): InvalidArgumentError | undefined {
  const invalidSignal = signalError(options.signal);
  if (invalidSignal !== undefined) return invalidSignal;
  const timeout: unknown = options.timeout;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && timeout <= MAX_TIMER_MS)) {
    return new InvalidArgumentError(`timeout must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${describeValue(timeout)}`);
  }
  return undefined;
}

/**
 * The options of each command of a call made of several (LOGIN then CAPABILITY, an emulated MOVE,
 * a POP3 login's STAT): the call's own, with what is left of its `timeout`, which counts from the
 * call ({@link CallOptions.timeout}), not from each command. Call it when the call starts.
 *
 * @returns a function giving the options for the next command.
 * @internal
 */
export function callSteps<T extends CallOptions>(options: T): () => T {
  const timeout: unknown = options.timeout;
  // An invalid timeout is left as it is, for the first command to refuse (callOptionsError).
  if (typeof timeout !== 'number' || callOptionsError(options) !== undefined) return () => options;
  const started = performance.now();
  return () => ({ ...options, timeout: Math.max(0, timeout - (performance.now() - started)) });
}

/**
 * The transport options a client's options ask for.
 *
 * @internal
 */
export function transportOptionsOf(options: ClientOptions, port: number, implicitTls: boolean): TransportOptions {
  return {
    host: options.host,
    port,
    tls: implicitTls,
    ...(options.tlsOptions === undefined ? {} : { tlsOptions: options.tlsOptions }),
    ...(options.connectTimeout === undefined ? {} : { connectTimeout: options.connectTimeout }),
    ...(options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}
