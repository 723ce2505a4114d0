/**
 * Test harness for the IMAP wire layer: feeds bytes through the real Tokenizer into a
 * ResponseAssembler and collects what comes out; loads byte fixtures from this folder.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '../../../src/common/tokenizer.js';
import type { BodySink, BodyStart, ResponseAssemblerOptions } from '../../../src/imap/wire/assembler.js';
import { ResponseAssembler } from '../../../src/imap/wire/assembler.js';
import type { ImapResponse } from '../../../src/imap/wire/response-types.js';
import type { LimitExceededError, ProtocolError } from '../../../src/common/errors.js';

export interface Collected {
  responses: ImapResponse[];
  errors: { error: ProtocolError | LimitExceededError; tag: string | null }[];
  bodies: { start: BodyStart; bytes: Buffer; ended: boolean }[];
  /** Event order: 'response:<kind>', 'body-start', 'body-end', 'error'. */
  events: string[];
  assembler: ResponseAssembler;
  tokenizer: Tokenizer;
}

export interface FeedOptions extends ResponseAssemblerOptions {
  /** Stream bodies for which this returns true (default: none). */
  stream?: (start: BodyStart) => boolean;
  /** Split the input into chunks of this size (default: one chunk). */
  chunkSize?: number;
  /** `assembler.bodyStreams` before each chunk, by chunk index (default: left as it is). */
  bodyStreams?: (chunk: number) => boolean;
}

/** Creates an assembler + tokenizer pair that records everything. */
export function createHarness(options: FeedOptions = {}): Collected {
  const collected = { responses: [], errors: [], bodies: [], events: [] } as unknown as Collected;
  const assembler = new ResponseAssembler(
    {
      onResponse(response) {
        collected.responses.push(response);
        collected.events.push(`response:${response.kind}`);
      },
      onBodyStart(start): BodySink | null {
        if (options.stream?.(start) !== true) return null;
        const record = { start, bytes: Buffer.alloc(0), ended: false };
        collected.bodies.push(record);
        collected.events.push('body-start');
        return {
          write(bytes) {
            record.bytes = Buffer.concat([record.bytes, bytes]);
          },
          end() {
            record.ended = true;
            collected.events.push('body-end');
          },
        };
      },
      onResponseError(error, tag) {
        collected.errors.push({ error, tag });
        collected.events.push('error');
      },
    },
    options,
  );
  collected.assembler = assembler;
  collected.tokenizer = new Tokenizer(assembler, { literals: true });
  return collected;
}

/** Feeds the whole input (CRLF line ends expected) and returns what came out. */
export function feed(input: string | Uint8Array, options: FeedOptions = {}): Collected {
  const collected = createHarness(options);
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const size = options.chunkSize ?? bytes.length;
  for (let i = 0, chunk = 0; i < bytes.length; i += Math.max(1, size), chunk++) {
    if (options.bodyStreams !== undefined) collected.assembler.bodyStreams = options.bodyStreams(chunk);
    collected.tokenizer.push(bytes.subarray(i, i + Math.max(1, size)));
  }
  return collected;
}

/** Parses exactly one response and fails the test if there is not exactly one. */
export function one(input: string, options: FeedOptions = {}): ImapResponse {
  const { responses, errors } = feed(input.endsWith('\n') ? input : `${input}\r\n`, options);
  if (errors.length > 0) throw errors[0]!.error;
  if (responses.length !== 1) throw new Error(`expected one response, got ${responses.length}`);
  return responses[0]!;
}

/**
 * Loads a fixture from test/unit/imap-wire/. `.txt` files are transcripts written with LF line
 * ends, turned into CRLF; lines starting with `C:` are dropped and `S: ` prefixes removed, so a
 * file can be a recorded C:/S: transcript. `.bin` files are used byte for byte.
 */
export function fixture(name: string): Buffer {
  const raw = readFileSync(new URL(name, import.meta.url));
  if (!name.endsWith('.txt')) return raw;
  const lines = raw.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const server = lines.filter((line) => !line.startsWith('C:') && !line.startsWith('#')).map((line) => (line.startsWith('S: ') ? line.slice(3) : line));
  return Buffer.from(server.map((line) => `${line}\r\n`).join(''), 'utf8');
}
