// The common Mailbox over IMAP, live against the project's Dovecot: each test asserts what another
// connection observed, not only that the calls succeeded.
import { beforeEach, describe, expect, it } from 'vitest';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { UidValidityChangedError, type Mailbox, type MessageInfo, type WatchEvent } from '../../src/common/mailbox.js';
import { ImapClient } from '../../src/imap/client.js';
import { ImapMailbox } from '../../src/imap/mailbox.js';
import type { ImapClientOptions } from '../../src/imap/options.js';
import { append } from '../../src/imap/commands/append.js';
import { store } from '../../src/imap/commands/store.js';
import { uidExpunge } from '../../src/imap/commands/expunge.js';
import { uid } from '../../src/imap/wire/sequence-set.js';
import { openMailbox, type OpenMailboxOptions } from '../../src/open-mailbox.js';
import { buildMessage, deliver, doveadm, dovecot, resetUser } from '../helpers/dovecot.js';

const USER = 'carol';

function url(mailbox = 'INBOX'): string {
  const facts = dovecot();
  return `imaps://${USER}@${facts.host}:${facts.ports.imaps}/${encodeURIComponent(mailbox)}`;
}

function options(extra: OpenMailboxOptions = {}): OpenMailboxOptions {
  const facts = dovecot();
  return { password: facts.users[USER].password, tlsOptions: { ca: facts.ca, servername: facts.servername }, commandTimeout: 20_000, ...extra };
}

const open = (extra: OpenMailboxOptions = {}): Promise<Mailbox> => openMailbox(url(), options(extra));

function otherClientOptions(): ImapClientOptions {
  const facts = dovecot();
  return {
    host: facts.host,
    port: facts.ports.imaps,
    tls: 'implicit',
    tlsOptions: { ca: facts.ca, servername: facts.servername },
    auth: { username: USER, password: facts.users[USER].password },
  };
}

async function seed(count: number): Promise<void> {
  for (let index = 1; index <= count; index++) {
    await deliver(USER, buildMessage({ subject: `IMAP mailbox test ${index}`, body: `Body ${index}\r\n` }));
  }
}

/** What a second, independent connection sees: UID -> flags. */
async function seenByOtherConnection(): Promise<Map<number, readonly string[]>> {
  const mailbox = await open();
  try {
    return new Map((await mailbox.list()).map((info: MessageInfo) => [(info.id as { uid: number }).uid, info.flags ?? []]));
  } finally {
    await mailbox.close();
  }
}

/** Waits for the clock's next second: a mailbox recreated within the same second keeps its UIDVALIDITY. */
async function newSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1100));
}

beforeEach(async () => {
  await resetUser(USER);
});

