import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitExceededError, MailwireError } from '../../src/common/errors.js';
import { Tokenizer, type FrameSink, type LiteralHeader, type TokenizerOptions } from '../../src/common/tokenizer.js';

// The three fuzz properties of STYLE.md, for the framer: chunking never changes the frames,
// encoding a frame model then tokenizing it gives the model back, and arbitrary bytes only ever
// produce mailwire's own errors.

type Frame =
  | readonly ['line', string, string | null]
  | readonly ['literal', string]
  | readonly ['literalEnd']
  | readonly ['data', string]
  | readonly ['dataEnd'];

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const bytesOf = (input: string): Uint8Array => new Uint8Array(Buffer.from(input, 'latin1'));

/** Lines starting with this make the test sink call startDotData, as a POP3 client does on RETR. */
const DOT_TRIGGER = '+OK';

class Recorder implements FrameSink {
  readonly frames: Frame[] = [];
  tokenizer: Tokenizer | undefined;
  stopAfterFrame = -1;
  onLine(bytes: Uint8Array, literal: LiteralHeader | null): void {
    const line = text(bytes);
    this.record(['line', line, literal === null ? null : announcement(literal)]);
    if (literal === null && line.startsWith(DOT_TRIGGER)) this.tokenizer!.startDotData();
  }
  onLiteralData(bytes: Uint8Array): void {
    this.record(['literal', text(bytes)]);
  }
  onLiteralEnd(): void {
    this.record(['literalEnd']);
  }
  onDataChunk(bytes: Uint8Array): void {
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

function announcement(header: LiteralHeader): string {
  return `${header.binary ? '~' : ''}{${header.size}${header.nonSynchronizing ? '+' : ''}}`;
}

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

interface Outcome {
  readonly frames: Frame[];
  readonly error: unknown;
}

/** Tokenizes `input` cut at `cuts` (sorted offsets); records frames until the first error. */
function run(input: Uint8Array, cuts: readonly number[], options: TokenizerOptions): Outcome {
  const recorder = new Recorder();
  const tokenizer = new Tokenizer(recorder, options);
  recorder.tokenizer = tokenizer;
  let error: unknown = null;
  let start = 0;
  try {
    for (const end of [...cuts, input.length]) {
      // A copy per chunk, so a view kept by mistake would show up as corrupted frames.
      const consumed = tokenizer.push(input.slice(start, end));
      expect(consumed).toBe(end - start);
      start = end;
    }
    expect(tokenizer.offset).toBe(input.length);
  } catch (caught) {
    error = caught;
  }
  return { frames: merged(recorder.frames), error };
}

const cutsOf = (length: number): fc.Arbitrary<number[]> =>
  fc.array(fc.nat({ max: Math.max(0, length) }), { maxLength: 30 }).map((cuts) => [...new Set(cuts)].sort((a, b) => a - b));

const everyByte = (length: number): number[] => Array.from({ length: Math.max(0, length - 1) }, (_, index) => index + 1);

// ---- the frame model ---------------------------------------------------------------------------

type Eol = '\r\n' | '\n';
interface LiteralSegment {
  readonly prefix: string;
  readonly form: '' | '+';
  readonly binary: boolean;
  readonly leadingZeros: number;
  readonly eol: Eol;
  readonly body: string;
}
type Item =
  | { readonly kind: 'line'; readonly segments: readonly LiteralSegment[]; readonly tail: string; readonly eol: Eol }
  | {
      readonly kind: 'dot';
      readonly status: string;
      readonly eol: Eol;
      readonly lines: readonly { readonly content: string; readonly eol: Eol }[];
      readonly terminator: Eol;
    };

/** Bytes without LF, biased toward the ones the framer looks at. */
const lineChars = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom('\r', '.', '{', '}', '~', '+', '0', '5', ' ', 'a', 'O', 'K'),
      fc.integer({ min: 0, max: 255 }).filter((byte) => byte !== 0x0a).map((byte) => String.fromCharCode(byte)),
    ),
    maxLength,
  });
