/**
 * FETCH data in shapes real servers send outside the grammar, each read into the typed result.
 * Bytes only: every input is what a server put on the wire (names and addresses made up).
 */
import { describe, expect, it } from 'vitest';
import type { FetchResponse, ImapResponse } from '../../src/imap/wire/index.js';
import { feed } from './imap-wire/harness.js';

function fetches(input: string): FetchResponse[] {
  const { responses, errors } = feed(input);
  expect(errors.map((entry) => entry.error.message)).toEqual([]);
  return responses.filter((response: ImapResponse): response is FetchResponse => response.kind === 'fetch');
}

/** A multipart without parts, as the quirks read one: its subtype and its parameters, no other extension data. */
function withoutParts(partId: string, subtype: string, params: Record<string, string>): object {
  return { kind: 'multipart', partId, type: 'multipart', subtype, parts: [], extension: { params, disposition: null, language: [], location: null } };
}

describe('ENVELOPE', () => {
  // QQ Mail leaves out the fields of headers the message lacks.
  it('reads an envelope without its message-id, or without in-reply-to and message-id', () => {
    const [withoutMessageId, withoutBoth] = fetches(
      '* 1 FETCH (UID 7 ENVELOPE (NIL "hi" (("Ann" NIL "ann" "example.org")) NIL NIL NIL NIL NIL "<a@example.org>"))\r\n' +
        '* 2 FETCH (UID 8 ENVELOPE (NIL "hi" NIL NIL NIL NIL NIL NIL))\r\n',
    );
    expect(withoutMessageId!.attributes).toMatchObject({
      uid: 7,
      envelope: { subject: 'hi', from: [{ address: 'ann@example.org' }], inReplyTo: '<a@example.org>', messageId: null },
    });
    expect(withoutBoth!.attributes).toMatchObject({ uid: 8, envelope: { subject: 'hi', inReplyTo: null, messageId: null } });
  });

  // ENVELOPE carries header text undecoded, group names (RFC 3501 section 7.4.2) as well as
  // display names; both the plain and the general address list parser read this one.
  it('decodes the encoded words of a group name, as it does for display names', () => {
    const group = '(NIL NIL "=?UTF-8?Q?Team_=C3=84?=" NIL)("=?UTF-8?Q?J=C3=B6rg?=" NIL "joerg" "example.org")(NIL NIL NIL NIL)';
    const [plain, spaced] = fetches(
      `* 1 FETCH (ENVELOPE (NIL NIL (${group}) NIL NIL NIL NIL NIL NIL NIL))\r\n` +
        `* 2 FETCH (ENVELOPE (NIL NIL NIL NIL NIL ( ${group} ) NIL NIL NIL NIL))\r\n`,
    );
    const joerg = { name: 'Jörg', address: 'joerg@example.org', group: 'Team Ä' };
    expect(plain!.attributes.envelope!.from).toEqual([expect.objectContaining(joerg)]);
    expect(spaced!.attributes.envelope!.to).toEqual([expect.objectContaining(joerg)]);
  });
});

