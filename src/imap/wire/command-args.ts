/**
 * The typed arguments of an IMAP command, and the helpers that build them.
 *
 * Callers say what an argument *is* (an astring, a mailbox name, a secret, a list); the
 * {@link encodeCommand | encoder} decides how it goes on the wire.
 *
 * @packageDocumentation
 */

import { InvalidArgumentError } from '../../common/errors.js';
import type { Secret } from '../../common/secret.js';
import { hasLoneSurrogate } from '../../common/text.js';
import { formatImapDate, formatImapDateTime } from './date.js';
import type { SequenceSet } from './sequence-set.js';

/** One argument of a command. Build them with the helper functions of this module. */
export type CommandArg =
  /** An atom, sent verbatim (validated: ATOM-CHARs only). */
  | { readonly kind: 'atom'; readonly value: string }
  /** A non-negative integer. */
  | { readonly kind: 'number'; readonly value: number | bigint }
  /** An astring: atom, quoted or literal, as the encoder sees fit. */
  | { readonly kind: 'astring'; readonly value: string | Uint8Array }
  /** A string: quoted or literal, never an atom. */
  | { readonly kind: 'string'; readonly value: string | Uint8Array }
  /** A string or NIL. */
  | { readonly kind: 'nstring'; readonly value: string | null }
  /** A mailbox name, encoded to modified UTF-7 (or sent as UTF-8 under UTF8=ACCEPT). */
  | { readonly kind: 'mailbox'; readonly name: string }
  /** A LIST/LSUB pattern: like a mailbox name, but `%` and `*` stay wildcards. */
  | { readonly kind: 'list-mailbox'; readonly pattern: string }
  /** An astring that must never reach the wire log (LOGIN password). */
  | { readonly kind: 'secret'; readonly value: Secret }
  /**
   * Secret text sent verbatim, never quoted nor a literal, and redacted in the wire log (the SASL-IR
   * initial response of AUTHENTICATE). Printable ASCII without spaces; the encoder refuses anything else.
   */
  | { readonly kind: 'secret-raw'; readonly value: Secret }
  /** Always a literal (APPEND message data); `binary` makes it a literal8 (`~{n}`). */
  | { readonly kind: 'literal'; readonly bytes: Uint8Array; readonly binary: boolean }
  /**
   * A literal of a size known in advance whose bytes come from a stream (APPEND of a stream): the
   * client announces `{size}` and writes the chunks as they arrive, never holding them all.
   */
  | {
      readonly kind: 'literal-stream';
      readonly source: AsyncIterable<Uint8Array | string>;
      readonly size: number;
      readonly binary: boolean;
    }
  /** A parenthesized list, items separated by spaces. */
  | { readonly kind: 'list'; readonly items: readonly CommandArg[] }
  /** Items written one after the other with no separator (`BODY.PEEK[HEADER.FIELDS (A B)]<0.10>`). */
  | { readonly kind: 'concat'; readonly items: readonly CommandArg[] }
  /** Pre-formatted ASCII text sent as is (validated: printable ASCII only). */
  | { readonly kind: 'raw'; readonly text: string };

/**
 * An atom argument (a command keyword, `(FLAGS)` item name, `CHARSET` name...).
 *
 * @param value - 1*ATOM-CHAR; refused otherwise.
 * @throws InvalidArgumentError when the value is not an atom.
 */
export function atom(value: string): CommandArg {
  checkAtom(value);
  return { kind: 'atom', value };
}

/**
 * Refuses an {@link atom} value that is not 1*ATOM-CHAR.
 *
 * @internal
 */
export function checkAtom(value: string): void {
  if (!isAtom(value)) throw new InvalidArgumentError(`Not an IMAP atom: ${JSON.stringify(value)}`);
}

/**
 * Tells whether a string is a valid atom (1*ATOM-CHAR).
 *
 * @param value - the candidate.
 * @returns true when it can be sent as an atom.
 */
export function isAtom(value: string): boolean {
  return value.length > 0 && allChars(value, isAtomCharCode);
}

/**
 * Tells whether a UTF-16 code unit is an ATOM-CHAR.
 *
 * ```
 * ATOM-CHAR       = <any CHAR except atom-specials>
 * atom-specials   = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
 * ```
 *
 * @internal
 */
export function isAtomCharCode(code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== 0x28 && code !== 0x29 && code !== 0x7b && code !== 0x25 &&
    code !== 0x2a && code !== 0x22 && code !== 0x5c && code !== 0x5d;
}

/** @internal */
export function allChars(value: string, test: (code: number) => boolean): boolean {
  for (let i = 0; i < value.length; i++) if (!test(value.charCodeAt(i))) return false;
  return true;
}

/**
 * A number argument.
 *
 * @param value - a non-negative safe integer or bigint.
 * @throws InvalidArgumentError for negative or non-integral values.
 */
