// LIST/LSUB/CREATE/DELETE/RENAME/SUBSCRIBE/UNSUBSCRIBE and STATUS against a scripted fake server:
// the exact bytes each sends and what each makes of the answers.
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError, ProtocolError, ServerError, UnsupportedError } from '../../src/common/errors.js';
import {
  createMailbox,
  deleteMailbox,
  list,
  lsub,
  renameMailbox,
  subscribeMailbox,
  unsubscribeMailbox,
} from '../../src/imap/commands/mailboxes.js';
import { status } from '../../src/imap/commands/status.js';
import { greeting, scripted } from './imap-commands/fake-server.js';

describe('LIST', () => {
  test('pipelined LISTs behind ENABLE UTF8=ACCEPT match the UTF-8 names they were sent with (RFC 6855)', async () => {
    const { client, finish } = await scripted([
      greeting('ENABLE UTF8=ACCEPT'),
      'C: A1 ENABLE UTF8=ACCEPT',
      'S: * ENABLED UTF8=ACCEPT',
      'S: A1 OK enabled',
      'C: A2 LIST "" "Entwürfe/%"',
      'C: A3 LIST "" "Été"',
      'S: * LIST (\\HasNoChildren) "/" "Entwürfe/Brief"',
      'S: A2 OK done',
      'S: * LIST (\\HasNoChildren) "/" "Été"',
      'S: A3 OK done',
    ]);
    const enabling = client.enable(['UTF8=ACCEPT']);
    const listing = list(client, { pattern: ['Entwürfe/%', 'Été'] });
    await enabling;
    expect((await listing).map((entry) => [entry.name, entry.nameRaw])).toEqual([['Entwürfe/Brief', 'Entwürfe/Brief'], ['Été', 'Été']]);
    await finish();
  });

  test('pipelined LISTs ahead of ENABLE UTF8=ACCEPT match the modified UTF-7 names they were sent with', async () => {
    const { client, finish } = await scripted([
      greeting('ENABLE UTF8=ACCEPT'),
      'C: A1 LIST "" Entw&APw-rfe/%',
      'C: A2 LIST "" &AMk-t&AOk-',
      'S: * LIST (\\HasNoChildren) "/" Entw&APw-rfe/Brief',
      'S: A1 OK done',
      'S: * LIST (\\HasNoChildren) "/" &AMk-t&AOk-',
      'S: A2 OK done',
      'C: A3 ENABLE UTF8=ACCEPT',
      'S: * ENABLED UTF8=ACCEPT',
      'S: A3 OK enabled',
    ]);
    const listing = list(client, { pattern: ['Entwürfe/%', 'Été'] });
    const enabling = client.enable(['UTF8=ACCEPT']);
    expect((await listing).map((entry) => [entry.name, entry.nameRaw])).toEqual([['Entwürfe/Brief', 'Entw&APw-rfe/Brief'], ['Été', '&AMk-t&AOk-']]);
    await enabling;
    await finish();
  });

  test('plain LIST: typed entries, special use, decoded modified UTF-7 names', async () => {
    const { client, finish } = await scripted([
      greeting('SPECIAL-USE'),
      'C: A1 LIST "" *',
      'S: * LIST (\\HasNoChildren) "/" INBOX',
      'S: * LIST (\\HasNoChildren \\Sent) "/" Sent',
      'S: * LIST (\\Noselect \\HasChildren) "/" Projects',
      'S: * LIST (\\HasNoChildren) "/" "Projects/R&AOk-sum&AOk- &- Co"',
      'S: * LIST (\\HasNoChildren) "/" &BBoEOARABDgEOwQ7BDgERgQw-',
      'S: A1 OK List completed',
    ]);
    const entries = await list(client);
    expect(entries.map((entry) => entry.name)).toEqual(['INBOX', 'Sent', 'Projects', 'Projects/Résumé & Co', 'Кириллица']);
    expect(entries[1]).toMatchObject({ specialUse: '\\Sent', selectable: true, hasChildren: false, delimiter: '/', subscribed: undefined });
    expect(entries[2]).toMatchObject({ specialUse: null, selectable: false, hasChildren: true });
    expect(entries[3]!.nameRaw).toBe('Projects/R&AOk-sum&AOk- &- Co');
    await finish();
  });

  test('LIST-EXTENDED: selection, RETURN options and LIST-STATUS in one command', async () => {
    const { client, finish } = await scripted([
      greeting('LIST-EXTENDED SPECIAL-USE LIST-STATUS CONDSTORE'),
      'C: A1 LIST (SUBSCRIBED) "" (INBOX Archive/%) RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN HIGHESTMODSEQ))',
      'S: * LIST (\\Subscribed \\HasNoChildren) "/" INBOX',
      'S: * STATUS INBOX (MESSAGES 17 UNSEEN 16 HIGHESTMODSEQ 9)',
      'S: * LIST (\\Subscribed \\Archive \\HasNoChildren) "/" Archive/2026',
      'S: * STATUS Archive/2026 (MESSAGES 2 UNSEEN 0 HIGHESTMODSEQ 4)',
      'S: * LIST (\\Subscribed \\NonExistent) "/" Archive/Gone',
      'S: A1 OK List completed',
    ]);
    const entries = await list(client, { pattern: ['INBOX', 'Archive/%'], subscribedOnly: true, status: ['MESSAGES', 'UNSEEN', 'HIGHESTMODSEQ'] });
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ name: 'INBOX', subscribed: true, status: { messages: 17, unseen: 16, highestModseq: 9n } });
    expect(entries[1]).toMatchObject({ name: 'Archive/2026', specialUse: '\\Archive', status: { messages: 2, unseen: 0 } });
    expect(entries[2]).toMatchObject({ name: 'Archive/Gone', selectable: false, status: undefined });
    await finish();
  });

  test('LIST-EXTENDED: an entry without \\Subscribed is known not to be subscribed (RETURN (SUBSCRIBED) was asked)', async () => {
    const { client, finish } = await scripted([
      greeting('LIST-EXTENDED'),
      'C: A1 LIST "" * RETURN (SUBSCRIBED CHILDREN)',
      'S: * LIST (\\Subscribed \\HasNoChildren) "/" INBOX',
      'S: * LIST (\\HasNoChildren) "/" Drafts',
      'S: A1 OK List completed',
    ]);
    expect((await list(client)).map(({ name, subscribed }) => ({ name, subscribed }))).toEqual([
      { name: 'INBOX', subscribed: true },
      { name: 'Drafts', subscribed: false },
    ]);
    await finish();
  });

  test('without LIST-STATUS, STATUS items are fetched per selectable mailbox (unsupported items dropped)', async () => {
    const { client, finish } = await scripted([
      greeting('LITERAL+'),
      'C: A1 LIST "" %',
      'S: * LIST (\\HasNoChildren) "." INBOX',
      'S: * LIST (\\Noselect) "." Shared',
      'S: * LIST () "." Gone',
      'S: A1 OK done',
      'C: A2 STATUS INBOX (MESSAGES)',
      'C: A3 STATUS Gone (MESSAGES)',
      'S: * STATUS INBOX (MESSAGES 4)',
      'S: A2 OK done',
      'S: A3 NO [NONEXISTENT] Deleted meanwhile',
    ]);
    const entries = await list(client, { pattern: '%', status: ['MESSAGES', 'HIGHESTMODSEQ', 'SIZE'] });
    expect(entries.map((entry) => entry.status)).toEqual([{ messages: 4 }, undefined, undefined]);
    await finish();
  });

  test('specialUseOnly without LIST-EXTENDED filters locally; several patterns go in separate commands', async () => {
    const { client, finish } = await scripted([
      greeting('SPECIAL-USE'),
      'C: A1 LIST "" Sent',
      'C: A2 LIST "" Trash',
      'S: * LIST (\\Sent) "/" Sent',
      'S: A1 OK done',
      'S: * LIST (\\Trash) "/" Trash',
      'S: A2 OK done',
    ]);
    const entries = await list(client, { pattern: ['Sent', 'Trash'], specialUseOnly: true });
    expect(entries.map((entry) => entry.specialUse)).toEqual(['\\Sent', '\\Trash']);
    await finish();
  });

  test('pipelined LISTs take only the entries their patterns match', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "" Work/%',
      'C: A2 LIST "" Home/*',
      // A server may interleave nothing, but routing must still not hand Home/* data to A1.
      'S: * LIST () "/" Home/Kids',
      'S: * LIST () "/" Work/Q1',
      'S: A1 OK done',
      'S: A2 OK done',
    ]);
    const [work, home] = await Promise.all([list(client, { pattern: 'Work/%' }), list(client, { pattern: 'Home/*' })]);
    expect(work.map((entry) => entry.name)).toEqual(['Work/Q1']);
    expect(home.map((entry) => entry.name)).toEqual(['Home/Kids']);
    await finish();
  });

  test('pipelined LISTs: an empty pattern with a reference takes the root name and delimiter (RFC 3501 section 6.3.8)', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST #news.comp.mail.misc ""',
      'C: A2 LIST /usr/staff/jones ""',
      'C: A3 LIST Archive/2020 ""',
      'C: A4 LIST "" Work/%',
      'S: * LIST (\\Noselect) "." #news.',
      'S: * LIST (\\Noselect) "/" /',
      'S: * LIST (\\Noselect) "/" ""',
      'S: * LIST () "/" Work/Q1',
      'S: A1 OK done',
      'S: A2 OK done',
      'S: A3 OK done',
      'S: A4 OK done',
    ]);
    const names = async (options: Parameters<typeof list>[1]): Promise<string[]> => (await list(client, options)).map((entry) => entry.name);
    expect(
      await Promise.all([
        names({ reference: '#news.comp.mail.misc', pattern: '' }),
        names({ reference: '/usr/staff/jones', pattern: '' }),
        names({ reference: 'Archive/2020', pattern: '' }),
        names({ pattern: 'Work/%' }),
      ]),
    ).toEqual([['#news.'], ['/'], [''], ['Work/Q1']]);
    await finish();
  });

  test('pipelined LISTs: "inbox%" and "InBox*" match INBOX and its children, as INBOX is case-insensitive (RFC 9051 section 5.1)', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "" inbox%',
      'C: A2 LIST "" InBox*',
      'C: A3 LIST "" Inboxes*',
      'S: * LIST (\\HasChildren) "/" INBOX',
      'S: * LIST (\\HasChildren) "/" INBOX',
      'S: * LIST () "/" INBOX/Sub',
      'S: * LIST () "/" Inboxes/Old',
      'S: A1 OK done',
      'S: A2 OK done',
      'S: A3 OK done',
    ]);
    const names = async (pattern: string): Promise<string[]> => (await list(client, { pattern })).map((entry) => entry.name);
    // `Inboxes` is not INBOX: `InBox*` must not take it, case-sensitively a different name.
    expect(await Promise.all([names('inbox%'), names('InBox*'), names('Inboxes*')])).toEqual([['INBOX'], ['INBOX', 'INBOX/Sub'], ['Inboxes/Old']]);
    await finish();
  });

  test('pipelined LISTs match names as decoded: "Üß" is "&ANwA3w-", which the encoded pattern "&ANw-*" does not spell', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "" &ANw-*',
      'C: A2 LIST "" Work/%',
      'S: * LIST (\\HasNoChildren) "/" &ANwA3w-',
      'S: A1 OK done',
      'S: * LIST (\\HasNoChildren) "/" Work/Q1',
      'S: A2 OK done',
    ]);
    expect((await list(client, { pattern: ['Ü*', 'Work/%'] })).map((entry) => [entry.name, entry.nameRaw])).toEqual([
      ['Üß', '&ANwA3w-'],
      ['Work/Q1', 'Work/Q1'],
    ]);
    await finish();
  });

  test('an IMAP4rev2-only server gets UTF-8 patterns and names, and its answers are matched to them', async () => {
    const { client, finish } = await scripted([
      'S: * PREAUTH [CAPABILITY IMAP4rev2] fake server ready',
      'C: A1 LIST "" "Кип*" RETURN (SUBSCRIBED CHILDREN)',
      'C: A2 LIST "" "Ёж*" RETURN (SUBSCRIBED CHILDREN)',
      'S: * LIST () "/" "Ёжик"',
      'S: * LIST () "/" "Кипа"',
      'S: A1 OK done',
      'S: A2 OK done',
      'C: A3 CREATE "Ёж"',
      'S: A3 OK done',
    ]);
    const [kip, yozh] = await Promise.all([list(client, { pattern: 'Кип*' }), list(client, { pattern: 'Ёж*' })]);
    expect(kip.map((entry) => entry.name)).toEqual(['Кипа']);
    expect(yozh.map((entry) => entry.name)).toEqual(['Ёжик']);
    await createMailbox(client, 'Ёж');
    await finish();
  });

  test('IMAP4rev2 in use: LIST (SUBSCRIBED) and RETURN (STATUS), which RFC 9051 includes, instead of LSUB, which it dropped', async () => {
    const { client, finish } = await scripted([
      'S: * PREAUTH [CAPABILITY IMAP4rev2] fake server ready',
      'C: A1 LIST (SUBSCRIBED) "" * RETURN (SUBSCRIBED CHILDREN STATUS (MESSAGES))',
      'S: * LIST (\\Subscribed \\HasNoChildren) "/" INBOX',
      'S: * STATUS INBOX (MESSAGES 4)',
      'S: A1 OK done',
    ]);
    expect(await list(client, { subscribedOnly: true, status: ['MESSAGES'] })).toMatchObject([
      { name: 'INBOX', subscribed: true, hasChildren: false, status: { messages: 4 } },
    ]);
    await finish();
  });

  test('LSUB marks every entry subscribed', async () => {
    const { client, finish } = await scripted([greeting(''), 'C: A1 LSUB "" *', 'S: * LSUB () "/" Lists/IETF', 'S: A1 OK done']);
    expect(await lsub(client)).toMatchObject([{ name: 'Lists/IETF', subscribed: true }]);
    await finish();
  });

  test('an LSUB entry marked \\Noselect may be only the parent of subscribed names: not known to be subscribed', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LSUB "" %',
      'S: * LSUB (\\Noselect) "/" Lists',
      'S: * LSUB () "/" INBOX',
      'S: A1 OK done',
    ]);
    expect(await lsub(client, '%')).toMatchObject([
      { name: 'Lists', subscribed: undefined, selectable: false },
      { name: 'INBOX', subscribed: true, selectable: true },
    ]);
    await finish();
  });

  test('the reference is a mailbox name, not a pattern: wildcards in it are quoted', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "100%" %',
      'S: * LIST () "/" "100%/a"',
      'S: A1 OK done',
    ]);
    expect((await list(client, { reference: '100%', pattern: '%' })).map((entry) => entry.name)).toEqual(['100%/a']);
    await finish();
  });

  test('a pattern or reference NIL is quoted, so that no server reads it as NIL', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "NIL" "Nil"',
      'S: * LIST () "/" "NIL/Nil"',
      'S: A1 OK done',
      'C: A2 LSUB "" "nil"',
      'S: * LSUB () "/" "nil"',
      'S: A2 OK done',
    ]);
    expect((await list(client, { reference: 'NIL', pattern: 'Nil' })).map((entry) => entry.name)).toEqual(['NIL/Nil']);
    expect((await lsub(client, 'nil')).map((entry) => entry.name)).toEqual(['nil']);
    await finish();
  });

  test('a pattern with CR or LF is refused before anything is sent', async () => {
    const { client, server, finish } = await scripted([greeting('')]);
    await expect(list(client, { pattern: 'a\r\nA9 DELETE INBOX' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();
    expect(server.received()).toBe('');
  });
});

describe('CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE', () => {
  test('names with & and non-Latin letters go out in modified UTF-7', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 CREATE "Entw&APw-rfe &- Notizen"',
      'S: A1 OK Create completed',
      'C: A2 RENAME "Entw&APw-rfe &- Notizen" &BBoEOAQ,-',
      'S: A2 OK Rename completed',
      'C: A3 SUBSCRIBE &BBoEOAQ,-',
      'S: A3 OK done',
      'C: A4 UNSUBSCRIBE &BBoEOAQ,-',
      'S: A4 OK done',
      'C: A5 DELETE &BBoEOAQ,-',
      'S: A5 OK done',
    ]);
    await createMailbox(client, 'Entwürfe & Notizen');
    await renameMailbox(client, 'Entwürfe & Notizen', 'Кип');
    await subscribeMailbox(client, 'Кип');
    await unsubscribeMailbox(client, 'Кип');
    await deleteMailbox(client, 'Кип');
    await finish();
  });

  test('a name with an encoded delimiter is not confused with the real child of that name', async () => {
    // a&AC8-b encodes "/" in base64, which RFC 3501 forbids: read as "a/b" it took the place of
    // the real a/b, and deleting a/b deleted a&AC8-b.
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "" *',
      'S: * LIST () "/" a/b',
      'S: * LIST () "/" a&AC8-b',
      'S: A1 OK done',
      'C: A2 DELETE a/b',
      'S: A2 OK done',
      'C: A3 DELETE a&AC8-b',
      'S: A3 OK done',
    ]);
    const names = (await list(client)).map((entry) => entry.name);
    expect(names).toEqual(['a/b', 'a&AC8-b']);
    await deleteMailbox(client, 'a/b');
    await deleteMailbox(client, names[1]!);
    await finish();
  });

  test('a name listed in invalid or non-canonical modified UTF-7 goes back as listed', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "" *',
      'S: * LIST () "/" "Foo&Bar"',
      'S: * LIST () "/" &AGE-',
      'S: * LIST () "/" &U,BTFw-&ZeVnLIqe-',
      'S: A1 OK done',
      'C: A2 SUBSCRIBE Foo&Bar',
      'S: A2 OK done',
      'C: A3 DELETE &AGE-',
      'S: A3 OK done',
      'C: A4 RENAME &U,BTFw-&ZeVnLIqe- Bar&-Baz',
      'S: A4 OK done',
      // Listed canonically again: the name is encoded as usual from then on.
      'C: A5 LIST "" a',
      'S: * LIST () "/" a',
      'S: A5 OK done',
      'C: A6 DELETE a',
      'S: A6 OK done',
    ]);
    const names = (await list(client)).map((entry) => entry.name);
    // &AGE- encodes the printable "a", which must stand for itself: kept as sent, not read as "a".
    expect(names.slice(0, 2)).toEqual(['Foo&Bar', '&AGE-']);
    await subscribeMailbox(client, names[0]!);
    await deleteMailbox(client, names[1]!);
    // Any other name is encoded as ever.
    await renameMailbox(client, names[2]!, 'Bar&Baz');
    await list(client, { pattern: 'a' });
    await deleteMailbox(client, 'a');
    await finish();
  });

  test('CREATE with special use (CREATE-SPECIAL-USE)', async () => {
    const { client, finish } = await scripted([greeting('CREATE-SPECIAL-USE'), 'C: A1 CREATE Archive/2026 (USE (\\Archive))', 'S: A1 OK done']);
    await createMailbox(client, 'Archive/2026', { specialUse: ['\\Archive'] });
    await finish();
  });

  test('CREATE with special use without CREATE-SPECIAL-USE: UnsupportedError, nothing sent', async () => {
    const { client, server, finish } = await scripted([greeting('')]);
    await expect(createMailbox(client, 'Junk2', { specialUse: ['\\Junk'] })).rejects.toBeInstanceOf(UnsupportedError);
    await finish();
    expect(server.received()).toBe('');
  });

  test.each([
    ['CREATE', 'ALREADYEXISTS', (client: Parameters<typeof createMailbox>[0]) => createMailbox(client, 'Sent')],
    ['DELETE', 'NONEXISTENT', (client: Parameters<typeof createMailbox>[0]) => deleteMailbox(client, 'Sent')],
    ['RENAME', 'NONEXISTENT', (client: Parameters<typeof createMailbox>[0]) => renameMailbox(client, 'Sent', 'Old')],
  ])('%s refused with [%s] rejects with a ServerError carrying the code', async (command, code, call) => {
    const line = command === 'RENAME' ? 'C: A1 RENAME Sent Old' : `C: A1 ${command} Sent`;
    const { client, finish } = await scripted([greeting(''), line, `S: A1 NO [${code}] Refused`]);
    const error = await call(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ responseCode: code, status: 'NO', serverText: 'Refused' });
    await finish();
  });

  test.each(['bad\rname', 'bad\nname', 'bad\0name', ''])('mailbox name %j is refused before sending', async (name) => {
    const { client, server, finish } = await scripted([greeting('')]);
    for (const call of [
      () => createMailbox(client, name),
      () => deleteMailbox(client, name),
      () => renameMailbox(client, 'ok', name),
      () => subscribeMailbox(client, name),
      () => status(client, name),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await finish();
    expect(server.received()).toBe('');
  });
});