describe('ENVELOPE addresses without a domain', () => {
  // UW-IMAP (and servers built on its c-client) write the host `.MISSING-HOST-NAME.` for a header
  // address with no domain (`From: joe`), and `.SYNTAX-ERROR.` for one it could not parse. The
  // address is the mailbox alone; the host stays as sent, so that `host: null` keeps meaning a group
  // marker.
  it.each(['.MISSING-HOST-NAME.', '.SYNTAX-ERROR.'])('reads %s as no host in the address, from both address list parsers', (host) => {
    const joe = { name: 'Joe', nameRaw: 'Joe', route: null, mailbox: 'joe', host, address: 'joe', group: null };
    const [plain, spaced] = fetches(
      `* 1 FETCH (ENVELOPE (NIL "x" (("Joe" NIL "joe" "${host}")) NIL NIL (("Ann" NIL "ann" "example.org")) NIL NIL NIL NIL))\r\n` +
        `* 2 FETCH (ENVELOPE (NIL "x" ( ("Joe" NIL "joe" "${host}") ) NIL NIL NIL NIL NIL NIL NIL))\r\n`,
    );
    expect(plain!.attributes.envelope!.from).toEqual([joe]);
    expect(plain!.attributes.envelope!.to).toEqual([expect.objectContaining({ address: 'ann@example.org' })]);
    expect(spaced!.attributes.envelope!.from).toEqual([joe]);
  });

  // A bounce's sender as reported in MailKit issue 1393: `((NIL NIL "Mail Delivery System" ""))`.
  it('reads an empty host as no host in the address, from both address list parsers', () => {
    const daemon = { name: null, nameRaw: null, route: null, mailbox: 'Mail Delivery System', host: '', address: 'Mail Delivery System', group: null };
    const [plain, spaced] = fetches(
      '* 1 FETCH (ENVELOPE (NIL "x" ((NIL NIL "Mail Delivery System" "")) NIL NIL NIL NIL NIL NIL NIL))\r\n' +
        '* 2 FETCH (ENVELOPE (NIL "x" ( (NIL NIL "Mail Delivery System" "") ) NIL NIL NIL NIL NIL NIL NIL))\r\n',
    );
    expect(plain!.attributes.envelope!.from).toEqual([daemon]);
    expect(spaced!.attributes.envelope!.from).toEqual([daemon]);
  });

  it('keeps any other host that starts with a dot', () => {
    const [structure] = fetches('* 1 FETCH (ENVELOPE (NIL "x" ((NIL NIL "joe" ".example.org")) NIL NIL NIL NIL NIL NIL NIL))\r\n');
    expect(structure!.attributes.envelope!.from).toEqual([expect.objectContaining({ host: '.example.org', address: 'joe@.example.org' })]);
  });
});

describe('ENVELOPE groups without members', () => {
  // `To: undisclosed-recipients:;` (RFC 5322 section 3.4): a group start and its end marker with no
  // address between them. The group's name is kept as one entry with nothing but `group`.
  const emptyGroup = { name: null, nameRaw: null, route: null, mailbox: null, host: null, address: '', group: 'undisclosed-recipients' };

  it('keeps an empty group as one entry with its name, from both address list parsers', () => {
    const [plain, spaced, unterminated] = fetches(
      '* 1 FETCH (ENVELOPE (NIL "x" NIL NIL NIL ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL))\r\n' +
        '* 2 FETCH (ENVELOPE (NIL "x" NIL NIL NIL ( (NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL) ) NIL NIL NIL NIL))\r\n' +
        '* 3 FETCH (ENVELOPE (NIL "x" NIL NIL NIL ((NIL NIL "undisclosed-recipients" NIL)) NIL NIL NIL NIL))\r\n',
    );
    expect(plain!.attributes.envelope!.to).toEqual([emptyGroup]);
    expect(spaced!.attributes.envelope!.to).toEqual([emptyGroup]);
    expect(unterminated!.attributes.envelope!.to).toEqual([emptyGroup]);
  });

  it('reads a group name in the addr-name place, with NIL mailbox and host, as the start of a group', () => {
    const [structure] = fetches('* 1 FETCH (ENVELOPE (NIL "x" NIL NIL NIL (("undisclosed-recipients" NIL NIL NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL))\r\n');
    expect(structure!.attributes.envelope!.to).toEqual([emptyGroup]);
  });

  it('adds no entry for a group that has members', () => {
    const [structure] = fetches(
      '* 1 FETCH (ENVELOPE (NIL "x" NIL NIL NIL ((NIL NIL "team" NIL)("Ann" NIL "ann" "example.org")(NIL NIL NIL NIL)("Bob" NIL "bob" "example.org")) NIL NIL NIL NIL))\r\n',
    );
    expect(structure!.attributes.envelope!.to).toEqual([
      expect.objectContaining({ address: 'ann@example.org', group: 'team' }),
      expect.objectContaining({ address: 'bob@example.org', group: null }),
    ]);
  });
});

