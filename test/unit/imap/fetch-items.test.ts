import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/common/errors.js';
import { fetchItems } from '../../../src/imap/commands/fetch.js';
import { requestKey, sectionKey } from '../../../src/imap/fetch-message.js';
import { parseSectionSpec } from '../../../src/imap/wire/section.js';

describe('fetchItems', () => {
  it('asks for UID first and body items last, with PEEK unless markSeen', () => {
    expect(
      fetchItems({
        bodies: ['1.2', { fields: ['From', 'Subject'] }, { section: '2', fields: ['X-A'], exclude: true }, '1.MIME', { partial: { start: 0, length: 1024 } }],
        flags: true,
        internalDate: true,
        size: true,
        envelope: true,
        bodyStructure: true,
        modseq: true,
        source: true,
      }),
    ).toEqual([
      'UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'MODSEQ',
      'BODY.PEEK[]', 'BODY.PEEK[1.2]', 'BODY.PEEK[HEADER.FIELDS (From Subject)]', 'BODY.PEEK[2.HEADER.FIELDS.NOT (X-A)]',
      'BODY.PEEK[1.MIME]', 'BODY.PEEK[]<0.1024>',
    ]);
    expect(fetchItems({ bodies: ['TEXT'], markSeen: true })).toEqual(['UID', 'BODY[TEXT]']);
  });

  it('refuses sections and field names that could break the command', () => {
    expect(() => fetchItems({ bodies: ['HEADER]'] })).toThrow(InvalidArgumentError);
    expect(() => fetchItems({ bodies: ['TEXT\r\nA2 LOGOUT'] })).toThrow(InvalidArgumentError);
    expect(() => fetchItems({ bodies: [{ fields: ['Bad Name'] }] })).toThrow(InvalidArgumentError);
    expect(() => fetchItems({ bodies: [{ partial: { start: -1, length: 5 } }] })).toThrow(InvalidArgumentError);
  });

  it('checks header field names (RFC 5322 field-name) and quotes those that are not atoms (header-fld-name = astring)', () => {
    expect(fetchItems({ bodies: [{ fields: ['X%Y', 'A*', 'Q"t', 'B\\s', 'C{1}', 'P(a)', 'nil', 'X-Spam'] }] })).toEqual([
      'UID', 'BODY.PEEK[HEADER.FIELDS ("X%Y" "A*" "Q\\"t" "B\\\\s" "C{1}" "P(a)" "nil" X-Spam)]',
    ]);
    // The string form is read the same way: names quoted or not, sent quoted where needed.
    expect(fetchItems({ bodies: ['1.HEADER.FIELDS.NOT (X%Y "P(a)" From)'] })).toEqual(['UID', 'BODY.PEEK[1.HEADER.FIELDS.NOT ("X%Y" "P(a)" From)]']);
    for (const bad of ['', 'a b', 'a:b', 'a]b', 'a\r\nb', 'Grüße', 'a\x7f', 'a\tb']) {
      expect(() => fetchItems({ bodies: [{ fields: [bad] }] }), JSON.stringify(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => fetchItems({ bodies: [{ fields: [] }] })).toThrow(InvalidArgumentError);
    expect(() => fetchItems({ bodies: ['HEADER.FIELDS ()'] })).toThrow(InvalidArgumentError);
    expect(() => fetchItems({ bodies: ['HEADER.FIELDS (a:b)'] })).toThrow(InvalidArgumentError);
    // A name the server sends back quoted (with escapes) is the name the caller asks body() for.
    expect(requestKey('HEADER.FIELDS (Q"t X%Y)')).toBe(sectionKey(parseSectionSpec('HEADER.FIELDS ("Q\\"t" "X%Y")')));
  });

  it('refuses MIME without a part number and other section specs outside the grammar (RFC 3501 section-spec)', () => {
    for (const bad of ['MIME', 'mime', '0', '01', '1.0', '1..2', '1.', '.1', 'HEADER.TEXT', 'FOO', '1.BOGUS', 'HEADER.MIME']) {
      expect(() => fetchItems({ bodies: [bad] }), bad).toThrow(InvalidArgumentError);
    }
    expect(() => fetchItems({ bodies: [{ section: 'HEADER', fields: ['From'] }] })).toThrow(InvalidArgumentError);
    expect(() => fetchItems({ bodies: [{ section: 'MIME' }] })).toThrow(InvalidArgumentError);
    expect(fetchItems({ bodies: ['1.MIME', '2.3.text', 'header', '10.HEADER', { section: '1.2', fields: ['From'] }] })).toEqual([
      'UID', 'BODY.PEEK[1.MIME]', 'BODY.PEEK[2.3.text]', 'BODY.PEEK[header]', 'BODY.PEEK[10.HEADER]', 'BODY.PEEK[1.2.HEADER.FIELDS (From)]',
    ]);
  });

  it('matches a requested section with the one the server sends back', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['header', 'HEADER'],
      ['1.2', '1.2'],
      ['1.mime', '1.MIME'],
      ['HEADER.FIELDS (From Subject)', 'HEADER.FIELDS (FROM SUBJECT)'],
      ['2.HEADER.FIELDS.NOT (X-A)', '2.HEADER.FIELDS.NOT (X-A)'],
      // Echoed in another case, and with more spaces than one around the list and its names.
      ['HEADER.FIELDS (From Subject)', 'header.fields  ( from  subject )'],
      ['1.HEADER.FIELDS.NOT (X-A)', '1.header.fields.not  (x-a)'],
    ];
    for (const [requested, sent] of cases) expect(requestKey(requested)).toBe(sectionKey(parseSectionSpec(sent)));
    // The last request is remembered: asking in turns, and twice in a row, still gives each its own key.
    for (const [requested, sent] of [...cases, ...cases.toReversed(), cases[1]!, cases[1]!, cases[2]!]) {
      expect(requestKey(requested)).toBe(sectionKey(parseSectionSpec(sent)));
    }
  });

  it('gives distinct sections distinct keys', () => {
    const sections = ['', 'HEADER', 'TEXT', 'MIME', '1', '1.2', '1.HEADER', '1.MIME', '2.TEXT', 'HEADER.FIELDS (A)', 'HEADER.FIELDS.NOT (A)', '1.HEADER.FIELDS (A B)',
      // Unknown section texts keep their own key: never the one of the part, or of the section they start like.
      '1.BOGUS', '1.MIMEX', 'HEADER.FIELDSX (A)', 'HEADER.FIELDS.NOTX (A)'];
    const keys = sections.map((raw) => sectionKey(parseSectionSpec(raw)));
    expect(new Set(keys).size).toBe(sections.length);
    expect(keys.slice(0, 4)).toEqual(['', 'HEADER', 'TEXT', 'MIME']);
  });
});
