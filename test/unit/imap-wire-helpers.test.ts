import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ProtocolError } from '../../src/common/errors.js';
import type { CommandArg, SearchQuery } from '../../src/imap/wire/index.js';
import {
  buildSearchCriteria, decodeModifiedUtf7, encodeCommand, encodeModifiedUtf7, formatImapDate, formatImapDateTime, parseImapDate,
  parseImapDateTime, SequenceSet, seqNum, uid,
} from '../../src/imap/wire/index.js';

describe('modified UTF-7', () => {
  it.each([
    ['INBOX', 'INBOX'],
    ['&', '&-'],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['Отправленные', '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-'],
    ['a😀b', 'a&2D3eAA-b'],
    ['tab\there', 'tab&AAk-here'],
  ])('%s <-> %s', (text, wire) => {
    expect(encodeModifiedUtf7(text)).toBe(wire);
    expect(decodeModifiedUtf7(wire)).toBe(text);
  });

  it('decodes invalid input leniently', () => {
    expect(decodeModifiedUtf7('a&b')).toBe('a&b');
    expect(decodeModifiedUtf7('a&!!-b')).toBe('a&!!-b');
    expect(decodeModifiedUtf7('a&AP-b')).toBe('a&AP-b');
    expect(decodeModifiedUtf7('&-&-')).toBe('&&');
  });

  it('keeps printable ASCII that a server wrongly encoded as sent, so it cannot pose as a delimiter or another name', () => {
    // RFC 3501 section 5.1.3: base64 MUST NOT represent a printing US-ASCII character. Read as
    // "a/b", the name a&AC8-b would look like a child of "a" and be confused with a real "a/b".
    expect(decodeModifiedUtf7('a&AC8-b')).toBe('a&AC8-b');
    expect(decodeModifiedUtf7('&AGE-')).toBe('&AGE-');
    expect(decodeModifiedUtf7('&ACY-')).toBe('&ACY-');
    expect(decodeModifiedUtf7('x&AOkALg-y')).toBe('x&AOkALg-y');
    // Controls and non-ASCII are what base64 is for, and still decode.
    expect(decodeModifiedUtf7('&AAk-&AH8-')).toBe('\t\x7f');
    expect(decodeModifiedUtf7('&AOk-')).toBe('é');
  });
});

