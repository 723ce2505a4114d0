import { describe, expect, it } from 'vitest';
import { AuthenticationError, InvalidArgumentError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import { createSaslSession } from '../../src/common/sasl/index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | null): string | null => (data === null ? null : new TextDecoder().decode(data));
const EMPTY = new Uint8Array(0);

function expectSaslFailure(run: () => unknown, mechanism: string, serverText: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as AuthenticationError).command).toBe(`AUTHENTICATE ${mechanism}`);
  expect((error as AuthenticationError).status).toBe('SASL');
  expect((error as AuthenticationError).serverText).toMatch(serverText);
}

describe('PLAIN (RFC 4616)', () => {
  it('builds the section 4 example without authzid: "\\0tim\\0tanstaaftanstaaf"', () => {
    const session = createSaslSession('PLAIN', { username: 'tim', password: 'tanstaaftanstaaf' });
    expect(session.mechanism).toBe('PLAIN');
    expect(Buffer.from(session.initialResponse()!).toString('base64')).toBe('AHRpbQB0YW5zdGFhZnRhbnN0YWFm');
  });

  it('builds the section 4 example with authzid: "Ursel\\0Kurt\\0xipj3plmq"', () => {
    const session = createSaslSession('PLAIN', { username: 'Kurt', password: new Secret('xipj3plmq'), authzid: 'Ursel' });
    expect(text(session.initialResponse())).toBe('Ursel\0Kurt\0xipj3plmq');
    expect(Buffer.from(session.initialResponse()!).toString('base64')).toBe('VXJzZWwAS3VydAB4aXBqM3BsbXE=');
  });

  it('answers the empty challenge of a server without SASL-IR, then nothing more', () => {
    const session = createSaslSession('PLAIN', { username: 'tim', password: 'tanstaaftanstaaf' });
    expect(text(session.respond(EMPTY))).toBe('\0tim\0tanstaaftanstaaf');
    expectSaslFailure(() => session.respond(EMPTY), 'PLAIN', /PLAIN has none/);
    expectSaslFailure(() => createSaslSession('PLAIN', { username: 'a', password: 'b' }).respond(bytes('x')), 'PLAIN', /PLAIN has none/);
    expect(() => { session.complete(null); }).not.toThrow();
  });

  it('sends UTF-8 as given (preparation is the server\'s, RFC 4616 section 2)', () => {
    const session = createSaslSession('PLAIN', { username: 'jörg', password: 'pä\u00A0ss' });
    expect(text(session.initialResponse())).toBe('\0jörg\0pä\u00A0ss');
  });

  it.each([
    ['missing password', { username: 'tim' }, /PLAIN needs a password/],
    ['empty password', { username: 'tim', password: '' }, /non-empty password/],
    ['empty username', { username: '', password: 'x' }, /non-empty username/],
    ['NUL in the username', { username: 't\0im', password: 'x' }, /username contains the forbidden character U\+0000/],
    ['NUL in the authzid', { username: 'tim', password: 'x', authzid: 'a\0' }, /authzid contains the forbidden character U\+0000/],
    ['NUL in the password', { username: 'tim', password: 'se\0cret' }, /password contains a character that PLAIN cannot carry/],
  ])('refuses a %s with InvalidArgumentError', (_name, credentials, message) => {
    expect(() => createSaslSession('PLAIN', credentials)).toThrow(InvalidArgumentError);
    expect(() => createSaslSession('PLAIN', credentials)).toThrow(message);
  });
});

describe('LOGIN (draft-murchison-sasl-login)', () => {
  it('has no initial response and answers by the order of the challenges', () => {
    const session = createSaslSession('LOGIN', { username: 'tim', password: 'tanstaaftanstaaf' });
    expect(session.initialResponse()).toBeNull();
    expect(text(session.respond(bytes('Username:')))).toBe('tim');
    expect(text(session.respond(bytes('Password:')))).toBe('tanstaaftanstaaf');
    expectSaslFailure(() => session.respond(bytes('Password:')), 'LOGIN', /third challenge/);
    expect(() => { session.complete(null); }).not.toThrow();
  });

  it.each([
    ['the draft\'s wording', 'User Name', 'Password'],
    ['a localised server', 'Benutzername:', 'Passwort:'],
    ['empty challenges', '', ''],
    ['a server that names them oddly', 'Password:', 'Username:'],
  ])('tolerates %s', (_name, first, second) => {
    const session = createSaslSession('LOGIN', { username: 'tim', password: new Secret('pw') });
    expect(text(session.respond(bytes(first)))).toBe('tim');
    expect(text(session.respond(bytes(second)))).toBe('pw');
  });

  it('refuses missing credentials and line ends', () => {
    expect(() => createSaslSession('LOGIN', { username: 'tim' })).toThrow(InvalidArgumentError);
    expect(() => createSaslSession('LOGIN', { username: 'ti\r\nm', password: 'x' })).toThrow(/U\+000D/);
    expect(() => createSaslSession('LOGIN', { username: 'tim', password: 'x\ny' })).toThrow(/password contains a character/);
  });
});

