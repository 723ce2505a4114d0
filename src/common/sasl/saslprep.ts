/**
 * SASLprep (RFC 4013), the stringprep (RFC 3454) profile SCRAM applies to user names and passwords.
 *
 * What is exact and what is approximated:
 * - Mapping (RFC 4013 section 2.1): exact. Non-ASCII spaces (table C.1.2) become U+0020; the
 *   "commonly mapped to nothing" characters (table B.1) are removed. U+200B ZERO WIDTH SPACE sits
 *   in both tables; it is removed, as Unicode itself has since reclassified it as a format character.
 * - Normalization (section 2.2): NFKC by `String.prototype.normalize`, which follows the Unicode
 *   version of the running Node rather than 3.2; NFKC's stability policy keeps them in step for
 *   every character Unicode 3.2 assigned.
 * - Prohibited output (section 2.3): exact, tables C.1.2, C.2.1, C.2.2, C.3 to C.9.
 * - Bidirectional rule (section 2.4, RFC 3454 section 6): RandALCat is table D.1, exact; LCat
 *   (table D.2, some 360 ranges) is approximated as the letters and spacing marks (`\p{L}`, `\p{Mc}`)
 *   that are neither RandALCat nor of a right-to-left script.
 * - Unassigned code points (section 2.5): for stored strings they are refused when the running
 *   Unicode version still has them unassigned (`\p{Cn}`), which is narrower than Unicode 3.2's A.1.
 *
 * @internal
 * @packageDocumentation
 */

/** Inclusive code point ranges, sorted. */
type Ranges = readonly (readonly [number, number])[];

/** RFC 3454 table C.1.2: non-ASCII space characters, mapped to U+0020 (U+200B is handled as B.1). */
const NON_ASCII_SPACE: Ranges = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

/** RFC 3454 table B.1: commonly mapped to nothing. */
const MAPPED_TO_NOTHING: Ranges = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

/**
 * RFC 4013 section 2.3: RFC 3454 tables C.1.2 (after mapping, only U+200B could remain and it is
 * removed), C.2.1, C.2.2, C.3, C.5, C.6, C.7, C.8 and C.9. C.4 (non-characters) is tested
 * arithmetically in {@link isProhibited}.
 */
const PROHIBITED: Ranges = [
  [0x0000, 0x001f], // C.2.1 ASCII control characters
  [0x007f, 0x009f], // C.2.1 DELETE, C.2.2 C1 controls
  [0x0340, 0x0341], // C.8 combining grave and acute tone marks
  [0x06dd, 0x06dd], // C.2.2 ARABIC END OF AYAH
  [0x070f, 0x070f], // C.2.2 SYRIAC ABBREVIATION MARK
  [0x180e, 0x180e], // C.2.2 MONGOLIAN VOWEL SEPARATOR
  [0x200c, 0x200f], // C.2.2 ZWNJ, ZWJ; C.8 LRM, RLM
  [0x2028, 0x2029], // C.2.2 line and paragraph separators
  [0x202a, 0x202e], // C.8 bidi embeddings and overrides
  [0x2060, 0x2063], // C.2.2 WORD JOINER .. INVISIBLE SEPARATOR
  [0x206a, 0x206f], // C.2.2, C.8 deprecated format characters
  [0x2ff0, 0x2ffb], // C.7 ideographic description characters
  [0xd800, 0xdfff], // C.5 surrogate codes (a lone surrogate in a JS string)
  [0xe000, 0xf8ff], // C.3 private use, plane 0
  [0xfeff, 0xfeff], // C.2.2 ZERO WIDTH NO-BREAK SPACE
  [0xfff9, 0xfffd], // C.2.2 interlinear annotation, C.6 (with OBJECT REPLACEMENT and REPLACEMENT CHARACTER)
  [0x1d173, 0x1d17a], // C.2.2 musical symbol format characters
  [0xe0001, 0xe0001], // C.9 LANGUAGE TAG
  [0xe0020, 0xe007f], // C.9 tagging characters
  [0xf0000, 0xffffd], // C.3 private use, plane 15
  [0x100000, 0x10fffd], // C.3 private use, plane 16
];

