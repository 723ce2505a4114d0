import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, InvalidArgumentError, LimitExceededError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import { createSaslSession, type SaslSession } from '../../src/common/sasl/index.js';
import { DEFAULT_SCRAM_MAX_ITERATIONS, DEFAULT_SCRAM_MIN_ITERATIONS, ScramSession } from '../../src/common/sasl/scram.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | null): string | null => (data === null ? null : new TextDecoder().decode(data));

// RFC 5802 section 5.
const SHA1 = {
  clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
  clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
  serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
};

// RFC 7677 section 3.
const SHA256 = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function sha1Session(options: { password?: string | Secret; authzid?: string } = {}): ScramSession {
  return new ScramSession(
    'SCRAM-SHA-1',
    { username: 'user', password: options.password ?? 'pencil', ...(options.authzid === undefined ? {} : { authzid: options.authzid }) },
    { clientNonce: SHA1.clientNonce },
  );
}

function sha256Session(): ScramSession {
  return new ScramSession('SCRAM-SHA-256', { username: 'user', password: 'pencil' }, { clientNonce: SHA256.clientNonce });
}

/** Catches the error `run` throws, failing the test if it throws nothing. */
function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectSaslFailure(run: () => unknown, mechanism: string, text: RegExp): AuthenticationError {
  const error = caught(run);
  expect(error).toBeInstanceOf(AuthenticationError);
  const auth = error as AuthenticationError;
  expect(auth.command).toBe(`AUTHENTICATE ${mechanism}`);
  expect(auth.status).toBe('SASL');
  expect(auth.serverText).toMatch(text);
  return auth;
}

describe('SCRAM published vectors', () => {
  it('reproduces RFC 5802 section 5 (SCRAM-SHA-1), server-final as a challenge', () => {
    const session = sha1Session();
    expect(session.mechanism).toBe('SCRAM-SHA-1');
    expect(text(session.initialResponse())).toBe(SHA1.clientFirst);
    expect(text(session.respond(bytes(SHA1.serverFirst)))).toBe(SHA1.clientFinal);
    expect(session.respond(bytes(SHA1.serverFinal))).toHaveLength(0);
    expect(() => { session.complete(null); }).not.toThrow();
    expect(session.serverError).toBeUndefined();
  });

  it('reproduces RFC 7677 section 3 (SCRAM-SHA-256), server-final with the success', () => {
    const session = sha256Session();
    expect(text(session.initialResponse())).toBe(SHA256.clientFirst);
    expect(text(session.respond(bytes(SHA256.serverFirst)))).toBe(SHA256.clientFinal);
    expect(() => { session.complete(bytes(SHA256.serverFinal)); }).not.toThrow();
  });

  it('accepts the server-final message both as a challenge and again with the success', () => {
    const session = sha256Session();
    session.respond(bytes(SHA256.serverFirst));
    session.respond(bytes(SHA256.serverFinal));
    expect(() => { session.complete(bytes(SHA256.serverFinal)); }).not.toThrow();
    expect(() => { session.complete(new Uint8Array(0)); }).not.toThrow();
  });

  it('sends the client-first message for an empty challenge (no SASL-IR)', () => {
    const session = sha1Session();
    expect(text(session.respond(new Uint8Array(0)))).toBe(SHA1.clientFirst);
    expect(text(session.respond(bytes(SHA1.serverFirst)))).toBe(SHA1.clientFinal);
  });

  it('initialResponse() has no side effect', () => {
    const session = sha1Session();
    expect(text(session.initialResponse())).toBe(text(session.initialResponse()));
  });

  it('accepts the password as a Secret', () => {
    const session = sha1Session({ password: new Secret('pencil') });
    session.initialResponse();
    expect(text(session.respond(bytes(SHA1.serverFirst)))).toBe(SHA1.clientFinal);
  });

  it('ignores extensions after i= and in the server-final message', () => {
    // An extension is part of the AuthMessage, so the proof changes, but the exchange goes on.
    const extended = sha1Session();
    expect(text(extended.respond(bytes(`${SHA1.serverFirst},x=future`)))).toMatch(/^c=biws,r=fyko\+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=[A-Za-z0-9+/]{27}=$/);
    const session = sha1Session();
    session.respond(bytes(SHA1.serverFirst));
    expect(() => session.respond(bytes(`${SHA1.serverFinal},y=other`))).not.toThrow();
  });
});

