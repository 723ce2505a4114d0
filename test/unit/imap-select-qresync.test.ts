// SELECT / EXAMINE with the QRESYNC parameter (RFC 7162 section 3.2.5): ENABLE QRESYNC first when
// needed, the parameter on the wire, and the VANISHED (EARLIER) and FETCH answers collected by the
// command rather than emitted as live events.
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError, UnsupportedError } from '../../src/common/errors.js';
import type { ImapClient } from '../../src/imap/client.js';
import type { MailboxEvent } from '../../src/imap/session.js';
import { SequenceSet, seqNum, uid } from '../../src/imap/wire/sequence-set.js';
import { C, S, login, sleep, useImapHarness } from './imap/fake-server.js';

const harness = useImapHarness();
const CAPABILITIES = 'IMAP4rev1 LITERAL+ ENABLE CONDSTORE QRESYNC UNSELECT';

/** Every event the client emits from now on. */
function eventsOf(client: ImapClient): MailboxEvent[] {
  const events: MailboxEvent[] = [];
  void (async () => {
    for await (const event of client.events()) events.push(event);
  })().catch(() => undefined);
  return events;
}

/** The untagged part of a QRESYNC SELECT answer before its changes. */
function selected(uidValidity: number, exists: number, highestModseq: number): string[] {
  return [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.',
    `* ${exists} EXISTS`,
    `* OK [UIDVALIDITY ${uidValidity}] UIDs valid`,
    `* OK [UIDNEXT ${exists + 10}] Predicted next UID`,
    `* OK [HIGHESTMODSEQ ${highestModseq}] Highest`,
  ];
}