export function num(value: number | bigint): CommandArg {
  checkNumber(value);
  return { kind: 'number', value };
}

/**
 * Refuses a {@link num} value that is not a non-negative safe integer or bigint.
 *
 * @internal
 */
export function checkNumber(value: number | bigint): void {
  if (typeof value === 'bigint' ? value < 0n : !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`Not a non-negative integer: ${String(value)}`);
  }
}

/** The largest mod-sequence value (RFC 7162 section 7: 1 to 9223372036854775807). */
const MAX_MODSEQ = 2n ** 63n - 1n;

/**
 * A mod-sequence argument (MODSEQ, UNCHANGEDSINCE, CHANGEDSINCE).
 *
 * @param value - from 0 to 2^63-1.
 * @throws InvalidArgumentError outside that range, or for a non-integral value.
 */
export function modSequence(value: number | bigint): CommandArg {
  const arg = num(value);
  if (BigInt(value) > MAX_MODSEQ) throw new InvalidArgumentError(`A mod-sequence is at most ${MAX_MODSEQ}, got ${String(value)}`);
  return arg;
}

/**
 * An astring argument (user names, header names, search strings...).
 *
 * @param value - text (sent as UTF-8) or bytes.
 */
export function astring(value: string | Uint8Array): CommandArg {
  return { kind: 'astring', value };
}

/**
 * A string argument (quoted or literal, never an atom).
 *
 * @param value - text (sent as UTF-8) or bytes.
 */
export function str(value: string | Uint8Array): CommandArg {
  return { kind: 'string', value };
}

/**
 * An nstring argument (ID parameter values, METADATA values): NIL for null.
 *
 * @param value - text or null.
 */
export function nstring(value: string | null): CommandArg {
  return { kind: 'nstring', value };
}

/**
 * Refuses a mailbox name (or LIST pattern) with a character no mailbox name may hold: RFC 9051
 * section 5.1 and RFC 6855 section 3 (Net-Unicode, RFC 5198 section 2) forbid the C0 and C1
 * controls, DEL, and the line and paragraph separators. In modified UTF-7 they would be encoded
 * and sent all the same, and CR or LF would make the name a literal.
 *
 * A name the server itself listed is the exception (Exchange lists names with TABs): `listed` says
 * so, and is asked only once such a character is found. CR, LF and NUL are refused all the same.
 *
 * @param listed - tells whether the server listed this very name in the session.
 * @throws InvalidArgumentError naming the first character refused.
 * @internal
 */
export function checkMailboxName(name: string, what = 'Mailbox name', listed?: (name: string) => boolean): void {
  let wasListed = false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (isNameControlCode(code)) {
      const neverSent = code === 0x00 || code === 0x0a || code === 0x0d;
      if (!neverSent && (wasListed ||= listed?.(name) === true)) continue;
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      throw new InvalidArgumentError(`${what} cannot contain control characters (U+${hex}): ${JSON.stringify(name)}`);
    }
  }
}

/**
 * Tells whether a mailbox name holds a character checkMailboxName refuses in a name of the
 * caller's own.
 *
 * @internal
 */
export function hasNameControl(name: string): boolean {
  return !allChars(name, (code) => !isNameControlCode(code));
}

