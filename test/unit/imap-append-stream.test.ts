// APPEND of a stream with a stated size: the literal is announced, then the stream is copied to the
// socket as it is read (never buffered whole). A stream that breaks the announced size, fails, or a
// call aborted or timed out mid-copy closes the connection with typed errors; nothing hangs.
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { AbortError, ConnectionClosedError, InvalidArgumentError, LimitExceededError, TimeoutError, type MailwireError } from '../../src/common/errors.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { ImapClient } from '../../src/imap/client.js';
import { parseTranscript, replayConnector } from '../../src/testing/index.js';
import { C, S, hangUp, login, quiet, sleep, until, useImapHarness, waitEnd, type FakeServer } from './imap/fake-server.js';

const harness = useImapHarness();
const NO_LITERAL_PLUS = 'IMAP4rev1 UIDPLUS UNSELECT';

/** An async iterable over `chunks` that notes when it is first read. */
function source(chunks: readonly (string | Uint8Array)[]): AsyncIterable<string | Uint8Array> & { readonly started: boolean } {
  const state = { started: false };
  return {
    get started() {
      return state.started;
    },
    async *[Symbol.asyncIterator]() {
      state.started = true;
      for (const chunk of chunks) {
        await sleep(1);
        yield chunk;
      }
    },
  };
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 3000) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const saw = (server: FakeServer, line: string): (() => boolean) => () => server.received.includes(line);

