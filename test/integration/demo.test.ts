// The demo live against the project's Dovecot, both protocols: its output shows the five
// behaviours as observed on the wire, and it leaves the account as it found it.
import { beforeEach, describe, expect, it } from 'vitest';
import { demoMain, type DemoIo } from '../../src/demo/main.js';
import { buildMessage, deliver, doveadm, dovecot, resetUser } from '../helpers/dovecot.js';

const USER = 'carol';

function capture(env: Record<string, string | undefined>): DemoIo & { out: () => string; err: () => string } {
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

beforeEach(async () => {
  await resetUser(USER);
});

describe('mailwire demo --url (live)', () => {
  it('plays both protocols against Dovecot, on its own messages only, and cleans up', async () => {
    const facts = dovecot();
    // The user's own mail: the demo must leave it alone.
    await deliver(USER, buildMessage({ subject: 'Not the demo', body: 'keep me\r\n' }));
    const io = capture({ DEMO_PW: facts.users[USER].password });
    const code = await demoMain(
      [
        '--url', `imaps://${USER}@${facts.host}:${facts.ports.imaps}`,
        '--url', `pop3s://${USER}@${facts.host}:${facts.ports.pop3s}`,
        '--ca', facts.caPath,
        '--password-env', 'DEMO_PW',
        '--poll', '300',
      ],
      io,
    );
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const output = io.out();
    expect(output).not.toContain('NOT observed');
    expect(output.match(/✓ observed on the wire/g)).toHaveLength(10);
    expect(output).not.toContain(facts.users[USER].password);
    expect(row(output, 'IMAP', '1. Picking mail up')).toMatch(/m1 still there/);
    expect(row(output, 'POP3', '1. Picking mail up')).toMatch(/m1 is gone from the server/);
    expect(row(output, 'IMAP', '2. Same mailbox')).toMatch(/A's read state is/);
    expect(row(output, 'IMAP', '3. Headers first')).toMatch(/m2 unread, m3 unread/);
    const idle = /"new" UID \d+ pushed by IDLE after (\d+) ms/.exec(row(output, 'IMAP', '4. New mail'));
    expect(idle).not.toBeNull();
    expect(Number(idle?.[1])).toBeLessThan(1000);
    expect(row(output, 'POP3', '4. New mail')).toMatch(/not listed \(snapshot at/);
    expect(row(output, 'POP3', '4. New mail')).toMatch(/"new" on the next login/);
    expect(row(output, 'IMAP', '5. Deleting')).toMatch(/B< \* (\d+ EXPUNGE|VANISHED \d+)/);
    expect(row(output, 'POP3', '5. Deleting')).toMatch(/m4 kept: nothing lost/);

    // Afterwards: no scratch folder, no demo message, the user's message untouched.
    const folders = await doveadm(['mailbox', 'list', '-u', USER]);
    expect(folders.stdout).not.toMatch(/mailwire-demo-/);
    const left = await doveadm(['search', '-u', USER, 'mailbox', 'INBOX', 'ALL']);
    expect(left.stdout.trim().split('\n').filter((line) => line !== '')).toHaveLength(1);
    const subject = await doveadm(['fetch', '-u', USER, 'hdr.subject', 'mailbox', 'INBOX', 'ALL']);
    expect(subject.stdout).toContain('Not the demo');
  });
});
