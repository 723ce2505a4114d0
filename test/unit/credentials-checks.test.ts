// Credentials from a JavaScript caller, of the wrong shape: each is an InvalidArgumentError naming
// the field (never a secret's value), before anything is sent, not a TypeError from deep inside a
// mechanism or a command written with `5` as the user name.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { C, S, useImapHarness, waitEnd } from './imap/fake-server.js';
import { usePop3Harness } from './pop3/fake-server.js';

const imap = useImapHarness();
const pop3 = usePop3Harness();

const BAD: readonly [string, unknown, RegExp][] = [
  ['no credentials', undefined, /credentials must be an object/],
  ['null', null, /credentials must be an object/],
  ['a string', 'alice', /credentials must be an object/],
  ['a user name that is a number', { username: 5, password: 'hunter2' }, /username must be a string, got 5/],
  ['no user name', { password: 'hunter2', method: 'LOGIN' }, /username must be a string, got undefined/],
  ['a password that is a number', { username: 'alice', password: 12345 }, /password must be a string or a Secret, got a number/],
  ['an access token that is an object', { username: 'alice', accessToken: {}, method: 'XOAUTH2' }, /accessToken must be a string or a Secret, got an object/],
  ['an authzid that is a number', { username: 'alice', password: 'hunter2', authzid: 7 }, /authzid must be a string, got 7/],
];

describe('ImapClient.login: credentials of the wrong shape', () => {
  it.each(BAD)('%s', async (_what, credentials, message) => {
    const server = await imap.serve([S('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR] ready'), waitEnd()]);
    const client = await imap.connect(server, { auth: undefined });
    const error = await client.login(credentials as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('12345');
    expect(server.received).toEqual([]);
  });
});

describe('Pop3Client.login: credentials of the wrong shape', () => {
  it.each(BAD)('%s', async (_what, credentials, message) => {
    const server = await pop3.serve([S('+OK ready'), C('CAPA'), S('+OK', 'SASL PLAIN XOAUTH2', 'USER', '.'), waitEnd()]);
    const client = pop3.client(server);
    await client.connect();
    const error = await client.login(credentials as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('12345');
    expect(server.received).toEqual(['CAPA']);
  });
});
