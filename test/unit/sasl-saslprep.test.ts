import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { saslPrep } from '../../src/common/sasl/saslprep.js';

describe('SASLprep (RFC 4013)', () => {
  // RFC 4013 section 3, the examples table.
  it.each([
    ['I\u00ADX', 'IX', 'SOFT HYPHEN mapped to nothing'],
    ['user', 'user', 'no transformation'],
    ['USER', 'USER', 'case preserved'],
    ['\u00AA', 'a', 'output is NFKC, input in ISO 8859-1'],
    ['\u2168', 'IX', 'output is NFKC'],
  ])('maps %j to %j (%s)', (input, output) => {
    expect(saslPrep(input, true)).toEqual({ ok: true, value: output });
  });

  it('refuses <U+0007> (prohibited character)', () => {
    expect(saslPrep('\u0007', true)).toEqual({ ok: false, failure: { rule: 'prohibited', codePoint: 7 } });
  });

  it('refuses <U+0627><U+0031> (bidi check)', () => {
    expect(saslPrep('\u0627\u0031', true)).toEqual({ ok: false, failure: { rule: 'bidi' } });
  });

  it('maps every non-ASCII space (table C.1.2) to U+0020', () => {
    const spaces = ['\u00A0', '\u1680', '\u2000', '\u2005', '\u200A', '\u202F', '\u205F', '\u3000'];
    for (const space of spaces) expect(saslPrep(`a${space}b`, true)).toEqual({ ok: true, value: 'a b' });
  });

  it('removes every "commonly mapped to nothing" character (table B.1)', () => {
    const ignorable = ['\u00AD', '\u034F', '\u1806', '\u180B', '\u180C', '\u180D', '\u200B', '\u200C', '\u200D', '\u2060', '\uFE00', '\uFE0F', '\uFEFF'];
    for (const char of ignorable) expect(saslPrep(`a${char}b`, true)).toEqual({ ok: true, value: 'ab' });
  });

  it.each([
    [0x0000, 'C.2.1 NUL'],
    [0x001f, 'C.2.1'],
    [0x007f, 'C.2.1 DEL'],
    [0x0085, 'C.2.2 NEL'],
    [0x06dd, 'C.2.2'],
    [0x2028, 'C.2.2 LINE SEPARATOR'],
    [0x1d173, 'C.2.2 musical'],
    [0xe000, 'C.3 private use'],
    [0xf0000, 'C.3 plane 15'],
    [0x10fffd, 'C.3 plane 16'],
    [0xfdd0, 'C.4 non-character'],
    [0xfffe, 'C.4'],
    [0x1ffff, 'C.4 plane 1'],
    [0xd800, 'C.5 lone surrogate'],
    [0xfffd, 'C.6 REPLACEMENT CHARACTER'],
    [0x2ff0, 'C.7'],
    [0x202a, 'C.8 LRE'],
    [0x200e, 'C.8 LRM'],
    [0x202e, 'C.8 RLO'],
    [0xe0001, 'C.9 LANGUAGE TAG'],
    [0xe0041, 'C.9 tag'],
  ])('refuses U+%s (%s)', (codePoint) => {
    const result = saslPrep(`a${String.fromCodePoint(codePoint)}b`, false);
    expect(result).toEqual({ ok: false, failure: { rule: 'prohibited', codePoint } });
  });

  it('lets NFKC turn U+0340 (C.8) into U+0300 before the prohibition applies to the output', () => {
    expect(saslPrep('a\u0340', true)).toEqual({ ok: true, value: '\u00E0' });
  });

  it('accepts right-to-left strings that start and end with RandALCat', () => {
    expect(saslPrep('\u05D0\u05D1', true)).toEqual({ ok: true, value: '\u05D0\u05D1' });
    expect(saslPrep('\u0627\u0031\u0628', true).ok).toBe(true);
  });

  it('refuses RandALCat mixed with LCat', () => {
    expect(saslPrep('\u05D0a\u05D0', true)).toEqual({ ok: false, failure: { rule: 'bidi' } });
  });

  it('refuses unassigned code points in stored strings only', () => {
    expect(saslPrep('a\u0378', true)).toEqual({ ok: false, failure: { rule: 'unassigned', codePoint: 0x378 } });
    expect(saslPrep('a\u0378', false)).toEqual({ ok: true, value: 'a\u0378' });
  });

  it('keeps ASCII printable strings unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) }), (input) => {
        expect(saslPrep(input, true)).toEqual({ ok: true, value: input });
      }),
    );
  });

  it('is idempotent on what it accepts, and never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (input) => {
        const first = saslPrep(input, false);
        if (first.ok) expect(saslPrep(first.value, false)).toEqual(first);
      }),
    );
  });
});
