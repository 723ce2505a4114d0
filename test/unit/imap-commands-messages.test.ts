// STORE, COPY, MOVE (native and emulated), EXPUNGE and UID EXPUNGE against a scripted fake server.
import { describe, expect, test } from 'vitest';
import { AbortError, ConnectionClosedError, InvalidArgumentError, ProtocolError, ServerError, UnsupportedError } from '../../src/common/errors.js';
import { copy, move, readCopyUid } from '../../src/imap/commands/copy-move.js';
import { expunge, uidExpunge } from '../../src/imap/commands/expunge.js';
import type { StoreOperation } from '../../src/imap/commands/store.js';
import { store, StoreError, StoreInterruptedError } from '../../src/imap/commands/store.js';
import { SequenceSet, seqNum, uid, type Uid } from '../../src/imap/wire/sequence-set.js';
import { greeting, scripted, selectInbox } from './imap-commands/fake-server.js';

describe('STORE', () => {
  test('UID STORE +FLAGS collects the FETCH of its own messages only; the rest become events', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 UID STORE 4,7 +FLAGS (\\Seen $Important)',
        'S: * 2 FETCH (UID 4 FLAGS (\\Seen $Important))',
        'S: * 9 FETCH (UID 30 FLAGS (\\Deleted))',
        'S: * 3 FETCH (FLAGS (\\Seen $Important \\Answered) UID 7)',
        'S: A2 OK Store completed',
      ],
      { select: true },
    );
    const events = client.events();
    const result = await store(client, [uid(4), uid(7)], 'add', ['\\Seen', '$Important']);
    expect(result.updated).toEqual([
      { seq: 2, uid: 4, flags: ['\\Seen', '$Important'], modseq: undefined },
      { seq: 3, uid: 7, flags: ['\\Seen', '$Important', '\\Answered'], modseq: undefined },
    ]);
    expect(result.modified).toEqual([]);
    expect((await events.next()).value).toMatchObject({ kind: 'fetch', seq: 9, uid: 30, flags: ['\\Deleted'] });
    await finish();
  });

  test('-FLAGS.SILENT, FLAGS replace, and the sequence-number form', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 UID STORE 1:* -FLAGS.SILENT (\\Flagged)',
        'S: A2 OK done',
        'C: A3 STORE 2:3 FLAGS ()',
        'S: * 2 FETCH (FLAGS ())',
        'S: * 3 FETCH (FLAGS ())',
        'S: A3 OK done',
      ],
      { select: true },
    );
    expect((await store(client, '1:*', 'remove', ['\\Flagged'], { silent: true })).updated).toEqual([]);
    const result = await store(client, { seq: SequenceSet.seqNums([seqNum(2), seqNum(3)]) }, 'set', []);
    expect(result.updated.map((update) => [update.seq, update.uid, update.flags])).toEqual([[2, undefined, []], [3, undefined, []]]);
    await finish();
  });

  test('`*` and `N:*` name the last message even when every number in use is below N (RFC 9051 section 6.4.9)', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1', 3),
        'C: A2 UID STORE * +FLAGS (\\Seen)',
        'S: * 3 FETCH (UID 99 FLAGS (\\Seen))',
        'S: A2 OK done',
        'C: A3 STORE 5:* +FLAGS (\\Flagged)',
        'S: * 3 FETCH (FLAGS (\\Seen \\Flagged))',
        'S: A3 OK done',
        'C: A4 UID STORE 500:* -FLAGS (\\Seen)',
        // Another session's change to message 2 is not this command's.
        'S: * 2 FETCH (UID 50 FLAGS ())',
        'S: * 3 FETCH (UID 99 FLAGS (\\Flagged))',
        'S: A4 OK done',
      ],
      { select: true },
    );
    const events = client.events();
    expect((await store(client, '*', 'add', ['\\Seen'])).updated).toEqual([{ seq: 3, uid: 99, flags: ['\\Seen'], modseq: undefined }]);
    expect((await store(client, { seq: '5:*' }, 'add', ['\\Flagged'])).updated.map((update) => update.seq)).toEqual([3]);
    expect((await store(client, '500:*', 'remove', ['\\Seen'])).updated.map((update) => update.uid)).toEqual([99]);
    expect((await events.next()).value).toMatchObject({ kind: 'fetch', seq: 2, uid: 50 });
    await finish();
  });

  test('UNCHANGEDSINCE (CONDSTORE): MODSEQ per message and the MODIFIED set', async () => {
    const { client, finish } = await scripted(
      [
        greeting('CONDSTORE'),
        ...selectInbox('A1'),
        'C: A2 UID STORE 5:9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)',
        'S: * 1 FETCH (UID 5 MODSEQ (320162350))',
        'S: * 3 FETCH (UID 9 MODSEQ (320162349))',
        'S: A2 OK [MODIFIED 7] Conditional STORE failed for one message',
      ],
      { select: true },
    );
    const result = await store(client, SequenceSet.uids([{ start: uid(5), end: uid(9) }]), 'add', ['\\Deleted'], { silent: true, unchangedSince: 320162338n });
    expect(result.updated).toEqual([
      { seq: 1, uid: 5, flags: undefined, modseq: 320162350n },
      { seq: 3, uid: 9, flags: undefined, modseq: 320162349n },
    ]);
    expect(result.modified).toEqual([7]);
    await finish();
  });

  test('UNCHANGEDSINCE answered NO [MODIFIED set] (Stalwart, Sora): the same result as OK [MODIFIED], not a ServerError that hides what was stored', async () => {
    const { client, finish } = await scripted(
      [
        greeting('CONDSTORE'),
        ...selectInbox('A1'),
        'C: A2 STORE 1:3 (UNCHANGEDSINCE 320162338) +FLAGS (\\Seen)',
        'S: * 1 FETCH (FLAGS (\\Seen) MODSEQ (320162350))',
        'S: * 3 FETCH (FLAGS (\\Seen) MODSEQ (320162351))',
        'S: A2 NO [MODIFIED 2] Some of the messages no longer exist.',
        'C: A3 STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)',
        'S: A3 NO [TRYCREATE] refused',
      ],
      { select: true },
    );
    const result = await store(client, { seq: '1:3' }, 'add', ['\\Seen'], { unchangedSince: 320162338n });
    expect(result).toEqual({
      updated: [
        { seq: 1, uid: undefined, flags: ['\\Seen'], modseq: 320162350n },
        { seq: 3, uid: undefined, flags: ['\\Seen'], modseq: 320162351n },
      ],
      modified: [2],
    });
    // Any other NO stays an error.
    await expect(store(client, { seq: '1' }, 'add', ['\\Seen'], { unchangedSince: 1n })).rejects.toBeInstanceOf(ServerError);
    await finish();
  });

  test('a plain STORE answered NO after changing some messages (Dovecot, expunged elsewhere): a StoreError carrying what was changed', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 UID STORE 4:6 +FLAGS (\\Seen)',
        'S: * 1 FETCH (UID 4 FLAGS (\\Seen))',
        'S: * 3 FETCH (UID 6 FLAGS (\\Seen))',
        'S: A2 NO Some of the messages no longer exist.',
        'C: A3 UID STORE 4 +FLAGS (\\Seen)',
        'S: A3 NO [READ-ONLY] Mailbox is read-only',
      ],
      { select: true },
    );
    const error = await store(client, '4:6', 'add', ['\\Seen']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({
      status: 'NO',
      serverText: 'Some of the messages no longer exist.',
      updated: [
        { seq: 1, uid: 4, flags: ['\\Seen'], modseq: undefined },
        { seq: 3, uid: 6, flags: ['\\Seen'], modseq: undefined },
      ],
      modified: [],
    });
    // Refused outright: nothing was changed.
    await expect(store(client, '4', 'add', ['\\Seen'])).rejects.toMatchObject({ name: 'StoreError', responseCode: 'READ-ONLY', updated: [] });
    await finish();
  });

  test('a STORE aborted after some FETCH updates: a StoreInterruptedError (code ABORTED) carrying them; later updates become events', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 UID STORE 4:6 +FLAGS (\\Seen)',
        'S: * 1 FETCH (UID 4 FLAGS (\\Seen))',
        'S: * OK still storing',
        'C: A3 NOOP',
        'S: * 3 FETCH (UID 6 FLAGS (\\Seen))',
        'S: A2 OK done',
        'S: A3 OK done',
      ],
      { select: true },
    );
    const events = client.events();
    const controller = new AbortController();
    const storing = store(client, '4:6', 'add', ['\\Seen'], { signal: controller.signal });
    // The untagged OK is read after the first FETCH: once it is an event, that FETCH was taken.
    expect((await events.next()).value).toMatchObject({ kind: 'status', text: 'still storing' });
    controller.abort();
    const error = await storing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreInterruptedError);
    expect(error).toMatchObject({ code: 'ABORTED', updated: [{ seq: 1, uid: 4, flags: ['\\Seen'], modseq: undefined }], modified: [] });
    expect((error as Error).cause).toBeInstanceOf(AbortError);
    // The connection stays usable; an update read after the call ended is an event, not lost.
    await client.noop();
    expect((await events.next()).value).toMatchObject({ kind: 'fetch', seq: 3, uid: 6, flags: ['\\Seen'] });
    await finish();
  });

  test('a STORE whose connection drops after some FETCH updates: a StoreInterruptedError (code CONNECTION_CLOSED) carrying them', async () => {
    const { client, server, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 STORE 1:3 +FLAGS (\\Seen)',
        'S: * 1 FETCH (FLAGS (\\Seen))',
        'S: * 2 FETCH (FLAGS (\\Seen))',
        'S: * OK still storing',
      ],
      { select: true },
    );
    const events = client.events();
    const storing = store(client, { seq: '1:3' }, 'add', ['\\Seen']);
    expect((await events.next()).value).toMatchObject({ kind: 'status', text: 'still storing' });
    await server.close();
    const error = await storing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreInterruptedError);
    expect(error).toMatchObject({ code: 'CONNECTION_CLOSED', updated: [{ seq: 1 }, { seq: 2 }] });
    expect((error as Error).cause).toBeInstanceOf(ConnectionClosedError);
    await finish();
  });

  test('UNCHANGEDSINCE without CONDSTORE and bad flags are refused before sending', async () => {
    const { client, server, finish } = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const before = server.received();
    await expect(store(client, uid(1), 'add', ['\\Seen'], { unchangedSince: 1n })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(store(client, uid(1), 'add', ['bad flag'])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store(client, uid(1), 'add', ['\\Seen\r\nA9 EXPUNGE'])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store(client, uid(1), 'add', [])).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();
    expect(server.received()).toBe(before);
  });

  test('an operation other than add, remove or set is refused before sending, not sent as FLAGS (which replaces every flag)', async () => {
    const { client, server, finish } = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const before = server.received();
    for (const operation of ['ADD', 'delete', undefined, '+']) {
      await expect(store(client, uid(1), operation as unknown as StoreOperation, ['\\Seen'])).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await finish();
    expect(server.received()).toBe(before);
  });

  test('UNCHANGEDSINCE past 2^63-1 (RFC 7162 mod-sequence-value) is refused before sending', async () => {
    const { client, server, finish } = await scripted([greeting('CONDSTORE'), ...selectInbox('A1')], { select: true });
    const before = server.received();
    await expect(store(client, uid(1), 'add', ['\\Seen'], { unchangedSince: 2n ** 63n })).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();
    expect(server.received()).toBe(before);
  });
});