describe('APPEND of a stream with a stated size', () => {
  test('LITERAL+: sent as read, logged as its size, recorded and replayable', async () => {
    const chunks = ['Subject: streamed\r\n', '\r\n', 'part one\r\n', Buffer.from('part two\r\n')];
    const size = chunks.reduce((total, chunk) => total + Buffer.byteLength(chunk), 0);
    const script = [
      ...login('IMAP4rev1 LITERAL+ UIDPLUS'),
      C(`A2 APPEND Archive (\\Seen) {${size}+}`),
      C('Subject: streamed'),
      C(''),
      C('part one'),
      C('part two'),
      C(''),
      S('A2 OK [APPENDUID 1 8] Append completed'),
      C('A3 LOGOUT'),
      S('* BYE Logging out', 'A3 OK Logout completed'),
      waitEnd(),
    ];
    const server = await harness.serve(script);
    const log: WireLogEntry[] = [];
    let transcript = '';
    const client = await harness.connect(server, {
      logger: (entry) => log.push(entry),
      record: { sink: (text) => (transcript += text) },
    });
    expect(await client.append('Archive', source(chunks), { size, flags: ['\\Seen'] })).toEqual({ uidValidity: 1, uid: 8 });
    await client.logout();
    await server.done;

    const sent = log.filter((entry) => entry.direction === 'client').map((entry) => entry.text);
    expect(sent).toContain(`A2 APPEND Archive (\\Seen) {${size}+}`);
    expect(sent).toContain(`{${size} bytes}`); // the chunks, one entry with their total
    expect(sent.join('\n')).not.toContain('part one');
    expect(transcript).toContain('part two');

    // The recording replays: the streamed literal was recorded byte for byte.
    const replay = replayConnector(parseTranscript(transcript));
    const replayed = await ImapClient.connect({ ...harness.options(server), connector: replay });
    expect(await replayed.append('Archive', source(chunks), { size, flags: ['\\Seen'] })).toEqual({ uidValidity: 1, uid: 8 });
    await replayed.logout();
    replay.assertDone();
  });

  test('without LITERAL+ nothing is read from the stream before the "+"; the command is then completed', async () => {
    let released = false;
    const server = await harness.serve([
      ...login(NO_LITERAL_PLUS),
      C('A2 APPEND INBOX {18}'),
      until(() => released),
      S('+ Ready for literal data'),
      C('Subject: x'),
      C(''),
      C('hi'),
      C(''),
      S('A2 OK [APPENDUID 7 3] done'),
    ]);
    const client = await harness.connect(server);
    const body = source(['Subject: x\r\n', '\r\n', 'hi', '\r\n']);
    const call = client.append('INBOX', body, { size: 18 });
    await waitUntil(saw(server, 'A2 APPEND INBOX {18}'), 'the APPEND line');
    await sleep(50);
    expect(body.started).toBe(false);
    released = true;
    expect(await call).toEqual({ uidValidity: 7, uid: 3 });
    await server.done;
  });

  test('a refused literal (NO instead of "+"): the stream is never read and the connection stays usable', async () => {
    const server = await harness.serve([
      ...login(NO_LITERAL_PLUS),
      C('A2 APPEND Nowhere {5}'),
      S('A2 NO [TRYCREATE] No such mailbox'),
      C('A3 NOOP'),
      S('A3 OK done'),
    ]);
    const client = await harness.connect(server);
    const body = source(['hello']);
    await expect(client.append('Nowhere', body, { size: 5 })).rejects.toMatchObject({ responseCode: 'TRYCREATE' });
    expect(body.started).toBe(false);
    await client.noop();
    await server.done;
  });

  test('fewer bytes than announced: InvalidArgumentError, the connection is closed, queued commands fail typed', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {40+}'), C('only this'), waitEnd()]);
    const client = await harness.connect(server);
    const appended = client.append('INBOX', source(['only this\r\n']), { size: 40 }).catch((error: unknown) => error);
    const noop = client.noop().catch((error: unknown) => error); // queued behind the literal
    const error = await appended;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('ended after 11 of the 40 bytes');
    const noopError = await noop;
    expect(noopError).toBeInstanceOf(ConnectionClosedError);
    expect((noopError as Error).cause).toBe(error); // why the connection closed
    expect(client.state).toBe('logout');
    await expect(client.noop()).rejects.toBeInstanceOf(ConnectionClosedError);
    await server.done;
    expect(server.received).not.toContain('A3 NOOP');
  });

  test('more bytes than announced: InvalidArgumentError before the excess is written, the connection is closed', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {10+}'), C('aaaa'), waitEnd()]);
    const client = await harness.connect(server);
    let stopped = false;
    async function* tooMuch(): AsyncGenerator<string> {
      try {
        await sleep(1);
        yield 'aaaa\r\n';
        yield 'bbbbbbbbbb\r\n';
        yield 'never asked for';
      } finally {
        stopped = true;
      }
    }
    const error = await client.append('INBOX', tooMuch(), { size: 10 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('more than the 10 bytes announced');
    await waitUntil(() => stopped, 'the generator to be stopped');
    await server.done;
    expect(server.received.join('\n')).not.toContain('bbbb');
    expect(client.state).toBe('logout');
  });

  /** A body that yields one line, then fails with `failure`. */
  async function* failingAfterFirstLine(failure: Error): AsyncGenerator<string> {
    yield 'first line\r\n';
    await sleep(20);
    throw failure;
  }

  test('a stream that fails midway: InvalidArgumentError with the cause, the connection is closed', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {100+}'), C('first line'), waitEnd()]);
    const client = await harness.connect(server);
    const failure = new Error('disk on fire');
    const error = await client.append('INBOX', failingAfterFirstLine(failure), { size: 100 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).cause).toBe(failure);
    expect((error as Error).message).toContain('failed after 12 of 100 bytes');
    await server.done;
    expect(client.state).toBe('logout');
  });

  test('a custom command whose literal stream fails hears of its failure once', async () => {
    const server = await harness.serve([...login(), C('A2 X-PUT {100+}'), C('first line'), waitEnd()]);
    const client = await harness.connect(server);
    const failure = new Error('disk on fire');
    const failures: MailwireError[] = [];
    const error = await client
      .run({
        name: 'X-PUT',
        args: [{ kind: 'literal-stream', source: failingAfterFirstLine(failure), size: 100, binary: false }],
        done: () => undefined,
        failed: (caught) => {
          failures.push(caught);
        },
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    await server.done;
    expect(client.state).toBe('logout');
    expect(failures).toEqual([error]);
  });

  test('a chunk that is not bytes or text fails the same way', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {10+}'), waitEnd()]);
    const client = await harness.connect(server);
    const bad = Readable.from([42], { objectMode: true }) as unknown as AsyncIterable<Uint8Array>;
    await expect(client.append('INBOX', bad, { size: 10 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await server.done;
  });

  test('a body of stated size that is no async iterable, or a hand-built argument with a CRLF, is refused before anything is sent', async () => {
    const server = await harness.serve([...login(), C('A3 NOOP'), S('A3 OK done')]);
    const client = await harness.connect(server);
    const chunks = [Buffer.from('Subject: x\r\n\r\nhi\r\n')] as unknown as AsyncIterable<Uint8Array>;
    await expect(client.append('INBOX', chunks, { size: 18 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const injected = client.run({ name: 'X-NOTE', args: [{ kind: 'atom', value: 'a\r\nA9 DELETE INBOX' }], done: () => undefined });
    await expect(injected).rejects.toBeInstanceOf(InvalidArgumentError);
    await client.noop();
    await server.done;
    expect(server.received).toEqual(['A1 LOGIN alice secret', 'A3 NOOP']);
  });

  test('aborting mid-stream rejects with AbortError at once, stops the stream and closes the connection', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), waitEnd()]);
    const client = await harness.connect(server);
    const stalled = new Readable({ read() {} }); // delivers one chunk, then nothing
    stalled.push('first\r\n');
    const controller = new AbortController();
    const call = client.append('INBOX', stalled, { size: 1000, signal: controller.signal }).catch((error: unknown) => error);
    await waitUntil(saw(server, 'first'), 'the first chunk');
    controller.abort();
    expect(await call).toBeInstanceOf(AbortError);
    await waitUntil(() => stalled.destroyed, 'the stream to be destroyed');
    await server.done;
    expect(client.state).toBe('logout');
  });

  test('the call timeout works mid-stream too', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), waitEnd()]);
    const client = await harness.connect(server);
    const stalled = new Readable({ read() {} });
    stalled.push('first\r\n');
    await expect(client.append('INBOX', stalled, { size: 1000, timeout: 150 })).rejects.toBeInstanceOf(TimeoutError);
    await server.done;
    expect(client.state).toBe('logout');
  });

  test('aborted while waiting for the "+": the stream is never read; the "+" then closes the connection', async () => {
    let aborted = false;
    const server = await harness.serve([...login(NO_LITERAL_PLUS), C('A2 APPEND INBOX {5}'), until(() => aborted), S('+ go ahead'), quiet(30), waitEnd()]);
    const client = await harness.connect(server);
    const body = source(['hello']);
    const controller = new AbortController();
    const call = client.append('INBOX', body, { size: 5, signal: controller.signal }).catch((error: unknown) => error);
    await waitUntil(saw(server, 'A2 APPEND INBOX {5}'), 'the APPEND line');
    controller.abort();
    expect(await call).toBeInstanceOf(AbortError);
    aborted = true;
    await server.done;
    expect(body.started).toBe(false);
    expect(client.state).toBe('logout');
  });

  test('a slow stream does not trip commandTimeout: waiting for the caller is not the server being silent', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {12+}'), C('slow'), C('done'), S('A2 OK done')]);
    const client = await harness.connect(server, { commandTimeout: 150 });
    async function* slow(): AsyncGenerator<string> {
      yield 'slow\r\n';
      await sleep(400);
      yield 'done\r\n';
    }
    expect(await client.append('INBOX', slow(), { size: 12 })).toBeNull();
    await server.done;
  });

  test('a server that stops reading still trips commandTimeout mid-stream', async () => {
    let paused = false;
    const server = await harness.serve([
      ...login(),
      C('A2 APPEND INBOX {1073741824+}'),
      until(() => {
        // Stop reading: the socket buffers fill, the client's writes no longer drain.
        server.socket()?.pause();
        paused = true;
        return true;
      }),
      waitEnd(),
    ]);
    const client = await harness.connect(server, { commandTimeout: 300 });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        await Promise.resolve();
        yield chunk;
      }
    }
    const error = await client.append('INBOX', endless(), { size: 1024 ** 3, maxSize: 1024 ** 3 }).catch((caught: unknown) => caught);
    expect(paused).toBe(true);
    expect(error).toBeInstanceOf(TimeoutError);
    server.socket()?.resume();
    await server.done;
  });
});

