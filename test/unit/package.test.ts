import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isYibaoGuardError } from '../../src/index.js';
import { createIdbStorage } from '../../adapters/idb/index.js';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { createHisHandler } from '../../adapters/his/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('package.json', () => {
  it('is an ESM-only, side-effect-free package for Node ≥ 20.19', () => {
    expect(pkg.name).toBe('yibao-guard');
    expect(pkg.type).toBe('module');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.engines.node).toBe('>=20.19');
    expect(pkg.main).toBeUndefined();
    expect(pkg.bin['yibao-guard']).toBe('./dist/cli.js');
    for (const script of ['build', 'start', 'test', 'bench', 'typecheck']) expect(pkg.scripts[script]).toBeTruthy();
  });

  it('exports every subpath with types first, then default', () => {
    for (const subpath of ['.', './idb', './sqlite', './simulator', './simulator/msw', './his']) {
      const entry = pkg.exports[subpath];
      expect(Object.keys(entry)).toEqual(['types', 'default']);
      expect(entry.types).toMatch(/^\.\/dist\/[a-z-]+\.d\.ts$/);
      expect(entry.default).toMatch(/^\.\/dist\/[a-z-]+\.js$/);
    }
  });

  it('keeps msw an optional peer dependency, needed only by yibao-guard/simulator/msw', () => {
    expect(pkg.dependencies.msw).toBeUndefined();
    expect(pkg.peerDependencies.msw).toBeTruthy();
    expect(pkg.peerDependenciesMeta.msw).toEqual({ optional: true });
  });
});

describe('entries not built yet', () => {
  it.each([
    ['idb', () => createIdbStorage()],
    ['sqlite', () => createSqliteStorage()],
    ['his', () => createHisHandler()],
  ])('yibao-guard/%s throws a clear NOT_BUILT_YET error', (entry, call) => {
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(isYibaoGuardError(thrown, 'NOT_BUILT_YET')).toBe(true);
    expect((thrown as Error).message).toContain(`yibao-guard/${entry}`);
  });
});
