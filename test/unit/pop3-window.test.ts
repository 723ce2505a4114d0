import { describe, expect, it } from 'vitest';
import { ChunkStore } from '../../src/common/chunk-store.js';
import { MessageExchange } from '../../src/pop3/message.js';
import { RetrievalWindow } from '../../src/pop3/window.js';

/**
 * The window of a retrieveMany loop, without a connection: the test plays the server, answering
 * the RETRs and feeding their bodies, and watches how many the window queues ahead.
 */
function harness(count: number, maxAhead: number, readAheadBytes: number) {
  const streaming = { flow: { pause: () => false, resume: () => undefined }, highWaterMark: 1 << 30, store: new ChunkStore() };
  const queued: MessageExchange[] = [];
  const window = new RetrievalWindow(
    Array.from({ length: count }, (_, index) => index + 1),
    maxAhead,
    readAheadBytes,
    {
      create: (messageNumber) => new MessageExchange(messageNumber, undefined, streaming),
      enqueue: (exchange) => {
        queued.push(exchange);
        return exchange.result;
      },
      handOut: (exchange) => exchange.result,
      withdraw: () => false,
      issued: 0,
    },
  );
  return { window, queued };
}

const ok = (text: string) => ({ kind: 'ok' as const, responseCode: undefined, text });

describe('RetrievalWindow', () => {
  it('opens up to the pipeline depth for small bodies', async () => {
    const { window, queued } = harness(100, 16, 1024 * 1024);
    for (let step = 0; step < 10; step++) {
      const next = window.next();
      const exchange = queued[step]!;
      exchange.onStatus(ok('5 octets'));
      exchange.onData(Buffer.from('12345'));
      exchange.onDataEnd();
      await next;
    }
    expect(queued.length).toBeGreaterThanOrEqual(16);
    window.stop();
  });

  it.each([
    ['the size its +OK announced', '1048576 octets'],
    ['the size it had once it ended', ''],
  ])('measures a body the loop moved past before it arrived by %s', async (_, text) => {
    const { window, queued } = harness(100, 16, 1024 * 1024);
    for (let step = 0; step < 20; step++) {
      const next = window.next();
      const exchange = queued[step]!;
      exchange.onStatus(ok(text));
      exchange.onData(Buffer.alloc(1000));
      await next;
      // The body the loop left behind a step ago arrives in full now (its last megabyte dropped).
      const previous = queued[step - 1];
      if (previous !== undefined) {
        previous.onData(Buffer.alloc(1024 * 1024 - 1000));
        previous.onDataEnd();
      }
    }
    // A read-ahead of one body of 1 MiB: the window stays at its floor of two ahead of the reader.
    expect(queued.length - 20).toBeLessThanOrEqual(3);
    window.stop();
  });
});
