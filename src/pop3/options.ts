/**
 * The options and results of {@link Pop3Client}: connection security, credentials, limits, and
 * what a session reports.
 *
 * @packageDocumentation
 */
import type { Connector, RecordSetting } from '../common/connector.js';
import type { Secret } from '../common/secret.js';
import type { TransportTlsOptions } from '../common/transport.js';
import type { WireLogger } from '../common/wirelog.js';
import type { Pop3AuthMethod } from './auth.js';

/**
 * How the connection is secured.
 *
 * - `'implicit'`: TLS from the first byte (port 995, RFC 8314).
 * - `'starttls'`: plain TCP, then STLS (RFC 2595) when the server offers it. If it does not, the
 *   connection fails with a TlsError unless `allowCleartext` is set.
 * - `'none'`: never TLS. Logging in then needs `allowCleartext`.
 */
export type Pop3TlsMode = 'implicit' | 'starttls' | 'none';

/** Credentials for {@link Pop3Client.login}. */
export interface Pop3Credentials {
  /** The user name (`USER`, `APOP`, or the SASL authentication identity). */
  readonly username: string;
  /** The password; wrapped in a {@link Secret} at once. */
  readonly password?: string | Secret | undefined;
  /** An OAuth 2.0 access token, for XOAUTH2 and OAUTHBEARER. */
  readonly accessToken?: string | Secret | undefined;
  /** A SASL authorization identity, to act as another user (PLAIN, SCRAM, EXTERNAL). */
  readonly authzid?: string | undefined;
  /**
   * The method: `'auto'` (the default) picks the strongest the server offers; `'USER'` is
   * USER/PASS; `'APOP'` needs an APOP timestamp in the greeting; any SASL name forces AUTH with it.
   */
  readonly method?: Pop3AuthMethod | undefined;
}

/** Limits on what the server may send. */
export interface Pop3Limits {
  /**
   * The longest status or listing line accepted, in bytes. RFC 2449 caps responses at 512 octets;
   * the default, 64 KiB, leaves room for lenient servers. Beyond it: LimitExceededError, and the
   * connection is closed. Message bodies are streamed and have no line limit.
   */
  readonly maxLineLength?: number | undefined;
  /** How many bytes a message body stream buffers before reading pauses. Default 1 MiB. */
  readonly bodyHighWaterMark?: number | undefined;
  /**
   * How many commands may be in flight at once when the server offers PIPELINING. Default 512.
   * The queue is refilled when half of them were answered.
   */
  readonly pipelineDepth?: number | undefined;
}

/** Options of {@link Pop3Client}. */
export interface Pop3ClientOptions {
  /** The server's host name or address. */
  readonly host: string;
  /** The port: default 995 for `tls: 'implicit'`, 110 otherwise. */
  readonly port?: number | undefined;
  /** How the connection is secured. Default `'implicit'` on port 995, `'starttls'` otherwise. */
  readonly tls?: Pop3TlsMode | undefined;
  /**
   * Allow credentials to be sent over an unencrypted connection. Default `false`: login refuses
   * with a TlsError before sending anything, and `tls: 'starttls'` fails when STLS is not offered.
   */
  readonly allowCleartext?: boolean | undefined;
  /** TLS settings (CA, client certificate, `rejectUnauthorized`, `servername`, ...). */
  readonly tlsOptions?: TransportTlsOptions | undefined;
  /** When given, {@link Pop3Client.connect} logs in with them. */
  readonly auth?: Pop3Credentials | undefined;
  /** Milliseconds for the TCP connect and implicit TLS handshake. Default 30,000. */
  readonly connectTimeout?: number | undefined;
  /** Milliseconds to wait for the greeting. Default 30,000. */
  readonly greetingTimeout?: number | undefined;
  /**
   * Milliseconds of silence tolerated while an answer is due. Default 60,000. On expiry the
   * connection is closed and the command rejects with a TimeoutError.
   */
  readonly commandTimeout?: number | undefined;
  /** Aborts the connect; after it, aborting closes the connection. */
  readonly signal?: AbortSignal | undefined;
  /** Receives the wire log, secrets redacted. */
  readonly logger?: WireLogger | undefined;
  /** TCP keep-alive: `true` (the default, 60 s initial delay), `false`, or the delay in ms. */
  readonly keepAlive?: boolean | number | undefined;
  /** Limits on what the server may send. */
  readonly limits?: Pop3Limits | undefined;
  /**
   * Opens the connection; default: a real socket. The test kit supplies connectors that record
   * a session or replay a recorded one.
   */
  readonly connector?: Connector | undefined;
  /**
   * Records the whole session to a transcript as it happens: a file path, or the recorder's
   * options. Secrets (passwords, SASL payloads, tokens) never reach the file. Replay it in tests with
   * `replayConnector` from `mailwire/testing`; see docs/testing.md.
   *
   * @example
   * ```ts
   * const client = await Pop3Client.connect({ host, auth, record: 'fixtures/my-server-login.txt' });
   * ```
   */
  readonly record?: RecordSetting | undefined;
}

/** Options of a single call. */
export interface Pop3CallOptions {
  /**
   * Cancels the call. A command not yet sent is withdrawn; one already sent still runs on the
   * server (its answer is read and dropped, and a DELE still counts), but the call rejects at once
   * with an AbortError.
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Milliseconds for this call, from now. On expiry a command still queued is withdrawn; one
   * already sent means the server is too slow, so the connection is closed (the call rejects with
   * a TimeoutError, the others with ConnectionClosedError).
   */
  readonly timeout?: number | undefined;
}

/** The session's phase (RFC 1939 section 3). */
export type Pop3State = 'disconnected' | 'authorization' | 'transaction' | 'closed';

/** The server's greeting. */
export interface Pop3Greeting {
  /** The greeting's text. */
  readonly text: string;
  /** Its response code, if any. */
  readonly responseCode: string | undefined;
  /** The APOP timestamp (RFC 1939 section 7), if the server offers APOP. */
  readonly apopTimestamp: string | undefined;
}

/** The outcome of {@link Pop3Client.close}. */
export interface Pop3CloseResult {
  /**
   * True when QUIT was answered `+OK` in the TRANSACTION state: the messages marked deleted are
   * gone (RFC 1939 section 6). False when not logged in, when the server answered `-ERR`, or when
   * the connection was lost first: then the maildrop is unchanged. (If the connection drops after
   * QUIT was sent but before its answer, the server may have committed; this reports false.)
   */
  readonly deletionsCommitted: boolean;
  /** How many messages were marked deleted when the session ended. */
  readonly markedDeleted: number;
  /** The server's text in answer to QUIT, if it answered. */
  readonly serverText: string | undefined;
}
