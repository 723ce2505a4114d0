/**
 * The client's secrets in the text of a replay mismatch. A mismatch shows the line the client sent
 * (see {@link FixtureMismatchError}); that line may hold a password, and error messages end up in
 * CI logs. The recorder redacts exactly the parts the clients send as `Secret`s; a replay (over a
 * socket above all) sees only bytes, so the same parts are found by the commands' grammar:
 *
 * - IMAP `LOGIN`: every argument after the user name; a password sent as a literal has its size
 *   (`{<redacted>+}`) and its content redacted (RFC 9051 section 6.2.3);
 * - IMAP `AUTHENTICATE`: the initial response, and each line the client sends while the server
 *   asks for more (`+ ...`), until its answer (RFC 9051 section 6.2.2);
 * - POP3 `PASS` (the rest of the line: a password may hold spaces), the `APOP` digest, the `AUTH`
 *   initial response and the responses to its challenges (RFC 1939 section 7, RFC 5034 section 4);
 * - whatever the transcript itself redacts (the bytes a `<redacted>` field matched).
 *
 * @packageDocumentation
 * @internal
 */
import { REDACTED_TEXT, escapeInner, protectFinalSpace } from './transcript.js';

/** Where the client's current line starts. */
interface LineState {
  /** IMAP: literal bytes still to come before the command text goes on. */
  readonly literal: number;
  /** Whether that literal is a secret (a LOGIN password). */
  readonly literalSecret: boolean;
  /** IMAP: the command a literal interrupted, and the index of its argument after the literal. */
  readonly continues: { readonly command: string; readonly argument: number } | undefined;
}

type Range = readonly [start: number, end: number];

const FRESH: LineState = { literal: 0, literalSecret: false, continues: undefined };

/** A line longer than this loses its start: it is shown redacted as a whole. */
const MAX_LINE = 64 * 1024;
/** How much of a long line a mismatch shows, before and after the place where it differs. */
export const SHOWN = 4096;

/** What the scan of one line found. */
interface Scan {
  readonly secrets: Range[];
  readonly next: LineState;
  /** A complete AUTHENTICATE/AUTH line: the client's next lines answer the server's challenges. */
  readonly startsSasl: boolean;
}

/** Follows the client's bytes (and the server's line starts) to show a client line without its secrets. */
export class ClientSecrets {
  readonly #imap: boolean;
  #state: LineState = FRESH;
  #line: Buffer[] = [];
  #lineLength = 0;
  /** Ranges of the current line the transcript redacted. */
  #redacted: Range[] = [];
  #overflow = false;
  #sasl = false;
  /** The server's current line: whether its start is known, and its first two bytes. */
  #serverStart: number[] | undefined = [];

  /** @param imap - IMAP (else POP3). */
  constructor(imap: boolean) {
    this.#imap = imap;
  }

  /**
   * Client bytes that matched the transcript, in order.
   *
   * @param bytes - the bytes.
   * @param redacted - they matched a `<redacted>` field.
   */
  client(bytes: Uint8Array, redacted: boolean): void {
    let at = 0;
    while (at < bytes.length) {
      const lf = bytes.indexOf(10, at);
      const end = lf === -1 ? bytes.length : lf + 1;
      this.#append(bytes.subarray(at, end), redacted);
      if (lf !== -1) this.#endLine();
      at = end;
    }
  }

  /** Server bytes sent to the client: a line other than a continuation request ends a SASL exchange. */
  server(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const start = this.#serverStart;
      if (start !== undefined) {
        const byte = bytes[at]!;
        start.push(byte);
        if (start.length === 2 || byte === 10) {
          // `+ ...`, `+` alone: the server asks for more. `+OK`, `-ERR`, a tagged or untagged line: it answered.
          const continuation = start[0] === 0x2b && (start[1] === 0x20 || start[1] === 13 || start[1] === 10);
          if (!continuation) this.#sasl = false;
          this.#serverStart = undefined;
        }
        if (byte === 10) this.#serverStart = [];
        at++;
        continue;
      }
      const lf = bytes.indexOf(10, at);
      if (lf === -1) return;
      this.#serverStart = [];
      at = lf + 1;
    }
  }

  /**
   * The client's current line as a transcript would show it (`C: ...`), secrets redacted.
   *
   * @param rest - the bytes received after what matched, up to the end of the line.
   * @param fromLineStart - show the line from its start (else only `rest`).
   */
  format(rest: Uint8Array, fromLineStart: boolean): string {
    const consumed = this.#lineLength;
    const line = Buffer.concat([...this.#line, rest]);
    const secrets = this.#overflow ? [[0, line.length] as const] : [...this.#redacted, ...this.#scan(line).secrets];
    const from = fromLineStart ? Math.max(0, consumed - SHOWN) : consumed;
    return `C: ${formatMasked(line, secrets, from, consumed + SHOWN)}`;
  }

  #append(bytes: Uint8Array, redacted: boolean): void {
    if (bytes.length === 0) return;
    if (redacted) this.#redacted.push([this.#lineLength, this.#lineLength + bytes.length]);
    this.#lineLength += bytes.length;
    if (this.#lineLength > MAX_LINE) {
      // The line's start is kept no longer: it is scanned no more, and shown redacted.
      this.#overflow = true;
      this.#line = [];
      return;
    }
    this.#line.push(Buffer.from(bytes));
  }

  #endLine(): void {
    if (this.#overflow) {
      // Its grammar is unknown: a literal goes on, or the next line is taken for a new command.
      const literal = this.#state.literal - this.#lineLength;
      this.#state = literal > 0 ? { ...this.#state, literal } : FRESH;
    } else {
      const scan = this.#scan(Buffer.concat(this.#line));
      this.#state = scan.next;
      if (scan.startsSasl) this.#sasl = true;
    }
    this.#line = [];
    this.#lineLength = 0;
    this.#redacted = [];
    this.#overflow = false;
  }

  #scan(line: Buffer): Scan {
    return this.#imap ? scanImapLine(this.#state, line, this.#sasl) : scanPop3Line(line, this.#sasl);
  }
}

