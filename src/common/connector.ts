/**
 * The seam between a protocol client and its socket: a {@link Connector} opens a
 * {@link Connection}. The default is `Transport.connect`; the test kit
 * (`mailwire/testing`) supplies connectors that record a session or replay a recorded one.
 *
 * @packageDocumentation
 */
import type { MailwireError, TimeoutPhase } from './errors.js';
import { Transport, type TransportHandlers, type TransportOptions, type TransportTlsOptions } from './transport.js';
import type { RecordOptions } from '../testing/record.js';
import type { WirePart } from './wirelog.js';

/**
 * What a protocol client uses of an open connection: the subset of `Transport` that the
 * IMAP and POP3 clients call. `Transport` implements it; so do the recording and replaying
 * connections of `mailwire/testing`.
 *
 * Every member keeps the contract documented on `Transport` (docs/internals.md): `write`
 * throws `ConnectionClosedError` once closed or closing, `close` never rejects, `onClose` is called
 * exactly once, received views are valid only during `onData`.
 */
export interface Connection {
  /** True while TLS protects the connection. See `Transport.secure`. */
  readonly secure: boolean;
  /** True once the connection has ended. See `Transport.closed`. */
  readonly closed: boolean;
  /** True when a wire logger is set. See `Transport.logging`. */
  readonly logging: boolean;
  /** Sends the parts in order. See `Transport.write`. */
  write(parts: readonly WirePart[]): void;
  /** Resolves when the write buffer is flushed. See `Transport.drained`. */
  drained(): Promise<void>;
  /** STARTTLS/STLS after the go-ahead. See `Transport.upgradeToTls`. */
  upgradeToTls(tlsOptions?: TransportTlsOptions): Promise<void>;
  /** Arms the inactivity timer. See `Transport.armTimeout`. */
  armTimeout(phase: TimeoutPhase, ms: number): void;
  /** Stops the inactivity timer. See `Transport.disarmTimeout`. */
  disarmTimeout(): void;
  /** Stops `onData` calls (backpressure). See `Transport.pause`. */
  pause(): void;
  /** Resumes `onData` calls. See `Transport.resume`. */
  resume(): void;
  /** Logs a decoded server line. See `Transport.logServer`. */
  logServer(text: string): void;
  /** Ends the connection gracefully; never rejects. See `Transport.close`. */
  close(): Promise<void>;
  /** Ends the connection at once. See `Transport.destroy`. */
  destroy(error?: MailwireError): void;
}

/**
 * Opens a {@link Connection}: the same signature and contract as `Transport.connect`
 * (settles once; a rejected connect leaves nothing open and never calls `handlers.onClose`).
 *
 * Clients accept one as their `connector` option; {@link defaultConnector} is used when none is
 * given.
 *
 * @example
 * ```ts
 * import { replayConnector, loadTranscript } from 'mailwire/testing';
 * const connector: Connector = replayConnector(await loadTranscript('fixtures/pop3/login-user.txt'));
 * const client = await Pop3Client.connect({ host: 'pop.example.com', connector, auth });
 * ```
 */
export type Connector = (options: TransportOptions, handlers: TransportHandlers) => Promise<Connection>;

/** The connector clients use by default: a real socket, `Transport.connect`. */
export const defaultConnector: Connector = (options, handlers) => Transport.connect(options, handlers);

/**
 * Where a client records its session (the `record` option of `ImapClient` and `Pop3Client`): the
 * path of a transcript file, or the recorder's options (see `recordingConnector` in
 * `mailwire/testing`). The recorder is loaded only when this is set, so production bundles that never
 * record do not carry it.
 */
export type RecordSetting = string | Omit<RecordOptions, 'protocol'>;

/**
 * The connector a client uses: its `connector` option (or a real socket), wrapped in a recorder when
 * its `record` option is set.
 *
 * @internal
 */
export async function clientConnector(
  settings: { readonly connector?: Connector | undefined; readonly record?: RecordSetting | undefined },
  protocol: 'imap' | 'pop3',
): Promise<Connector> {
  const connector = settings.connector ?? defaultConnector;
  const record = settings.record;
  if (record === undefined) return connector;
  const { recordingConnector } = await import('../testing/record.js');
  return recordingConnector(connector, typeof record === 'string' ? { protocol, file: record } : { ...record, protocol });
}

/**
 * The connectors of a mailbox (`openMailbox`, `ImapMailbox.open`, `Pop3Mailbox.open`) whose client
 * options say `record`: one recorder for the mailbox's own sessions, one after the other, and one
 * for the connections `watch()` opens, which run alongside them, in a second file named like the
 * first with `.watch` before its extension (`inbox.txt` -> `inbox.watch.txt`). With a `sink` and no
 * `file`, only the mailbox's own sessions are recorded. A recorder per client would truncate the
 * file at each reconnect and each watch connection, and interleave the sessions that overlap.
 *
 * @internal
 */
export async function mailboxConnectors(
  settings: { readonly connector?: Connector | undefined; readonly watchConnector?: Connector | undefined; readonly record?: RecordSetting | undefined },
  protocol: 'imap' | 'pop3',
): Promise<{ connector: Connector | undefined; watchConnector: Connector | undefined }> {
  const record = settings.record;
  if (record === undefined) return { connector: settings.connector, watchConnector: settings.watchConnector };
  const { recordingConnector } = await import('../testing/record.js');
  const main = typeof record === 'string' ? { file: record } : record;
  const base = settings.connector ?? defaultConnector;
  const connector = recordingConnector(base, { ...main, protocol });
  const watchFile = main.file === undefined ? undefined : main.file.replace(/(\.[^./\\]*)?$/, '.watch$1');
  const watchBase = settings.watchConnector ?? base;
  const watchConnector =
    watchFile === undefined ? watchBase : recordingConnector(watchBase, { ...main, file: watchFile, sink: undefined, protocol });
  return { connector, watchConnector };
}
