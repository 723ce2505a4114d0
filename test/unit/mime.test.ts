import { describe, expect, it } from 'vitest';
import { decodeEncodedWords, getHeaderValue, parseAddressList, parseHeaderFields, unfoldHeaderValue } from '../../src/common/mime/index.js';
import fc from 'fast-check';
import { parseHeaderDate } from '../../src/common/mime/date.js';
import { parseImapDateTime } from '../../src/imap/wire/date.js';
import { decodeDisplayName } from '../../src/common/mime/encoded-word.js';
import { imapMessageId, summarizeHeader } from '../../src/common/mailbox.js';

describe('RFC 2047 encoded words', () => {
  it.each([
    ['plain text', 'plain text'],
    ['=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=', 'Grüße'],
    ['=?utf-8?q?a_b?=', 'a b'],
    ['=?ISO-8859-1?Q?J=F6rg?= Smith', 'Jörg Smith'],
    ['=?UTF-8?B?8J+YgA==?=', '😀'],
    ['=?UTF-8?B?8J+YgA?=', '😀'],
    ['=?UTF-8?Q?a?= =?UTF-8?Q?b?=', 'ab'],
    ['=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=', 'ab'],
    ['=?UTF-8?B?8J+Y?= =?UTF-8?B?gA==?=', '😀'],
    ['=?utf8?B?8J+Y?= =?UTF-8?B?gA==?=', '😀'],
    ['=?UTF-8?Q?=F0=9F?= =?unicode-1-1-utf-8?Q?=98=80?=', '😀'],
    ['=?UTF-8?Q?a?= x =?UTF-8?Q?b?=', 'a x b'],
    ['=?ISO-8859-1?Q?a?= =?UTF-8?Q?=C3=BC?=', 'aü'],
    ['=?UTF-8*en?Q?hi?=', 'hi'],
    ['=?windows-1252?Q?=80?=', '€'],
    ['=?KOI8-R?B?8NLJ18XU?=', 'Привет'],
    ['=?x-unknown?Q?a?=', '=?x-unknown?Q?a?='],
    ['=?UTF-8?Q?bad=Z?=', '=?UTF-8?Q?bad=Z?='],
    ['=?UTF-8?B?!!!?=', '=?UTF-8?B?!!!?='],
    ['=?UTF-8?X?abc?=', '=?UTF-8?X?abc?='],
    ['a =?UTF-8?Q?b', 'a =?UTF-8?Q?b'],
    // RFC 2781 section 4.3: UTF-16 without a byte order mark is big-endian; a mark is honoured.
    ['=?UTF-16?B?AEgAaQ==?=', 'Hi'],
    ['=?utf-16?Q?=00H=00i?=', 'Hi'],
    ['=?UTF-16?B?/v8ASABp?=', 'Hi'],
    ['=?UTF-16?B?//5IAGkA?=', 'Hi'],
    ['=?UTF-16BE?B?AEgAaQ==?=', 'Hi'],
    ['=?UTF-16LE?B?SABpAA==?=', 'Hi'],
    // Encoders that write UTF-16 give each word its own mark: it is no character of the text.
    ['=?UTF-16?B?/v8ASA==?= =?UTF-16?B?/v8AaQ==?=', 'Hi'],
    ['=?UTF-16?B?//5IAA==?= =?UTF-16?B?//5pAA==?=', 'Hi'],
    ['=?UTF-16?B?AEg=?= =?UTF-16?B?//5pAA==?=', 'Hi'],
  ])('%j', (input, expected) => {
    expect(decodeEncodedWords(input)).toBe(expected);
  });
});

