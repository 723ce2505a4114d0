/**
 * `mailbox-data` and friends: LIST/LSUB, STATUS, SEARCH, ESEARCH, NAMESPACE, QUOTA, QUOTAROOT,
 * METADATA, ID, VANISHED (RFC 9051 section 7.3; RFC 5258, 4731, 2342, 9208, 5464, 2971, 7162).
 *
 * @internal
 * @packageDocumentation
 */

import { decodeModifiedUtf7, isInbox } from './modified-utf7.js';
import type { WireReader } from './reader.js';
import { decodeText, MAX_MOD_SEQUENCE } from './reader.js';
import { parseUidSetText } from './response-code.js';
import type {
  ESearchPartial,
  ESearchResponse,
  IdResponse,
  ListResponse,
  MailboxStatusAttributes,
  MailboxStatusResponse,
  MetadataEntry,
  MetadataResponse,
  NamespaceDescriptor,
  NamespaceResponse,
  NumberRange,
  QuotaResource,
  QuotaResponse,
  QuotaRootResponse,
  SearchResponse,
  VanishedResponse,
} from './response-types.js';
import type { Uid } from './sequence-set.js';
import { MAX_MESSAGE_NUMBER } from './sequence-set.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const LPAREN = 0x28;
const RPAREN = 0x29;
const DQUOTE = 0x22;
const SP = 0x20;

/** What the parsers need to know about the session. */
export interface ParseContext {
  /** UTF8=ACCEPT is enabled: mailbox names are UTF-8, not modified UTF-7. */
  readonly utf8Accept: boolean;
  /** Maximum BODYSTRUCTURE nesting. */
  readonly maxDepth: number;
}

/*
 * mailbox         = "INBOX" / astring
 *                   ; INBOX is case-insensitive.
 * Returns [decoded, raw].
 */
export function parseMailbox(reader: WireReader, context: ParseContext): [string, string] {
  return decodeMailbox(reader.astring('mailbox'), context);
}

/** A mailbox name as sent, decoded: [decoded, raw]. */
function decodeMailbox(raw: string, context: ParseContext): [string, string] {
  if (isInbox(raw)) return ['INBOX', raw];
  return [context.utf8Accept ? raw : decodeModifiedUtf7(raw), raw];
}

/*
 * mailbox-list    = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
 *                   [SP mbox-list-extended]
 * mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)] ")"
 * mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val
 */
export function parseMailboxList(reader: WireReader, command: 'LIST' | 'LSUB', context: ParseContext): ListResponse {
  const attributes = reader.nil() ? [] : reader.list(() => reader.looseAtom('mailbox attribute'), 'mbx-list-flags');
  reader.sp();
  const delimiter = parseDelimiter(reader, 'hierarchy delimiter');
  reader.sp();
  const nameStart = reader.pos;
  const nameQuoted = reader.peek() === DQUOTE || reader.literalHere();
  let [name, nameRaw] = parseMailbox(reader, context);
  const afterName = reader.mark();
  reader.sp();
  let childInfo: string[] | null = null;
  let oldName: string | null = null;
  if (reader.peek() === LPAREN) {
    reader.pos++;
    reader.sp();
    while (reader.peek() !== RPAREN) {
      if (reader.atEnd()) reader.fail('Unterminated mbox-list-extended');
      const tag = reader.astring('mbox-list-extended-item-tag').toUpperCase();
      reader.sp();
      if (tag === 'CHILDINFO' && reader.peek() === LPAREN) {
        childInfo = reader.list(() => reader.astring('CHILDINFO option').toUpperCase(), 'CHILDINFO');
      } else if (tag === 'OLDNAME' && reader.peek() === LPAREN) {
        reader.pos++;
        reader.sp();
        oldName = parseMailbox(reader, context)[0];
        reader.closeParen();
      } else {
        reader.skipValue();
      }
      reader.sp();
    }
    reader.pos++;
    reader.sp();
  }
  if (!reader.atEnd()) {
    // More after the name: refused rather than cut the name short, unless it can only be the name's own.
    reader.rewind(afterName);
    const wholeName = nameQuoted ? null : unquotedNameWithSpaces(reader, nameStart);
    if (wholeName === null) reader.fail('Unexpected data after the mailbox name');
    [name, nameRaw] = decodeMailbox(wholeName, context);
  }
  return { kind: 'list', command, attributes, delimiter, name, nameRaw, childInfo, oldName };
}

