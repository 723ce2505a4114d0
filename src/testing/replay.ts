/**
 * Replay without a socket: a {@link Connector} that plays a transcript's server side to a client.
 *
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';

import type { Connection, Connector } from '../common/connector.js';
import {
  ConnectionClosedError,
  InvalidArgumentError,
  MailwireError,
  TimeoutError,
  TlsError,
  abortErrorFrom,
  type TimeoutPhase,
} from '../common/errors.js';
import { Secret } from '../common/secret.js';
import type { TransportHandlers, TransportOptions, TransportTlsOptions } from '../common/transport.js';
import { ClientLineLog, type WireLogger, type WirePart } from '../common/wirelog.js';
import { FixtureMismatchError, FixtureUnconsumedError } from './errors.js';
import { ReplayScript, type ReplayChunking, type ScriptOutput } from './script.js';
import type { Transcript } from './transcript.js';

export type { ReplayChunking } from './script.js';

/** Options of {@link replayConnector}. */
export interface ReplayOptions {
  /** How the server's bytes are split into the chunks the client receives. Default `'recorded'`. */
  readonly chunking?: ReplayChunking | undefined;
}

/**
 * A {@link Connector} that replays a transcript, with the checks a test makes at its end.
 *
 * Each `connect()` plays the next session of the transcript (`@connect` separates them).
 */
export interface ReplayConnector extends Connector {
  /**
   * Throws the replay's first failure ({@link FixtureMismatchError}, {@link FixtureFormatError}),
   * or {@link FixtureUnconsumedError} naming the first line not played when the client did less
   * than the transcript holds (including connections never opened).
   */
  assertDone(): void;
  /**
   * Destroys the replay connections still open, then settles like {@link ReplayConnector.assertDone}:
   * rejects with the failure or the unconsumed line, resolves when the transcript was played to its end.
   * Destroying a connection here does not play a `@close client` line: the client must close it.
   */
  close(): Promise<void>;
  /** How many connections were opened. */
  readonly connections: number;
}

/**
 * Makes a connector that replays `transcript` to the client that uses it: no socket is opened.
 *
 * The replay checks that the client sends what the transcript says, ignoring tag names (the
 * client's tags are mapped to the recorded ones, and the server's tagged replies are rewritten to
 * the client's tags) and redacted fields (`<redacted>` matches any text up to what follows it on
 * the line), and answers with the recorded bytes. Commands are matched by order, so a client may
 * pipeline several before reading. On a mismatch, the connection ends with a
 * {@link FixtureMismatchError}: the client's pending call rejects with it. A `@tls` step is played
 * by the client's `upgradeToTls()`, which succeeds at once (the transcript holds the data in clear);
 * `secure` is true from then on, and from the start when the client connects with implicit TLS.
 *
 * @param transcript - a parsed transcript ({@link loadTranscript}, {@link parseTranscript}).
 * @param options - how to chunk the server's bytes.
 * @throws InvalidArgumentError when `transcript` is not a parsed transcript (a Promise, a file name)
 *   or `chunking` is not one of its forms.
 *
 * @example
 * ```ts
 * const replay = replayConnector(await loadTranscript('fixtures/pop3/login-user.txt'), { chunking: 'byte' });
 * const client = await Pop3Client.connect({ host: 'replay', port: 995, connector: replay, auth });
 * await client.close();
 * replay.assertDone();
 * ```
 */
