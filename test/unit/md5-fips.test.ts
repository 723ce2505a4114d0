import { describe, expect, it, vi } from 'vitest';

/**
 * A Node.js build in FIPS mode refuses MD5 in its crypto layer. APOP and CRAM-MD5 then fail with
 * an UnsupportedError naming the method, before anything is sent, and automatic method choice
 * skips both.
 */
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  const fips = (algorithm: string): void => {
    if (algorithm.toLowerCase() === 'md5') throw new Error('error:0308010C:digital envelope routines::unsupported');
  };
  return {
    ...crypto,
    createHash: (algorithm: string, ...rest: []) => (fips(algorithm), crypto.createHash(algorithm, ...rest)),
    createHmac: (algorithm: string, key: string, ...rest: []) => (fips(algorithm), crypto.createHmac(algorithm, key, ...rest)),
  };
});

const { UnsupportedError } = await import('../../src/common/errors.js');
const { apopDigest } = await import('../../src/pop3/codec.js');
const { chooseLoginMethod } = await import('../../src/pop3/auth.js');
const { chooseSaslMechanism, createSaslSession } = await import('../../src/common/sasl/index.js');

const credentials = { username: 'alice', password: 'secret', host: 'localhost', port: 110 };

describe('without MD5 (FIPS mode)', () => {
  it('APOP is refused with UnsupportedError naming it', () => {
    expect(() => apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf')).toThrow(UnsupportedError);
    expect(() => apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf')).toThrow(/APOP needs MD5/);
  });

  it('automatic choice skips APOP over cleartext, where it would have been picked', () => {
    expect(chooseLoginMethod({ sasl: [], apopTimestamp: '<1.2@host>', secure: false }, credentials)).toBe('USER');
  });

  it('CRAM-MD5 is refused, and skipped by automatic choice', () => {
    expect(() => createSaslSession('CRAM-MD5', credentials)).toThrow(UnsupportedError);
    expect(chooseSaslMechanism(['CRAM-MD5', 'PLAIN'], credentials)).toBe('PLAIN');
  });
});
