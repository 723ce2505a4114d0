/**
 * APPEND (RFC 9051 section 6.3.12): store a message in a mailbox, with flags and an internal
 * date, and read the new message's UID from APPENDUID (RFC 4315 UIDPLUS).
 *
 * The message goes out as one literal: the core waits for the server's `+` before sending it, or
 * sends it at once with LITERAL+ / LITERAL- (RFC 7888). A body that contains NUL bytes is sent as a
 * literal8 (RFC 3516 BINARY) where offered (BINARY, or IMAP4rev2 in use). A stream of stated size
 * is a streamed literal: the core copies it to the socket chunk by chunk; a stream of unknown size
 * is read into memory first, since a literal announces its size before its first byte.
 *
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { InvalidArgumentError, LimitExceededError, MailwireError, TimeoutError, abortErrorFrom } from '../../common/errors.js';
import { callOptionsError, callSteps } from '../../common/options.js';
import { StoppableSource, releaseSource, utf8Body } from '../literal-stream.js';
import type { ImapCallOptions, ImapSession } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { dateTime, flag, list, literal, literalStream, mailbox } from '../wire/command-args.js';
import type { Uid } from '../wire/sequence-set.js';
import { assertMailboxName, imap4rev2InUse } from './mailboxes.js';

/**
 * A message to append: bytes, a string (sent as UTF-8), or a stream of chunks (a Node `Readable`
 * or any async iterable of bytes or strings).
 */
export type AppendBody = Uint8Array | string | AsyncIterable<Uint8Array | string>;

/**
 * Options of {@link ImapClient.append}.
 *
 * A stream body is the call's from then on, as with Node's `stream.pipeline`: it is read to its
 * end, or, when the call ends without reading it all (refused arguments, a NO to the literal's
 * announcement, an abort, a timeout, a closed or lost connection, a stream that broke its `size`),
 * it is stopped: a Node `Readable` is destroyed (a file stream closes its descriptor), an async
 * generator or other iterator is ended with `return()`. Do not reuse it after a failed call: a
 * later call given the same stream or iterator refuses it, untouched, with InvalidArgumentError.
 */
export interface AppendOptions extends ImapCallOptions {
  /** Flags to set on the new message (`\Seen`, `\Draft`, keywords); `\Recent` cannot be set. */
  readonly flags?: readonly string[] | undefined;
  /** The internal date (the server uses the current time otherwise). */
  readonly internalDate?: Date | undefined;
  /**
   * The exact size in bytes of the body, when known. For a stream it decides how the body is sent:
   *
   * - with `size`, the stream is sent as it is read, chunk by chunk with backpressure, and never
   *   held in memory whole. The literal's size is announced before the first chunk is read, so a
   *   stream that delivers more or fewer bytes, or fails, cannot be undone: the call rejects with
   *   InvalidArgumentError (the stream's own error as `cause`), the stream is stopped, and the
   *   connection is closed (other pending calls reject with ConnectionClosedError). Aborting the
   *   call or its `timeout` while the stream is being sent closes the connection the same way.
   *   With LITERAL+ the server may answer before the whole body was sent: the call settles, but
   *   the rest of the announced bytes is still sent as the stream delivers it (RFC 7888); until
   *   then the signal and `timeout` still apply, each wait for the stream is bounded by the
   *   client's `commandTimeout`, and a stream that stalls past them or fails closes the
   *   connection the same way, so no later call waits behind it; `logout()` does not wait for
   *   those bytes at all, it closes the connection (the session is ending). Before the answer,
   *   a `logout()` waiting behind the call bounds each wait for the stream by `commandTimeout`
   *   too (the call then rejects with TimeoutError and the connection closes). A
   *   streamed body goes as a normal literal: a server refuses NUL bytes in it (pass bytes, or no
   *   `size`, to have NULs sent as a literal8 where BINARY or IMAP4rev2 is in use).
   * - without `size`, the stream is read into memory first, up to `maxSize` bytes. The call's
   *   signal and `timeout` apply while it is read: either stops the stream, and nothing is sent.
   *
   * Either way `size` is checked against APPENDLIMIT and `maxSize` before anything is read or sent;
   * for bytes or a string it must simply match.
   */
  readonly size?: number | undefined;
  /**
   * The most bytes read from a stream (of known or unknown size) before giving up with a
   * LimitExceededError. Default: the server's APPENDLIMIT if it announces one, else 64 MiB.
   */
  readonly maxSize?: number | undefined;
}

/** The new message's identity, from APPENDUID (RFC 4315). */
export interface AppendResult {
  /** UIDVALIDITY of the mailbox appended to. */
  readonly uidValidity: number;
  /** The new message's UID. */
  readonly uid: Uid;
}