describe('IMAP Mailbox', () => {
  it('describes IMAP in its traits', async () => {
    await using mailbox = await open();
    expect(mailbox.traits).toEqual({
      protocol: 'imap',
      removesOnRetrieve: false,
      sharedState: true,
      headerFetch: 'native',
      push: 'idle',
      folders: true,
      flags: true,
      deletions: 'immediate',
      snapshot: false,
    });
  });

  it('lists UIDVALIDITY+UID ids with size, flags and date', async () => {
    await seed(2);
    await using mailbox = await open();
    const list = await mailbox.list();
    expect(list).toHaveLength(2);
    expect(list[0]?.id).toMatchObject({ protocol: 'imap', uid: 1 });
    expect(list[0]?.id.key).toMatch(/^imap:\d+:1$/);
    expect(list[0]?.size).toBeGreaterThan(0);
    expect(list[0]?.date).toBeInstanceOf(Date);
    expect(list[0]?.flags).toEqual(expect.any(Array));
  });

  it('behaviour 3: headers() uses BODY.PEEK[HEADER] and leaves \\Seen alone', async () => {
    await deliver(USER, buildMessage({ subject: '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=', body: 'x\r\n' }));
    const log: WireLogEntry[] = [];
    await using mailbox = await open({ logger: (entry) => log.push(entry) });
    const summaries = [];
    for await (const summary of mailbox.headers()) summaries.push(summary);
    expect(summaries.map((summary) => summary.subject)).toEqual(['Grüße']);
    expect(summaries[0]?.messageId).toMatch(/^<sample\./);
    expect(log.some((entry) => entry.direction === 'client' && /UID FETCH 1:\* \(UID BODY\.PEEK\[HEADER\]\)/.test(entry.text))).toBe(true);
    expect((await seenByOtherConnection()).get(1)).not.toContain('\\Seen');
  });

  it('fetch() has no side effect', async () => {
    await seed(1);
    await using mailbox = await open();
    const [first] = await mailbox.list();
    expect(Buffer.from(await (await mailbox.fetch(first!.id)).bytes()).toString()).toContain('Body 1');
    expect((await seenByOtherConnection()).get(1)).not.toContain('\\Seen');
  });

  it('behaviours 1 and 2: retrieve marks \\Seen, the message stays, and another connection sees both', async () => {
    await seed(1);
    await using mailbox = await open();
    const [first] = await mailbox.list();
    expect(Buffer.from(await (await mailbox.retrieve(first!.id)).bytes()).toString()).toContain('Body 1');
    const other = await seenByOtherConnection();
    expect([...other.keys()]).toEqual([1]);
    expect(other.get(1)).toContain('\\Seen');
  });

  it('behaviour 5: delete expunges those UIDs only (UID EXPUNGE), seen at once by another connection', async () => {
    await seed(3);
    // Another client marked message 3 \Deleted without expunging it: it must survive.
    const other = await ImapClient.connect(otherClientOptions());
    await other.select('INBOX');
    await store(other, [uid(3)], 'add', ['\\Deleted']);
    const log: WireLogEntry[] = [];
    await using mailbox = await open({ logger: (entry) => log.push(entry) });
    const [first] = await mailbox.list();
    const result = await mailbox.delete([first!.id]);
    expect(result.deleted).toEqual([first!.id]);
    expect(result.missing).toEqual([]);
    const sent = log.filter((entry) => entry.direction === 'client').map((entry) => entry.text);
    expect(sent.some((text) => /UID STORE 1 \+FLAGS\.SILENT \(\\Deleted\)/.test(text))).toBe(true);
    expect(sent.some((text) => /UID EXPUNGE 1$/.test(text))).toBe(true);
    expect(sent.some((text) => /^\S+ EXPUNGE/.test(text))).toBe(false);
    // The other connection, still open, hears of the expunge.
    await other.noop();
    expect(other.mailbox?.exists).toBe(2);
    await other.logout();
    const seen = await seenByOtherConnection();
    expect([...seen.keys()]).toEqual([2, 3]);
    expect(seen.get(3)).toContain('\\Deleted');
    // Deleting again reports it missing.
    expect(await mailbox.delete([first!.id])).toEqual({ deleted: [], missing: [first!.id] });
  });

  it('behaviour 4: IDLE delivers a message appended by another connection within a second', async () => {
    await seed(1);
    await using mailbox = await open();
    const controller = new AbortController();
    const watch = mailbox.watch({ signal: controller.signal });
    await watch.ready;
    const other = await ImapClient.connect(otherClientOptions());
    const appended = await append(other, 'INBOX', buildMessage({ subject: 'Pushed', body: 'new\r\n' }));
    const appendedAt = performance.now();
    const { value } = await watch.next();
    const delay = performance.now() - appendedAt;
    controller.abort();
    await other.logout();
    expect(value).toMatchObject({ kind: 'new', id: { protocol: 'imap', uid: appended?.uid } });
    expect(delay).toBeLessThan(1000);
    expect((await watch.next()).done).toBe(true);
  });

  it('watch() reports flag changes and removals made by another connection', async () => {
    await seed(2);
    await using mailbox = await open();
    const watch = mailbox.watch();
    await watch.ready;
    const other = await ImapClient.connect(otherClientOptions());
    await other.select('INBOX');
    await store(other, [uid(1)], 'add', ['\\Flagged']);
    const flags = (await watch.next()).value as WatchEvent;
    expect(flags).toMatchObject({ kind: 'flags', id: { uid: 1 } });
    expect(flags.kind === 'flags' ? flags.flags : []).toContain('\\Flagged');
    const deviceA = await open();
    const list = await deviceA.list();
    await deviceA.delete([list[1]!.id]);
    await deviceA.close();
    expect((await watch.next()).value).toEqual({ kind: 'removed', id: list[1]!.id });
    await other.logout();
    await watch.return();
  });

  it('watch() reconnects after a dropped connection without losing or repeating events', async () => {
    await seed(1);
    await using mailbox = await open();
    const watch = mailbox.watch({ backoff: { first: 100 } });
    await watch.ready;
    const other = await ImapClient.connect(otherClientOptions());
    const first = await append(other, 'INBOX', buildMessage({ subject: 'Before the drop', body: '1\r\n' }));
    await other.logout();
    expect((await watch.next()).value).toMatchObject({ kind: 'new', id: { uid: first?.uid } });
    await doveadm(['kick', USER]); // every session of the user is dropped
    // While the watch is disconnected: a new message, and a flag change on the first one.
    await deliver(USER, buildMessage({ subject: 'While disconnected', body: '2\r\n' }));
    const flagger = await ImapClient.connect(otherClientOptions());
    await flagger.select('INBOX');
    await store(flagger, [uid(1)], 'add', ['\\Flagged']);
    await flagger.logout();
    const after = [(await watch.next()).value, (await watch.next()).value] as WatchEvent[];
    expect(after).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'flags', id: expect.objectContaining({ uid: 1 }) }),
        expect.objectContaining({ kind: 'new', id: expect.objectContaining({ uid: (first?.uid ?? 0) + 1 }) }),
      ]),
    );
    // Nothing is repeated: the message seen before the drop is not reported again.
    expect(after.some((event) => event.kind === 'new' && event.id.key.endsWith(`:${first?.uid}`))).toBe(false);
    await watch.return();
  });

  it('watch() reconnects with QRESYNC: the EXAMINE reports what vanished and changed meanwhile', async () => {
    await seed(3);
    const log: WireLogEntry[] = [];
    await using mailbox = await open({ logger: (entry) => log.push(entry) });
    const watch = mailbox.watch({ backoff: { first: 100 } });
    await watch.ready;
    // A flag change seen live, so that the watch has a MODSEQ to resynchronize from.
    const flagger = await ImapClient.connect(otherClientOptions());
    await flagger.select('INBOX');
    await store(flagger, [uid(3)], 'add', ['\\Answered']);
    expect((await watch.next()).value).toMatchObject({ kind: 'flags', id: { uid: 3 } });
    await flagger.logout();
    await doveadm(['kick', USER]);
    // While the watch is disconnected: message 2 expunged, message 1 flagged, a new message.
    const other = await ImapClient.connect(otherClientOptions());
    await other.select('INBOX');
    await store(other, [uid(2)], 'add', ['\\Deleted']);
    await uidExpunge(other, [uid(2)]);
    await store(other, [uid(1)], 'add', ['\\Flagged']);
    await other.logout();
    await deliver(USER, buildMessage({ subject: 'While disconnected', body: 'new\r\n' }));
    const after = [(await watch.next()).value, (await watch.next()).value, (await watch.next()).value] as WatchEvent[];
    expect(after).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'removed', id: expect.objectContaining({ uid: 2 }) }),
        expect.objectContaining({ kind: 'flags', id: expect.objectContaining({ uid: 1 }), flags: expect.arrayContaining(['\\Flagged']) }),
        expect.objectContaining({ kind: 'new', id: expect.objectContaining({ uid: 4 }) }),
      ]),
    );
    // The reconnect asked with QRESYNC (known UIDs 1:3) instead of listing every UID again.
    const sent = log.filter((entry) => entry.direction === 'client').map((entry) => entry.text);
    expect(sent.some((text) => /EXAMINE .*\(QRESYNC \(\d+ \d+ 1:3\)\)/.test(text))).toBe(true);
    expect(sent.some((text) => / UID SEARCH /.test(text))).toBe(false);
    await watch.return();
  });

  it('a UIDVALIDITY change invalidates ids with a typed error and touches nothing', async () => {
    await seed(1);
    const before = await open();
    const [old] = await before.list();
    await before.close().catch(() => undefined);
    await newSecond();
    await resetUser(USER); // a new UIDVALIDITY (Dovecot derives it from the clock's second)
    await seed(1);
    await using mailbox = await open();
    const error = await mailbox.fetch(old!.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UidValidityChangedError);
    await expect(mailbox.delete([old!.id])).rejects.toBeInstanceOf(UidValidityChangedError);
    expect((await seenByOtherConnection()).size).toBe(1);
  });

  it('a watch whose mailbox is recreated ends with UidValidityChangedError', async () => {
    await seed(1);
    await using mailbox = await open();
    const watch = mailbox.watch({ backoff: { first: 100 } });
    await watch.ready;
    await newSecond();
    await resetUser(USER);
    // The server may first report the vanished message; then the reconnect finds a new UIDVALIDITY.
    const seen: WatchEvent[] = [];
    const error = await (async () => {
      for (;;) {
        const result = await watch.next();
        if (result.done === true) return undefined;
        seen.push(result.value);
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UidValidityChangedError);
    expect(seen.every((event) => event.kind === 'removed')).toBe(true);
  });

  it('a lost connection is replaced on the next call, with the same ids', async () => {
    await seed(2);
    await using mailbox = await open();
    const before = (await mailbox.list()).map((info) => info.id.key);
    await doveadm(['kick', USER]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await mailbox.list().catch(async () => mailbox.list()); // the first call may meet the dying connection
    expect(after.map((info) => info.id.key)).toEqual(before);
  });

  it('opens another folder from the URL path', async () => {
    await deliver(USER, buildMessage({ subject: 'Archived', body: 'a\r\n' }), { mailbox: 'Archive' });
    await using mailbox = await openMailbox(url('Archive'), options());
    const subjects = [];
    for await (const summary of mailbox.headers()) subjects.push(summary.subject);
    expect(subjects).toEqual(['Archived']);
  });

  it("opens the URL's mailbox only while its ;UIDVALIDITY= still holds (RFC 5092)", async () => {
    const uidValidityOf = (mailbox: Mailbox): number => {
      if (!(mailbox instanceof ImapMailbox)) throw new Error('not an IMAP mailbox');
      return mailbox.uidValidity;
    };
    const uidValidity = await (async () => {
      await using mailbox = await openMailbox(url(), options());
      return uidValidityOf(mailbox);
    })();
    await using same = await openMailbox(`${url()};UIDVALIDITY=${uidValidity}`, options());
    expect(uidValidityOf(same)).toBe(uidValidity);
    const error = await openMailbox(`${url()};UIDVALIDITY=${uidValidity + 1}`, options()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UidValidityChangedError);
    expect(error).toMatchObject({ mailbox: 'INBOX', expected: uidValidity + 1, actual: uidValidity });
  });
});