export function replayConnector(transcript: Transcript, options: ReplayOptions = {}): ReplayConnector {
  checkTranscript(transcript, 'replayConnector');
  const chunking = options.chunking ?? 'recorded';
  checkChunking(chunking);
  const connections: ReplayConnection[] = [];
  let failure: MailwireError | undefined;

  const connector = (transportOptions: TransportOptions, handlers: TransportHandlers): Promise<Connection> => {
    const signal = transportOptions.signal;
    const where = `${transportOptions.host}:${transportOptions.port}`;
    if (signal?.aborted === true) return Promise.reject(abortErrorFrom(signal, `Connection to ${where}`));
    const index = connections.length;
    if (index >= transcript.sessions.length) {
      const error = new FixtureMismatchError({
        line: transcript.endLine ?? 0,
        expected: `(no further connection: the transcript holds ${transcript.sessions.length})`,
        actual: `connection #${index + 1} to ${where}`,
        reason: 'the client opened more connections than were recorded',
        file: transcript.file,
      });
      failure ??= error;
      return Promise.reject(error);
    }
    const implicit = transportOptions.tls === true;
    const mode = transcript.header.tls;
    if ((mode === 'implicit') !== implicit && mode !== undefined) {
      const error = new FixtureMismatchError({
        line: 0,
        expected: `# tls: ${mode}`,
        actual: implicit ? 'a connection with implicit TLS' : 'a connection without implicit TLS',
        reason: 'the client connects differently than recorded',
        file: transcript.file,
      });
      failure ??= error;
      return Promise.reject(error);
    }
    const connection = new ReplayConnection(transcript, index, chunking, transportOptions, handlers);
    connections.push(connection);
    return Promise.resolve(connection);
  };

  const check = (): void => {
    if (failure !== undefined) throw failure;
    for (const connection of connections) {
      const scriptFailure = connection.script.failure;
      if (scriptFailure !== undefined) throw scriptFailure;
    }
    for (const connection of connections) {
      const left = connection.script.unconsumed();
      if (left !== undefined) throw new FixtureUnconsumedError(left.line, left.text, transcript.file);
    }
    if (connections.length < transcript.sessions.length) {
      const next = transcript.sessions[connections.length]!;
      const first = next.events[0];
      const line = first === undefined ? (transcript.endLine ?? 0) : (firstLine(first) ?? 0);
      throw new FixtureUnconsumedError(line, `@connect (connection #${connections.length + 1} was never opened)`, transcript.file);
    }
  };

  Object.defineProperty(connector, 'connections', { get: () => connections.length, enumerable: true });
  return Object.assign(connector, {
    assertDone: check,
    close: async (): Promise<void> => {
      // Ended by the test, not by the client: a `@close client` still to come stays unplayed.
      for (const connection of connections) connection.abandon();
      await new Promise<void>((resolve) => setImmediate(resolve));
      check();
    },
  }) as ReplayConnector;
}

function firstLine(event: Transcript['sessions'][number]['events'][number]): number | undefined {
  if (event.kind !== 'data') return event.line;
  return event.pieces.find((piece) => piece.line !== undefined)?.line;
}

/**
 * @internal Validates the transcript given to a replay, so that a forgotten `await` or a file name
 * is refused when the replay is made, not with a TypeError at the first connect.
 */
export function checkTranscript(transcript: Transcript, caller: string): void {
  const value: unknown = transcript;
  let found: string | undefined;
  if (value instanceof Promise) found = 'a Promise: await loadTranscript(file)';
  else if (typeof value === 'string') found = 'a string: load it with loadTranscript(file) or parseTranscript(text)';
  else if (typeof value !== 'object' || value === null) found = String(value);
  else {
    const { header, sessions } = value as { header?: unknown; sessions?: unknown };
    if (!Array.isArray(sessions) || typeof header !== 'object' || header === null) found = 'an object without header and sessions';
  }
  if (found !== undefined) throw new InvalidArgumentError(`${caller} takes a parsed Transcript, got ${found}`);
}

/** @internal Validates a chunking option. */
export function checkChunking(chunking: ReplayChunking): void {
  if (chunking === 'recorded' || chunking === 'byte') return;
  if (typeof chunking === 'object' && Number.isFinite(chunking.seed)) {
    if (chunking.maxChunk === undefined || (Number.isInteger(chunking.maxChunk) && chunking.maxChunk >= 1)) return;
  }
  throw new InvalidArgumentError(`Invalid chunking ${JSON.stringify(chunking)}: 'recorded', 'byte' or { seed, maxChunk? }`);
}

type Action = { readonly kind: 'data'; readonly bytes: Uint8Array } | { readonly kind: 'fail'; readonly error: MailwireError } | { readonly kind: 'close' };

/** How much one turn of the event loop delivers with byte or random chunking. */
const TURN_BYTES = 64 * 1024;
const TURN_CHUNKS = 2048;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One replayed connection: the {@link Connection} the client holds. */
class ReplayConnection implements Connection {
  readonly script: ReplayScript;
  readonly #handlers: TransportHandlers;
  readonly #where: string;
  readonly #logger: WireLogger | undefined;
  readonly #clientLog: ClientLineLog | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #recordedChunking: boolean;