/** Default cap on a streamed body, when the server announces no APPENDLIMIT. */
export const DEFAULT_APPEND_MAX_SIZE = 64 * 1024 * 1024;

/**
 * Appends a message to a mailbox.
 *
 * @example
 * ```ts
 * const message = 'From: me@example.com\r\nSubject: Draft\r\n\r\nHello\r\n';
 * const result = await client.append('Drafts', message, { flags: ['\\Draft', '\\Seen'] });
 * console.log(result?.uid); // with UIDPLUS
 *
 * // Streamed as it is read: a 50 MiB file never sits in memory.
 * await client.append('Archive', fs.createReadStream('big.eml'), { size: statSync('big.eml').size });
 * ```
 * @param session - the client.
 * @param name - the mailbox.
 * @param body - the message (RFC 5322 bytes, CRLF line ends).
 * @param options - flags, internal date, size, signal, timeout.
 * @returns the UIDVALIDITY and UID of the new message, or null when the server sent no APPENDUID.
 * @throws ServerError with responseCode `TRYCREATE` when the mailbox does not exist (create it and
 *   retry), `OVERQUOTA` when the quota is exceeded, `LIMIT` / `TOOBIG`...; LimitExceededError when
 *   the body exceeds APPENDLIMIT or `maxSize`; InvalidArgumentError for an empty body, a bad flag,
 *   a size mismatch, NUL bytes without BINARY (or IMAP4rev2), or a stream that failed (its error as `cause`).
 *   A streamed body that fails or mismatches its `size` midway also closes the connection.
 */
export async function append(session: ImapSession, name: string, body: AppendBody, options: AppendOptions = {}): Promise<AppendResult | null> {
  takeSource(body, name);
  // A stream body is read to its end or released (see releaseSource): here when it is refused before
  // it is handed on; by readBody when it is read into memory; by the core once the command is run.
  let prepared: PreparedAppend;
  try {
    prepared = prepareAppend(session, name, body, options);
  } catch (error) {
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) releaseSource(body);
    throw error;
  }
  const { args, appendLimit, maxSize } = prepared;
  // Checked first (prepareAppend): the signal and the timeout also guard the reading of a stream of unknown size.
  const step = callSteps(options);
  if (!prepared.streamed) {
    const bytes = await readBody(body, options.size, maxSize, `APPEND ${name}`, step());
    if (bytes.length === 0) throw new InvalidArgumentError('Cannot append an empty message');
    if (appendLimit !== undefined && bytes.length > appendLimit) throw new LimitExceededError('APPENDLIMIT', appendLimit, bytes.length);
    // literal8 needs BINARY (RFC 3516), which IMAP4rev2 includes (RFC 9051 section 1).
    args.push(literal(bytes, bytes.includes(0) && (session.hasCapability('BINARY') || imap4rev2InUse(session))));
  }
  // The timeout counts from the call: what reading the stream took is spent.
  return session.run(
    {
      name: 'APPEND',
      args,
      states: ['authenticated', 'selected'],
      display: `APPEND ${name}`,
      done: (response) => {
        const code = response.code;
        if (code?.kind !== 'APPENDUID') return null;
        const first = code.uids[0];
        return first === undefined ? null : { uidValidity: code.uidValidity, uid: first.start as Uid };
      },
    },
    step(),
  );
}

/**
 * The bodies that can be read only once (a Node stream, an async generator or other iterator) and
 * were given to a call, which reads each to its end or stops it.
 */
const takenSources = new WeakSet<object>();

/**
 * Takes a body that can be read only once for this call, refusing it untouched when another call
 * had it: that call may still be sending it, and this one would read the rest of it, or nothing,
 * and close the connection under both.
 */
function takeSource(body: AppendBody, name: string): void {
  const source: unknown = body;
  if (typeof source !== 'object' || source === null || source instanceof Uint8Array) return;
  const { destroy, next } = source as { readonly destroy?: unknown; readonly next?: unknown };
  if (typeof destroy !== 'function' && typeof next !== 'function') return; // an iterable read afresh each time
  if (takenSources.has(source)) {
    throw new InvalidArgumentError(`The body of APPEND ${name} was already given to an APPEND: a stream or iterator is read once`);
  }
  takenSources.add(source);
}

/** APPEND's arguments as far as they can be made before the body is read. */
interface PreparedAppend {
  /** The mailbox, flags and date; then the streamed literal when `streamed`, else nothing yet. */
  readonly args: CommandArg[];
  /** True when the body is a stream of stated size, sent as it is read: `args` is complete. */
  readonly streamed: boolean;
  readonly appendLimit: number | undefined;
  readonly maxSize: number;
}

