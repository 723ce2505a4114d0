import { describe, expect, it } from 'vitest';
import type { ImapClient } from '../../src/imap/client.js';
import type { MailboxEvent } from '../../src/imap/session.js';
import { C, S, login, selectInbox, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/** SELECT or EXAMINE of another mailbox answered like Dovecot, `closed` with RFC 7162's `[CLOSED]` first. */
function selectArchive(tag: string, options: { readonly closed?: boolean; readonly during?: readonly string[] } = {}): ReturnType<typeof S>[] {
  return [
    S(
      ...(options.closed === true ? ['* OK [CLOSED] Previous mailbox closed.'] : []),
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.',
      '* 7 EXISTS',
      '* OK [UIDVALIDITY 1700000001] UIDs valid',
      ...(options.during ?? []),
      `${tag} OK [READ-WRITE] Select completed`,
    ),
  ];
}

/** The mailbox of each event read so far (`-` for the kinds that name none). */
async function mailboxesOf(events: AsyncIterator<MailboxEvent>, count: number): Promise<(string | null)[]> {
  const names: (string | null)[] = [];
  for (let index = 0; index < count; index++) {
    const event = (await events.next()).value as MailboxEvent;
    names.push('mailbox' in event ? event.mailbox : '-');
  }
  return names;
}

async function selectedInbox(client: ImapClient): Promise<AsyncIterator<MailboxEvent>> {
  await client.select('INBOX');
  return client.events();
}

describe('ImapClient: the mailbox an event belongs to', () => {
  it('names the mailbox of events read after another mailbox was selected', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 NOOP'),
      S('* 4 EXISTS', '* 1 RECENT', '* 1 FETCH (FLAGS (\\Seen))', '* FLAGS (\\Seen $Junk)', '* 2 EXPUNGE', 'A3 OK'),
      C('A4 SELECT Archive'),
      ...selectArchive('A4'),
      C('A5 NOOP'),
      S('* 8 EXISTS', '* 3 EXPUNGE', 'A5 OK'),
    ]);
    const client = await connect(server);
    const events = await selectedInbox(client);
    await client.noop();
    await client.select('Archive');
    await client.noop();
    const read: MailboxEvent[] = [];
    for (let index = 0; index < 7; index++) read.push((await events.next()).value as MailboxEvent);
    expect(read).toEqual([
      { kind: 'exists', count: 4, mailbox: 'INBOX' },
      { kind: 'recent', count: 1, mailbox: 'INBOX' },
      expect.objectContaining({ kind: 'fetch', seq: 1, flags: ['\\Seen'], mailbox: 'INBOX' }),
      { kind: 'flags', flags: ['\\Seen', '$Junk'], mailbox: 'INBOX' },
      { kind: 'expunge', seq: 2, mailbox: 'INBOX' },
      { kind: 'exists', count: 8, mailbox: 'Archive' },
      { kind: 'expunge', seq: 3, mailbox: 'Archive' },
    ]);
  });

  it('gives the events before [CLOSED] to the mailbox being left, and those after to the one being opened', async () => {
    const capabilities = 'IMAP4rev1 LITERAL+ IDLE UNSELECT ENABLE CONDSTORE QRESYNC';
    const server = await serve([
      ...login(capabilities),
      C('A2 ENABLE QRESYNC'),
      S('* ENABLED QRESYNC', 'A2 OK'),
      ...selectInbox('A3'),
      C('A4 SELECT Archive'),
      S('* 2 EXPUNGE', '* 9 EXISTS', '* 1 FETCH (FLAGS (\\Seen))'),
      ...selectArchive('A4', { closed: true, during: ['* 5 FETCH (FLAGS (\\Flagged))'] }),
    ]);
    const client = await connect(server);
    await client.enable(['QRESYNC']);
    const events = await selectedInbox(client);
    await client.select('Archive');
    expect(await mailboxesOf(events, 4)).toEqual(['INBOX', 'INBOX', 'INBOX', 'Archive']);
  });

  it('waits for [CLOSED] in an IMAP4rev2 session too (RFC 9051 section 6.3.2)', async () => {
    const server = await serve([
      ...login('IMAP4rev2 LITERAL+ IDLE'),
      ...selectInbox('A2'),
      C('A3 SELECT Archive'),
      S('* 9 EXISTS', '* 1 FETCH (FLAGS (\\Seen))'),
      ...selectArchive('A3', { closed: true, during: ['* 5 FETCH (FLAGS (\\Flagged))'] }),
    ]);
    const client = await connect(server);
    const events = await selectedInbox(client);
    await client.select('Archive');
    expect(await mailboxesOf(events, 3)).toEqual(['INBOX', 'INBOX', 'Archive']);
  });

  it('without [CLOSED], switches to the mailbox being opened at the first answer of its SELECT', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 EXAMINE Archive'),
      S('* 2 EXPUNGE'),
      ...selectArchive('A3', { during: ['* 5 FETCH (FLAGS (\\Flagged))'] }),
    ]);
    const client = await connect(server);
    const events = await selectedInbox(client);
    await client.examine('Archive');
    expect(await mailboxesOf(events, 2)).toEqual(['INBOX', 'Archive']);
  });

  it('names the mailbox being opened when none was selected, and the one closed until CLOSE is answered', async () => {
    const server = await serve([
      ...login(),
      C('A2 SELECT INBOX'),
      S('* 1 FETCH (FLAGS (\\Seen))', '* 3 EXISTS', 'A2 OK [READ-WRITE] Select completed'),
      C('A3 CLOSE'),
      S('* 2 EXPUNGE', 'A3 OK Close completed'),
    ]);
    const client = await connect(server);
    const events = client.events();
    await client.select('INBOX');
    await client.closeMailbox();
    expect(await mailboxesOf(events, 2)).toEqual(['INBOX', 'INBOX']);
  });

  it('names no mailbox after a failed SELECT', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 SELECT Nowhere'),
      S('* 2 EXPUNGE', 'A3 NO [NONEXISTENT] Mailbox does not exist'),
      C('A4 NOOP'),
      S('* 1 EXPUNGE', 'A4 OK'),
    ]);
    const client = await connect(server);
    const events = await selectedInbox(client);
    await expect(client.select('Nowhere')).rejects.toMatchObject({ responseCode: 'NONEXISTENT' });
    await client.noop();
    expect(await mailboxesOf(events, 2)).toEqual(['INBOX', null]);
  });

  it('names the mailbox of untagged OK responses (status events), whose codes speak of the selected mailbox', async () => {
    const server = await serve([
      ...login(),
      C('A2 NOOP'),
      S('* OK Still here', 'A2 OK'),
      ...selectInbox('A3'),
      C('A4 NOOP'),
      S('* OK [HIGHESTMODSEQ 50] Modseq moved', '* OK [UIDNEXT 9] Predicted', 'A4 OK'),
    ]);
    const client = await connect(server);
    const events = client.events();
    await client.noop();
    await client.select('INBOX');
    await client.noop();
    const read: MailboxEvent[] = [];
    for (let index = 0; index < 3; index++) read.push((await events.next()).value as MailboxEvent);
    expect(read).toEqual([
      { kind: 'status', status: 'OK', code: null, text: 'Still here', mailbox: null },
      { kind: 'status', status: 'OK', code: { kind: 'HIGHESTMODSEQ', value: 50n }, text: 'Modseq moved', mailbox: 'INBOX' },
      { kind: 'status', status: 'OK', code: { kind: 'UIDNEXT', value: 9 }, text: 'Predicted', mailbox: 'INBOX' },
    ]);
    expect(client.mailbox).toMatchObject({ highestModseq: 50n, uidNext: 9 });
  });
});
