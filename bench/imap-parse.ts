/**
 * Micro-benchmark of the IMAP response parser: 10,000 typical FETCH responses
 * (`UID FLAGS RFC822.SIZE MODSEQ ENVELOPE`) through the real Tokenizer and the ResponseAssembler.
 *
 * Run: node --import tsx bench/imap-parse.ts
 */
import { Tokenizer } from '../src/common/tokenizer.js';
import { ResponseAssembler } from '../src/imap/wire/assembler.js';

const COUNT = 10_000;
const ROUNDS = 7;

function fetchLine(n: number, encodedSubject: boolean): string {
  const subject = encodedSubject ? `=?UTF-8?Q?Re:_Gr=C3=BC=C3=9Fe_aus_Berlin?= #${n}` : `Re: Greetings from Berlin #${n}`;
  return (
    `* ${n} FETCH (UID ${n + 1000} FLAGS (\\Seen $Forwarded) RFC822.SIZE ${1234 + n} MODSEQ (${5 + n}) ` +
    `ENVELOPE ("Mon, 7 Feb 2024 21:52:25 +0100" "${subject}" ` +
    `(("Alice Example" NIL "alice" "example.com")) (("Alice Example" NIL "alice" "example.com")) ` +
    `(("Alice Example" NIL "alice" "example.com")) ((NIL NIL "bob" "example.org")("Carol" NIL "carol" "example.net")) ` +
    `NIL NIL "<prev-${n}@example.com>" "<msg-${n}@example.com>"))\r\n`
  );
}

const CHUNK = 64 * 1024;

function run(input: Buffer): number {
  let count = 0;
  const assembler = new ResponseAssembler({
    onResponse: (response) => {
      if (response.kind === 'fetch') count++;
    },
    onResponseError: (error) => {
      throw error;
    },
  });
  const tokenizer = new Tokenizer(assembler, { literals: true });
  const started = process.hrtime.bigint();
  for (let offset = 0; offset < input.length; offset += CHUNK) tokenizer.push(input.subarray(offset, offset + CHUNK));
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  if (count !== COUNT) throw new Error(`parsed ${count} of ${COUNT}`);
  return elapsed;
}

for (const encodedSubject of [false, true]) {
  const input = Buffer.from(Array.from({ length: COUNT }, (_, i) => fetchLine(i + 1, encodedSubject)).join(''));
  run(input); // warm-up
  const times = Array.from({ length: ROUNDS }, () => run(input)).sort((a, b) => a - b);
  const median = times[Math.floor(ROUNDS / 2)]!;
  console.log(
    `imap-parse (${encodedSubject ? 'RFC 2047 subject' : 'plain subject'}): ${COUNT} FETCH responses ` +
      `(${(input.length / COUNT).toFixed(0)} bytes each), median ${(median / 1000).toFixed(1)} ms, ` +
      `${(median / COUNT).toFixed(2)} µs/response (best ${(times[0]! / COUNT).toFixed(2)})`,
  );
}
