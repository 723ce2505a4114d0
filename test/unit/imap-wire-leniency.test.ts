/**
 * Values real servers send where the grammar wants something else: each is read into the typed
 * result (or left out of it), and the rest of the response is kept. Bytes only.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import { list } from '../../src/imap/commands/mailboxes.js';
import { greeting, scripted } from './imap-commands/fake-server.js';
import { feed, one } from './imap-wire/harness.js';

describe('NIL where a number is expected', () => {
  it('leaves a STATUS attribute sent as NIL out, and keeps the others', () => {
    const response = one('* STATUS box (UIDNEXT NIL MESSAGES 3 UIDVALIDITY nil SIZE NIL HIGHESTMODSEQ NIL UNSEEN 2)');
    expect(response).toEqual({ kind: 'mailbox-status', mailbox: 'box', attributes: { messages: 3, unseen: 2 } });
  });

  it('leaves RFC822.SIZE and a BINARY.SIZE sent as NIL out of the FETCH attributes, not 0', () => {
    expect(one('* 1 FETCH (UID 5 RFC822.SIZE NIL FLAGS (\\Seen))')).toEqual({ kind: 'fetch', seq: 1, attributes: { uid: 5, flags: ['\\Seen'] } });
    expect(one('* 1 FETCH (UID 5 BINARY.SIZE[1] NIL BINARY.SIZE[2] 40)')).toEqual({
      kind: 'fetch', seq: 1, attributes: { uid: 5, binarySize: { '2': 40 } },
    });
    expect(one('* 1 FETCH (BINARY.SIZE[1] NIL)')).toEqual({ kind: 'fetch', seq: 1, attributes: {} });
  });

  it('reads INTERNALDATE NIL as null and FLAGS NIL as no flags', () => {
    expect(one('* 1 FETCH (UID 5 INTERNALDATE NIL FLAGS NIL)')).toEqual({
      kind: 'fetch', seq: 1, attributes: { uid: 5, internalDate: null, flags: [] },
    });
    expect(one('* FLAGS NIL')).toEqual({ kind: 'flags', flags: [] });
  });
});

describe('NAMESPACE with fewer than three namespaces', () => {
  it('reads the missing namespaces as NIL', () => {
    const personal = [{ prefix: '', delimiter: '/' }];
    expect(one('* NAMESPACE (("" "/"))')).toEqual({ kind: 'namespace', personal, otherUsers: null, shared: null });
    expect(one('* NAMESPACE (("" "/")) NIL ')).toEqual({ kind: 'namespace', personal, otherUsers: null, shared: null });
    expect(one('* NAMESPACE')).toEqual({ kind: 'namespace', personal: null, otherUsers: null, shared: null });
  });
});

describe('quoted capability names', () => {
  it('reads a quoted name in ENABLED and CAPABILITY as its value, without the quotes', () => {
    expect(one('* ENABLED "CONDSTORE" utf8=accept')).toEqual({ kind: 'enabled', capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] });
    expect(one('* CAPABILITY IMAP4rev1 "idle"')).toEqual({ kind: 'capability', capabilities: ['IMAP4REV1', 'IDLE'] });
  });
});

describe('0 where the grammar wants a nz-number UID or UIDVALIDITY', () => {
  // No message has UID 0 and no mailbox UIDVALIDITY 0 (RFC 9051 section 9, RFC 4315): the value
  // names nothing, so it is left out and the response (its message number, its OK or NO) is kept.
  it('leaves UID 0 out of the FETCH attributes and keeps the rest', () => {
    expect(one('* 1 FETCH (UID 0 FLAGS (\\Seen))')).toEqual({ kind: 'fetch', seq: 1, attributes: { flags: ['\\Seen'] } });
  });

  it('leaves STATUS UIDNEXT 0 and UIDVALIDITY 0 out', () => {
    expect(one('* STATUS box (UIDNEXT 0 UIDVALIDITY 0 MESSAGES 0)')).toEqual({ kind: 'mailbox-status', mailbox: 'box', attributes: { messages: 0 } });
  });

  it('keeps an OK or NO whose UIDVALIDITY, UIDNEXT, UNSEEN, APPENDUID or COPYUID code says 0, the code as other', () => {
    expect(one('* OK [UIDVALIDITY 0] UIDs valid')).toMatchObject({ kind: 'status', status: 'OK', code: { kind: 'other', name: 'UIDVALIDITY', text: '0' }, text: 'UIDs valid' });
    expect(one('* OK [UIDNEXT 0] next')).toMatchObject({ status: 'OK', code: { kind: 'other', name: 'UIDNEXT', text: '0' } });
    expect(one('* OK [UNSEEN 0] first')).toMatchObject({ status: 'OK', code: { kind: 'other', name: 'UNSEEN', text: '0' } });
    expect(one('A1 OK [APPENDUID 0 4] done')).toMatchObject({ kind: 'tagged', status: 'OK', code: { kind: 'other', name: 'APPENDUID', text: '0 4' }, text: 'done' });
    expect(one('A2 NO [COPYUID 0 1:2 5:6] odd')).toMatchObject({ kind: 'tagged', status: 'NO', code: { kind: 'other', name: 'COPYUID', text: '0 1:2 5:6' }, text: 'odd' });
    expect(one('A3 OK [COPYUID 7 1:2 5:6] done')).toMatchObject({ code: { kind: 'COPYUID', uidValidity: 7 } });
  });
});

describe('LIST and NAMESPACE hierarchy delimiters outside the grammar', () => {
  it('reads an empty delimiter as none (null), as NIL', () => {
    expect(one('* LIST () "" INBOXfoo')).toMatchObject({ kind: 'list', delimiter: null, name: 'INBOXfoo' });
    expect(one('* NAMESPACE (("" "")) NIL NIL')).toMatchObject({ personal: [{ prefix: '', delimiter: null }] });
  });

  it('reads a delimiter of several characters as its first character', () => {
    expect(one('* LIST () "//" a//b')).toMatchObject({ kind: 'list', delimiter: '/', name: 'a//b' });
    expect(one('* LIST () "\u{1F4C1}x" a')).toMatchObject({ delimiter: '\u{1F4C1}' });
    expect(one('* NAMESPACE (("" "..")) NIL NIL')).toMatchObject({ personal: [{ prefix: '', delimiter: '.' }] });
  });

  it('does not fold INBOXfoo like INBOX when the delimiter is empty: pipelined "inbox*" does not take it', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "" inbox*',
      'C: A2 LIST "" INBOXfoo*',
      'S: * LIST () "" INBOX',
      'S: * LIST () "" INBOXfoo',
      'S: A1 OK done',
      'S: A2 OK done',
    ]);
    const names = async (pattern: string): Promise<string[]> => (await list(client, { pattern })).map((entry) => entry.name);
    expect(await Promise.all([names('inbox*'), names('INBOXfoo*')])).toEqual([['INBOX'], ['INBOXfoo']]);
    await finish();
  });
});

describe('ESEARCH PARTIAL (RFC 9394)', () => {
  it('types the range and the page of results, counted from the oldest or the newest match', () => {
    expect(one('* ESEARCH (TAG "A1") UID PARTIAL (1:100 200:250,252) COUNT 300')).toMatchObject({
      kind: 'esearch', tag: 'A1', uid: true, count: 300, all: null,
      partial: { range: { start: 1, end: 100 }, fromEnd: false, set: [{ start: 200, end: 250 }, { start: 252, end: 252 }] },
    });
    expect(one('* ESEARCH (TAG "A2") UID PARTIAL (-100:-1 5,9)')).toMatchObject({
      partial: { range: { start: 1, end: 100 }, fromEnd: true, set: [{ start: 5, end: 5 }, { start: 9, end: 9 }] },
    });
  });

  it('reads a page with no messages (NIL) as a null set, and a range sent high to low ascending', () => {
    expect(one('* ESEARCH (TAG "A3") PARTIAL (500:400 NIL)')).toMatchObject({
      uid: false, partial: { range: { start: 400, end: 500 }, fromEnd: false, set: null },
    });
    expect(one('* ESEARCH (TAG "A4") COUNT 2')).toMatchObject({ count: 2, partial: null });
  });

  it('fails the response for a PARTIAL it cannot read, as for ALL', () => {
    expect(() => one('* ESEARCH (TAG "A5") PARTIAL (-1:5 NIL)')).toThrow(/partial-range/);
    expect(() => one('* ESEARCH (TAG "A6") PARTIAL (0:5 NIL)')).toThrow(/partial-range/);
  });
});

describe('BODYSTRUCTURE numbers sent as quoted strings', () => {
  // Seen in the wild, server not named: body-fld-octets and body-fld-lines written `"12"`.
  it('reads a quoted size and line count as the numbers they spell, and keeps the extension data after them', () => {
    const response = one('* 1 FETCH (UID 3 BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" "1234" "56" NIL ("inline" NIL) NIL NIL))');
    expect(response).toMatchObject({
      kind: 'fetch', attributes: { uid: 3, bodyStructure: { kind: 'text', size: 1234, lines: 56, extension: { disposition: { type: 'inline' } } } },
    });
    expect(one('* 1 FETCH (BODYSTRUCTURE ("APPLICATION" "PDF" NIL NIL NIL "BASE64" "2048"))')).toMatchObject({
      attributes: { bodyStructure: { kind: 'basic', size: 2048 } },
    });
  });

  it('still reads a quoted MD5 after a text part without a line count as the MD5', () => {
    expect(one('* 1 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 12 "Q2hlY2sgSW50ZWdyaXR5IQ=="))')).toMatchObject({
      attributes: { bodyStructure: { kind: 'text', size: 12, lines: 0, extension: { md5: 'Q2hlY2sgSW50ZWdyaXR5IQ==' } } },
    });
  });

  it('fails the response for a quoted size that is no number', () => {
    expect(() => one('* 1 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" "big" 3))')).toThrow(/body-fld-octets/);
  });
});

describe('FLAGS with a flag repeated', () => {
  // Seen in the wild, server not named: `FLAGS (\Seen \Seen)`.
  it('lists each flag once, in the order first sent, in FETCH and in the mailbox FLAGS', () => {
    expect(one('* 1 FETCH (FLAGS (\\Seen $Junk \\Seen $Junk \\Flagged) UID 4)')).toEqual({
      kind: 'fetch', seq: 1, attributes: { flags: ['\\Seen', '$Junk', '\\Flagged'], uid: 4 },
    });
    expect(one('* FLAGS (\\Answered \\Answered)')).toEqual({ kind: 'flags', flags: ['\\Answered'] });
  });
});

describe('flags sent as quoted strings', () => {
  // InterMail (MailKit issue 771): `* FLAGS ("\\Deleted" \Answered \Flagged \Deleted \Draft \Seen)`.
  it('reads a quoted flag as the flag it spells, in mailbox FLAGS and FETCH FLAGS, a repeat kept once', () => {
    expect(one('* FLAGS ("\\\\Deleted" \\Answered \\Flagged \\Deleted \\Draft \\Seen)')).toEqual({
      kind: 'flags', flags: ['\\Deleted', '\\Answered', '\\Flagged', '\\Draft', '\\Seen'],
    });
    expect(one('* 1 FETCH (FLAGS ("\\\\Seen" "$My Label" $Junk) UID 4)')).toEqual({
      kind: 'fetch', seq: 1, attributes: { flags: ['\\Seen', '$My Label', '$Junk'], uid: 4 },
    });
    expect(one('* LIST ("\\\\HasNoChildren") "/" INBOX')).toMatchObject({ attributes: ['\\HasNoChildren'], name: 'INBOX' });
  });

  it('refuses a quoted flag that is not closed', () => {
    expect(() => one('* FLAGS ("\\\\Deleted \\Seen)')).toThrow(ProtocolError);
  });
});

describe('FLAGS with NIL among the flags', () => {
  // Outside the grammar (flag is an atom starting with "\\" or a keyword): NIL names no flag.
  it('drops a bare NIL from a FETCH flag list and from the mailbox FLAGS, and keeps the other flags', () => {
    expect(one('* 1 FETCH (FLAGS (\\Seen NIL) UID 4)')).toEqual({ kind: 'fetch', seq: 1, attributes: { flags: ['\\Seen'], uid: 4 } });
    expect(one('* 1 FETCH (FLAGS (nil))')).toEqual({ kind: 'fetch', seq: 1, attributes: { flags: [] } });
    expect(one('* FLAGS (NIL \\Answered $NILS)')).toEqual({ kind: 'flags', flags: ['\\Answered', '$NILS'] });
  });

  it('keeps a flag PERMANENTFLAGS lists twice once, as FETCH and mailbox FLAGS do', () => {
    expect(one('* OK [PERMANENTFLAGS (\\Seen \\Seen \\Deleted \\*)] Limited')).toMatchObject({
      code: { kind: 'PERMANENTFLAGS', flags: ['\\Seen', '\\Deleted', '\\*'] },
    });
  });

  it('drops a bare NIL from PERMANENTFLAGS too', () => {
    expect(one('* OK [PERMANENTFLAGS (\\Seen NIL \\*)] Limited')).toMatchObject({ code: { kind: 'PERMANENTFLAGS', flags: ['\\Seen', '\\*'] } });
  });
});

describe('mod-sequences outside the grammar', () => {
  // A server not named in MailKit issues 495 and 1686 sends `MODSEQ (-1)`.
  it('leaves a negative MODSEQ out of the FETCH attributes and keeps the rest', () => {
    expect(one('* 3 FETCH (UID 9 MODSEQ (-1) FLAGS (\\Seen))')).toEqual({ kind: 'fetch', seq: 3, attributes: { uid: 9, flags: ['\\Seen'] } });
    expect(() => one('* 3 FETCH (MODSEQ (-x))')).toThrow(/mod-sequence-value/);
  });

  // Old Cyrus versions left a message's mod-sequence at 0 (cyrus-imapd issue 1029). RFC 7162 makes
  // permsg-modsequence a mod-sequence-value (1 or more); 0 (mod-sequence-valzer) only says "none" in
  // STATUS HIGHESTMODSEQ and UNCHANGEDSINCE.
  it('leaves a MODSEQ of 0 out of the FETCH attributes, as a negative one, and keeps the rest', () => {
    expect(one('* 3 FETCH (UID 9 MODSEQ (0) FLAGS (\\Seen))')).toEqual({ kind: 'fetch', seq: 3, attributes: { uid: 9, flags: ['\\Seen'] } });
    expect(one('* 3 FETCH (MODSEQ (000) UID 9)')).toEqual({ kind: 'fetch', seq: 3, attributes: { uid: 9 } });
    expect(one('* 3 FETCH (MODSEQ 0 UID 9)')).toEqual({ kind: 'fetch', seq: 3, attributes: { uid: 9 } });
    expect(one('* 3 FETCH (MODSEQ (1) UID 9)')).toEqual({ kind: 'fetch', seq: 3, attributes: { modseq: 1n, uid: 9 } });
  });

  // imap-codec issue 722: its encoder, which servers build on, wrote `MODSEQ 624140003`.
  it('reads a FETCH MODSEQ sent without parentheses, and refuses one that is no number', () => {
    expect(one('* 3 FETCH (UID 9 MODSEQ 624140003 FLAGS (\\Seen))')).toEqual({
      kind: 'fetch', seq: 3, attributes: { uid: 9, modseq: 624140003n, flags: ['\\Seen'] },
    });
    expect(one('* 3 FETCH (MODSEQ -1 UID 9)')).toEqual({ kind: 'fetch', seq: 3, attributes: { uid: 9 } });
    expect(() => one('* 3 FETCH (MODSEQ x)')).toThrow(/mod-sequence-value/);
    expect(() => one('* 3 FETCH (MODSEQ (5)')).toThrow(ProtocolError);
  });

  // A server not named in MailKit issue 323 puts ESEARCH's MODSEQ in parentheses, as SEARCH has it.
  it('reads an ESEARCH MODSEQ sent in parentheses', () => {
    expect(one('* ESEARCH (TAG "A12") UID ALL 33866,33897 (MODSEQ 284535)')).toMatchObject({
      tag: 'A12', uid: true, all: [{ start: 33866, end: 33866 }, { start: 33897, end: 33897 }], modseq: 284535n,
    });
  });
});

describe('a negative BODYSTRUCTURE line count', () => {
  // modern-email/defects issue 27 (go-imap issue 534): `-1` for body-fld-lines, from Dovecot or Exchange.
  it('reads body-fld-lines -1 as 0, for a text part and a message part, and keeps the extension data', () => {
    expect(one('* 1 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 12 -1 NIL ("inline" NIL) NIL NIL))')).toMatchObject({
      attributes: { bodyStructure: { kind: 'text', size: 12, lines: 0, extension: { md5: null, disposition: { type: 'inline' } } } },
    });
    const envelope = '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)';
    expect(one(`* 1 FETCH (BODYSTRUCTURE ("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 12 ${envelope} ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1) -1))`)).toMatchObject({
      attributes: { bodyStructure: { kind: 'message', size: 12, lines: 0, body: { kind: 'text', lines: 1 } } },
    });
  });
});

describe('a FETCH item wrapped in parentheses', () => {
  // Domino (MailKit issue 943): `(ENVELOPE (...))` among the items.
  it('reads the items inside the parentheses as items of the message', () => {
    expect(one('* 2 FETCH (UID 14935 (ENVELOPE (NIL "hi" NIL NIL NIL NIL NIL NIL NIL NIL)) BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0 NIL))')).toMatchObject({
      kind: 'fetch', seq: 2, attributes: { uid: 14935, envelope: { subject: 'hi' }, bodyStructure: { kind: 'text', size: 0 } },
    });
    expect(() => one('* 2 FETCH (UID 1 (FLAGS (\\Seen))')).toThrow(/Unterminated FETCH data/);
    expect(() => one('* 2 FETCH (UID 1 ((FLAGS (\\Seen))))')).toThrow(/Expected a FETCH item name/);
  });
});

describe('ENVELOPE values sent as literals', () => {
  it('reads an envelope date sent as a literal, as a quoted one', () => {
    expect(one('* 1 FETCH (UID 2 ENVELOPE ({30}\r\nMon, 1 Jan 2024 10:00:00 +0000 "hi" NIL NIL NIL NIL NIL NIL NIL NIL))')).toMatchObject({
      attributes: { uid: 2, envelope: { dateRaw: 'Mon, 1 Jan 2024 10:00:00 +0000', date: new Date('2024-01-01T10:00:00Z'), subject: 'hi' } },
    });
  });
});

describe('LIST names sent unquoted with spaces or backslashes', () => {
  // Lotus Notes/Domino (Indy issue 329): `* LIST (\HasNoChildren) "\\" Folder\Subfolder 1`.
  it('reads the rest of the line as the name when it is only words separated by single spaces', () => {
    expect(one('* LIST (\\HasNoChildren) "\\\\" Folder\\Subfolder 1')).toMatchObject({
      kind: 'list', command: 'LIST', attributes: ['\\HasNoChildren'], delimiter: '\\', name: 'Folder\\Subfolder 1', nameRaw: 'Folder\\Subfolder 1',
    });
    expect(one('* LSUB () "\\\\" Folder\\Subfolder')).toMatchObject({ command: 'LSUB', name: 'Folder\\Subfolder' });
    expect(one('* LIST () "/" Posta in uscita')).toMatchObject({ name: 'Posta in uscita' });
    expect(one('* LIST () "/" Entw&APw-rfe alt')).toMatchObject({ name: 'Entwürfe alt', nameRaw: 'Entw&APw-rfe alt' });
  });

  it('still refuses a rest of the line that could be read more than one way', () => {
    const ambiguous = [
      '* LIST () "/" foo  bar', // two spaces: one may belong to the name
      '* LIST () "/" foo bar ', // a trailing space
      '* LIST () "/" foo bar (CHILDINFO (SUBSCRIBED))', // extended data after the words
      '* LIST () "/" foo ("CHILDINFO" ("SUBSCRIBED")) x',
      '* LIST () "/" "foo" bar', // a quoted name ends where its quote does
      '* LIST () "/" {3}\r\nfoo bar',
      '* LIST () "/" foo "bar"',
    ];
    for (const input of ambiguous) expect(() => one(input), input).toThrow(ProtocolError);
  });
});

describe('LIST names with a TAB', () => {
  // Exchange (MailKit issue 945): `* LIST (\HasNoChildren) "/" INBOX/Da<TAB>Oggetto<TAB>...<TAB>`, unquoted.
  it('reads an unquoted name with TABs to the end of the line, trailing TAB kept', () => {
    expect(one('* LIST (\\HasNoChildren) "/" INBOX/Da\tOggetto\tRicevuto\tDimensione\tCategorie\t')).toMatchObject({
      kind: 'list', delimiter: '/', name: 'INBOX/Da\tOggetto\tRicevuto\tDimensione\tCategorie\t', nameRaw: 'INBOX/Da\tOggetto\tRicevuto\tDimensione\tCategorie\t',
    });
    expect(one('* LSUB () "/" a\tb c')).toMatchObject({ command: 'LSUB', name: 'a\tb c' });
    expect(one('* LIST () "/" Entw&APw-rfe\t')).toMatchObject({ name: 'Entw\u00fcrfe\t', nameRaw: 'Entw&APw-rfe\t' });
    // A STATUS name is read by the same rule, up to its attribute list.
    expect(one('* STATUS INBOX/Da\tOggetto\t (MESSAGES 2)')).toEqual({ kind: 'mailbox-status', mailbox: 'INBOX/Da\tOggetto\t', attributes: { messages: 2 } });
  });

  it('reads a quoted name with a TAB as it is', () => {
    expect(one('* LIST (\\HasNoChildren) "/" "INBOX/Da\tOggetto\t"')).toMatchObject({ name: 'INBOX/Da\tOggetto\t', nameRaw: 'INBOX/Da\tOggetto\t' });
  });

  it('still refuses a TAB name whose end is in doubt', () => {
    for (const input of ['* LIST () "/" a\tb  c', '* LIST () "/" a\tb (CHILDINFO (SUBSCRIBED))', '* LIST () "/" a\t"b"', '* LIST () "/" a\t{1}\r\nb']) {
      expect(() => one(input), input).toThrow(ProtocolError);
    }
  });
});

describe('RFC 8474 object ids sent without parentheses', () => {
  it('reads EMAILID and THREADID sent as a bare objectid, as in parentheses', () => {
    expect(one('* 1 FETCH (EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9 UID 2)')).toEqual({
      kind: 'fetch', seq: 1, attributes: { emailId: 'M6d99ac3275bb4e', threadId: 'T64b478a75b7ea9', uid: 2 },
    });
    expect(one('* 1 FETCH (THREADID T1)')).toEqual({ kind: 'fetch', seq: 1, attributes: { threadId: 'T1' } });
    expect(() => one('* 1 FETCH (EMAILID )')).toThrow(ProtocolError);
  });
});

describe('QUOTA with NIL for a usage or limit', () => {
  it('leaves out a resource whose usage or limit is NIL, not 0, and keeps the other resources', () => {
    expect(one('* QUOTA "" (STORAGE NIL 100 MESSAGE 26 10000)')).toEqual({
      kind: 'quota', root: '', resources: [{ name: 'MESSAGE', usage: 26, limit: 10000 }],
    });
    expect(one('* QUOTA "" (STORAGE 10 nil)')).toEqual({ kind: 'quota', root: '', resources: [] });
    expect(() => one('* QUOTA "" (STORAGE NILS 100)')).toThrow(/resource-usage/);
  });
});

describe('response codes whose name runs into its data', () => {
  // Outlook 365 (ruby/net-imap issue 597): `Key="value" Key=value ...` inside the brackets.
  it('reads the name up to the first character an atom may not hold, the rest kept as its text', () => {
    const data = '"Microsoft.Exchange.Data.Storage.WrongServerException:Cross Server access is not allowed for mailbox 0f0f" AuthResultFromPopImapEnd=0 Service=Imap4';
    expect(one(`A1 OK [Error=${data}] AUTHENTICATE completed.`)).toMatchObject({
      kind: 'tagged', status: 'OK', code: { kind: 'other', name: 'ERROR', text: data }, codeData: data, text: 'AUTHENTICATE completed.',
    });
    expect(one('* NO [XFOO(1 2)] x')).toMatchObject({ code: { kind: 'other', name: 'XFOO', text: '(1 2)' }, codeData: '(1 2)', text: 'x' });
    // A name that is an atom keeps its '=' (AUTH=PLAIN-like names are atoms), and its data.
    expect(one('* OK [X-KEY=1 more] x')).toMatchObject({ code: { kind: 'other', name: 'X-KEY=1', text: 'more' }, codeData: 'more' });
  });
});

describe('numbers sent as quoted strings outside BODYSTRUCTURE', () => {
  // Reported by client libraries: `MESSAGES "12"` in STATUS, `RFC822.SIZE "2664"` in FETCH.
  it('reads a STATUS value or RFC822.SIZE sent as a quoted string of digits as the number it spells', () => {
    expect(one('* STATUS INBOX (MESSAGES "12" UIDNEXT "4392" UNSEEN 3)')).toEqual({
      kind: 'mailbox-status', mailbox: 'INBOX', attributes: { messages: 12, uidNext: 4392, unseen: 3 },
    });
    expect(one('* 1 FETCH (UID 7 RFC822.SIZE "2664" FLAGS ())')).toEqual({ kind: 'fetch', seq: 1, attributes: { uid: 7, size: 2664, flags: [] } });
    // Still 32 bits where the grammar says so: a quoted UIDVALIDITY too large is left out, as unquoted.
    expect(one('* STATUS INBOX (UIDVALIDITY "1666390893380" MESSAGES "0")')).toEqual({
      kind: 'mailbox-status', mailbox: 'INBOX', attributes: { messages: 0 },
    });
  });

  it('reads a STATUS HIGHESTMODSEQ sent as a quoted string of digits, as the other STATUS values', () => {
    expect(one('* STATUS INBOX (HIGHESTMODSEQ "5" MESSAGES 2)')).toEqual({
      kind: 'mailbox-status', mailbox: 'INBOX', attributes: { highestModseq: 5n, messages: 2 },
    });
    expect(one('* STATUS INBOX (HIGHESTMODSEQ "9223372036854775807")')).toMatchObject({ attributes: { highestModseq: 9223372036854775807n } });
    // 0 is no mod-sequence, quoted or not.
    expect(one('* STATUS INBOX (HIGHESTMODSEQ "0" UNSEEN 1)')).toMatchObject({ attributes: { unseen: 1 } });
    for (const value of ['""', '"5a"', '"-5"']) {
      const { errors } = feed(`* STATUS INBOX (HIGHESTMODSEQ ${value})\r\n`);
      expect(errors.map((each) => each.error), value).toEqual([expect.any(ProtocolError)]);
    }
  });

  it('reads a STATUS APPENDLIMIT in quotes, leaves out one past 2^53, and keeps NIL as no limit', () => {
    expect(one('* STATUS INBOX (APPENDLIMIT "5000" MESSAGES 2)')).toEqual({
      kind: 'mailbox-status', mailbox: 'INBOX', attributes: { appendLimit: 5000, messages: 2 },
    });
    expect(one('* STATUS INBOX (APPENDLIMIT 99999999999999999999 MESSAGES 2)')).toEqual({
      kind: 'mailbox-status', mailbox: 'INBOX', attributes: { messages: 2 },
    });
    expect(one('* STATUS INBOX (APPENDLIMIT NIL)')).toMatchObject({ attributes: { appendLimit: null } });
  });

  it('still fails the response for a quoted value that is not all digits, with a ProtocolError, and reads the response after it', () => {
    for (const value of ['""', '"12a"', '" 12"', '"-1"', '"1.5"', '"x"']) {
      const { responses, errors } = feed(`* STATUS box (MESSAGES ${value})\r\n* 1 FETCH (RFC822.SIZE ${value})\r\n* 3 EXISTS\r\n`);
      expect(errors.map((each) => each.error), value).toEqual([expect.any(ProtocolError), expect.any(ProtocolError)]);
      expect(errors.map((each) => each.error.message)).toEqual([expect.stringMatching(/MESSAGES/), expect.stringMatching(/RFC822\.SIZE/)]);
      expect(responses).toEqual([{ kind: 'exists', count: 3 }]);
    }
    const { errors } = feed('* 1 FETCH (RFC822.SIZE "99999999999999999999")\r\n');
    expect(errors.map((each) => each.error)).toEqual([expect.any(ProtocolError)]);
  });

  it('reads UIDVALIDITY, UIDNEXT, UNSEEN and HIGHESTMODSEQ response codes sent as a quoted string of digits', () => {
    expect(one('* OK [UIDVALIDITY "3857529045"] UIDs valid')).toMatchObject({ code: { kind: 'UIDVALIDITY', value: 3857529045 }, text: 'UIDs valid' });
    expect(one('* OK [UIDNEXT "5"] x')).toMatchObject({ code: { kind: 'UIDNEXT', value: 5 } });
    expect(one('* OK [UNSEEN "12"] x')).toMatchObject({ code: { kind: 'UNSEEN', value: 12 } });
    expect(one('* OK [HIGHESTMODSEQ "7"] x')).toMatchObject({ code: { kind: 'HIGHESTMODSEQ', value: 7n } });
    expect(one('* OK [HIGHESTMODSEQ "9223372036854775807"] x')).toMatchObject({ code: { kind: 'HIGHESTMODSEQ', value: 9223372036854775807n } });
    // The same ranges as unquoted, and only all digits: anything else stays an unknown code, its text as sent.
    for (const [name, value] of [['UIDVALIDITY', '"0"'], ['UIDNEXT', '"4294967296"'], ['UNSEEN', '""'], ['UNSEEN', '"1 2"'], ['UIDNEXT', '"-5"'], ['UIDVALIDITY', '"5'], ['HIGHESTMODSEQ', '"9223372036854775808"'], ['HIGHESTMODSEQ', '"7a"']]) {
      expect(one(`* OK [${name} ${value}] x`), `${name} ${value}`).toMatchObject({ code: { kind: 'other', name, text: value }, text: 'x' });
    }
  });

  it('leaves out a STATUS value in quotes past its range, as unquoted, and keeps the rest of the answer', () => {
    expect(one('* STATUS box (MESSAGES "99999999999999999999" SIZE "9007199254740993" UNSEEN "2")')).toEqual({
      kind: 'mailbox-status', mailbox: 'box', attributes: { unseen: 2 },
    });
  });
});

describe('a backslash in a quoted string that escapes nothing', () => {
  // hMailServer before 5.6.2 (hMailServer issue 85) did not escape a backslash, its hierarchy
  // delimiter, in STATUS: `* STATUS "INBOX\Sub" (MESSAGES 3)`.
  it('keeps a backslash not followed by a quote or a backslash, and still unescapes those two', () => {
    expect(one('* STATUS "INBOX\\Sub" (MESSAGES 3)')).toEqual({ kind: 'mailbox-status', mailbox: 'INBOX\\Sub', attributes: { messages: 3 } });
    expect(one('* STATUS "a\\\\b\\"c\\d" (MESSAGES 3)')).toMatchObject({ mailbox: 'a\\b"c\\d' });
    expect(one('* 1 FETCH (ENVELOPE (NIL "C:\\temp\\x" NIL NIL NIL NIL NIL NIL NIL NIL))')).toMatchObject({
      attributes: { envelope: { subject: 'C:\\temp\\x' } },
    });
  });
});

describe('STATUS names sent unquoted with spaces', () => {
  // Gromox issue 5: `* STATUS Deleted Items (MESSAGES 0 UNSEEN 0 RECENT 0)`.
  it('reads the words up to the attribute list as the name', () => {
    expect(one('* STATUS Deleted Items (MESSAGES 0 UNSEEN 0 RECENT 0)')).toEqual({
      kind: 'mailbox-status', mailbox: 'Deleted Items', attributes: { messages: 0, unseen: 0, recent: 0 },
    });
    expect(one('* STATUS Posta in uscita (UIDNEXT 7)')).toEqual({ kind: 'mailbox-status', mailbox: 'Posta in uscita', attributes: { uidNext: 7 } });
  });

  it('still refuses a name that could be read more than one way, or no attribute list', () => {
    for (const input of ['* STATUS a  b (MESSAGES 0)', '* STATUS "a" b (MESSAGES 0)', '* STATUS a b', '* STATUS a b c)', '* STATUS a "b" (MESSAGES 0)']) {
      expect(() => one(input), input).toThrow(ProtocolError);
    }
  });
});
