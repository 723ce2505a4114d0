import { describe, expect, it, vi } from 'vitest';
import { AbortError, ConnectionClosedError, TimeoutError } from '../../src/common/errors.js';
import { C, S, until, useImapHarness, waitEnd, type FakeServer } from './imap/fake-server.js';

/**
 * LOGIN or AUTHENTICATE whose call is aborted or times out once the command was written: the server
 * may have authenticated the session, the client cannot know, so the connection is closed (the call
 * rejects with the AbortError or TimeoutError). Before it is written, it is simply withdrawn.
 */
const { serve, connect } = useImapHarness();
const noAuth = { auth: undefined, commandTimeout: 60_000 };

/** Waits until the server has read a line matching `line`. */
async function sent(server: FakeServer, line: string | RegExp): Promise<void> {
  await vi.waitFor(() => {
    expect(server.received.some((received) => (typeof line === 'string' ? received === line : line.test(received)))).toBe(true);
  });
}

describe('ImapClient: a login aborted or timed out after it was sent closes the connection', () => {
  it('LOGIN aborted while the server says nothing', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1] ready'), C('A1 LOGIN alice secret'), waitEnd()]);
    const client = await connect(server, noAuth);
    const controller = new AbortController();
    const loggingIn = client.login({ username: 'alice', password: 'secret', method: 'LOGIN' }, { signal: controller.signal });
    const selecting = client.select('INBOX'); // queued behind the login
    await sent(server, 'A1 LOGIN alice secret');
    controller.abort();
    await expect(loggingIn).rejects.toBeInstanceOf(AbortError);
    expect(client.state).toBe('logout');
    const error = await selecting.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toMatch(/whether it logged in is unknown/);
    expect((error as Error).cause).toBeInstanceOf(AbortError);
    await server.done; // the client closed the connection
    await expect(client.noop()).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('LOGIN timed out (per-call timeout): a late OK is never taken for a login', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1] ready'), C('A1 LOGIN alice secret'), waitEnd()]);
    const client = await connect(server, noAuth);
    await expect(client.login({ username: 'alice', password: 'secret', method: 'LOGIN' }, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(client.state).toBe('logout');
    await server.done;
  });

  it('LOGIN aborted while its password literal waits for the + go-ahead', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1] ready'), C('A1 LOGIN bob {10}'), waitEnd()]);
    const client = await connect(server, noAuth);
    const controller = new AbortController();
    const loggingIn = client.login({ username: 'bob', password: 'pässwörd', method: 'LOGIN' }, { signal: controller.signal });
    await sent(server, 'A1 LOGIN bob {10}');
    controller.abort();
    await expect(loggingIn).rejects.toBeInstanceOf(AbortError);
    expect(client.state).toBe('logout');
    await server.done;
  });

  it('AUTHENTICATE with a SASL-IR initial response aborted', async () => {
    const initial = Buffer.from('\0alice\0secret').toString('base64');
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready'), C(`A1 AUTHENTICATE PLAIN ${initial}`), waitEnd()]);
    const client = await connect(server, noAuth);
    const controller = new AbortController();
    const loggingIn = client.login({ username: 'alice', password: 'secret', method: 'PLAIN' }, { signal: controller.signal });
    await sent(server, /^A1 AUTHENTICATE PLAIN /);
    controller.abort();
    await expect(loggingIn).rejects.toBeInstanceOf(AbortError);
    expect(client.state).toBe('logout');
    await server.done;
  });

  it('AUTHENTICATE aborted after the client answered a challenge', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'),
      C('A1 AUTHENTICATE PLAIN'),
      S('+ '),
      C(Buffer.from('\0alice\0secret').toString('base64')),
      waitEnd(),
    ]);
    const client = await connect(server, noAuth);
    const controller = new AbortController();
    const loggingIn = client.login({ username: 'alice', password: 'secret', method: 'PLAIN' }, { signal: controller.signal });
    await vi.waitFor(() => {
      expect(server.received).toHaveLength(2);
    });
    controller.abort();
    await expect(loggingIn).rejects.toBeInstanceOf(AbortError);
    expect(client.state).toBe('logout');
    await server.done;
  });

  it('a LOGIN withdrawn before it was written sends nothing and keeps the connection', async () => {
    const controller = new AbortController();
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1] ready'),
      C('A1 NOOP'),
      until(() => controller.signal.aborted),
      S('A1 OK done'),
      C('A2 LOGIN alice secret'),
      S('A2 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    const client = await connect(server, noAuth);
    const noop = client.noop();
    // LOGIN is exclusive: it waits for the NOOP in flight, so it is not written yet.
    const loggingIn = client.login({ username: 'alice', password: 'secret', method: 'LOGIN' }, { signal: controller.signal });
    await sent(server, 'A1 NOOP');
    controller.abort();
    await expect(loggingIn).rejects.toBeInstanceOf(AbortError);
    await noop;
    expect(client.state).toBe('not-authenticated');
    await client.login({ username: 'alice', password: 'secret', method: 'LOGIN' });
    expect(client.state).toBe('authenticated');
    await server.done;
  });
});

describe('ImapClient: a login that succeeded but whose CAPABILITY step failed', () => {
  it('closes the connection when the call is aborted during CAPABILITY, instead of staying authenticated', async () => {
    const controller = new AbortController();
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1] ready'),
      C('A1 LOGIN alice secret'),
      S('A1 OK Logged in'),
      C('A2 CAPABILITY'),
      until(() => controller.signal.aborted),
      waitEnd(),
    ]);
    const client = await connect(server, noAuth);
    const loggingIn = client.login({ username: 'alice', password: 'secret', method: 'LOGIN' }, { signal: controller.signal });
    await sent(server, 'A2 CAPABILITY');
    controller.abort();
    await expect(loggingIn).rejects.toBeInstanceOf(AbortError);
    expect(client.state).toBe('logout');
    await server.done;
  });
});