/**
 * A server that takes one streamed APPEND without keeping it: it counts and hashes the literal as
 * it arrives, so a test can compare how far the server got with how far the stream got.
 */
async function countingServer(): Promise<{ port: number; received: () => number; result: Promise<{ bytes: number; sha256: string }>; close: () => void }> {
  let received = 0;
  let settle!: (value: { bytes: number; sha256: string }) => void;
  const result = new Promise<{ bytes: number; sha256: string }>((resolve) => {
    settle = resolve;
  });
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.write('* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n');
    const hash = createHash('sha256');
    let line = '';
    let remaining = -1;
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (remaining < 0) {
        line += data.toString('latin1');
        const end = line.indexOf('\r\n');
        if (end === -1) return;
        const size = /\{(\d+)\+\}$/.exec(line.slice(0, end));
        if (size === null) throw new Error(`unexpected ${line}`);
        remaining = Number(size[1]);
        data = Buffer.from(line.slice(end + 2), 'latin1');
      }
      const take = Math.min(remaining, data.length);
      hash.update(data.subarray(0, take));
      received += take;
      remaining -= take;
      if (remaining === 0) {
        tail += data.subarray(take).toString('latin1');
        if (tail === '\r\n') {
          socket.write('A1 OK [APPENDUID 1 1] done\r\n');
          settle({ bytes: received, sha256: hash.digest('hex') });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    result,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('APPEND of a large stream', () => {
  test('40 MiB in 64 KiB chunks: the server reads along while the stream is produced, and gets every byte', async () => {
    const server = await countingServer();
    const client = await ImapClient.connect({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true });
    try {
      const chunkSize = 64 * 1024;
      const count = 640;
      const hash = createHash('sha256');
      let produced = 0;
      let maxLead = 0;
      let receivedBeforeLast = -1;
      async function* generate(): AsyncGenerator<Buffer> {
        for (let index = 0; index < count; index++) {
          await Promise.resolve();
          maxLead = Math.max(maxLead, produced - server.received());
          if (index === count - 1) receivedBeforeLast = server.received();
          const chunk = Buffer.alloc(chunkSize, 0x41 + (index % 26));
          chunk.write(`${index}\r\n`);
          hash.update(chunk);
          produced += chunk.length;
          yield chunk;
        }
      }
      const total = chunkSize * count;
      expect(await client.append('INBOX', generate(), { size: total })).toEqual({ uidValidity: 1, uid: 1 });
      expect(await server.result).toEqual({ bytes: total, sha256: hash.digest('hex') });
      // The client never ran far ahead of the server: socket buffers, not the message, sit in
      // between (the whole body would be a lead of 40 MiB).
      expect(receivedBeforeLast).toBeGreaterThan(total / 2);
      expect(maxLead).toBeLessThan(16 * 1024 * 1024);
    } finally {
      client.destroy();
      server.close();
    }
  });
});

// RFC 7888: a non-synchronizing literal commits the client to sending every announced byte, even
// when the server answers the command before reading them. The rest of the body is still sent; a
// source that stalls or fails then closes the connection, so no later command waits behind it.
describe('LITERAL+ APPEND answered before its body was sent', () => {
  /** A stream that delivers `first` and then nothing until told. */
  function stalledAfter(first: string): Readable {
    const stream = new Readable({ read() {} });
    stream.push(first);
    return stream;
  }

  test('the rest of the body is still sent as the source delivers it; the session goes on', async () => {
    const server = await harness.serve([
      ...login(),
      C('A2 APPEND INBOX {13+}'),
      C('first'),
      S('A2 NO [OVERQUOTA] Quota exceeded'),
      C('rest'),
      C(''),
      C('A3 NOOP'),
      S('A3 OK done'),
    ]);
    const client = await harness.connect(server);
    const body = stalledAfter('first\r\n');
    const error = await client.append('INBOX', body, { size: 13 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SERVER_REJECTED', responseCode: 'OVERQUOTA' });
    const noop = client.noop();
    body.push('rest\r\n');
    body.push(null);
    await noop;
    await server.done;
  });

  test("a source that stalls after the answer is stopped by the call's timeout; waiting commands fail typed at once", async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), S('A2 NO [OVERQUOTA] Quota exceeded'), waitEnd()]);
    const client = await harness.connect(server);
    const body = stalledAfter('first\r\n');
    await expect(client.append('INBOX', body, { size: 1000, timeout: 200 })).rejects.toMatchObject({ responseCode: 'OVERQUOTA' });
    const noopError = await client.noop().catch((caught: unknown) => caught);
    expect(noopError).toBeInstanceOf(ConnectionClosedError);
    expect((noopError as Error).cause).toBeInstanceOf(TimeoutError);
    await waitUntil(() => body.destroyed, 'the stream to be destroyed');
    await expect(client.noop()).rejects.toBeInstanceOf(ConnectionClosedError);
    await server.done;
    expect(client.state).toBe('logout');
  });

  test("or by the call's signal", async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), S('A2 NO [OVERQUOTA] Quota exceeded'), waitEnd()]);
    const client = await harness.connect(server);
    const body = stalledAfter('first\r\n');
    const controller = new AbortController();
    await expect(client.append('INBOX', body, { size: 1000, signal: controller.signal })).rejects.toMatchObject({ responseCode: 'OVERQUOTA' });
    const noop = client.noop().catch((caught: unknown) => caught);
    controller.abort();
    const noopError = await noop;
    expect(noopError).toBeInstanceOf(ConnectionClosedError);
    expect((noopError as Error).cause).toBeInstanceOf(AbortError);
    await server.done;
  });

  test('without a call timeout, commandTimeout bounds the wait for the source once the server has answered', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), S('A2 NO [OVERQUOTA] Quota exceeded'), waitEnd()]);
    const client = await harness.connect(server, { commandTimeout: 200 });
    const body = stalledAfter('first\r\n');
    await expect(client.append('INBOX', body, { size: 1000 })).rejects.toMatchObject({ responseCode: 'OVERQUOTA' });
    const noopError = await client.noop().catch((caught: unknown) => caught);
    expect(noopError).toBeInstanceOf(ConnectionClosedError);
    expect((noopError as Error).cause).toBeInstanceOf(TimeoutError);
    await waitUntil(() => body.destroyed, 'the stream to be destroyed');
    await server.done;
  });

  test('no timer outlives the client: destroyed, or logged out once commandTimeout stops the stalled source', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    for (const end of ['destroy', 'logout'] as const) {
      const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), S('A2 NO [OVERQUOTA] Quota exceeded'), waitEnd()]);
      const client = await harness.connect(server, { commandTimeout: 200 });
      const before = timers();
      const body = stalledAfter('first\r\n');
      await expect(client.append('INBOX', body, { size: 1000, timeout: 60_000 })).rejects.toMatchObject({ responseCode: 'OVERQUOTA' });
      if (end === 'destroy') client.destroy();
      else await client.logout();
      await waitUntil(() => body.destroyed && timers() <= before, 'the stream to be destroyed and the timers cleared');
      expect(client.state).toBe('logout');
    }
  });

  // Only the stalled source stands between LOGOUT and its answer, and the session is ending anyway:
  // logout() closes the connection then rather than wait out commandTimeout (60 s here, far beyond
  // the test's own timeout).
  test('logout() does not wait for a stalled source: it closes the connection and the stream is destroyed', async () => {
    for (const order of ['answered first', 'logout first'] as const) {
      const server = await harness.serve([
        ...login(),
        C('A2 APPEND INBOX {1000+}'),
        C('first'),
        ...(order === 'answered first' ? [S('A2 NO [OVERQUOTA] Quota exceeded')] : [until(() => logoutCalled), S('A2 NO [OVERQUOTA] Quota exceeded')]),
        waitEnd(),
      ]);
      let logoutCalled = false;
      const client = await harness.connect(server, { commandTimeout: 60_000 });
      const body = stalledAfter('first\r\n');
      const appended = client.append('INBOX', body, { size: 1000 }).catch((caught: unknown) => caught);
      if (order === 'answered first') expect(await appended).toMatchObject({ responseCode: 'OVERQUOTA' });
      else await waitUntil(saw(server, 'first'), 'the first chunk');
      const loggedOut = client.logout();
      logoutCalled = true;
      await loggedOut;
      expect(await appended).toMatchObject({ responseCode: 'OVERQUOTA' });
      expect(body.destroyed).toBe(true);
      expect(client.state).toBe('logout');
      await server.done;
    }
  });

  // Before the answer the stalled source is the APPEND call's own to bound (its signal, its
  // timeout); but once logout() waits behind it, each wait for it is bounded by commandTimeout, so
  // logout() cannot wait forever.
  test('logout() behind an unanswered APPEND whose source stalls: commandTimeout bounds the wait', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), waitEnd()]);
    const client = await harness.connect(server, { commandTimeout: 200 });
    const body = stalledAfter('first\r\n');
    const appended = client.append('INBOX', body, { size: 1000 }).catch((caught: unknown) => caught);
    await waitUntil(saw(server, 'first'), 'the first chunk');
    await client.logout();
    expect(await appended).toBeInstanceOf(TimeoutError);
    expect(body.destroyed).toBe(true);
    expect(client.state).toBe('logout');
    await server.done;
  });

  test('a source that fails after the answer closes the connection: waiting commands fail typed', async () => {
    const server = await harness.serve([...login(), C('A2 APPEND INBOX {1000+}'), C('first'), S('A2 NO [OVERQUOTA] Quota exceeded'), waitEnd()]);
    const client = await harness.connect(server);
    const body = stalledAfter('first\r\n');
    await expect(client.append('INBOX', body, { size: 1000 })).rejects.toMatchObject({ responseCode: 'OVERQUOTA' });
    const noop = client.noop().catch((caught: unknown) => caught);
    const failure = new Error('disk on fire');
    body.destroy(failure);
    const noopError = await noop;
    expect(noopError).toBeInstanceOf(ConnectionClosedError);
    expect(((noopError as Error).cause as Error).cause).toBe(failure);
    await server.done;
  });
});