const anyChars = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.oneof(fc.constantFrom('\r', '\n', '.', '{', '}'), fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b))), maxLength });
const eol: fc.Arbitrary<Eol> = fc.constantFrom('\r\n', '\n');

/** The text a line ends with once the framer has taken its terminator off: keep it unambiguous. */
function lineEnd(content: string, end: Eol, literals: boolean): string {
  let safe = content;
  if (end === '\n' && safe.endsWith('\r')) safe += 'x'; // "a\r\n" would lose its CR
  if (literals && safe.endsWith('}')) safe += 'x'; // could be an announcement
  if (safe.startsWith(DOT_TRIGGER)) safe = `x${safe}`;
  return safe;
}

function itemArbitrary(literals: boolean): fc.Arbitrary<Item> {
  const segment: fc.Arbitrary<LiteralSegment> = fc
    .record({
      prefix: lineChars(12),
      form: fc.constantFrom('' as const, '+' as const),
      binary: fc.boolean(),
      leadingZeros: fc.nat({ max: 2 }),
      eol,
      body: anyChars(20),
    })
    .map((part) => (!part.binary && part.prefix.endsWith('~') ? { ...part, prefix: `${part.prefix}x` } : part));
  const line: fc.Arbitrary<Item> = fc
    .record({ segments: literals ? fc.array(segment, { maxLength: 3 }) : fc.constant([]), tail: lineChars(16), eol })
    .map(({ segments, tail, eol: end }) => ({ kind: 'line', segments, tail: lineEnd(tail, end, literals), eol: end }));
  const dot: fc.Arbitrary<Item> = fc
    .record({
      status: lineChars(8),
      eol,
      lines: fc.array(fc.record({ content: lineChars(12), eol }), { maxLength: 6 }),
      terminator: eol,
    })
    .map(({ status, eol: end, lines, terminator }) => ({
      kind: 'dot',
      status: DOT_TRIGGER + lineEnd(status, end, literals),
      eol: end,
      lines,
      terminator,
    }));
  return fc.oneof(line, dot);
}

function encode(items: readonly Item[]): string {
  let wire = '';
  for (const item of items) {
    if (item.kind === 'line') {
      for (const part of item.segments) {
        const size = '0'.repeat(part.leadingZeros) + String(part.body.length);
        wire += `${part.prefix}${part.binary ? '~' : ''}{${size}${part.form}}${part.eol}${part.body}`;
      }
      wire += item.tail + item.eol;
    } else {
      wire += item.status + item.eol;
      for (const data of item.lines) wire += (data.content.startsWith('.') ? '.' : '') + data.content + data.eol;
      wire += `.${item.terminator}`;
    }
  }
  return wire;
}

function expectedFrames(items: readonly Item[]): Frame[] {
  const frames: Frame[] = [];
  for (const item of items) {
    if (item.kind === 'line') {
      for (const part of item.segments) {
        frames.push(['line', part.prefix, `${part.binary ? '~' : ''}{${part.body.length}${part.form}}`]);
        if (part.body !== '') frames.push(['literal', part.body]);
        frames.push(['literalEnd']);
      }
      frames.push(['line', item.tail, null]);
    } else {
      frames.push(['line', item.status, null]);
      const data = item.lines.map((line) => line.content + line.eol).join('');
      if (data !== '') frames.push(['data', data]);
      frames.push(['dataEnd']);
    }
  }
  return frames;
}

// ---- the properties ----------------------------------------------------------------------------

