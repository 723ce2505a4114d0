// The mailbox command families against the project's Dovecot, over STARTTLS and implicit TLS:
// LIST/LSUB with special use, LIST-EXTENDED and LIST-STATUS, CREATE/RENAME/DELETE/SUBSCRIBE/
// UNSUBSCRIBE with names that need modified UTF-7, STATUS, and the typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ServerError, UnsupportedError } from '../../src/common/errors.js';
import { append } from '../../src/imap/commands/append.js';
import {
  createMailbox,
  deleteMailbox,
  list,
  lsub,
  renameMailbox,
  subscribeMailbox,
  unsubscribeMailbox,
} from '../../src/imap/commands/mailboxes.js';
import { status } from '../../src/imap/commands/status.js';
import type { ImapTlsMode } from '../../src/imap/session.js';
import { doveadm, dovecot, resetUser } from '../helpers/dovecot.js';
import { withImapClient } from '../helpers/imap.js';

const USER = 'carol';

const withClient = withImapClient;

const MESSAGE = 'From: a@mailwire.test\r\nSubject: status\r\n\r\nbody\r\n';

describe.each<ImapTlsMode>(['starttls', 'implicit'])('mailbox commands over %s', (tls) => {
  beforeAll(async () => {
    await resetUser(USER);
  });

  it('lists INBOX and the special-use folders, typed', async () => {
    await withClient(tls, async (client) => {
      expect(client.secure).toBe(true);
      const entries = await list(client);
      const byName = new Map(entries.map((entry) => [entry.name, entry]));
      expect(byName.get('INBOX')).toMatchObject({ selectable: true, delimiter: dovecot().separator });
      for (const [name, use] of Object.entries(dovecot().specialUse)) {
        expect(byName.get(name)).toMatchObject({ specialUse: use, selectable: true, subscribed: true });
      }
      const specials = await list(client, { specialUseOnly: true });
      expect(specials.map((entry) => entry.name).sort()).toEqual(Object.keys(dovecot().specialUse).sort());
    });
  });

  it('creates, renames, subscribes and deletes names with "&" and non-Latin letters (modified UTF-7 both ways)', async () => {
    const parent = `Entwürfe & Notizen ${tls}`;
    const child = `${parent}/Кириллица 日本語`;
    const renamed = `${parent}/Ελληνικά & more`;
    await withClient(tls, async (client) => {
      await createMailbox(client, parent);
      await createMailbox(client, child);
      const listed = await list(client, { pattern: `${parent}*` });
      expect(listed.map((entry) => entry.name).sort()).toEqual([parent, child].sort());
      expect(listed.find((entry) => entry.name === child)!.nameRaw).toMatch(/^[\x20-\x7e]+$/);
      expect(listed.find((entry) => entry.name === parent)).toMatchObject({ hasChildren: true });

      // Dovecot itself stores and lists the real (UTF-8) name.
      const onServer = await doveadm(['mailbox', 'list', '-u', USER]);
      expect(onServer.stdout.split('\n')).toContain(child);

      await append(client, child, MESSAGE);
      expect(await status(client, child, ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY'])).toMatchObject({ messages: 1, uidNext: 2 });

      await renameMailbox(client, child, renamed);
      const after = await list(client, { pattern: `${parent}/%` });
      expect(after.map((entry) => entry.name)).toEqual([renamed]);
      expect(await status(client, renamed, ['MESSAGES'])).toEqual({ messages: 1 });

      await subscribeMailbox(client, renamed);
      expect((await lsub(client, `${parent}/*`)).map((entry) => entry.name)).toEqual([renamed]);
      const subscribed = await list(client, { pattern: `${parent}/*`, subscribedOnly: true });
      expect(subscribed).toMatchObject([{ name: renamed, subscribed: true }]);
      await unsubscribeMailbox(client, renamed);
      expect(await lsub(client, `${parent}/*`)).toEqual([]);

      await deleteMailbox(client, renamed);
      await deleteMailbox(client, parent);
      expect(await list(client, { pattern: `${parent}*` })).toEqual([]);
    });
  });

  it('LIST with STATUS items (LIST-STATUS where offered) and STATUS with every item Dovecot offers', async () => {
    await withClient(tls, async (client) => {
      await append(client, 'Archive', MESSAGE, { flags: ['\\Seen'] });
      await append(client, 'Archive', MESSAGE);
      const entries = await list(client, { pattern: 'Archive', status: ['MESSAGES', 'UNSEEN', 'UIDNEXT', 'HIGHESTMODSEQ', 'SIZE'] });
      expect(entries).toHaveLength(1);
      expect(entries[0]!.status).toMatchObject({ messages: 2, unseen: 1, uidNext: 3 });
      const full = await status(client, 'Archive', ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE']);
      expect(full).toMatchObject({ messages: 2, unseen: 1, uidNext: 3 });
      expect(full.uidValidity).toBeGreaterThan(0);
      expect(full.highestModseq).toBeTypeOf('bigint');
      if (client.hasCapability('STATUS=SIZE') || client.hasCapability('IMAP4rev2')) expect(full.size).toBe(2 * MESSAGE.length);
      const defaults = await status(client, 'INBOX');
      expect(Object.keys(defaults).sort()).toEqual(['highestModseq', 'messages', 'uidNext', 'uidValidity', 'unseen']);
    });
  });

  it('creates a mailbox with a special use where CREATE-SPECIAL-USE is offered, and refuses it otherwise', async () => {
    await withClient(tls, async (client) => {
      const name = `Important ${tls}`;
      if (!client.hasCapability('CREATE-SPECIAL-USE')) {
        // Dovecot 2.3 does not offer it: the client refuses before sending, and nothing is created.
        await expect(createMailbox(client, name, { specialUse: ['\\Flagged'] })).rejects.toBeInstanceOf(UnsupportedError);
        expect(await list(client, { pattern: name })).toEqual([]);
        return;
      }
      await createMailbox(client, name, { specialUse: ['\\Flagged'] });
      const [entry] = await list(client, { pattern: name });
      expect(entry).toMatchObject({ name, specialUse: '\\Flagged' });
      await deleteMailbox(client, name);
    });
  });

  it('refused commands reject with ServerError carrying ALREADYEXISTS / NONEXISTENT', async () => {
    await withClient(tls, async (client) => {
      const name = `Twice ${tls}`;
      await createMailbox(client, name);
      const exists = await createMailbox(client, name).catch((error: unknown) => error);
      expect(exists).toBeInstanceOf(ServerError);
      expect(exists).toMatchObject({ status: 'NO', responseCode: 'ALREADYEXISTS' });
      await deleteMailbox(client, name);
      await expect(deleteMailbox(client, name)).rejects.toMatchObject({ responseCode: 'NONEXISTENT' });
      await expect(renameMailbox(client, 'No such box', 'Other')).rejects.toMatchObject({ responseCode: 'NONEXISTENT' });
      // Dovecot 2.3 answers STATUS of a missing mailbox with a bare NO (no response code).
      await expect(status(client, 'No such box', ['MESSAGES'])).rejects.toMatchObject({ code: 'SERVER_REJECTED', status: 'NO', command: 'STATUS' });
      // CR/LF never reach the server; the session is still usable afterwards.
      await expect(createMailbox(client, 'evil\r\nA999 DELETE INBOX')).rejects.toBeInstanceOf(InvalidArgumentError);
      expect((await list(client, { pattern: 'INBOX' })).map((entry) => entry.name)).toEqual(['INBOX']);
    });
  });
});
