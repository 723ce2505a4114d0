import { describe, expect, it } from 'vitest';
import type { Connector } from '../../src/common/connector.js';
import { ConnectionClosedError } from '../../src/common/errors.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { Transport } from '../../src/common/transport.js';
import type { FakeServer } from './imap/fake-server.js';
import { C, S, hangUp, login, until, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/** A real socket whose close() waits a minute for the server: longer than any test here runs. */
const patientClose: Connector = (options, handlers) => Transport.connect({ ...options, closeTimeout: 60_000 }, handlers);

/**
 * The server reads the client's FIN but keeps its own side open (as a server that lingers after
 * LOGOUT does): close() would wait out its whole closeTimeout, which these tests make long.
 */
function lingerAfterLogout(server: FakeServer): void {
  server.socket()!.allowHalfOpen = true;
}

/** A wire logger, and a promise that resolves once the client has read a server line starting with `text`. */
function lineRead(text: string): { readonly read: Promise<void>; readonly logger: (entry: WireLogEntry) => void } {
  let resolve!: () => void;
  const read = new Promise<void>((done) => {
    resolve = done;
  });
  return {
    read,
    logger: (entry) => {
      if (entry.direction === 'server' && entry.text.startsWith(text)) resolve();
    },
  };
}

describe('ImapClient: calls made while LOGOUT is in flight', () => {
  it('rejects a call queued behind LOGOUT once LOGOUT is answered, not when the socket closes', async () => {
    let queued = false;
    let settled = false;
    const server = await serve([
      ...login(),
      C('A2 LOGOUT'),
      until(() => queued),
      S('* BYE Logging out', 'A2 OK Logout completed'),
      // Hangs up only once the queued call has failed: a call that waits for the close never does.
      until(() => settled),
      hangUp(),
    ]);
    const client = await connect(server, { connector: patientClose });
    lingerAfterLogout(server);
    const closing = client.close();
    const noop = client.noop();
    queued = true;
    await expect(noop).rejects.toBeInstanceOf(ConnectionClosedError);
    // The socket is still open, but the session is over: a new call is refused at once too.
    await expect(client.noop()).rejects.toThrow('Cannot send NOOP: the session has logged out');
    settled = true;
    await closing;
    await server.done;
  });

  it("rejects at once a call made after LOGOUT's BYE, before its tagged OK", async () => {
    let settled = false;
    const bye = lineRead('* BYE');
    const server = await serve([
      ...login(),
      C('A2 LOGOUT'),
      S('* BYE Logging out'),
      // The OK waits for the call: a call queued until the OK never settles first.
      until(() => settled),
      S('A2 OK Logout completed'),
      hangUp(),
    ]);
    const client = await connect(server, {
      connector: patientClose,
      commandTimeout: 60_000,
      logger: bye.logger,
    });
    const closing = client.close();
    await bye.read;
    const noop = client.noop();
    await expect(noop).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(client.state).toBe('logout');
    settled = true;
    await closing;
    await server.done;
  });
});

describe('ImapClient: the bye event', () => {
  it('carries the response code of the BYE, as the ConnectionClosedError of pending calls does', async () => {
    const server = await serve([...login(), C('A2 NOOP'), S('* BYE [UNAVAILABLE] Server shutting down'), hangUp()]);
    const client = await connect(server);
    const events = client.events();
    await expect(client.noop()).rejects.toMatchObject({ status: 'BYE', responseCode: 'UNAVAILABLE' });
    expect((await events.next()).value).toEqual({ kind: 'bye', code: { kind: 'UNAVAILABLE' }, text: 'Server shutting down' });
    await events.next().catch(() => undefined);
  });

  it('gives a null code to a BYE without one', async () => {
    const server = await serve([...login(), C('A2 NOOP'), S('* BYE Autologout; idle for too long'), hangUp()]);
    const client = await connect(server);
    const events = client.events();
    await expect(client.noop()).rejects.toBeInstanceOf(ConnectionClosedError);
    expect((await events.next()).value).toEqual({ kind: 'bye', code: null, text: 'Autologout; idle for too long' });
    await events.next().catch(() => undefined);
  });
});

describe('ImapClient: event streams when LOGOUT is answered', () => {
  it('ends events() and idle() iterations normally at LOGOUT, not when the socket closes', async () => {
    let ended = false;
    const idling = lineRead('+ idling');
    const server = await serve([
      ...login(),
      C('A2 IDLE'),
      S('+ idling'),
      C('DONE'),
      S('A2 OK Idle completed'),
      C('A3 LOGOUT'),
      S('* BYE Logging out', 'A3 OK Logout completed'),
      // Hangs up only once both iterations have ended: iterations that wait for the close never do.
      until(() => ended),
      hangUp(),
    ]);
    const client = await connect(server, {
      connector: patientClose,
      logger: idling.logger,
    });
    lingerAfterLogout(server);
    const events = client.events();
    const idle = client.idle();
    const nexts = [events.next(), idle.next()];
    await idling.read;
    const closing = client.close();
    expect(await Promise.all(nexts)).toEqual([
      { value: undefined, done: true },
      { value: undefined, done: true },
    ]);
    ended = true;
    await closing;
    await server.done;
  });
});
