/**
 * Memory for message bodies on their way from the wire to their reader (see `body-channel.ts`).
 *
 * Every chunk the tokenizer hands over is a view of the transport's read buffer, valid only during
 * the call. A reader that borrows chunks (`chunks({ reuse: true })`) gets the read buffer's own
 * bytes, pinned until it gives the chunk back (`read-buffers.ts`); where that is not possible (too
 * many buffers pinned, or bytes that are not a view of a read buffer) the chunk is copied into a
 * slab of a {@link ChunkStore}, recycled once its pieces are given back: fresh memory for every
 * chunk, and the garbage it leaves, cost more than the copy itself (a third of a pipelined POP3
 * download in profiles). Bytes a reader keeps (kept chunks, buffered IMAP literal
 * values) come from {@link KeptBuffers}, never from a recyclable slab: a kept slice of a 1 MiB slab
 * would pin the slab, and an application that keeps a few small chunks of many bodies would hold
 * megabytes for kilobytes.
 *
 * @internal
 * @packageDocumentation
 */
import { Buffer } from 'node:buffer';
import { pinRead, type SlabOwner } from './read-buffers.js';

/** Bytes of one slab: a chunk is at most one transport read (256 KiB for both clients), and a slab holds several. */
const SLAB_SIZE = 1024 * 1024;
/** A chunk longer than this gets a buffer of its own rather than most of a slab. */
const OWN_BUFFER_ABOVE = SLAB_SIZE / 2;
/** Free slabs a store keeps (beyond them, released slabs are left to the GC). */
const MAX_FREE_SLABS = 2;
/** Kept values up to this size share blocks of {@link KEPT_BLOCK_SIZE} bytes (see {@link KeptBuffers}). */
const KEPT_SHARED_UP_TO = 16 * 1024;
const KEPT_BLOCK_SIZE = 64 * 1024;

/**
 * Buffers for bytes a caller keeps: up to 16 KiB they are cut from shared 64 KiB blocks, larger
 * ones are buffers of their own. One allocation per block instead of one per value: a
 * 10,000-message header fetch made 3,300 pool ArrayBuffers through Buffer.allocUnsafe, whose
 * allocation and collection cost as much as the rest of the fetch, and a slice is about five times
 * cheaper than a small buffer of its own. The price: a kept value keeps its block alive, at most
 * 64 KiB for a small value (as Node's own pool keeps 8 KiB, 64 KiB from Node 24). Blocks are never reused.
 *
 * @internal
 */
export class KeptBuffers {
  #block = new ArrayBuffer(0);
  #used = 0;

  /** A Buffer of `size` bytes, not zeroed: the caller writes every byte before anyone reads it. */
  allocate(size: number): Buffer {
    // allocUnsafeSlow, not allocUnsafe: Node 24's 64 KiB pool would cut values under 32 KiB from it.
    if (size > KEPT_SHARED_UP_TO) return Buffer.allocUnsafeSlow(size);
    let offset = this.#used;
    if (offset + size > this.#block.byteLength) {
      this.#block = Buffer.allocUnsafeSlow(KEPT_BLOCK_SIZE).buffer;
      offset = 0;
    }
    this.#used = (offset + size + 7) & ~7; // 8-byte aligned, as Node aligns its pool
    return Buffer.from(this.#block, offset, size);
  }

  /** A kept copy of `bytes`. */
  copy(bytes: Uint8Array): Buffer {
    const copy = this.allocate(bytes.length);
    copy.set(bytes);
    return copy;
  }
}

/** A buffer that chunks are copied into, one after another, or a read buffer pieces are lent from. */
export interface Slab {
  readonly buffer: Buffer;
  /** Bytes handed out (a store's slab; 0 for a read buffer). */
  used: number;
  /** Pieces handed out and not yet released. */
  outstanding: number;
  /** The read buffers it belongs to, or undefined for a store's own slab. */
  readonly owner: SlabOwner | undefined;
}

/**
 * A chunk made to last: `length` bytes of `buffer` at `offset` when it is a slice of a store's
 * slab; `buffer` itself when it has a buffer of its own (no `slab`) or is lent from a read buffer
 * (`slab` is that read buffer, `offset` 0: `buffer` is already the view, made once).
 */
export interface Piece {
  readonly buffer: Buffer;
  readonly offset: number;
  /** Grows when a later chunk is appended in place ({@link ChunkStore.extend}). */
  length: number;
  readonly slab: Slab | undefined;
}

/**
 * The slab a store starts with: past full (so that even an empty chunk moves on) and never
 * released, so that the first copy allocates a real one: most IMAP fetches and many POP3 sessions
 * never copy a body. Never written to.
 */
const NO_SLAB: Slab = { buffer: Buffer.alloc(0), used: SLAB_SIZE + 1, outstanding: 1, owner: undefined };

/**
 * Copies body chunks into shared slabs and recycles a slab once every piece of it was released.
 * One store serves the bodies of one IMAP fetch, or of one POP3 connection (they are read one
 * after another).
 *
 * Recycling: when the last outstanding piece of the slab being filled is released, the slab starts
 * over from its beginning, so a reader that keeps up cycles through the same few cache-warm KiB,
 * allocating nothing and leaving no garbage. Another slab released whole is kept for later (up to
 * {@link MAX_FREE_SLABS}).
 *
 * @internal
 */
export class ChunkStore {
  #current: Slab = NO_SLAB;
  #free: Slab[] | undefined;
  readonly #kept = new KeptBuffers();
  /**
   * Set once a reader of this store borrows chunks: bodies not yet read then coalesce what they
   * queue, since their reader most likely borrows too.
   */
  lending = false;

