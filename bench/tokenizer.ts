/**
 * Throughput of the shared tokenizer against imapflow's response framer (ImapStream), on the same
 * 64 KiB chunks of the same synthetic server output.
 *
 *   node --import tsx bench/tokenizer.ts
 *   RUNS=21 ONLY=0,1 node --import tsx bench/tokenizer.ts   (more runs; only scenarios 0 and 1)
 *
 * Every run checks that it saw every response and every payload byte.
 */
import { ImapStream } from 'imapflow/lib/handler/imap-stream.js';
import { Tokenizer, type FrameSink, type LiteralHeader } from '../src/common/tokenizer.js';
import { chunked, lineHeavyFetch, literalHeavyFetch, pop3Retr, type Fixture, type FixtureCounts } from './lib/fixtures.js';
import { interleaved, median, megabytesPerSecond, table, type Contender } from './lib/measure.js';

const RUNS = Number(process.env.RUNS ?? 7);

function verify(name: string, seen: FixtureCounts, fixture: Fixture): void {
  if (seen.responses !== fixture.responses || seen.payloadBytes !== fixture.payloadBytes) {
    throw new Error(`${name} saw ${JSON.stringify(seen)}, expected ${JSON.stringify({ responses: fixture.responses, payloadBytes: fixture.payloadBytes })}`);
  }
}

/** The least an IMAP consumer does: count complete responses and literal bytes. */
class ImapCountingSink implements FrameSink {
  responses = 0;
  payloadBytes = 0;
  onLine(_bytes: Uint8Array, literal: LiteralHeader | null): void {
    if (literal === null) this.responses++;
  }
  onLiteralData(bytes: Uint8Array): void {
    this.payloadBytes += bytes.length;
  }
  onLiteralEnd(): void {
    // nothing to do
  }
  onDataChunk(): void {
    throw new Error('no dot data in IMAP');
  }
  onDataEnd(): void {
    throw new Error('no dot data in IMAP');
  }
}

/** A consumer that keeps every byte: copies each line and literal piece into its own buffer. */
class ImapCopyingSink extends ImapCountingSink {
  readonly #scratch = new Uint8Array(1 << 20);
  #used = 0;
  override onLine(bytes: Uint8Array, literal: LiteralHeader | null): void {
    this.#keep(bytes);
    super.onLine(bytes, literal);
  }
  override onLiteralData(bytes: Uint8Array): void {
    this.#keep(bytes);
    super.onLiteralData(bytes);
  }
  #keep(bytes: Uint8Array): void {
    if (this.#used + bytes.length > this.#scratch.length) this.#used = 0;
    this.#scratch.set(bytes, this.#used);
    this.#used += bytes.length;
  }
}

/** The least a POP3 consumer does: start dot data after "+OK", count data bytes and messages. */
class Pop3CountingSink implements FrameSink {
  responses = 0;
  payloadBytes = 0;
  tokenizer: Tokenizer | undefined;
  onLine(bytes: Uint8Array): void {
    if (bytes[0] === 0x2b) this.tokenizer!.startDotData();
  }
  onLiteralData(): void {
    throw new Error('no literals in POP3');
  }
  onLiteralEnd(): void {
    throw new Error('no literals in POP3');
  }
  onDataChunk(bytes: Uint8Array): void {
    this.payloadBytes += bytes.length;
  }
  onDataEnd(): void {
    this.responses++;
  }
}

function mailwireImap(fixture: Fixture, chunks: readonly Uint8Array[], copying = false): Contender {
  return {
    name: copying ? 'mailwire, sink copies' : 'mailwire',
    run: () => {
      const sink = copying ? new ImapCopyingSink() : new ImapCountingSink();
      const tokenizer = new Tokenizer(sink, { literals: true });
      for (const chunk of chunks) tokenizer.push(chunk);
      verify('mailwire', sink, fixture);
    },
  };
}

function mailwirePop3(fixture: Fixture, chunks: readonly Uint8Array[]): Contender {
  return {
    name: 'mailwire',
    run: () => {
      const sink = new Pop3CountingSink();
      const tokenizer = new Tokenizer(sink);
      sink.tokenizer = tokenizer;
      for (const chunk of chunks) tokenizer.push(chunk);
      verify('mailwire', sink, fixture);
    },
  };
}

const silentLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };

