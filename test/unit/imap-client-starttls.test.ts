import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/common/errors.js';
import type { ImapClientOptions } from '../../src/imap/client.js';
import { testCertificate } from '../helpers/tls-cert.js';
import { C, S, startTls, useImapHarness } from './imap/fake-server.js';

const { serve, connect, clients } = useImapHarness();

/** STARTTLS required, the test certificate trusted. */
const starttls = (extra: Partial<ImapClientOptions> = {}): Partial<ImapClientOptions> => ({
  tls: 'starttls',
  allowCleartext: false,
  tlsOptions: { ca: testCertificate().cert },
  ...extra,
});

describe('ImapClient: STARTTLS and the command timeout', () => {
  it('lets a handshake run longer than the command timeout: the STARTTLS timer ends with its OK', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready'),
      C('A1 STARTTLS'),
      S('A1 OK Begin TLS negotiation now'),
      // The server answers the client's hello only after several command timeouts.
      startTls(800),
      C('A2 CAPABILITY'),
      S('* CAPABILITY IMAP4rev1 AUTH=PLAIN', 'A2 OK done'),
      C('A3 LOGIN alice secret'),
      S('A3 OK [CAPABILITY IMAP4rev1 IDLE] Logged in'),
    ]);
    const client = await connect(server, starttls({ commandTimeout: 200 }));
    await server.done;
    expect(client.secure).toBe(true);
    expect(client.state).toBe('authenticated');
  });

  it('leaves the handshake to the handshake timeout (connectTimeout): TimeoutError for the tls phase', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready'),
      C('A1 STARTTLS'),
      S('A1 OK Begin TLS negotiation now'),
      startTls(5_000),
    ]);
    const error = await connect(server, starttls({ connectTimeout: 300, commandTimeout: 3_000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('tls');
    expect(clients[0]?.state ?? 'logout').toBe('logout');
  });
});
