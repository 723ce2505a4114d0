/**
 * The memory a connection reads into, and how a body chunk read into it is lent to its reader
 * without a copy.
 *
 * Node reads the socket into a buffer the transport supplies (`onread` with a buffer generator,
 * asked for a buffer before each read). While nothing of the last read is pinned, the next read
 * goes into the same buffer, so the socket's bytes land in memory the cache already holds. A body
 * chunk whose reader borrows it (`chunks({ reuse: true })`) is pinned instead of copied: its
 * buffer is not read into again until the reader gives the chunk back, and the read after goes
 * into a spare buffer. Copying every body byte once more into a slab cost a tenth of the IMAP
 * client's time on a 1,000-body fetch (bench/README.md); a pool of 32 rotating buffers saved the
 * copy but lost as much again to reads into memory the cache no longer held, hence few buffers,
 * the same one reused whenever it can be.
 *
 * @internal
 * @packageDocumentation
 */
import { Buffer } from 'node:buffer';
import type { Slab } from './chunk-store.js';

/** Buffers pinned at most at once; past them a chunk is copied (see `chunk-store.ts`). */
const MAX_PINNED = 4;
/** Unpinned buffers kept for the next reads, beyond the one being read into. */
const MAX_SPARE = 2;

/** Lends pieces of the slabs it owns without a copy: a {@link ReadBuffers}. */
export interface SlabOwner {
  /** Pins `slab` for one more piece (see {@link ReadBuffers.pin}). */
  pin(slab: Slab): Slab | undefined;
  /** A piece lent from `slab` was given back. */
  release(slab: Slab): void;
}

/** The read buffer behind each ArrayBuffer a connection reads into. */
const byArrayBuffer = new WeakMap<ArrayBufferLike, Slab>();

/**
 * The read buffers of one connection.
 *
 * @internal
 */
export class ReadBuffers implements SlabOwner {
  readonly #size: number;
  #current: Slab;
  readonly #spare: Slab[] = [];
  /** Buffers with pieces lent out. */
  #pinned = 0;

  /** @param size - bytes of each buffer: the most one read delivers. */
  constructor(size: number) {
    this.#size = size;
    this.#current = this.#newSlab();
  }

  /**
   * The buffer for the next read (`onread.buffer`): the last one again unless a piece of it is
   * lent, then a spare one.
   */
  readonly next = (): Buffer => {
    if (this.#current.outstanding > 0) this.#current = this.#spare.pop() ?? this.#newSlab();
    return this.#current.buffer;
  };

  /**
   * Pins `slab` for one more lent piece, so it is not read into again until every piece is given
   * back ({@link ReadBuffers.release}). Undefined when `slab` is not the buffer of the current
   * read (a view kept past its read), or when {@link MAX_PINNED} buffers are pinned already: the
   * caller copies the bytes then.
   */
  pin(slab: Slab): Slab | undefined {
    if (slab !== this.#current) return undefined;
    if (slab.outstanding === 0) {
      if (this.#pinned >= MAX_PINNED) return undefined;
      this.#pinned++;
    }
    slab.outstanding++;
    return slab;
  }

  /** A piece lent from `slab` was given back. */
  release(slab: Slab): void {
    if (--slab.outstanding > 0) return;
    this.#pinned--;
    if (slab !== this.#current && this.#spare.length < MAX_SPARE) this.#spare.push(slab);
  }

  #newSlab(): Slab {
    const slab: Slab = { buffer: Buffer.allocUnsafeSlow(this.#size), used: 0, outstanding: 0, owner: this };
    byArrayBuffer.set(slab.buffer.buffer, slab);
    return slab;
  }
}

/**
 * Pins the read buffer `bytes` is a view of, during the read that filled it (see
 * {@link ReadBuffers.pin}); undefined for any other bytes (a copy, a replayed chunk, a chunk read
 * through `'data'` events after STARTTLS).
 *
 * @internal
 */
export function pinRead(bytes: Uint8Array): Slab | undefined {
  const slab = byArrayBuffer.get(bytes.buffer);
  return slab?.owner?.pin(slab);
}
