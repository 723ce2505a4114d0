import { describe, expect, it } from 'vitest';
import type { BodyStructure, FetchResponse, ImapResponse } from '../../src/imap/wire/index.js';
import { plainBodyHead } from '../../src/imap/wire/body-literal.js';
import { parseSectionSpec } from '../../src/imap/wire/section.js';
import { feed, fixture, one } from './imap-wire/harness.js';

function fetchOf(response: ImapResponse): FetchResponse {
  if (response.kind !== 'fetch') throw new Error(`not a fetch: ${response.kind}`);
  return response;
}

const ENVELOPE =
  '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ' +
  '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
  '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
  '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ' +
  '"<B27397-0100000@cac.washington.edu>")';

describe('FETCH data items', () => {
  it('reads raw 8-bit ENVELOPE text that is not UTF-8 as Latin-1, as Dovecot passes it on from old mailers', () => {
    const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
    const bytes = Buffer.concat([
      latin1('* 1 FETCH (ENVELOPE (NIL {4}\r\nJ\xf6rg (({6}\r\nM\xfcller NIL "m" "x.de")) NIL NIL NIL NIL NIL "\xe9t\xe9" NIL))\r\n'),
      Buffer.from('* 2 FETCH (ENVELOPE (NIL {7}\r\nGrüße (("Bad \uFFFD" NIL "m" "x.de")) NIL NIL NIL NIL NIL NIL NIL))\r\n', 'utf8'),
    ]);
    const { responses, errors } = feed(bytes);
    expect(errors).toEqual([]);
    const [latin, utf8] = responses.map((response) => fetchOf(response).attributes.envelope!);
    expect(latin!.subject).toBe('Jörg');
    expect(latin!.from[0]!.name).toBe('Müller');
    expect(latin!.inReplyTo).toBe('été');
    // Valid UTF-8 stays UTF-8, a U+FFFD it holds included.
    expect(utf8!.subject).toBe('Grüße');
    expect(utf8!.from[0]!.name).toBe('Bad \uFFFD');
  });

  it('reads raw 8-bit body parameter values and descriptions that are not UTF-8 as Latin-1', () => {
    const bytes = Buffer.from('* 1 FETCH (BODYSTRUCTURE ("text" "plain" ("name" {7}\r\nf\xe9e.txt "charset" "us-ascii") NIL {3}\r\nd\xe9f "7BIT" 6 1))\r\n', 'latin1');
    const { responses, errors } = feed(bytes);
    expect(errors).toEqual([]);
    const structure = fetchOf(responses[0]!).attributes.bodyStructure!;
    expect(structure).toMatchObject({ params: { name: 'fée.txt', charset: 'us-ascii' }, description: 'déf' });
  });

  it('reads the RFC 3501 example envelope', () => {
    const { attributes } = fetchOf(one(`* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ${ENVELOPE} UID 7 MODSEQ (624140003))`));
    expect(attributes.flags).toEqual(['\\Seen']);
    expect(attributes.internalDate).toEqual(new Date('1996-07-17T09:44:25Z'));
    expect(attributes.size).toBe(4286);
    expect(attributes.uid).toBe(7);
    expect(attributes.modseq).toBe(624140003n);
    const envelope = attributes.envelope!;
    expect(envelope.date).toEqual(new Date('1996-07-17T09:23:25Z'));
    expect(envelope.subject).toBe('IMAP4rev1 WG mtg summary and minutes');
    expect(envelope.from).toEqual([
      { name: 'Terry Gray', nameRaw: 'Terry Gray', route: null, mailbox: 'gray', host: 'cac.washington.edu', address: 'gray@cac.washington.edu', group: null },
    ]);
    expect(envelope.cc.map((a) => a.address)).toEqual(['minutes@CNRI.Reston.VA.US', 'KLENSIN@MIT.EDU']);
    expect(envelope.bcc).toEqual([]);
    expect(envelope.inReplyTo).toBeNull();
    expect(envelope.messageId).toBe('<B27397-0100000@cac.washington.edu>');
  });

  it('gives every address and flag list an array of its own', () => {
    // Both are collected in a shared array and copied out: no list may alias another or keep slack.
    const first = fetchOf(one(`* 1 FETCH (FLAGS (\\Seen \\Flagged) ENVELOPE ${ENVELOPE})`)).attributes;
    const second = fetchOf(one('* 2 FETCH (FLAGS (\\Draft) ENVELOPE (NIL NIL (("A" NIL "a" "x.y")) NIL NIL ((NIL NIL "b" "x.y")) NIL NIL NIL NIL))')).attributes;
    expect(first.flags).toEqual(['\\Seen', '\\Flagged']);
    expect(second.flags).toEqual(['\\Draft']);
    const lists = [first.envelope!.to, first.envelope!.cc, second.envelope!.from, second.envelope!.to];
    expect(lists.map((list) => list.map((address) => address.address))).toEqual([
      ['imap@cac.washington.edu'], ['minutes@CNRI.Reston.VA.US', 'KLENSIN@MIT.EDU'], ['a@x.y'], ['b@x.y'],
    ]);
    expect(new Set([...lists, first.flags, second.flags]).size).toBe(6);
    expect(first.envelope!.sender).toBe(first.envelope!.from); // the same bytes: parsed once, shared
  });

  it('reads an all-NIL envelope', () => {
    const { attributes } = fetchOf(one('* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))'));
    expect(attributes.envelope).toEqual({
      dateRaw: null, date: null, subject: null, subjectRaw: null, from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [],
      inReplyTo: null, messageId: null,
    });
  });

  it('decodes RFC 2047 subjects and names, keeping the raw text', () => {
    const { attributes } = fetchOf(
      one('* 1 FETCH (ENVELOPE ("bad date" "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?B?IGF1cyBCZXJsaW4=?=" (("=?ISO-8859-1?Q?J=F6rg?=" NIL "j" "x.de")) NIL NIL NIL NIL NIL NIL NIL))'),
    );
    expect(attributes.envelope).toMatchObject({
      date: null, dateRaw: 'bad date', subject: 'Grüße aus Berlin', subjectRaw: '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?B?IGF1cyBCZXJsaW4=?=',
      from: [{ name: 'Jörg', nameRaw: '=?ISO-8859-1?Q?J=F6rg?=' }],
    });
  });

  it('reads literals inside ENVELOPE and flattens group syntax', () => {
    const subject = 'Line with "quotes" and \\ backslash';
    const input =
      `* 3 FETCH (UID 9 ENVELOPE (NIL {${Buffer.byteLength(subject)}}\r\n${subject} ` +
      '((NIL NIL "undisclosed" NIL)(NIL NIL "a" "x.y")(NIL NIL NIL NIL)) NIL NIL ' +
      '(({5}\r\nTérm NIL "t" "x.y")) NIL NIL NIL "<id@x>"))\r\n';
    const { responses, errors } = feed(input);
    expect(errors).toEqual([]);
    const { attributes } = fetchOf(responses[0]!);
    expect(attributes.envelope).toMatchObject({
      subject,
      from: [{ address: 'a@x.y', group: 'undisclosed' }],
      to: [{ name: 'Térm', address: 't@x.y', group: null }],
      messageId: '<id@x>',
    });
  });

  it('reads a three-level BODYSTRUCTURE with every extension field', () => {
    const { responses, errors } = feed(fixture('nested-bodystructure.txt'));
    expect(errors).toEqual([]);
    const { attributes } = fetchOf(responses[0]!);
    expect(attributes.uid).toBe(1203);
    expect(attributes.flags).toEqual(['\\Seen']);
    const root = attributes.bodyStructure!;
    const ids = (node: BodyStructure): string[] => [
      `${node.partId}:${node.type}/${node.subtype}`,
      ...(node.kind === 'multipart' ? node.parts.flatMap(ids) : node.kind === 'message' && node.body !== null ? ids(node.body) : []),
    ];
    expect(ids(root)).toEqual([
      ':multipart/mixed', '1:multipart/alternative', '1.1:text/plain', '1.2:multipart/related', '1.2.1:text/html', '1.2.2:image/png',
      '2:application/pdf', '3:message/rfc822', '3:multipart/mixed', '3.1:text/plain', '3.2:text/plain',
    ]);
    expect(root).toMatchObject({ kind: 'multipart', extension: { params: { boundary: 'b1' }, disposition: null, language: ['de'], location: null } });
    if (root.kind !== 'multipart') return;
    expect(root.parts[0]!.kind === 'multipart' && root.parts[0]!.parts[0]).toMatchObject({ kind: 'text', params: { charset: 'utf-8' }, encoding: 'QUOTED-PRINTABLE', size: 1315, lines: 42 });
    expect(root.parts[1]).toEqual({
      kind: 'basic', partId: '2', type: 'application', subtype: 'pdf', params: { name: 'Résumé.pdf' },
      paramsRaw: { name: '=?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?=' }, id: null, description: 'CV', encoding: 'BASE64', size: 88000,
      extension: {
        md5: '5d41402abc4b2a76',
        disposition: { type: 'attachment', params: { filename: 'cv.pdf', size: '64000' }, paramsRaw: { filename: 'cv.pdf', size: '64000' } },
        language: ['en', 'de'], location: 'http://x.y/cv.pdf',
      },
    });
    expect(root.parts[2]).toMatchObject({ kind: 'message', size: 2000, lines: 50, envelope: { subject: 'Fwd', from: [{ address: 'ann@x.org' }] } });
  });

  it('reads the non-extensible BODY form and a single-part root', () => {
    const { attributes } = fetchOf(one('* 1 FETCH (BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3028 92))'));
    expect(attributes.body).toEqual({
      kind: 'text', partId: '1', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, paramsRaw: { charset: 'us-ascii' }, id: null, description: null,
      encoding: '7BIT', size: 3028, lines: 92, extension: null,
    });
  });

  it('reads a BODYSTRUCTURE with a literal inside', () => {
    const { responses, errors } = feed('* 1 FETCH (BODYSTRUCTURE ("application" "octet-stream" ("name" {10}\r\nweird"name) NIL NIL "base64" 10 NIL NIL NIL NIL))\r\n');
    expect(errors).toEqual([]);
    expect(fetchOf(responses[0]!).attributes.bodyStructure).toMatchObject({ params: { name: 'weird"name' } });
  });

  it('reads body sections, partial origins, RFC822 items and BINARY', () => {
    const input =
      '* 2 FETCH (UID 8 BODY[HEADER.FIELDS (FROM "SUBJECT")] {13}\r\nFrom: a@b\r\n\r\n BODY[1.2.MIME] "x" BODY[TEXT]<100> NIL ' +
      'RFC822.HEADER {2}\r\n\r\n RFC822.TEXT "t" RFC822 {1}\r\nz BINARY[1] ~{3}\r\na\x00b BINARY.SIZE[1] 3 BINARY.SIZE[2] 4 ' +
      'EMAILID (M6d99ac3275bb4e) THREADID NIL SAVEDATE "1-Feb-2024 10:00:00 +0000")\r\n';
    const { responses, errors } = feed(input);
    expect(errors).toEqual([]);
    const { attributes } = fetchOf(responses[0]!);
    const bodies = attributes.bodies!;
    expect(bodies.map((body) => [body.item, body.section.raw, body.section.text, body.origin])).toEqual([
      ['BODY', 'HEADER.FIELDS (FROM "SUBJECT")', 'HEADER.FIELDS', null],
      ['BODY', '1.2.MIME', 'MIME', null],
      ['BODY', 'TEXT', 'TEXT', 100],
      ['RFC822.HEADER', 'HEADER', 'HEADER', null],
      ['RFC822.TEXT', 'TEXT', 'TEXT', null],
      ['RFC822', '', null, null],
      ['BINARY', '1', null, null],
    ]);
    expect(bodies[0]!.section.fields).toEqual(['FROM', 'SUBJECT']);
    expect(bodies[1]!.section.part).toEqual([1, 2]);
    expect(bodies[0]!.content).toEqual({ kind: 'bytes', bytes: Buffer.from('From: a@b\r\n\r\n') });
    expect(bodies[1]!.content).toEqual({ kind: 'bytes', bytes: Buffer.from('x') });
    expect(bodies[2]!.content).toEqual({ kind: 'nil' });
    expect(bodies[6]!.content).toEqual({ kind: 'bytes', bytes: Buffer.from('a\x00b', 'latin1') });
    expect(attributes.binarySize).toEqual({ 1: 3, 2: 4 });
    expect(attributes.emailId).toBe('M6d99ac3275bb4e');
    expect(attributes.threadId).toBeNull();
    expect(attributes.saveDate).toEqual(new Date('2024-02-01T10:00:00Z'));
  });
});

