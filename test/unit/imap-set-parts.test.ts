// Sets too long for one command line (limits.maxSetLength): FETCH, STORE, COPY, MOVE (native and
// emulated) and UID EXPUNGE send them in parts, one command after another, and merge the answers.
import { describe, expect, test, vi } from 'vitest';
import { AbortError, InvalidArgumentError, ServerError, TimeoutError } from '../../src/common/errors.js';
import { ImapClient } from '../../src/imap/client.js';
import { copy, CopyError, CopyInterruptedError, move, type CopyProgress } from '../../src/imap/commands/copy-move.js';
import { ExpungeError, ExpungeInterruptedError, uidExpunge } from '../../src/imap/commands/expunge.js';
import { DEFAULT_MAX_SET_LENGTH, store, StoreInterruptedError } from '../../src/imap/commands/store.js';
import { SequenceSet, seqNum, uid, type SequenceRange } from '../../src/imap/wire/sequence-set.js';
import { greeting, scripted, selectInbox } from './imap-commands/fake-server.js';
import { C, S, login, selectInbox as stepSelectInbox, until, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/** Splitting `1,3,5:7` at 3 bytes: `1,3` then `5:7`. */
const limits = { maxSetLength: 3 };
const odd = [uid(1), uid(3), { start: uid(5), end: uid(7) }];

describe('SequenceSet.split', () => {
  test.each([
    ['1:*', 3, ['1:*']],
    ['1,3,5:7', 7, ['1,3,5:7']],
    ['1,3,5:7', 3, ['1,3', '5:7']],
    ['1,3,5:7,9:*', 4, ['1,3', '5:7', '9:*']],
    ['100:200,300', 2, ['100:200', '300']],
    ['1,3,5', 0, ['1', '3', '5']],
  ])('%s at %i bytes: %j', (text, maxLength, parts) => {
    expect(SequenceSet.parse(text).split(maxLength).map(String)).toEqual(parts);
  });

  test('a set cannot be changed once made, so its cached wire form and parts stay what has() says', () => {
    const set = SequenceSet.parse('1,3,5:7');
    expect(set.toString()).toBe('1,3,5:7');
    const ranges = set.ranges as SequenceRange[];
    expect(() => ranges.push({ start: 9, end: 9 })).toThrow(TypeError);
    expect(() => {
      (ranges[0] as { start: number }).start = 2;
    }).toThrow(TypeError);
    expect([set.toString(), set.has(1), set.has(9)]).toEqual(['1,3,5:7', true, false]);
    for (const part of set.split(3)) expect(Object.isFrozen(part.ranges)).toBe(true);
  });

  test('30,000 scattered UIDs split by default into parts of at most 8,000 bytes that make the whole', () => {
    const set = SequenceSet.uids(Array.from({ length: 30_000 }, (_, index) => uid(1 + 2 * index)));
    const parts = set.split(DEFAULT_MAX_SET_LENGTH).map(String);
    expect(parts.length).toBeGreaterThan(20);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(DEFAULT_MAX_SET_LENGTH);
    expect(parts.join(',')).toBe(set.toString());
  });
});

/** The error is a `kind` with these fields, its uidMap these source and destination UIDs in order. */
function expectCopyProgress(error: unknown, kind: typeof CopyError | typeof CopyInterruptedError, fields: object, uidMap: [number, number][]): void {
  expect(error).toBeInstanceOf(kind);
  expect(error).toMatchObject(fields);
  expect([...(error as CopyProgress).uidMap]).toEqual(uidMap);
}

/** The MOVE fallback for `odd` where only UIDs 1 and 3 exist: found, then copied. */
const emulatedMoveCopied = [
  greeting('UIDPLUS'),
  ...selectInbox('A1', 7),
  'C: A2 UID SEARCH UID 1,3',
  'S: * SEARCH 1 3',
  'S: A2 OK done',
  'C: A3 UID SEARCH UID 5:7',
  'S: A3 OK done',
  'C: A4 UID COPY 1,3 Trash',
  'S: A4 OK [COPYUID 5 1,3 20:21] done',
];

/** A UID MOVE of `odd` in parts: the first part, moved. */
const uidMoveFirstPart = [
  greeting('UIDPLUS MOVE'),
  ...selectInbox('A1', 7),
  'C: A2 UID MOVE 1,3 Trash',
  'S: * OK [COPYUID 5 1,3 20:21] moved',
  'S: * 3 EXPUNGE',
  'S: * 1 EXPUNGE',
  'S: A2 OK done',
];

describe('commands with a set longer than limits.maxSetLength', () => {
  test('UID FETCH: one command per part, each sent once the last is answered; every message once, in order', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1', 5),
        'C: A2 UID FETCH 1,3 (UID FLAGS)',
        'S: * 1 FETCH (UID 1 FLAGS ())',
        'S: * 2 FETCH (UID 3 FLAGS (\\Seen))',
        'S: A2 OK done',
        'C: A3 UID FETCH 5:7 (UID FLAGS)',
        'S: * 3 FETCH (UID 5 FLAGS ())',
        'S: * 4 FETCH (UID 7 FLAGS ())',
        'S: A3 OK done',
      ],
      { select: true, limits },
    );
    const uids: unknown[] = [];
    for await (const message of client.fetch(odd, { flags: true })) uids.push(message.uid);
    expect(uids).toEqual([1, 3, 5, 7]);
    await finish();
  });

  test('FETCH: a part that fails ends the iteration with its error, and no further part is sent; leaving the loop sends no further part', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1', 5),
        'C: A2 FETCH 1,3 (UID FLAGS)',
        'S: * 1 FETCH (UID 1 FLAGS ())',
        'S: A2 NO not now',
        'C: A3 UID FETCH 1,3 (UID FLAGS)',
        'S: * 1 FETCH (UID 1 FLAGS ())',
        'S: * 2 FETCH (UID 3 FLAGS ())',
        'S: A3 OK done',
        'C: A4 NOOP',
        'S: A4 OK done',
      ],
      { select: true, limits },
    );
    const seqs: unknown[] = [];
    const failed = (async () => {
      for await (const message of client.fetch({ seq: [seqNum(1), seqNum(3), { start: seqNum(5), end: seqNum(7) }] }, { flags: true })) seqs.push(message.seq);
    })();
    await expect(failed).rejects.toMatchObject({ status: 'NO', command: 'FETCH' });
    expect(seqs).toEqual([1]);
    for await (const message of client.fetch(odd, { flags: true })) if (message.uid === uid(1)) break;
    await client.noop();
    await finish();
  });

  test('FETCH with *: the last message, named by an earlier part and by the last part\'s n:*, comes once', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1', 2),
        'C: A2 UID FETCH 1,3 (UID FLAGS)',
        'S: * 1 FETCH (UID 1 FLAGS ())',
        'S: * 2 FETCH (UID 3 FLAGS ())',
        'S: A2 OK done',
        // 5:* is 3:5 here: the server answers for UID 3 again.
        'C: A3 UID FETCH 5:* (UID FLAGS)',
        'S: * 2 FETCH (UID 3 FLAGS ())',
        'S: A3 OK done',
        'C: A4 FETCH 1,3 (UID BODY.PEEK[])',
        'S: * 1 FETCH (UID 1 BODY[] {1}',
        'S: a)',
        'S: A4 OK done',
        'C: A5 FETCH 5:* (UID BODY.PEEK[])',
        'S: * 2 FETCH (UID 3 BODY[] {1}',
        'S: b)',
        'S: A5 OK done',
        'C: A6 FETCH 1,* (UID FLAGS)',
        'S: * 1 FETCH (UID 1 FLAGS ())',
        'S: * 2 FETCH (UID 3 FLAGS ())',
        'S: A6 OK done',
        'C: A7 NOOP',
        'S: A7 OK done',
      ],
      { select: true, limits: { maxSetLength: 3 } },
    );
    const uids: unknown[] = [];
    for await (const message of client.fetch([uid(1), uid(3), { start: uid(5), end: '*' }], { flags: true })) uids.push(message.uid);
    expect(uids).toEqual([1, 3]);
    const bodies: unknown[] = [];
    for await (const message of client.fetch({ seq: [seqNum(1), seqNum(3), { start: seqNum(5), end: '*' }] }, { source: true })) {
      bodies.push([message.seq, (await message.body().collect()).toString()]);
    }
    expect(bodies).toEqual([[1, 'a'], [2, 'b']]);
    const seqs: unknown[] = [];
    for await (const message of client.fetch({ seq: [seqNum(1), '*'] }, { flags: true })) seqs.push(message.seq);
    expect(seqs).toEqual([1, 2]);
    await client.noop();
    await finish();
  });

  test('FETCH of flags in parts: a flag change of a message an earlier part yielded is an event, not a second message', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1', 5),
        'C: A2 UID FETCH 1,3 (UID FLAGS)',
        'S: * 1 FETCH (UID 1 FLAGS ())',
        'S: * 2 FETCH (UID 3 FLAGS ())',
        'S: A2 OK done',
        'C: A3 UID FETCH 5:7 (UID FLAGS)',
        // Another session flagged UID 1 meanwhile.
        'S: * 1 FETCH (UID 1 FLAGS (\\Flagged))',
        'S: * 3 FETCH (UID 5 FLAGS ())',
        'S: A3 OK done',
      ],
      { select: true, limits },
    );
    const events = client.events();
    const uids: unknown[] = [];
    for await (const message of client.fetch(odd, { flags: true })) uids.push(message.uid);
    expect(uids).toEqual([1, 3, 5]);
    expect(await events.next()).toMatchObject({ value: { kind: 'fetch', uid: 1, flags: ['\\Flagged'] } });
    await finish();
  });

  /** `+FLAGS (\\Seen)` on `odd` unless changed since MODSEQ 9: the first part answered, the second sent. */
  const conditionalStoreFirstPart = [
    greeting('CONDSTORE'),
    ...selectInbox('A1', 5),
    'C: A2 UID STORE 1,3 (UNCHANGEDSINCE 9) +FLAGS (\\Seen)',
    'S: * 1 FETCH (UID 1 MODSEQ (10) FLAGS (\\Seen))',
    'S: A2 OK [MODIFIED 3] done',
    'C: A3 UID STORE 5:7 (UNCHANGEDSINCE 9) +FLAGS (\\Seen)',
  ];

  test('UID STORE and STORE: the updates and MODIFIED of every part, in order', async () => {
    const { client, finish } = await scripted(
      [
        ...conditionalStoreFirstPart,
        'S: * 3 FETCH (UID 5 MODSEQ (11) FLAGS (\\Seen))',
        'S: A3 OK [MODIFIED 7] done',
        'C: A4 STORE 1,3 -FLAGS.SILENT (\\Seen)',
        'S: A4 OK done',
        'C: A5 STORE 5:7 -FLAGS.SILENT (\\Seen)',
        'S: A5 OK done',
      ],
      { select: true, limits },
    );
    const result = await store(client, odd, 'add', ['\\Seen'], { unchangedSince: 9n });
    expect(result.updated.map((update) => [update.uid, update.modseq])).toEqual([[1, 10n], [5, 11n]]);
    expect(result.modified).toEqual([3, 7]);
    const seqs = SequenceSet.seqNums([seqNum(1), seqNum(3), { start: seqNum(5), end: seqNum(7) }]);
    expect(await store(client, { seq: seqs }, 'remove', ['\\Seen'], { silent: true })).toEqual({ updated: [], modified: [] });
    await finish();
  });

  test('UID STORE: a part refused rejects with a StoreError holding the updates and MODIFIED of the parts before', async () => {
    const { client, finish } = await scripted(
      [
        ...conditionalStoreFirstPart,
        'S: A3 NO [SERVERBUG] refused',
      ],
      { select: true, limits },
    );
    await expect(store(client, odd, 'add', ['\\Seen'], { unchangedSince: 9n })).rejects.toMatchObject({
      name: 'StoreError',
      responseCode: 'SERVERBUG',
      updated: [{ seq: 1, uid: 1, flags: ['\\Seen'], modseq: 10n }],
      modified: [3],
    });
    await finish();
  });

  test('UID STORE timed out in its second part: a StoreInterruptedError (code TIMEOUT) holding the updates of both parts', async () => {
    const { client, finish } = await scripted(
      [
        ...conditionalStoreFirstPart,
        'S: * 3 FETCH (UID 5 MODSEQ (11) FLAGS (\\Seen))',
        'S: * OK still storing',
        'C: A4 NOOP',
        'S: A3 OK done',
        'S: A4 OK done',
      ],
      { select: true, limits },
    );
    const events = client.events();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let error: unknown;
    try {
      const storing = store(client, odd, 'add', ['\\Seen'], { unchangedSince: 9n, timeout: 1000 }).catch((caught: unknown) => caught);
      expect((await events.next()).value).toMatchObject({ kind: 'status', text: 'still storing' });
      await vi.advanceTimersByTimeAsync(1000);
      error = await storing;
    } finally {
      vi.useRealTimers();
    }
    expect(error).toBeInstanceOf(StoreInterruptedError);
    expect(error).toMatchObject({
      code: 'TIMEOUT',
      updated: [{ seq: 1, uid: 1, flags: ['\\Seen'], modseq: 10n }, { seq: 3, uid: 5, flags: ['\\Seen'], modseq: 11n }],
      modified: [3],
    });
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    await client.noop();
    await finish();
  });

  test('UID STORE aborted during its first part: what was read is reported, and the second part is never sent', async () => {
    const { client, finish } = await scripted(
      [
        ...conditionalStoreFirstPart.slice(0, -2),
        'S: * OK still storing',
        'C: A3 NOOP',
        'S: A2 OK [MODIFIED 3] done',
        'S: A3 OK done',
      ],
      { select: true, limits },
    );
    const events = client.events();
    const controller = new AbortController();
    const storing = store(client, odd, 'add', ['\\Seen'], { unchangedSince: 9n, signal: controller.signal });
    expect((await events.next()).value).toMatchObject({ kind: 'status', text: 'still storing' });
    controller.abort();
    const error = await storing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreInterruptedError);
    expect(error).toMatchObject({ code: 'ABORTED', updated: [{ seq: 1, uid: 1, flags: ['\\Seen'], modseq: 10n }], modified: [] });
    await client.noop();
    await finish();
  });

  test('UID COPY: the COPYUID maps of the parts in one; the first NO rejects and stops the rest (the parts before stay copied)', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 5),
        'C: A2 UID COPY 1,3 Archive',
        'S: A2 OK [COPYUID 77 1,3 10:11] done',
        'C: A3 UID COPY 5:7 Archive',
        'S: A3 OK [COPYUID 77 5:7 12:14] done',
        'C: A4 UID COPY 1,3 Archive',
        'S: A4 NO [OVERQUOTA] full',
        // The second part is never sent: the NOOP comes next.
        'C: A5 NOOP',
        'S: A5 OK done',
        'C: A6 UID COPY 1,3 Archive',
        'S: A6 OK [COPYUID 77 1,3 15:16] done',
        'C: A7 UID COPY 5:7 Archive',
        'S: A7 NO [OVERQUOTA] full',
      ],
      { select: true, limits },
    );
    const copied = await copy(client, odd, 'Archive');
    expect(copied.uidValidity).toBe(77);
    expect([...copied.uidMap]).toEqual([[1, 10], [3, 11], [5, 12], [6, 13], [7, 14]]);
    await expect(copy(client, odd, 'Archive')).rejects.toMatchObject({ status: 'NO', responseCode: 'OVERQUOTA' });
    await client.noop();
    await expect(copy(client, odd, 'Archive')).rejects.toBeInstanceOf(ServerError);
    await finish();
  });

  test('UID COPY refused in its second part: a CopyError (a ServerError) holding the COPYUID map of the first', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 5),
        'C: A2 UID COPY 1,3 Archive',
        'S: A2 OK [COPYUID 77 1,3 10:11] done',
        'C: A3 UID COPY 5:7 Archive',
        'S: A3 NO [OVERQUOTA] full',
      ],
      { select: true, limits },
    );
    const error = await copy(client, odd, 'Archive').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expectCopyProgress(error, CopyError, { code: 'SERVER_REJECTED', status: 'NO', responseCode: 'OVERQUOTA', uidValidity: 77, expungedSeqs: [], expungedUids: [] }, [[1, 10], [3, 11]]);
    expect((error as Error).cause).toBeInstanceOf(ServerError);
    await finish();
  });

  test('UID COPY aborted in its second part: a CopyInterruptedError (code ABORTED) holding the COPYUID map of the first', async () => {
    const controller = new AbortController();
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 5),
        'C: A2 UID COPY 1,3 Archive',
        'S: A2 OK [COPYUID 77 1,3 10:11] done',
        'C: A3 UID COPY 5:7 Archive',
        'S: * OK still copying',
        'C: A4 NOOP',
        'S: A3 OK [COPYUID 77 5:7 12:14] done',
        'S: A4 OK done',
      ],
      { select: true, limits },
    );
    const events = client.events();
    const copying = copy(client, odd, 'Archive', { signal: controller.signal }).catch((caught: unknown) => caught);
    expect((await events.next()).value).toMatchObject({ kind: 'status', text: 'still copying' });
    controller.abort();
    const error = await copying;
    expectCopyProgress(error, CopyInterruptedError, { code: 'ABORTED', uidValidity: 77 }, [[1, 10], [3, 11]]);
    expect((error as Error).cause).toBeInstanceOf(AbortError);
    await client.noop();
    await finish();
  });

  test('UID MOVE refused in its second part: a CopyError holding the COPYUID map and expunges of the first', async () => {
    const { client, finish } = await scripted(
      [
        ...uidMoveFirstPart,
        'C: A3 UID MOVE 5:7 Trash',
        'S: A3 NO [OVERQUOTA] full',
      ],
      { select: true, limits },
    );
    const error = await move(client, odd, 'Trash').catch((caught: unknown) => caught);
    expectCopyProgress(error, CopyError, { responseCode: 'OVERQUOTA', uidValidity: 5, expungedSeqs: [3, 1], expungedUids: [] }, [[1, 20], [3, 21]]);
    await finish();
  });

  test('the MOVE fallback refused at its STORE step: a CopyError holding the COPYUID map of the copies made', async () => {
    const { client, finish } = await scripted(
      [
        ...emulatedMoveCopied,
        'C: A5 UID STORE 1,3 +FLAGS.SILENT (\\Deleted)',
        'S: A5 NO [CANNOT] no',
      ],
      { select: true, limits },
    );
    const error = await move(client, odd, 'Trash').catch((caught: unknown) => caught);
    expectCopyProgress(error, CopyError, { responseCode: 'CANNOT', uidValidity: 5, expungedSeqs: [], expungedUids: [] }, [[1, 20], [3, 21]]);
    await finish();
  });

  test('the MOVE fallback refused at its UID EXPUNGE step: a CopyError holding the copies and what was expunged', async () => {
    const { client, finish } = await scripted(
      [
        ...emulatedMoveCopied,
        'C: A5 UID STORE 1,3 +FLAGS.SILENT (\\Deleted)',
        'S: A5 OK done',
        'C: A6 UID EXPUNGE 1,3',
        'S: * 1 EXPUNGE',
        'S: A6 NO [SERVERBUG] stopped',
      ],
      { select: true, limits },
    );
    const error = await move(client, odd, 'Trash').catch((caught: unknown) => caught);
    expectCopyProgress(error, CopyError, { responseCode: 'SERVERBUG', uidValidity: 5, expungedSeqs: [1], expungedUids: [] }, [[1, 20], [3, 21]]);
    expect((error as Error).cause).toBeInstanceOf(ExpungeError);
    await finish();
  });

  test('UID MOVE: COPYUID and expunges of every part', async () => {
    const { client, finish } = await scripted(
      [
        ...uidMoveFirstPart,
        'C: A3 UID MOVE 5:7 Trash',
        'S: * OK [COPYUID 5 5 22] moved',
        'S: * 3 EXPUNGE',
        'S: A3 OK done',
      ],
      { select: true, limits },
    );
    const moved = await move(client, odd, 'Trash');
    expect(moved).toMatchObject({ emulated: false, uidValidity: 5, expungedSeqs: [3, 1, 3], expungedUids: [] });
    expect([...moved.uidMap]).toEqual([[1, 20], [3, 21], [5, 22]]);
    await finish();
  });

  test('MOVE by sequence numbers in parts moves the messages named when called, though another session\'s EXPUNGE comes during a part', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS MOVE'),
        ...selectInbox('A1', 7),
        // The numbers become UIDs first (SEARCH is never answered with EXPUNGE, RFC 9051 section 7.5.1).
        'C: A2 UID SEARCH 1,3',
        'S: * SEARCH 11 13',
        'S: A2 OK done',
        'C: A3 UID SEARCH 5:7',
        'S: * SEARCH 15 16 17',
        'S: A3 OK done',
        'C: A4 UID MOVE 11,13 Trash',
        // Message 2 (UID 12), expunged by another session: the old 3 is now 2.
        'S: * 2 EXPUNGE',
        'S: * OK [COPYUID 5 11,13 20:21] moved',
        'S: * 2 EXPUNGE',
        'S: * 1 EXPUNGE',
        'S: A4 OK done',
        'C: A5 UID MOVE 15:17 Trash',
        'S: * OK [COPYUID 5 15:17 22:24] moved',
        'S: * 2 EXPUNGE',
        'S: * 2 EXPUNGE',
        'S: * 2 EXPUNGE',
        'S: A5 OK done',
        'C: A6 NOOP',
        'S: A6 OK done',
      ],
      { select: true, limits: { maxSetLength: 5 } },
    );
    const moved = await move(client, { seq: [seqNum(1), seqNum(3), { start: seqNum(5), end: seqNum(7) }] }, 'Trash');
    expect(moved).toMatchObject({ emulated: false, uidValidity: 5, expungedSeqs: [2, 2, 1, 2, 2, 2] });
    expect([...moved.uidMap]).toEqual([[11, 20], [13, 21], [15, 22], [16, 23], [17, 24]]);
    await client.noop();
    await finish();
  });

  test('a set ending in n:* is resolved before its parts go, so that what an early part moves or copies cannot change what * names', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS MOVE'),
        // UIDs 1, 2 and 3: 5:* names UID 3, and once 3 is moved it would name UID 2.
        ...selectInbox('A1', 3),
        'C: A2 UID FETCH 5:* (UID)',
        'S: * 1 FETCH (UID 1 FLAGS (\\Seen))',
        'S: * 3 FETCH (UID 3)',
        'S: A2 OK done',
        'C: A3 UID MOVE 1,3 Trash',
        'S: * OK [COPYUID 5 1,3 20:21] moved',
        'S: * 3 EXPUNGE',
        'S: * 1 EXPUNGE',
        'S: A3 OK done',
        'C: A4 UID FETCH 5:* (UID)',
        'S: * 1 FETCH (UID 2)',
        'S: A4 OK done',
        'C: A5 UID COPY 1:2 Archive',
        'S: A5 OK [COPYUID 5 2 22] done',
        // By sequence numbers: 5:* is the last message, 1.
        'C: A6 FETCH 5:* (UID)',
        'S: * 1 FETCH (UID 2)',
        'S: A6 OK done',
        'C: A7 STORE 1,3 +FLAGS.SILENT (\\Seen)',
        'S: A7 OK done',
      ],
      { select: true, limits },
    );
    const events = client.events();
    const moved = await move(client, [uid(1), uid(3), { start: uid(5), end: '*' }], 'Trash');
    expect(moved).toMatchObject({ uidValidity: 5, expungedSeqs: [3, 1] });
    expect([...moved.uidMap]).toEqual([[1, 20], [3, 21]]);
    expect(await events.next()).toMatchObject({ value: { kind: 'fetch', uid: 1, flags: ['\\Seen'] } });
    const copied = await copy(client, [uid(1), uid(2), { start: uid(5), end: '*' }], 'Archive');
    expect([...copied.uidMap]).toEqual([[2, 22]]);
    expect(await store(client, { seq: [seqNum(1), seqNum(3), { start: seqNum(5), end: '*' }] }, 'add', ['\\Seen'], { silent: true })).toEqual({ updated: [], modified: [] });
    await finish();
  });

  test('the MOVE fallback: UID SEARCH, UID COPY, UID STORE and UID EXPUNGE, each in parts', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 7),
        'C: A2 UID SEARCH UID 1,3',
        'S: * SEARCH 1 3',
        'S: A2 OK done',
        'C: A3 UID SEARCH UID 5:7',
        'S: * SEARCH 5 7',
        'S: A3 OK done',
        'C: A4 UID COPY 1,3 Trash',
        'S: A4 OK [COPYUID 5 1,3 20:21] done',
        'C: A5 UID COPY 5,7 Trash',
        'S: A5 OK [COPYUID 5 5,7 22:23] done',
        'C: A6 UID STORE 1,3 +FLAGS.SILENT (\\Deleted)',
        'S: A6 OK done',
        'C: A7 UID STORE 5,7 +FLAGS.SILENT (\\Deleted)',
        'S: A7 OK done',
        'C: A8 UID EXPUNGE 1,3',
        'S: * 2 EXPUNGE',
        'S: * 1 EXPUNGE',
        'S: A8 OK done',
        'C: A9 UID EXPUNGE 5,7',
        'S: * 2 EXPUNGE',
        'S: * 1 EXPUNGE',
        'S: A9 OK [HIGHESTMODSEQ 40] done',
      ],
      { select: true, limits },
    );
    const moved = await move(client, odd, 'Trash');
    expect(moved).toMatchObject({ emulated: true, uidValidity: 5, expungedSeqs: [2, 1, 2, 1] });
    expect([...moved.uidMap]).toEqual([[1, 20], [3, 21], [5, 22], [7, 23]]);
    await finish();
  });

  test('UID EXPUNGE: the expunges of every part; HIGHESTMODSEQ from the last part that sent one', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 7),
        'C: A2 UID EXPUNGE 1,3',
        'S: * 1 EXPUNGE',
        'S: A2 OK [HIGHESTMODSEQ 40] done',
        'C: A3 UID EXPUNGE 5:7',
        'S: * 3 EXPUNGE',
        'S: A3 OK done',
      ],
      { select: true, limits },
    );
    expect(await uidExpunge(client, odd)).toEqual({ seqs: [1, 3], uids: [], highestModseq: 40n });
    await finish();
  });

  test('UID EXPUNGE refused in its second part: an ExpungeError holding the expunges of both parts', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 7),
        'C: A2 UID EXPUNGE 1,3',
        'S: * 1 EXPUNGE',
        'S: A2 OK done',
        'C: A3 UID EXPUNGE 5:7',
        'S: * 3 EXPUNGE',
        'S: A3 NO [SERVERBUG] stopped',
      ],
      { select: true, limits },
    );
    const error = await uidExpunge(client, odd).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExpungeError);
    expect(error).toMatchObject({ code: 'SERVER_REJECTED', responseCode: 'SERVERBUG', seqs: [1, 3], uids: [] });
    await finish();
  });

  test('UID EXPUNGE aborted in its second part: an ExpungeInterruptedError (code ABORTED) holding the expunges read until then', async () => {
    const state = { rejected: false };
    const server = await serve([
      ...login('IMAP4rev1 UIDPLUS'),
      ...stepSelectInbox('A2', 7),
      C('A3 UID EXPUNGE 1,3'),
      S('* 1 EXPUNGE', 'A3 OK done'),
      C('A4 UID EXPUNGE 5:7'),
      S('* 3 EXPUNGE', '* OK still expunging'),
      until(() => state.rejected),
      // Read after the call ended: an event.
      S('* 4 EXPUNGE', 'A4 OK done'),
      C('A5 NOOP'),
      S('A5 OK done'),
    ]);
    const client = await connect(server, { limits });
    await client.select('INBOX');
    const events = client.events();
    const controller = new AbortController();
    const expunging = uidExpunge(client, odd, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect((await events.next()).value).toMatchObject({ kind: 'status', text: 'still expunging' });
    controller.abort();
    const error = await expunging;
    state.rejected = true;
    expect(error).toBeInstanceOf(ExpungeInterruptedError);
    expect(error).toMatchObject({ code: 'ABORTED', seqs: [1, 3], uids: [] });
    expect((error as Error).cause).toBeInstanceOf(AbortError);
    await client.noop();
    expect((await events.next()).value).toMatchObject({ kind: 'expunge', seq: 4 });
    await server.done;
  });
});

describe('limits.maxSetLength', () => {
  test('defaults to 8,000 bytes; a value that is no non-negative integer is refused when the client is made', () => {
    expect(new ImapClient({ host: '127.0.0.1' }).maxSetLength).toBe(8000);
    expect(new ImapClient({ host: '127.0.0.1', limits: { maxSetLength: 900 } }).maxSetLength).toBe(900);
    expect(() => new ImapClient({ host: '127.0.0.1', limits: { maxSetLength: -1 } })).toThrow(InvalidArgumentError);
    expect(() => new ImapClient({ host: '127.0.0.1', limits: { maxSetLength: 1.5 } })).toThrow(/maxSetLength/);
  });
});
