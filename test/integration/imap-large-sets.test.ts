// Sets whose wire form is longer than Dovecot takes on one command line (imap_max_line_length, 64 KB
// by default): UID FETCH, UID STORE, UID COPY, UID MOVE (and its COPY + STORE + UID EXPUNGE
// fallback) and UID EXPUNGE of 30,000 scattered UIDs must each look like one call to the caller.
import { beforeEach, describe, expect, it } from 'vitest';
import { ImapClient } from '../../src/imap/client.js';
import { append } from '../../src/imap/commands/append.js';
import { copy, move } from '../../src/imap/commands/copy-move.js';
import { uidExpunge } from '../../src/imap/commands/expunge.js';
import { search } from '../../src/imap/commands/search.js';
import { status } from '../../src/imap/commands/status.js';
import { store } from '../../src/imap/commands/store.js';
import { SequenceSet, uid, type Uid } from '../../src/imap/wire/sequence-set.js';
import { buildMessage, resetUser } from '../helpers/dovecot.js';
import { imapOptions, withImapClient, withoutCapability } from '../helpers/imap.js';

const USER = 'carol';

/** The seeded UIDs, and 30,000 absent odd UIDs above them: about 170 KB of set. */
function scattered(present: readonly Uid[]): SequenceSet<Uid> {
  const absent = Array.from({ length: 30_000 }, (_, index) => uid(1001 + 2 * index));
  return SequenceSet.uids([...present, ...absent]);
}

async function seed(client: ImapClient, count: number): Promise<Uid[]> {
  const uids: Uid[] = [];
  for (let index = 0; index < count; index++) {
    const result = await append(client, 'INBOX', buildMessage({ subject: `Message ${index + 1}`, body: 'body\r\n' }));
    if (result === null) throw new Error('no APPENDUID');
    uids.push(result.uid);
  }
  return uids;
}

describe('sets longer than a command line', () => {
  beforeEach(async () => {
    await resetUser(USER);
  });

  it('FETCH, STORE, COPY, MOVE (native and emulated) and UID EXPUNGE of 30,000 scattered UIDs', async () => {
    await withImapClient('starttls', async (client) => {
      const [a, b, c, d, e, f] = await seed(client, 6) as [Uid, Uid, Uid, Uid, Uid, Uid];
      expect(scattered([a]).toString().length).toBeGreaterThan(64 * 1024);
      await client.select('INBOX');

      const fetched: (Uid | undefined)[] = [];
      for await (const message of client.fetch(scattered([a, c, e]), { flags: true })) fetched.push(message.uid);
      expect(fetched).toEqual([a, c, e]);

      const stored = await store(client, scattered([a, c]), 'add', ['$Synced']);
      expect(stored.updated.map((update) => update.uid)).toEqual([a, c]);
      expect(await search(client, { keyword: '$Synced' })).toEqual([a, c]);

      const copied = await copy(client, scattered([b, d]), 'Archive');
      expect([...copied.uidMap]).toEqual([[b, 1], [d, 2]]);
      expect((await status(client, 'Archive', ['MESSAGES'])).messages).toBe(2);

      const moved = await move(client, scattered([f]), 'Trash');
      expect(moved).toMatchObject({ emulated: false, expungedSeqs: [6] });
      expect([...moved.uidMap]).toEqual([[f, 1]]);

      const emulated = await move(withoutCapability(client, 'MOVE'), scattered([e]), 'Trash');
      expect(emulated).toMatchObject({ emulated: true, expungedSeqs: [5] });
      expect([...emulated.uidMap]).toEqual([[e, 2]]);

      await store(client, d, 'add', ['\\Deleted']);
      const expunged = await uidExpunge(client, scattered([c, d]));
      expect(expunged.seqs).toEqual([4]);
      expect(await search(client, {})).toEqual([a, b, c]);
    });
  });

  it('a small limits.maxSetLength splits even a short set, with the same outcome', async () => {
    const client = await ImapClient.connect(imapOptions('starttls', USER, { limits: { maxSetLength: 1 } }));
    try {
      const [a, b, c, d] = await seed(client, 4) as [Uid, Uid, Uid, Uid];
      await client.select('INBOX');
      const fetched: (Uid | undefined)[] = [];
      for await (const message of client.fetch([a, c, d], { flags: true })) fetched.push(message.uid);
      expect(fetched).toEqual([a, c, d]);
      const copied = await copy(client, [a, c], 'Archive');
      expect([...copied.uidMap]).toEqual([[a, 1], [c, 2]]);
      const moved = await move(client, [b, d], 'Trash');
      expect(moved).toMatchObject({ emulated: false, expungedSeqs: [2, 3] });
      expect([...moved.uidMap]).toEqual([[b, 1], [d, 2]]);

      // a and c are left; `n:*` above them names c, the last: a part moving c must not make it name a.
      const starMoved = await move(client, [c, { start: uid(c + 100), end: '*' }], 'Trash');
      expect([...starMoved.uidMap.keys()]).toEqual([c]);
      expect(await search(client, {})).toEqual([a]);
      const starFetched: (Uid | undefined)[] = [];
      for await (const message of client.fetch([a, { start: uid(c + 100), end: '*' }], { flags: true })) starFetched.push(message.uid);
      expect(starFetched).toEqual([a]);
    } finally {
      await client.logout().catch(() => {
        client.destroy();
      });
    }
  });
});