  #queue: Action[] = [];
  #scheduled = false;
  #paused = false;
  #closing = false;
  #closed = false;
  #closeError: MailwireError | undefined;
  #secure: boolean;
  #upgrading: { resolve: () => void; reject: (error: MailwireError) => void } | undefined;
  #closeWaiters: (() => void)[] = [];
  #idleTimer: NodeJS.Timeout | undefined;
  #idlePhase: TimeoutPhase = 'idle';
  #idleMs = 0;
  #lastActivity = 0;

  constructor(transcript: Transcript, index: number, chunking: ReplayChunking, options: TransportOptions, handlers: TransportHandlers) {
    this.#handlers = handlers;
    this.#where = `${options.host}:${options.port}`;
    this.#logger = options.logger;
    this.#clientLog = options.logger === undefined ? undefined : new ClientLineLog((entry) => { this.#emit(entry.direction, entry.text); });
    this.#signal = options.signal;
    this.#secure = options.tls === true;
    this.#recordedChunking = chunking === 'recorded';
    const output: ScriptOutput = {
      send: (chunk) => {
        this.#queue.push({ kind: 'data', bytes: chunk });
      },
      fail: (error) => {
        this.#queue.push({ kind: 'fail', error });
      },
      serverClose: () => {
        this.#queue.push({ kind: 'close' });
      },
      tlsNext: () => {
        // The client's upgradeToTls() plays the step.
      },
    };
    this.script = new ReplayScript(transcript, index, chunking, output);
    this.#emit('info', `replaying ${transcript.file ?? 'a transcript'} (connection #${index + 1}) as ${this.#where}`);
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.script.start();
    this.#schedule();
  }

  get secure(): boolean {
    return this.#secure;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get logging(): boolean {
    return this.#logger !== undefined;
  }