/** The C0 and C1 controls, DEL, U+2028 and U+2029: never in a mailbox name (see checkMailboxName). */
function isNameControlCode(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/**
 * Refuses text with a lone UTF-16 surrogate (half of a pair, as when an emoji is cut in two): such
 * text has no UTF-8 form, and TextEncoder would send U+FFFD in its place.
 *
 * @param what - names the argument in the error (never the text itself, which may be a secret).
 * @throws InvalidArgumentError
 * @internal
 */
export function checkUtf8Text(text: string, what: string): void {
  if (hasLoneSurrogate(text)) throw new InvalidArgumentError(`${what} holds half of a UTF-16 surrogate pair, which has no UTF-8 form`);
}

/**
 * A mailbox name argument.
 *
 * @param name - the name as the user sees it; `INBOX` in any case means the inbox.
 */
export function mailbox(name: string): CommandArg {
  return { kind: 'mailbox', name };
}

/**
 * A LIST pattern argument (`%` and `*` are wildcards).
 *
 * @param pattern - the pattern, e.g. `Archive/%`.
 */
export function listMailbox(pattern: string): CommandArg {
  return { kind: 'list-mailbox', pattern };
}

/**
 * A secret astring (LOGIN password): the wire log shows `<redacted>`.
 *
 * @param value - the secret.
 */
export function secret(value: Secret): CommandArg {
  return { kind: 'secret', value };
}

/**
 * A secret sent verbatim on the command line (the SASL-IR initial response of AUTHENTICATE): never
 * quoted, never a literal, whatever its length, and shown as `<redacted>` in the wire log.
 *
 * ```
 * authenticate    = "AUTHENTICATE" SP auth-type [SP (base64 / "=")] *(CRLF base64)   ; RFC 4959 section 7
 * ```
 *
 * @param value - the secret: one or more printable ASCII characters other than space.
 * @throws InvalidArgumentError when it is empty or holds a space, a control character (CR, LF, NUL...)
 *   or a non-ASCII character; the message does not show the value.
 */
export function secretRaw(value: Secret): CommandArg {
  checkSecretRaw(value);
  return { kind: 'secret-raw', value };
}

/**
 * Refuses a {@link secretRaw} value that cannot go on the line as one token.
 *
 * @internal
 */
export function checkSecretRaw(value: Secret): void {
  const text = value.reveal();
  if (text.length === 0 || !allChars(text, (code) => code > 0x20 && code < 0x7f)) {
    throw new InvalidArgumentError('A raw secret argument must be printable ASCII without spaces (and is not shown here)');
  }
}

/**
 * A literal argument (APPEND message data).
 *
 * @param bytes - the data.
 * @param binary - send as literal8 (`~{n}`, RFC 3516) so NUL bytes are allowed.
 */
export function literal(bytes: Uint8Array, binary = false): CommandArg {
  return { kind: 'literal', bytes, binary };
}

/**
 * A streamed literal argument (APPEND of a stream whose size is known): the bytes are read from
 * `source` only while the command is being sent, and written to the socket chunk by chunk with
 * backpressure. The announced size is binding: a source that delivers more or fewer bytes, or
 * fails, makes the client close the connection (see {@link ImapClient.append}).
 *
 * @param source - the bytes, as chunks (strings are sent as UTF-8); read once.
 * @param size - the exact number of bytes the source delivers.
 * @param binary - send as literal8 (`~{n}`, RFC 3516) so NUL bytes are allowed.
 * @throws InvalidArgumentError when the size is not a non-negative safe integer, or the source is not
 *   an async iterable.
 */
export function literalStream(source: AsyncIterable<Uint8Array | string>, size: number, binary = false): CommandArg {
  checkLiteralStream(source, size);
  return { kind: 'literal-stream', source, size, binary };
}

/**
 * Refuses a {@link literalStream} that could not keep the promise of its announcement: a size that
 * is no byte count, or a source that is no async iterable (found out only after `{size}` was sent).
 *
 * @internal
 */
export function checkLiteralStream(source: AsyncIterable<Uint8Array | string>, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`Invalid literal size: ${size}`);
  if (typeof (source as Partial<AsyncIterable<unknown>> | null)?.[Symbol.asyncIterator] !== 'function') {
    throw new InvalidArgumentError('A streamed literal needs an async iterable source (a Readable, an async generator)');
  }
}

/**
 * A parenthesized list.
 *
 * @param items - its items.
 */
export function list(...items: CommandArg[]): CommandArg {
  return { kind: 'list', items };
}

/**
 * Items written back to back, without spaces.
 *
 * @param items - the items.
 */
export function concat(...items: CommandArg[]): CommandArg {
  return { kind: 'concat', items };
}

/**
 * Pre-formatted text (a fetch item like `BODY.PEEK[1.2]<0.100>`, a flag like `\Seen`).
 *
 * @param text - printable ASCII.
 * @throws InvalidArgumentError when it contains control characters or 8-bit characters.
 */
export function raw(text: string): CommandArg {
  checkRaw(text);
  return { kind: 'raw', text };
}

/**
 * Refuses {@link raw} text that is empty or not printable ASCII.
 *
 * @internal
 */
export function checkRaw(text: string): void {
  if (typeof text !== 'string' || text.length === 0 || !allChars(text, (code) => code >= 0x20 && code <= 0x7e)) {
    throw new InvalidArgumentError(`Not printable ASCII: ${JSON.stringify(text)}`);
  }
}

/**
 * A flag (`\Seen`, `$Forwarded`, `Junk`).
 *
 * @param name - a system flag (backslash and atom) or a keyword atom.
 * @throws InvalidArgumentError when the name is not a valid flag.
 */
export function flag(name: string): CommandArg {
  const body = name.startsWith('\\') ? name.slice(1) : name;
  if (!isAtom(body)) throw new InvalidArgumentError(`Not a valid flag: ${JSON.stringify(name)}`);
  return { kind: 'raw', text: name };
}

/**
 * A sequence set (`1:5,7,9:*`).
 *
 * @param set - the set.
 */
export function sequenceSet(set: SequenceSet): CommandArg {
  return { kind: 'raw', text: set.toString() };
}

/**
 * A SEARCH date (`1-Feb-2024`, UTC calendar day).
 *
 * @param date - the day.
 */
export function date(date: Date): CommandArg {
  return { kind: 'raw', text: formatImapDate(date) };
}

