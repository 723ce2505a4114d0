import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AuthenticationError,
  InvalidArgumentError,
  LimitExceededError,
  MailwireError,
  ProtocolError,
  ServerError,
  type KnownPop3ResponseCode,
  type ResponseCodeName,
} from '../../src/common/errors.js';
import { isTransient } from '../../src/common/mailbox.js';
import { Secret } from '../../src/common/secret.js';
import {
  LineSplitter,
  MAX_COMMAND_LINE,
  NO_CAPABILITIES,
  apopDigest,
  checkLineCount,
  checkMessageNumber,
  encodeCommand,
  parseApopTimestamp,
  parseCapabilities,
  parseLanguageListing,
  parseScanListing,
  parseStat,
  parseStatusLine,
  parseUniqueIdListing,
} from '../../src/pop3/codec.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const wire = (line: { parts: readonly (string | Secret)[] }): string =>
  line.parts.map((part) => (part instanceof Secret ? part.reveal() : part)).join('');

describe('parseStatusLine', () => {
  it.each([
    ['+OK', { kind: 'ok', responseCode: undefined, text: '' }],
    ['+OK ', { kind: 'ok', responseCode: undefined, text: '' }],
    ['+OK 2 320', { kind: 'ok', responseCode: undefined, text: '2 320' }],
    ['+ok lower case', { kind: 'ok', responseCode: undefined, text: 'lower case' }],
    ['+OK\tTAB', { kind: 'ok', responseCode: undefined, text: 'TAB' }],
    ['-ERR', { kind: 'err', responseCode: undefined, text: '' }],
    ['-ERR no such message', { kind: 'err', responseCode: undefined, text: 'no such message' }],
    ['-ERR [IN-USE] Do you have another POP session running?', { kind: 'err', responseCode: 'IN-USE', text: 'Do you have another POP session running?' }],
    ['-ERR [SYS/TEMP] try later', { kind: 'err', responseCode: 'SYS/TEMP', text: 'try later' }],
    ['-ERR [auth] lower-case code', { kind: 'err', responseCode: 'AUTH', text: 'lower-case code' }],
    ['-ERR [LOGIN-DELAY]', { kind: 'err', responseCode: 'LOGIN-DELAY', text: '' }],
    ['+OK [XYZ/A/B] nested levels', { kind: 'ok', responseCode: 'XYZ/A/B', text: 'nested levels' }],
    // Not response codes: empty levels, a space inside, brackets later in the text.
    ['-ERR [SYS//TEMP] x', { kind: 'err', responseCode: undefined, text: '[SYS//TEMP] x' }],
    ['-ERR [IN USE] x', { kind: 'err', responseCode: undefined, text: '[IN USE] x' }],
    ['-ERR text [AUTH]', { kind: 'err', responseCode: undefined, text: 'text [AUTH]' }],
    ['+ ', { kind: 'continue', responseCode: undefined, text: '' }],
    ['+', { kind: 'continue', responseCode: undefined, text: '' }],
    ['+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+', { kind: 'continue', responseCode: undefined, text: 'PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+' }],
    // A base64 challenge that happens to start with "OK" is still a challenge.
    ['+ OKAY', { kind: 'continue', responseCode: undefined, text: 'OKAY' }],
  ])('%j', (line, expected) => {
    expect(parseStatusLine(bytes(line))).toEqual(expected);
  });

  it('decodes 8-bit text as UTF-8 without throwing', () => {
    expect(parseStatusLine(bytes('-ERR Bonjour, ça va')).text).toBe('Bonjour, ça va');
    expect(parseStatusLine(Uint8Array.of(0x2d, 0x45, 0x52, 0x52, 0x20, 0xff)).text).toBe('\ufffd');
  });

  it.each(['', 'OK', '+OKAY', '-ERROR', '* OK imap', '-', 'hello'])('refuses %j', (line) => {
    expect(() => parseStatusLine(bytes(line), 42)).toThrow(ProtocolError);
    try {
      parseStatusLine(bytes(line), 42);
    } catch (error) {
      expect((error as ProtocolError).offset).toBe(42);
    }
  });

  it('throws nothing but ProtocolError on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        try {
          parseStatusLine(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});

describe('POP3 response codes (RFC 2449 section 8)', () => {
  it.each([
    ['-ERR [SYS/TEMP] try later', 'SYS/TEMP'],
    ['-ERR [sys/perm] account disabled', 'SYS/PERM'],
    ['-ERR [SYS/TEMP/DISK] full', 'SYS/TEMP/DISK'],
    ['-ERR [UTF8] this maildrop needs UTF8', 'UTF8'],
  ])('%j keeps every level of its code', (line, code) => {
    expect(parseStatusLine(bytes(line)).responseCode).toBe(code);
  });

  it('are typed: the registered names are offered, any other still fits', () => {
    expectTypeOf<'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH' | 'UTF8'>().toEqualTypeOf<KnownPop3ResponseCode>();
    expectTypeOf<ServerError['responseCode']>().toEqualTypeOf<ResponseCodeName | undefined>();
    expectTypeOf<AuthenticationError['responseCode']>().toEqualTypeOf<ResponseCodeName | undefined>();
    expectTypeOf<ReturnType<typeof parseStatusLine>['responseCode']>().toEqualTypeOf<ResponseCodeName | undefined>();
    const vendorCode: ResponseCodeName = 'X-VENDOR/QUOTA';
    expect(vendorCode).toBe('X-VENDOR/QUOTA');
  });

  it('a level below a transient code is still transient (clients ignore the levels they do not know)', () => {
    const error = (responseCode: string): ServerError => new ServerError({ command: 'RETR 1', status: '-ERR', responseCode, serverText: 'x' });
    expect(isTransient(error('SYS/TEMP/DISK'))).toBe(true);
    expect(isTransient(error('IN-USE/STALE'))).toBe(true);
    expect(isTransient(error('SYS/PERM'))).toBe(false);
    expect(isTransient(error('SYS/TEMPORARY'))).toBe(false);
  });
});

describe('APOP', () => {
  it('finds the timestamp of RFC 1939 section 7', () => {
    expect(parseApopTimestamp('POP3 server ready <1896.697170952@dbc.mtview.ca.us>')).toBe(
      '<1896.697170952@dbc.mtview.ca.us>',
    );
    expect(parseApopTimestamp('Dovecot ready.')).toBeUndefined();
    expect(parseApopTimestamp('ready <no-at-sign>')).toBeUndefined();
    expect(parseApopTimestamp('<a@b> then <c.d@e>')).toBe('<c.d@e>');
  });

  it('finds timestamps with the odd characters of an RFC 822 msg-id: a quoted local part, a domain literal', () => {
    expect(parseApopTimestamp('ready <"pid 4711.1"@pop.example>')).toBe('<"pid 4711.1"@pop.example>');
    expect(parseApopTimestamp('ready <"a>b"@pop.example> now')).toBe('<"a>b"@pop.example>');
    expect(parseApopTimestamp('ready <1.2+x=y/z@[192.0.2.1]>')).toBe('<1.2+x=y/z@[192.0.2.1]>');
    // Quotes that pair up in many ways must not make the search take exponential time.
    expect(parseApopTimestamp(`<${'""'.repeat(2000)}`)).toBeUndefined();
  });

  it('computes the digest of RFC 1939 section 7 as a Secret', () => {
    const digest = apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf');
    expect(digest).toBeInstanceOf(Secret);
    expect(digest.reveal()).toBe('c4c9334bac560ecc979e58001b3e22fb');
    expect(String(digest)).toBe('<redacted>');
  });
});

describe('listings', () => {
  it('parses scan listings and STAT', () => {
    expect(parseScanListing('1 120', 'LIST')).toEqual({ number: 1, size: 120 });
    expect(parseScanListing('2  200\textra mumble', 'LIST')).toEqual({ number: 2, size: 200 });
    expect(parseStat('2 320')).toEqual({ count: 2, size: 320 });
    expect(parseStat('0 0 maildrop empty')).toEqual({ count: 0, size: 0 });
    for (const bad of ['', '1', 'a 1', '1 -5', '1 2.5', `1 ${'9'.repeat(20)}`]) {
      expect(() => parseScanListing(bad, 'LIST')).toThrow(ProtocolError);
    }
  });

  it('parses unique-id listings', () => {
    expect(parseUniqueIdListing('1 whqtswO00WBw418f9t5JxYwZ')).toEqual({ number: 1, uid: 'whqtswO00WBw418f9t5JxYwZ' });
    expect(parseUniqueIdListing('12 000001a5.4f0c2e01')).toEqual({ number: 12, uid: '000001a5.4f0c2e01' });
    expect(() => parseUniqueIdListing('1')).toThrow(ProtocolError);
    expect(() => parseUniqueIdListing('x abc')).toThrow(ProtocolError);
  });

  it('parses LANG listings', () => {
    expect(parseLanguageListing('en English')).toEqual({ tag: 'en', description: 'English' });
    expect(parseLanguageListing('fr-CA Français canadien')).toEqual({ tag: 'fr-CA', description: 'Français canadien' });
    expect(parseLanguageListing('i-default')).toEqual({ tag: 'i-default', description: '' });
  });

  it('splits lines at CRLF and bare LF, across chunks, whatever the cut', () => {
    const data = bytes('1 whq\r\n2 QhdPYR:00WBw1Ph7x7\n3 last-without-eol');
    const expected = ['1 whq', '2 QhdPYR:00WBw1Ph7x7', '3 last-without-eol'];
    for (let cut = 0; cut <= data.length; cut++) {
      const lines: string[] = [];
      const splitter = new LineSplitter((line) => lines.push(line), 100);
      splitter.push(data.subarray(0, cut));
      splitter.push(data.subarray(cut));
      splitter.end();
      expect(lines).toEqual(expected);
    }
  });

  it('does not keep the chunks it was given', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 100);
    const chunk = bytes('abc');
    splitter.push(chunk);
    chunk.fill(0x78);
    splitter.push(bytes('def\r\n'));
    expect(lines).toEqual(['abcdef']);
  });

  it('accepts a line exactly at the limit, its CR not counted (as the tokenizer counts status lines)', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 5);
    splitter.push(bytes('12345\r\n1234'));
    splitter.push(bytes('5\r'));
    splitter.push(bytes('\n'));
    expect(lines).toEqual(['12345', '12345']);
  });

  it('refuses a line over the limit, even before its end arrives', () => {
    const splitter = new LineSplitter(() => undefined, 10);
    splitter.push(bytes('12345'));
    expect(() => {
      splitter.push(bytes('678901'));
    }).toThrow(LimitExceededError);
    expect(() => {
      new LineSplitter(() => undefined, 3).push(bytes('abcd\r\n'));
    }).toThrow(LimitExceededError);
  });
});