interface ImapStreamItem {
  payload: Buffer;
  literals: Buffer[];
  next: () => void;
}

/** imapflow's framer as imapflow drives it: a Transform fed the socket chunks, each response released by next(). */
function imapflowImap(fixture: Fixture, chunks: readonly Uint8Array[]): Contender {
  const buffers = chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return {
    name: 'imapflow',
    run: async () => {
      const stream = new ImapStream({ logger: silentLogger });
      const seen = { responses: 0, payloadBytes: 0 };
      stream.on('data', (item: ImapStreamItem) => {
        seen.responses++;
        for (const literal of item.literals) seen.payloadBytes += literal.length;
        item.next();
      });
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      for (const buffer of buffers) {
        if (!stream.write(buffer)) await new Promise((resolve) => stream.once('drain', resolve));
      }
      stream.end();
      await ended;
      verify('imapflow', seen, fixture);
    },
  };
}

/** The floor: finding every LF with indexOf and nothing else. */
function lfScan(chunks: readonly Uint8Array[]): Contender {
  return {
    name: 'indexOf(LF) scan',
    run: () => {
      let lines = 0;
      for (const chunk of chunks) {
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
      }
      if (lines === 0) throw new Error('no lines');
    },
  };
}

interface Scenario {
  readonly name: string;
  readonly fixture: Fixture;
  readonly contenders: (fixture: Fixture, chunks: readonly Uint8Array[]) => Contender[];
}

const scenarios: Scenario[] = [
  {
    name: '1,000 FETCH BODY[] x 100 KB literal',
    fixture: literalHeavyFetch(),
    contenders: (fixture, chunks) => [
      mailwireImap(fixture, chunks),
      mailwireImap(fixture, chunks, true),
      imapflowImap(fixture, chunks),
      lfScan(chunks),
    ],
  },
  {
    name: '10,000 FETCH ENVELOPE lines (1 in 10 with a literal)',
    fixture: lineHeavyFetch(),
    contenders: (fixture, chunks) => [
      mailwireImap(fixture, chunks),
      mailwireImap(fixture, chunks, true),
      imapflowImap(fixture, chunks),
      lfScan(chunks),
    ],
  },
  {
    name: 'POP3: 1,000 RETR x 50 KB dot data',
    fixture: pop3Retr(),
    contenders: (fixture, chunks) => [mailwirePop3(fixture, chunks), lfScan(chunks)],
  },
];

const rows: string[][] = [];
const only = process.env.ONLY;
for (const scenario of scenarios.filter((_, index) => only === undefined || only.split(",").includes(String(index)))) {
  // Buffers, as a socket delivers them (the tokenizer takes any Uint8Array).
  const chunks = chunked(scenario.fixture.bytes).map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  const timings = await interleaved(scenario.contenders(scenario.fixture, chunks), { runs: RUNS });
  const medianOf = (name: string): number | undefined => {
    const values = timings.get(name);
    return values === undefined ? undefined : median(values);
  };
  const mailwire = medianOf('mailwire')!;
  const copying = medianOf('mailwire, sink copies');
  const imapflow = medianOf('imapflow');
  const bytes = scenario.fixture.bytes.length;
  const rate = (ms: number | undefined): string => (ms === undefined ? 'n/a' : megabytesPerSecond(bytes, ms).toFixed(0));
  const ratio = (ms: number | undefined): string => (ms === undefined || imapflow === undefined ? 'n/a' : `${(imapflow / ms).toFixed(1)}x`);
  rows.push([
    scenario.name,
    (bytes / 2 ** 20).toFixed(1),
    rate(mailwire),
    rate(copying),
    rate(imapflow),
    ratio(mailwire),
    ratio(copying),
    rate(medianOf('indexOf(LF) scan')),
    ((mailwire * 1000) / scenario.fixture.responses).toFixed(2),
  ]);
}

console.log(`Node ${process.version}, 64 KiB chunks, median of ${RUNS} interleaved runs (MB/s = 10^6 bytes/s)\n`);
console.log(
  table(
    [
      'input',
      'MiB',
      'mailwire MB/s',
      'mailwire+copy MB/s',
      'imapflow MB/s',
      'mailwire/imapflow',
      'mailwire+copy/imapflow',
      'indexOf scan MB/s',
      'mailwire µs/response',
    ],
    rows,
  ),
);