describe('STATUS', () => {
  test('asks for the items the server offers and returns the typed attributes', async () => {
    const { client, finish } = await scripted([
      greeting('CONDSTORE STATUS=SIZE'),
      'C: A1 STATUS Entw&APw-rfe (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)',
      'S: * STATUS "Entw&APw-rfe" (MESSAGES 3 RECENT 1 UIDNEXT 44 UIDVALIDITY 1234 UNSEEN 2 HIGHESTMODSEQ 90071992547409930 SIZE 9000)',
      'S: A1 OK Status completed',
    ]);
    const result = await status(client, 'Entwürfe', ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE']);
    expect(result).toEqual({ messages: 3, recent: 1, uidNext: 44, uidValidity: 1234, unseen: 2, highestModseq: 90071992547409930n, size: 9000 });
    await finish();
  });

  test('HIGHESTMODSEQ asked of a server offering QRESYNC alone (it implies CONDSTORE); RECENT left out once IMAP4rev2 is enabled', async () => {
    const { client, finish } = await scripted([
      greeting('IMAP4rev2 QRESYNC ENABLE'),
      'C: A1 ENABLE IMAP4rev2',
      'S: * ENABLED IMAP4rev2',
      'S: A1 OK done',
      'C: A2 STATUS INBOX (MESSAGES HIGHESTMODSEQ)',
      'S: * STATUS INBOX (MESSAGES 2 HIGHESTMODSEQ 7)',
      'S: A2 OK done',
    ]);
    await client.enable(['IMAP4rev2']);
    expect(await status(client, 'INBOX', ['MESSAGES', 'RECENT', 'HIGHESTMODSEQ'])).toEqual({ messages: 2, highestModseq: 7n });
    await finish();
  });

  test('HIGHESTMODSEQ 0 (mod-sequence-valzer, RFC 7162: no persistent mod-sequences) is reported as absent, in STATUS and LIST-STATUS', async () => {
    const { client, finish } = await scripted([
      greeting('CONDSTORE LIST-EXTENDED LIST-STATUS'),
      'C: A1 STATUS INBOX (MESSAGES HIGHESTMODSEQ)',
      'S: * STATUS INBOX (MESSAGES 2 HIGHESTMODSEQ 0)',
      'S: A1 OK done',
      'C: A2 LIST "" % RETURN (SUBSCRIBED CHILDREN STATUS (HIGHESTMODSEQ))',
      'S: * LIST () "/" INBOX',
      'S: * STATUS INBOX (HIGHESTMODSEQ 0)',
      'S: A2 OK done',
    ]);
    const result = await status(client, 'INBOX', ['MESSAGES', 'HIGHESTMODSEQ']);
    expect(result).toEqual({ messages: 2 });
    expect('highestModseq' in result).toBe(false);
    const [inbox] = await list(client, { pattern: '%', status: ['HIGHESTMODSEQ'] });
    expect(inbox?.status).toEqual({});
    await finish();
  });

  test.each(['APPENDLIMIT=1000', 'APPENDLIMIT'])('APPENDLIMIT is asked of a server advertising %s (RFC 7889: with or without a value)', async (capability) => {
    const { client, finish } = await scripted([
      greeting(capability),
      'C: A1 STATUS Sent (MESSAGES APPENDLIMIT)',
      'S: * STATUS Sent (MESSAGES 2 APPENDLIMIT 500)',
      'S: A1 OK done',
    ]);
    expect(await status(client, 'Sent', ['MESSAGES', 'APPENDLIMIT'])).toEqual({ messages: 2, appendLimit: 500 });
    await finish();
  });

  test('default items; HIGHESTMODSEQ left out without CONDSTORE; another mailbox\'s STATUS is not taken', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)',
      'S: * STATUS Other (MESSAGES 99)',
      'S: * STATUS INBOX (MESSAGES 5 UIDNEXT 6 UIDVALIDITY 7 UNSEEN 0)',
      'S: A1 OK done',
    ]);
    const events = client.events();
    const result = await status(client, 'inbox');
    expect(result).toEqual({ messages: 5, uidNext: 6, uidValidity: 7, unseen: 0 });
    const event = await events.next();
    expect(event.value).toMatchObject({ kind: 'other', response: { kind: 'mailbox-status', mailbox: 'Other' } });
    await finish();
  });

  test('only unsupported items: UnsupportedError; no items or an unknown one: InvalidArgumentError; nothing sent', async () => {
    const { client, server, finish } = await scripted([greeting('')]);
    await expect(status(client, 'INBOX', ['SIZE', 'HIGHESTMODSEQ'])).rejects.toBeInstanceOf(UnsupportedError);
    await expect(status(client, 'INBOX', [])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(status(client, 'INBOX', ['BOGUS' as never])).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();
    expect(server.received()).toBe('');
  });

  test('NO [NONEXISTENT] is a ServerError with the code', async () => {
    const { client, finish } = await scripted([greeting(''), 'C: A1 STATUS Nope (MESSAGES)', 'S: A1 NO [NONEXISTENT] Mailbox does not exist']);
    await expect(status(client, 'Nope', ['MESSAGES'])).rejects.toMatchObject({ code: 'SERVER_REJECTED', responseCode: 'NONEXISTENT' });
    await finish();
  });
});

