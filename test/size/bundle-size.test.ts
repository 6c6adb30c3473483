/**
 * The size a browser pays for yibao-guard. Builds the package, bundles a small fixture per entry with esbuild
 * (minified, as an app would ship it), gzips it and holds it under a ceiling; the root bundle must also stay
 * free of Node-only and test-only code. Sizes are printed so a regression is visible before it fails.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { buildPackage } from '../build-package.js';

const root = new URL('../../', import.meta.url).pathname;
const KB = 1024;

interface Fixture {
  readonly name: string;
  readonly platform: 'browser' | 'node';
  readonly source: string;
  readonly ceilingKb: number;
  readonly forbidden: readonly string[];
}

// A module specifier, quoted: `{node:"selinfo"}` (a 3505 field path) is not an import of Node.
const BROWSER_FORBIDDEN = ['"node:', "'node:", 'better-sqlite3', 'msw', 'fake-indexeddb', 'playwright', 'vitest', 'fast-check'];

const fixtures: Fixture[] = [
  // Everything the root exports, tree-shaking defeated: not what a till ships (it imports the facade), but a guard
  // on the package's total growth.
  { name: 'root (everything)', platform: 'browser', source: `import * as yg from 'yibao-guard'; console.log(yg);`, ceilingKb: 64, forbidden: BROWSER_FORBIDDEN },
  // What a small till uses: validators and masks only.
  {
    // An app that only validates and masks codes imports them from their own entry: the root's till loads its
    // parts lazily, and a bundler puts what those lazy parts share with the root (zod, the schemas) in the first
    // load of every app that imports the root. The error catalog (every code, in Chinese and English) is most of it.
    name: 'codes (validators only)',
    platform: 'browser',
    source: `import { isValidResidentId, maskResidentId, parseTraceCode } from 'yibao-guard/codes'; console.log(isValidResidentId, maskResidentId, parseTraceCode);`,
    ceilingKb: 8,
    forbidden: [...BROWSER_FORBIDDEN, 'zod'],
  },
  // The standing goal: what a browser till imports (the README's quick start: the terminal facade, the platform
  // client, the IndexedDB adapter) stays within 40 KB min+gz in its initial chunk.
  {
    name: 'core + idb (browser till)',
    platform: 'browser',
    source: `import { createTerminal, createPlatformClient, TERMINAL_NAMES } from 'yibao-guard'; import { createIdbStorage } from 'yibao-guard/idb'; console.log(createTerminal, createPlatformClient, TERMINAL_NAMES, createIdbStorage);`,
    ceilingKb: 40,
    forbidden: BROWSER_FORBIDDEN,
  },
  { name: 'sqlite', platform: 'node', source: `import * as m from 'yibao-guard/sqlite'; console.log(m);`, ceilingKb: 200, forbidden: ['msw', 'vitest'] },
  { name: 'simulator', platform: 'node', source: `import * as m from 'yibao-guard/simulator'; console.log(m);`, ceilingKb: 300, forbidden: ['vitest'] },
  { name: 'his', platform: 'node', source: `import * as m from 'yibao-guard/his'; console.log(m);`, ceilingKb: 200, forbidden: ['msw', 'vitest'] },
];

let dir: string;

beforeAll(async () => {
  await buildPackage();
  // Inside the package, so that `import 'yibao-guard'` resolves by self-reference through the exports map,
  // as it would in an app after `npm install yibao-guard`.
  dir = join(root, 'test/size/.fixtures');
  mkdirSync(dir, { recursive: true });
  return () => rmSync(dir, { recursive: true, force: true });
});

/**
 * Bundles a fixture as an app would, with code splitting. "Initial" is the entry chunk and every chunk it
 * imports statically (what every page load pays); "lazy" is only what is reachable through `import()` alone
 * (tweetnacl and ky, loaded on first use). The split is read from esbuild's metafile, not guessed from names.
 */
async function bundle(fixture: Fixture): Promise<{ initial: string; lazy: string }> {
  const entry = join(dir, `${fixture.name.replace(/\W+/g, '-')}.mjs`);
  writeFileSync(entry, fixture.source);
  const outdir = join(dir, 'out');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    splitting: true,
    outdir,
    platform: fixture.platform,
    write: false,
    metafile: true,
    // Peer dependencies a Node app installs itself are not part of our size.
    external: fixture.platform === 'node' ? ['better-sqlite3'] : [],
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const key = (path: string) => relative(root, path).split(sep).join('/');
  // The fixture's own entry, not a lazy chunk that esbuild also lists with an entryPoint.
  const entryKey = Object.keys(outputs).find((k) => outputs[k]?.entryPoint !== undefined && outputs[k]?.entryPoint === key(entry));
  const initial = new Set<string>();
  const visit = (k: string | undefined) => {
    if (k === undefined || initial.has(k)) return;
    initial.add(k);
    for (const imported of outputs[k]?.imports ?? []) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entryKey);
  const texts = new Map(result.outputFiles.map((file) => [key(file.path), file.text]));
  const pick = (inInitial: boolean) => [...texts].filter(([k]) => initial.has(k) === inInitial && k.endsWith('.js')).map(([, text]) => text).join('\n');
  return { initial: pick(true), lazy: pick(false) };
}

describe('bundle size', () => {
  it.each(fixtures)('$name stays under its ceiling and carries no forbidden code', async (fixture) => {
    const { initial, lazy } = await bundle(fixture);
    expect(initial.length).toBeGreaterThan(0);
    const gz = gzipSync(initial, { level: 9 }).length;
    const lazyGz = lazy ? gzipSync(lazy, { level: 9 }).length : 0;
    console.log(
      `size: ${fixture.name}: ${(initial.length / KB).toFixed(1)} KB min, ${(gz / KB).toFixed(1)} KB min+gz (ceiling ${fixture.ceilingKb} KB)` +
        (lazy ? `; loaded on first use: ${(lazyGz / KB).toFixed(1)} KB min+gz` : ''),
    );
    expect(gz).toBeLessThanOrEqual(fixture.ceilingKb * KB);
    // A boolean, not toContain: a failure names the culprit without printing the whole bundle.
    const found = fixture.forbidden.filter((name) => (initial + lazy).includes(name));
    expect(found, `${fixture.name} contains ${found.join(', ')}`).toEqual([]);
  });
});
