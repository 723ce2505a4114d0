import { describe, expect, it } from 'vitest';
import { LimitExceededError, ProtocolError } from '../../src/common/errors.js';
import type { ImapResponse } from '../../src/imap/wire/index.js';
import { feed, fixture, one } from './imap-wire/harness.js';

function kinds(responses: readonly ImapResponse[]): string[] {
  return responses.map((response) => response.kind);
}

describe('status responses and response codes', () => {
  it('keeps what followed a code name as sent', () => {
    expect(one('A1 NO [BADCHARSET (UTF-8 US-ASCII)] x\r\n')).toMatchObject({ codeData: '(UTF-8 US-ASCII)', text: 'x' });
    expect(one('* OK [REFERRAL imap://[::1]/INBOX] go\r\n')).toMatchObject({ codeData: 'imap://[::1]/INBOX' });
    expect(one('A1 NO [TRYCREATE] x\r\n')).not.toHaveProperty('codeData');
  });

  it.each([
    ['A1 OK [ALERT] x', { kind: 'ALERT' }],
    ['A1 NO [BADCHARSET (UTF-8 US-ASCII)] x', { kind: 'BADCHARSET', charsets: ['UTF-8', 'US-ASCII'] }],
    ['A1 NO [BADCHARSET] x', { kind: 'BADCHARSET', charsets: [] }],
    // charset = atom / quoted (RFC 9051 section 9): a quoted one is read without its quotes.
    ['A1 NO [BADCHARSET ("UTF-8" "x\\"y" US-ASCII)] x', { kind: 'BADCHARSET', charsets: ['UTF-8', 'x"y', 'US-ASCII'] }],
    ['A1 OK [CAPABILITY IMAP4rev1 idle AUTH=PLAIN] x', { kind: 'CAPABILITY', capabilities: ['IMAP4REV1', 'IDLE', 'AUTH=PLAIN'] }],
    ['A1 BAD [PARSE] x', { kind: 'PARSE' }],
    ['A1 OK [PERMANENTFLAGS (\\Seen \\*)] x', { kind: 'PERMANENTFLAGS', flags: ['\\Seen', '\\*'] }],
    ['A1 OK [PERMANENTFLAGS ()] x', { kind: 'PERMANENTFLAGS', flags: [] }],
    ['A1 OK [READ-ONLY] x', { kind: 'READ-ONLY' }],
    ['A1 OK [READ-WRITE] x', { kind: 'READ-WRITE' }],
    ['A1 NO [TRYCREATE] x', { kind: 'TRYCREATE' }],
    ['A1 OK [UIDNEXT 4392] x', { kind: 'UIDNEXT', value: 4392 }],
    ['A1 OK [UIDVALIDITY 3857529045] x', { kind: 'UIDVALIDITY', value: 3857529045 }],
    ['A1 OK [UNSEEN 12] x', { kind: 'UNSEEN', value: 12 }],
    ['A1 OK [APPENDUID 38505 3955] x', { kind: 'APPENDUID', uidValidity: 38505, uids: [{ start: 3955, end: 3955 }] }],
    ['A1 OK [APPENDUID 38505 3955:3957] x', { kind: 'APPENDUID', uidValidity: 38505, uids: [{ start: 3955, end: 3957 }] }],
    [
      'A1 OK [COPYUID 38505 304,319:320 3956:3958] x',
      {
        kind: 'COPYUID',
        uidValidity: 38505,
        sourceUids: [{ start: 304, end: 304 }, { start: 319, end: 320 }],
        destinationUids: [{ start: 3956, end: 3958 }],
      },
    ],
    ['A1 NO [UIDNOTSTICKY] x', { kind: 'UIDNOTSTICKY' }],
    ['A1 OK [HIGHESTMODSEQ 715194045007] x', { kind: 'HIGHESTMODSEQ', value: 715194045007n }],
    ['A1 OK [NOMODSEQ] x', { kind: 'NOMODSEQ' }],
    ['A1 OK [MODIFIED 7,9] x', { kind: 'MODIFIED', set: [{ start: 7, end: 7 }, { start: 9, end: 9 }] }],
    ['A1 OK [CLOSED] x', { kind: 'CLOSED' }],
    ['A1 OK [COMPRESSIONACTIVE] x', { kind: 'COMPRESSIONACTIVE' }],
    ['A1 NO [AUTHENTICATIONFAILED] x', { kind: 'AUTHENTICATIONFAILED' }],
    ['A1 NO [AUTHORIZATIONFAILED] x', { kind: 'AUTHORIZATIONFAILED' }],
    ['A1 NO [UNAVAILABLE] x', { kind: 'UNAVAILABLE' }],
    ['A1 NO [EXPIRED] x', { kind: 'EXPIRED' }],
    ['A1 NO [PRIVACYREQUIRED] x', { kind: 'PRIVACYREQUIRED' }],
    ['A1 NO [CONTACTADMIN] x', { kind: 'CONTACTADMIN' }],
    ['A1 NO [NOPERM] x', { kind: 'NOPERM' }],
    ['A1 NO [INUSE] x', { kind: 'INUSE' }],
    ['A1 NO [EXPUNGEISSUED] x', { kind: 'EXPUNGEISSUED' }],
    ['A1 NO [CORRUPTION] x', { kind: 'CORRUPTION' }],
    ['A1 NO [SERVERBUG] x', { kind: 'SERVERBUG' }],
    ['A1 NO [CLIENTBUG] x', { kind: 'CLIENTBUG' }],
    ['A1 NO [CANNOT] x', { kind: 'CANNOT' }],
    ['A1 NO [LIMIT] x', { kind: 'LIMIT' }],
    ['A1 NO [OVERQUOTA] x', { kind: 'OVERQUOTA' }],
    ['A1 NO [ALREADYEXISTS] x', { kind: 'ALREADYEXISTS' }],
    ['A1 NO [NONEXISTENT] x', { kind: 'NONEXISTENT' }],
    ['A1 NO [HASCHILDREN] x', { kind: 'HASCHILDREN' }],
    ['A1 NO [UNKNOWN-CTE] x', { kind: 'UNKNOWN-CTE' }],
    ['A1 NO [trycreate] x', { kind: 'TRYCREATE' }],
    ['A1 NO [THROTTLED] x', { kind: 'other', name: 'THROTTLED', text: '' }],
    ['A1 NO [WEBALERT https://x.y/z] x', { kind: 'other', name: 'WEBALERT', text: 'https://x.y/z' }],
    ['A1 OK [UIDNEXT abc] x', { kind: 'other', name: 'UIDNEXT', text: 'abc' }],
    // Numbers past 32 bits, and UIDs of 0 (nz-number), make the code unreadable, not wrong.
    ['A1 OK [UIDNEXT 4294967296] x', { kind: 'other', name: 'UIDNEXT', text: '4294967296' }],
    ['A1 OK [COPYUID 1 0:2 3:5] x', { kind: 'other', name: 'COPYUID', text: '1 0:2 3:5' }],
    ['A1 OK [APPENDUID 1 4294967296] x', { kind: 'other', name: 'APPENDUID', text: '1 4294967296' }],
    ['A1 OK [HIGHESTMODSEQ 9223372036854775808] x', { kind: 'other', name: 'HIGHESTMODSEQ', text: '9223372036854775808' }],
    ['A1 OK [HIGHESTMODSEQ 9223372036854775807] x', { kind: 'HIGHESTMODSEQ', value: 9223372036854775807n }],
    ['A1 OK [COPYUID 1 5:3 7:9] x', { kind: 'COPYUID', uidValidity: 1, sourceUids: [{ start: 5, end: 3 }], destinationUids: [{ start: 7, end: 9 }] }],
    ['A1 OK [MODIFIED 9:7] x', { kind: 'MODIFIED', set: [{ start: 7, end: 9 }] }],
    ['A1 NO [REFERRAL imap://[::1]/INBOX] x', { kind: 'other', name: 'REFERRAL', text: 'imap://[::1]/INBOX' }],
    ['A1 NO [XY a[b] x', { kind: 'other', name: 'XY', text: 'a[b' }],
  ])('%s', (line, code) => {
    const response = one(line);
    expect(response.kind).toBe('tagged');
    if (response.kind !== 'tagged') return;
    expect(response.code).toEqual(code);
    expect(response.text).toBe('x');
  });

  it('reads tagged statuses with and without text', () => {
    expect(one('A1 OK Logged in')).toEqual({ kind: 'tagged', tag: 'A1', status: 'OK', code: null, text: 'Logged in' });
    expect(one('a.b NO')).toEqual({ kind: 'tagged', tag: 'a.b', status: 'NO', code: null, text: '' });
    expect(one('A2 bad  oops')).toEqual({ kind: 'tagged', tag: 'A2', status: 'BAD', code: null, text: 'oops' });
    expect(one('A3 OK [ALERT')).toEqual({ kind: 'tagged', tag: 'A3', status: 'OK', code: null, text: '[ALERT' });
  });

  it('reads untagged statuses, greetings and BYE', () => {
    expect(one('* PREAUTH [CAPABILITY IMAP4rev2] hi')).toEqual({
      kind: 'status', status: 'PREAUTH', code: { kind: 'CAPABILITY', capabilities: ['IMAP4REV2'] }, codeData: 'IMAP4rev2', text: 'hi',
    });
    expect(one('* BYE [UNAVAILABLE] Server shutting down')).toEqual({
      kind: 'status', status: 'BYE', code: { kind: 'UNAVAILABLE' }, text: 'Server shutting down',
    });
    expect(one('* NO [ALERT] Disk almost full')).toMatchObject({ kind: 'status', status: 'NO', code: { kind: 'ALERT' } });
    expect(one('* BAD garbage')).toMatchObject({ kind: 'status', status: 'BAD', code: null, text: 'garbage' });
    expect(one('* OK Grüße, UTF-8 text')).toMatchObject({ text: 'Grüße, UTF-8 text' });
  });

  it('reads continuation requests, including the bare "+" of Exchange', () => {
    expect(one('+ Ready for literal data')).toEqual({ kind: 'continuation', text: 'Ready for literal data', code: null });
    expect(one('+ dGVzdA==')).toEqual({ kind: 'continuation', text: 'dGVzdA==', code: null });
    expect(one('+ [ALERT] careful')).toEqual({ kind: 'continuation', text: 'careful', code: { kind: 'ALERT' } });
    expect(one('+')).toEqual({ kind: 'continuation', text: '', code: null });
    expect(one('+ ')).toEqual({ kind: 'continuation', text: '', code: null });
  });
});