  write(parts: readonly WirePart[]): void {
    if (this.#closed || this.#closing) {
      throw new ConnectionClosedError(`Cannot write: the connection to ${this.#where} is closed`, { cause: this.#closeError });
    }
    this.#clientLog?.write(parts);
    const bytes = Buffer.concat(
      parts.map((part) => (part instanceof Secret ? Buffer.from(part.reveal(), 'utf8') : typeof part === 'string' ? Buffer.from(part, 'utf8') : part)),
    );
    this.script.receive(bytes);
    this.#schedule();
  }

  drained(): Promise<void> {
    return this.#closed ? Promise.reject(this.#closeError!) : Promise.resolve();
  }

  upgradeToTls(_tlsOptions?: TransportTlsOptions): Promise<void> {
    if (this.#closed || this.#closing) {
      return Promise.reject(new ConnectionClosedError(`Cannot start TLS: the connection to ${this.#where} is closed`, { cause: this.#closeError }));
    }
    if (this.#secure || this.#upgrading !== undefined) return Promise.reject(new TlsError(`TLS is already active on the connection to ${this.#where}`));
    const promise = new Promise<void>((resolve, reject) => {
      this.#upgrading = { resolve, reject };
    });
    this.#clientLog?.flush();
    if (this.#queue.some((action) => action.kind === 'data')) {
      // As the real transport does: bytes after the go-ahead are refused.
      this.#terminate(
        new TlsError(`TLS upgrade of the connection to ${this.#where} refused: the server sent data after STARTTLS go-ahead (possible response injection)`),
      );
      return promise;
    }
    if (!this.script.tlsStarted()) {
      this.#terminate(this.script.failure ?? new TlsError(`TLS upgrade of the connection to ${this.#where} refused by the replay`));
      return promise;
    }
    {
      setImmediate(() => {
        const upgrading = this.#upgrading;
        if (upgrading === undefined || this.#closed) return;
        this.#upgrading = undefined;
        this.#secure = true;
        this.#emit('info', 'TLS established: replayed (no handshake)');
        upgrading.resolve();
        this.#schedule();
      });
    }
    this.#schedule();
    return promise;
  }

  armTimeout(phase: TimeoutPhase, ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 1 && ms <= MAX_TIMER_MS)) {
      throw new InvalidArgumentError(`armTimeout ms must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(ms)}`);
    }
    if (this.#closed) return;
    this.#idlePhase = phase;
    this.#idleMs = ms;
    this.#lastActivity = performance.now();
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(this.#onIdleTimer, ms);
  }

  disarmTimeout(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#idleMs = 0;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#lastActivity = performance.now();
    this.#schedule();
  }

  logServer(text: string): void {
    this.#emit('server', text);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => {
      this.#closeWaiters.push(resolve);
    });
    if (!this.#closing) {
      this.#closing = true;
      this.disarmTimeout();
      this.#clientLog?.flush();
      this.#emit('info', 'closing');
      this.script.clientClosed();
      setImmediate(() => {
        this.#terminate(new ConnectionClosedError(`Connection to ${this.#where} closed by the client`));
      });
    }
    return closed;
  }

  destroy(error?: MailwireError): void {
    if (!this.#closed) this.script.clientClosed();
    this.#terminate(error ?? new ConnectionClosedError(`Connection to ${this.#where} destroyed`));
  }

  /** Ends the connection for the test ({@link ReplayConnector.close}): not a close by the client. */
  abandon(): void {
    this.#terminate(new ConnectionClosedError(`Connection to ${this.#where} destroyed: the replay was closed`));
  }

  // ---- delivery -------------------------------------------------------------------------------

  #schedule(): void {
    if (this.#scheduled || this.#closed || this.#paused || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(this.#pump);
  }

  readonly #pump = (): void => {
    this.#scheduled = false;
    let bytes = 0;
    let chunks = 0;
    while (this.#queue.length > 0 && !this.#paused && !this.#closed && this.#upgrading === undefined) {
      if (this.#recordedChunking ? chunks >= 1 : bytes >= TURN_BYTES || chunks >= TURN_CHUNKS) break;
      const action = this.#queue.shift()!;
      if (action.kind === 'fail') {
        this.#terminate(action.error);
        return;
      }
      if (action.kind === 'close') {
        if (this.#closing) continue;
        this.#terminate(new ConnectionClosedError(`Connection to ${this.#where} closed by the server`));
        return;
      }
      bytes += action.bytes.length;
      chunks++;
      if (this.#idleMs !== 0) this.#lastActivity = performance.now();
      try {
        this.#handlers.onData(action.bytes);
      } catch (error) {
        this.#terminate(
          error instanceof MailwireError
            ? error
            : new ConnectionClosedError(`Connection to ${this.#where} closed: the data handler threw`, { cause: error }),
        );
        return;
      }
    }
    this.#schedule();
  };

  readonly #onIdleTimer = (): void => {
    this.#idleTimer = undefined;
    if (this.#closed || this.#idleMs === 0) return;
    const now = performance.now();
    if (this.#paused) this.#lastActivity = now;
    const remaining = this.#lastActivity + this.#idleMs - now;
    if (remaining > 1) {
      this.#idleTimer = setTimeout(this.#onIdleTimer, Math.ceil(remaining));
      return;
    }
    this.#terminate(new TimeoutError(this.#idlePhase, this.#idleMs));
  };

  readonly #onAbort = (): void => {
    this.#terminate(abortErrorFrom(this.#signal!, `Connection to ${this.#where}`));
  };

  #terminate(error: MailwireError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.#queue = [];
    this.disarmTimeout();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#clientLog?.flush();
    this.#emit('info', `connection closed: ${error.message}`);
    const upgrading = this.#upgrading;
    this.#upgrading = undefined;
    upgrading?.reject(error);
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const resolve of waiters) resolve();
    try {
      this.#handlers.onClose(error);
    } catch (handlerError) {
      process.emitWarning(`mailwire: the onClose handler threw: ${handlerError instanceof Error ? handlerError.message : String(handlerError)}`);
    }
  }

  #emit(direction: 'client' | 'server' | 'info', text: string): void {
    if (this.#logger === undefined) return;
    try {
      this.#logger({ direction, text });
    } catch {
      // As with the transport: a throwing logger is ignored.
    }
  }
}
