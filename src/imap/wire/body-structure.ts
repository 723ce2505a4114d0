/**
 * BODY and BODYSTRUCTURE (RFC 9051 section 7.5.2, grammar in section 9).
 *
 * @internal
 * @packageDocumentation
 */

import { LimitExceededError } from '../../common/errors.js';
import { decodeParameters } from '../../common/mime/parameters.js';
import { parseEnvelope } from './envelope.js';
import type {
  BodyExtension,
  BodyFields,
  BodyParameters,
  BodyStructure,
  ContentDisposition,
  Envelope,
  MultiPartExtension,
  SinglePartExtension,
} from './fetch-types.js';
import type { WireReader } from './reader.js';

const LPAREN = 0x28;
const RPAREN = 0x29;
const DQUOTE = 0x22;

/*
 * body            = "(" (body-type-1part / body-type-mpart) ")"
 *
 * @param singleId - the part id this node has if it is a single part.
 * @param multiId - the part id it has if it is a multipart (its children are multiId.1, ...).
 */
export function parseBody(reader: WireReader, maxDepth: number, singleId = '1', multiId = '', depth = 1): BodyStructure {
  if (depth > maxDepth) throw new LimitExceededError('maxBodyDepth', maxDepth, depth);
  reader.expect(LPAREN, '"(" starting a body');
  reader.sp();
  let body: BodyStructure;
  if (reader.peek() === LPAREN) {
    body = parseBodyTypeMpart(reader, maxDepth, multiId, depth);
  } else {
    const type = reader.nstring('media-type');
    reader.sp();
    if (type !== null && (multipartWithoutParts(reader) || multipartWithNilParams(reader))) {
      body = parseMpartRest(reader, multiId, [], type.toLowerCase());
    } else if (type === null && multipartWithNilType(reader)) {
      body = parseMpartRest(reader, multiId, [], parseMediaSubtype(reader));
    } else if (type !== null && partWithOneMediaToken(reader)) {
      const token = type.toLowerCase();
      const [mediaType, subtype] = TOP_LEVEL_TYPES.has(token) ? [token, ''] : ['application', token];
      body = parseBodyType1part(reader, maxDepth, singleId, depth, mediaType, subtype);
    } else {
      body = parseBodyType1part(reader, maxDepth, singleId, depth, lower(type), parseMediaSubtype(reader));
    }
  }
  reader.closeParen();
  return body;
}

/**
 * Looks ahead without moving: true when the value `index` values from here is a number, as
 * body-fld-octets is (a `-` counts: see {@link parseBodyFldOctets}); false when the body ends
 * sooner. The quirks below tell a single part from a multipart without parts by it: counted from
 * its body-fld-param, a single part has body-fields (parameters, id, description, encoding, then
 * the octets number), where a multipart has its extension data (parameters, disposition, language,
 * location, then any number of body-extension values, which servers hardly ever send and which are
 * not numbers when they do).
 */
function octetsAt(reader: WireReader, index: number): boolean {
  const start = reader.mark();
  for (let i = 0; i < index && hasMore(reader); i++) {
    reader.skipValue();
    reader.sp();
  }
  const byte = reader.peek();
  reader.rewind(start);
  return (byte >= 0x30 && byte <= 0x39) || byte === 0x2d;
}

/**
 * Quirk: a server the report does not name (MailKit issue 1393) describes a multipart without parts,
 * the body of a delivery report's attached message, by NIL in the media type's place, then its
 * subtype and extension data: `(NIL "alternative" ("boundary" "x") NIL NIL NIL)`. Called after the
 * NIL; true, without moving, when what follows has no octets number where a single part's subtype
 * and body-fields would have it (a single part with a NIL media type, also seen, keeps being read
 * as one).
 */
function multipartWithNilType(reader: WireReader): boolean {
  return !octetsAt(reader, 5); // after the subtype: parameters, id, description, encoding, octets
}

