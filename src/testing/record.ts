/**
 * Recording: a {@link Connector} that wraps another and writes every byte of the session to a
 * transcript as it happens, with secrets redacted and IMAP tags normalised.
 *
 * @packageDocumentation
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { Connection, Connector } from '../common/connector.js';
import { ConnectionClosedError, InvalidArgumentError, type MailwireError, type TimeoutPhase } from '../common/errors.js';
import { Secret } from '../common/secret.js';
import type { TransportHandlers, TransportOptions, TransportTlsOptions } from '../common/transport.js';
import type { WirePart } from '../common/wirelog.js';
import { ImapTagScanner, type TagSink } from './imap-scan.js';
import { Pop3BodyTracker } from './pop3-bodies.js';
import {
  TranscriptFormatter,
  formatTranscriptHeader,
  type TranscriptDirection,
  type TranscriptEvent,
  type TranscriptPiece,
  type TranscriptProtocol,
  type TranscriptTlsMode,
} from './transcript.js';

/** Options of {@link recordingConnector}. */
export interface RecordOptions {
  /** The protocol the client speaks: IMAP tags are normalised, POP3 has none. */
  readonly protocol: TranscriptProtocol;
  /**
   * The transcript file, created (or truncated) at the first connection and appended to as the
   * session goes. Give `file`, `sink`, or both.
   */
  readonly file?: string | undefined;
  /** Receives the transcript text piece by piece, in order (for in-memory recording). */
  readonly sink?: ((text: string) => void) | undefined;
  /**
   * Further values the client sends that must not reach the transcript (an account name, a token
   * the code under test sends without wrapping it in a {@link Secret}). Each occurrence inside one
   * client write is replaced by `<redacted>`, also when it spans several of the write's parts.
   * Secret parts are always redacted.
   */
  readonly redact?: readonly (string | Secret)[] | undefined;
  /** The server software, for the `# server:` header field. */
  readonly server?: string | undefined;
  /**
   * The `# tls:` header field. Default: `implicit` when the client connects with implicit TLS,
   * otherwise the field is omitted (a STARTTLS upgrade shows as `@tls` in the body).
   */
  readonly tls?: TranscriptTlsMode | undefined;
  /** Further header fields (`# key: value`), e.g. `{ flow: 'login with PLAIN' }`. */
  readonly fields?: Readonly<Record<string, string>> | undefined;
  /** A comment written below the header (why the transcript exists, how to re-record it). */
  readonly comment?: string | undefined;
  /**
   * Store message bodies of at least `minBytes` bytes in side files beside the transcript instead of
   * inline: IMAP literals of that size, and POP3 RETR/TOP data (as on the wire, dot-stuffed). They are
   * named `<transcript name>-bodies/<n>.eml` and written as `@file S ...` lines. Needs `file`. The
   * chunk boundaries inside a stored body are not kept.
   */
  readonly sideFiles?: { readonly minBytes: number } | undefined;
}

/** A recording {@link Connector}, with what it has written so far. */
export interface RecordingConnector extends Connector {
  /** The transcript text written so far (complete after the last connection has closed). */
  text(): string;
  /** How many connections were recorded. */
  readonly connections: number;
}

/**
 * Wraps a connector so that every connection it opens is recorded to a transcript.
 *
 * The recording sees the exact bytes each way: what the client writes (a {@link Secret} part is
 * written `<redacted>`, so redaction is exact rather than guessed) and each chunk the server sends
 * as it was received. IMAP tags are renamed `A1`, `A2`, ... in order of appearance, in the client's
 * commands and in the server's tagged responses (outside literals). Connections are recorded one
 * after the other (`@connect` separates them); they must not overlap.
 *
 * SASL: the clients send every SASL response, `PASS` argument, `LOGIN` password and `APOP` digest
 * as a Secret, so none reaches the file. Server challenges are kept, except the SCRAM server-final
 * message (`v=`, derived from the password: with the salt and nonces it allows an offline guessing
 * attack), which is redacted (also when it arrives over several reads), so a SCRAM transcript
 * documents the exchange but cannot be replayed. A secret sent as an IMAP literal has its size
 * redacted too (`{<redacted>+}`), also when it is written after its announcement: the recording of a
 * write ending with an announcement waits for the next write (the bytes on the wire never wait).
 *
 * @param inner - the connector that opens the real connection (`defaultConnector` for a socket).
 * @param options - where to write, and what else to redact.
 * @returns a connector to pass to a client's `connector` option.
 * @throws InvalidArgumentError when neither `file` nor `sink` is given, or a header option
 *   (`protocol`, `tls`, `server`, `fields`) cannot be written to a transcript.
 *
 * @example
 * ```ts
 * const connector = recordingConnector(defaultConnector, { protocol: 'pop3', file: 'fixtures/my-server.txt' });
 * const client = await Pop3Client.connect({ host, port: 995, connector, auth });
 * await client.close(); // the transcript is complete once the connection closed
 * ```
 */
