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