/**
 * Quirk: Lotus Notes/Domino sends a LIST name unquoted with its spaces and backslashes,
 * `* LIST (\HasNoChildren) "\\" Folder\Subfolder 1` (Indy issue 329). When the rest of the line
 * after the atom read as the name holds only more name characters and words after single spaces,
 * it cannot be anything but the name: the name is read to the end of the line. Anything else after
 * it (two spaces, a trailing space, a parenthesis, a quote, a literal) could be read more than one
 * way and gets null, so the response is refused. Called with the reader just after the atom, only
 * once the usual reading has failed.
 */
function unquotedNameWithSpaces(reader: WireReader, nameStart: number): string | null {
  const end = endOfNameWords(reader, false);
  if (end === -1) return null;
  reader.pos = end;
  return decodeText(reader.bytes, nameStart, end);
}

/**
 * Where the words of a name run to from the reader's position (more name bytes, then words after
 * single spaces): the end of the line, or with `beforeList` the space before a "(" that follows
 * them. -1 when anything else comes first (two spaces, a trailing space, a parenthesis, a quote, a
 * literal), which would leave the name's end in doubt.
 */
function endOfNameWords(reader: WireReader, beforeList: boolean): number {
  if (reader.literalsLeft) return -1;
  const bytes = reader.bytes;
  const end = reader.end;
  for (let pos = reader.pos; pos < end; pos++) {
    const byte = bytes[pos]!;
    if (byte === SP) {
      if (beforeList && bytes[pos + 1] === LPAREN) return pos;
      if (pos + 1 === end || bytes[pos + 1] === SP) return -1;
    } else if (!isNameByte(byte) && !tabInName(byte)) {
      return -1;
    }
  }
  return beforeList ? -1 : end;
}

/**
 * Quirk: Exchange sends a LIST name unquoted with TABs in it, one at its end too,
 * `* LIST (\HasNoChildren) "/" INBOX/Da<TAB>Oggetto<TAB>Ricevuto<TAB>` (MailKit issue 945). Only a
 * space separates tokens, so a TAB where the name's words are read can only be the name's own: it
 * is kept there, as sent, a trailing one included; a STATUS name sent so is read the same way. (A
 * quoted name may hold a TAB in any case.)
 */
function tabInName(byte: number): boolean {
  return byte === 0x09;
}

/** Not a CTL, space, parenthesis, `{` or quote: a byte that can only continue a name's word. */
function isNameByte(byte: number): boolean {
  return byte > SP && byte !== 0x7f && byte !== LPAREN && byte !== RPAREN && byte !== 0x7b && byte !== DQUOTE;
}

/*
 * (DQUOTE QUOTED-CHAR DQUOTE / nil): the hierarchy delimiter of LIST and NAMESPACE, one character
 * or null. Read as an nstring, so a literal or a string of another length is not refused but goes
 * through the quirks below.
 */
function parseDelimiter(reader: WireReader, what: string): string | null {
  const delimiter = reader.nstring(what);
  if (delimiter === null || delimiter.length === 1) return delimiter;
  return delimiter === '' ? emptyDelimiter() : firstCharacterOfDelimiter(delimiter);
}

/**
 * Quirk: `""` for the delimiter, seen in the wild, server not named: a flat namespace, as NIL says.
 * Read as '', it would make every name that starts with INBOX (`INBOXfoo`) look like a child of
 * INBOX, whose names fold case.
 */
function emptyDelimiter(): null {
  return null;
}