// As stream.pipeline does: a stream body handed to APPEND is read to its end, or destroyed when the
// call ends without reading it (whatever the failure), so a file stream never keeps its descriptor.
describe('a stream body the call will not read is destroyed', () => {
  /** A file-like stream that has not been read yet. */
  const unread = (): Readable => Readable.from(['Subject: x\r\n\r\nhi\r\n']);

  test('a synchronizing literal refused with NO', async () => {
    const server = await harness.serve([...login(NO_LITERAL_PLUS), C('A2 APPEND Nowhere {18}'), S('A2 NO [TRYCREATE] No such mailbox')]);
    const client = await harness.connect(server);
    const body = unread();
    await expect(client.append('Nowhere', body, { size: 18 })).rejects.toMatchObject({ responseCode: 'TRYCREATE' });
    expect(body.destroyed).toBe(true);
    await server.done;
  });

  test('aborted, or timed out, while waiting for the "+"', async () => {
    const server = await harness.serve([...login(NO_LITERAL_PLUS), C('A2 APPEND INBOX {18}'), waitEnd()]);
    const client = await harness.connect(server);
    const [aborted, timedOut] = [unread(), unread()];
    const controller = new AbortController();
    const first = client.append('INBOX', aborted, { size: 18, signal: controller.signal }).catch((error: unknown) => error);
    await waitUntil(saw(server, 'A2 APPEND INBOX {18}'), 'the first APPEND line');
    controller.abort();
    expect(await first).toBeInstanceOf(AbortError);
    expect(aborted.destroyed).toBe(true);
    // The first literal is still owed: the second command waits behind it and times out in the queue.
    await expect(client.append('INBOX', timedOut, { size: 18, timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(timedOut.destroyed).toBe(true);
    client.destroy();
  });

  test('the connection lost while waiting for the "+", or queued', async () => {
    const server = await harness.serve([...login(NO_LITERAL_PLUS), C('A2 APPEND INBOX {18}'), hangUp()]);
    const client = await harness.connect(server);
    const [waiting, queued] = [unread(), unread()];
    const calls = [client.append('INBOX', waiting, { size: 18 }), client.append('INBOX', queued, { size: 18 })];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(waiting.destroyed).toBe(true);
    expect(queued.destroyed).toBe(true);
  });

  test('refused before anything is sent, with or without a size', async () => {
    const server = await harness.serve([...login()]);
    const client = await harness.connect(server);
    const bodies: Readable[] = [];
    const refused = async (options: Parameters<ImapClient['append']>[2]): Promise<unknown> => {
      const body = unread();
      bodies.push(body);
      return client.append('INBOX', body, options).catch((error: unknown) => error);
    };
    expect(await refused({ size: 18, flags: ['\\Recent'] })).toBeInstanceOf(InvalidArgumentError);
    expect(await refused({ flags: ['\\Recent'] })).toBeInstanceOf(InvalidArgumentError);
    expect(await refused({ size: 18, maxSize: 10 })).toBeInstanceOf(LimitExceededError);
    expect(await refused({ size: 18, signal: AbortSignal.abort() })).toBeInstanceOf(AbortError);
    expect(await refused({ signal: AbortSignal.abort() })).toBeInstanceOf(AbortError);
    client.destroy();
    expect(await refused({ size: 18 })).toBeInstanceOf(ConnectionClosedError);
    expect(bodies.map((body) => body.destroyed)).toEqual(bodies.map(() => true));
  });

  test('a stream or generator already given to a call is refused by a second one, untouched, and the first goes on', async () => {
    const server = await harness.serve([
      ...login(),
      C('A2 APPEND INBOX {4+}'),
      C('hi'),
      C(''),
      S('A2 OK [APPENDUID 1 5] done'),
      C('A3 NOOP'),
      S('A3 OK done'),
    ]);
    const client = await harness.connect(server);
    const body = new Readable({ read() {} });
    const first = client.append('INBOX', body, { size: 4 });
    await expect(client.append('INBOX', body, { size: 4 })).rejects.toThrow(/already given to an APPEND/);
    await expect(client.append('INBOX', body)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(body.destroyed).toBe(false);
    body.push('hi\r\n');
    body.push(null);
    expect(await first).toEqual({ uidValidity: 1, uid: 5 });
    async function* generated(): AsyncGenerator<string> {
      await sleep(1);
      yield 'hi';
    }
    const generator = generated();
    await expect(client.append('INBOX', generator, { size: 2, flags: ['\\Recent'] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.append('INBOX', generator, { size: 2 })).rejects.toThrow(/already given to an APPEND/);
    await client.noop();
    await server.done;
  });

  test('an async generator is ended with return(): it yields nothing after', async () => {
    const server = await harness.serve([...login(NO_LITERAL_PLUS), C('A2 APPEND Nowhere {2}'), S('A2 NO [TRYCREATE] No such mailbox')]);
    const client = await harness.connect(server);
    async function* body(): AsyncGenerator<string> {
      await sleep(1);
      yield 'hi';
    }
    const generator = body();
    await expect(client.append('Nowhere', generator, { size: 2 })).rejects.toMatchObject({ responseCode: 'TRYCREATE' });
    expect(await generator.next()).toEqual({ done: true, value: undefined });
    await server.done;
  });
});
