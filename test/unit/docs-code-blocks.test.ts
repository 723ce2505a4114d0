// The code blocks of README.md and docs/*.md: a `js` block must be plain JavaScript that parses
// (readers save it as example.mjs and run it with node), and TypeScript-only syntax such as
// `await using` belongs in a `ts` block. The examples themselves run against a server: see
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
});
