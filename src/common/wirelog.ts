/**
 * Formatting of the wire log: what the `Transport` reports to a `WireLogger`.
 *
 * Nothing in this module runs when no logger is configured: the transport only creates a
 * `ClientLineLog` when the caller passed one.
 *
 * @packageDocumentation
 */
import { Secret } from './secret.js';

/** One entry of the wire log. */
export interface WireLogEntry {
  /**
   * Who produced the text: `'client'` for a line mailwire sent, `'server'` for a line the server
   * sent (as decoded by the protocol layer), `'info'` for a connection event (connected, TLS
   * established, upgrade, closed).
   */
  readonly direction: 'client' | 'server' | 'info';
  /** The line without its line break, or a description of the event. Never holds a {@link Secret}'s value. */
  readonly text: string;
}

/**
 * Receives wire log entries. It is called synchronously on the connection's hot path, so it
 * should be cheap; an exception it throws is ignored.
 *
 * @example
 * ```ts
 * const logger: WireLogger = ({ direction, text }) => {
 *   console.error(`${direction === 'client' ? 'C:' : direction === 'server' ? 'S:' : '*'} ${text}`);
 * };
 * ```
 */
export type WireLogger = (entry: WireLogEntry) => void;

/**
 * One piece of an outgoing command.
 *
 * - `string`: text, sent as UTF-8 and logged as it is;
 * - `Uint8Array`: raw bytes (literal data, a message body), sent unchanged and logged as
 *   `{N bytes}`; its content is never inspected, so line breaks inside it do not end a log line.
 *   Byte parts that follow each other directly, in one write or in successive writes (a literal
 *   streamed chunk by chunk), are logged as one `{N bytes}` with their total;
 * - {@link Secret}: sent as its UTF-8 value and logged as `<redacted>`.
 */
export type WirePart = string | Uint8Array | Secret;

/** What a {@link Secret} part looks like in the wire log. */
const REDACTED = '<redacted>';

/**
 * Turns the parts of successive writes into one `'client'` entry per line.
 *
 * The rule, kept simple so the log is predictable:
 * - only line feeds inside `string` parts end a line; a CR right before the LF is dropped;
 * - a `Uint8Array` part adds `{N bytes}` to the current line (a run of them, even across writes,
 *   adds one `{N bytes}` with their total), a {@link Secret} part `<redacted>`;
 * - text after the last line feed of a write is held and continues the next write's first line
 *   (an IMAP literal sent in its own write joins the line that carries its trailing CRLF);
 *   {@link ClientLineLog.flush} emits held text as an entry of its own (the transport does so when
 *   the connection closes or is upgraded to TLS).
 *
 * @internal
 */
export class ClientLineLog {
  readonly #emit: WireLogger;
  #pending = '';
  /** The length of the run of byte parts that ends the held text (not yet written into it), or null. */
  #byteRun: number | null = null;

  /** @param emit - receives the finished entries. */
  constructor(emit: WireLogger) {
    this.#emit = emit;
  }

  /** Adds the parts of one write. */
  write(parts: readonly WirePart[]): void {
    for (const part of parts) {
      if (part instanceof Uint8Array) {
        this.#byteRun = (this.#byteRun ?? 0) + part.byteLength;
        continue;
      }
      this.#endByteRun();
      if (typeof part === 'string') this.#text(part);
      else this.#pending += REDACTED;
    }
  }

  /** Emits the held partial line, if any. */
  flush(): void {
    this.#endByteRun();
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#emit({ direction: 'client', text });
  }

  #endByteRun(): void {
    if (this.#byteRun === null) return;
    this.#pending += `{${this.#byteRun} bytes}`;
    this.#byteRun = null;
  }

  #text(text: string): void {
    let start = 0;
    for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', start)) {
      let line = this.#pending + text.slice(start, lf);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.#pending = '';
      this.#emit({ direction: 'client', text: line });
      start = lf + 1;
    }
    if (start < text.length) this.#pending += text.slice(start);
  }
}
