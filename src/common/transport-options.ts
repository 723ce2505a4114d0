/**
 * The transport's options: what a caller may pass (and through to `node:tls`), their defaults and
 * their validation. Split from transport.ts, which re-exports the types.
 *
 * @internal
 *
 * @packageDocumentation
 */
import type * as tls from 'node:tls';

import { InvalidArgumentError, type MailwireError } from './errors.js';
import type { WireLogger } from './wirelog.js';

/**
 * The TLS settings a caller may pass through to `node:tls`, a subset of `tls.ConnectionOptions`:
 *
 * - trust and identity: `ca`, `cert`, `key`, `pfx`, `passphrase`, `crl`, `secureContext`;
 * - verification: `rejectUnauthorized` (mailwire treats anything but an explicit `false` as `true`),
 *   `checkServerIdentity`, `servername` (SNI and the name the certificate must match; defaults to
 *   the host unless the host is an IP address, and may not itself be an IP address, RFC 6066
 *   section 3);
 * - protocol: `minVersion`, `maxVersion`, `ciphers`, `ecdhCurve`, `sigalgs`, `secureOptions`,
 *   `ALPNProtocols`, `session` (resumption).
 *
 * Socket-level fields (`host`, `port`, `socket`, ...) are deliberately absent: the transport sets them.
 *
 * @example
 * ```ts
 * const tlsOptions: TransportTlsOptions = { ca: readFileSync('company-ca.pem'), minVersion: 'TLSv1.2' };
 * ```
 */
export type TransportTlsOptions = Pick<
  tls.ConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'crl'
  | 'secureContext'
  | 'rejectUnauthorized'
  | 'checkServerIdentity'
  | 'servername'
  | 'minVersion'
  | 'maxVersion'
  | 'ciphers'
  | 'ecdhCurve'
  | 'sigalgs'
  | 'secureOptions'
  | 'ALPNProtocols'
  | 'session'
>;

export const TLS_OPTION_KEYS: readonly (keyof TransportTlsOptions)[] = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'crl',
  'secureContext',
  'rejectUnauthorized',
  'checkServerIdentity',
  'servername',
  'minVersion',
  'maxVersion',
  'ciphers',
  'ecdhCurve',
  'sigalgs',
  'secureOptions',
  'ALPNProtocols',
  'session',
];

/** How to reach the server, and the limits of the connection. */
export interface TransportOptions {
  /** Host name or IP address of the server. */
  readonly host: string;
  /** TCP port (1 to 65535). */
  readonly port: number;
  /** Implicit TLS from the first byte (IMAPS 993, POP3S 995). Default `false`. */
  readonly tls?: boolean | undefined;
  /**
   * TLS settings, used for implicit TLS and as the base of {@link Transport.upgradeToTls}.
   * Certificates are verified unless `rejectUnauthorized` is explicitly `false`.
   */
  readonly tlsOptions?: TransportTlsOptions | undefined;
  /**
   * Milliseconds allowed for the TCP connect and, with `tls`, the TLS handshake; then
   * `connect()` rejects with `TimeoutError('connect')`. Default 30 000.
   */
  readonly connectTimeout?: number | undefined;
  /**
   * Milliseconds allowed for the handshake of {@link Transport.upgradeToTls}; then the connection
   * is destroyed with `TimeoutError('tls')`. Default: the `connectTimeout` value.
   */
  readonly handshakeTimeout?: number | undefined;
  /**
   * Milliseconds {@link Transport.close} waits for the server to close its side before it
   * destroys the socket. Default 2 000.
   */
  readonly closeTimeout?: number | undefined;
  /**
   * TCP keep-alive: `true` (the default) probes after 60 000 ms of silence, a number sets that
   * initial delay in milliseconds, `false` turns probes off.
   */
  readonly keepAlive?: boolean | number | undefined;
  /**
   * Bytes of the one buffer a plain or implicit-TLS connection reads into, reused for every read:
   * from 4 KiB to 4 MiB, default 64 KiB. Larger means fewer, larger reads on bulk downloads.
   */
  readonly readBufferSize?: number | undefined;
  /**
   * Aborts the connect (it rejects with `AbortError` and no socket stays open); after the connect,
   * aborting destroys the connection, and `onClose` receives the `AbortError`.
   */
  readonly signal?: AbortSignal | undefined;
  /** Receives the wire log; with none, nothing is formatted. Secrets are always redacted. */
  readonly logger?: WireLogger | undefined;
}

/** Callbacks through which the transport hands data and the end of the connection upwards. */
export interface TransportHandlers {
  /**
   * Received bytes. The view is valid only during the call (the read buffer is reused): copy what
   * you keep. Throwing from here destroys the connection with the thrown error if it is a
   * {@link MailwireError}, otherwise with a `ConnectionClosedError` whose `cause` is the error.
   */
  onData(chunk: Uint8Array): void;
  /**
   * Called exactly once, when the connection that `connect()` resolved has ended: with
   * `ConnectionClosedError` when the server closed it or after {@link Transport.close}, otherwise
   * with the error that ended it (`TimeoutError`, `TlsError`, `AbortError`, the error given to
   * {@link Transport.destroy}, ...). It is never called when `connect()` rejects.
   */
  onClose(error: MailwireError): void;
}

