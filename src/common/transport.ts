/**
 * The byte pipe under both protocol clients: TCP or implicit TLS, the STARTTLS/STLS upgrade,
 * connect/handshake/inactivity timeouts, `AbortSignal`, backpressure and the wire log.
 *
 * The transport knows nothing of IMAP or POP3: it moves bytes, and turns every socket event into
 * exactly one outcome (a settled promise, or one `onClose` call carrying a {@link MailwireError}).
 *
 * @packageDocumentation
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';

import {
  ConnectionClosedError,
  ConnectionFailedError,
  InvalidArgumentError,
  MailwireError,
  TimeoutError,
  TlsError,
  abortErrorFrom,
  type TimeoutPhase,
} from './errors.js';
import { ReadBuffers } from './read-buffers.js';
import { Secret } from './secret.js';
import { ClientLineLog, type WireLogEntry, type WireLogger, type WirePart } from './wirelog.js';

export type { WireLogEntry, WireLogger, WirePart } from './wirelog.js';
export type { TransportHandlers, TransportOptions, TransportTlsOptions } from './transport-options.js';
import {
  COPY_LIMIT,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_KEEPALIVE_DELAY,
  READ_BUFFER_SIZE,
  TLS_OPTION_KEYS,
  checkDelay,
  pickDefined,
  validateOptions,
  type TransportHandlers,
  type TransportOptions,
  type TransportTlsOptions,
} from './transport-options.js';
import { NOT_TLS_RECORD_CODES, SOCKET_REASONS, TLS_REASONS, describe, errorCode, messageOf, toMailwireError } from './transport-errors.js';

interface Settle<T> {
  resolve: (value: T) => void;
  reject: (error: MailwireError) => void;
}

/**
 * One connection to a mail server: a TCP socket, TLS from the start or after STARTTLS/STLS.
 *
 * Reading: plain and implicit-TLS connections read into one reused 64 KiB buffer
 * (`onread`), so reading does not allocate; a connection upgraded with {@link Transport.upgradeToTls}
 * reads through `'data'` events (see the note in the source). Either way `onData` receives a view
 * that is valid only during the call.
 *
 * Every promise the transport returns settles when the socket dies, and no error escapes as an
 * unhandled rejection or `'error'` event: the end of the connection reaches the caller through
 * `onClose`, exactly once.
 *
 * @example
 * ```ts
 * const transport = await Transport.connect(
 *   { host: 'imap.example.com', port: 993, tls: true, logger: (e) => console.error(e) },
 *   { onData: (chunk) => tokenizer.push(chunk), onClose: (err) => failPending(err) },
 * );
 * transport.armTimeout('greeting', 10_000);
 * transport.write(['A1 CAPABILITY\r\n']);
 * ```
 */
/**
 * The most bytes held for a paused reader after `close()` began: a server still sending that much
 * after the client ended is not closing, and its socket is destroyed at once.
 */
const MAX_HELD_WHILE_CLOSING = 1024 * 1024;

export class Transport {
  readonly #host: string;
  readonly #port: number;
  readonly #handlers: TransportHandlers;
  readonly #baseTlsOptions: TransportTlsOptions | undefined;
  readonly #handshakeTimeout: number;
  readonly #closeTimeout: number;
  readonly #keepAlive: boolean | number;
  readonly #signal: AbortSignal | undefined;
  readonly #logger: WireLogger | undefined;
  readonly #clientLog: ClientLineLog | undefined;

  /** The socket created at connect: TCP, or the TLS socket of an implicit-TLS connection. */
  readonly #initial: net.Socket;
  /** The socket data flows through now: `#initial`, or the TLS socket after an upgrade. */
  #socket: net.Socket;

  #connecting: Settle<Transport> | undefined;
  #tcpConnected = false;
  #secure = false;
  #upgrading: Settle<void> | undefined;
  #closing = false;
  #closed = false;
  #closeError: MailwireError | undefined;
  #closeWaiters: (() => void)[] = [];
  #drainWaiters: Settle<void>[] = [];