describe('FETCH CHANGEDSINCE and MODSEQ', () => {
  test('sends CHANGEDSINCE and the MODSEQ item with CONDSTORE (or QRESYNC, which implies it)', async () => {
    for (const capability of ['CONDSTORE', 'QRESYNC']) {
      const { client, finish } = await scripted(
        [greeting(capability), ...selectInbox('A1'), 'C: A2 UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE 5)', 'S: * 1 FETCH (UID 4 FLAGS (\\Seen) MODSEQ (9))', 'S: A2 OK done'],
        { select: true },
      );
      const found: [number | undefined, bigint | undefined][] = [];
      for await (const message of client.fetch('1:*', { flags: true, modseq: true }, { changedSince: 5n })) found.push([message.uid, message.attributes.modseq]);
      expect(found).toEqual([[4, 9n]]);
      await finish();
    }
  });

  test('a mod-sequence outside 1..2^63-1 (nz-mod-sequence, RFC 7162) and a server without CONDSTORE are refused before sending', async () => {
    const { client, server, finish } = await scripted([greeting('CONDSTORE'), ...selectInbox('A1')], { select: true });
    const before = server.received();
    for (const changedSince of [0n, -1n, 2n ** 63n]) {
      expect(() => client.fetch('1:*', { flags: true }, { changedSince }), String(changedSince)).toThrow(InvalidArgumentError);
    }
    await finish();
    expect(server.received()).toBe(before);
    const plain = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const sent = plain.server.received();
    expect(() => plain.client.fetch('1:*', { flags: true }, { changedSince: 5n })).toThrow(UnsupportedError);
    await plain.finish();
    expect(plain.server.received()).toBe(sent);
  });

  test('without CONDSTORE the MODSEQ item is refused with UnsupportedError before sending (the server would answer BAD)', async () => {
    const { client, server, finish } = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const before = server.received();
    expect(() => client.fetch('1:*', { flags: true, modseq: true })).toThrow(UnsupportedError);
    expect(() => client.fetch('1:*', { flags: true, modseq: true })).toThrow(/CONDSTORE/);
    await expect(client.fetchOne(uid(1), { modseq: true })).rejects.toBeInstanceOf(UnsupportedError);
    await finish();
    expect(server.received()).toBe(before);
  });
});

