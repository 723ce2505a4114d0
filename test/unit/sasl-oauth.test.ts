import { describe, expect, it } from 'vitest';
import { AuthenticationError, InvalidArgumentError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import { createSaslSession, decodeSaslChallenge, encodeSaslResponse } from '../../src/common/sasl/index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | null): string | null => (data === null ? null : new TextDecoder().decode(data));
const EMPTY = new Uint8Array(0);

// RFC 7628 section 4.1 and 4.3.
const RFC7628_TOKEN = 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==';
const RFC7628_INITIAL =
  'bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB';
const RFC7628_ERROR =
  'eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=';

// Google's XOAUTH2 protocol page.
const GOOGLE_INITIAL =
  'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==';
const GOOGLE_ERROR = 'eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9t\r\nYWlsLmdvb2dsZS5jb20vIn0K';

describe('OAUTHBEARER (RFC 7628)', () => {
  it('reproduces the section 4.1 initial response', () => {
    const session = createSaslSession('OAUTHBEARER', {
      username: 'user@example.com',
      accessToken: RFC7628_TOKEN,
      host: 'server.example.com',
      port: 143,
    });
    expect(session.mechanism).toBe('OAUTHBEARER');
    expect(text(session.initialResponse())).toBe(
      `n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer ${RFC7628_TOKEN}\x01\x01`,
    );
    expect(encodeSaslResponse(session.initialResponse()!, { initialResponse: true }).reveal()).toBe(RFC7628_INITIAL);
  });

  it('answers the section 4.3 error challenge with ^A and keeps the JSON status', () => {
    const session = createSaslSession('OAUTHBEARER', { username: 'user@example.com', accessToken: new Secret(RFC7628_TOKEN), host: 'server.example.com', port: 143 });
    session.initialResponse();
    const response = session.respond(decodeSaslChallenge(RFC7628_ERROR));
    expect(text(response)).toBe('\x01');
    expect(encodeSaslResponse(response).reveal()).toBe('AQ==');
    expect(session.serverError?.status).toBe('invalid_token');
    expect(session.serverError?.detail).toContain('"scope":"example_scope"');
    // The server must fail now; a further challenge is an error naming the status.
    expect(() => session.respond(bytes('{}'))).toThrow(AuthenticationError);
    expect(() => session.respond(bytes('{}'))).toThrow(/status invalid_token/);
  });

  it('uses the authzid over the username, escapes it, and omits host and port when not given', () => {
    const session = createSaslSession('OAUTHBEARER', { username: 'u', authzid: 'a=b,c', accessToken: 'tok' });
    expect(text(session.initialResponse())).toBe('n,a=a=3Db=2Cc,\x01auth=Bearer tok\x01\x01');
    const anonymous = createSaslSession('OAUTHBEARER', { username: '', accessToken: 'tok' });
    expect(text(anonymous.initialResponse())).toBe('n,,\x01auth=Bearer tok\x01\x01');
  });

  it('answers the empty challenge of a server without SASL-IR with the initial response', () => {
    const session = createSaslSession('OAUTHBEARER', { username: 'u', accessToken: 'tok' });
    expect(text(session.respond(EMPTY))).toBe(text(session.initialResponse()));
  });

  it('keeps a non-JSON error challenge with status unknown', () => {
    const session = createSaslSession('OAUTHBEARER', { username: 'u', accessToken: 'tok' });
    session.respond(EMPTY);
    expect(text(session.respond(bytes('nope\x07')))).toBe('\x01');
    expect(session.serverError).toEqual({ status: 'unknown', detail: 'nope\\x07' });
  });

  it.each([
    ['missing token', { username: 'u' }, /needs an accessToken/],
    ['empty token', { username: 'u', accessToken: '' }, /non-empty accessToken/],
    ['^A in the token', { username: 'u', accessToken: 'a\x01b' }, /accessToken contains a character/],
    ['space in the token', { username: 'u', accessToken: 'a b' }, /accessToken contains a character/],
    ['^A in the user', { username: 'u\x01', accessToken: 't' }, /U\+0001/],
    ['^A in the host', { username: 'u', accessToken: 't', host: 'h\x01' }, /host contains/],
    ['a port out of range', { username: 'u', accessToken: 't', port: 70000 }, /port 70000/],
    ['a fractional port', { username: 'u', accessToken: 't', port: 1.5 }, /port 1.5/],
  ])('refuses a %s with InvalidArgumentError', (_name, credentials, message) => {
    expect(() => createSaslSession('OAUTHBEARER', credentials)).toThrow(InvalidArgumentError);
    expect(() => createSaslSession('OAUTHBEARER', credentials)).toThrow(message);
  });
});

describe('XOAUTH2 (Google)', () => {
  it('reproduces the documented initial client response', () => {
    const session = createSaslSession('XOAUTH2', {
      username: 'someuser@example.com',
      accessToken: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg',
    });
    expect(text(session.initialResponse())).toBe(
      'user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01',
    );
    expect(encodeSaslResponse(session.initialResponse()!, { initialResponse: true }).reveal()).toBe(GOOGLE_INITIAL);
  });

  it('answers the documented error challenge with an empty response and keeps the JSON status', () => {
    const session = createSaslSession('XOAUTH2', { username: 'someuser@example.com', accessToken: new Secret('ya29.x') });
    const response = session.respond(decodeSaslChallenge(GOOGLE_ERROR));
    expect(response).toHaveLength(0);
    expect(encodeSaslResponse(response).reveal()).toBe('');
    expect(session.serverError).toEqual({
      status: '401',
      detail: '{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}',
    });
    expect(() => session.respond(bytes('{}'))).toThrow(/status 401/);
  });

  it('answers the empty challenge of a server without SASL-IR with the initial response', () => {
    const session = createSaslSession('XOAUTH2', { username: 'u@example.com', accessToken: 'tok' });
    expect(text(session.respond(EMPTY))).toBe('user=u@example.com\x01auth=Bearer tok\x01\x01');
  });

  it('refuses an error challenge that is not UTF-8', () => {
    const session = createSaslSession('XOAUTH2', { username: 'u', accessToken: 'tok' });
    expect(() => session.respond(new Uint8Array([0xff]))).toThrow(/not valid UTF-8/);
  });

  it('refuses missing or bad credentials', () => {
    expect(() => createSaslSession('XOAUTH2', { username: 'u' })).toThrow(InvalidArgumentError);
    expect(() => createSaslSession('XOAUTH2', { username: '', accessToken: 't' })).toThrow(/non-empty username/);
    expect(() => createSaslSession('XOAUTH2', { username: 'u\x01', accessToken: 't' })).toThrow(/U\+0001/);
    expect(() => createSaslSession('XOAUTH2', { username: 'u', accessToken: 't\x01' })).toThrow(InvalidArgumentError);
  });
});
