/**
 * The POP3 wire log's view of what the server sends: status lines as text (SASL challenges by size
 * only), multi-line listings line by line, message bodies by size.
 *
 * @internal
 * @packageDocumentation
 */
import type { Connection } from '../common/connector.js';
/**
 * The wire log of multi-line data: a listing's lines as text, a message body as its size (a body is
 * the user's mail, not protocol; logging it whole would also cost as much as reading it), then ".".
 */
export class MultiLineLog {
  #text = '';
  /** Streaming: a read may end inside a multi-byte character, which the next read completes. */
  readonly #decoder = new TextDecoder();
  #bodyBytes = 0;
  #body = false;

  add(bytes: Uint8Array, body: boolean): void {
    this.#body = body;
    if (body) this.#bodyBytes += bytes.length;
    else this.#text += this.#decoder.decode(bytes, { stream: true });
  }

  flush(transport: Connection): void {
    this.#text += this.#decoder.decode(); // an incomplete character at the end, and a fresh start
    if (this.#body) transport.logServer(`{${this.#bodyBytes} bytes}`);
    else for (const line of this.#text.split(/\r?\n/)) if (line !== '') transport.logServer(line);
    transport.logServer('.');
    this.#text = '';
    this.#bodyBytes = 0;
    this.#body = false;
  }
}

/** Server lines for the wire log; SASL challenges are logged by size only. */
export function logText(bytes: Uint8Array, kind: 'ok' | 'err' | 'continue'): string {
  if (kind === 'continue') return `+ {${bytes.length} bytes}`;
  return new TextDecoder().decode(bytes);
}