describe('answers the parser cannot read', () => {
  // The first event after the call is the marker the NOOP brings: the unreadable answer did not
  // become one.
  const noopWithMarker = ['C: A2 NOOP', 'S: * STATUS Marker (MESSAGES 1)', 'S: A2 OK done'];

  async function expectFirstEventIsMarker(client: Awaited<ReturnType<typeof scripted>>['client'], events: ReturnType<typeof client.events>): Promise<void> {
    await client.noop();
    expect((await events.next()).value).toMatchObject({ kind: 'other', response: { kind: 'mailbox-status', mailbox: 'Marker' } });
  }

  test('an unreadable LIST or LSUB answer fails the call with a ProtocolError, not an event', async () => {
    for (const command of ['LIST', 'LSUB'] as const) {
      const { client, finish } = await scripted([
        greeting(''),
        `C: A1 ${command} "" *`,
        'S: * ' + command + ' (\\HasNoChildren) "/" INBOX',
        'S: * ' + command + ' (\\HasNoChildren "/" Archive',
        'S: A1 OK done',
        ...noopWithMarker,
      ]);
      const events = client.events();
      await expect(command === 'LIST' ? list(client) : lsub(client)).rejects.toBeInstanceOf(ProtocolError);
      await expectFirstEventIsMarker(client, events);
      await finish();
    }
  });

  test('an unreadable STATUS answer fails status() with a ProtocolError, not an event', async () => {
    const { client, finish } = await scripted([
      greeting(''),
      'C: A1 STATUS INBOX (MESSAGES)',
      'S: * STATUS INBOX (MESSAGES many)',
      'S: A1 OK done',
      ...noopWithMarker,
    ]);
    const events = client.events();
    await expect(status(client, 'INBOX', ['MESSAGES'])).rejects.toBeInstanceOf(ProtocolError);
    await expectFirstEventIsMarker(client, events);
    await finish();
  });

  test('an unreadable STATUS answer to LIST-STATUS fails the LIST', async () => {
    const { client, finish } = await scripted([
      greeting('LIST-EXTENDED LIST-STATUS'),
      'C: A1 LIST "" INBOX RETURN (SUBSCRIBED CHILDREN STATUS (MESSAGES))',
      'S: * LIST () "/" INBOX',
      'S: * STATUS INBOX (MESSAGES',
      'S: A1 OK done',
      ...noopWithMarker,
    ]);
    const events = client.events();
    await expect(list(client, { pattern: ['INBOX'], status: ['MESSAGES'] })).rejects.toBeInstanceOf(ProtocolError);
    await expectFirstEventIsMarker(client, events);
    await finish();
  });
});
