/**
 * Synthetic server output for benchmarks: IMAP FETCH responses and POP3 RETR data, as bytes,
 * plus the chunking a socket would deliver them in. Deterministic, so every run sees the same input.
 */

const encoder = new TextEncoder();

/**
 * A body of `size` bytes (at least 2): text lines of up to 76 characters with CRLF, a few starting
 * with "." or "From ", ending with CRLF.
 */
export function messageBody(size: number, seed = 0): Uint8Array {
  const lines: string[] = [];
  let length = 0;
  for (let index = 0; length < size; index++) {
    const n = (index + seed) % 97;
    const lead = n === 13 ? '.' : n === 41 ? 'From ' : '';
    const line = `${lead}Line ${index} of message ${seed}: the quick brown fox jumps over the lazy dog 0123456789`
      .slice(0, 76);
    lines.push(line);
    length += line.length + 2;
  }
  const bytes = encoder.encode(`${lines.join('\r\n')}\r\n`).subarray(0, size);
  bytes[size - 2] = 0x0d;
  bytes[size - 1] = 0x0a;
  return bytes;
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** What a fixture holds, for verifying that a framer saw all of it. */
export interface FixtureCounts {
  /** Complete responses (IMAP) or RETR responses (POP3), the tagged completion included. */
  readonly responses: number;
  /** Bytes inside literals (IMAP) or dot-unstuffed data (POP3). */
  readonly payloadBytes: number;
}

/** A fixture: the bytes a server sends, and what they contain. */
export interface Fixture extends FixtureCounts {
  /** The whole server output. */
  readonly bytes: Uint8Array;
}

/**
 * `count` responses to `UID FETCH 1:* BODY.PEEK[]`, each with a `bodySize`-byte literal, then the
 * tagged OK (scenario (c) of BENCHMARKS.md at the defaults).
 */
export function literalHeavyFetch(count = 1000, bodySize = 100 * 1024): Fixture {
  const parts: Uint8Array[] = [];
  for (let seq = 1; seq <= count; seq++) {
    parts.push(encoder.encode(`* ${seq} FETCH (UID ${seq} BODY[] {${bodySize}}\r\n`), messageBody(bodySize, seq), encoder.encode(')\r\n'));
  }
  parts.push(encoder.encode('A1 OK Fetch completed (0.001 + 0.000 secs).\r\n'));
  return { bytes: join(parts), responses: count + 1, payloadBytes: count * bodySize };
}

/**
 * `count` responses to `UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)`, every tenth with its
 * subject sent as a literal (as servers do for 8-bit or quoted-special text), then the tagged OK
 * (scenario (a) of BENCHMARKS.md).
 */
export function lineHeavyFetch(count = 10_000): Fixture {
  const parts: string[] = [];
  let payloadBytes = 0;
  for (let seq = 1; seq <= count; seq++) {
    const plainSubject = `"Re: quarterly report ${seq} and the \\"numbers\\""`;
    let subject = plainSubject;
    if (seq % 10 === 0) {
      const literal = `Re: r\u00e9sum\u00e9 ${seq} \u2013 \u00fcber "quoted"`;
      const size = encoder.encode(literal).length;
      subject = `{${size}}\r\n${literal}`;
      payloadBytes += size;
    }
    parts.push(
      `* ${seq} FETCH (UID ${seq + 1000} FLAGS (\\Seen $NotJunk) RFC822.SIZE ${1234 + seq} ENVELOPE ` +
        `("Mon, 7 Feb 1994 21:52:25 -0800" ${subject} (("Terry Gray" NIL "gray" "cac.washington.edu")) ` +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
        '((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) ' +
        `NIL NIL "<B27397-0100000@cac.washington.edu.${seq}>"))\r\n`,
    );
  }
  parts.push('A1 OK Fetch completed (0.001 + 0.000 secs).\r\n');
  return { bytes: encoder.encode(parts.join('')), responses: count + 1, payloadBytes };
}

/**
 * `count` pipelined POP3 `RETR` answers of `messageSize` bytes each (before dot-stuffing), like
 * the POP3 scenario of BENCHMARKS.md.
 */
export function pop3Retr(count = 1000, messageSize = 50 * 1024): Fixture {
  const parts: Uint8Array[] = [];
  let payloadBytes = 0;
  for (let index = 1; index <= count; index++) {
    const body = messageBody(messageSize, index);
    const stuffed = Buffer.from(body).toString('latin1').replace(/^\./gm, '..');
    payloadBytes += body.length;
    parts.push(encoder.encode(`+OK ${messageSize} octets\r\n`), Buffer.from(`${stuffed}.\r\n`, 'latin1'));
  }
  return { bytes: join(parts), responses: count, payloadBytes };
}

/** `bytes` cut into `size`-byte views, as a socket delivers them (64 KiB by default). */
export function chunked(bytes: Uint8Array, size = 64 * 1024): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
  return chunks;
}
