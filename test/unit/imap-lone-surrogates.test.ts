// Text the encoder sends as UTF-8 must be well-formed UTF-16: a lone surrogate (half of an emoji cut
// off) has no UTF-8 form, and TextEncoder would send U+FFFD in its place.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { ImapClient } from '../../src/imap/client.js';
import type { CommandArg, EncoderOptions } from '../../src/imap/wire/index.js';
import { astring, encodeCommand, listMailbox, mailbox, nstring, secret, str } from '../../src/imap/wire/index.js';
import { greeting, scripted } from './imap-commands/fake-server.js';

const HIGH = 'Gr\uD83D';
const LOW = '\uDE00ok';

describe('encodeCommand: lone surrogates', () => {
  it.each<[string, CommandArg, EncoderOptions]>([
    ['astring (high)', astring(HIGH), {}],
    ['astring (low)', astring(LOW), {}],
    ['quoted string', str(`${HIGH} there`), {}],
    ['nstring', nstring(HIGH), {}],
    ['long string (a literal)', str(`${'x'.repeat(2000)}${HIGH}`), { literalPlus: true }],
    ['mailbox under UTF8=ACCEPT', mailbox(HIGH), { utf8Accept: true }],
    ['LIST pattern under UTF8=ACCEPT', listMailbox(`${HIGH}%`), { utf8Accept: true }],
    ['secret', secret(new Secret(HIGH)), {}],
  ])('refuses %s', (_what, arg, options) => {
    expect(() => encodeCommand('A1', 'X', [arg], options)).toThrow(InvalidArgumentError);
    expect(() => encodeCommand('A1', 'X', [arg], options)).toThrow(/surrogate/);
  });

  it('does not show a secret in the error', () => {
    expect(() => encodeCommand('A1', 'X', [secret(new Secret(`hunter2${HIGH}`))])).toThrow(/^(?!.*hunter2)/);
  });

  it('sends surrogate pairs, and a mailbox name in modified UTF-7 (which carries UTF-16 as it is)', () => {
    const pair = encodeCommand('A1', 'X', [str('Grüße 😀')], { utf8Accept: true });
    expect(pair).toEqual([{ kind: 'line', parts: ['A1 X "Grüße 😀"\r\n'] }]);
    expect(encodeCommand('A1', 'X', [mailbox(HIGH)])).toEqual([{ kind: 'line', parts: ['A1 X Gr&2D0-\r\n'] }]);
  });
});

describe('client calls: lone surrogates are refused before anything is sent', () => {
  it('a LOGIN user name, an ID field', async () => {
    const { client, server, finish } = await scripted([greeting('ID')]);
    const before = server.received();
    await expect(client.id({ name: HIGH })).rejects.toThrow(InvalidArgumentError);
    await expect(client.id({ [HIGH]: 'x' })).rejects.toThrow(InvalidArgumentError);
    await finish();
    expect(server.received()).toBe(before);

    const fresh = await scripted(['S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready']);
    await expect(fresh.client.login({ username: HIGH, password: 'secret', method: 'LOGIN' })).rejects.toThrow(InvalidArgumentError);
    expect(fresh.server.received()).toBe('');
    await fresh.finish();
  });
});

describe('SASL credentials and APPEND bodies: lone surrogates are refused before anything is sent', () => {
  const offers = 'AUTH=PLAIN AUTH=LOGIN AUTH=XOAUTH2 AUTH=OAUTHBEARER AUTH=SCRAM-SHA-256 SASL-IR';
  it.each<[string, Parameters<ImapClient['login']>[0]]>([
    ['a PLAIN password', { username: 'tim', password: `hunter2${HIGH}`, method: 'PLAIN' }],
    ['a LOGIN password', { username: 'tim', password: `hunter2${LOW}`, method: 'LOGIN' }],
    ['a PLAIN user name', { username: HIGH, password: 'secret', method: 'PLAIN' }],
    ['a PLAIN authzid', { username: 'tim', password: 'secret', authzid: HIGH, method: 'PLAIN' }],
    ['an XOAUTH2 token', { username: 'tim', accessToken: `ya29${HIGH}`, method: 'XOAUTH2' }],
    ['an OAUTHBEARER token', { username: 'tim', accessToken: `ya29${HIGH}`, method: 'OAUTHBEARER' }],
    ['a password under auto', { username: 'tim', password: new Secret(`hunter2${HIGH}`) }],
  ])('%s', async (_what, credentials) => {
    const { client, server, finish } = await scripted([`S: * OK [CAPABILITY IMAP4rev1 ${offers}] ready`]);
    const error = await client.login(credentials).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/surrogate/);
    expect((error as Error).message).not.toContain('hunter2');
    expect(server.received()).toBe('');
    await finish();
  });

  it('an APPEND body given as a string, or as string chunks of a stream', async () => {
    const { client, server, finish } = await scripted([greeting('LITERAL+')]);
    const before = server.received();
    await expect(client.append('INBOX', `Subject: x\r\n\r\n${HIGH}\r\n`)).rejects.toThrow(/surrogate/);
    await expect(client.append('INBOX', Readable.from(['Subject: x\r\n\r\n', `${LOW}\r\n`]))).rejects.toThrow(InvalidArgumentError);
    expect(server.received()).toBe(before);
    await finish();
  });
});