/**
 * Quirk: a delimiter of more than one character (`"//"`), seen in the wild, server not named. The
 * delimiter is one character wherever it is used (a `%` of a LIST pattern stops at it, callers
 * split names at it), and the first one is where the server's names divide: it is kept, rather
 * than lose the mailbox by refusing the response. A character beyond U+FFFF counts as one.
 */
function firstCharacterOfDelimiter(delimiter: string): string {
  return String.fromCodePoint(delimiter.codePointAt(0)!);
}

/**
 * A mod-sequence as the public state reports it: undefined for none, and for 0. Mod-sequences
 * start at 1 (RFC 7162 section 7, mod-sequence-value); a STATUS HIGHESTMODSEQ of 0
 * (mod-sequence-valzer) says the mailbox keeps no persistent mod-sequences, as `[NOMODSEQ]` does
 * for SELECT, and a `[HIGHESTMODSEQ 0]` or a FETCH `MODSEQ (0)` (left by old Cyrus versions,
 * cyrus-imapd issue 1029), outside the grammar, is read the same way: left out, as `MODSEQ (-1)` is.
 * Nothing can resynchronize from 0 anyway: `CHANGEDSINCE 0` is refused (nz-mod-sequence), and so
 * is a QRESYNC SELECT from 0.
 *
 * @internal
 */
export function modSequenceOrNone(value: bigint | undefined): bigint | undefined {
  return value !== undefined && value > 0n ? value : undefined;
}

/*
 * "STATUS" SP mailbox SP "(" [status-att-list] ")"
 * status-att-list = status-att-val *(SP status-att-val)
 * status-att-val  = ("MESSAGES" SP number) / ("UIDNEXT" SP nz-number) / ("UIDVALIDITY" SP nz-number) /
 *                   ("UNSEEN" SP number) / ("DELETED" SP number) / ("SIZE" SP number64) /
 *                   ("RECENT" SP number) / ("HIGHESTMODSEQ" SP mod-sequence-valzer) /
 *                   ("APPENDLIMIT" SP (number / nil))
 * A HIGHESTMODSEQ of 0 (no persistent mod-sequences) is left out, as if not sent; so is an item
 * past its range (see beyondRange; a HIGHESTMODSEQ past 2^63 - 1), the rest of the answer kept.
 */
export function parseStatusData(reader: WireReader, context: ParseContext): MailboxStatusResponse {
  const nameStart = reader.pos;
  const nameQuoted = reader.peek() === DQUOTE || reader.literalHere();
  let [mailbox] = parseMailbox(reader, context);
  const afterName = reader.mark();
  reader.sp();
  if (reader.peek() !== LPAREN && !nameQuoted) {
    reader.rewind(afterName);
    mailbox = unquotedStatusNameWithSpaces(reader, nameStart, context) ?? mailbox;
    reader.sp();
  }
  const attributes: Mutable<MailboxStatusAttributes> = {};
  reader.expect(LPAREN, '"(" starting status attributes');
  reader.sp();
  while (reader.peek() !== RPAREN) {
    if (reader.atEnd()) reader.fail('Unterminated status attribute list');
    const name = reader.keyword('status attribute');
    reader.sp();
    switch (name) {
      case 'MESSAGES':
      case 'RECENT':
      case 'UIDNEXT':
      case 'UIDVALIDITY':
      case 'UNSEEN':
      case 'DELETED':
      case 'SIZE': {
        // NIL (see numberOrNil) leaves the attribute out, and so does a value too large (see beyondRange).
        const value = reader.numberOrNil(name, true);
        if (value !== undefined && !beyondRange(name, value)) setStatusNumber(attributes, name, value);
        break;
      }
      case 'HIGHESTMODSEQ': {
        if (reader.nil()) break; // NIL: as for the numbers above
        // In quotes, or past its range (2^63 - 1): as for the numbers above.
        const quoted = reader.peek() === DQUOTE ? reader.bigNumberInQuotes(name, true) ?? reader.fail(`Expected ${name}`) : undefined;
        const value = quoted ?? reader.bigNumber(name, true);
        const highestModseq = value <= MAX_MOD_SEQUENCE ? modSequenceOrNone(value) : undefined;
        if (highestModseq !== undefined) attributes.highestModseq = highestModseq;
        break;
      }
      case 'APPENDLIMIT': {
        // NIL is no limit (RFC 7889) and kept; a value in quotes or too large, as for the numbers above.
        const value = reader.nil() ? null : reader.numberOrNil(name, true);
        if (value !== undefined && (value === null || value <= Number.MAX_SAFE_INTEGER)) attributes.appendLimit = value;
        break;
      }
      default: reader.skipValue();
    }
    reader.sp();
  }
  reader.pos++;
  return { kind: 'mailbox-status', mailbox, attributes };
}

