// The POP3 client against the project's throwaway Dovecot: every command, every mechanism Dovecot
// offers, over cleartext, STLS and implicit TLS, with bytes compared to what was seeded.
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConnectionClosedError,
  InvalidArgumentError,
  ServerError,
  TlsError,
  UnsupportedError,
} from '../../src/common/errors.js';
import { Pop3Client, type Pop3ClientOptions, type Pop3TlsMode } from '../../src/pop3/client.js';
import type { Pop3AuthMethod } from '../../src/pop3/auth.js';
import {
  deliver,
  deliverLargeMessage,
  dotLinesMessage,
  dovecot,
  eightBitMessage,
  multipartMessage,
  noFinalCrlfMessage,
  resetUser,
  sampleMessages,
} from '../helpers/dovecot.js';

const USER = 'bob';

function clientOptions(tls: Pop3TlsMode, method: Pop3AuthMethod = 'auto', password?: string): Pop3ClientOptions {
  const facts = dovecot();
  return {
    host: facts.host,
    port: tls === 'implicit' ? facts.ports.pop3s : facts.ports.pop3,
    tls,
    allowCleartext: tls === 'none',
    tlsOptions: { ca: facts.ca, servername: facts.servername },
    auth: { username: facts.users[USER].username, password: password ?? facts.users[USER].password, method },
    commandTimeout: 20_000,
  };
}

const open = (tls: Pop3TlsMode = 'starttls', method: Pop3AuthMethod = 'auto'): Promise<Pop3Client> =>
  Pop3Client.connect(clientOptions(tls, method));

/** Dovecot ends a message that lacks a final CRLF with one (RFC 1939 needs it before the "."). */
const asServed = (bytes: Uint8Array): Buffer => {
  const buffer = Buffer.from(bytes);
  return buffer.subarray(-2).toString('latin1') === '\r\n' ? buffer : Buffer.concat([buffer, Buffer.from('\r\n')]);
};

const sortBuffers = (buffers: Buffer[]): string[] => buffers.map((buffer) => buffer.toString('hex')).sort();

beforeEach(async () => {
  await resetUser(USER);
});

