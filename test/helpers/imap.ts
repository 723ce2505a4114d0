/** IMAP clients of the integration tests, connected to the project's Dovecot. */
import { ImapClient, type ImapClientOptions } from '../../src/imap/client.js';
import type { ImapSession, ImapTlsMode } from '../../src/imap/session.js';
import { dovecot, type UserName } from './dovecot.js';

/** Options for `user` (default carol) over `tls` ('starttls' or 'implicit'; 'none' allows cleartext). */
export function imapOptions(tls: ImapTlsMode, user: UserName = 'carol', extra: Partial<ImapClientOptions> = {}): ImapClientOptions {
  const facts = dovecot();
  return {
    host: facts.host,
    port: tls === 'implicit' ? facts.ports.imaps : facts.ports.imap,
    tls,
    allowCleartext: tls === 'none',
    tlsOptions: { ca: facts.ca, servername: facts.servername },
    auth: { username: facts.users[user].username, password: facts.users[user].password },
    commandTimeout: 30_000,
    ...extra,
  };
}

/** Runs `body` with a connected client of carol's, logged out (or destroyed) afterwards. */
export async function withImapClient<T>(tls: ImapTlsMode, body: (client: ImapClient) => Promise<T>): Promise<T> {
  const client = await ImapClient.connect(imapOptions(tls));
  try {
    return await body(client);
  } finally {
    await client.logout().catch(() => {
      client.destroy();
    });
  }
}

/** The client as a session whose server does not offer `capability` (e.g. MOVE, to take move()'s fallback). */
export function withoutCapability(client: ImapClient, capability: string): ImapSession {
  return {
    get state() {
      return client.state;
    },
    get capabilities() {
      return client.capabilities;
    },
    get enabled() {
      return client.enabled;
    },
    get mailbox() {
      return client.mailbox;
    },
    maxSetLength: client.maxSetLength,
    hasCapability: (name) => name.toUpperCase() !== capability.toUpperCase() && client.hasCapability(name),
    run: (command, options) => client.run(command, options),
  };
}
