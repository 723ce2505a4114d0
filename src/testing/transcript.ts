/**
 * The transcript format of mailwire's test kit: a recorded IMAP or POP3 session as text that reads
 * like the examples of the RFCs, diffs well, and holds every byte exactly.
 *
 * ## Grammar (version 1)
 *
 * A transcript is UTF-8 text made of lines ending in LF (a CR before the LF is ignored, so a file
 * checked out with CRLF line ends reads the same; the final `@end` may lack its line feed, and a
 * leading byte order mark is skipped).
 *
 * ```abnf
 * transcript   = magic *field session *("@connect" LF session)
 * session      = *body-line end-line *blank-line   ; "@end" may be left out before "@connect"
 * magic        = "# mailwire transcript v1" LF
 * field        = "# " key ":" SP value LF        ; the header: up to the first other line
 * key          = LOWER *(LOWER / DIGIT / "-" / ".")
 * body-line    = data-line / directive / comment / blank-line
 * data-line    = dir ":" [SP content] LF          ; "C:" the client sent, "S:" the server sent
 * dir          = "C" / "S"
 * content      = *(plain / escape / placeholder) [no-crlf]
 * plain        = any character but "\" (non-ASCII characters stand for their UTF-8 bytes)
 * escape       = "\\" / "\r" / "\n" / "\t" / "\x" 2HEXDIG
 * placeholder  = "<redacted>"                     ; a secret that was not recorded
 * no-crlf      = "\"                              ; a lone backslash ending the line
 * directive    = "@chunk" / "@tls" / "@connect" / "@close" SP ("client" / "server")
 *              / "@file" SP dir SP path            ; path relative to the transcript, no ".."
 * comment      = "#" *CHAR LF
 * end-line     = "@end" LF
 * ```
 *
 * - **Bytes.** A data line stands for its content's bytes followed by CRLF, unless it ends with the
 *   `no-crlf` backslash: then it stands for exactly its content's bytes. A line that ended in a
 *   bare LF on the wire is written `...\n\`, a piece of a line `...\`. The writer escapes every
 *   byte outside printable ASCII, a backslash, a space at the end of a line (editors strip those)
 *   and a `<` that would read as the placeholder, so recorded transcripts are plain ASCII.
 * - **Chunks.** The bytes of a direction arrive in chunks (one `write` of the client, one read of
 *   the client from the socket). Consecutive data lines of one direction belong to one chunk while
 *   each ends in a line feed; a line that ends without one, a change of direction, a directive and
 *   `@chunk` end the chunk. Replaying with `chunking: 'recorded'` delivers these chunks.
 * - **Header.** `protocol` (`imap` or `pop3`) is required; `recorded-at` (ISO 8601), `server` and
 *   `tls` (`none`, `implicit`, `starttls`) are known; other fields are kept as they are.
 * - **Directives.** `@tls`: a STARTTLS/STLS handshake happened here (data after it travelled inside
 *   TLS; the transcript holds it in clear). `@connect`: a further connection starts (the first one
 *   is implicit). `@close client|server`: who closed the connection. `@file S body.eml`: the bytes of
 *   a side file (stored beside the transcript, e.g. a long message body) belong to the stream here.
 *   `@end`: the last line; a transcript without it was cut short.
 * - **Tags.** IMAP command tags are normalised to `A1`, `A2`, ... in order of appearance, in both
 *   directions, so that a re-recording diffs clean; a replay maps them to the client's own tags.
 *
 * @example
 * ```text
 * # mailwire transcript v1
 * # protocol: pop3
 * # tls: implicit
 *
 * S: +OK Dovecot ready.
 * C: USER alice
 * S: +OK
 * C: PASS <redacted>
 * S: +OK Logged in.
 * C: QUIT
 * S: +OK Logging out.
 * @close server
 * @end
 * ```
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { InvalidArgumentError } from '../common/errors.js';
import { FixtureFormatError } from './errors.js';

/** The first line of every transcript. */
export const TRANSCRIPT_MAGIC = '# mailwire transcript v1';

/** The text that stands for a redacted secret in a transcript line. */
export const REDACTED_TEXT = '<redacted>';

/** Who sent a chunk: the client (`C:` lines) or the server (`S:` lines). */
export type TranscriptDirection = 'client' | 'server';

