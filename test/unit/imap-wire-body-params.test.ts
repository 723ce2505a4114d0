/**
 * BODYSTRUCTURE parameters (`body-fld-param`) as mailers write them: RFC 2231 continuations and
 * charsets, and RFC 2047 encoded words in plain values. Bytes only, as a server sends them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BasicBodyPart, BodyStructure, FetchResponse, MultiBodyPart } from '../../src/imap/wire/index.js';
import { feed } from './imap-wire/harness.js';

/** The BODYSTRUCTURE of the one FETCH response in `input`. */
function structureOf(input: string): BodyStructure {
  const { responses, errors } = feed(input);
  expect(errors.map((entry) => entry.error.message)).toEqual([]);
  const fetch = responses.find((response): response is FetchResponse => response.kind === 'fetch');
  return fetch!.attributes.bodyStructure!;
}

/** A one-part message: an application/pdf part with these Content-Type and disposition parameters. */
function attachment(params: string, dispositionParams = 'NIL'): BasicBodyPart {
  const structure = structureOf(
    `* 1 FETCH (UID 5 BODYSTRUCTURE ("application" "pdf" ${params} NIL NIL "base64" 1024 NIL ("attachment" ${dispositionParams}) NIL NIL))\r\n`,
  );
  expect(structure.kind).toBe('basic');
  return structure as BasicBodyPart;
}

describe('RFC 2231 parameters', () => {
  it('joins continuations in numeric order and percent-decodes the marked pieces in the first piece\'s charset', () => {
    const part = attachment(`("name*1*" "%E6%9C%AC.pdf" "name*0*" "utf-8''%E6%97%A5")`);
    expect(part.params).toEqual({ name: '日本.pdf' });
  });

  it('joins a character whose bytes are split between two pieces', () => {
    const part = attachment(`("NAME*0*" "utf-8''%E6%97" "Name*1*" "%A5.pdf")`);
    expect(part.params).toEqual({ name: '日.pdf' });
  });

  it('decodes only the *-marked pieces, as in RFC 2231 section 4.1', () => {
    const part = attachment(
      `("title*0*" "us-ascii'en'This%20is%20even%20more%20" "title*1*" "%2A%2A%2Afun%2A%2A%2A%20" "title*2" "isn't it!")`,
    );
    expect(part.params).toEqual({ title: "This is even more ***fun*** isn't it!" });
  });

  it('joins unmarked continuations as they are', () => {
    const part = attachment(`("name*0" "long " "name*2" "name.pdf" "name*1" "file%20")`);
    expect(part.params).toEqual({ name: 'long file%20name.pdf' });
  });

  it('decodes the extended form name* in the disposition parameters, with its language', () => {
    const part = attachment('("name" "a.txt")', `("FILENAME*" "utf-8'en'%C3%A9t%C3%A9.txt" "size" "12")`);
    expect(part.extension!.disposition).toEqual({
      type: 'attachment',
      params: { filename: 'été.txt', size: '12' },
      paramsRaw: { 'filename*': "utf-8'en'%C3%A9t%C3%A9.txt", size: '12' },
    });
  });

  it('decodes a charset other than UTF-8', () => {
    const part = attachment(`("name*" "iso-8859-1''%E9t%E9.txt")`);
    expect(part.params).toEqual({ name: 'été.txt' });
  });

  it('prefers the extended form to a plain value of the same name, whichever comes first', () => {
    const plainFirst = attachment(`("filename" "fallback.txt" "filename*" "utf-8''r%C3%A9el.txt")`);
    const extendedFirst = attachment(`("filename*0*" "utf-8''r%C3%A9" "filename" "fallback.txt" "filename*1" "el.txt")`);
    expect(plainFirst.params).toEqual({ filename: 'réel.txt' });
    expect(extendedFirst.params).toEqual({ filename: 'réel.txt' });
  });

  it('reads a continuation whose piece the server sent as a literal', () => {
    const structure = structureOf(
      `* 1 FETCH (BODYSTRUCTURE ("application" "pdf" ("name*0*" {16}\r\nutf-8''%E6%97%A5 "name*1*" "%E6%9C%AC.pdf") NIL NIL "base64" 1024 NIL ("attachment" ("filename*0*" "utf-8''%E6%97%A5" "filename*1*" {13}\r\n%E6%9C%AC.pdf)) NIL NIL) UID 5)\r\n`,
    );
    expect(structure).toMatchObject({ params: { name: '日本.pdf' }, extension: { disposition: { params: { filename: '日本.pdf' } } } });
  });

  it('reads an unknown charset, a missing charset and bad percent escapes without failing', () => {
    const part = attachment(
      `("a*" "x-no-such-charset''%41%42" "b*" "x-no-such-charset''%E9t%E9" "c*" "''100%25%zz%" "d*" "no quotes %C3%A9" "e*0*" "%C3%A9")`,
    );
    expect(part.params).toEqual({ a: 'AB', b: 'été', c: '100%%zz%', d: 'no quotes é', e: 'é' });
  });

  it('keeps the parameters as sent in paramsRaw, the same object when nothing was decoded', () => {
    const part = attachment(`("name*0*" "utf-8''%E6%97%A5" "name*1*" "%E6%9C%AC.pdf")`, '("filename" "a.pdf")');
    expect(part.paramsRaw).toEqual({ 'name*0*': "utf-8''%E6%97%A5", 'name*1*': '%E6%9C%AC.pdf' });
    expect(part.extension!.disposition!.paramsRaw).toBe(part.extension!.disposition!.params);
  });
});

