/**
 * The POP3 codec: status lines, CAPA, listings and command lines, as bytes and strings. No socket.
 *
 * Grammar references are RFC 1939 (POP3), RFC 2449 (extension mechanism, response codes),
 * RFC 3206 (SYS and AUTH response codes), RFC 5034 (SASL) and RFC 6856 (UTF8, LANG).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, LimitExceededError, ProtocolError, UnsupportedError, type ResponseCodeName } from '../common/errors.js';
import { md5Available } from '../common/md5.js';
import { Secret } from '../common/secret.js';
import { hasLoneSurrogate } from '../common/text.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/** Decodes server text for humans: UTF-8, invalid sequences replaced (never thrown on). */
export function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

// ---------------------------------------------------------------------------------------------
// Status lines
// ---------------------------------------------------------------------------------------------

/** What a POP3 server line says about the command it answers. */
export type Pop3StatusKind = 'ok' | 'err' | 'continue';

/** A decoded POP3 status line (`+OK ...`, `-ERR ...`) or SASL continuation (`+ base64`). */
export interface Pop3Status {
  /** `ok` for `+OK`, `err` for `-ERR`, `continue` for a SASL challenge line (`+ ...`). */
  readonly kind: Pop3StatusKind;
  /** The RFC 2449 response code, upper-cased, without its brackets (`IN-USE`, `SYS/TEMP`). */
  readonly responseCode: ResponseCodeName | undefined;
  /**
   * The text after the status and the response code, trimmed. For `continue`, the challenge as
   * sent (base64, possibly empty).
   */
  readonly text: string;
}

/**
 * Parses one server line (without its line ending) as a status line.
 *
 * ```abnf
 * single-line   = status [SP text] CRLF                 ; RFC 2449 section 9
 * status        = "+OK" / "-ERR"
 * text          = *schar / resp-code *CHAR
 * continue-req  = "+" SP [base64] CRLF                  ; RFC 5034 section 4
 * ```
 *
 * Lenient in: the status is matched case-insensitively, a TAB is accepted where SP is, and a bare
 * `+` is read as an empty continuation (some servers omit the SP).
 *
 * @throws ProtocolError when the line is neither.
 */
export function parseStatusLine(line: Uint8Array, offset = 0): Pop3Status {
  const first = line[0];
  if (first === PLUS) {
    if (hasStatusWord(line, 'OK')) return withResponseCode('ok', line.subarray(3));
    // "+" SP [base64], or a bare "+".
    if (line.length === 1 || isBlank(line[1])) {
      return { kind: 'continue', responseCode: undefined, text: decodeText(line.subarray(2)).trim() };
    }
  }
  if (first === MINUS && hasStatusWord(line, 'ERR')) return withResponseCode('err', line.subarray(4));
  throw new ProtocolError('Expected a POP3 status line (+OK or -ERR)', { offset, snippet: snippetOf(line) });
}

/** True when `line` is `+word` or `-word` followed by end of line, SP or TAB. */
function hasStatusWord(line: Uint8Array, word: string): boolean {
  if (line.length < word.length + 1) return false;
  for (let i = 0; i < word.length; i++) {
    const byte = line[i + 1] ?? 0;
    // ASCII upper-casing: clear bit 5 of letters.
    if ((byte & 0xdf) !== word.charCodeAt(i)) return false;
  }
  const after = line[word.length + 1];
  return after === undefined || isBlank(after);
}

function isBlank(byte: number | undefined): boolean {
  return byte === SP || byte === 0x09;
}

/**
 * ```abnf
 * resp-code   = "[" resp-level *("/" resp-level) "]"    ; RFC 2449 section 8
 * resp-level  = 1*rchar
 * rchar       = %x21-2E / %x30-5C / %x5E-7F
 * ```
 */
function withResponseCode(kind: 'ok' | 'err', rest: Uint8Array): Pop3Status {
  const text = decodeText(rest).trim();
  if (text.charCodeAt(0) !== 0x5b) return { kind, responseCode: undefined, text }; // no "[": no code
  const match = /^\[([\x21-\x5c\x5e-\x7e]+)\]\s*/.exec(text);
  if (match === null || !isResponseCode(match[1] ?? '')) return { kind, responseCode: undefined, text };
  return { kind, responseCode: (match[1] ?? '').toUpperCase(), text: text.slice(match[0].length) };
}

function isResponseCode(code: string): boolean {
  return code.split('/').every((level) => level.length > 0);
}

