import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import { decodeSaslChallenge, encodeSaslResponse } from '../../src/common/sasl/index.js';

describe('decodeSaslChallenge', () => {
  it('decodes base64 text or bytes', () => {
    const expected = new TextEncoder().encode('<1896.697170952@postoffice.reston.mci.net>');
    expect(decodeSaslChallenge('PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+')).toEqual(expected);
    expect(decodeSaslChallenge(Buffer.from('PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+'))).toEqual(expected);
  });

  it('tolerates whitespace, missing padding, and reads "" and "=" as empty', () => {
    expect(Buffer.from(decodeSaslChallenge(' VXNl\r\ncm5h bWU6 ')).toString()).toBe('Username:');
    expect(Buffer.from(decodeSaslChallenge('YQ')).toString()).toBe('a');
    expect(decodeSaslChallenge('')).toHaveLength(0);
    expect(decodeSaslChallenge('=')).toHaveLength(0);
    expect(decodeSaslChallenge('  ')).toHaveLength(0);
  });

  it.each([['not base64!'], ['YQ='], ['Y'], ['YQ==='], ['YQ==YQ=='], ['=YQ='], ['YQ-_']])('refuses %j with ProtocolError', (input) => {
    expect(() => decodeSaslChallenge(input)).toThrow(ProtocolError);
    expect(() => decodeSaslChallenge(input)).toThrow(/not valid base64/);
  });

  it('throws nothing but ProtocolError on any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (input) => {
        try {
          decodeSaslChallenge(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});

describe('encodeSaslResponse', () => {
  it('returns a Secret that prints as <redacted>', () => {
    const encoded = encodeSaslResponse(new TextEncoder().encode('\0tim\0tanstaaftanstaaf'));
    expect(encoded).toBeInstanceOf(Secret);
    expect(encoded.reveal()).toBe('AHRpbQB0YW5zdGFhZnRhbnN0YWFm');
    expect(String(encoded)).toBe('<redacted>');
  });

  it('writes an empty response as "" and an empty initial response as "="', () => {
    expect(encodeSaslResponse(new Uint8Array(0)).reveal()).toBe('');
    expect(encodeSaslResponse(new Uint8Array(0), { initialResponse: true }).reveal()).toBe('=');
  });

  it('round-trips through decodeSaslChallenge', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (data, initialResponse) => {
        expect(decodeSaslChallenge(encodeSaslResponse(data, { initialResponse }).reveal())).toEqual(data);
      }),
    );
  });

  it('encodes a view into a larger buffer by its own bytes only', () => {
    const backing = new TextEncoder().encode('xxabcxx');
    expect(encodeSaslResponse(backing.subarray(2, 5)).reveal()).toBe('YWJj');
  });
});