describe('mailbox data', () => {
  it('reads CAPABILITY and ENABLED', () => {
    expect(one('* CAPABILITY IMAP4rev1  IDLE auth=plain ')).toEqual({ kind: 'capability', capabilities: ['IMAP4REV1', 'IDLE', 'AUTH=PLAIN'] });
    expect(one('* ENABLED CONDSTORE UTF8=ACCEPT')).toEqual({ kind: 'enabled', capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] });
    expect(one('* ENABLED')).toEqual({ kind: 'enabled', capabilities: [] });
  });

  it('reads FLAGS, EXISTS, RECENT, EXPUNGE', () => {
    expect(one('* FLAGS (\\Answered \\Flagged $Forwarded Junk)')).toEqual({ kind: 'flags', flags: ['\\Answered', '\\Flagged', '$Forwarded', 'Junk'] });
    expect(one('* 23 EXISTS')).toEqual({ kind: 'exists', count: 23 });
    expect(one('* 0 exists')).toEqual({ kind: 'exists', count: 0 });
    expect(one('* 5 RECENT')).toEqual({ kind: 'recent', count: 5 });
    expect(one('* 44 EXPUNGE')).toEqual({ kind: 'expunge', seq: 44 });
    expect(one('* 4294967295 EXISTS')).toEqual({ kind: 'exists', count: 4294967295 });
  });

  it('refuses a LIST whose mailbox name is followed by more than an extended part, instead of cutting the name', () => {
    expect(one('* LIST () "/" foo ')).toMatchObject({ name: 'foo' });
    for (const input of ['* LIST () "/" foo  bar\r\n', '* LIST () "/" {3}\r\nfoo bar\r\n', '* LSUB () "/" foo ("CHILDINFO" ("SUBSCRIBED")) x\r\n']) {
      const { responses, errors } = feed(input);
      expect(responses).toEqual([]);
      expect(errors[0]!.error).toBeInstanceOf(ProtocolError);
    }
  });

  it('refuses a count past 32 bits (it would become the mailbox size)', () => {
    const { responses, errors } = feed('* 99999999999999999999 EXISTS\r\n* 4294967296 EXPUNGE\r\n');
    expect(responses).toEqual([]);
    expect(errors.map((each) => each.error)).toEqual([expect.any(ProtocolError), expect.any(ProtocolError)]);
  });

  // message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att)): no message has number 0, and an
  // EXPUNGE of 0 would shrink the mailbox and renumber nothing.
  it('refuses EXPUNGE and FETCH of message 0, and still reads 0 EXISTS and 0 RECENT', () => {
    const { responses, errors } = feed('* 0 EXPUNGE\r\n* 0 FETCH (UID 1)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n');
    expect(responses).toEqual([{ kind: 'exists', count: 0 }, { kind: 'recent', count: 0 }]);
    expect(errors.map((each) => each.error)).toEqual([expect.any(ProtocolError), expect.any(ProtocolError)]);
  });

  it('reads LIST with special-use, delimiters, extended data and decodes modified UTF-7', () => {
    expect(one('* LIST (\\HasNoChildren \\Sent) "/" "Gesendete &- Objekte"')).toEqual({
      kind: 'list', command: 'LIST', attributes: ['\\HasNoChildren', '\\Sent'], delimiter: '/', name: 'Gesendete & Objekte',
      nameRaw: 'Gesendete &- Objekte', childInfo: null, oldName: null,
    });
    expect(one('* LSUB () NIL inbox')).toMatchObject({ command: 'LSUB', delimiter: null, name: 'INBOX', nameRaw: 'inbox' });
    expect(one('* LIST () "." "a\\\\b\\"c"')).toMatchObject({ delimiter: '.', name: 'a\\b"c' });
    expect(one('* LIST (\\Subscribed) "/" Foo ("CHILDINFO" ("SUBSCRIBED") "X-EXT" (1 2))')).toMatchObject({ childInfo: ['SUBSCRIBED'] });
    expect(one('* LIST () "/" New ("OLDNAME" ("Entw&APw-rfe"))')).toMatchObject({ name: 'New', oldName: 'Entwürfe' });
    expect(one('* LIST () "/" "Entwürfe"', { utf8Accept: true })).toMatchObject({ name: 'Entwürfe' });
    expect(one('* LIST () "/" "&-A"', { utf8Accept: true })).toMatchObject({ name: '&-A' });
  });

  it('reads STATUS, SEARCH and ESEARCH', () => {
    expect(one('* STATUS "Entw&APw-rfe" (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 5 UNSEEN 1 RECENT 0 HIGHESTMODSEQ 9 SIZE 10 DELETED 0 APPENDLIMIT NIL X-FOO 3)')).toEqual({
      kind: 'mailbox-status', mailbox: 'Entwürfe',
      attributes: { messages: 3, uidNext: 4, uidValidity: 5, unseen: 1, recent: 0, highestModseq: 9n, size: 10, deleted: 0, appendLimit: null },
    });
    expect(one('* STATUS INBOX ()')).toEqual({ kind: 'mailbox-status', mailbox: 'INBOX', attributes: {} });
    expect(one('* SEARCH 2 3 5 (MODSEQ 917162500)')).toEqual({ kind: 'search', ids: [2, 3, 5], modseq: 917162500n });
    expect(one('* SEARCH')).toEqual({ kind: 'search', ids: [], modseq: null });
    expect(one('* ESEARCH (TAG "A282") UID MIN 2 COUNT 3 ALL 2,10:11 MODSEQ 7')).toEqual({
      kind: 'esearch', tag: 'A282', uid: true, min: 2, max: null, count: 3,
      all: [{ start: 2, end: 2 }, { start: 10, end: 11 }], modseq: 7n, partial: null,
    });
    expect(one('* ESEARCH')).toMatchObject({ kind: 'esearch', tag: null, uid: false, all: null });
  });

  it('drops a 0 from SEARCH and ESEARCH results (no message has number 0)', () => {
    expect(one('* SEARCH 0 2 0')).toEqual({ kind: 'search', ids: [2], modseq: null });
    expect(one('* ESEARCH UID MIN 0 MAX 0 COUNT 0 ALL 0')).toMatchObject({ min: null, max: null, count: 0, all: null });
    expect(one('* ESEARCH ALL 0:3,5,7:00,0:0')).toMatchObject({ all: [{ start: 1, end: 3 }, { start: 5, end: 5 }, { start: 1, end: 7 }] });
    expect(() => one('* ESEARCH ALL 0:1:2')).toThrow(/sequence-set/);
    expect(() => one('* ESEARCH ALL 0,')).toThrow(/sequence-set/);
  });

  it('reads VANISHED, NAMESPACE, ID, QUOTA, QUOTAROOT, METADATA', () => {
    expect(one('* VANISHED (EARLIER) 300:310,405')).toEqual({ kind: 'vanished', earlier: true, uids: [{ start: 300, end: 310 }, { start: 405, end: 405 }] });
    expect(one('* VANISHED 5')).toEqual({ kind: 'vanished', earlier: false, uids: [{ start: 5, end: 5 }] });
    expect(one('* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/" "X-PARAM" ("a" "b"))("#public/" "/"))')).toEqual({
      kind: 'namespace', personal: [{ prefix: '', delimiter: '/' }], otherUsers: [{ prefix: '~', delimiter: '/' }],
      shared: [{ prefix: '#shared/', delimiter: '/' }, { prefix: '#public/', delimiter: '/' }],
    });
    expect(one('* NAMESPACE (("INBOX." ".")) NIL NIL')).toMatchObject({ personal: [{ prefix: 'INBOX.', delimiter: '.' }], otherUsers: null, shared: null });
    expect(one('* ID NIL')).toEqual({ kind: 'id', fields: null });
    expect(one('* ID ("name" "Dovecot" "Version" NIL)')).toEqual({ kind: 'id', fields: { name: 'Dovecot', version: null } });
    expect(one('* QUOTA "" (STORAGE 10 512 MESSAGE 3 1000)')).toEqual({
      kind: 'quota', root: '', resources: [{ name: 'STORAGE', usage: 10, limit: 512 }, { name: 'MESSAGE', usage: 3, limit: 1000 }],
    });
    expect(one('* QUOTAROOT INBOX "" user')).toEqual({ kind: 'quotaroot', mailbox: 'INBOX', roots: ['', 'user'] });
    expect(one('* METADATA INBOX (/private/comment "My comment" /shared/x NIL)')).toEqual({
      kind: 'metadata', mailbox: 'INBOX', entries: [{ name: '/private/comment', value: 'My comment' }, { name: '/shared/x', value: null }],
    });
    expect(one('* METADATA "" /shared/admin /shared/comment')).toMatchObject({ entries: [{ name: '/shared/admin' }, { name: '/shared/comment' }] });
  });

  it('keeps unknown FETCH items of any shape, literals included', () => {
    const { responses, errors } = feed('* 1 FETCH (X-FOO ("a" {3}\r\nb c (d e)) X-BAR BODY[1] X-BAZ NIL X-EMPTY) \r\n');
    expect(errors).toEqual([]);
    expect(responses[0]).toEqual({
      kind: 'fetch', seq: 1,
      attributes: {
        unknown: [{ name: 'X-FOO', value: '("a" "b c" (d e))' }, { name: 'X-BAR', value: 'BODY[1]' }, { name: 'X-BAZ', value: 'NIL' }, { name: 'X-EMPTY', value: '' }],
      },
    });
  });

  // An item the client does not know may carry a section and an origin, as BODY[...] does: they
  // belong to its name, and the value after them is its value.
  it('keeps an unknown FETCH item with a section and an origin, and reads the items after it', () => {
    expect(one('* 1 FETCH (UID 1 X-PART[1.2]<0> "x" X-HDR[HEADER.FIELDS (A B)] {2}\r\nab FLAGS (\\Seen))\r\n')).toEqual({
      kind: 'fetch', seq: 1,
      attributes: { uid: 1, unknown: [{ name: 'X-PART[1.2]<0>', value: '"x"' }, { name: 'X-HDR[HEADER.FIELDS (A B)]', value: '"ab"' }], flags: ['\\Seen'] },
    });
  });

  it('keeps unknown responses', () => {
    expect(one('* XSTATE foo bar')).toEqual({ kind: 'unknown', name: 'XSTATE', text: 'foo bar' });
    expect(one('* 3 XTHING')).toEqual({ kind: 'unknown', name: 'XTHING', text: '3 XTHING' });
  });
});

