import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  FixtureFormatError,
  formatTranscript,
  loadTranscript,
  loadTranscriptSync,
  parseTranscript,
  saveTranscript,
  type Transcript,
  type TranscriptEvent,
  type TranscriptPiece,
} from '../../src/testing/index.js';

const enc = new TextEncoder();
const bytes = (text: string): TranscriptPiece => ({ kind: 'bytes', bytes: enc.encode(text) });

const HEADER = '# mailwire transcript v1\n# protocol: imap\n# tls: none\n\n';

/** Events without line numbers and with adjacent byte pieces joined, for comparisons. */
function normalise(transcript: Transcript): unknown {
  return transcript.sessions.map((session) =>
    session.events.map((event: TranscriptEvent) => {
      if (event.kind !== 'data') return event.kind === 'tls' ? { kind: 'tls' } : { kind: 'close', by: event.by };
      const pieces: (string | null)[] = [];
      for (const piece of event.pieces) {
        if (piece.kind === 'redacted') pieces.push(null);
        else {
          const hex = Buffer.from(piece.bytes).toString('hex');
          const last = pieces[pieces.length - 1];
          if (typeof last === 'string') pieces[pieces.length - 1] = last + hex;
          else pieces.push(hex);
        }
      }
      return { from: event.from, pieces: pieces.filter((piece) => piece !== '') };
    }),
  );
}

function errorOf(run: () => unknown): FixtureFormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FixtureFormatError);
    return error as FixtureFormatError;
  }
  throw new Error('no error');
}