describe('COPY', () => {
  test('UID COPY reads COPYUID into a source -> destination map', async () => {
    const { client, finish } = await scripted(
      [greeting('UIDPLUS'), ...selectInbox('A1'), 'C: A2 UID COPY 304,319:320 Archive', 'S: A2 OK [COPYUID 38505 304,319:320 3956:3958] Done'],
      { select: true },
    );
    const result = await copy(client, [uid(304), uid(319), uid(320)], 'Archive');
    expect(result.uidValidity).toBe(38505);
    expect([...result.uidMap]).toEqual([[304, 3956], [319, 3957], [320, 3958]]);
    await finish();
  });

  test('COPYUID: the two sets correspond in the order sent, a range sent descending included (RFC 4315 section 3)', async () => {
    expect([...readCopyUid({ kind: 'COPYUID', uidValidity: 1, sourceUids: [{ start: 5, end: 3 }], destinationUids: [{ start: 10, end: 12 }] })!.uidMap]).toEqual([[5, 10], [4, 11], [3, 12]]);
    const { client, finish } = await scripted(
      [greeting('UIDPLUS'), ...selectInbox('A1'), 'C: A2 UID COPY 3:5,8 Archive', 'S: A2 OK [COPYUID 7 8,5:3 20,23:21] Done'],
      { select: true },
    );
    const result = await copy(client, '3:5,8', 'Archive');
    expect([...result.uidMap]).toEqual([[8, 20], [5, 23], [4, 22], [3, 21]]);
    await finish();
  });

  test('NO [TRYCREATE] is a ServerError with the code; no COPYUID gives an empty map', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 UID COPY 1 Nowhere',
        'S: A2 NO [TRYCREATE] Mailbox does not exist',
        'C: A3 COPY 1 Somewhere',
        'S: A3 OK Copy completed',
        'C: A4 COPY 2 Somewhere',
        'S: A4 OK Copy completed',
      ],
      { select: true },
    );
    const error = await copy(client, uid(1), 'Nowhere').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ responseCode: 'TRYCREATE', command: 'UID COPY' });
    const first = await copy(client, { seq: seqNum(1) }, 'Somewhere');
    expect(first).toEqual({ uidValidity: null, uidMap: new Map() });
    // Each result is the caller's: a map changed by one caller is not the next result's.
    (first.uidMap as Map<Uid, Uid>).set(uid(1), uid(2));
    expect((await copy(client, { seq: seqNum(2) }, 'Somewhere')).uidMap.size).toBe(0);
    await finish();
  });

  test('readCopyUid refuses a map whose sides differ in length and ignores one that is absurdly large', () => {
    expect(() => readCopyUid({ kind: 'COPYUID', uidValidity: 1, sourceUids: [{ start: 1, end: 2 }], destinationUids: [{ start: 5, end: 5 }] })).toThrow(ProtocolError);
    expect(readCopyUid({ kind: 'COPYUID', uidValidity: 1, sourceUids: [{ start: 1, end: 4294967295 }], destinationUids: [{ start: 1, end: 4294967295 }] })).toBeNull();
    expect(readCopyUid(null)).toBeNull();
  });
});

