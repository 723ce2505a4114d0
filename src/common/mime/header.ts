/**
 * A small RFC 5322 header parser: unfold, split into fields, read address lists leniently.
 *
 * Enough for a message list built from `BODY.PEEK[HEADER]` (IMAP) or `TOP n 0` (POP3); not a
 * full MIME parser.
 *
 * @packageDocumentation
 */

import { decodeDisplayName, decodeEncodedWords, decodeUtf8OrLatin1, decodeValidUtf8 } from './encoded-word.js';

/** One header field. */
export interface HeaderField {
  /** The field name as sent (`Subject`). */
  readonly name: string;
  /** The value, unfolded, leading whitespace removed, encoded words not decoded. */
  readonly value: string;
}

/** One mailbox of an address list. */
export interface MailAddress {
  /** The display name (encoded words decoded, quotes removed), or null. */
  readonly name: string | null;
  /** The `local@domain` address (may be empty for a malformed entry with only a name). */
  readonly address: string;
  /** The RFC 5322 group this address was listed in, or null. */
  readonly group: string | null;
}

/**
 * Unfolds a header value (RFC 5322 section 2.2.3): removes each CRLF that precedes whitespace.
 *
 * @param value - a possibly folded value.
 * @returns the unfolded value.
 */
export function unfoldHeaderValue(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '');
}

/**
 * Header bytes as text: UTF-8 (which covers ASCII and RFC 6532), or, line by line, Latin-1 for a
 * line that is not valid UTF-8 (raw 8-bit text from old mailers), as parameter values without a
 * charset are read. Line by line, so that one such line leaves the UTF-8 of the others as it is.
 */
function decodeHeaderBytes(header: Uint8Array): string {
  const whole = decodeValidUtf8(header);
  if (whole !== null) return whole;
  let text = '';
  let start = 0;
  while (start < header.length) {
    const newline = header.indexOf(0x0a, start);
    const end = newline === -1 ? header.length : newline + 1;
    text += decodeUtf8OrLatin1(header.subarray(start, end));
    start = end;
  }
  return text;
}

/**
 * Splits a message header into fields.
 *
 * Lenient: bare LF line ends, a missing blank line at the end and lines without a colon (skipped)
 * are accepted. Parsing stops at the first empty line (the end of the header).
 *
 * @example
 * ```ts
 * parseHeaderFields('Subject: Hi\r\n there\r\nFrom: a@b.c\r\n\r\n');
 * // [{ name: 'Subject', value: 'Hi there' }, { name: 'From', value: 'a@b.c' }]
 * ```
 * @param header - the header, as bytes (decoded as UTF-8, which covers ASCII and RFC 6532; a line
 *   that is not valid UTF-8 as Latin-1) or text.
 * @returns the fields in order.
 */
export function parseHeaderFields(header: Uint8Array | string): HeaderField[] {
  const text = typeof header === 'string' ? header : decodeHeaderBytes(header);
  const fields: HeaderField[] = [];
  let name: string | null = null;
  let value = '';
  const flush = (): void => {
    if (name !== null) fields.push({ name, value: value.trim() });
    name = null;
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.length === 0) break;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (name !== null) value += line;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    name = line.slice(0, colon).trim();
    value = line.slice(colon + 1);
  }
  flush();
  return fields;
}

/**
 * Looks a field up by name (case-insensitively).
 *
 * @param fields - parsed fields.
 * @param name - the field name.
 * @returns the first value, or undefined.
 */
export function getHeaderValue(fields: readonly HeaderField[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return fields.find((field) => field.name.toLowerCase() === wanted)?.value;
}

/*
 * address-list    = (address *("," address)) / obs-addr-list
 * address         = mailbox / group
 * mailbox         = name-addr / addr-spec
 * name-addr       = [display-name] angle-addr
 * group           = display-name ":" [group-list] ";" [CFWS]
 */
/**
 * Parses an address list (From, To, Cc...) leniently: quoted names, comments, groups,
 * missing angle brackets, stray commas and semicolons between addresses are all handled; encoded
 * words in names are decoded.
 *
 * @example
 * ```ts
 * parseAddressList('"Doe, Jane" <jane@example.com>, team: a@x.y, b@x.y;');
 * // [{ name: 'Doe, Jane', address: 'jane@example.com', group: null },
 * //  { name: null, address: 'a@x.y', group: 'team' }, { name: null, address: 'b@x.y', group: 'team' }]
 * ```
 * @param value - the field value (folded or not).
 * @returns the addresses.
 */
export function parseAddressList(value: string): MailAddress[] {
  const text = unfoldHeaderValue(value);
  const out: MailAddress[] = [];
  let group: string | null = null;
  let phrase = '';
  /** The phrase's characters that stood outside quotes. */
  let bare = '';
  let comment = '';
  let angle: string | null = null;
  let quotedName = false;
  const flush = (): void => {
    const trimmed = phrase.trim();
    let name: string | null;
    let address: string;
    if (angle !== null) {
      address = angle.trim();
      name = trimmed.length > 0 ? trimmed : null;
    } else if (/\s/.test(trimmed) && !quotedName) {
      // "jane@example.com Jane" style garbage: take the word with the @ as the address.
      const words = trimmed.split(/\s+/);
      const at = words.findIndex((word) => word.includes('@'));
      address = at === -1 ? '' : words.splice(at, 1)[0]!;
      name = words.join(' ') || null;
    } else if (quotedName && (address = bareAddress(bare)).length > 0) {
      name = withoutWord(trimmed, address);
    } else {
      address = quotedName ? '' : trimmed;
      name = quotedName ? trimmed : null;
    }
    if (name === null && comment.trim().length > 0) name = comment.trim();
    if (address.length > 0 || name !== null) {
      out.push({ name: name === null ? null : decodeDisplayName(name), address, group });
    }
    phrase = '';
    bare = '';
    comment = '';
    angle = null;
    quotedName = false;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      let end = i + 1;
      let content = '';
      while (end < text.length && text[end] !== '"') {
        if (text[end] === '\\' && end + 1 < text.length) end++;
        content += text[end]!;
        end++;
      }
      phrase += content;
      quotedName = true;
      i = end;
    } else if (char === '(') {
      let depth = 1;
      let end = i + 1;
      while (end < text.length && depth > 0) {
        // ccontent = ctext / quoted-pair / comment (RFC 5322 section 3.2.2): `\)` is text.
        if (text[end] === '\\' && end + 1 < text.length) end++;
        else if (text[end] === '(') depth++;
        else if (text[end] === ')') depth--;
        if (depth > 0) comment += text[end]!;
        end++;
      }
      i = end - 1;
    } else if (char === '<') {
      const end = angleEnd(text, i + 1);
      angle = withoutRoute(addrSpecWithoutCfws(text.slice(i + 1, end === -1 ? text.length : end)));
      i = end === -1 ? text.length : end;
    } else if (char === ':' && angle === null && group === null && !phrase.includes('@')) {
      group = decodeEncodedWords(phrase.trim());
      phrase = '';
      bare = '';
      quotedName = false;
    } else if (char === ';' && group !== null) {
      flush();
      group = null;
    } else if (char === ',' || char === ';') {
      // Quirk: a ";" outside a group separates addresses, as some mail programs write lists.
      flush();
    } else {
      phrase += char;
      bare += char;
    }
  }
  flush();
  return out;
}

