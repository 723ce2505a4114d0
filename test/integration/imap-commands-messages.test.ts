// The message command families against the project's Dovecot, over STARTTLS and implicit TLS:
// APPEND (bytes and streams, APPENDUID, TRYCREATE), SEARCH / UID SEARCH / ESEARCH with non-ASCII
// text, STORE (CONDSTORE too), COPY and MOVE with COPYUID (and the MOVE fallback), EXPUNGE and UID
// EXPUNGE; and two connections at once: flags, expunges and appends seen by the other one.
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { ServerError } from '../../src/common/errors.js';
import { ImapClient, type ImapClientOptions } from '../../src/imap/client.js';
import { append } from '../../src/imap/commands/append.js';
import { copy, move } from '../../src/imap/commands/copy-move.js';
import { expunge, uidExpunge } from '../../src/imap/commands/expunge.js';
import { search, searchSeq, searchSummary } from '../../src/imap/commands/search.js';
import { status } from '../../src/imap/commands/status.js';
import { store } from '../../src/imap/commands/store.js';
import type { ImapTlsMode, MailboxEvent } from '../../src/imap/session.js';
import { SequenceSet, uid, type Uid } from '../../src/imap/wire/sequence-set.js';
import { buildMessage, encodedWordMessages, resetUser } from '../helpers/dovecot.js';
import { imapOptions, withImapClient, withoutCapability } from '../helpers/imap.js';

const USER = 'carol';

const withClient = withImapClient;
const clientOptions = (tls: ImapTlsMode): ImapClientOptions => imapOptions(tls, USER);

async function nextEvent(events: AsyncIterator<MailboxEvent>, accept: (event: MailboxEvent) => boolean): Promise<MailboxEvent> {
  for (;;) {
    const result = await events.next();
    if (result.done === true) throw new Error('the event stream ended');
    if (accept(result.value)) return result.value;
  }
}

const message = (subject: string, body = 'body\r\n'): Buffer => Buffer.from(buildMessage({ subject, body }));

/** Appends messages and returns their UIDs (APPENDUID). */
async function seed(client: ImapClient, mailbox: string, messages: readonly (Uint8Array | string)[], flags: readonly string[] = []): Promise<Uid[]> {
  const uids: Uid[] = [];
  for (const bytes of messages) {
    const result = await append(client, mailbox, bytes, { flags });
    if (result === null) throw new Error('no APPENDUID');
    uids.push(result.uid);
  }
  return uids;
}

async function flagsOf(client: ImapClient, id: Uid): Promise<readonly string[] | undefined> {
  return (await client.fetchOne(id, { flags: true }))?.attributes.flags;
}