/** The protocols a transcript may record. */
export type TranscriptProtocol = 'imap' | 'pop3';

/** How the recorded connection was secured: `starttls` sessions show the upgrade as `@tls`. */
export type TranscriptTlsMode = 'none' | 'implicit' | 'starttls';

/**
 * The comment lines (`# text`) that stood before something in a transcript read: each one's text
 * without the `#` and the one space after it. {@link formatTranscript} writes them back there, so a
 * fixture loaded, edited and saved keeps its notes.
 */
export interface TranscriptComments {
  /** The comments before it, in order; absent when there were none. */
  readonly comments?: readonly string[] | undefined;
}

/**
 * A piece of a chunk: bytes, a redacted secret (its value and length unknown), or the bytes of a
 * side file. `line` is the 1-based transcript line it was read from (absent when built in memory).
 * `comments` are those that stood between the piece's line and the chunk's line before it.
 */
export type TranscriptPiece = TranscriptComments &
  (
    | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly line?: number | undefined }
    | { readonly kind: 'redacted'; readonly line?: number | undefined }
    | { readonly kind: 'file'; readonly path: string; readonly bytes: Uint8Array; readonly line?: number | undefined }
  );

/** One chunk of bytes, as one side wrote or read it. */
export interface TranscriptChunk extends TranscriptComments {
  /** Discriminant. */
  readonly kind: 'data';
  /** Who sent it. */
  readonly from: TranscriptDirection;
  /** Its content, in order. */
  readonly pieces: readonly TranscriptPiece[];
}

/** A STARTTLS/STLS handshake took place here (`@tls`). */
export interface TranscriptTlsEvent extends TranscriptComments {
  /** Discriminant. */
  readonly kind: 'tls';
  /** The 1-based transcript line, when parsed. */
  readonly line?: number | undefined;
}

/** The connection was closed by one side (`@close client` / `@close server`). */
export interface TranscriptCloseEvent extends TranscriptComments {
  /** Discriminant. */
  readonly kind: 'close';
  /** Who closed it. */
  readonly by: TranscriptDirection;
  /** The 1-based transcript line, when parsed. */
  readonly line?: number | undefined;
}

/** One event of a session, in the order it happened. */
export type TranscriptEvent = TranscriptChunk | TranscriptTlsEvent | TranscriptCloseEvent;

/** One connection, from connect to close. `comments` are those after its last event (before `@connect` or `@end`). */
export interface TranscriptSession extends TranscriptComments {
  /** What happened on it, in order. */
  readonly events: readonly TranscriptEvent[];
}

/** The header of a transcript: `# key: value` lines after the magic line. */
export interface TranscriptHeader {
  /** The protocol spoken (`# protocol:`). */
  readonly protocol: TranscriptProtocol;
  /** When it was recorded, ISO 8601 (`# recorded-at:`). */
  readonly recordedAt?: string | undefined;
  /** The server software, free text (`# server:`). */
  readonly server?: string | undefined;
  /** How the connection was secured (`# tls:`). */
  readonly tls?: TranscriptTlsMode | undefined;
  /** Any other header fields, by key (e.g. `mechanism: PLAIN`). */
  readonly fields?: Readonly<Record<string, string>> | undefined;
}

/** A whole transcript: header and sessions. */
export interface Transcript {
  /** The header fields. */
  readonly header: TranscriptHeader;
  /** The connections, in order; replaying connects to them one after the other. */
  readonly sessions: readonly TranscriptSession[];
  /** The file it was read from, for error messages. */
  readonly file?: string | undefined;
  /** The line of the `@end` directive, when parsed (where an unconsumed replay points at the end). */
  readonly endLine?: number | undefined;
}

/** Options of {@link parseTranscript}. */
export interface ParseTranscriptOptions {
  /** The transcript's file name, used in error messages. */
  readonly file?: string | undefined;
  /**
   * Reads a side file named by an `@file` line (the path is relative to the transcript and already
   * checked: no absolute path, no `..`). Without it, `@file` lines are an error.
   */
  readonly readSideFile?: ((relativePath: string) => Uint8Array) | undefined;
}