/**
 * Quirk: Gmail describes a multipart nested in one with the same boundary by its subtype alone,
 * without child bodies: `("ALTERNATIVE" ("BOUNDARY" "x") NIL NIL)` in BODYSTRUCTURE,
 * `("ALTERNATIVE")` in BODY. Called after the first string of a body; true, without moving, when
 * the body's end, or a parameter list without body-fields' octets number after it, follows it, where
 * a single part has its media-subtype string (see {@link partWithOneMediaToken} for the other
 * shape with a parameter list there).
 */
function multipartWithoutParts(reader: WireReader): boolean {
  const byte = reader.peek();
  return byte === RPAREN || (byte === LPAREN && !octetsAt(reader, 4));
}

/**
 * Quirk: a server the report does not name (MailKit issue 371) sends a part whose Content-Type is
 * one token (`Content-Type: X-ZIP`) with that token alone where media type and subtype belong,
 * then the part's body-fields: `("X-ZIP" ("NAME" "a.zip") NIL NIL "BASE64" 1234 ...)`. Called
 * after the first string of a body, once {@link multipartWithoutParts} has said no; true when a
 * parameter list stands in the media-subtype's place, or NIL for a part without parameters
 * (`("X-ZIP" NIL NIL NIL "BASE64" 12)`) when the octets number stands where body-fields put it
 * counted from that NIL (a part with a NIL media-subtype has it one value later). The token is read
 * as the subtype of an `application` part, the type of data a client cannot otherwise interpret
 * (RFC 2046 section 4.5), unless it names a top-level type (`TEXT`): then that type with subtype `''`.
 */
function partWithOneMediaToken(reader: WireReader): boolean {
  const byte = reader.peek();
  return byte === LPAREN || ((byte | 0x20) === 0x6e && octetsAt(reader, 4)); // "N" of NIL
}

/** The top-level media types (RFC 2046, RFC 2077, RFC 8081), which a lone media token may name. */
const TOP_LEVEL_TYPES: ReadonlySet<string> = new Set(['text', 'image', 'audio', 'video', 'application', 'message', 'multipart', 'model', 'font']);

/**
 * Quirk: Gmail describes an attachment typed multipart/related by its subtype, NIL parameters and
 * its disposition, without child bodies: `("RELATED" NIL ("ATTACHMENT" NIL) NIL)` (MailKit issue
 * 371). Called after the first string of a body; true, without moving, when NIL follows it and no
 * octets number stands where a single part whose media-subtype is NIL has it in its body-fields,
 * nor where a part with one media token and NIL parameters has it (see {@link partWithOneMediaToken}).
 */
function multipartWithNilParams(reader: WireReader): boolean {
  // "N" of NIL: nothing else starts with it here.
  return (reader.peek() | 0x20) === 0x6e && !octetsAt(reader, 5) && !octetsAt(reader, 4);
}

/*
 * body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
 * body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
 */
function parseBodyTypeMpart(reader: WireReader, maxDepth: number, partId: string, depth: number): BodyStructure {
  const parts: BodyStructure[] = [];
  while (reader.peek() === LPAREN) {
    const childId = partId === '' ? String(parts.length + 1) : `${partId}.${parts.length + 1}`;
    parts.push(parseBody(reader, maxDepth, childId, childId, depth + 1));
    reader.sp();
  }
  return parseMpartRest(reader, partId, parts, parseMediaSubtype(reader));
}

/** `media-subtype`, lower-cased ('' for NIL, which some servers send), and the space after it. */
function parseMediaSubtype(reader: WireReader): string {
  const subtype = lower(reader.nstring('media-subtype'));
  reader.sp();
  return subtype;
}

/** A multipart's `[SP body-ext-mpart]`, after its parts and media-subtype. */
function parseMpartRest(reader: WireReader, partId: string, parts: BodyStructure[], subtype: string): BodyStructure {
  let extension: MultiPartExtension | null = null;
  if (hasMore(reader)) {
    const { params, paramsRaw } = parseBodyFldParam(reader);
    extension = { params, paramsRaw, ...parseExtensionTail(reader, true) };
  }
  return { kind: 'multipart', partId, type: 'multipart', subtype, parts, extension };
}