/** RFC 3454 table D.1: characters with bidirectional property R or AL. */
const RAND_AL_CAT: Ranges = [
  [0x05be, 0x05be],
  [0x05c0, 0x05c0],
  [0x05c3, 0x05c3],
  [0x05d0, 0x05ea],
  [0x05f0, 0x05f4],
  [0x061b, 0x061b],
  [0x061f, 0x061f],
  [0x0621, 0x063a],
  [0x0640, 0x064a],
  [0x066d, 0x066f],
  [0x0671, 0x06d5],
  [0x06dd, 0x06dd],
  [0x06e5, 0x06e6],
  [0x06fa, 0x06fe],
  [0x0700, 0x070d],
  [0x0710, 0x0710],
  [0x0712, 0x072c],
  [0x0780, 0x07a5],
  [0x07b1, 0x07b1],
  [0x200f, 0x200f],
  [0xfb1d, 0xfb1d],
  [0xfb1f, 0xfb28],
  [0xfb2a, 0xfb36],
  [0xfb38, 0xfb3c],
  [0xfb3e, 0xfb3e],
  [0xfb40, 0xfb41],
  [0xfb43, 0xfb44],
  [0xfb46, 0xfbb1],
  [0xfbd3, 0xfd3d],
  [0xfd50, 0xfd8f],
  [0xfd92, 0xfdc7],
  [0xfdf0, 0xfdfc],
  [0xfe70, 0xfe74],
  [0xfe76, 0xfefc],
];

const LETTER_OR_SPACING_MARK = /[\p{L}\p{Mc}]/u;
const RIGHT_TO_LEFT_SCRIPT =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}]/u;
const UNASSIGNED = /\p{Cn}/u;

function inRanges(codePoint: number, ranges: Ranges): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const [first, last] = ranges[middle]!;
    if (codePoint < first) high = middle - 1;
    else if (codePoint > last) low = middle + 1;
    else return true;
  }
  return false;
}

function isProhibited(codePoint: number): boolean {
  // C.4: U+FDD0..U+FDEF and the last two code points of every plane.
  if ((codePoint >= 0xfdd0 && codePoint <= 0xfdef) || (codePoint & 0xfffe) === 0xfffe) return true;
  return inRanges(codePoint, PROHIBITED);
}

function isRandAL(codePoint: number): boolean {
  return inRanges(codePoint, RAND_AL_CAT);
}

function isL(char: string, codePoint: number): boolean {
  return !isRandAL(codePoint) && LETTER_OR_SPACING_MARK.test(char) && !RIGHT_TO_LEFT_SCRIPT.test(char);
}

/** Why SASLprep refused a string; the offending code point is omitted for secrets by the caller. */
export interface SaslPrepFailure {
  /** Which RFC 4013 rule refused the string. */
  readonly rule: 'prohibited' | 'bidi' | 'unassigned';
  /** The offending code point, for `prohibited` and `unassigned`. */
  readonly codePoint?: number;
}

/** The result of {@link saslPrep}: the prepared string, or why it was refused. */
export type SaslPrepResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly failure: SaslPrepFailure };

/**
 * Prepares `input` with SASLprep (RFC 4013).
 *
 * @param input - the user name or password.
 * @param storedString - true for a "stored string" (unassigned code points refused, RFC 5802
 *   requires this for passwords); false for a "query" (RFC 5802 section 5.1, user names).
 */
export function saslPrep(input: string, storedString: boolean): SaslPrepResult {
  // Section 2.1, mapping.
  let mapped = '';
  for (const char of input) {
    const codePoint = char.codePointAt(0)!;
    if (inRanges(codePoint, MAPPED_TO_NOTHING)) continue;
    mapped += inRanges(codePoint, NON_ASCII_SPACE) ? ' ' : char;
  }
  // Section 2.2, normalization. A lone surrogate survives normalize() and is refused below.
  const normalized = mapped.normalize('NFKC');

  // Sections 2.3 and 2.5: prohibited output and unassigned code points.
  let hasRandAL = false;
  let hasL = false;
  const firstCodePoint = normalized.codePointAt(0);
  const firstIsRandAL = firstCodePoint !== undefined && isRandAL(firstCodePoint);
  let lastIsRandAL = false;
  for (const char of normalized) {
    const codePoint = char.codePointAt(0)!;
    if (isProhibited(codePoint)) return { ok: false, failure: { rule: 'prohibited', codePoint } };
    if (storedString && UNASSIGNED.test(char)) return { ok: false, failure: { rule: 'unassigned', codePoint } };
    lastIsRandAL = isRandAL(codePoint);
    if (lastIsRandAL) hasRandAL = true;
    else if (isL(char, codePoint)) hasL = true;
  }

  // Section 2.4: RFC 3454 section 6, the bidirectional rule.
  if (hasRandAL && (hasL || !firstIsRandAL || !lastIsRandAL)) return { ok: false, failure: { rule: 'bidi' } };
  return { ok: true, value: normalized };
}
