/**
 * The Dovecot a benchmark measures against: the one named by `MAILWIRE_DOVECOT_ENV` (a facts file from
 * `node scripts/dovecot.mjs start`), or a throwaway one started here and stopped by `stop()`.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The server's facts (the shape each benchmark reads of them) and how to stop it. */
export interface BenchDovecot<Facts> {
  readonly facts: Facts;
  readonly stop: () => Promise<void>;
}

/**
 * @param name - names the temporary folder (`mailwire-bench-<name>-...`).
 */
export async function benchDovecot<Facts>(name: string): Promise<BenchDovecot<Facts>> {
  const envFile = process.env.MAILWIRE_DOVECOT_ENV;
  if (envFile !== undefined && envFile !== '') {
    return { facts: JSON.parse(readFileSync(envFile, 'utf8')) as Facts, stop: () => Promise.resolve() };
  }
  const script = (await import(pathToFileURL(path.resolve(import.meta.dirname, '../../scripts/dovecot.mjs')).href)) as {
    startDovecot(options: { parentDir: string }): Promise<Facts>;
    stopDovecot(facts: Facts): Promise<void>;
  };
  const parentDir = mkdtempSync(path.join(process.env.MAILWIRE_DOVECOT_TMPDIR ?? tmpdir(), `mailwire-bench-${name}-`));
  // As root, Dovecot's mail processes run as nobody and must be able to enter the folder.
  chmodSync(parentDir, 0o711);
  let facts: Facts;
  try {
    facts = await script.startDovecot({ parentDir });
  } catch (error) {
    rmSync(parentDir, { recursive: true, force: true });
    throw error;
  }
  return {
    facts,
    stop: async () => {
      await script.stopDovecot(facts);
      rmSync(parentDir, { recursive: true, force: true });
    },
  };
}
