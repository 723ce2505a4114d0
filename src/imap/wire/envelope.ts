/**
 * ENVELOPE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2).
 *
 * @internal
 * @packageDocumentation
 */

import { parseHeaderDate, parseHeaderDateAt } from '../../common/mime/date.js';
import { decodeDisplayName, decodeEncodedWords } from '../../common/mime/encoded-word.js';
import type { Envelope, EnvelopeAddress } from './fetch-types.js';
import type { WireReader } from './reader.js';

const LPAREN = 0x28;

/*
 * envelope        = "(" env-date SP env-subject SP env-from SP
 *                   env-sender SP env-reply-to SP env-to SP env-cc SP
 *                   env-bcc SP env-in-reply-to SP env-message-id ")"
 * env-date        = nstring
 * env-subject     = nstring
 * env-in-reply-to = nstring
 * env-message-id  = nstring
 */
export function parseEnvelope(reader: WireReader): Envelope {
  reader.expect(LPAREN, '"(" starting an envelope');
  reader.sp();
  const dateStart = reader.pos;
  const dateRaw = reader.nstring('env-date');
  const dateEnd = reader.pos;
  reader.sp();
  const subjectRaw = reader.headerNstring('env-subject');
  reader.sp();
  const fromStart = reader.pos;
  const literalsBefore = reader.literalsRead;
  const from = parseEnvAddressList(reader);
  const fromEnd = reader.pos;
  // Servers fill Sender and Reply-To from From when the message has none (RFC 3501 section 7.4.2),
  // so the same bytes usually come three times: they are parsed once and the array shared.
  const reusable = from.length > 0 && reader.literalsRead === literalsBefore;
  reader.sp();
  const sender = reusable && reader.repeats(fromStart, fromEnd) ? from : parseEnvAddressList(reader);
  reader.sp();
  const replyTo = reusable && reader.repeats(fromStart, fromEnd) ? from : parseEnvAddressList(reader);
  reader.sp();
  const to = parseEnvAddressList(reader);
  reader.sp();
  const cc = parseEnvAddressList(reader);
  reader.sp();
  const bcc = parseEnvAddressList(reader);
  reader.sp();
  const inReplyTo = envelopeFieldMissing(reader) ? null : reader.headerNstring('env-in-reply-to');
  reader.sp();
  const messageId = envelopeFieldMissing(reader) ? null : reader.headerNstring('env-message-id');
  reader.closeParen();
  return {
    dateRaw,
    date: dateRaw === null ? null : envelopeDate(reader.bytes, dateStart, dateEnd, dateRaw),
    subject: subjectRaw === null ? null : decodeEncodedWords(subjectRaw),
    subjectRaw,
    from,
    sender,
    replyTo,
    to,
    cc,
    bcc,
    inReplyTo,
    messageId,
  };
}

/** The date read from the line's bytes when it was a plain quoted string there, else from its text. */
function envelopeDate(bytes: Uint8Array, start: number, end: number, text: string): Date | null {
  const plain = bytes[start] === 0x22 && end - start - 2 === text.length; // no escapes, no literal, ASCII
  return plain ? parseHeaderDateAt(bytes, start + 1, end - 1, text) : parseHeaderDate(text);
}

/*
 * env-from        = "(" 1*address ")" / nil     (and env-sender, env-to, ... alike)
 *
 * Group syntax (RFC 3501 section 7.4.2): an address with NIL host starts group <mailbox>;
 * one with NIL mailbox and NIL host ends it. Groups are flattened into `group` fields; a group
 * without members becomes one entry holding only its name (see {@link endGroup}).
 */
