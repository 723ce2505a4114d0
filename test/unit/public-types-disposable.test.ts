// The published types under a consumer's stricter settings: a project that adds the explicit
// resource management lib (`await using`) and checks declaration files (`skipLibCheck: false`)
// sees @types/node's Readable iterator carry `[Symbol.asyncDispose]`, which our types must match.
import path from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRIES = ['src/index.ts', 'src/imap/index.ts', 'src/pop3/index.ts', 'src/testing/index.ts'].map((entry) => path.join(ROOT, entry));

describe('public types', () => {
  it('check with lib esnext.disposable and skipLibCheck false', () => {
    const program = ts.createProgram(ENTRIES, {
      target: ts.ScriptTarget.ES2023,
      lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'],
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      noEmit: true,
    });
    const messages = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file === undefined ? '' : `${path.relative(ROOT, diagnostic.file.fileName)}: `;
      return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    });
    expect(messages).toEqual([]);
  }, 60_000);
});
