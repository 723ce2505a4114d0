/**
 * FETCH data items: `msg-att` (RFC 9051 section 7.5.2; RFC 3516 BINARY; RFC 7162 MODSEQ;
 * RFC 8474 OBJECTID; RFC 8514 SAVEDATE).
 *
 * @internal
 * @packageDocumentation
 */

import { parseBody } from './body-structure.js';
import { parseImapDateTime } from './date.js';
import { parseEnvelope } from './envelope.js';
import { modSequenceOrNone } from './mailbox-data.js';
import type { BodyItemName, FetchAttributes, FetchBody, UnknownFetchItem } from './fetch-types.js';
import type { WireReader } from './reader.js';
import { byLength, decodeText, decodeUpperCase } from './reader.js';
import { parseSectionSpec, sectionOfRfc822Item } from './section.js';
import type { Uid } from './sequence-set.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const LPAREN = 0x28;
const RPAREN = 0x29;

/** The item names a client asks for most, by length: recognised without making a string. */
const KNOWN_ITEM_NAMES = byLength(['UID', 'FLAGS', 'RFC822.SIZE', 'ENVELOPE', 'MODSEQ', 'BODY', 'BODYSTRUCTURE', 'INTERNALDATE', 'BINARY']);

/** `name` when `bytes[start, end)` spells it in any case (`name` is upper-case ASCII). */
function spells(bytes: Uint8Array, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const byte = bytes[start + i]!;
    if ((byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Reads a FETCH item name, upper-cased: letters, digits, `.`, `-`, `_`, `$` up to `[`, a space or a parenthesis. */
function readItemName(reader: WireReader): string {
  const bytes = reader.bytes;
  const start = reader.pos;
  let pos = start;
  while (pos < reader.end) {
    const byte = bytes[pos]!;
    if (byte === 0x20 || byte === 0x5b || byte === LPAREN || byte === RPAREN || byte === 0x22 || byte < 0x20) break;
    pos++;
  }
  if (pos === start) {
    if (bytes[start] === LPAREN && start !== reader.end) return WRAPPED_ITEMS;
    reader.fail('Expected a FETCH item name');
  }
  reader.pos = pos;
  const candidates = KNOWN_ITEM_NAMES[pos - start];
  if (candidates !== undefined) {
    for (const name of candidates) if (spells(bytes, start, name)) return name;
  }
  return decodeUpperCase(bytes, start, pos);
}

/*
 * section         = "[" [section-spec] "]"
 * section-binary  = "[" [section-part] "]"
 * Returns the raw text between the brackets.
 */
function readSectionRaw(reader: WireReader): string {
  reader.expect(0x5b, '"["');
  const start = reader.pos;
  reader.skipBracket();
  return decodeText(reader.bytes, start, reader.pos - 1);
}

/**
 * The section and origin of an item this parser does not know (`X-ITEM[1.2]<0>`), as text: they
 * belong to its name, as BODY's do, and the value after them is the item's value.
 */
function readSectionAndOrigin(reader: WireReader): string {
  const section = readSectionRaw(reader);
  const origin = readOrigin(reader);
  return origin === null ? `[${section}]` : `[${section}]<${origin}>`;
}

/** `"<" number ">"` after a section, or null. */
function readOrigin(reader: WireReader): number | null {
  if (!reader.eat(0x3c)) return null;
  const origin = reader.number('origin octet');
  reader.expect(0x3e, '">"');
  return origin;
}

/*
 * msg-att         = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) ")"
 * msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"
 * msg-att-static  = "ENVELOPE" SP envelope / "INTERNALDATE" SP date-time /
 *                   "RFC822.SIZE" SP number64 / "BODY" ["STRUCTURE"] SP body /
 *                   "BODY" section ["<" number ">"] SP nstring /
 *                   "BINARY" section-binary SP (nstring / literal8) /
 *                   "BINARY.SIZE" section-binary SP number / "UID" SP uniqueid
 * msg-att-dynamic =/ fetch-mod-resp      ; "MODSEQ" SP "(" permsg-modsequence ")" (RFC 7162)
 */
export function parseMsgAtt(reader: WireReader, maxDepth: number): FetchAttributes {
  const attributes: Mutable<FetchAttributes> = {};
  reader.expect(LPAREN, '"(" starting FETCH data');
  parseItems(reader, attributes, maxDepth, false);
  return attributes;
}

/** Reads the items of msg-att into `attributes`, up to and past the closing ")". */
function parseItems(reader: WireReader, attributes: Mutable<FetchAttributes>, maxDepth: number, wrapped: boolean): void {
  reader.sp();
  while (reader.peek() !== RPAREN) {
    if (reader.atEnd()) reader.fail('Unterminated FETCH data');
    const name = readItemName(reader);
    switch (name) {
      case WRAPPED_ITEMS:
        if (wrapped) reader.fail('Expected a FETCH item name');
        itemsInParentheses(reader, attributes, maxDepth);
        break;
      case 'UID': {
        reader.sp();
        const uid = reader.number32('uniqueid');
        // uniqueid = nz-number: no message has UID 0, so it is left out rather than handed on as a
        // UID, and the response, known by its message number, is kept (`* 0 FETCH` has nothing
        // else to be known by and is refused). Seen from Exchange behind DavMail (OfflineIMAP
        // issue 479) and a server OfflineIMAP issue 336 does not name.
        if (uid !== 0) attributes.uid = uid as Uid;
        break;
      }
      case 'FLAGS':
        reader.sp();
        attributes.flags = parseFlagList(reader);
        break;
      case 'RFC822.SIZE': {
        reader.sp();
        const size = reader.numberOrNil('RFC822.SIZE');
        if (size !== undefined) attributes.size = size;
        break;
      }
      case 'INTERNALDATE': {
        reader.sp();
        const text = reader.nstring('date-time');
        attributes.internalDate = text === null ? null : parseImapDateTime(text);
        break;
      }
      case 'ENVELOPE':
        reader.sp();
        attributes.envelope = parseEnvelope(reader);
        break;
      case 'BODYSTRUCTURE':
        reader.sp();
        attributes.bodyStructure = parseBody(reader, maxDepth);
        break;
      case 'MODSEQ':
        reader.sp();
        if (reader.eat(LPAREN)) {
          reader.sp();
          readPermsgModsequence(reader, attributes);
          reader.closeParen();
        } else {
          modSequenceWithoutParentheses(reader, attributes);
        }
        break;
      case 'EMAILID':
      case 'THREADID': {
        reader.sp();
        const id = reader.nil() ? null : parseObjectId(reader);
        if (name === 'EMAILID') attributes.emailId = id ?? '';
        else attributes.threadId = id;
        break;
      }
      case 'SAVEDATE': {
        reader.sp();
        const text = reader.nstring('date-time');
        attributes.saveDate = text === null ? null : parseImapDateTime(text);
        break;
      }
      case 'BODY':
      case 'BINARY':
        if (reader.peek() === 0x5b) {
          addBody(attributes, parseBodyValue(reader, name));
        } else if (name === 'BODY') {
          reader.sp();
          attributes.body = parseBody(reader, maxDepth);
        } else {
          reader.fail('Expected "[" after BINARY');
        }
        break;
      case 'BINARY.SIZE': {
        const section = readSectionRaw(reader);
        reader.sp();
        const size = reader.numberOrNil('BINARY.SIZE');
        if (size !== undefined) attributes.binarySize = { ...attributes.binarySize, [section]: size };
        break;
      }
      case 'RFC822':
      case 'RFC822.HEADER':
      case 'RFC822.TEXT':
        addBody(attributes, parseBodyValue(reader, name));
        break;
      default: {
        const fullName = reader.peek() === 0x5b ? name + readSectionAndOrigin(reader) : name;
        reader.sp();
        const item: UnknownFetchItem = { name: fullName, value: reader.skipValue() };
        attributes.unknown = [...(attributes.unknown ?? []), item];
      }
    }
    reader.sp();
  }
  reader.pos++;
}

/** What {@link readItemName} returns for a "(" where an item name belongs (see itemsInParentheses). */
const WRAPPED_ITEMS = '(';

/**
 * Quirk: Domino wraps an item in parentheses, `* 2 FETCH (UID 14935 (ENVELOPE (...)) ...)`
 * (MailKit issue 943): the items inside are read as items of the message. One level only.
 */
function itemsInParentheses(reader: WireReader, attributes: Mutable<FetchAttributes>, maxDepth: number): void {
  reader.pos++;
  parseItems(reader, attributes, maxDepth, true);
}

function addBody(attributes: Mutable<FetchAttributes>, body: FetchBody): void {
  attributes.bodies = attributes.bodies === undefined ? [body] : [...attributes.bodies, body];
}

/*
 * "BODY" section ["<" number ">"] SP nstring / "BINARY" section-binary ["<" number ">"] SP (nstring / literal8)
 * "RFC822" SP nstring / "RFC822.HEADER" SP nstring / "RFC822.TEXT" SP nstring
 */
function parseBodyValue(reader: WireReader, item: BodyItemName): FetchBody {
  const section = item === 'BODY' || item === 'BINARY' ? parseSectionSpec(readSectionRaw(reader)) : sectionOfRfc822Item(item);
  const origin = item === 'BODY' || item === 'BINARY' ? readOrigin(reader) : null;
  reader.sp();
  if (reader.nil()) return { item, section, origin, content: { kind: 'nil' } };
  // A StringToken has the shape of the matching BodyContent: it is used as it is.
  return { item, section, origin, content: reader.stringToken('body value') };
}

/*
 * flag-list       = "(" [flag *(SP flag)] ")"
 * flag            = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
 * flag-fetch      = flag / obsolete-flag-recent
 * flag-perm       = flag / "\*"
 * Lenient: a flag is read up to a space or ")", whatever its characters.
 */
export function parseFlagList(reader: WireReader): string[] {
  if (reader.nil()) return []; // quirk: NIL instead of "()", seen from some Exchange builds
  reader.expect(LPAREN, '"(" starting flag list');
  // Collected in one shared array and copied out at their length (a list grown by push from empty
  // reserves room for 17): nearly every FETCH response carries a list of a flag or two.
  let count = 0;
  reader.sp();
  while (reader.peek() !== RPAREN) {
    if (reader.atEnd()) reader.fail('Unterminated flag list');
    const flag = reader.looseAtom('flag', false, COMMON_FLAGS);
    if (flag.length !== 3 || !nilAmongFlags(flag)) flagScratch[count++] = flag;
    reader.sp();
  }
  reader.pos++;
  return flagScratch.slice(0, count > 1 ? withoutRepeatedFlags(count) : count);
}

const flagScratch: string[] = [];

/**
 * Quirk: a flag listed twice (`FLAGS (\Seen \Seen)`), seen in the wild, server not named: kept
 * once, where it first stood, so the list can be taken as the message's set of flags. Compacts the
 * first `count` entries of the scratch list in place and returns how many are left. Flags of one
 * message are few: a look back over those kept is cheaper than a Set.
 */
function withoutRepeatedFlags(count: number): number {
  let kept = 1;
  for (let i = 1; i < count; i++) {
    const flag = flagScratch[i]!;
    let seen = false;
    for (let j = 0; j < kept && !seen; j++) seen = flagScratch[j] === flag;
    if (!seen) flagScratch[kept++] = flag;
  }
  return kept;
}

/**
 * Quirk: NIL inside a flag list (`FLAGS (\Seen NIL)`), from a server not named (no report of it
 * found in peers' issue trackers). It stands for no flag, not for a keyword named "NIL" that a
 * client would then try to store back: it is dropped and the other flags kept. Called only for a
 * flag of three characters here; PERMANENTFLAGS (a response code, read from its text) drops it too.
 *
 * @internal
 */
export function nilAmongFlags(flag: string): boolean {
  return flag.toUpperCase() === 'NIL';
}

/** Flags that come back on message after message, returned without making a string each time. */
const COMMON_FLAGS = byLength(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\Recent', '$Forwarded', '$Junk', '$NotJunk', '$MDNSent']);

/**
 * Quirk: `MODSEQ (-1)`, from a server MailKit issues 495 and 1686 do not name. No mod-sequence is
 * negative (RFC 7162 section 7): the value is skipped and MODSEQ left out (the workaround MailKit's
 * maintainer proposed there), and the rest of the response kept.
 */
function skipNegativeModSequence(reader: WireReader): void {
  reader.pos++; // the "-"
  reader.bigNumber('mod-sequence-value');
}

/*
 * permsg-modsequence = mod-sequence-value     (RFC 7162)
 * mod-sequence-value = 1*DIGIT                ; 1 <= n <= 2^63 - 1
 * A 0 is left out, as a negative value is (see modSequenceOrNone).
 */
function readPermsgModsequence(reader: WireReader, attributes: Mutable<FetchAttributes>): void {
  if (reader.peek() === 0x2d) {
    skipNegativeModSequence(reader);
    return;
  }
  const modseq = modSequenceOrNone(reader.bigNumber('mod-sequence-value'));
  if (modseq !== undefined) attributes.modseq = modseq;
}

/**
 * Quirk: `MODSEQ 624140003`, without the parentheses of fetch-mod-resp, as imap-codec's encoder
 * wrote it for servers built on it (imap-codec issue 722): read as the mod-sequence in parentheses.
 */
function modSequenceWithoutParentheses(reader: WireReader, attributes: Mutable<FetchAttributes>): void {
  readPermsgModsequence(reader, attributes);
}

/* objectid = 1*255(ALPHA / DIGIT / "_" / "-"), in parentheses (RFC 8474) */
function parseObjectId(reader: WireReader): string {
  if (!reader.eat(LPAREN)) return objectIdWithoutParentheses(reader);
  reader.sp();
  const id = reader.looseAtom('objectid');
  reader.closeParen();
  return id;
}

/**
 * Quirk: `EMAILID M6d99ac3275bb4e` or `THREADID T1`, the objectid without the parentheses RFC 8474
 * puts around it, from a server not named (no report of it found in peers' issue trackers; the
 * same slip as `MODSEQ 624140003`, see modSequenceWithoutParentheses): read as the objectid.
 */
function objectIdWithoutParentheses(reader: WireReader): string {
  return reader.looseAtom('objectid');
}
