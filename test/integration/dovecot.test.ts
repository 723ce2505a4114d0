// Smoke test of the throwaway Dovecot itself, over raw sockets: if this file fails, the protocol
// clients' integration tests cannot be trusted. Kept small on purpose.
import { createHash, createHmac } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deliver, deliverLargeMessage, dotLinesMessage, dovecot, eightBitMessage, encodedWordMessages, multipartMessage,
  noFinalCrlfMessage, resetUser, saveWithDoveadm, sha256,
} from '../helpers/dovecot.js';

/** A line-oriented socket for hand-written protocol exchanges (no parsing beyond CRLF and literals). */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private socket: net.Socket) {
    this.attach();
  }

  static async open(port: number, options: { tls?: tls.ConnectionOptions } = {}): Promise<RawConnection> {
    const { host } = dovecot();
    const socket = options.tls
      ? tls.connect({ host, port, ...options.tls })
      : net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => { resolve(); });
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  get tlsSocket(): tls.TLSSocket {
    if (!(this.socket instanceof tls.TLSSocket)) throw new Error('not a TLS connection');
    return this.socket;
  }

  private attach(): void {
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    this.socket.on('error', (error) => {
      this.failure = error;
      this.wake?.();
    });
    this.socket.on('close', () => {
      this.failure ??= new Error('connection closed');
      this.wake?.();
    });
  }

  private async waitFor<T>(take: () => T | undefined): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`timed out; buffered: ${this.buffer.toString('latin1')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Next line without its CRLF, as latin1 text (bytes preserved one-to-one). */
  readLine(): Promise<string> {
    return this.waitFor(() => {
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return undefined;
      const line = this.buffer.subarray(0, end).toString('latin1');
      this.buffer = this.buffer.subarray(end + 2);
      return line;
    });
  }

  readBytes(count: number): Promise<Buffer> {
    return this.waitFor(() => {
      if (this.buffer.length < count) return undefined;
      const bytes = Buffer.from(this.buffer.subarray(0, count));
      this.buffer = this.buffer.subarray(count);
      return bytes;
    });
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** IMAP: sends `tag line`, returns the untagged lines and the tagged completion. */
  async imap(tag: string, line: string): Promise<{ untagged: string[]; done: string }> {
    this.send(`${tag} ${line}`);
    const untagged: string[] = [];
    for (;;) {
      const response = await this.readLine();
      if (response.startsWith(`${tag} `)) return { untagged, done: response };
      untagged.push(response);
    }
  }

  /** POP3 multi-line data after a +OK line, dot-unstuffed, CRLFs kept (RFC 1939 section 3). */
  async pop3Data(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line === '.') return Buffer.concat(parts);
      parts.push(Buffer.from(`${line.startsWith('.') ? line.slice(1) : line}\r\n`, 'latin1'));
    }
  }

  /** STARTTLS/STLS: the buffer must be empty (nothing may follow the go-ahead). */
  async upgrade(options: tls.ConnectionOptions): Promise<void> {
    expect(this.buffer.length).toBe(0);
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain, ...options });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => { resolve(); });
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach();
  }

  close(): void {
    this.socket.destroy();
  }
}

const verified = (): tls.ConnectionOptions => ({ ca: dovecot().ca, servername: dovecot().servername });

function expectOk(done: string): void {
  expect(done).toMatch(/^\S+ OK/);
}

async function imapLogin(connection: RawConnection, user: 'alice' | 'bob' | 'carol' = 'alice'): Promise<void> {
  const { password } = dovecot().users[user];
  expectOk((await connection.imap('L', `LOGIN ${user} "${password}"`)).done);
}

describe('Dovecot test server: IMAP', () => {
  it('greets, logs in over plain TCP and lists the extensions the clients rely on', async () => {
    const connection = await RawConnection.open(dovecot().ports.imap);
    try {
      expect(await connection.readLine()).toMatch(/^\* OK \[CAPABILITY [^\]]*STARTTLS/);
      await imapLogin(connection);
      const { untagged, done } = await connection.imap('C', 'CAPABILITY');
      expectOk(done);
      const capabilities = untagged.find((line) => line.startsWith('* CAPABILITY '))!.split(' ');
      for (const name of ['IMAP4rev1', 'COMPRESS=DEFLATE', 'QUOTA', 'SPECIAL-USE', 'IDLE', 'UIDPLUS', 'MOVE', 'CONDSTORE']) {
        expect(capabilities).toContain(name);
      }
      const list = await connection.imap('S', 'LIST "" "*"');
      for (const [mailbox, flag] of Object.entries(dovecot().specialUse)) {
        expect(list.untagged.some((line) => line.includes(flag) && line.endsWith(` ${mailbox}`))).toBe(true);
      }
      const quota = await connection.imap('Q', 'GETQUOTAROOT INBOX');
      expectOk(quota.done);
      expect(quota.untagged.join('\n')).toMatch(new RegExp(`STORAGE \\d+ ${dovecot().quotaStorageKiB}`));
      expectOk((await connection.imap('Z', 'LOGOUT')).done);
    } finally {
      connection.close();
    }
  });

  it('upgrades with STARTTLS to a certificate that verifies against the generated CA', async () => {
    const connection = await RawConnection.open(dovecot().ports.imap);
    try {
      await connection.readLine();
      expectOk((await connection.imap('T', 'STARTTLS')).done);
      await connection.upgrade(verified());
      expect(connection.tlsSocket.authorized).toBe(true);
      await imapLogin(connection);
    } finally {
      connection.close();
    }
  });

  it('speaks implicit TLS; the certificate names localhost and 127.0.0.1 and is refused without the CA', async () => {
    const { ports, host } = dovecot();
    const byName = await RawConnection.open(ports.imaps, { tls: verified() });
    try {
      expect(byName.tlsSocket.authorized).toBe(true);
      expect(await byName.readLine()).toMatch(/^\* OK /);
      await imapLogin(byName);
    } finally {
      byName.close();
    }
    const byIp = await RawConnection.open(ports.imaps, { tls: { ca: dovecot().ca } }); // identity checked against host 127.0.0.1
    byIp.close();
    await expect(RawConnection.open(ports.imaps, { tls: {} })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    await expect(RawConnection.open(ports.imaps, { tls: { ca: dovecot().ca, servername: 'wrong.example' } }))
      .rejects.toThrow(/altnames|does not match/i);
    expect(host).toBe('127.0.0.1');
  });

  it('accepts AUTHENTICATE PLAIN (8-bit password) and CRAM-MD5', async () => {
    const { bob, alice } = dovecot().users;
    const plain = await RawConnection.open(dovecot().ports.imap);
    try {
      await plain.readLine();
      const response = Buffer.from(`\0bob\0${bob.password}`, 'utf8').toString('base64');
      expectOk((await plain.imap('A', `AUTHENTICATE PLAIN ${response}`)).done);
    } finally {
      plain.close();
    }
    const cram = await RawConnection.open(dovecot().ports.imap);
    try {
      await cram.readLine();
      cram.send('A AUTHENTICATE CRAM-MD5');
      const challenge = Buffer.from((await cram.readLine()).slice(2), 'base64');
      const digest = createHmac('md5', alice.password).update(challenge).digest('hex');
      cram.send(Buffer.from(`alice ${digest}`).toString('base64'));
      expectOk(await cram.readLine());
    } finally {
      cram.close();
    }
  });
});

describe('Dovecot test server: POP3', () => {
  it('greets with an APOP timestamp, offers SASL with every mechanism, and logs in with USER/PASS and APOP', async () => {
    const { ports, users } = dovecot();
    const connection = await RawConnection.open(ports.pop3);
    let timestamp: string;
    try {
      const greeting = await connection.readLine();
      const match = /<[^<>@\s]+@[^<>\s]+>/.exec(greeting);
      expect(match, greeting).not.toBeNull();
      timestamp = match![0];
      connection.send('CAPA');
      expect(await connection.readLine()).toMatch(/^\+OK/);
      const capabilities = (await connection.pop3Data()).toString('latin1').split('\r\n');
      expect(capabilities).toContain('STLS');
      expect(capabilities).toContain('UIDL');
      const sasl = capabilities.find((line) => line.startsWith('SASL '))!.split(' ');
      for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256']) expect(sasl).toContain(mechanism);
      connection.send('USER alice');
      expect(await connection.readLine()).toMatch(/^\+OK/);
      connection.send(`PASS ${users.alice.password}`);
      expect(await connection.readLine()).toMatch(/^\+OK/);
      connection.send('QUIT');
      expect(await connection.readLine()).toMatch(/^\+OK/);
    } finally {
      connection.close();
    }
    const apop = await RawConnection.open(ports.pop3);
    try {
      const stamp = /<[^>]+>/.exec(await apop.readLine())![0];
      expect(stamp).not.toBe(timestamp); // a fresh timestamp per connection
      apop.send(`APOP bob ${createHash('md5').update(Buffer.from(stamp + users.bob.password, 'utf8')).digest('hex')}`);
      expect(await apop.readLine()).toMatch(/^\+OK/);
    } finally {
      apop.close();
    }
  });

  it('upgrades with STLS and speaks implicit TLS, verified against the CA', async () => {
    const { ports, users } = dovecot();
    const stls = await RawConnection.open(ports.pop3);
    try {
      await stls.readLine();
      stls.send('STLS');
      expect(await stls.readLine()).toMatch(/^\+OK/);
      await stls.upgrade(verified());
      expect(stls.tlsSocket.authorized).toBe(true);
      stls.send('USER carol');
      expect(await stls.readLine()).toMatch(/^\+OK/);
      stls.send(`PASS ${users.carol.password}`);
      expect(await stls.readLine()).toMatch(/^\+OK/);
    } finally {
      stls.close();
    }
    const implicit = await RawConnection.open(ports.pop3s, { tls: verified() });
    try {
      expect(implicit.tlsSocket.authorized).toBe(true);
      expect(await implicit.readLine()).toMatch(/^\+OK/);
    } finally {
      implicit.close();
    }
  });
});

describe('Dovecot test server: seeded mail', () => {
  beforeAll(async () => {
    await resetUser('carol');
  });

  it('shows the same seeded bytes through IMAP and POP3', async () => {
    const seeded = [
      (await deliver('carol', eightBitMessage().bytes)).bytes,
      (await deliver('carol', dotLinesMessage().bytes)).bytes,
      (await deliver('carol', noFinalCrlfMessage().bytes, { flags: 'S' })).bytes,
      await saveWithDoveadm('carol', multipartMessage().bytes),
    ].map((bytes) => Buffer.from(bytes));

    const imap = await RawConnection.open(dovecot().ports.imap);
    const viaImap: Buffer[] = [];
    try {
      await imap.readLine();
      await imapLogin(imap, 'carol');
      expectOk((await imap.imap('S', 'SELECT INBOX')).done);
      imap.send('F FETCH 1:* (BODY.PEEK[])');
      for (;;) {
        const line = await imap.readLine();
        if (line.startsWith('F ')) {
          expectOk(line);
          break;
        }
        const literal = /\{(\d+)\}$/.exec(line);
        if (literal) {
          viaImap.push(await imap.readBytes(Number(literal[1])));
          expect(await imap.readLine()).toBe(')');
        }
      }
    } finally {
      imap.close();
    }
    expect(viaImap).toHaveLength(seeded.length);
    const sorted = (list: Buffer[]): string[] => list.map((b) => b.toString('hex')).sort();
    expect(sorted(viaImap)).toEqual(sorted(seeded));

    const pop3 = await RawConnection.open(dovecot().ports.pop3);
    const viaPop3: Buffer[] = [];
    try {
      await pop3.readLine();
      pop3.send('USER carol');
      await pop3.readLine();
      pop3.send(`PASS ${dovecot().users.carol.password}`);
      expect(await pop3.readLine()).toMatch(/^\+OK/);
      pop3.send('UIDL');
      expect(await pop3.readLine()).toMatch(/^\+OK/);
      const uidls = (await pop3.pop3Data()).toString('latin1').trim().split('\r\n');
      expect(uidls).toHaveLength(seeded.length);
      for (const entry of uidls) expect(entry).toMatch(/^\d+ [0-9a-f]{16}$/); // pop3_uidl_format = %08Xu%08Xv (Dovecot writes %X in lower case)
      for (let n = 1; n <= seeded.length; n++) {
        pop3.send(`RETR ${n}`);
        expect(await pop3.readLine()).toMatch(/^\+OK/);
        viaPop3.push(await pop3.pop3Data());
      }
      pop3.send('QUIT');
      await pop3.readLine();
    } finally {
      pop3.close();
    }
    // Both list messages in UID order. POP3 adds the CRLF a message lacks before the terminator.
    const withFinalCrlf = (bytes: Buffer): Buffer => bytes.subarray(-2).toString() === '\r\n' ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]);
    expect(viaPop3.map((b) => b.toString('hex'))).toEqual(viaImap.map((b) => withFinalCrlf(b).toString('hex')));
  });
});

describe('Dovecot test server: seeding helpers', () => {
  it('streams a large message, files into another mailbox, and resets a user who is logged in', async () => {
    await resetUser('carol');
    const large = await deliverLargeMessage('carol', { megabytes: 3 });
    await deliver('carol', encodedWordMessages()[0]!.bytes, { mailbox: 'Archive', flags: 'S' });

    const imap = await RawConnection.open(dovecot().ports.imap);
    try {
      await imap.readLine();
      await imapLogin(imap, 'carol');
      expect((await imap.imap('S', 'SELECT INBOX')).untagged).toContain('* 1 EXISTS');
      imap.send('F FETCH 1 (RFC822.SIZE BODY.PEEK[])');
      const header = await imap.readLine();
      expect(header).toMatch(new RegExp(`RFC822\\.SIZE ${large.size}\\b.*\\{${large.size}\\}$`));
      expect(sha256(await imap.readBytes(large.size))).toBe(large.sha256);
      expect(await imap.readLine()).toBe(')');
      expectOk(await imap.readLine());
      const status = await imap.imap('T', 'STATUS Archive (MESSAGES UNSEEN)');
      expect(status.untagged).toContain('* STATUS Archive (MESSAGES 1 UNSEEN 0)');

      await resetUser('carol'); // kicks this session
      await expect(imap.readLine()).resolves.toMatch(/^\* BYE/);
    } finally {
      imap.close();
    }
    const again = await RawConnection.open(dovecot().ports.imap);
    try {
      await again.readLine();
      await imapLogin(again, 'carol');
      expect((await again.imap('S', 'SELECT INBOX')).untagged).toContain('* 0 EXISTS');
    } finally {
      again.close();
    }
  });
});