/** An emulated move of UIDs 7 and 9 to Archive, up to `copyAnswer`, the tagged answer to its UID COPY. */
function emulatedMoveOf7And9(copyAnswer: string): Parameters<typeof scripted>[0] {
  return [greeting('UIDPLUS'), ...selectInbox('A1', 5), 'C: A2 UID SEARCH UID 7,9', 'S: * SEARCH 7 9', 'S: A2 OK done', 'C: A3 UID COPY 7,9 Archive', copyAnswer];
}

describe('COPYUID whose two sets differ in size', () => {
  // RFC 4315 section 3: the sets correspond UID for UID. When they do not, which copy is which is
  // unknown, and so is which messages were copied: the call fails rather than guess.
  test('fails UID COPY with a ProtocolError', async () => {
    const { client, finish } = await scripted(
      [greeting('UIDPLUS'), ...selectInbox('A1'), 'C: A2 UID COPY 304:306 Archive', 'S: A2 OK [COPYUID 38505 304:306 3956:3957] Done'],
      { select: true },
    );
    await expect(copy(client, SequenceSet.uids([uid(304), uid(305), uid(306)]), 'Archive')).rejects.toBeInstanceOf(ProtocolError);
    await finish();
  });

  test('fails UID MOVE with a ProtocolError, from the untagged OK', async () => {
    const { client, finish } = await scripted(
      [greeting('MOVE UIDPLUS'), ...selectInbox('A1', 5), 'C: A2 UID MOVE 42:43 Trash', 'S: * OK [COPYUID 432432 42:43 11] Moved', 'S: * 2 EXPUNGE', 'S: * 2 EXPUNGE', 'S: A2 OK done'],
      { select: true },
    );
    await expect(move(client, SequenceSet.uids([uid(42), uid(43)]), 'Trash')).rejects.toBeInstanceOf(ProtocolError);
    await finish();
  });

  // The same when the COPYUID cannot be read at all.
  test.each(['7,9 20', '7,x 20:21'])('stops an emulated move before it deletes anything (COPYUID 77 %s)', async (sets) => {
    const { client, server, finish } = await scripted(emulatedMoveOf7And9(`S: A3 OK [COPYUID 77 ${sets}] Copied`), { select: true });
    await expect(move(client, [uid(7), uid(9)], 'Archive')).rejects.toBeInstanceOf(ProtocolError);
    await finish();
    expect(server.received()).not.toContain('STORE');
  });
});