describe('SCRAM GS2 header and user name', () => {
  it('puts the authzid into the GS2 header and the channel binding', () => {
    const session = sha1Session({ authzid: 'admin=x,y' });
    expect(text(session.initialResponse())).toBe('n,a=admin=3Dx=2Cy,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const clientFinal = text(session.respond(bytes(SHA1.serverFirst)))!;
    const channelBinding = /^c=([^,]*),/.exec(clientFinal)![1]!;
    expect(Buffer.from(channelBinding, 'base64').toString()).toBe('n,a=admin=3Dx=2Cy,');
  });

  it('escapes = and , in the user name', () => {
    const session = new ScramSession('SCRAM-SHA-256', { username: 'a=b,c', password: 'p' }, { clientNonce: 'abc' });
    expect(text(session.initialResponse())).toBe('n,,n=a=3Db=2Cc,r=abc');
  });

  it('applies SASLprep to the user name (RFC 4013 mapping and NFKC)', () => {
    const session = new ScramSession('SCRAM-SHA-1', { username: 'I\u00ADX\u00A0\u2168', password: 'p' }, { clientNonce: 'abc' });
    expect(text(session.initialResponse())).toBe('n,,n=IX IX,r=abc');
  });

  it('uses a random base64 nonce from node:crypto by default', () => {
    const first = text(createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }).initialResponse())!;
    const second = text(createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }).initialResponse())!;
    expect(first).toMatch(/^n,,n=u,r=[A-Za-z0-9+/]{32}$/);
    expect(first).not.toBe(second);
  });

  it('refuses an injected nonce with a comma', () => {
    expect(() => new ScramSession('SCRAM-SHA-1', { username: 'u', password: 'p' }, { clientNonce: 'a,b' })).toThrow(InvalidArgumentError);
  });
});