/** The end of a line's text: before its CRLF (or LF). */
function textEnd(line: Uint8Array): number {
  let end = line.length;
  if (end > 0 && line[end - 1] === 10) end--;
  if (end > 0 && line[end - 1] === 13) end--;
  return end;
}

function scanPop3Line(line: Buffer, sasl: boolean): Scan {
  const end = textEnd(line);
  const text = line.toString('latin1', 0, end);
  const complete = end < line.length;
  if (sasl) return { secrets: [[0, end]], next: FRESH, startsSasl: false };
  // PASS takes the rest of the line (RFC 1939 section 7: a password may hold spaces).
  const secret = /^(PASS |APOP \S+ |AUTH \S+ )/i.exec(text);
  const startsSasl = complete && /^AUTH \S+/i.test(text);
  return { secrets: secret === null ? [] : [[secret[1]!.length, end]], next: FRESH, startsSasl };
}

function scanImapLine(state: LineState, line: Buffer, sasl: boolean): Scan {
  const secrets: Range[] = [];
  // The rest of a literal comes first (RFC 9051 section 4.3: any bytes, line ends included).
  const at = Math.min(state.literal, line.length);
  if (state.literalSecret && at > 0) secrets.push([0, at]);
  if (state.literal > at || (at === line.length && at > 0)) {
    return { secrets, next: { ...state, literal: state.literal - at }, startsSasl: false };
  }
  const end = textEnd(line);
  const complete = end < line.length;
  const text = line.toString('latin1', at, Math.max(at, end));
  let command: string;
  let argument: number;
  let position: number;
  if (state.continues !== undefined) {
    ({ command, argument } = state.continues);
    position = 0;
  } else {
    // A SASL response is one base64 string (or `*`): no space, unlike a command.
    if (sasl && !text.includes(' ')) return { secrets: [[0, end]], next: FRESH, startsSasl: false };
    const head = /^\S+ (\S+)/.exec(text);
    command = head?.[1]?.toUpperCase() ?? '';
    argument = 0;
    position = head?.[0].length ?? text.length;
  }
  // LOGIN user password, AUTHENTICATE mechanism initial-response: what follows the first argument.
  const secretFrom = command === 'LOGIN' || command === 'AUTHENTICATE' ? 1 : Infinity;
  let next: LineState = FRESH;
  while (position < text.length) {
    while (text[position] === ' ') position++;
    if (position >= text.length) break;
    const start = position;
    const literal = /^\{(\d+)(\+?)\}$/.exec(text.slice(position));
    if (literal !== null) {
      // A literal announcement ends the line; its content follows on the next. A secret's size
      // is redacted too, as the recorder does (`{<redacted>+}`).
      const secret = argument >= secretFrom;
      if (secret) secrets.push([at + start + 1, at + start + 1 + literal[1]!.length]);
      if (complete) next = { literal: Number(literal[1]), literalSecret: secret, continues: { command, argument: argument + 1 } };
      break;
    }
    if (text[position] === '"') {
      position++;
      while (position < text.length && text[position] !== '"') position += text[position] === '\\' ? 2 : 1;
      position = Math.min(text.length, position + 1);
    } else {
      while (position < text.length && text[position] !== ' ') position++;
    }
    if (argument >= secretFrom) secrets.push([at + start, at + position]);
    argument++;
  }
  return { secrets, next, startsSasl: complete && command === 'AUTHENTICATE' && next.literal === 0 };
}

/**
 * `line` from `from` up to `to`, as in a transcript, each secret range written `<redacted>`; a line
 * cut at `to` is shown as a piece of a line (ending in `\`).
 */
function formatMasked(line: Buffer, secrets: readonly Range[], from: number, to: number): string {
  const end = textEnd(line);
  const hasCrlf = end === line.length - 2 && line[end] === 13 && to >= end;
  const textLength = Math.min(hasCrlf ? end : line.length, to);
  const secret = new Uint8Array(textLength);
  for (const [start, stop] of secrets) secret.fill(1, Math.max(0, start), Math.min(textLength, stop));
  let out = '';
  let index = from;
  let lastSecret = false;
  while (index < textLength) {
    let stop = index;
    const kind = secret[index];
    while (stop < textLength && secret[stop] === kind) stop++;
    out += kind === 1 ? REDACTED_TEXT : escapeInner(line.subarray(index, stop));
    lastSecret = kind === 1;
    index = stop;
  }
  if (!lastSecret) out = protectFinalSpace(out);
  return hasCrlf ? out : `${out}\\`;
}