describe('sequence sets', () => {
  it('compresses ranges', () => {
    expect(SequenceSet.from([1, 2, 3, 4, 5, 7, { start: 9, end: '*' }]).toString()).toBe('1:5,7,9:*');
    expect(SequenceSet.uids([uid(3), uid(1), uid(2), uid(2)]).toString()).toBe('1:3');
    expect(SequenceSet.seqNums([seqNum(5), { start: seqNum(9), end: seqNum(7) }]).toString()).toBe('5,7:9');
    expect(SequenceSet.from(['*']).toString()).toBe('*');
    expect(SequenceSet.from([{ start: 4, end: '*' }, 2, 3, 10]).toString()).toBe('2:*');
    expect(SequenceSet.from([1, '*']).toString()).toBe('1,*');
  });

  it('parses, iterates and tests membership', () => {
    const set = SequenceSet.parse('9:7,1,2,20:*');
    expect(set.toString()).toBe('1:2,7:9,20:*');
    expect([...set.values()]).toEqual([1, 2, 7, 8, 9, 20]);
    expect(set.has(8)).toBe(true);
    expect(set.has(5)).toBe(false);
    expect(set.has(1000)).toBe(true);
    expect(() => SequenceSet.parse('1,,2')).toThrow(ProtocolError);
    expect(() => SequenceSet.parse('0')).toThrow(ProtocolError);
  });

  it('refuses bad members', () => {
    expect(() => SequenceSet.from([])).toThrow(InvalidArgumentError);
    expect(() => uid(0)).toThrow(InvalidArgumentError);
    expect(() => uid(2 ** 32)).toThrow(InvalidArgumentError);
    expect(() => seqNum(1.5)).toThrow(InvalidArgumentError);
  });

  it('refuses members of the wrong type from untyped callers with InvalidArgumentError', () => {
    for (const members of [[null], [undefined], ['5'], [5n], [{ start: 1 }], [{ start: null, end: 3 }], 5, null, '1:5']) {
      expect(() => SequenceSet.from(members as unknown as number[]), JSON.stringify(members, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
        .toThrow(InvalidArgumentError);
    }
  });
});

describe('dates', () => {
  it('formats and parses', () => {
    expect(formatImapDate(new Date('2024-02-01T23:59:00Z'))).toBe('1-Feb-2024');
    expect(formatImapDateTime(new Date('2024-12-24T18:05:09Z'))).toBe('24-Dec-2024 18:05:09 +0000');
    expect(parseImapDateTime('17-Jul-1996 02:44:25 -0700')).toEqual(new Date('1996-07-17T09:44:25Z'));
    expect(parseImapDateTime(' 7-jul-1996 02:44:25 +0130')).toEqual(new Date('1996-07-07T01:14:25Z'));
    expect(parseImapDateTime('7-Jul-1996 02:44')).toEqual(new Date('1996-07-07T02:44:00Z'));
    expect(parseImapDateTime('yesterday')).toBeNull();
    expect(parseImapDateTime('7-Foo-1996 02:44:25 +0000')).toBeNull();
    expect(parseImapDate('"1-Feb-2024"')).toEqual(new Date('2024-02-01T00:00:00Z'));
    expect(() => formatImapDate(new Date(NaN))).toThrow(InvalidArgumentError);
  });

  it('writes four-digit years and refuses days a month does not have', () => {
    expect(formatImapDate(new Date('0999-03-01T00:00:00Z'))).toBe('1-Mar-0999');
    expect(formatImapDateTime(new Date('0999-03-01T00:00:00Z'))).toBe(' 1-Mar-0999 00:00:00 +0000');
    expect(() => formatImapDate(new Date('+010000-01-01T00:00:00Z'))).toThrow(InvalidArgumentError);
    expect(parseImapDateTime('29-Feb-2024 10:00:00 +0000')).toEqual(new Date('2024-02-29T10:00:00Z'));
    expect(parseImapDateTime('31-Feb-2024 10:00:00 +0000')).toBeNull();
    expect(parseImapDateTime('29-Feb-2023 10:00:00 +0000')).toBeNull();
    expect(parseImapDate('31-Apr-2024')).toBeNull();
    expect(parseImapDate('0-Apr-2024')).toBeNull();
  });

  it('refuses times and zones out of range instead of rolling them over', () => {
    expect(parseImapDateTime('17-Jul-1996 25:44:25 -0700')).toBeNull();
    expect(parseImapDateTime('17-Jul-1996 02:60:25 -0700')).toBeNull();
    expect(parseImapDateTime('17-Jul-1996 02:44:61 -0700')).toBeNull();
    expect(parseImapDateTime('17-Jul-1996 02:44:25 +0099')).toBeNull();
    expect(parseImapDateTime('17-Jul-1996 02:44:25 +2400')).toBeNull();
    // A leap second is read as the last second of its minute, as header dates are.
    expect(parseImapDateTime('31-Dec-2016 23:59:60 +0000')).toEqual(new Date('2016-12-31T23:59:59Z'));
    expect(parseImapDateTime('17-Jul-1996 23:59:59 +2359')).toEqual(new Date('1996-07-17T00:00:59Z'));
  });

  it('reads years below 100 as written, not as 19xx', () => {
    const early = new Date('0050-03-01T00:00:00Z');
    expect(parseImapDate(formatImapDate(early))).toEqual(early);
    expect(parseImapDateTime('17-Jul-0050 02:44:25 +0000')).toEqual(new Date('0050-07-17T02:44:25Z'));
    // Leap years are those of the year as written: year 0 has a 29 February, 1900 has none.
    expect(parseImapDate('29-Feb-0004')).toEqual(new Date('0004-02-29T00:00:00Z'));
    expect(parseImapDate('29-Feb-0000')).toEqual(new Date('0000-02-29T00:00:00Z'));
  });
});

describe('search criteria', () => {
  function text(query: SearchQuery, utf8Accept = false): string {
    const args: CommandArg[] = buildSearchCriteria(query, { utf8Accept });
    return encodeCommand('A1', 'UID SEARCH', args, { literalPlus: true, utf8Accept })
      .map((fragment) => (fragment.kind === 'line' ? fragment.parts.join('') : fragment.kind === 'literal' ? `<${Buffer.from(fragment.bytes).toString()}>` : `<stream of ${fragment.size}>`))
      .join('');
  }

  it.each<[SearchQuery, string]>([
    [{}, 'A1 UID SEARCH ALL\r\n'],
    [{ seen: false, flagged: true, deleted: false }, 'A1 UID SEARCH UNSEEN FLAGGED UNDELETED\r\n'],
    [{ since: new Date('2024-02-01'), before: new Date('2024-03-10') }, 'A1 UID SEARCH SINCE 1-Feb-2024 BEFORE 10-Mar-2024\r\n'],
    [{ sentOn: new Date('2024-02-01'), sentSince: new Date('2024-01-01'), sentBefore: new Date('2024-05-01'), on: new Date('2024-01-02') },
      'A1 UID SEARCH ON 2-Jan-2024 SENTSINCE 1-Jan-2024 SENTBEFORE 1-May-2024 SENTON 1-Feb-2024\r\n'],
    [{ from: 'alice@example.com', subject: 'hello world' }, 'A1 UID SEARCH FROM alice@example.com SUBJECT "hello world"\r\n'],
    [{ header: { 'X-Priority': '1', 'List-Id': '' } }, 'A1 UID SEARCH HEADER X-Priority 1 HEADER List-Id ""\r\n'],
    [{ keyword: ['$Forwarded', 'Junk'], unkeyword: 'NonJunk' }, 'A1 UID SEARCH KEYWORD $Forwarded KEYWORD Junk UNKEYWORD NonJunk\r\n'],
    [{ larger: 1000, smaller: 5000 }, 'A1 UID SEARCH LARGER 1000 SMALLER 5000\r\n'],
    [{ uid: SequenceSet.uids([uid(1), uid(2), uid(3), { start: uid(10), end: '*' }]) }, 'A1 UID SEARCH UID 1:3,10:*\r\n'],
    [{ modseq: 620162338n }, 'A1 UID SEARCH MODSEQ 620162338\r\n'],
    [{ not: { seen: true } }, 'A1 UID SEARCH NOT SEEN\r\n'],
    [{ not: { from: 'x' } }, 'A1 UID SEARCH NOT FROM x\r\n'],
    [{ not: { from: 'x', seen: true } }, 'A1 UID SEARCH NOT (SEEN FROM x)\r\n'],
    [{ or: [{ from: 'a' }, { to: 'b' }] }, 'A1 UID SEARCH OR FROM a TO b\r\n'],
    [{ or: [{ from: 'a' }, { to: 'b' }, { seen: true, cc: 'c' }] }, 'A1 UID SEARCH OR FROM a OR TO b (SEEN CC c)\r\n'],
    [{ and: [{ from: 'a' }, { from: 'b' }] }, 'A1 UID SEARCH FROM a FROM b\r\n'],
    [{ subject: 'Grüße' }, 'A1 UID SEARCH CHARSET UTF-8 SUBJECT {7+}\r\n<Grüße>\r\n'],
    [{ youngerThan: 3600 }, 'A1 UID SEARCH YOUNGER 3600\r\n'],
  ])('%o', (query, expected) => {
    expect(text(query)).toBe(expected);
  });

  it('sends UTF-8 without CHARSET under UTF8=ACCEPT', () => {
    expect(text({ subject: 'Grüße' }, true)).toBe('A1 UID SEARCH SUBJECT "Grüße"\r\n');
  });

  it('refuses an OR with one alternative', () => {
    expect(() => buildSearchCriteria({ or: [{ seen: true }] })).toThrow(InvalidArgumentError);
  });

  it('checks HEADER field names (RFC 5322 field-name) and quotes those that are not atoms', () => {
    expect(text({ header: { 'X%Y': 'a' } })).toBe('A1 UID SEARCH HEADER "X%Y" a\r\n');
    for (const name of ['', 'a b', 'X:Y', 'a\r\nb', 'Grüße', 'a\tb']) {
      expect(() => buildSearchCriteria({ header: { [name]: 'x' } }), JSON.stringify(name)).toThrow(InvalidArgumentError);
    }
  });

  it('takes LARGER/SMALLER sizes from 0 to 2^32-1 octets (RFC 3501 number), and refuses anything else', () => {
    expect(text({ larger: 0, smaller: 4294967295 })).toBe('A1 UID SEARCH LARGER 0 SMALLER 4294967295\r\n');
    for (const size of [2 ** 32, -1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER]) {
      expect(() => buildSearchCriteria({ larger: size }), `larger ${size}`).toThrow(InvalidArgumentError);
      expect(() => buildSearchCriteria({ smaller: size }), `smaller ${size}`).toThrow(InvalidArgumentError);
      expect(() => buildSearchCriteria({ not: { larger: size } }), `not larger ${size}`).toThrow(InvalidArgumentError);
    }
    expect(() => buildSearchCriteria({ larger: 2n ** 32n })).toThrow(/larger/);
    expect(() => buildSearchCriteria({ smaller: 2n ** 32n })).toThrow(/smaller/);
  });

  it('under IMAP4rev2 takes LARGER/SMALLER up to 2^63-1 (RFC 9051 number64), as a bigint past 2^53-1', () => {
    const rev2 = (query: SearchQuery): string =>
      encodeCommand('A1', 'UID SEARCH', buildSearchCriteria(query, { imap4rev2: true }), { literalPlus: true })
        .map((fragment) => (fragment.kind === 'line' ? fragment.parts.join('') : ''))
        .join('');
    expect(rev2({ larger: 2 ** 32, smaller: Number.MAX_SAFE_INTEGER })).toBe('A1 UID SEARCH LARGER 4294967296 SMALLER 9007199254740991\r\n');
    expect(rev2({ larger: 0n, smaller: 2n ** 63n - 1n })).toBe('A1 UID SEARCH LARGER 0 SMALLER 9223372036854775807\r\n');
    for (const size of [2n ** 63n, -1n, -1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, 2 ** 63]) {
      expect(() => buildSearchCriteria({ larger: size }, { imap4rev2: true }), `larger ${size}`).toThrow(InvalidArgumentError);
      expect(() => buildSearchCriteria({ or: [{ seen: true }, { smaller: size }] }, { imap4rev2: true }), `smaller ${size}`).toThrow(/smaller/);
    }
  });

  it('refuses a system flag as a keyword, WITHIN intervals that are not whole seconds from 1 to 2^32-1, and MODSEQ past 2^63-1', () => {
    expect(text({ keyword: '$Forwarded', unkeyword: 'Work' })).toBe('A1 UID SEARCH KEYWORD $Forwarded UNKEYWORD Work\r\n');
    expect(text({ olderThan: 3600, youngerThan: 1 })).toBe('A1 UID SEARCH YOUNGER 1 OLDER 3600\r\n');
    for (const query of [{ keyword: '\\Seen' }, { unkeyword: ['$Junk', '\\Flagged'] }, { olderThan: 0 }, { youngerThan: 1.5 }, { youngerThan: -3 }, { youngerThan: 2 ** 32 }, { modseq: 2n ** 63n }]) {
      expect(() => buildSearchCriteria(query)).toThrow(InvalidArgumentError);
    }
  });
});

describe('search criteria from untyped callers', () => {
  // JavaScript callers (and data read from JSON) get past the types: every wrong value is refused
  // with InvalidArgumentError, never a TypeError from deep inside, nor a key sent wrongly.
  it.each<[string, unknown]>([
    ['a query that is no object', null],
    ['a query that is an array', [{ seen: true }]],
    ['a date as a string', { since: '2024-02-01' }],
    ['a date as a number', { sentBefore: 1706745600000 }],
    ['a flag key that is no boolean', { seen: 'no' }],
    ['all that is not true', { all: false }],
    ['a text key that is no string', { subject: 5 }],
    ['a text key that is null', { from: null }],
    ['a header value that is null', { header: { From: null } }],
    ['header fields that are no object', { header: 'From: a' }],
    ['a keyword that is no string', { keyword: [1] }],
    ['keywords that are neither a string nor an array', { unkeyword: 5 }],
    ['a UID set given as a string', { uid: '1:5 ALL' }],
    ['a UID set given as an array of ranges', { uid: [{ start: 1, end: 5 }] }],
    ['a sequence set given as an array', { seq: [1, 2] }],
    ['a MODSEQ as a string', { modseq: '5' }],
    ['or that is no array', { or: { seen: true } }],
    ['and that is no array', { and: { seen: true } }],
    ['a not that is no query', { not: 'SEEN' }],
    ['an or alternative that is null', { or: [{ seen: true }, null] }],
  ])('refuses %s', (_, query) => {
    expect(() => buildSearchCriteria(query as SearchQuery)).toThrow(InvalidArgumentError);
  });
});

describe('search text with a lone surrogate', () => {
  // Half of an emoji (a string cut by UTF-16 length) has no UTF-8 form: it went out as U+FFFD,
  // a search for text that is not there.
  it('is refused, in any text key and in header values', () => {
    const half = '😀'.slice(0, 1);
    for (const query of [{ subject: `hi ${half}` }, { body: '😀'.slice(1) }, { header: { 'X-A': half } }, { not: { text: `a${half}b` } }]) {
      expect(() => buildSearchCriteria(query), JSON.stringify(query)).toThrow(InvalidArgumentError);
    }
  });

  it('while whole pairs go through', () => {
    expect(encodeCommand('A1', 'SEARCH', buildSearchCriteria({ subject: '😀' }, { utf8Accept: true }), { utf8Accept: true })[0])
      .toEqual({ kind: 'line', parts: ['A1 SEARCH SUBJECT "😀"\r\n'] });
  });
});

describe('search dates made in another realm', () => {
  it('are Dates too', async () => {
    const { runInNewContext } = await import('node:vm');
    const since = runInNewContext('new Date(Date.UTC(2024, 1, 1))') as Date;
    expect(encodeCommand('A1', 'SEARCH', buildSearchCriteria({ since }))[0]).toEqual({ kind: 'line', parts: ['A1 SEARCH SINCE 1-Feb-2024\r\n'] });
  });
});