describe('COPYUID that cannot be read', () => {
  test('UID COPY: a ProtocolError saying the copies were made, not an empty map', async () => {
    const { client, finish } = await scripted(
      [greeting('UIDPLUS'), ...selectInbox('A1'), 'C: A2 UID COPY 304 Archive', 'S: A2 OK [COPYUID 38505 304 3y56] Done'],
      { select: true },
    );
    await expect(copy(client, uid(304), 'Archive')).rejects.toThrow(/copied.*COPYUID 38505 304 3y56/);
    await finish();
  });
});

describe('MOVE', () => {
  test('UID MOVE: untagged COPYUID, then the expunges, all taken by the command', async () => {
    const { client, finish } = await scripted(
      [
        greeting('MOVE UIDPLUS'),
        ...selectInbox('A1', 5),
        'C: A2 UID MOVE 42:43 Trash',
        'S: * OK [COPYUID 432432 42:43 11:12] Moved UIDs.',
        'S: * 2 EXPUNGE',
        'S: * 2 EXPUNGE',
        'S: A2 OK Move completed',
      ],
      { select: true },
    );
    const events = client.events();
    const result = await move(client, SequenceSet.uids([uid(42), uid(43)]), 'Trash');
    expect(result).toMatchObject({ uidValidity: 432432, expungedSeqs: [2, 2], expungedUids: [], emulated: false });
    expect([...result.uidMap]).toEqual([[42, 11], [43, 12]]);
    expect(client.mailbox?.exists).toBe(3);
    // Nothing was left for the event stream.
    const next = events.next();
    const marker = Symbol('none');
    expect(await Promise.race([next, new Promise((resolve) => setTimeout(() => { resolve(marker); }, 50))])).toBe(marker);
    await finish();
  });

  test('UID MOVE whose untagged COPYUID cannot be read: a ProtocolError saying the map is lost, not an empty map', async () => {
    const { client, finish } = await scripted(
      [
        greeting('MOVE UIDPLUS'),
        ...selectInbox('A1', 5),
        'C: A2 UID MOVE 42:43 Trash',
        'S: * OK [COPYUID 432432 42:x 11:12] Moved UIDs.',
        'S: * 2 EXPUNGE',
        'S: * 2 EXPUNGE',
        'S: A2 OK Move completed',
        'C: A3 UID MOVE 44 Trash',
        // The same, with the map in the tagged OK: nothing is lost.
        'S: * OK [COPYUID 432432 4?4 13] Moved UIDs.',
        'S: * 2 EXPUNGE',
        'S: A3 OK [COPYUID 432432 44 13] Move completed',
        'C: A4 NOOP',
        'S: * 1 EXPUNGE',
        'S: A4 OK done',
      ],
      { select: true },
    );
    const events = client.events();
    const error = await move(client, SequenceSet.uids([uid(42), uid(43)]), 'Trash').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/moved.*COPYUID/i);
    // The expunges were the command's all the same: the mailbox count stays right.
    expect(client.mailbox?.exists).toBe(3);
    const moved = await move(client, uid(44), 'Trash');
    expect([...moved.uidMap]).toEqual([[44, 13]]);
    // Neither unreadable OK was left for the event stream: the first event is the NOOP's.
    await client.noop();
    expect((await events.next()).value).toEqual({ kind: 'expunge', seq: 1, mailbox: 'INBOX' });
    await finish();
  });

  test('UID MOVE under QRESYNC reports VANISHED UIDs', async () => {
    const { client, finish } = await scripted(
      [greeting('MOVE'), ...selectInbox('A1', 5), 'C: A2 UID MOVE 1:3 Junk', 'S: * VANISHED 1:3', 'S: A2 OK [COPYUID 9 1:3 100:102] done'],
      { select: true },
    );
    const result = await move(client, '1:3', 'Junk');
    expect(result.expungedUids).toEqual([1, 2, 3]);
    expect(result.uidMap.get(uid(3))).toBe(102);
    await finish();
  });

  test('without MOVE but with UIDPLUS: UID COPY, UID STORE +FLAGS.SILENT \\Deleted, UID EXPUNGE', async () => {
    const { client, finish } = await scripted(
      [
        ...emulatedMoveOf7And9('S: A3 OK [COPYUID 77 7,9 20:21] Copied'),
        'C: A4 UID STORE 7,9 +FLAGS.SILENT (\\Deleted)',
        'S: A4 OK Stored',
        'C: A5 UID EXPUNGE 7,9',
        'S: * 3 EXPUNGE',
        'S: * 4 EXPUNGE',
        'S: A5 OK Expunged',
      ],
      { select: true },
    );
    const result = await move(client, [uid(7), uid(9)], 'Archive');
    expect(result).toMatchObject({ emulated: true, uidValidity: 77, expungedSeqs: [3, 4] });
    expect([...result.uidMap]).toEqual([[7, 20], [9, 21]]);
    await finish();
  });

  test('the fallback deletes only what it copied: mail arriving meanwhile, or gone before the copy, is left alone', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 5),
        // `5:*` is pinned to the UIDs there are now, before anything is copied...
        'C: A2 UID SEARCH UID 5:*',
        'S: * SEARCH 5 6 7',
        'S: A2 OK done',
        'C: A3 UID COPY 5:7 Archive',
        // ...another session expunged UID 6 before the copy, and a message (UID 8) arrives.
        'S: * 6 EXISTS',
        'S: A3 OK [COPYUID 90 5,7 100:101] Copied',
        'C: A4 UID STORE 5,7 +FLAGS.SILENT (\\Deleted)',
        'S: A4 OK Stored',
        'C: A5 UID EXPUNGE 5,7',
        'S: * 3 EXPUNGE',
        'S: * 4 EXPUNGE',
        'S: A5 OK Expunged',
      ],
      { select: true },
    );
    const result = await move(client, '5:*', 'Archive');
    expect(result).toMatchObject({ emulated: true, uidValidity: 90, expungedSeqs: [3, 4] });
    expect([...result.uidMap]).toEqual([[5, 100], [7, 101]]);
    await finish();
  });

  test('the fallback never deletes a UID it was not asked to move, whatever COPYUID names', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 5),
        'C: A2 UID SEARCH UID 7',
        'S: * SEARCH 7',
        'S: A2 OK done',
        'C: A3 UID COPY 7 Archive',
        'S: A3 OK [COPYUID 77 7:9 20:22] Copied',
        'C: A4 UID STORE 7 +FLAGS.SILENT (\\Deleted)',
        'S: A4 OK',
        'C: A5 UID EXPUNGE 7',
        'S: * 3 EXPUNGE',
        'S: A5 OK',
      ],
      { select: true },
    );
    expect(await move(client, uid(7), 'Archive')).toMatchObject({ emulated: true, expungedSeqs: [3] });
    await finish();
  });

  test('the fallback sends nothing more when the set names no message', async () => {
    const { client, finish } = await scripted(
      [greeting('UIDPLUS'), ...selectInbox('A1', 5), 'C: A2 UID SEARCH UID 50:60', 'S: * SEARCH', 'S: A2 OK done'],
      { select: true },
    );
    expect(await move(client, '50:60', 'Archive')).toMatchObject({ emulated: true, uidValidity: null, expungedSeqs: [], expungedUids: [] });
    await finish();
  });

  test('UID MOVE: a VANISHED range past 10,000,000 UIDs is reported by its ends, not expanded', async () => {
    const { client, finish } = await scripted(
      [greeting('MOVE'), ...selectInbox('A1', 5), 'C: A2 UID MOVE 1:* Junk', 'S: * VANISHED 1:4294967295', 'S: * VANISHED 7', 'S: A2 OK done'],
      { select: true },
    );
    const result = await move(client, '1:*', 'Junk');
    expect(result.expungedUids).toEqual([1, 4294967295, 7]);
    await finish();
  });

  test('the fallback resolves sequence numbers to UIDs first', async () => {
    const { client, finish } = await scripted(
      [
        greeting('UIDPLUS'),
        ...selectInbox('A1', 5),
        'C: A2 UID SEARCH 2:3',
        'S: * SEARCH 12 13',
        'S: A2 OK done',
        'C: A3 UID COPY 12:13 Archive',
        'S: A3 OK done',
        'C: A4 UID STORE 12:13 +FLAGS.SILENT (\\Deleted)',
        'S: A4 OK done',
        'C: A5 UID EXPUNGE 12:13',
        'S: * 2 EXPUNGE',
        'S: * 2 EXPUNGE',
        'S: A5 OK done',
      ],
      { select: true },
    );
    const result = await move(client, { seq: '2:3' }, 'Archive');
    expect(result).toMatchObject({ emulated: true, uidValidity: null, expungedSeqs: [2, 2] });
    await finish();
  });

  test('neither MOVE nor UIDPLUS: UnsupportedError before anything is sent', async () => {
    const { client, server, finish } = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const before = server.received();
    await expect(move(client, uid(1), 'Trash')).rejects.toBeInstanceOf(UnsupportedError);
    await finish();
    expect(server.received()).toBe(before);
  });

  test('MOVE refused with [TRYCREATE] is a ServerError with the code', async () => {
    const { client, finish } = await scripted(
      [greeting('MOVE'), ...selectInbox('A1'), 'C: A2 UID MOVE 1 Gone', 'S: A2 NO [TRYCREATE] No such mailbox'],
      { select: true },
    );
    await expect(move(client, uid(1), 'Gone')).rejects.toMatchObject({ responseCode: 'TRYCREATE' });
    await finish();
  });
});

