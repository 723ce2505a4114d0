// The `record` option of both clients: a live session against the project's Dovecot is written to a
// transcript with no secret in it, and the transcript replays the same session without a server.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapClient, type ImapClientOptions } from '../../src/imap/client.js';
import { Pop3Client, type Pop3ClientOptions } from '../../src/pop3/client.js';
import { loadTranscript, replayConnector } from '../../src/testing/index.js';
import { deliver, dovecot, eightBitMessage, resetUser } from '../helpers/dovecot.js';

let folder = '';
let seeded: Uint8Array;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'mailwire-record-'));
  await resetUser('bob');
  seeded = (await deliver('bob', eightBitMessage().bytes)).bytes;
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** bob's password needs quoting in IMAP (space, quotes, backslash, 8-bit): the hardest to redact. */
function password(): string {
  return dovecot().users.bob.password;
}

function assertNoSecret(transcript: string): void {
  const secret = password();
  expect(transcript).not.toContain(secret);
  expect(transcript).not.toContain(Buffer.from(secret).toString('latin1'));
  expect(transcript).not.toContain(Buffer.from(secret).toString('base64'));
  expect(transcript).toContain('<redacted>');
}

describe('record option', () => {
  it('POP3: records a session without secrets, and the transcript replays it', async () => {
    const facts = dovecot();
    const file = path.join(folder, 'pop3.txt');
    const options: Pop3ClientOptions = {
      host: facts.host,
      port: facts.ports.pop3s,
      tls: 'implicit',
      tlsOptions: { ca: facts.ca, servername: facts.servername },
      auth: { username: 'bob', password: password(), method: 'USER' },
    };
    const live = await Pop3Client.connect({ ...options, record: file });
    const liveBytes = await (await live.retrieve(1)).bytes();
    await live.close();
    expect(Buffer.from(liveBytes).equals(Buffer.from(seeded))).toBe(true);

    assertNoSecret(await readFile(file, 'utf8'));

    const replay = replayConnector(await loadTranscript(file), { chunking: 'byte' });
    const replayed = await Pop3Client.connect({ ...options, connector: replay });
    const replayedBytes = await (await replayed.retrieve(1)).bytes();
    await replayed.close();
    replay.assertDone();
    expect(Buffer.from(replayedBytes).equals(Buffer.from(liveBytes))).toBe(true);
  });

  it('IMAP: records LOGIN with a literal password redacted, and the transcript replays it', async () => {
    const facts = dovecot();
    const file = path.join(folder, 'imap.txt');
    const options: ImapClientOptions = {
      host: facts.host,
      port: facts.ports.imaps,
      tls: 'implicit',
      tlsOptions: { ca: facts.ca, servername: facts.servername },
      auth: { username: 'bob', password: password(), method: 'LOGIN' },
    };
    const fetchBody = async (client: ImapClient): Promise<Uint8Array> => {
      await client.select('INBOX');
      const message = await client.fetchOne('1:*', { source: true }, { bodies: 'buffer' });
      await client.close();
      expect(message).toBeDefined();
      return message!.bodyBytes()!;
    };
    const liveBytes = await fetchBody(await ImapClient.connect({ ...options, record: file }));
    expect(Buffer.from(liveBytes).equals(Buffer.from(seeded))).toBe(true);

    assertNoSecret(await readFile(file, 'utf8'));

    const replay = replayConnector(await loadTranscript(file), { chunking: { seed: 7 } });
    const replayedBytes = await fetchBody(await ImapClient.connect({ ...options, connector: replay }));
    replay.assertDone();
    expect(Buffer.from(replayedBytes).equals(Buffer.from(liveBytes))).toBe(true);
  });
});
