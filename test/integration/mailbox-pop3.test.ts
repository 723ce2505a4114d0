// The common Mailbox over POP3, live against the project's Dovecot: each test asserts what a second
// session observed, not only that the calls succeeded.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadTranscript, replayConnector } from '../../src/testing/index.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import type { Mailbox, MessageId, WatchEvent } from '../../src/common/mailbox.js';
import { ImapClient } from '../../src/imap/client.js';
import { append } from '../../src/imap/commands/append.js';
import { openMailbox, type OpenMailboxOptions } from '../../src/open-mailbox.js';
import { defaultConnector, type Connector } from '../../src/common/connector.js';
import { ConnectionFailedError } from '../../src/common/errors.js';
import { buildMessage, deliver, deliverLargeMessage, doveadm, dovecot, resetUser } from '../helpers/dovecot.js';

const USER = 'carol';

function url(): string {
  const facts = dovecot();
  return `pop3s://${USER}@${facts.host}:${facts.ports.pop3s}`;
}

function options(extra: OpenMailboxOptions = {}): OpenMailboxOptions {
  const facts = dovecot();
  return { password: facts.users[USER].password, tlsOptions: { ca: facts.ca, servername: facts.servername }, commandTimeout: 20_000, ...extra };
}

const open = (extra: OpenMailboxOptions = {}): Promise<Mailbox> => openMailbox(url(), options(extra));

async function seed(count: number): Promise<void> {
  for (let index = 1; index <= count; index++) {
    await deliver(USER, buildMessage({ subject: `POP3 mailbox test ${index}`, body: `Body ${index}\r\n` }));
  }
}

async function idsSeenByNewSession(): Promise<string[]> {
  const mailbox = await open();
  try {
    return (await mailbox.list()).map((info) => info.id.key);
  } finally {
    await mailbox.close();
  }
}

beforeEach(async () => {
  await resetUser(USER);
});

