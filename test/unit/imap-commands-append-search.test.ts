// APPEND (synchronizing literal vs LITERAL+, streams, APPENDUID, TRYCREATE/OVERQUOTA) and
// SEARCH / UID SEARCH / ESEARCH against a scripted fake server.
import { Readable } from 'node:stream';
import { describe, expect, test, vi } from 'vitest';
import { AbortError, InvalidArgumentError, LimitExceededError, ProtocolError, ServerError, TimeoutError, UnsupportedError } from '../../src/common/errors.js';
import { append } from '../../src/imap/commands/append.js';
import { search, searchSeq, searchSummary, type SearchReturn } from '../../src/imap/commands/search.js';
import { SequenceSet, uid } from '../../src/imap/wire/sequence-set.js';
import { greeting, scripted, selectInbox } from './imap-commands/fake-server.js';

const MESSAGE = 'Subject: hi\r\n\r\nHello\r\n';

describe('APPEND', () => {
  test('without LITERAL+ the message waits for the server\'s "+"', async () => {
    const { client, finish } = await scripted([
      greeting('UIDPLUS'),
      `C: A1 APPEND Drafts (\\Draft \\Seen) " 5-Mar-2026 09:07:03 +0000" {${MESSAGE.length}}`,
      { quiet: 150 },
      'S: + Ready for literal data',
      { client: `${MESSAGE}\r\n` },
      'S: A1 OK [APPENDUID 38505 3955] Append completed',
    ]);
    const result = await append(client, 'Drafts', MESSAGE, { flags: ['\\Draft', '\\Seen'], internalDate: new Date('2026-03-05T09:07:03Z') });
    expect(result).toEqual({ uidValidity: 38505, uid: 3955 });
    await finish();
  });

  test('with LITERAL+ the message follows at once; no APPENDUID gives null', async () => {
    const { client, finish } = await scripted([
      greeting('LITERAL+'),
      `C: A1 APPEND INBOX {${MESSAGE.length}+}`,
      { client: `${MESSAGE}\r\n` },
      'S: A1 OK Append completed',
    ]);
    expect(await append(client, 'inbox', Buffer.from(MESSAGE))).toBeNull();
    await finish();
  });

  // RFC 9051 includes LITERAL- in IMAP4rev2: a server that speaks only IMAP4rev2 need not list it.
  test.each([
    ['LITERAL-', greeting('LITERAL-')],
    ['IMAP4rev2 only', 'S: * PREAUTH [CAPABILITY IMAP4rev2] fake server ready'],
  ])('with %s, only messages up to 4096 bytes skip the "+" (RFC 7888)', async (_name, serverGreeting) => {
    const big = `Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n`;
    const { client, finish } = await scripted([
      serverGreeting,
      `C: A1 APPEND INBOX {${MESSAGE.length}+}`,
      { client: `${MESSAGE}\r\n` },
      'S: A1 OK done',
      `C: A2 APPEND INBOX {${big.length}}`,
      { quiet: 100 },
      'S: + go ahead',
      { client: `${big}\r\n` },
      'S: A2 OK done',
    ]);
    await append(client, 'INBOX', MESSAGE);
    await append(client, 'INBOX', big);
    await finish();
  });

  test('a server offering IMAP4rev1 and IMAP4rev2 gets non-synchronizing literals once IMAP4rev2 is enabled', async () => {
    const { client, finish } = await scripted([
      greeting('IMAP4rev2 ENABLE'),
      `C: A1 APPEND INBOX {${MESSAGE.length}}`,
      { quiet: 100 },
      'S: + go ahead',
      { client: `${MESSAGE}\r\n` },
      'S: A1 OK done',
      'C: A2 ENABLE IMAP4rev2',
      'S: * ENABLED IMAP4rev2',
      'S: A2 OK enabled',
      `C: A3 APPEND INBOX {${MESSAGE.length}+}`,
      { client: `${MESSAGE}\r\n` },
      'S: A3 OK done',
    ]);
    await append(client, 'INBOX', MESSAGE);
    await client.enable(['IMAP4rev2']);
    await append(client, 'INBOX', MESSAGE);
    await finish();
  });

  test('a refused literal: NO [TRYCREATE] instead of "+" rejects with the code, nothing more is sent', async () => {
    const { client, server, finish } = await scripted([
      greeting(''),
      `C: A1 APPEND "Does not exist" {${MESSAGE.length}}`,
      'S: A1 NO [TRYCREATE] Mailbox does not exist',
      { quiet: 100 },
    ]);
    const error = await append(client, 'Does not exist', MESSAGE).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ responseCode: 'TRYCREATE', status: 'NO' });
    await finish();
    expect(server.received()).not.toContain('Hello');
  });

  test('NO [OVERQUOTA] after the literal is a ServerError with the code', async () => {
    const { client, finish } = await scripted([
      greeting('LITERAL+'),
      `C: A1 APPEND INBOX {${MESSAGE.length}+}`,
      { client: `${MESSAGE}\r\n` },
      'S: A1 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)',
    ]);
    await expect(append(client, 'INBOX', MESSAGE)).rejects.toMatchObject({ responseCode: 'OVERQUOTA' });
    await finish();
  });

  test('a stream of unknown size is buffered to learn it; one of stated size is streamed', async () => {
    const chunks = ['Subject: streamed\r\n', '\r\n', 'part one\r\n', 'part two\r\n'];
    const body = chunks.join('');
    const { client, finish } = await scripted([
      greeting('LITERAL+ UIDPLUS'),
      `C: A1 APPEND Archive {${body.length}+}`,
      { client: `${body}\r\n` },
      'S: A1 OK [APPENDUID 1 7] done',
      `C: A2 APPEND Archive {${body.length}+}`,
      { client: `${body}\r\n` },
      'S: A2 OK [APPENDUID 1 8] done',
    ]);
    expect(await append(client, 'Archive', Readable.from(chunks.map((chunk) => Buffer.from(chunk))))).toEqual({ uidValidity: 1, uid: 7 });
    const iterable: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => {
        let index = 0;
        return { next: () => Promise.resolve(index < chunks.length ? { value: chunks[index++]!, done: false } : { value: undefined, done: true }) };
      },
    };
    expect(await append(client, 'Archive', iterable, { size: body.length })).toEqual({ uidValidity: 1, uid: 8 });
    // A stated size that does not match: see test/unit/imap-append-stream.test.ts for streams.
    await expect(append(client, 'Archive', Buffer.from(body), { size: body.length - 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(append(client, 'Archive', body, { size: body.length + 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();
  });

  test('limits: maxSize for streams, APPENDLIMIT from the capability, empty bodies, NUL without BINARY', async () => {
    const { client, server, finish } = await scripted([greeting('APPENDLIMIT=100')]);
    await expect(append(client, 'INBOX', Readable.from([Buffer.alloc(40, 0x61), Buffer.alloc(40, 0x61)]), { maxSize: 50 })).rejects.toBeInstanceOf(LimitExceededError);
    await expect(append(client, 'INBOX', Buffer.alloc(101, 0x61))).rejects.toMatchObject({ limit: 'APPENDLIMIT', maximum: 100, actual: 101 });
    await expect(append(client, 'INBOX', Readable.from([Buffer.alloc(10)]), { size: 200 })).rejects.toBeInstanceOf(LimitExceededError);
    await expect(append(client, 'INBOX', '')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(append(client, 'INBOX', 'a\0b')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(append(client, 'bad\r\nname', MESSAGE)).rejects.toBeInstanceOf(InvalidArgumentError);
    // \Recent is the server's to set (RFC 3501 section 2.3.2).
    await expect(append(client, 'INBOX', MESSAGE, { flags: ['\\Seen', '\\Recent'] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();
    expect(server.received()).toBe('');
  });

  test('a stream of unknown size that fails, or gives neither bytes nor text, is an InvalidArgumentError; nothing is sent', async () => {
    const { client, server, finish } = await scripted([greeting('LITERAL+'), 'C: A1 NOOP', 'S: A1 OK']);
    async function* failing(): AsyncGenerator<string> {
      yield 'Subject: x\r\n';
      await Promise.resolve();
      throw new Error('disk gone');
    }
    async function* numbers(): AsyncGenerator {
      await Promise.resolve();
      yield 42;
    }
    const failed: unknown = await append(client, 'INBOX', failing()).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(InvalidArgumentError);
    expect((failed as Error).cause).toMatchObject({ message: 'disk gone' });
    await expect(append(client, 'INBOX', numbers() as AsyncIterable<string>)).rejects.toThrow(/gave a number, not bytes or text/);
    await client.noop();
    await finish();
    expect(server.received()).toBe('A1 NOOP\r\n');
  });

  test('a stream of unknown size that stalls is still ended by the signal and the timeout: the stream is stopped, nothing is sent', async () => {
    const { client, server, finish } = await scripted([greeting('LITERAL+'), 'C: A1 NOOP', 'S: A1 OK']);
    // Never delivers a byte (a network source gone quiet).
    const stalled = (): Readable => new Readable({ read: () => undefined });
    const controller = new AbortController();
    const aborted = stalled();
    const timedOut = stalled();
    const outcomes: unknown[] = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      void append(client, 'INBOX', aborted, { signal: controller.signal }).catch((error: unknown) => outcomes.push(error));
      void append(client, 'INBOX', timedOut, { timeout: 5_000 }).catch((error: unknown) => outcomes.push(error));
      controller.abort();
      await vi.advanceTimersByTimeAsync(5_000);
    } finally {
      vi.useRealTimers();
    }
    expect(outcomes).toHaveLength(2);
    expect(outcomes[0]).toBeInstanceOf(AbortError);
    expect(outcomes[1]).toBeInstanceOf(TimeoutError);
    expect([aborted.destroyed, timedOut.destroyed]).toEqual([true, true]);
    // An aborted signal: the stream is not even read.
    const untouched = Readable.from([Buffer.from(MESSAGE)]);
    await expect(append(client, 'INBOX', untouched, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(untouched.readableDidRead).toBe(false);
    // Not iterable at all (a JavaScript caller's mistake): still a typed error.
    await expect(append(client, 'INBOX', 42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await client.noop();
    await finish();
    expect(server.received()).toBe('A1 NOOP\r\n');
  });

  test('NUL bytes go as a literal8 when BINARY is offered', async () => {
    const { client, finish } = await scripted([
      greeting('BINARY LITERAL+'),
      'C: A1 APPEND INBOX ~{3+}',
      { client: Buffer.from([0x61, 0x00, 0x62, 0x0d, 0x0a]) },
      'S: A1 OK done',
    ]);
    await append(client, 'INBOX', Buffer.from([0x61, 0x00, 0x62]));
    await finish();
  });

  test('NUL bytes go as a literal8 to a server that speaks IMAP4rev2 only (RFC 9051 includes BINARY)', async () => {
    const { client, finish } = await scripted([
      'S: * PREAUTH [CAPABILITY IMAP4rev2 LITERAL+] fake server ready',
      'C: A1 APPEND INBOX ~{3+}',
      { client: Buffer.from([0x61, 0x00, 0x62, 0x0d, 0x0a]) },
      'S: A1 OK done',
    ]);
    await append(client, 'INBOX', Buffer.from([0x61, 0x00, 0x62]));
    await finish();
  });
});

describe('SEARCH', () => {
  test('UID SEARCH with dates, flags, sizes, headers, UID sets, OR and NOT returns typed UIDs', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 UID SEARCH UNSEEN FLAGGED FROM alice@example.com HEADER X-Priority 1 SINCE 1-Feb-2026 LARGER 1000 UID 1:100 NOT SUBJECT spam OR TO bob CC bob',
        'S: * SEARCH 3 5 8',
        'S: A2 OK Search completed',
      ],
      { select: true },
    );
    const uids = await search(client, {
      seen: false,
      flagged: true,
      from: 'alice@example.com',
      header: { 'X-Priority': '1' },
      since: new Date('2026-02-01T12:00:00Z'),
      larger: 1000,
      uid: SequenceSet.uids([{ start: uid(1), end: uid(100) }]),
      not: { subject: 'spam' },
      or: [{ to: 'bob' }, { cc: 'bob' }],
    });
    expect(uids).toEqual([3, 5, 8]);
    await finish();
  });

  test('LARGER/SMALLER past 2^32-1 (number64) once IMAP4rev2 is enabled, or from an IMAP4rev2-only server; refused before', async () => {
    const huge = 2n ** 40n;
    const { client, server, finish } = await scripted([
      greeting('IMAP4rev2 ENABLE'),
      'C: A1 ENABLE IMAP4rev2',
      'S: * ENABLED IMAP4rev2',
      'S: A1 OK done',
      ...selectInbox('A2'),
      `C: A3 UID SEARCH RETURN (ALL) LARGER ${huge} SMALLER 9223372036854775807`,
      'S: * ESEARCH (TAG "A3") UID',
      'S: A3 OK done',
    ]);
    // IMAP4rev1 until IMAP4rev2 is enabled (RFC 9051 section 6.3.1): 32 bits.
    await expect(search(client, { larger: huge })).rejects.toThrow(/larger.*4294967295/);
    expect(server.received()).toBe('');
    await client.enable(['IMAP4rev2']);
    await client.select('INBOX');
    expect(await search(client, { larger: huge, smaller: 2n ** 63n - 1n })).toEqual([]);
    await expect(search(client, { smaller: 2n ** 63n })).rejects.toBeInstanceOf(InvalidArgumentError);
    await finish();

    const only = await scripted([
      'S: * PREAUTH [CAPABILITY IMAP4rev2] fake server ready',
      ...selectInbox('A1'),
      `C: A2 UID SEARCH RETURN (ALL) SMALLER ${huge}`,
      'S: * ESEARCH (TAG "A2") UID ALL 4',
      'S: A2 OK done',
    ], { select: true });
    expect(await search(only.client, { smaller: huge })).toEqual([4]);
    await only.finish();
  });

  test('a MODSEQ key is sent with CONDSTORE (or QRESYNC, which implies it)', async () => {
    for (const capability of ['CONDSTORE', 'QRESYNC']) {
      const { client, finish } = await scripted(
        [greeting(capability), ...selectInbox('A1'), 'C: A2 UID SEARCH MODSEQ 620162338', 'S: * SEARCH 2 5 (MODSEQ 917162500)', 'S: A2 OK done'],
        { select: true },
      );
      expect(await search(client, { modseq: 620162338n })).toEqual([2, 5]);
      await finish();
    }
  });

  test('without CONDSTORE a MODSEQ key, even nested, is refused with UnsupportedError before sending (the server would answer BAD)', async () => {
    const { client, server, finish } = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const before = server.received();
    await expect(search(client, { modseq: 5n })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(search(client, { not: { modseq: 5n } })).rejects.toThrow(/CONDSTORE/);
    await expect(searchSummary(client, { or: [{ seen: true }, { and: [{ modseq: 5n }] }] }, ['COUNT'])).rejects.toBeInstanceOf(UnsupportedError);
    await finish();
    expect(server.received()).toBe(before);
  });

  test('without WITHIN a youngerThan or olderThan key, even nested, is refused with UnsupportedError before sending', async () => {
    const { client, server, finish } = await scripted([greeting(''), ...selectInbox('A1')], { select: true });
    const before = server.received();
    await expect(search(client, { youngerThan: 3600 })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(search(client, { not: { olderThan: 60 } })).rejects.toThrow(/WITHIN/);
    await expect(searchSummary(client, { or: [{ seen: true }, { and: [{ youngerThan: 5 }] }] }, ['COUNT'])).rejects.toBeInstanceOf(UnsupportedError);
    await finish();
    expect(server.received()).toBe(before);
  });

  test('with WITHIN, YOUNGER and OLDER are sent', async () => {
    const { client, finish } = await scripted(
      [greeting('WITHIN'), ...selectInbox('A1'), 'C: A2 UID SEARCH YOUNGER 3600 NOT OLDER 60', 'S: * SEARCH 4', 'S: A2 OK done'],
      { select: true },
    );
    expect(await search(client, { youngerThan: 3600, not: { olderThan: 60 } })).toEqual([4]);
    await finish();
  });

  test('non-ASCII text: CHARSET UTF-8 and the text as a literal (waiting for "+" without LITERAL+)', async () => {
    const subject = 'Grüße';
    const bytes = Buffer.from(subject, 'utf8');
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        `C: A2 UID SEARCH CHARSET UTF-8 SUBJECT {${bytes.length}}`,
        { quiet: 100 },
        'S: + go ahead',
        { client: Buffer.concat([bytes, Buffer.from('\r\n')]) },
        'S: * SEARCH',
        'S: A2 OK done',
      ],
      { select: true },
    );
    expect(await search(client, { subject })).toEqual([]);
    await finish();
  });

  test('CHARSET is decided when the search is written: none behind a pipelined ENABLE UTF8=ACCEPT (RFC 6855 section 3)', async () => {
    const { client, finish } = await scripted([
      greeting('ENABLE UTF8=ACCEPT'),
      'C: A1 ENABLE UTF8=ACCEPT',
      'S: * ENABLED UTF8=ACCEPT',
      'S: A1 OK enabled',
      ...selectInbox('A2'),
      'C: A3 UID SEARCH SUBJECT "Grüße"',
      'S: * SEARCH 7',
      'S: A3 OK done',
    ]);
    const enabling = client.enable(['UTF8=ACCEPT']);
    const selecting = client.select('INBOX');
    const searching = search(client, { subject: 'Grüße' });
    await enabling;
    await selecting;
    expect(await searching).toEqual([7]);
    await finish();
  });

  test('CHARSET UTF-8 stays when a pipelined ENABLE UTF8=ACCEPT enables nothing', async () => {
    const bytes = Buffer.from('Grüße', 'utf8');
    const { client, finish } = await scripted([
      greeting('ENABLE UTF8=ACCEPT LITERAL+'),
      'C: A1 ENABLE UTF8=ACCEPT',
      'S: * ENABLED',
      'S: A1 OK nothing enabled',
      ...selectInbox('A2'),
      `C: A3 UID SEARCH CHARSET UTF-8 SUBJECT {${bytes.length}+}`,
      { client: Buffer.concat([bytes, Buffer.from('\r\n')]) },
      'S: * SEARCH',
      'S: A3 OK done',
    ]);
    const enabling = client.enable(['UTF8=ACCEPT']);
    const selecting = client.select('INBOX');
    const searching = search(client, { subject: 'Grüße' });
    expect(await enabling).toEqual([]);
    await selecting;
    expect(await searching).toEqual([]);
    await finish();
  });

  test('NO [BADCHARSET] is a ServerError with the code and the charsets the server offers', async () => {
    const { client, finish } = await scripted(
      [greeting('LITERAL+'), ...selectInbox('A1'), 'C: A2 UID SEARCH CHARSET UTF-8 BODY {3+}', { client: 'Кc\r\n' }, 'S: A2 NO [BADCHARSET (US-ASCII)] Unsupported charset'],
      { select: true },
    );
    const error = await search(client, { body: 'Кc' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ responseCode: 'BADCHARSET', responseCodeData: '(US-ASCII)' });
    expect((error as Error).message).toContain('[BADCHARSET (US-ASCII)] Unsupported charset');
    await finish();
  });

  test('sequence-number SEARCH', async () => {
    const { client, finish } = await scripted(
      [greeting(''), ...selectInbox('A1'), 'C: A2 SEARCH DELETED', 'S: * SEARCH 2 3', 'S: A2 OK done'],
      { select: true },
    );
    expect(await searchSeq(client, { deleted: true })).toEqual([2, 3]);
    await finish();
  });

  test('ESEARCH: RETURN (ALL) for a full result, expanded to UIDs', async () => {
    const { client, finish } = await scripted(
      [greeting('ESEARCH'), ...selectInbox('A1'), 'C: A2 UID SEARCH RETURN (ALL) ALL', 'S: * ESEARCH (TAG "A2") UID ALL 1:3,7', 'S: A2 OK done'],
      { select: true },
    );
    expect(await search(client, {})).toEqual([1, 2, 3, 7]);
    await finish();
  });

  test('ESEARCH summary: MIN MAX COUNT ALL in one command; pipelined searches get their own answers', async () => {
    const { client, finish } = await scripted(
      [
        greeting('ESEARCH'),
        ...selectInbox('A1'),
        'C: A2 UID SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN',
        'C: A3 UID SEARCH RETURN (COUNT) SEEN',
        'S: * ESEARCH (TAG "A3") UID COUNT 2',
        'S: * ESEARCH (TAG "A2") UID MIN 4 MAX 9 COUNT 3 ALL 4,8:9',
        'S: A2 OK done',
        'S: A3 OK done',
      ],
      { select: true },
    );
    const [unseen, seen] = await Promise.all([searchSummary(client, { seen: false }, []), searchSummary(client, { seen: true }, ['COUNT'])]);
    expect(unseen).toMatchObject({ min: 4, max: 9, count: 3 });
    expect(unseen.all?.toString()).toBe('4,8:9');
    expect(seen).toEqual({ min: undefined, max: undefined, count: 2, all: undefined, modseq: undefined });
    await finish();
  });

  test('summary: a result option that is not MIN, MAX, COUNT or ALL is refused before anything is sent', async () => {
    // From JavaScript: `count` went out as RETURN (count), and the COUNT the server sent was dropped.
    const { client, finish } = await scripted([greeting('ESEARCH'), ...selectInbox('A1')], { select: true });
    for (const returns of [['count'], ['COUNT', 'SAVE'], 'COUNT', null]) {
      await expect(searchSummary(client, {}, returns as unknown as SearchReturn[]), JSON.stringify(returns)).rejects.toThrow(InvalidArgumentError);
    }
    await finish();
  });

  test('summary without ESEARCH is computed from a plain SEARCH', async () => {
    const { client, finish } = await scripted(
      [greeting(''), ...selectInbox('A1'), 'C: A2 SEARCH ANSWERED', 'S: * SEARCH 9 2 5', 'S: A2 OK done'],
      { select: true },
    );
    const summary = await searchSummary(client, { answered: true }, ['MIN', 'MAX', 'COUNT', 'ALL'], { bySequence: true });
    expect(summary).toMatchObject({ min: 2, max: 9, count: 3 });
    expect(summary.all?.toString()).toBe('2,5,9');
    await finish();
  });

  test('pipelined plain SEARCHes take one SEARCH line each, in order', async () => {
    const { client, finish } = await scripted(
      [
        greeting(''),
        ...selectInbox('A1'),
        'C: A2 UID SEARCH SEEN',
        'C: A3 UID SEARCH UNSEEN',
        'S: * SEARCH 1 2',
        'S: A2 OK done',
        'S: * SEARCH 3',
        'S: A3 OK done',
      ],
      { select: true },
    );
    expect(await Promise.all([search(client, { seen: true }), search(client, { seen: false })])).toEqual([[1, 2], [3]]);
    await finish();
  });

  // No message has number or UID 0 (nz-number, RFC 9051 section 9): a 0 in a result is dropped.
  test('a 0 in a SEARCH or ESEARCH answer is dropped, never returned as a message', async () => {
    const plain = await scripted(
      [greeting(''), ...selectInbox('A1'), 'C: A2 UID SEARCH ALL', 'S: * SEARCH 0 4', 'S: A2 OK done', 'C: A3 SEARCH ALL', 'S: * SEARCH 0', 'S: A3 OK done'],
      { select: true },
    );
    expect(await search(plain.client, {})).toEqual([4]);
    expect(await searchSummary(plain.client, {}, [], { bySequence: true })).toEqual({ min: undefined, max: undefined, count: 0, all: undefined, modseq: undefined });
    await plain.finish();

    const extended = await scripted(
      [
        greeting('ESEARCH'),
        ...selectInbox('A1'),
        'C: A2 UID SEARCH RETURN (ALL) ALL',
        'S: * ESEARCH (TAG "A2") UID ALL 0:2,5,0',
        'S: A2 OK done',
        'C: A3 UID SEARCH RETURN (MIN MAX COUNT ALL) ALL',
        'S: * ESEARCH (TAG "A3") UID MIN 0 MAX 0 COUNT 0 ALL 0',
        'S: A3 OK done',
      ],
      { select: true },
    );
    expect(await search(extended.client, {})).toEqual([1, 2, 5]);
    expect(await searchSummary(extended.client, {}, [])).toEqual({ min: undefined, max: undefined, count: 0, all: undefined, modseq: undefined });
    await extended.finish();
  });

  test('an answer the parser cannot read fails the search with a ProtocolError, not an empty result', async () => {
    const plain = await scripted(
      [greeting(''), ...selectInbox('A1'), 'C: A2 UID SEARCH ALL', 'S: * SEARCH 1 two 3', 'S: A2 OK done', 'C: A3 NOOP', 'S: A3 OK done'],
      { select: true },
    );
    await expect(search(plain.client, {})).rejects.toBeInstanceOf(ProtocolError);
    await plain.client.noop(); // the session goes on
    await plain.finish();

    const extended = await scripted(
      [greeting('ESEARCH'), ...selectInbox('A1'), 'C: A2 UID SEARCH RETURN (ALL) ALL', 'S: * ESEARCH (TAG "A2") UID ALL 1:x', 'S: A2 OK done'],
      { select: true },
    );
    await expect(search(extended.client, {})).rejects.toBeInstanceOf(ProtocolError);
    await extended.finish();
  });

  test('search() returns each match once, ascending, however the server wrote them', async () => {
    const plain = await scripted(
      [greeting(''), ...selectInbox('A1'), 'C: A2 UID SEARCH ALL', 'S: * SEARCH 9 3 3 5', 'S: A2 OK done'],
      { select: true },
    );
    expect(await search(plain.client, {})).toEqual([3, 5, 9]);
    await plain.finish();

    const extended = await scripted(
      [greeting('ESEARCH'), ...selectInbox('A1'), 'C: A2 SEARCH RETURN (ALL) ALL', 'S: * ESEARCH (TAG "A2") ALL 7,1:3,2:4', 'S: A2 OK done'],
      { select: true },
    );
    expect(await searchSeq(extended.client, {})).toEqual([1, 2, 3, 4, 7]);
    await extended.finish();
  });
});
