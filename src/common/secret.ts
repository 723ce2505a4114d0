import { inspect } from 'node:util';

const REDACTED = '<redacted>';

/**
 * A value that must never be printed: a password, an OAuth token, a SASL payload.
 *
 * `String(secret)`, `JSON.stringify(secret)` and `util.inspect(secret)` (and so `console.log`) all
 * print `<redacted>`; only {@link Secret.reveal} returns the value. mailwire marks every secret it
 * writes to the wire, so its wire log redacts them without guessing.
 *
 * @example
 * ```ts
 * const password = new Secret(process.env.MAIL_PASSWORD ?? '');
 * console.log(password); // Secret <redacted>
 * ```
 */
export class Secret {
  readonly #value: string;

  /** @param value - the secret text. */
  constructor(value: string) {
    this.#value = value;
  }

  /** Wraps a string as a Secret; returns a Secret unchanged. */
  static from(value: string | Secret): Secret {
    return value instanceof Secret ? value : new Secret(value);
  }

  /** Returns the secret text itself. Call it only where the value is sent. */
  reveal(): string {
    return this.#value;
  }

  /** Always `<redacted>`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `<redacted>`, so the value never reaches JSON logs. */
  toJSON(): string {
    return REDACTED;
  }

  /** @internal */
  [inspect.custom](): string {
    return `Secret ${REDACTED}`;
  }
}