const KEY_PATTERN = /^[a-z][a-z0-9.-]*$/;
const FIELD_PATTERN = /^# ([a-z][a-z0-9.-]*): ?(.*)$/;
const SIDE_FILE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
const PROTOCOLS: readonly string[] = ['imap', 'pop3'];
const TLS_MODES: readonly string[] = ['none', 'implicit', 'starttls'];
const CRLF = new Uint8Array([13, 10]);
const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/**
 * Escapes bytes as transcript content (without the line's prefix and without a line ending).
 * Printable ASCII stays as it is, except `\`, a `<` that would start `<redacted>`, and a final space.
 *
 * @param bytes - the bytes to escape.
 * @returns the escaped text.
 */
export function escapeTranscriptBytes(bytes: Uint8Array): string {
  return protectFinalSpace(escapeInner(bytes));
}

/**
 * A space ending a line is written `\x20`: editors strip trailing spaces.
 *
 * @internal
 */
export function protectFinalSpace(line: string): string {
  return line.endsWith(' ') ? `${line.slice(0, -1)}\\x20` : line;
}

/**
 * Escapes bytes that continue a line (a final space stays: the line may go on).
 *
 * @internal
 */
export function escapeInner(bytes: Uint8Array): string {
  let out = '';
  let runStart = 0;
  const flush = (end: number): void => {
    if (end > runStart) out += Buffer.from(bytes.buffer, bytes.byteOffset + runStart, end - runStart).toString('latin1');
  };
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x5c) {
      if (byte === 0x3c && startsRedacted(bytes, index)) {
        flush(index);
        out += '\\x3c';
        runStart = index + 1;
      }
      continue;
    }
    flush(index);
    runStart = index + 1;
    out += escapeByte(byte);
  }
  flush(bytes.length);
  return out;
}

function escapeByte(byte: number): string {
  switch (byte) {
    case 0x5c:
      return '\\\\';
    case 0x0d:
      return '\\r';
    case 0x0a:
      return '\\n';
    case 0x09:
      return '\\t';
    default:
      return `\\x${byte.toString(16).padStart(2, '0')}`;
  }
}

const REDACTED_BYTES = utf8.encode(REDACTED_TEXT);

function startsRedacted(bytes: Uint8Array, index: number): boolean {
  if (index + REDACTED_BYTES.length > bytes.length) return false;
  for (let offset = 0; offset < REDACTED_BYTES.length; offset++) {
    if (bytes[index + offset] !== REDACTED_BYTES[offset]) return false;
  }
  return true;
}

/**
 * Formats the header block: the magic line, the fields, and a blank line.
 *
 * @param header - the fields to write.
 * @throws InvalidArgumentError when a key or value cannot be written on one line, or the protocol
 *   or tls mode is not one a transcript may hold.
 */
export function formatTranscriptHeader(header: TranscriptHeader): string {
  // What parseTranscript would refuse is refused here, rather than written.
  if (!PROTOCOLS.includes(header.protocol)) throw new InvalidArgumentError(`Invalid transcript protocol ${JSON.stringify(header.protocol)}: imap or pop3`);
  if (header.tls !== undefined && !TLS_MODES.includes(header.tls)) {
    throw new InvalidArgumentError(`Invalid transcript tls mode ${JSON.stringify(header.tls)}: none, implicit or starttls`);
  }
  const lines = [TRANSCRIPT_MAGIC, `# protocol: ${header.protocol}`];
  const add = (key: string, value: string | undefined): void => {
    if (value === undefined) return;
    if (!KEY_PATTERN.test(key)) throw new InvalidArgumentError(`Invalid transcript header key ${JSON.stringify(key)}`);
    if (/[\r\n]/.test(value)) throw new InvalidArgumentError(`The transcript header field ${key} contains a line break`);
    lines.push(`# ${key}: ${value}`);
  };
  add('recorded-at', header.recordedAt);
  add('server', header.server);
  add('tls', header.tls);
  for (const [key, value] of Object.entries(header.fields ?? {})) {
    if (['protocol', 'recorded-at', 'server', 'tls'].includes(key)) {
      throw new InvalidArgumentError(`The transcript header field ${key} must be given by its own property`);
    }
    add(key, value);
  }
  return `${lines.join('\n')}\n\n`;
}

/**
 * Formats chunks incrementally: the recorder feeds events as they happen and appends the text.
 * Keeps the one bit of state the grammar needs (whether the next data line of the same direction
 * would continue the previous chunk, so that `@chunk` must separate them).
 */