describe('CRAM-MD5 (RFC 2195)', () => {
  it('reproduces the section 2 example', () => {
    const session = createSaslSession('CRAM-MD5', { username: 'tim', password: 'tanstaaftanstaaf' });
    expect(session.initialResponse()).toBeNull();
    const challenge = Buffer.from('PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+', 'base64');
    expect(challenge.toString()).toBe('<1896.697170952@postoffice.reston.mci.net>');
    const response = session.respond(challenge);
    expect(text(response)).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
    expect(Buffer.from(response).toString('base64')).toBe('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw');
  });

  it('refuses an empty challenge and a second one', () => {
    expectSaslFailure(() => createSaslSession('CRAM-MD5', { username: 'tim', password: 'x' }).respond(EMPTY), 'CRAM-MD5', /empty challenge/);
    const session = createSaslSession('CRAM-MD5', { username: 'tim', password: 'x' });
    session.respond(bytes('<1.2@host>'));
    expectSaslFailure(() => session.respond(bytes('<1.2@host>')), 'CRAM-MD5', /second challenge/);
  });

  it('refuses missing credentials', () => {
    expect(() => createSaslSession('CRAM-MD5', { username: 'tim' })).toThrow(InvalidArgumentError);
    expect(() => createSaslSession('CRAM-MD5', { username: '', password: 'x' })).toThrow(InvalidArgumentError);
  });
});

describe('EXTERNAL (RFC 4422 appendix A)', () => {
  it('sends an empty initial response without authzid', () => {
    const session = createSaslSession('EXTERNAL', { username: 'ignored' });
    expect(session.initialResponse()).toEqual(EMPTY);
    expect(session.respond(EMPTY)).toEqual(EMPTY);
  });

  it('sends the authzid when given', () => {
    const session = createSaslSession('EXTERNAL', { username: '', authzid: 'fred@example.com' });
    expect(text(session.initialResponse())).toBe('fred@example.com');
    expect(text(session.respond(EMPTY))).toBe('fred@example.com');
    expectSaslFailure(() => session.respond(EMPTY), 'EXTERNAL', /EXTERNAL has none/);
  });

  it('refuses a non-empty challenge and a NUL in the authzid', () => {
    expectSaslFailure(() => createSaslSession('EXTERNAL', { username: '' }).respond(bytes('?')), 'EXTERNAL', /EXTERNAL has none/);
    expect(() => createSaslSession('EXTERNAL', { username: '', authzid: 'a\0b' })).toThrow(InvalidArgumentError);
  });
});

describe('createSaslSession', () => {
  it('refuses an unknown mechanism from an untyped caller', () => {
    expect(() => createSaslSession('GSSAPI' as never, { username: 'u' })).toThrow(/GSSAPI is not implemented/);
  });
});

describe('mechanisms without an authorization identity (CRAM-MD5, LOGIN, XOAUTH2)', () => {
  it.each(['CRAM-MD5', 'LOGIN', 'XOAUTH2'] as const)('%s refuses an authzid rather than log in as the user name', (mechanism) => {
    const credentials = { username: 'admin', password: 'x', accessToken: 'tok', authzid: 'ursel' };
    expect(() => createSaslSession(mechanism, credentials)).toThrow(InvalidArgumentError);
    expect(() => createSaslSession(mechanism, credentials)).toThrow(/cannot carry an authorization identity \(authzid\)/);
  });

  it.each(['CRAM-MD5', 'LOGIN', 'XOAUTH2'] as const)('%s accepts an empty authzid or the user name itself', (mechanism) => {
    for (const authzid of ['', 'admin']) {
      expect(() => createSaslSession(mechanism, { username: 'admin', password: 'x', accessToken: 'tok', authzid })).not.toThrow();
    }
  });
});

describe('createSaslSession: a lone UTF-16 surrogate in a credential', () => {
  it.each([
    ['PLAIN', { username: 'tim', password: new Secret('hunter2\uD800') }],
    ['LOGIN', { username: 'tim\uDC00', password: 'hunter2' }],
    ['CRAM-MD5', { username: 'tim', password: 'hunter2\uD800' }],
    ['SCRAM-SHA-256', { username: 'tim', password: 'hunter2\uD800' }],
    ['XOAUTH2', { username: 'tim', accessToken: 'ya29\uD800' }],
    ['OAUTHBEARER', { username: 'tim', accessToken: new Secret('ya29\uD800') }],
    ['EXTERNAL', { username: '', authzid: 'tim\uD800' }],
  ] as const)('%s refuses it with InvalidArgumentError, naming the field and not its value', (mechanism, credentials) => {
    expect(() => createSaslSession(mechanism, credentials)).toThrow(InvalidArgumentError);
    expect(() => createSaslSession(mechanism, credentials)).toThrow(/^The (password|username|accessToken|authzid) holds half of a UTF-16 surrogate pair/);
  });
});
