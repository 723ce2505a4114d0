/**
 * The replay engine shared by {@link replayConnector} and {@link startReplayServer}: one session
 * of a transcript compiled into steps (expect client bytes, send server chunks, TLS, close), and a
 * matcher that checks the client's bytes against the expected ones, ignoring tag names and
 * redacted fields.
 *
 * @packageDocumentation
 * @internal
 */
import type { MailwireError } from '../common/errors.js';
import { ClientSecrets, SHOWN } from './client-secrets.js';
import { FixtureFormatError, FixtureMismatchError } from './errors.js';
import { ImapTagScanner, isTagByte, type TagSink } from './imap-scan.js';
import {
  REDACTED_TEXT,
  escapeInner,
  escapeTranscriptBytes,
  protectFinalSpace,
  type Transcript,
  type TranscriptDirection,
  type TranscriptPiece,
  type TranscriptSession,
} from './transcript.js';

/**
 * How a replay splits the server's bytes into the chunks the client receives.
 *
 * - `'recorded'`: as the transcript's chunks (as the client read them when recording);
 * - `'byte'`: one byte at a time;
 * - `{ seed }`: random sizes from a seeded generator (the same seed gives the same split), at most
 *   `maxChunk` bytes (default 512), with a bias to small chunks.
 */
export type ReplayChunking = 'recorded' | 'byte' | { readonly seed: number; readonly maxChunk?: number | undefined };

type Token =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly line: number | undefined }
  | {
      readonly kind: 'redacted';
      readonly line: number | undefined;
      suffix: Uint8Array;
      lineMode: boolean;
      /** Inside a literal: how long it is (only the client's bytes tell) decides where the literal ends. */
      readonly resumes?: true;
    }
  | { readonly kind: 'tag'; readonly tag: string; readonly line: number | undefined };

interface TagSpan {
  readonly start: number;
  readonly end: number;
  readonly tag: string;
}

interface SendChunk {
  readonly bytes: Uint8Array;
  readonly tags: readonly TagSpan[];
  readonly line: number | undefined;
  /** The line of a redacted piece: server data that cannot be replayed. */
  readonly redactedLine: number | undefined;
}

type Step =
  | { readonly kind: 'expect'; readonly tokens: Token[] }
  | { readonly kind: 'send'; readonly chunks: SendChunk[] }
  | { readonly kind: 'tls'; readonly line: number | undefined }
  | { readonly kind: 'close'; readonly by: TranscriptDirection; readonly line: number | undefined };

/** What the script asks of the connection it drives. */
export interface ScriptOutput {
  /** Send these server bytes to the client. */
  send(chunk: Uint8Array): void;
  /** The replay failed (mismatch, unreplayable data): fail the client. */
  fail(error: MailwireError): void;
  /** The server closes the connection here (after what was sent). */
  serverClose(): void;
  /** The transcript's next step is a TLS upgrade (the replay server starts its side here). */
  tlsNext(): void;
}

/** One session of a transcript being replayed. */
export class ReplayScript {
  readonly #steps: Step[];
  readonly #clientTokens: ClientTokens;
  readonly #file: string | undefined;
  readonly #endLine: number | undefined;
  readonly #output: ScriptOutput;
  readonly #random: (() => number) | undefined;
  readonly #chunking: ReplayChunking;

  #step = 0;
  #token = 0;
  #tokenOffset = 0;
  /** Client bytes received and not yet matched. */
  #pending: Buffer = Buffer.alloc(0);
  /** The client's line so far, for the mismatch report, which shows it with its secrets redacted. */
  readonly #clientSecrets: ClientSecrets;
  readonly #recordedToActual = new Map<string, string>();
  readonly #actualToRecorded = new Map<string, string>();
  #failure: MailwireError | undefined;

  /**
   * @param transcript - the transcript.
   * @param index - which session.
   * @param chunking - how to split server bytes.
   * @param output - the connection driven.
   */
  constructor(transcript: Transcript, index: number, chunking: ReplayChunking, output: ScriptOutput) {
    const session = transcript.sessions[index]!;
    const compiled = compile(session, transcript.header.protocol === 'imap');
    this.#steps = compiled.steps;
    this.#clientTokens = compiled.clientTokens;
    this.#clientSecrets = new ClientSecrets(transcript.header.protocol === 'imap');
    this.#file = transcript.file;
    this.#endLine = transcript.endLine;
    this.#output = output;
    this.#chunking = chunking;
    this.#random = typeof chunking === 'object' ? mulberry32(chunking.seed) : undefined;
  }

