/**
 * MIME parameter values (Content-Type, Content-Disposition) as mailers write them: RFC 2231
 * continuations, charsets and percent-encoding, and the RFC 2047 encoded words that Outlook and
 * Gmail put in quoted values although RFC 2047 section 5 does not allow them there.
 *
 * @internal
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { decodeCharset, decodeEncodedWords, decodeUtf8OrLatin1, hexValue } from './encoded-word.js';

/*
 * RFC 2231 sections 3 and 4, as amended by its errata:
 * extended-initial-name  := attribute [initial-section] "*"
 * extended-other-names   := attribute other-sections "*"
 * regular-parameter-name := attribute [section]
 * section                := initial-section / other-sections
 * initial-section        := "*0"
 * other-sections         := "*" ("1" / "2" / "3" / "4" / "5" / "6" / "7" / "8" / "9") *DIGIT
 * extended-initial-value := [charset] "'" [language] "'" extended-other-values
 * extended-other-values  := *(ext-octet / attribute-char)
 * ext-octet              := "%" 2(DIGIT / "A" / "B" / "C" / "D" / "E" / "F")
 *
 * Groups: the attribute, the section number, the trailing "*" of an extended (encoded) piece.
 */
const PARAMETER_NAME = /^(.+?)(?:\*(\d+))?(\*)?$/;

/** One `name*N` or `name*N*` piece of a parameter split into continuations. */
interface Section {
  readonly index: number;
  readonly value: string;
  /** Marked with `*`: percent-encoded, and for section 0 led by `charset'language'`. */
  readonly encoded: boolean;
}

/** What was sent under one attribute name, in each of its forms. */
interface ParameterForms {
  plain?: string;
  extended?: string;
  sections?: Section[];
}

/**
 * Decodes MIME parameters: joins RFC 2231 continuations (`name*0*`, `name*1`, ...) in numeric order,
 * percent-decodes the pieces marked `*` in the charset of the first piece, decodes the extended form
 * `name*` the same way and RFC 2047 encoded words in plain values. An extended form wins over a plain
 * value of the same name (RFC 2231 lets a sender give both for older readers). Never throws: an
 * unknown or missing charset reads the bytes as UTF-8 when they are valid UTF-8, else as Latin-1;
 * a `%` not followed by two hex digits stands for itself.
 *
 * @param raw - the parameters as sent, names lower-cased.
 * @returns the decoded parameters, names without `*` markers; `raw` itself when nothing needed
 *   decoding (no `*` in a name, no `=?` in a value).
 * @internal
 */
export function decodeParameters(raw: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (!needsDecoding(raw)) return raw;
  const byName = new Map<string, ParameterForms>();
  for (const name in raw) {
    const value = raw[name]!;
    const [, attribute = name, section, star] = PARAMETER_NAME.exec(name) ?? [];
    let forms = byName.get(attribute);
    if (forms === undefined) byName.set(attribute, (forms = {}));
    if (section !== undefined) (forms.sections ??= []).push({ index: Number(section), value, encoded: star !== undefined });
    else if (star !== undefined) forms.extended ??= value;
    else forms.plain ??= value;
  }
  const decoded = Object.create(null) as Record<string, string>;
  for (const [attribute, forms] of byName) decoded[attribute] = valueOf(forms);
  return decoded;
}

function needsDecoding(raw: Readonly<Record<string, string>>): boolean {
  for (const name in raw) if (name.includes('*') || raw[name]!.includes('=?')) return true;
  return false;
}

function valueOf(forms: ParameterForms): string {
  if (forms.extended !== undefined) return decodeExtended([{ index: 0, value: forms.extended, encoded: true }]);
  if (forms.sections !== undefined) return decodeExtended(forms.sections.sort((a, b) => a.index - b.index));
  return decodeEncodedWords(forms.plain ?? '');
}

/**
 * Joins the sections (sorted; gaps are skipped). Runs of encoded pieces are joined as bytes before
 * decoding, so a character split between two pieces survives. When no piece is encoded the joined
 * text is a plain value and may hold encoded words.
 */
function decodeExtended(sections: readonly Section[]): string {
  if (!sections.some((section) => section.encoded)) return decodeEncodedWords(sections.map((section) => section.value).join(''));
  let charset = '';
  let out = '';
  let run: Buffer[] = [];
  for (const section of sections) {
    let value = section.value;
    if (!section.encoded) {
      out += decodeText(run, charset) + value;
      run = [];
      continue;
    }
    if (section === sections[0] && section.index === 0) {
      const language = value.indexOf("'");
      const text = language === -1 ? -1 : value.indexOf("'", language + 1);
      if (text !== -1) {
        charset = value.slice(0, language);
        value = value.slice(text + 1);
      }
    }
    run.push(percentDecode(value));
  }
  return out + decodeText(run, charset);
}

/** The bytes `value` stands for: `%XX` as one byte, anything else as its UTF-8. */
function percentDecode(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const high = bytes[i] === 0x25 ? hexValue(bytes[i + 1] ?? -1) : -1;
    const low = high >= 0 ? hexValue(bytes[i + 2] ?? -1) : -1;
    if (low >= 0) {
      bytes[length++] = (high << 4) | low;
      i += 2;
    } else {
      bytes[length++] = bytes[i]!;
    }
  }
  return bytes.subarray(0, length);
}

/** Decodes the joined `run` in `charset`; an unknown or missing charset as UTF-8 when valid, else Latin-1. */
function decodeText(run: readonly Buffer[], charset: string): string {
  if (run.length === 0) return '';
  const buffer = run.length === 1 ? run[0]! : Buffer.concat(run);
  const decoded = charset === '' ? null : decodeCharset(buffer, charset);
  return decoded ?? decodeUtf8OrLatin1(buffer);
}
