import { describe, expect, it } from 'vitest';

import { Secret } from '../../src/common/secret.js';
import { ClientLineLog, type WireLogEntry, type WirePart } from '../../src/common/wirelog.js';

function logOf(...writes: WirePart[][]): { entries: string[]; flushed: string[] } {
  const entries: WireLogEntry[] = [];
  const log = new ClientLineLog((entry) => entries.push(entry));
  for (const parts of writes) log.write(parts);
  const before = entries.map((e) => e.text);
  log.flush();
  expect(entries.every((e) => e.direction === 'client')).toBe(true);
  return { entries: before, flushed: entries.slice(before.length).map((e) => e.text) };
}

describe('ClientLineLog', () => {
  it('emits one entry per line, without the line break', () => {
    expect(logOf(['A1 NOOP\r\nA2 CAPABILITY\r\n', 'A3 LOGOUT\n']).entries).toEqual(['A1 NOOP', 'A2 CAPABILITY', 'A3 LOGOUT']);
  });

  it('shows bytes as {N bytes} and secrets as <redacted>', () => {
    const { entries } = logOf(['A1 LOGIN "bob" ', new Secret('s3cret'), ' ', new Uint8Array(42), '\r\n']);
    expect(entries).toEqual(['A1 LOGIN "bob" <redacted> {42 bytes}']);
    expect(JSON.stringify(entries)).not.toContain('s3cret');
  });

  it('never looks inside bytes: a CRLF in a Uint8Array does not end the line', () => {
    const { entries, flushed } = logOf([new TextEncoder().encode('A1 NOOP\r\n')]);
    expect(entries).toEqual([]);
    expect(flushed).toEqual(['{9 bytes}']);
  });

  it('joins a line split across writes, and a CR and LF split across parts', () => {
    expect(logOf(['A1 APPEND INBOX {3}\r\n'], [new Uint8Array(3)], ['\r\n']).entries).toEqual([
      'A1 APPEND INBOX {3}',
      '{3 bytes}',
    ]);
    expect(logOf(['A1 NO', 'OP\r', '\nA2'], [' IDLE\r\n']).entries).toEqual(['A1 NOOP', 'A2 IDLE']);
  });

  it('sums a run of byte parts, within a write and across writes (a literal streamed in chunks)', () => {
    expect(logOf(['A1 APPEND INBOX {10+}\r\n'], [new Uint8Array(4)], [new Uint8Array(3), new Uint8Array(3)], ['\r\n']).entries).toEqual([
      'A1 APPEND INBOX {10+}',
      '{10 bytes}',
    ]);
    expect(logOf(['a ', new Uint8Array(2), ' b ', new Uint8Array(0), '\r\n']).entries).toEqual(['a {2 bytes} b {0 bytes}']);
    expect(logOf([new Uint8Array(5)], [new Uint8Array(6)]).flushed).toEqual(['{11 bytes}']);
  });

  it('keeps empty lines and a CR that does not end a line', () => {
    expect(logOf(['\r\na\rb\r\n']).entries).toEqual(['', 'a\rb']);
  });

  it('flushes held text once', () => {
    const entries: WireLogEntry[] = [];
    const log = new ClientLineLog((entry) => entries.push(entry));
    log.write(['DONE']);
    log.flush();
    log.flush();
    expect(entries).toEqual([{ direction: 'client', text: 'DONE' }]);
  });
});