describe('RFC 2047 word boundaries', () => {
  // Words are found as /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/ would find them: any whitespace (as
  // \s has it, Unicode included) inside the charset or the text, a missing part or a wrong
  // encoding letter leaves the text as it is.
  const space = fc.constantFrom(' ', '\t', '\r\n', '\u00a0', '\u1680', '\u2003', '\u2028', '\u202f', '\u3000', '\ufeff');
  const text = fc.string({ unit: 'grapheme', maxLength: 6 });
  const valid = text.map((value) => ({ sent: `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`, reads: value }));
  const nearMiss = fc
    .tuple(space, fc.constantFrom('charset', 'charsetEnd', 'text', 'letter', 'end', 'empty'))
    .map(([blank, kind]) => {
      // A charset label with whitespace around it is one TextDecoder would accept: the word must not be taken.
      const sent = {
        charset: `=?${blank}UTF-8?Q?abc?=`,
        charsetEnd: `=?UTF-8${blank}?Q?abc?=`,
        text: `=?UTF-8?Q?ab${blank}c?=`,
        letter: '=?UTF-8?X?abc?=',
        end: '=?UTF-8?Q?abc?',
        empty: '=??Q?abc?=',
      }[kind];
      return { sent, reads: sent };
    });
  const junk = fc.stringMatching(/^[a-z =]{0,5}$/).map((value) => ({ sent: value, reads: value }));

  it('are found where the expression finds them, whatever surrounds them', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(valid, nearMiss, junk), { maxLength: 6 }), (pieces) => {
        // 'x' between pieces: never whitespace, so adjacent words are not joined.
        expect(decodeEncodedWords(pieces.map((piece) => piece.sent).join('x'))).toBe(pieces.map((piece) => piece.reads).join('x'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('display names decoded with the recent-names cache', () => {
  it('read as decodeEncodedWords reads them, the first time and again, past the cache size', () => {
    const word = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.string({ maxLength: 8 }).map((text) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`),
      fc.stringMatching(/^[A-Za-z_=0-9]{0,10}$/).map((text) => `=?ISO-8859-1?Q?${text}?=`),
    );
    const name = fc.array(word, { maxLength: 4 }).map((words) => words.join(' '));
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 700 }), (names) => {
        for (const value of [...names, ...names]) expect(decodeDisplayName(value)).toBe(decodeEncodedWords(value));
      }),
      { numRuns: 30 },
    );
  });
});

describe('header parsing', () => {
  it('unfolds and splits fields, stopping at the blank line', () => {
    const header = 'Subject: Hello\r\n  world\r\nFrom: "Doe, Jane" <jane@example.com>\r\nX-Empty:\r\nbogus line\r\nTo: a@b.c\n\r\nBody: no\r\n';
    const fields = parseHeaderFields(Buffer.from(header));
    expect(fields).toEqual([
      { name: 'Subject', value: 'Hello  world' },
      { name: 'From', value: '"Doe, Jane" <jane@example.com>' },
      { name: 'X-Empty', value: '' },
      { name: 'To', value: 'a@b.c' },
    ]);
    expect(getHeaderValue(fields, 'subject')).toBe('Hello  world');
    expect(getHeaderValue(fields, 'cc')).toBeUndefined();
    expect(unfoldHeaderValue('a\r\n\tb\nc')).toBe('a\tb\nc');
  });

  it('reads header lines that are not UTF-8 as Latin-1, as body-structure parameters are, each line on its own', () => {
    const header = Buffer.concat([
      Buffer.from('Subject: J'), Buffer.from([0xf6]), Buffer.from('rg\r\n'), // Latin-1 ö
      Buffer.from('From: "M'), Buffer.from([0xfc]), Buffer.from('ller" <m@x.de>\r\n'),
      Buffer.from('To: Grüße <g@x.de>\r\n\r\n'), // valid UTF-8 stays UTF-8
    ]);
    expect(parseHeaderFields(header)).toEqual([
      { name: 'Subject', value: 'Jörg' },
      { name: 'From', value: '"Müller" <m@x.de>' },
      { name: 'To', value: 'Grüße <g@x.de>' },
    ]);
    const summary = summarizeHeader(imapMessageId(1, 1), header);
    expect(summary.subject).toBe('Jörg');
    expect(summary.from).toEqual([{ name: 'Müller', address: 'm@x.de', group: null }]);
  });

  it('parses address lists leniently', () => {
    expect(parseAddressList('"Doe, Jane" <jane@example.com>, bob@example.com (Bob), =?UTF-8?Q?J=C3=B6rg?= <j@x.de>')).toEqual([
      { name: 'Doe, Jane', address: 'jane@example.com', group: null },
      { name: 'Bob', address: 'bob@example.com', group: null },
      { name: 'Jörg', address: 'j@x.de', group: null },
    ]);
    expect(parseAddressList('team: a@x.y, "B" <b@x.y>; c@x.y')).toEqual([
      { name: null, address: 'a@x.y', group: 'team' },
      { name: 'B', address: 'b@x.y', group: 'team' },
      { name: null, address: 'c@x.y', group: null },
    ]);
    expect(parseAddressList('undisclosed-recipients:;')).toEqual([]);
    expect(parseAddressList(',, <x@y.z>,')).toEqual([{ name: null, address: 'x@y.z', group: null }]);
    expect(parseAddressList('jane@example.com Jane Doe')).toEqual([{ name: 'Jane Doe', address: 'jane@example.com', group: null }]);
    expect(parseAddressList('"Only a name"')).toEqual([{ name: 'Only a name', address: '', group: null }]);
    // A quoted name before an address without angle brackets: the address is not part of the name.
    expect(parseAddressList('"Doe, Jane" jane@example.com, b@x.y')).toEqual([
      { name: 'Doe, Jane', address: 'jane@example.com', group: null },
      { name: null, address: 'b@x.y', group: null },
    ]);
    expect(parseAddressList('"me@home" Jane')).toEqual([{ name: 'me@home Jane', address: '', group: null }]);
    expect(parseAddressList('Jane <jane@example.com')).toEqual([{ name: 'Jane', address: 'jane@example.com', group: null }]);
    // Quoted pairs in a comment (RFC 5322 section 3.2.2): `\)` does not end it.
    expect(parseAddressList('alice@example.com (Alice \\) Smith), bob@example.com (Bob (the (builder)))')).toEqual([
      { name: 'Alice ) Smith', address: 'alice@example.com', group: null },
      { name: 'Bob (the (builder))', address: 'bob@example.com', group: null },
    ]);
  });
});

describe('address comments', () => {
  it('are no part of an address in angle brackets (RFC 5322 appendix A.5)', () => {
    expect(parseAddressList('Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>')).toEqual([
      { name: 'Pete', address: 'pete@silly.test', group: null },
    ]);
    expect(parseAddressList('Jane < jane (work) @ example.com >')).toEqual([{ name: 'Jane', address: 'jane@example.com', group: null }]);
    // A quoted local part keeps what looks like a comment.
    expect(parseAddressList('<"odd(name)"@example.com>')).toEqual([{ name: null, address: '"odd(name)"@example.com', group: null }]);
  });

  it('do not end an address in angle brackets at a `>` inside them, nor does a quoted local part', () => {
    expect(parseAddressList('Pete <pete(old > new)@silly.test>, Ann <ann@example.com>')).toEqual([
      { name: 'Pete', address: 'pete@silly.test', group: null },
      { name: 'Ann', address: 'ann@example.com', group: null },
    ]);
    expect(parseAddressList('<"a>b,c"@example.com>, d@example.com')).toEqual([
      { name: null, address: '"a>b,c"@example.com', group: null },
      { name: null, address: 'd@example.com', group: null },
    ]);
  });
});

describe('address lists separated by semicolons', () => {
  /** `[name, address, group]` for each address. */
  const rows = (text: string): (string | null)[][] => parseAddressList(text).map(({ name, address, group }) => [name, address, group]);

  it('split at a ";" outside a group, as at a comma (a separator some mail programs write)', () => {
    expect(rows('John Smith <john@x.test>; Jane <jane@x.test>')).toEqual([['John Smith', 'john@x.test', null], ['Jane', 'jane@x.test', null]]);
    expect(rows('a@x.test; b@x.test;')).toEqual([[null, 'a@x.test', null], [null, 'b@x.test', null]]);
    // Inside a group, ";" still ends the group; in quotes it is text.
    expect(rows('Team: a@x.test; "Giant; Box" <b@x.test>')).toEqual([[null, 'a@x.test', 'Team'], ['Giant; Box', 'b@x.test', null]]);
  });
});

describe('address routes', () => {
  it('are no part of the address (RFC 5322 section 4.4 obs-route, appendix A.6.1)', () => {
    expect(parseAddressList('Mary Smith <@node.test:mary@example.net>')).toEqual([{ name: 'Mary Smith', address: 'mary@example.net', group: null }]);
    // A route of several domains has commas, which must not split the list.
    expect(parseAddressList('Mary Smith <@node.test,@node2.test:mary@example.net>, Joe <joe@example.com>')).toEqual([
      { name: 'Mary Smith', address: 'mary@example.net', group: null },
      { name: 'Joe', address: 'joe@example.com', group: null },
    ]);
    expect(parseAddressList('< @a.test , @b.test : x@example.com >')).toEqual([{ name: null, address: 'x@example.com', group: null }]);
    // A colon in a quoted local part is not a route's end.
    expect(parseAddressList('<"a:b"@example.com>')).toEqual([{ name: null, address: '"a:b"@example.com', group: null }]);
  });
});

describe('header dates', () => {
  // The canonical form is read without Date.parse; whatever it accepts must be what Date.parse gives.
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  /** A date's fields; with `slack` 1, each may also be one past its range (31 February, hour 24, zone +2400). */
  const dateFields = (slack: number) =>
    fc.record({
      weekday: fc.option(fc.constantFrom(...days), { nil: undefined }),
      day: fc.integer({ min: 1 - slack, max: 31 + slack }),
      padDay: fc.boolean(),
      month: fc.constantFrom(...months, 'nov', 'DEC'),
      year: fc.integer({ min: 1000, max: 9999 }),
      hour: fc.integer({ min: 0, max: 23 + slack }),
      minute: fc.integer({ min: 0, max: 59 + slack }),
      second: fc.option(fc.integer({ min: 0, max: 59 + 2 * slack }), { nil: undefined }),
      sign: fc.constantFrom('+', '-'),
      zoneHours: fc.integer({ min: 0, max: 23 + slack }),
      zoneMinutes: fc.integer({ min: 0, max: 59 + slack }),
    });
  type DateFields = ReturnType<typeof dateFields> extends fc.Arbitrary<infer T> ? T : never;
  const day = (d: DateFields): string => (d.padDay ? pad(d.day, 2) : String(d.day));
  const time = (d: DateFields): string => `${pad(d.hour, 2)}:${pad(d.minute, 2)}${d.second === undefined ? '' : `:${pad(d.second, 2)}`}`;
  const zone = (d: DateFields): string => `${d.sign}${pad(d.zoneHours, 2)}${pad(d.zoneMinutes, 2)}`;
  /** `Fri, 27 Nov 2026 10:01:00 +0000`: the form the fast path reads. */
  const canonical = (d: DateFields): string =>
    `${d.weekday === undefined ? '' : `${d.weekday}, `}${day(d)} ${d.month} ${d.year} ${time(d)} ${zone(d)}`;
  const iso = (text: string): string | null => parseHeaderDate(text)?.toISOString() ?? null;

  it('reads canonical dates exactly as Date.parse does, for random fields (impossible days are no date)', () => {
    fc.assert(
      fc.property(
        dateFields(0),
        (d) => {
          const text = canonical(d);
          const monthIndex = months.findIndex((name) => name.toLowerCase() === d.month.toLowerCase());
          const possible = d.day <= new Date(Date.UTC(d.year, monthIndex + 1, 0)).getUTCDate();
          expect(parseHeaderDate(text)?.getTime(), text).toBe(possible ? Date.parse(text) : undefined);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads other forms field by field, never in the host time zone, and gives null for non-dates', () => {
    expect(iso('Fri, 27 Nov 2026 10:01:00 +0000')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('Mon, 7 Feb 2024 21:52:25 -0130')).toBe('2024-02-07T23:22:25.000Z');
    expect(iso('Fri, 27 Nov 2026 10:01:00 GMT')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('Fri, 27 Nov 2026 10:01:00 +0000 (UTC)')).toBe('2026-11-27T10:01:00.000Z');
    // Obsolete syntax (RFC 5322 section 4.3): named zones, two- and three-digit years, comments.
    expect(iso('27 Nov 26 10:01 EST')).toBe('2026-11-27T15:01:00.000Z');
    expect(iso('Thu, 27 Nov 97 10:01:00 PDT')).toBe('1997-11-27T17:01:00.000Z');
    expect(iso('27 Nov 126 10:01:00 +0000')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('Fri, (comment (nested \\) )) 27 Nov 2026 10:01:00 +0100 (CET)')).toBe('2026-11-27T09:01:00.000Z');
    expect(iso('Friday,27-November-2026 10:01:00.123 -05:00')).toBe('2026-11-27T15:01:00.000Z');
    expect(iso('fri, 27 sept 2026 1:02:03 cest')).toBe('2026-09-26T23:02:03.000Z');
    // A missing zone, a military letter or an unknown name: -0000, read as UTC.
    expect(iso('Fri, 27 Nov 2026 10:01:00')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('Fri, 27 Nov 2026 10:01:00 Q')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('Fri, 27 Nov 2026 10:01:00 XYZT')).toBe('2026-11-27T10:01:00.000Z');
    // A leap second is the last second of its minute.
    expect(iso('Fri, 27 Nov 2026 23:59:60 +0000')).toBe('2026-11-27T23:59:59.000Z');
    // asctime and ISO 8601, as some old mailers and scripts write them.
    expect(iso('Fri Nov 27 10:01:00 2026')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('Fri Nov  7 10:01:00 PST 2026')).toBe('2026-11-07T18:01:00.000Z');
    expect(iso('2026-11-27T10:01:00Z')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('2026-11-27 10:01:00+09:00')).toBe('2026-11-27T01:01:00.000Z');
    // Not dates: what Date.parse would still read (as the year 2001, or a rolled-over day).
    for (const text of ['yesterday', '', '1', 'hello 5', 'not a date at all, 99:99', 'Nov 27 2026', '2026-11-27']) {
      expect(iso(text), text).toBeNull();
    }
    for (const text of ['Sat, 31 Feb 2026 10:00:00 +0000', 'Fri, 29 Feb 2025 10:00:00 GMT', '27 Nov 2026 24:00 +0000', '27 Nov 2026 10:01 +2400', '27 Foo 2026 10:01 +0000']) {
      expect(iso(text), text).toBeNull();
    }
    expect(iso('Thu, 29 Feb 2024 10:00:00 GMT')).toBe('2024-02-29T10:00:00.000Z');
    // Junk the canonical reader must not take for a year, a weekday or a month.
    for (const text of ['Fri, 27 Nov 20xx 10:01:00 +0000', '27 Nov 19-- 10:01:00 +0000', '123, 27 Nov 2026 10:01:00 +0000', '2026-13-05T10:00:00Z', '2026-14-40T10:00:00Z']) {
      expect(iso(text), text).toBeNull();
    }
    // CFWS around the time's colons (RFC 5322 section 4.3).
    expect(iso('Fri, 27 Nov 2026 10 : 01 : 00 +0000')).toBe('2026-11-27T10:01:00.000Z');
    expect(iso('Fri, 27 Nov 2026 10:01(c):00 +0000')).toBe('2026-11-27T10:01:00.000Z');
  });

  it('reads a numeric zone followed by its name, as Python and MailKit do (the number counts)', () => {
    expect(iso('Tue, 6 Mar 2012 09:23:51 +0000 GMT')).toBe('2012-03-06T09:23:51.000Z');
    expect(iso('Mon, 2 Jan 2006 15:04:05 -0700 MST')).toBe('2006-01-02T22:04:05.000Z');
    expect(iso('Mon, 2 Jan 2006 15:04:05 +0100 CET (Central European Time)')).toBe('2006-01-02T14:04:05.000Z');
    expect(iso('Mon, 2 Jan 2006 15:04:05 +0100 GMT+1')).toBeNull();
  });

  it('reads a numeric zone led by GMT, UT or UTC (`GMT+0100`), as some Java and webmail mailers write it', () => {
    expect(iso('Tue, 1 Mar 2005 10:00:00 GMT+0100')).toBe('2005-03-01T09:00:00.000Z');
    expect(iso('Tue, 1 Mar 2005 10:00:00 UTC-05:00')).toBe('2005-03-01T15:00:00.000Z');
    expect(iso('Tue, 1 Mar 2005 10:00:00 UT+0000')).toBe('2005-03-01T10:00:00.000Z');
    expect(iso('Tue, 1 Mar 2005 10:00:00 GMT+2500')).toBeNull();
    expect(iso('Tue, 1 Mar 2005 10:00:00 EST+0100')).toBeNull(); // a named zone other than UTC's: which counts?
  });

  it('reads the month before the day (`Mon, Jan 2 2006 ...`), as Python and MailKit do', () => {
    expect(iso('Mon, Jan 2 2006 15:04:05 -0700')).toBe('2006-01-02T22:04:05.000Z');
    expect(iso('Mon, Jan 02, 2006 15:04:05 -0700 (MST)')).toBe('2006-01-02T22:04:05.000Z');
    expect(iso('January 2, 06 15:04 GMT')).toBe('2006-01-02T15:04:00.000Z');
    expect(iso('Jan 32 2006 15:04:05 -0700')).toBeNull();
    expect(iso('Nov 27 2026')).toBeNull(); // no time: no date
  });

  // The fast path and the general one, and INTERNALDATE's own parser: where two read a value, they agree.
  it('reads a canonical date the same on the general path (after a comment or a blank)', () => {
    fc.assert(
      fc.property(dateFields(1), (d) => {
        const text = canonical(d);
        expect(iso(`${text} (comment)`), text).toBe(iso(text));
        expect(iso(` ${text}`), text).toBe(iso(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads an INTERNALDATE as parseImapDateTime does', () => {
    fc.assert(
      fc.property(dateFields(1), (d) => {
        const text = `${day(d)}-${d.month}-${d.year} ${time(d)} ${zone(d)}`;
        expect(iso(text), text).toBe(parseImapDateTime(text)?.toISOString() ?? null);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads dates the same whatever the host time zone', () => {
    const zone = process.env.TZ;
    try {
      const seen = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo'].map((tz) => {
        process.env.TZ = tz;
        return ['Fri, 27 Nov 2026 10:01:00', '27 Nov 26 10:01', 'Fri Nov 27 10:01:00 2026'].map((text) => parseHeaderDate(text)?.getTime());
      });
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[2]).toEqual(seen[0]);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