describe('POP3 login: every mechanism over every transport', () => {
  const transports: Pop3TlsMode[] = ['none', 'starttls', 'implicit'];
  const methods: Pop3AuthMethod[] = ['USER', 'APOP', 'PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'auto'];
  for (const tls of transports) {
    for (const method of methods) {
      it(`${method} over ${tls}`, async () => {
        await deliver(USER, eightBitMessage().bytes);
        const client = await open(tls, method);
        expect(client.secure).toBe(tls !== 'none');
        expect(client.state).toBe('transaction');
        expect(client.messageCount).toBe(1);
        expect((await client.stat()).count).toBe(1);
        expect((await client.close()).deletionsCommitted).toBe(true);
      });
    }
  }

  it('reports wrong credentials with the server response code', async () => {
    const error = await Pop3Client.connect(clientOptions('starttls', 'USER', 'wrong password')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).responseCode).toBe('AUTH');
    expect((error as Error).message).not.toContain('wrong password');
    const scram = await Pop3Client.connect(clientOptions('implicit', 'SCRAM-SHA-256', 'wrong')).catch((e: unknown) => e);
    expect(scram).toBeInstanceOf(AuthenticationError);
  });

  it('refuses a server certificate it cannot verify', async () => {
    const options = clientOptions('starttls');
    const error = await Pop3Client.connect({ ...options, tlsOptions: { servername: dovecot().servername } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
  });

  it('re-issues CAPA after STLS and after login', async () => {
    const client = await open('starttls');
    const capabilities = client.capabilities;
    expect(capabilities).toMatchObject({ top: true, uidl: true, pipelining: true, respCodes: true, authRespCode: true });
    // After login Dovecot no longer lists STLS or SASL.
    expect(capabilities.stls).toBe(false);
    expect(client.greeting?.apopTimestamp).toMatch(/^<.+@.+>$/);
    await client.close();
  });
});

describe('POP3 transaction commands against Dovecot', () => {
  it('STAT, LIST, UIDL, RETR, TOP and NOOP return what was seeded, byte for byte', async () => {
    const samples = sampleMessages();
    for (const sample of samples) await deliver(USER, sample.bytes);
    const client = await open('implicit');
    const stat = await client.stat();
    expect(stat.count).toBe(samples.length);
    const list = await client.list();
    expect(list.map((entry) => entry.number)).toEqual(samples.map((_, index) => index + 1));
    expect(stat.size).toBe(list.reduce((sum, entry) => sum + entry.size, 0));
    expect(await client.list(2)).toEqual(list[1]);
    const uidl = await client.uidl();
    expect(new Set(uidl.map((entry) => entry.uid)).size).toBe(samples.length);
    expect(await client.uidl(3)).toEqual(uidl[2]);

    const retrieved: Buffer[] = [];
    for (let number = 1; number <= samples.length; number++) {
      const message = await client.retrieve(number);
      retrieved.push(Buffer.from(await message.bytes()));
    }
    expect(sortBuffers(retrieved)).toEqual(sortBuffers(samples.map((sample) => asServed(sample.bytes))));

    // TOP n 0: the header and the blank line after it.
    const top = Buffer.from(await (await client.top(1, 0)).bytes()).toString('latin1');
    const header = retrieved[0]!.toString('latin1');
    expect(top).toBe(header.slice(0, header.indexOf('\r\n\r\n') + 4));
    await client.noop();
    await expect(client.utf8()).rejects.toThrow(InvalidArgumentError); // valid only before login
    await client.close();
  });

  it('keeps dot-stuffed lines, 8-bit bodies and a missing final CRLF exact', async () => {
    const samples = [dotLinesMessage(), eightBitMessage(), noFinalCrlfMessage(), multipartMessage(50_000)];
    for (const sample of samples) await deliver(USER, sample.bytes);
    const client = await open('none', 'SCRAM-SHA-256');
    const bodies: Buffer[] = [];
    for await (const message of client.retrieveMany([1, 2, 3, 4])) bodies.push(Buffer.from(await message.bytes()));
    expect(sortBuffers(bodies)).toEqual(sortBuffers(samples.map((sample) => asServed(sample.bytes))));
    await client.close();
  });

  it('pipelines UIDL, LIST and RETR batches (Dovecot offers PIPELINING)', async () => {
    for (let index = 0; index < 20; index++) await deliver(USER, multipartMessage(1000 + index * 500).bytes);
    const client = await open('starttls');
    expect(client.capabilities.pipelining).toBe(true);
    const [uidl, list] = await Promise.all([client.uidl(), client.list()]);
    expect(uidl).toHaveLength(20);
    let count = 0;
    for await (const message of client.retrieveMany(list.map((entry) => entry.number))) {
      const bytes = await message.bytes();
      expect(bytes.length).toBe(list[message.number - 1]!.size);
      count++;
    }
    expect(count).toBe(20);
    await client.close();
  });

  it('LANG is refused by Dovecot 2.3, and UTF8 before sending since CAPA lacks it', async () => {
    await deliver(USER, eightBitMessage().bytes);
    const client = await open();
    await expect(client.languages()).rejects.toThrow(ServerError); // Dovecot answers -ERR
    await client.close();
    const before = new Pop3Client({ ...clientOptions('starttls'), auth: undefined });
    await before.connect();
    await expect(before.utf8()).rejects.toThrow(UnsupportedError);
    await before.close();
  });
});

describe('POP3 session semantics against Dovecot', () => {
  async function seedThree(): Promise<Buffer[]> {
    const bytes: Buffer[] = [];
    for (const sample of [eightBitMessage(), dotLinesMessage(), multipartMessage()]) {
      await deliver(USER, sample.bytes);
      bytes.push(asServed(sample.bytes));
    }
    return bytes;
  }

  async function remaining(): Promise<string[]> {
    const client = await open();
    const bodies: Buffer[] = [];
    for await (const message of client.retrieveMany(Array.from({ length: client.messageCount ?? 0 }, (_, i) => i + 1))) {
      bodies.push(Buffer.from(await message.bytes()));
    }
    await client.close();
    return sortBuffers(bodies);
  }

  it('DELE + QUIT removes the message', async () => {
    const seeded = await seedThree();
    const client = await open();
    const deleted = Buffer.from(await (await client.retrieve(2)).bytes());
    await client.delete(2);
    expect((await client.stat()).count).toBe(2);
    expect(await client.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 1 });
    expect(await remaining()).toEqual(sortBuffers(seeded.filter((bytes) => !bytes.equals(deleted))));
  });

  it('DELE + dropped connection removes nothing, and says so', async () => {
    const seeded = await seedThree();
    const client = await open();
    await client.delete(1);
    await client.delete(3);
    const pending = client.noop();
    client.destroy();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toMatch(/no deletions were committed/);
    expect((await client.close()).deletionsCommitted).toBe(false);
    expect(await remaining()).toEqual(sortBuffers(seeded));
  });

  it('DELE + RSET + QUIT removes nothing', async () => {
    const seeded = await seedThree();
    const client = await open();
    await client.delete(1);
    await client.delete(2);
    await client.reset();
    expect((await client.stat()).count).toBe(3);
    expect(await client.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 0 });
    expect(await remaining()).toEqual(sortBuffers(seeded));
  });
});

describe('POP3 streaming', () => {
  it('streams a 25 MB message with flat memory, bytes identical', async () => {
    const large = await deliverLargeMessage(USER, { megabytes: 25 });
    const client = await open('none', 'CRAM-MD5');
    const message = await client.retrieve(1);
    const hash = createHash('sha256');
    let size = 0;
    // Live buffers only: collect garbage before each sample.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage().arrayBuffers;
    let peakGrowth = 0;
    let nextSample = 0;
    for await (const chunk of message) {
      hash.update(chunk);
      size += chunk.length;
      if (size >= nextSample) {
        nextSample += 2 * 1024 * 1024;
        gc();
        peakGrowth = Math.max(peakGrowth, process.memoryUsage().arrayBuffers - base);
      }
    }
    expect(size).toBe(large.size);
    expect(hash.digest('hex')).toBe(large.sha256);
    // The body streams: buffers in flight stay far below the message's 25 MB.
    expect(peakGrowth).toBeLessThan(12 * 1024 * 1024);
    await client.close();
  });
});