/*
 * body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
 * body-type-basic = media-basic SP body-fields
 * body-type-msg   = media-message SP body-fields SP envelope SP body SP body-fld-lines
 * body-type-text  = media-text SP body-fields SP body-fld-lines
 * body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
 */
function parseBodyType1part(reader: WireReader, maxDepth: number, partId: string, depth: number, type: string, subtype: string): BodyStructure {
  const fields = parseBodyFields(reader);
  if (type === 'text') {
    reader.sp();
    const lines = parseBodyFldLines(reader);
    return { kind: 'text', partId, type, subtype, ...fields, lines, extension: parseExt1part(reader) };
  }
  if (type === 'message' && (subtype === 'rfc822' || subtype === 'global')) {
    reader.sp();
    let envelope: Envelope | null = null;
    let body: BodyStructure | null = null;
    if (!envelopeAndBodyNil(reader) && !messagePartWithoutStructure(reader)) {
      envelope = parseEnvelope(reader);
      reader.sp();
      body = emptyBody(reader) ? null : parseBody(reader, maxDepth, `${partId}.1`, partId, depth + 1);
      reader.sp();
    }
    const lines = parseBodyFldLines(reader);
    return { kind: 'message', partId, type, subtype, ...fields, envelope, body, lines, extension: parseExt1part(reader) };
  }
  return { kind: 'basic', partId, type, subtype, ...fields, extension: parseExt1part(reader) };
}

/**
 * Quirk: some servers describe a message/rfc822 part like a basic part, without envelope and body
 * (reported for Yahoo and for old Exchange builds when the attached message is malformed).
 * Returns true when the envelope is missing.
 */
function messagePartWithoutStructure(reader: WireReader): boolean {
  return reader.peek() !== LPAREN;
}

/**
 * Quirk: Domino sends `()` as the body of an attached message it could not parse (the returned
 * message of a delivery report, after an all-NIL envelope). Returns true, past the `()`, when that
 * is what stands here; the attached message then has no body.
 */
function emptyBody(reader: WireReader): boolean {
  const start = reader.pos;
  if (reader.eat(LPAREN)) {
    reader.sp();
    if (reader.eat(RPAREN)) return true;
  }
  reader.pos = start;
  return false;
}

/**
 * Quirk: some servers send NIL for both the envelope and the body of a message/rfc822 part they
 * could not parse, then its line count (`... 903 NIL NIL 17`; reported against MailKit, pull
 * request 68, without naming the server). Returns true, past both NILs, when that is the shape; a
 * part described like a basic one (see {@link messagePartWithoutStructure}: `... 903 NIL NIL NIL
 * NIL`) has no number there.
 */
function envelopeAndBodyNil(reader: WireReader): boolean {
  const start = reader.pos;
  if (reader.nil()) {
    reader.sp();
    if (reader.nil()) {
      reader.sp();
      const byte = reader.peek();
      if (byte >= 0x30 && byte <= 0x39) return true;
    }
  }
  reader.pos = start;
  return false;
}

function parseExt1part(reader: WireReader): SinglePartExtension | null {
  reader.sp();
  if (!hasMore(reader)) return null;
  // body-fld-md5 = nstring
  const md5 = reader.peek() === LPAREN ? (reader.skipValue(), null) : reader.nstring('body-fld-md5');
  return { md5, ...parseExtensionTail(reader) };
}

