// The body channel both clients share (src/common/body-channel.ts, src/common/chunk-store.ts):
// recycling of borrowed chunks, kept chunks left alone, coalescing for a lagging borrower, and a
// failure that drops what is queued. Driven through the POP3 layer, the thinner of the two.
import { describe, expect, it } from 'vitest';
import { ChunkStore, KeptBuffers } from '../../src/common/chunk-store.js';
import { ConnectionClosedError, LimitExceededError } from '../../src/common/errors.js';
import { collectBody } from '../../src/common/body-channel.js';
import { Pop3BodyChannel } from '../../src/pop3/body.js';

const flow = { pause: (): boolean => true, resume: (): void => undefined };
const text = (value: string): Buffer => Buffer.from(value);

describe('ChunkStore', () => {
  it('starts the slab over as soon as every piece of it was released', () => {
    const store = new ChunkStore();
    const first = store.copy(text('abcd'));
    const second = store.copy(text('efgh'));
    expect(second.offset).toBe(4);
    store.release(first);
    expect(store.copy(text('ijkl')).offset).toBe(8); // `second` and this one are still out
    const again = new ChunkStore();
    const only = again.copy(text('abcd'));
    again.release(only);
    expect(again.copy(text('efgh')).offset).toBe(0);
  });

  it('gives a reader that keeps bytes a copy outside the slabs, which recycle as before', () => {
    const store = new ChunkStore();
    const lent = store.copy(text('abcd'));
    const kept = store.keepCopy(text('KEPT'));
    const queued = store.copy(text('wxyz'));
    const keptLater = store.keep(queued);
    store.release(lent);
    const next = store.copy(text('efgh'));
    expect(next.offset).toBe(0); // every piece of the slab was released: it starts over
    expect(store.view(next).toString()).toBe('efgh');
    expect(kept.toString()).toBe('KEPT');
    expect(keptLater.toString()).toBe('wxyz');
    expect(kept.buffer).not.toBe(next.buffer.buffer);
    expect(keptLater.buffer).not.toBe(next.buffer.buffer);
  });

  it('appends in place only to the last copy of the slab being filled', () => {
    const store = new ChunkStore();
    const first = store.copy(text('ab'));
    expect(store.extend(first, text('cd'))).toBe(true);
    expect(store.view(first).toString()).toBe('abcd');
    store.copy(text('ef'));
    expect(store.extend(first, text('gh'))).toBe(false);
  });

  it('gives a chunk larger than half a slab a buffer of its own', () => {
    const store = new ChunkStore();
    const large = store.copy(Buffer.alloc(600 * 1024, 1));
    expect(large.slab).toBeUndefined();
    expect(store.view(large).length).toBe(600 * 1024);
  });
});

