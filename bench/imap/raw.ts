/**
 * The "raw" contender of bench/imap.ts: a minimal IMAP client on a Node socket that logs in, opens
 * a mailbox, writes one command and only frames the answer (lines and literals) and counts bytes
 * and responses until the tagged completion. It is the physical limit on this machine: no parsing,
 * no allocation per response, one reused 64 KiB read buffer (`onread`) like mailwire's transport.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';

/** What the raw client saw. */
export interface RawResult {
  /** Milliseconds from writing the command to reading its tagged completion. */
  readonly ms: number;
  /** Untagged FETCH responses (`* n FETCH ...`) received. */
  readonly responses: number;
  /** Bytes inside literals. */
  readonly literalBytes: number;
  /** Every byte received for the command. */
  readonly bytes: number;
}

/** Where to connect and as whom. */
export interface RawTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly ca: string;
  readonly servername: string;
  readonly username: string;
  readonly password: string;
}

const LF = 0x0a;
const CR = 0x0d;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACE = 0x7b;

/**
 * Frames IMAP server output: finds line ends with `indexOf`, skips literal bytes without looking
 * at them, and reports each complete response's first bytes (enough to see `*` or the tag).
 */
class Framer {
  literalRemaining = 0;
  literalBytes = 0;
  responses = 0;
  fetches = 0;
  /** The first bytes of the response being read (it may span chunks and literals). */
  private head = '';
  /** The last bytes of the current line segment when it spans chunks (to see a `{n}` at its end). */
  private tail: Buffer = Buffer.alloc(0);

  /** Called with the first bytes of every complete response. */
  onResponse: (head: string) => void = () => undefined;

  push(chunk: Buffer): void {
    let position = 0;
    const length = chunk.length;
    while (position < length) {
      if (this.literalRemaining > 0) {
        const take = Math.min(this.literalRemaining, length - position);
        this.literalRemaining -= take;
        this.literalBytes += take;
        position += take;
        continue;
      }
      if (this.head.length < 16) this.head += chunk.toString('latin1', position, Math.min(length, position + 16 - this.head.length));
      const lf = chunk.indexOf(LF, position);
      if (lf === -1) {
        const rest = chunk.subarray(Math.max(position, length - 24));
        this.tail = this.tail.length === 0 ? Buffer.from(rest) : Buffer.concat([this.tail, rest]).subarray(-24);
        return;
      }
      const literal = this.literalAt(chunk, position, lf);
      this.tail = Buffer.alloc(0);
      position = lf + 1;
      if (literal >= 0) {
        // The response continues after the literal's bytes.
        this.literalRemaining = literal;
        continue;
      }
      this.responses++;
      if (/^\* \d+ FETCH/.test(this.head)) this.fetches++;
      this.onResponse(this.head);
      this.head = '';
    }
  }

  /** The size of a literal announced at the end of the line segment `[start, lf)`, or -1. */
  private literalAt(chunk: Buffer, start: number, lf: number): number {
    let view: Buffer;
    let end: number;
    if (this.tail.length > 0 && lf - start < 24) {
      view = Buffer.concat([this.tail, chunk.subarray(start, lf)]);
      end = view.length;
    } else {
      view = chunk;
      end = lf;
    }
    if (end > 0 && view[end - 1] === CR) end--;
    if (end === 0 || view[end - 1] !== CLOSE_BRACE) return -1;
    let index = end - 2;
    if (view[index] === 0x2b) index--; // {n+}
    let size = 0;
    let scale = 1;
    let digits = 0;
    while (index >= 0 && view[index]! >= 0x30 && view[index]! <= 0x39) {
      size += (view[index]! - 0x30) * scale;
      scale *= 10;
      index--;
      digits++;
    }
    return digits > 0 && index >= 0 && view[index] === OPEN_BRACE ? size : -1;
  }
}

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Logs in, EXAMINEs `mailbox`, then times `command` (without tag) until its tagged completion.
 *
 * @param target - server and credentials.
 * @param mailbox - the mailbox to open read-only.
 * @param command - e.g. `UID FETCH 1:* (UID FLAGS)`.
 */
export async function runRaw(target: RawTarget, mailbox: string, command: string): Promise<RawResult> {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let onChunk: (chunk: Buffer) => void = () => undefined;
  const onread = {
    buffer,
    callback: (size: number): boolean => {
      onChunk(buffer.subarray(0, size));
      return true;
    },
  };
  const socket = target.tls
    ? tls.connect({ host: target.host, port: target.port, ca: target.ca, servername: target.servername, onread } as tls.ConnectionOptions)
    : net.connect({ host: target.host, port: target.port, onread });
  socket.setNoDelay(true);
  socket.on('error', () => undefined);

  /** Runs one tagged command with the framer and resolves at its completion. */
  const exchange = (tag: string, text: string | null, framer?: Framer): Promise<{ bytes: number; status: string }> =>
    new Promise((resolve, reject) => {
      let bytes = 0;
      let done = false;
      const active = framer ?? new Framer();
      function check(head: string): void {
        if (done) return;
        if (text === null ? head.startsWith('* ') : head.startsWith(`${tag} `)) {
          done = true;
          const status = head.slice(text === null ? 2 : tag.length + 1).split(' ')[0] ?? '';
          resolve({ bytes, status });
        }
      }
      active.onResponse = check;
      onChunk = (chunk) => {
        bytes += chunk.length;
        active.push(chunk);
      };
      socket.once('close', () => {
        if (!done) reject(new Error(`connection closed during ${tag}`));
      });
      if (text !== null) socket.write(`${tag} ${text}\r\n`);
    });

  const greeting = await exchange('*', null);
  if (greeting.status !== 'OK') throw new Error(`greeting: ${greeting.status}`);
  const login = await exchange('a1', `LOGIN ${quoted(target.username)} ${quoted(target.password)}`);
  if (login.status !== 'OK') throw new Error('LOGIN failed');
  const examine = await exchange('a2', `EXAMINE ${quoted(mailbox)}`);
  if (examine.status !== 'OK') throw new Error('EXAMINE failed');

  const framer = new Framer();
  const started = performance.now();
  const fetched = await exchange('a3', command, framer);
  const ms = performance.now() - started;
  if (fetched.status !== 'OK') throw new Error(`${command}: ${fetched.status}`);
  socket.end('a4 LOGOUT\r\n');
  return { ms, responses: framer.fetches, literalBytes: framer.literalBytes, bytes: fetched.bytes };
}