/** The shared tail: [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]. */
function parseExtensionTail(reader: WireReader, multipart = false): BodyExtension {
  let disposition: ContentDisposition | null = null;
  let language: string[] = [];
  let location: string | null = null;
  reader.sp();
  if (hasMore(reader)) {
    disposition = multipart && descriptionInPlaceOfDisposition(reader) ? null : parseBodyFldDsp(reader);
    reader.sp();
    if (hasMore(reader)) {
      language = parseBodyFldLang(reader);
      reader.sp();
      if (hasMore(reader)) {
        location = reader.peek() === LPAREN ? (reader.skipValue(), null) : reader.nstring('body-fld-loc');
        reader.sp();
        // *(SP body-extension): future extensions, skipped.
        while (hasMore(reader)) {
          reader.skipValue();
          reader.sp();
        }
      }
    }
  }
  return { disposition, language, location };
}

/**
 * Quirk: Exchange puts a multipart's Content-Description (`"S/MIME Encrypted Message"`) where its
 * body-fld-dsp belongs. Returns true, past the string, when a string stands there: a multipart's
 * disposition is a list or NIL, and the bare-string disposition of single parts (see
 * {@link parseBodyFldDsp}) has not been seen on multiparts.
 */
function descriptionInPlaceOfDisposition(reader: WireReader): boolean {
  if (reader.peek() !== 0x22 && !reader.literalHere()) return false;
  reader.string('body-fld-desc');
  return true;
}

function hasMore(reader: WireReader): boolean {
  const byte = reader.peek();
  return byte !== RPAREN && (byte !== -1 || reader.literalHere());
}

/*
 * body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
 * body-fld-id     = nstring
 * body-fld-desc   = nstring
 * body-fld-enc    = (DQUOTE ("7BIT" / "8BIT" / "BINARY" / "BASE64"/ "QUOTED-PRINTABLE") DQUOTE) / string
 */
function parseBodyFields(reader: WireReader): BodyFields {
  const { params, paramsRaw } = parseBodyFldParam(reader);
  reader.sp();
  const id = reader.nstring('body-fld-id');
  reader.sp();
  const description = reader.headerNstring('body-fld-desc');
  reader.sp();
  const encoding = (reader.nstring('body-fld-enc') ?? '7BIT').toUpperCase(); // NIL: seen from Exchange
  reader.sp();
  const size = parseBodyFldOctets(reader);
  return { params, paramsRaw, id, description, encoding, size };
}

/*
 * body-fld-param  = "(" string SP string *(SP string SP string) ")" / nil
 *
 * Quirks: Exchange sends "()" for no parameters, and some servers send NIL values; both accepted,
 * a parameter with a NIL name or value left out.
 * Values are decoded (RFC 2231, RFC 2047 words) into `params`; `paramsRaw` keeps them as sent.
 */
function parseBodyFldParam(reader: WireReader): BodyParameters {
  const paramsRaw: Record<string, string> = Object.create(null) as Record<string, string>;
  if (reader.nil()) return { params: paramsRaw, paramsRaw };
  if (reader.peek() !== LPAREN) {
    reader.string('body-fld-param'); // a bare string: tolerated, dropped
    return { params: paramsRaw, paramsRaw };
  }
  const strings = reader.list(() => reader.headerNstring('body-fld-param'), 'body-fld-param');
  for (let i = 0; i + 1 < strings.length; i += 2) {
    const name = strings[i];
    const value = strings[i + 1];
    // NIL for a value (MailKit issue 124: a boundary sent as NIL) says the value does not exist
    // (RFC 9051 section 4.5): the parameter is left out, not read as an empty one.
    if (name != null && value != null) paramsRaw[name.toLowerCase()] = value;
  }
  return { params: decodeParameters(paramsRaw), paramsRaw };
}

/*
 * body-fld-octets = number
 *
 * Quirk: some servers send a negative number or NIL here (go-imap's ExpectBodyFldOctets documents
 * it); read as 0.
 */
function parseBodyFldOctets(reader: WireReader): number {
  if (reader.nil()) return 0;
  if (reader.eat(0x2d)) {
    reader.number('body-fld-octets');
    return 0;
  }
  if (reader.peek() === DQUOTE) return reader.numberInQuotes('body-fld-octets') ?? reader.fail('Expected body-fld-octets');
  const start = reader.pos;
  const octets = reader.number('body-fld-octets');
  return numberInExponentForm(reader, start, 'body-fld-octets') ?? octets;
}

