/**
 * The command encoder: typed arguments in, wire fragments out, split at literals.
 *
 * It chooses atom, quoted string or literal for each string itself (RFC 9051 section 4.3), uses
 * non-synchronizing literals when LITERAL+ or LITERAL- is offered (RFC 7888), and refuses what the
 * grammar cannot carry (CR, LF, NUL outside literals; NUL in any non-binary literal) and text with a
 * lone UTF-16 surrogate, which has no UTF-8 form. A streamed literal stays a stream: the client
 * copies it to the socket when its turn comes.
 *
 * @packageDocumentation
 */

import { Buffer, isUtf8 } from 'node:buffer';
import { InvalidArgumentError } from '../../common/errors.js';
import { Secret } from '../../common/secret.js';
import type { WirePart } from '../../common/wirelog.js';
import type { CommandArg } from './command-args.js';
import {
  allChars,
  checkAtom,
  checkLiteralStream,
  checkMailboxName,
  checkNumber,
  checkRaw,
  checkSecretRaw,
  checkUtf8Text,
  isAtom,
  isAtomCharCode,
} from './command-args.js';
import { encodeModifiedUtf7, isInbox } from './modified-utf7.js';

/** A piece of an encoded command. */
export type CommandFragment =
  /**
   * Text to send. Ends with CRLF: either the command's end, or right after a literal
   * announcement (`{12}` / `{12+}`), in which case a `literal` or `literal-stream` fragment follows.
   */
  | { readonly kind: 'line'; readonly parts: readonly WirePart[] }
  /**
   * A literal's bytes. `sync`: send them only after the server's `+` continuation (or fail the
   * command on a tagged NO/BAD); `nonsync`: send them right away (LITERAL+ / LITERAL-).
   */
  | {
      readonly kind: 'literal';
      readonly bytes: Uint8Array;
      readonly mode: 'sync' | 'nonsync';
      /**
       * Set when the literal carries a secret (a LOGIN password that needed a literal): write this
       * instead of `bytes` so the wire log and recorders redact it. Same bytes on the wire.
       */
      readonly secret?: Secret;
    }
  /**
   * A streamed literal: `size` bytes to be read from `source` and written as they arrive, after
   * the `+` continuation for `sync` (the announcement ends the `line` fragment before it).
   */
  | {
      readonly kind: 'literal-stream';
      readonly source: AsyncIterable<Uint8Array | string>;
      readonly size: number;
      readonly mode: 'sync' | 'nonsync';
    };

/** What the encoder may rely on. */
export interface EncoderOptions {
  /** The server offers LITERAL+ (RFC 7888): every literal can be non-synchronizing. */
  readonly literalPlus?: boolean;
  /** The server offers LITERAL- (RFC 7888), or speaks IMAP4rev2, which includes it: literals up to 4096 bytes can be non-synchronizing. */
  readonly literalMinus?: boolean;
  /** UTF8=ACCEPT is enabled (RFC 6855) or IMAP4rev2: quoted strings and mailbox names may be UTF-8. */
  readonly utf8Accept?: boolean;
  /** Literals may be used at all (default true). False: strings that need one are refused. */
  readonly allowLiterals?: boolean;
  /**
   * Mailbox names a server listed in a form that encoding their decoded name does not give back
   * (invalid or non-canonical modified UTF-7), or with a control character other than CR, LF and
   * NUL (a TAB): decoded name to the name as listed, which is sent instead (used unless
   * {@link EncoderOptions.utf8Accept}). Only such names may hold those control characters.
   */
  readonly listedNames?: ReadonlyMap<string, string>;
}

/** Longest string sent quoted; longer ones become literals. */
const MAX_QUOTED_LENGTH = 1024;
/** RFC 7888 section 4: LITERAL- allows non-synchronizing literals up to this size. */
const LITERAL_MINUS_MAX = 4096;

const encoder = new TextEncoder();

/**
 * Encodes one command.
 *
 * @example
 * ```ts
 * encodeCommand('A1', 'LOGIN', [astring('joe'), secret(new Secret('pa ss'))]);
 * // [{ kind: 'line', parts: ['A1 LOGIN joe ', Secret('"pa ss"'), '\r\n'] }]
 * encodeCommand('A2', 'SELECT', [mailbox('Entwürfe')]);
 * // [{ kind: 'line', parts: ['A2 SELECT Entw&APw-rfe\r\n'] }]
 * ```
 * @param tag - the command tag (1*ASTRING-CHAR except `+`).
 * @param command - the command name, possibly several atoms (`UID FETCH`).
 * @param args - the arguments, in order.
 * @param options - what the server allows.
 * @returns the fragments to send, in order.
 * @throws InvalidArgumentError when the tag, command or an argument cannot be encoded.
 */
