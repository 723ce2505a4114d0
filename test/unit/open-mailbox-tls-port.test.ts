// imap:// and pop3:// URLs name no TLS mode, only a scheme. On port 993 or 995 the server speaks TLS
// from the first byte: without a `tls` option, openMailbox uses implicit TLS there, as ImapClient
// and Pop3Client do for those ports (STARTTLS would wait for a greeting that never comes).
import { describe, expect, it } from 'vitest';
import type { TransportOptions } from '../../src/common/transport.js';
import { openMailbox, type OpenMailboxOptions } from '../../src/open-mailbox.js';

/** The transport options openMailbox connects with (the connection itself is refused). */
async function transportOptionsFor(url: string, options: OpenMailboxOptions = {}): Promise<TransportOptions> {
  let seen: TransportOptions | undefined;
  await openMailbox(url, {
    password: 'x',
    allowCleartext: true,
    ...options,
    connector: (transportOptions) => {
      seen = transportOptions;
      return Promise.reject(new Error('no connection in this test'));
    },
  }).catch(() => undefined);
  if (seen === undefined) throw new Error('openMailbox did not connect');
  return seen;
}

describe('openMailbox: the TLS mode of imap:// and pop3:// URLs', () => {
  it.each([
    ['imap://alice@example.com:993', true],
    ['pop3://alice@example.com:995', true],
    ['imap://alice@example.com', false],
    ['imap://alice@example.com:143', false],
    ['pop3://alice@example.com:110', false],
    ['imaps://alice@example.com:10993', true],
  ])('%s: implicit TLS %s', async (url, implicit) => {
    expect((await transportOptionsFor(url)).tls === true).toBe(implicit);
  });

  it('an explicit tls option is kept, even on port 993', async () => {
    expect((await transportOptionsFor('imap://alice@example.com:993', { tls: 'starttls' })).tls === true).toBe(false);
    expect((await transportOptionsFor('pop3://alice@example.com:995', { tls: 'none' })).tls === true).toBe(false);
  });
});