describe.each<ImapTlsMode>(['starttls', 'implicit'])('message commands over %s', (tls) => {
  beforeEach(async () => {
    await resetUser(USER);
  });

  it('APPEND: flags, internal date, APPENDUID, streams of unknown size, TRYCREATE', async () => {
    await withClient(tls, async (client) => {
      const bytes = message('Appended with flags');
      const date = new Date('2026-03-05T09:07:03Z');
      const result = await append(client, 'INBOX', bytes, { flags: ['\\Seen', '$Label1'], internalDate: date });
      const inbox = await status(client, 'INBOX', ['UIDVALIDITY', 'MESSAGES']);
      expect(result).toEqual({ uidValidity: inbox.uidValidity, uid: 1 });

      const chunks = [message('Streamed'), Buffer.from('more body\r\n'.repeat(2000))];
      const streamed = await append(client, 'INBOX', Readable.from(chunks));
      expect(streamed?.uid).toBe(2);

      await client.select('INBOX');
      const first = await client.fetchOne(uid(1), { flags: true, internalDate: true, size: true, source: true });
      expect(first?.attributes).toMatchObject({ flags: expect.arrayContaining(['\\Seen', '$Label1']), internalDate: date, size: bytes.length });
      expect(Buffer.from(first!.bodyBytes('') ?? new Uint8Array()).equals(bytes)).toBe(true);
      const second = await client.fetchOne(uid(2), { source: true });
      expect(Buffer.from(second!.bodyBytes('') ?? new Uint8Array()).equals(Buffer.concat(chunks))).toBe(true);

      const error = await append(client, 'Does not exist', bytes).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ status: 'NO', responseCode: 'TRYCREATE' });
    });
  });

  it('SEARCH: typed criteria, CHARSET UTF-8 for non-ASCII text, ESEARCH summaries', async () => {
    await withClient(tls, async (client) => {
      const words = encodedWordMessages(); // subjects with ü, ß, ö, é, 日本語 as RFC 2047 words
      const wordUids = await seed(client, 'INBOX', words.map((sample) => sample.bytes));
      const [flaggedUid] = await seed(client, 'INBOX', [message('Flagged one', 'x'.repeat(5000))], ['\\Flagged']);
      const [headerUid] = await seed(client, 'INBOX', [buildMessage({ subject: 'With header', body: 'b\r\n', headers: ['X-Mailwire-Tag: blue'] })]);
      await client.select('INBOX');

      const gruesse = await search(client, { subject: 'Grüße' });
      expect(gruesse.sort()).toEqual(words.flatMap((sample, index) => (sample.subject.includes('Grüße') ? [wordUids[index]!] : [])).sort());
      expect(gruesse).toHaveLength(2);
      expect(await search(client, { subject: '日本語の件名' })).toEqual([wordUids[3]]);
      expect(await search(client, { flagged: true })).toEqual([flaggedUid]);
      expect(await search(client, { larger: 4000 })).toEqual([flaggedUid]);
      expect(await search(client, { header: { 'X-Mailwire-Tag': 'blue' } })).toEqual([headerUid]);
      expect(await search(client, { or: [{ flagged: true }, { header: { 'X-Mailwire-Tag': 'blue' } }] })).toEqual([flaggedUid, headerUid]);
      expect(await search(client, { not: { flagged: true }, uid: SequenceSet.uids([{ start: flaggedUid!, end: '*' }]) })).toEqual([headerUid]);
      expect(await search(client, { since: new Date(Date.now() - 86_400_000), seen: false })).toHaveLength(6);
      expect(await search(client, { before: new Date('2000-01-01') })).toEqual([]);
      expect(await searchSeq(client, { flagged: true })).toEqual([5]);

      const summary = await searchSummary(client, { seen: false }, ['MIN', 'MAX', 'COUNT', 'ALL']);
      expect(summary).toMatchObject({ min: 1, max: 6, count: 6 });
      expect(summary.all?.toString()).toBe('1:6');
      expect(await searchSummary(client, { subject: 'no such subject' }, ['COUNT', 'MIN'])).toMatchObject({ count: 0, min: undefined });
    });
  });

  it('STORE: add, remove, replace, silent, and UNCHANGEDSINCE (CONDSTORE)', async () => {
    await withClient(tls, async (client) => {
      const uids = await seed(client, 'INBOX', [message('one'), message('two'), message('three')]);
      await client.select('INBOX', { condstore: true });
      const added = await store(client, [uids[0]!, uids[2]!], 'add', ['\\Flagged', '$Work']);
      expect(added.updated.map((update) => update.uid)).toEqual([uids[0], uids[2]]);
      for (const update of added.updated) expect(update.flags).toEqual(expect.arrayContaining(['\\Flagged', '$Work']));
      expect(added.updated[0]!.modseq).toBeTypeOf('bigint');

      const removed = await store(client, uids[0]!, 'remove', ['$Work']);
      expect(removed.updated[0]!.flags).not.toContain('$Work');
      const replaced = await store(client, { seq: 2 as never }, 'set', ['\\Answered']);
      expect(replaced.updated).toMatchObject([{ seq: 2 }]);
      expect(replaced.updated[0]!.flags?.filter((name) => name !== '\\Recent')).toEqual(['\\Answered']);
      const silent = await store(client, SequenceSet.uids([{ start: uid(1), end: '*' }]), 'add', ['\\Seen'], { silent: true });
      expect(silent.updated.filter((update) => update.flags !== undefined)).toEqual([]);
      expect(await flagsOf(client, uids[1]!)).toEqual(expect.arrayContaining(['\\Answered', '\\Seen']));

      const before = (await client.fetchOne(uids[0]!, { modseq: true }))!.attributes.modseq!;
      await store(client, uids[0]!, 'add', ['$Changed']); // moves message 1 past `before`
      const conditional = await store(client, uids, 'add', ['$Conditional'], { unchangedSince: before });
      expect(conditional.modified).toEqual([uids[0]]);
      expect(conditional.updated.map((update) => update.uid)).toEqual([uids[1], uids[2]]);
      expect(await flagsOf(client, uids[0]!)).not.toContain('$Conditional');
    });
  });

  it('COPY and MOVE with COPYUID maps, TRYCREATE, and the COPY + STORE + UID EXPUNGE fallback', async () => {
    await withClient(tls, async (client) => {
      const uids = await seed(client, 'INBOX', [message('a'), message('b'), message('c'), message('d')]);
      await client.select('INBOX');

      const copied = await copy(client, [uids[0]!, uids[1]!], 'Archive');
      const archive = await status(client, 'Archive', ['UIDVALIDITY', 'MESSAGES']);
      expect(copied.uidValidity).toBe(archive.uidValidity);
      expect([...copied.uidMap]).toEqual([[uids[0], 1], [uids[1], 2]]);
      expect(archive.messages).toBe(2);
      await expect(copy(client, uids[0]!, 'Nowhere')).rejects.toMatchObject({ responseCode: 'TRYCREATE' });

      const moved = await move(client, uids[2]!, 'Trash');
      expect(moved).toMatchObject({ emulated: false, expungedSeqs: [3] });
      expect([...moved.uidMap]).toEqual([[uids[2], 1]]);
      expect(client.mailbox?.exists).toBe(3);
      await expect(move(client, uids[0]!, 'Nowhere')).rejects.toMatchObject({ responseCode: 'TRYCREATE' });

      // The same server seen without MOVE: the fallback must give the same outcome.
      const emulated = await move(withoutCapability(client, 'MOVE'), uids[3]!, 'Trash');
      expect(emulated).toMatchObject({ emulated: true, expungedSeqs: [3] });
      expect([...emulated.uidMap]).toEqual([[uids[3], 2]]);
      expect(await search(client, {})).toEqual([uids[0], uids[1]]);
      expect((await status(client, 'Trash', ['MESSAGES'])).messages).toBe(2);
    });
  });

  it('EXPUNGE and UID EXPUNGE report what went', async () => {
    await withClient(tls, async (client) => {
      const uids = await seed(client, 'INBOX', ['1', '2', '3', '4', '5'].map((n) => message(`m${n}`)));
      await client.select('INBOX');
      await store(client, [uids[1]!, uids[2]!, uids[4]!], 'add', ['\\Deleted'], { silent: true });
      const partial = await uidExpunge(client, uids[4]!);
      expect(partial.seqs).toEqual([5]);
      expect(await search(client, { deleted: true })).toEqual([uids[1], uids[2]]);
      const rest = await expunge(client);
      // Dovecot reports the higher one first (3, then 2); ascending order would be 2, 2.
      expect([[3, 2], [2, 2]]).toContainEqual(rest.seqs);
      expect(client.mailbox?.exists).toBe(2);
      expect(await search(client, {})).toEqual([uids[0], uids[3]]);
    });
  });
});

