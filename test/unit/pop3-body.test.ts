import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ConnectionClosedError, InvalidArgumentError } from '../../src/common/errors.js';
import { ChunkStore } from '../../src/common/chunk-store.js';
import { FlowGate, Pop3BodyChannel as BodyChannel, type FlowControl } from '../../src/pop3/body.js';

function flowRecorder(): { flow: FlowControl; paused: () => boolean; log: string[] } {
  const log: string[] = [];
  let paused = false;
  return {
    log,
    paused: () => paused,
    flow: {
      pause: () => {
        paused = true;
        log.push('pause');
        return true;
      },
      resume: () => {
        paused = false;
        log.push('resume');
      },
    },
  };
}

const chunk = (text: string): Buffer => Buffer.from(text);

async function collect(iterable: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const piece of iterable) text += piece.toString('latin1');
  return text;
}

describe('BodyChannel', () => {
  it('hands chunks to a waiting iterator and ends', async () => {
    const { flow } = flowRecorder();
    const channel = new BodyChannel(flow, 100);
    const iterator = channel.iterator();
    const first = iterator.next();
    channel.push(chunk('ab'));
    expect(await first).toEqual({ value: chunk('ab'), done: false });
    channel.push(chunk('cd'));
    channel.end();
    expect((await iterator.next()).value).toEqual(chunk('cd'));
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    await channel.settled();
  });

  it('pauses the connection past the high-water mark and resumes as the reader catches up', async () => {
    const recorder = flowRecorder();
    const channel = new BodyChannel(recorder.flow, 4);
    channel.push(chunk('abc'));
    expect(recorder.paused()).toBe(false);
    channel.push(chunk('def'));
    expect(recorder.paused()).toBe(true);
    const iterator = channel.iterator();
    await iterator.next();
    expect(recorder.paused()).toBe(false);
    channel.end();
    expect(await collect({ [Symbol.asyncIterator]: () => iterator })).toBe('def');
  });

  it('gives a Readable that takes over what was queued, with backpressure', async () => {
    const recorder = flowRecorder();
    const channel = new BodyChannel(recorder.flow, 4);
    channel.push(chunk('hello '));
    const readable = channel.readable;
    expect(channel.readable).toBe(readable);
    channel.push(chunk('world'));
    channel.end();
    let text = '';
    await pipeline(
      readable,
      new Writable({
        write(piece: Buffer, _encoding, callback) {
          text += piece.toString();
          callback();
        },
      }),
    );
    expect(text).toBe('hello world');
    expect(recorder.paused()).toBe(false);
    await channel.settled();
  });

  it('refuses a second reader', () => {
    const { flow } = flowRecorder();
    const iterated = new BodyChannel(flow, 4);
    iterated.iterator();
    expect(() => iterated.readable).toThrow(InvalidArgumentError);
    expect(() => iterated.iterator()).toThrow(InvalidArgumentError);
  });

  it('fails the iterator, the Readable and settled() with the connection error', async () => {
    const { flow } = flowRecorder();
    const error = new ConnectionClosedError('gone');
    const viaIterator = new BodyChannel(flow, 100);
    const pending = viaIterator.iterator().next();
    viaIterator.fail(error);
    await expect(pending).rejects.toBe(error);
    await expect(viaIterator.settled()).rejects.toBe(error);

    const viaReadable = new BodyChannel(flow, 100);
    viaReadable.push(chunk('x'));
    viaReadable.fail(error);
    await expect(collect(viaReadable.readable)).rejects.toBe(error);
  });

  it('drops the rest after discard() and resumes the connection', async () => {
    const recorder = flowRecorder();
    const channel = new BodyChannel(recorder.flow, 2);
    channel.push(chunk('abcdef'));
    expect(recorder.paused()).toBe(true);
    channel.discard();
    expect(recorder.paused()).toBe(false);
    expect(channel.wantsData).toBe(false);
    channel.push(chunk('ignored'));
    channel.end();
    await channel.settled();
  });

  it('drops the rest when an iteration stops early', async () => {
    const recorder = flowRecorder();
    const channel = new BodyChannel(recorder.flow, 2);
    channel.push(chunk('abc'));
    channel.push(chunk('def'));
    for await (const piece of { [Symbol.asyncIterator]: () => channel.iterator() }) {
      expect(piece.toString()).toBe('abc');
      break;
    }
    expect(recorder.paused()).toBe(false);
    expect(channel.wantsData).toBe(false);
    channel.end();
    await channel.settled();
  });

  it('settles discard of a Readable body once it ends', async () => {
    const { flow } = flowRecorder();
    const channel = new BodyChannel(flow, 2);
    const readable = channel.readable;
    channel.push(chunk('abcdef'));
    channel.discard();
    channel.end();
    await channel.settled();
    expect(readable.readableEnded).toBe(true);
  });
});

