// Against the project's Dovecot, over STARTTLS and implicit TLS: APPEND of a multi-MiB stream of
// stated size (streamed, fetched back byte for byte; a stream that breaks its size closes the
// connection and stores nothing), and SELECT with QRESYNC after another connection changed flags
// and expunged a message.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectionClosedError, InvalidArgumentError } from '../../src/common/errors.js';
import { ImapClient } from '../../src/imap/client.js';
import type { ImapTlsMode, MailboxEvent } from '../../src/imap/session.js';
import { SequenceSet, uid, type Uid } from '../../src/imap/wire/sequence-set.js';
import { buildMessage, largeMessageChunks, resetUser } from '../helpers/dovecot.js';
import { imapOptions, withImapClient } from '../helpers/imap.js';

const USER = 'carol';

describe.each<ImapTlsMode>(['starttls', 'implicit'])('streamed APPEND and QRESYNC over %s', (tls) => {
  beforeEach(async () => {
    await resetUser(USER);
  });

  it('APPEND streams a 6 MiB message of stated size; FETCH returns it byte for byte', async () => {
    await withImapClient(tls, async (client) => {
      expect(client.hasCapability('LITERAL+')).toBe(true);
      const size = 6 * 1024 * 1024 + 321;
      const sent = createHash('sha256');
      let chunks = 0;
      async function* body(): AsyncGenerator<Uint8Array> {
        for (const chunk of largeMessageChunks(size, 'Streamed APPEND')) {
          await Promise.resolve();
          sent.update(chunk);
          chunks++;
          yield chunk;
        }
      }
      const result = await client.append('INBOX', body(), { size, flags: ['\\Seen'] });
      expect(result?.uid).toBe(1);
      expect(chunks).toBeGreaterThan(90);

      await client.select('INBOX');
      const received = createHash('sha256');
      for await (const message of client.fetch(result!.uid, { source: true })) {
        for await (const chunk of message.chunks()) received.update(chunk);
      }
      expect(received.digest('hex')).toBe(sent.digest('hex'));
      const stored = await client.fetchOne(result!.uid, { size: true, flags: true });
      expect(stored?.attributes.size).toBe(size);
      expect(stored?.attributes.flags).toContain('\\Seen');
    });
  });

  it('a stream that ends before its stated size closes the connection, and Dovecot stores nothing', async () => {
    const client = await ImapClient.connect(imapOptions(tls, USER));
    try {
      const message = buildMessage({ subject: 'Cut short', body: 'only part of it\r\n' });
      async function* short(): AsyncGenerator<Uint8Array> {
        await Promise.resolve();
        yield message;
      }
      const appended = client.append('INBOX', short(), { size: message.length + 1000 }).catch((error: unknown) => error);
      const status = client.status('INBOX', ['MESSAGES']).catch((error: unknown) => error); // queued behind it
      expect(await appended).toBeInstanceOf(InvalidArgumentError);
      expect(await status).toBeInstanceOf(ConnectionClosedError);
      expect(client.state).toBe('logout');
    } finally {
      client.destroy();
    }
    await withImapClient(tls, async (client) => {
      expect((await client.status('INBOX', ['MESSAGES'])).messages).toBe(0);
    });
  });

  it('SELECT with QRESYNC reports what another connection expunged (VANISHED) and changed (FETCH)', async () => {
    await withImapClient(tls, async (client) => {
      expect(client.hasCapability('QRESYNC')).toBe(true);
      const uids: Uid[] = [];
      for (let index = 1; index <= 5; index++) {
        const result = await client.append('INBOX', buildMessage({ subject: `QRESYNC ${index}`, body: `message ${index}\r\n` }));
        uids.push(result!.uid);
      }
      const before = await client.status('INBOX', ['UIDVALIDITY', 'HIGHESTMODSEQ']);
      const uidValidity = before.uidValidity!;
      const modseq = before.highestModseq!;

      // Another session changes flags of the second message and expunges the fourth.
      const other = await ImapClient.connect(imapOptions(tls, USER));
      try {
        await other.select('INBOX');
        await other.store(uids[1]!, 'add', ['\\Flagged', '$Important']);
        await other.store(uids[3]!, 'add', ['\\Deleted']);
        await other.uidExpunge(uids[3]!);
      } finally {
        await other.logout();
      }

      const events: MailboxEvent[] = [];
      void (async () => {
        for await (const event of client.events()) events.push(event);
      })().catch(() => undefined);
      const inbox = await client.select('INBOX', { qresync: { uidValidity, modseq, knownUids: SequenceSet.uids(uids) } });
      expect(client.enabled.has('QRESYNC')).toBe(true);
      expect(inbox.exists).toBe(4);
      expect(inbox.highestModseq).toBeGreaterThan(modseq);
      expect(inbox.qresync?.uidValidityChanged).toBe(false);
      expect([...(inbox.qresync?.vanished?.values() ?? [])]).toEqual([uids[3]]);
      const changed = inbox.qresync?.changed ?? [];
      expect(changed.map((change) => change.uid)).toEqual([uids[1]]);
      expect(changed[0]?.flags).toEqual(expect.arrayContaining(['\\Flagged', '$Important']));
      expect(changed[0]?.modseq).toBeGreaterThan(modseq);
      await client.noop();
      await new Promise((resolve) => setTimeout(resolve, 20)); // let the subscriber read what was emitted
      expect(events.filter((event) => event.kind === 'vanished' || event.kind === 'fetch')).toEqual([]);

      // A stale UIDVALIDITY: the server reports nothing, the result says so.
      const stale = await client.examine('INBOX', { qresync: { uidValidity: uidValidity === 1 ? 2 : uidValidity - 1, modseq, knownUids: [uid(1)] } });
      expect(stale.qresync).toEqual({ uidValidityChanged: true, vanished: undefined, changed: [] });
      expect(stale.readOnly).toBe(true);
    });
  });
});
