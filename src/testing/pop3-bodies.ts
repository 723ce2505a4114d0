/**
 * Finds the message bodies in a recorded POP3 session (the data after `+OK` to RETR and TOP), so
 * that the recorder can store long ones in side files.
 *
 * @packageDocumentation
 * @internal
 */

/** Receives the server's bytes, sorted. */
export interface BodySink {
  /** Bytes that are not part of a message body (a view: copy to keep). */
  bytes(bytes: Uint8Array): void;
  /** Bytes of a message body, as on the wire (dot-stuffed), without the terminator line. */
  body(bytes: Uint8Array): void;
  /** The body is complete; the terminator line follows as bytes. */
  bodyEnd(): void;
}

interface Pending {
  readonly multiline: boolean;
  readonly body: boolean;
  readonly auth: boolean;
}

const enum Dot {
  LineStart,
  Middle,
  Dot,
  DotCr,
}

/** Commands whose `+OK` is followed by multi-line data (RFC 1939, RFC 2449), by argument count. */
function multiline(keyword: string, args: number): boolean {
  if (keyword === 'RETR' || keyword === 'TOP' || keyword === 'CAPA') return true;
  return (keyword === 'LIST' || keyword === 'UIDL' || keyword === 'LANG') && args === 0;
}

/** Follows the client's commands and the server's answers, byte by byte. */
export class Pop3BodyTracker {
  #pending: Pending[] = [];
  #clientLine = '';
  #saslActive = false;
  #data = false;
  #dataIsBody = false;
  #dot = Dot.LineStart;
  #held: number[] = [];
  #statusHead = '';
  #statusAtStart = true;

  /**
   * Notes what the client sent (secrets replaced by any text).
   *
   * @param text - the client's bytes as latin1 text.
   */
  client(text: string): void {
    this.#clientLine += text;
    for (let lf = this.#clientLine.indexOf('\n'); lf !== -1; lf = this.#clientLine.indexOf('\n')) {
      const line = this.#clientLine.slice(0, lf).replace(/\r$/, '');
      this.#clientLine = this.#clientLine.slice(lf + 1);
      if (this.#saslActive) continue; // a SASL response line
      const words = line.split(' ');
      const keyword = (words[0] ?? '').toUpperCase();
      const auth = keyword === 'AUTH';
      this.#pending.push({ multiline: multiline(keyword, words.length - 1), body: keyword === 'RETR' || keyword === 'TOP', auth });
      if (auth) this.#saslActive = true;
    }
  }

  /**
   * Sorts a server chunk into body and other bytes. Up to two bytes (a possible terminator `.` CR)
   * may be held back until the next chunk.
   *
   * @param chunk - the server's bytes.
   * @param sink - receives them.
   */
  server(chunk: Uint8Array, sink: BodySink): void {
    let runStart = 0;
    let runBody = this.#data && this.#dataIsBody;
    const emit = (end: number): void => {
      if (end > runStart) {
        if (runBody) sink.body(chunk.subarray(runStart, end));
        else sink.bytes(chunk.subarray(runStart, end));
      }
      runStart = end;
    };
    const releaseHeld = (): void => {
      if (this.#held.length === 0) return;
      const held = Uint8Array.from(this.#held);
      this.#held = [];
      if (this.#dataIsBody) sink.body(held);
      else sink.bytes(held);
    };
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index]!;
      if (!this.#data) {
        if (this.#statusAtStart) this.#statusHead = '';
        if (this.#statusHead.length < 4) this.#statusHead += String.fromCharCode(byte);
        this.#statusAtStart = byte === 10;
        if (byte === 10 && this.#statusLineEnded()) {
          emit(index + 1);
          runBody = this.#dataIsBody;
        }
        continue;
      }
      switch (this.#dot) {
        case Dot.LineStart:
          if (byte === 0x2e) {
            emit(index);
            this.#held.push(byte);
            runStart = index + 1;
            this.#dot = Dot.Dot;
          } else this.#dot = byte === 10 ? Dot.LineStart : Dot.Middle;
          break;
        case Dot.Middle:
          if (byte === 10) this.#dot = Dot.LineStart;
          break;
        case Dot.Dot:
        case Dot.DotCr:
          if (byte === 13 && this.#dot === Dot.Dot) {
            this.#held.push(byte);
            runStart = index + 1;
            this.#dot = Dot.DotCr;
          } else if (byte === 10) {
            // The terminator line: the body ends before it.
            if (this.#dataIsBody) sink.bodyEnd();
            this.#held.push(byte);
            sink.bytes(Uint8Array.from(this.#held));
            this.#held = [];
            runStart = index + 1;
            runBody = false;
            this.#data = false;
            this.#statusAtStart = true;
          } else {
            // A stuffed line: what was held is data.
            releaseHeld();
            runStart = index;
            this.#dot = Dot.Middle;
          }
          break;
      }
    }
    emit(chunk.length);
  }

  /** A status line ended: true when multi-line data starts. */
  #statusLineEnded(): boolean {
    const head = this.#statusHead;
    if (head.startsWith('+ ') || head === '+\r\n' || head === '+\n') return false; // a SASL continuation
    const ok = head.startsWith('+OK');
    if (!ok && !head.startsWith('-ERR')) return false;
    const answered = this.#pending.shift();
    if (answered === undefined) return false; // the greeting
    if (answered.auth) this.#saslActive = false;
    if (!ok || !answered.multiline) return false;
    this.#data = true;
    this.#dataIsBody = answered.body;
    this.#dot = Dot.LineStart;
    return true;
  }
}