/**
 * Quirk: Gromox sends a STATUS mailbox name unquoted with its spaces,
 * `* STATUS Deleted Items (MESSAGES 0 UNSEEN 0 RECENT 0)` (Gromox issue 5). When only words after
 * single spaces stand between the atom read as the name and the attribute list, they are the
 * name's. Otherwise null: the name stays the atom, and the response fails where "(" is expected.
 * Called with the reader just after the atom, only once the usual reading has failed.
 */
function unquotedStatusNameWithSpaces(reader: WireReader, nameStart: number, context: ParseContext): string | null {
  const end = endOfNameWords(reader, true);
  if (end === -1) return null;
  reader.pos = end;
  return decodeMailbox(decodeText(reader.bytes, nameStart, end), context)[0];
}

/**
 * Quirk: a STATUS item that RFC 9051 makes a 32-bit number sent larger, as a UIDVALIDITY of
 * 1666390893380 reported from a real server in neomutt's tracker (issue 3830). The value cannot be a
 * UID, count or UIDVALIDITY this client can use, but the other items of the answer are sound: the
 * item is left out (as a `[UIDVALIDITY]` code that large reads as an unknown code) instead of the
 * whole answer failing. SIZE is number64, left out alike past 2^53 - 1, which a number cannot hold
 * exactly (the reader gives such values inexact rather than fail, see WireReader.number).
 */
function beyondRange(name: string, value: number): boolean {
  return value > (name === 'SIZE' ? Number.MAX_SAFE_INTEGER : MAX_MESSAGE_NUMBER);
}

/** Sets the STATUS attribute a number item names. */
function setStatusNumber(
  attributes: Mutable<MailboxStatusAttributes>,
  name: 'MESSAGES' | 'RECENT' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'DELETED' | 'SIZE',
  value: number,
): void {
  switch (name) {
    case 'MESSAGES': attributes.messages = value; break;
    case 'RECENT': attributes.recent = value; break;
    // uniqueid / nz-number: a 0 names no UID (see nonZero) and is left out.
    case 'UIDNEXT': if (value !== 0) attributes.uidNext = value as Uid; break;
    case 'UIDVALIDITY': if (value !== 0) attributes.uidValidity = value; break;
    case 'UNSEEN': attributes.unseen = value; break;
    case 'DELETED': attributes.deleted = value; break;
    case 'SIZE': attributes.size = value; break;
  }
}

/*
 * "SEARCH" *(SP nz-number) [SP search-sort-mod-seq]
 * search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")"     (RFC 7162)
 * Lenient: trailing spaces (Exchange, Yahoo) are ignored, and so is a 0 (see nonZero).
 */
export function parseSearch(reader: WireReader): SearchResponse {
  const ids: number[] = [];
  let modseq: bigint | null = null;
  reader.sp();
  while (!reader.atEnd()) {
    if (reader.peek() === LPAREN) {
      modseq = parseSearchSortModSeq(reader);
    } else {
      const id = reader.number32('message number');
      if (id !== 0) ids.push(id);
    }
    reader.sp();
  }
  return { kind: 'search', ids, modseq };
}