  /**
   * `bytes` (a view valid only during the caller's callback) made to last until
   * {@link ChunkStore.release} or {@link ChunkStore.keep}: the read buffer itself, pinned, or a copy.
   *
   * @param toKeep - its reader will most likely keep it: it gets a buffer of its own now (see
   *   {@link ChunkStore.keepCopy}); else it will most likely be lent, and its memory recycled.
   */
  copy(bytes: Uint8Array, toKeep = false): Piece {
    const length = bytes.length;
    if (toKeep) return { buffer: this.keepCopy(bytes), offset: 0, length, slab: undefined };
    const pinned = pinRead(bytes);
    if (pinned !== undefined) return { buffer: asBuffer(bytes), offset: 0, length, slab: pinned };
    if (length > OWN_BUFFER_ABOVE) return { buffer: this.keepCopy(bytes), offset: 0, length, slab: undefined };
    const slab = this.#slabFor(length);
    const offset = slab.used;
    slab.buffer.set(bytes, offset);
    slab.used = offset + length;
    slab.outstanding++;
    return { buffer: slab.buffer, offset, length, slab };
  }

  /** A copy of `bytes` for a reader that keeps it (see {@link KeptBuffers}). */
  keepCopy(bytes: Uint8Array): Buffer {
    return this.#kept.copy(bytes);
  }

  /** Appends `bytes` to `piece` in place when it is the last copy of the current slab and there is room. */
  extend(piece: Piece, bytes: Uint8Array): boolean {
    const slab = piece.slab;
    if (slab !== this.#current || piece.offset + piece.length !== slab.used || slab.used + bytes.length > SLAB_SIZE) return false;
    slab.buffer.set(bytes, slab.used);
    slab.used += bytes.length;
    piece.length += bytes.length;
    return true;
  }

  /** The piece's bytes, lent: valid until the piece is released. */
  view(piece: Piece): Buffer {
    const slab = piece.slab;
    return slab === undefined || slab.owner !== undefined ? piece.buffer : piece.buffer.subarray(piece.offset, piece.offset + piece.length);
  }

  /** The piece's bytes for a reader that may keep them: copied out of its slab, which is released. */
  keep(piece: Piece): Buffer {
    if (piece.slab === undefined) return piece.buffer;
    const copy = this.keepCopy(this.view(piece));
    this.release(piece);
    return copy;
  }

  /** The piece was dropped, or given back by its borrower: its slab may be recycled. */
  release(piece: Piece): void {
    const slab = piece.slab;
    if (slab === undefined) return;
    if (slab.owner !== undefined) {
      slab.owner.release(slab);
      return;
    }
    slab.outstanding--;
    if (slab.outstanding > 0) return;
    slab.used = 0;
    if (slab === this.#current) return;
    const free = (this.#free ??= []);
    if (free.length < MAX_FREE_SLABS) free.push(slab);
  }

  /** The slab to copy `length` bytes into: the current one, or a free or new one when it is full. */
  #slabFor(length: number): Slab {
    const slab = this.#current;
    if (slab.used + length <= SLAB_SIZE) return slab;
    if (slab.outstanding === 0) {
      slab.used = 0;
      return slab;
    }
    const next = this.#free?.pop() ?? { buffer: Buffer.allocUnsafeSlow(SLAB_SIZE), used: 0, outstanding: 0, owner: undefined };
    this.#current = next;
    return next;
  }
}

/** `bytes` as a Buffer: itself when it is one (a view of a read buffer always is), else a view. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
