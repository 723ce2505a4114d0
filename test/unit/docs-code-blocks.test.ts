// The code blocks of README.md and docs/*.md: a `js` block must be plain JavaScript that parses
// (readers save it as example.mjs and run it with node), and TypeScript-only syntax such as
// `await using` belongs in a `ts` block. Every `js` or `ts` block that imports from `mailwire` (or
// `mailwire/testing`) is type-checked against the current public API (src/index.ts and
// src/testing/index.ts), as a module of its own: a renamed method, option or export fails here.
// They are checked without `strict` (a `js` reader has no types to satisfy it, and
// `process.env.X` is `string | undefined`); fragments that continue an earlier block without
// importing anything are not checked. The examples themselves run against a server: see
// docs/testing.md for the one that runs offline in this suite.
import path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

interface Block {
  readonly page: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
}

function codeBlocks(page: string): Block[] {
  const lines = readFileSync(path.join(ROOT, page), 'utf8').split('\n');
  const blocks: Block[] = [];
  let open: { line: number; lang: string; indent: string; body: string[] } | undefined;
  lines.forEach((text, index) => {
    const fence = /^(\s*)```(\w*)/.exec(text);
    if (open === undefined) {
      if (fence !== null) open = { line: index + 1, lang: fence[2] ?? '', indent: fence[1] ?? '', body: [] };
    } else if (fence !== null && text.trim() === '```') {
      blocks.push({ page, line: open.line, lang: open.lang, code: open.body.join('\n') });
      open = undefined;
    } else {
      open.body.push(text.startsWith(open.indent) ? text.slice(open.indent.length) : text);
    }
  });
  return blocks;
}

const blocks = PAGES.flatMap(codeBlocks);
const jsBlocks = blocks.filter((block) => block.lang === 'js');
const apiBlocks = blocks.filter((block) => (block.lang === 'js' || block.lang === 'ts') && /from 'mailwire(\/testing)?'/.test(block.code));

/**
 * What the examples take from their reader's surroundings rather than define: docs/testing.md's
 * code under test and its fixture path (defined in one block, used in the others), and the test
 * runner's globals.
 */
const READER_CONTEXT = `
import type { Pop3Client } from 'mailwire';
declare global {
  function subjects(client: Pop3Client): Promise<string[]>;
  const FIXTURE: string;
}
`;

/** Type-checks the blocks, each as a module of its own: the diagnostics of each, by `page:line`. */
function typeCheck(checked: readonly Block[]): Map<string, string[]> {
  const exampleDir = path.join(ROOT, 'doc-examples');
  const files = new Map<string, string>([[path.join(exampleDir, 'reader-context.d.ts'), READER_CONTEXT]]);
  const names = new Map<string, string>();
  for (const block of checked) {
    const file = path.join(exampleDir, `${block.page.replace(/\W/g, '_')}_${block.line}.${block.lang === 'js' ? 'mjs' : 'mts'}`);
    files.set(file, block.code);
    names.set(file, `${block.page}:${block.line}`);
  }
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node', 'vitest/globals'],
    allowJs: true,
    checkJs: true,
    strict: false,
    noEmit: true,
    skipLibCheck: true,
    paths: { mailwire: [path.join(ROOT, 'src/index.ts')], 'mailwire/testing': [path.join(ROOT, 'src/testing/index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, language, ...rest) : ts.createSourceFile(name, text, language);
  };
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  const found = new Map<string, string[]>([...names.values()].map((name) => [name, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file;
    // The library itself is checked by tsc, under its own (strict) options.
    if (file !== undefined && !files.has(file.fileName)) continue;
    const name = file === undefined ? 'the compiler options' : (names.get(file.fileName) ?? file.fileName);
    const line = file === undefined || diagnostic.start === undefined ? 0 : file.getLineAndCharacterOfPosition(diagnostic.start).line + 1;
    const messages = found.get(name) ?? [];
    messages.push(`line ${line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    found.set(name, messages);
  }
  return found;
}

describe('code blocks in the docs', () => {
  it('finds the pages and their js examples', () => {
    expect(PAGES).toContain('docs/imap.md');
    expect(jsBlocks.length).toBeGreaterThan(10);
  });

  it.each(jsBlocks.map((block) => [`${block.page}:${block.line}`, block] as const))('%s is JavaScript that parses', (_, block) => {
    expect(block.code).not.toMatch(/\bawait using\b|\busing\s+\w+\s*=|\bas const\b|:\s*(string|number|boolean)\b[,)=]/);
    const result = ts.transpileModule(block.code, {
      fileName: 'example.mjs',
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, allowJs: true },
    });
    const messages = (result.diagnostics ?? []).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(messages).toEqual([]);
  });

  it('marks every block that uses `await using` as TypeScript', () => {
    const using = blocks.filter((block) => /\bawait using\b/.test(block.code));
    expect(using.length).toBeGreaterThan(0);
    for (const block of using) expect(`${block.page}:${block.line} ${block.lang}`).toBe(`${block.page}:${block.line} ts`);
  });

  it('type-checks every example that imports mailwire against the public API', { timeout: 120_000 }, () => {
    expect(apiBlocks.length).toBeGreaterThan(15);
    const diagnostics = typeCheck(apiBlocks);
    expect([...diagnostics].filter(([, messages]) => messages.length > 0)).toEqual([]);
    expect(diagnostics.size).toBe(apiBlocks.length);
  });
});
