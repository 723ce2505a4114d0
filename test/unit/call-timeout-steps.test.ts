// A call's `timeout` counts from the call (CallOptions.timeout), also when the call takes several
// commands: CAPABILITY after LOGIN, the SEARCH, COPY, STORE and UID EXPUNGE of an emulated MOVE,
// the STAT after a POP3 login. Each command used to get the whole timeout again.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Connection, Connector } from '../../src/common/connector.js';
import { ConnectionClosedError, TimeoutError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { TransportHandlers } from '../../src/common/transport-options.js';
import { ImapClient } from '../../src/imap/client.js';
import { CopyInterruptedError } from '../../src/imap/commands/copy-move.js';
import { Pop3Client } from '../../src/pop3/client.js';

/** A server answered by hand, in memory: no socket, so the fake clock rules every wait. */
function handServer(greeting: string): { readonly connector: Connector; readonly written: string[]; send(...lines: string[]): void } {
  const written: string[] = [];
  let handlers: TransportHandlers | undefined;
  const state = { closed: false };
  const end = (error: ConnectionClosedError): void => {
    if (state.closed) return;
    state.closed = true;
    handlers?.onClose(error);
  };
  const connection: Connection = {
    secure: false,
    logging: false,
    get closed() {
      return state.closed;
    },
    write: (parts) => {
      if (state.closed) throw new ConnectionClosedError('closed');
      const text = parts.map((part) => (part instanceof Secret ? part.reveal() : typeof part === 'string' ? part : Buffer.from(part).toString('latin1'))).join('');
      written.push(...text.split('\r\n').filter((line) => line !== ''));
    },
    drained: () => Promise.resolve(),
    upgradeToTls: () => Promise.reject(new ConnectionClosedError('no TLS here')),
    armTimeout: () => undefined,
    disarmTimeout: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    logServer: () => undefined,
    close: () => {
      end(new ConnectionClosedError('closed by the client'));
      return Promise.resolve();
    },
    destroy: () => {
      end(new ConnectionClosedError('destroyed'));
    },
  };
  const send = (...lines: string[]): void => {
    handlers?.onData(Buffer.from(lines.map((line) => `${line}\r\n`).join('')));
  };
  return {
    connector: (_options, given) => {
      handlers = given;
      queueMicrotask(() => {
        send(greeting);
      });
      return Promise.resolve(connection);
    },
    written,
    send,
  };
}

const base = { host: 'hand.example', tls: 'none', allowCleartext: true, commandTimeout: 60_000 } as const;

/** Settles into `outcome` (for a look without awaiting). */
function watch(promise: Promise<unknown>): { outcome: unknown } {
  const seen: { outcome: unknown } = { outcome: 'pending' };
  promise.then(
    (value: unknown) => (seen.outcome = value),
    (error: unknown) => (seen.outcome = error),
  );
  return seen;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a call of several commands times out when its timeout, counted from the call, runs out', () => {
  it('IMAP login: LOGIN, then CAPABILITY', async () => {
    const server = handServer('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready');
    const client = await ImapClient.connect({ ...base, connector: server.connector });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const login = watch(client.login({ username: 'alice', password: 'secret', method: 'LOGIN' }, { timeout: 1_000 }));
    await vi.advanceTimersByTimeAsync(600);
    expect(server.written).toEqual(['A1 LOGIN alice secret']);
    server.send('A1 OK Logged in'); // no [CAPABILITY]: the client asks
    await vi.advanceTimersByTimeAsync(0);
    expect(server.written).toEqual(['A1 LOGIN alice secret', 'A2 CAPABILITY']);
    await vi.advanceTimersByTimeAsync(400);
    expect(login.outcome).toBeInstanceOf(TimeoutError);
    expect(client.state).toBe('logout'); // logged in, yet the call failed: the session is closed
  });

  it('IMAP move emulated by SEARCH, COPY, STORE and UID EXPUNGE', async () => {
    const server = handServer('* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] ready');
    const client = await ImapClient.connect({ ...base, connector: server.connector });
    const selecting = client.select('INBOX');
    await vi.waitFor(() => {
      expect(server.written).toContain('A1 SELECT INBOX');
    });
    server.send('* 2 EXISTS', '* OK [UIDVALIDITY 7] ok', 'A1 OK [READ-WRITE] done');
    await selecting;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const move = watch(client.move('1:2', 'Archive', { timeout: 1_000 }));
    await vi.advanceTimersByTimeAsync(400);
    server.send('* SEARCH 1 2', 'A2 OK done');
    await vi.advanceTimersByTimeAsync(400);
    expect(server.written.at(-1)).toBe('A3 UID COPY 1:2 Archive');
    server.send('A3 OK [COPYUID 9 1:2 5:6] done');
    await vi.advanceTimersByTimeAsync(200);
    expect(server.written.at(-1)).toBe('A4 UID STORE 1:2 +FLAGS.SILENT (\\Deleted)');
    // The copies exist: the error carries their map, with the TimeoutError as its cause.
    expect(move.outcome).toBeInstanceOf(CopyInterruptedError);
    expect(move.outcome).toMatchObject({ code: 'TIMEOUT', uidValidity: 9 });
    expect([...(move.outcome as CopyInterruptedError).uidMap]).toEqual([[1, 5], [2, 6]]);
    expect((move.outcome as Error).cause).toBeInstanceOf(TimeoutError);
  });

  it('POP3 login: USER and PASS, then STAT', async () => {
    const server = handServer('+OK ready');
    const connecting = Pop3Client.connect({ ...base, connector: server.connector });
    await vi.waitFor(() => {
      expect(server.written).toContain('CAPA');
    });
    server.send('+OK', 'USER', '.');
    const client = await connecting;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const login = watch(client.login({ username: 'alice', password: 'secret', method: 'USER' }, { timeout: 1_000 }));
    await vi.advanceTimersByTimeAsync(0);
    server.send('+OK');
    await vi.advanceTimersByTimeAsync(600);
    expect(server.written.at(-1)).toBe('PASS secret');
    server.send('+OK logged in');
    await vi.advanceTimersByTimeAsync(0);
    expect(server.written.at(-1)).toBe('CAPA');
    server.send('+OK', 'USER', '.');
    await vi.advanceTimersByTimeAsync(0);
    expect(server.written.at(-1)).toBe('STAT');
    await vi.advanceTimersByTimeAsync(400);
    expect(login.outcome).toBeInstanceOf(TimeoutError);
    expect(client.state).toBe('closed');
  });
});