export class TranscriptFormatter {
  /** Direction of the chunk a following data line would continue, if any. */
  #open: TranscriptDirection | undefined;

  /**
   * Formats one event.
   *
   * @param event - the event.
   * @returns its lines, each ending in LF.
   */
  event(event: TranscriptEvent): string {
    // A comment line does not end a chunk: the state of #open is unchanged by them.
    const comments = this.comments(event.comments);
    switch (event.kind) {
      case 'data':
        return comments + this.#chunk(event);
      case 'tls':
        this.#open = undefined;
        return `${comments}@tls\n`;
      case 'close':
        this.#open = undefined;
        return `${comments}@close ${event.by}\n`;
    }
  }

  /** The comment lines of {@link TranscriptComments.comments} (none when undefined). */
  comments(comments: readonly string[] | undefined): string {
    return comments === undefined ? '' : comments.map((text) => this.comment(text)).join('');
  }

  /** The `@connect` line that starts a further session. */
  connect(): string {
    this.#open = undefined;
    return '@connect\n';
  }

  /** The final `@end` line. */
  end(): string {
    this.#open = undefined;
    return '@end\n';
  }

  /** A comment line (`# text`); line breaks in `text` become further comment lines. */
  comment(text: string): string {
    return text
      .split(/\r?\n/)
      .map((line) => `# ${line}`.trimEnd() + '\n')
      .join('');
  }

  #chunk(chunk: TranscriptChunk): string {
    const prefix = chunk.from === 'client' ? 'C:' : 'S:';
    let out = this.#open === chunk.from ? '@chunk\n' : '';
    let line = '';
    let lineHasContent = false;
    let open = true;
    // Comments of a piece that starts inside a line (built in memory) wait for the line's end.
    let waitingComments = '';
    const endLine = (crlf: boolean): void => {
      if (crlf) line = protectFinalSpace(line);
      out += crlf ? (line === '' ? `${prefix}\n` : `${prefix} ${line}\n`) : `${prefix} ${line}\\\n`;
      out += waitingComments;
      waitingComments = '';
      line = '';
      lineHasContent = false;
    };
    for (const piece of mergeBytePieces(chunk.pieces)) {
      if (piece.kind === 'file' && lineHasContent) endLine(false);
      if (line === '' && !lineHasContent) out += this.comments(piece.comments);
      else waitingComments += this.comments(piece.comments);
      if (piece.kind === 'redacted') {
        line += REDACTED_TEXT;
        lineHasContent = true;
        continue;
      }
      if (piece.kind === 'file') {
        out += `@file ${chunk.from === 'client' ? 'C' : 'S'} ${piece.path}\n`;
        continue;
      }
      const bytes = piece.bytes;
      let start = 0;
      for (let lf = bytes.indexOf(10); lf !== -1; lf = bytes.indexOf(10, start)) {
        const crlf = lf > start ? bytes[lf - 1] === 13 : lineEndsWithCr(line);
        if (crlf) {
          if (lf > start) line += escapeInner(bytes.subarray(start, lf - 1));
          else line = line.slice(0, -2); // the CR escape that ended the previous piece
          endLine(true);
        } else {
          line += escapeInner(bytes.subarray(start, lf + 1));
          endLine(false);
        }
        start = lf + 1;
      }
      if (start < bytes.length) {
        line += escapeInner(bytes.subarray(start));
        lineHasContent = true;
      }
    }
    if (lineHasContent || chunk.pieces.length === 0 || isEmptyChunk(chunk)) {
      endLine(false);
      open = false;
    } else if (line === '' && lastPieceEndsWithoutLf(chunk)) {
      open = false;
    }
    this.#open = open ? chunk.from : undefined;
    return out + waitingComments;
  }
}

/**
 * Joins adjacent byte pieces, so that escaping sees whole runs (a `<redacted>` split in two); a
 * piece with comments starts a run of its own, which keeps them.
 */