describe('EXPUNGE', () => {
  test('EXPUNGE returns the sequence numbers, in order, and HIGHESTMODSEQ', async () => {
    const { client, finish } = await scripted(
      [greeting('CONDSTORE'), ...selectInbox('A1', 11), 'C: A2 EXPUNGE', 'S: * 3 EXPUNGE', 'S: * 3 EXPUNGE', 'S: * 5 EXPUNGE', 'S: * 8 EXPUNGE', 'S: A2 OK [HIGHESTMODSEQ 20010715194045319] done'],
      { select: true },
    );
    expect(await expunge(client)).toEqual({ seqs: [3, 3, 5, 8], uids: [], highestModseq: 20010715194045319n });
    expect(client.mailbox?.exists).toBe(7);
    await finish();
  });

  test('the HIGHESTMODSEQ of the tagged OK becomes the selected mailbox\'s (RFC 7162 section 3.2.10)', async () => {
    const { client, finish } = await scripted(
      [
        greeting('CONDSTORE'),
        'C: A1 SELECT INBOX',
        'S: * 4 EXISTS',
        'S: * OK [UIDVALIDITY 1700000000] UIDs valid',
        'S: * OK [HIGHESTMODSEQ 715194045007] Highest',
        'S: A1 OK [READ-WRITE] Select completed',
        'C: A2 EXPUNGE',
        'S: * 3 EXPUNGE',
        'S: A2 OK [HIGHESTMODSEQ 715194045320] done',
      ],
      { select: true },
    );
    expect(client.mailbox?.highestModseq).toBe(715194045007n);
    expect((await expunge(client)).highestModseq).toBe(715194045320n);
    expect(client.mailbox?.highestModseq).toBe(715194045320n);
    await finish();
  });

  test('[HIGHESTMODSEQ 0] in the tagged OK (no mod-sequences, like NOMODSEQ) is reported as undefined', async () => {
    const { client, finish } = await scripted(
      [greeting('CONDSTORE'), ...selectInbox('A1', 2), 'C: A2 EXPUNGE', 'S: * 1 EXPUNGE', 'S: A2 OK [HIGHESTMODSEQ 0] done'],
      { select: true },
    );
    expect(await expunge(client)).toEqual({ seqs: [1], uids: [], highestModseq: undefined });
    await finish();
  });

  test('UID EXPUNGE (UIDPLUS) with VANISHED answers', async () => {
    const { client, finish } = await scripted(
      [greeting('UIDPLUS'), ...selectInbox('A1', 11), 'C: A2 UID EXPUNGE 3000:3002', 'S: * VANISHED 3000:3001', 'S: * VANISHED (EARLIER) 5', 'S: A2 OK done'],
      { select: true },
    );
    const events = client.events();
    expect(await uidExpunge(client, '3000:3002')).toEqual({ seqs: [], uids: [3000, 3001], highestModseq: undefined });
    expect((await events.next()).value).toMatchObject({ kind: 'vanished', earlier: true });
    await finish();
  });

  test('UID EXPUNGE without UIDPLUS, or with sequence numbers, is refused', async () => {
    const { client, server, finish } = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const before = server.received();
    await expect(uidExpunge(client, uid(1))).rejects.toBeInstanceOf(UnsupportedError);
    await expect(uidExpunge(client, { seq: seqNum(1) })).rejects.toBeInstanceOf(UnsupportedError);
    // A bad set is a rejection too, never a throw from the call itself.
    const empty = uidExpunge(client, []);
    await expect(empty).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();
    expect(server.received()).toBe(before);
  });

  test('EXPUNGE in a read-only mailbox: ServerError', async () => {
    const { client, finish } = await scripted(
      [greeting(''), ...selectInbox('A1'), 'C: A2 EXPUNGE', 'S: A2 NO [READ-ONLY] Mailbox is read-only'],
      { select: true },
    );
    await expect(expunge(client)).rejects.toMatchObject({ status: 'NO', responseCode: 'READ-ONLY' });
    await finish();
  });
});