function parseEnvAddressList(reader: WireReader): EnvelopeAddress[] {
  const text = reader.plainText();
  if (text !== null) {
    const addresses = plainAddressList(reader, text);
    if (addresses !== undefined) return addresses;
  }
  if (reader.nil()) return [];
  reader.expect(LPAREN, '"(" starting an address list');
  startCollecting();
  let group: string | null = null;
  reader.sp();
  while (reader.peek() !== 0x29) {
    if (reader.atEnd()) reader.fail('Unterminated address list');
    if (skipNilInAddressList(reader)) {
      reader.sp();
      continue;
    }
    // address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")", each an nstring
    reader.expect(LPAREN, '"(" starting an address');
    reader.sp();
    const nameRaw = reader.headerNstring('addr-name');
    reader.sp();
    const route = reader.nstring('addr-adl');
    reader.sp();
    const mailbox = reader.nstring('addr-mailbox');
    reader.sp();
    const host = reader.nstring('addr-host');
    reader.closeParen();
    group = addAddress(group, nameRaw, route, mailbox, host);
    reader.sp();
  }
  reader.pos++;
  if (group !== null) endGroup(group);
  return collected();
}

/*
 * The shape nearly every server sends, `(("name" NIL "mailbox" "host")("..." ...))` or NIL, with
 * single spaces and no escapes: read here in one function over the line's text, with the engine's
 * own string search and no call per token, which is what a 10,000-message ENVELOPE fetch spends
 * most of its time on (all the more before the engine has optimised the general parser).
 * Anything else (extra spaces, escapes, literals, bare NILs, malformed input) returns undefined
 * with the reader unmoved, and the general parser below reads it.
 */

/** The value of the field read last by {@link plainField}. */
let fieldValue: string | null = null;
/** The four fields of the address being read by {@link plainAddressList}. */
const fields: (string | null)[] = [null, null, null, null];

/**
 * Reads a `"quoted"` or `NIL` field at `pos`, followed by `next` (a space or `)`), into
 * {@link fieldValue}; returns the position after `next`, or -1 when the field is not plain.
 * Single characters are read from the line's bytes (the text's positions are the same): a byte read
 * compiles to far less than a string's charCodeAt. Reads at or past `limit` only ever lead to -1.
 */
function plainField(bytes: Uint8Array, text: string, pos: number, limit: number, next: number): number {
  const first = bytes[pos];
  let after: number;
  if (first === 0x22) {
    after = text.indexOf('"', pos + 1);
    if (after === -1 || after >= limit) return -1;
    fieldValue = text.slice(pos + 1, after);
    after++;
  } else if (first === 0x4e && bytes[pos + 1] === 0x49 && bytes[pos + 2] === 0x4c) {
    fieldValue = null;
    after = pos + 3;
  } else {
    return -1;
  }
  return after < limit && bytes[after] === next ? after + 1 : -1;
}

function plainAddressList(reader: WireReader, text: string): EnvelopeAddress[] | undefined {
  const bytes = reader.bytes;
  let pos = reader.pos;
  const limit = reader.plainEnd();
  if (bytes[pos] !== LPAREN) {
    if (pos + 3 > limit || !text.startsWith('NIL', pos)) return undefined;
    const after = bytes[pos + 3];
    if (pos + 3 < limit && after !== 0x20 && after !== 0x29) return undefined;
    reader.pos = pos + 3;
    return [];
  }
  startCollecting();
  let group: string | null = null;
  pos++;
  while (pos < limit && bytes[pos] === LPAREN) {
    pos++;
    // One call site for the four fields keeps this function small to optimise.
    for (let field = 0; field < 4; field++) {
      pos = plainField(bytes, text, pos, limit, field === 3 ? 0x29 : 0x20);
      if (pos < 0) return undefined;
      fields[field] = fieldValue;
    }
    group = addAddress(group, fields[0] ?? null, fields[1] ?? null, fields[2] ?? null, fields[3] ?? null);
  }
  if (pos >= limit || bytes[pos] !== 0x29) return undefined;
  if (group !== null) endGroup(group);
  if (collectedCount === 0) return undefined;
  reader.pos = pos + 1;
  return collected();
}

/*
 * Address lists are collected in one shared array and copied out at their length: an array grown
 * by push from empty reserves room for 17 elements, and a 10,000-message ENVELOPE fetch builds
 * some 60,000 lists of one or two addresses, most of them held until the caller reads them (so the
 * slack would be copied by every young-generation collection they survive). Neither parser
 * re-enters itself while collecting.
 */
const collector: EnvelopeAddress[] = [];
let collectedCount = 0;
/** {@link collectedCount} when the open group started: a group that ends there had no members. */
let groupStartCount = 0;