function mergeBytePieces(pieces: readonly TranscriptPiece[]): TranscriptPiece[] {
  const out: TranscriptPiece[] = [];
  let run: Uint8Array[] = [];
  let runComments: readonly string[] | undefined;
  const flush = (): void => {
    const comments = runComments === undefined ? {} : { comments: runComments };
    if (run.length === 1) out.push({ kind: 'bytes', bytes: run[0]!, ...comments });
    else if (run.length > 1) out.push({ kind: 'bytes', bytes: Buffer.concat(run), ...comments });
    run = [];
    runComments = undefined;
  };
  for (const piece of pieces) {
    if (piece.kind === 'bytes') {
      if (piece.comments !== undefined) {
        flush();
        runComments = piece.comments;
      }
      run.push(piece.bytes);
    } else {
      flush();
      out.push(piece);
    }
  }
  flush();
  return out;
}

function lineEndsWithCr(line: string): boolean {
  // The escaped line ends with "\r" written by escapeTranscriptBytes, and that backslash is not
  // itself the second half of an escaped backslash.
  if (!line.endsWith('\\r')) return false;
  let backslashes = 0;
  for (let index = line.length - 2; index >= 0 && line[index] === '\\'; index--) backslashes++;
  return backslashes % 2 === 1;
}

function isEmptyChunk(chunk: TranscriptChunk): boolean {
  return chunk.pieces.every((piece) => piece.kind === 'bytes' && piece.bytes.length === 0);
}

function lastPieceEndsWithoutLf(chunk: TranscriptChunk): boolean {
  for (let index = chunk.pieces.length - 1; index >= 0; index--) {
    const piece = chunk.pieces[index]!;
    if (piece.kind === 'file') return false;
    if (piece.kind === 'redacted') return true;
    if (piece.bytes.length > 0) return piece.bytes[piece.bytes.length - 1] !== 10;
  }
  return true;
}

/**
 * Formats a whole transcript. Side-file pieces are written as `@file` lines; write their bytes
 * with {@link saveTranscript}. The comments a parsed transcript holds ({@link TranscriptComments})
 * are written where they stood; blank lines are not kept.
 *
 * @param transcript - what to format.
 * @returns the transcript text, ending with `@end`.
 */