describe('body sections read from the server', () => {
  const input = '* 1 FETCH (UID 5 BODY[HEADER.FIELDS ("X]Y" "Q\\"t" FROM)] {4}\r\nabcd X-ODD ("a]b" [c"]"d]) FLAGS ())\r\n';

  it('does not end the section at a "]" inside a quoted header field name (buffered)', () => {
    const { responses, errors } = feed(input);
    expect(errors).toEqual([]);
    const { attributes } = fetchOf(responses[0]!);
    expect(attributes.bodies!.map((body) => [body.section.raw, body.section.text, body.section.fields])).toEqual([
      ['HEADER.FIELDS ("X]Y" "Q\\"T" FROM)', 'HEADER.FIELDS', ['X]Y', 'Q"T', 'FROM']],
    ]);
    expect(attributes.bodies![0]!.content).toEqual({ kind: 'bytes', bytes: Buffer.from('abcd') });
    expect(attributes.flags).toEqual([]);
  });

  it('does not end the section at a "]" inside a quoted header field name (streamed)', () => {
    for (const chunkSize of [1, 7, 1000]) {
      const collected = feed(input, { stream: () => true, chunkSize });
      expect(collected.errors).toEqual([]);
      expect(collected.bodies.map((body) => [body.start.section.fields, body.bytes.toString()])).toEqual([[['X]Y', 'Q"T', 'FROM'], 'abcd']]);
    }
  });

  it('keeps an unknown section text as it is, not as a section it merely starts like', () => {
    const { responses, errors } = feed('* 1 FETCH (BODY[HEADER.FIELDSX (A)] "1" BODY[HEADER.FIELDS.NOTX (A)] "2" BODY[1.MIMEX] "3" BODY[HEADER.FIELDS (A] "4")\r\n');
    expect(errors).toEqual([]);
    expect(fetchOf(responses[0]!).attributes.bodies!.map((body) => [body.section.raw, body.section.text, body.section.fields])).toEqual([
      ['HEADER.FIELDSX (A)', null, []],
      ['HEADER.FIELDS.NOTX (A)', null, []],
      ['1.MIMEX', null, []],
      ['HEADER.FIELDS (A', null, []],
    ]);
  });
});

