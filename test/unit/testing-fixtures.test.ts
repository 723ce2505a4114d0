// The POP3 client on the transcripts recorded from the project's Dovecot (fixtures/pop3, recorded by
// scripts/record-fixtures.ts): offline, through the test kit's replayConnector and replay server.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import path from 'node:path';

import { describe, expect, it, vi } from 'vitest';

import { MailwireError } from '../../src/common/errors.js';
import { Pop3Client, type Pop3ClientOptions, type Pop3Credentials } from '../../src/pop3/index.js';
import {
  FixtureMismatchError,
  loadTranscriptSync,
  replayConnector,
  startReplayServer,
  type ReplayChunking,
  type Transcript,
} from '../../src/testing/index.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');
const transcript = (name: string): Transcript => loadTranscriptSync(path.join(fixtures, name));
const message = (name: string): Buffer => readFileSync(path.join(fixtures, 'messages', name));
/** Any password: the recorded one was redacted, and a replay accepts any text in its place. */
const auth = (method: Pop3Credentials['method']): Pop3Credentials => ({ username: 'carol', password: 'not-the-password', method });
const chunkings: ReplayChunking[] = ['recorded', 'byte', { seed: 2026 }];

function options(
  fixture: Transcript,
  chunking: ReplayChunking,
  method: Pop3Credentials['method'],
): Pop3ClientOptions & { connector: ReturnType<typeof replayConnector> } {
  const tls = fixture.header.tls === 'implicit' ? 'implicit' : fixture.header.tls === 'starttls' ? 'starttls' : 'none';
  return {
    host: 'pop.mailwire.test',
    port: tls === 'implicit' ? 995 : 110,
    tls,
    allowCleartext: tls === 'none',
    auth: auth(method),
    commandTimeout: 2000,
    connector: replayConnector(fixture, { chunking }),
  };
}

