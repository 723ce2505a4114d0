import { describe, expect, it, vi } from 'vitest';
import { AbortError, ConnectionClosedError, MailwireError, TimeoutError } from '../../src/common/errors.js';
import type { ImapClient } from '../../src/imap/client.js';
import { C, S, until, useImapHarness, waitEnd, type FakeServer } from './imap/fake-server.js';

/**
 * LOGIN whose call is aborted or times out once the command was written: the server may have
 * authenticated the session, the client cannot know, so the connection is closed (the call rejects
 * with the AbortError or TimeoutError). AUTHENTICATE is cancelled with `*` instead, and the session
 * stays open unless the server logs in anyway or does not answer. Before it is written, either is
 * simply withdrawn.
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

describe('ImapClient: AUTHENTICATE aborted or timed out once sent is cancelled with `*` (RFC 9051 section 6.2.2)', () => {
  const plain = { username: 'alice', password: 'secret', method: 'PLAIN' } as const;
  const plainResponse = Buffer.from('\0alice\0secret').toString('base64');

  /**
   * Logs in with PLAIN, calls `meanwhile` (a call queued behind the login), aborts the login once
   * the server has read `line`, and checks it failed with AbortError.
   */
  async function abortPlainAfter(client: ImapClient, server: FakeServer, line: string, controller: AbortController, meanwhile?: () => void): Promise<void> {
    const loggingIn = client.login(plain, { signal: controller.signal });
    meanwhile?.();
    await sent(server, line);
    controller.abort();
    await expect(loggingIn).rejects.toBeInstanceOf(AbortError);
  }

  it('aborted while waiting for the first challenge: the challenge is answered `*`, the server says BAD, the session stays usable', async () => {
    const controller = new AbortController();
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'),
      C('A1 AUTHENTICATE PLAIN'),
      until(() => controller.signal.aborted),
      S('+ '),
      C('*'),
      S('A1 BAD AUTHENTICATE cancelled'),
      C('A2 LOGIN alice secret'),
      S('A2 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    const client = await connect(server, noAuth);
    await abortPlainAfter(client, server, 'A1 AUTHENTICATE PLAIN', controller);
    expect(client.state).toBe('not-authenticated');
    // Queued behind the cancelled AUTHENTICATE, written once the server has answered it.
    await client.login({ username: 'alice', password: 'secret', method: 'LOGIN' });
    expect(client.state).toBe('authenticated');
    await server.done;
  });

  it('a SASL-IR initial response aborted: no challenge comes, the server refuses it with NO, the session stays usable', async () => {
    const controller = new AbortController();
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready'),
      C(`A1 AUTHENTICATE PLAIN ${plainResponse}`),
      until(() => controller.signal.aborted),
      S('A1 NO [AUTHENTICATIONFAILED] Invalid credentials'),
      C('A2 NOOP'),
      S('A2 OK done'),
    ]);
    const client = await connect(server, noAuth);
    await abortPlainAfter(client, server, `A1 AUTHENTICATE PLAIN ${plainResponse}`, controller);
    await client.noop();
    expect(client.state).toBe('not-authenticated');
    await server.done;
  });

  it('aborted after the client answered a challenge, and the server logs in anyway: the connection is closed', async () => {
    const controller = new AbortController();
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'),
      C('A1 AUTHENTICATE PLAIN'),
      S('+ '),
      C(plainResponse),
      until(() => controller.signal.aborted),
      S('A1 OK Logged in'),
      waitEnd(),
    ]);
    const client = await connect(server, noAuth);
    let queued: Promise<unknown> | undefined;
    await abortPlainAfter(client, server, plainResponse, controller, () => {
      queued = client.noop().catch((caught: unknown) => caught); // waits behind the exclusive AUTHENTICATE
    });
    const error = await queued;
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).cause).toMatchObject({ message: expect.stringMatching(/cancelled, yet the server logged in/) as unknown });
    expect(client.state).toBe('logout');
    await server.done;
  });

  it('timed out, and the server never answers: the connection closes when the command timeout runs out', async () => {
    const server = await serve([S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'), C('A1 AUTHENTICATE PLAIN'), waitEnd()]);
    const client = await connect(server, { ...noAuth, commandTimeout: 200 });
    const loggingIn = client.login(plain, { timeout: 50 });
    const queued = client.noop();
    await expect(loggingIn).rejects.toBeInstanceOf(TimeoutError);
    expect(await queued.catch((caught: unknown) => caught)).toBeInstanceOf(MailwireError);
    expect(client.state).toBe('logout');
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
