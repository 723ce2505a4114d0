#!/usr/bin/env node
// `npm test`: makes sure a Dovecot can be started (scripts/dovecot.mjs; installed with apt-get when
// missing and running as root), runs vitest's unit and integration projects with a JSON report,
// and prints `N passed, N failed[, N skipped]` as the very last line. Extra arguments go to vitest.
//
//   MAILWIRE_OFFLINE=1                 unit project only, with a loud banner (not allowed when required)
//   CI=true / MAILWIRE_REQUIRE_INTEGRATION=1
//                                      integration tests are required: no Dovecot, or no integration
//                                      test run, is a failure, never a skip
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureDovecot } from './dovecot.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the JSON report of the last run ends up (.ci/run reads it again at the very end). */
export const REPORT_PATH = path.join(REPO_ROOT, 'test-results', 'vitest.json');

/** Counts from a vitest JSON report. A test file that failed without a failing test (import error,
 *  failing hook) counts as one failure, so a broken file can never look green. */
export function countReport(report) {
  const suiteFailures = (report.testResults ?? []).filter((file) =>
    file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed')).length;
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + suiteFailures,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

/** Counts from a report file; a missing or unreadable report is one failure. */
export function readCounts(reportPath = REPORT_PATH) {
  try {
    return countReport(JSON.parse(readFileSync(reportPath, 'utf8')));
  } catch {
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

export function summaryLine({ passed, failed, skipped = 0 }) {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

const truthy = (value) => value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';

function banner(lines) {
  const width = Math.max(...lines.map((line) => line.length)) + 4;
  const bar = '!'.repeat(width);
  console.log(['', bar, ...lines.map((line) => `! ${line.padEnd(width - 4)} !`), bar, ''].join('\n'));
}

function runVitest(args) {
  const vitestBin = path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(vitestBin)) throw new Error(`vitest is not installed (${vitestBin}): run npm ci first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitestBin, ...args], { cwd: REPO_ROOT, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

async function main(extraArgs) {
  const offline = truthy(process.env.MAILWIRE_OFFLINE);
  const required = process.env.CI === 'true' || truthy(process.env.MAILWIRE_REQUIRE_INTEGRATION);

  if (offline && required) {
    console.error('MAILWIRE_OFFLINE=1 cannot be used where integration tests are required ' +
      `(CI=${process.env.CI ?? ''}, MAILWIRE_REQUIRE_INTEGRATION=${process.env.MAILWIRE_REQUIRE_INTEGRATION ?? ''}).`);
    return { code: 1, counts: { passed: 0, failed: 1 } };
  }

  const projects = [];
  if (offline) {
    banner([
      'MAILWIRE_OFFLINE=1: integration tests will NOT run.',
      'Only the unit project runs; nothing is checked against a real IMAP/POP3 server.',
    ]);
    projects.push('--project', 'unit');
  } else {
    try {
      ensureDovecot();
    } catch (error) {
      console.error(`\n${error instanceof Error ? error.message : String(error)}\n`);
      if (required) console.error('Integration tests are required here (CI=true or MAILWIRE_REQUIRE_INTEGRATION=1): failing.');
      return { code: 1, counts: { passed: 0, failed: 1 } };
    }
  }

  // A per-run report file, renamed into place afterwards, so that two runs in one tree never
  // read each other's counts.
  mkdirSync(path.dirname(REPORT_PATH), { recursive: true });
  const runReport = path.join(path.dirname(REPORT_PATH), `vitest.${process.pid}.json`);
  rmSync(runReport, { force: true });
  const code = await runVitest([
    'run', ...projects,
    '--reporter=default', '--reporter=json', `--outputFile.json=${runReport}`,
    ...extraArgs,
  ]);
  const counts = readCounts(runReport);
  let report;
  try {
    report = JSON.parse(readFileSync(runReport, 'utf8'));
    renameSync(runReport, REPORT_PATH);
    console.error(`JSON report moved to ${path.relative(REPO_ROOT, REPORT_PATH)}`);
  } catch {
    report = undefined;
  }

  let finalCode = code;
  if (code !== 0 && counts.failed === 0) counts.failed = 1; // vitest failed outside any test (setup, unhandled error)
  if (required && extraArgs.length === 0) {
    const ranIntegration = (report?.testResults ?? []).some((file) =>
      file.name.includes(`${path.sep}test${path.sep}integration${path.sep}`) &&
      (file.assertionResults ?? []).some((test) => test.status === 'passed' || test.status === 'failed'));
    if (!ranIntegration) {
      console.error('Integration tests are required here, but none ran.');
      counts.failed += 1;
      finalCode = finalCode || 1;
    }
  }
  if (offline) {
    banner(['Integration tests were NOT run (MAILWIRE_OFFLINE=1).', 'Run `npm test` with Dovecot installed before you push.']);
  }
  return { code: finalCode, counts };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    ({ code, counts }) => {
      console.log(summaryLine(counts));
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.stack : String(error));
      console.log(summaryLine({ passed: 0, failed: 1 }));
      process.exitCode = 1;
    },
  );
}