/**
 * Extracts the APOP timestamp (RFC 1939 section 7) from a greeting's text: the last
 * `<...@...>` msg-id. `undefined` when the server did not offer one.
 *
 * ```abnf
 * msg-id        = "<" addr-spec ">"                ; RFC 822 section 6.1
 * quoted-string = DQUOTE *(qtext / quoted-pair) DQUOTE
 * ```
 * A quoted local part may hold a space or a `>`; outside quotes, the characters of an atom, dots
 * and the brackets of a domain literal. A `"` outside a quoted string is not taken, so that quotes
 * cannot pair up in more than one way (which would make the search exponential).
 */
export function parseApopTimestamp(greetingText: string): string | undefined {
  const matches = greetingText.match(/<(?:"(?:[^"\\\r\n]|\\.)*"|[\x21\x23-\x3b\x3d\x3f-\x7e])*@[\x21-\x3b\x3d\x3f-\x7e]*>/g);
  return matches === null ? undefined : matches[matches.length - 1];
}

/**
 * The APOP digest: MD5 of the timestamp followed by the shared secret, as 32 lower-case hex digits
 * (RFC 1939 section 7). Returned as a {@link Secret}, since it authenticates a session.
 *
 * @throws UnsupportedError when this Node.js has no MD5 (FIPS mode).
 */
export function apopDigest(timestamp: string, password: string | Secret): Secret {
  if (!md5Available()) throw new UnsupportedError('APOP needs MD5, which this Node.js build does not provide (FIPS mode?)');
  const hash = createHash('md5');
  hash.update(timestamp, 'utf8');
  hash.update(Secret.from(password).reveal(), 'utf8');
  return new Secret(hash.digest('hex'));
}

// ---------------------------------------------------------------------------------------------
// Multi-line listings
// ---------------------------------------------------------------------------------------------

/**
 * Splits dot-unstuffed multi-line data into text lines as chunks arrive, without keeping the
 * chunks (they are views valid only during the callback). CRLF and bare LF both end a line.
 */
export class LineSplitter {
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  readonly #maxLineLength: number;
  readonly #onLine: (line: string) => void;

  /**
   * @param onLine - called with each complete line, decoded as UTF-8, line ending removed.
   * @param maxLineLength - a line longer than this throws LimitExceededError('maxLineLength').
   */
  constructor(onLine: (line: string) => void, maxLineLength: number) {
    this.#onLine = onLine;
    this.#maxLineLength = maxLineLength;
  }

