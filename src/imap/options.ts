/**
 * The options of {@link ImapClient} and the greeting it reports.
 *
 * @packageDocumentation
 */

import type { Connector, RecordSetting } from '../common/connector.js';
import type { TransportTlsOptions } from '../common/transport.js';
import type { WireLogger } from '../common/wirelog.js';
import type { ImapCredentials } from './commands/connection.js';
import type { ImapTlsMode } from './session.js';

/** Limits on what the server may send and on what the client buffers. */
export interface ImapLimits {
  /** Longest response line (each segment between literals), in bytes. Default 1 MiB. */
  readonly maxLineLength?: number | undefined;
  /** Largest literal the server may announce. Default 2^40 (bodies stream). */
  readonly maxLiteralSize?: number | undefined;
  /** Largest literal buffered outside body values (ENVELOPE fields, names). Default 1 MiB. */
  readonly maxBufferedLiteral?: number | undefined;
  /** Deepest BODYSTRUCTURE nesting. Default 64. */
  readonly maxBodyDepth?: number | undefined;
  /** Bytes a body stream buffers before reading pauses. Default 1 MiB. */
  readonly bodyHighWaterMark?: number | undefined;
  /**
   * Bytes one fetch may buffer while reading cannot pause (a command issued after it waits for its
   * answer). Beyond it the fetch fails with LimitExceededError. Default 256 MiB.
   */
  readonly maxFetchBuffer?: number | undefined;
}

/** Options of {@link ImapClient}. */
export interface ImapClientOptions {
  /** The server's host name or address. */
  readonly host: string;
  /** The port: default 993 for `tls: 'implicit'`, 143 otherwise. */
  readonly port?: number | undefined;
  /**
   * How the connection is secured: `'implicit'` (TLS from the first byte, RFC 8314), `'starttls'`
   * (RFC 9051 section 6.2.1; fails with TlsError when the server does not offer it, unless
   * `allowCleartext`), or `'none'`. Default `'implicit'` on port 993, `'starttls'` otherwise.
   */
  readonly tls?: ImapTlsMode | undefined;
  /**
   * Allow credentials over an unencrypted connection. Default false: login refuses with a TlsError
   * before sending anything, and `'starttls'` fails when STARTTLS is not offered.
   */
  readonly allowCleartext?: boolean | undefined;
  /** TLS settings (CA, client certificate, `rejectUnauthorized`, `servername`...). */
  readonly tlsOptions?: TransportTlsOptions | undefined;
  /** When given, {@link ImapClient.connect} logs in with them. */
  readonly auth?: ImapCredentials | undefined;
  /** Milliseconds for the TCP connect and implicit TLS handshake. Default 30,000. */
  readonly connectTimeout?: number | undefined;
  /** Milliseconds to wait for the greeting. Default 30,000. */
  readonly greetingTimeout?: number | undefined;
  /**
   * Milliseconds of silence tolerated while an answer is due (not during IDLE). Default 60,000; on
   * expiry the connection is closed and every pending command rejects with a TimeoutError.
   */
  readonly commandTimeout?: number | undefined;
  /** Aborts the connect; after it, aborting closes the connection. */
  readonly signal?: AbortSignal | undefined;
  /** Receives the wire log, secrets redacted. */
  readonly logger?: WireLogger | undefined;
  /** TCP keep-alive: `true` (default, 60 s initial delay), `false`, or the delay in ms. */
  readonly keepAlive?: boolean | number | undefined;
  /** Limits. */
  readonly limits?: ImapLimits | undefined;
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
   * const client = await ImapClient.connect({ host, auth, record: 'fixtures/my-server-login.txt' });
   * ```
   */
  readonly record?: RecordSetting | undefined;
}

/** The server's greeting (RFC 9051 section 7.1). */
export interface ImapGreeting {
  /** `OK` (log in next) or `PREAUTH` (already authenticated). */
  readonly status: 'OK' | 'PREAUTH';
  /** The greeting's text. */
  readonly text: string;
}
