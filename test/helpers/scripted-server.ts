/**
 * A byte-level server driven by a script of expected client lines and server bytes, on 127.0.0.1
 * with an ephemeral port, one connection per server: the fake server of the IMAP and POP3 unit tests
 * (their own files add each protocol's usual session start).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { testCertificate } from './tls-cert.js';

export type Step =
  | { readonly kind: 'expect'; readonly line: string | RegExp }
  | { readonly kind: 'send'; readonly data: Uint8Array }
  | { readonly kind: 'reply'; readonly make: (received: readonly string[]) => string }
  | { readonly kind: 'pause'; readonly ms: number }
  | { readonly kind: 'quiet'; readonly ms: number }
  | { readonly kind: 'until'; readonly condition: () => boolean }
  | { readonly kind: 'hangUp' }
  | { readonly kind: 'startTls'; readonly delayMs: number }
  | { readonly kind: 'waitEnd' };

/** The client must send this line next (without CRLF). */
export const C = (line: string | RegExp): Step => ({ kind: 'expect', line });
/** The server sends these lines, each with CRLF, in one write. */
export const S = (...lines: string[]): Step => raw(lines.map((line) => `${line}\r\n`).join(''));
/** The server sends these bytes exactly, in one write. */
export const raw = (data: string | Uint8Array): Step => ({
  kind: 'send',
  data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
});
/** The server sends what `make` computes from the lines received so far (a SASL challenge on the client's nonce). */
export const reply = (make: (received: readonly string[]) => string): Step => ({ kind: 'reply', make });
/**
 * A SCRAM server-first-message (RFC 5802) answering the client-first-message at the end of the
 * last line received (`AUTHENTICATE SCRAM-SHA-256 <base64>`, `AUTH SCRAM-SHA-256 <base64>`), as a
 * `+ <base64>` line asking for `iterations` rounds.
 */
export function scramServerFirst(iterations: number): (received: readonly string[]) => string {
  return (received) => {
    const clientFirst = Buffer.from(received.at(-1)!.split(' ').at(-1)!, 'base64').toString('utf8');
    const nonce = /(?:^|,)r=([^,]+)/.exec(clientFirst)?.[1] ?? '';
    const serverFirst = `r=${nonce}server,s=${Buffer.from('salt').toString('base64')},i=${iterations}`;
    return `+ ${Buffer.from(serverFirst).toString('base64')}\r\n`;
  };
}

/** The server waits. */
export const pause = (ms: number): Step => ({ kind: 'pause', ms });
/** The client must send nothing for `ms` (proves it waits). */
export const quiet = (ms = 60): Step => ({ kind: 'quiet', ms });
/** The server waits until the condition holds (polled every 5 ms). */
export const until = (condition: () => boolean): Step => ({ kind: 'until', condition });
/** The server closes the connection at once. */
export const hangUp = (): Step => ({ kind: 'hangUp' });
/**
 * The server starts TLS on the connection (STARTTLS, STLS), as the TLS server, with the certificate
 * of {@link testCertificate} (trust it with `tlsOptions: { ca: testCertificate().cert }`): put it
 * right after the step that sends the go-ahead. With `delayMs`, the server waits that long before
 * it answers the client's hello, a slow handshake. The step ends when the handshake is done (or
 * failed: the next step then finds the client gone); the following steps speak TLS.
 */
export const startTls = (delayMs = 0): Step => ({ kind: 'startTls', delayMs });
/** The server waits for the client to close. */
export const waitEnd = (): Step => ({ kind: 'waitEnd' });

/** Sends `data` in pieces cut at `offsets`, pausing between them so they arrive as separate reads. */
export function splitAt(data: string | Uint8Array, offsets: readonly number[], ms = 3): Step[] {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const steps: Step[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    if (offset > start) {
      if (steps.length > 0) steps.push(pause(ms));
      steps.push(raw(bytes.subarray(start, offset)));
      start = offset;
    }
  }
  return steps;
}

export interface FakeServer {
  readonly port: number;
  /** Every line the client sent, in order. */
  readonly received: string[];
  /** Resolves when the script ran to its end; rejects on the first mismatch. */
  readonly done: Promise<void>;
  /** The accepted socket, once connected. */
  readonly socket: () => net.Socket | undefined;
  close(): Promise<void>;
}

export async function startFakeServer(script: readonly Step[]): Promise<FakeServer> {
  const received: string[] = [];
  let connection: net.Socket | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);

  const server = net.createServer((socket) => {
    if (connection !== undefined) {
      socket.destroy();
      return;
    }
    connection = socket;
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let buffered = '';
    const lines: string[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('latin1');
      for (let lf = buffered.indexOf('\n'); lf !== -1; lf = buffered.indexOf('\n')) {
        const line = buffered.slice(0, lf).replace(/\r$/, '');
        buffered = buffered.slice(lf + 1);
        received.push(line);
        lines.push(line);
      }
      wake?.();
    };
    socket.on('data', onData);
    /** Where the script writes: the TCP socket, or the TLS socket over it after a startTls step. */
    let stream: net.Socket = socket;
    socket.on('close', () => {
      ended = true;
      wake?.();
    });
    const waitFor = async (condition: () => boolean): Promise<void> => {
      while (!condition()) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    };
    const run = async (): Promise<void> => {
      for (const [index, step] of script.entries()) {
        switch (step.kind) {
          case 'expect': {
            await waitFor(() => lines.length > 0 || ended);
            const line = lines.shift();
            if (line === undefined) throw new Error(`step ${index}: expected ${String(step.line)}, but the client closed`);
            const ok = typeof step.line === 'string' ? line === step.line : step.line.test(line);
            if (!ok) throw new Error(`step ${index}: expected ${String(step.line)}, got ${JSON.stringify(line)}`);
            break;
          }
          case 'send':
            if (!stream.destroyed) stream.write(step.data);
            break;
          case 'reply':
            if (!stream.destroyed) stream.write(step.make(received));
            break;
          case 'startTls': {
            // Paused first, in the tick of the go-ahead: the client's hello must reach TLS, not the line reader.
            socket.pause();
            socket.removeListener('data', onData);
            if (step.delayMs > 0) await sleep(step.delayMs);
            const { key, cert } = testCertificate();
            const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
            secure.on('error', () => undefined);
            secure.on('data', onData);
            stream = secure;
            await new Promise<void>((resolve) => {
              secure.once('secure', resolve);
              secure.once('close', resolve);
            });
            break;
          }
          case 'pause':
            await sleep(step.ms);
            break;
          case 'quiet':
            await sleep(step.ms);
            if (lines.length > 0) throw new Error(`step ${index}: the client sent ${JSON.stringify(lines[0])} too early`);
            break;
          case 'until':
            while (!step.condition()) await sleep(5);
            break;
          case 'hangUp':
            socket.destroy();
            return;
          case 'waitEnd':
            await waitFor(() => ended);
            return;
        }
      }
    };
    run().then(resolveDone, (error: unknown) => {
      socket.destroy();
      rejectDone(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    received,
    done,
    socket: () => connection,
    close: async () => {
      connection?.destroy();
      await new Promise<void>((resolve) => server.close(() => {
        resolve();
      }));
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