describe('parseCapabilities', () => {
  it('reads every capability of RFC 2449, RFC 3206, RFC 2595 and RFC 6856', () => {
    const capabilities = parseCapabilities([
      'TOP',
      'USER',
      'SASL CRAM-MD5 KERBEROS_V4 scram-sha-256',
      'RESP-CODES',
      'LOGIN-DELAY 900',
      'PIPELINING',
      'EXPIRE 60',
      'UIDL',
      'IMPLEMENTATION Shlemazle-Plotz-v302',
      'STLS',
      'UTF8 USER',
      'LANG',
      'AUTH-RESP-CODE',
      'X-VENDOR a b',
    ]);
    expect(capabilities).toMatchObject({
      top: true,
      user: true,
      sasl: ['CRAM-MD5', 'KERBEROS_V4', 'SCRAM-SHA-256'],
      respCodes: true,
      loginDelay: { seconds: 900, perUser: false },
      pipelining: true,
      expire: { days: 60, perUser: false },
      uidl: true,
      implementation: 'Shlemazle-Plotz-v302',
      stls: true,
      utf8: { user: true },
      lang: true,
      authRespCode: true,
    });
    expect(capabilities.raw.get('X-VENDOR')).toEqual(['a', 'b']);
  });

  it('reads the per-user and NEVER forms', () => {
    const capabilities = parseCapabilities(['expire never USER', 'LOGIN-DELAY 300 USER', 'UTF8']);
    expect(capabilities.expire).toEqual({ days: 'never', perUser: true });
    expect(capabilities.loginDelay).toEqual({ seconds: 300, perUser: true });
    expect(capabilities.utf8).toEqual({ user: false });
    expect(capabilities.top).toBe(false);
  });

  it('is lenient with blank lines and malformed numbers', () => {
    const capabilities = parseCapabilities(['', '  ', 'EXPIRE soon', 'LOGIN-DELAY', 'TOP']);
    expect(capabilities.expire).toBeUndefined();
    expect(capabilities.loginDelay).toBeUndefined();
    expect(capabilities.top).toBe(true);
  });

  it('knows nothing when nothing was said', () => {
    expect(parseCapabilities([])).toMatchObject({ ...NO_CAPABILITIES, raw: new Map() });
  });
});

