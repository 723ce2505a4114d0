import { describe, expect, it } from 'vitest';
import { C, S, login, selectInbox, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/*
 * A fetch of flags alone cannot tell its own answer from a flag change another session made
 * meanwhile (both are `* n FETCH (UID u FLAGS (...))`): the first answer for a message is the
 * fetch's, a second one is the change, and goes to the event stream.
 */
describe('a flag change reported while a flags-only fetch is answered', () => {
  it('UID FETCH: each message comes once; the second FETCH of UID 1 is an event', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 UID FETCH 1:* (UID FLAGS)'),
      S('* 1 FETCH (UID 1 FLAGS ())', '* 2 FETCH (UID 2 FLAGS ())', '* 3 FETCH (UID 3 FLAGS ())', '* 1 FETCH (UID 1 FLAGS (\\Seen))', 'A3 OK done'),
      C('A4 NOOP'),
      S('* 2 EXPUNGE', 'A4 OK done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const events = client.events();
    const fetched: [number, number | undefined, readonly string[] | undefined][] = [];
    for await (const message of client.fetch('1:*', { flags: true })) fetched.push([message.seq, message.uid, message.attributes.flags]);
    expect(fetched).toEqual([
      [1, 1, []],
      [2, 2, []],
      [3, 3, []],
    ]);
    await client.noop();
    expect((await events.next()).value).toMatchObject({ kind: 'fetch', seq: 1, uid: 1, flags: ['\\Seen'], mailbox: 'INBOX' });
    expect((await events.next()).value).toMatchObject({ kind: 'expunge', seq: 2 });
    await server.done;
  });

  it('FETCH by sequence number: an unasked FETCH without UID, before the answer, is an event', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 FETCH 1:3 (UID FLAGS)'),
      S('* 1 FETCH (UID 1 FLAGS ())', '* 2 FETCH (FLAGS (\\Flagged))', '* 2 FETCH (UID 2 FLAGS ())', '* 3 FETCH (UID 3 FLAGS ())', 'A3 OK done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const events = client.events();
    const seqs: number[] = [];
    for await (const message of client.fetch({ seq: '1:3' }, { flags: true })) seqs.push(message.seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect((await events.next()).value).toMatchObject({ kind: 'fetch', seq: 2, uid: undefined, flags: ['\\Flagged'] });
    await server.done;
  });
});