describe('BODYSTRUCTURE', () => {
  // message/rfc822 with NIL for both the envelope and the body, then the line count.
  it('reads an attached message whose envelope and body are NIL', () => {
    const [structure, body] = fetches(
      '* 1 FETCH (UID 3 BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 10 1)("message" "rfc822" NIL NIL NIL "7bit" 903 NIL NIL 17 NIL ("attachment" NIL) NIL NIL) "mixed"))\r\n' +
        '* 2 FETCH (UID 4 BODY ("message" "rfc822" NIL NIL NIL "7bit" 903 NIL NIL 17))\r\n',
    );
    expect(structure!.attributes).toMatchObject({
      uid: 3,
      bodyStructure: {
        kind: 'multipart',
        parts: [
          { kind: 'text', partId: '1' },
          { kind: 'message', partId: '2', size: 903, envelope: null, body: null, lines: 17, extension: { disposition: { type: 'attachment' } } },
        ],
      },
    });
    expect(body!.attributes).toMatchObject({ uid: 4, body: { kind: 'message', envelope: null, body: null, lines: 17, extension: null } });
  });
});

describe('BODYSTRUCTURE of an attached message', () => {
  // Domino, for the returned message of a delivery report: an all-NIL envelope and "()" as its body.
  it('reads an empty list as the attached message\'s body as no body', () => {
    const [report] = fetches(
      '* 9125 FETCH (UID 23064 BODYSTRUCTURE (("text" "plain"  ("charset" "UTF-8") NIL NIL "base64" 232 4 NIL NIL NIL)' +
        '("message" "delivery-status"  NIL NIL NIL "7BIT" 421 NIL NIL NIL)' +
        '("message" "rfc822"  NIL NIL NIL "7BIT" 787 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) () 0 NIL NIL NIL) "report" ("report-type" "delivery-status" "boundary" "==b") NIL NIL) FLAGS (\\Seen))\r\n',
    );
    expect(report!.attributes).toMatchObject({
      uid: 23064,
      flags: ['\\Seen'],
      bodyStructure: {
        subtype: 'report',
        parts: [
          { kind: 'text' },
          { kind: 'basic', subtype: 'delivery-status' },
          { kind: 'message', partId: '3', size: 787, envelope: { subject: null, from: [] }, body: null, lines: 0 },
        ],
      },
    });
  });
});

describe('BODYSTRUCTURE of a multipart without parts', () => {
  // Gmail, for a multipart nested in one with the same boundary: only the subtype and the
  // multipart's extension data, no child bodies, inside the parent's list of parts.
  it('reads the subtype and extension data as a multipart with no parts', () => {
    const [structure] = fetches(
      '* 1 FETCH (UID 9 BODYSTRUCTURE (("ALTERNATIVE" ("BOUNDARY" "==b1") NIL NIL)("TEXT" "HTML" ("CHARSET" "iso-8859-1") NIL NIL "7BIT" 6769 171 NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "==b1") NIL NIL))\r\n',
    );
    expect(structure!.attributes).toMatchObject({
      uid: 9,
      bodyStructure: {
        kind: 'multipart',
        subtype: 'alternative',
        parts: [
          { kind: 'multipart', partId: '1', type: 'multipart', subtype: 'alternative', parts: [], extension: { params: { boundary: '==b1' }, disposition: null } },
          { kind: 'text', partId: '2', subtype: 'html', lines: 171 },
        ],
      },
    });
  });

  // Gmail, in the non-extensible BODY form: the subtype alone.
  it('reads a lone subtype in BODY as a multipart with no parts', () => {
    const [body] = fetches(
      '* 51 FETCH (MODSEQ (18812) BODY (("TEXT" "PLAIN" ("CHARSET" "windows-1252") NIL NIL "QUOTED-PRINTABLE" 211 5)' +
        '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 2942 ("Sat, 3 Jan 2015 19:26:15 +0100" "Re: x" NIL NIL NIL NIL NIL NIL NIL "<a@example.org>") ("ALTERNATIVE") 51) "REPORT"))\r\n',
    );
    expect(body!.attributes).toMatchObject({
      body: {
        kind: 'multipart',
        subtype: 'report',
        parts: [
          { kind: 'text', partId: '1' },
          { kind: 'message', partId: '2', lines: 51, body: { kind: 'multipart', partId: '2', subtype: 'alternative', parts: [], extension: null } },
        ],
      },
    });
  });
});

