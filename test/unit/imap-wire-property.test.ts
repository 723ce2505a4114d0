import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailwireError } from '../../src/common/errors.js';
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
    const wire = Buffer.concat(fragments.map((f) => (f.kind === 'literal' ? f.bytes : Buffer.from(f.parts.join(''), 'utf8'))));
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
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\0') && s.length > 0), fc.boolean(), (name, utf8) => {
        const fragments = encodeCommand('A1', 'X', [mailbox(name)], { utf8Accept: utf8, literalPlus: true });
        const wire = Buffer.concat(fragments.map((f) => (f.kind === 'literal' ? f.bytes : Buffer.from(f.parts.join(''), 'utf8'))));
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