describe('POP3 fixtures, replayed', () => {
  const logins: [string, Pop3Credentials['method']][] = [
    ['pop3/login-user.txt', 'USER'],
    ['pop3/login-apop.txt', 'APOP'],
    ['pop3/login-plain.txt', 'PLAIN'],
    ['pop3/login-login.txt', 'LOGIN'],
    ['pop3/login-cram-md5.txt', 'CRAM-MD5'],
    ['pop3/stls.txt', 'PLAIN'],
  ];
  for (const [file, method] of logins) {
    for (const chunking of chunkings) {
      it(`${file} with ${JSON.stringify(chunking)} chunking`, async () => {
        const clientOptions = options(transcript(file), chunking, method);
        const client = await Pop3Client.connect(clientOptions);
        expect(client.state).toBe('transaction');
        expect(client.secure).toBe(file !== 'pop3/login-apop.txt');
        expect(client.messageCount).toBe(3);
        expect(await client.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 0, serverText: 'Logging out.' });
        clientOptions.connector.assertDone();
      });
    }
  }

  it('SCRAM transcripts document the exchange but cannot be replayed (the server-final is redacted)', async () => {
    for (const file of ['pop3/login-scram-sha-1.txt', 'pop3/login-scram-sha-256.txt']) {
      const fixture = transcript(file);
      expect(readFileSync(path.join(fixtures, file), 'utf8')).toContain('S: + <redacted>\n');
      const clientOptions = options(fixture, 'recorded', file.includes('256') ? 'SCRAM-SHA-256' : 'SCRAM-SHA-1');
      await expect(Pop3Client.connect(clientOptions)).rejects.toBeInstanceOf(MailwireError);
    }
  });

  for (const chunking of chunkings) {
    it(`lists, reads headers and bodies (list-headers-bodies.txt, ${JSON.stringify(chunking)})`, async () => {
      const clientOptions = options(transcript('pop3/list-headers-bodies.txt'), chunking, 'PLAIN');
      const client = await Pop3Client.connect(clientOptions);
      const stored = [message('1-eight-bit.eml'), message('2-dot-lines.eml'), message('3-no-final-crlf.eml')];
      // Dovecot adds a CRLF before the terminator to a message that lacks one (its size does not count it).
      const expected = [stored[0]!, stored[1]!, Buffer.concat([stored[2]!, Buffer.from('\r\n')])];
      const listing = await client.list();
      expect(listing).toEqual(stored.map((bytes, index) => ({ number: index + 1, size: bytes.length })));
      const uids = await client.uidl();
      expect(uids.map((entry) => entry.number)).toEqual([1, 2, 3]);
      for (const entry of uids) expect(entry.uid).toMatch(/^[0-9a-f]{16}$/);
      for (const { number } of listing) {
        const headers = Buffer.from(await (await client.top(number, 0)).bytes());
        const bytes = expected[number - 1]!;
        expect(headers.equals(bytes.subarray(0, bytes.indexOf('\r\n\r\n') + 4))).toBe(true);
      }
      for (const { number } of listing) {
        const body = Buffer.from(await (await client.retrieve(number)).bytes());
        expect(body.equals(expected[number - 1]!)).toBe(true);
      }
      expect((await client.close()).deletionsCommitted).toBe(true);
      clientOptions.connector.assertDone();
    });
  }

  it('deletes, and a second connection sees the message gone (delete.txt: two connections)', async () => {
    const fixture = transcript('pop3/delete.txt');
    expect(fixture.sessions).toHaveLength(2);
    const connector = replayConnector(fixture, { chunking: { seed: 5 } });
    const first = await Pop3Client.connect({ ...options(fixture, 'recorded', 'PLAIN'), connector });
    expect(Buffer.from(await (await first.retrieve(1)).bytes()).equals(message('1-eight-bit.eml'))).toBe(true);
    await first.delete(1);
    expect(await first.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 1 });
    const second = await Pop3Client.connect({ ...options(fixture, 'recorded', 'PLAIN'), connector });
    expect(second.messageCount).toBe(2);
    expect(await second.uidl()).toHaveLength(2);
    await second.close();
    connector.assertDone();
  });

  it('a client that does something else fails its pending call with FixtureMismatchError', async () => {
    const clientOptions = options(transcript('pop3/list-headers-bodies.txt'), 'recorded', 'PLAIN');
    const client = await Pop3Client.connect(clientOptions);
    const error: unknown = await client.retrieve(2).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FixtureMismatchError);
    const mismatch = error as FixtureMismatchError;
    expect(mismatch.expected).toBe('C: LIST');
    expect(mismatch.actual).toBe('C: RETR 2');
    expect(mismatch.message).toMatch(/list-headers-bodies\.txt:\d+: replay mismatch/);
    await expect(clientOptions.connector.close()).rejects.toBe(mismatch);
  });
});

describe('POP3 fixtures on the replay server (real sockets)', () => {
  it('implicit TLS with the bundled test certificate', async () => {
    const server = await startReplayServer(transcript('pop3/login-user.txt'));
    const client = await Pop3Client.connect({
      host: server.host,
      port: server.port,
      tls: 'implicit',
      tlsOptions: { ca: server.ca, servername: server.servername },
      auth: auth('USER'),
    });
    expect(client.secure).toBe(true);
    await client.close();
    await server.done();
    await server.close();
  });

  it('STLS: a real TLS handshake in the middle of the connection', async () => {
    const server = await startReplayServer(transcript('pop3/stls.txt'), { chunking: 'byte' });
    const client = await Pop3Client.connect({
      host: server.host,
      port: server.port,
      tls: 'starttls',
      tlsOptions: { ca: server.ca, servername: server.servername },
      auth: auth('PLAIN'),
    });
    expect(client.secure).toBe(true);
    await client.close();
    await server.close();
  });

  it('plain TCP (APOP), and a client that stops early is reported on close', async () => {
    const server = await startReplayServer(transcript('pop3/login-apop.txt'));
    const client = new Pop3Client({ host: server.host, port: server.port, tls: 'none', allowCleartext: true });
    await client.connect();
    client.destroy();
    await expect(server.close()).rejects.toThrow(/login-apop\.txt:\d+: the transcript was not played to its end; next: C: APOP carol <redacted>/);
  });
});

describe('replayConnector opens no socket', () => {
  it('a whole POP3 session replays without net.Socket.connect being called', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    try {
      const clientOptions = options(transcript('pop3/list-headers-bodies.txt'), 'recorded', 'PLAIN');
      const client = await Pop3Client.connect(clientOptions);
      await client.list();
      await client.close().catch(() => undefined);
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
  });
});
