import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

/** The bundle's entries, by name, as rollup.config.mjs builds them. */
const { entries } = (await import(new URL('../../rollup.config.mjs', import.meta.url).href)) as {
  entries: Record<string, string>;
};
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

  it('exports every subpath with types first, then default; the Node-only ones with no browser file between them', () => {
    const nodeOnly = ['./sqlite', './simulator', './simulator/msw', './his'];
    for (const subpath of [
      '.',
      './codes',
      './errors',
      './schemas',
      './storage',
      './crypto',
      './voucher',
      './invoice',
      './audit',
      './platform',
      './rules',
      './sync',
      './engine',
      './ed25519-fallback',
      './idb',
      ...nodeOnly,
    ]) {
      const entry = pkg.exports[subpath];
      expect(Object.keys(entry)).toEqual(
        nodeOnly.includes(subpath) ? ['types', 'browser', 'default'] : ['types', 'default'],
      );
      if (nodeOnly.includes(subpath)) expect(entry.browser).toBeNull();
      const name = subpath === '.' ? 'index' : subpath.slice(2).replace('/', '-');
      const source = entries[name];
      expect(source, subpath).toBeDefined();
      // The bundle's entry, and tsc's declaration of the very source file (go-to-definition lands in it).
      expect(entry.default).toBe(`./dist/${name}.js`);
      expect(entry.types).toBe(`./dist/${source!.replace(/\.ts$/, '.d.ts')}`);
    }
  });

  it('declares the types of exactly the bundle’s entries, with tsc, one .d.ts per source file', () => {
    // tsconfig.build.json is JSON with comments.
    const text = readFileSync(new URL('../../tsconfig.build.json', import.meta.url), 'utf8').replace(
      /^\s*\/\/.*$/gm,
      '',
    );
    const build = JSON.parse(text) as { compilerOptions: Record<string, unknown>; files: string[]; include: string[] };
    expect([...build.files].sort()).toEqual(Object.values(entries).sort());
    expect(build.include).toEqual([]);
    expect(build.compilerOptions).toMatchObject({
      declaration: true,
      emitDeclarationOnly: true,
      outDir: 'dist',
      rootDir: '.',
    });
    expect(pkg.scripts.build).toMatch(/rollup -c .*&& tsc -p tsconfig\.build\.json$/);
    expect(pkg.devDependencies['rollup-plugin-dts']).toBeUndefined();
  });

  it('keeps msw an optional peer dependency, needed only by yibao-guard/simulator/msw', () => {
    expect(pkg.dependencies.msw).toBeUndefined();
    expect(pkg.peerDependencies.msw).toBeTruthy();
    expect(pkg.peerDependenciesMeta.msw).toEqual({ optional: true });
  });

  it('keeps better-sqlite3 an optional peer dependency (yibao-guard/sqlite only), allowed to build on install', () => {
    expect(pkg.dependencies['better-sqlite3']).toBeUndefined();
    expect(pkg.peerDependencies['better-sqlite3']).toBeTruthy();
    expect(pkg.peerDependenciesMeta['better-sqlite3']).toEqual({ optional: true });
    // Its native module is compiled by its install script; npm 11 runs install scripts by the allowScripts policy.
    expect(pkg.allowScripts['better-sqlite3']).toBe(true);
  });

  it('ships idb as the one dependency of yibao-guard/idb', () => {
    expect(pkg.dependencies.idb).toBeTruthy();
  });
});
