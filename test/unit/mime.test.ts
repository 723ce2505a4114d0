import { describe, expect, it } from 'vitest';
import { decodeEncodedWords, getHeaderValue, parseAddressList, parseHeaderFields, unfoldHeaderValue } from '../../src/common/mime/index.js';

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
  ])('%j', (input, expected) => {
    expect(decodeEncodedWords(input)).toBe(expected);
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
    expect(parseAddressList('Jane <jane@example.com')).toEqual([{ name: 'Jane', address: 'jane@example.com', group: null }]);
  });
});
