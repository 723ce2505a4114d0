/**
 * `response`: the top of the grammar, dispatching one assembled response to its parser
 * (RFC 9051 section 9).
 *
 * @internal
 * @packageDocumentation
 */

import { parseMsgAtt, parseFlagList } from './fetch.js';
import type { ParseContext } from './mailbox-data.js';
import {
  parseESearch,
  parseId,
  parseMailboxList,
  parseMetadata,
  parseNamespace,
  parseQuota,
  parseQuotaRoot,
  parseSearch,
  parseStatusData,
  parseVanished,
} from './mailbox-data.js';
import type { WireReader } from './reader.js';
import { parseRespText } from './response-code.js';
import type { ImapResponse, TaggedStatus, UntaggedStatus } from './response-types.js';
import type { SeqNum } from './sequence-set.js';

const SP = 0x20;
const STAR = 0x2a;
const PLUS = 0x2b;
const DQUOTE = 0x22;

/*
 * response        = *(continue-req / response-data) response-done
 * continue-req    = "+" SP (resp-text / base64) CRLF
 * response-data   = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data /
 *                   capability-data / enable-data) CRLF
 * response-tagged = tag SP resp-cond-state CRLF
 */
export function parseResponse(reader: WireReader, context: ParseContext): ImapResponse {
  const first = reader.peek();
  if (first === PLUS) {
    reader.pos++;
    return parseContinueReq(reader);
  }
  if (first === STAR) {
    reader.pos++;
    reader.sp();
    return parseResponseData(reader, context);
  }
  return parseResponseTagged(reader);
}

/*
 * continue-req    = "+" SP (resp-text / base64) CRLF
 * Quirk: a bare "+" without the space (Exchange, some Gmail frontends) is accepted.
 */
function parseContinueReq(reader: WireReader): ImapResponse {
  if (reader.peek() === SP) reader.pos++;
  if (reader.peek() !== 0x5b) return { kind: 'continuation', text: reader.rest(), code: null };
  const { code, text } = parseRespText(reader);
  return { kind: 'continuation', text, code };
}

/*
 * response-tagged = tag SP resp-cond-state CRLF
 * tag             = 1*<any ASTRING-CHAR except "+">
 * resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
 */
function parseResponseTagged(reader: WireReader): ImapResponse {
  const tag = reader.astring('tag');
  reader.sp();
  const status = reader.keyword('OK, NO or BAD');
  if (status !== 'OK' && status !== 'NO' && status !== 'BAD') reader.fail('Expected OK, NO or BAD');
  const { code, codeData, text } = parseRespText(reader);
  if (codeData !== '') return { kind: 'tagged', tag, status: status satisfies TaggedStatus, code, codeData, text };
  return { kind: 'tagged', tag, status: status satisfies TaggedStatus, code, text };
}

/*
 * message-data    = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
 * mailbox-data    =/ number SP "EXISTS" / number SP "RECENT"
 */
function parseNumberedData(reader: WireReader, context: ParseContext): ImapResponse {
  const start = reader.pos;
  // number = 32 bits (RFC 9051 section 9): a larger count is no count (it would become the mailbox's size).
  const count = reader.number32();
  reader.sp();
  const name = reader.keyword('EXISTS, RECENT, EXPUNGE or FETCH');
  switch (name) {
    case 'EXISTS':
      return { kind: 'exists', count };
    case 'RECENT':
      return { kind: 'recent', count };
    case 'EXPUNGE':
      if (count === 0) reader.fail('Expected a message number (nz-number) before EXPUNGE', start);
      return { kind: 'expunge', seq: count as SeqNum };
    case 'FETCH': {
      if (count === 0) reader.fail('Expected a message number (nz-number) before FETCH', start);
      reader.sp();
      const attributes = parseMsgAtt(reader, context.maxDepth);
      // A literal no item read (inside a number or atom, or after the ")") would be lost: a body among them.
      if (reader.literalsLeft) reader.fail('Unexpected literal in FETCH data');
      return { kind: 'fetch', seq: count as SeqNum, attributes };
    }
    default:
      return { kind: 'unknown', name, text: `${count} ${name}${reader.rest()}` };
  }
}

function parseResponseData(reader: WireReader, context: ParseContext): ImapResponse {
  const first = reader.peek();
  if (first >= 0x30 && first <= 0x39) return parseNumberedData(reader, context);
  const name = reader.keyword('response name');
  switch (name) {
    // resp-cond-state / resp-cond-bye / resp-cond-auth ("PREAUTH", in the greeting)
    case 'OK':
    case 'NO':
    case 'BAD':
    case 'BYE':
    case 'PREAUTH': {
      const { code, codeData, text } = parseRespText(reader);
      if (codeData !== '') return { kind: 'status', status: name satisfies UntaggedStatus, code, codeData, text };
      return { kind: 'status', status: name satisfies UntaggedStatus, code, text };
    }
    // capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)
    case 'CAPABILITY':
      return { kind: 'capability', capabilities: parseWords(reader) };
    // enable-data = "ENABLED" *(SP capability)
    case 'ENABLED':
      return { kind: 'enabled', capabilities: parseWords(reader) };
    case 'FLAGS':
      reader.sp();
      return { kind: 'flags', flags: parseFlagList(reader) };
    case 'LIST':
    case 'LSUB':
      reader.sp();
      return parseMailboxList(reader, name, context);
    case 'XLIST':
      reader.sp();
      return parseMailboxList(reader, xlistAsList(), context);
    case 'STATUS':
      reader.sp();
      return parseStatusData(reader, context);
    case 'SEARCH':
      return parseSearch(reader);
    case 'ESEARCH':
      return parseESearch(reader);
    case 'VANISHED':
      return parseVanished(reader);
    case 'NAMESPACE':
      return parseNamespace(reader, context);
    case 'ID':
      return parseId(reader);
    case 'QUOTA':
      return parseQuota(reader);
    case 'QUOTAROOT':
      return parseQuotaRoot(reader, context);
    case 'METADATA':
      return parseMetadata(reader, context);
    default:
      reader.sp();
      return { kind: 'unknown', name, text: reader.rest() };
  }
}

/**
 * Quirk: Gmail (and old Zimbra) answer the pre-RFC 6154 XLIST command with `* XLIST` lines that
 * have the LIST grammar; they are reported as LIST data.
 */
function xlistAsList(): 'LIST' {
  return 'LIST';
}

/* capability = ("AUTH=" auth-type) / atom ; upper-cased, extra spaces ignored */
function parseWords(reader: WireReader): string[] {
  const words: string[] = [];
  reader.sp();
  while (!reader.atEnd()) {
    words.push((reader.peek() === DQUOTE ? quotedCapability(reader) : reader.looseAtom('capability')).toUpperCase());
    reader.sp();
  }
  return words;
}

/**
 * Quirk: a capability name sent as a quoted string (`* ENABLED "CONDSTORE"`), seen in the wild,
 * server not named: the name is its value, without the quotes (with them, `"CONDSTORE"` would
 * match no capability the client looks for).
 */
function quotedCapability(reader: WireReader): string {
  return reader.string('capability');
}
