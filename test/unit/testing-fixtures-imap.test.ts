// The IMAP client on the transcripts recorded from the project's Dovecot (fixtures/imap, recorded by
// scripts/record-fixtures.ts): offline, through the test kit's replayConnector.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { MailwireError } from '../../src/common/errors.js';
import { append } from '../../src/imap/commands/append.js';
import { uidExpunge } from '../../src/imap/commands/expunge.js';
import { list } from '../../src/imap/commands/mailboxes.js';
import { store } from '../../src/imap/commands/store.js';
import { ImapClient, type ImapClientOptions, type ImapCredentials } from '../../src/imap/index.js';
import { loadTranscriptSync, replayConnector, startReplayServer, type ReplayChunking, type Transcript } from '../../src/testing/index.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');
const transcript = (name: string): Transcript => loadTranscriptSync(path.join(fixtures, 'imap', name));
const message = (name: string): Buffer => readFileSync(path.join(fixtures, 'messages', name));
const MESSAGES = ['1-eight-bit.eml', '2-dot-lines.eml', '3-no-final-crlf.eml'];
const chunkings: ReplayChunking[] = ['recorded', 'byte', { seed: 1993 }];

function options(
  fixture: Transcript,
  chunking: ReplayChunking,
  auth: ImapCredentials = { username: 'carol', password: 'any password', method: 'LOGIN' },
): ImapClientOptions & { connector: ReturnType<typeof replayConnector> } {
  const tls = fixture.header.tls === 'implicit' ? 'implicit' : fixture.header.tls === 'starttls' ? 'starttls' : 'none';
  return { host: 'imap.mailwire.test', tls, auth, commandTimeout: 2000, connector: replayConnector(fixture, { chunking }) };
}

