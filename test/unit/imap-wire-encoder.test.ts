import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { CommandArg, CommandFragment, EncoderOptions } from '../../src/imap/wire/index.js';
import {
  astring, atom, bodySection, concat, dateTime, encodeCommand, encodeContinuation, flag, list, listMailbox, literal, literalStream, mailbox, nstring, num, raw,
  secret, SequenceSet, sequenceSet, str,
} from '../../src/imap/wire/index.js';

/** Renders fragments as text: literals as <bytes>, streamed ones as <stream of n>, secrets as [value], sync waits as ⏸. */
function render(fragments: readonly CommandFragment[]): string {
  return fragments
    .map((fragment) =>
      fragment.kind === 'line'
        ? fragment.parts.map((part) => (part instanceof Secret ? `[${part.reveal()}]` : typeof part === 'string' ? part : `<${Buffer.from(part).toString()}>`)).join('')
        : `${fragment.mode === 'sync' ? '⏸' : ''}<${fragment.kind === 'literal' ? Buffer.from(fragment.bytes).toString() : `stream of ${fragment.size}`}>`,
    )
    .join('');
}

function enc(args: CommandArg[], options: EncoderOptions = {}, command = 'X'): string {
  return render(encodeCommand('A1', command, args, options));
}

describe('encodeCommand', () => {
  it.each<[string, CommandArg, EncoderOptions, string]>([
    ['atom', astring('joe'), {}, 'A1 X joe\r\n'],
    ['astring with ]', astring('a]b'), {}, 'A1 X a]b\r\n'],
    ['empty string', astring(''), {}, 'A1 X ""\r\n'],
    ['NIL is quoted', astring('nil'), {}, 'A1 X "nil"\r\n'],
    ['space', astring('a b'), {}, 'A1 X "a b"\r\n'],
    ['quote and backslash', astring('a"b\\c'), {}, 'A1 X "a\\"b\\\\c"\r\n'],
    ['specials', astring('a(b)'), {}, 'A1 X "a(b)"\r\n'],
    ['wildcards in astring', astring('a*'), {}, 'A1 X "a*"\r\n'],
    ['8-bit becomes a literal', astring('Grüße'), {}, 'A1 X {7}\r\n⏸<Grüße>\r\n'],
    ['8-bit quoted with UTF8=ACCEPT', astring('Grüße'), { utf8Accept: true }, 'A1 X "Grüße"\r\n'],
    ['CRLF becomes a literal', astring('a\r\nb'), {}, 'A1 X {4}\r\n⏸<a\r\nb>\r\n'],
    ['LITERAL+', astring('a\nb'), { literalPlus: true }, 'A1 X {3+}\r\n<a\nb>\r\n'],
    ['LITERAL- small', astring('a\nb'), { literalMinus: true }, 'A1 X {3+}\r\n<a\nb>\r\n'],
    ['long string becomes a literal', str('y'.repeat(1025)), {}, `A1 X {1025}\r\n⏸<${'y'.repeat(1025)}>\r\n`],
    ['string is never an atom', str('joe'), {}, 'A1 X "joe"\r\n'],
    ['nstring NIL', nstring(null), {}, 'A1 X NIL\r\n'],
    ['number', num(4294967295), {}, 'A1 X 4294967295\r\n'],
    ['bigint', num(715194045007n), {}, 'A1 X 715194045007\r\n'],
    ['mailbox INBOX', mailbox('inbox'), {}, 'A1 X INBOX\r\n'],
    ['mailbox with a dotless i is not INBOX', mailbox('ınbox'), {}, 'A1 X &ATE-nbox\r\n'],
    ['mailbox mUTF-7', mailbox('Entwürfe & Co'), {}, 'A1 X "Entw&APw-rfe &- Co"\r\n'],
    ['mailbox UTF-8', mailbox('Entwürfe'), { utf8Accept: true }, 'A1 X "Entwürfe"\r\n'],
    ['mailbox atom', mailbox('Archive/2024'), {}, 'A1 X Archive/2024\r\n'],
    ['list pattern', listMailbox('Archive/%'), {}, 'A1 X Archive/%\r\n'],
    ['list pattern quoted', listMailbox(''), {}, 'A1 X ""\r\n'],
    ['list pattern NIL is quoted', listMailbox('nil'), {}, 'A1 X "nil"\r\n'],
    ['list pattern NIL under UTF8=ACCEPT is quoted', listMailbox('NIL'), { utf8Accept: true }, 'A1 X "NIL"\r\n'],
    ['list pattern NIL% stays an atom', listMailbox('NIL%'), {}, 'A1 X NIL%\r\n'],
    ['list', list(atom('UID'), atom('FLAGS'), list()), {}, 'A1 X (UID FLAGS ())\r\n'],
    ['concat', concat(raw('BODY.PEEK[HEADER.FIELDS '), list(astring('From'), astring('To')), raw(']<0.100>')), {}, 'A1 X BODY.PEEK[HEADER.FIELDS (From To)]<0.100>\r\n'],
    ['flags', list(flag('\\Seen'), flag('$Forwarded')), {}, 'A1 X (\\Seen $Forwarded)\r\n'],
    ['sequence set', sequenceSet(SequenceSet.from([1, 2, 3, 5, { start: 9, end: '*' }])), {}, 'A1 X 1:3,5,9:*\r\n'],
    ['date-time', dateTime(new Date('2024-02-01T09:05:00Z')), {}, 'A1 X " 1-Feb-2024 09:05:00 +0000"\r\n'],
    ['binary literal', literal(Buffer.from('a\0b'), true), { literalPlus: true }, 'A1 X ~{3+}\r\n<a\0b>\r\n'],
  ])('%s', (_name, arg, options, expected) => {
    expect(enc([arg], options)).toBe(expected);
  });

  it('uses LITERAL- only up to 4096 bytes', () => {
    const small = encodeCommand('A1', 'APPEND', [mailbox('INBOX'), literal(new Uint8Array(4096).fill(0x61))], { literalMinus: true });
    const big = encodeCommand('A1', 'APPEND', [mailbox('INBOX'), literal(new Uint8Array(4097).fill(0x61))], { literalMinus: true });
    expect(small[1]).toMatchObject({ kind: 'literal', mode: 'nonsync' });
    expect(small[0]).toEqual({ kind: 'line', parts: ['A1 APPEND INBOX {4096+}\r\n'] });
    expect(big[1]).toMatchObject({ kind: 'literal', mode: 'sync' });
    expect(big[0]).toEqual({ kind: 'line', parts: ['A1 APPEND INBOX {4097}\r\n'] });
  });

  it('splits at every literal so the client can wait for "+"', () => {
    const fragments = encodeCommand('A5', 'APPEND', [mailbox('Entwürfe'), list(flag('\\Draft')), literal(Buffer.from('Subject: x\r\n\r\nhi\r\n'))]);
    expect(fragments.map((fragment) => fragment.kind)).toEqual(['line', 'literal', 'line']);
    expect(render(fragments)).toBe('A5 APPEND Entw&APw-rfe (\\Draft) {18}\r\n⏸<Subject: x\r\n\r\nhi\r\n>\r\n');
  });

  it('leaves a streamed literal a stream: announced with its size, split out like a literal', () => {
    async function* chunks(): AsyncGenerator<string> {
      await Promise.resolve();
      yield 'Subject: x\r\n';
    }
    const source = chunks();
    const sync = encodeCommand('A1', 'APPEND', [mailbox('INBOX'), literalStream(source, 5000)], { literalMinus: true });
    expect(sync.map((fragment) => fragment.kind)).toEqual(['line', 'literal-stream', 'line']);
    expect(sync[1]).toEqual({ kind: 'literal-stream', source, size: 5000, mode: 'sync' });
    expect(render(sync)).toBe('A1 APPEND INBOX {5000}\r\n⏸<stream of 5000>\r\n');
    expect(render(encodeCommand('A1', 'APPEND', [mailbox('INBOX'), literalStream(source, 12)], { literalMinus: true }))).toBe('A1 APPEND INBOX {12+}\r\n<stream of 12>\r\n');
    expect(render(encodeCommand('A1', 'APPEND', [mailbox('INBOX'), literalStream(source, 12, true)], { literalPlus: true }))).toBe('A1 APPEND INBOX ~{12+}\r\n<stream of 12>\r\n');
    expect(() => literalStream(source, -1)).toThrow(InvalidArgumentError);
    expect(() => literalStream(source, 1.5)).toThrow(InvalidArgumentError);
  });

  it('keeps secrets marked, in atom, quoted and literal form', () => {
    const login = (password: string, options: EncoderOptions = {}): CommandFragment[] =>
      encodeCommand('A1', 'LOGIN', [astring('joe'), secret(new Secret(password))], options);
    expect(login('hunter2')).toEqual([{ kind: 'line', parts: ['A1 LOGIN joe ', expect.any(Secret), '\r\n'] }]);
    expect(render(login('hunter2'))).toBe('A1 LOGIN joe [hunter2]\r\n');
    expect(render(login('p a"ss'))).toBe('A1 LOGIN joe ["p a\\"ss"]\r\n');
    const withLiteral = login('pässword', { literalPlus: true });
    // Its size too: the announcement would give the password's length to the wire log.
    expect(withLiteral[0]).toEqual({ kind: 'line', parts: ['A1 LOGIN joe {', expect.any(Secret), '+}\r\n'] });
    expect(render(withLiteral.slice(0, 1))).toBe('A1 LOGIN joe {[9]+}\r\n');
    // A password that needs a literal stays a Secret, so the wire log and recorders redact it.
    const literalFragment = withLiteral[1];
    expect(literalFragment?.kind).toBe('literal');
    if (literalFragment?.kind !== 'literal') throw new Error('expected a literal');
    expect(literalFragment.secret).toBeInstanceOf(Secret);
    expect(literalFragment.secret?.reveal()).toBe('pässword');
    expect(Buffer.from(literalFragment.bytes).toString('utf8')).toBe('pässword');
    expect(JSON.stringify(login('hunter2'))).not.toContain('hunter2');
  });

  it('refuses what the grammar forbids', () => {
    expect(() => encodeCommand('A 1', 'NOOP', [])).toThrow(InvalidArgumentError);
    expect(() => encodeCommand('A+1', 'NOOP', [])).toThrow(InvalidArgumentError);
    expect(() => encodeCommand('A\r\n1', 'NOOP', [])).toThrow(InvalidArgumentError);
    expect(() => encodeCommand('A1', 'NO\nOP', [])).toThrow(InvalidArgumentError);
    expect(() => atom('a b')).toThrow(InvalidArgumentError);
    expect(() => atom('a\r\n')).toThrow(InvalidArgumentError);
    expect(() => raw('x\ry')).toThrow(InvalidArgumentError);
    expect(() => flag('\\Se en')).toThrow(InvalidArgumentError);
    expect(() => enc([astring('a\0b')])).toThrow(InvalidArgumentError);
    expect(() => enc([literal(Buffer.from('a\0b'))])).toThrow(InvalidArgumentError);
    expect(() => enc([astring('a\r\nb')], { allowLiterals: false })).toThrow(InvalidArgumentError);
    expect(() => enc([mailbox('Grüße')], { allowLiterals: false, utf8Accept: true })).not.toThrow();
    expect(() => enc([astring('a\r\nb')], { allowLiterals: false, utf8Accept: true })).toThrow(InvalidArgumentError);
    expect(() => num(-1)).toThrow(InvalidArgumentError);
    expect(() => num(1.5)).toThrow(InvalidArgumentError);
  });

  it('checks arguments built as objects, as the helpers do (CommandArg is public, the helpers are not)', () => {
    const refused: [string, CommandArg][] = [
      ['atom with CRLF', { kind: 'atom', value: 'X\r\nA2 DELETE INBOX' }],
      ['atom with a space', { kind: 'atom', value: 'a b' }],
      ['empty atom', { kind: 'atom', value: '' }],
      ['raw with CRLF', { kind: 'raw', text: '1:*\r\nA2 DELETE INBOX' }],
      ['raw with 8-bit text', { kind: 'raw', text: 'Grüße' }],
      ['negative number', { kind: 'number', value: -1 }],
      ['fractional number', { kind: 'number', value: 1.5 }],
      ['number given as text', { kind: 'number', value: '1\r\nA2 DELETE INBOX' as unknown as number }],
      ['negative bigint', { kind: 'number', value: -1n }],
      ['streamed literal of negative size', { kind: 'literal-stream', source: (async function* () {})(), size: -1, binary: false }],
      ['streamed literal of fractional size', { kind: 'literal-stream', source: (async function* () {})(), size: 1.5, binary: false }],
      ['streamed literal from no async iterable', { kind: 'literal-stream', source: [Buffer.from('abc')] as unknown as AsyncIterable<Uint8Array>, size: 3, binary: false }],
    ];
    for (const [name, arg] of refused) {
      expect(() => encodeCommand('A1', 'X', [arg]), name).toThrow(InvalidArgumentError);
      expect(() => encodeCommand('A1', 'X', [list(concat(arg))]), `${name}, nested`).toThrow(InvalidArgumentError);
    }
    expect(() => literalStream([Buffer.from('abc')] as unknown as AsyncIterable<Uint8Array>, 3)).toThrow(InvalidArgumentError);
    expect(enc([{ kind: 'atom', value: 'UID' }, { kind: 'raw', text: '1:* (\\Seen)' }, { kind: 'number', value: 0 }, { kind: 'number', value: 7n }])).toBe('A1 X UID 1:* (\\Seen) 0 7\r\n');
  });

  it('quotes 8-bit text under UTF8=ACCEPT only when it is valid UTF-8 (RFC 6855 section 3)', () => {
    const latin1 = Uint8Array.from(Buffer.from('Grüße', 'latin1')); // 0xFC, 0xDF: not UTF-8
    expect(render(encodeCommand('A1', 'X', [astring(latin1)], { utf8Accept: true }))).toBe(`A1 X {5}\r\n⏸<${Buffer.from(latin1).toString()}>\r\n`);
    expect(encodeCommand('A1', 'X', [str(latin1)], { utf8Accept: true })[1]).toMatchObject({ kind: 'literal', bytes: latin1 });
    expect(() => enc([astring(latin1)], { allowLiterals: false, utf8Accept: true })).toThrow(InvalidArgumentError);
    // A truncated sequence and an encoded surrogate are not UTF-8 either.
    for (const bytes of [Uint8Array.of(0x61, 0xc3), Uint8Array.of(0xed, 0xa0, 0x80)]) {
      expect(encodeCommand('A1', 'X', [astring(bytes)], { utf8Accept: true })[1]).toMatchObject({ kind: 'literal', bytes });
    }
    expect(enc([astring(Buffer.from('Grüße', 'utf8'))], { utf8Accept: true })).toBe('A1 X "Grüße"\r\n');
  });

  it('builds FETCH body items', () => {
    expect(enc([bodySection()])).toBe('A1 X BODY.PEEK[]\r\n');
    expect(enc([bodySection({ peek: false, text: 'HEADER.FIELDS', fields: ['From', 'Subject'] })])).toBe('A1 X BODY[HEADER.FIELDS (From Subject)]\r\n');
    expect(enc([bodySection({ part: [1, 2], text: 'MIME' })])).toBe('A1 X BODY.PEEK[1.2.MIME]\r\n');
    expect(enc([bodySection({ part: [2], binary: true, partial: { offset: 0, length: 1024 } })])).toBe('A1 X BINARY.PEEK[2]<0.1024>\r\n');
    expect(() => bodySection({ text: 'HEADER.FIELDS' })).toThrow(InvalidArgumentError);
    expect(() => bodySection({ text: 'HEADER.FIELDS', fields: ['a\r\nb'] })).toThrow(InvalidArgumentError);
    expect(() => bodySection({ text: 'HEADER.FIELDS', fields: ['a]b'] })).toThrow(InvalidArgumentError);
    expect(enc([bodySection({ text: 'HEADER.FIELDS.NOT', fields: ['X%Y', 'P(a)', 'From'] })])).toBe('A1 X BODY.PEEK[HEADER.FIELDS.NOT ("X%Y" "P(a)" From)]\r\n');
    expect(() => bodySection({ part: [0] })).toThrow(InvalidArgumentError);
    expect(() => bodySection({ text: 'MIME' })).toThrow(InvalidArgumentError);
    expect(() => bodySection({ part: [], text: 'MIME' })).toThrow(InvalidArgumentError);
    expect(() => bodySection({ binary: true, text: 'TEXT' })).toThrow(InvalidArgumentError);
  });

  it('encodes continuation lines', () => {
    expect(render(encodeContinuation('DONE'))).toBe('DONE\r\n');
    expect(render(encodeContinuation(new Secret('dGVzdA==')))).toBe('[dGVzdA==]\r\n');
    expect(() => encodeContinuation('a\r\n')).toThrow(InvalidArgumentError);
  });
});