describe('BodyChannel with borrowed chunks (chunks({ reuse: true }))', () => {
  const filled = (byte: string, length: number): Buffer => Buffer.alloc(length, byte);
  const PIECE = 400 * 1024;

  it('lends each chunk until the next step, then recycles its memory', async () => {
    const { flow } = flowRecorder();
    const store = new ChunkStore();
    const channel = new BodyChannel(flow, 1024 * 1024, store);
    const iterator = channel.iterator({ reuse: true });
    // 400 KiB pieces: two fill most of a 1 MiB slab; the third goes back to its start once both
    // were given back.
    channel.push(filled('a', PIECE));
    const first = (await iterator.next()).value as Buffer;
    expect(first.every((byte) => byte === 0x61)).toBe(true);
    channel.push(filled('b', PIECE));
    const second = (await iterator.next()).value as Buffer; // `first` is given back here
    expect(second[0]).toBe(0x62);
    const third = iterator.next(); // `second` is given back here
    channel.push(filled('c', PIECE));
    expect(((await third).value as Buffer)[0]).toBe(0x63);
    // The first borrowed chunk was only valid until the second step: its bytes were reused.
    expect(first[0]).toBe(0x63);
    channel.end();
    expect((await iterator.next()).done).toBe(true);
  });

  it('never recycles chunks a reader keeps', async () => {
    const { flow } = flowRecorder();
    const store = new ChunkStore();
    const kept = new BodyChannel(flow, 1024 * 1024, store);
    const iterator = kept.iterator();
    kept.push(filled('a', PIECE));
    const first = (await iterator.next()).value as Buffer;
    kept.push(filled('b', PIECE));
    await iterator.next();
    kept.end();
    await iterator.next();
    // A borrowing reader of the next body gets fresh memory, not the kept slab.
    const borrowed = new BodyChannel(flow, 1024 * 1024, store);
    const next = borrowed.iterator({ reuse: true });
    for (const byte of ['c', 'd', 'e']) {
      borrowed.push(filled(byte, PIECE));
      await next.next();
    }
    expect(first.every((byte) => byte === 0x61)).toBe(true);
  });

  it('keeps queued chunks valid until they are read, with backpressure', async () => {
    const recorder = flowRecorder();
    const channel = new BodyChannel(recorder.flow, 4, new ChunkStore());
    const source = Buffer.from('abc');
    channel.push(source);
    source.fill(0x7a); // the transport reuses its read buffer: the channel must own a copy
    channel.push(chunk('def'));
    expect(recorder.paused()).toBe(true);
    channel.end();
    const iterator = channel.iterator({ reuse: true });
    expect(((await iterator.next()).value as Buffer).toString()).toBe('abc');
    expect(recorder.paused()).toBe(false);
    expect(((await iterator.next()).value as Buffer).toString()).toBe('def');
    expect((await iterator.next()).done).toBe(true);
    await channel.settled();
  });

  it('drops the rest on break and resumes the connection', async () => {
    const recorder = flowRecorder();
    const channel = new BodyChannel(recorder.flow, 2, new ChunkStore());
    channel.push(chunk('abc'));
    channel.push(chunk('def'));
    expect(recorder.paused()).toBe(true);
    for await (const piece of channel.iterator({ reuse: true })) {
      expect(piece.toString()).toBe('abc');
      break;
    }
    expect(recorder.paused()).toBe(false);
    expect(channel.wantsData).toBe(false);
    channel.push(chunk('ignored'));
    channel.end();
    await channel.settled();
  });

  it('is one reader: a second iteration or a Readable after it is refused', () => {
    const { flow } = flowRecorder();
    const channel = new BodyChannel(flow, 100);
    channel.iterator({ reuse: true });
    expect(() => channel.iterator()).toThrow(InvalidArgumentError);
    expect(() => channel.readable).toThrow(InvalidArgumentError);
  });

  it('iterates the Readable (chunks kept) when it was asked for first', async () => {
    const { flow } = flowRecorder();
    const channel = new BodyChannel(flow, 100);
    channel.push(chunk('ab'));
    const readable = channel.readable;
    channel.push(chunk('cd'));
    channel.end();
    expect(await collect(channel.iterator({ reuse: true }))).toBe('abcd');
    expect(readable.readableEnded).toBe(true);
  });

  it('rejects the waiting step when the connection fails', async () => {
    const { flow } = flowRecorder();
    const channel = new BodyChannel(flow, 100);
    const iterator = channel.iterator({ reuse: true });
    channel.push(chunk('ab'));
    await iterator.next();
    const pending = iterator.next();
    const error = new ConnectionClosedError('gone');
    channel.fail(error);
    await expect(pending).rejects.toBe(error);
  });
});

describe('FlowGate', () => {
  function gate(mayPause = (): boolean => true): { gate: FlowGate; log: string[] } {
    const log: string[] = [];
    return { log, gate: new FlowGate({ pause: () => log.push('pause'), resume: () => log.push('resume'), mayPause }) };
  }

  it('reads again only once every body that fell behind has caught up', async () => {
    const { gate: flow, log } = gate();
    const first = new BodyChannel(flow, 4);
    const second = new BodyChannel(flow, 4);
    first.push(chunk('abcdef'));
    second.push(chunk('ghijkl'));
    expect(log).toEqual(['pause']);
    const firstReader = first.iterator();
    await firstReader.next();
    expect(flow.paused).toBe(true);
    expect(log).toEqual(['pause']);
    await second.iterator().next();
    expect(flow.paused).toBe(false);
    expect(log).toEqual(['pause', 'resume']);
  });

  it('lets the bodies buffer while the connection must read on, and after a release', async () => {
    let mayPause = false;
    const { gate: flow, log } = gate(() => mayPause);
    const channel = new BodyChannel(flow, 4);
    channel.push(chunk('abcdef'));
    expect(flow.paused).toBe(false);
    mayPause = true;
    channel.push(chunk('g'));
    expect(flow.paused).toBe(true);
    flow.release();
    expect(flow.paused).toBe(false);
    expect(log).toEqual(['pause', 'resume']);
    channel.end();
    expect(await collect(channel.iterator())).toBe('abcdefg');
    expect(log).toEqual(['pause', 'resume']);
  });
});
