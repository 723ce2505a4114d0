import { describe, expect, it } from 'vitest';
import type { MailboxEvent } from '../../src/imap/session.js';
import { C, S, login, selectInbox, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/** The left mailbox's pending data, sent by the server before it answers the SELECT of another. */
const LEFT_MAILBOX_DATA = ['* 9 EXISTS', '* 2 RECENT', '* FLAGS (\\Seen $Left)', '* OK [HIGHESTMODSEQ 99] Left mailbox'];

/** A SELECT of Archive answered with `[CLOSED]` first, after the left mailbox's pending data. */
function selectArchiveAfterClosed(tag: string): ReturnType<typeof S> {
  return S(
    ...LEFT_MAILBOX_DATA,
    '* OK [CLOSED] Previous mailbox closed.',
    '* FLAGS (\\Answered \\Seen)',
    '* 7 EXISTS',
    '* OK [UIDVALIDITY 1700000001] UIDs valid',
    '* OK [HIGHESTMODSEQ 5] Highest',
    `${tag} OK [READ-WRITE] Select completed`,
  );
}

/** The events read up to the `* 1 EXPUNGE` that ends the script, left out. */
async function readToExpunge(events: AsyncIterator<MailboxEvent>): Promise<MailboxEvent[]> {
  const found: MailboxEvent[] = [];
  for (;;) {
    const event = (await events.next()).value as MailboxEvent;
    if (event.kind === 'expunge') return found;
    found.push(event);
  }
}

/** A NOOP whose EXPUNGE marks the end of the events. */
function noopEnd(tag: string): ReturnType<typeof S>[] {
  return [C(`${tag} NOOP`), S('* 1 EXPUNGE', `${tag} OK`)];
}

const LEFT_EVENTS = [
  { kind: 'exists', count: 9, mailbox: 'INBOX' },
  { kind: 'recent', count: 2, mailbox: 'INBOX' },
  { kind: 'flags', flags: ['\\Seen', '$Left'], mailbox: 'INBOX' },
  { kind: 'status', status: 'OK', code: { kind: 'HIGHESTMODSEQ', value: 99n }, text: 'Left mailbox', mailbox: 'INBOX' },
];

const ARCHIVE_STATE = { name: 'Archive', exists: 7, recent: undefined, flags: ['\\Answered', '\\Seen'], uidValidity: 1700000001, highestModseq: 5n };

/** A session with QRESYNC enabled and INBOX selected, up to the SELECT of Archive (A4). */
const INBOX_THEN_SELECT_ARCHIVE_QRESYNC = [
  ...login('IMAP4rev1 LITERAL+ IDLE UNSELECT ENABLE CONDSTORE QRESYNC'),
  C('A2 ENABLE QRESYNC'),
  S('* ENABLED QRESYNC', 'A2 OK'),
  ...selectInbox('A3'),
  C('A4 SELECT Archive'),
];

describe('SELECT: the data sent before [CLOSED] is the left mailbox\'s', () => {
  it('with QRESYNC enabled', async () => {
    const server = await serve([
      ...INBOX_THEN_SELECT_ARCHIVE_QRESYNC,
      selectArchiveAfterClosed('A4'),
      ...noopEnd('A5'),
    ]);
    const client = await connect(server);
    await client.enable(['QRESYNC']);
    await client.select('INBOX');
    const events = client.events();
    const archive = await client.select('Archive');
    expect(archive).toMatchObject(ARCHIVE_STATE);
    await client.noop();
    expect(client.mailbox).toMatchObject({ ...ARCHIVE_STATE, exists: 6 });
    expect(await readToExpunge(events)).toEqual(LEFT_EVENTS);
  });

  it('in an IMAP4rev2 session', async () => {
    const server = await serve([...login('IMAP4rev2 LITERAL+ IDLE'), ...selectInbox('A2'), C('A3 EXAMINE Archive'), selectArchiveAfterClosed('A3'), ...noopEnd('A4')]);
    const client = await connect(server);
    await client.select('INBOX');
    const events = client.events();
    const archive = await client.examine('Archive');
    expect(archive).toMatchObject(ARCHIVE_STATE);
    await client.noop();
    expect(await readToExpunge(events)).toEqual(LEFT_EVENTS);
  });

  it('keeps what it heard when a server that should announce the switch sends no [CLOSED]', async () => {
    const server = await serve([
      ...login('IMAP4rev2 LITERAL+ IDLE'),
      ...selectInbox('A2'),
      C('A3 SELECT Archive'),
      S('* FLAGS (\\Answered \\Seen)', '* 7 EXISTS', '* OK [UIDVALIDITY 1700000001] UIDs valid', 'A3 OK [READ-WRITE] Select completed'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const archive = await client.select('Archive');
    expect(archive).toMatchObject({ name: 'Archive', exists: 7, flags: ['\\Answered', '\\Seen'], uidValidity: 1700000001 });
  });
});

describe('SELECT: expunges inside its answer are counted in the new mailbox', () => {
  it('an EXPUNGE after the EXISTS lowers `exists`, and is the command\'s, not an event', async () => {
    const server = await serve([
      ...login('IMAP4rev1 LITERAL+ IDLE'),
      C('A2 SELECT INBOX'),
      S('* FLAGS (\\Seen)', '* 5 EXISTS', '* OK [UIDVALIDITY 7] UIDs valid', '* 3 EXPUNGE', 'A2 OK [READ-WRITE] Select completed'),
      ...noopEnd('A3'),
    ]);
    const client = await connect(server);
    const events = client.events();
    expect(await client.select('INBOX')).toMatchObject({ name: 'INBOX', exists: 4 });
    expect(client.mailbox?.exists).toBe(4);
    await client.noop();
    expect((await events.next()).value).toEqual({ kind: 'expunge', seq: 1, mailbox: 'INBOX' });
    expect(client.mailbox?.exists).toBe(3);
  });

  it('with QRESYNC, a VANISHED after [CLOSED] lowers the new mailbox\'s `exists`; one before it stays the left mailbox\'s event', async () => {
    const server = await serve([
      ...INBOX_THEN_SELECT_ARCHIVE_QRESYNC,
      S(
        '* VANISHED 30',
        '* OK [CLOSED] Previous mailbox closed.',
        '* FLAGS (\\Seen)',
        '* 7 EXISTS',
        '* OK [UIDVALIDITY 1700000001] UIDs valid',
        '* VANISHED 41:42',
        'A4 OK [READ-WRITE] Select completed',
      ),
    ]);
    const client = await connect(server);
    await client.enable(['QRESYNC']);
    await client.select('INBOX');
    const events = client.events();
    expect(await client.select('Archive')).toMatchObject({ name: 'Archive', exists: 5 });
    expect(client.mailbox?.exists).toBe(5);
    expect((await events.next()).value).toEqual({ kind: 'vanished', uids: [{ start: 30, end: 30 }], earlier: false, mailbox: 'INBOX' });
    await server.done;
  });
});