describe('SELECT with QRESYNC', () => {
  test('enables QRESYNC, sends the parameter, collects VANISHED (EARLIER) and FETCH; none reach the event stream', async () => {
    const server = await harness.serve([
      ...login(CAPABILITIES),
      C('A2 ENABLE QRESYNC'),
      S('* ENABLED QRESYNC', 'A2 OK Enabled'),
      C('A3 SELECT INBOX (QRESYNC (1700000000 42 1:10 (1:2 5,9)))'),
      S(
        ...selected(1700000000, 5, 50),
        '* VANISHED (EARLIER) 3:4,7',
        '* 2 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (45))',
        '* 4 FETCH (UID 9 FLAGS () MODSEQ (49))',
        '* VANISHED (EARLIER) 10',
        'A3 OK [READ-WRITE] Select completed',
      ),
      C('A4 NOOP'),
      S('* 3 FETCH (UID 6 FLAGS (\\Flagged) MODSEQ (51))', 'A4 OK done'),
    ]);
    const client = await harness.connect(server);
    const events = eventsOf(client);
    const inbox = await client.select('INBOX', {
      qresync: {
        uidValidity: 1700000000,
        modseq: 42n,
        knownUids: [{ start: uid(1), end: uid(10) }],
        sequenceMatch: { seqNums: [seqNum(1), seqNum(2)], uids: SequenceSet.uids([uid(5), uid(9)]) },
      },
    });
    expect(client.enabled.has('QRESYNC')).toBe(true);
    expect(inbox).toMatchObject({ name: 'INBOX', exists: 5, uidValidity: 1700000000, highestModseq: 50n, readOnly: false });
    expect(inbox.qresync?.uidValidityChanged).toBe(false);
    expect(inbox.qresync?.vanished?.toString()).toBe('3:4,7,10');
    expect(inbox.qresync?.changed).toEqual([
      { seq: 2, uid: 5, flags: ['\\Seen'], modseq: 45n },
      { seq: 4, uid: 9, flags: [], modseq: 49n },
    ]);
    // A change after the SELECT is a live event again.
    await client.noop();
    await server.done;
    await sleep(10); // let the subscriber read what was emitted
    expect(events.filter((event) => event.kind === 'vanished')).toEqual([]);
    expect(events.filter((event) => event.kind === 'fetch').map((event) => event.uid)).toEqual([6]);
  });

  test('collects a VANISHED (EARLIER) of 140,000 ranges (a spread of them overflowed the stack)', async () => {
    const odd = Array.from({ length: 140_000 }, (_, index) => 2 * index + 1);
    const server = await harness.serve([
      ...login(CAPABILITIES),
      C('A2 ENABLE QRESYNC'),
      S('* ENABLED QRESYNC', 'A2 OK Enabled'),
      C('A3 SELECT INBOX (QRESYNC (1700000000 42))'),
      S(...selected(1700000000, 5, 50), `* VANISHED (EARLIER) ${odd.join(',')}`, 'A3 OK [READ-WRITE] Select completed'),
    ]);
    const client = await harness.connect(server);
    const inbox = await client.select('INBOX', { qresync: { uidValidity: 1700000000, modseq: 42n } });
    await server.done;
    expect(inbox.qresync?.vanished?.ranges.length).toBe(140_000);
    expect(inbox.qresync?.vanished?.has(uid(279_999))).toBe(true);
    expect(client.state).toBe('selected');
  });

  test('already enabled: no second ENABLE; EXAMINE; a new UIDVALIDITY is reported, with nothing else', async () => {
    const server = await harness.serve([
      ...login(CAPABILITIES),
      C('A2 ENABLE QRESYNC CONDSTORE'),
      S('* ENABLED QRESYNC CONDSTORE', 'A2 OK Enabled'),
      C('A3 EXAMINE Archive (QRESYNC (1700000000 42))'),
      S(...selected(1800000000, 2, 7), 'A3 OK [READ-ONLY] Examine completed'),
    ]);
    const client = await harness.connect(server);
    await client.enable(['QRESYNC', 'CONDSTORE']);
    const archive = await client.examine('Archive', { qresync: { uidValidity: 1700000000, modseq: 42n, knownUids: [] } });
    expect(archive.readOnly).toBe(true);
    expect(archive.uidValidity).toBe(1800000000);
    expect(archive.qresync).toEqual({ uidValidityChanged: true, vanished: undefined, changed: [] });
    await server.done;
  });

  test('enabling QRESYNC enables CONDSTORE too (RFC 7162 section 3.2.3), though the server names only QRESYNC', async () => {
    const server = await harness.serve([...login(CAPABILITIES), C('A2 ENABLE QRESYNC'), S('* ENABLED QRESYNC', 'A2 OK Enabled')]);
    const client = await harness.connect(server);
    expect(await client.enable(['QRESYNC'])).toEqual(['QRESYNC']);
    expect([...client.enabled].sort()).toEqual(['CONDSTORE', 'QRESYNC']);
    await server.done;
  });

  test('without the option the result has no report, and CONDSTORE alone still works', async () => {
    const server = await harness.serve([
      ...login(CAPABILITIES),
      C('A2 SELECT INBOX (CONDSTORE)'),
      S(...selected(1700000000, 1, 3), 'A2 OK [READ-WRITE] done'),
    ]);
    const client = await harness.connect(server);
    const inbox = await client.select('INBOX', { condstore: true });
    expect(inbox.qresync).toBeUndefined();
    expect(inbox.highestModseq).toBe(3n);
    await server.done;
  });

  test('[HIGHESTMODSEQ 0] (no mod-sequences, like NOMODSEQ) leaves highestModseq undefined, at SELECT and later', async () => {
    const server = await harness.serve([
      ...login(CAPABILITIES),
      C('A2 SELECT INBOX (CONDSTORE)'),
      S(...selected(1700000000, 1, 0), 'A2 OK [READ-WRITE] done'),
      C('A3 NOOP'),
      S('* OK [HIGHESTMODSEQ 9] Highest', 'A3 OK done'),
      C('A4 NOOP'),
      S('* OK [HIGHESTMODSEQ 0] Highest', 'A4 OK done'),
    ]);
    const client = await harness.connect(server);
    const inbox = await client.select('INBOX', { condstore: true });
    expect(inbox.highestModseq).toBeUndefined();
    expect(client.mailbox?.highestModseq).toBeUndefined();
    await client.noop();
    expect(client.mailbox?.highestModseq).toBe(9n);
    await client.noop();
    expect(client.mailbox?.highestModseq).toBeUndefined();
    await server.done;
  });

  test('`condstore` without CONDSTORE (or QRESYNC) is refused with UnsupportedError before sending (the server would answer BAD)', async () => {
    const server = await harness.serve([...login('IMAP4rev1 LITERAL+ ENABLE UNSELECT')]);
    const client = await harness.connect(server);
    await expect(client.select('INBOX', { condstore: true })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(client.examine('INBOX', { condstore: true })).rejects.toThrow(/CONDSTORE/);
    await server.done;
    expect(server.received).toEqual(['A1 LOGIN alice secret']);
  });

  test('switching mailboxes: a FETCH before [CLOSED] is about the old mailbox and stays a live event', async () => {
    const server = await harness.serve([
      ...login(CAPABILITIES),
      C('A2 ENABLE QRESYNC'),
      S('* ENABLED QRESYNC', 'A2 OK Enabled'),
      C('A3 SELECT INBOX'),
      S(...selected(1700000000, 3, 10), 'A3 OK [READ-WRITE] done'),
      C('A4 SELECT Archive (QRESYNC (1900000000 5))'),
      S(
        '* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (11))',
        '* OK [CLOSED] Previous mailbox closed',
        ...selected(1900000000, 4, 9),
        '* 2 FETCH (UID 2 FLAGS (\\Answered) MODSEQ (8))',
        'A4 OK [READ-WRITE] done',
      ),
    ]);
    const client = await harness.connect(server);
    await client.enable(['QRESYNC']);
    await client.select('INBOX');
    const events = eventsOf(client);
    const archive = await client.select('Archive', { qresync: { uidValidity: 1900000000, modseq: 5n } });
    expect(archive.qresync?.changed).toEqual([{ seq: 2, uid: 2, flags: ['\\Answered'], modseq: 8n }]);
    expect(archive.qresync?.vanished).toBeUndefined();
    await sleep(10);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'fetch', uid: 1 }));
    await server.done;
  });

  test('QRESYNC not yet enabled while a mailbox is selected: UNSELECT, ENABLE, then SELECT', async () => {
    const server = await harness.serve([
      ...login(CAPABILITIES),
      C('A2 SELECT INBOX'),
      S(...selected(1700000000, 3, 10), 'A2 OK [READ-WRITE] done'),
      C('A3 UNSELECT'),
      S('A3 OK Unselected'),
      C('A4 ENABLE QRESYNC'),
      S('* ENABLED QRESYNC', 'A4 OK Enabled'),
      C('A5 SELECT Archive (QRESYNC (1900000000 5))'),
      S(...selected(1900000000, 4, 9), '* VANISHED (EARLIER) 41', 'A5 OK [READ-WRITE] done'),
    ]);
    const client = await harness.connect(server);
    await client.select('INBOX');
    const archive = await client.select('Archive', { qresync: { uidValidity: 1900000000, modseq: 5n } });
    expect([...(archive.qresync?.vanished?.values() ?? [])]).toEqual([41]);
    expect(client.state).toBe('selected');
    await server.done;
  });

  test('typed refusals: no QRESYNC capability, no UNSELECT while selected, ENABLE that does not enable it', async () => {
    const withoutQresync = await harness.serve([...login('IMAP4rev1 ENABLE CONDSTORE')]);
    const plain = await harness.connect(withoutQresync);
    await expect(plain.select('INBOX', { qresync: { uidValidity: 1, modseq: 1n } })).rejects.toBeInstanceOf(UnsupportedError);
    await withoutQresync.done;
    expect(withoutQresync.received).toEqual(['A1 LOGIN alice secret']);

    const withoutUnselect = await harness.serve([
      ...login('IMAP4rev1 ENABLE CONDSTORE QRESYNC'),
      C('A2 SELECT INBOX'),
      S(...selected(1700000000, 3, 10), 'A2 OK [READ-WRITE] done'),
    ]);
    const selectedClient = await harness.connect(withoutUnselect);
    await selectedClient.select('INBOX');
    const error = await selectedClient.select('INBOX', { qresync: { uidValidity: 1700000000, modseq: 1n } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain("enable(['QRESYNC'])");
    await withoutUnselect.done;

    const refusing = await harness.serve([...login(CAPABILITIES), C('A2 ENABLE QRESYNC'), S('* ENABLED', 'A2 OK Nothing enabled')]);
    const refused = await harness.connect(refusing);
    await expect(refused.select('INBOX', { qresync: { uidValidity: 1, modseq: 1n } })).rejects.toThrow('did not enable QRESYNC');
    await refusing.done;
  });

  test('invalid parameters are refused before anything is sent', async () => {
    const server = await harness.serve([...login(CAPABILITIES)]);
    const client = await harness.connect(server);
    const invalid = [
      { uidValidity: 0, modseq: 1n },
      { uidValidity: 2 ** 32, modseq: 1n },
      { uidValidity: 1, modseq: 0n },
      { uidValidity: 1, modseq: 2n ** 63n },
      { uidValidity: 1, modseq: 1n, knownUids: '1:*' },
      { uidValidity: 1, modseq: 1n, knownUids: 'x' },
      { uidValidity: 1, modseq: 1n, sequenceMatch: { seqNums: '1:*', uids: '1:5' } },
      { uidValidity: 1, modseq: 1n, sequenceMatch: { seqNums: '1', uids: [{ start: uid(4), end: '*' as const }] } },
    ];
    for (const qresync of invalid) {
      await expect(client.select('INBOX', { qresync }), JSON.stringify(qresync, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value))).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    await server.done;
    expect(server.received).toEqual(['A1 LOGIN alice secret']);
  });

  test('a mailbox name that is empty or holds CR, LF or NUL is refused before anything is sent, by SELECT and EXAMINE', async () => {
    const server = await harness.serve([...login(CAPABILITIES)]);
    const client = await harness.connect(server);
    for (const name of ['', 'Foo\r\nA9 DELETE INBOX', 'Foo\nBar', 'Foo\u0000Bar']) {
      await expect(client.select(name)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.examine(name)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await server.done;
    expect(server.received).toEqual(['A1 LOGIN alice secret']);
  });
});
