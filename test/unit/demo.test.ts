// The demo in its default mode: the embedded fixtures replayed, no server. The output must show
// each behaviour as observed, with its wire lines.
import { describe, expect, it } from 'vitest';
import { demoMain, parseDemoArgs, type DemoIo } from '../../src/demo/main.js';
import { wrap } from '../../src/demo/render.js';

function capture(env: Record<string, string | undefined> = {}): DemoIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    env,
    out: () => out,
    err: () => err,
  };
}

/** The block of one row: its title line to the next blank line. */
function row(output: string, protocol: 'IMAP' | 'POP3', title: string): string {
  const section = output.slice(output.indexOf(`${protocol}: `));
  const start = section.indexOf(title);
  expect(start).toBeGreaterThan(-1);
  const block = section.slice(start, section.indexOf('\n\n', start));
  // Rejoin the wrapped cells (columns of 32, 44 and 44 characters after a 2-space indent), then
  // the wire lines, so that a phrase split across lines still matches.
  const lines = block.split('\n');
  const isWire = (line: string): boolean => /^ {5}[✓✗]/.test(line) || /^ {33}\S/.test(line);
  const table = lines.filter((line) => !isWire(line));
  const column = (from: number, width: number): string =>
    table.map((line) => line.slice(from, from + width).trim()).filter((text) => text !== '').join(' ');
  return [column(0, 34), column(36, 44), column(82, 44), ...lines.filter(isWire).map((line) => line.trim())].join('\n');
}