/**
 * An APPEND date-time (`" 1-Feb-2024 09:05:00 +0000"`).
 *
 * @param date - the instant.
 */
export function dateTime(date: Date): CommandArg {
  return { kind: 'raw', text: `"${formatImapDateTime(date)}"` };
}

/** A FETCH body item to ask for: which section, with or without PEEK, and which bytes. */
export interface BodySectionRequest {
  /** `BINARY[...]` (RFC 3516: the server decodes the transfer encoding) instead of `BODY[...]`. */
  readonly binary?: boolean;
  /** Leave \Seen alone (`BODY.PEEK`, `BINARY.PEEK`). Default true. */
  readonly peek?: boolean;
  /** The part path (`[1, 2]` for `1.2`); empty or absent for the whole message. */
  readonly part?: readonly number[];
  /** The section text (not with `binary`; `MIME` only with a `part`). */
  readonly text?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** The header field names for HEADER.FIELDS(.NOT). */
  readonly fields?: readonly string[];
  /** A partial fetch: `<offset.length>`. */
  readonly partial?: { readonly offset: number; readonly length: number };
}

/**
 * A FETCH body item: `BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100>`.
 *
 * ```
 * fetch-att       =/ "BODY" [".PEEK"] section [partial] / "BINARY" [".PEEK"] section-binary [partial]
 * partial         = "<" number64 "." nz-number64 ">"
 * ```
 *
 * @example
 * ```ts
 * bodySection({ text: 'HEADER.FIELDS', fields: ['From', 'Subject'] }); // BODY.PEEK[HEADER.FIELDS (From Subject)]
 * bodySection({ part: [2], binary: true, partial: { offset: 0, length: 1024 } }); // BINARY.PEEK[2]<0.1024>
 * ```
 * @param request - what to fetch.
 * @throws InvalidArgumentError for invalid part numbers, field names or ranges, or MIME without a part.
 */
export function bodySection(request: BodySectionRequest = {}): CommandArg {
  const part = request.part ?? [];
  if (!part.every((n) => Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError('Part numbers must be positive integers');
  if (request.binary === true && request.text !== undefined) throw new InvalidArgumentError('BINARY sections take no section text');
  // section-text = section-msgtext / "MIME", after a section-part only: MIME needs a part number.
  if (request.text === 'MIME' && part.length === 0) throw new InvalidArgumentError('MIME needs a part number (BODY[1.MIME]); the message header is HEADER');
  const fields = request.fields ?? [];
  const withFields = request.text === 'HEADER.FIELDS' || request.text === 'HEADER.FIELDS.NOT';
  if (withFields !== fields.length > 0) throw new InvalidArgumentError('HEADER.FIELDS(.NOT) needs field names, and only it takes them');
  const names = fields.map(headerFieldName);
  const spec = [part.join('.'), request.text ?? ''].filter((piece) => piece.length > 0).join('.');
  const items: CommandArg[] = [{ kind: 'raw', text: `${request.binary === true ? 'BINARY' : 'BODY'}${request.peek === false ? '' : '.PEEK'}[${spec}` }];
  if (withFields) items.push({ kind: 'raw', text: ` (${names.join(' ')})` });
  items.push({ kind: 'raw', text: ']' });
  if (request.partial !== undefined) {
    const { offset, length } = request.partial;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1) {
      throw new InvalidArgumentError('A partial fetch needs offset >= 0 and length >= 1');
    }
    items.push({ kind: 'raw', text: `<${offset}.${length}>` });
  }
  return { kind: 'concat', items };
}

/**
 * A header field name of `HEADER.FIELDS (...)` as it goes on the wire: checked, then an atom or a
 * quoted string.
 *
 * ```
 * header-list     = "(" header-fld-name *(SP header-fld-name) ")"
 * header-fld-name = astring
 * field-name      = 1*ftext        ; RFC 5322 section 3.6.8
 * ftext           = %d33-57 / %d59-126   ; printable US-ASCII except ":"
 * ```
 *
 * `]` is refused too, though RFC 5322 allows it: servers and readers (this one included) end the
 * section at the first `]` they meet. A name that is no atom (`X%Y`, `P(a)`, `NIL`) is quoted.
 *
 * @param name - the field name.
 * @returns the name, quoted when it is not an atom.
 * @throws InvalidArgumentError for an empty name, or one with SP, controls, 8-bit characters, `:` or `]`.
 * @internal
 */
export function headerFieldName(name: string): string {
  if (name.length === 0 || !allChars(name, (code) => code > 0x20 && code < 0x7f && code !== 0x3a && code !== 0x5d)) {
    throw new InvalidArgumentError(`Not a header field name: ${JSON.stringify(name)}`);
  }
  return isAtom(name) && name.toUpperCase() !== 'NIL' ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
}
