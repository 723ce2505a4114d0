// Login method names are matched without regard to case, as SASL mechanism names are (RFC 4422
// section 3.1): the case never changes what is sent. IMAP's 'LOGIN', in any case, is the LOGIN
// command; POP3 has no LOGIN command, so there 'login' is the SASL mechanism.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import type { ImapLoginMethod } from '../../src/imap/commands/connection.js';
import type { Pop3Credentials } from '../../src/pop3/client.js';
import { C, S, useImapHarness, waitEnd } from './imap/fake-server.js';
import { usePop3Harness } from './pop3/fake-server.js';

const imap = useImapHarness();
const pop3 = usePop3Harness();

describe('IMAP login method names', () => {
  const offers = '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR] ready';
  for (const method of ['login', 'Login', 'LOGIN']) {
    it(`'${method}' is the LOGIN command`, async () => {
      const server = await imap.serve([S(offers), C('A1 LOGIN tim secret'), S('A1 OK [CAPABILITY IMAP4rev1] Logged in')]);
      const client = await imap.connect(server, { auth: undefined });
      await client.login({ username: 'tim', password: 'secret', method: method as ImapLoginMethod });
      await server.done;
      expect(client.state).toBe('authenticated');
    });
  }

  it("'plain' and 'Auto' are PLAIN and auto", async () => {
    const initial = Buffer.from('\0tim\0secret').toString('base64');
    for (const method of ['plain', 'Auto']) {
      const server = await imap.serve([S(offers), C(`A1 AUTHENTICATE PLAIN ${initial}`), S('A1 OK [CAPABILITY IMAP4rev1] Logged in')]);
      const client = await imap.connect(server, { auth: undefined });
      await client.login({ username: 'tim', password: 'secret', method: method as ImapLoginMethod });
      await server.done;
    }
  });

  it('a name that is no method, or not a string, is InvalidArgumentError before anything is sent', async () => {
    for (const method of ['GSSAPI', 42, '']) {
      const server = await imap.serve([S(offers), waitEnd()]);
      const client = await imap.connect(server, { auth: undefined });
      await expect(client.login({ username: 'tim', password: 'secret', method: method as ImapLoginMethod })).rejects.toThrow(InvalidArgumentError);
      expect(server.received).toEqual([]);
    }
  });
});

describe('POP3 login method names', () => {
  async function loginWith(method: string, expected: string): Promise<void> {
    const server = await pop3.serve([
      S('+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>'),
      C('CAPA'),
      S('+OK', 'SASL PLAIN LOGIN', 'USER', '.'),
      C(expected),
      S('-ERR no'),
    ]);
    const client = pop3.client(server);
    await client.connect();
    await client.login({ username: 'alice', password: 'secret', method: method as Pop3Credentials['method'] }).catch(() => undefined);
    await server.done;
  }

  it.each([
    ['user', 'USER alice'],
    ['User', 'USER alice'],
    ['apop', /^APOP alice [0-9a-f]{32}$/],
    ['plain', `AUTH PLAIN ${Buffer.from('\0alice\0secret').toString('base64')}`],
    ['login', 'AUTH LOGIN'],
  ] as const)("'%s' is sent as %s", async (method, expected) => {
    await loginWith(method, expected as string);
  });
});
