// The IMAP client core against the project's throwaway Dovecot: session set-up over STARTTLS and
// implicit TLS, every SASL mechanism Dovecot offers, SELECT/EXAMINE/UNSELECT/CLOSE, FETCH with
// streamed bodies, ENABLE/ID/NAMESPACE/NOOP, two connections at once with IDLE, and a 100 MiB body
// streamed with flat memory.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, ServerError, TlsError } from '../../src/common/errors.js';
import type { SaslMechanismName } from '../../src/common/sasl/index.js';
import { ImapClient } from '../../src/imap/client.js';
import type { ImapTlsMode, MailboxEvent } from '../../src/imap/session.js';
import { flag, list, raw } from '../../src/imap/wire/command-args.js';
import type { Uid } from '../../src/imap/wire/sequence-set.js';
import {
  deliver,
  deliverLargeMessage,
  dovecot,
  encodedWordMessages,
  multipartMessage,
  resetUser,
  saveWithDoveadm,
} from '../helpers/dovecot.js';
import { imapOptions } from '../helpers/imap.js';

const clientOptions = imapOptions;

async function nextEvent(events: AsyncIterator<MailboxEvent>, accept: (event: MailboxEvent) => boolean): Promise<MailboxEvent> {
  for (;;) {
    const result = await events.next();
    if (result.done === true) throw new Error('the event stream ended');
    if (accept(result.value)) return result.value;
  }
}

describe.each<ImapTlsMode>(['starttls', 'implicit'])('IMAP over %s', (tls) => {
  beforeAll(async () => {
    await resetUser('carol');
  });

  it('connects, logs in with the strongest mechanism, and refreshes capabilities', async () => {
    const log: string[] = [];
    const client = await ImapClient.connect(clientOptions(tls, 'carol', { logger: (entry) => log.push(`${entry.direction} ${entry.text}`) }));
    expect(client.secure).toBe(true);
    expect(client.state).toBe('authenticated');
    expect(client.hasCapability('IMAP4rev1')).toBe(true);
    expect(client.hasCapability('IDLE')).toBe(true);
    expect(log.some((line) => line.startsWith('client ') && line.includes('AUTHENTICATE SCRAM-SHA-256'))).toBe(true);
    expect(log.join('\n')).not.toContain(dovecot().users.carol.password);
    if (tls === 'starttls') expect(log.some((line) => line === 'client A1 STARTTLS' || /^client A\d+ STARTTLS$/.test(line))).toBe(true);
    await client.logout();
    expect(client.state).toBe('logout');
  });

  it('selects, fetches envelopes and streamed bodies, and deselects', async () => {
    await resetUser('carol');
    const samples = encodedWordMessages();
    const multipart = multipartMessage();
    for (const sample of samples) await deliver('carol', sample.bytes);
    await deliver('carol', multipart.bytes, { flags: 'S' });
    const client = await ImapClient.connect(clientOptions(tls));
    try {
      const mailbox = await client.select('INBOX', { condstore: true });
      expect(mailbox.exists).toBe(samples.length + 1);
      expect(mailbox.uidValidity).toBeGreaterThan(0);
      expect(mailbox.uidNext).toBe(samples.length + 2);
      expect(mailbox.highestModseq).toBeTypeOf('bigint');
      expect(mailbox.permanentFlags).toContain('\\*');

      const subjects: (string | null | undefined)[] = [];
      for await (const message of client.fetch('1:*', { envelope: true, flags: true, size: true, modseq: true })) {
        subjects.push(message.attributes.envelope?.subject);
        expect(message.attributes.modseq).toBeTypeOf('bigint');
      }
      expect(subjects).toEqual([...samples.map((sample) => sample.subject), expect.any(String)]);

      const lastUid = (samples.length + 1) as Uid;
      let seen = 0;
      for await (const message of client.fetch(lastUid, { source: true, bodyStructure: true, bodies: ['HEADER', { fields: ['Subject'] }] })) {
        seen++;
        expect(message.uid).toBe(lastUid);
        const source = await message.body().collect();
        expect(source.equals(Buffer.from(multipart.bytes))).toBe(true);
        const header = await message.body('HEADER').collect();
        expect(source.subarray(0, header.length).equals(header)).toBe(true);
        expect((await message.body('HEADER.FIELDS (SUBJECT)').collect()).toString()).toMatch(/^Subject: /i);
        const attributes = await message.complete();
        expect(attributes.bodyStructure?.kind).toBe('multipart');
      }
      expect(seen).toBe(1);

      const one = await client.fetchOne(lastUid, { flags: true, bodies: ['TEXT'] });
      expect(one?.attributes.flags).toContain('\\Seen');
      expect(one?.bodyBytes('TEXT')?.length).toBeGreaterThan(0);

      await client.unselect();
      expect(client.state).toBe('authenticated');
      const examined = await client.examine('INBOX');
      expect(examined.readOnly).toBe(true);
      await client.closeMailbox();
      expect(client.mailbox).toBeNull();
      // Dovecot 2.3 answers a missing mailbox with a plain NO (no [NONEXISTENT] code).
      await expect(client.select('No such mailbox')).rejects.toMatchObject({ command: 'SELECT', status: 'NO' });
    } finally {
      await client.logout();
    }
  });

  it('runs ENABLE, ID, NAMESPACE and NOOP, pipelined', async () => {
    const client = await ImapClient.connect(clientOptions(tls));
    try {
      const [enabled, id, namespaces] = await Promise.all([
        client.enable(['CONDSTORE']),
        client.id({ name: 'mailwire-test', version: '0' }),
        client.namespace(),
        client.noop(),
      ]);
      expect(enabled).toEqual(['CONDSTORE']);
      expect(client.enabled.has('CONDSTORE')).toBe(true);
      expect(id?.name).toBe('Dovecot');
      expect(namespaces.personal[0]).toEqual({ prefix: '', delimiter: dovecot().separator });
    } finally {
      await client.logout();
    }
  });
});