describe('BODYSTRUCTURE of a multipart without parts or parameters', () => {
  // Gmail, for attachments typed multipart/related (MailKit issue 371): the subtype, NIL for the
  // parameters, then a disposition and a language, no child bodies.
  it('reads the subtype, NIL and the disposition as a multipart with no parts', () => {
    const [structure] = fetches(
      '* 56697 FETCH (X-GM-THRID 1563190496481790748 UID 227195 BODYSTRUCTURE ((("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "BASE64" 10418 133 NIL NIL NIL)' +
        '("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "BASE64" 34544 442 NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "b2") NIL NIL)' +
        '("RELATED" NIL ("ATTACHMENT" NIL) NIL)("RELATED" NIL ("ATTACHMENT" NIL) NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL))\r\n',
    );
    const related = { ...withoutParts('2', 'related', {}), extension: { params: {}, disposition: { type: 'attachment', params: {} }, language: [], location: null } };
    expect(structure!.attributes.uid).toBe(227195);
    expect(structure!.attributes.bodyStructure).toMatchObject({ subtype: 'mixed', parts: [{ subtype: 'alternative', parts: [{}, {}] }, related, { ...related, partId: '3' }] });
  });

  // body-ext-mpart ends in *(SP body-extension): a fifth value and more after the parameters must
  // not turn the multipart into a single part.
  it('reads a multipart without parts that has body-extension values after its location', () => {
    const [structure] = fetches(
      '* 1 FETCH (UID 5 BODYSTRUCTURE (("ALTERNATIVE" ("BOUNDARY" "b2") NIL NIL NIL "x1" ("x2" 3))' +
        '("RELATED" NIL ("ATTACHMENT" NIL) NIL NIL "x1" "x2")("RELATED" NIL NIL NIL NIL "x1")' +
        '("text" "plain" NIL NIL NIL "7bit" 10 1) "mixed" ("boundary" "b1")))\r\n',
    );
    const empty = { params: {}, disposition: null, language: [], location: null };
    expect(structure!.attributes).toMatchObject({ uid: 5, bodyStructure: { subtype: 'mixed', parts: [
      withoutParts('1', 'alternative', { boundary: 'b2' }),
      { ...withoutParts('2', 'related', {}), extension: { ...empty, disposition: { type: 'attachment', params: {} } } },
      { ...withoutParts('3', 'related', {}), extension: empty },
      { kind: 'text', partId: '4' },
    ] } });
  });

  it('still reads a single part whose subtype is NIL as a single part', () => {
    const [structure] = fetches('* 1 FETCH (BODYSTRUCTURE ("application" NIL ("name" "a.bin") NIL NIL "base64" 12 NIL ("attachment" NIL) NIL NIL))\r\n');
    expect(structure!.attributes.bodyStructure).toMatchObject({ kind: 'basic', type: 'application', subtype: '', params: { name: 'a.bin' }, size: 12 });
  });
});

