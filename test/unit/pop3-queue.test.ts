import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/pop3/codec.js';
import { Queue } from '../../src/pop3/queue.js';

describe('Queue', () => {
  it('is first in, first out, and removes from anywhere', () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 3000; i++) queue.push(i);
    for (let i = 0; i < 2000; i++) expect(queue.shift()).toBe(i);
    expect(queue.length).toBe(1000);
    expect(queue.peek()).toBe(2000);
    expect(queue.last()).toBe(2999);
    expect(queue.remove(2500)).toBe(true);
    expect(queue.remove(10)).toBe(false);
    const rest = queue.drain();
    expect(rest).toHaveLength(999);
    expect(rest).not.toContain(2500);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    expect(queue.last()).toBeUndefined();
  });

  it('behaves like an array (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('shift' as const), fc.integer({ min: 0, max: 50 }))), (operations) => {
        const queue = new Queue<number>();
        const model: number[] = [];
        for (const operation of operations) {
          if (operation === 'shift') expect(queue.shift()).toBe(model.shift());
          else {
            queue.push(operation);
            model.push(operation);
          }
          expect(queue.length).toBe(model.length);
          expect(queue.peek()).toBe(model[0]);
        }
        expect(queue.drain()).toEqual(model);
      }),
    );
  });
});

describe('LineSplitter (property)', () => {
  it('gives the same lines whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[ -~]{0,20}$/), { maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }),
        fc.boolean(),
        (lines, cuts, bareLf) => {
          const data = Buffer.from(lines.map((line) => `${line}${bareLf ? '\n' : '\r\n'}`).join(''));
          const seen: string[] = [];
          const splitter = new LineSplitter((line) => seen.push(line), 100);
          let start = 0;
          for (const cut of [...cuts.map((c) => Math.min(c, data.length))].sort((a, b) => a - b)) {
            splitter.push(data.subarray(start, cut));
            start = cut;
          }
          splitter.push(data.subarray(start));
          splitter.end();
          expect(seen).toEqual(lines);
        },
      ),
    );
  });
});
