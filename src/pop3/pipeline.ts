/**
 * The command queue of a POP3 session: commands not yet written and commands in flight, written
 * in batches with RFC 2449 PIPELINING (one at a time without it), answered in order, with an
 * AbortSignal and a timeout per call. The connection's lifecycle stays with the client (client.ts).
 *
 * @internal
 * @packageDocumentation
 */

import { MailwireError, ProtocolError, TimeoutError, abortErrorFrom } from '../common/errors.js';
import { callOptionsError } from '../common/options.js';
import type { Connection } from '../common/connector.js';
import type { Secret } from '../common/secret.js';
import type { Exchange } from './exchange.js';
import type { Pop3CallOptions } from './options.js';
import { Queue } from './queue.js';

/** An exchange of any result type. */
export type AnyExchange = Exchange<unknown>;

/** What the queue reads from the client that owns it. */
export interface QueueHost {
  /** The connection, once open. */
  readonly transport: Connection | undefined;
  /** True once the greeting is in and while no STLS handshake is under way: commands may be written. */
  readonly writable: boolean;
  /** The server offers PIPELINING (RFC 2449 section 6.6). */
  readonly pipelining: boolean;
  /** Reading is paused for a body stream: the server's silence is then ours, not a timeout. */
  readonly flowPaused: boolean;
  /** A command somebody awaits was queued: bodies ahead of it must stop holding the connection back. */
  onAwaited(): void;
}

