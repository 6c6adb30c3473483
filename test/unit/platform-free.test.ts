import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('../../', import.meta.url).pathname;

/** Compiles `files` with tsconfig.core.json's options and returns the diagnostics' texts. */
function compileWithCoreConfig(files: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.core.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.core.json did not parse');
  const program = ts.createProgram(files, config.options);
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) => `${d.file ? relative(root, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
    );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('src/ is the platform-free core', () => {
  it('compiles with no DOM library and no Node types', () => {
    expect(compileWithCoreConfig(sourceFiles(join(root, 'src')))).toEqual([]);
  }, 60_000);

  it.each([
    ['a DOM global', 'uses-document.ts', /Cannot find name 'document'/],
    ['a node: import', 'uses-node.ts', /Cannot find module 'node:fs'/],
    ['a Node global', 'uses-buffer.ts', /Cannot find name 'Buffer'/],
  ])(
    'fails the core typecheck when a file uses %s',
    (_what, file, message) => {
      const diagnostics = compileWithCoreConfig([
        join(root, 'src/index.ts'),
        join(root, 'test/fixtures/platform-leak', file),
      ]);
      expect(diagnostics.join('\n')).toMatch(message);
    },
    60_000,
  );

  it('never imports adapters, tests or Node modules', () => {
    for (const file of sourceFiles(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      for (const specifier of specifiers) {
        expect(specifier, `${relative(root, file)} imports ${specifier}`).not.toMatch(
          /^node:|adapters\/|\/test\/|^(fs|path|http|crypto|os)$/,
        );
      }
    }
  });
});
