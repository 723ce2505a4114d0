/**
 * Body section specifiers: the text between the brackets of `BODY[...]` / `BINARY[...]`.
 *
 * @internal
 * @packageDocumentation
 */

import type { BodyItemName, BodySection } from './fetch-types.js';

const WHOLE: BodySection = { raw: '', part: [], text: null, fields: [] };

/**
 * Sections already parsed, by their text: a FETCH names the same few sections in every response.
 * The objects are shared, so they are frozen.
 */
const parsed = new Map<string, BodySection>();
const MAX_CACHED_SECTIONS = 64;

/*
 * section-spec    = section-msgtext / (section-part ["." section-text])
 * section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
 * section-part    = nz-number *("." nz-number)
 * section-text    = section-msgtext / "MIME"
 * header-list     = "(" header-fld-name *(SP header-fld-name) ")"
 *
 * Lenient: anything unrecognised after the part numbers is kept in `raw` with text null (and is
 * then its own section: see `sectionKey`).
 */
export function parseSectionSpec(raw: string): BodySection {
  if (raw.length === 0) return WHOLE;
  let section = parsed.get(raw);
  if (section === undefined) {
    section = parseUncached(raw);
    if (parsed.size < MAX_CACHED_SECTIONS) {
      Object.freeze(section.part);
      Object.freeze(section.fields);
      parsed.set(raw, Object.freeze(section));
    }
  }
  return section;
}

/* "HEADER.FIELDS" [".NOT"] SP header-list (the SP tolerated when missing or doubled) */
const HEADER_FIELDS = /^(HEADER\.FIELDS(?:\.NOT)?) *\((.*)\)$/;

function parseUncached(raw: string): BodySection {
  const upper = raw.toUpperCase();
  const part: number[] = [];
  let index = 0;
  for (;;) {
    const match = /^(\d+)(\.|$)/.exec(upper.slice(index));
    if (match === null) break;
    part.push(Number(match[1]));
    index += match[0].length;
    if (match[2] === '') break;
  }
  const rest = upper.slice(index).trim();
  let text: BodySection['text'] = null;
  let fields: string[] = [];
  // Only a whole section text is recognised: `HEADER.FIELDSX (A)` or `1.MIMEX` stays unknown (text
  // null, kept in `raw`) rather than being taken for the section it starts like.
  const withFields = HEADER_FIELDS.exec(rest);
  if (withFields !== null) {
    text = withFields[1] === 'HEADER.FIELDS.NOT' ? 'HEADER.FIELDS.NOT' : 'HEADER.FIELDS';
    fields = withFields[2]!.split(' ').filter((name) => name.length > 0).map(unquote);
  } else if (rest === 'HEADER' || rest === 'TEXT' || rest === 'MIME') {
    text = rest;
  }
  return { raw: upper, part, text, fields };
}

/* header-fld-name = astring: a quoted name has its quoted-specials escaped (`"X\"Y"` for `X"Y`). */
function unquote(name: string): string {
  return name.length >= 2 && name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replace(/\\(["\\])/g, '$1') : name;
}

/** The section an RFC822 item stands for (RFC 3501 section 6.4.5). */
export function sectionOfRfc822Item(item: BodyItemName): BodySection {
  if (item === 'RFC822.HEADER') return { raw: 'HEADER', part: [], text: 'HEADER', fields: [] };
  if (item === 'RFC822.TEXT') return { raw: 'TEXT', part: [], text: 'TEXT', fields: [] };
  return WHOLE;
}