describe('recorded transcripts', () => {
  it('Dovecot: greeting, SELECT, LIST with a literal name, EXPUNGE, BYE', () => {
    const { responses, errors } = feed(fixture('dovecot-select.txt'));
    expect(errors).toEqual([]);
    expect(kinds(responses)).toEqual([
      'status', 'tagged', 'flags', 'status', 'exists', 'recent', 'status', 'status', 'status', 'status', 'tagged',
      'list', 'list', 'list', 'list', 'list', 'tagged', 'expunge', 'exists', 'status', 'tagged',
    ]);
    expect(responses[3]).toMatchObject({ code: { kind: 'PERMANENTFLAGS', flags: expect.arrayContaining(['\\*', '$MDNSent']) } });
    expect(responses[9]).toMatchObject({ code: { kind: 'HIGHESTMODSEQ', value: 715194045007n } });
    expect(responses.slice(11, 16).map((r) => (r.kind === 'list' ? r.name : ''))).toEqual([
      'INBOX', 'Archiv & Alt', 'Entwürfe', 'Sent Items 1', 'Привет',
    ]);
    expect(responses[15]).toMatchObject({ childInfo: ['SUBSCRIBED'] });
    expect(responses[19]).toMatchObject({ kind: 'status', status: 'BYE' });
  });

  it('Gmail: X-GM items kept as unknown, XLIST read as LIST, lowercase FETCH items', () => {
    const { responses, errors } = feed(fixture('gmail-fetch.txt'));
    expect(errors).toEqual([]);
    expect(responses[0]).toEqual({ kind: 'id', fields: { name: 'GImap', vendor: 'Google, Inc.', 'support-url': null } });
    expect(responses[1]).toMatchObject({ kind: 'list', command: 'LIST', attributes: ['\\HasNoChildren', '\\Inbox'], name: 'INBOX' });
    expect(responses[2]).toMatchObject({
      kind: 'fetch', seq: 1,
      attributes: {
        uid: 4, flags: ['\\Seen'],
        unknown: [
          { name: 'X-GM-THRID', value: '1278455344230334865' },
          { name: 'X-GM-MSGID', value: '1278455344230334865' },
          { name: 'X-GM-LABELS', value: '("\\\\Inbox" "\\\\Sent" Important "Muy importante")' },
        ],
      },
    });
    expect(responses[3]).toMatchObject({
      kind: 'fetch', seq: 2,
      attributes: { uid: 5, flags: ['\\Seen', '$Label1'], size: 4286, internalDate: new Date('1996-07-17T09:44:25Z') },
    });
  });

  it('Exchange and Yahoo oddities are tolerated', () => {
    const { responses, errors } = feed(fixture('exchange-odd.txt'));
    expect(errors).toEqual([]);
    expect(kinds(responses)).toEqual(['continuation', 'continuation', 'fetch', 'search', 'search', 'fetch', 'fetch', 'fetch', 'fetch', 'tagged']);
    expect(responses[2]).toEqual({ kind: 'fetch', seq: 3, attributes: { flags: ['\\Seen'], uid: 5 } });
    expect(responses[3]).toEqual({ kind: 'search', ids: [2, 3, 5], modseq: null });
    expect(responses[5]).toMatchObject({ attributes: { uid: 9, flags: [], bodyStructure: { kind: 'text', params: {}, size: 120 } } });
    expect(responses[6]).toMatchObject({
      attributes: { bodyStructure: { kind: 'basic', type: 'application', subtype: 'pdf', size: 0, extension: { disposition: { type: 'attachment', params: {} } } } },
    });
    expect(responses[7]).toMatchObject({ attributes: { bodyStructure: { kind: 'message', envelope: null, body: null, lines: 20 } } });
    expect(responses[8]).toMatchObject({ attributes: { envelope: { from: [{ address: 'joe@x.org' }] } } });
  });
});