/** Checks the call's arguments and makes what it can of the command's, throwing on the first bad one. */
function prepareAppend(session: ImapSession, name: string, body: AppendBody, options: AppendOptions): PreparedAppend {
  assertMailboxName(session, name);
  const invalid = callOptionsError(options);
  if (invalid !== undefined) throw invalid;
  const flagArgs = (options.flags ?? []).map(appendFlag);
  const appendLimit = serverAppendLimit(session);
  if (options.size !== undefined) {
    if (!Number.isSafeInteger(options.size) || options.size < 0) throw new InvalidArgumentError(`Invalid message size: ${options.size}`);
    if (appendLimit !== undefined && options.size > appendLimit) throw new LimitExceededError('APPENDLIMIT', appendLimit, options.size);
  }
  const maxSize = options.maxSize ?? appendLimit ?? DEFAULT_APPEND_MAX_SIZE;
  const args: CommandArg[] = [mailbox(name)];
  if (flagArgs.length > 0) args.push(list(...flagArgs));
  if (options.internalDate !== undefined) args.push(dateTime(options.internalDate));
  if (options.size === undefined || typeof body === 'string' || body instanceof Uint8Array) return { args, streamed: false, appendLimit, maxSize };
  if (options.size === 0) throw new InvalidArgumentError('Cannot append an empty message');
  if (options.size > maxSize) throw new LimitExceededError('maxSize', maxSize, options.size);
  args.push(literalStream(body, options.size));
  return { args, streamed: true, appendLimit, maxSize };
}

/** `APPENDLIMIT=n` (RFC 7889), or undefined when absent or given per mailbox only. */
function serverAppendLimit(session: ImapSession): number | undefined {
  for (const capability of session.capabilities) {
    if (capability.startsWith('APPENDLIMIT=')) {
      const value = Number(capability.slice('APPENDLIMIT='.length));
      if (Number.isSafeInteger(value) && value > 0) return value;
    }
  }
  return undefined;
}

/**
 * The body as one buffer: bytes and strings as they are (a stated `size` must match), a stream of
 * unknown size read chunk by chunk up to `maxSize` bytes (the command's literal needs its size
 * before its first byte is sent). A stream may stall: the call's signal and timeout end the read
 * (the stream is stopped, see releaseSource), and an aborted signal releases it unread.
 */
async function readBody(body: AppendBody, size: number | undefined, maxSize: number, what: string, options: ImapCallOptions): Promise<Uint8Array> {
  if (typeof body === 'string') return checkSize(utf8Body(body), size);
  if (body instanceof Uint8Array) return checkSize(body, size);
  const { signal, timeout } = options;
  if (signal?.aborted === true) {
    releaseSource(body);
    throw abortErrorFrom(signal, what);
  }
  const reader = new StoppableSource(body as AsyncIterable<unknown>);
  const onAbort = (): void => {
    if (signal !== undefined) reader.stop(abortErrorFrom(signal, what));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = timeout === undefined ? undefined : setTimeout(() => {
    reader.stop(new TimeoutError('command', timeout));
  }, timeout);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (let step = await reader.next(); step.done !== true; step = await reader.next()) {
      const chunk = step.value;
      if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
        throw new InvalidArgumentError(`The message stream gave a ${typeof chunk}, not bytes or text`);
      }
      const bytes = typeof chunk === 'string' ? utf8Body(chunk) : chunk;
      if (total + bytes.length > maxSize) throw new LimitExceededError('maxSize', maxSize, total + bytes.length);
      chunks.push(typeof chunk === 'string' ? (bytes as Buffer) : Buffer.from(bytes)); // a copy: streams may reuse buffers
      total += bytes.length;
    }
  } catch (error) {
    reader.abandon();
    // Nothing was sent yet: the session is untouched, and the caller gets a typed error.
    if (error instanceof MailwireError) throw error;
    throw new InvalidArgumentError(`The message stream failed after ${total} bytes`, { cause: error });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks, total);
}

/** A flag of the new message: any but `\Recent`, which only the server sets (RFC 3501 section 2.3.2). */
function appendFlag(name: string): CommandArg {
  if (typeof name === 'string' && name.toLowerCase() === '\\recent') throw new InvalidArgumentError('\\Recent cannot be set: only the server sets it');
  return flag(name);
}

function checkSize(bytes: Uint8Array, size: number | undefined): Uint8Array {
  if (size !== undefined && bytes.length !== size) {
    throw new InvalidArgumentError(`The message has ${bytes.length} bytes, not the stated size of ${size}`);
  }
  return bytes;
}
