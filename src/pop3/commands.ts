/**
 * The POP3 commands, each an {@link Exchange} that encodes its line and reads its answer into a
 * typed result (RFC 1939, RFC 2449, RFC 2595, RFC 6856). RETR/TOP live in `message.ts`, AUTH in
 * `auth.ts`.
 *
 * @packageDocumentation
 */
import type { ResponseCodeName } from '../common/errors.js';
import type { Secret } from '../common/secret.js';
import {
  LineSplitter,
  encodeCommand,
  parseLanguageListing,
  parseScanListing,
  parseStat,
  parseUniqueIdListing,
  type Pop3CommandLine,
  type Pop3Language,
  type Pop3ListEntry,
  type Pop3Stat,
  type Pop3Status,
  type Pop3UidlEntry,
} from './codec.js';
import { Exchange, type ExchangeOptions, type StatusOutcome } from './exchange.js';

/** The `+OK` answer of a command that returns nothing but the server's text. */
export interface Pop3Reply {
  /** The server's text after `+OK` (and after the response code, if any). */
  readonly text: string;
  /** The RFC 2449 response code of the `+OK` line, if any. */
  readonly responseCode: ResponseCodeName | undefined;
}

/** A command answered by one status line; `parse` reads its `+OK`. */
export class SingleLineExchange<T> extends Exchange<T> {
  readonly #parse: (status: Pop3Status) => T;

  /**
   * @param line - the encoded command.
   * @param parse - reads the `+OK` line (may throw ProtocolError).
   * @param options - barrier and authentication semantics.
   */
  constructor(
    line: Pop3CommandLine,
    parse: (status: Pop3Status) => T,
    options: ExchangeOptions = {},
  ) {
    super(line, options);
    this.#parse = parse;
  }

  /** @inheritDoc */
  protected onOk(status: Pop3Status): StatusOutcome {
    this.succeed(this.#parse(status));
    return 'done';
  }
}

/** A command whose `+OK` is followed by a multi-line listing, one entry a line. */
export class ListingExchange<T> extends Exchange<T[]> {
  readonly #entries: T[] = [];
  readonly #lines: LineSplitter;

  /**
   * @param line - the encoded command.
   * @param parseLine - reads one line of the listing.
   * @param maxLineLength - the longest listing line accepted.
   */
  constructor(line: Pop3CommandLine, parseLine: (text: string) => T | undefined, maxLineLength: number) {
    super(line);
    this.#lines = new LineSplitter((text) => {
      if (text.trim().length === 0) return; // lenient: blank lines carry nothing
      const entry = parseLine(text);
      if (entry !== undefined) this.#entries.push(entry);
    }, maxLineLength);
  }

  /** @inheritDoc */
  protected onOk(_status: Pop3Status): StatusOutcome {
    return 'data';
  }

  /** @inheritDoc */
  override onData(chunk: Uint8Array): void {
    this.#lines.push(chunk);
  }

  /** @inheritDoc */
  override onDataEnd(): void {
    this.#lines.end();
    this.succeed(this.#entries);
  }
}

const reply = (status: Pop3Status): Pop3Reply => ({ text: status.text, responseCode: status.responseCode });

/** `CAPA` (RFC 2449 section 5): the capability lines, for `parseCapabilities`. */
export function capa(maxLineLength: number): Exchange<string[]> {
  return new ListingExchange(encodeCommand('CAPA'), (text) => text, maxLineLength);
}

/** `STAT` (RFC 1939 section 5). */
export function stat(): Exchange<Pop3Stat> {
  return new SingleLineExchange(encodeCommand('STAT'), (status) => parseStat(status.text));
}

/** `LIST` without argument (RFC 1939 section 5): every message not marked deleted. */
export function listAll(maxLineLength: number): Exchange<Pop3ListEntry[]> {
  return new ListingExchange(encodeCommand('LIST'), (text) => parseScanListing(text, 'LIST'), maxLineLength);
}

/** `LIST msg` (RFC 1939 section 5). */
export function listOne(messageNumber: number): Exchange<Pop3ListEntry> {
  return new SingleLineExchange(encodeCommand('LIST', [String(messageNumber)]), (status) =>
    parseScanListing(status.text, 'LIST'),
  );
}

/** `UIDL` without argument (RFC 1939 section 7). */
export function uidlAll(maxLineLength: number): Exchange<Pop3UidlEntry[]> {
  return new ListingExchange(encodeCommand('UIDL'), parseUniqueIdListing, maxLineLength);
}

/** `UIDL msg` (RFC 1939 section 7). */
export function uidlOne(messageNumber: number): Exchange<Pop3UidlEntry> {
  return new SingleLineExchange(encodeCommand('UIDL', [String(messageNumber)]), (status) =>
    parseUniqueIdListing(status.text),
  );
}

/**
 * `DELE msg` (RFC 1939 section 5). `onRefused` undoes the client's optimistic mark when the
 * server answers `-ERR`.
 */
export function dele(messageNumber: number, onRefused: () => void): Exchange<Pop3Reply> {
  return new (class extends SingleLineExchange<Pop3Reply> {
    protected override onErr(): void {
      onRefused();
    }

    override onWithdrawn(): void {
      onRefused();
    }
  })(encodeCommand('DELE', [String(messageNumber)]), reply, { messageNumber, deletes: true });
}

/** `RSET` (RFC 1939 section 5): unmarks every message marked deleted; `onDone` runs on its `+OK`. */
export function rset(onDone: () => void): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('RSET'), (status) => {
    onDone();
    return reply(status);
  });
}

/** `NOOP` (RFC 1939 section 5). */
export function noop(): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('NOOP'), reply);
}

/** `QUIT` (RFC 1939 sections 4 and 6): in TRANSACTION state, enters UPDATE and commits DELEs. */
export function quit(): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('QUIT'), reply, { barrier: true });
}

/** `STLS` (RFC 2595 section 4). */
export function stls(): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('STLS'), reply, { barrier: true, startsTls: true });
}

/** `USER name` (RFC 1939 section 7). A refusal is an authentication failure. */
export function user(name: string): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('USER', [name]), reply, { barrier: true, authentication: true, loginStep: true });
}

/** `PASS string` (RFC 1939 section 7): the password is the rest of the line, and a Secret. */
export function pass(password: Secret): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('PASS', [password], { restOfLine: true }), reply, {
    barrier: true,
    authentication: true,
    loginStep: true,
  });
}

/** `APOP name digest` (RFC 1939 section 7): the digest is a Secret. */
export function apop(name: string, digest: Secret): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('APOP', [name, digest]), reply, { barrier: true, authentication: true, loginStep: true });
}

/** `UTF8` (RFC 6856 section 2): UTF-8 mode for the rest of the session. */
export function utf8(): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('UTF8'), reply, { barrier: true });
}

/** `LANG` without argument (RFC 6856 section 3): the languages the server offers. */
export function langList(maxLineLength: number): Exchange<Pop3Language[]> {
  return new ListingExchange(encodeCommand('LANG'), parseLanguageListing, maxLineLength);
}

/** `LANG tag` (RFC 6856 section 3): the language of the server's human-readable text. */
export function langSet(tag: string): Exchange<Pop3Reply> {
  return new SingleLineExchange(encodeCommand('LANG', [tag]), reply);
}
