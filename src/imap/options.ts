/**
 * The options of {@link ImapClient} and the greeting it reports.
 *
 * @packageDocumentation
 */

import type { ClientOptions } from '../common/options.js';
import type { ImapCredentials } from './commands/connection.js';

/**
 * Limits on what the server may send and on what the client buffers. Each is a non-negative
 * integer; anything else throws an InvalidArgumentError when the client is made.
 */
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
  /**
   * Longest message set sent in one command, in bytes. FETCH, STORE, COPY, MOVE and UID EXPUNGE
   * send a longer set as several commands, one after another, each with a part of it (at least
   * one range: a single range is never cut). Default 8,000, which keeps command lines under the
   * 8,192 octets RFC 7162 section 4 recommends; servers cap lines (Dovecot at 64 KiB by default).
   */
  readonly maxSetLength?: number | undefined;
}

/** Options of {@link ImapClient}: the connection options both clients share, and IMAP's own. */
export interface ImapClientOptions extends ClientOptions {
  /** When given, {@link ImapClient.connect} logs in with them. */
  readonly auth?: ImapCredentials | undefined;
  /** Limits. */
  readonly limits?: ImapLimits | undefined;
}

/** The server's greeting (RFC 9051 section 7.1). */
export interface ImapGreeting {
  /** `OK` (log in next) or `PREAUTH` (already authenticated). */
  readonly status: 'OK' | 'PREAUTH';
  /** The greeting's text. */
  readonly text: string;
}
