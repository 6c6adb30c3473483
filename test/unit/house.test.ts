/**
 * The rules of the house that a reader feels (CONTRIBUTING.md): no function in `src/` or `adapters/` over 120
 * lines, so a concept reads top-down in one screen or two; and lines of at most 120 characters, but for lines
 * that hold a string or template literal (a message, a test's name, markup), which a formatter cannot break, as
 * with ESLint's max-len `ignoreStrings` and `ignoreTemplateLiterals`. Comments always wrap.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('../../', import.meta.url).pathname;
const MAX_FUNCTION_LINES = 120;
const MAX_LINE = 120;

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'artifacts', '.fixtures', 'vectors'].includes(entry.name) ? [] : files(path, pattern);
    return pattern.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every function, arrow function and method of a file longer than `limit` lines, as `file:line name (n lines)`. */
function longFunctions(file: string, text: string, limit: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node)
    ) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - start + 1;
      if (lines > limit) {
        const parent = node.parent;
        const name =
          node.name?.getText(source) ??
          (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))
            ? parent.name.getText(source)
            : '(anonymous)');
        found.push(`${file}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The lines of a file over {@link MAX_LINE} characters, as `file:line (length)`, but for lines that a string,
 * template or regular expression literal reaches into (a formatter cannot break those). Comments always count.
 */
function longLines(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const literalLines = new Set<number>();
  const literal = new Set([
    ts.SyntaxKind.StringLiteral,
    ts.SyntaxKind.NoSubstitutionTemplateLiteral,
    ts.SyntaxKind.TemplateHead,
    ts.SyntaxKind.TemplateMiddle,
    ts.SyntaxKind.TemplateTail,
    ts.SyntaxKind.RegularExpressionLiteral,
  ]);
  const visit = (node: ts.Node): void => {
    if (literal.has(node.kind)) {
      const from = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const to = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      for (let line = from; line <= to; line++) literalLines.add(line);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const over: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX_LINE && !literalLines.has(i)) over.push(`${file}:${i + 1} (${line.length})`);
  });
  return over;
}

describe('the house', () => {
  it('has no function over 120 lines in src/ or adapters/', () => {
    const long = [...files('src', /\.ts$/), ...files('adapters', /\.ts$/)].flatMap((file) =>
      longFunctions(file, readFileSync(join(root, file), 'utf8'), MAX_FUNCTION_LINES),
    );
    expect(long).toEqual([]);
  });

  it('finds a long function where there is one (the check itself works)', () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES + 5 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = `export const outer = () => {\n  function big(): void {\n${body}\n  }\n};\n`;
    expect(longFunctions('x.ts', text, MAX_FUNCTION_LINES)).toEqual(
      [`x.ts:2 big (${MAX_FUNCTION_LINES + 7} lines)`, `x.ts:1 outer (${MAX_FUNCTION_LINES + 9} lines)`].reverse(),
    );
  });

  it('keeps lines to 120 characters but for those holding a string, template or regular expression literal', () => {
    const over: string[] = [];
    for (const file of ['src', 'adapters', 'test', 'examples'].flatMap((dir) => files(dir, /\.(ts|mjs)$/))) {
      over.push(...longLines(file, readFileSync(join(root, file), 'utf8')));
    }
    expect(over).toEqual([]);
  });

  it('finds a long comment or code line, and lets a long string be', () => {
    const long = 'x'.repeat(MAX_LINE);
    const text = [
      `// ${long}`,
      `const a = '${long}';`,
      `const b = \`\n${long}\n\`;`,
      `const c = [${'1, '.repeat(45)}1];`,
    ].join('\n');
    expect(longLines('x.ts', text)).toEqual(['x.ts:1 (123)', `x.ts:6 (${text.split('\n')[5]!.length})`]);
  });
});