describe('BODYSTRUCTURE of a part with one media token', () => {
  // A server the report does not name (MailKit issue 371), for a part with `Content-Type: X-ZIP`:
  // one token where the media type and subtype belong, then the body-fields of a single part.
  it('reads a lone subtype and body-fields as an application part', () => {
    const [structure, body] = fetches(
      '* 1 FETCH (UID 7 BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 10 1 NIL NIL NIL NIL)' +
        '("X-ZIP" ("NAME" "a.zip") NIL NIL "BASE64" 1234 NIL ("ATTACHMENT" ("FILENAME" "a.zip")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))\r\n' +
        '* 2 FETCH (UID 8 BODY ("X-ZIP" ("NAME" "a.zip") NIL NIL "BASE64" 1234))\r\n',
    );
    const zip = { kind: 'basic', type: 'application', subtype: 'x-zip', params: { name: 'a.zip' }, encoding: 'BASE64', size: 1234 };
    const attachment = { md5: null, disposition: { type: 'attachment', params: { filename: 'a.zip' } } };
    expect(structure!.attributes.bodyStructure).toMatchObject({ kind: 'multipart', parts: [{ kind: 'text' }, { ...zip, partId: '2', extension: attachment }] });
    expect(body!.attributes.body).toMatchObject({ ...zip, partId: '1', extension: null });
  });

  // The same server, for a part whose Content-Type is one token and which has no parameters: NIL
  // for the parameters right after the token, then the rest of body-fields.
  it('reads a lone media token followed by NIL parameters as an application part', () => {
    const [structure, body] = fetches(
      '* 1 FETCH (UID 7 BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 10 1 NIL NIL NIL NIL)' +
        '("X-ZIP" NIL NIL NIL "BASE64" 12 NIL ("ATTACHMENT" NIL) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))\r\n' +
        '* 2 FETCH (UID 8 BODY ("X-ZIP" NIL NIL NIL "BASE64" 12))\r\n',
    );
    const zip = { kind: 'basic', type: 'application', subtype: 'x-zip', params: {}, id: null, description: null, encoding: 'BASE64', size: 12 };
    expect(structure!.attributes.bodyStructure).toMatchObject({ kind: 'multipart', parts: [{ kind: 'text' }, { ...zip, partId: '2', extension: { disposition: { type: 'attachment' } } }] });
    expect(body!.attributes).toMatchObject({ uid: 8, body: { ...zip, partId: '1', extension: null } });
  });

  it('reads a lone top-level type as that type with no subtype', () => {
    const [structure] = fetches('* 1 FETCH (BODYSTRUCTURE ("TEXT" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL))\r\n');
    expect(structure!.attributes.bodyStructure).toMatchObject({ kind: 'text', type: 'text', subtype: '', params: { charset: 'us-ascii' }, size: 12, lines: 1 });
  });
});

describe('BODYSTRUCTURE of a multipart with a NIL media type', () => {
  // A server not named in the report (MailKit issue 1393), for the body of a delivery report's
  // attached message: NIL for the media type of a multipart without parts, then its subtype and
  // extension data.
  it('reads NIL, a subtype and multipart extension data as a multipart with no parts', () => {
    const [report] = fetches(
      '* 6285 FETCH (UID 11889 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 727 16 NIL NIL NIL NIL)' +
        '("message" "delivery-status" ("name" "Delivery status") NIL NIL "7bit" 416 NIL NIL NIL NIL)' +
        '("message" "rfc822" ("name" "Message headers") NIL NIL "7bit" 903 ("Mon, 17 Nov 2014 13:29:21 +0100" "Re: x" (("Ann" NIL "ann" "example.com")) NIL NIL ' +
        '(("Bob" NIL "bob" "example.org")) NIL NIL "<b@example.org>" "<a@example.com>") (NIL "alternative" ("boundary" "Apple-Mail=_352F") NIL NIL NIL) 17 NIL NIL NIL NIL) ' +
        '"report" ("report-type" "delivery-status" "boundary" "_e0d7_idea") NIL NIL NIL))\r\n',
    );
    expect(report!.attributes.uid).toBe(11889);
    const attached = { kind: 'message', partId: '3', lines: 17, envelope: { subject: 'Re: x' }, body: withoutParts('3', 'alternative', { boundary: 'Apple-Mail=_352F' }) };
    expect(report!.attributes.bodyStructure).toMatchObject({ subtype: 'report', parts: [{ kind: 'text' }, { subtype: 'delivery-status' }, attached] });
  });

  // The look ahead that tells the shapes apart passes over literals and comes back to read them.
  it('reads the shape when its values are literals', () => {
    const [structure] = fetches(
      '* 1 FETCH (BODYSTRUCTURE ((NIL {11}\r\nalternative ("boundary" {4}\r\nb1b1) NIL NIL NIL)("text" "plain" NIL NIL NIL "7bit" 1 1) "mixed") UID 4)\r\n',
    );
    expect(structure!.attributes.uid).toBe(4);
    expect(structure!.attributes.bodyStructure).toMatchObject({ parts: [withoutParts('1', 'alternative', { boundary: 'b1b1' }), { kind: 'text', partId: '2' }] });
  });

  it('reads the shape when body-extension values follow its location', () => {
    const [structure] = fetches('* 1 FETCH (BODYSTRUCTURE ((NIL "alternative" ("boundary" "b2") NIL NIL NIL "x1" "x2")("text" "plain" NIL NIL NIL "7bit" 1 1) "mixed"))\r\n');
    expect(structure!.attributes.bodyStructure).toMatchObject({ parts: [withoutParts('1', 'alternative', { boundary: 'b2' }), { kind: 'text', partId: '2' }] });
  });

  it('still reads a single part with a NIL media type as a single part', () => {
    const [structure, body] = fetches(
      '* 1 FETCH (BODYSTRUCTURE (NIL "octet-stream" ("name" "a.bin") NIL NIL "base64" 12 NIL NIL NIL NIL))\r\n' +
        '* 2 FETCH (BODY (NIL "octet-stream" NIL NIL NIL "base64" 12))\r\n',
    );
    expect(structure!.attributes.bodyStructure).toMatchObject({ kind: 'basic', type: '', subtype: 'octet-stream', params: { name: 'a.bin' }, size: 12 });
    expect(body!.attributes.body).toMatchObject({ kind: 'basic', type: '', subtype: 'octet-stream', size: 12, extension: null });
  });
});

