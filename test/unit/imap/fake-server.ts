/**
 * The scripted fake server (test/helpers/scripted-server.ts) with IMAP's usual session start.
 */
export * from '../../helpers/scripted-server.js';
import { afterEach } from 'vitest';
import { ImapClient, type ImapClientOptions } from '../../../src/imap/client.js';
import { C, S, pause, raw, startFakeServer, type FakeServer, type Step } from '../../helpers/scripted-server.js';

/** Greeting with capabilities, LOGIN alice, OK with capabilities: the usual start. */
export function login(capabilities = 'IMAP4rev1 LITERAL+ IDLE UNSELECT ENABLE CONDSTORE ID NAMESPACE'): Step[] {
  return [
    S(`* OK [CAPABILITY ${capabilities} AUTH=PLAIN] ready`),
    C('A1 LOGIN alice secret'),
    S(`A1 OK [CAPABILITY ${capabilities}] Logged in`),
  ];
}

/** SELECT INBOX answered like Dovecot. */
export function selectInbox(tag: string, exists = 3): Step[] {
  return [
    C(`${tag} SELECT INBOX`),
    S(
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.',
      `* ${exists} EXISTS`,
      '* 0 RECENT',
      '* OK [UIDVALIDITY 1700000000] UIDs valid',
      `* OK [UIDNEXT ${exists + 1}] Predicted next UID`,
      '* OK [HIGHESTMODSEQ 42] Highest',
      `${tag} OK [READ-WRITE] Select completed`,
    ),
  ];
}

/** Sends `data` in pieces of `size` bytes, pausing between them so they arrive as separate reads. */
export function trickle(data: string | Uint8Array, size: number, ms = 1): Step[] {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const steps: Step[] = [];
  for (let start = 0; start < bytes.length; start += size) {
    if (steps.length > 0) steps.push(pause(ms));
    steps.push(raw(bytes.subarray(start, start + size)));
  }
  return steps;
}

/** What the IMAP unit tests share: fake servers and clients that are torn down after each test. */
export interface ImapHarness {
  /** Clients made outside `connect()`, to destroy after the test. */
  readonly clients: ImapClient[];
  /** Starts a scripted server, closed after the test. */
  readonly serve: (script: Step[]) => Promise<FakeServer>;
  /** Client options for a server: cleartext allowed, LOGIN alice/secret, a 3 s command timeout. */
  readonly options: (server: FakeServer, extra?: Partial<ImapClientOptions>) => ImapClientOptions;
  /** A connected client, destroyed after the test. */
  readonly connect: (server: FakeServer, extra?: Partial<ImapClientOptions>) => Promise<ImapClient>;
}

/** Registers the teardown (an `afterEach`) and returns the helpers. Call it at a test file's top. */
export function useImapHarness(): ImapHarness {
  const servers: FakeServer[] = [];
  const clients: ImapClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    for (const server of servers.splice(0)) await server.close();
  });
  const options = (server: FakeServer, extra: Partial<ImapClientOptions> = {}): ImapClientOptions => ({
    host: '127.0.0.1',
    port: server.port,
    tls: 'none',
    allowCleartext: true,
    auth: { username: 'alice', password: 'secret', method: 'LOGIN' },
    commandTimeout: 3_000,
    ...extra,
  });
  return {
    clients,
    options,
    serve: async (script) => {
      const server = await startFakeServer(script);
      servers.push(server);
      return server;
    },
    connect: async (server, extra = {}) => {
      const client = new ImapClient(options(server, extra));
      clients.push(client);
      await client.connect();
      return client;
    },
  };
}
