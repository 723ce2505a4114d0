/**
 * The options and results of {@link Pop3Client}: connection security, credentials, limits, and
 * what a session reports.
 *
 * @packageDocumentation
 */
import type { ResponseCodeName } from '../common/errors.js';
import type { CallOptions, ClientOptions, TlsMode } from '../common/options.js';
import type { Secret } from '../common/secret.js';
import type { Pop3AuthMethod } from './auth.js';

/** How the connection is secured: see {@link TlsMode}. */
export type Pop3TlsMode = TlsMode;

/** Credentials for {@link Pop3Client.login}. */
export interface Pop3Credentials {
  /** The user name (`USER`, `APOP`, or the SASL authentication identity). */
  readonly username: string;
  /** The password; wrapped in a {@link Secret} at once. */
  readonly password?: string | Secret | undefined;
  /** An OAuth 2.0 access token, for XOAUTH2 and OAUTHBEARER. */
  readonly accessToken?: string | Secret | undefined;
  /**
   * A SASL authorization identity, to act as another user (PLAIN, SCRAM, OAUTHBEARER, EXTERNAL).
   * USER/PASS and APOP cannot carry it: `'auto'` then picks among those mechanisms only.
   */
  readonly authzid?: string | undefined;
  /**
   * The method: `'auto'` (the default) picks the strongest the server offers; `'USER'` is
   * USER/PASS; `'APOP'` needs an APOP timestamp in the greeting; any SASL name forces AUTH with it.
   */
  readonly method?: Pop3AuthMethod | undefined;
}

/**
 * Limits on what the server may send. Each is a non-negative integer; anything else throws an
 * InvalidArgumentError when the client is made.
 */
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

/** Options of {@link Pop3Client}: the connection options both clients share, and POP3's own. */
export interface Pop3ClientOptions extends ClientOptions {
  /** When given, {@link Pop3Client.connect} logs in with them. */
  readonly auth?: Pop3Credentials | undefined;
  /** Limits on what the server may send. */
  readonly limits?: Pop3Limits | undefined;
}

/**
 * Options of a single call. A command not sent yet is withdrawn on abort or timeout. One already
 * sent cannot be taken back: on abort its answer is read and dropped (a DELE still counts: the
 * server marked the message), and on a per-call timeout the connection is closed (the server is
 * too slow to trust with the next command). A login command already sent also closes the
 * connection on abort.
 */
export type Pop3CallOptions = CallOptions;

/** The session's phase (RFC 1939 section 3). */
export type Pop3State = 'disconnected' | 'authorization' | 'transaction' | 'closed';

/** The server's greeting. */
export interface Pop3Greeting {
  /** The greeting's text. */
  readonly text: string;
  /** Its response code, if any. */
  readonly responseCode: ResponseCodeName | undefined;
  /** The APOP timestamp (RFC 1939 section 7), if the server offers APOP. */
  readonly apopTimestamp: string | undefined;
}

/** The outcome of {@link Pop3Client.close}. */
export interface Pop3CloseResult {
  /**
   * Whether the messages marked deleted are gone (RFC 1939 section 6):
   * - `true`: QUIT was answered `+OK` in the TRANSACTION state (also when nothing was marked).
   * - `false`: the maildrop is as it was: not logged in, the session ended before QUIT was written
   *   (a session that ends without QUIT deletes nothing), or QUIT went unanswered or was refused
   *   with nothing marked.
   * - `undefined`: it cannot be known, with messages marked: QUIT was written but its answer never
   *   came (the call aborted or timed out, or the connection was lost), or the server answered
   *   `-ERR`, after which "some or none" of them are removed. Log in again and look.
   */
  readonly deletionsCommitted: boolean | undefined;
  /** How many messages were marked deleted when the session ended. */
  readonly markedDeleted: number;
  /** The server's text in answer to QUIT, if it answered. */
  readonly serverText: string | undefined;
}
