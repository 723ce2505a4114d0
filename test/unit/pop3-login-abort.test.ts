import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, ConnectionClosedError, TimeoutError } from '../../src/common/errors.js';
import { Pop3Client, type Pop3ClientOptions } from '../../src/pop3/client.js';
import { C, S, startFakeServer, until, waitEnd, type FakeServer, type Step } from './pop3/fake-server.js';

/**
 * A login command (USER, PASS, APOP, AUTH and its SASL responses) whose call is aborted or times
 * out once it was written: the server may have accepted it (and locked the maildrop, or after USER
 * take only PASS or QUIT), the client cannot know, so the connection is closed. Before it is
 * written, it is simply withdrawn.
 */
const servers: FakeServer[] = [];
const clients: Pop3Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function start(script: Step[], extra: Partial<Pop3ClientOptions> = {}): Promise<{ server: FakeServer; client: Pop3Client }> {
  const server = await startFakeServer(script);
  servers.push(server);
  const client = new Pop3Client({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, commandTimeout: 60_000, ...extra });
  clients.push(client);
  await client.connect();
  return { server, client };
}

const greeting = '+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>';

/** Waits until the server has read `line`. */
async function sent(server: FakeServer, line: string | RegExp): Promise<void> {
  await vi.waitFor(() => {
    expect(server.received.some((received) => (typeof line === 'string' ? received === line : line.test(received)))).toBe(true);
  });
}

/**
 * Logs in, aborts the call once `written()` resolves (the server has read what the test waits
 * for), and checks that the call failed with AbortError and the client closed the connection.
 */
async function abortLoginOnce(
  { server, client }: { server: FakeServer; client: Pop3Client },
  credentials: Parameters<Pop3Client['login']>[0],
  written: () => Promise<void>,
  controller = new AbortController(),
): Promise<void> {
  await abortLogin(client, credentials, written, controller);
  expect(client.state).toBe('closed');
  await server.done; // the client closed the connection
}

/** Logs in, aborts the call once `written()` resolves, and checks that the call failed with AbortError. */
async function abortLogin(
  client: Pop3Client,
  credentials: Parameters<Pop3Client['login']>[0],
  written: () => Promise<void>,
  controller: AbortController,
): Promise<void> {
  const login = client.login(credentials, { signal: controller.signal });
  await written();
  controller.abort();
  await expect(login).rejects.toBeInstanceOf(AbortError);
}