describe('IMAP fixtures, replayed', () => {
  const logins: [string, ImapCredentials][] = [
    ['login-login.txt', { username: 'carol', password: 'any password', method: 'LOGIN' }],
    // bob's password needs a literal: any password that needs one too (the size is not checked).
    ['login-login-bob.txt', { username: 'bob', password: 'p\u00e4ss "w\u00f6rd"', method: 'LOGIN' }],
    ['login-plain.txt', { username: 'carol', password: 'any password', method: 'PLAIN' }],
    ['login-cram-md5.txt', { username: 'carol', password: 'any password', method: 'CRAM-MD5' }],
    ['starttls.txt', { username: 'carol', password: 'any password', method: 'LOGIN' }],
  ];
  for (const [file, auth] of logins) {
    for (const chunking of chunkings) {
      it(`${file} with ${JSON.stringify(chunking)} chunking`, async () => {
        const clientOptions = options(transcript(file), chunking, auth);
        const client = await ImapClient.connect(clientOptions);
        expect(client.state).toBe('authenticated');
        expect(client.secure).toBe(true);
        expect(client.hasCapability('IDLE')).toBe(true);
        await client.logout();
        clientOptions.connector.assertDone();
      });
    }
  }

  it('login-login-bob.txt does not give the length of the password sent as a literal', () => {
    const text = readFileSync(path.join(fixtures, 'imap', 'login-login-bob.txt'), 'latin1');
    expect(text).toContain('C: A1 LOGIN bob {<redacted>+}\n');
    expect(text).not.toMatch(/^C: .*\{\d+\+?\}$/m);
  });

  it('SCRAM transcripts cannot be replayed (the server-final is redacted)', async () => {
    const fixture = transcript('login-scram-sha-256.txt');
    await expect(
      ImapClient.connect(options(fixture, 'recorded', { username: 'carol', password: 'any', method: 'SCRAM-SHA-256' })),
    ).rejects.toBeInstanceOf(MailwireError);
  });

  for (const chunking of chunkings) {
    it(`LIST, SELECT and headers of every message (list-fetch-headers.txt, ${JSON.stringify(chunking)})`, async () => {
      const clientOptions = options(transcript('list-fetch-headers.txt'), chunking);
      const client = await ImapClient.connect(clientOptions);
      const mailboxes = await list(client);
      expect(mailboxes.map((mailbox) => mailbox.name)).toEqual(expect.arrayContaining(['INBOX', 'Sent', 'Trash']));
      const inbox = await client.select('INBOX');
      expect(inbox.exists).toBe(3);
      const headers: Buffer[] = [];
      for await (const fetched of client.fetch({ seq: '1:*' }, { flags: true, size: true, envelope: true, bodies: ['HEADER'] }, { bodies: 'buffer' })) {
        await fetched.complete();
        headers.push(Buffer.from(fetched.bodyBytes('HEADER')!));
      }
      expect(headers).toEqual(MESSAGES.map((name) => {
        const bytes = message(name);
        return bytes.subarray(0, bytes.indexOf('\r\n\r\n') + 4);
      }));
      await client.logout();
      clientOptions.connector.assertDone();
    });

    it(`whole messages, byte for byte (fetch-bodies.txt, ${JSON.stringify(chunking)})`, async () => {
      const clientOptions = options(transcript('fetch-bodies.txt'), chunking);
      const client = await ImapClient.connect(clientOptions);
      await client.select('INBOX');
      const uids: number[] = [];
      for await (const fetched of client.fetch({ seq: '1:*' }, { flags: true }, { bodies: 'buffer' })) {
        await fetched.complete();
        uids.push(fetched.uid!);
      }
      const bodies: Buffer[] = [];
      for (const uid of uids) {
        const fetched = await client.fetchOne(String(uid), { source: true }, { bodies: 'buffer' });
        await fetched!.complete();
        bodies.push(Buffer.from(fetched!.bodyBytes('')!));
      }
      expect(bodies).toEqual(MESSAGES.map(message));
      await client.logout();
      clientOptions.connector.assertDone();
    });
  }

  it('delete: UID STORE \\Deleted then UID EXPUNGE of that UID only (delete.txt)', async () => {
    const clientOptions = options(transcript('delete.txt'), { seed: 4 });
    const client = await ImapClient.connect(clientOptions);
    await client.select('INBOX');
    const first = await client.fetchOne({ seq: '1' }, { flags: true });
    await store(client, first!.uid!, 'add', ['\\Deleted'], { silent: true });
    await uidExpunge(client, first!.uid!);
    expect(client.mailbox?.exists).toBe(2);
    await client.logout();
    clientOptions.connector.assertDone();
  });

  for (const chunking of chunkings) {
    it(`IDLE sees a new message (idle.txt, ${JSON.stringify(chunking)})`, async () => {
      const clientOptions = options(transcript('idle.txt'), chunking);
      const client = await ImapClient.connect(clientOptions);
      await client.select('INBOX');
      const idle = client.idle();
      let count: number | undefined;
      for (let result = await idle.next(); !result.done; result = await idle.next()) {
        if (result.value.kind === 'exists') {
          count = result.value.count;
          break;
        }
      }
      expect(count).toBe(4);
      await idle.return();
      await client.logout();
      clientOptions.connector.assertDone();
    });
  }

  it('APPEND sends the message as a literal (append.txt)', async () => {
    const clientOptions = options(transcript('append.txt'), 'byte');
    const client = await ImapClient.connect(clientOptions);
    const appended = readFileSync(path.join(fixtures, 'imap/append.txt'), 'utf8');
    const body = [...appended.matchAll(/^C:(?: (.*))?$/gm)].map((match) => match[1] ?? '').slice(2, -2).join('\r\n') + '\r\n';
    const result = await append(client, 'INBOX', body, { flags: ['\\Seen'] });
    expect(result?.uid).toBeGreaterThan(0);
    await client.logout();
    clientOptions.connector.assertDone();
  });

  it('STARTTLS with a real handshake, on the replay server', async () => {
    const server = await startReplayServer(transcript('starttls.txt'));
    const client = await ImapClient.connect({
      host: server.host,
      port: server.port,
      tls: 'starttls',
      tlsOptions: { ca: server.ca, servername: server.servername },
      auth: { username: 'carol', password: 'any', method: 'LOGIN' },
    });
    expect(client.secure).toBe(true);
    await client.logout();
    await server.close();
  });
});