/*
 * esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
 * search-correlator = SP "(" "TAG" SP tag-string ")"
 * search-return-data = "MIN" SP nz-number / "MAX" SP nz-number / "ALL" SP sequence-set /
 *                      "COUNT" SP number / "MODSEQ" SP mod-sequence-value / ret-data-partial /
 *                      search-ret-data-ext
 */
export function parseESearch(reader: WireReader): ESearchResponse {
  const result: Mutable<ESearchResponse> = {
    kind: 'esearch', tag: null, uid: false, min: null, max: null, count: null, all: null, modseq: null, partial: null,
  };
  reader.sp();
  if (reader.peek() === LPAREN) {
    reader.pos++;
    reader.sp();
    if (reader.keyword() !== 'TAG') reader.fail('Expected TAG');
    reader.sp();
    result.tag = reader.astring('tag-string');
    reader.closeParen();
    reader.sp();
  }
  while (!reader.atEnd()) {
    if (reader.peek() === LPAREN) {
      result.modseq = esearchModSeqInParentheses(reader);
      reader.sp();
      continue;
    }
    const name = reader.keyword('search-return-data');
    reader.sp();
    switch (name) {
      case 'UID': result.uid = true; break;
      case 'MIN': result.min = nonZero(reader.number32()); break;
      case 'MAX': result.max = nonZero(reader.number32()); break;
      case 'COUNT': result.count = reader.number32(); break;
      case 'MODSEQ': result.modseq = reader.bigNumber(); break;
      case 'ALL': result.all = parseSearchSet(reader); break;
      case 'PARTIAL': result.partial = parsePartial(reader); break;
      default: reader.skipValue();
    }
    reader.sp();
  }
  return result;
}

/**
 * Quirk: ESEARCH's MODSEQ in parentheses, `(MODSEQ 284535)`, as SEARCH writes it, from a server
 * MailKit issue 323 does not name: read as MODSEQ.
 */
function esearchModSeqInParentheses(reader: WireReader): bigint {
  return parseSearchSortModSeq(reader);
}

/*
 * search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")"     (RFC 7162)
 */
function parseSearchSortModSeq(reader: WireReader): bigint {
  reader.pos++;
  reader.sp();
  if (reader.keyword() !== 'MODSEQ') reader.fail('Expected MODSEQ');
  reader.sp();
  const modseq = reader.bigNumber('mod-sequence-value');
  reader.closeParen();
  return modseq;
}

/*
 * Quirk: a search result that names message 0 (`* SEARCH 0`, `MIN 0`, `ALL 0:3`), where the grammar
 * says nz-number: no message has sequence number or UID 0, so it names none and is dropped rather
 * than handed out as an id `uid()` would refuse. (A server that writes 0 for "none" is the likely
 * author; the rest of its answer stays usable.)
 */
function nonZero(value: number): number | null {
  return value === 0 ? null : value;
}

/** ESEARCH's `ALL` sequence-set, a 0 in it dropped (see nonZero); null when nothing is left. */
function parseSearchSet(reader: WireReader): NumberRange[] | null {
  const start = reader.pos;
  const text = reader.atom('sequence-set');
  const members = ZERO_MEMBER.test(text) ? withoutZero(text) : [text];
  if (members.length === 0) return null;
  const set = parseUidSetText(members.join(','));
  if (set === null) reader.fail('Invalid sequence-set', start);
  return set;
}

/*
 * ret-data-partial    = "PARTIAL" SP "(" partial-range SP partial-results ")"     (RFC 9394)
 * partial-range       = partial-range-first / partial-range-last
 * partial-range-first = nz-number ":" nz-number
 * partial-range-last  = MINUS nz-number ":" MINUS nz-number
 * partial-results     = sequence-set / "NIL"
 */
