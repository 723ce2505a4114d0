#!/usr/bin/env node
// The unit tests under another supported Node major: `node scripts/unit-tests-on-node.mjs 24`.
// The package supports Node >= 20.19 and must run on 22 and 24 as well, which differ where it
// matters (Node 24's Buffer pool is 64 KiB, for one). vitest runs under the given major's binary
// (scripts/node-bin.mjs); the exit code is vitest's.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-bin.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.argv[2]);
if (!Number.isInteger(major)) {
  console.error('usage: node scripts/unit-tests-on-node.mjs <major>');
  process.exit(2);
}
const binary = nodeBinary(major);
const vitest = path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
console.log(`unit tests on node ${spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
const result = spawnSync(binary, [vitest, 'run', '--project', 'unit', '--reporter=dot'], { cwd: REPO_ROOT, stdio: 'inherit' });
process.exit(result.status ?? 1);