/**
 * Quirk: mail.ru writes large sizes and line counts as a C++ stream writes a double, `9.3736e+06`
 * (MailKit issue 1838). Called after the digits read from `start`: when a fraction or an exponent
 * follows them, reads it and returns the whole value rounded; else null, with the reader unmoved.
 */
function numberInExponentForm(reader: WireReader, start: number, what: string): number | null {
  const byte = reader.peek();
  if (byte !== 0x2e && (byte | 0x20) !== 0x65) return null;
  for (;;) {
    const next = reader.peek();
    const numeric = (next >= 0x30 && next <= 0x39) || next === 0x2e || next === 0x2b || next === 0x2d || (next | 0x20) === 0x65;
    if (!numeric) break;
    reader.pos++;
  }
  const value = Number(reader.bytes.toString('latin1', start, reader.pos));
  if (!Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) reader.fail(`Expected ${what}`, start);
  return Math.round(value);
}

/*
 * body-fld-lines  = number64
 * Quirk: tolerated as NIL or missing (seen from Exchange for text parts), read as 0.
 */
function parseBodyFldLines(reader: WireReader): number {
  if (reader.nil()) return 0;
  const byte = reader.peek();
  if (byte === DQUOTE) return reader.numberInQuotes('body-fld-lines') ?? 0;
  if (byte === 0x2d) return negativeLines(reader);
  if (byte < 0x30 || byte > 0x39) return 0;
  const start = reader.pos;
  const lines = reader.number('body-fld-lines');
  return numberInExponentForm(reader, start, 'body-fld-lines') ?? lines;
}

/**
 * Quirk: a negative line count, `-1` (modern-email/defects issue 27, go-imap issue 534: Dovecot or
 * Exchange), read as 0 as a negative size is.
 */
function negativeLines(reader: WireReader): number {
  reader.pos++; // the "-"
  reader.number('body-fld-lines');
  return 0;
}

/*
 * body-fld-dsp    = "(" string SP body-fld-param ")" / nil
 *
 * Quirk: a bare string instead of the list (some Exchange builds) is read as a disposition without
 * parameters.
 */
function parseBodyFldDsp(reader: WireReader): ContentDisposition | null {
  if (reader.nil()) return null;
  if (reader.peek() !== LPAREN) return { type: reader.string('body-fld-dsp').toLowerCase(), ...noParameters() };
  reader.pos++;
  reader.sp();
  const type = reader.nstring('body-fld-dsp');
  reader.sp();
  const params = reader.peek() === RPAREN ? noParameters() : parseBodyFldParam(reader);
  reader.closeParen();
  return type === null && dispositionWithNothing(params) ? null : { type: (type ?? '').toLowerCase(), ...params };
}

function noParameters(): BodyParameters {
  const params = Object.create(null) as Record<string, string>;
  return { params, paramsRaw: params };
}

/**
 * Quirk: Exchange sends `(NIL NIL)` for a part without Content-Disposition: with neither a type
 * nor parameters it is no disposition. (A NIL type with parameters keeps them, type ''.)
 */
function dispositionWithNothing({ paramsRaw }: BodyParameters): boolean {
  return Object.keys(paramsRaw).length === 0;
}

/*
 * body-fld-lang   = nstring / "(" string *(SP string) ")"
 */
function parseBodyFldLang(reader: WireReader): string[] {
  if (reader.peek() === LPAREN) {
    return reader.list(() => reader.nstring('body-fld-lang'), 'body-fld-lang').filter((value) => value !== null);
  }
  const value = reader.nstring('body-fld-lang');
  return value === null ? [] : [value];
}

function lower(value: string | null): string {
  return value === null ? '' : value.toLowerCase();
}