  #paused = false;
  /** Chunks that arrived while paused (copies): TLS may hand over a few decrypted records after readStop. */
  #held: Uint8Array[] = [];
  /** Bytes added to {@link Transport.#held} since close() began (bounded by MAX_HELD_WHILE_CLOSING). */
  #heldWhileClosing = 0;

  /** Connect, handshake or close-grace timer: one phase at a time. */
  #phaseTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #idlePhase: TimeoutPhase = 'idle';
  #idleMs = 0;
  #lastActivity = 0;

  private constructor(options: TransportOptions, handlers: TransportHandlers, connecting: Settle<Transport>) {
    this.#host = options.host;
    this.#port = options.port;
    this.#handlers = handlers;
    this.#baseTlsOptions = options.tlsOptions;
    const connectTimeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    this.#handshakeTimeout = options.handshakeTimeout ?? connectTimeout;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.#keepAlive = options.keepAlive ?? true;
    this.#signal = options.signal;
    this.#logger = options.logger;
    this.#clientLog = options.logger === undefined ? undefined : new ClientLineLog((entry) => { this.#emit(entry); });
    this.#connecting = connecting;

    // Node reads into a buffer of ours and calls back with the count, so a read allocates nothing
    // (a `'data'` event allocates a Buffer per read; see BENCHMARKS.md). It asks `reads.next` for
    // the buffer before each read: the same one again, unless a body's reader still borrows bytes
    // of it (see read-buffers.ts).
    //
    // Measured on Node 20.20; Node's lib/internal/tls/wrap.js (the same code on the main branch, so
    // 22 and 24) has the TLSSocket constructor pass `onread: !socket ? tlsOptions.onread : null`
    // down to net.Socket:
    // - tls.connect({ host, port, onread }) (implicit TLS) honours onread: the callback receives
    //   decrypted bytes in our buffer, so implicit TLS reads without allocating too;
    // - tls.connect({ socket, onread }) (STARTTLS/STLS over an open socket) ignores it, so an
    //   upgraded connection reads through 'data' events (one Buffer per TLS record).
    // Also measured: after pause() a TLS socket in onread mode may still deliver the records it had
    // already decrypted; #receive holds those (see #held) so onData stays quiet while paused.
    const reads = new ReadBuffers(options.readBufferSize ?? READ_BUFFER_SIZE);
    const onread: net.OnReadOpts = {
      buffer: reads.next,
      callback: (bytesRead: number, buffer: Uint8Array): boolean => {
        this.#onInitialRead(buffer.subarray(0, bytesRead));
        return true;
      },
    };

    if (options.tls === true) {
      const tlsConnect: tls.ConnectionOptions & { onread: net.OnReadOpts } = {
        ...this.#tlsConnectOptions(options.tlsOptions),
        port: this.#port,
        onread,
      };
      this.#initial = tls.connect(tlsConnect);
    } else {
      this.#initial = net.connect({ host: this.#host, port: this.#port, onread });
    }
    this.#socket = this.#initial;
    const socket = this.#initial;
    // Never fires while Node honours onread; if a Node release stopped honouring it, data would
    // still arrive (allocating) instead of being silently lost.
    socket.on('data', (chunk: Buffer) => {
      this.#onInitialRead(chunk);
    });
    socket.on('connect', () => {
      this.#onTcpConnect();
    });
    if (options.tls === true) {
      socket.on('secureConnect', () => {
        this.#onEstablished();
      });
    }
    this.#watch(socket);

    this.#phaseTimer = setTimeout(() => {
      this.#failConnect(new TimeoutError('connect', connectTimeout));
    }, connectTimeout);
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Opens a connection; resolves once TCP is connected and, with `tls`, the certificate verified.
   *
   * Rejects with `ConnectionFailedError` (refused, host not found, ...), `TlsError` (handshake or
   * verification failure, naming the reason), `TimeoutError('connect')`, `AbortError` or
   * `InvalidArgumentError` (bad options). A rejected connect leaves no socket open and never calls
   * `handlers.onClose`.
   *
   * @param options - where to connect and how.
   * @param handlers - receive data and the end of the connection.
   */
  static connect(options: TransportOptions, handlers: TransportHandlers): Promise<Transport> {
    try {
      validateOptions(options);
    } catch (error) {
      return Promise.reject(toMailwireError(error));
    }
    const signal = options.signal;
    if (signal?.aborted === true) {
      return Promise.reject(abortErrorFrom(signal, `Connection to ${options.host}:${options.port}`));
    }
    return new Promise<Transport>((resolve, reject) => {
      try {
        new Transport(options, handlers, { resolve, reject });
      } catch (error) {
        // tls.connect throws synchronously on unusable TLS material (a malformed key, ...).
        reject(
          error instanceof MailwireError
            ? error
            : new TlsError(`Invalid TLS options: ${messageOf(error)}`, { cause: error }),
        );
      }
    });
  }

  /** True while TLS protects the connection (implicit TLS, or after {@link Transport.upgradeToTls}). */
  get secure(): boolean {
    return this.#secure;
  }

  /** True once the connection has ended (set just before `onClose` is called). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * True when a logger is configured. A protocol layer checks it before decoding a server line
   * for {@link Transport.logServer}, so that logging costs nothing when it is off.
   */
  get logging(): boolean {
    return this.#logger !== undefined;
  }

  /**
   * Sends the parts, concatenated, in order. Several small parts are copied into one buffer and
   * written with one call; a lone part, or a `Uint8Array` part over 16 KiB, is handed to the socket
   * without a copy, so do not modify such bytes until {@link Transport.drained} resolves.
   *
   * With a logger, logs one `'client'` entry per line; see {@link WirePart} for how each kind of
   * part appears (a {@link Secret} is always `<redacted>`).
   *
   * @throws ConnectionClosedError - synchronously, when the connection is closed, closing (after
   *   {@link Transport.close}) or the socket can no longer be written. A write is never silently dropped.
   */
  write(parts: readonly WirePart[]): void {
    if (this.#closed || this.#closing || !this.#socket.writable) {
      throw new ConnectionClosedError(`Cannot write: the connection to ${this.#where()} is closed`, {
        cause: this.#closeError,
      });
    }
    this.#clientLog?.write(parts);
    const socket = this.#socket;
    if (parts.length === 1) {
      const part = parts[0]!;
      const data = part instanceof Secret ? part.reveal() : part;
      if (data.length > 0) socket.write(data);
      return;
    }
    let total = 0;
    let large = false;
    for (const part of parts) {
      if (typeof part === 'string') total += Buffer.byteLength(part);
      else if (part instanceof Secret) total += Buffer.byteLength(part.reveal());
      else {
        total += part.byteLength;
        if (part.byteLength > COPY_LIMIT) large = true;
      }
    }
    if (total === 0) return;
    if (large) {
      socket.cork();
      for (const part of parts) {
        const data = part instanceof Secret ? part.reveal() : part;
        if (data.length > 0) socket.write(data);
      }
      socket.uncork();
      return;
    }
    const out = Buffer.allocUnsafe(total);
    let offset = 0;
    for (const part of parts) {
      if (typeof part === 'string') offset += out.write(part, offset);
      else if (part instanceof Secret) offset += out.write(part.reveal(), offset);
      else {
        out.set(part, offset);
        offset += part.byteLength;
      }
    }
    socket.write(out);
  }

  /**
   * Resolves when the socket's write buffer has been flushed (at once if it is not full); rejects
   * with the error that ended the connection if it ends first.
   */
  drained(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closeError!);
    if (!this.#socket.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject });
    });
  }

  /**
   * Starts TLS on the open connection (STARTTLS, STLS). Call it right after the server's go-ahead
   * line was parsed, with nothing of that chunk left over (the protocol client checks that).
   *
   * The plain socket is paused at once and handed to TLS; no byte received on it afterwards is
   * ever delivered. Bytes the server sent after its go-ahead are refused: they end the connection
   * with `TlsError('... sent data after STARTTLS go-ahead (possible response injection)')`.
   * Resolves when the handshake completed and the certificate was verified; from then on
   * {@link Transport.secure} is true.
   *
   * Rejects (and the connection ends, `onClose` receiving the same error) with that `TlsError`,
   * a `TlsError` naming the handshake failure, `TimeoutError('tls')` after `handshakeTimeout`,
   * or the error that ended the connection meanwhile.
   *
   * @param tlsOptions - merged over the `tlsOptions` given to `connect()`.
   */
  upgradeToTls(tlsOptions?: TransportTlsOptions): Promise<void> {
    if (this.#closed || this.#closing) {
      return Promise.reject(
        new ConnectionClosedError(`Cannot start TLS: the connection to ${this.#where()} is closed`, {
          cause: this.#closeError,
        }),
      );
    }
    if (this.#secure || this.#upgrading !== undefined) {
      return Promise.reject(new TlsError(`TLS is already active on the connection to ${this.#where()}`));
    }
    let connectOptions: tls.ConnectionOptions;
    try {
      connectOptions = this.#tlsConnectOptions({ ...this.#baseTlsOptions, ...tlsOptions });
    } catch (error) {
      return Promise.reject(toMailwireError(error));
    }

    const plain = this.#socket;
    plain.pause();
    const promise = new Promise<void>((resolve, reject) => {
      this.#upgrading = { resolve, reject };
    });
    // Bytes already read but not delivered came after the go-ahead: chunks held while paused, or
    // bytes buffered in the stream (only a socket reading through 'data' events has those, and
    // tls.connect would feed them to the TLS engine as if the server had sent them inside TLS).
    if (this.#held.length > 0 || plain.readableLength > 0) {
      this.#terminate(this.#injectionError(undefined));
      return promise;
    }
    this.#clientLog?.flush();
    this.#info('starting TLS on the open connection');

    let secureSocket: tls.TLSSocket;
    try {
      secureSocket = tls.connect({ ...connectOptions, socket: plain });
    } catch (error) {
      this.#terminate(new TlsError(`Invalid TLS options: ${messageOf(error)}`, { cause: error }));
      return promise;
    }
    this.#socket = secureSocket;
    secureSocket.on('secureConnect', () => {
      this.#onUpgraded(secureSocket);
    });
    secureSocket.on('data', (chunk: Buffer) => {
      this.#receive(chunk);
    });
    this.#watch(secureSocket);
    const handshakeTimeout = this.#handshakeTimeout;
    this.#phaseTimer = setTimeout(() => {
      this.#terminate(new TimeoutError('tls', handshakeTimeout));
    }, handshakeTimeout);
    return promise;
  }

  /**
   * Arms the inactivity timer: if no byte is received for `ms` milliseconds, the connection is
   * destroyed with `TimeoutError(phase, ms)`. Every received byte re-arms it; re-arming replaces the
   * previous phase and limit. While the transport is paused the timer does not run out (the wait
   * is ours, not the server's).
   *
   * @param phase - what is awaited, reported in the `TimeoutError`.
   * @param ms - the allowed silence in milliseconds (1 to 2^31 - 1).
   * @throws InvalidArgumentError - for an out-of-range `ms`.
   */
  armTimeout(phase: TimeoutPhase, ms: number): void {
    checkDelay('armTimeout ms', ms);
    if (this.#closed) return;
    this.#idlePhase = phase;
    this.#idleMs = ms;
    this.#lastActivity = performance.now();
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(this.#onIdleTimer, ms);
  }

  /** Stops the inactivity timer. */
  disarmTimeout(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#idleMs = 0;
  }

  /**
   * Stops delivering data (backpressure from a slow consumer). It takes effect when the current
   * `onData` call returns: no further `onData` call happens until {@link Transport.resume}.
   */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    // During a STARTTLS handshake the TLS socket must keep reading; #onUpgraded applies the pause.
    // While closing it must keep reading to see the server's FIN; #receive holds the data.
    if (!this.#closed && !this.#closing && this.#upgrading === undefined) this.#socket.pause();
  }

  /** Resumes delivering data after {@link Transport.pause}; held chunks come first, asynchronously. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#lastActivity = performance.now();
    if (this.#closed || this.#upgrading !== undefined) return;
    if (this.#held.length > 0) setImmediate(this.#deliverHeld);
    else this.#socket.resume();
  }

  /**
   * Logs a server line (decoded by the protocol layer) as a `'server'` entry. Does nothing without
   * a logger; check {@link Transport.logging} before decoding.
   *
   * @param text - the line, without its line break.
   */
  logServer(text: string): void {
    if (this.#logger !== undefined) this.#emit({ direction: 'server', text });
  }

  /**
   * Ends the connection gracefully: sends FIN (after TLS close_notify) and resolves once the
   * socket closed; if the server has not closed its side after `closeTimeout`, destroys the socket.
   * `onClose` receives `ConnectionClosedError`. Resolves at once if already closed; never rejects.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => {
      this.#closeWaiters.push(resolve);
    });
    if (!this.#closing) {
      this.#closing = true;
      this.disarmTimeout();
      this.#clientLog?.flush();
      this.#info('closing');
      if (this.#phaseTimer !== undefined) clearTimeout(this.#phaseTimer);
      this.#phaseTimer = setTimeout(() => {
        this.#terminate(this.#closedByClient());
      }, this.#closeTimeout);
      this.#socket.end();
      // A paused socket would never read the server's FIN, and close() would always wait out
      // closeTimeout: read on, and hold what arrives (#receive, up to MAX_HELD_WHILE_CLOSING) for
      // a resume() that may still come.
      if (this.#paused && this.#upgrading === undefined) this.#socket.resume();
    }
    return closed;
  }

  /**
   * Ends the connection at once. `onClose` receives `error`, or a `ConnectionClosedError` without
   * one; pending promises reject with it. Does nothing if the connection has already ended.
   *
   * @param error - why the connection is destroyed.
   */
  destroy(error?: MailwireError): void {
    this.#terminate(error ?? new ConnectionClosedError(`Connection to ${this.#where()} destroyed`));
  }

  // ---- socket events ------------------------------------------------------------------------

  #watch(socket: net.Socket): void {
    socket.on('error', (error: Error) => {
      if (socket === this.#socket) this.#onSocketError(error);
    });
    socket.on('close', () => {
      if (socket === this.#socket) this.#onSocketClose();
    });
    const onDrained = (): void => {
      if (socket === this.#socket) this.#onDrain();
    };
    socket.on('drain', onDrained);
    socket.on('finish', onDrained);
  }

  #onTcpConnect(): void {
    this.#tcpConnected = true;
    const socket = this.#initial;
    socket.setNoDelay(true);
    // Set here rather than as connect options: libuv forgets the delay given before the fd exists.
    if (this.#keepAlive !== false) {
      socket.setKeepAlive(true, this.#keepAlive === true ? DEFAULT_KEEPALIVE_DELAY : this.#keepAlive);
    }
    if (!(socket instanceof tls.TLSSocket)) this.#onEstablished();
  }

  #onEstablished(): void {
    const connecting = this.#connecting;
    if (connecting === undefined) return;
    this.#connecting = undefined;
    if (this.#phaseTimer !== undefined) clearTimeout(this.#phaseTimer);
    this.#phaseTimer = undefined;
    this.#info(`connected to ${this.#where()}`);
    if (this.#initial instanceof tls.TLSSocket) {
      this.#secure = true;
      this.#logTlsEstablished(this.#initial);
    }
    connecting.resolve(this);
  }

  #onUpgraded(socket: tls.TLSSocket): void {
    const upgrading = this.#upgrading;
    if (upgrading === undefined || this.#closed) return;
    this.#upgrading = undefined;
    if (this.#phaseTimer !== undefined && !this.#closing) {
      clearTimeout(this.#phaseTimer);
      this.#phaseTimer = undefined;
    }
    this.#secure = true;
    this.#logTlsEstablished(socket);
    if (this.#paused && !this.#closing) socket.pause();
    upgrading.resolve();
  }

  #onSocketError(error: Error): void {
    if (this.#closed) return;
    if (this.#connecting !== undefined) {
      this.#failConnect(this.#connectError(error));
      return;
    }
    // The client closing (even mid-handshake) is what happened, whatever the socket reports.
    if (this.#closing) {
      this.#terminate(this.#closedByClient(error));
      return;
    }
    if (this.#upgrading !== undefined) {
      const code = errorCode(error);
      this.#terminate(
        code !== undefined && NOT_TLS_RECORD_CODES.has(code)
          ? this.#injectionError(error)
          : new TlsError(`TLS handshake with ${this.#where()} failed: ${describe(error, TLS_REASONS)}`, {
              cause: error,
            }),
      );
      return;
    }
    const code = errorCode(error);
    this.#terminate(
      code?.startsWith('ERR_SSL_') === true
        ? new TlsError(`TLS error on the connection to ${this.#where()}: ${describe(error, TLS_REASONS)}`, {
            cause: error,
          })
        : new ConnectionClosedError(`Connection to ${this.#where()} lost: ${describe(error, SOCKET_REASONS)}`, {
            cause: error,
          }),
    );
  }

  #onSocketClose(): void {
    if (this.#closed) return;
    if (this.#connecting !== undefined) {
      // Node reports an error before 'close' when a connect fails; this is a fallback.
      this.#failConnect(new ConnectionFailedError(`Connection to ${this.#where()} closed while connecting`));
      return;
    }
    this.#terminate(
      this.#closing
        ? this.#closedByClient()
        : new ConnectionClosedError(`Connection to ${this.#where()} closed by the server`),
    );
  }

  #onDrain(): void {
    if (this.#drainWaiters.length === 0 || this.#socket.writableNeedDrain) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  readonly #onAbort = (): void => {
    const signal = this.#signal!;
    const error = abortErrorFrom(signal, `Connection to ${this.#where()}`);
    if (this.#connecting !== undefined) this.#failConnect(error);
    else this.#terminate(error);
  };

  readonly #onIdleTimer = (): void => {
    this.#idleTimer = undefined;
    if (this.#closed || this.#idleMs === 0) return;
    const now = performance.now();
    if (this.#paused) this.#lastActivity = now;
    const remaining = this.#lastActivity + this.#idleMs - now;
    // Timers run on the loop's millisecond clock, which may lag performance.now() slightly.
    if (remaining > 1) {
      this.#idleTimer = setTimeout(this.#onIdleTimer, Math.ceil(remaining));
      return;
    }
    this.#terminate(new TimeoutError(this.#idlePhase, this.#idleMs));
  };

  // ---- reading ------------------------------------------------------------------------------

  #onInitialRead(chunk: Uint8Array): void {
    // Once upgradeToTls() has begun, the TLS socket owns the stream: a byte read here would be one
    // the server sent after its go-ahead, outside TLS.
    if (this.#upgrading !== undefined || this.#socket !== this.#initial) {
      this.#terminate(this.#injectionError(undefined));
      return;
    }
    this.#receive(chunk);
  }

  #receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#paused || this.#held.length > 0) {
      if (this.#closing) {
        this.#heldWhileClosing += chunk.length;
        if (this.#heldWhileClosing > MAX_HELD_WHILE_CLOSING) {
          this.#terminate(this.#closedByClient());
          return;
        }
      }
      this.#held.push(Uint8Array.prototype.slice.call(chunk));
      return;
    }
    if (this.#idleMs !== 0) this.#lastActivity = performance.now();
    try {
      this.#handlers.onData(chunk);
    } catch (error) {
      this.#terminate(
        error instanceof MailwireError
          ? error
          : new ConnectionClosedError(`Connection to ${this.#where()} closed: the data handler threw`, {
              cause: error,
            }),
      );
    }
  }

  readonly #deliverHeld = (): void => {
    while (this.#held.length > 0 && !this.#paused && !this.#closed) {
      const chunk = this.#held.shift()!;
      if (this.#idleMs !== 0) this.#lastActivity = performance.now();
      try {
        this.#handlers.onData(chunk);
      } catch (error) {
        this.#terminate(
          error instanceof MailwireError
            ? error
            : new ConnectionClosedError(`Connection to ${this.#where()} closed: the data handler threw`, {
                cause: error,
              }),
        );
      }
    }
    if (this.#held.length === 0 && !this.#paused && !this.#closed && this.#upgrading === undefined) {
      this.#socket.resume();
    }
  };

  // ---- ending -------------------------------------------------------------------------------

  /** A connect that fails: no onClose (the caller never received the transport). */
  #failConnect(error: MailwireError): void {
    const connecting = this.#connecting;
    if (connecting === undefined) return;
    this.#connecting = undefined;
    this.#closed = true;
    this.#closeError = error;
    this.#release();
    connecting.reject(error);
  }

  /** The one way an established connection ends. */
  #terminate(error: MailwireError): void {
    if (this.#closed) return;
    if (this.#connecting !== undefined) {
      this.#failConnect(error);
      return;
    }
    this.#closed = true;
    this.#closeError = error;
    this.#release();
    this.#held = [];
    this.#clientLog?.flush();
    this.#info(`connection closed: ${error.message}`);

    const upgrading = this.#upgrading;
    this.#upgrading = undefined;
    upgrading?.reject(error);
    const drainWaiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of drainWaiters) waiter.reject(error);
    const closeWaiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const resolve of closeWaiters) resolve();
    try {
      this.#handlers.onClose(error);
    } catch (handlerError) {
      process.emitWarning(`mailwire: the onClose handler threw: ${messageOf(handlerError)}`);
    }
  }

  /** Clears timers, detaches from the signal and destroys the sockets. */
  #release(): void {
    if (this.#phaseTimer !== undefined) clearTimeout(this.#phaseTimer);
    this.#phaseTimer = undefined;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#idleMs = 0;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#socket.destroy();
    if (this.#initial !== this.#socket) this.#initial.destroy();
  }

  // ---- errors and logging -------------------------------------------------------------------

  #connectError(error: Error): MailwireError {
    // Before 'connect' the failure is TCP or DNS; after it (implicit TLS), the handshake.
    if (!this.#tcpConnected || !(this.#initial instanceof tls.TLSSocket)) {
      return new ConnectionFailedError(
        `Could not connect to ${this.#where()}: ${describe(error, SOCKET_REASONS)}`,
        { cause: error },
      );
    }
    return new TlsError(`TLS handshake with ${this.#where()} failed: ${describe(error, TLS_REASONS)}`, {
      cause: error,
    });
  }

  #injectionError(cause: Error | undefined): TlsError {
    return new TlsError(
      `TLS upgrade of the connection to ${this.#where()} refused: the server sent data after STARTTLS go-ahead (possible response injection)`,
      cause === undefined ? undefined : { cause },
    );
  }

  #closedByClient(cause?: Error): ConnectionClosedError {
    return new ConnectionClosedError(
      `Connection to ${this.#where()} closed by the client`,
      cause === undefined ? undefined : { cause },
    );
  }

  #where(): string {
    return `${this.#host}:${this.#port}`;
  }

  #tlsConnectOptions(options: TransportTlsOptions | undefined): tls.ConnectionOptions {
    const picked: tls.ConnectionOptions = options === undefined ? {} : pickDefined(options, TLS_OPTION_KEYS);
    const servername = picked.servername ?? (net.isIP(this.#host) === 0 ? this.#host : undefined);
    delete picked.servername;
    if (servername !== undefined && net.isIP(servername) !== 0) {
      throw new InvalidArgumentError(
        `tlsOptions.servername must be a host name, not an IP address (RFC 6066 section 3): ${servername}`,
      );
    }
    return {
      ...picked,
      // The identity check uses servername, else host: pass host even when upgrading a socket.
      host: this.#host,
      ...(servername === undefined ? {} : { servername }),
      rejectUnauthorized: picked.rejectUnauthorized !== false,
    };
  }

  #logTlsEstablished(socket: tls.TLSSocket): void {
    if (this.#logger === undefined) return;
    const protocol = socket.getProtocol() ?? 'unknown protocol';
    const cipher = socket.getCipher().name;
    const verified = socket.authorized
      ? 'certificate verified'
      : `certificate NOT verified (rejectUnauthorized: false): ${messageOf(socket.authorizationError)}`;
    this.#info(`TLS established: ${protocol}, ${cipher}, ${verified}`);
  }

  #info(text: string): void {
    if (this.#logger !== undefined) this.#emit({ direction: 'info', text });
  }

  #emit(entry: WireLogEntry): void {
    try {
      this.#logger?.(entry);
    } catch {
      // Documented on WireLogger: a throwing logger is ignored; the connection matters more.
    }
  }
}