describe('streaming bodies', () => {
  const message = 'Subject: hi\r\n\r\n' + 'x'.repeat(5000) + '\r\n';
  const input =
    `* 1 FETCH (UID 41 BODY[] {${message.length}}\r\n${message} FLAGS (\\Seen))\r\n` +
    '* 2 EXPUNGE\r\n' +
    `* 1 FETCH (UID 42 BODY[]<0> {3}\r\nabc)\r\n` +
    'A9 OK done\r\n';

  it('streams a BODY[] literal to the sink before the FETCH response is delivered', () => {
    const collected = feed(input, { stream: () => true, chunkSize: 700 });
    expect(collected.errors).toEqual([]);
    expect(collected.events).toEqual(['body-start', 'body-end', 'response:fetch', 'response:expunge', 'body-start', 'body-end', 'response:fetch', 'response:tagged']);
    expect(collected.bodies[0]!.start).toEqual({
      seq: 1, uid: 41, item: 'BODY', section: { raw: '', part: [], text: null, fields: [] }, origin: null, size: message.length, binary: false,
    });
    expect(collected.bodies[0]!.bytes.toString()).toBe(message);
    expect(collected.bodies[1]!.start).toMatchObject({ uid: 42, origin: 0, size: 3 });
    expect(fetchOf(collected.responses[0]!).attributes).toEqual({
      uid: 41, flags: ['\\Seen'], bodies: [{ item: 'BODY', section: { raw: '', part: [], text: null, fields: [] }, origin: null, content: { kind: 'streamed', size: message.length } }],
    });
  });

  it('buffers when the hook returns null', () => {
    const collected = feed(input, { stream: () => false, chunkSize: 13 });
    expect(collected.bodies).toEqual([]);
    const body = fetchOf(collected.responses[0]!).attributes.bodies![0]!;
    expect(body.content.kind === 'bytes' && Buffer.from(body.content.bytes).toString()).toBe(message);
  });

  it('never offers literals that are not top-level body values', () => {
    const starts: string[] = [];
    feed(
      '* 1 FETCH (ENVELOPE (NIL {6}\r\nBODY[] NIL NIL NIL NIL NIL NIL NIL NIL) X-ODD ("BODY[]" {1}\r\nq) BODY[HEADER.FIELDS (A B)] {2}\r\nhi)\r\n' +
        '* LIST () "/" {6}\r\nBODY[]\r\n',
      { stream: (start) => (starts.push(start.section.raw), false) },
    );
    expect(starts).toEqual(['HEADER.FIELDS (A B)']);
  });

  it('gives the same responses whatever the chunking', () => {
    const whole = feed(input, { stream: () => false });
    for (const chunkSize of [1, 2, 3, 7, 64]) {
      const split = feed(input, { stream: () => false, chunkSize });
      expect(split.responses).toEqual(whole.responses);
    }
  });

  it('reports the UID only when it came before the body', () => {
    const collected = feed('* 7 FETCH (BODY[TEXT] {1}\r\nx UID 70)\r\n', { stream: () => true });
    expect(collected.bodies[0]!.start).toMatchObject({ seq: 7, uid: null, section: { text: 'TEXT' } });
    expect(fetchOf(collected.responses[0]!).attributes.uid).toBe(70);
  });

  it('is idle between responses and can drop a partial one', () => {
    const collected = feed('* 1 FETCH (BODY[] {10}\r\nabc', { stream: () => true });
    expect(collected.assembler.idle).toBe(false);
    collected.assembler.reset();
    expect(collected.assembler.idle).toBe(true);
  });

  it('streams a zero-length body and a literal8', () => {
    const collected = feed('* 1 FETCH (BODY[] {0}\r\n BINARY[] ~{2}\r\n\x00\x01)\r\n', { stream: () => true });
    expect(collected.bodies.map((body) => [body.bytes.length, body.ended, body.start.binary])).toEqual([[0, true, false], [2, true, true]]);
  });
});

