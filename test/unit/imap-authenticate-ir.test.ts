import { describe, expect, it } from 'vitest';
import { defaultConnector } from '../../src/common/connector.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { recordingConnector } from '../../src/testing/record.js';
import { C, S, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/**
 * RFC 4959 section 7: `authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")] *(CRLF base64)`.
 * The initial response is a bare token on the command line: never quoted, never a literal.
 */
describe('ImapClient: AUTHENTICATE with SASL-IR', () => {
  async function authenticateWith(
    capabilities: string,
    auth: { username: string; password?: string; accessToken?: string; method: 'PLAIN' | 'XOAUTH2' },
    initialResponse: string,
  ): Promise<{ log: WireLogEntry[]; transcript: string; received: readonly string[] }> {
    const log: WireLogEntry[] = [];
    let transcript = '';
    const server = await serve([
      S(`* OK [CAPABILITY IMAP4rev1 SASL-IR ${capabilities}] ready`),
      C(`A1 AUTHENTICATE ${auth.method} ${initialResponse}`),
      S('A1 OK [CAPABILITY IMAP4rev1] Logged in'),
    ]);
    const connector = recordingConnector(defaultConnector, { protocol: 'imap', sink: (piece) => (transcript += piece) });
    const client = await connect(server, { auth, logger: (entry) => log.push(entry), connector });
    await server.done;
    expect(client.state).toBe('authenticated');
    return { log, transcript, received: server.received };
  }

  it('sends a short PLAIN initial response inline and redacts it', async () => {
    const initial = Buffer.from('\0alice\0secret').toString('base64');
    const { log, transcript, received } = await authenticateWith('AUTH=PLAIN', { username: 'alice', password: 'secret', method: 'PLAIN' }, initial);
    expect(received).toEqual([`A1 AUTHENTICATE PLAIN ${initial}`]);
    expect(log.filter((entry) => entry.direction === 'client').map((entry) => entry.text)).toEqual(['A1 AUTHENTICATE PLAIN <redacted>']);
    expect(transcript).toContain('C: A1 AUTHENTICATE PLAIN <redacted>\n');
    expect(transcript).not.toContain(initial);
  });

  it('sends an initial response longer than a quoted string inline, even without LITERAL+', async () => {
    const token = 'ya29.'.padEnd(1500, 'x');
    const initial = Buffer.from(`user=alice\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    expect(initial.length).toBeGreaterThan(1024);
    const { log, transcript, received } = await authenticateWith('AUTH=XOAUTH2', { username: 'alice', accessToken: token, method: 'XOAUTH2' }, initial);
    expect(received).toEqual([`A1 AUTHENTICATE XOAUTH2 ${initial}`]);
    expect(log.filter((entry) => entry.direction === 'client').map((entry) => entry.text)).toEqual(['A1 AUTHENTICATE XOAUTH2 <redacted>']);
    for (const text of [JSON.stringify(log), transcript]) {
      expect(text).not.toContain(initial);
      expect(text).not.toContain(token);
    }
  });

  it('sends the same bytes when LITERAL+ is offered', async () => {
    const token = 'z'.repeat(1200);
    const initial = Buffer.from(`user=alice\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    const { received } = await authenticateWith('LITERAL+ AUTH=XOAUTH2', { username: 'alice', accessToken: token, method: 'XOAUTH2' }, initial);
    expect(received).toEqual([`A1 AUTHENTICATE XOAUTH2 ${initial}`]);
  });
});