describe('encodeCommand', () => {
  it('encodes keyword and arguments with CRLF', () => {
    expect(wire(encodeCommand('STAT'))).toBe('STAT\r\n');
    expect(wire(encodeCommand('TOP', ['1', '10']))).toBe('TOP 1 10\r\n');
    expect(encodeCommand('TOP', ['1', '10']).display).toBe('TOP 1 10');
  });

  it('keeps secrets as separate parts and redacts them in the display', () => {
    const line = encodeCommand('PASS', [new Secret('my secret pass phrase')], { restOfLine: true });
    expect(line.parts.filter((part) => part instanceof Secret)).toHaveLength(1);
    expect(wire(line)).toBe('PASS my secret pass phrase\r\n');
    expect(line.display).toBe('PASS <redacted>');
    expect(JSON.stringify(line.parts)).not.toContain('phrase');
  });

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\0b'],
    ['a space', 'a b'],
    ['nothing', ''],
    ['250 characters (the line would pass 255 octets)', 'x'.repeat(250)],
  ])('refuses an argument with %s', (_what, argument) => {
    expect(() => encodeCommand('USER', [argument])).toThrow(InvalidArgumentError);
  });

  it('refuses CR, LF and NUL even in secrets and rest-of-line arguments', () => {
    for (const bad of ['pa\rss', 'pa\nss', 'pa\0ss']) {
      expect(() => encodeCommand('PASS', [new Secret(bad)], { restOfLine: true })).toThrow(InvalidArgumentError);
    }
  });

  it.each([
    ['a LANG tag', 'LANG', ['fr\uD83D'], {}],
    ['a low half alone', 'USER', ['\uDE00alice'], {}],
    ['a rest-of-line secret', 'PASS', [new Secret('hunter2\uD83D')], { restOfLine: true }],
  ] as const)('refuses %s holding a lone surrogate (it has no UTF-8 form), never repeating it', (_what, keyword, args, options) => {
    expect(() => encodeCommand(keyword, args, options)).toThrow(InvalidArgumentError);
    expect(() => encodeCommand(keyword, args, options)).toThrow(/argument 1 of .*surrogate/);
    expect(() => encodeCommand(keyword, args, options)).not.toThrow(/hunter2/);
  });

  it('sends a whole surrogate pair as its UTF-8 bytes', () => {
    expect(wire(encodeCommand('USER', ['gr\uD83D\uDE00']))).toBe('USER gr\u{1F600}\r\n');
  });

  it('allows 40 characters, and a long rest-of-line up to 255 octets', () => {
    expect(() => encodeCommand('USER', ['x'.repeat(40)])).not.toThrow();
    const longest = 'p'.repeat(MAX_COMMAND_LINE - 'PASS '.length - 2);
    expect(wire(encodeCommand('PASS', [longest], { restOfLine: true }))).toHaveLength(MAX_COMMAND_LINE);
    expect(() => encodeCommand('PASS', [`${longest}p`], { restOfLine: true })).toThrow(InvalidArgumentError);
  });

  it('a line over 255 octets: the error names its length, unless the line holds a secret', () => {
    expect(() => encodeCommand('USER', ['x'.repeat(250)])).toThrow(/would be 257 octets/);
    const secret = 'p'.repeat(300);
    let message = '';
    try {
      encodeCommand('PASS', [new Secret(secret)], { restOfLine: true });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/over 255 octets/);
    expect(message).not.toMatch(/30\d/);
  });

  it('counts octets, not characters, against the 255 limit', () => {
    const twoByteChars = 'é'.repeat(125); // 250 octets
    expect(() => encodeCommand('PASS', [twoByteChars], { restOfLine: true })).toThrow(InvalidArgumentError);
  });

  it('refuses malformed keywords', () => {
    for (const keyword of ['', 'TO', 'RETRX', 'RE R', 'RE\r\n']) {
      expect(() => encodeCommand(keyword)).toThrow(InvalidArgumentError);
    }
  });

  it('never lets CR or LF through (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 50 }), { maxLength: 4 }), (args) => {
        try {
          const text = wire(encodeCommand('XTST', args));
          expect(text.indexOf('\r')).toBe(text.length - 2);
          expect(text.indexOf('\n')).toBe(text.length - 1);
          expect(text.includes('\0')).toBe(false);
          expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_COMMAND_LINE);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
        }
      }),
    );
  });
});

describe('argument checks', () => {
  it('takes positive safe integers as message numbers', () => {
    expect(checkMessageNumber(1)).toBe(1);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      expect(() => checkMessageNumber(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('takes non-negative safe integers as line counts', () => {
    expect(checkLineCount(0)).toBe(0);
    expect(() => checkLineCount(-1)).toThrow(MailwireError);
  });
});
