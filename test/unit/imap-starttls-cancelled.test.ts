// A STARTTLS call that stops waiting (aborted, timed out) once the command is sent: the server's
// late OK must not start a TLS layer whose capabilities nobody asks for again. The connection closes.
import { describe, expect, it, vi } from 'vitest';
import { AbortError, ConnectionClosedError, type MailwireError } from '../../src/common/errors.js';
import { startTls } from '../../src/imap/commands/connection.js';
import type { CoreSession } from '../../src/imap/session.js';
import { C, S, until, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

describe('STARTTLS cancelled after it was sent', () => {
  it('closes the connection when the OK comes late, instead of starting TLS', async () => {
    const state = { rejected: false };
    const seen: { upgraded: boolean; destroyed: MailwireError | undefined } = { upgraded: false, destroyed: undefined };
    const server = await serve([
      S('* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready'),
      C('A1 STARTTLS'),
      until(() => state.rejected),
      S('A1 OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Begin TLS negotiation now'),
      // Until the client has read the OK: it either starts TLS or closes the connection.
      until(() => seen.upgraded || seen.destroyed !== undefined),
    ]);
    const client = await connect(server, { auth: undefined });
    // The client's own session, but for the two powers STARTTLS uses: they only record the call.
    const session = {
      run: client.run.bind(client),
      get capabilities() {
        return client.capabilities;
      },
      capabilitiesKnown: true,
      startTls: () => {
        seen.upgraded = true;
        return Promise.resolve();
      },
      destroy: (error: MailwireError) => {
        seen.destroyed = error;
        client.destroy(error);
      },
    } as unknown as CoreSession;
    const controller = new AbortController();
    const starting = startTls(session, { signal: controller.signal }).catch((caught: unknown) => caught);
    await vi.waitFor(() => {
      expect(server.received).toContain('A1 STARTTLS');
    });
    controller.abort();
    expect(await starting).toBeInstanceOf(AbortError);
    state.rejected = true;
    await server.done;
    expect(seen.upgraded).toBe(false);
    expect(seen.destroyed).toBeInstanceOf(ConnectionClosedError);
    expect(client.state).toBe('logout');
  });
});
