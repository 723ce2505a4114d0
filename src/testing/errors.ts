/**
 * The errors of the test kit: a transcript that cannot be read, a client that does not do what a
 * transcript says, and a transcript that was not played to its end.
 *
 * @packageDocumentation
 */
import { MailwireError, type MailwireErrorOptions } from '../common/errors.js';

/**
 * A transcript (or one of its side files) is malformed, truncated, or cannot be replayed as
 * written. `line` is the 1-based line of the transcript at fault (0 when the fault is not on one
 * line, such as an empty file); the message starts with `file:line` when the file is known.
 *
 * Code `INVALID_ARGUMENT`: the transcript given to the test kit is unusable.
 */
export class FixtureFormatError extends MailwireError {
  /** The 1-based line of the transcript at fault; 0 when no single line is. */
  readonly line: number;
  /** The transcript's file, when it was read from one. */
  readonly file: string | undefined;

  /**
   * @param message - what is wrong.
   * @param line - the 1-based line at fault (0 for none).
   * @param file - the transcript's file name, if known.
   * @param options - optional cause.
   */
  constructor(message: string, line: number, file?: string, options?: MailwireErrorOptions) {
    super('INVALID_ARGUMENT', `${where(file, line)}${message}`, options);
    this.line = line;
    this.file = file;
  }
}

/**
 * During a replay, the client sent something else than the transcript says (or started TLS, or
 * connected, when the transcript expected otherwise). The client's pending call rejects with it
 * (through the connection's `onClose`); the message shows the expected and the actual text side by
 * side, escaped as in a transcript, and the transcript line.
 *
 * Code `PROTOCOL`: the client did not follow the recorded protocol exchange.
 */
export class FixtureMismatchError extends MailwireError {
  /** The 1-based transcript line the client's data was compared with. */
  readonly line: number;
  /** What the transcript expects, as written in it (e.g. `C: A3 FETCH 1:* (FLAGS)`). */
  readonly expected: string;
  /**
   * What the client sent instead, escaped the same way (e.g. `C: A3 FETCH 1:* (UID FLAGS)`), its
   * secrets written `<redacted>` as the recorder writes them: a LOGIN password (and a password
   * literal's size), AUTHENTICATE/AUTH initial responses and SASL responses, PASS, the APOP
   * digest, and what a `<redacted>` field of the transcript matched.
   */
  readonly actual: string;
  /** The transcript's file, when known. */
  readonly file: string | undefined;

  /**
   * @param details - the line, the expected and the actual text, and an optional reason.
   * @param options - optional cause.
   */
  constructor(
    details: { line: number; expected: string; actual: string; reason?: string; file?: string | undefined },
    options?: MailwireErrorOptions,
  ) {
    const reason = details.reason ?? 'the client sent something else than the transcript';
    super(
      'PROTOCOL',
      `${where(details.file, details.line)}replay mismatch: ${reason}\n` +
        `  expected: ${details.expected}\n` +
        `  actual:   ${details.actual}`,
      options,
    );
    this.line = details.line;
    this.expected = details.expected;
    this.actual = details.actual;
    this.file = details.file;
  }
}

/**
 * A replay ended (the test closed it, or asked whether it is done) before the transcript was played
 * to its end: the client did less than was recorded. `line` is the first line not played.
 *
 * Code `PROTOCOL`.
 */
export class FixtureUnconsumedError extends MailwireError {
  /** The first transcript line that was not played. */
  readonly line: number;
  /** That line's text. */
  readonly text: string;
  /** The transcript's file, when known. */
  readonly file: string | undefined;

  /**
   * @param line - the first line not played.
   * @param text - its text.
   * @param file - the transcript's file name, if known.
   * @param options - optional cause.
   */
  constructor(line: number, text: string, file?: string, options?: MailwireErrorOptions) {
    super('PROTOCOL', `${where(file, line)}the transcript was not played to its end; next: ${text}`, options);
    this.line = line;
    this.text = text;
    this.file = file;
  }
}

function where(file: string | undefined, line: number): string {
  if (file === undefined) return line > 0 ? `line ${line}: ` : '';
  return line > 0 ? `${file}:${line}: ` : `${file}: `;
}