function parsePartial(reader: WireReader): ESearchPartial {
  reader.expect(LPAREN, '"(" starting PARTIAL');
  reader.sp();
  const start = reader.pos;
  const match = /^(-?)([1-9]\d{0,9}):(-?)([1-9]\d{0,9})$/.exec(reader.atom('partial-range'));
  if (match === null || match[1] !== match[3]) reader.fail('Invalid partial-range', start);
  const [first, last] = [Number(match[2]), Number(match[4])];
  if (first > MAX_MESSAGE_NUMBER || last > MAX_MESSAGE_NUMBER) reader.fail('Invalid partial-range', start);
  reader.sp();
  const set = reader.nil() ? null : parseSearchSet(reader);
  reader.closeParen();
  return { range: { start: Math.min(first, last), end: Math.max(first, last) }, fromEnd: match[1] === '-', set };
}

/** A member or range end that is 0 (`0`, `0:3`, `3:0`, `00`). */
const ZERO_MEMBER = /(?:^|[,:])0+(?=$|[,:])/;

/** The set's members without 0: `0` and `0:0` go, `0:3` and `3:0` become `1:3`. */
function withoutZero(text: string): string[] {
  const kept: string[] = [];
  for (const element of text.split(',')) {
    const ends = element.split(':');
    // Not a member or a range: left for parseUidSetText to refuse.
    if (ends.length > 2) return [text];
    const first = ends[0]!;
    const last = ends[1] ?? first;
    const zeroFirst = /^0+$/.test(first);
    const zeroLast = /^0+$/.test(last);
    if (zeroFirst && zeroLast) continue;
    kept.push(zeroFirst ? `1:${last}` : zeroLast ? `1:${first}` : element);
  }
  return kept;
}

function parseSetAtom(reader: WireReader): NumberRange[] {
  const start = reader.pos;
  const set = parseUidSetText(reader.atom('sequence-set'));
  if (set === null) reader.fail('Invalid sequence-set', start);
  return set;
}

/*
 * "VANISHED" [SP "(EARLIER)"] SP known-uids      (RFC 7162)
 */
export function parseVanished(reader: WireReader): VanishedResponse {
  reader.sp();
  let earlier = false;
  if (reader.eat(LPAREN)) {
    if (reader.keyword() !== 'EARLIER') reader.fail('Expected EARLIER');
    reader.closeParen();
    earlier = true;
    reader.sp();
  }
  return { kind: 'vanished', earlier, uids: parseSetAtom(reader) };
}

/*
 * Namespace-Response = "NAMESPACE" SP Namespace SP Namespace SP Namespace
 * Namespace          = nil / "(" 1*Namespace-Descr ")"
 * Namespace-Descr    = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) [Namespace-Response-Extensions] ")"
 */
export function parseNamespace(reader: WireReader, context: ParseContext): NamespaceResponse {
  const namespace = (): NamespaceDescriptor[] | null => {
    reader.sp();
    if (reader.nil()) return null;
    return reader.list(() => {
      reader.expect(LPAREN, '"(" starting a namespace');
      reader.sp();
      const raw = reader.string('namespace prefix');
      reader.sp();
      const delimiter = parseDelimiter(reader, 'namespace delimiter');
      reader.sp();
      while (reader.peek() !== RPAREN && !reader.atEnd()) {
        reader.skipValue(); // Namespace-Response-Extensions
        reader.sp();
      }
      reader.closeParen();
      return { prefix: context.utf8Accept ? raw : decodeModifiedUtf7(raw), delimiter };
    }, 'namespace');
  };
  const personal = namespaceOrMissing(reader, namespace);
  const otherUsers = namespaceOrMissing(reader, namespace);
  const shared = namespaceOrMissing(reader, namespace);
  return { kind: 'namespace', personal, otherUsers, shared };
}

/**
 * Quirk: a NAMESPACE response with fewer than three namespaces (`* NAMESPACE (("" "/"))`), seen in
 * the wild, server not named: the missing ones are read as NIL (none of that kind).
 */