describe('mailwire demo (embedded fixtures)', () => {
  it('replays both protocols and shows the five behaviours as observed on the wire', async () => {
    const io = capture();
    expect(await demoMain([], io)).toBe(0);
    const output = io.out();
    expect(io.err()).toBe('');
    expect(output).toContain('IMAP: the mailbox lives on the server');
    expect(output).toContain('POP3: the post office');
    expect(output).toContain('replayed: sessions recorded');
    expect(output).not.toContain('NOT observed');
    expect(output.match(/✓ observed on the wire/g)).toHaveLength(10);

    // 1. IMAP keeps the message; POP3 takes it away.
    expect(row(output, 'IMAP', '1. Picking mail up')).toMatch(/m1 still there/);
    expect(row(output, 'IMAP', '1. Picking mail up')).toMatch(/A> UID FETCH 1 \(UID RFC822\.SIZE BODY\[\]\)/);
    expect(row(output, 'POP3', '1. Picking mail up')).toMatch(/m1 is gone from the server/);
    expect(row(output, 'POP3', '1. Picking mail up')).toMatch(/A> DELE \d+[\s\S]*A> QUIT/);
    // 2. Shared read state vs none.
    expect(row(output, 'IMAP', '2. Same mailbox')).toMatch(/m1 is read \(\\Seen\): A's read state is/);
    expect(row(output, 'POP3', '2. Same mailbox')).toMatch(/no read state/);
    // 3. Headers without side effects.
    expect(row(output, 'IMAP', '3. Headers first')).toMatch(/BODY\.PEEK\[HEADER\]/);
    expect(row(output, 'IMAP', '3. Headers first')).toMatch(/m2 unread, m3 unread/);
    expect(row(output, 'POP3', '3. Headers first')).toMatch(/A> TOP \d+ 0/);
    // 4. Push vs snapshot and polling.
    expect(row(output, 'IMAP', '4. New mail')).toMatch(/"new" UID 4 pushed by IDLE/);
    expect(row(output, 'IMAP', '4. New mail')).toMatch(/B< \* 4 EXISTS/);
    expect(row(output, 'POP3', '4. New mail')).toMatch(/m4 not listed \(snapshot at/);
    expect(row(output, 'POP3', '4. New mail')).toMatch(/"new" on the next login/);
    // 5. Immediate deletion vs commit at a clean close; an interrupted session deletes nothing.
    expect(row(output, 'IMAP', '5. Deleting')).toMatch(/A> UID EXPUNGE 3/);
    expect(row(output, 'IMAP', '5. Deleting')).toMatch(/B< \* 3 EXPUNGE/);
    expect(row(output, 'POP3', '5. Deleting')).toMatch(/m3 still there before A's QUIT, gone/);
    expect(row(output, 'POP3', '5. Deleting')).toMatch(/m4 kept: nothing lost/);
    // No secret in the output.
    expect(output).not.toMatch(/carol-secret|PASS [^<]/);
  });

  it('prints usage for --help and refuses unknown arguments', async () => {
    const help = capture();
    expect(await demoMain(['--help'], help)).toBe(0);
    expect(help.out()).toMatch(/Usage: mailwire demo/);
    const bad = capture();
    expect(await demoMain(['--frobnicate'], bad)).toBe(2);
    expect(bad.err()).toMatch(/Unknown argument "--frobnicate"/);
  });

  it('live mode wants the password in the environment, never in the URL', async () => {
    const noPassword = capture();
    expect(await demoMain(['--url', 'imaps://me@example.invalid'], noPassword)).toBe(2);
    expect(noPassword.err()).toMatch(/MAILWIRE_PASSWORD/);
    const inUrl = capture({ MAILWIRE_PASSWORD: 'x' });
    expect(await demoMain(['--url', 'imaps://me:topsecret@example.invalid'], inUrl)).toBe(1);
    expect(inUrl.err()).toMatch(/password in the mailbox URL is refused/);
    expect(inUrl.err()).not.toContain('topsecret');
  });

  it('parses its arguments', () => {
    expect(parseDemoArgs(['--url', 'imaps://a@b', '--url=pop3s://a@b', '--poll', '500', '--ca', 'ca.pem', '--password-env', 'PW'])).toMatchObject({
      urls: ['imaps://a@b', 'pop3s://a@b'],
      poll: 500,
      ca: 'ca.pem',
      passwordEnv: 'PW',
    });
    expect(() => parseDemoArgs(['--poll', 'soon'])).toThrow(/--poll/);
    expect(() => parseDemoArgs(['--url'])).toThrow(/needs a value/);
  });

  it('refuses a value on a flag: --allow-cleartext=no does not allow cleartext', async () => {
    expect(() => parseDemoArgs(['--allow-cleartext=no'])).toThrow('--allow-cleartext takes no value');
    expect(() => parseDemoArgs(['--help=yes'])).toThrow('--help takes no value');
    const bad = capture({ MAILWIRE_PASSWORD: 'x' });
    expect(await demoMain(['--url', 'imap://me@example.invalid', '--allow-cleartext=false'], bad)).toBe(2);
    expect(bad.err()).toMatch(/^--allow-cleartext takes no value\n\nUsage: mailwire demo/);
    expect(bad.out()).toBe('');
  });

  it('does not take the next option for a missing value', async () => {
    expect(() => parseDemoArgs(['--url', '--poll', '500'])).toThrow('--url needs a value');
    expect(() => parseDemoArgs(['--password-env', '--allow-cleartext'])).toThrow('--password-env needs a value');
    const bad = capture();
    expect(await demoMain(['--url', '--help'], bad)).toBe(2);
    expect(bad.err()).toMatch(/^--url needs a value\n\nUsage: mailwire demo/);
    expect(bad.out()).toBe('');
  });

  it('checks the URLs before asking for the password', async () => {
    const scheme = capture();
    expect(await demoMain(['--url', 'ftp://me@example.invalid'], scheme)).toBe(1);
    expect(scheme.err()).toMatch(/Unsupported URL scheme "ftp:"/);
    const inUrl = capture();
    expect(await demoMain(['--url', 'pop3s://me:topsecret@example.invalid'], inUrl)).toBe(1);
    expect(inUrl.err()).toMatch(/password in the mailbox URL is refused/);
    expect(inUrl.err()).not.toContain('topsecret');
  });

  it('refuses an --imap-url that is not an IMAP URL', async () => {
    const pop3 = capture({ MAILWIRE_PASSWORD: 'x' });
    expect(await demoMain(['--url', 'pop3s://me@example.invalid', '--imap-url', 'pop3s://me@example.invalid'], pop3)).toBe(2);
    expect(pop3.err()).toMatch(/^--imap-url must be an imap:\/\/ or imaps:\/\/ URL, got "pop3s:\/\/me@example.invalid"\n/);
    expect(pop3.out()).toBe('');
  });

  it('wraps table cells at spaces', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});
