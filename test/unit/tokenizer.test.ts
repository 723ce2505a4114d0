import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, LimitExceededError, MailwireError } from '../../src/common/errors.js';
import { Tokenizer, type FrameSink, type LiteralHeader, type TokenizerOptions } from '../../src/common/tokenizer.js';

// Frames as the tests see them: bytes copied out as latin1 text (one char per byte), the literal
// header written back in its announcement form.
type Frame =
  | readonly ['line', string, string | null]
  | readonly ['literal', string]
  | readonly ['literalEnd']
  | readonly ['data', string]
  | readonly ['dataEnd'];

function announcement(header: LiteralHeader): string {
  return `${header.binary ? '~' : ''}{${header.size}${header.nonSynchronizing ? '+' : ''}}`;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const bytesOf = (input: string): Uint8Array => new Uint8Array(Buffer.from(input, 'latin1'));

interface RecorderOptions {
  /** Lines after which the sink calls startDotData (a POP3 client does this on "+OK" to RETR). */
  readonly dotDataAfter?: (line: string) => boolean;
}

class Recorder implements FrameSink {
  readonly frames: Frame[] = [];
  tokenizer: Tokenizer | undefined;
  stopAfterFrame = -1;
  constructor(private readonly options: RecorderOptions = {}) {}
  onLine(bytes: Uint8Array, literal: LiteralHeader | null): void {
    const line = text(bytes);
    this.record(['line', line, literal === null ? null : announcement(literal)]);
    if (literal === null && this.options.dotDataAfter?.(line) === true) this.tokenizer!.startDotData();
  }
  onLiteralData(bytes: Uint8Array): void {
    expect(bytes.length).toBeGreaterThan(0);
    this.record(['literal', text(bytes)]);
  }
  onLiteralEnd(): void {
    this.record(['literalEnd']);
  }
  onDataChunk(bytes: Uint8Array): void {
    expect(bytes.length).toBeGreaterThan(0);
    this.record(['data', text(bytes)]);
  }
  onDataEnd(): void {
    this.record(['dataEnd']);
  }
  private record(frame: Frame): void {
    this.frames.push(frame);
    if (this.frames.length === this.stopAfterFrame) this.tokenizer!.stop();
  }
}

function create(options: TokenizerOptions = {}, recorderOptions: RecorderOptions = {}): [Tokenizer, Recorder] {
  const recorder = new Recorder(recorderOptions);
  const tokenizer = new Tokenizer(recorder, options);
  recorder.tokenizer = tokenizer;
  return [tokenizer, recorder];
}

/** Adjacent literal pieces, and adjacent data pieces, joined: their cut depends on the chunking. */
function merged(frames: readonly Frame[]): Frame[] {
  const out: Frame[] = [];
  for (const frame of frames) {
    const last = out.at(-1);
    if ((frame[0] === 'literal' || frame[0] === 'data') && last?.[0] === frame[0]) {
      out[out.length - 1] = [frame[0], last[1] + frame[1]];
    } else {
      out.push(frame);
    }
  }
  return out;
}

/** Feeds `input` whole, then one byte at a time, then in chunks of 2, 3 and 7, and checks all agree. */
function tokenize(input: string, options: TokenizerOptions = {}, recorderOptions: RecorderOptions = {}): Frame[] {
  const bytes = bytesOf(input);
  const [whole, wholeRecorder] = create(options, recorderOptions);
  expect(whole.push(bytes)).toBe(bytes.length);
  expect(whole.offset).toBe(bytes.length);
  const expected = merged(wholeRecorder.frames);
  for (const size of [1, 2, 3, 7]) {
    const [tokenizer, recorder] = create(options, recorderOptions);
    let consumed = 0;
    for (let at = 0; at < bytes.length; at += size) consumed += tokenizer.push(bytes.slice(at, at + size));
    expect(consumed).toBe(bytes.length);
    expect(merged(recorder.frames)).toEqual(expected);
    expect(tokenizer.idle).toBe(whole.idle);
  }
  return expected;
}

const IMAP = { literals: true } as const;

/** Pushes `input` in chunks of `size` into an IMAP tokenizer whose sink hands each line to `onLine`. */
function pushLines(input: string, size: number, onLine: FrameSink['onLine']): void {
  const sink: FrameSink = { onLine, onLiteralData: () => undefined, onLiteralEnd: () => undefined, onDataChunk: () => undefined, onDataEnd: () => undefined };
  const tokenizer = new Tokenizer(sink, IMAP);
  for (let offset = 0; offset < input.length; offset += size) tokenizer.push(bytesOf(input.slice(offset, offset + size)));
}
const POP3 = { dotDataAfter: (line: string) => line.startsWith('+OK') } as const;

describe('Tokenizer: lines', () => {
  it.each<[string, string, Frame[]]>([
    ['CRLF lines', '* OK ready\r\nA1 OK done\r\n', [['line', '* OK ready', null], ['line', 'A1 OK done', null]]],
    ['bare LF lines', 'a\nb\r\nc\n', [['line', 'a', null], ['line', 'b', null], ['line', 'c', null]]],
    ['empty lines', '\r\n\n\r\n', [['line', '', null], ['line', '', null], ['line', '', null]]],
    ['a CR alone is line content', 'a\rb\r\r\n', [['line', 'a\rb\r', null]]],
    ['an unfinished line is held', 'abc\r\nde', [['line', 'abc', null]]],
    ['bytes are not decoded', '\u00ff\u0000\u0080\r\n', [['line', '\u00ff\u0000\u0080', null]]],
  ])('%s', (_name, input, frames) => {
    expect(tokenize(input)).toEqual(frames);
  });

  it('does not treat braces as literals when literals are off', () => {
    expect(tokenize('+OK {5}\r\nabc\r\n')).toEqual([['line', '+OK {5}', null], ['line', 'abc', null]]);
  });

  it('hands a line inside a chunk over as a view of the chunk, not a copy', () => {
    const chunk = bytesOf('A1 OK\r\nA2 OK\r\n');
    const views: Uint8Array[] = [];
    const sink: FrameSink = {
      onLine: (bytes) => views.push(bytes),
      onLiteralData: () => undefined,
      onLiteralEnd: () => undefined,
      onDataChunk: () => undefined,
      onDataEnd: () => undefined,
    };
    new Tokenizer(sink).push(chunk);
    expect(views.map((view) => [view.buffer === chunk.buffer, view.byteOffset])).toEqual([[true, 0], [true, 7]]);
  });

  it('keeps no reference to a chunk: a line split across reused buffers is intact', () => {
    const [tokenizer, recorder] = create();
    const readBuffer = new Uint8Array(4);
    for (const part of ['ab', 'cd\r', '\nef', 'g\r\n']) {
      readBuffer.set(bytesOf(part));
      tokenizer.push(readBuffer.subarray(0, part.length));
      readBuffer.fill(0x58);
    }
    expect(recorder.frames).toEqual([['line', 'abcd', null], ['line', 'efg', null]]);
  });

  it('holds a line much longer than its initial buffer, split in many chunks', () => {
    // Past the size at which the buffer is released after its line, then a small line, then again.
    const long = 'x'.repeat(70_000);
    expect(tokenize(`${long}\r\nshort\r\n${long}y\r\n`)).toEqual([
      ['line', long, null],
      ['line', 'short', null],
      ['line', `${long}y`, null],
    ]);
  });
});

describe('Tokenizer: linear time', () => {
  // A framer that rescans its pending bytes on every push is quadratic here: some 10^10 byte visits.
  it('takes a 100 KB line, an announcement-like digit run and dot data one byte at a time', () => {
    const digits = '7'.repeat(50_000);
    const input = bytesOf(`${'x'.repeat(100_000)}\r\n{${digits}\r\n${digits}}\r\n+OK\r\n${'a'.repeat(100_000)}\r\n.\r\n`);
    const lineLengths: number[] = [];
    let dataBytes = 0;
    let dataEnds = 0;
    const sink: FrameSink = {
      onLine: (bytes) => {
        lineLengths.push(bytes.length);
        if (bytes[0] === 0x2b) tokenizer.startDotData();
      },
      onLiteralData: () => undefined,
      onLiteralEnd: () => undefined,
      onDataChunk: (bytes) => (dataBytes += bytes.length),
      onDataEnd: () => dataEnds++,
    };
    const tokenizer = new Tokenizer(sink, IMAP);
    for (let at = 0; at < input.length; at++) tokenizer.push(input.subarray(at, at + 1));
    expect(lineLengths).toEqual([100_000, digits.length + 1, digits.length + 1, 3]);
    expect([dataBytes, dataEnds]).toEqual([100_002, 1]);
  });
});

describe('Tokenizer: IMAP literals', () => {
  it.each<[string, string, Frame[]]>([
    ['synchronizing', '* 1 FETCH (BODY[] {5}\r\nhello)\r\n',
      [['line', '* 1 FETCH (BODY[] ', '{5}'], ['literal', 'hello'], ['literalEnd'], ['line', ')', null]]],
    ['non-synchronizing', 'A1 LOGIN {4+}\r\nuser pass\r\n',
      [['line', 'A1 LOGIN ', '{4+}'], ['literal', 'user'], ['literalEnd'], ['line', ' pass', null]]],
    ['literal8', '* 1 FETCH (BINARY[] ~{3}\r\n\u0000\u0001\u0002)\r\n',
      [['line', '* 1 FETCH (BINARY[] ', '~{3}'], ['literal', '\u0000\u0001\u0002'], ['literalEnd'], ['line', ')', null]]],
    ['literal8, non-synchronizing', 'x ~{2+}\r\nab\r\n',
      [['line', 'x ', '~{2+}'], ['literal', 'ab'], ['literalEnd'], ['line', '', null]]],
    ['zero-length', '* 1 FETCH (BODY[] {0}\r\n)\r\n',
      [['line', '* 1 FETCH (BODY[] ', '{0}'], ['literalEnd'], ['line', ')', null]]],
    ['leading zeros', 'x {007}\r\n1234567\r\n',
      [['line', 'x ', '{7}'], ['literal', '1234567'], ['literalEnd'], ['line', '', null]]],
    ['announced after a bare LF', 'x {2}\nab\n',
      [['line', 'x ', '{2}'], ['literal', 'ab'], ['literalEnd'], ['line', '', null]]],
    ['holding CRLF and a literal announcement', '* 2 FETCH (BODY[] {13}\r\nab\r\n{5}\r\ncd\r\n)\r\n',
      [['line', '* 2 FETCH (BODY[] ', '{13}'], ['literal', 'ab\r\n{5}\r\ncd\r\n'], ['literalEnd'], ['line', ')', null]]],
    ['several in one line, the segment after one ending in another', '* 3 FETCH (A {1}\r\na B {0}\r\n C ~{2}\r\nzz)\r\n',
      [
        ['line', '* 3 FETCH (A ', '{1}'], ['literal', 'a'], ['literalEnd'],
        ['line', ' B ', '{0}'], ['literalEnd'],
        ['line', ' C ', '~{2}'], ['literal', 'zz'], ['literalEnd'],
        ['line', ')', null],
      ]],
    ['two literals back to back', 'x {1}\r\na{1}\r\nb\r\n',
      [['line', 'x ', '{1}'], ['literal', 'a'], ['literalEnd'], ['line', '', '{1}'], ['literal', 'b'], ['literalEnd'], ['line', '', null]]],
    ['an announcement that is the whole line', '{3}\r\nabc\r\n',
      [['line', '', '{3}'], ['literal', 'abc'], ['literalEnd'], ['line', '', null]]],
    ['a literal at the end of the input still ends', 'x {2}\r\nab',
      [['line', 'x ', '{2}'], ['literal', 'ab'], ['literalEnd']]],
    ['a zero-length literal at the end of the input still ends', 'x {0}\r\n',
      [['line', 'x ', '{0}'], ['literalEnd']]],
  ])('%s', (_name, input, frames) => {
    expect(tokenize(input, IMAP)).toEqual(frames);
  });

  // Lenient in: a brace pair that is no announcement is plain text (response text may contain it).
  it.each([
    ['* OK text {abc}\r\n', '* OK text {abc}'],
    ['* OK text {}\r\n', '* OK text {}'],
    ['* OK {+}\r\n', '* OK {+}'],
    ['* OK { 5}\r\n', '* OK { 5}'],
    ['* OK {5 }\r\n', '* OK {5 }'],
    ['* OK {5++}\r\n', '* OK {5++}'],
    ['* OK {-5}\r\n', '* OK {-5}'],
    ['* OK 5}\r\n', '* OK 5}'],
    ['}\r\n', '}'],
    ['* OK {5} trailing\r\n', '* OK {5} trailing'],
  ])('%j is a plain line', (input, line) => {
    expect(tokenize(input, IMAP)).toEqual([['line', line, null]]);
  });

  it('hands literal bytes over as views, never held whole', () => {
    const chunks: Uint8Array[] = [];
    const sink: FrameSink = {
      onLine: () => undefined,
      onLiteralData: (bytes) => chunks.push(bytes),
      onLiteralEnd: () => undefined,
      onDataChunk: () => undefined,
      onDataEnd: () => undefined,
    };
    const tokenizer = new Tokenizer(sink, IMAP);
    const first = bytesOf('x {10}\r\nabcd');
    const second = bytesOf('efghij)\r\n');
    tokenizer.push(first);
    tokenizer.push(second);
    expect(chunks.map((view) => [view.buffer === first.buffer || view.buffer === second.buffer, text(view)])).toEqual([
      [true, 'abcd'],
      [true, 'efghij'],
    ]);
  });

  it('tells each announcement\'s length on the wire as sent, split across chunks or not', () => {
    const input = 'a {007}\r\n1234567 b ~{02+}\r\nxy c {0}\r\n)\r\n';
    for (const size of [input.length, 1, 3]) {
      const lengths: number[] = [];
      pushLines(input, size, (_bytes, literal) => {
        if (literal !== null) lengths.push(literal.announcementLength);
      });
      expect(lengths, `chunks of ${size}`).toEqual([5, 6, 3]);
    }
  });

  it('is not idle inside a literal or the line after it', () => {
    const [tokenizer] = create(IMAP);
    tokenizer.push(bytesOf('x {2}\r\na'));
    expect(tokenizer.idle).toBe(false);
    tokenizer.push(bytesOf('b'));
    expect(tokenizer.idle).toBe(false);
    tokenizer.push(bytesOf(')\r\n'));
    expect(tokenizer.idle).toBe(true);
  });
});

describe('Tokenizer: POP3 multi-line data', () => {
  it.each<[string, string, Frame[]]>([
    ['a message', '+OK 2 octets\r\nab\r\ncd\r\n.\r\n',
      [['line', '+OK 2 octets', null], ['data', 'ab\r\ncd\r\n'], ['dataEnd']]],
    ['"abc" then the terminator', '+OK\r\nabc\r\n.\r\n', [['line', '+OK', null], ['data', 'abc\r\n'], ['dataEnd']]],
    ['empty data: the terminator as the first line', '+OK 0 messages\r\n.\r\n',
      [['line', '+OK 0 messages', null], ['dataEnd']]],
    ['stuffed dots are removed at line start only', '+OK\r\n..x\r\na.b\r\n...\r\n.\r\n',
      [['line', '+OK', null], ['data', '.x\r\na.b\r\n..\r\n'], ['dataEnd']]],
    ['a last line "." stuffed as ".."', '+OK\r\nend\r\n..\r\n.\r\n',
      [['line', '+OK', null], ['data', 'end\r\n.\r\n'], ['dataEnd']]],
    ['bare LF lines and a bare LF terminator', '+OK\na\nb\n.\n', [['line', '+OK', null], ['data', 'a\nb\n'], ['dataEnd']]],
    ['a CRLF line then "." ended by a bare LF', '+OK\r\na\r\n.\n', [['line', '+OK', null], ['data', 'a\r\n'], ['dataEnd']]],
    ['line terminators kept exactly as sent', '+OK\r\na\nb\r\n\r\n\n.\r\n',
      [['line', '+OK', null], ['data', 'a\nb\r\n\r\n\n'], ['dataEnd']]],
    ['".\\r" then more is a stuffed line', '+OK\r\n.\rx\r\n.\r\n', [['line', '+OK', null], ['data', '\rx\r\n'], ['dataEnd']]],
    ['". " is a stuffed line, not the terminator', '+OK\r\n. \r\n.\r\n', [['line', '+OK', null], ['data', ' \r\n'], ['dataEnd']]],
    ['literal announcements are data', '+OK\r\nx {5}\r\n.\r\n', [['line', '+OK', null], ['data', 'x {5}\r\n'], ['dataEnd']]],
    ['lines again after the data', '+OK\r\na\r\n.\r\n-ERR no\r\n+OK\r\n.\r\n+OK done\r\n',
      [
        ['line', '+OK', null], ['data', 'a\r\n'], ['dataEnd'],
        ['line', '-ERR no', null],
        ['line', '+OK', null], ['dataEnd'],
        ['line', '+OK done', null],
      ]],
    ['unterminated data stays open', '+OK\r\nabc\r\n.', [['line', '+OK', null], ['data', 'abc\r\n']]],
    ['a dot that does not start a line is data, not a terminator', '+OK\r\nabc.\r\n',
      [['line', '+OK', null], ['data', 'abc.\r\n']]],
  ])('%s', (_name, input, frames) => {
    expect(tokenize(input, {}, POP3)).toEqual(frames);
  });

  it('finds the terminator fed one byte at a time, and hands out no byte of it', () => {
    const [tokenizer, recorder] = create({}, POP3);
    for (const byte of bytesOf('+OK\r\nhi\r\n.\r\n')) tokenizer.push(Uint8Array.of(byte));
    expect(merged(recorder.frames)).toEqual([['line', '+OK', null], ['data', 'hi\r\n'], ['dataEnd']]);
    expect(tokenizer.idle).toBe(true);
  });

  it('passes a run of lines without line-start dots as one view of the chunk', () => {
    const [tokenizer, recorder] = create({}, POP3);
    tokenizer.push(bytesOf('+OK\r\nline 1\r\nline 2\r\nline 3\r\n..4\r\nline 5\r\n.\r\n'));
    expect(recorder.frames).toEqual([
      ['line', '+OK', null],
      ['data', 'line 1\r\nline 2\r\nline 3\r\n'],
      ['data', '.4\r\nline 5\r\n'],
      ['dataEnd'],
    ]);
  });

  it('is also available with literals on, and only at a line boundary', () => {
    expect(tokenize('+OK\r\n..\r\n.\r\n', IMAP, POP3)).toEqual([['line', '+OK', null], ['data', '.\r\n'], ['dataEnd']]);
    const [tokenizer] = create(IMAP);
    tokenizer.push(bytesOf('x {3}\r\na'));
    expect(() => { tokenizer.startDotData(); }).toThrow(InvalidArgumentError);
  });

  it('reports idle only outside the data', () => {
    const [tokenizer] = create({}, POP3);
    tokenizer.push(bytesOf('+OK\r\n'));
    expect(tokenizer.idle).toBe(false);
    tokenizer.push(bytesOf('.\r'));
    expect(tokenizer.idle).toBe(false);
    tokenizer.push(bytesOf('\n'));
    expect(tokenizer.idle).toBe(true);
  });
});

describe('Tokenizer: limits', () => {
  it('accepts a line exactly at maxLineLength, CRLF not counted', () => {
    expect(tokenize('12345\r\n1234\n', { maxLineLength: 5 })).toEqual([['line', '12345', null], ['line', '1234', null]]);
  });

  it('throws maxLineLength for a long line inside one chunk', () => {
    const [tokenizer] = create({ maxLineLength: 5 });
    expect(() => tokenizer.push(bytesOf('ok\r\n123456\r\n'))).toThrow(
      expect.objectContaining({ code: 'LIMIT_EXCEEDED', limit: 'maxLineLength', maximum: 5, actual: 6 }),
    );
  });

  it('throws maxLineLength as soon as an unfinished line is too long, across many chunks', () => {
    const [tokenizer, recorder] = create({ maxLineLength: 10 });
    tokenizer.push(bytesOf('ok\r\n'));
    for (let index = 0; index < 10; index++) tokenizer.push(bytesOf('x'));
    tokenizer.push(bytesOf('\r')); // could still be the CR of the CRLF
    let thrown: unknown;
    try {
      tokenizer.push(bytesOf('x'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LimitExceededError);
    expect(thrown).toMatchObject({ limit: 'maxLineLength', maximum: 10, actual: 12 });
    expect(recorder.frames).toEqual([['line', 'ok', null]]);
    // Failed for good: every later push throws the same error, and nothing more is parsed.
    expect(() => tokenizer.push(bytesOf('\r\nfine\r\n'))).toThrow(thrown);
    expect(() => tokenizer.push(new Uint8Array(0))).toThrow(thrown);
    expect(recorder.frames).toEqual([['line', 'ok', null]]);
  });

  it('throws maxLineLength on an unterminated line without waiting for its end', () => {
    const [tokenizer] = create({ maxLineLength: 100 });
    expect(() => tokenizer.push(new Uint8Array(101).fill(0x41))).toThrow(LimitExceededError);
  });

  it('measures each segment between literals on its own', () => {
    expect(tokenize('123{1}\r\na123456\r\n', { literals: true, maxLineLength: 6 })).toEqual([
      ['line', '123', '{1}'], ['literal', 'a'], ['literalEnd'], ['line', '123456', null],
    ]);
  });

  it('throws maxLiteralSize when a too-large literal is announced, before emitting its line', () => {
    const [tokenizer, recorder] = create({ literals: true, maxLiteralSize: 100 });
    expect(() => tokenizer.push(bytesOf('* 1 FETCH (BODY[] {100}\r\n'))).not.toThrow();
    const [second, secondRecorder] = create({ literals: true, maxLiteralSize: 100 });
    expect(() => second.push(bytesOf('* 1 FETCH (BODY[] {101}\r\n'))).toThrow(
      expect.objectContaining({ limit: 'maxLiteralSize', maximum: 100, actual: 101 }),
    );
    expect(recorder.frames).toHaveLength(1);
    expect(secondRecorder.frames).toEqual([]);
    expect(() => second.push(bytesOf('x'))).toThrow(LimitExceededError);
  });

  it('throws maxLiteralSize for sizes beyond 2^53 and for absurd digit strings', () => {
    for (const digits of ['9007199254740993', '9'.repeat(30), '1'.repeat(400)]) {
      const [tokenizer] = create(IMAP);
      expect(() => tokenizer.push(bytesOf(`x {${digits}}\r\n`))).toThrow(
        expect.objectContaining({ limit: 'maxLiteralSize', maximum: 2 ** 40 }),
      );
    }
  });

  it('refuses limits that are not non-negative safe integers', () => {
    const sink = new Recorder();
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => new Tokenizer(sink, { maxLineLength: bad })).toThrow(InvalidArgumentError);
      expect(() => new Tokenizer(sink, { maxLiteralSize: bad })).toThrow(InvalidArgumentError);
    }
  });

  it('fails with whatever a sink callback throws, and stays failed', () => {
    const failure = new MailwireError('PROTOCOL', 'parser says no');
    const sink: FrameSink = {
      onLine: () => {
        throw failure;
      },
      onLiteralData: () => undefined,
      onLiteralEnd: () => undefined,
      onDataChunk: () => undefined,
      onDataEnd: () => undefined,
    };
    const tokenizer = new Tokenizer(sink);
    expect(() => tokenizer.push(bytesOf('a\r\n'))).toThrow(failure);
    expect(() => tokenizer.push(bytesOf('b\r\n'))).toThrow(failure);
  });

  it('refuses a push from inside a sink callback', () => {
    let inner: unknown;
    const sink: FrameSink = {
      onLine: () => {
        try {
          tokenizer.push(bytesOf('x\r\n'));
        } catch (error) {
          inner = error;
        }
      },
      onLiteralData: () => undefined,
      onLiteralEnd: () => undefined,
      onDataChunk: () => undefined,
      onDataEnd: () => undefined,
    };
    const tokenizer = new Tokenizer(sink);
    tokenizer.push(bytesOf('a\r\n'));
    expect(inner).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('Tokenizer: stop() and offset', () => {
  it('returns the consumed count right after the frame that asked, leaving the rest unparsed', () => {
    const [tokenizer, recorder] = create();
    recorder.stopAfterFrame = 1;
    const chunk = bytesOf('A1 OK begin TLS now\r\n\u0016\u0003\u0001 not a line\r\n');
    expect(tokenizer.push(chunk)).toBe(21);
    expect(tokenizer.offset).toBe(21);
    expect(tokenizer.idle).toBe(true);
    expect(recorder.frames).toEqual([['line', 'A1 OK begin TLS now', null]]);
    recorder.stopAfterFrame = -1;
    expect(tokenizer.push(chunk.subarray(21))).toBe(chunk.length - 21);
    expect(tokenizer.offset).toBe(chunk.length);
  });

  it('stops inside literal and data frames too, and resumes where it stopped', () => {
    for (const [options, recorderOptions, input] of [
      [IMAP, {}, 'x {4}\r\nabcd{0}\r\n)\r\ny\r\n'],
      [{}, POP3, '+OK\r\na\r\n..b\r\n.\rc\r\n.\r\n+OK\r\n.\r\n'],
    ] as const) {
      const expected = tokenize(input, options, recorderOptions);
      const bytes = bytesOf(input);
      for (let stopAt = 1; stopAt <= expected.length; stopAt++) {
        for (const size of [1, 3, bytes.length]) {
          const [tokenizer, recorder] = create(options, recorderOptions);
          recorder.stopAfterFrame = stopAt;
          let checked = false;
          for (let at = 0; at < bytes.length; at += size) {
            let chunk = bytes.slice(at, at + size);
            let fed = at;
            for (;;) {
              const consumed = tokenizer.push(chunk);
              fed += consumed;
              expect(tokenizer.offset).toBe(fed);
              // The push that saw the stop returned right after the frame that asked for it.
              if (!checked && recorder.frames.length >= stopAt) {
                expect(recorder.frames).toHaveLength(stopAt);
                checked = true;
              }
              if (consumed === chunk.length) break;
              chunk = chunk.slice(consumed);
            }
          }
          tokenizer.push(new Uint8Array(0)); // a frame that needs no bytes may still be owed
          expect(merged(recorder.frames)).toEqual(expected);
          expect(tokenizer.offset).toBe(bytes.length);
        }
      }
    }
  });

  it('reports offset inside a callback as the end of the current frame', () => {
    const offsets: number[] = [];
    const sink: FrameSink = {
      onLine: () => offsets.push(tokenizer.offset),
      onLiteralData: () => offsets.push(tokenizer.offset),
      onLiteralEnd: () => offsets.push(tokenizer.offset),
      onDataChunk: () => undefined,
      onDataEnd: () => undefined,
    };
    const tokenizer = new Tokenizer(sink, IMAP);
    tokenizer.push(bytesOf('ab\r\nc {2}\r\nxy\r\n'));
    expect(offsets).toEqual([4, 11, 13, 13, 15]);
  });

  it('tells the sink how long each line end was: 2 for CRLF, 1 for a bare LF, in any chunking', () => {
    const input = 'ab\r\nc {2}\nxy\n\nd\r\n';
    for (let size = 1; size <= input.length; size++) {
      const ends: number[] = [];
      pushLines(input, size, (_bytes, _literal, lineEndLength) => ends.push(lineEndLength));
      expect(ends, `chunks of ${size}`).toEqual([2, 1, 1, 1, 2]);
    }
  });
});