  /** The failure that stopped the replay, if any. */
  get failure(): MailwireError | undefined {
    return this.#failure;
  }

  /** True when every step was played. */
  get finished(): boolean {
    return this.#step >= this.#steps.length;
  }

  #failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Plays what the server says first (the greeting). */
  start(): void {
    this.#advance();
  }

  /** Bytes the client sent. */
  receive(bytes: Uint8Array): void {
    if (this.#failure !== undefined || bytes.length === 0) return;
    this.#pending = this.#pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.#pending, bytes]);
    while (this.#pending.length > 0 && !this.#failed()) {
      const step = this.#steps[this.#step];
      if (step === undefined) {
        this.#fail(this.#endLine ?? 0, '(the transcript ends here)', 'the transcript ended, but the client sent more');
        return;
      }
      if (step.kind !== 'expect') {
        this.#fail(lineOfStep(step, 0), describeStep(step), `the transcript expects ${describeStep(step)}, but the client sent data`);
        return;
      }
      if (!this.#match(step)) return;
      this.#token = 0;
      this.#tokenOffset = 0;
      this.#step++;
      this.#advance();
    }
  }

  /** The client starts TLS; false (and a failure) unless the transcript says so here. */
  tlsStarted(): boolean {
    if (this.#failure !== undefined) return false;
    const step = this.#steps[this.#step];
    if (step?.kind !== 'tls' || this.#pending.length > 0) {
      const line = step === undefined ? (this.#endLine ?? 0) : lineOfStep(step, this.#token);
      const expected = step === undefined ? '(the transcript ends here)' : this.#expectedText(step, line);
      this.#fail(line, expected, 'the client started TLS where the transcript does not', '@tls');
      return false;
    }
    this.#step++;
    this.#advance();
    return true;
  }

  /** The client closed the connection. */
  clientClosed(): void {
    const step = this.#steps[this.#step];
    if (step?.kind === 'close' && step.by === 'client' && this.#pending.length === 0) this.#step++;
  }

  /** The first line not played, with its text, or undefined when the session was played to its end. */
  unconsumed(): { line: number; text: string } | undefined {
    const step = this.#steps[this.#step];
    if (step === undefined) return undefined;
    const line = lineOfStep(step, this.#token);
    return { line, text: this.#expectedText(step, line) };
  }

  // ---- playing --------------------------------------------------------------------------------

  /** Plays server steps up to the next step that waits for the client. */
  #advance(): void {
    for (;;) {
      const step = this.#steps[this.#step];
      if (step === undefined || this.#failure !== undefined) return;
      switch (step.kind) {
        case 'expect':
          return;
        case 'tls':
          this.#output.tlsNext();
          return;
        case 'close':
          if (step.by === 'client') return;
          this.#step++;
          this.#output.serverClose();
          return;
        case 'send':
          for (const chunk of step.chunks) {
            if (chunk.redactedLine !== undefined) {
              const error = new FixtureFormatError(
                'the server data on this line is redacted: a replay cannot invent it (SCRAM server-final messages are redacted when recorded)',
                chunk.redactedLine,
                this.#file,
              );
              this.#failure = error;
              this.#output.fail(error);
              return;
            }
            const bytes = this.#rewriteTags(chunk);
            this.#clientSecrets.server(bytes);
            for (const piece of this.#split(bytes)) this.#output.send(piece);
          }
          this.#step++;
      }
    }
  }

  #rewriteTags(chunk: SendChunk): Uint8Array {
    if (chunk.tags.length === 0) return chunk.bytes;
    const parts: Uint8Array[] = [];
    let at = 0;
    for (const span of chunk.tags) {
      parts.push(chunk.bytes.subarray(at, span.start));
      parts.push(Buffer.from(this.#recordedToActual.get(span.tag) ?? span.tag, 'latin1'));
      at = span.end;
    }
    parts.push(chunk.bytes.subarray(at));
    return Buffer.concat(parts);
  }

  #split(bytes: Uint8Array): Uint8Array[] {
    if (bytes.length === 0) return [];
    if (this.#chunking === 'recorded') return [bytes];
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      let size = 1;
      if (this.#random !== undefined) {
        const max = typeof this.#chunking === 'object' ? Math.max(1, this.#chunking.maxChunk ?? 512) : 512;
        // Half of the chunks small (up to 8 bytes), half up to max: splits land inside tokens often.
        size = this.#random() < 0.5 ? 1 + Math.floor(this.#random() * Math.min(8, max)) : 1 + Math.floor(this.#random() * max);
      }
      out.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
      at += size;
    }
    return out;
  }

  // ---- matching -------------------------------------------------------------------------------

  /** Matches pending bytes against the step; true when the step is complete. */
  #match(step: { tokens: Token[] }): boolean {
    while (this.#token < step.tokens.length) {
      const token = step.tokens[this.#token]!;
      const pending = this.#pending;
      if (pending.length === 0) return false;
      switch (token.kind) {
        case 'bytes': {
          const want = token.bytes.length - this.#tokenOffset;
          const have = Math.min(want, pending.length);
          for (let index = 0; index < have; index++) {
            if (pending[index] !== token.bytes[this.#tokenOffset + index]) {
              // What matched is taken, so that the report shows the line around the first difference.
              this.#consume(index);
              this.#tokenOffset += index;
              this.#mismatch(step, token.line, undefined, { token, offset: this.#tokenOffset });
              return false;
            }
          }
          this.#consume(have);
          this.#tokenOffset += have;
          if (this.#tokenOffset < token.bytes.length) return false;
          break;
        }
        case 'tag': {
          let length = 0;
          while (length < pending.length && length <= 64 && isTagByte(pending[length]!)) length++;
          if (length === pending.length && length <= 64) return false; // the tag may go on
          const actual = pending.toString('latin1', 0, length);
          const mapped = this.#recordedToActual.get(token.tag);
          const reverse = this.#actualToRecorded.get(actual);
          if (length === 0 || length > 64) {
            this.#mismatch(step, token.line, 'a command tag was expected');
            return false;
          }
          if ((mapped !== undefined && mapped !== actual) || (reverse !== undefined && reverse !== token.tag)) {
            this.#mismatch(
              step,
              token.line,
              `the client's tag ${actual} does not correspond to the transcript's ${token.tag}` +
                (mapped === undefined ? '' : ` (already played as ${mapped})`),
            );
            return false;
          }
          this.#recordedToActual.set(token.tag, actual);
          this.#actualToRecorded.set(actual, token.tag);
          this.#consume(length);
          break;
        }
        case 'redacted': {
          const length = this.#redactedLength(token);
          if (length === undefined) return false;
          if (length < 0) {
            this.#mismatch(step, token.line, 'the text around a redacted field differs');
            return false;
          }
          this.#consume(length, true);
          if (token.resumes === true) this.#clientTokens.resume(length);
          break;
        }
      }
      this.#token++;
      this.#tokenOffset = 0;
    }
    return true;
  }

  /** How many pending bytes the redacted field covers; undefined: wait; negative: mismatch. */
  #redactedLength(token: Extract<Token, { kind: 'redacted' }>): number | undefined {
    const pending = this.#pending;
    const lf = pending.indexOf(10);
    if (token.lineMode) {
      if (lf === -1) return pending.length > 1 << 20 ? -1 : undefined;
      const line = pending.subarray(0, lf + 1);
      if (line.length < token.suffix.length) return -1;
      const tail = line.subarray(line.length - token.suffix.length);
      return Buffer.compare(tail, token.suffix) === 0 ? line.length - token.suffix.length : -1;
    }
    if (token.suffix.length === 0) {
      const end = pending.findIndex((byte) => byte === 13 || byte === 10);
      return end === -1 ? pending.length : end;
    }
    const at = pending.indexOf(token.suffix);
    if (at !== -1 && (lf === -1 || at <= lf)) return at;
    if (lf !== -1) return -1;
    return undefined;
  }

  /** Takes matched bytes off the pending ones; `redacted`: a `<redacted>` field matched them. */
  #consume(length: number, redacted = false): void {
    if (length === 0) return;
    this.#clientSecrets.client(this.#pending.subarray(0, length), redacted);
    this.#pending = this.#pending.subarray(length);
  }

  /** The pending bytes up to the end of their first line. */
  #pendingLine(): Buffer {
    const lf = this.#pending.indexOf(10);
    return lf === -1 ? this.#pending : this.#pending.subarray(0, lf + 1);
  }

  #mismatch(step: { tokens: Token[] }, line: number | undefined, reason?: string, focus?: Focus): void {
    const lineNumber = line ?? 0;
    const expected = formatTokens(
      step.tokens.filter((token) => token.line === line),
      focus,
    );
    this.#fail(lineNumber, expected, reason, this.#clientSecrets.format(this.#pendingLine(), true));
  }

  #expectedText(step: Step, line: number): string {
    switch (step.kind) {
      case 'expect':
        return formatTokens(step.tokens.filter((token) => token.line === line));
      case 'send': {
        const chunk = step.chunks.find((candidate) => candidate.line === line) ?? step.chunks[0];
        return chunk === undefined ? 'S:' : `S: ${formatLine(firstLine(chunk.bytes))}`;
      }
      default:
        return describeStep(step);
    }
  }

  #fail(line: number, expected: string, reason?: string, actual?: string): void {
    if (this.#failure !== undefined) return;
    const actualText = actual ?? this.#clientSecrets.format(this.#pendingLine(), false);
    const error = new FixtureMismatchError({
      line,
      expected,
      actual: actualText,
      ...(reason === undefined ? {} : { reason }),
      file: this.#file,
    });
    this.#failure = error;
    this.#output.fail(error);
  }
}

// ---- compiling ------------------------------------------------------------------------------

function compile(session: TranscriptSession, imap: boolean): { steps: Step[]; clientTokens: ClientTokens } {
  const steps: Step[] = [];
  const clientTokens = new ClientTokens(imap);
  const serverScanner = imap ? new ImapTagScanner() : undefined;
  let line: number | undefined;

  const expectStep = (): Token[] => {
    const last = steps[steps.length - 1];
    if (last?.kind === 'expect') return last.tokens;
    const tokens: Token[] = [];
    steps.push({ kind: 'expect', tokens });
    return tokens;
  };
  const sendStep = (): SendChunk[] => {
    const last = steps[steps.length - 1];
    if (last?.kind === 'send') return last.chunks;
    const chunks: SendChunk[] = [];
    steps.push({ kind: 'send', chunks });
    return chunks;
  };

  for (const event of session.events) {
    if (event.kind === 'tls' || event.kind === 'close') {
      steps.push(event.kind === 'tls' ? { kind: 'tls', line: event.line } : { kind: 'close', by: event.by, line: event.line });
      continue;
    }
    if (event.from === 'client') {
      const tokens = expectStep();
      for (const piece of event.pieces) {
        line = piece.line ?? line;
        clientTokens.add(tokens, piece, line);
      }
      continue;
    }
    const chunks = sendStep();
    const parts: Uint8Array[] = [];
    const tags: TagSpan[] = [];
    let length = 0;
    let redactedLine: number | undefined;
    let firstLineOfChunk: number | undefined;
    const sink: TagSink = {
      bytes: (bytes) => {
        parts.push(Uint8Array.prototype.slice.call(bytes));
        length += bytes.length;
      },
      tag: (tag) => {
        const bytes = Buffer.from(tag, 'latin1');
        tags.push({ start: length, end: length + bytes.length, tag });
        parts.push(bytes);
        length += bytes.length;
      },
    };
    for (const piece of event.pieces) {
      line = piece.line ?? line;
      firstLineOfChunk ??= piece.line;
      if (piece.kind === 'redacted') {
        redactedLine ??= piece.line ?? 0;
        continue;
      }
      if (serverScanner === undefined) sink.bytes(piece.bytes);
      else serverScanner.push(piece.bytes, sink);
    }
    chunks.push({ bytes: Buffer.concat(parts), tags, line: firstLineOfChunk, redactedLine });
  }
  const last = steps[steps.length - 1];
  clientTokens.end(last?.kind === 'expect' ? last.tokens : undefined);
  return { steps, clientTokens };
}

/**
 * The client's side of a session as tokens (bytes, tags, redacted fields), each step's in its list.
 * An IMAP literal holding a redacted field of its own (a `redact` value in a message body) stops the
 * tokenizing there: the transcript does not say how long the value was, so where the literal ends,
 * and which lines after it are commands with tags, is known only once the replay matched the
 * client's bytes to it ({@link ClientTokens.resume}).
 */
class ClientTokens {
  readonly #scanner: ImapTagScanner | undefined;
  readonly #pieces: { readonly tokens: Token[]; readonly piece: TranscriptPiece; readonly line: number | undefined }[] = [];
  #next = 0;
  #stopped = false;
  #lastTokens: Token[] | undefined;

  constructor(imap: boolean) {
    this.#scanner = imap ? new ImapTagScanner() : undefined;
  }

  /** Queues a piece of the client's side for the step whose tokens are `tokens`. */
  add(tokens: Token[], piece: TranscriptPiece, line: number | undefined): void {
    this.#pieces.push({ tokens, piece, line });
  }

  /** Tokenizes what was queued; `lastTokens`: the last step's, when the session ends with the client's data. */
  end(lastTokens: Token[] | undefined): void {
    this.#lastTokens = lastTokens;
    this.#run();
  }

  /** The redacted field that stopped the tokenizing matched `length` bytes of the client's: go on. */
  resume(length: number): void {
    this.#scanner?.opaque({ bytes: () => undefined, tag: () => undefined }, new Uint8Array(length));
    this.#stopped = false;
    this.#run();
  }

  #run(): void {
    if (this.#stopped) return;
    const fresh = new Map<Token[], number>(); // each step's tokens from this index on are new
    const sinkFor = (tokens: Token[], line: number | undefined): TagSink => {
      if (!fresh.has(tokens)) fresh.set(tokens, tokens.length);
      return {
        bytes: (bytes) => {
          tokens.push({ kind: 'bytes', bytes: Uint8Array.prototype.slice.call(bytes), line });
        },
        tag: (tag) => {
          tokens.push({ kind: 'tag', tag, line });
        },
        opaque: () => {
          tokens.push({ kind: 'redacted', line, suffix: new Uint8Array(0), lineMode: false });
        },
      };
    };
    const scanner = this.#scanner;
    while (this.#next < this.#pieces.length && !this.#stopped) {
      const { tokens, piece, line } = this.#pieces[this.#next++]!;
      const sink = sinkFor(tokens, line);
      if (piece.kind !== 'redacted') {
        if (scanner === undefined) sink.bytes(piece.bytes);
        else scanner.push(piece.bytes, sink);
      } else if (scanner?.midLiteral === true) {
        const { suffix, lineMode } = this.#suffixAt(this.#next, tokens);
        tokens.push({ kind: 'redacted', line, suffix, lineMode, resumes: true });
        this.#stopped = true;
      } else if (scanner === undefined) sink.opaque?.();
      else scanner.opaque(sink);
    }
    if (!this.#stopped && this.#lastTokens !== undefined && scanner !== undefined) {
      scanner.end(sinkFor(this.#lastTokens, this.#lastTokens.at(-1)?.line));
      this.#lastTokens = undefined;
    }
    for (const [tokens, from] of fresh) {
      const added = tokens.splice(from);
      joinBytesOfALine(added);
      hideSecretLiteralSizes(added);
      prepareRedactions(added);
      tokens.push(...added);
    }
  }

  /** What must follow a redacted field up to the end of its line, from the queued pieces of its step. */
  #suffixAt(index: number, tokens: Token[]): { suffix: Uint8Array; lineMode: boolean } {
    const suffix: number[] = [];
    for (let at = index; at < this.#pieces.length; at++) {
      const { tokens: stepTokens, piece } = this.#pieces[at]!;
      if (stepTokens !== tokens || piece.kind === 'redacted') break;
      for (const byte of piece.bytes) {
        suffix.push(byte);
        if (byte === 10) return { suffix: Uint8Array.from(suffix), lineMode: true };
      }
    }
    return { suffix: Uint8Array.from(suffix), lineMode: false };
  }
}

/** Joins adjacent byte tokens of one transcript line (a line's CRLF is a piece of its own). */
function joinBytesOfALine(tokens: Token[]): void {
  for (let index = tokens.length - 1; index > 0; index--) {
    const token = tokens[index]!;
    const previous = tokens[index - 1]!;
    if (token.kind !== 'bytes' || previous.kind !== 'bytes' || token.line !== previous.line) continue;
    tokens.splice(index - 1, 2, { kind: 'bytes', bytes: Buffer.concat([previous.bytes, token.bytes]), line: token.line });
  }
}

const LITERAL_BEFORE_SECRET = /\{\d+(\+?)\}\r\n$/;

/**
 * A redacted secret sent as an IMAP literal: its announced size (`{25+}`) depends on the secret's
 * length, so it matches any size, like the secret itself.
 */
function hideSecretLiteralSizes(tokens: Token[]): void {
  for (let index = tokens.length - 2; index >= 0; index--) {
    const token = tokens[index]!;
    if (token.kind !== 'bytes' || tokens[index + 1]!.kind !== 'redacted') continue;
    const tail = Buffer.from(token.bytes.subarray(-40)).toString('latin1');
    const match = LITERAL_BEFORE_SECRET.exec(tail);
    if (match === null) continue;
    const cut = token.bytes.length - match[0].length + 1; // keep "{"
    tokens.splice(
      index,
      1,
      { kind: 'bytes', bytes: token.bytes.subarray(0, cut), line: token.line },
      { kind: 'redacted', line: token.line, suffix: new Uint8Array(0), lineMode: false },
      { kind: 'bytes', bytes: Buffer.from(`${match[1]!}}\r\n`, 'latin1'), line: token.line },
    );
  }
}

/** Gives each redacted token the bytes that must follow it, up to the end of its line. */
function prepareRedactions(tokens: Token[]): void {
  tokens.forEach((token, index) => {
    if (token.kind !== 'redacted' || token.resumes === true) return;
    const suffix: number[] = [];
    let lineMode = false;
    for (let next = index + 1; next < tokens.length && !lineMode; next++) {
      const following = tokens[next]!;
      if (following.kind !== 'bytes') break;
      for (const byte of following.bytes) {
        suffix.push(byte);
        if (byte === 10) {
          lineMode = true;
          break;
        }
      }
    }
    token.suffix = Uint8Array.from(suffix);
    token.lineMode = lineMode;
  });
}

// ---- text for messages ----------------------------------------------------------------------

function formatLine(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[bytes.length - 2] === 13 && bytes[bytes.length - 1] === 10) {
    return escapeTranscriptBytes(bytes.subarray(0, -2));
  }
  return `${escapeTranscriptBytes(bytes)}\\`;
}

/** The first byte of a line's bytes token that differs from what the client sent. */
interface Focus {
  readonly token: Extract<Token, { kind: 'bytes' }>;
  readonly offset: number;
}

function formatTokens(lineTokens: readonly Token[], focus?: Focus): string {
  let tokens = lineTokens;
  if (focus !== undefined) {
    // A long line (a literal of a message) is shown around the difference only, as a piece of
    // the line (the expected CRLF is not shown when the end is cut).
    const { token, offset } = focus;
    const from = Math.max(0, offset - SHOWN);
    const to = offset + SHOWN;
    if (from > 0 || to < token.bytes.length) {
      const at = lineTokens.indexOf(token);
      const shown: Token = { kind: 'bytes', bytes: token.bytes.subarray(from, to), line: token.line };
      tokens = [...(from > 0 ? [] : lineTokens.slice(0, at)), shown, ...(to < token.bytes.length ? [] : lineTokens.slice(at + 1))];
    }
  }
  const parts: string[] = [];
  const bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) parts.push(escapeInner(Uint8Array.from(bytes)));
    bytes.length = 0;
  };
  for (const token of tokens) {
    if (token.kind === 'bytes') for (const byte of token.bytes) bytes.push(byte);
    else {
      flush();
      parts.push(token.kind === 'tag' ? token.tag : REDACTED_TEXT);
    }
  }
  let text: string;
  const last = bytes.length;
  if (last >= 2 && bytes[last - 2] === 13 && bytes[last - 1] === 10) {
    bytes.length = last - 2;
    flush();
    text = protectFinalSpace(parts.join(''));
  } else {
    flush();
    text = `${parts.join('')}\\`;
  }
  return `C: ${text}`;
}

function firstLine(bytes: Uint8Array): Uint8Array {
  const lf = bytes.indexOf(10);
  return lf === -1 ? bytes : bytes.subarray(0, lf + 1);
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'tls':
      return '@tls (a STARTTLS/STLS handshake)';
    case 'close':
      return `@close ${step.by}`;
    case 'send':
      return 'server data';
    case 'expect':
      return 'client data';
  }
}

function lineOfStep(step: Step, token: number): number {
  switch (step.kind) {
    case 'expect':
      return step.tokens[token]?.line ?? step.tokens[0]?.line ?? 0;
    case 'send':
      return step.chunks[0]?.line ?? 0;
    default:
      return step.line ?? 0;
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same chunking. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