export function formatTranscript(transcript: Transcript): string {
  let out = formatTranscriptHeader(transcript.header);
  const formatter = new TranscriptFormatter();
  transcript.sessions.forEach((session, index) => {
    if (index > 0) out += formatter.connect();
    for (const event of session.events) out += formatter.event(event);
    out += formatter.comments(session.comments);
  });
  return out + formatter.end();
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

interface ChunkBuilder {
  from: TranscriptDirection;
  pieces: TranscriptPiece[];
  /** A following data line of the same direction continues this chunk. */
  open: boolean;
}

/**
 * Parses transcript text.
 *
 * @param text - the transcript.
 * @param options - the file name for errors, and how to read side files.
 * @throws FixtureFormatError naming the line at fault: a missing or wrong magic line, an unknown
 *   header value, a line that is none of the forms of the grammar, a bad escape, a side file that
 *   cannot be read, a missing `@end` (a truncated file) or text after it.
 * @throws InvalidArgumentError when `text` is not a string (a Buffer: decode it first).
 */
export function parseTranscript(text: string, options: ParseTranscriptOptions = {}): Transcript {
  const file = options.file;
  const fail = (message: string, line: number): never => {
    throw new FixtureFormatError(message, line, file);
  };
  if (typeof text !== 'string') throw new InvalidArgumentError(`parseTranscript takes the transcript's text, a string; got ${typeof text}`);
  if (text === '') fail('the transcript is empty', 0);
  // A byte order mark is no content: Windows editors (Notepad) write one before UTF-8 text.
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  const last = lines.pop()!;
  // A final "@end" is complete even without its line feed: editors and tools drop the last one.
  if (last.trimEnd() === '@end') lines.push(last);
  else if (last !== '') fail('the last line has no line feed: the transcript was cut short', lines.length + 1);
  const lineText = (index: number): string => {
    const raw = lines[index]!;
    return raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  };

  if (lineText(0) !== TRANSCRIPT_MAGIC) fail(`the first line must be "${TRANSCRIPT_MAGIC}"`, 1);
  const fields: Record<string, string> = {};
  let index = 1;
  for (; index < lines.length; index++) {
    const match = FIELD_PATTERN.exec(lineText(index));
    if (match === null) break;
    const key = match[1]!;
    if (key in fields) fail(`the header field "${key}" appears twice`, index + 1);
    fields[key] = match[2]!;
  }
  const fieldLine = (key: string): number => {
    for (let at = 1; at < index; at++) if (lineText(at).startsWith(`# ${key}:`)) return at + 1;
    return 1;
  };
  const { protocol, 'recorded-at': recordedAt, server, tls, ...rest } = fields;
  if (protocol === undefined) fail('the header has no "# protocol:" field (imap or pop3)', Math.max(1, index));
  if (!PROTOCOLS.includes(protocol!)) fail(`unknown protocol ${JSON.stringify(protocol)}: imap or pop3`, fieldLine('protocol'));
  if (tls !== undefined && !TLS_MODES.includes(tls)) {
    fail(`unknown tls mode ${JSON.stringify(tls)}: none, implicit or starttls`, fieldLine('tls'));
  }
  const header: TranscriptHeader = {
    protocol: protocol as TranscriptProtocol,
    ...(recordedAt === undefined ? {} : { recordedAt }),
    ...(server === undefined ? {} : { server }),
    ...(tls === undefined ? {} : { tls: tls as TranscriptTlsMode }),
    fields: rest,
  };

  const sessions: TranscriptSession[] = [];
  let events: TranscriptEvent[] = [];
  let chunk: ChunkBuilder | undefined;
  let endLine: number | undefined;
  /** Comment lines read since the last piece, event or session: they go to the next one. */
  let comments: string[] = [];
  const takeComments = (): TranscriptComments => {
    if (comments.length === 0) return {};
    const taken = comments;
    comments = [];
    return { comments: taken };
  };
  const closeChunk = (): void => {
    if (chunk !== undefined) chunk.open = false;
  };
  const chunkFor = (from: TranscriptDirection): ChunkBuilder => {
    if (chunk?.open === true && chunk.from === from) return chunk;
    const created: ChunkBuilder = { from, pieces: [], open: true };
    chunk = created;
    events.push({ kind: 'data', from, pieces: created.pieces, ...takeComments() });
    return created;
  };

  for (; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lineText(index);
    if (endLine !== undefined) {
      if (line.trim() === '') continue;
      // A recorder writes @end after each connection; only a further connection may follow it.
      if (line.trimEnd() !== '@connect') fail('text after the @end line (only @connect may follow it)', lineNumber);
      endLine = undefined;
    }
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      comments.push(line.slice(line.startsWith('# ') ? 2 : 1));
      continue;
    }
    const first = line[0];
    if ((first === 'C' || first === 'S') && line[1] === ':') {
      if (line.length > 2 && line[2] !== ' ') fail('a data line is "C: " or "S: " followed by its content', lineNumber);
      const from: TranscriptDirection = first === 'C' ? 'client' : 'server';
      const { pieces, crlf, endsWithLf } = parseContent(line.slice(3), lineNumber, file);
      const target = chunkFor(from);
      if (crlf) pieces.push({ kind: 'bytes', bytes: CRLF, line: lineNumber });
      // Comments inside a chunk go with the first piece of the line after them.
      if (pieces.length > 0 && comments.length > 0) pieces[0] = { ...pieces[0]!, ...takeComments() };
      for (const piece of pieces) target.pieces.push(piece);
      target.open = crlf || endsWithLf;
      continue;
    }
    if (!line.startsWith('@')) {
      fail(`unrecognised line ${JSON.stringify(truncate(line))}: expected "C: ", "S: ", "@..." or "#..."`, lineNumber);
    }
    const words = line.trimEnd().split(' ');
    const directive = words[0];
    switch (directive) {
      case '@chunk':
        expectWords(words, 1, lineNumber, file);
        closeChunk();
        break;
      case '@tls':
        expectWords(words, 1, lineNumber, file);
        closeChunk();
        events.push({ kind: 'tls', line: lineNumber, ...takeComments() });
        break;
      case '@close': {
        expectWords(words, 2, lineNumber, file);
        const by = words[1];
        if (by !== 'client' && by !== 'server') fail('@close is followed by "client" or "server"', lineNumber);
        closeChunk();
        events.push({ kind: 'close', by: by as TranscriptDirection, line: lineNumber, ...takeComments() });
        break;
      }
      case '@connect':
        expectWords(words, 1, lineNumber, file);
        closeChunk();
        chunk = undefined;
        if (events.length > 0 || sessions.length > 0) {
          sessions.push({ events, ...takeComments() });
          events = [];
        }
        break;
      case '@file': {
        expectWords(words, 3, lineNumber, file);
        const dir = words[1];
        const sidePath = words[2]!;
        if (dir !== 'C' && dir !== 'S') fail('@file is followed by C or S, then the path', lineNumber);
        if (!SIDE_FILE_PATTERN.test(sidePath) || sidePath.split('/').some((part) => part === '..' || part === '.')) {
          fail(`invalid side file path ${JSON.stringify(sidePath)}: a relative path of letters, digits, "._-" and "/"`, lineNumber);
        }
        if (options.readSideFile === undefined) {
          fail(`side file ${sidePath} cannot be read here: load the transcript with loadTranscript()`, lineNumber);
        }
        let bytes: Uint8Array;
        try {
          bytes = options.readSideFile!(sidePath);
        } catch (error) {
          throw new FixtureFormatError(`side file ${sidePath} cannot be read: ${messageOf(error)}`, lineNumber, file, { cause: error });
        }
        const target = chunkFor(dir === 'C' ? 'client' : 'server');
        target.pieces.push({ kind: 'file', path: sidePath, bytes, line: lineNumber, ...takeComments() });
        target.open = true;
        break;
      }
      case '@end':
        expectWords(words, 1, lineNumber, file);
        closeChunk();
        endLine = lineNumber;
        break;
      default:
        fail(`unknown directive ${JSON.stringify(truncate(directive ?? ''))}`, lineNumber);
    }
  }
  if (endLine === undefined) fail('no @end line: the transcript was cut short', lines.length);
  sessions.push({ events, ...takeComments() });
  return { header, sessions, ...(file === undefined ? {} : { file }), endLine };
}