/**
 * An address in angle brackets without its comments and blanks (RFC 5322 section 3.4.1: CFWS may
 * stand around the `@` and the dots, as in appendix A.5's `<pete(his account)@silly.test(his host)>`);
 * a quoted local part is kept as it is.
 */
function addrSpecWithoutCfws(spec: string): string {
  if (!/\(|\S\s+\S/.test(spec)) return spec; // the usual case: nothing to take out (flush trims)
  let out = '';
  for (let i = 0; i < spec.length; i++) {
    const char = spec[i]!;
    if (char === '\\' && i + 1 < spec.length) {
      out += char + spec[i + 1]!;
      i++;
    } else if (char === '(') {
      i = commentEnd(spec, i) - 1;
    } else if (char === '"') {
      const close = quotedEnd(spec, i);
      out += spec.slice(i, close);
      i = close - 1;
    } else if (!/\s/.test(char)) {
      out += char;
    }
  }
  return out;
}

/*
 * obs-angle-addr  = [CFWS] "<" obs-route addr-spec ">" [CFWS]
 * obs-route       = obs-domain-list ":"
 * obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain])
 * (the domains may be domain literals, whose brackets can hold a colon)
 */
const OBS_ROUTE = /^\s*@(?:[^\s:,"[\]]+|\[[^\]]*\])(?:\s*,\s*(?:@(?:[^\s:,"[\]]+|\[[^\]]*\]))?)*\s*:/;

/**
 * An address in angle brackets without its source route (RFC 5322 section 4.4: `<@node.test:mary@example.net>`
 * is `mary@example.net`); the route names relays, not the mailbox, and a reply to it would fail.
 */
function withoutRoute(spec: string): string {
  return spec.replace(OBS_ROUTE, '');
}

/**
 * The index of the `>` closing an angle address whose content starts at `start`, or -1: a `>` in a
 * quoted local part or a comment (`<"a>b"@example.com>`, `<pete(x>y)@silly.test>`) is not it.
 */
function angleEnd(text: string, start: number): number {
  const fast = text.indexOf('>', start);
  // The usual case: no quote, comment or escape before the first `>`.
  if (fast === -1 || !/["(\\]/.test(text.slice(start, fast))) return fast;
  for (let i = start; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\') i++;
    else if (char === '(') i = commentEnd(text, i) - 1;
    else if (char === '"') i = quotedEnd(text, i) - 1;
    else if (char === '>') return i;
  }
  return -1;
}

/**
 * The index just past the comment that starts at `start` (its `(`), nested comments and quoted
 * pairs included (RFC 5322 section 3.2.2), or the end of `text`.
 */
function commentEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\') i++;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return i + 1;
  }
  return text.length;
}

/** The index just past the quoted string that starts at `start` (its closing quote), or the end of `text`. */
function quotedEnd(text: string, start: number): number {
  let at = start + 1;
  while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
  return Math.min(text.length, at + 1);
}

/**
 * Quirk: `"Doe, Jane" jane@example.com`, a quoted name and an address without angle brackets: the
 * word outside the quotes with a local part and an `@` is the address ('' when there is none; a
 * quoted local part, `"john doe"@example.com`, leaves only `@example.com` outside).
 */
function bareAddress(bare: string): string {
  if (!bare.includes('@')) return '';
  return bare.split(/\s+/).find((word) => word.indexOf('@') > 0) ?? '';
}

/** `phrase` without (the last occurrence of) `word`, blanks collapsed; null when nothing is left. */
function withoutWord(phrase: string, word: string): string | null {
  const at = phrase.lastIndexOf(word);
  const rest = `${phrase.slice(0, at)} ${phrase.slice(at + word.length)}`.replace(/\s+/g, ' ').trim();
  return rest.length > 0 ? rest : null;
}