/** The command queue (see the module comment). */
export class CommandQueue {
  readonly #host: QueueHost;
  readonly #commandTimeout: number;
  readonly #pipelineDepth: number;
  readonly #unsent = new Queue<AnyExchange>();
  readonly #inFlight = new Queue<AnyExchange>();
  /** Queued or in-flight commands somebody awaits (not prefetched RETRs): see {@link CommandQueue.awaiting}. */
  #awaited = 0;
  #issued = 0;
  readonly #settledAwaited = (): void => {
    this.#awaited--;
  };
  /** A {@link CommandQueue.pump} is due at the end of the current tick. */
  #pumpScheduled = false;
  readonly #scheduledPump = (): void => {
    this.#pumpScheduled = false;
    this.pump();
  };

  /**
   * @param commandTimeout - how long an answer may take, ms.
   * @param pipelineDepth - the most commands in flight at once with PIPELINING.
   */
  constructor(host: QueueHost, commandTimeout: number, pipelineDepth: number) {
    this.#host = host;
    this.#commandTimeout = commandTimeout;
    this.#pipelineDepth = pipelineDepth;
  }

  /** True when no command is queued or in flight. */
  get empty(): boolean {
    return this.#inFlight.length === 0 && this.#unsent.length === 0;
  }

  /**
   * True while a command somebody awaits is queued or in flight. Its answer comes after every body
   * ahead of it, so those bodies must not pause the connection (whoever would read them may be
   * the one awaiting): they are buffered instead, and the command is answered.
   */
  get awaiting(): boolean {
    return this.#awaited > 0;
  }

  /**
   * Queues a command (the client has checked that the session is open); it is written at the end
   * of the current tick. Resolves with the command's result; rejects with a MailwireError.
   */
  enqueue<T>(exchange: Exchange<T>, options: Pop3CallOptions = {}): Promise<T> {
    const invalid = callOptionsError(options);
    if (invalid !== undefined) {
      exchange.onWithdrawn();
      return Promise.reject(invalid);
    }
    const { signal } = options;
    const untyped = exchange as AnyExchange;
    if (signal?.aborted === true) {
      exchange.onWithdrawn();
      return Promise.reject(abortErrorFrom(signal, exchange.display));
    }
    // A command somebody awaits goes before the RETRs a retrieveMany window queued ahead of need
    // (when it may: see Exchange.mayPass): its answer would otherwise wait for all of their bodies
    // (buffered, since they must not hold the connection back while it is awaited). They are
    // written after it.
    if (exchange.prefetch) this.#unsent.push(untyped);
    else this.#unsent.insertBefore(untyped, passesPrefetch);
    // Written at the end of the current tick, so commands issued together go out in one write
    // (a retrieveMany window of RETRs, or UIDL and LIST): each write is a syscall and a wake-up of
    // the server, and a window written one command at a time cost more than the commands.
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      queueMicrotask(this.#scheduledPump);
    }
    if (!exchange.prefetch) {
      this.#issued++;
      this.#countAwaited(untyped);
    }
    return this.guard(exchange, options);
  }

  /**
   * A prefetched command is now awaited (a `retrieveMany` loop reached it): it counts in
   * {@link CommandQueue.awaiting} until answered.
   */
  markAwaited(exchange: AnyExchange): void {
    if (!exchange.prefetch) return;
    exchange.prefetch = false;
    if (!exchange.settled) this.#countAwaited(exchange);
  }

  /** How many commands somebody awaits were queued so far (a `retrieveMany` window watches it). */
  get issued(): number {
    return this.#issued;
  }

  #countAwaited(exchange: AnyExchange): void {
    this.#awaited++;
    exchange.settledHook = this.#settledAwaited;
    this.#host.onAwaited();
  }

  /**
   * Applies a call's AbortSignal and timeout to a queued command: not sent yet, it is withdrawn;
   * in flight, its answer is still read when it comes, then dropped (on a timeout the connection
   * is closed: the session can no longer be trusted to answer). A login command in flight
   * ({@link Exchange.loginStep}) closes the connection on an abort too: the server may have
   * accepted it, so the session's state is unknown. AUTH is cancelled on the wire instead
   * ({@link Exchange.cancelOnWire}), its answer awaited for no longer than the command timeout.
   */
  guard<T>(exchange: Exchange<T>, options: Pop3CallOptions): Promise<T> {
    const { signal, timeout } = options;
    if ((signal === undefined && timeout === undefined) || exchange.settled) return exchange.result;
    const untyped = exchange as AnyExchange;
    if (signal?.aborted === true) {
      this.withdraw(untyped);
      exchange.fail(abortErrorFrom(signal, exchange.display));
      return exchange.result;
    }

    const onAbort = (): void => {
      if (signal === undefined) return;
      // Not sent yet: withdrawn. In flight: the answer is still read when it comes, then dropped,
      // unless the command is a login step (its answer decides the session's state: close instead).
      const withdrawn = this.withdraw(untyped);
      const inFlight = !withdrawn && !exchange.settled;
      const error = abortErrorFrom(signal, exchange.display);
      exchange.fail(error);
      if (!inFlight || !exchange.loginStep) return;
      if (exchange.cancelOnWire()) {
        exchange.cancelledOnWire = true;
        this.armTimeout(); // counted from now
      } else {
        this.#host.transport?.destroy(error);
      }
    };
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            const error = new TimeoutError('command', timeout);
            if (this.withdraw(untyped)) exchange.fail(error);
            else if (!exchange.settled) {
              exchange.fail(error);
              this.#host.transport?.destroy(error);
            }
          }, timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    exchange.result.then(cleanup, cleanup);
    return exchange.result;
  }

  /** Withdraws the prefetched commands not sent yet (the client is closing), failing each with `error(exchange)`. */
  withdrawPrefetched(error: (exchange: AnyExchange) => MailwireError): void {
    for (const exchange of this.#unsent.drain()) {
      if (!exchange.prefetch) this.#unsent.push(exchange);
      else {
        exchange.onWithdrawn();
        exchange.fail(error(exchange));
      }
    }
  }

  /** Removes a command that was not sent yet (undoing what issuing it did); false when it is already in flight. */
  withdraw(exchange: AnyExchange): boolean {
    if (!this.#unsent.remove(exchange)) return false;
    exchange.onWithdrawn();
    return true;
  }

  /** Lets a {@link Exchange.held} command (and what waits behind it) be written. */
  release(exchange: AnyExchange): void {
    exchange.held = false;
    this.pump();
  }

  /** Writes what may be written: everything up to the pipeline depth with PIPELINING, else one. */
  pump(): void {
    const host = this.#host;
    const transport = host.transport;
    // Nothing is written before the greeting, nor between the STLS go-ahead and the handshake's end.
    if (transport === undefined || transport.closed || !host.writable) return;
    // One string for a batch of plain commands (one native write); parts only around a Secret.
    let text = '';
    let parts: (string | Secret)[] | undefined;
    const pipelining = host.pipelining;
    // Refill in batches: every write is a syscall (and, on loopback, the server's wake-up), so a
    // window that slides one command at a time costs more than the commands themselves.
    if (pipelining && this.#inFlight.length > this.#pipelineDepth / 2) return;
    for (;;) {
      const next = this.#unsent.peek();
      if (next === undefined || next.held) break;
      const last = this.#inFlight.last();
      if (last !== undefined) {
        if (!pipelining || next.barrier || last.barrier || this.#inFlight.length >= this.#pipelineDepth) break;
      }
      this.#unsent.shift();
      this.#inFlight.push(next);
      next.written = true;
      for (let index = 0; index < next.parts.length; index++) {
        const part = next.parts[index]!;
        if (parts === undefined && typeof part === 'string') text += part;
        else (parts ??= text === '' ? [] : [text]).push(part);
      }
    }
    if (parts === undefined && text === '') return;
    try {
      transport.write(parts ?? [text]);
    } catch (error) {
      // Closing or closed: the connection's end fails what is in flight; make sure it happens.
      transport.destroy(error instanceof MailwireError ? error : undefined);
      return;
    }
    this.armTimeout();
  }

  /** Runs the command timeout while an answer is due and reading is not paused. */
  armTimeout(): void {
    const host = this.#host;
    if (this.#inFlight.length > 0 && !host.flowPaused) host.transport?.armTimeout('command', this.#commandTimeout);
  }

  /** The command the server is answering. */
  head(): AnyExchange {
    const head = this.#inFlight.peek();
    if (head === undefined) throw new ProtocolError('The server sent data nobody asked for');
    return head;
  }

  /** The head's answer is complete: the next command in flight is answered now. */
  complete(): void {
    this.#inFlight.shift();
    if (this.#inFlight.length === 0) this.#host.transport?.disarmTimeout();
    this.pump();
  }

  /** Empties both queues (the connection is gone): the commands in flight first, oldest first. */
  drain(): AnyExchange[] {
    return [...this.#inFlight.drain(), ...this.#unsent.drain()];
  }
}

/** A command may be written before a prefetched RETR queued earlier (one function, not a closure per command). */
function passesPrefetch(exchange: AnyExchange, queued: AnyExchange): boolean {
  return queued.prefetch && exchange.mayPass(queued);
}