function expectWords(words: readonly string[], count: number, line: number, file: string | undefined): void {
  if (words.length !== count) {
    throw new FixtureFormatError(`${words[0] ?? ''} takes ${count - 1} argument(s), found ${words.length - 1}`, line, file);
  }
}

/** Parses the content of a data line into pieces; reports the line ending it stands for. */
function parseContent(
  content: string,
  line: number,
  file: string | undefined,
): { pieces: TranscriptPiece[]; crlf: boolean; endsWithLf: boolean } {
  const pieces: TranscriptPiece[] = [];
  const bytes: number[] = [];
  let plainStart = 0;
  let crlf = true;
  const flushPlain = (end: number): void => {
    if (end <= plainStart) return;
    const text = content.slice(plainStart, end);
    // Plain ASCII is the common case: one byte a character.
    if (/^[\x20-\x7e]*$/.test(text)) for (let at = 0; at < text.length; at++) bytes.push(text.charCodeAt(at));
    else for (const byte of utf8.encode(text)) bytes.push(byte);
  };
  const flushBytes = (): void => {
    if (bytes.length === 0) return;
    pieces.push({ kind: 'bytes', bytes: Uint8Array.from(bytes), line });
    bytes.length = 0;
  };
  let at = 0;
  while (at < content.length) {
    const char = content[at]!;
    if (char === '<' && content.startsWith(REDACTED_TEXT, at)) {
      flushPlain(at);
      flushBytes();
      pieces.push({ kind: 'redacted', line });
      at += REDACTED_TEXT.length;
      plainStart = at;
      continue;
    }
    if (char !== '\\') {
      at++;
      continue;
    }
    flushPlain(at);
    const next = content[at + 1];
    let length = 2;
    switch (next) {
      case undefined:
        crlf = false;
        length = 1;
        break;
      case '\\':
        bytes.push(0x5c);
        break;
      case 'r':
        bytes.push(0x0d);
        break;
      case 'n':
        bytes.push(0x0a);
        if (at + 2 < content.length && !(at + 3 === content.length && content[at + 2] === '\\')) {
          throw new FixtureFormatError(
            `column ${at + 4}: "\\n" (a line feed) may only end a line, written "\\n\\"`,
            line,
            file,
          );
        }
        break;
      case 't':
        bytes.push(0x09);
        break;
      case 'x': {
        const hex = content.slice(at + 2, at + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          throw new FixtureFormatError(`column ${at + 4}: "\\x" must be followed by two hex digits`, line, file);
        }
        const byte = Number.parseInt(hex, 16);
        if (byte === 0x0a && at + 4 < content.length && !(at + 5 === content.length && content[at + 4] === '\\')) {
          throw new FixtureFormatError(`column ${at + 4}: a line feed may only end a line`, line, file);
        }
        bytes.push(byte);
        length = 4;
        break;
      }
      default:
        throw new FixtureFormatError(
          `column ${at + 4}: unknown escape "\\${next}" (known: \\\\ \\r \\n \\t \\xHH, and a final \\ for "no CRLF")`,
          line,
          file,
        );
    }
    at += length;
    plainStart = at;
  }
  flushPlain(content.length);
  const endsWithLf = bytes.length > 0 && bytes[bytes.length - 1] === 0x0a;
  if (crlf && endsWithLf) {
    throw new FixtureFormatError('a line ending in "\\n" must end with "\\" (it has no CRLF of its own)', line, file);
  }
  flushBytes();
  return { pieces, crlf, endsWithLf };
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/**
 * Reads and parses a transcript file, with the side files it names (relative to its folder).
 *
 * @param file - the transcript's path.
 * @throws FixtureFormatError when it cannot be read, is not UTF-8, or cannot be parsed (naming the line).
 */
export async function loadTranscript(file: string): Promise<Transcript> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new FixtureFormatError(`cannot read the transcript: ${messageOf(error)}`, 0, file, { cause: error });
  }
  return parseTranscript(decodeTranscript(bytes, file), { file, readSideFile: sideFileReader(file) });
}

