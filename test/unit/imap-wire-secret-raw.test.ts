import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { CommandArg } from '../../src/imap/wire/index.js';
import { atom, encodeCommand, secretRaw } from '../../src/imap/wire/index.js';

/** RFC 4959: initial-response = base64 / "=", sent verbatim after the mechanism name. */
describe('secretRaw (SASL-IR initial response)', () => {
  const long = 'QUJD'.repeat(600); // 2400 base64 characters: over the quoted-string limit

  it('is written inline as a marked Secret part, never quoted nor a literal', () => {
    for (const value of ['AGFsaWNlAHNlY3JldA==', '=', 'a+b/c=', long]) {
      for (const options of [{}, { literalPlus: true }, { allowLiterals: false }, { utf8Accept: true }]) {
        const fragments = encodeCommand('A1', 'AUTHENTICATE', [atom('PLAIN'), secretRaw(new Secret(value))], options);
        expect(fragments).toHaveLength(1);
        const line = fragments[0]!;
        if (line.kind !== 'line') throw new Error('expected a line');
        expect(line.parts).toEqual(['A1 AUTHENTICATE PLAIN ', expect.any(Secret), '\r\n']);
        expect((line.parts[1] as Secret).reveal()).toBe(value);
        expect(JSON.stringify(fragments)).not.toContain(value === '=' ? '"="' : value);
      }
    }
  });

  it.each([
    ['empty', ''],
    ['space', 'ab cd'],
    ['CR', 'ab\rcd'],
    ['LF', 'ab\ncd'],
    ['CRLF', 'ab\r\ncd'],
    ['NUL', 'ab\0cd'],
    ['tab', 'ab\tcd'],
    ['DEL', 'ab\x7fcd'],
    ['8-bit', 'abécd'],
    ['non-BMP', 'ab😀cd'],
  ])('refuses %s with a typed error that does not show the value', (_name, value) => {
    let caught: unknown;
    try {
      secretRaw(new Secret(value));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    if (value.length > 0) expect((caught as Error).message).not.toContain(value);
    // A CommandArg is a plain object: the encoder checks one built by hand too.
    const byHand: CommandArg = { kind: 'secret-raw', value: new Secret(value) };
    expect(() => encodeCommand('A1', 'AUTHENTICATE', [atom('PLAIN'), byHand])).toThrow(InvalidArgumentError);
  });
});
