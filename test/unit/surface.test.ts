/**
 * The public surface: the package root holds what a till integrator needs (at most 50 names), every other part has
 * an entry of its own, one concept each, and no entry re-exports the root wholesale. Counted with the TypeScript
 * compiler over the entries of rollup.config.mjs, values and types alike.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
// @ts-expect-error rollup.config.mjs is plain JavaScript without declarations
import { entries } from '../../rollup.config.mjs';

const root = new URL('../../', import.meta.url).pathname;
const sources = entries as Record<string, string>;
const program = ts.createProgram(
  Object.values(sources).map((file) => join(root, file)),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();

/** The names an entry exports, split into values (functions, classes, constants) and types. */
function exportsOf(entry: string): { values: string[]; types: string[] } {
  const file = program.getSourceFile(join(root, sources[entry]!));
  if (file === undefined) throw new Error(`no source for entry ${entry}`);
  const values: string[] = [];
  const types: string[] = [];
  for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(file)!)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
  }
  return { values: values.sort(), types: types.sort() };
}

describe('the public surface', () => {
  it('the root exports at most 50 names, the till and what its screens and errors need', () => {
    const { values, types } = exportsOf('index');
    expect(values.length + types.length).toBeLessThanOrEqual(50);
    for (const name of [
      'createTerminal',
      'createMemoryStorage',
      'TERMINAL_NAMES',
      'YibaoGuardError',
      'isYibaoGuardError',
      'maskPersonalData',
    ]) {
      expect(values).toContain(name);
    }
    for (const name of ['Terminal', 'TerminalOptions', 'Receipt', 'Storage', 'ErrorCode'])
      expect(types).toContain(name);
    // No zod schema, no engine part, no platform client at the root.
    expect(values.filter((name) => name.endsWith('Schema'))).toEqual([]);
    for (const name of ['createPlatformClient', 'createSaleSession', 'openInvoiceBook', 'selfAudit', 'compilePack'])
      expect(values).not.toContain(name);
  });

  it('no entry re-exports the root: each holds its own concept', () => {
    const { values, types } = exportsOf('index');
    const rootNames = new Set([...values, ...types]);
    for (const entry of Object.keys(sources).filter((name) => name !== 'index')) {
      const names = [...exportsOf(entry).values, ...exportsOf(entry).types];
      expect(names.includes('createTerminal'), `${entry} re-exports createTerminal`).toBe(false);
      // An entry shares the names of its own concept with the root (the error classes, the schemas of a sale),
      // never most of the root.
      expect(names.filter((name) => rootNames.has(name)).length, entry).toBeLessThan(rootNames.size / 2);
    }
  });

  it('every name an app imported from the root before is still exported by some entry', () => {
    const all = new Set(
      Object.keys(sources).flatMap((entry) => [...exportsOf(entry).values, ...exportsOf(entry).types]),
    );
    for (const name of [
      'createPlatformClient',
      'PersonQueryOutputSchema',
      'parseInput',
      'canonicalJson',
      'verifyChain',
      'selfAudit',
      'readVoucher',
      'sha256Hex',
      'ERROR_CATALOG',
      'lineAmountFen',
      'WriteOp',
      'SaleRecord',
    ]) {
      expect(all.has(name), name).toBe(true);
    }
  });

  it('every entry of the core opens with its own @packageDocumentation comment', () => {
    for (const [entry, file] of Object.entries(sources)) {
      if (!file.startsWith('src/') || file.endsWith('ed25519-fallback.ts')) continue;
      const text = readFileSync(join(root, file), 'utf8');
      expect(text.startsWith('/**'), entry).toBe(true);
      expect(text.slice(0, text.indexOf('*/')), entry).toContain('@packageDocumentation');
    }
  });
});
