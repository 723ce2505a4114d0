import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  ConnectionClosedError,
  InvalidArgumentError,
  LimitExceededError,
  ProtocolError,
  ServerError,
  TimeoutError,
  TlsError,
  UnsupportedError,
} from '../../src/common/errors.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { Pop3Client, type Pop3ClientOptions, type Pop3CloseResult } from '../../src/pop3/client.js';
import { startAnsweringServer } from './pop3/answering-server.js';
import { C, S, hangUp, login, pause, quiet, raw, reply, scramServerFirst, splitAt, startFakeServer, startTls, until, waitEnd, type FakeServer, type Step } from './pop3/fake-server.js';
import { testCertificate } from '../helpers/tls-cert.js';

const servers: { close(): Promise<void> }[] = [];
const clients: Pop3Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function serve(script: Step[]): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

function options(server: FakeServer, extra: Partial<Pop3ClientOptions> = {}): Pop3ClientOptions {
  return {
    host: '127.0.0.1',
    port: server.port,
    tls: 'none',
    allowCleartext: true,
    auth: { username: 'alice', password: 'secret pass', method: 'USER' },
    commandTimeout: 2_000,
    ...extra,
  };
}

async function connect(server: FakeServer, extra: Partial<Pop3ClientOptions> = {}): Promise<Pop3Client> {
  const client = new Pop3Client(options(server, extra));
  clients.push(client);
  await client.connect();
  return client;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('Pop3Client against scripted servers', () => {
  it('runs a whole session without pipelining, one command at a time', async () => {
    const server = await serve([
      ...login({ capa: ['TOP', 'USER', 'UIDL', 'RESP-CODES'], count: 2 }),
      C('LIST'),
      quiet(),
      S('+OK 2 messages', '1 120', '2 200', '.'),
      C('LIST 2'),
      S('+OK 2 200'),
      C('UIDL'),
      S('+OK', '1 whqtswO00WBw418f9t5JxYwZ', '2 QhdPYR:00WBw1Ph7x7', '.'),
      C('UIDL 1'),
      S('+OK 1 whqtswO00WBw418f9t5JxYwZ'),
      C('RETR 1'),
      S('+OK 23 octets', 'Subject: x', '', '..dot', '.'),
      C('TOP 2 0'),
      S('+OK', 'Subject: y', '', '.'),
      C('DELE 1'),
      S('+OK message 1 deleted'),
      C('NOOP'),
      S('+OK'),
      C('QUIT'),
      S('+OK bye'),
      waitEnd(),
    ]);
    const client = await connect(server);
    expect(client.state).toBe('transaction');
    expect(client.greeting?.apopTimestamp).toBe('<1896.697170952@dbc.mtview.ca.us>');
    expect(client.capabilities.top).toBe(true);
    expect(client.messageCount).toBe(2);

    // Issued together: without PIPELINING the client still sends them one at a time.
    const [list, one, uidl, uidlOne] = await Promise.all([client.list(), client.list(2), client.uidl(), client.uidl(1)]);
    expect(list).toEqual([
      { number: 1, size: 120 },
      { number: 2, size: 200 },
    ]);
    expect(one).toEqual({ number: 2, size: 200 });
    expect(uidl).toEqual([
      { number: 1, uid: 'whqtswO00WBw418f9t5JxYwZ' },
      { number: 2, uid: 'QhdPYR:00WBw1Ph7x7' },
    ]);
    expect(uidlOne.uid).toBe('whqtswO00WBw418f9t5JxYwZ');

    const message = await client.retrieve(1);
    expect(message.announcedSize).toBe(23);
    expect(text(await message.bytes())).toBe('Subject: x\r\n\r\n.dot\r\n');
    const top = await client.top(2, 0);
    expect(text(await top.bytes())).toBe('Subject: y\r\n\r\n');

    await client.delete(1);
    expect(client.markedDeleted).toEqual([1]);
    await expect(client.retrieve(1)).rejects.toThrow(InvalidArgumentError);
    await client.noop();
    const result = await client.close();
    expect(result).toEqual({ deletionsCommitted: true, markedDeleted: 1, serverText: 'bye' });
    expect(client.state).toBe('closed');
    await server.done;
  });

  it('pipelines a batch when PIPELINING is offered', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING', 'UIDL'], count: 3 }),
      C('UIDL'),
      C('LIST'),
      // retrieveMany opens its window slowly: two RETRs, then more as the loop moves on.
      C('RETR 1'),
      C('RETR 2'),
      S('+OK', '1 a', '2 b', '3 c', '.', '+OK', '1 10', '2 20', '3 30', '.'),
      S('+OK', 'one', '.', '+OK', 'two', '.'),
      C('RETR 3'),
      S('+OK', 'three', '.'),
      C('QUIT'),
      S('+OK'),
    ]);
    const client = await connect(server);
    const uidl = client.uidl();
    const list = client.list();
    const bodies: string[] = [];
    const many = (async () => {
      for await (const message of client.retrieveMany([1, 2, 3])) bodies.push(text(await message.bytes()));
    })();
    expect((await uidl).map((entry) => entry.uid)).toEqual(['a', 'b', 'c']);
    expect((await list).map((entry) => entry.size)).toEqual([10, 20, 30]);
    await many;
    expect(bodies).toEqual(['one\r\n', 'two\r\n', 'three\r\n']);
    expect((await client.close()).deletionsCommitted).toBe(true);
    await server.done;
  });

  it('does not pipeline without PIPELINING, even for retrieveMany', async () => {
    const server = await serve([
      ...login({ capa: ['USER'], count: 2 }),
      C('RETR 1'),
      quiet(),
      S('+OK', 'one', '.'),
      C('RETR 2'),
      quiet(),
      S('+OK', 'two', '.'),
    ]);
    const client = await connect(server);
    const bodies: string[] = [];
    for await (const message of client.retrieveMany([1, 2])) bodies.push(text(await message.bytes()));
    expect(bodies).toEqual(['one\r\n', 'two\r\n']);
    await server.done;
  });

  it('frames the same whatever the cut: the answer split at every offset', async () => {
    const answer = '+OK 30 octets\r\nA: b\r\n\r\n..x\r\n..\r\n...\r\nend\r\n.\r\n';
    const expected = 'A: b\r\n\r\n.x\r\n.\r\n..\r\nend\r\n';
    const script: Step[] = [...login({ capa: ['USER'], count: 1 })];
    for (let cut = 1; cut < answer.length; cut++) script.push(C('RETR 1'), ...splitAt(answer, [cut]));
    // Two cuts, around the terminator itself.
    for (let cut = answer.length - 5; cut < answer.length; cut++) {
      script.push(C('RETR 1'), ...splitAt(answer, [cut - 1, cut]));
    }
    const server = await serve(script);
    const client = await connect(server);
    const rounds = answer.length - 1 + 5;
    for (let round = 0; round < rounds; round++) {
      const message = await client.retrieve(1);
      expect(text(await message.bytes())).toBe(expected);
    }
    await server.done;
  });

  it('reads bare-LF servers, keeping the bytes as sent', async () => {
    const server = await serve([
      raw('+OK ready\n'),
      C('CAPA'),
      raw('+OK\nUSER\nTOP\n.\n'),
      C('USER alice'),
      raw('+OK\n'),
      C('PASS secret pass'),
      raw('+OK\n'),
      C('CAPA'),
      raw('+OK\nUSER\nTOP\n.\n'),
      C('STAT'),
      raw('+OK 1 10\n'),
      C('LIST'),
      raw('+OK\n1 10\n.\n'),
      C('RETR 1'),
      raw('+OK\nline\n..stuffed\n\n.\n'),
    ]);
    const client = await connect(server);
    expect(await client.list()).toEqual([{ number: 1, size: 10 }]);
    const message = await client.retrieve(1);
    expect(text(await message.bytes())).toBe('line\n.stuffed\n\n');
    await server.done;
  });

  it('keeps 8-bit bytes exact, never decoding them', async () => {
    const body = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9, 0x00, 0xff, 0x80]), Buffer.from('\r\n')]);
    const server = await serve([
      ...login({ capa: ['USER'], count: 1 }),
      C('RETR 1'),
      raw(Buffer.concat([Buffer.from('+OK\r\n'), body, Buffer.from('.\r\n')])),
    ]);
    const client = await connect(server);
    const bytes = await (await client.retrieve(1)).bytes();
    expect(Buffer.from(bytes).equals(body)).toBe(true);
    await server.done;
  });

  it('refuses TOP and UIDL before sending when CAPA lists neither', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), quiet(100)]);
    const client = await connect(server);
    await expect(client.top(1, 5)).rejects.toThrow(UnsupportedError);
    await expect(client.uidl()).rejects.toThrow(UnsupportedError);
    await expect(client.uidl(1)).rejects.toThrow(UnsupportedError);
    await server.done;
  });

  it('works from what the commands reveal when the server has no CAPA', async () => {
    const server = await serve([
      S('+OK old server'),
      C('CAPA'),
      S('-ERR unknown command'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret pass'),
      S('+OK'),
      C('CAPA'),
      S('-ERR unknown command'),
      C('STAT'),
      S('+OK 1 5'),
      C('TOP 1 0'),
      S('-ERR unknown command'),
      C('UIDL'),
      S('-ERR unknown command'),
      C('RETR 1'),
      S('+OK', 'hi', '.'),
    ]);
    const client = await connect(server, { tls: 'none' });
    expect(client.capabilitiesKnown).toBe(false);
    await expect(client.top(1, 0)).rejects.toThrow(ServerError);
    await expect(client.uidl()).rejects.toThrow(ServerError);
    expect(text(await (await client.retrieve(1)).bytes())).toBe('hi\r\n');
    await server.done;
  });

  it('reports -ERR [IN-USE] as an AuthenticationError with the code, the password redacted', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'USER', 'RESP-CODES', 'AUTH-RESP-CODE', '.'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret pass'),
      S('-ERR [IN-USE] Do you have another POP session running?'),
      C('QUIT'),
    ]);
    const client = await connect(server, { auth: undefined });
    const error = await client.login({ username: 'alice', password: 'secret pass', method: 'USER' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ responseCode: 'IN-USE', command: 'PASS <redacted>', status: '-ERR' });
    expect((error as Error).message).not.toContain('secret');
    expect(client.state).toBe('authorization');
    const result = await client.close();
    expect(result.deletionsCommitted).toBe(false);
    await server.done;
  });

  it('fails connect() with the AuthenticationError and closes the connection', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret pass'),
      S('-ERR [AUTH] invalid credentials'),
      waitEnd(),
    ]);
    const error = await Pop3Client.connect(options(server)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).responseCode).toBe('AUTH');
    await server.done;
  });

  it('rejects everything pending at once when the server closes mid-RETR: nothing committed', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 3 }),
      C('DELE 2'),
      S('+OK'),
      C('RETR 1'),
      C('STAT'),
      raw('+OK\r\nhalf a mess'),
      pause(20),
      hangUp(),
    ]);
    const client = await connect(server);
    await client.delete(2);
    const retrieve = client.retrieve(1);
    const stat = client.stat();
    const message = await retrieve;
    const bodyError = await message.bytes().catch((e: unknown) => e);
    expect(bodyError).toBeInstanceOf(ConnectionClosedError);
    const statError = await stat.catch((e: unknown) => e);
    expect(statError).toBeInstanceOf(ConnectionClosedError);
    expect((statError as Error).message).toMatch(/no deletions were committed/);
    expect(client.state).toBe('closed');
    expect(await client.close()).toEqual({ deletionsCommitted: false, markedDeleted: 1, serverText: undefined });
    await expect(client.noop()).rejects.toThrow(ConnectionClosedError);
  });

  it('points the ProtocolError of a line that is no status line at its first byte, whatever the line ends', async () => {
    const start = login({ capa: ['USER'], count: 1 });
    const sent = start.reduce((total, step) => total + (step.kind === 'send' ? step.data.length : 0), 0);
    for (const [before, line] of [['', 'hello\r\n'], ['+OK\n', '* OK imap\n'], ['+OK POP3\r\n', 'bogus\n']] as const) {
      const noop = before === '' ? [] : [C('NOOP'), raw(before)];
      const server = await serve([...start, ...noop, C('NOOP'), raw(line)]);
      const client = await connect(server);
      if (before !== '') await client.noop();
      const error = await client.noop().catch((caught: unknown) => caught);
      expect(error, line).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).offset, line).toBe(sent + before.length);
    }
  });

  it('closes on an over-long status line with LimitExceededError', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('NOOP'), raw(`+OK ${'x'.repeat(5000)}`)]);
    const client = await connect(server, { limits: { maxLineLength: 1024 } });
    await expect(client.noop()).rejects.toThrow(LimitExceededError);
    expect(client.state).toBe('closed');
  });

  it('closes on an over-long listing line', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('LIST'), S('+OK', `1 ${'9'.repeat(3000)}`, '.')]);
    const client = await connect(server, { limits: { maxLineLength: 1024 } });
    await expect(client.list()).rejects.toThrow(LimitExceededError);
    expect(client.state).toBe('closed');
  });

  it('times out on a silent server, then closes', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('STAT'), pause(2_000)]);
    const client = await connect(server, { commandTimeout: 150 });
    const started = Date.now();
    const error = await client.stat().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('command');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(client.state).toBe('closed');
  });

  it('keeps the command timeout of a command written as the greeting arrives', async () => {
    let queued = false;
    const server = await serve([until(() => queued), S('+OK ready'), C('LANG'), pause(2_000)]);
    const client = new Pop3Client(options(server, { auth: undefined, commandTimeout: 100 }));
    clients.push(client);
    const connecting = client.connect().catch((e: unknown) => e);
    await vi.waitFor(() => {
      expect(client.state).toBe('authorization');
    });
    // Queued before the greeting, written when it comes, while connect() still awaits it.
    const languages = client.languages();
    queued = true;
    const error = await languages.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('command');
    expect(await connecting).toBeInstanceOf(ConnectionClosedError);
  });

  it('times out when the greeting never comes', async () => {
    const server = await serve([pause(2_000)]);
    const error = await Pop3Client.connect({ ...options(server), greetingTimeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('greeting');
  });

  it('fails on a -ERR greeting', async () => {
    const server = await serve([S('-ERR [SYS/TEMP] too many connections')]);
    const error = await Pop3Client.connect(options(server)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).responseCode).toBe('SYS/TEMP');
  });

  it('refuses bad message numbers and deleted messages before sending; RSET restores', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'TOP', 'UIDL'], count: 3 }),
      C('DELE 3'),
      S('+OK'),
      C('RSET'),
      S('+OK'),
      C('RETR 3'),
      S('+OK', 'back', '.'),
    ]);
    const client = await connect(server);
    await expect(client.retrieve(0)).rejects.toThrow(InvalidArgumentError);
    await expect(client.retrieve(4)).rejects.toThrow(InvalidArgumentError);
    await expect(client.retrieve(1.5)).rejects.toThrow(InvalidArgumentError);
    await expect(client.top(1, -1)).rejects.toThrow(InvalidArgumentError);
    await client.delete(3);
    for (const call of [() => client.retrieve(3), () => client.top(3, 1), () => client.list(3), () => client.uidl(3), () => client.delete(3)]) {
      await expect(call()).rejects.toThrow(/marked deleted/);
    }
    await client.reset();
    expect(client.markedDeleted).toEqual([]);
    expect(text(await (await client.retrieve(3)).bytes())).toBe('back\r\n');
    await server.done;
  });

  it('unmarks a message whose DELE the server refused', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 2 }), C('DELE 2'), S('-ERR no such message')]);
    const client = await connect(server);
    await expect(client.delete(2)).rejects.toThrow(ServerError);
    expect(client.markedDeleted).toEqual([]);
  });

  it('counts in close() only the marks still standing when QUIT is answered', async () => {
    const server = await serve([...login({ capa: ['USER', 'PIPELINING'], count: 2 }), C('DELE 2'), S('-ERR no such message'), C('QUIT'), S('+OK bye')]);
    const client = await connect(server);
    const refused = client.delete(2);
    const closed = client.close();
    await expect(refused).rejects.toThrow(ServerError);
    expect(await closed).toEqual({ deletionsCommitted: true, markedDeleted: 0, serverText: 'bye' });
  });

  it('reports QUIT -ERR as not known to be committed: the server may have removed some of the messages (RFC 1939 section 6)', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('DELE 1'), S('+OK'), C('QUIT'), S('-ERR some deleted messages not removed')]);
    const client = await connect(server);
    await client.delete(1);
    expect(await client.close()).toEqual({ deletionsCommitted: undefined, markedDeleted: 1, serverText: 'some deleted messages not removed' });
  });

  it('reports QUIT -ERR with nothing marked as nothing committed', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('QUIT'), S('-ERR busy')]);
    const client = await connect(server);
    expect(await client.close()).toEqual({ deletionsCommitted: false, markedDeleted: 0, serverText: 'busy' });
  });

  it('close() aborted once QUIT was written: whether the deletions were committed is not known, and it returns at once', async () => {
    const controller = new AbortController();
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('DELE 1'), S('+OK'), C('QUIT'), until(() => controller.signal.aborted), waitEnd()]);
    const client = await connect(server);
    await client.delete(1);
    const closing = client.close({ signal: controller.signal });
    await vi.waitFor(() => {
      expect(server.received.at(-1)).toBe('QUIT');
    });
    controller.abort();
    // The server got QUIT and may answer +OK and commit: false would be a guess.
    expect(await closing).toEqual({ deletionsCommitted: undefined, markedDeleted: 1, serverText: undefined });
    await server.done;
  });

  it('close() aborted before QUIT was written: nothing committed (a session ended without QUIT never enters UPDATE)', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('DELE 1'), S('+OK'), waitEnd()]);
    const client = await connect(server);
    await client.delete(1);
    expect(await client.close({ signal: AbortSignal.abort() })).toEqual({ deletionsCommitted: false, markedDeleted: 1, serverText: undefined });
    await server.done;
    expect(server.received.at(-1)).toBe('DELE 1');
  });

  it('close() whose QUIT is unanswered when the connection drops: whether the deletions were committed is not known', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('DELE 1'), S('+OK'), C('QUIT'), hangUp()]);
    const client = await connect(server);
    await client.delete(1);
    expect(await client.close()).toEqual({ deletionsCommitted: undefined, markedDeleted: 1, serverText: undefined });
  });

  it('refuses to send credentials in cleartext unless allowed', async () => {
    const server = await serve([S('+OK ready'), C('CAPA'), S('+OK', 'USER', '.'), quiet(100)]);
    const error = await Pop3Client.connect({ ...options(server), allowCleartext: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    await server.done;
    expect(server.received).toEqual(['CAPA']);
  });

  it('fails starttls mode when the server does not offer STLS', async () => {
    const server = await serve([S('+OK ready'), C('CAPA'), S('+OK', 'USER', '.'), quiet(100)]);
    const error = await Pop3Client.connect({ ...options(server), tls: 'starttls', allowCleartext: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    await server.done;
  });

  it('refuses a TLS upgrade when the server sends anything after the STLS go-ahead', async () => {
    const server = await serve([S('+OK ready'), C('CAPA'), S('+OK', 'STLS', 'USER', '.'), C('STLS'), S('+OK begin TLS', '-ERR injected')]);
    const error = await Pop3Client.connect({ ...options(server), tls: 'starttls', allowCleartext: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toMatch(/injection/);
  });

  it('lets an STLS handshake run longer than the command timeout (the STLS timer ends with its +OK)', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'STLS', '.'),
      C('STLS'),
      S('+OK begin TLS'),
      // The server answers the client's hello only after several command timeouts.
      startTls(800),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret pass'),
      S('+OK'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    const client = await connect(server, { tls: 'starttls', allowCleartext: false, tlsOptions: { ca: testCertificate().cert }, commandTimeout: 200 });
    await server.done;
    expect(client.secure).toBe(true);
    expect(client.state).toBe('transaction');
  });

  it('forgets what CAPA said in clear once STLS is accepted (no SASL PLAIN, no PIPELINING after TLS)', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'STLS', 'PIPELINING', 'SASL PLAIN', 'USER', '.'),
      C('STLS'),
      S('+OK begin TLS'),
      startTls(),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret pass'),
      S('+OK'),
      C('CAPA'),
      quiet(50), // no PIPELINING: STAT waits for CAPA's answer
      S('+OK', 'USER', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    let whenTlsStarts: boolean | undefined;
    const client: Pop3Client = new Pop3Client({
      ...options(server),
      tls: 'starttls',
      allowCleartext: false,
      tlsOptions: { ca: testCertificate().cert },
      auth: { username: 'alice', password: 'secret pass' },
      logger: (entry) => {
        if (entry.direction === 'info' && entry.text.startsWith('starting TLS')) whenTlsStarts = client.capabilitiesKnown || client.capabilities.pipelining;
      },
    });
    clients.push(client);
    await client.connect();
    await server.done;
    expect(whenTlsStarts).toBe(false);
    expect(client.capabilities.sasl).toEqual([]);
    expect(client.capabilities.pipelining).toBe(false);
  });

  it('authenticates with SASL PLAIN and an initial response', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'SASL PLAIN', '.'),
      C(`AUTH PLAIN ${Buffer.from('\0alice\0secret pass').toString('base64')}`),
      S('+OK'),
      C('CAPA'),
      S('+OK', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    const client = await connect(server, { auth: { username: 'alice', password: 'secret pass' } });
    expect(client.messageCount).toBe(0);
    await server.done;
  });

  it('refuses a login method it does not know before sending anything, as ImapClient does (even one the server offers)', async () => {
    const server = await serve([S('+OK ready'), C('CAPA'), S('+OK', 'SASL GSSAPI PLAIN', '.'), C('QUIT'), S('+OK bye')]);
    const client = await connect(server, { auth: undefined });
    const error = await client.login({ username: 'tim', password: 'x', method: 'GSSAPI' as 'USER' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String(error)).toMatch(/Unknown login method "GSSAPI"/);
    expect(client.state).toBe('authorization');
    await client.close();
    await server.done;
  });

  it('picks a method that carries an authzid: PLAIN, not CRAM-MD5 nor APOP', async () => {
    const server = await serve([
      S('+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>'),
      C('CAPA'),
      S('+OK', 'USER', 'SASL CRAM-MD5 PLAIN', '.'),
      C(`AUTH PLAIN ${Buffer.from('ursel\0admin\0secret').toString('base64')}`),
      S('+OK'),
      C('CAPA'),
      S('+OK', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    const client = await connect(server, { auth: { username: 'admin', password: 'secret', authzid: 'ursel' } });
    expect(client.state).toBe('transaction');
    await server.done;
  });

  it.each(['auto', 'USER', 'APOP'] as const)('refuses an authzid that only USER or APOP could be used for (%s), sending nothing', async (method) => {
    const server = await serve([S('+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>'), C('CAPA'), S('+OK', 'USER', '.'), C('QUIT'), S('+OK bye')]);
    const client = await connect(server, { auth: undefined });
    const error = await client.login({ username: 'admin', password: 'secret', authzid: 'ursel', method }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(method === 'auto' ? UnsupportedError : InvalidArgumentError);
    expect(String(error)).toMatch(/authzid/);
    expect(client.state).toBe('authorization');
    await client.close();
    await server.done;
  });

  it('authenticates with CRAM-MD5 (RFC 2195 example)', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'SASL CRAM-MD5 PLAIN', '.'),
      C('AUTH CRAM-MD5'),
      S(`+ ${Buffer.from('<1896.697170952@postoffice.reston.mci.net>').toString('base64')}`),
      C('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw'),
      S('+OK'),
      C('CAPA'),
      S('+OK', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    await connect(server, { auth: { username: 'tim', password: 'tanstaaftanstaaf' } });
    await server.done;
  });

  it('cancels a SASL exchange with * when the challenge is not base64, and rejects with a ProtocolError (as IMAP does)', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'SASL CRAM-MD5', '.'),
      C('AUTH CRAM-MD5'),
      S('+ %%%not-base64%%%'),
      C('*'),
      // A server that goes on instead of failing the exchange (RFC 5034 section 4) is cancelled
      // again, never answered with credentials, and the first failure is the one reported.
      S('+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+'),
      C('*'),
      S('-ERR cancelled'),
    ]);
    const client = await connect(server, { auth: undefined });
    const error = await client.login({ username: 'tim', password: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(String(error)).toMatch(/SASL challenge is not valid base64/);
    await server.done;
  });

  it('closes the connection when the server says +OK after the client cancelled', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'SASL CRAM-MD5', '.'),
      C('AUTH CRAM-MD5'),
      S('+ %%%not-base64%%%'),
      C('*'),
      S('+OK welcome anyway'),
      waitEnd(),
    ]);
    const client = await connect(server, { auth: undefined });
    await expect(client.login({ username: 'tim', password: 'x' })).rejects.toThrow(AuthenticationError);
    await server.done;
    expect(client.state).toBe('closed');
  });

  it('writes nothing between USER and PASS: a command issued while USER is answered waits for the login', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'USER', 'LANG', '.'),
      C('USER alice'),
      until(() => issued),
      S('+OK'),
      C('PASS secret pass'),
      S('+OK logged in'),
      C('LANG'),
      S('+OK', 'en English', '.'),
      C('CAPA'),
      S('+OK', 'USER', 'LANG', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    const client = await connect(server, { auth: undefined });
    let issued = false;
    const login = client.login({ username: 'alice', password: 'secret pass', method: 'USER' });
    await vi.waitFor(() => {
      expect(server.received.at(-1)).toBe('USER alice');
    });
    const languages = client.languages().catch((e: unknown) => e);
    issued = true;
    await login;
    expect(await languages).toEqual([{ tag: 'en', description: 'English' }]);
    expect(client.state).toBe('transaction');
    await server.done;
  });

  it('checks the password before USER goes out, and takes user names longer than 40 characters (RFC 2449 section 4)', async () => {
    const long = 'firstname.lastname@accounting.example-corp.com';
    const server = await serve([S('+OK ready'), C('CAPA'), S('+OK', 'USER', '.'), C(`USER ${long}`), S('+OK'), C('PASS pw'), S('-ERR [AUTH] no')]);
    const client = await connect(server, { auth: undefined });
    await expect(client.login({ username: 'alice', password: 'pw\r\nDELE 1', method: 'USER' })).rejects.toThrow(InvalidArgumentError);
    await expect(client.login({ username: long, password: 'pw', method: 'USER' })).rejects.toThrow(AuthenticationError);
    await server.done;
    expect(server.received).toEqual(['CAPA', `USER ${long}`, 'PASS pw']);
  });

  it('logs in with APOP (RFC 1939 section 7 example)', async () => {
    const server = await serve([
      S('+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('APOP mrose c4c9334bac560ecc979e58001b3e22fb'),
      S('+OK maildrop has 1 message (369 octets)'),
      C('CAPA'),
      S('+OK', '.'),
      C('STAT'),
      S('+OK 1 369'),
    ]);
    await connect(server, { auth: { username: 'mrose', password: 'tanstaaf', method: 'APOP' } });
    await server.done;
  });

  it('prefers APOP to USER/PASS in cleartext', async () => {
    const server = await serve([
      S('+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C(/^APOP mrose [0-9a-f]{32}$/),
      S('+OK'),
      C('CAPA'),
      S('+OK', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    await connect(server, { auth: { username: 'mrose', password: 'tanstaaf' } });
    await server.done;
  });

  it('redacts PASS, APOP digests and AUTH payloads in the wire log', async () => {
    const entries: WireLogEntry[] = [];
    const server = await serve([
      ...login({ capa: ['USER'], count: 0 }),
      C('QUIT'),
      S('+OK'),
    ]);
    const client = await connect(server, { logger: (entry) => entries.push(entry) });
    await client.close();
    const all = entries.map((entry) => `${entry.direction} ${entry.text}`).join('\n');
    expect(all).toContain('client PASS <redacted>');
    expect(all).toContain('server +OK logged in');
    expect(all).not.toContain('secret pass');
  });

  it('logs the lines of multi-line listings, and a body as its size', async () => {
    const entries: WireLogEntry[] = [];
    const server = await serve([
      ...login({ capa: ['USER', 'UIDL'], count: 2 }),
      C('UIDL'),
      S('+OK', '1 aaa', '2 bbb', '.'),
      C('RETR 2'),
      S('+OK', 'Subject: x', '', 'private body', '.'),
      C('QUIT'),
      S('+OK'),
    ]);
    const client = await connect(server, { logger: (entry) => entries.push(entry) });
    await client.uidl();
    await (await client.retrieve(2)).bytes();
    await client.close();
    const serverLines = entries.filter((entry) => entry.direction === 'server').map((entry) => entry.text);
    expect(serverLines).toEqual(expect.arrayContaining(['1 aaa', '2 bbb', '{28 bytes}', '.']));
    expect(serverLines.join('\n')).not.toContain('private body');
  });

  it('logs a UTF-8 character of a listing split across two reads once, not as two replacement characters', async () => {
    const entries: WireLogEntry[] = [];
    const listing = Buffer.from('+OK\r\nUSER\r\nIMPLEMENTATION Café\r\n.\r\n', 'utf8');
    const server = await serve([
      S('+OK POP3 ready'),
      C('CAPA'),
      // The cut falls between the two bytes of "é" (C3 A9).
      ...splitAt(listing, [listing.indexOf(0xa9)]),
      C('USER alice'),
      S('+OK'),
      C('PASS secret pass'),
      S('+OK logged in'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    await connect(server, { logger: (entry) => entries.push(entry) });
    await server.done;
    const serverLines = entries.filter((entry) => entry.direction === 'server').map((entry) => entry.text);
    expect(serverLines).toContain('IMPLEMENTATION Café');
    expect(serverLines.join('\n')).not.toContain('\uFFFD');
  });

  it('withdraws a queued command on abort; an in-flight one is answered and dropped', async () => {
    const server = await serve([
      ...login({ capa: ['USER'], count: 2 }),
      C('RETR 1'),
      pause(50),
      S('+OK', 'one', '.'),
      C('NOOP'),
      S('+OK'),
    ]);
    const client = await connect(server);
    const inFlight = new AbortController();
    const queued = new AbortController();
    const retrieve = client.retrieve(1, { signal: inFlight.signal });
    await new Promise((resolve) => setImmediate(resolve)); // commands are written at the end of the tick
    const list = client.list(2, { signal: queued.signal });
    queued.abort();
    inFlight.abort();
    await expect(list).rejects.toThrow(AbortError);
    await expect(retrieve).rejects.toThrow(AbortError);
    await client.noop();
    await server.done;
    expect(server.received).not.toContain('LIST 2');
  });

  it('writes the commands of one tick together, and never sends one aborted in that tick', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING', 'UIDL'], count: 2 }),
      C('UIDL'),
      C('LIST'),
      S('+OK', '1 a', '2 b', '.', '+OK', '1 10', '2 20', '.'),
      C('NOOP'),
      S('+OK'),
    ]);
    const client = await connect(server);
    const withdrawn = new AbortController();
    const uidl = client.uidl();
    const retrieve = client.retrieve(1, { signal: withdrawn.signal });
    const list = client.list();
    withdrawn.abort();
    await expect(retrieve).rejects.toThrow(AbortError);
    expect((await uidl).length).toBe(2);
    expect((await list).length).toBe(2);
    await client.noop();
    await server.done;
    expect(server.received).not.toContain('RETR 1');
  });

  it('applies backpressure: the server stalls until the body is read', async () => {
    const chunk = `${'x'.repeat(998)}\r\n`;
    const body = chunk.repeat(8 * 1024); // 8 MiB
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('RETR 1'), raw(`+OK\r\n${body}.\r\n`)]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 64 * 1024 } });
    const message = await client.retrieve(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stalled = server.socket()?.writableLength ?? 0;
    expect(stalled).toBeGreaterThan(1024 * 1024);
    let total = 0;
    for await (const piece of message) total += piece.length;
    expect(total).toBe(body.length);
  });
  it('maps -ERR on RETR to a ServerError with command, code and text', async () => {
    const server = await serve([...login({ capa: ['USER', 'RESP-CODES'], count: 2 }), C('RETR 2'), S('-ERR [SYS/TEMP] message locked'), C('NOOP'), S('+OK')]);
    const client = await connect(server);
    const error = await client.retrieve(2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ command: 'RETR 2', status: '-ERR', responseCode: 'SYS/TEMP', serverText: 'message locked' });
    await client.noop();
    await server.done;
  });

  it('stops collecting at maxBytes and keeps the session usable', async () => {
    const server = await serve([
      ...login({ capa: ['USER'], count: 1 }),
      C('RETR 1'),
      S('+OK', 'x'.repeat(500), 'y'.repeat(500), '.'),
      C('NOOP'),
      S('+OK still here'),
    ]);
    const client = await connect(server);
    const message = await client.retrieve(1);
    await expect(message.bytes({ maxBytes: 100 })).rejects.toThrow(LimitExceededError);
    expect((await client.noop()).text).toBe('still here');
    await server.done;
  });

  it('drains what a retrieveMany loop left when it stops early', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 3 }),
      C('RETR 1'),
      C('RETR 2'),
      S('+OK', 'one', '.', '+OK', 'two', '.'),
      C('NOOP'),
      S('+OK'),
    ]);
    const client = await connect(server);
    for await (const message of client.retrieveMany([1, 2, 3])) {
      expect(message.number).toBe(1);
      break;
    }
    await client.noop();
    await server.done;
  });

  it('streams pipelined bodies through borrowed chunks, exact across reads and with backpressure', async () => {
    // Bodies larger than the read buffer and the high-water mark, with stuffed lines and bare LFs.
    const bodies = [1, 2, 3].map((n) => `${`line ${n} ${'x'.repeat(70)}\r\n.dot ${n}\r\n`.repeat(2500)}tail\nbare LF\r\n`);
    const wire = bodies.map((body) => `+OK ${body.length} octets\r\n${body.replaceAll('\n.', '\n..')}.\r\n`);
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 3 }),
      C('RETR 1'),
      C('RETR 2'),
      raw(wire[0]! + wire[1]!),
      C('RETR 3'),
      raw(wire[2]!),
      C('NOOP'),
      S('+OK'),
    ]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
    const received: string[] = [];
    for await (const message of client.retrieveMany([1, 2, 3])) {
      // Each chunk is valid until the next step: decode it now.
      let body = '';
      for await (const chunk of message.chunks({ reuse: true })) {
        body += chunk.toString('latin1');
        await new Promise((resolve) => setImmediate(resolve)); // a slow reader: the socket pauses
      }
      received.push(body);
    }
    expect(received).toEqual(bodies);
    await client.noop();
    await server.done;
  });

  it('keeps the session usable when a borrowing loop breaks mid-body', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 2 }),
      C('RETR 1'),
      C('RETR 2'),
      raw(`+OK\r\n${'a'.repeat(200_000)}\r\n.\r\n+OK\r\nsecond\r\n.\r\n`),
      C('NOOP'),
      S('+OK still here'),
    ]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
    const seen: string[] = [];
    for await (const message of client.retrieveMany([1, 2])) {
      for await (const chunk of message.chunks({ reuse: true })) {
        seen.push(`${message.number}:${chunk.toString('latin1', 0, 1)}`);
        break;
      }
    }
    expect(seen).toEqual(['1:a', '2:s']);
    expect((await client.noop()).text).toBe('still here');
    await server.done;
  });

  it('sends only one pipeline window ahead and withdraws the rest when retrieveMany stops', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 4 }),
      C('RETR 1'),
      C('RETR 2'),
      quiet(),
      S('+OK', 'one', '.', '+OK', 'two', '.'),
      C('NOOP'),
      S('+OK'),
    ]);
    const client = await connect(server, { limits: { pipelineDepth: 2 } });
    for await (const message of client.retrieveMany([1, 2, 3, 4])) {
      expect(text(await message.bytes())).toBe('one\r\n');
      break;
    }
    await client.noop();
    await server.done;
  });

  it('drops a body that arrives after the retrieveMany loop stopped', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 2 }),
      C('RETR 1'),
      C('RETR 2'),
      S('+OK', 'one', '.'),
      pause(100),
      raw(`+OK\r\n${`${'b'.repeat(998)}\r\n`.repeat(1024)}.\r\n`),
      C('NOOP'),
      S('+OK after'),
    ]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
    for await (const message of client.retrieveMany([1, 2])) {
      expect(message.number).toBe(1);
      break;
    }
    expect((await client.noop()).text).toBe('after');
    await server.done;
  });

  it('collects bytes() exactly whatever size the server announced', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 3 }),
      C('RETR 1'),
      C('RETR 2'),
      S('+OK 3 octets', 'more than announced', '.', '+OK 9999 octets', 'less', '.'),
      C('RETR 3'),
      S('+OK', '..', '.'),
    ]);
    const client = await connect(server);
    const bodies: string[] = [];
    for await (const message of client.retrieveMany([1, 2, 3])) bodies.push(text(await message.bytes()));
    expect(bodies).toEqual(['more than announced\r\n', 'less\r\n', '.\r\n']);
    await server.done;
  });

  describe('commands awaited behind bodies nobody reads yet', () => {
    // Bodies larger than the high-water mark: without care, each pauses reading, and the answer
    // of a command behind it never comes.
    const big = (n: number): string => `+OK\r\n${`${String(n).repeat(998)}\r\n`.repeat(100)}.\r\n`;
    const bigText = (n: number): string => `${String(n).repeat(998)}\r\n`.repeat(100);

    const deleted = (n: number): Step[] => [C(`DELE ${n}`), S('+OK deleted')];
    // The loop's body issues commands: from then on no RETR is sent ahead of need.
    const oneByOne = (n: number): Step[] => [C(`RETR ${n}`), raw(big(n)), ...deleted(n)];

    async function readAndDelete(client: Pop3Client, numbers: number[]): Promise<string[]> {
      const bodies: string[] = [];
      for await (const message of client.retrieveMany(numbers)) {
        bodies.push(text(await message.bytes()));
        await client.delete(message.number);
      }
      return bodies;
    }

    it('deletes inside a pipelined retrieveMany loop', async () => {
      const server = await serve([
        ...login({ capa: ['USER', 'PIPELINING'], count: 4 }),
        C('RETR 1'),
        C('RETR 2'),
        raw(big(1) + big(2)),
        ...deleted(1),
        ...deleted(2),
        ...oneByOne(3),
        ...oneByOne(4),
        C('QUIT'),
        S('+OK bye'),
      ]);
      const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
      expect(await readAndDelete(client, [1, 2, 3, 4])).toEqual([1, 2, 3, 4].map(bigText));
      expect(await client.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 4 });
      await server.done;
    });

    it('deletes inside a retrieveMany loop without PIPELINING', async () => {
      const server = await serve([
        ...login({ capa: ['USER'], count: 3 }),
        C('RETR 1'),
        raw(big(1)),
        C('RETR 2'),
        raw(big(2)),
        ...deleted(1),
        ...deleted(2),
        ...oneByOne(3),
      ]);
      const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
      expect(await readAndDelete(client, [1, 2, 3])).toEqual([1, 2, 3].map(bigText));
      expect(client.markedDeleted).toEqual([1, 2, 3]);
      await server.done;
    });

    it('answers a later RETR awaited before the earlier body is read', async () => {
      const server = await serve([...login({ capa: ['USER', 'PIPELINING'], count: 2 }), C('RETR 1'), C('RETR 2'), raw(big(1) + big(2))]);
      const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
      const first = client.retrieve(1);
      const second = await client.retrieve(2);
      expect(text(await (await first).bytes())).toBe(bigText(1));
      expect(text(await second.bytes())).toBe(bigText(2));
      await server.done;
    });

    it('answers a command awaited inside the loop that reads the body', async () => {
      const server = await serve([...login({ capa: ['USER', 'PIPELINING'], count: 1 }), C('RETR 1'), raw(big(1)), C('NOOP'), S('+OK here')]);
      const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
      const message = await client.retrieve(1);
      let body = '';
      let noop: string | undefined;
      for await (const chunk of message) {
        body += chunk.toString('latin1');
        noop ??= (await client.noop()).text;
      }
      expect(noop).toBe('here');
      expect(body).toBe(bigText(1));
      await server.done;
    });
  });

  it.each([true, false])('buffers about one message, not the window, when a long loop deletes once (PIPELINING: %s)', async (pipelining) => {
    const count = 300;
    const server = await startAnsweringServer({ count, size: 100 * 1024, pipelining });
    const client = new Pop3Client({ ...options({ port: server.port } as FakeServer), limits: { bodyHighWaterMark: 16 * 1024 } });
    clients.push(client);
    try {
      await client.connect();
      let seen = 0;
      for await (const message of client.retrieveMany(Array.from({ length: count }, (_, index) => index + 1))) {
        await message.bytes();
        if (++seen === 40) await client.delete(message.number);
        if (seen === 60) break;
      }
      // RETRs the server had answered before it read DELE 40: those bodies were buffered.
      const before = server.received.indexOf('DELE 40');
      const retrieved = server.received.slice(0, before).filter((line) => line.startsWith('RETR')).length;
      expect(retrieved - 40).toBeLessThanOrEqual(2);
      expect(await client.close()).toMatchObject({ markedDeleted: 1 });
    } finally {
      await server.close();
    }
  });

  describe('commands issued inside a retrieveMany loop and the RETRs it queued ahead', () => {
    const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

    async function answering(settings: { count: number; size: number; pipelining: boolean; announce?: boolean }) {
      const server = await startAnsweringServer(settings);
      servers.push(server);
      return server;
    }

    function client(port: number, limits: Pop3ClientOptions['limits'] = {}): Pop3Client {
      const made = new Pop3Client({ ...options({ port } as FakeServer), limits });
      clients.push(made);
      return made;
    }

    it('writes nothing after the QUIT of a close() called inside the loop', async () => {
      const server = await answering({ count: 5, size: 400 * 1024, pipelining: false });
      const pop3 = client(server.port);
      await pop3.connect();
      const seen: number[] = [];
      let closing: Promise<Pop3CloseResult> | undefined;
      const loop = (async () => {
        for await (const message of pop3.retrieveMany([1, 2, 3])) {
          seen.push(message.number);
          closing ??= pop3.close();
        }
      })();
      await expect(loop).rejects.toThrow(/Cannot send RETR 2: the connection is closed or closing/);
      expect(await closing).toMatchObject({ deletionsCommitted: true });
      expect(seen).toEqual([1]);
      expect(server.received.filter((line) => line.startsWith('RETR') || line === 'QUIT')).toEqual(['RETR 1', 'QUIT']);
    });

    it('sends a DELE of a message the loop will reach after its RETR', async () => {
      const server = await answering({ count: 5, size: 400 * 1024, pipelining: false });
      const pop3 = client(server.port);
      await pop3.connect();
      const seen: number[] = [];
      for await (const message of pop3.retrieveMany([1, 2, 3])) {
        if (message.number === 1) await pop3.delete(2);
        seen.push((await message.bytes()).length > 0 ? message.number : -1);
      }
      expect(seen).toEqual([1, 2, 3]);
      expect(server.received.filter((line) => /^(RETR|DELE)/.test(line))).toEqual(['RETR 1', 'RETR 2', 'DELE 2', 'RETR 3']);
    });

    it.each([true, false])('counts the whole size of bodies a loop skips (announced: %s)', async (announce) => {
      // Bodies of 1 MiB, each moved past before much of it came: the read-ahead of 8 x 128 KiB
      // is one such body (the window keeps two).
      const server = await answering({ count: 40, size: 1024 * 1024, pipelining: true, announce });
      const pop3 = client(server.port, { bodyHighWaterMark: 128 * 1024 });
      await pop3.connect();
      let seen = 0;
      for await (const message of pop3.retrieveMany(range(40))) {
        if (++seen === 30) {
          await pop3.delete(message.number);
          break;
        }
      }
      const before = server.received.indexOf('DELE 30');
      expect(server.received.slice(0, before).filter((line) => line.startsWith('RETR')).length - 30).toBeLessThanOrEqual(2);
    });
  });

  it('puts one abort listener on the signal of a retrieveMany loop, whatever its window', async () => {
    const count = 40;
    const numbers = Array.from({ length: count }, (_, index) => index + 1);
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count }),
      ...numbers.flatMap((n) => [C(`RETR ${n}`), S('+OK', `body ${n}`, '.')]),
    ]);
    const client = await connect(server);
    const controller = new AbortController();
    let most = 0;
    const bodies: string[] = [];
    for await (const message of client.retrieveMany(numbers, { signal: controller.signal })) {
      most = Math.max(most, getEventListeners(controller.signal, 'abort').length);
      bodies.push(text(await message.bytes()));
    }
    expect(bodies).toEqual(numbers.map((n) => `body ${n}\r\n`));
    expect(most).toBeLessThanOrEqual(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await server.done;
  });

  it('sends the RETR of a message a retrieveMany loop has yet to queue before its DELE: the loop still gets it', async () => {
    // RFC 1939 section 5: a message marked deleted may not be named again. The loop asked for
    // message 3 before the DELE, and its window had not queued that RETR yet.
    const server = await serve([
      ...login({ capa: ['USER'], count: 4 }),
      ...[1, 2, 3].flatMap((n) => [C(`RETR ${n}`), S('+OK', `body ${n}`, '.')]),
      C('DELE 3'),
      S('+OK'),
      C('RETR 4'),
      S('+OK', 'body 4', '.'),
      C('QUIT'),
      S('+OK'),
    ]);
    const client = await connect(server);
    const bodies: string[] = [];
    for await (const message of client.retrieveMany([1, 2, 3, 4])) {
      if (message.number === 1) await client.delete(3);
      bodies.push(text(await message.bytes()));
    }
    expect(bodies).toEqual([1, 2, 3, 4].map((n) => `body ${n}\r\n`));
    expect(await client.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 1 });
    await server.done;
  });

  it('unmarks a DELE withdrawn before it was sent', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 2 }), C('RETR 1'), S('+OK', 'one', '.'), C('QUIT'), S('+OK')]);
    const client = await connect(server);
    const controller = new AbortController();
    const deleting = client.delete(1, { signal: controller.signal });
    controller.abort();
    await expect(deleting).rejects.toThrow(AbortError);
    await expect(client.delete(2, { signal: AbortSignal.abort() })).rejects.toThrow(AbortError);
    expect(client.markedDeleted).toEqual([]);
    expect(text(await (await client.retrieve(1)).bytes())).toBe('one\r\n');
    expect(await client.close()).toMatchObject({ markedDeleted: 0 });
    await server.done;
  });

  it('keeps the marks of DELEs pipelined after an RSET', async () => {
    const server = await serve([
      ...login({ capa: ['USER', 'PIPELINING'], count: 3 }),
      C('DELE 1'),
      C('RSET'),
      C('DELE 2'),
      S('+OK', '+OK', '+OK'),
      C('RETR 1'),
      S('+OK', 'one', '.'),
      C('QUIT'),
      S('+OK'),
    ]);
    const client = await connect(server);
    await Promise.all([client.delete(1), client.reset(), client.delete(2)]);
    expect(client.markedDeleted).toEqual([2]);
    await expect(client.retrieve(2)).rejects.toThrow(InvalidArgumentError);
    expect(text(await (await client.retrieve(1)).bytes())).toBe('one\r\n');
    expect(await client.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 1 });
    await server.done;
  });

  it('answers close() even when a large body was never read', async () => {
    const body = `${'z'.repeat(998)}\r\n`.repeat(4096);
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('RETR 1'), raw(`+OK\r\n${body}.\r\n`), C('QUIT'), S('+OK bye')]);
    const client = await connect(server, { limits: { bodyHighWaterMark: 16 * 1024 } });
    const message = await client.retrieve(1);
    expect(message.number).toBe(1);
    expect(await client.close()).toMatchObject({ deletionsCommitted: true, serverText: 'bye' });
    await server.done;
  });

  it('ends a connect() that close() or destroy() interrupted before the connection was up', async () => {
    for (const stop of ['close', 'destroy'] as const) {
      const server = await serve([S('+OK ready'), waitEnd()]);
      const client = new Pop3Client(options(server));
      clients.push(client);
      const connecting = client.connect();
      if (stop === 'close') expect(await client.close()).toEqual({ deletionsCommitted: false, markedDeleted: 0, serverText: undefined });
      else client.destroy();
      await expect(connecting).rejects.toThrow(ConnectionClosedError);
      expect(client.state).toBe('closed');
      await server.done;
      expect(server.received).toEqual([]);
    }
  });

  it('rejects new commands once close() has started', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('QUIT'), S('+OK')]);
    const client = await connect(server);
    const closing = client.close();
    await expect(client.noop()).rejects.toThrow(ConnectionClosedError);
    await closing;
  });

  it('sends nothing after QUIT: a CAPA asked for once close() has started is refused', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('QUIT'), S('+OK bye'), waitEnd()]);
    const client = await connect(server);
    const closing = client.close();
    await expect(client.refreshCapabilities()).rejects.toThrow(ConnectionClosedError);
    expect(await closing).toMatchObject({ deletionsCommitted: true, serverText: 'bye' });
    await server.done;
    expect(server.received.at(-1)).toBe('QUIT');
  });

  it('closes the connection when a per-call timeout expires on a sent command', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('NOOP'), pause(1_000)]);
    const client = await connect(server);
    const error = await client.noop({ timeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(client.state).toBe('closed');
  });

  it('speaks UTF8 and LANG (RFC 6856)', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'USER', 'UTF8 USER', 'LANG', '.'),
      C('UTF8'),
      S('+OK UTF8 enabled'),
      C('LANG'),
      S('+OK', 'en English', 'fr Français', '.'),
      C('LANG fr'),
      S('+OK Bonjour'),
    ]);
    const client = await connect(server, { auth: undefined });
    expect(client.capabilities.utf8).toEqual({ user: true });
    await client.utf8();
    expect(await client.languages()).toEqual([
      { tag: 'en', description: 'English' },
      { tag: 'fr', description: 'Français' },
    ]);
    expect((await client.setLanguage('fr')).text).toBe('Bonjour');
    await server.done;
  });

  it('refuses a line nobody asked for', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), S('+OK unsolicited'), pause(200)]);
    const client = await connect(server);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.state).toBe('closed');
  });
  it('times out on a body whose terminator never comes, failing the body stream', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('RETR 1'), raw('+OK\r\nSubject: x\r\n\r\nno end'), pause(2_000)]);
    const client = await connect(server, { commandTimeout: 150 });
    const message = await client.retrieve(1);
    await expect(message.bytes()).rejects.toThrow(TimeoutError);
    expect(client.state).toBe('closed');
  });
  it('survives a drop under a body nobody reads (no unhandled stream error)', async () => {
    const server = await serve([...login({ capa: ['USER'], count: 1 }), C('RETR 1'), raw('+OK\r\npartial'), pause(30), hangUp()]);
    const client = await connect(server);
    const message = await client.retrieve(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.state).toBe('closed');
    expect(message.body.destroyed).toBe(true);
  });
  it('sends an initial response too long for the AUTH line after the empty challenge (RFC 5034)', async () => {
    const password = 'p'.repeat(300);
    const initial = Buffer.from(`\0alice\0${password}`).toString('base64');
    const entries: WireLogEntry[] = [];
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'SASL PLAIN', '.'),
      C('AUTH PLAIN'),
      S('+ '),
      C(initial),
      S('+OK'),
      C('CAPA'),
      S('+OK', '.'),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    await connect(server, { auth: { username: 'alice', password, method: 'PLAIN' }, logger: (entry) => entries.push(entry) });
    await server.done;
    expect(entries.map((entry) => entry.text).join('\n')).not.toContain(initial);
  });

  /** A server asking SCRAM for `iterations` rounds, then expecting the client to cancel. */
  const scramAsking = (iterations: number): Step[] => [
    S('+OK ready'),
    C('CAPA'),
    S('+OK', 'SASL SCRAM-SHA-256', '.'),
    C(/^AUTH SCRAM-SHA-256 \S+$/),
    reply(scramServerFirst(iterations)),
    C('*'),
    S('-ERR cancelled'),
  ];

  it('refuses a SCRAM iteration count above the scramMaxIterations option, cancelling with *', async () => {
    const server = await serve(scramAsking(5000));
    const error = await Pop3Client.connect({ ...options(server), auth: { username: 'alice', password: 'x' }, scramMaxIterations: 4096 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).cause).toMatchObject({ limit: 'scramMaxIterations' });
    await server.done;
  });

  it('refuses a SCRAM iteration count below 4096 (a tampered server-first), cancelling with * before any proof', async () => {
    const server = await serve(scramAsking(1));
    const error = await Pop3Client.connect({ ...options(server), auth: { username: 'alice', password: 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String(error)).toMatch(/iteration count 1 is below the floor of 4096/);
    await server.done;
    expect(() => new Pop3Client({ ...options(server), scramMinIterations: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Pop3Client({ ...options(server), scramMaxIterations: 1000 })).toThrow(/scramMinIterations/);
  });

  it('refuses a SCRAM server whose +OK comes without a verified signature', async () => {
    const server = await serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'SASL SCRAM-SHA-256', '.'),
      C(/^AUTH SCRAM-SHA-256 \S+$/),
      S('+OK'),
      waitEnd(),
    ]);
    const error = await Pop3Client.connect({ ...options(server), auth: { username: 'alice', password: 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    await server.done;
  });
});
