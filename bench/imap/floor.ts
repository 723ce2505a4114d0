/**
 * The "floor" contender of bench/imap.ts, for the body scenarios (c) and (d): the least a client
 * of mailwire's shape can cost. mailwire's own tokenizer, fed as its transport feeds it (256 KiB
 * reads into reused buffers, no copy), under the consumer loop of the benchmark, unchanged:
 *
 *   for await (const message of messages) for await (const chunk of message.chunks()) bytes += chunk.length;
 *
 * Behind that loop there is nothing but two hand-written async iterators (a queue each, one
 * promise a step) and chunks lent until the next step, as `chunks({ reuse: true })` lends them:
 * no parsing beyond framing, no routing, no command pipeline, no backpressure. Its distance from
 * "raw" is what the loop itself costs the engine (async steps, and compiling them in a fresh
 * process); its distance from mailwire is what the client adds.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import { Tokenizer, type LiteralHeader } from '../../src/common/tokenizer.js';
import type { RawTarget } from './raw.js';

/** What the floor client saw. */
export interface FloorResult {
  /** Milliseconds from writing the command to the end of the consumer's loop. */
  readonly ms: number;
  /** Bodies (literals) iterated. */
  readonly messages: number;
  /** Body bytes iterated. */
  readonly bytes: number;
}

const READ_SIZE = 256 * 1024;

/** One read buffer, and how many chunks lent or queued still view it. */
interface ReadBuffer {
  readonly bytes: Buffer;
  views: number;
}

/**
 * What one `for await` reads: a queue, each step one promise, resolved at once when an item
 * waits. `release` is told when the reader takes its next step, of the item it had.
 */
class Queue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  #head = 0;
  #ended = false;
  #waiter: ((result: IteratorResult<T, undefined>) => void) | undefined;
  #held: T | undefined;
  readonly #release: ((item: T) => void) | undefined;

  constructor(release?: (item: T) => void) {
    this.#release = release;
  }

  push(item: T): void {
    const waiter = this.#waiter;
    if (waiter === undefined) {
      this.#items.push(item);
      return;
    }
    this.#waiter = undefined;
    this.#held = item;
    waiter({ value: item, done: false });
  }

  end(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      this.#release?.(held);
    }
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      this.#head++;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#head = 0;
      }
      this.#held = item;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/** One body: its chunks, views of read buffers, each lent until the reader's next step. */
class Body extends Queue<Buffer> {
  /** The body's chunks (the body is its own iterator). */
  chunks(): AsyncIterableIterator<Buffer> {
    return this;
  }
}

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Logs in, EXAMINEs `mailbox`, then times `command` (without tag, a FETCH of bodies) with the
 * benchmark's consumer loop until the loop ends after the tagged completion.
 */
export async function runFloor(target: RawTarget, mailbox: string, command: string): Promise<FloorResult> {
  const pool = new Map<ArrayBufferLike, ReadBuffer>();
  let reading: ReadBuffer | undefined;
  const release = (chunk: Buffer): void => {
    pool.get(chunk.buffer)!.views--;
  };
  const onread = {
    // The next read goes into a buffer no chunk views any more (a new one while all are lent).
    buffer: (): Buffer => {
      reading = undefined;
      for (const candidate of pool.values()) {
        if (candidate.views === 0) {
          reading = candidate;
          break;
        }
      }
      if (reading === undefined) {
        reading = { bytes: Buffer.allocUnsafeSlow(READ_SIZE), views: 0 };
        pool.set(reading.bytes.buffer, reading);
      }
      return reading.bytes;
    },
    callback: (size: number): boolean => {
      try {
        tokenizer.push(reading!.bytes.subarray(0, size));
      } catch (error) {
        // A refused line (a failed fetch, bytes out of place) ends the run with that error.
        failure ??= error instanceof Error ? error : new Error(String(error));
        socket.destroy();
      }
      return true;
    },
  };

  let lineWaiter: ((line: string) => void) | undefined;
  const messages = new Queue<Body>();
  let fetching = false;
  let body: Body | undefined;
  const tokenizer = new Tokenizer(
    {
      onLine(bytes: Uint8Array, literal: LiteralHeader | null): void {
        if (literal !== null) {
          if (!fetching) throw new Error('unexpected literal outside the measured fetch');
          body = new Body(release);
          messages.push(body);
          return;
        }
        const text = (): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
        if (fetching) {
          // `)` after each body, then the tagged completion `f3 OK ...`.
          if (bytes[0] !== 0x66) return;
          const line = text();
          if (!line.startsWith('f3 OK')) throw new Error(`${command}: ${line}`);
          messages.end();
          return;
        }
        const line = text();
        lineWaiter?.(line);
      },
      onLiteralData(bytes: Uint8Array): void {
        reading!.views++;
        body!.push(bytes as Buffer);
      },
      onLiteralEnd(): void {
        body!.end();
        body = undefined;
      },
      onDataChunk(): void {
        throw new Error('no POP3 data in IMAP');
      },
      onDataEnd(): void {
        throw new Error('no POP3 data in IMAP');
      },
    },
    { literals: true },
  );

  const socket = target.tls
    ? tls.connect({ host: target.host, port: target.port, ca: target.ca, servername: target.servername, onread } as tls.ConnectionOptions)
    : net.connect({ host: target.host, port: target.port, onread });
  socket.setNoDelay(true);
  let failure: Error | undefined;
  /** Fails the exchange waiting for a line, if any, when the connection ends. */
  let failWait: ((error: Error) => void) | undefined;
  socket.on('error', (error) => {
    failure ??= error;
  });
  socket.on('close', () => {
    failure ??= new Error('connection closed');
    lineWaiter = undefined;
    failWait?.(failure);
    failWait = undefined;
    // A fetch cut short ends both loops; the failure is thrown after them.
    body?.end();
    messages.end();
  });

  /** Resolves with the first line `accept` takes (the greeting, a tagged completion). */
  const waitLine = (accept: (line: string) => boolean): Promise<string> =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      failWait = reject;
      lineWaiter = (line) => {
        if (!accept(line)) return;
        lineWaiter = undefined;
        failWait = undefined;
        resolve(line);
      };
    });
  const greeting = await waitLine(() => true);
  if (!greeting.startsWith('* OK')) throw new Error(`greeting: ${greeting}`);
  const exchange = async (tag: string, text: string): Promise<void> => {
    const done = waitLine((line) => line.startsWith(`${tag} `));
    socket.write(`${tag} ${text}\r\n`);
    const line = await done;
    if (!line.startsWith(`${tag} OK`)) throw new Error(`${text.split(' ')[0]!}: ${line}`);
  };
  await exchange('f1', `LOGIN ${quoted(target.username)} ${quoted(target.password)}`);
  await exchange('f2', `EXAMINE ${quoted(mailbox)}`);

  fetching = true;
  const started = performance.now();
  socket.write(`f3 ${command}\r\n`);
  let count = 0;
  let bytes = 0;
  // The benchmark's loop (bench/imap.ts mailwireBodies), over the bare iterators.
  for await (const message of messages) {
    for await (const chunk of message.chunks()) bytes += chunk.length;
    count++;
  }
  const ms = performance.now() - started;
  fetching = false;
  if (failure !== undefined) throw failure;
  socket.end('f4 LOGOUT\r\n');
  return { ms, messages: count, bytes };
}
