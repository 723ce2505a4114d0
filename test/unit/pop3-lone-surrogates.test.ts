// A credential with a lone UTF-16 surrogate (half of an emoji cut off) has no UTF-8 form: sent, it
// would go out as U+FFFD, a different password. Every login method refuses it before writing.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import type { Pop3Credentials } from '../../src/pop3/client.js';
import { C, S, usePop3Harness } from './pop3/fake-server.js';

const HIGH = 'Gr\uD83D';
const pop3 = usePop3Harness();

describe('POP3 login: lone surrogates are refused before anything is sent', () => {
  it.each<[string, Pop3Credentials]>([
    ['a USER name', { username: HIGH, password: 'secret', method: 'USER' }],
    ['a PASS password', { username: 'alice', password: `hunter2${HIGH}`, method: 'USER' }],
    ['an APOP password', { username: 'alice', password: `hunter2${HIGH}`, method: 'APOP' }],
    ['an APOP user name', { username: HIGH, password: 'secret', method: 'APOP' }],
    ['an AUTH PLAIN password', { username: 'alice', password: `hunter2${HIGH}`, method: 'PLAIN' }],
    ['an AUTH XOAUTH2 token', { username: 'alice', accessToken: `ya29${HIGH}`, method: 'XOAUTH2' }],
    ['a password under auto', { username: 'alice', password: `hunter2${HIGH}` }],
  ])('%s', async (_what, credentials) => {
    const server = await pop3.serve([S('+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>'), C('CAPA'), S('+OK', 'SASL PLAIN XOAUTH2', 'USER', '.')]);
    const client = pop3.client(server);
    await client.connect();
    const error = await client.login(credentials).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/surrogate/);
    expect((error as Error).message).not.toContain('hunter2');
    await server.done;
    expect(server.received).toEqual(['CAPA']);
  });
});

describe('POP3 commands: a lone surrogate in any argument is refused before anything is sent', () => {
  it('LANG with a tag cut in half', async () => {
    const server = await pop3.serve([S('+OK POP3 ready'), C('CAPA'), S('+OK', 'USER', 'LANG', '.'), C('QUIT'), S('+OK bye')]);
    const client = pop3.client(server);
    await client.connect();
    const error = await client.setLanguage(HIGH).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/argument 1 of LANG .*surrogate/);
    // Nothing was sent for it: the session goes on with the next command.
    await client.close();
    await server.done;
    expect(server.received).toEqual(['CAPA', 'QUIT']);
  });
});
