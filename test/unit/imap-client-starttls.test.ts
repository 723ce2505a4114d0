import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/common/errors.js';
import { ImapClient, type ImapClientOptions } from '../../src/imap/client.js';
import { testCertificate } from '../helpers/tls-cert.js';
import { C, S, startTls, useImapHarness } from './imap/fake-server.js';

const { serve, options, connect, clients } = useImapHarness();

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

describe('ImapClient: nothing learnt in clear is trusted after STARTTLS (RFC 9051 section 6.2.1)', () => {
  it('forgets the capabilities announced in clear (LITERAL+, SASL-IR, AUTH=PLAIN, IMAP4rev2) as the OK is read', async () => {
    // Bytes of the password as the line reader sees them (latin1).
    const password = 'sécret';
    const passwordLine = Buffer.from(password).toString('latin1');
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev2 STARTTLS LITERAL+ SASL-IR AUTH=PLAIN] ready'),
      C('A1 STARTTLS'),
      S('A1 OK [CAPABILITY IMAP4rev2 STARTTLS LITERAL+ SASL-IR AUTH=PLAIN] Begin TLS negotiation now'),
      startTls(),
      C('A2 CAPABILITY'),
      S('* CAPABILITY IMAP4rev1', 'A2 OK done'),
      // No AUTH=PLAIN, SASL-IR or LITERAL+ any more: LOGIN, with a synchronizing literal (8-bit
      // text is not quoted: UTF-8 is not accepted by this IMAP4rev1 server).
      C(`A3 LOGIN alice {${Buffer.byteLength(password)}}`),
      S('+ go ahead'),
      C(passwordLine),
      S('A3 OK [CAPABILITY IMAP4rev1] Logged in'),
      // The mailbox name in modified UTF-7, not UTF-8 as to an IMAP4rev2-only server.
      C('A4 SELECT Caf&AOk-'),
      S('* 0 EXISTS', '* OK [UIDVALIDITY 1] UIDs valid', 'A4 OK [READ-WRITE] done'),
    ]);
    let whenTlsStarts: string[] | undefined;
    const client: ImapClient = new ImapClient({
      ...options(server),
      ...starttls(),
      auth: { username: 'alice', password },
      logger: (entry) => {
        if (entry.direction === 'info' && entry.text.startsWith('starting TLS')) whenTlsStarts = [...client.capabilities];
      },
    });
    clients.push(client);
    await client.connect();
    expect(whenTlsStarts).toEqual([]);
    expect([...client.capabilities]).toEqual(['IMAP4REV1']);
    await client.select('Café');
    await server.done;
  });

  it('forgets mailbox names listed in clear in a non-canonical form', async () => {
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready'),
      C('A1 STARTTLS'),
      // "Sent" in a non-canonical modified UTF-7: remembered, it would be sent back in that form.
      S('* LIST () "/" "&AFM-ent"', 'A1 OK Begin TLS negotiation now'),
      startTls(),
      C('A2 CAPABILITY'),
      S('* CAPABILITY IMAP4rev1', 'A2 OK done'),
      C('A3 LOGIN alice secret'),
      S('A3 OK [CAPABILITY IMAP4rev1] Logged in'),
      C('A4 SELECT Sent'),
      S('* 0 EXISTS', '* OK [UIDVALIDITY 1] UIDs valid', 'A4 OK [READ-WRITE] done'),
    ]);
    const client = await connect(server, starttls());
    await client.select('Sent');
    await server.done;
  });
});
