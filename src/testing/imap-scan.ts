/**
 * Finds IMAP tags in a byte stream, one direction of a connection, chunk by chunk: the first word
 * of a line that is not inside a literal, when a space follows it and it has the shape of a tag
 * (RFC 9051 `tag = 1*<any ASTRING-CHAR except "+">`). The recorder renames tags to `A1`, `A2`...
 * with it; the replay finds the tags of a transcript with it.
 *
 * Client lines that are not commands (`DONE`, a SASL response, `*`) and server lines `* ...` and
 * `+ ...` never match: they have no space after a tag-shaped first word, or start with `*`/`+`.
 * One untagged response names a command's tag inside: the correlator of ESEARCH (RFC 4731
 * `search-correlator = SP "(" "TAG" SP tag-string ")"`), `* ESEARCH (TAG "A5") ...`, whose tag is
 * found too.
 *
 * @packageDocumentation
 * @internal
 */

/** Receives the scanned stream: bytes as they are, and each tag in place of its bytes. */
export interface TagSink {
  /** Bytes that are not a tag (a view: copy to keep). */
  bytes(bytes: Uint8Array): void;
  /**
   * A tag: at the start of a line (the space after it follows as bytes), or inside the quotes of an
   * ESEARCH correlator (the closing quote follows as bytes).
   */
  tag(tag: string): void;
  /** An opaque piece (a secret) passed through {@link ImapTagScanner.opaque}. */
  opaque?(): void;
  /** A literal of `size` bytes starts after the line just scanned (called after its bytes). */
  literalStart?(size: number): void;
  /** Bytes of a literal; without this callback they go to {@link TagSink.bytes}. */
  literalBytes?(bytes: Uint8Array): void;
  /** The literal that started last is complete. */
  literalEnd?(): void;
}

/** The longest tag recognised; a longer first word is left alone. */
const MAX_TAG = 64;
/** How much of a line's end is kept to recognise a literal announcement across chunks. */
const TAIL = 32;
const LITERAL_AT_END = /~?\{(\d{1,16})\+?\}\r?$/;
/** The start of an ESEARCH response with a correlator, upper-cased: a tag follows (RFC 4731). */
const CORRELATOR_PREFIX = '* ESEARCH (TAG "';

/** True for a byte allowed in a tag: ASTRING-CHAR except `+` (RFC 9051 section 9). */
export function isTagByte(byte: number): boolean {
  if (byte <= 0x20 || byte >= 0x7f) return false;
  // atom-specials "(" ")" "{" SP CTL "%" "*" DQUOTE "\" and the excluded "+"; "]" is allowed.
  return byte !== 0x28 && byte !== 0x29 && byte !== 0x7b && byte !== 0x25 && byte !== 0x2a && byte !== 0x22 && byte !== 0x5c && byte !== 0x2b;
}

/**
 * A streaming scanner of one direction. Keeps the literal state across chunks, and holds back the
 * start of a line until its first word is complete (at most {@link MAX_TAG} bytes).
 */
export class ImapTagScanner {
  #atLineStart = true;
  #literalRemaining = 0;
  #literalSize = 0;
  #tail = '';
  #head: number[] = [];
  /** How much of the line matched {@link CORRELATOR_PREFIX} so far; undefined once it cannot. */
  #correlatorPrefix: number | undefined;
  /** The head being collected is an ESEARCH correlator's tag, which ends at a quote. */
  #inCorrelator = false;

