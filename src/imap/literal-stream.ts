/**
 * Copying a streamed literal (APPEND of a body of known size) to the socket, apart from the command
 * pipeline (pipeline.ts) that decides when it starts and what happens when it fails.
 *
 * Each chunk is copied (a source may reuse its buffers), written, and its write drained before the
 * next is read, so memory stays flat. The announced size is a promise the server holds the client
 * to: a source that ends early, delivers too much or fails, and a call aborted or timed out
 * mid-copy, leave no way to finish the command. The copy then fails (InvalidArgumentError with the
 * source's error as `cause`, or the abort or timeout error) and the source is stopped; the client
 * closes the connection. Nothing is padded. The copy goes on after the command was answered (a NO
 * under LITERAL+ may come before its literal was sent; RFC 7888 still owes the server the bytes),
 * until the source ends, fails or is stopped (see CommandPipeline.armTimeout).
 *
 * @internal
 * @packageDocumentation
 */

import { Buffer } from "node:buffer";
import {
  ConnectionClosedError,
  InvalidArgumentError,
  MailwireError,
} from "../common/errors.js";
import { checkUtf8Text } from "./wire/command-args.js";

/** What a copy needs of the client and the command it belongs to. */
export interface LiteralStreamHost {
  /** The command, for messages (`APPEND Drafts`). */
  readonly what: string;
  /** The announced size in bytes. */
  readonly size: number;
  /** The caller's source of chunks. */
  readonly source: AsyncIterable<Uint8Array | string>;
  /** True once the call was settled (aborted, timed out) before the copy began. */
  cancelled(): boolean;
  /**
   * Called with true while the copy waits for the caller's source (the server's silence is then
   * no reason to time out) and false while it waits for the server to take bytes.
   */
  waitingOnSource(waiting: boolean): void;
  /** Writes one chunk to the socket. */
  write(chunk: Buffer): void;
  /** Resolves when the socket has taken what was written. */
  drained(): Promise<void>;
}

/** A copy in progress. */
export interface LiteralStreamCopy {
  /** Ends the copy early (abort, timeout, connection lost): `done` rejects with `error`. */
  readonly stop: (error: MailwireError) => void;
  /** Resolves when every byte was written; rejects with a MailwireError when the copy failed. */
  readonly done: Promise<void>;
}

/** Starts copying, in a later microtask (not inside the caller's write loop). */
export function copyLiteralStream(host: LiteralStreamHost): LiteralStreamCopy {
  const { what, size } = host;
  const reader = new StoppableSource(host.source);
  let written = 0;
  const run = async (): Promise<void> => {
    await Promise.resolve();
    // Aborted while waiting for the `+`: the server now expects the bytes, and we will not read them.
    if (host.cancelled())
      throw new ConnectionClosedError(
        `${what} was cancelled before its literal was sent`
      );
    for (;;) {
      host.waitingOnSource(true);
      let step: IteratorResult<Uint8Array | string>;
      try {
        step = await reader.next();
      } catch (error) {
        if (error === reader.stopReason) throw error;
        throw new InvalidArgumentError(
          `The literal stream of ${what} failed after ${written} of ${size} bytes`,
          { cause: error }
        );
      }
      if (step.done === true) break;
      const chunk =
        typeof step.value === "string"
          ? utf8Body(step.value)
          : Buffer.from(step.value);
      if (written + chunk.length > size) {
        throw new InvalidArgumentError(
          `The literal stream of ${what} delivered more than the ${size} bytes announced`
        );
      }
      if (chunk.length === 0) continue;
      host.write(chunk);
      written += chunk.length;
      host.waitingOnSource(false);
      await reader.unlessStopped(host.drained());
    }
    if (written < size) {
      throw new InvalidArgumentError(
        `The literal stream of ${what} ended after ${written} of the ${size} bytes announced`
      );
    }
  };
  const done = run().catch((error: unknown) => {
    reader.abandon();
    throw error instanceof MailwireError
      ? error
      : new InvalidArgumentError(`The literal stream of ${what} failed`, {
          cause: error,
        });
  });
  return {
    stop: (error) => {
      reader.stop(error);
    },
    done,
  };
}

/**
 * Text of a message (a string body, or a string chunk of a stream) as UTF-8.
 *
 * @throws InvalidArgumentError for a lone UTF-16 surrogate, which has no UTF-8 form (Buffer would
 *   put U+FFFD in its place).
 * @internal
 */
export function utf8Body(text: string): Buffer {
  checkUtf8Text(text, "The message text");
  return Buffer.from(text, "utf8");
}

/**
 * A caller's source read step by step, each wait ending early when {@link StoppableSource.stop}
 * is called (abort, timeout, connection lost): a stalled source must not hold a call forever.
 * Shared by the streamed literal above and APPEND's read of a body of unknown size.
 *
 * @internal
 */
export class StoppableSource<T> {
  readonly #source: AsyncIterable<T>;
  #iterator: AsyncIterator<T> | undefined;
  /** The source ended or threw: it needs no stopping. */
  #finished = false;
  #stopReason: MailwireError | undefined;
  #interrupt: ((error: MailwireError) => void) | undefined;

  constructor(source: AsyncIterable<T>) {
    this.#source = source;
  }

  /** Why the reading was stopped, once it was: a wait rejects with exactly this error. */
  get stopReason(): MailwireError | undefined {
    return this.#stopReason;
  }

  /** Ends the current wait (and every later one) with `error`. */
  stop(error: MailwireError): void {
    this.#stopReason ??= error;
    this.#interrupt?.(error);
  }

  /**
   * The source's next step; rejects with {@link StoppableSource.stopReason} when stopped first, or
   * with what the source threw.
   */
  async next(): Promise<IteratorResult<T>> {
    this.#iterator ??= this.#source[Symbol.asyncIterator]();
    try {
      const step = await this.unlessStopped(this.#iterator.next());
      if (step.done === true) this.#finished = true;
      return step;
    } catch (error) {
      if (error !== this.#stopReason) this.#finished = true; // it threw: it is finished
      throw error;
    }
  }

  /**
   * `promise`, or the stop reason if stopped first. A fresh promise per wait (not one long-lived
   * promise raced at every chunk, which would keep a reaction per chunk until the end).
   */
  unlessStopped<R>(promise: Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.#stopReason !== undefined) {
        reject(this.#stopReason);
        return;
      }
      this.#interrupt = reject;
      promise.then(resolve, reject);
    });
  }

  /** The reading is given up: a source not finished, begun or not, is stopped ({@link releaseSource}). */
  abandon(): void {
    if (!this.#finished) releaseSource(this.#source, this.#iterator);
  }
}

/**
 * Stops a caller's source that will not be read to its end, as Node's `stream.pipeline` does with
 * its streams when it fails, without waiting for it: so a file stream does not keep its descriptor.
 * A Node `Readable` is destroyed (`return()` would wait for its pending read, which a stalled
 * stream never ends). Another source gets `return()` on the iterator begun on it, or, when none
 * was, on itself if it is its own iterator (an async generator: one not started just ends; a
 * started one runs its `finally` once its current step ends). A plain iterable not yet iterated
 * holds nothing to release.
 *
 * @internal
 */
export function releaseSource(
  source: AsyncIterable<unknown>,
  iterator?: AsyncIterator<unknown>
): void {
  const destroy = (source as { destroy?: unknown }).destroy;
  if (typeof destroy === "function") {
    destroy.call(source);
    return;
  }
  const target = iterator ?? (source as Partial<AsyncIterator<unknown>>);
  if (typeof target.return !== "function") return;
  Promise.resolve()
    .then(() => target.return?.())
    .catch(() => undefined);
}