export function encodeCommand(
  tag: string,
  command: string,
  args: readonly CommandArg[],
  options: EncoderOptions = {},
): CommandFragment[] {
  // tag = 1*<any ASTRING-CHAR except "+">
  if (tag.length === 0 || !allChars(tag, (code) => (isAtomCharCode(code) || code === 0x5d) && code !== 0x2b)) throw new InvalidArgumentError(`Invalid tag: ${JSON.stringify(tag)}`);
  if (!command.split(' ').every(isAtom)) throw new InvalidArgumentError(`Invalid command name: ${JSON.stringify(command)}`);
  const writer = new FragmentWriter(options);
  writer.text(`${tag} ${command}`);
  for (const arg of args) {
    writer.text(' ');
    writer.arg(arg);
  }
  return writer.finish();
}

/**
 * Encodes a continuation line of the client (an AUTHENTICATE response, `DONE` after IDLE).
 *
 * @param text - the line, without CRLF; a Secret stays redacted in the wire log.
 * @returns one `line` fragment.
 * @throws InvalidArgumentError when the text contains CR, LF or NUL.
 */
export function encodeContinuation(text: string | Secret): CommandFragment[] {
  const value = typeof text === 'string' ? text : text.reveal();
  if (/[\r\n\0]/.test(value)) throw new InvalidArgumentError('A continuation line cannot contain CR, LF or NUL');
  return [{ kind: 'line', parts: [text, '\r\n'] }];
}

/** Collects parts, merging adjacent text, and cuts fragments at literals. */
class FragmentWriter {
  private readonly options: EncoderOptions;
  private readonly fragments: CommandFragment[] = [];
  private parts: WirePart[] = [];
  private pending = '';

  constructor(options: EncoderOptions) {
    this.options = options;
  }

  text(value: string): void {
    this.pending += value;
  }

  private part(value: WirePart): void {
    if (this.pending.length > 0) this.parts.push(this.pending);
    this.pending = '';
    this.parts.push(value);
  }

  private flushLine(): void {
    this.parts.push(this.pending + '\r\n');
    this.pending = '';
    this.fragments.push({ kind: 'line', parts: this.parts });
    this.parts = [];
  }

  finish(): CommandFragment[] {
    this.flushLine();
    return this.fragments;
  }

  arg(arg: CommandArg): void {
    // The helpers check what they build, but CommandArg is public and a custom command may build
    // its arguments itself: what goes on the line verbatim is checked again (a CRLF in an atom
    // would end the command there and start another).
    switch (arg.kind) {
      case 'atom':
        checkAtom(arg.value);
        this.text(arg.value);
        break;
      case 'raw':
        checkRaw(arg.text);
        this.text(arg.text);
        break;
      case 'number':
        checkNumber(arg.value);
        this.text(String(arg.value));
        break;
      case 'astring':
        this.string(toBytes(arg.value), true, false);
        break;
      case 'string':
        this.string(toBytes(arg.value), false, false);
        break;
      case 'nstring':
        if (arg.value === null) this.text('NIL');
        else this.string(toBytes(arg.value), false, false);
        break;
      case 'mailbox':
      case 'list-mailbox': {
        const name = arg.kind === 'mailbox' ? arg.name : arg.pattern;
        if (arg.kind === 'mailbox') checkMailboxName(name, 'Mailbox name', (listed) => this.options.listedNames?.has(listed) === true);
        else checkMailboxName(name, 'Mailbox pattern');
        const wire =
          isInbox(name)
            ? 'INBOX'
            : this.options.utf8Accept === true
              ? name
              : (arg.kind === 'mailbox' ? this.options.listedNames?.get(name) : undefined) ?? encodeModifiedUtf7(name);
        // list-mailbox = 1*list-char / string; list-char = ATOM-CHAR / list-wildcards / resp-specials.
        // NIL is a list-mailbox by the grammar, but a server may read it as NIL: quoted, as an astring is.
        if (arg.kind === 'list-mailbox' && wire.length > 0 && allChars(wire, isListChar) && !isNilText(wire)) this.text(wire);
        else this.string(utf8(wire, arg.kind === 'mailbox' ? 'A mailbox name' : 'A mailbox pattern'), true, false);
        break;
      }
      case 'secret':
        // The message names no part of the secret.
        this.string(utf8(arg.value.reveal(), 'A secret (password)'), true, true);
        break;
      case 'secret-raw':
        checkSecretRaw(arg.value);
        this.part(arg.value);
        break;
      case 'literal':
        this.literal(arg.bytes, arg.binary);
        break;
      case 'literal-stream': {
        // Its NUL bytes cannot be checked in advance: without `binary` the server refuses them.
        checkLiteralStream(arg.source, arg.size);
        const mode = this.announce(arg.size, arg.binary);
        this.fragments.push({ kind: 'literal-stream', source: arg.source, size: arg.size, mode });
        break;
      }
      case 'list':
      case 'concat':
        if (arg.kind === 'list') this.text('(');
        arg.items.forEach((item, index) => {
          if (index > 0 && arg.kind === 'list') this.text(' ');
          this.arg(item);
        });
        if (arg.kind === 'list') this.text(')');
        break;
    }
  }

