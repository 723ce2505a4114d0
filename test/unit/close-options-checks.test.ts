// logout() and close() end the session whatever the server says, but a caller's mistake in their
// options (a timeout in a string, a controller for a signal) is not the server's doing: it is an
// InvalidArgumentError, and the session is left as it was, rather than closed without LOGOUT or
// QUIT (over POP3 that would drop the deletions the caller meant to commit).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { C, S, useImapHarness, waitEnd } from './imap/fake-server.js';
import { usePop3Harness } from './pop3/fake-server.js';

const imap = useImapHarness();
const pop3 = usePop3Harness();
const BAD_OPTIONS = [{ timeout: '5000' }, { timeout: -1 }, { signal: new AbortController() }] as const;

describe('ImapClient.logout: bad options', () => {
  it('reject with InvalidArgumentError; the session stays open and logs out afterwards', async () => {
    const server = await imap.serve([S('* PREAUTH [CAPABILITY IMAP4rev1] ready'), C('A1 LOGOUT'), S('* BYE bye', 'A1 OK done'), waitEnd()]);
    const client = await imap.connect(server, { auth: undefined });
    for (const options of BAD_OPTIONS) {
      await expect(client.logout(options as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(client.state).toBe('authenticated');
    }
    await client.logout();
    await server.done;
  });
});

describe('Pop3Client.close: bad options', () => {
  it('reject with InvalidArgumentError; the session stays open and QUIT commits the deletions afterwards', async () => {
    const server = await pop3.serve([
      S('+OK ready'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('USER alice'),
      S('+OK'),
      C('PASS secret'),
      S('+OK'),
      C('CAPA'),
      S('+OK', 'USER', '.'),
      C('STAT'),
      S('+OK 1 100'),
      C('DELE 1'),
      S('+OK marked'),
      C('QUIT'),
      S('+OK bye'),
      waitEnd(),
    ]);
    const client = pop3.client(server, { auth: { username: 'alice', password: 'secret' } });
    await client.connect();
    await client.delete(1);
    for (const options of BAD_OPTIONS) {
      await expect(client.close(options as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(client.state).toBe('transaction');
    }
    expect(await client.close()).toMatchObject({ deletionsCommitted: true, markedDeleted: 1 });
    await server.done;
  });
});