describe('SCRAM credentials', () => {
  it.each([
    ['missing password', { username: 'user' }, /needs a password/],
    ['empty password', { username: 'user', password: '' }, /non-empty password/],
    ['empty username', { username: '', password: 'pencil' }, /non-empty username/],
    ['control character in the user name', { username: 'us\u0007er', password: 'pencil' }, /username contains U\+0007 that is prohibited/],
    ['private use in the user name', { username: 'u\uE000', password: 'pencil' }, /username contains U\+E000/],
    ['bidi violation in the user name', { username: '\u0627\u0031', password: 'pencil' }, /username mixes right-to-left/],
    ['NUL in the authzid', { username: 'user', password: 'pencil', authzid: 'a\0b' }, /authzid contains the forbidden character U\+0000/],
    ['user name made only of ignorable characters', { username: '\u00AD', password: 'pencil' }, /username is empty after SASLprep/],
  ])('refuses a %s with InvalidArgumentError', (_name, credentials, message) => {
    const error = caught(() => createSaslSession('SCRAM-SHA-256', credentials));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a prohibited character in the password without naming it', () => {
    const error = caught(() => createSaslSession('SCRAM-SHA-1', { username: 'user', password: 'pen\u0007cil' }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/password contains a character that is prohibited/);
    expect((error as Error).message).not.toMatch(/U\+0007|pen|cil/);
  });

  it('refuses an unassigned code point in the password (a stored string) but not in the user name', () => {
    expect(() => createSaslSession('SCRAM-SHA-1', { username: 'user', password: 'p\u{E0080}' })).toThrow(/password contains an unassigned code point/);
    expect(() => createSaslSession('SCRAM-SHA-1', { username: 'user\u0378', password: 'p' })).not.toThrow();
  });

  it('prepares the password before hashing: a no-break space is a space', () => {
    const spaced = new ScramSession('SCRAM-SHA-1', { username: 'u', password: 'a b' }, { clientNonce: 'n' });
    const noBreak = new ScramSession('SCRAM-SHA-1', { username: 'u', password: 'a\u00A0b' }, { clientNonce: 'n' });
    const serverFirst = bytes('r=nS,s=QSXCR+Q6sek8bf92,i=4096');
    expect(text(noBreak.respond(serverFirst))).toBe(text(spaced.respond(serverFirst)));
  });
});

describe('SCRAM bad server data', () => {
  it('refuses a server nonce that does not start with the client nonce', () => {
    const session = sha1Session();
    expectSaslFailure(
      () => session.respond(bytes('r=XXXX+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096')),
      'SCRAM-SHA-1',
      /server nonce does not extend the client nonce/,
    );
  });

  it('refuses a server nonce equal to the client nonce', () => {
    expectSaslFailure(() => sha1Session().respond(bytes(`r=${SHA1.clientNonce},s=QSXCR+Q6sek8bf92,i=4096`)), 'SCRAM-SHA-1', /does not extend/);
  });

  it('refuses a wrong server signature', () => {
    const session = sha256Session();
    session.respond(bytes(SHA256.serverFirst));
    expectSaslFailure(() => session.respond(bytes('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')), 'SCRAM-SHA-256', /server signature does not verify/);
  });

  it('refuses the right signature for a different password', () => {
    const session = sha1Session({ password: 'pencil2' });
    session.respond(bytes(SHA1.serverFirst));
    expectSaslFailure(() => { session.complete(bytes(SHA1.serverFinal)); }, 'SCRAM-SHA-1', /does not verify/);
  });

  it('refuses a truncated or non-base64 signature', () => {
    for (const verifier of ['v=rmF9pqV8S7suAoZWja4dJRkF', 'v=***', 'v=']) {
      const session = sha1Session();
      session.respond(bytes(SHA1.serverFirst));
      expectSaslFailure(() => session.respond(bytes(verifier)), 'SCRAM-SHA-1', /does not verify/);
    }
  });

  it('refuses a success without the server signature', () => {
    const session = sha1Session();
    session.respond(bytes(SHA1.serverFirst));
    expectSaslFailure(() => { session.complete(null); }, 'SCRAM-SHA-1', /without its signature/);
  });

  it('refuses a server-final message without v=', () => {
    const session = sha1Session();
    session.respond(bytes(SHA1.serverFirst));
    expectSaslFailure(() => { session.complete(bytes('x=1')); }, 'SCRAM-SHA-1', /no server signature \(v=\)/);
  });

  it('refuses a success before the exchange', () => {
    expectSaslFailure(() => { sha1Session().complete(null); }, 'SCRAM-SHA-1', /before the exchange ended/);
  });

  it('reports e= in the server-final message, and keeps it as serverError', () => {
    const session = sha1Session();
    session.respond(bytes(SHA1.serverFirst));
    const error = expectSaslFailure(() => session.respond(bytes('e=invalid-proof')), 'SCRAM-SHA-1', /e=invalid-proof/);
    expect(error.message).toBe('Authentication failed: SASL the server refused the exchange: e=invalid-proof');
    expect(session.serverError).toEqual({ status: 'invalid-proof', detail: 'e=invalid-proof' });
  });

  it('reports e= that arrives with the failure data via complete()', () => {
    const session = sha1Session();
    session.respond(bytes(SHA1.serverFirst));
    expectSaslFailure(() => { session.complete(bytes('e=other-error')); }, 'SCRAM-SHA-1', /e=other-error/);
  });

  it('reports e= sent instead of a server-first message', () => {
    expectSaslFailure(() => sha1Session().respond(bytes('e=unknown-user')), 'SCRAM-SHA-1', /e=unknown-user/);
  });

  it.each([
    ['garbage', 'hello world'],
    ['missing salt', 'r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096'],
    ['missing iteration count', 'r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92'],
    ['missing nonce', 's=QSXCR+Q6sek8bf92,i=4096'],
    ['an empty attribute', 'r=fyko+d2lbbFgONRv9qkxdawL3rfc,,s=QSXCR+Q6sek8bf92,i=4096'],
    ['a two-letter attribute name', 'rr=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096'],
  ])('refuses a malformed server-first message: %s', (_name, serverFirst) => {
    expectSaslFailure(() => sha1Session().respond(bytes(serverFirst)), 'SCRAM-SHA-1', /malformed server-first-message/);
  });

  it('refuses a mandatory extension (m=)', () => {
    expectSaslFailure(() => sha1Session().respond(bytes(`m=ext,${SHA1.serverFirst}`)), 'SCRAM-SHA-1', /mandatory extension/);
  });

  it('refuses a bad salt', () => {
    for (const salt of ['s=', 's=not*base64', 's=QSXCR']) {
      const serverFirst = `r=${SHA1.clientNonce}abc,${salt},i=4096`;
      expectSaslFailure(() => sha1Session().respond(bytes(serverFirst)), 'SCRAM-SHA-1', /salt is not valid/);
    }
  });

  it('refuses a non-printable server nonce', () => {
    expectSaslFailure(() => sha1Session().respond(bytes(`r=${SHA1.clientNonce}\u00e9,s=QSXCR+Q6sek8bf92,i=4096`)), 'SCRAM-SHA-1', /printable/);
  });

  it('refuses server data that is not UTF-8', () => {
    expectSaslFailure(() => sha1Session().respond(new Uint8Array([0x72, 0x3d, 0xff, 0xfe])), 'SCRAM-SHA-1', /not valid UTF-8/);
  });

  it.each([['0'], ['-1'], ['4096x'], [''], ['1e3']])('refuses the iteration count %j', (count) => {
    expectSaslFailure(
      () => sha1Session().respond(bytes(`r=${SHA1.clientNonce}abc,s=QSXCR+Q6sek8bf92,i=${count}`)),
      'SCRAM-SHA-1',
      /iteration count/,
    );
  });

  it('refuses an oversized iteration count before hashing, with the limit as the cause', () => {
    const started = Date.now();
    const error = expectSaslFailure(
      () => sha1Session().respond(bytes(`r=${SHA1.clientNonce}abc,s=QSXCR+Q6sek8bf92,i=${DEFAULT_SCRAM_MAX_ITERATIONS + 1}`)),
      'SCRAM-SHA-1',
      /exceeds the limit of 10000000/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.cause).toBeInstanceOf(LimitExceededError);
    expect((error.cause as LimitExceededError).limit).toBe('scramMaxIterations');
    expectSaslFailure(
      () => sha1Session().respond(bytes(`r=${SHA1.clientNonce}abc,s=QSXCR+Q6sek8bf92,i=99999999999999999999999999`)),
      'SCRAM-SHA-1',
      /exceeds the limit/,
    );
  });

  it.each([['1'], ['4095']])('refuses the iteration count %s, below 4096 (RFC 7677 section 4), before computing a proof', (count) => {
    const session = sha1Session();
    expectSaslFailure(() => session.respond(bytes(`r=${SHA1.clientNonce}abc,s=QSXCR+Q6sek8bf92,i=${count}`)), 'SCRAM-SHA-1', /below the floor of 4096.*scramMinIterations/);
    expect(DEFAULT_SCRAM_MIN_ITERATIONS).toBe(4096);
    // Failed: no proof is ever given for it.
    expectSaslFailure(() => session.respond(bytes(SHA1.serverFirst)), 'SCRAM-SHA-1', /already failed/);
  });

  it('honours a lower scramMinIterations option, for a server the caller knows uses fewer', () => {
    const session = createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }, { scramMinIterations: 1 });
    const nonce = /r=(.*)$/.exec(text(session.initialResponse())!)![1]!;
    expect(text(session.respond(bytes(`r=${nonce}x,s=QSXCR+Q6sek8bf92,i=1`)))).toMatch(/^c=biws,r=.*,p=/);
    for (const bad of [0, 1.5, Number.NaN]) {
      expect(() => createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }, { scramMinIterations: bad })).toThrow(InvalidArgumentError);
    }
    // A floor above the cap would refuse every server.
    expect(() => createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }, { scramMaxIterations: 1000 })).toThrow(/scramMinIterations/);
    expect(() => createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }, { scramMinIterations: 500, scramMaxIterations: 1000 })).not.toThrow();
  });

  it('honours a lower scramMaxIterations option', () => {
    const session = createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }, { scramMaxIterations: 5000 });
    const nonce = /r=(.*)$/.exec(text(session.initialResponse())!)![1]!;
    expectSaslFailure(() => session.respond(bytes(`r=${nonce}x,s=QSXCR+Q6sek8bf92,i=5001`)), 'SCRAM-SHA-256', /limit of 5000/);
    expect(() => createSaslSession('SCRAM-SHA-256', { username: 'u', password: 'p' }, { scramMaxIterations: 0 })).toThrow(InvalidArgumentError);
  });

  it('refuses a further challenge once verified, and anything once failed', () => {
    const verified = sha1Session();
    verified.respond(bytes(SHA1.serverFirst));
    verified.respond(bytes(SHA1.serverFinal));
    expectSaslFailure(() => verified.respond(bytes('v=x')), 'SCRAM-SHA-1', /another challenge/);

    const failed = sha1Session();
    expect(() => failed.respond(bytes('garbage'))).toThrow(AuthenticationError);
    expectSaslFailure(() => failed.respond(bytes(SHA1.serverFirst)), 'SCRAM-SHA-1', /already failed/);
    expectSaslFailure(() => { failed.complete(null); }, 'SCRAM-SHA-1', /before the exchange ended/);
  });
});