describe('BODYSTRUCTURE numbers', () => {
  // mail.ru writes large part sizes (and line counts) in exponent form, as a C++ stream writes a double.
  it('reads a size or line count in exponent form as the number it stands for', () => {
    const [structure, next] = fetches(
      '* 1 FETCH (UID 3 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 1.86931e+06 2.5e+04 NIL NIL NIL NIL)' +
        '("application" "pdf" ("name" "a.pdf") NIL NIL "base64" 9.3736e+06 NIL ("attachment" NIL) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))\r\n' +
        '* 2 FETCH (UID 4)\r\n',
    );
    expect(structure!.attributes).toMatchObject({
      uid: 3,
      bodyStructure: {
        parts: [
          { kind: 'text', size: 1869310, lines: 25000 },
          { kind: 'basic', size: 9373600, extension: { disposition: { type: 'attachment' } } },
        ],
      },
    });
    expect(next!.attributes).toEqual({ uid: 4 });
  });
});

describe('BODYSTRUCTURE extension data of a multipart', () => {
  // Exchange puts the multipart's Content-Description where its disposition belongs.
  it('does not take a description in the disposition place for a disposition', () => {
    const [structure] = fetches(
      '* 9 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)' +
        '("application" "octet-stream" ("name" "a.txt") NIL NIL "base64" 171724 NIL ("attachment" ("filename" "a.txt")) NIL NIL) "mixed" ("boundary" "b") "S/MIME Encrypted Message" NIL))\r\n',
    );
    expect(structure!.attributes.bodyStructure).toMatchObject({
      kind: 'multipart',
      parts: [{ kind: 'text' }, { kind: 'basic', extension: { disposition: { type: 'attachment', params: { filename: 'a.txt' } } } }],
      extension: { params: { boundary: 'b' }, disposition: null, language: [] },
    });
  });
});

describe('BODYSTRUCTURE disposition', () => {
  // Exchange sends "(NIL NIL)" for a part without Content-Disposition.
  it('reads a disposition list of NIL type and NIL parameters as no disposition', () => {
    const [structure] = fetches('* 4 FETCH (UID 9 BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1 NIL (NIL NIL) NIL NIL))\r\n');
    expect(structure!.attributes).toMatchObject({ uid: 9, bodyStructure: { kind: 'text', extension: { md5: null, disposition: null } } });
  });
});
