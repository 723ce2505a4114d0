import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailwireError } from '../../src/common/errors.js';
import { parseHeaderDate } from '../../src/common/mime/date.js';
import { decodeUtf8OrLatin1 } from '../../src/common/mime/encoded-word.js';
import { Tokenizer } from '../../src/common/tokenizer.js';
import type { CommandArg } from '../../src/imap/wire/index.js';
import { astring, decodeModifiedUtf7, encodeCommand, encodeModifiedUtf7, mailbox, ResponseAssembler, SequenceSet } from '../../src/imap/wire/index.js';
import { WireReader } from '../../src/imap/wire/reader.js';
import { parseResponse } from '../../src/imap/wire/response.js';
import { feed } from './imap-wire/harness.js';

/** Tokens that steer arbitrary input into the deeper parsers. */
const imapish = fc
  .array(
    fc.oneof(
      fc.constantFrom('* ', 'A1 ', '+ ', '1 ', 'FETCH ', '(', ')', ' ', '"', '\\', '[', ']', '{', '}', '{3}\r\n', '~{2}\r\n', 'NIL', 'BODY[',
        'BODY[] ', 'ENVELOPE ', 'BODYSTRUCTURE ', 'UID ', 'FLAGS ', 'LIST ', 'STATUS ', 'ESEARCH ', 'OK ', '[CAPABILITY ', '\r\n', '<0>',
        'MODSEQ ', 'BINARY.SIZE[1] ', '&', '-', '"text" "plain" ', 'RFC822 ', 'NAMESPACE ', 'ID ', '=?UTF-8?B?', '?='),
      fc.string({ maxLength: 4 }),
      fc.integer({ min: 0, max: 4_294_967_296 }).map(String),
    ),
    { maxLength: 60 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

describe('properties', () => {
  it('the assembler reports only mailwire errors on arbitrary input, and the tokenizer throws only mailwire errors', () => {
    fc.assert(
      fc.property(fc.oneof(imapish, fc.uint8Array({ maxLength: 200 })), fc.boolean(), (bytes, stream) => {
        try {
          const { errors } = feed(Buffer.concat([bytes, Buffer.from('\r\n')]), { stream: () => stream, maxBufferedLiteral: 64 });
          for (const { error } of errors) expect(error).toBeInstanceOf(MailwireError);
        } catch (error) {
          expect(error).toBeInstanceOf(MailwireError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('the parser throws only mailwire errors on arbitrary lines', () => {
    fc.assert(
      fc.property(fc.oneof(imapish, fc.uint8Array({ maxLength: 200 })), (bytes) => {
        try {
          parseResponse(new WireReader(bytes, bytes.length, [], 0), { utf8Accept: false, maxDepth: 8 });
        } catch (error) {
          expect(error).toBeInstanceOf(MailwireError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('splitting the input at random points never changes the responses', () => {
    const input = Buffer.from(
      '* 1 FETCH (UID 5 BODY[] {12}\r\nhello\r\nworld FLAGS (\\Seen))\r\n* LIST () "/" {3}\r\nabc\r\n* 2 EXPUNGE\r\nA1 OK [UIDNEXT 7] done\r\n',
    );
    const expected = feed(input).responses;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 8 }), (cuts) => {
        const responses: unknown[] = [];
        const assembler = new ResponseAssembler({ onResponse: (r) => responses.push(r), onResponseError: (e) => { throw e; } });
        const tokenizer = new Tokenizer(assembler, { literals: true });
        let previous = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          tokenizer.push(input.subarray(previous, cut));
          previous = cut;
        }
        tokenizer.push(input.subarray(previous));
        expect(responses).toEqual(expected);
      }),
    );
  });

  /** Encodes an argument and parses it back as the root name of a QUOTAROOT response. */
  function roundTrip(arg: CommandArg, utf8Accept: boolean, literalPlus: boolean): string {
    const fragments = encodeCommand('A1', 'X', [arg], { utf8Accept, literalPlus });
    const wire = Buffer.concat(fragments.map((f) => (f.kind === 'line' ? Buffer.from(f.parts.join(''), 'utf8') : f.kind === 'literal' ? f.bytes : Buffer.alloc(0))));
    const response = feed(Buffer.concat([Buffer.from('* QUOTAROOT INBOX'), wire.subarray('A1 X'.length)]), { utf8Accept });
    expect(response.errors).toEqual([]);
    const parsed = response.responses[0];
    if (parsed?.kind !== 'quotaroot') throw new Error('no quotaroot');
    return parsed.roots[0]!;
  }

  it('astrings survive encode then parse', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), fc.boolean(), fc.boolean(), (value, utf8, plus) => {
        expect(roundTrip(astring(value), utf8, plus)).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('mailbox names survive encode then parse, in modified UTF-7 and in UTF-8', () => {
    fc.assert(
      // Control characters are refused in names (RFC 9051 section 5.1): see checkMailboxName.
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => s.length > 0 && !/[\p{Cc}\u2028\u2029]/u.test(s)), fc.boolean(), (name, utf8) => {
        const fragments = encodeCommand('A1', 'X', [mailbox(name)], { utf8Accept: utf8, literalPlus: true });
        const wire = Buffer.concat(fragments.map((f) => (f.kind === 'line' ? Buffer.from(f.parts.join(''), 'utf8') : f.kind === 'literal' ? f.bytes : Buffer.alloc(0))));
        const { responses, errors } = feed(Buffer.concat([Buffer.from('* LIST () "/"'), wire.subarray('A1 X'.length)]), { utf8Accept: utf8 });
        expect(errors).toEqual([]);
        const list = responses[0];
        expect(list?.kind === 'list' && list.name).toBe(name.toUpperCase() === 'INBOX' ? 'INBOX' : name);
      }),
      { numRuns: 500 },
    );
  });

  it('modified UTF-7 round-trips any string, lone surrogates included', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: codeUnit }), fc.string({ unit: 'binary' })), (text) => {
        const wire = encodeModifiedUtf7(text);
        expect(wire).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeModifiedUtf7(wire)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('sequence sets survive build, print, parse', () => {
    const member = fc.oneof(
      fc.integer({ min: 1, max: 60 }),
      fc.constant('*' as const),
      fc.record({ start: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant('*' as const)), end: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant('*' as const)) }),
    );
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 12 }), (members) => {
        const set = SequenceSet.from(members);
        const reparsed = SequenceSet.parse(set.toString());
        expect(reparsed.ranges).toEqual(set.ranges);
        expect(reparsed.toString()).toBe(set.toString());
        // The set covers exactly the finite members it was built from (with * read as 1000).
        const expand = (items: typeof members): Set<number> => {
          const out = new Set<number>();
          for (const item of items) {
            const [a, b] = typeof item === 'object' ? [item.start, item.end] : [item, item];
            const lo = a === '*' ? 1000 : a;
            const hi = b === '*' ? 1000 : b;
            for (let n = Math.min(lo, hi); n <= Math.max(lo, hi); n++) out.add(n);
          }
          return out;
        };
        const rangesAsItems = set.ranges.map((range) => ({ start: range.start, end: range.end }));
        expect([...expand(rangesAsItems)].sort((x, y) => x - y)).toEqual([...expand(members)].sort((x, y) => x - y));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('string values are decoded as their own bytes would be', () => {
  // The reader cuts string values out of the line decoded once when that is exact, and decodes them
  // one by one otherwise: either way a value must read as the decoding of its own bytes.
  const quotable = fc
    .uint8Array({ maxLength: 24 })
    .map((bytes) => Buffer.from(bytes.filter((byte) => byte !== 0x22 && byte !== 0x5c && byte !== 0x0d && byte !== 0x0a && byte !== 0)));
  const unicode = fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => Buffer.from(text.replaceAll(/["\\\r\n\0]/g, ''), 'utf8'));

  it('ENVELOPE subjects, names and hosts, with ASCII, UTF-8 and invalid bytes mixed in one line', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(quotable, unicode), { minLength: 4, maxLength: 4 }), ([subject, name, host, id]) => {
        const quoted = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from('"'), bytes, Buffer.from('"')]);
        const line = Buffer.concat([
          Buffer.from('* 1 FETCH (UID 1 ENVELOPE (NIL '),
          quoted(subject!),
          Buffer.from(' (('),
          quoted(name!),
          Buffer.from(' NIL "box" '),
          quoted(host!),
          Buffer.from(')) NIL NIL NIL NIL NIL NIL '),
          quoted(id!),
          Buffer.from('))'),
        ]);
        const response = parseResponse(new WireReader(line, line.length, [], 0), { utf8Accept: true, maxDepth: 8 });
        if (response.kind !== 'fetch') throw new Error(`parsed ${response.kind}`);
        const envelope = response.attributes.envelope!;
        // Header text (subject, names, ids) that is not UTF-8 reads as Latin-1, as header lines do.
        expect(envelope.subjectRaw).toBe(decodeUtf8OrLatin1(subject!));
        expect(envelope.from[0]!.nameRaw).toBe(decodeUtf8OrLatin1(name!));
        expect(envelope.from[0]!.host).toBe(host!.toString('utf8'));
        expect(envelope.messageId).toBe(decodeUtf8OrLatin1(id!));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('quoted strings with escapes', () => {
  it('read the same whether a backslash comes before, inside or after a value', () => {
    const piece = fc.constantFrom('a', 'b c', '\\"', '\\\\', 'é', 'x\\y'.replace('\\', '\\\\'), '');
    const value = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(value, value, fc.boolean(), (subject, messageId, flagsWithBackslash) => {
        const line = Buffer.from(
          `* 1 FETCH (FLAGS (${flagsWithBackslash ? '\\Seen' : 'x'}) ENVELOPE (NIL "${subject}" NIL NIL NIL NIL NIL NIL "a\\\\b" "${messageId}"))`,
        );
        const response = parseResponse(new WireReader(line, line.length, [], 0), { utf8Accept: true, maxDepth: 8 });
        if (response.kind !== 'fetch') throw new Error(`parsed ${response.kind}`);
        const unescape = (text: string): string => text.replaceAll(/\\(.)/g, '$1');
        expect(response.attributes.envelope!.subjectRaw).toBe(unescape(subject));
        expect(response.attributes.envelope!.inReplyTo).toBe('a\\b');
        expect(response.attributes.envelope!.messageId).toBe(unescape(messageId));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ENVELOPE address lists', () => {
  // Plain lines take a fast path over the line's text; a line with a multi-byte character anywhere
  // takes the general parser. Both must read every address list alike.
  const field = fc.constantFrom('NIL', 'nil', '"Alice"', '""', '"=?UTF-8?Q?J=C3=BCrgen?="', '"a\\"b"', '"undisclosed"', '"x.y"', '"example.com"');
  const address = fc
    .tuple(field, fc.constantFrom('NIL', '"@route"'), field, field, fc.constantFrom(' ', '  ', ''))
    .map(([name, route, mailbox, host, space]) => `(${name} ${route}${space || ' '}${mailbox} ${host})`);
  const list = fc.oneof(
    fc.constant('NIL'),
    fc.constant('()'),
    fc.array(fc.oneof(address, fc.constant('(NIL NIL "group" NIL)'), fc.constant('(NIL NIL NIL NIL)')), { minLength: 1, maxLength: 4 })
      .chain((items) => fc.constantFrom('', ' ').map((gap) => `(${items.join(gap)})`)),
  );

  it('read the same on the fast path and the general parser', () => {
    fc.assert(
      fc.property(fc.array(list, { minLength: 6, maxLength: 6 }), (lists) => {
        const parse = (messageId: string): unknown => {
          const line = Buffer.from(`* 1 FETCH (ENVELOPE ("date" "subject" ${lists.join(' ')} NIL "${messageId}"))`);
          try {
            const response = parseResponse(new WireReader(line, line.length, [], 0), { utf8Accept: true, maxDepth: 8 });
            if (response.kind !== 'fetch') throw new Error(`parsed ${response.kind}`);
            const { from, sender, replyTo, to, cc, bcc } = response.attributes.envelope!;
            return [from, sender, replyTo, to, cc, bcc];
          } catch (error) {
            return error instanceof MailwireError ? 'error' : error;
          }
        };
        expect(parse('id')).toEqual(parse('\u00e9'));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('whole ENVELOPEs', () => {
  // A plain envelope is matched whole by one expression; anything else (and any line with a
  // multi-byte character) takes the token-by-token parser. Both must give the same envelope.
  const nstring = fc.constantFrom('NIL', 'nil', '""', '"plain text"', '"(in parens) x"', '"=?UTF-8?Q?J=C3=BCrgen?= M"', '"a\\"b"', '"x.y"');
  const date = fc.constantFrom('NIL', '"Fri, 27 Nov 2026 10:01:00 +0000"', '"27 Nov 26 10:01 GMT"', '"not a date"', '""');
  const field = fc.constantFrom('NIL', '"Alice"', '""', '"=?UTF-8?Q?J=C3=BCrgen?="', '"a\\"b"', '"x)y"', '"example.com"');
  const address = fc
    .tuple(field, fc.constantFrom('NIL', '"@route"'), field, field)
    .map(([name, route, mailbox, host]) => `(${name} ${route} ${mailbox} ${host})`);
  const list = fc.oneof(
    fc.constant('NIL'),
    fc.constant('()'),
    fc.array(fc.oneof(address, fc.constant('(NIL NIL "group" NIL)'), fc.constant('(NIL NIL NIL NIL)')), { minLength: 1, maxLength: 4 }).map((items) => `(${items.join('')})`),
  );
  const envelope = fc
    .tuple(date, nstring, fc.array(list, { minLength: 6, maxLength: 6 }), nstring, nstring, fc.constantFrom(' ', '  '))
    .map(([d, subject, lists, inReplyTo, messageId, gap]) => `(${d} ${subject} ${lists.join(' ')} ${inReplyTo}${gap}${messageId})`);

  it('read the same on the fast path and the general parser', () => {
    fc.assert(
      fc.property(envelope, fc.boolean(), (text, first) => {
        const parse = (extra: string): unknown => {
          const line = Buffer.from(first ? `* 1 FETCH (ENVELOPE ${text} BODY[1] "${extra}")` : `* 1 FETCH (BODY[1] "${extra}" ENVELOPE ${text})`);
          try {
            const response = parseResponse(new WireReader(line, line.length, [], 0), { utf8Accept: true, maxDepth: 8 });
            if (response.kind !== 'fetch') throw new Error(`parsed ${response.kind}`);
            return response.attributes.envelope;
          } catch (error) {
            return error instanceof MailwireError ? 'error' : error;
          }
        };
        expect(parse('e')).toEqual(parse('\u00e9'));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('buffered literal values', () => {
  // Small values share slabs: none may overlap another, whatever the sizes and the chunking.
  it('keep their own bytes across many literals of mixed sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 15_000, max: 70_000 })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 70_000 }),
        (sizes, chunkSize) => {
          const values = sizes.map((size, index) => Buffer.alloc(size, 0x41 + (index % 26)));
          const input = Buffer.concat(
            values.flatMap((value, index) => [Buffer.from(`* ${index + 1} FETCH (UID ${index + 1} BODY[HEADER] {${value.length}}\r\n`), value, Buffer.from(')\r\n')]),
          );
          const { responses } = feed(input, { chunkSize });
          expect(responses).toHaveLength(values.length);
          responses.forEach((response, index) => {
            if (response.kind !== 'fetch') throw new Error(`parsed ${response.kind}`);
            const content = response.attributes.bodies![0]!.content;
            if (content.kind !== 'bytes') throw new Error(`content ${content.kind}`);
            expect(Buffer.compare(Buffer.from(content.bytes), values[index]!)).toBe(0);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('literals buffered while no command streams bodies', () => {
  // With bodyStreams false the assembler buffers small literals without looking for their FETCH
  // item, and shows them to its scanner only when a larger literal of the same response needs to
  // know whether it is a body (whose limit is higher). Whatever the moments bodyStreams changes,
  // the responses and errors must be those of an assembler that always looks.
  const limit = 32;
  const literal = (size: number): string => `{${size}}\r\n${'x'.repeat(size)}`;
  const item = fc.oneof(
    fc.constantFrom('UID 7', 'FLAGS (\\Seen)', 'RFC822.SIZE 10', 'BODY[] NIL'),
    fc.tuple(fc.constantFrom('BODY[]', 'BODY[HEADER]', 'BODY[1.2]<0>', 'BINARY[1]', 'RFC822'), fc.constantFrom(0, 5, limit - 1, limit, limit + 1, 3 * limit))
      .map(([name, size]) => `${name} ${literal(size)}`),
    fc.constantFrom(0, 5, limit + 1).map((size) => `ENVELOPE (NIL ${literal(size)} NIL NIL NIL NIL NIL NIL NIL NIL)`),
    // Malformed: two values in a row, which only a scanner that was shown the first can tell apart.
    fc.constantFrom(5, limit + 1).map((size) => `BODY[] ${literal(5)} ${literal(size)}`),
  );
  const response = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(item, { minLength: 1, maxLength: 4 })).map(([seq, items]) => `* ${seq} FETCH (${items.join(' ')})\r\n`);

  it('come out as if the assembler had always looked', () => {
    fc.assert(
      fc.property(fc.array(response, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 80 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }), (responses, chunkSize, flips) => {
        const input = responses.join('');
        const outcome = (bodyStreams: (chunk: number) => boolean): unknown => {
          const { responses: parsed, errors } = feed(input, { chunkSize, maxBufferedLiteral: limit, maxBufferedBody: 2 * limit, bodyStreams });
          return { parsed, errors: errors.map(({ error, tag }) => `${error.name} ${tag}`) };
        };
        expect(outcome((chunk) => flips[chunk % flips.length]!)).toEqual(outcome(() => true));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ENVELOPE dates', () => {
  // The date is read from the line's bytes when it is a plain quoted string there; it must come
  // out as Date.parse reads the text, whatever surrounds it.
  it('read the same from the line as from the text', () => {
    const date = fc
      .record({
        weekday: fc.constantFrom('', 'Mon, ', 'Fri,'),
        day: fc.integer({ min: 0, max: 32 }),
        month: fc.constantFrom('Jan', 'nov', 'DEC', 'Foo'),
        year: fc.integer({ min: 90, max: 2100 }),
        time: fc.constantFrom('10:01', '10:01:59', '23:59:60', '24:00'),
        zone: fc.constantFrom(' +0000', ' -0130', ' GMT', ' +0000 (UTC)', '', ' +2400'),
      })
      .map((d) => `${d.weekday}${d.day} ${d.month} ${d.year} ${d.time}${d.zone}`);
    fc.assert(
      fc.property(date, fc.constantFrom('', 'é', '\\"'), (text, extra) => {
        const quoted = `"${text}${extra}"`;
        const line = Buffer.from(`* 1 FETCH (ENVELOPE (${quoted} "s" NIL NIL NIL NIL NIL NIL NIL NIL))`);
        const response = parseResponse(new WireReader(line, line.length, [], 0), { utf8Accept: true, maxDepth: 8 });
        if (response.kind !== 'fetch') throw new Error(`parsed ${response.kind}`);
        const envelope = response.attributes.envelope!;
        expect(envelope.date?.getTime()).toBe(parseHeaderDate(envelope.dateRaw!)?.getTime());
      }),
      { numRuns: 3000 },
    );
  });
});