export function recordingConnector(inner: Connector, options: RecordOptions): RecordingConnector {
  if (options.file === undefined && options.sink === undefined) {
    throw new InvalidArgumentError('recordingConnector needs a file or a sink');
  }
  // The header's fields are checked now, not once the first connection is open.
  formatTranscriptHeader({ protocol: options.protocol, server: options.server, tls: options.tls, fields: options.fields });
  const sideFiles = options.sideFiles;
  if (sideFiles !== undefined && (options.file === undefined || !Number.isInteger(sideFiles.minBytes) || sideFiles.minBytes < 1)) {
    throw new InvalidArgumentError('sideFiles needs a file, and minBytes a positive integer');
  }
  let sideFileCount = 0;
  const newSideFile = (): { relative: string; absolute: string } => {
    const file = options.file!;
    const base = path.basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]/g, '_');
    // A folder name the transcript may name: not starting with "." or "-" (`.fixture.txt`, `.txt`).
    const relative = `${base}-bodies`.replace(/^[.-]/, '_') + `/${++sideFileCount}.eml`;
    const absolute = path.join(path.dirname(file), relative);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, '');
    return { relative, absolute };
  };
  let text = '';
  let connections = 0;
  let active = false;
  const formatter = new TranscriptFormatter();
  const emit = (piece: string): void => {
    if (piece === '') return;
    text += piece;
    if (options.file !== undefined) appendFileSync(options.file, piece);
    options.sink?.(piece);
  };

  const connector = async (transportOptions: TransportOptions, handlers: TransportHandlers): Promise<Connection> => {
    if (active) throw new InvalidArgumentError('recordingConnector records one connection at a time: close the previous one first');
    active = true;
    const state: { recording?: RecordingConnection; discarded?: boolean } = {};
    const wrapped: TransportHandlers = {
      onData: (chunk) => {
        if (state.discarded === true) return;
        state.recording?.serverChunk(chunk);
        handlers.onData(chunk);
      },
      onClose: (error) => {
        try {
          state.recording?.ended(error);
        } finally {
          // Whatever recording the end did, the client learns that its connection closed.
          active = false;
          if (state.discarded !== true) handlers.onClose(error);
        }
      },
    };
    let connection: Connection;
    try {
      connection = await inner(transportOptions, wrapped);
    } catch (error) {
      active = false;
      throw error;
    }
    try {
      if (connections === 0) {
        const header = formatTranscriptHeader({
          protocol: options.protocol,
          recordedAt: new Date().toISOString(),
          server: options.server,
          tls: options.tls ?? (transportOptions.tls === true ? 'implicit' : undefined),
          fields: options.fields,
        });
        if (options.file !== undefined) {
          mkdirSync(path.dirname(options.file), { recursive: true });
          writeFileSync(options.file, '');
        }
        emit(header + (options.comment === undefined ? '' : `${formatter.comment(options.comment)}\n`));
      } else {
        emit(formatter.connect());
      }
    } catch (error) {
      // Nothing records this connection: it is ended (the client, which never gets it, is not told).
      state.discarded = true;
      connection.destroy();
      active = false;
      throw writeError(options.file, error);
    }
    connections++;
    // A write that fails later (a full disk, a throwing sink) happens inside the client's write or
    // the connection's handlers, where throwing would leave the client's call waiting forever: the
    // recording stops there (the file, without @end, reads as cut short) and the connection ends
    // with the error, which the client's pending call rejects with.
    let writeFailure: InvalidArgumentError | undefined;
    const emitInSession = (piece: string): void => {
      if (writeFailure !== undefined) return;
      try {
        emit(piece);
      } catch (error) {
        const failure = writeError(options.file, error);
        writeFailure = failure;
        queueMicrotask(() => {
          connection.destroy(failure);
        });
      }
    };
    state.recording = new RecordingConnection(connection, options, formatter, emitInSession, sideFiles === undefined ? undefined : { minBytes: sideFiles.minBytes, create: newSideFile });
    return state.recording;
  };
  Object.defineProperty(connector, 'connections', { get: () => connections, enumerable: true });
  return Object.assign(connector, {
    text: () => text,
  }) as RecordingConnector;
}