describe('BodyChannel (shared)', () => {
  it('coalesces what a lagging borrower has not read yet', async () => {
    const channel = new Pop3BodyChannel(flow, 1024 * 1024, new ChunkStore());
    const iterator = channel.iterator({ reuse: true });
    channel.push(text('ab'));
    channel.push(text('cd'));
    channel.push(text('ef'));
    expect(((await iterator.next()).value as Buffer).toString()).toBe('abcdef');
    channel.end();
    expect((await iterator.next()).done).toBe(true);
  });

  it('keeps chunk boundaries for a reader that keeps its chunks', async () => {
    const channel = new Pop3BodyChannel(flow, 1024 * 1024, new ChunkStore());
    const iterator = channel.iterator();
    channel.push(text('ab'));
    channel.push(text('cd'));
    channel.end();
    expect(((await iterator.next()).value as Buffer).toString()).toBe('ab');
    expect(((await iterator.next()).value as Buffer).toString()).toBe('cd');
  });

  it('gives a reader that keeps chunks memory that pins no slab', async () => {
    // A kept slice of a 1 MiB slab would hold the whole slab for a few bytes; a small kept chunk
    // shares a 64 KiB block at most.
    const channel = new Pop3BodyChannel(flow, 1024 * 1024, new ChunkStore());
    const iterator = channel.iterator();
    const small = iterator.next();
    channel.push(Buffer.alloc(1000, 1));
    const smallChunk = (await small).value as Buffer;
    expect(smallChunk.equals(Buffer.alloc(1000, 1))).toBe(true);
    expect(smallChunk.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
    channel.push(Buffer.alloc(2000, 3)); // queued, then kept: copied out of its slab
    const queuedChunk = (await iterator.next()).value as Buffer;
    expect(queuedChunk.equals(Buffer.alloc(2000, 3))).toBe(true);
    expect(queuedChunk.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
    const large = iterator.next();
    channel.push(Buffer.alloc(64 * 1024, 2));
    expect(((await large).value as Buffer).buffer.byteLength).toBe(64 * 1024);
  });

  it('answers next() calls made before the previous one settled, in order, each way of reading', async () => {
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    for (const reuse of [false, true]) {
      const channel = new Pop3BodyChannel(flow, 1024 * 1024, new ChunkStore());
      const iterator = channel.iterator({ reuse });
      const settled: string[] = [];
      for (let index = 0; index < 3; index++) {
        void iterator.next().then((step) => settled.push(step.done === true ? 'done' : step.value.toString()));
      }
      channel.push(text('ab'));
      channel.push(text('cd'));
      channel.end();
      await settle();
      expect(settled, reuse ? 'borrowed chunks' : 'kept chunks').toEqual(['ab', 'cd', 'done']);
    }
    const failing = new Pop3BodyChannel(flow, 1024);
    const iterator = failing.iterator();
    const outcomes: unknown[] = [];
    for (let index = 0; index < 2; index++) void iterator.next().then((step) => outcomes.push(step), (error: unknown) => outcomes.push(error));
    const error = new ConnectionClosedError('gone');
    failing.fail(error);
    await settle();
    expect(outcomes).toEqual([error, error]);
  });

  it('disposes of its iterator as a loop left early does: the rest of the body is dropped', async () => {
    const channel = new Pop3BodyChannel(flow, 1024 * 1024, new ChunkStore());
    const iterator = channel.iterator();
    channel.push(text('ab'));
    channel.push(text('cd'));
    expect(((await iterator.next()).value as Buffer).toString()).toBe('ab');
    // Typed as disposable only under the esnext.disposable lib; the method is there at run time.
    await (iterator as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(channel.wantsData).toBe(false);
  });

  it('drops what is queued when the body fails: the reader gets the error at once', async () => {
    const channel = new Pop3BodyChannel(flow, 1024);
    channel.push(text('queued'));
    const error = new ConnectionClosedError('gone');
    channel.fail(error);
    await expect(channel.iterator().next()).rejects.toBe(error);
    await expect(channel.settled()).rejects.toBe(error);
  });
});

describe('KeptBuffers', () => {
  it('cuts small values from shared blocks without overlap, and gives large ones buffers of their own', () => {
    const kept = new KeptBuffers();
    const values = Array.from({ length: 40 }, (_, index) => kept.copy(Buffer.alloc(3000 + index, index)));
    for (const [index, value] of values.entries()) expect(value.equals(Buffer.alloc(3000 + index, index))).toBe(true);
    expect(values[0]!.buffer.byteLength).toBe(64 * 1024);
    const large = kept.allocate(20 * 1024);
    expect(large.buffer.byteLength).toBe(20 * 1024);
  });

  it("gives large values buffers of their own under Node 24's 64 KiB Buffer pool too", () => {
    const poolSize = Buffer.poolSize;
    Buffer.poolSize = 64 * 1024; // Node 24's default: allocUnsafe then pools anything under 32 KiB
    try {
      const large = new KeptBuffers().allocate(20 * 1024);
      expect(large.buffer.byteLength).toBe(20 * 1024);
    } finally {
      Buffer.poolSize = poolSize;
    }
  });
});

describe('collectBody', () => {
  async function* chunksOf(...parts: string[]): AsyncGenerator<Buffer> {
    for (const part of parts) {
      await Promise.resolve(); // as a socket would, a chunk a step
      yield Buffer.from(part);
    }
  }

  it('gives the same bytes whether the size hint is right, short, long or absent', async () => {
    for (const hint of [9, 2, 1000, undefined]) {
      const body = await collectBody(chunksOf('abc', 'def', 'ghi'), hint, Number.POSITIVE_INFINITY);
      expect(body.toString(), String(hint)).toBe('abcdefghi');
      expect(body.length).toBe(9);
    }
  });

  it('refuses more than maxBytes with a typed error', async () => {
    await expect(collectBody(chunksOf('abc', 'def'), 6, 5)).rejects.toBeInstanceOf(LimitExceededError);
    expect((await collectBody(chunksOf('abc', 'de'), undefined, 5)).toString()).toBe('abcde');
  });
});