describe('errors', () => {
  it('reports a malformed response with offset and snippet, and keeps going', () => {
    const { responses, errors } = feed('* 1 FETCH (UID 5\r\nA1 OK done\r\n* 2 FETCH (FLAGS (\\Seen) UID x)\r\n* 3 EXISTS\r\n');
    expect(kinds(responses)).toEqual(['tagged', 'exists']);
    expect(errors).toHaveLength(2);
    const [first, second] = errors;
    expect(first!.error).toBeInstanceOf(ProtocolError);
    expect(first!.tag).toBeNull();
    expect(second!.error).toBeInstanceOf(ProtocolError);
    const error = second!.error as ProtocolError;
    expect(error.offset).toBe(18 + 12 + 29);
    expect(error.snippet).toContain('UID ‸x)');
  });

  it('counts a line ended by a bare LF as one byte in the offset, after a line and after a literal announcement', () => {
    const lines = ['* 1 FETCH (UID 5)\n', '* 2 FETCH (BODY[] {3}\nabc UID 7)\n', '* 3 FETCH (BODY[] {3}\r\nabc UID 8)\r\n', '* 4 FETCH (UID x)\r\n'];
    const { errors } = feed(lines.join(''));
    const error = errors[0]!.error as ProtocolError;
    const input = Buffer.from(lines.join(''));
    expect(error.offset).toBe(input.indexOf('UID x') + 4);
    expect(input[error.offset!]).toBe(0x78); // the "x"
    // Inside a response: after its literal, announced with a bare LF.
    const inside = feed('* 1 FETCH (UID 5)\n* 2 FETCH (BODY[] {3}\nabc UID y)\r\n');
    expect((inside.errors[0]!.error as ProtocolError).offset).toBe(Buffer.from('* 1 FETCH (UID 5)\n* 2 FETCH (BODY[] {3}\nabc UID ').length);
  });

  it('points at a literal\'s announcement when the literal itself is what was not expected, and past it once it was read', () => {
    const offsetOf = (input: string): number => (feed(input).errors[0]!.error as ProtocolError).offset!;
    expect(offsetOf('* 1 FETCH (UID {1}\r\n5)\r\n')).toBe('* 1 FETCH (UID '.length);
    expect(offsetOf('* 1 FETCH (FLAGS {3}\r\nabc)\r\n')).toBe('* 1 FETCH (FLAGS '.length);
    expect(offsetOf('* 1 FETCH (BODY[] {3}\r\nabc{1}\r\nx)\r\n')).toBe('* 1 FETCH (BODY[] {3}\r\nabc'.length);
    // Read, the literal is passed: the byte after it is the one pointed at.
    expect(offsetOf('* 1 FETCH (BODY[] {3}\r\nabc UID x)\r\n')).toBe('* 1 FETCH (BODY[] {3}\r\nabc UID '.length);
    expect(offsetOf('* LIST () "/" {3}\r\nfoo bar\r\n')).toBe('* LIST () "/" {3}\r\nfoo'.length);
  });

  it('refuses a number beyond 2^53 - 1 instead of rounding it', () => {
    expect(one('* 1 FETCH (RFC822.SIZE 9007199254740991)\r\n')).toMatchObject({ attributes: { size: 9007199254740991 } });
    for (const input of [
      '* 1 FETCH (RFC822.SIZE 9007199254740993)\r\n',
      '* 1 FETCH (UID 99999999999999999999999)\r\n',
      '* SEARCH 1 99999999999999999999\r\n',
    ]) {
      const { responses, errors } = feed(input);
      expect(responses).toEqual([]);
      expect(errors[0]!.error).toBeInstanceOf(ProtocolError);
    }
  });

  // RFC 9051 section 9: UIDs, sequence numbers and message counts are 32-bit (number, nz-number,
  // uniqueid); RFC822.SIZE is number64 (a message over 4 GiB), and so are mod-sequences (63 bits).
  it('refuses a UID, message number or count past 32 bits, and a mod-sequence past 63 bits', () => {
    expect(one('* 1 FETCH (UID 4294967295 RFC822.SIZE 5000000000 BINARY.SIZE[1] 5000000000 MODSEQ (9223372036854775807))\r\n')).toMatchObject({
      attributes: { uid: 4294967295, size: 5000000000, binarySize: { '1': 5000000000 }, modseq: 9223372036854775807n },
    });
    expect(one('* STATUS INBOX (UIDNEXT 4294967295 SIZE 5000000000 HIGHESTMODSEQ 9223372036854775807)\r\n')).toMatchObject({
      attributes: { uidNext: 4294967295, size: 5000000000, highestModseq: 9223372036854775807n },
    });
    for (const input of [
      '* 1 FETCH (UID 4294967296)\r\n',
      '* 1 FETCH (MODSEQ (9223372036854775808))\r\n',
      '* SEARCH 1 4294967296\r\n',
      '* SEARCH 1 (MODSEQ 9223372036854775808)\r\n',
      '* ESEARCH MIN 4294967296\r\n',
      '* ESEARCH MAX 4294967296\r\n',
      '* ESEARCH COUNT 4294967296\r\n',
    ]) {
      const { responses, errors } = feed(input);
      expect({ input, responses }).toEqual({ input, responses: [] });
      expect(errors[0]!.error).toBeInstanceOf(ProtocolError);
    }
  });

  it('leaves out a STATUS item past 32 bits and keeps the rest of the answer', () => {
    expect(one('* STATUS INBOX (MESSAGES 3 UIDVALIDITY 1666390893380 UIDNEXT 4294967296 UNSEEN 4294967296 RECENT 1)\r\n')).toEqual({
      kind: 'mailbox-status',
      mailbox: 'INBOX',
      attributes: { messages: 3, recent: 1 },
    });
  });

  it('leaves out a STATUS HIGHESTMODSEQ past 2^63 - 1, quoted or not, and keeps the rest of the answer', () => {
    for (const value of ['9223372036854775808', '"9223372036854775808"', '99999999999999999999999']) {
      expect(one(`* STATUS INBOX (MESSAGES 3 HIGHESTMODSEQ ${value} UNSEEN 1)\r\n`), value).toEqual({
        kind: 'mailbox-status',
        mailbox: 'INBOX',
        attributes: { messages: 3, unseen: 1 },
      });
    }
  });

  it('leaves out a STATUS SIZE past 2^53 (or any number item that large) and keeps the rest of the answer', () => {
    expect(one('* STATUS INBOX (MESSAGES 3 SIZE 9007199254740993 UNSEEN 1)\r\n')).toEqual({
      kind: 'mailbox-status',
      mailbox: 'INBOX',
      attributes: { messages: 3, unseen: 1 },
    });
    expect(one('* STATUS INBOX (MESSAGES 18446744073709551617 UIDVALIDITY 99999999999999999999 SIZE 9007199254740991)\r\n')).toEqual({
      kind: 'mailbox-status',
      mailbox: 'INBOX',
      attributes: { size: 9007199254740991 },
    });
  });

  it('refuses FETCH data that leaves a literal unread instead of dropping it', () => {
    for (const input of ['* 1 FETCH (UID 12{2}\r\nab34)\r\n', '* 1 FETCH (UID 5) {3}\r\nabc\r\n', '* 1 FETCH (FLAGS (\\Seen)) {0}\r\n\r\n']) {
      const { responses, errors } = feed(`${input}* 2 EXISTS\r\n`);
      expect(kinds(responses)).toEqual(['exists']);
      expect(errors[0]!.error).toBeInstanceOf(ProtocolError);
    }
  });

  it('reports the tag of a malformed tagged response', () => {
    const { errors } = feed('A7 MAYBE so\r\n');
    expect(errors[0]!.tag).toBe('A7');
  });

  it('refuses a buffered literal beyond maxBufferedLiteral and skips that response only', () => {
    const { responses, errors } = feed('* LIST () "/" {20}\r\n01234567890123456789\r\n* 1 EXISTS\r\n', { maxBufferedLiteral: 10 });
    expect(kinds(responses)).toEqual(['exists']);
    expect(errors[0]!.error).toBeInstanceOf(LimitExceededError);
    expect(errors[0]!.error).toMatchObject({ limit: 'maxBufferedLiteral', maximum: 10, actual: 20 });
  });

  it('limits BODYSTRUCTURE nesting', () => {
    const nested = '('.repeat(10) + '"text" "plain" NIL NIL NIL "7bit" 1 1' + ' "mixed")'.repeat(9) + ')';
    const { errors } = feed(`* 1 FETCH (BODYSTRUCTURE ${nested})\r\n`, { maxBodyDepth: 5 });
    expect(errors[0]!.error).toMatchObject({ limit: 'maxBodyDepth' });
  });
});