function writeError(file: string | undefined, error: unknown): InvalidArgumentError {
  const reason = error instanceof Error ? error.message : String(error);
  return new InvalidArgumentError(`Cannot write the transcript${file === undefined ? '' : ` ${file}`}: ${reason}`, { cause: error });
}

/** How the recorder stores long bodies. */
interface SideFiles {
  readonly minBytes: number;
  readonly create: () => { relative: string; absolute: string };
}

/** The client's and the server's side of one recorded connection. */
class RecordingConnection implements Connection {
  readonly #inner: Connection;
  readonly #formatter: TranscriptFormatter;
  readonly #emit: (text: string) => void;
  readonly #redact: readonly Uint8Array[];
  readonly #scanners: { client: ImapTagScanner; server: ImapTagScanner } | undefined;
  /** Client tag -> normalised tag. */
  readonly #tags = new Map<string, string>();
  #closedByClient = false;
  #ended = false;
  /** A SCRAM exchange is in progress: its server-final message gets redacted. */
  #scram = false;
  /** True when the server's next byte starts a line (as far as the SCRAM redaction needs to know). */
  #serverAtLineStart = true;
  /**
   * During a SCRAM exchange, the start of a server line that could still be the server-final
   * (`+`, then base64): held back until the line is complete.
   */
  #scramLine: Uint8Array | undefined;
  /** The start of a possible server-final was recorded redacted: the rest of its line is left out. */
  #scramSkip: { cr: boolean } | undefined;
  /**
   * A client write that ended with a literal announcement (`{12}`, `{12+}`): its recording waits for
   * the next write, which may be a secret whose size the announcement would give away. The events
   * recorded meanwhile wait behind it, so the order is kept.
   */
  #held: { chunk: TranscriptPiece[]; later: TranscriptEvent[] } | undefined;
  readonly #sideFiles: SideFiles | undefined;
  readonly #pop3Bodies: Pop3BodyTracker | undefined;
  /** The side file the current body goes to. */
  #spill: string | undefined;
  /** A POP3 body not yet known to be long enough for a side file. */
  #bodyBuffer: Uint8Array[] = [];
  #bodyLength = 0;

  constructor(
    inner: Connection,
    options: RecordOptions,
    formatter: TranscriptFormatter,
    emit: (text: string) => void,
    sideFiles: SideFiles | undefined,
  ) {
    this.#inner = inner;
    this.#sideFiles = sideFiles;
    this.#pop3Bodies = sideFiles !== undefined && options.protocol === 'pop3' ? new Pop3BodyTracker() : undefined;
    this.#formatter = formatter;
    this.#emit = emit;
    this.#redact = (options.redact ?? [])
      .map((value) => Buffer.from(value instanceof Secret ? value.reveal() : value, 'utf8'))
      .filter((bytes) => bytes.length > 0);
    this.#scanners = options.protocol === 'imap' ? { client: new ImapTagScanner(), server: new ImapTagScanner() } : undefined;
  }