describe('the plain shape of a streamed body', () => {
  // Each line in the shape plainBodyHead reads, and the same response with a second space before
  // the body item, which only the scanner and the parser read: both must come out the same.
  const heads = [
    '* 7 FETCH (UID 41 BODY[] ',
    '* 7 fetch (uid 41 body[] ',
    '* 7 FETCH (BODY[] ',
    '* 4294967295 FETCH (UID 4294967295 BODY[1.2.MIME] ',
    '* 7 FETCH (UID 41 BODY[HEADER.FIELDS (FROM TO)]<0> ',
    '* 7 FETCH (UID 41 BODY[header]<10> ',
    '* 7 FETCH (UID 41 BINARY[1] ',
    '* 7 FETCH (UID 41 BODY[1.BOGUS] ',
  ];
  const spaced = (head: string): string => head.replace(/ (BODY|BINARY|body)\[/, '  $1[');

  /** Streamed, buffered by the hook's choice, or buffered unseen while nothing streams bodies. */
  type Mode = 'stream' | 'buffer' | 'unseen';

  function run(head: string, mode: Mode, tail = ')'): ReturnType<typeof feed> {
    return feed(`${head}{3}\r\nabc${tail}\r\nA1 OK done\r\n`, { stream: () => mode === 'stream', bodyStreams: () => mode !== 'unseen', chunkSize: 5 });
  }

  it.each(heads)('reads %j as the parser does, streamed and buffered', (head) => {
    for (const mode of ['stream', 'buffer', 'unseen'] as const) {
      const plain = run(head, mode);
      const general = run(spaced(head), mode);
      expect(plain.errors).toEqual([]);
      expect(plain.bodies.map((body) => body.start)).toEqual(general.bodies.map((body) => body.start));
      expect(plain.responses).toEqual(general.responses);
      expect(plain.events).toEqual(general.events);
    }
    expect(run(head, 'stream').bodies.map((body) => body.bytes.toString())).toEqual(['abc']);
    const buffered = fetchOf(run(head, 'unseen').responses[0]!).attributes.bodies![0]!.content;
    expect(buffered.kind === 'bytes' && Buffer.from(buffered.bytes).toString()).toBe('abc');
  });

  it('leaves what follows the literal to the parser', () => {
    for (const mode of ['stream', 'unseen'] as const) {
      for (const tail of [' FLAGS (\\Seen))', ' BODY[1] {2}\r\nxy)', ' )', ') ']) {
        expect(run(heads[0]!, mode, tail).responses).toEqual(run(spaced(heads[0]!), mode, tail).responses);
      }
      expect(fetchOf(run(heads[0]!, mode, ' FLAGS (\\Seen))').responses[0]!).attributes.flags).toEqual(['\\Seen']);
    }
  });

  it('is read only in exactly that shape', () => {
    const head = (text: string): ReturnType<typeof plainBodyHead> => plainBodyHead(Buffer.from(text), Buffer.byteLength(text));
    expect(head('* 7 FETCH (UID 41 BODY[] ')).toEqual({ seq: 7, uid: 41, item: 'BODY', section: parseSectionSpec(''), origin: null });
    expect(head('* 7 FETCH (BINARY[1]<5> ')).toEqual({ seq: 7, uid: null, item: 'BINARY', section: parseSectionSpec('1'), origin: 5 });
    expect(head('* 8 FETCH (UID 42 BODY[HEADER] ')?.section).toEqual(parseSectionSpec('HEADER'));
    // A fetch's bodies name one section: it is parsed once, the same object each time.
    expect(head('* 9 FETCH (UID 43 BODY[HEADER] ')?.section).toBe(head('* 10 FETCH (UID 44 BODY[HEADER] ')?.section);
    for (const other of [
      '* 7 FETCH (UID 41  BODY[] ',
      '* 7 FETCH (FLAGS () BODY[] ',
      '* 7 FETCH (UID 41 BODY[HEADER.FIELDS ("X]Y")] ',
      '* 7 FETCH (UID 41 BODY[\u00e9] ',
      '* 7 FETCH (UID 41 BODY.PEEK[] ',
      '* 7 FETCH (UID 41 RFC822 ',
      '* 0 FETCH (UID 41 BODY[] ',
      '* 4294967296 FETCH (BODY[] ',
      '* 7 FETCH (UID 4294967296 BODY[] ',
      '* 7 FETCH (UID 41 BODY[]',
      'A1 FETCH (UID 41 BODY[] ',
    ]) {
      expect(head(other), other).toBeNull();
    }
  });
});

describe('pipelined output', () => {
  it('keeps untagged FETCH, EXPUNGE and tagged completions of several commands apart', () => {
    const { responses, errors } = feed(
      '* 1 FETCH (UID 10 FLAGS ())\r\n* 3 FETCH (FLAGS (\\Deleted))\r\n* 2 EXPUNGE\r\n* 2 FETCH (UID 12 FLAGS (\\Seen))\r\nA2 OK Store done\r\nA1 OK Fetch done\r\n',
    );
    expect(errors).toEqual([]);
    expect(responses.map((r) => (r.kind === 'tagged' ? r.tag : r.kind === 'fetch' ? `fetch ${r.seq}` : r.kind))).toEqual([
      'fetch 1', 'fetch 3', 'expunge', 'fetch 2', 'A2', 'A1',
    ]);
  });
});
