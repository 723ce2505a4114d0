// Sequence-number sets on an empty mailbox: RFC 9051 section 9 (seq-number) makes `*` an error there.
import { expect, test } from 'vitest';
import { copy, move } from '../../src/imap/commands/copy-move.js';
import { search, searchSeq, searchSummary } from '../../src/imap/commands/search.js';
import { store } from '../../src/imap/commands/store.js';
import type { SeqNum } from '../../src/imap/wire/sequence-set.js';
import { SequenceSet } from '../../src/imap/wire/sequence-set.js';
import { greeting, scripted, selectInbox } from './imap-commands/fake-server.js';

test('FETCH, STORE, COPY and MOVE of sequence numbers return empty without a command while the mailbox is empty; UID forms are still sent', async () => {
  const { client, finish } = await scripted(
    [
      greeting('MOVE UIDPLUS'),
      ...selectInbox('A1', 0),
      'C: A2 UID FETCH 1:* (UID FLAGS)',
      'S: A2 OK Fetch completed',
      'C: A3 UID STORE 1:* +FLAGS (\\Seen)',
      'S: A3 OK Store completed',
      'C: A4 NOOP',
      'S: A4 OK done',
    ],
    { select: true },
  );
  const fetched = [];
  for await (const message of client.fetch({ seq: '1:*' }, { flags: true })) fetched.push(message);
  expect(fetched).toEqual([]);
  expect(await store(client, { seq: '1:*' }, 'add', ['\\Seen'])).toEqual({ updated: [], modified: [] });
  expect(await move(client, { seq: '1:*' }, 'Trash')).toEqual({ uidValidity: null, uidMap: new Map(), expungedSeqs: [], expungedUids: [], emulated: false });
  expect(await copy(client, { seq: '*' }, 'Trash')).toEqual({ uidValidity: null, uidMap: new Map() });
  for await (const message of client.fetch('1:*', { flags: true })) fetched.push(message);
  expect(fetched).toEqual([]);
  expect(await store(client, '1:*', 'add', ['\\Seen'])).toEqual({ updated: [], modified: [] });
  await client.noop();
  await finish();
});

test('arguments are still checked on an empty mailbox', async () => {
  const { client, finish } = await scripted([greeting(''), ...selectInbox('A1', 0)], { select: true });
  await expect(store(client, { seq: '1:*' }, 'add', [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await expect(move(client, { seq: '1:*' }, 'Trash')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  await finish();
});

test('an emulated MOVE of sequence numbers sends nothing while the mailbox is empty', async () => {
  const { client, finish } = await scripted([greeting('UIDPLUS'), ...selectInbox('A1', 0), 'C: A2 NOOP', 'S: A2 OK done'], { select: true });
  expect(await move(client, { seq: '1:*' }, 'Trash')).toEqual({ uidValidity: null, uidMap: new Map(), expungedSeqs: [], expungedUids: [], emulated: true });
  await client.noop();
  await finish();
});

test('sequence numbers are still sent while another SELECT is pending: the empty mailbox is not the one they will name', async () => {
  const { client, finish } = await scripted(
    [
      greeting(''),
      ...selectInbox('A1', 0),
      ...selectInbox('A2', 2),
      'C: A3 FETCH 1:* (UID FLAGS)',
      'S: * 1 FETCH (UID 10 FLAGS ())',
      'S: * 2 FETCH (UID 11 FLAGS ())',
      'S: A3 OK Fetch completed',
      'C: A4 STORE 1:* +FLAGS (\\Seen)',
      'S: A4 OK Store completed',
    ],
    { select: true },
  );
  const selecting = client.select('INBOX');
  const fetched: (number | undefined)[] = [];
  const fetching = (async () => {
    for await (const message of client.fetch({ seq: '1:*' }, { flags: true })) fetched.push(message.uid);
  })();
  const storing = store(client, { seq: '1:*' }, 'add', ['\\Seen']);
  await selecting;
  await fetching;
  expect(fetched).toEqual([10, 11]);
  expect((await storing).updated).toEqual([]);
  await finish();
});

test('a search with a sequence-number key returns nothing without a command while the mailbox is empty; other searches are still sent', async () => {
  const { client, finish } = await scripted(
    [
      greeting(''),
      ...selectInbox('A1', 0),
      'C: A2 UID SEARCH UNSEEN',
      'S: * SEARCH',
      'S: A2 OK Search completed',
      'C: A3 NOOP',
      'S: A3 OK done',
    ],
    { select: true },
  );
  const all = SequenceSet.parse<SeqNum>('1:*');
  expect(await search(client, { seq: all })).toEqual([]);
  expect(await searchSeq(client, { seen: false, or: [{ seq: all }, { from: 'anna' }] })).toEqual([]);
  expect(await search(client, { not: { and: [{ seq: all }] } })).toEqual([]);
  expect(await searchSummary(client, { seq: all }, ['COUNT', 'MIN'])).toEqual({ min: undefined, max: undefined, count: 0, all: undefined, modseq: undefined });
  // Arguments are still checked: a modseq key without CONDSTORE is refused, nothing sent.
  await expect(search(client, { seq: all, modseq: 5n })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  expect(await search(client, { seen: false })).toEqual([]);
  await client.noop();
  await finish();
});

test('a search with a sequence-number key is still sent while another SELECT is pending', async () => {
  const { client, finish } = await scripted(
    [greeting(''), ...selectInbox('A1', 0), ...selectInbox('A2', 2), 'C: A3 SEARCH 1:*', 'S: * SEARCH 1 2', 'S: A3 OK Search completed'],
    { select: true },
  );
  const selecting = client.select('INBOX');
  const searching = searchSeq(client, { seq: SequenceSet.parse<SeqNum>('1:*') });
  await selecting;
  expect(await searching).toEqual([1, 2]);
  await finish();
});
