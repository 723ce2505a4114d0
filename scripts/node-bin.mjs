// Other Node majors for the checks that must pass on every supported one (the package supports
// Node >= 20.19 and must run on 22 and 24): `node` binaries from the npm registry packages
// node-<platform>-<arch>@<major> (the one registry CI reaches), cached in .tmp/node-bin/<major>/.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_CACHE = path.join(REPO_ROOT, '.tmp', 'node-bin');

/** Runs a command to its end; its stdout, or an Error with its output when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${result.stderr}${result.stdout}`.trim());
  }
  return result.stdout;
}

/** `npm pack --json` prints a JSON array of packed packages; the file name is in [0].filename. */
export function npmPack(spec, destination, cwd) {
  const output = run('npm', ['pack', spec, '--json', '--pack-destination', destination], { cwd });
  const packed = JSON.parse(output.slice(output.indexOf('[')));
  return path.join(destination, packed[0].filename);
}

/** Path of a `node` binary of the given major, from the npm registry package node-<platform>-<arch>. */
export function nodeBinary(major) {
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
