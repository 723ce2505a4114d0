/**
 * How benchmark workers run: the benchmark file bundled to plain JavaScript with esbuild (which tsx
 * and tsup bring), so that no client pays for a TypeScript loader in its time or memory, as users
 * of the built package do not; tsx is the fallback when esbuild cannot be loaded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The arguments before a worker's own (`node ...command --worker ...`).
 *
 * @param benchUrl - `import.meta.url` of the benchmark file.
 * @param dir - a scratch folder for the bundle.
 * @param peers - packages the file imports by name (`import('imapflow')`): kept out of the bundle and
 *   resolved to the installed copies, since the bundle lives outside the repository.
 */
export async function workerCommand(benchUrl: string, dir: string, peers: readonly string[]): Promise<string[]> {
  const entry = fileURLToPath(benchUrl);
  try {
    const esbuild = await import('esbuild');
    const outfile = path.join(dir, `${path.basename(entry, '.ts')}-worker.mjs`);
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: [...peers],
      outfile,
      logLevel: 'warning',
    });
    let bundled = readFileSync(outfile, 'utf8');
    for (const peer of peers) {
      const resolved = JSON.stringify(import.meta.resolve(peer, benchUrl));
      bundled = bundled.replaceAll(`import("${peer}")`, `import(${resolved})`).replaceAll(`from "${peer}"`, `from ${resolved}`);
    }
    writeFileSync(outfile, bundled);
    return [outfile];
  } catch (error) {
    console.error(`esbuild unavailable (${String(error)}); running workers through tsx`);
    return ['--import', import.meta.resolve('tsx'), entry];
  }
}

/** The value after `name` on the command line (`--runs 9`), or `fallback`. */
export function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}
