import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/common/secret.js';
import { createSaslSession, type SaslMechanismName, type SaslSession } from '../../src/common/sasl/index.js';

const PASSWORD = 'hunter2-Sup3rSecret';
const TOKEN = 'ya29.TOKEN-Sup3rSecret';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function sessions(): SaslSession[] {
  const credentials = { username: 'tim', password: PASSWORD, accessToken: TOKEN, authzid: 'ops' };
  const names: SaslMechanismName[] = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'XOAUTH2', 'OAUTHBEARER', 'EXTERNAL'];
  return [
    // CRAM-MD5, LOGIN and XOAUTH2 have no authzid: they refuse one.
    ...names.map((name) => createSaslSession(name, ['CRAM-MD5', 'LOGIN', 'XOAUTH2'].includes(name) ? { ...credentials, authzid: undefined } : credentials)),
    createSaslSession('PLAIN', { username: 'tim', password: new Secret(PASSWORD) }),
  ];
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain('Sup3rSecret');
}

describe('secrets never leak from sessions', () => {
  it('JSON.stringify, util.inspect and String show no password or token', () => {
    for (const session of sessions()) {
      expectNoSecret(JSON.stringify(session));
      expectNoSecret(inspect(session, { showHidden: true, depth: 10, getters: true }));
      expectNoSecret(Object.keys(session).join());
    }
  });

  it('sessions in the middle of an exchange still show nothing', () => {
    const scram = createSaslSession('SCRAM-SHA-256', { username: 'tim', password: PASSWORD });
    const nonce = /r=(.*)$/.exec(new TextDecoder().decode(scram.initialResponse() ?? new Uint8Array(0)))![1]!;
    scram.respond(bytes(`r=${nonce}srv,s=QSXCR+Q6sek8bf92,i=4096`));
    expectNoSecret(inspect(scram, { showHidden: true, depth: 10 }));
    expectNoSecret(JSON.stringify(scram));
  });

  it('error messages carry no password or token', () => {
    const messages: string[] = [];
    const attempt = (run: () => unknown): void => {
      try {
        run();
      } catch (error) {
        messages.push(String(error), (error as Error).message, inspect(error, { depth: 10 }), JSON.stringify(error));
      }
    };
    const scram = createSaslSession('SCRAM-SHA-1', { username: 'tim', password: PASSWORD });
    attempt(() => scram.respond(bytes('r=wrong,s=QSXCR+Q6sek8bf92,i=4096')));
    attempt(() => { scram.complete(null); });
    attempt(() => createSaslSession('PLAIN', { username: 'tim', password: `${PASSWORD}\0` }));
    attempt(() => createSaslSession('LOGIN', { username: 'tim', password: `${PASSWORD}\n` }));
    attempt(() => createSaslSession('SCRAM-SHA-256', { username: 'tim', password: `${PASSWORD}\u0007` }));
    attempt(() => createSaslSession('SCRAM-SHA-256', { username: 'tim', password: `${PASSWORD}\u{E0080}` }));
    attempt(() => createSaslSession('XOAUTH2', { username: 'tim', accessToken: `${TOKEN} x` }));
    attempt(() => createSaslSession('OAUTHBEARER', { username: 'tim', accessToken: `${TOKEN}\x01` }));
    const xoauth = createSaslSession('XOAUTH2', { username: 'tim', accessToken: TOKEN });
    xoauth.respond(bytes('{"status":"401"}'));
    attempt(() => xoauth.respond(bytes('{}')));
    const login = createSaslSession('LOGIN', { username: 'tim', password: PASSWORD });
    login.respond(bytes(''));
    login.respond(bytes(''));
    attempt(() => login.respond(bytes('')));
    expect(messages.length).toBeGreaterThanOrEqual(40);
    for (const message of messages) expectNoSecret(message);
  });
});