describe('transcript format', () => {
  it('reads like the RFC examples and round-trips', () => {
    const text =
      HEADER +
      'S: * OK [CAPABILITY IMAP4rev1] ready\n' +
      'C: A1 LOGIN alice <redacted>\n' +
      'S: A1 OK done\n' +
      '@chunk\n' +
      'S: * 1 EXISTS\n' +
      'C: A2 APPEND INBOX {11}\n' +
      'S: + OK\n' +
      'C: caf\\xc3\\xa9 \\\\o/\n' +
      'C: bare lf\\n\\\n' +
      'C:\n' +
      'S: A2 OK\\x20\n' +
      '@tls\n' +
      'S: partial\\\n' +
      'S: rest\n' +
      '@close server\n' +
      '@end\n';
    const transcript = parseTranscript(text);
    expect(formatTranscript(transcript)).toBe(text);
    expect(transcript.header).toEqual({ protocol: 'imap', tls: 'none', fields: {} });
    const events = transcript.sessions[0]!.events;
    expect(events.map((event) => (event.kind === 'data' ? event.from : event.kind))).toEqual([
      'server', 'client', 'server', 'server', 'client', 'server', 'client', 'server', 'tls', 'server', 'server', 'close',
    ]);
    const append = events[6]!;
    expect(append.kind === 'data' && Buffer.concat(append.pieces.map((p) => (p.kind === 'redacted' ? Buffer.alloc(0) : p.bytes))).toString('latin1')).toBe(
      Buffer.from('café \\o/\r\nbare lf\n\r\n', 'utf8').toString('latin1'),
    );
  });

  it('keeps comment lines where they stand: before an event, inside a chunk, before @file, at the end of a session', () => {
    const text =
      '# mailwire transcript v1\n# protocol: pop3\n\n' +
      '# why this fixture exists\n' +
      'S: +OK ready\n' +
      '# the server lists two messages\n' +
      'C: LIST\n' +
      'S: +OK\n' +
      '#   indented note: inside the chunk\n' +
      'S: 1 120\n' +
      '#\n' +
      'S: .\n' +
      '# the body is a side file\n' +
      '@file S bodies/1.eml\n' +
      '@close client\n' +
      '# ended with ConnectionClosedError: gone\n' +
      '@connect\n' +
      'S: +OK again\n' +
      '# last words\n' +
      '@end\n';
    const transcript = parseTranscript(text, { readSideFile: (name) => enc.encode(`<${name}>\r\n`) });
    expect(formatTranscript(transcript)).toBe(text);
    // The comments do not change the chunks a replay sees.
    const plain = parseTranscript(text.replace(/^#(?! mailwire| protocol).*\n/gm, ''), { readSideFile: (name) => enc.encode(`<${name}>\r\n`) });
    expect(normalise(transcript)).toEqual(normalise(plain));
  });

  it('saveTranscript writes back the comments of a loaded transcript', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'mailwire-comments-'));
    try {
      const file = path.join(folder, 'session.txt');
      const text = `${HEADER}# keep me\nS: * OK\n# and me\nC: A1 NOOP\n@end\n`;
      writeFileSync(file, text);
      const loaded = await loadTranscript(file);
      await saveTranscript(file, loaded);
      expect(readFileSync(file, 'utf8')).toBe(text);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('keeps the header fields, sessions and side files', () => {
    const text =
      '# mailwire transcript v1\n# protocol: pop3\n# recorded-at: 2026-11-27T18:00:00.000Z\n# server: Dovecot\n# tls: implicit\n# flow: retr\n\n' +
      'S: +OK\nC: RETR 1\nS: +OK\n@file S bodies/1.eml\nS: .\n@close client\n@end\n@connect\nS: +OK again\n@end\n';
    const transcript = parseTranscript(text, { readSideFile: (name) => enc.encode(`<${name}>\r\n`) });
    expect(transcript.header).toEqual({
      protocol: 'pop3',
      recordedAt: '2026-11-27T18:00:00.000Z',
      server: 'Dovecot',
      tls: 'implicit',
      fields: { flow: 'retr' },
    });
    expect(transcript.sessions).toHaveLength(2);
    expect(formatTranscript(transcript)).toBe(text.replace('@end\n@connect', '@connect'));
  });

  it('accepts CRLF line ends (a Windows checkout) and raw UTF-8 in hand-written lines', () => {
    const transcript = parseTranscript(HEADER.replace(/\n/g, '\r\n') + 'C: A1 LOGIN bob pässwörd\r\n@end\r\n');
    expect(normalise(transcript)).toEqual([[{ from: 'client', pieces: [Buffer.from('A1 LOGIN bob pässwörd\r\n').toString('hex')] }]]);
  });

  it('reads a transcript whose final @end has no line feed (an editor that strips it), LF or CRLF', () => {
    const complete = `${HEADER}S: * OK\n@end\n`;
    const expected = normalise(parseTranscript(complete));
    expect(normalise(parseTranscript(complete.slice(0, -1)))).toEqual(expected);
    expect(normalise(parseTranscript(complete.replace(/\n/g, '\r\n').slice(0, -2)))).toEqual(expected);
  });

  it('reads a transcript saved with a UTF-8 byte order mark (Windows Notepad)', () => {
    const complete = `${HEADER}S: * OK\n@end\n`;
    expect(normalise(parseTranscript(`\uFEFF${complete}`))).toEqual(normalise(parseTranscript(complete)));
  });

  it('refuses a transcript file that is not UTF-8 (saved as Windows-1252), naming the line, rather than changing its bytes', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'mailwire-transcript-'));
    try {
      const file = path.join(folder, 'latin1.txt');
      writeFileSync(file, Buffer.concat([Buffer.from(`${HEADER}S: * OK\nC: A1 LOGIN j`), Buffer.from([0xfc]), Buffer.from('rgen pw\n@end\n')]));
      for (const load of [async () => loadTranscript(file), () => Promise.resolve().then(() => loadTranscriptSync(file))]) {
        const error = await load().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(FixtureFormatError);
        expect((error as FixtureFormatError).line).toBe(6);
        expect((error as FixtureFormatError).message).toMatch(/^.*latin1\.txt:6: .*not UTF-8/);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('round-trips any chunks each way (property)', () => {
    const special = fc.constantFrom('\r', '\n', '\r\n', '\\', ' ', '<redacted>', '<', '\t', '\x00', '\xff', 'é', '@end', '# ', 'C: ');
    const chunkBytes = fc
      .array(fc.oneof(special, fc.string({ maxLength: 8 })), { maxLength: 8 })
      .map((parts) => Buffer.from(parts.join(''), 'latin1'));
    const piece = fc.oneof(
      { weight: 5, arbitrary: chunkBytes.map((b): TranscriptPiece => ({ kind: 'bytes', bytes: b })) },
      { weight: 1, arbitrary: fc.constant<TranscriptPiece>({ kind: 'redacted' }) },
    );
    const event = fc.oneof(
      { weight: 10, arbitrary: fc.record({ from: fc.constantFrom('client' as const, 'server' as const), pieces: fc.array(piece, { maxLength: 3 }) }).map((e): TranscriptEvent => ({ kind: 'data', ...e })) },
      { weight: 1, arbitrary: fc.constant<TranscriptEvent>({ kind: 'tls' }) },
      { weight: 1, arbitrary: fc.constantFrom<TranscriptEvent>({ kind: 'close', by: 'client' }, { kind: 'close', by: 'server' }) },
    );
    fc.assert(
      // A session holds at least one event (a connection where nothing happened is not written).
      fc.property(fc.array(fc.array(event, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }), (sessions) => {
        const transcript: Transcript = { header: { protocol: 'imap' }, sessions: sessions.map((events) => ({ events })) };
        const text = formatTranscript(transcript);
        expect(text).toMatch(/^[\x20-\x7e\n]*$/); // plain ASCII
        const parsed = parseTranscript(text);
        expect(normalise(parsed)).toEqual(normalise(transcript));
        expect(formatTranscript(parsed)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  describe('bad input names the line', () => {
    const cases: [string, string, number, RegExp][] = [
      ['empty', '', 0, /empty/],
      ['wrong magic', '# mailwire transcript v2\n', 1, /first line/],
      ['no protocol', '# mailwire transcript v1\n\nS: x\n@end\n', 1, /protocol/],
      ['unknown protocol', '# mailwire transcript v1\n# protocol: smtp\n@end\n', 2, /unknown protocol/],
      ['unknown tls mode', '# mailwire transcript v1\n# protocol: imap\n# tls: maybe\n@end\n', 3, /tls mode/],
      ['duplicate field', '# mailwire transcript v1\n# protocol: imap\n# protocol: pop3\n@end\n', 3, /twice/],
      ['truncated mid-line', `${HEADER}S: * OK\nC: A1 LOG`, 6, /cut short/],
      ['truncated at a line end', `${HEADER}S: * OK\nC: A1 LOGIN\n`, 6, /no @end/],
      ['unknown line', `${HEADER}S: * OK\nX: what\n@end\n`, 6, /unrecognised line/],
      ['missing space', `${HEADER}S:* OK\n@end\n`, 5, /"C: " or "S: "/],
      ['bad escape', `${HEADER}S: * OK\nC: A1 \\q\n@end\n`, 6, /unknown escape "\\q"/],
      ['bad hex', `${HEADER}C: \\xZZ\n@end\n`, 5, /two hex digits/],
      ['line feed inside a line', `${HEADER}C: a\\nb\n@end\n`, 5, /line feed/],
      ['line feed without no-crlf mark', `${HEADER}C: a\\n\n@end\n`, 5, /must end with/],
      ['unknown directive', `${HEADER}@frobnicate\n@end\n`, 5, /unknown directive/],
      ['bad close', `${HEADER}@close nobody\n@end\n`, 5, /client" or "server/],
      ['directive arguments', `${HEADER}@tls now\n@end\n`, 5, /takes 0 argument/],
      ['side file escaping the folder', `${HEADER}@file S ../../etc/passwd\n@end\n`, 5, /invalid side file path/],
      ['side file without reader', `${HEADER}@file S body.eml\n@end\n`, 5, /loadTranscript/],
      ['text after @end', `${HEADER}S: x\n@end\nS: y\n`, 7, /after the @end/],
    ];
    for (const [name, text, line, message] of cases) {
      it(name, () => {
        const error = errorOf(() => parseTranscript(text, { file: 'fixtures/x.txt' }));
        expect(error.line).toBe(line);
        expect(error.file).toBe('fixtures/x.txt');
        expect(error.code).toBe('INVALID_ARGUMENT');
        expect(error.message).toMatch(message);
        expect(error.message.startsWith(line > 0 ? `fixtures/x.txt:${line}: ` : 'fixtures/x.txt: ')).toBe(true);
      });
    }

    it('a side file that cannot be read', () => {
      const error = errorOf(() =>
        parseTranscript(`${HEADER}@file S body.eml\n@end\n`, {
          readSideFile: () => {
            throw new Error('ENOENT');
          },
        }),
      );
      expect(error.line).toBe(5);
      expect(error.message).toMatch(/body\.eml cannot be read: ENOENT/);
    });

    it('hand-edited: every single-character deletion either parses or names a line inside the file', () => {
      const text = `${HEADER}S: * OK\nC: A1 LOGIN a <redacted>\nS: A1 OK \\x00\\\n@chunk\nS: \\r\\n\\\n@end\n`;
      const lineCount = text.split('\n').length - 1;
      for (let at = 0; at < text.length; at++) {
        const edited = text.slice(0, at) + text.slice(at + 1);
        try {
          parseTranscript(edited);
        } catch (error) {
          expect(error).toBeInstanceOf(FixtureFormatError);
          expect((error as FixtureFormatError).line).toBeGreaterThanOrEqual(1);
          expect((error as FixtureFormatError).line).toBeLessThanOrEqual(lineCount);
        }
      }
    });
  });

  it('escapes what editors or the placeholder would change', () => {
    const transcript: Transcript = {
      header: { protocol: 'pop3' },
      sessions: [{ events: [{ kind: 'data', from: 'server', pieces: [bytes('<redacted> \\ \t end \r\n')] }] }],
    };
    expect(formatTranscript(transcript)).toContain('S: \\x3credacted> \\\\ \\t end\\x20\n');
  });
});
