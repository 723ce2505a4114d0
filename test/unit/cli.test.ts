// The `mailwire` command as a process: run from its source with tsx, as `npx mailwire` would run
// the built file.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI; `closeStdout` closes the reading end of its stdout at once (as `| head -0` would). */
function run(args: readonly string[], options: { closeStdout?: boolean } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    if (options.closeStdout === true) child.stdout.destroy();
    else child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('mailwire (the command)', () => {
  it('prints its usage to stderr and exits 2 without a command, as for an unknown one', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Usage: mailwire demo/);
    expect(result.stderr.match(/Usage:/g)).toHaveLength(1);
  });

  it('prints its usage once, to stdout, for --help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Usage: mailwire demo \[--url URL\]\.\.\. \[options\]\n/);
    expect(result.stdout.match(/Usage:/g)).toHaveLength(1);
  });

  it('names an unknown command on stderr with the usage, exit code 2', async () => {
    const result = await run(['frob']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Unknown command "frob"\n\nUsage: mailwire demo/);
  });

  it('ends quietly with exit code 0 when its stdout is closed early (mailwire demo | head -1)', async () => {
    const result = await run(['demo'], { closeStdout: true });
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
  });
});