  /** Chooses atom, quoted or literal for a string value. */
  private string(bytes: Uint8Array, atomAllowed: boolean, sensitive: boolean): void {
    const shape = classify(bytes);
    if (shape.nul) throw new InvalidArgumentError('A string argument cannot contain NUL');
    // RFC 6855 section 3: under UTF8=ACCEPT a quoted string may carry UTF-8, and only UTF-8; other
    // 8-bit bytes (Latin-1 text given as bytes) go as a literal, unchanged.
    const quotable8Bit = shape.eightBit && this.options.utf8Accept === true && isUtf8(bytes);
    let form: 'atom' | 'quoted' | 'literal';
    if (bytes.length === 0) form = 'quoted';
    else if (shape.crlf || (shape.eightBit && !quotable8Bit) || bytes.length > MAX_QUOTED_LENGTH) form = 'literal';
    else if (atomAllowed && shape.atom && !isNil(bytes)) form = 'atom';
    else form = 'quoted';
    if (form === 'literal' && this.options.allowLiterals === false) {
      if (shape.crlf || shape.eightBit) {
        throw new InvalidArgumentError('This argument needs a literal (CR, LF or 8-bit data) but literals are not allowed here');
      }
      form = 'quoted';
    }
    if (form === 'literal') {
      this.literal(bytes, false, sensitive);
      return;
    }
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString(shape.eightBit ? 'utf8' : 'latin1');
    const wire = form === 'atom' ? text : `"${text.replace(/["\\]/g, '\\$&')}"`;
    if (sensitive) this.part(new Secret(wire));
    else this.text(wire);
  }

  private literal(bytes: Uint8Array, binary: boolean, sensitive = false): void {
    if (!binary && bytes.includes(0)) throw new InvalidArgumentError('A literal cannot contain NUL; use a binary literal (literal8)');
    const mode = this.announce(bytes.length, binary, sensitive);
    this.fragments.push(
      sensitive ? { kind: 'literal', bytes, mode, secret: new Secret(Buffer.from(bytes).toString('utf8')) } : { kind: 'literal', bytes, mode },
    );
  }

  /**
   * Ends the current line with a literal announcement (`{n}`, `{n+}`, `~{n}`) and says how to send
   * it. A secret's size is a Secret too: it would give the password's length to the wire log.
   */
  private announce(size: number, binary: boolean, sensitive = false): 'sync' | 'nonsync' {
    const nonsync = this.options.literalPlus === true || (this.options.literalMinus === true && size <= LITERAL_MINUS_MAX);
    this.text(`${binary ? '~' : ''}{`);
    if (sensitive) this.part(new Secret(String(size)));
    else this.text(String(size));
    this.text(`${nonsync ? '+' : ''}}`);
    this.flushLine();
    return nonsync ? 'nonsync' : 'sync';
  }
}

function isListChar(code: number): boolean {
  return isAtomCharCode(code) || code === 0x25 || code === 0x2a || code === 0x5d;
}

function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? utf8(value, 'A string argument') : value;
}

/**
 * The UTF-8 form of text the caller gave, the one place the encoder turns text into bytes: text
 * with a lone surrogate is refused, since TextEncoder would silently send U+FFFD in its place.
 *
 * @throws InvalidArgumentError naming `what` (never the text, which may be a secret).
 */
function utf8(text: string, what: string): Uint8Array {
  checkUtf8Text(text, what);
  return encoder.encode(text);
}

interface Shape {
  readonly nul: boolean;
  readonly crlf: boolean;
  readonly eightBit: boolean;
  readonly atom: boolean;
}

/* ASTRING-CHAR = ATOM-CHAR / resp-specials */
function classify(bytes: Uint8Array): Shape {
  let nul = false;
  let crlf = false;
  let eightBit = false;
  let atomChars = true;
  for (const byte of bytes) {
    if (byte === 0) nul = true;
    else if (byte === 0x0d || byte === 0x0a) crlf = true;
    else if (byte >= 0x80) eightBit = true;
    if (atomChars && (byte <= 0x20 || byte >= 0x7f || byte === 0x28 || byte === 0x29 || byte === 0x7b ||
      byte === 0x25 || byte === 0x2a || byte === 0x22 || byte === 0x5c)) {
      atomChars = false;
    }
  }
  return { nul, crlf, eightBit, atom: atomChars };
}

/** NIL in any case; asked only of list-chars, which are ASCII. */
function isNilText(text: string): boolean {
  return text.length === 3 && text.toUpperCase() === 'NIL';
}

function isNil(bytes: Uint8Array): boolean {
  return bytes.length === 3 && (bytes[0]! | 0x20) === 0x6e && (bytes[1]! | 0x20) === 0x69 && (bytes[2]! | 0x20) === 0x6c;
}
