#!/usr/bin/env node
// Smoke test of the published artefact: `npm pack`, install the tarball into a scratch project,
// then with Node 20 (this one), 22 and 24 check that `import('mailwire')` and `require('mailwire')`
// (require of ESM: Node >= 20.19) both load and expose the exports below, and that installing it
// pulled in no runtime dependency. Node 22/24 binaries come from scripts/node-bin.mjs.
// Needs `npm run build` first. Writes test-results/smoke-tarball.json ({ passed, failed, checks }).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, npmPack, run } from './node-bin.mjs';

/** Exports that must exist (as functions/classes) through both import() and require(). */
const EXPECTED_EXPORTS = ['MailwireError', 'Secret', 'AuthenticationError', 'TimeoutError', 'ProtocolError'];
/** Node majors to try besides the one running this script. */
const OTHER_NODE_MAJORS = [22, 24];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULT_PATH = path.join(REPO_ROOT, 'test-results', 'smoke-tarball.json');

const checks = [];
function record(name, ok, detail = '') {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
}

const ESM_CHECK = `
const expected = JSON.parse(process.argv[2]);
const mod = await import('mailwire');
const missing = expected.filter((name) => typeof mod[name] !== 'function');
if (missing.length > 0) { console.error('missing exports: ' + missing.join(', ')); process.exit(1); }
console.log(Object.keys(mod).length + ' exports');
`;
const CJS_CHECK = `
const expected = JSON.parse(process.argv[2]);
const mod = require('mailwire');
const missing = expected.filter((name) => typeof mod[name] !== 'function');
if (missing.length > 0) { console.error('missing exports: ' + missing.join(', ')); process.exit(1); }
console.log(Object.keys(mod).length + ' exports');
`;

function main() {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'index.js'))) {
    record('dist/ built', false, 'no dist/index.js: run `npm run build` first');
    return;
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'mailwire-smoke-'));
  try {
    let tarball;
    try {
      tarball = npmPack('.', work, REPO_ROOT);
      record('npm pack', true, path.basename(tarball));
    } catch (error) {
      record('npm pack', false, error.message);
      return;
    }
    const project = path.join(work, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'mailwire-smoke', version: '0.0.0', private: true }, null, 2));
    try {
      run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: project });
      const installed = readdirSync(path.join(project, 'node_modules')).filter((name) => !name.startsWith('.'));
      record('tarball installs with zero runtime dependencies', installed.length === 1 && installed[0] === 'mailwire', installed.join(', '));
    } catch (error) {
      record('npm install <tarball>', false, error.message);
      return;
    }
    writeFileSync(path.join(project, 'check.mjs'), ESM_CHECK);
    writeFileSync(path.join(project, 'check.cjs'), CJS_CHECK);

    const nodes = [{ label: `node ${process.version}`, binary: process.execPath }];
    for (const major of OTHER_NODE_MAJORS) {
      try {
        const binary = nodeBinary(major);
        nodes.push({ label: `node ${run(binary, ['--version']).trim()}`, binary });
      } catch (error) {
        record(`node ${major} from the npm registry`, false, error.message);
      }
    }
    for (const { label, binary } of nodes) {
      for (const [kind, file] of [['import()', 'check.mjs'], ['require()', 'check.cjs']]) {
        const result = spawnSync(binary, [file, JSON.stringify(EXPECTED_EXPORTS)], { cwd: project, encoding: 'utf8' });
        const detail = (result.status === 0 ? result.stdout : `${result.stderr}${result.stdout}`).trim().split('\n').slice(-3).join(' | ');
        record(`${label} ${kind}`, result.status === 0, detail);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  record('smoke test', false, error instanceof Error ? error.message : String(error));
}
const passed = checks.filter((check) => check.ok).length;
const failed = checks.length - passed;
mkdirSync(path.dirname(RESULT_PATH), { recursive: true });
writeFileSync(RESULT_PATH, `${JSON.stringify({ passed, failed, checks }, null, 2)}\n`);
console.log(`smoke-tarball: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
