#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another, each in its own Node process (so one benchmark's
// heap never colours another's figures). `npm run bench` runs them all; `npm run bench -- pop3` runs
// those whose file name contains "pop3".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const files = readdirSync(path.join(root, 'bench'))
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`No benchmark in bench/ matches ${filters.join(', ')}`);
  process.exit(1);
}

let failed = 0;
for (const name of files) {
  console.log(`\n=== bench/${name}`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join('bench', name)], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed += 1;
    console.error(`bench/${name} exited with ${String(result.status ?? result.signal)}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
