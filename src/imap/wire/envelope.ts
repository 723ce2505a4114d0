/**
 * ENVELOPE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2).
 *
 * @internal
 * @packageDocumentation
 */

import { decodeEncodedWords } from '../../common/mime/encoded-word.js';
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
  const dateRaw = reader.nstring('env-date');
  reader.sp();
  const subjectRaw = reader.nstring('env-subject');
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
  const inReplyTo = reader.nstring('env-in-reply-to');
  reader.sp();
  const messageId = reader.nstring('env-message-id');
  reader.closeParen();
  return {
    dateRaw,
    date: parseHeaderDate(dateRaw),
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

/** An RFC 5322 date, read with the JavaScript engine's RFC 2822 parser; null when unreadable. */
function parseHeaderDate(text: string | null): Date | null {
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/*
 * env-from        = "(" 1*address ")" / nil     (and env-sender, env-to, ... alike)
 *
 * Group syntax (RFC 3501 section 7.4.2): an address with NIL host starts group <mailbox>;
 * one with NIL mailbox and NIL host ends it. Groups are flattened into `group` fields.
 */
function parseEnvAddressList(reader: WireReader): EnvelopeAddress[] {
  if (reader.nil()) return [];
  reader.expect(LPAREN, '"(" starting an address list');
  const addresses: EnvelopeAddress[] = [];
  let group: string | null = null;
  reader.sp();
  while (reader.peek() !== 0x29) {
    if (reader.atEnd()) reader.fail('Unterminated address list');
    if (skipNilInAddressList(reader)) {
      reader.sp();
      continue;
    }
    const address = parseAddress(reader, group);
    if (address.host === null) {
      if (address.mailbox === null) group = null;
      else group = address.mailbox;
    } else {
      addresses.push(address);
    }
    reader.sp();
  }
  reader.pos++;
  return addresses;
}

/**
 * Quirk: some servers put a bare NIL inside an address list (`((...) NIL)`), seen from old
 * Exchange and Yahoo builds. The grammar has no room for it; it is skipped.
 */
function skipNilInAddressList(reader: WireReader): boolean {
  return reader.peek() !== LPAREN && reader.nil();
}

/*
 * address         = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
 * addr-name       = nstring
 * addr-adl        = nstring
 * addr-mailbox    = nstring
 * addr-host       = nstring
 */
function parseAddress(reader: WireReader, group: string | null): EnvelopeAddress {
  reader.expect(LPAREN, '"(" starting an address');
  reader.sp();
  const nameRaw = reader.nstring('addr-name');
  reader.sp();
  const route = reader.nstring('addr-adl');
  reader.sp();
  const mailbox = reader.nstring('addr-mailbox');
  reader.sp();
  const host = reader.nstring('addr-host');
  reader.closeParen();
  const name = nameRaw === null ? null : decodeEncodedWords(nameRaw);
  const address = mailbox === null ? (host ?? '') : host === null ? mailbox : `${mailbox}@${host}`;
  return { name, nameRaw, route, mailbox, host, address, group };
}