describe('RFC 2047 encoded words in parameter values', () => {
  // Outlook and Gmail write non-ASCII file names as encoded words inside the quoted value.
  it('decodes encoded words in a plain value', () => {
    const part = attachment('("name" "=?UTF-8?B?w6l0w6kudHh0?=")', '("filename" "=?iso-8859-1?Q?=E9t=E9?= .txt")');
    expect(part.params).toEqual({ name: 'été.txt' });
    expect(part.extension!.disposition!.params).toEqual({ filename: 'été .txt' });
    expect(part.paramsRaw).toEqual({ name: '=?UTF-8?B?w6l0w6kudHh0?=' });
  });

  it('decodes encoded words in unmarked continuations once joined', () => {
    const part = attachment('("name*0" "=?UTF-8?B?w6l0" "name*1" "w6kudHh0?=")');
    expect(part.params).toEqual({ name: 'été.txt' });
  });

  it('leaves an encoded word in an extended value as it is', () => {
    const part = attachment(`("name*" "utf-8''=?UTF-8?B?w6l0w6kudHh0?=")`);
    expect(part.params).toEqual({ name: '=?UTF-8?B?w6l0w6kudHh0?=' });
  });
});

describe('multipart parameters', () => {
  it('decodes the parameters of a multipart\'s extension data', () => {
    const structure = structureOf(
      '* 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 1 1 NIL NIL NIL NIL) "mixed" ("boundary" "b" "x-note*" "utf-8\'\'%C3%A9") NIL NIL NIL))\r\n',
    ) as MultiBodyPart;
    expect(structure.extension!.params).toEqual({ boundary: 'b', 'x-note': 'é' });
    expect(structure.extension!.paramsRaw).toEqual({ boundary: 'b', 'x-note*': "utf-8''%C3%A9" });
    const [text] = structure.parts;
    expect(text!.kind === 'text' && text!.paramsRaw === text!.params).toBe(true);
  });
});

describe('parameters whose value is NIL', () => {
  // The grammar wants a string there, and NIL means the value does not exist (RFC 9051 section
  // 4.5): the parameter is left out, not read as an empty value; the others are kept.
  it('leaves the parameter out of params and paramsRaw, in the content type, disposition and multipart', () => {
    const part = attachment('("name" NIL "charset" "utf-8")', '("filename" nil "size" "5")');
    expect(part.params).toEqual({ charset: 'utf-8' });
    expect(part.paramsRaw).toEqual({ charset: 'utf-8' });
    expect(part.extension!.disposition!.params).toEqual({ size: '5' });
    const structure = structureOf(
      '* 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" NIL) NIL NIL "7bit" 1 1) "mixed" ("boundary" NIL) NIL NIL NIL))\r\n',
    ) as MultiBodyPart;
    expect(structure.extension!.params).toEqual({});
    expect(structure.parts[0]!.kind === 'text' && structure.parts[0]!.params).toEqual({});
  });
});

describe('parameter decoding, any input', () => {
  const name = fc.constantFrom('name', 'NAME*', 'name*0', 'name*0*', 'name*1', 'name*1*', 'name*2*', 'filename', 'filename*', 'x*y', '*', '');
  const piece = fc.constantFrom('%', '%4', '%41', '%E6%97%A5', '%zz', "'", "utf-8''", "x-no-such-charset'en'", "utf-16''", '=?', '?=', '=?UTF-8?B?w6k=?=', 'é', '日', 'a', ' ', '\\"');
  const value = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(''));

  it('never fails a message and gives a string for every name', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 6 }), (pairs) => {
        const list = pairs.map(([key, text]) => `"${key}" "${text}"`).join(' ');
        const part = attachment(`(${list})`, `(${list})`);
        for (const params of [part.params, part.extension!.disposition!.params]) {
          expect(Object.keys(params).length).toBeGreaterThan(0);
          for (const decoded of Object.values(params)) expect(typeof decoded).toBe('string');
        }
      }),
    );
  });
});
