import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { Connection, Connector } from '../../src/common/connector.js';
import { ConnectionClosedError, InvalidArgumentError, TimeoutError, type MailwireError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { WirePart } from '../../src/common/wirelog.js';
import { ImapClient } from '../../src/imap/index.js';
import {
  FixtureFormatError,
  FixtureMismatchError,
  FixtureUnconsumedError,
  chunkBytes,
  loadTranscript,
  loadTranscriptSync,
  parseTranscript,
  recordingConnector,
  replayConnector,
  startReplayServer,
  type RecordOptions,
  type ReplayChunking,
  type Transcript,
  type TranscriptProtocol,
  type TranscriptTlsMode,
} from '../../src/testing/index.js';

const IMAP = `# mailwire transcript v1
# protocol: imap
# tls: none

S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready
C: A1 LOGIN alice <redacted>
S: A1 OK [CAPABILITY IMAP4rev1] Logged in
C: A2 SELECT INBOX
S: * 1 EXISTS
S: A2 OK [READ-WRITE] Select completed
C: A3 FETCH 1 BODY[]
S: * 1 FETCH (BODY[] {33}
S: A1 OK not a tag: a literal line
S: )
S: A3 OK Fetch completed
C: A4 LOGOUT
S: * BYE Logging out
S: A4 OK Logout completed
@close server
@end
`;

/** Narrows an error to the class expected, failing the test otherwise. */
function as<T>(type: abstract new (...args: never[]) => T, error: unknown): T {
  expect(error).toBeInstanceOf(type);
  if (!(error instanceof type)) throw new Error('unreachable');
  return error;
}

const chunkings: ReplayChunking[] = ['recorded', 'byte', { seed: 1 }, { seed: 42, maxChunk: 3 }];

async function playImap(connector: Connector, tags: readonly string[] = ['a.1', 'a.2', 'a.3', 'a.4']): Promise<string> {
  const client = await fakeClient(connector);
  await client.waitFor('ready\r\n');
  client.write(`${tags[0]} LOGIN alice `, new Secret('"s3cret pass"'), '\r\n');
  await client.waitFor(`${tags[0]} OK`);
  // Pipelined: SELECT and FETCH before any answer.
  client.write(`${tags[1]} SELECT INBOX\r\n`);
  client.write(`${tags[2]} FETCH 1 BODY[]\r\n`);
  await client.waitFor(`${tags[2]} OK Fetch completed\r\n`);
  client.write(`${tags[3]} LOGOUT\r\n`);
  await client.waitFor(`${tags[3]} OK Logout completed\r\n`);
  const closed = await client.closed;
  expect(closed).toBeInstanceOf(ConnectionClosedError);
  return client.received();
}

describe('replayConnector', () => {
  it('refuses what is not a parsed transcript when made (a forgotten await, a file name), not with a TypeError at connect', async () => {
    const pending = loadTranscript('fixtures/pop3/subjects.txt');
    const notTranscripts: unknown[] = [pending, 'fixtures/pop3/subjects.txt', undefined, { header: { protocol: 'pop3' } }];
    for (const value of notTranscripts) {
      expect(() => replayConnector(value as Transcript)).toThrow(InvalidArgumentError);
      await expect(startReplayServer(value as Transcript)).rejects.toThrow(InvalidArgumentError);
    }
    expect(() => replayConnector(pending as unknown as Transcript)).toThrow(/a Promise: await loadTranscript/);
    expect(() => replayConnector('x.txt' as unknown as Transcript)).toThrow(/a string: load it with loadTranscript/);
    expect(() => parseTranscript(Buffer.from(IMAP) as unknown as string)).toThrow(InvalidArgumentError);
    await pending;
  });

  for (const chunking of chunkings) {
    it(`replays a scripted client with ${JSON.stringify(chunking)} chunking, mapping tags both ways`, async () => {
      const replay = replayConnector(parseTranscript(IMAP), { chunking });
      const received = await playImap(replay);
      expect(received).toBe(
        '* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n' +
          'a.1 OK [CAPABILITY IMAP4rev1] Logged in\r\n' +
          '* 1 EXISTS\r\na.2 OK [READ-WRITE] Select completed\r\n' +
          '* 1 FETCH (BODY[] {33}\r\nA1 OK not a tag: a literal line\r\n)\r\na.3 OK Fetch completed\r\n' +
          '* BYE Logging out\r\na.4 OK Logout completed\r\n',
      );
      replay.assertDone();
      await replay.close();
    });
  }

  it('follows synchronizing literals: literal lines are never taken for tags, in either direction', async () => {
    const text =
      '# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 APPEND INBOX {12}\nS: + Ready\nC: A1 OK fake\nC:\n' +
      'S: A1 OK [APPENDUID 1 2] done\nC: A2 FETCH 2 BODY[]\nS: * 2 FETCH (BODY[] {14}\nS: A2 OK inside\nS: )\nS: A2 OK fetched\n@end\n';
    for (const chunking of ['recorded', 'byte', { seed: 11 }] as const) {
      const replay = replayConnector(parseTranscript(text), { chunking });
      const client = await fakeClient(replay);
      await client.waitFor('* OK\r\n');
      client.write('q1 APPEND INBOX {12}\r\n');
      await client.waitFor('+ Ready\r\n');
      client.write(new Uint8Array(Buffer.from('A1 OK fake\r\n')), '\r\n');
      await client.waitFor('q1 OK [APPENDUID 1 2] done\r\n');
      client.write('q2 FETCH 2 BODY[]\r\n');
      expect(await client.waitFor('q2 OK fetched\r\n')).toBe('* 2 FETCH (BODY[] {14}\r\nA2 OK inside\r\n)\r\nq2 OK fetched\r\n');
      replay.assertDone();
    }
  });

  it('rewrites the tag correlator of an ESEARCH response (RFC 4731) to the client\'s tag, and records it normalised', async () => {
    const text =
      '# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 UID SEARCH RETURN (ALL) UID 3\n' +
      'S: * ESEARCH (TAG "A1") UID ALL 3\nS: * esearch (tag "A1") UID\nS: A1 OK done\n@end\n';
    for (const chunking of ['recorded', 'byte', { seed: 7, maxChunk: 4 }] as const) {
      const recorder = recordingConnector(replayConnector(parseTranscript(text), { chunking }), { protocol: 'imap', sink: () => undefined });
      const client = await fakeClient(recorder);
      await client.waitFor('* OK\r\n');
      client.write('q.7 UID SEARCH RETURN (ALL) UID 3\r\n');
      expect(await client.waitFor('q.7 OK done\r\n')).toBe('* ESEARCH (TAG "q.7") UID ALL 3\r\n* esearch (tag "q.7") UID\r\nq.7 OK done\r\n');
      await client.connection.close();
      expect(serverBytes(parseTranscript(recorder.text()))).toContain('* ESEARCH (TAG "A1") UID ALL 3\r\n* esearch (tag "A1") UID\r\nA1 OK done\r\n');
    }
  });

  it('gives the same frames for many random splits', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const replay = replayConnector(parseTranscript(IMAP), { chunking: { seed, maxChunk: 1 + (seed % 7) } });
      const received = await playImap(replay, [`s${seed}`, `t${seed}`, `u${seed}`, `v${seed}`]);
      expect(received).toContain(`u${seed} OK Fetch completed\r\n`);
      replay.assertDone();
    }
  });

  it('splits as asked: one byte at a time, or the same random split for the same seed', async () => {
    const sizes = async (chunking: ReplayChunking): Promise<number[]> => {
      const replay = replayConnector(parseTranscript(IMAP), { chunking });
      const client = await fakeClient(replay);
      await client.waitFor('ready\r\n');
      client.connection.destroy();
      return client.chunks.map((chunk) => chunk.length);
    };
    expect(await sizes('recorded')).toEqual([44]);
    expect(new Set(await sizes('byte'))).toEqual(new Set([1]));
    const seeded = await sizes({ seed: 7 });
    expect(seeded.length).toBeGreaterThan(1);
    expect(await sizes({ seed: 7 })).toEqual(seeded);
    expect(await sizes({ seed: 8 })).not.toEqual(seeded);
  });

  it('fails the pending call with FixtureMismatchError showing expected and actual side by side', async () => {
    const replay = replayConnector(parseTranscript(IMAP, { file: 'fixtures/imap.txt' }));
    const client = await fakeClient(replay);
    await client.waitFor('ready\r\n');
    client.write('t1 LOGIN alice ', new Secret('pw'), '\r\n');
    await client.waitFor('t1 OK');
    client.write('t2 SELECT Archive\r\n');
    const mismatch = as(FixtureMismatchError, await client.closed);
    expect(mismatch.line).toBe(8);
    expect(mismatch.code).toBe('PROTOCOL');
    expect(mismatch.expected).toBe('C: A2 SELECT INBOX');
    expect(mismatch.actual).toBe('C: t2 SELECT Archive');
    expect(mismatch.message).toBe(
      'fixtures/imap.txt:8: replay mismatch: the client sent something else than the transcript\n' +
        '  expected: C: A2 SELECT INBOX\n' +
        '  actual:   C: t2 SELECT Archive',
    );
    expect(() => {
      replay.assertDone();
    }).toThrow(mismatch);
    await expect(replay.close()).rejects.toBe(mismatch);
  });

  it('shows a long line (a literal) around its first difference, not as a whole', async () => {
    const content = Array.from({ length: 3000 }, (_, index) => `w${index}`).join(' '); // about 17 KB, one line
    const text = `# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 APPEND INBOX {${content.length + 2}+}\nC: ${content}\nC:\nS: A1 OK done\n@end\n`;
    const replay = replayConnector(parseTranscript(text));
    const client = await fakeClient(replay);
    await client.waitFor('* OK\r\n');
    const sent = content.replace('w2500 ', 'W2500 ');
    client.write(`t1 APPEND INBOX {${sent.length + 2}+}\r\n`, `${sent}\r\n`, '\r\n');
    const mismatch = as(FixtureMismatchError, await client.closed);
    expect(mismatch.line).toBe(6);
    const at = content.indexOf('w2500 ');
    for (const [shown, word] of [[mismatch.expected, 'w2500 '], [mismatch.actual, 'W2500 ']] as const) {
      expect(shown).toContain(content.slice(at - 100, at) + word);
      expect(shown.length).toBeLessThan(9000);
    }
  });

  it('refuses a tag that does not correspond (a reused tag)', async () => {
    const replay = replayConnector(parseTranscript(IMAP));
    const client = await fakeClient(replay);
    await client.waitFor('ready\r\n');
    client.write('t1 LOGIN alice ', new Secret('pw'), '\r\n');
    await client.waitFor('t1 OK');
    client.write('t1 SELECT INBOX\r\n');
    const error = as(FixtureMismatchError, await client.closed);
    expect(error.message).toMatch(/tag t1 does not correspond to the transcript's A2/);
  });

  it('checks the text around a redacted field', async () => {
    const replay = replayConnector(parseTranscript(IMAP));
    const client = await fakeClient(replay);
    await client.waitFor('ready\r\n');
    client.write('t1 LOGIN bob ', new Secret('pw'), '\r\n');
    const error = as(FixtureMismatchError, await client.closed);
    expect(error).toBeInstanceOf(FixtureMismatchError);
    expect(error.expected).toBe('C: A1 LOGIN alice <redacted>');
    // The password is not shown: the message of a mismatch ends up in CI logs.
    expect(error.actual).toBe('C: t1 LOGIN bob <redacted>');
  });

  it('reports a transcript not played to its end, naming the line', async () => {
    const replay = replayConnector(parseTranscript(IMAP, { file: 'imap.txt' }));
    const client = await fakeClient(replay);
    await client.waitFor('ready\r\n');
    client.write('t1 LOGIN alice ', new Secret('pw'), '\r\n');
    await client.waitFor('t1 OK');
    await client.connection.close();
    let error: unknown;
    try {
      replay.assertDone();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FixtureUnconsumedError);
    expect((error as FixtureUnconsumedError).line).toBe(8);
    expect((error as FixtureUnconsumedError).message).toBe('imap.txt:8: the transcript was not played to its end; next: C: A2 SELECT INBOX');
    await expect(replay.close()).rejects.toBeInstanceOf(FixtureUnconsumedError);
  });

  it('close() does not take its own ending of a connection the client left open for the client closing it', async () => {
    const text = '# mailwire transcript v1\n# protocol: pop3\n\nS: +OK hi\nC: QUIT\nS: +OK bye\n@close client\n@end\n';
    const replay = replayConnector(parseTranscript(text, { file: 'quit.txt' }));
    const client = await fakeClient(replay);
    await client.waitFor('hi\r\n');
    client.write('QUIT\r\n');
    await client.waitFor('bye\r\n');
    // The client never closes its connection: the transcript's `@close client` was not played.
    expect(() => {
      replay.assertDone();
    }).toThrow(/quit\.txt:7: .*next: @close client/);
    const error = await replay.close().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(as(FixtureUnconsumedError, error).message).toBe('quit.txt:7: the transcript was not played to its end; next: @close client');
    expect(await client.closed).toBeInstanceOf(ConnectionClosedError);

    // A client that closes (or destroys) its connection itself plays the line.
    const polite = replayConnector(parseTranscript(text));
    const other = await fakeClient(polite);
    await other.waitFor('hi\r\n');
    other.write('QUIT\r\n');
    await other.waitFor('bye\r\n');
    other.connection.destroy();
    await expect(polite.close()).resolves.toBeUndefined();
  });

  it('reports data the client sends after the end, and connections never opened or too many', async () => {
    const text = '# mailwire transcript v1\n# protocol: pop3\n\nS: +OK hi\nC: QUIT\nS: +OK bye\n@close client\n@end\n@connect\nS: +OK again\n@end\n';
    const replay = replayConnector(parseTranscript(text));
    const first = await fakeClient(replay);
    await first.waitFor('hi\r\n');
    first.write('QUIT\r\n');
    await first.waitFor('bye\r\n');
    await first.connection.close();
    expect(() => {
      replay.assertDone();
    }).toThrow(/line 10: .*connection #2 was never opened/);
    const second = await fakeClient(replay);
    await second.waitFor('again\r\n');
    second.write('NOOP\r\n');
    const error = as(FixtureMismatchError, await second.closed);
    expect(error.message).toMatch(/line 11: replay mismatch: the transcript ended, but the client sent more/);
    await expect(fakeClient(replay)).rejects.toThrow(/more connections than were recorded/);
  });

  it('refuses implicit TLS when the transcript was recorded without, and the reverse', async () => {
    await expect(fakeClient(replayConnector(parseTranscript(IMAP)), { tls: true })).rejects.toThrow(/# tls: none/);
    const implicit = IMAP.replace('# tls: none', '# tls: implicit');
    const client = await fakeClient(replayConnector(parseTranscript(implicit)), { tls: true });
    expect(client.connection.secure).toBe(true);
  });

  it('plays a @tls step through upgradeToTls, and refuses one the transcript does not have', async () => {
    const text = '# mailwire transcript v1\n# protocol: pop3\n# tls: starttls\n\nS: +OK\nC: STLS\nS: +OK Begin TLS\n@tls\nC: CAPA\nS: +OK\nS: .\n@end\n';
    const replay = replayConnector(parseTranscript(text));
    const client = await fakeClient(replay);
    await client.waitFor('+OK\r\n');
    client.write('STLS\r\n');
    await client.waitFor('Begin TLS\r\n');
    expect(client.connection.secure).toBe(false);
    await client.connection.upgradeToTls();
    expect(client.connection.secure).toBe(true);
    client.write('CAPA\r\n');
    await client.waitFor('.\r\n');
    replay.assertDone();

    const early = replayConnector(parseTranscript(text));
    const hasty = await fakeClient(early);
    await hasty.waitFor('+OK\r\n');
    await expect(hasty.connection.upgradeToTls()).rejects.toThrow(/started TLS where the transcript does not/);
  });

  it('does not deliver while paused, and times out like the transport', async () => {
    const replay = replayConnector(parseTranscript(IMAP), { chunking: 'byte' });
    const client = await fakeClient(replay);
    client.connection.pause();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.chunks).toHaveLength(0);
    client.connection.resume();
    await client.waitFor('ready\r\n');
    client.connection.armTimeout('command', 30);
    expect(await client.closed).toBeInstanceOf(TimeoutError);
  });

  it('says so when server data was redacted (a SCRAM server-final) instead of inventing it', async () => {
    const text = '# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\nC: AUTH SCRAM-SHA-1 <redacted>\nS: + <redacted>\n@end\n';
    const client = await fakeClient(replayConnector(parseTranscript(text)));
    await client.waitFor('+OK\r\n');
    client.write('AUTH SCRAM-SHA-1 ', new Secret('biwsbj1hbGljZSxyPWFiYw=='), '\r\n');
    expect(as(FixtureFormatError, await client.closed).line).toBe(6);
  });
});

describe('recordingConnector', () => {
  it('records what a replay plays, redacting secrets and normalising tags, and the record replays again', async () => {
    let text = '';
    const recorder = recordingConnector(replayConnector(parseTranscript(IMAP), { chunking: 'recorded' }), {
      protocol: 'imap',
      sink: (piece) => {
        text += piece;
      },
      server: 'replay',
      fields: { flow: 'login, select, fetch' },
    });
    await playImap(recorder, ['x17', 'x18', 'x19', 'x20']);
    expect(text).toBe(recorder.text());
    expect(text).not.toContain('s3cret');
    expect(text).toMatch(/^# mailwire transcript v1\n# protocol: imap\n# recorded-at: \d{4}-[^\n]+\n# server: replay\n# flow: login, select, fetch\n\n/);
    const body = text.slice(text.indexOf('\n\n') + 2);
    expect(body).toBe(
      'S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready\n' +
        'C: A1 LOGIN alice <redacted>\n' +
        'S: A1 OK [CAPABILITY IMAP4rev1] Logged in\n' +
        'C: A2 SELECT INBOX\n' +
        '@chunk\n' +
        'C: A3 FETCH 1 BODY[]\n' +
        'S: * 1 EXISTS\n' +
        'S: A2 OK [READ-WRITE] Select completed\n' +
        '@chunk\n' +
        'S: * 1 FETCH (BODY[] {33}\n' +
        'S: A1 OK not a tag: a literal line\n' +
        'S: )\n' +
        'S: A3 OK Fetch completed\n' +
        'C: A4 LOGOUT\n' +
        'S: * BYE Logging out\n' +
        'S: A4 OK Logout completed\n' +
        '@close server\n' +
        '@end\n',
    );
    const again = replayConnector(parseTranscript(text), { chunking: 'byte' });
    await playImap(again, ['z1', 'z2', 'z3', 'z4']);
    again.assertDone();
  });

  it('redacts extra values, and records who closed and why', async () => {
    const inner = replayConnector(parseTranscript('# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\nC: USER <redacted>\nS: +OK\n@end\n'));
    const recorder = recordingConnector(inner, { protocol: 'pop3', sink: () => undefined, redact: ['alice@example.com'] });
    const client = await fakeClient(recorder);
    await client.waitFor('+OK\r\n');
    client.write('USER alice@example.com\r\n');
    await client.waitFor('+OK\r\n');
    client.connection.destroy(new TimeoutError('command', 5));
    await client.closed;
    expect(recorder.text()).toMatch(/S: \+OK\nC: USER <redacted>\nS: \+OK\n@close client\n# ended with TimeoutError: Timed out after 5 ms waiting for command\n@end\n$/);
  });

  it('redacts the SCRAM server-final message', async () => {
    const serverFinal = Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=').toString('base64');
    const serverFirst = Buffer.from('r=abc,s=QSXCR+Q6sek8bf92,i=4096').toString('base64');
    const inner = replayConnector(
      parseTranscript(
        `# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 AUTHENTICATE SCRAM-SHA-1 <redacted>\nS: + ${serverFirst}\nC: <redacted>\nS: + ${serverFinal}\nC:\nS: A1 OK done\n@end\n`,
      ),
    );
    const recorder = recordingConnector(inner, { protocol: 'imap', sink: () => undefined });
    const client = await fakeClient(recorder);
    await client.waitFor('* OK\r\n');
    client.write('t AUTHENTICATE SCRAM-SHA-1 ', new Secret('biws'), '\r\n');
    await client.waitFor('\r\n');
    client.write(new Secret('Yz1iaXdz'), '\r\n');
    await client.waitFor('\r\n');
    client.write('\r\n');
    await client.waitFor('t OK done\r\n');
    const text = recorder.text();
    expect(text).toContain(`S: + ${serverFirst}\n`);
    expect(text).not.toContain(serverFinal);
    expect(text).toContain('C: <redacted>\nS: + <redacted>\nC:\nS: A1 OK done\n');
  });

  it('hides the size of a secret sent as a literal, and the replay accepts any size there', async () => {
    const inner = replayConnector(parseTranscript('# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 LOGIN bob {25+}\n@chunk\nC: <redacted>\\\nC:\nS: A1 OK in\n@end\n'));
    const recorder = recordingConnector(inner, { protocol: 'imap', sink: () => undefined });
    const client = await fakeClient(recorder);
    await client.waitFor('* OK\r\n');
    client.write('x LOGIN bob {9+}\r\n', new Secret('p\u00e4ss wd'), '\r\n');
    await client.waitFor('x OK in\r\n');
    expect(recorder.text()).toContain('C: A1 LOGIN bob {<redacted>+}\nC: <redacted>\nS: A1 OK in\n');
  });

  it('redacts a `redact` value that spans two parts of one client write', async () => {
    const inner = replayConnector(parseTranscript('# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\nC: USER <redacted>\nS: +OK\n@end\n'));
    const recorder = recordingConnector(inner, { protocol: 'pop3', sink: () => undefined, redact: ['alice@example.com'] });
    const client = await fakeClient(recorder);
    await client.waitFor('+OK\r\n');
    client.write('USER alice', '@example.com\r\n');
    await client.waitFor('+OK\r\n');
    await client.connection.close();
    expect(recorder.text()).not.toContain('example.com');
    expect(recorder.text()).toContain('S: +OK\nC: USER <redacted>\nS: +OK\n@close client\n');
  });

  it('redacts `redact` values that overlap (one starting another, or sharing bytes) as a whole', async () => {
    const inner = replayConnector(parseTranscript('# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\nC: USER <redacted>\nS: +OK\nC: PASS <redacted>\nS: +OK\n@end\n'));
    const recorder = recordingConnector(inner, { protocol: 'pop3', sink: () => undefined, redact: ['alice', 'alice@example.com', 'abc123', '123xyz'] });
    const client = await fakeClient(recorder);
    await client.waitFor('+OK\r\n');
    client.write('USER alice@example.com\r\n');
    await client.waitFor('+OK\r\n');
    client.write('PASS abc123xyz\r\n');
    await client.waitFor('+OK\r\n');
    await client.connection.close();
    expect(recorder.text()).toContain('S: +OK\nC: USER <redacted>\nS: +OK\nC: PASS <redacted>\nS: +OK\n@close client\n');
  });

  it('a `redact` value inside a literal (a message body) leaves the rest of the literal as it is', async () => {
    const inner = replayConnector(
      parseTranscript(
        '# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 APPEND INBOX {71+}\n@chunk\nC: From: <redacted>\nC: To: <redacted>\nC: Subject: hi\nC:\nC: Hello there.\n@chunk\nC:\n' +
          'S: A1 OK done\nC: A2 LOGOUT\nS: A2 OK bye\n@end\n',
      ),
    );
    const recorder = recordingConnector(inner, { protocol: 'imap', sink: () => undefined, redact: ['me@example.com'] });
    const client = await fakeClient(recorder);
    await appendAndLogOut(client, 'From: me@example.com\r\nTo: me@example.com\r\nSubject: hi\r\n\r\nHello there.\r\n');
    await client.connection.close();
    // The body's lines are not taken for commands: none is renamed as a tag, and LOGOUT stays A2.
    expect(recorder.text()).toContain(
      'C: From: <redacted>\nC: To: <redacted>\nC: Subject: hi\nC:\nC: Hello there.\n@chunk\nC:\nS: A1 OK done\nC: A2 LOGOUT\nS: A2 OK bye\n',
    );
  });

  it('replays a literal with a `redact` value inside whole: its lines are not taken for commands or literal announcements', async () => {
    // Recorded with `redact: ['me@example.com']`: the transcript does not say how long the value
    // was, so only the client's bytes tell where the literal ends.
    const text =
      '# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 APPEND INBOX {46+}\n@chunk\nC: From: <<redacted>>\nC:\nC: A2 is the plan {5}\n@chunk\nC:\n' +
      'S: A1 OK done\nC: A2 LOGOUT\nS: A2 OK bye\n@end\n';
    for (const chunking of ['recorded', 'byte'] as const) {
      const replay = replayConnector(parseTranscript(text), { chunking });
      await appendAndLogOut(await fakeClient(replay), 'From: <me@example.com>\r\n\r\nA2 is the plan {5}\r\n');
      replay.assertDone();
    }
  });

  describe('the SCRAM server-final message split over several reads', () => {
    const serverFinal = Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=').toString('base64');
    const serverFirst = Buffer.from('r=abc,s=QSXCR+Q6sek8bf92,i=4096').toString('base64');
    /** What each side sent, in order, from a transcript's text (chunk boundaries left out). */
    const flow = (text: string): string => {
      let out = '';
      let from: string | undefined;
      for (const event of parseTranscript(text).sessions[0]!.events) {
        if (event.kind !== 'data') continue;
        if (event.from !== from) out += `\n${event.from === 'client' ? 'C' : 'S'}: `;
        from = event.from;
        for (const piece of event.pieces) out += piece.kind === 'redacted' ? '<redacted>' : Buffer.from(piece.bytes).toString('latin1');
      }
      return out;
    };

    it('is redacted, and every other line is recorded as it comes', async () => {
      const inner = replayConnector(
        parseTranscript(
          `# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 AUTHENTICATE SCRAM-SHA-1 <redacted>\nS: + ${serverFirst}\nC: <redacted>\nS: * 1 EXISTS\nS: + ${serverFinal}\nC:\nS: A1 OK done\n@end\n`,
        ),
        { chunking: 'byte' }, // the server's bytes arrive one read each
      );
      const recorder = recordingConnector(inner, { protocol: 'imap', sink: () => undefined });
      const client = await fakeClient(recorder);
      await client.waitFor('* OK\r\n');
      client.write('t AUTHENTICATE SCRAM-SHA-1 ', new Secret('biws'), '\r\n');
      await client.waitFor(`+ ${serverFirst}\r\n`);
      client.write(new Secret('Yz1iaXdz'), '\r\n');
      await client.waitFor(`+ ${serverFinal}\r\n`);
      expect(recorder.text()).toMatch(/\nS: \+ <redacted>\n$/); // recorded as soon as the line is complete
      client.write('\r\n');
      await client.waitFor('t OK done\r\n');
      await client.connection.close();
      const text = recorder.text();
      expect(text).not.toContain(serverFinal.slice(0, 8));
      expect(flow(text)).toBe(
        `\nS: * OK\r\n\nC: A1 AUTHENTICATE SCRAM-SHA-1 <redacted>\r\n\nS: + ${serverFirst}\r\n\nC: <redacted>\r\n` +
          '\nS: * 1 EXISTS\r\n+ <redacted>\r\n\nC: \r\n\nS: A1 OK done\r\n',
      );
      // A line that cannot be the server-final is not held back: its reads are recorded one by one.
      expect(text).toContain('C: <redacted>\nS: *\\\nS:  \\\nS: 1\\\n');
    });

    it('when the client writes before the line is complete: its start is redacted, then its rest, in order', async () => {
      const inner = replayConnector(
        parseTranscript(
          `# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 AUTHENTICATE SCRAM-SHA-1 <redacted>\nS: + ${serverFirst}\nC: <redacted>\nS: + ${serverFinal.slice(0, 12)}\\\nC: *\nS: ${serverFinal.slice(12)}\nS: A1 BAD cancelled\n@end\n`,
        ),
      );
      const recorder = recordingConnector(inner, { protocol: 'imap', sink: () => undefined });
      const client = await fakeClient(recorder);
      await client.waitFor('* OK\r\n');
      client.write('t AUTHENTICATE SCRAM-SHA-1 ', new Secret('biws'), '\r\n');
      await client.waitFor('\r\n');
      client.write(new Secret('Yz1iaXdz'), '\r\n');
      await client.waitFor(serverFinal.slice(0, 12));
      client.write('*\r\n');
      await client.waitFor('t BAD cancelled\r\n');
      await client.connection.close();
      const text = recorder.text();
      expect(text).not.toContain(serverFinal.slice(0, 8));
      expect(text).not.toContain(serverFinal.slice(12));
      expect(text).toContain('C: <redacted>\nS: + <redacted>\\\nC: *\nS:\nS: A1 BAD cancelled\n@close client\n@end\n');
    });

    it('when the connection ends in the middle of it: what came is recorded, redacted', async () => {
      const inner = replayConnector(
        parseTranscript(
          `# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\nC: AUTH SCRAM-SHA-1 <redacted>\nS: + ${serverFirst}\nC: <redacted>\nS: + ${serverFinal.slice(0, 12)}\\\n@close server\n@end\n`,
        ),
        { chunking: 'byte' },
      );
      const recorder = recordingConnector(inner, { protocol: 'pop3', sink: () => undefined });
      const client = await fakeClient(recorder);
      await client.waitFor('+OK\r\n');
      client.write('AUTH SCRAM-SHA-1 ', new Secret('biws'), '\r\n');
      await client.waitFor('\r\n');
      client.write(new Secret('Yz1iaXdz'), '\r\n');
      await client.closed;
      const text = recorder.text();
      expect(text).not.toContain(serverFinal.slice(0, 8));
      expect(text).toMatch(/C: <redacted>\nS: \+ <redacted>\\\n@close server\n@end\n$/);
    });
  });

  it('hides the size of a secret literal written after its announcement, keeping the order of what came between', async () => {
    const inner = replayConnector(
      parseTranscript(
        '# mailwire transcript v1\n# protocol: imap\n\nS: * OK\nC: A1 LOGIN bob {9}\nS: + go\nC: <redacted>\\\nC:\nS: A1 OK in\nC: A2 APPEND x {3}\nS: + go\nC: abc\\\nC:\nS: A2 OK done\nC: A3 LOGIN bob {12}\n@close server\n@end\n',
      ),
    );
    const recorder = recordingConnector(inner, { protocol: 'imap', sink: () => undefined });
    const client = await fakeClient(recorder);
    await client.waitFor('* OK\r\n');
    client.write('x LOGIN bob {9}\r\n'); // a synchronizing literal: the server's go-ahead comes between
    await client.waitFor('+ go\r\n');
    expect(recorder.text()).toMatch(/S: \* OK\n$/); // the announcement waits for the next write, and the go-ahead behind it
    client.write(new Secret('p\u00e4ss wd'));
    client.write('\r\n');
    await client.waitFor('x OK in\r\n');
    client.write('y APPEND x {3}\r\n'); // not a secret: the size stays
    await client.waitFor('+ go\r\n');
    client.write('abc');
    client.write('\r\n');
    await client.waitFor('y OK done\r\n');
    client.write('z LOGIN bob {12}\r\n'); // nothing follows: recorded at the close
    await client.closed;
    expect(recorder.text()).toContain(
      'S: * OK\nC: A1 LOGIN bob {<redacted>}\nS: + go\nC: <redacted>\\\nC:\nS: A1 OK in\n' +
        'C: A2 APPEND x {3}\nS: + go\nC: abc\\\nC:\nS: A2 OK done\nC: A3 LOGIN bob {12}\n@close server\n@end\n',
    );
    expect(recorder.text()).not.toContain('{9}');
  });

  it('ImapClient LOGIN with a literal password (announcement and password in separate writes): the size is not recorded', async () => {
    const fixture = loadTranscriptSync(path.resolve(import.meta.dirname, '../../fixtures/imap/login-login-bob.txt'));
    const recorder = recordingConnector(replayConnector(fixture), { protocol: 'imap', sink: () => undefined });
    const password = 'p\u00e4ss "w\u00f6rd"'; // 13 bytes, needs a literal
    const client = await ImapClient.connect({ host: 'replay.invalid', tls: 'implicit', commandTimeout: 2000, connector: recorder, auth: { username: 'bob', password, method: 'LOGIN' } });
    await client.logout();
    const text = recorder.text();
    expect(text).toContain('C: A1 LOGIN bob {<redacted>+}\n@chunk\nC: <redacted>\\\nC:\n');
    expect(text).not.toContain(`{${Buffer.byteLength(password)}`);
  });

  it('records one connection at a time', async () => {
    const transcript = parseTranscript('# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\n@end\n@connect\nS: +OK\n@end\n');
    const recorder = recordingConnector(replayConnector(transcript), { protocol: 'pop3', sink: () => undefined });
    const first: Connection = (await fakeClient(recorder)).connection;
    await expect(fakeClient(recorder)).rejects.toThrow(/one connection at a time/);
    await first.close();
    const second = await fakeClient(recorder);
    await second.waitFor('+OK\r\n');
    await second.connection.close();
    expect(recorder.connections).toBe(2);
    expect(recorder.text()).toMatch(/@close client\n@end\n@connect\nS: \+OK\n@close client\n@end\n$/);
    expect(parseTranscript(recorder.text()).sessions).toHaveLength(2);
  });

  it('a transcript file it cannot write: a typed error, the connection closed, the recorder free again', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'mailwire-record-'));
    try {
      const text = '# mailwire transcript v1\n# protocol: pop3\n\nS: +OK hi\nC: QUIT\nS: +OK bye\n@close client\n@end\n';
      const inner = replayConnector(parseTranscript(text));
      let onCloseCalls = 0;
      const recorder = recordingConnector(inner, { protocol: 'pop3', file: folder }); // a folder: not writable as a file
      const error = await recorder(
        { host: 'replay.invalid', port: 110 },
        {
          onData: () => undefined,
          onClose: () => {
            onCloseCalls++;
          },
        },
      ).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(as(InvalidArgumentError, error).message).toMatch(/^Cannot write the transcript .*: EISDIR/);
      expect(inner.connections).toBe(1);
      // The connection it opened was ended; the client, which never got it, is not told.
      await new Promise((resolve) => setImmediate(resolve));
      expect(onCloseCalls).toBe(0);
      await expect(inner.close()).rejects.toThrow(/next: C: QUIT/);
      // Not stuck as busy: the next connection is refused for its own reason.
      await expect(fakeClient(recorder)).rejects.toThrow(/more connections than were recorded/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a transcript write that fails mid-session: the client\'s call rejects with a typed error instead of waiting forever', async () => {
    const text = '# mailwire transcript v1\n# protocol: pop3\n\nS: +OK hi\nC: USER bob\nS: +OK\nC: QUIT\nS: +OK bye\n@close client\n@end\n';
    // Each of the recorder's writes after the header fails (a full disk, a throwing sink): the
    // first in turn is the greeting, USER, +OK, QUIT, +OK bye (the 7th, the session's end, is after
    // the client closed).
    for (let failFrom = 2; failFrom <= 6; failFrom++) {
      let writes = 0;
      const inner = replayConnector(parseTranscript(text));
      const recorder = recordingConnector(inner, {
        protocol: 'pop3',
        sink: () => {
          if (++writes >= failFrom) throw new Error('ENOSPC: no space left on device');
        },
      });
      const client = await fakeClient(recorder, { port: 110 });
      const outcome = (async (): Promise<MailwireError> => {
        await client.waitFor('+OK hi\r\n');
        client.write('USER bob\r\n');
        await client.waitFor('+OK\r\n');
        client.write('QUIT\r\n');
        await client.waitFor('+OK bye\r\n');
        await client.connection.close();
        return client.closed;
      })();
      const error = await Promise.race([outcome.catch(() => client.closed), client.closed]);
      expect(as(InvalidArgumentError, error).message).toMatch(/^Cannot write the transcript: ENOSPC/);
      await inner.close().catch(() => undefined);
      // Not stuck as busy: a further connection is refused for its own reason.
      await expect(fakeClient(recorder)).rejects.toThrow(/more connections than were recorded|Cannot write the transcript/);
    }
  });

  it('checks its header options when made, not once a connection is open', () => {
    const inner = replayConnector(parseTranscript('# mailwire transcript v1\n# protocol: pop3\n\nS: +OK\n@end\n'));
    const sink = (): void => undefined;
    const make = (options: Partial<RecordOptions>): (() => void) => () => recordingConnector(inner, { protocol: 'pop3', sink, ...options });
    expect(make({ protocol: 'smtp' as TranscriptProtocol })).toThrow(/protocol "smtp": imap or pop3/);
    expect(make({ tls: 'maybe' as TranscriptTlsMode })).toThrow(/tls mode "maybe": none, implicit or starttls/);
    expect(make({ server: 'Dovecot\nevil' })).toThrow(/server contains a line break/);
    expect(make({ fields: { 'Bad Key': 'x' } })).toThrow(/Invalid transcript header key "Bad Key"/);
    expect(make({ fields: { tls: 'none' } })).toThrow(/must be given by its own property/);
    for (const thrower of [make({ protocol: 'smtp' as TranscriptProtocol }), make({ fields: { 'Bad Key': 'x' } })]) {
      expect(thrower).toThrow(InvalidArgumentError);
    }
    // Nothing was opened.
    expect(inner.connections).toBe(0);
  });
});

// ---- a scripted fake client: raw writes through a Connector, reads of what comes back ----------

export interface FakeClient {
  readonly connection: Connection;
  /** Every chunk received, in order (copies). */
  readonly chunks: Uint8Array[];
  write(...parts: WirePart[]): void;
  /** Resolves with the received text once it contains `text` (after what earlier waits consumed). */
  waitFor(text: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the error given to onClose. */
  readonly closed: Promise<MailwireError>;
  received(): string;
}

/** After the greeting `* OK`: `x1 APPEND INBOX` of `body` with LITERAL+, then `x2 LOGOUT`, each answered. */
async function appendAndLogOut(client: FakeClient, body: string): Promise<void> {
  await client.waitFor('* OK\r\n');
  client.write(`x1 APPEND INBOX {${body.length}+}\r\n`);
  client.write(body);
  client.write('\r\n');
  await client.waitFor('x1 OK done\r\n');
  client.write('x2 LOGOUT\r\n');
  await client.waitFor('x2 OK bye\r\n');
}

export async function fakeClient(
  connector: Connector,
  options: { tls?: boolean; host?: string; port?: number } = {},
): Promise<FakeClient> {
  const chunks: Uint8Array[] = [];
  let text = '';
  let consumed = 0;
  let waiters: (() => void)[] = [];
  let resolveClosed!: (error: MailwireError) => void;
  const closed = new Promise<MailwireError>((resolve) => {
    resolveClosed = resolve;
  });
  const connection = await connector(
    { host: options.host ?? 'replay.invalid', port: options.port ?? 143, ...(options.tls === undefined ? {} : { tls: options.tls }) },
    {
      onData: (chunk) => {
        chunks.push(Uint8Array.prototype.slice.call(chunk));
        text += Buffer.from(chunk).toString('latin1');
        const current = waiters;
        waiters = [];
        for (const wake of current) wake();
      },
      onClose: (error) => {
        resolveClosed(error);
        const current = waiters;
        waiters = [];
        for (const wake of current) wake();
      },
    },
  );
  let isClosed = false;
  void closed.then(() => {
    isClosed = true;
  });
  return {
    connection,
    chunks,
    closed,
    received: () => text,
    write: (...parts) => {
      connection.write(parts);
    },
    waitFor: async (wanted, timeoutMs = 2000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = text.indexOf(wanted, consumed);
        if (at !== -1) {
          const out = text.slice(consumed, at + wanted.length);
          consumed = at + wanted.length;
          return out;
        }
        if (isClosed || Date.now() > deadline) throw new Error(`did not receive ${JSON.stringify(wanted)}; got ${JSON.stringify(text.slice(consumed))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

/** What the server sent in a transcript, every session and chunk joined. */
function serverBytes(transcript: Transcript): string {
  return transcript.sessions
    .flatMap((session) => session.events)
    .map((event) => (event.kind === 'data' && event.from === 'server' ? Buffer.from(chunkBytes(event)).toString('latin1') : ''))
    .join('');
}

describe('side files', () => {
  it('names the side files so that the transcript loads, also for a transcript named like a dot file', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'mailwire-side-'));
    try {
      for (const name of ['.fetch.txt', '.txt', '-fetch.txt']) {
        const file = path.join(folder, name);
        await playImap(recordingConnector(replayConnector(parseTranscript(IMAP)), { protocol: 'imap', file, sideFiles: { minBytes: 10 } }));
        expect(serverBytes(await loadTranscript(file))).toBe(serverBytes(parseTranscript(IMAP)));
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('stores long IMAP literals beside the transcript, and the result replays', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'mailwire-side-'));
    try {
      // One byte at a time: the literal's start and end fall in chunks of their own.
      const bytewise = path.join(folder, 'bytewise.txt');
      await playImap(recordingConnector(replayConnector(parseTranscript(IMAP), { chunking: 'byte' }), { protocol: 'imap', file: bytewise, sideFiles: { minBytes: 10 } }));
      expect(readFileSync(path.join(folder, 'bytewise-bodies/1.eml'), 'latin1')).toBe('A1 OK not a tag: a literal line\r\n');
      expect(serverBytes(await loadTranscript(bytewise))).toBe(serverBytes(parseTranscript(IMAP)));

      const file = path.join(folder, 'fetch.txt');
      const recorder = recordingConnector(replayConnector(parseTranscript(IMAP)), {
        protocol: 'imap',
        file,
        sideFiles: { minBytes: 10 },
      });
      await playImap(recorder);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('S: * 1 FETCH (BODY[] {33}\n@file S fetch-bodies/1.eml\nS: )\n');
      expect(readFileSync(path.join(folder, 'fetch-bodies/1.eml'), 'latin1')).toBe('A1 OK not a tag: a literal line\r\n');
      const recorded = await loadTranscript(file);
      expect(serverBytes(recorded)).toBe(serverBytes(parseTranscript(IMAP)));
      const again = replayConnector(recorded, { chunking: { seed: 3 } });
      await playImap(again);
      again.assertDone();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('stores long POP3 bodies (dot-stuffed, as on the wire) and keeps short ones inline', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'mailwire-side-'));
    const original = parseTranscript(
      '# mailwire transcript v1\n# protocol: pop3\n\nS: +OK hi\nC: AUTH PLAIN\nS: +\\x20\nC: <redacted>\nS: +OK in\nC: RETR 1\nS: +OK\nS: ..stuffed\nS: a long enough body line\nS: .\nC: TOP 1 0\nS: +OK\nS: short\nS: .\nC: LIST\nS: +OK\nS: 1 100\nS: .\n@end\n',
    );
    const record = async (name: string, chunking: ReplayChunking): Promise<string> => {
      const file = path.join(folder, `${name}.txt`);
      const recorder = recordingConnector(replayConnector(original, { chunking }), { protocol: 'pop3', file, sideFiles: { minBytes: 20 } });
      const client = await fakeClient(recorder);
      await client.waitFor('hi\r\n');
      client.write('AUTH PLAIN\r\n');
      await client.waitFor('+ \r\n');
      client.write(new Secret('AGNhcm9sAHNlY3JldA=='), '\r\n');
      await client.waitFor('in\r\n');
      client.write('RETR 1\r\n');
      await client.waitFor('\r\n.\r\n');
      client.write('TOP 1 0\r\n');
      await client.waitFor('\r\n.\r\n');
      client.write('LIST\r\n');
      await client.waitFor('\r\n.\r\n');
      await client.connection.close();
      return file;
    };
    try {
      const file = await record('pop', 'recorded');
      expect(readFileSync(file, 'utf8')).toContain('C: RETR 1\nS: +OK\n@file S pop-bodies/1.eml\nS: .\nC: TOP 1 0\nS: +OK\nS: short\nS: .\n');
      expect(readFileSync(path.join(folder, 'pop-bodies/1.eml'), 'latin1')).toBe('..stuffed\r\na long enough body line\r\n');
      expect(serverBytes(await loadTranscript(file))).toBe(serverBytes(original));
      for (const [name, chunking] of [['bytes', 'byte'], ['random', { seed: 9, maxChunk: 4 }]] as const) {
        const split = await record(name, chunking);
        expect(readFileSync(path.join(folder, `${name}-bodies/1.eml`), 'latin1')).toBe('..stuffed\r\na long enough body line\r\n');
        expect(serverBytes(await loadTranscript(split))).toBe(serverBytes(original));
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