describe('IMAP authentication against Dovecot', () => {
  it.each<SaslMechanismName>(['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256'])('AUTHENTICATE %s', async (method) => {
    const facts = dovecot();
    const client = await ImapClient.connect(
      clientOptions('implicit', 'bob', { auth: { username: 'bob', password: facts.users.bob.password, method } }),
    );
    expect(client.state).toBe('authenticated');
    await client.logout();
  });

  it('LOGIN with a password that needs a literal', async () => {
    const facts = dovecot();
    const client = await ImapClient.connect(
      clientOptions('starttls', 'bob', { auth: { username: 'bob', password: facts.users.bob.password, method: 'LOGIN' } }),
    );
    expect(client.state).toBe('authenticated');
    await client.logout();
  });

  it('refuses to log in over cleartext unless allowed', async () => {
    await expect(ImapClient.connect(clientOptions('none', 'alice', { allowCleartext: false }))).rejects.toBeInstanceOf(TlsError);
    const client = await ImapClient.connect(clientOptions('none', 'alice', { allowCleartext: true }));
    expect(client.secure).toBe(false);
    await client.logout();
  });
});

describe('two IMAP connections at once', () => {
  it('IDLE on one sees a message saved by doveadm and a flag set by the other connection', async () => {
    await resetUser('carol');
    await deliver('carol', 'Subject: first\r\n\r\nfirst\r\n');
    const watcher = await ImapClient.connect(clientOptions('implicit'));
    const actor = await ImapClient.connect(clientOptions('starttls'));
    try {
      await watcher.select('INBOX');
      await actor.select('INBOX');
      const idle = watcher.idle();
      // Give IDLE a moment to be established before changing the mailbox (not asserted).
      const first = idle.next();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      await saveWithDoveadm('carol', 'Subject: second\r\n\r\nsecond\r\n');
      let event = (await first).value as MailboxEvent;
      if (event.kind !== 'exists') event = await nextEvent(idle, (candidate) => candidate.kind === 'exists');
      expect(event).toEqual({ kind: 'exists', count: 2, mailbox: 'INBOX' });
      console.info(`IDLE saw the new message after ${Date.now() - started} ms`);

      await actor.run({ name: 'UID STORE', args: [raw('1'), raw('+FLAGS'), list(flag('\\Flagged'))], done: () => undefined });
      const change = await nextEvent(idle, (candidate) => candidate.kind === 'fetch');
      expect(change).toMatchObject({ kind: 'fetch', seq: 1 });
      expect(change.kind === 'fetch' ? change.flags : []).toContain('\\Flagged');

      // A command while idling ends IDLE transparently and IDLE resumes after it.
      await watcher.noop();
      await actor.run({ name: 'UID STORE', args: [raw('2'), raw('+FLAGS.SILENT'), list(flag('\\Deleted'))], done: () => undefined });
      await actor.run({ name: 'EXPUNGE', exclusive: true, done: () => undefined });
      const expunge = await nextEvent(idle, (candidate) => candidate.kind === 'expunge');
      expect(expunge).toEqual({ kind: 'expunge', seq: 2, mailbox: 'INBOX' });
      await idle.return();
      expect(watcher.mailbox?.exists).toBe(1);
    } finally {
      await Promise.all([watcher.logout(), actor.logout()]);
    }
  });
});

describe('a 100 MiB message', () => {
  it('streams through with flat memory', async () => {
    await resetUser('carol');
    await deliverLargeMessage('carol', { megabytes: 8 });
    const large = await deliverLargeMessage('carol', { megabytes: 100 });
    const client = await ImapClient.connect(clientOptions('starttls'));
    try {
      await client.select('INBOX');
      // Warm up (JIT, heap sizing) on a smaller message so that the figure is the download's own.
      for await (const message of client.fetch('1', { source: true })) await message.body().collect();
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const hash = createHash('sha256');
      let received = 0;
      for await (const message of client.fetch('2', { source: true })) {
        for await (const chunk of message.body()) {
          hash.update(chunk);
          received += chunk.length;
          if ((received & 0xfffff) < 65536) peak = Math.max(peak, process.memoryUsage().rss);
        }
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(received).toBe(large.size);
      expect(hash.digest('hex')).toBe(large.sha256);
      const growthMiB = (peak - baseline) / 1024 / 1024;
      console.info(`RSS growth while streaming 100 MiB: ${growthMiB.toFixed(1)} MiB`);
      expect(growthMiB).toBeLessThan(64);
    } finally {
      await client.logout();
    }
  });
});

describe('server errors', () => {
  it('carries the response code of a NO', async () => {
    const client = await ImapClient.connect(clientOptions('implicit', 'alice'));
    try {
      const error = await client.examine('Nope/Nope').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ command: 'EXAMINE', status: 'NO' });
    } finally {
      await client.logout();
    }
  });
});

// Last: Dovecot delays every authentication from an address for a while after a failed one.
describe('a failed login', () => {
  it('reports a wrong password as AuthenticationError with AUTHENTICATIONFAILED', async () => {
    const error = await ImapClient.connect(clientOptions('implicit', 'alice', { auth: { username: 'alice', password: 'wrong' } })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ responseCode: 'AUTHENTICATIONFAILED' });
  });
});