/** A SCRAM server after RFC 5802 section 3, to run whole exchanges with random nonces. */
function scramServer(algorithm: 'sha1' | 'sha256', password: string, iterations = 4096) {
  const size = algorithm === 'sha1' ? 20 : 32;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, size, algorithm);
  const clientKey = createHmac(algorithm, salted).update('Client Key').digest();
  const storedKey = createHash(algorithm).update(clientKey).digest();
  const serverKey = createHmac(algorithm, salted).update('Server Key').digest();
  let clientFirstBare = '';
  let serverFirst = '';
  return {
    first(clientFirst: string): string {
      const match = /^(n,(?:a=[^,]*)?,)(n=[^,]*,r=([^,]*))$/.exec(clientFirst)!;
      clientFirstBare = match[2]!;
      serverFirst = `r=${match[3]!}${randomBytes(12).toString('base64')},s=${salt.toString('base64')},i=${iterations}`;
      return serverFirst;
    },
    final(clientFinal: string): string {
      const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
      const proof = Buffer.from(clientFinal.slice(clientFinal.lastIndexOf(',p=') + 3), 'base64');
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const clientSignature = createHmac(algorithm, storedKey).update(authMessage).digest();
      const recoveredKey = Buffer.from(proof.map((byte, index) => byte ^ clientSignature[index]!));
      if (!createHash(algorithm).update(recoveredKey).digest().equals(storedKey)) return 'e=invalid-proof';
      return `v=${createHmac(algorithm, serverKey).update(authMessage).digest('base64')}`;
    },
  };
}