/**
 * Synchronous {@link loadTranscript}, for module-level fixtures.
 *
 * @param file - the transcript's path.
 * @throws FixtureFormatError when it cannot be read, is not UTF-8, or cannot be parsed (naming the line).
 */
export function loadTranscriptSync(file: string): Transcript {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new FixtureFormatError(`cannot read the transcript: ${messageOf(error)}`, 0, file, { cause: error });
  }
  return parseTranscript(decodeTranscript(bytes, file), { file, readSideFile: sideFileReader(file) });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A transcript is UTF-8: a file saved in another encoding (an editor's Windows-1252) is refused,
 * naming the first line that is not UTF-8, rather than read with its bytes replaced by U+FFFD.
 */
function decodeTranscript(bytes: Uint8Array, file: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (error) {
    const lenient = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    const before = lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD')));
    const line = before.split('\n').length;
    throw new FixtureFormatError('the line is not UTF-8 text (was the transcript saved in another encoding?)', line, file, { cause: error });
  }
}

function sideFileReader(file: string): (relativePath: string) => Uint8Array {
  const folder = path.dirname(file);
  return (relativePath) => readFileSync(path.join(folder, relativePath));
}

/**
 * Writes a transcript and its side files (paths relative to the transcript's folder).
 *
 * @param file - where to write the transcript.
 * @param transcript - what to write.
 */
export async function saveTranscript(file: string, transcript: Transcript): Promise<void> {
  const folder = path.dirname(file);
  for (const session of transcript.sessions) {
    for (const event of session.events) {
      if (event.kind !== 'data') continue;
      for (const piece of event.pieces) {
        if (piece.kind !== 'file') continue;
        const target = path.join(folder, piece.path);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, piece.bytes);
      }
    }
  }
  await writeFile(file, formatTranscript(transcript));
}

// ---------------------------------------------------------------------------------------------
// Helpers for code working on transcripts
// ---------------------------------------------------------------------------------------------

/**
 * The bytes of a chunk, with each redacted piece replaced by `placeholder` (default: the text
 * `<redacted>`).
 *
 * @param chunk - the chunk.
 * @param placeholder - what stands for a redacted piece.
 */
export function chunkBytes(chunk: TranscriptChunk, placeholder: Uint8Array = REDACTED_BYTES): Uint8Array {
  const parts = chunk.pieces.map((piece) => (piece.kind === 'redacted' ? placeholder : piece.bytes));
  return Buffer.concat(parts);
}

/**
 * The first line number any piece of the event carries, if the event was parsed.
 *
 * @param event - the event.
 */
export function eventLine(event: TranscriptEvent): number | undefined {
  if (event.kind !== 'data') return event.line;
  for (const piece of event.pieces) if (piece.line !== undefined) return piece.line;
  return undefined;
}