  get secure(): boolean {
    return this.#inner.secure;
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  get logging(): boolean {
    return this.#inner.logging;
  }

  write(parts: readonly WirePart[]): void {
    this.#inner.write(parts);
    if (this.#ended) return;
    // A server line held back (a possible SCRAM server-final) is recorded before the client's write.
    this.#flushScramLine();
    const pieces: TranscriptPiece[] = [];
    /** How many pieces there were when the last literal (of at least one byte) was announced. */
    let literalAt: number | undefined;
    const sink: TagSink = {
      ...this.#sink('client', pieces),
      literalStart: (size) => {
        literalAt = size > 0 ? pieces.length : undefined;
      },
    };
    let run: Uint8Array[] = [];
    // Text parts next to each other are searched together, so that a `redact` value split over
    // two parts is still found.
    const flushRun = (): void => {
      if (run.length === 0) return;
      const bytes = run.length === 1 ? run[0]! : Buffer.concat(run);
      run = [];
      this.#noteSasl(bytes);
      this.#pop3Bodies?.client(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
      for (const { bytes: piece, redacted } of this.#splitRedactions(bytes)) {
        if (this.#scanners === undefined) {
          if (redacted) sink.opaque?.();
          else sink.bytes(piece);
        } else if (redacted) this.#scanners.client.opaque(sink, piece);
        else this.#scanners.client.push(piece, sink);
      }
    };
    for (const part of parts) {
      if (part instanceof Secret) {
        flushRun();
        this.#pop3Bodies?.client('x');
        if (this.#scanners === undefined) sink.opaque?.();
        else this.#scanners.client.opaque(sink);
        continue;
      }
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      if (bytes.length > 0) run.push(bytes);
    }
    flushRun();
    // The write before ended with a literal announcement: is this write the literal, a secret?
    const first = parts.find((part) => part instanceof Secret || (typeof part === 'string' ? part !== '' : part.length > 0));
    this.#release(first instanceof Secret);
    const chunk = hideSecretLiteralSizes(mergeBytes(pieces));
    if (this.#scanners !== undefined && literalAt !== undefined && literalAt === pieces.length && chunk.length > 0) {
      this.#held = { chunk, later: [] };
    } else this.#chunk('client', chunk);
  }

  drained(): Promise<void> {
    return this.#inner.drained();
  }

  upgradeToTls(tlsOptions?: TransportTlsOptions): Promise<void> {
    const upgrade = this.#inner.upgradeToTls(tlsOptions);
    if (!this.#ended) {
      this.#flushScramLine();
      this.#record({ kind: 'tls' });
    }
    return upgrade;
  }

  armTimeout(phase: TimeoutPhase, ms: number): void {
    this.#inner.armTimeout(phase, ms);
  }

  disarmTimeout(): void {
    this.#inner.disarmTimeout();
  }

  pause(): void {
    this.#inner.pause();
  }

  resume(): void {
    this.#inner.resume();
  }

  logServer(text: string): void {
    this.#inner.logServer(text);
  }

  close(): Promise<void> {
    this.#closedByClient = true;
    return this.#inner.close();
  }

  destroy(error?: MailwireError): void {
    this.#closedByClient = true;
    this.#inner.destroy(error);
  }

  /** A chunk the server sent (called before the client's onData sees it). */
  serverChunk(chunk: Uint8Array): void {
    if (this.#ended) return;
    this.#serverData((feed, sink) => {
      if (!this.#scram) {
        feed(chunk);
        if (chunk.length > 0) this.#serverAtLineStart = chunk[chunk.length - 1] === 10;
        return;
      }
      // The SCRAM server signature is derived from the password: keep the line's shape only. The
      // server-final may arrive over several reads: a line that could be it waits until it ends.
      let start = 0;
      while (start < chunk.length) {
        if (!this.#scram) {
          feed(chunk.subarray(start));
          this.#serverAtLineStart = chunk[chunk.length - 1] === 10;
          break;
        }
        const lf = chunk.indexOf(10, start);
        const end = lf === -1 ? chunk.length : lf + 1;
        const bytes = chunk.subarray(start, end);
        start = end;
        if (this.#scramSkip !== undefined) {
          // The rest of a line whose start was recorded redacted: only its line end is kept.
          if (lf === -1) {
            this.#scramSkip.cr = bytes[bytes.length - 1] === 13;
            continue;
          }
          const cr = bytes.length > 1 ? bytes[bytes.length - 2] === 13 : this.#scramSkip.cr;
          feed(cr ? CRLF : LF);
          this.#scramSkip = undefined;
          this.#scram = false;
          this.#serverAtLineStart = true;
          continue;
        }
        if (this.#scramLine === undefined && !this.#serverAtLineStart) {
          feed(bytes); // the rest of a line that cannot be the server-final
          this.#serverAtLineStart = lf !== -1;
          continue;
        }
        const line = this.#scramLine === undefined ? bytes : Buffer.concat([this.#scramLine, bytes]);
        this.#scramLine = undefined;
        this.#serverAtLineStart = lf !== -1;
        if (lf === -1 && mayBeScramServerFinal(line)) {
          this.#scramLine = Uint8Array.prototype.slice.call(line);
          continue;
        }
        if (lf !== -1 && isScramServerFinal(line)) {
          feed(line.subarray(0, 2));
          sink.opaque?.();
          feed(line.subarray(line[line.length - 2] === 13 ? line.length - 2 : line.length - 1));
          this.#scram = false;
          continue;
        }
        feed(line);
        // Not a continuation (`+ `) nor an untagged line: a tagged reply, `+OK` or `-ERR` ends the exchange.
        if (line[0] !== 0x2a && !(line[0] === 0x2b && line[1] === 0x20)) this.#scram = false;
      }
    });
  }

  /** The connection ended: who closed it, and the end of this session's text. */
  ended(error: MailwireError): void {
    if (this.#ended) return;
    this.#flushScramLine();
    if (this.#scanners !== undefined) {
      const clientRest: TranscriptPiece[] = [];
      this.#scanners.client.end(this.#sink('client', clientRest));
      this.#chunk('client', clientRest);
      const serverRest: TranscriptPiece[] = [];
      this.#scanners.server.end(this.#sink('server', serverRest));
      this.#chunk('server', serverRest);
    }
    this.#release(false);
    this.#ended = true;
    const byServer = !this.#closedByClient && error instanceof ConnectionClosedError;
    let out = this.#formatter.event({ kind: 'close', by: byServer ? 'server' : 'client' });
    const plainClose = error instanceof ConnectionClosedError && error.cause === undefined;
    if (!plainClose) out += this.#formatter.comment(`ended with ${error.name}: ${error.message}`.split('\n')[0]!);
    this.#emit(out + this.#formatter.end());
  }

  #sink(from: TranscriptDirection, pieces: TranscriptPiece[]): TagSink {
    return {
      bytes: (bytes) => {
        pieces.push({ kind: 'bytes', bytes: Uint8Array.prototype.slice.call(bytes) });
      },
      tag: (tag) => {
        let normalised = this.#tags.get(tag);
        if (normalised === undefined && from === 'client') {
          normalised = `A${this.#tags.size + 1}`;
          this.#tags.set(tag, normalised);
        }
        pieces.push({ kind: 'bytes', bytes: Buffer.from(normalised ?? tag, 'latin1') });
      },
      opaque: () => {
        pieces.push({ kind: 'redacted' });
      },
      ...(from === 'server' && this.#sideFiles !== undefined
        ? {
            literalStart: (size: number) => {
              if (size < this.#sideFiles!.minBytes) return;
              const file = this.#sideFiles!.create();
              this.#spill = file.absolute;
              pieces.push({ kind: 'file', path: file.relative, bytes: new Uint8Array(0) });
            },
            literalBytes: (bytes: Uint8Array) => {
              if (this.#spill !== undefined) appendFileSync(this.#spill, bytes);
              else pieces.push({ kind: 'bytes', bytes: Uint8Array.prototype.slice.call(bytes) });
            },
            literalEnd: () => {
              this.#spill = undefined;
            },
          }
        : {}),
    };
  }

  /** Part of a POP3 body: buffered until it is known to need a side file. */
  #body(bytes: Uint8Array, pieces: TranscriptPiece[]): void {
    if (this.#spill !== undefined) {
      appendFileSync(this.#spill, bytes);
      return;
    }
    this.#bodyBuffer.push(Uint8Array.prototype.slice.call(bytes));
    this.#bodyLength += bytes.length;
    if (this.#bodyLength < this.#sideFiles!.minBytes) return;
    const file = this.#sideFiles!.create();
    this.#spill = file.absolute;
    appendFileSync(file.absolute, Buffer.concat(this.#bodyBuffer));
    this.#bodyBuffer = [];
    this.#bodyLength = 0;
    pieces.push({ kind: 'file', path: file.relative, bytes: new Uint8Array(0) });
  }

  #bodyEnd(pieces: TranscriptPiece[]): void {
    if (this.#spill === undefined && this.#bodyBuffer.length > 0) {
      pieces.push({ kind: 'bytes', bytes: Buffer.concat(this.#bodyBuffer) });
    }
    this.#spill = undefined;
    this.#bodyBuffer = [];
    this.#bodyLength = 0;
  }

  #chunk(from: TranscriptDirection, pieces: TranscriptPiece[]): void {
    if (pieces.length === 0) return;
    this.#record({ kind: 'data', from, pieces: mergeBytes(pieces) });
  }

  /** Writes an event to the transcript, or queues it behind a held client write. */
  #record(event: TranscriptEvent): void {
    if (this.#ended) return;
    if (this.#held !== undefined) this.#held.later.push(event);
    else this.#emit(this.#formatter.event(event));
  }

  /**
   * Records the held client write (its literal's size redacted when a secret came next), then the
   * events that waited behind it.
   */
  #release(secretFollows: boolean): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    const last = held.chunk[held.chunk.length - 1];
    const hidden = secretFollows && last?.kind === 'bytes' ? hideLiteralSize(last.bytes) : undefined;
    const pieces = hidden === undefined ? held.chunk : [...held.chunk.slice(0, -1), ...hidden];
    this.#emit(this.#formatter.event({ kind: 'data', from: 'client', pieces: mergeBytes(pieces) }));
    for (const event of held.later) this.#emit(this.#formatter.event(event));
  }

  /** Runs `fill` with a feed of server bytes (tags, POP3 bodies) and records what it gave. */
  #serverData(fill: (feed: (bytes: Uint8Array) => void, sink: TagSink) => void): void {
    const pieces: TranscriptPiece[] = [];
    const sink = this.#sink('server', pieces);
    const bodies = this.#pop3Bodies;
    const feed = (bytes: Uint8Array): void => {
      if (this.#scanners !== undefined) this.#scanners.server.push(bytes, sink);
      else if (bodies === undefined) sink.bytes(bytes);
      else {
        bodies.server(bytes, {
          bytes: (plain) => {
            sink.bytes(plain);
          },
          body: (body) => {
            this.#body(body, pieces);
          },
          bodyEnd: () => {
            this.#bodyEnd(pieces);
          },
        });
      }
    };
    fill(feed, sink);
    this.#chunk('server', pieces);
  }

  /**
   * Records the held start of a server line that could be the SCRAM server-final (the client writes,
   * or the connection ends, before the line is complete): its base64 is redacted, and so is the
   * rest of the line when it comes.
   */
  #flushScramLine(): void {
    const line = this.#scramLine;
    if (line === undefined) return;
    this.#scramLine = undefined;
    this.#serverData((feed, sink) => {
      feed(line.subarray(0, Math.min(line.length, 2)));
      sink.opaque?.();
    });
    this.#scramSkip = { cr: line[line.length - 1] === 13 };
  }

  /** Splits bytes at each value of the `redact` option, marking the values found. */
  #splitRedactions(bytes: Uint8Array): { bytes: Uint8Array; redacted: boolean }[] {
    if (this.#redact.length === 0) return [{ bytes, redacted: false }];
    const out: { bytes: Uint8Array; redacted: boolean }[] = [];
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let start = 0;
    for (;;) {
      let best = -1;
      let length = 0;
      for (const value of this.#redact) {
        const at = buffer.indexOf(value, start);
        if (at !== -1 && (best === -1 || at < best)) {
          best = at;
          length = value.length;
        }
      }
      if (best === -1) break;
      // A value that overlaps the one found (a longer value it starts, one sharing its end) is
      // redacted with it, else its other part would reach the file.
      let end = best + length;
      for (let grown = true; grown; ) {
        grown = false;
        for (const value of this.#redact) {
          for (let at = buffer.indexOf(value, best); at !== -1 && at < end; at = buffer.indexOf(value, at + 1)) {
            if (at + value.length > end) {
              end = at + value.length;
              grown = true;
            }
          }
        }
      }
      if (best > start) out.push({ bytes: bytes.subarray(start, best), redacted: false });
      // The value's length keeps the tag scanner in step inside a literal (a message body).
      out.push({ bytes: bytes.subarray(best, end), redacted: true });
      start = end;
    }
    if (start < bytes.length) out.push({ bytes: bytes.subarray(start), redacted: false });
    return out;
  }

  /** Notes a client AUTH/AUTHENTICATE with a SCRAM mechanism, whose server-final gets redacted. */
  #noteSasl(bytes: Uint8Array): void {
    if (bytes.length > 512) return;
    const line = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    if (/^(?:\S+ AUTHENTICATE|AUTH) SCRAM-/i.test(line)) this.#scram = true;
  }
}

/** A `+ base64` continuation whose decoded text starts with `v=` (RFC 5802 server-final-message). */
function isScramServerFinal(line: Uint8Array): boolean {
  if (line.length < 4 || line[0] !== 0x2b || line[1] !== 0x20) return false;
  const text = Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('latin1');
  const match = /^\+ ([A-Za-z0-9+/=]+)\r?\n$/.exec(text);
  if (match === null) return false;
  return Buffer.from(match[1]!, 'base64').toString('latin1').startsWith('v=');
}

/** The start of a line that may still turn out to be a `+ base64` server-final. */
function mayBeScramServerFinal(start: Uint8Array): boolean {
  const text = Buffer.from(start.buffer, start.byteOffset, start.byteLength).toString('latin1');
  return /^\+(?: [A-Za-z0-9+/=]*\r?)?$/.test(text);
}

const CRLF = Uint8Array.of(13, 10);
const LF = Uint8Array.of(10);

const LITERAL_ANNOUNCEMENT = /\{(\d+)(\+?)\}\r\n$/;

/**
 * `{12}` CRLF (or `{12+}`, `~{12}`) at the end of `bytes`, with the size redacted (`{<redacted>}`);
 * undefined when `bytes` does not end with a literal announcement.
 */
function hideLiteralSize(bytes: Uint8Array): TranscriptPiece[] | undefined {
  const tail = Buffer.from(bytes.subarray(-40)).toString('latin1');
  const match = LITERAL_ANNOUNCEMENT.exec(tail);
  if (match === null) return undefined;
  const cut = bytes.length - match[0].length + 1; // keep "{"
  return [
    { kind: 'bytes', bytes: bytes.subarray(0, cut) },
    { kind: 'redacted' },
    { kind: 'bytes', bytes: Buffer.from(`${match[2]!}}\r\n`, 'latin1') },
  ];
}

/**
 * A secret sent as an IMAP literal (`{12}` CRLF, then the password) would show its length in the
 * announcement: the size is redacted too (`{<redacted>}`), and a replay accepts any size there.
 * (An announcement that ends a write waits for the next one: see `RecordingConnection.#held`.)
 */
function hideSecretLiteralSizes(pieces: TranscriptPiece[]): TranscriptPiece[] {
  const out: TranscriptPiece[] = [];
  pieces.forEach((piece, index) => {
    const next = pieces[index + 1];
    const hidden = piece.kind === 'bytes' && next?.kind === 'redacted' ? hideLiteralSize(piece.bytes) : undefined;
    if (hidden === undefined) out.push(piece);
    else out.push(...hidden);
  });
  return out;
}

function mergeBytes(pieces: readonly TranscriptPiece[]): TranscriptPiece[] {
  const out: TranscriptPiece[] = [];
  let run: Uint8Array[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    out.push({ kind: 'bytes', bytes: run.length === 1 ? run[0]! : Buffer.concat(run) });
    run = [];
  };
  for (const piece of pieces) {
    if (piece.kind === 'bytes') run.push(piece.bytes);
    else {
      flush();
      out.push(piece);
    }
  }
  flush();
  return out;
}
