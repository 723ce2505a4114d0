// Starts one throwaway Dovecot (scripts/dovecot.mjs) for the integration project, hands its facts
// to the tests through provide/inject (and MAILWIRE_DOVECOT_ENV), and stops it afterwards.
// MAILWIRE_KEEP_DOVECOT=1 keeps its folder (config, log, Maildirs) for a look after the run.
import type { TestProject } from 'vitest/node';
import type { DovecotFacts } from '../helpers/dovecot.js';

interface DovecotScript {
  startDovecot(options?: { parentDir?: string; timeoutMs?: number }): Promise<DovecotFacts>;
  stopDovecot(target: DovecotFacts, options?: { keepFiles?: boolean }): Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A computed specifier: the script is plain JavaScript without type declarations.
  const scriptUrl = new URL('../../scripts/dovecot.mjs', import.meta.url).href;
  const script = (await import(scriptUrl)) as DovecotScript;
  const facts = await script.startDovecot();
  const keepFiles = process.env.MAILWIRE_KEEP_DOVECOT === '1';

  // Last resort if vitest exits without running the teardown: the master stops its children.
  const killOnExit = (): void => {
    try {
      process.kill(facts.pid, 'SIGTERM');
    } catch {
      // already stopped
    }
  };
  process.once('exit', killOnExit);

  try {
    process.env.MAILWIRE_DOVECOT_ENV = facts.factsPath;
    project.provide('dovecot', facts);
  } catch (error) {
    process.off('exit', killOnExit);
    await script.stopDovecot(facts);
    throw error;
  }

  return async () => {
    process.off('exit', killOnExit);
    await script.stopDovecot(facts, { keepFiles });
    if (keepFiles) console.log(`[dovecot] kept ${facts.dir} (log: ${facts.logPath})`);
  };
}