function namespaceOrMissing(reader: WireReader, namespace: () => NamespaceDescriptor[] | null): NamespaceDescriptor[] | null {
  reader.sp();
  return reader.atEnd() ? null : namespace();
}

/*
 * id-response     = "ID" SP id-params-list
 * id-params-list  = "(" *(string SP nstring) ")" / nil
 */
export function parseId(reader: WireReader): IdResponse {
  reader.sp();
  if (reader.nil()) return { kind: 'id', fields: null };
  const values = reader.list(() => reader.nstring('id param'), 'id-params-list');
  const fields: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
  for (let i = 0; i + 1 < values.length; i += 2) {
    const key = values[i];
    if (key != null) fields[key.toLowerCase()] = values[i + 1] ?? null;
  }
  return { kind: 'id', fields };
}

/*
 * quota-response  = "QUOTA" SP quota-root-name SP quota-list
 * quota-list      = "(" quota-resource *(SP quota-resource) ")"
 * quota-resource  = resource-name SP resource-usage SP resource-limit
 */
export function parseQuota(reader: WireReader): QuotaResponse {
  reader.sp();
  const root = reader.astring('quota-root-name');
  reader.sp();
  const resources: QuotaResource[] = [];
  reader.expect(LPAREN, '"(" starting a quota list');
  reader.sp();
  while (reader.peek() !== RPAREN) {
    if (reader.atEnd()) reader.fail('Unterminated quota list');
    const name = reader.keyword('resource-name');
    reader.sp();
    const usage = reader.numberOrNil('resource-usage');
    reader.sp();
    const limit = reader.numberOrNil('resource-limit');
    const resource = knownQuotaResource(name, usage, limit);
    if (resource !== null) resources.push(resource);
    reader.sp();
  }
  reader.pos++;
  return { kind: 'quota', root, resources };
}

/**
 * Quirk: NIL for a quota resource's usage or limit (`STORAGE NIL 100`), outside RFC 9208's grammar,
 * from a server not named (no report of it found in peers' issue trackers), read by numberOrNil as
 * undefined. The value is unknown: read as 0 it would claim an empty or exhausted quota. A
 * QuotaResource holds numbers only, so the resource is left out and the other resources kept.
 */
function knownQuotaResource(name: string, usage: number | undefined, limit: number | undefined): QuotaResource | null {
  return usage === undefined || limit === undefined ? null : { name, usage, limit };
}

/*
 * quotaroot-response = "QUOTAROOT" SP mailbox *(SP quota-root-name)
 */
export function parseQuotaRoot(reader: WireReader, context: ParseContext): QuotaRootResponse {
  reader.sp();
  const [mailbox] = parseMailbox(reader, context);
  const roots: string[] = [];
  reader.sp();
  while (!reader.atEnd()) {
    roots.push(reader.astring('quota-root-name'));
    reader.sp();
  }
  return { kind: 'quotaroot', mailbox, roots };
}

/*
 * metadata-resp   = "METADATA" SP mailbox SP (entry-values / entry-list)
 * entry-values    = "(" entry-value *(SP entry-value) ")"
 * entry-value     = entry SP value
 * entry-list      = entry *(SP entry)      ; unsolicited
 */
export function parseMetadata(reader: WireReader, context: ParseContext): MetadataResponse {
  reader.sp();
  const [mailbox] = parseMailbox(reader, context);
  reader.sp();
  const entries: MetadataEntry[] = [];
  if (reader.peek() === LPAREN) {
    let index = 0;
    const values = reader.list(() => (index++ % 2 === 0 ? reader.astring('entry') : reader.nstring('value')), 'entry-values');
    for (let i = 0; i + 1 < values.length; i += 2) {
      const name = values[i];
      if (name != null) entries.push({ name, value: values[i + 1] ?? null });
    }
  } else {
    while (!reader.atEnd()) {
      entries.push({ name: reader.astring('entry'), value: null });
      reader.sp();
    }
  }
  return { kind: 'metadata', mailbox, entries };
}
