import { describe, expect, it } from 'vitest';
import { C, S, login, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/** SELECT of a mailbox of 5 messages: `unseen` first unseen at 3, `recent` recent ones. */
function selectWith(recent: number): ReturnType<typeof C | typeof S>[] {
  return [
    C('A2 SELECT INBOX'),
    S(
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
      '* 5 EXISTS',
      `* ${recent} RECENT`,
      '* OK [UNSEEN 3] First unseen',
      '* OK [UIDVALIDITY 7] UIDs valid',
      '* OK [UIDNEXT 6] Predicted next UID',
      'A2 OK [READ-WRITE] Select completed',
    ),
  ];
}

async function afterNoop(recent: number, ...untagged: string[]): Promise<{ unseen: number | undefined; recent: number | undefined; exists: number }> {
  const server = await serve([...login(), ...selectWith(recent), C('A3 NOOP'), S(...untagged, 'A3 OK done')]);
  const client = await connect(server);
  await client.select('INBOX');
  await client.noop();
  const mailbox = client.mailbox;
  if (mailbox === null) throw new Error('no mailbox');
  return { unseen: mailbox.unseen, recent: mailbox.recent, exists: mailbox.exists };
}

describe('ImapClient: mailbox.unseen and mailbox.recent follow what the server reports', () => {
  it('moves the first unseen message down when a message below it is expunged', async () => {
    expect(await afterNoop(0, '* 1 EXPUNGE')).toEqual({ unseen: 2, recent: 0, exists: 4 });
  });

  it('keeps the first unseen message when a message above it is expunged', async () => {
    expect(await afterNoop(0, '* 4 EXPUNGE')).toEqual({ unseen: 3, recent: 0, exists: 4 });
  });

  it('no longer knows the first unseen message once it is expunged or seen', async () => {
    expect(await afterNoop(0, '* 3 EXPUNGE')).toMatchObject({ unseen: undefined, exists: 4 });
    expect(await afterNoop(0, '* 3 FETCH (FLAGS (\\Seen))')).toMatchObject({ unseen: undefined, exists: 5 });
  });

  it('takes an unseen message below the first unseen one as the new first', async () => {
    expect(await afterNoop(0, '* 2 FETCH (FLAGS (\\Flagged))')).toMatchObject({ unseen: 2 });
    expect(await afterNoop(0, '* 1 FETCH (FLAGS (\\Seen))', '* 4 FETCH (FLAGS ())')).toMatchObject({ unseen: 3 });
  });

  it('lowers RECENT when every message was recent, and takes a new RECENT', async () => {
    expect(await afterNoop(5, '* 2 EXPUNGE', '* 1 EXPUNGE')).toEqual({ unseen: 1, recent: 3, exists: 3 });
    expect(await afterNoop(2, '* 6 EXISTS', '* 3 RECENT')).toEqual({ unseen: 3, recent: 3, exists: 6 });
  });

  it('makes RECENT unknown when the expunged message may or may not have been recent', async () => {
    expect(await afterNoop(2, '* 5 EXPUNGE')).toEqual({ unseen: 3, recent: undefined, exists: 4 });
  });
});

describe('ImapClient: mailbox.unseen after a silent STORE, which echoes no flags', () => {
  async function afterStore(operation: 'add' | 'remove' | 'set', flags: string[]): Promise<number | undefined> {
    const wire = `A3 STORE 3 ${operation === 'add' ? '+' : operation === 'remove' ? '-' : ''}FLAGS.SILENT (${flags.join(' ')})`;
    const server = await serve([...login(), ...selectWith(0), C(wire), S('A3 OK Store completed')]);
    const client = await connect(server);
    await client.select('INBOX');
    await client.store({ seq: '3' }, operation, flags, { silent: true });
    return client.mailbox?.unseen;
  }

  it('no longer knows the first unseen message once \\Seen may have changed', async () => {
    expect(await afterStore('add', ['\\Seen'])).toBeUndefined();
    expect(await afterStore('remove', ['\\Seen'])).toBeUndefined();
    expect(await afterStore('set', ['\\Flagged'])).toBeUndefined();
  });

  it('keeps it when \\Seen is not touched', async () => {
    expect(await afterStore('add', ['\\Flagged'])).toBe(3);
  });
});