/** Starts a list in {@link collector}, which {@link addAddress} fills. */
function startCollecting(): void {
  collectedCount = 0;
}

/** The list collected since {@link startCollecting}, as an array of its own. */
function collected(): EnvelopeAddress[] {
  return collector.slice(0, collectedCount);
}

/**
 * Adds an address to the list being collected, or starts or ends a group (RFC 3501 section 7.4.2:
 * NIL host starts group <mailbox>, NIL mailbox and host end it); returns the group now open, its
 * name's encoded words decoded like a display name's.
 */
function addAddress(
  group: string | null,
  nameRaw: string | null,
  route: string | null,
  mailbox: string | null,
  host: string | null,
): string | null {
  if (host === null) return groupMarker(group, nameRaw, mailbox);
  const name = nameRaw === null ? null : decodeDisplayName(nameRaw);
  // No domain starts with a character at or below '.' (nor is empty): only then is the quirk asked.
  const address = mailbox === null ? host : host.charCodeAt(0) > 0x2e || !isMissingHost(host) ? `${mailbox}@${host}` : mailbox;
  collector[collectedCount++] = { name, nameRaw, route, mailbox, host, address, group };
  return group;
}

/**
 * Quirk: UW-IMAP, and servers built on its c-client library, write the host `.MISSING-HOST-NAME.`
 * for a header address without a domain (`From: joe`), as MailKit issue reports show, and the host
 * `.SYNTAX-ERROR.` for one c-client could not parse (its ERRHOST placeholder); others write
 * an empty host (`((NIL NIL "Mail Delivery System" ""))`, MailKit issue 1393). The grammar wants
 * NIL there, which would mean a group. The address is then the mailbox alone, as MailKit reads it;
 * `host` keeps the text as sent, so that a null host still means a group marker. Asked only of a
 * host that is empty or starts with a character no domain starts with.
 */
function isMissingHost(host: string): boolean {
  return host.length === 0 || host === '.MISSING-HOST-NAME.' || host === '.SYNTAX-ERROR.';
}

/** An address with NIL host: starts group <mailbox>, or ends the open group when mailbox is NIL too. */
function groupMarker(group: string | null, nameRaw: string | null, mailbox: string | null): string | null {
  if (group !== null) endGroup(group); // groups do not nest (RFC 5322 section 3.4)
  if (mailbox !== null) {
    groupStartCount = collectedCount;
    return decodeDisplayName(mailbox);
  }
  if (group === null && nameRaw !== null) groupNameInNamePlace(nameRaw);
  return null;
}

/**
 * Quirk: an empty group written as its name in the addr-name place with NIL mailbox and host, then
 * the end marker, as reported for `To: undisclosed-recipients:;` (`("undisclosed-recipients" NIL
 * NIL NIL)(NIL NIL NIL NIL)`, server not named). With no group open there is nothing for the
 * marker to end, so it is read as a group of that name without members; the end marker after it
 * then ends nothing.
 */
function groupNameInNamePlace(nameRaw: string): void {
  groupStartCount = collectedCount;
  endGroup(decodeDisplayName(nameRaw));
}

/**
 * Ends `group`: when no address was collected since it started (`To: undisclosed-recipients:;`),
 * collects one entry holding only its name, so that the caller can tell an empty group from no
 * addresses, as MailKit keeps a GroupAddress without members.
 */
function endGroup(group: string): void {
  if (collectedCount !== groupStartCount) return;
  collector[collectedCount++] = { name: null, nameRaw: null, route: null, mailbox: null, host: null, address: '', group };
}

/**
 * Quirk: some servers put a bare NIL inside an address list (`((...) NIL)`), seen from old
 * Exchange and Yahoo builds. The grammar has no room for it; it is skipped.
 */
function skipNilInAddressList(reader: WireReader): boolean {
  return reader.peek() !== LPAREN && reader.nil();
}

/**
 * Quirk: QQ Mail (imap.qq.com) ends the envelope early when the message has no such header,
 * leaving out Message-ID, or In-Reply-To and Message-ID. A missing field is read as NIL.
 */
function envelopeFieldMissing(reader: WireReader): boolean {
  return reader.peek() === 0x29;
}