describe('POP3 Mailbox', () => {
  it('describes POP3 in its traits', async () => {
    await using mailbox = await open();
    expect(mailbox.traits).toEqual({
      protocol: 'pop3',
      removesOnRetrieve: true,
      sharedState: false,
      headerFetch: 'approximated',
      push: 'polling',
      folders: false,
      flags: false,
      deletions: 'on-clean-close',
      snapshot: true,
    });
    await using keeping = await open({ leaveOnServer: true });
    expect(keeping.traits.removesOnRetrieve).toBe(false);
  });

  it('lists UIDL ids and sizes, and reads headers with TOP n 0', async () => {
    await deliver(USER, buildMessage({ subject: '=?UTF-8?B?R3LDvMOfZQ==?=', from: '=?ISO-8859-1?Q?J=F6rg?= <joerg@mailwire.test>', body: 'x\r\n' }));
    const log: WireLogEntry[] = [];
    await using mailbox = await open({ logger: (entry) => log.push(entry) });
    const [info] = await mailbox.list();
    expect(info?.id.protocol).toBe('pop3');
    expect(info?.id.key).toMatch(/^pop3:[0-9a-f]{16}$/);
    const summaries = [];
    for await (const summary of mailbox.headers()) summaries.push(summary);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.subject).toBe('Grüße');
    expect(summaries[0]?.from[0]).toEqual({ name: 'Jörg', address: 'joerg@mailwire.test', group: null });
    expect(Buffer.from(summaries[0]!.raw).toString('latin1')).toMatch(/\r\n\r\n$/);
    expect(log.some((entry) => entry.direction === 'client' && entry.text === 'TOP 1 0')).toBe(true);
  });

  it('behaviour 1: retrieve picks the mail up: a second session no longer sees it', async () => {
    await seed(2);
    const mailbox = await open();
    const [first, second] = await mailbox.list();
    const content = await mailbox.retrieve(first!.id);
    expect(Buffer.from(await content.bytes()).toString()).toContain('Body 1');
    const result = await mailbox.close();
    expect(result).toEqual({ deletionsCommitted: true, markedDeleted: 1 });
    expect(await idsSeenByNewSession()).toEqual([second!.id.key]);
  });

  it('behaviour 1: with leaveOnServer the retrieved message stays', async () => {
    await seed(1);
    const mailbox = await open({ leaveOnServer: true });
    const [first] = await mailbox.list();
    await (await mailbox.retrieve(first!.id)).bytes();
    expect((await mailbox.close()).markedDeleted).toBe(0);
    expect(await idsSeenByNewSession()).toEqual([first!.id.key]);
  });

  it('fetch() has no side effect', async () => {
    await seed(1);
    const mailbox = await open();
    const [first] = await mailbox.list();
    await (await mailbox.fetch(first!.id)).bytes();
    expect((await mailbox.close()).markedDeleted).toBe(0);
    expect(await idsSeenByNewSession()).toEqual([first!.id.key]);
  });

  it('behaviour 2/5: a deletion is seen by nobody until the session ends cleanly', async () => {
    await seed(2);
    const deviceA = await open();
    const [first] = await deviceA.list();
    await deviceA.delete([first!.id]);
    expect((await deviceA.list()).map((info) => info.id.key)).not.toContain(first!.id.key);
    // Device B logs in while A's session is still open: the message is still there.
    expect(await idsSeenByNewSession()).toContain(first!.id.key);
    await deviceA.close();
    expect(await idsSeenByNewSession()).not.toContain(first!.id.key);
  });

  it('a session killed mid-retrieve deletes nothing, not even what it had fully retrieved', async () => {
    await seed(1);
    await deliverLargeMessage(USER, { megabytes: 2 });
    const controller = new AbortController();
    const mailbox = await open({ signal: controller.signal });
    const [small, large] = await mailbox.list();
    await (await mailbox.retrieve(small!.id)).bytes(); // fully read: DELE sent, not committed
    const content = await mailbox.retrieve(large!.id);
    let received = 0;
    await expect(
      (async () => {
        for await (const chunk of content) {
          received += chunk.length;
          controller.abort(); // the connection dies mid-body
        }
      })(),
    ).rejects.toThrow();
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(large!.size);
    expect((await mailbox.close()).deletionsCommitted).toBe(false);
    expect(await idsSeenByNewSession()).toEqual([small!.id.key, large!.id.key]);
  });

  it('a body not read to its end marks nothing', async () => {
    await seed(1);
    const mailbox = await open();
    const [first] = await mailbox.list();
    const content = await mailbox.retrieve(first!.id);
    content.body.destroy();
    expect((await mailbox.close()).markedDeleted).toBe(0);
    expect(await idsSeenByNewSession()).toEqual([first!.id.key]);
  });

  it('behaviour 4: a session is a snapshot; watch() sees new mail on the next poll', async () => {
    await seed(1);
    const facts = dovecot();
    const log: WireLogEntry[] = [];
    await using mailbox = await open({ logger: (entry) => log.push(entry) });
    const before = (await mailbox.list()).map((info) => info.id.key);
    const controller = new AbortController();
    const watch = mailbox.watch({ interval: 300, signal: controller.signal });
    await watch.ready;
    const other = await ImapClient.connect({
      host: facts.host,
      port: facts.ports.imaps,
      tls: 'implicit',
      tlsOptions: { ca: facts.ca, servername: facts.servername },
      auth: { username: USER, password: facts.users[USER].password },
    });
    const appended = await append(other, 'INBOX', buildMessage({ subject: 'Arrives while watching', body: 'new\r\n' }));
    await other.logout();
    expect(appended).not.toBeNull();
    const event = (await watch.next()).value as WatchEvent;
    controller.abort();
    expect(event.kind).toBe('new');
    expect(before).not.toContain(event.id.key);
    // The session's own list stays the snapshot of its login.
    expect((await mailbox.list()).map((info) => info.id.key)).toEqual(before);
    expect((await watch.next()).done).toBe(true);
    expect(log.filter((entry) => entry.direction === 'client' && entry.text === 'UIDL').length).toBeGreaterThanOrEqual(2);
  });

  it('watch() reports removals made by another session', async () => {
    await seed(2);
    await using watcher = await open();
    const watch = watcher.watch({ interval: 200 });
    await watch.ready;
    const deviceA = await open();
    const [first] = await deviceA.list();
    await deviceA.delete([first!.id]);
    await deviceA.close();
    const event = (await watch.next()).value as WatchEvent;
    await watch.return();
    expect(event).toEqual({ kind: 'removed', id: first!.id });
  });

  it('records its sessions with the record option, and the recording replays without a server', async () => {
    await seed(2);
    const dir = await mkdtemp(path.join(tmpdir(), 'mailwire-mailbox-record-'));
    const file = path.join(dir, 'pop3.txt');
    const play = async (mailbox: Mailbox): Promise<string[]> => {
      const subjects: string[] = [];
      for await (const summary of mailbox.headers()) subjects.push(summary.subject ?? '');
      const watch = mailbox.watch({ interval: 50 });
      await watch.ready;
      await watch.return();
      await mailbox.close();
      return subjects;
    };
    const recorded = await play(await open({ record: file, method: 'USER' }));
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^C: PASS <redacted>$/m);
    expect(text).toMatch(/^C: TOP 1 0$/m);
    expect(text).not.toContain(dovecot().users[USER].password);
    const replay = replayConnector(await loadTranscript(file));
    const replayed = await play(await openMailbox('pop3s://carol@replay.invalid', { password: 'x', method: 'USER', connector: replay }));
    expect(replayed).toEqual(recorded);
    await replay.close(); // the whole transcript was played
    await rm(dir, { recursive: true, force: true });
  });

  it('watch() retries a failed login with backoff and loses nothing', async () => {
    await seed(1);
    let attempts = 0;
    const flaky: Connector = (transportOptions, handlers) => {
      attempts++;
      if (attempts <= 2) return Promise.reject(new ConnectionFailedError(`simulated failure ${attempts}`));
      return defaultConnector(transportOptions, handlers);
    };
    await using mailbox = await open({ watchConnector: flaky });
    const watch = mailbox.watch({ interval: 100, backoff: { first: 50, max: 100 } });
    await watch.ready;
    await deliver(USER, buildMessage({ subject: 'During the outage', body: 'x\r\n' }));
    const event = (await watch.next()).value as WatchEvent;
    expect(event.kind).toBe('new');
    expect(attempts).toBeGreaterThanOrEqual(3);
    await watch.return();
  });

  it('gives up after backoff.attempts consecutive failures, with the last error', async () => {
    await seed(1);
    const failing: Connector = () => Promise.reject(new ConnectionFailedError('down'));
    await using mailbox = await open({ watchConnector: failing });
    const watch = mailbox.watch({ interval: 10, backoff: { first: 10, attempts: 3 } });
    await expect(watch.next()).rejects.toThrow('down');
  });

  it('a lost session is replaced by a new one on the next call (nothing it marked was deleted)', async () => {
    await seed(2);
    await using mailbox = await open();
    const [first] = await mailbox.list();
    await mailbox.delete([first!.id]);
    expect(await mailbox.list()).toHaveLength(1);
    await doveadm(['kick', USER]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The new session's snapshot: the DELE was never committed.
    expect((await mailbox.list()).map((info) => info.id.key)).toContain(first!.id.key);
  });

  it('refuses ids of another protocol', async () => {
    await seed(1);
    await using mailbox = await open();
    const imapId = { protocol: 'imap', uidValidity: 1, uid: 1, key: 'imap:1:1' } as MessageId;
    await expect(mailbox.fetch(imapId)).rejects.toThrow(/Not a POP3 message id/);
  });
});