describe('two connections at once', () => {
  beforeEach(async () => {
    await resetUser(USER);
  });

  it('a flag set on one is seen by the other; an expunge on one reaches the other', async () => {
    const actor = await ImapClient.connect(clientOptions('starttls'));
    const watcher = await ImapClient.connect(clientOptions('implicit'));
    try {
      const uids = await seed(actor, 'INBOX', [message('x'), message('y'), message('z')]);
      await actor.select('INBOX');
      await watcher.select('INBOX');
      const events = watcher.events();

      await store(actor, uids[1]!, 'add', ['\\Flagged', '$Shared']);
      await watcher.noop(); // Dovecot reports other sessions' changes at the next command
      const change = await nextEvent(events, (event) => event.kind === 'fetch');
      expect(change).toMatchObject({ kind: 'fetch', seq: 2, flags: expect.arrayContaining(['\\Flagged', '$Shared']) });
      expect(await flagsOf(watcher, uids[1]!)).toEqual(expect.arrayContaining(['\\Flagged', '$Shared']));

      await store(actor, uids[0]!, 'add', ['\\Deleted'], { silent: true });
      expect((await expunge(actor)).seqs).toEqual([1]);
      await watcher.noop();
      expect(await nextEvent(events, (event) => event.kind === 'expunge')).toEqual({ kind: 'expunge', seq: 1, mailbox: 'INBOX' });
      expect(watcher.mailbox?.exists).toBe(2);
      await events.return();
    } finally {
      await Promise.all([actor.logout(), watcher.logout()]);
    }
  });

  it('an APPEND on one is seen by IDLE on the other within a second', async () => {
    const actor = await ImapClient.connect(clientOptions('implicit'));
    const watcher = await ImapClient.connect(clientOptions('starttls'));
    try {
      await watcher.select('INBOX');
      const idle = watcher.idle();
      const first = idle.next();
      await new Promise((resolve) => setTimeout(resolve, 200)); // let IDLE start
      const started = Date.now();
      await append(actor, 'INBOX', message('While idling'));
      let event = (await first).value as MailboxEvent;
      if (event.kind !== 'exists') event = await nextEvent(idle, (candidate) => candidate.kind === 'exists');
      const elapsed = Date.now() - started;
      expect(event).toEqual({ kind: 'exists', count: 1, mailbox: 'INBOX' });
      expect(elapsed).toBeLessThan(1000);
      await idle.return();
    } finally {
      await Promise.all([actor.logout(), watcher.logout()]);
    }
  });
});
