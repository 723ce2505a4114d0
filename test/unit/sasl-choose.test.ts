import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/common/secret.js';
import {
  chooseSaslMechanism,
  SASL_CLEARTEXT_MECHANISMS,
  SASL_PREFERENCE_ORDER,
  toSaslMechanismName,
  type ChooseSaslMechanismOptions,
  type SaslCredentials,
  type SaslMechanismName,
} from '../../src/common/sasl/index.js';

const ALL = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'XOAUTH2', 'OAUTHBEARER', 'EXTERNAL'];
const password: SaslCredentials = { username: 'tim', password: 'tanstaaf' };
const token: SaslCredentials = { username: 'tim@example.com', accessToken: new Secret('ya29.token') };
const both: SaslCredentials = { username: 'tim', password: 'tanstaaf', accessToken: 'tok' };
const none: SaslCredentials = { username: 'tim' };

describe('chooseSaslMechanism', () => {
  const table: [string, readonly string[], SaslCredentials, ChooseSaslMechanismOptions, SaslMechanismName | undefined][] = [
    ['everything, password', ALL, password, {}, 'SCRAM-SHA-256'],
    ['everything, token', ALL, token, {}, 'OAUTHBEARER'],
    ['everything, password and token', ALL, both, {}, 'SCRAM-SHA-256'],
    ['everything, no secret', ALL, none, {}, undefined],
    ['SCRAM-SHA-1 over CRAM-MD5', ['PLAIN', 'CRAM-MD5', 'SCRAM-SHA-1'], password, {}, 'SCRAM-SHA-1'],
    ['CRAM-MD5 over PLAIN', ['LOGIN', 'PLAIN', 'CRAM-MD5'], password, {}, 'CRAM-MD5'],
    ['PLAIN over LOGIN', ['LOGIN', 'PLAIN'], password, {}, 'PLAIN'],
    ['LOGIN alone', ['LOGIN'], password, {}, 'LOGIN'],
    ['XOAUTH2 alone', ['XOAUTH2', 'PLAIN'], token, {}, 'XOAUTH2'],
    ['token mechanisms need a token', ['XOAUTH2', 'OAUTHBEARER'], password, {}, undefined],
    ['password mechanisms need a password', ['PLAIN', 'SCRAM-SHA-256'], token, {}, undefined],
    ['case-insensitive names', ['plain', 'Scram-Sha-1'], password, {}, 'SCRAM-SHA-1'],
    ['unknown and -PLUS names ignored', ['GSSAPI', 'SCRAM-SHA-256-PLUS', 'NTLM'], password, {}, undefined],
    ['nothing offered', [], password, {}, undefined],
    ['EXTERNAL never by default', ['EXTERNAL'], none, {}, undefined],
    ['EXTERNAL when named', ['EXTERNAL', 'PLAIN'], password, { mechanisms: ['EXTERNAL', 'PLAIN'] }, 'EXTERNAL'],
    ['the caller\'s order', ALL, password, { mechanisms: ['PLAIN', 'SCRAM-SHA-256'] }, 'PLAIN'],
    ['the caller\'s list limits', ['PLAIN'], password, { mechanisms: ['SCRAM-SHA-256'] }, undefined],
    ['no cleartext: PLAIN skipped', ['PLAIN', 'LOGIN', 'CRAM-MD5'], password, { allowCleartext: false }, 'CRAM-MD5'],
    ['no cleartext: nothing left', ['PLAIN', 'LOGIN'], password, { allowCleartext: false }, undefined],
    ['no cleartext: tokens skipped', ['XOAUTH2', 'OAUTHBEARER'], token, { allowCleartext: false }, undefined],
    ['no cleartext: SCRAM kept', ALL, password, { allowCleartext: false }, 'SCRAM-SHA-256'],
    ['SASLprep refuses the password: SCRAM skipped', ALL, { username: 'tim', password: 'a\u0007b' }, {}, 'CRAM-MD5'],
    ['NUL in the password: neither PLAIN nor LOGIN', ['PLAIN', 'LOGIN'], { username: 'tim', password: 'a\0b' }, {}, undefined],
    ['NUL in the password: SCRAM refuses it, CRAM-MD5 carries it', ['PLAIN', 'CRAM-MD5', 'SCRAM-SHA-1'], { username: 'tim', password: 'a\0b' }, {}, 'CRAM-MD5'],
    ['an authzid: CRAM-MD5 cannot carry it, PLAIN can', ['LOGIN', 'PLAIN', 'CRAM-MD5'], { ...password, authzid: 'ursel' }, {}, 'PLAIN'],
    ['an authzid: neither CRAM-MD5 nor LOGIN', ['LOGIN', 'CRAM-MD5'], { ...password, authzid: 'ursel' }, {}, undefined],
    ['an authzid: OAUTHBEARER, not XOAUTH2', ['XOAUTH2', 'OAUTHBEARER'], { ...token, authzid: 'ursel' }, { mechanisms: ['XOAUTH2', 'OAUTHBEARER'] }, 'OAUTHBEARER'],
    ['an authzid equal to the user name changes nothing', ['LOGIN', 'PLAIN', 'CRAM-MD5'], { ...password, authzid: 'tim' }, {}, 'CRAM-MD5'],
    ['an empty authzid changes nothing', ['LOGIN', 'CRAM-MD5'], { ...password, authzid: '' }, {}, 'CRAM-MD5'],
  ];

  it.each(table)('%s', (_name, offered, credentials, options, expected) => {
    expect(chooseSaslMechanism(offered, credentials, options)).toBe(expected);
  });

  it('exports the default order and the cleartext set', () => {
    expect(SASL_PREFERENCE_ORDER).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2']);
    expect(Object.isFrozen(SASL_PREFERENCE_ORDER)).toBe(true);
    expect([...SASL_CLEARTEXT_MECHANISMS].sort()).toEqual(['LOGIN', 'OAUTHBEARER', 'PLAIN', 'XOAUTH2']);
  });
});

describe('toSaslMechanismName', () => {
  it.each([
    ['plain', 'PLAIN'],
    [' scram-sha-256 ', 'SCRAM-SHA-256'],
    ['XOAuth2', 'XOAUTH2'],
    ['GSSAPI', undefined],
    ['SCRAM-SHA-256-PLUS', undefined],
    ['', undefined],
  ])('%j -> %j', (name, expected) => {
    expect(toSaslMechanismName(name)).toBe(expected);
  });
});
