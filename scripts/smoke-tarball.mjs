#!/usr/bin/env node
// Smoke test of the published artefact: `npm pack`, install the tarball into a scratch project,
// then with Node 20 (this one), 22 and 24 check that `import('mailwire')` and `require('mailwire')`
// (require of ESM: Node >= 20.19) both load and expose the exports below, and that installing it
// pulled in no runtime dependency. Node 22/24 binaries come from the npm registry packages
// node-<platform>-<arch>@<major> and are cached in .tmp/node-bin/.
// Needs `npm run build` first. Writes test-results/smoke-tarball.json ({ passed, failed, checks }).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Exports that must exist (as functions/classes) through both import() and require(). */
const EXPECTED_EXPORTS = ['MailwireError', 'Secret', 'AuthenticationError', 'TimeoutError', 'ProtocolError'];
/** Node majors to try besides the one running this script. */
const OTHER_NODE_MAJORS = [22, 24];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULT_PATH = path.join(REPO_ROOT, 'test-results', 'smoke-tarball.json');
const NODE_CACHE = path.join(REPO_ROOT, '.tmp', 'node-bin');

const checks = [];
function record(name, ok, detail = '') {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${result.stderr}${result.stdout}`.trim());
  }
  return result.stdout;
}

/** `npm pack --json` prints a JSON array of packed packages; the file name is in [0].filename. */
function npmPack(spec, destination, cwd) {
  const output = run('npm', ['pack', spec, '--json', '--pack-destination', destination], { cwd });
  const packed = JSON.parse(output.slice(output.indexOf('[')));
  return path.join(destination, packed[0].filename);
}

/** Path of a `node` binary of the given major, from the npm registry package node-<platform>-<arch>. */
function nodeBinary(major) {
  const dir = path.join(NODE_CACHE, String(major));
  const binary = path.join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) {
    const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.startsWith(`v${major}.`)) return binary;
  }
  rmSync(dir, { recursive: true, force: true });
  const staging = mkdtempSync(path.join(os.tmpdir(), `mailwire-node${major}-`));
  try {
    const tarball = npmPack(`node-${process.platform}-${process.arch}@${major}`, staging, staging);
    run('tar', ['-xzf', tarball, '-C', staging, 'package/bin/node']);
    chmodSync(path.join(staging, 'package', 'bin', 'node'), 0o755);
    rmSync(tarball, { force: true });
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return binary;
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