  /** Feeds a chunk of data. */
  push(chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) break;
      this.#emit(chunk.subarray(start, lf));
      start = lf + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#partialLength += rest.length;
      // The last byte may be the CR of the coming CRLF, which does not count.
      this.#checkLength(rest[rest.length - 1] === CR ? this.#partialLength - 1 : this.#partialLength);
      this.#partial.push(rest.slice());
    }
  }

  /** The data ended: a last line without a line ending is still a line. */
  end(): void {
    if (this.#partialLength > 0) this.#emit(new Uint8Array(0));
  }

  #emit(tail: Uint8Array): void {
    let line = tail;
    if (this.#partialLength > 0) {
      line = concatBytes([...this.#partial, tail]);
      this.#partial = [];
      this.#partialLength = 0;
    }
    // The limit counts the line without its ending, as the tokenizer counts status lines.
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    this.#checkLength(end);
    this.#onLine(decodeText(line.subarray(0, end)));
  }

  #checkLength(length: number): void {
    if (length > this.#maxLineLength) throw new LimitExceededError('maxLineLength', this.#maxLineLength, length);
  }
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** One entry of a LIST answer. */
export interface Pop3ListEntry {
  /** The message number, fixed for the session. */
  readonly number: number;
  /** The size in octets, as the server counts it (with CRLF line endings). */
  readonly size: number;
}

/** One entry of a UIDL answer. */
export interface Pop3UidlEntry {
  /** The message number, fixed for the session. */
  readonly number: number;
  /** The unique-id: 1 to 70 characters in the range 0x21 to 0x7E, stable across sessions. */
  readonly uid: string;
}

/** The answer to STAT. */
export interface Pop3Stat {
  /** The number of messages in the maildrop, not counting those marked deleted. */
  readonly count: number;
  /** Their total size in octets. */
  readonly size: number;
}

const DECIMAL = /^\d{1,15}$/;

/**
 * ```abnf
 * scan-listing = msg SP octets *(SP mumble)   ; RFC 1939 section 5, LIST (and STAT's drop listing)
 * ```
 * Lenient in: runs of SP or TAB separate the fields.
 */
export function parseScanListing(text: string, what: string): Pop3ListEntry {
  const [first, second] = text.trim().split(/[ \t]+/);
  if (first === undefined || second === undefined || !DECIMAL.test(first) || !DECIMAL.test(second)) {
    throw new ProtocolError(`Malformed ${what} listing`, { snippet: text.slice(0, 80) });
  }
  return { number: Number(first), size: Number(second) };
}

/** Parses STAT's `+OK count octets` text (RFC 1939 section 5, "drop listing"). */
export function parseStat(text: string): Pop3Stat {
  const entry = parseScanListing(text, 'STAT');
  return { count: entry.number, size: entry.size };
}

/**
 * ```abnf
 * unique-id-listing = msg SP unique-id         ; RFC 1939 section 7, UIDL
 * unique-id         = 1*70(%x21-7E)
 * ```
 * Lenient in: runs of SP or TAB separate the fields; a unique-id over 70 characters is accepted.
 */
export function parseUniqueIdListing(text: string): Pop3UidlEntry {
  const [first, second] = text.trim().split(/[ \t]+/);
  if (first === undefined || second === undefined || !DECIMAL.test(first) || !/^[\x21-\x7e]+$/.test(second)) {
    throw new ProtocolError('Malformed UIDL listing', { snippet: text.slice(0, 80) });
  }
  return { number: Number(first), uid: second };
}

/** One language offered by the LANG command (RFC 6856 section 3). */
export interface Pop3Language {
  /** The language tag (RFC 5646), e.g. `en` or `fr-CA`; `*` is not listed. */
  readonly tag: string;
  /** The server's description of it, in that language. */
  readonly description: string;
}

/**
 * ```abnf
 * lang-listing = lang-tag SP description       ; RFC 6856 section 3
 * ```
 */
export function parseLanguageListing(text: string): Pop3Language {
  const trimmed = text.trim();
  const space = trimmed.search(/[ \t]/);
  if (space === -1) return { tag: trimmed, description: '' };
  return { tag: trimmed.slice(0, space), description: trimmed.slice(space + 1).trim() };
}

// ---------------------------------------------------------------------------------------------
// CAPA
// ---------------------------------------------------------------------------------------------

/**
 * What the server said it supports, from CAPA (RFC 2449). Fields are `false`/empty when the tag
 * was absent; {@link Pop3Capabilities.raw} keeps every tag, including ones not known here.
 */
export interface Pop3Capabilities {
  /** `TOP`: the TOP command is available. */
  readonly top: boolean;
  /** `USER`: USER/PASS login is available. */
  readonly user: boolean;
  /** `SASL`: the AUTH mechanisms offered, upper-cased (e.g. `PLAIN`, `SCRAM-SHA-256`). */
  readonly sasl: readonly string[];
  /** `RESP-CODES`: -ERR lines may carry response codes. */
  readonly respCodes: boolean;
  /** `AUTH-RESP-CODE` (RFC 3206): the AUTH, SYS/TEMP and SYS/PERM codes are used. */
  readonly authRespCode: boolean;
  /**
   * `LOGIN-DELAY`: the minimum seconds between logins, and whether it may vary per user
   * (`USER`, announced after login). `undefined` when not announced.
   */
  readonly loginDelay: { readonly seconds: number; readonly perUser: boolean } | undefined;
  /** `PIPELINING`: the client may send several commands without waiting. */
  readonly pipelining: boolean;
  /**
   * `EXPIRE`: days the server keeps messages (`'never'`, `0` for "deleted once retrieved"),
   * and whether it varies per user. `undefined` when not announced.
   */
  readonly expire: { readonly days: number | 'never'; readonly perUser: boolean } | undefined;
  /** `UIDL`: the UIDL command is available. */
  readonly uidl: boolean;
  /** `IMPLEMENTATION`: the server's self-description, if given. */
  readonly implementation: string | undefined;
  /** `STLS` (RFC 2595): the STLS command is available. */
  readonly stls: boolean;
  /** `UTF8` (RFC 6856): the UTF8 command is available; `user` when USER/PASS then accept UTF-8. */
  readonly utf8: { readonly user: boolean } | undefined;
  /** `LANG` (RFC 6856): the LANG command is available. */
  readonly lang: boolean;
  /** Every tag, upper-cased, with its arguments as sent. */
  readonly raw: ReadonlyMap<string, readonly string[]>;
}

/** Capabilities of a server that offered none (CAPA failed or was never asked). */
export const NO_CAPABILITIES: Pop3Capabilities = Object.freeze({
  top: false,
  user: false,
  sasl: Object.freeze([]),
  respCodes: false,
  authRespCode: false,
  loginDelay: undefined,
  pipelining: false,
  expire: undefined,
  uidl: false,
  implementation: undefined,
  stls: false,
  utf8: undefined,
  lang: false,
  raw: new Map<string, readonly string[]>(),
});

/**
 * Parses the lines of a CAPA answer (RFC 2449 section 5).
 *
 * ```abnf
 * capability = cname *(SP param) CRLF
 * cname      = param
 * param      = 1*schar
 * ```
 * Lenient in: blank lines are skipped, runs of blanks separate parameters, a malformed number
 * in LOGIN-DELAY or EXPIRE leaves that field `undefined` rather than failing the login.
 */
export function parseCapabilities(lines: readonly string[]): Pop3Capabilities {
  const raw = new Map<string, readonly string[]>();
  for (const line of lines) {
    const words = line.trim().split(/[ \t]+/).filter((word) => word.length > 0);
    const name = words.shift();
    if (name === undefined) continue;
    raw.set(name.toUpperCase(), words);
  }
  const args = (name: string): readonly string[] | undefined => raw.get(name);
  const isUser = (value: string | undefined): boolean => value?.toUpperCase() === 'USER';

  const loginDelayArgs = args('LOGIN-DELAY');
  const loginDelaySeconds = loginDelayArgs?.[0];
  const expireArgs = args('EXPIRE');
  const expireDays = expireArgs?.[0];
  const utf8Args = args('UTF8');
  const implementation = args('IMPLEMENTATION');

  return {
    top: raw.has('TOP'),
    user: raw.has('USER'),
    sasl: (args('SASL') ?? []).map((mechanism) => mechanism.toUpperCase()),
    respCodes: raw.has('RESP-CODES'),
    authRespCode: raw.has('AUTH-RESP-CODE'),
    loginDelay:
      loginDelaySeconds !== undefined && DECIMAL.test(loginDelaySeconds)
        ? { seconds: Number(loginDelaySeconds), perUser: isUser(loginDelayArgs?.[1]) }
        : undefined,
    pipelining: raw.has('PIPELINING'),
    expire:
      expireDays === undefined
        ? undefined
        : expireDays.toUpperCase() === 'NEVER'
          ? { days: 'never', perUser: isUser(expireArgs?.[1]) }
          : DECIMAL.test(expireDays)
            ? { days: Number(expireDays), perUser: isUser(expireArgs?.[1]) }
            : undefined,
    uidl: raw.has('UIDL'),
    implementation: implementation === undefined ? undefined : implementation.join(' '),
    stls: raw.has('STLS'),
    utf8: utf8Args === undefined ? undefined : { user: isUser(utf8Args[0]) },
    lang: raw.has('LANG'),
    raw,
  };
}

// ---------------------------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------------------------

/** RFC 2449 section 4: a command line is at most 255 octets, CRLF included. */
export const MAX_COMMAND_LINE = 255;

/** An argument of a command line: plain text, or a secret that the wire log must redact. */
export type Pop3Argument = string | Secret;

/** A command line ready for the transport, and how it may be shown (secrets redacted). */
export interface Pop3CommandLine {
  /** Text and secret parts, CRLF included; the transport writes them in order. */
  readonly parts: readonly (string | Secret)[];
  /** The command as it may appear in errors and logs: keyword, then arguments or `<redacted>`. */
  readonly display: string;
}

/** Options of {@link encodeCommand}. */
export interface EncodeCommandOptions {
  /**
   * The last argument is the rest of the line: it may hold spaces (RFC 1939 section 7 lets PASS
   * treat spaces as part of the password), though the 255-octet line limit still applies. No
   * argument has RFC 1939's 40-character limit, which RFC 2449 section 4 lifted.
   */
  readonly restOfLine?: boolean;
}

/**
 * Encodes `keyword SP arg ... CRLF`, refusing what the grammar does not allow before anything is
 * sent: CR, LF or NUL anywhere, a lone UTF-16 surrogate (it has no UTF-8 form), an empty argument,
 * a space inside an argument (but in a last argument that is the rest of the line), or a line over
 * 255 octets (RFC 2449 section 4; the error names the line's length only when the line holds no
 * secret). No error repeats an argument.
 *
 * ```abnf
 * command = keyword *(SP argument) CRLF        ; RFC 2449 section 4
 * keyword = 3*4VCHAR
 * ```
 *
 * @throws InvalidArgumentError
 */
export function encodeCommand(
  keyword: string,
  args: readonly Pop3Argument[] = [],
  options: EncodeCommandOptions = {},
): Pop3CommandLine {
  if (!/^[A-Za-z0-9]{3,4}$/.test(keyword)) throw new InvalidArgumentError(`Invalid POP3 keyword: ${JSON.stringify(keyword)}`);
  const parts: (string | Secret)[] = [keyword];
  const display: string[] = [keyword];
  let octets = keyword.length + 2;
  args.forEach((arg, index) => {
    const value = arg instanceof Secret ? arg.reveal() : arg;
    const what = `argument ${index + 1} of ${keyword}`;
    const restOfLine = options.restOfLine === true && index === args.length - 1;
    if (value.length === 0) throw new InvalidArgumentError(`The ${what} is empty`);
    if (/[\r\n\0]/.test(value)) throw new InvalidArgumentError(`The ${what} contains CR, LF or NUL`);
    // Encoded, a lone surrogate would go out as U+FFFD: another tag, name or password than asked for.
    if (hasLoneSurrogate(value)) throw new InvalidArgumentError(`The ${what} holds half of a UTF-16 surrogate pair, which has no UTF-8 form`);
    if (!restOfLine) {
      // RFC 1939's 40-character arguments were lifted by RFC 2449 section 4: only the 255-octet
      // line limit remains (user names are often whole e-mail addresses).
      if (/[ \t]/.test(value)) throw new InvalidArgumentError(`The ${what} contains a space`);
    }
    octets += 1 + encoder.encode(value).length;
    parts.push(' ', arg);
    display.push(arg instanceof Secret ? '<redacted>' : arg);
  });
  if (octets > MAX_COMMAND_LINE) {
    // The length of a line holding a secret would tell the secret's length: not said.
    const size = args.some((arg) => arg instanceof Secret) ? 'would be' : `would be ${octets} octets,`;
    throw new InvalidArgumentError(`The ${keyword} command line ${size} over ${MAX_COMMAND_LINE} octets (RFC 2449)`);
  }
  parts.push('\r\n');
  return { parts: mergeText(parts), display: display.join(' ') };
}

/**
 * `keyword n...` for a command whose arguments are numbers already checked by
 * {@link checkMessageNumber} or {@link checkLineCount}: the decimal form of a non-negative safe
 * integer (at most 16 digits) meets every rule {@link encodeCommand} enforces, so RETR, the one
 * command sent a thousand times in a row, skips them.
 *
 * @param keyword - a valid keyword (`RETR`, `TOP`, `DELE`, `LIST`, `UIDL`).
 * @param first - a checked non-negative safe integer.
 * @param second - another, for TOP.
 */
export function encodeNumericCommand(keyword: string, first: number, second?: number): Pop3CommandLine {
  const display = second === undefined ? `${keyword} ${first}` : `${keyword} ${first} ${second}`;
  return { parts: [`${display}\r\n`], display };
}

/** Joins adjacent strings so the transport gets few parts (secrets stay separate). */
function mergeText(parts: readonly (string | Secret)[]): (string | Secret)[] {
  const merged: (string | Secret)[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === 'string' && typeof last === 'string') merged[merged.length - 1] = last + part;
    else merged.push(part);
  }
  return merged;
}

/**
 * Checks a message number: a positive safe integer (RFC 1939 section 3, "msg").
 *
 * @throws InvalidArgumentError
 */
export function checkMessageNumber(value: number, what = 'message number'): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`The ${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Checks TOP's line count: a non-negative safe integer (RFC 1939 section 7).
 *
 * @throws InvalidArgumentError
 */
export function checkLineCount(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`The line count must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** A short printable excerpt of bytes for error messages. */
export function snippetOf(bytes: Uint8Array): string {
  return decodeText(bytes.subarray(0, 80)).replace(/[^\x20-\x7e]/g, '.');
}

/** Encodes bytes as base64 (for SASL responses). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