describe('Tokenizer properties', () => {
  for (const literals of [true, false]) {
    describe(literals ? 'IMAP (literals on)' : 'POP3 (literals off)', () => {
      const model = fc.array(itemArbitrary(literals), { maxLength: 8 });

      it('encode then tokenize gives the model back, whatever the chunking', () => {
        fc.assert(
          fc.property(
            model.chain((items) => {
              const wire = bytesOf(encode(items));
              return fc.tuple(fc.constant(items), fc.constant(wire), cutsOf(wire.length));
            }),
            ([items, wire, cuts]) => {
              const expected = expectedFrames(items);
              const options = { literals };
              expect(run(wire, [], options)).toEqual({ frames: expected, error: null });
              expect(run(wire, cuts, options)).toEqual({ frames: expected, error: null });
              expect(run(wire, everyByte(wire.length), options)).toEqual({ frames: expected, error: null });
            },
          ),
          { numRuns: 300 },
        );
      });

      it('stopping at any frame and pushing the rest again changes nothing', () => {
        fc.assert(
          fc.property(model, fc.nat({ max: 40 }), fc.integer({ min: 1, max: 9 }), (items, stopAt, chunkSize) => {
            const wire = bytesOf(encode(items));
            const recorder = new Recorder();
            const tokenizer = new Tokenizer(recorder, { literals });
            recorder.tokenizer = tokenizer;
            recorder.stopAfterFrame = stopAt;
            let checked = false;
            for (let at = 0; at < wire.length; at += chunkSize) {
              let chunk = wire.slice(at, at + chunkSize);
              while (chunk.length > 0) {
                chunk = chunk.slice(tokenizer.push(chunk));
                // The push that saw the stop returned right after the frame that asked for it.
                if (!checked && recorder.frames.length >= stopAt && stopAt > 0) {
                  expect(recorder.frames).toHaveLength(stopAt);
                  checked = true;
                }
              }
            }
            tokenizer.push(new Uint8Array(0));
            expect(merged(recorder.frames)).toEqual(expectedFrames(items));
            expect(tokenizer.offset).toBe(wire.length);
            expect(tokenizer.idle).toBe(true);
          }),
          { numRuns: 200 },
        );
      });
    });
  }

  const noise = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc
      .array(fc.constantFrom(...bytesOf('\r\n.{}~+0123456789 aOK\n\n\r\n{5}\r\n+OK\r\n.\r\n')), { maxLength: 400 })
      .map((bytes) => Uint8Array.from(bytes)),
    fc.array(fc.constantFrom('\r\n', '\n', '.', '..', '{3}', '{0}', '~{2+}', '{99999999999999999999}', '+OK', '+OK\r\n', '.\r', 'a', '}', '\r'), { maxLength: 60 })
      .map((parts) => bytesOf(parts.join(''))),
  );
  const options: fc.Arbitrary<TokenizerOptions> = fc.record(
    {
      literals: fc.boolean(),
      maxLineLength: fc.nat({ max: 40 }),
      maxLiteralSize: fc.nat({ max: 40 }),
    },
    { requiredKeys: ['literals'] },
  );

  it('arbitrary bytes: only LimitExceededError, the same frames and error whatever the chunking', () => {
    fc.assert(
      fc.property(
        noise.chain((input) => fc.tuple(fc.constant(input), cutsOf(input.length))),
        options,
        ([input, cuts], tokenizerOptions) => {
          const whole = run(input, [], tokenizerOptions);
          for (const outcome of [whole, run(input, cuts, tokenizerOptions), run(input, everyByte(input.length), tokenizerOptions)]) {
            if (outcome.error !== null) {
              expect(outcome.error).toBeInstanceOf(MailwireError);
              expect(outcome.error).toBeInstanceOf(LimitExceededError);
            }
            expect(outcome.frames).toEqual(whole.frames);
            expect((outcome.error as LimitExceededError | null)?.limit).toBe((whole.error as LimitExceededError | null)?.limit);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes: once failed, every later push throws the same error', () => {
    fc.assert(
      fc.property(noise, noise, options, (input, more, tokenizerOptions) => {
        const recorder = new Recorder();
        const tokenizer = new Tokenizer(recorder, tokenizerOptions);
        recorder.tokenizer = tokenizer;
        let first: unknown = null;
        try {
          tokenizer.push(input);
        } catch (error) {
          first = error;
        }
        if (first === null) return;
        const framesAtFailure = recorder.frames.length;
        expect(() => tokenizer.push(more)).toThrow(first);
        expect(() => tokenizer.push(new Uint8Array(0))).toThrow(first);
        expect(recorder.frames).toHaveLength(framesAtFailure);
      }),
      { numRuns: 300 },
    );
  });
});