function runExchange(session: SaslSession, server: ReturnType<typeof scramServer>): void {
  const clientFinal = text(session.respond(bytes(server.first(text(session.initialResponse())!))))!;
  session.complete(bytes(server.final(clientFinal)));
}

describe('SCRAM against a reference server', () => {
  it('completes with random nonces for both mechanisms', () => {
    for (const [mechanism, algorithm] of [['SCRAM-SHA-1', 'sha1'], ['SCRAM-SHA-256', 'sha256']] as const) {
      const session = createSaslSession(mechanism, { username: 'tim', password: 'tanstaaf', authzid: 'ops' });
      expect(() => { runExchange(session, scramServer(algorithm, 'tanstaaf')); }).not.toThrow();
    }
  });

  it('fails with e=invalid-proof when the server holds another password', () => {
    const session = createSaslSession('SCRAM-SHA-256', { username: 'tim', password: 'wrong' });
    expect(() => { runExchange(session, scramServer('sha256', 'right')); }).toThrow(/e=invalid-proof/);
    expect(session.serverError?.status).toBe('invalid-proof');
  });

  it('agrees with the server for any printable ASCII password and user name', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'abcXYZ019 =,+/!~'.split('')), minLength: 1, maxLength: 12 }),
        fc.string({ unit: fc.constantFrom(...'abcXYZ019 =,+/!~'.split('')), minLength: 1, maxLength: 12 }),
        (username, password) => {
          // Spaces only inside: SASLprep keeps them, but leading/trailing ones are a valid edge too.
          // 16 rounds keep 50 runs fast: the floor is lowered for this server alone.
          const session = createSaslSession('SCRAM-SHA-1', { username, password }, { scramMinIterations: 16 });
          runExchange(session, scramServer('sha1', password, 16));
        },
      ),
      { numRuns: 50 },
    );
  });
});