describe('Pop3Client: a login aborted or timed out after it was sent closes the connection', () => {
  /*
   * USER and PASS, the abort or timeout landing on each. After a USER the server may have
   * accepted, only PASS or QUIT may follow (RFC 1939 section 7): no later login could start over.
   */
  const userThenPass: [string, Step[]][] = [
    ['USER alice', [C('USER alice'), waitEnd()]],
    ['PASS secret', [C('USER alice'), S('+OK'), C('PASS secret'), waitEnd()]],
  ];

  it.each(userThenPass)('%s aborted while the server says nothing (no later line is sent)', async (line, steps) => {
    const { server, client } = await start([S(greeting), C('CAPA'), S('+OK', 'USER', '.'), ...steps]);
    await abortLoginOnce({ server, client }, { username: 'alice', password: 'secret', method: 'USER' }, () => sent(server, line));
    expect(server.received.at(-1)).toBe(line);
    await expect(client.login({ username: 'alice', password: 'secret', method: 'USER' })).rejects.toThrow(/closed/);
  });

  it.each(userThenPass)('%s timed out (per-call timeout)', async (_line, steps) => {
    const { server, client } = await start([S(greeting), C('CAPA'), S('+OK', 'USER', '.'), ...steps]);
    await expect(client.login({ username: 'alice', password: 'secret', method: 'USER' }, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
    await server.done;
    expect(client.state).toBe('closed');
  });

  it('APOP aborted', async () => {
    const { server, client } = await start([S(greeting), C('CAPA'), S('+OK', '.'), C(/^APOP alice [0-9a-f]{32}$/), waitEnd()]);
    await abortLoginOnce({ server, client }, { username: 'alice', password: 'secret', method: 'APOP' }, () => sent(server, /^APOP /));
  });

  it('an abort before USER is written withdraws it and keeps the connection', async () => {
    const controller = new AbortController();
    const { server, client } = await start([
      S(greeting),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('CAPA'),
      until(() => controller.signal.aborted),
      S('+OK', 'USER', '.'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
    ]);
    const refresh = client.refreshCapabilities();
    await vi.waitFor(() => {
      expect(server.received.filter((line) => line === 'CAPA')).toHaveLength(2);
    });
    // USER waits behind the CAPA in flight (a login command goes alone): aborting now sends nothing.
    const login = client.login({ username: 'alice', password: 'secret', method: 'USER' }, { signal: controller.signal });
    controller.abort();
    await expect(login).rejects.toBeInstanceOf(AbortError);
    await refresh;
    expect(client.state).toBe('authorization');
    await client.refreshCapabilities();
    await server.done;
    expect(server.received).not.toContain('USER alice');
  });

  it('an abort between the +OK to USER and PASS closes the connection: the server would take only PASS or QUIT', async () => {
    const controller = new AbortController();
    const logger = ({ direction, text }: { direction: string; text: string }): void => {
      // Read, not yet settled: the abort lands once USER has settled, before PASS is queued.
      if (direction === 'server' && text === '+OK user accepted') queueMicrotask(() => {
        controller.abort();
      });
    };
    const { server, client } = await start([S(greeting), C('CAPA'), S('+OK', 'USER', '.'), C('USER alice'), S('+OK user accepted'), waitEnd()], { logger });
    await expect(client.login({ username: 'alice', password: 'secret', method: 'USER' }, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
    expect(client.state).toBe('closed');
    await server.done;
    expect(server.received.at(-1)).toBe('USER alice');
  });
});

describe('Pop3Client: AUTH aborted once sent is cancelled with `*` (RFC 5034 section 4)', () => {
  const plain = { username: 'alice', password: 'secret', method: 'PLAIN' } as const;
  const plainLine = `AUTH PLAIN ${Buffer.from('\0alice\0secret').toString('base64')}`;
  const cram = { username: 'tim', password: 'tanstaaftanstaaf', method: 'CRAM-MD5' } as const;
  const cramChallenge = S(`+ ${Buffer.from('<1896.697170952@postoffice.reston.mci.net>').toString('base64')}`);
  /** The greeting and a CAPA answer listing `capabilities`. */
  const offering = (...capabilities: string[]): Step[] => [S(greeting), C('CAPA'), S('+OK', ...capabilities, '.')];

  it('aborted while waiting for a challenge: it is answered `*`, the server says -ERR, the session stays usable', async () => {
    const controller = new AbortController();
    const { server, client } = await start([
      ...offering('SASL CRAM-MD5', 'USER'),
      C('AUTH CRAM-MD5'),
      until(() => controller.signal.aborted),
      cramChallenge,
      C('*'),
      S('-ERR AUTH cancelled'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret'),
      S('+OK logged in'),
      ...offering('USER').slice(1),
      C('STAT'),
      S('+OK 0 0'),
    ]);
    await abortLogin(client, cram, () => sent(server, 'AUTH CRAM-MD5'), controller);
    expect(client.state).toBe('authorization');
    // Written once the server has ended the cancelled exchange.
    await client.login({ username: 'alice', password: 'secret', method: 'USER' });
    expect(client.state).toBe('transaction');
    await server.done;
  });

  it('an initial response aborted: the server refuses it with -ERR, the session stays usable', async () => {
    const controller = new AbortController();
    const { server, client } = await start([
      ...offering('SASL PLAIN'),
      C(plainLine),
      until(() => controller.signal.aborted),
      S('-ERR [AUTH] Invalid credentials'),
      ...offering('SASL PLAIN').slice(1),
    ]);
    await abortLogin(client, plain, () => sent(server, plainLine), controller);
    await client.refreshCapabilities();
    expect(client.state).toBe('authorization');
    await server.done;
  });

  it('aborted after the client answered a challenge, and the server logs in anyway: the connection is closed', async () => {
    const controller = new AbortController();
    const { server, client } = await start([
      ...offering('SASL CRAM-MD5'),
      C('AUTH CRAM-MD5'),
      cramChallenge,
      C(/^[A-Za-z0-9+/=]+$/),
      until(() => controller.signal.aborted),
      S('+OK maildrop locked'),
      waitEnd(),
    ]);
    let queued: Promise<unknown> | undefined;
    await abortLogin(client, cram, async () => {
      queued = client.refreshCapabilities().catch((caught: unknown) => caught); // waits behind AUTH
      await vi.waitFor(() => {
        expect(server.received).toHaveLength(3);
      });
    }, controller);
    expect(await queued).toBeInstanceOf(ConnectionClosedError);
    expect(client.state).toBe('closed');
    await server.done;
  });

  it('aborted, and the server never answers: the connection closes when the command timeout runs out', async () => {
    const { server, client } = await start([...offering('SASL PLAIN'), C(plainLine), waitEnd()], { commandTimeout: 200 });
    await abortLogin(client, plain, () => sent(server, plainLine), new AbortController());
    expect(client.state).toBe('authorization');
    await server.done;
    expect(client.state).toBe('closed');
  });
});

describe('Pop3Client: a login that succeeded but whose CAPA/STAT step failed', () => {
  it('closes the connection when the call is aborted during STAT, instead of staying logged in', async () => {
    const controller = new AbortController();
    const { server, client } = await start([
      S(greeting),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret'),
      S('+OK logged in'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('STAT'),
      until(() => controller.signal.aborted),
      waitEnd(),
    ]);
    await abortLoginOnce({ server, client }, { username: 'alice', password: 'secret', method: 'USER' }, () => sent(server, 'STAT'), controller);
  });

  it('closes the connection when STAT is refused', async () => {
    const { server, client } = await start([
      S(greeting),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret'),
      S('+OK logged in'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('STAT'),
      S('-ERR [SYS/TEMP] maildrop unavailable'),
      waitEnd(),
    ]);
    await expect(client.login({ username: 'alice', password: 'secret', method: 'USER' })).rejects.toMatchObject({ responseCode: 'SYS/TEMP' });
    expect(client.state).toBe('closed');
    await server.done;
  });
});
