/**
 * APPEND (RFC 9051 section 6.3.12): store a message in a mailbox, with flags and an internal
 * date, and read the new message's UID from APPENDUID (RFC 4315 UIDPLUS).
 *
 * The message goes out as one literal: the core waits for the server's `+` before sending it, or
 * sends it at once with LITERAL+ / LITERAL- (RFC 7888). A body that contains NUL bytes is sent as a
 * literal8 (RFC 3516 BINARY) where offered.
 *
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { InvalidArgumentError, LimitExceededError } from '../../common/errors.js';
import type { ImapCallOptions, ImapSession } from '../session.js';
import type { CommandArg } from '../wire/command-args.js';
import { dateTime, flag, list, literal, mailbox } from '../wire/command-args.js';
import type { Uid } from '../wire/sequence-set.js';
import { assertMailboxName } from './mailboxes.js';

/**
 * A message to append: bytes, a string (sent as UTF-8), or a stream of chunks (a Node `Readable`
 * or any async iterable of bytes or strings).
 */
export type AppendBody = Uint8Array | string | AsyncIterable<Uint8Array | string>;

/** Options of {@link ImapClient.append}. */
export interface AppendOptions extends ImapCallOptions {
  /** Flags to set on the new message (`\Seen`, `\Draft`, keywords); `\Recent` cannot be set. */
  readonly flags?: readonly string[] | undefined;
  /** The internal date (the server uses the current time otherwise). */
  readonly internalDate?: Date | undefined;
  /**
   * The exact size in bytes of a streamed body, when known: checked against the server's
   * APPENDLIMIT before anything is read, and against what the stream delivers.
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
 *   a size mismatch, or NUL bytes without BINARY.
 */
export async function append(session: ImapSession, name: string, body: AppendBody, options: AppendOptions = {}): Promise<AppendResult | null> {
  assertMailboxName(name);
  const flagArgs = (options.flags ?? []).map(flag);
  const appendLimit = serverAppendLimit(session);
  if (options.size !== undefined) {
    if (!Number.isSafeInteger(options.size) || options.size < 0) throw new InvalidArgumentError(`Invalid message size: ${options.size}`);
    if (appendLimit !== undefined && options.size > appendLimit) throw new LimitExceededError('APPENDLIMIT', appendLimit, options.size);
  }
  const bytes = await readBody(body, options.size, options.maxSize ?? appendLimit ?? DEFAULT_APPEND_MAX_SIZE);
  if (bytes.length === 0) throw new InvalidArgumentError('Cannot append an empty message');
  if (appendLimit !== undefined && bytes.length > appendLimit) throw new LimitExceededError('APPENDLIMIT', appendLimit, bytes.length);
  const binary = bytes.includes(0) && session.hasCapability('BINARY');

  const args: CommandArg[] = [mailbox(name)];
  if (flagArgs.length > 0) args.push(list(...flagArgs));
  if (options.internalDate !== undefined) args.push(dateTime(options.internalDate));
  args.push(literal(bytes, binary));
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
    options,
  );
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
 * The body as one buffer. A stream is read chunk by chunk up to `maxSize` bytes (the command's
 * literal needs its size before its first byte is sent); a stated `size` must match exactly.
 */
async function readBody(body: AppendBody, size: number | undefined, maxSize: number): Promise<Uint8Array> {
  if (typeof body === 'string') return checkSize(Buffer.from(body, 'utf8'), size);
  if (body instanceof Uint8Array) return checkSize(body, size);
  const limit = size ?? maxSize;
  if (size !== undefined && size > maxSize) throw new LimitExceededError('maxSize', maxSize, size);
  // A known size lets us fill one buffer; otherwise chunks are kept and joined once at the end.
  const target = size === undefined ? null : Buffer.allocUnsafe(size);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (total + bytes.length > limit) {
      if (size !== undefined) throw new InvalidArgumentError(`The stream delivered more than the stated size of ${size} bytes`);
      throw new LimitExceededError('maxSize', maxSize, total + bytes.length);
    }
    if (target !== null) target.set(bytes, total);
    else chunks.push(typeof chunk === 'string' ? (bytes as Buffer) : Buffer.from(bytes)); // a copy: streams may reuse buffers
    total += bytes.length;
  }
  if (target !== null) return checkSize(target.subarray(0, total), size);
  return Buffer.concat(chunks, total);
}

function checkSize(bytes: Uint8Array, size: number | undefined): Uint8Array {
  if (size !== undefined && bytes.length !== size) {
    throw new InvalidArgumentError(`The message has ${bytes.length} bytes, not the stated size of ${size}`);
  }
  return bytes;
}