/** Default size of the one read buffer a plain or implicit-TLS connection reuses for every read. */
export const READ_BUFFER_SIZE = 64 * 1024;
/** Bounds of {@link TransportOptions.readBufferSize}. */
export const MIN_READ_BUFFER_SIZE = 4 * 1024;
export const MAX_READ_BUFFER_SIZE = 4 * 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT = 30_000;
export const DEFAULT_KEEPALIVE_DELAY = 60_000;
export const DEFAULT_CLOSE_TIMEOUT = 2_000;
/** Parts of a write larger than this are handed to the socket as they are instead of being copied. */
export const COPY_LIMIT = 16 * 1024;
/** Node clamps larger timer delays to 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * @throws InvalidArgumentError for an option out of its range or of the wrong type (a JavaScript
 *   caller's `tls: 'yes'` would otherwise connect in clear, a `signal: {}` fail later).
 */
export function validateOptions(options: TransportOptions): void {
  if (typeof options.host !== 'string' || options.host === '') {
    throw new InvalidArgumentError('host must be a non-empty string');
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(options.port)}`);
  }
  const tls: unknown = options.tls;
  if (tls !== undefined && typeof tls !== 'boolean') {
    throw new InvalidArgumentError(`tls must be a boolean (implicit TLS or not), got ${describeValue(tls)}`);
  }
  if (options.connectTimeout !== undefined) checkDelay('connectTimeout', options.connectTimeout);
  if (options.handshakeTimeout !== undefined) checkDelay('handshakeTimeout', options.handshakeTimeout);
  if (options.closeTimeout !== undefined) checkDelay('closeTimeout', options.closeTimeout);
  checkSharedOptions(options);
  const readBufferSize = options.readBufferSize;
  if (readBufferSize !== undefined && !(Number.isInteger(readBufferSize) && readBufferSize >= MIN_READ_BUFFER_SIZE && readBufferSize <= MAX_READ_BUFFER_SIZE)) {
    throw new InvalidArgumentError(`readBufferSize must be an integer from ${MIN_READ_BUFFER_SIZE} to ${MAX_READ_BUFFER_SIZE}, got ${String(readBufferSize)}`);
  }
}

/**
 * Checks the options the transport and both clients take alike: `signal`, `logger`, `keepAlive`
 * and `tlsOptions`, each against the type it is declared with.
 *
 * @throws InvalidArgumentError naming the first option of the wrong type.
 */
export function checkSharedOptions(options: Pick<TransportOptions, 'signal' | 'logger' | 'keepAlive' | 'tlsOptions'>): void {
  checkSignal(options.signal);
  const logger: unknown = options.logger;
  if (logger !== undefined && typeof logger !== 'function') {
    throw new InvalidArgumentError(`logger must be a function receiving each wire log entry, got ${describeValue(logger)}`);
  }
  const keepAlive: unknown = options.keepAlive;
  if (keepAlive !== undefined && typeof keepAlive !== 'boolean' && !(typeof keepAlive === 'number' && Number.isFinite(keepAlive) && keepAlive >= 0)) {
    throw new InvalidArgumentError(`keepAlive must be a boolean or a delay in ms >= 0, got ${describeValue(keepAlive)}`);
  }
  const tlsOptions: unknown = options.tlsOptions;
  if (tlsOptions !== undefined && (typeof tlsOptions !== 'object' || tlsOptions === null || Array.isArray(tlsOptions))) {
    throw new InvalidArgumentError(`tlsOptions must be an object of TLS settings, got ${describeValue(tlsOptions)}`);
  }
}

/** @throws InvalidArgumentError unless `signal` is an AbortSignal or undefined. */
export function checkSignal(signal: unknown): void {
  const invalid = signalError(signal);
  if (invalid !== undefined) throw invalid;
}

/** The error for a `signal` that is neither an AbortSignal nor undefined; undefined when it is sound. */
export function signalError(signal: unknown): InvalidArgumentError | undefined {
  if (signal === undefined || isAbortSignal(signal)) return undefined;
  const hint = signal instanceof AbortController ? ' (pass controller.signal, not the controller)' : '';
  return new InvalidArgumentError(`signal must be an AbortSignal${hint}, got ${describeValue(signal)}`);
}

/**
 * An AbortSignal, told by its shape so that a signal of another realm (a test environment's own
 * AbortSignal class) passes too: what the transport and the clients use of it.
 */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<'aborted' | 'addEventListener' | 'removeEventListener', unknown>>;
  return typeof candidate.aborted === 'boolean' && typeof candidate.addEventListener === 'function' && typeof candidate.removeEventListener === 'function';
}

/** A value of the wrong type, for an error message: a short literal, or what kind of thing it is. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? 'a string' : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'an array';
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      return typeof name === 'string' && name !== '' && name !== 'Object' ? `a${/^[AEIOU]/.test(name) ? 'n' : ''} ${name}` : 'an object';
    }
  }
}

/** @throws InvalidArgumentError unless `ms` is a timer delay Node honours. */
export function checkDelay(name: string, ms: number): void {
  if (typeof ms !== 'number' || !(ms >= 1 && ms <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError(`${name} must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${describeValue(ms)}`);
  }
}

/** The fields of `source` named by `keys` that are defined. */
export function pickDefined<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  return out as Pick<T, K>;
}