  /**
   * Scans bytes.
   *
   * @param bytes - the next bytes of the stream.
   * @param sink - receives the result.
   */
  push(bytes: Uint8Array, sink: TagSink): void {
    let index = 0;
    let runStart = 0;
    const flush = (end: number): void => {
      if (end > runStart) sink.bytes(bytes.subarray(runStart, end));
    };
    while (index < bytes.length) {
      if (this.#literalRemaining > 0) {
        const take = Math.min(this.#literalRemaining, bytes.length - index);
        this.#literalRemaining -= take;
        if (sink.literalBytes !== undefined) {
          flush(index);
          sink.literalBytes(bytes.subarray(index, index + take));
          runStart = index + take;
        }
        index += take;
        if (this.#literalRemaining === 0) {
          flush(index);
          runStart = index;
          sink.literalEnd?.();
        }
        continue;
      }
      if (this.#atLineStart || this.#inCorrelator) {
        // Collect the first word of the line, or the correlator's tag.
        flush(index);
        while (index < bytes.length && isTagByte(bytes[index]!) && this.#head.length <= MAX_TAG) {
          this.#head.push(bytes[index]!);
          index++;
        }
        runStart = index;
        if (index === bytes.length && this.#head.length <= MAX_TAG) return; // wait for the rest of the word
        const head = this.#head;
        this.#head = [];
        const word = String.fromCharCode(...head);
        const terminator = this.#atLineStart ? 0x20 : 0x22;
        if (head.length > 0 && head.length <= MAX_TAG && bytes[index] === terminator) sink.tag(word);
        else if (head.length > 0) sink.bytes(Uint8Array.from(head));
        this.#correlatorPrefix = this.#atLineStart && head.length === 0 ? 0 : undefined;
        this.#tail = this.#atLineStart ? word.slice(-TAIL) : (this.#tail + word).slice(-TAIL);
        this.#atLineStart = false;
        this.#inCorrelator = false;
        continue;
      }
      if (this.#correlatorPrefix !== undefined) {
        // Byte by byte while the line may still be `* ESEARCH (TAG "`.
        const byte = bytes[index]!;
        const upper = byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte;
        if (upper !== CORRELATOR_PREFIX.charCodeAt(this.#correlatorPrefix)) {
          this.#correlatorPrefix = undefined;
          continue;
        }
        this.#tail = (this.#tail + String.fromCharCode(byte)).slice(-TAIL);
        index++;
        if (++this.#correlatorPrefix === CORRELATOR_PREFIX.length) {
          this.#correlatorPrefix = undefined;
          this.#inCorrelator = true;
        }
        continue;
      }
      const lf = bytes.indexOf(10, index);
      const end = lf === -1 ? bytes.length : lf;
      this.#tail = (this.#tail + Buffer.from(bytes.buffer, bytes.byteOffset + index, end - index).toString('latin1')).slice(-TAIL);
      if (lf === -1) {
        index = bytes.length;
        break;
      }
      index = lf + 1;
      const literal = LITERAL_AT_END.exec(this.#tail);
      this.#tail = '';
      if (literal === null) {
        this.#atLineStart = true;
        flush(index);
        runStart = index;
      } else {
        // The line continues after the literal's bytes.
        this.#literalRemaining = Number(literal[1]);
        this.#literalSize = this.#literalRemaining;
        flush(index);
        runStart = index;
        sink.literalStart?.(this.#literalRemaining);
        if (this.#literalRemaining === 0) sink.literalEnd?.();
      }
    }
    flush(index);
  }

  /**
   * An opaque piece (a redacted secret): it ends a held line start. Inside a literal, a piece of
   * unknown content (a Secret sent as a literal) is taken to fill the rest of the literal; one whose
   * bytes are known (a `redact` value inside a message body) counts for its length, and the literal
   * goes on after it.
   *
   * @param sink - receives the opaque piece.
   * @param bytes - the piece's bytes, when known: they are not passed to the sink.
   */
  opaque(sink: TagSink, bytes?: Uint8Array): void {
    this.#releaseHead(sink);
    sink.opaque?.();
    if (this.#literalRemaining > 0 && bytes !== undefined && bytes.length < this.#literalRemaining) {
      this.#literalRemaining -= bytes.length;
      return;
    }
    this.#literalRemaining = 0;
    this.#atLineStart = false;
    this.#tail += '?';
  }

  /**
   * True inside a literal after some of its bytes: an opaque piece here is part of its content (a
   * `redact` value in a message body), not the whole of it (a Secret sent as a literal).
   */
  get midLiteral(): boolean {
    return this.#literalRemaining > 0 && this.#literalRemaining < this.#literalSize;
  }

  /** Emits a held line start as plain bytes (end of stream). */
  end(sink: TagSink): void {
    this.#releaseHead(sink);
  }

  #releaseHead(sink: TagSink): void {
    this.#inCorrelator = false;
    this.#correlatorPrefix = undefined;
    if (this.#head.length === 0) return;
    const head = Uint8Array.from(this.#head);
    this.#head = [];
    this.#atLineStart = false;
    this.#tail = String.fromCharCode(...head).slice(-TAIL);
    sink.bytes(head);
  }
}
