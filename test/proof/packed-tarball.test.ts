/**
 * A newcomer's install, proven on the artefact npm would publish: builds the package, `npm pack`s it, installs the
 * tarball into a scratch project in a temp dir (only the npm registry, from its cache when it can), then from that
 * project, not from the repo:
 *
 * - imports every subpath of the installed package.json's `exports` in a fresh Node and checks a known export of
 *   each is a function, resolved inside the scratch project's node_modules (never the repo by self-reference);
 * - typechecks a TypeScript app importing every subpath against the installed declarations (tsc's, one per source
 *   file), with NodeNext and with Bundler resolution;
 * - runs the `yibao-guard` bin through `npx`;
 * - bundles a browser till (the root + `/idb`, as test/size/bundle-size.test.ts does) from the installed package
 *   with esbuild and loads it in Chromium from a loopback origin: `createTerminal` is a function there, an
 *   IndexedDB storage opens and keeps a record, and the page logs no console error.
 *
 * The optional peers (`better-sqlite3` for `/sqlite`, `msw` for `/simulator/msw`) are what an app installs itself;
 * the scratch project links the repo's copies rather than building better-sqlite3 again.
 *
 * Without Chromium the browser part is skipped loudly (`BROWSER SUITES DID NOT RUN`), or fails when
 * `YG_REQUIRE_BROWSER=1`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { maskResidentId } from '../../src/codes/index.js';
import { buildPackage } from '../build-package.js';
import { findChromium, NO_CHROMIUM, CHROMIUM_ARGS } from '../browser/harness.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** A known export of each subpath: a function, but for the few listed in {@link NOT_A_FUNCTION}. */
const KNOWN: Record<string, string> = {
  '.': 'createTerminal',
  './engine': 'createSaleSession',
  './codes': 'isValidResidentId',
  './errors': 'isYibaoGuardError',
  './schemas': 'parseInput',
  './storage': 'createMemoryStorage',
  './crypto': 'sha256Hex',
  './voucher': 'readVoucher',
  './ed25519-fallback': 'tweetnaclEd25519',
  './invoice': 'verifyChain',
  './audit': 'selfAudit',
  './platform': 'createPlatformClient',
  './rules': 'compilePack',
  './sync': 'createSyncWorker',
  './idb': 'createIdbStorage',
  './sqlite': 'createSqliteStorage',
  './simulator': 'createSimulator',
  './simulator/msw': 'simulatorHandlers',
  './his': 'createHisHandler',
};

/** Known exports that are values rather than functions, with the type `typeof` gives them. */
const NOT_A_FUNCTION: Record<string, string> = { './ed25519-fallback': 'object' };

let work: string;
let app: string;
let tarball: string;

/** npm with the registry only: no audit, no funding call, the cache first. */
const npm = (args: string[], cwd: string) =>
  run('npm', args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 });

beforeAll(async () => {
  const started = Date.now();
  await buildPackage();
  const built = Date.now();
  work = mkdtempSync(join(tmpdir(), 'yg-pack-'));
  // Without scripts: prepack would build dist/ again, outside buildPackage's lock, under the other test files using it.
  const packed = await npm(['pack', root, '--json', '--ignore-scripts', '--pack-destination', work], work);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack said nothing: ${packed.stdout}`);
  tarball = join(work, info.filename);
  // What the tarball carries: dist, the README, the LICENSE and the documents written for people outside (the receipt
  // format with
  // its vectors, the privacy statement); no sources, tests or examples.
  const paths = info.files.map((f) => f.path);
  expect(paths).toContain('package.json');
  expect(paths).toContain('README.md');
  expect(paths).toContain('LICENSE');
  expect(paths).toEqual(expect.arrayContaining(['docs/RECEIPT-FORMAT.md', 'docs/yibao-receipt-format-v1.json']));
  expect(
    paths.filter(
      (p) =>
        !p.startsWith('dist/') &&
        !/^docs\/[A-Z-]+\.md$|^docs\/[a-z0-9-]+\.json$/.test(p) &&
        p !== 'package.json' &&
        p !== 'README.md' &&
        p !== 'LICENSE',
    ),
  ).toEqual([]);

  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'yg-scratch-till', private: true, type: 'module' }));
  const packedAt = Date.now();
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
  // The optional peers, linked from the repo: Node follows the link to its real path, where their own
  // dependencies are found.
  for (const peer of ['better-sqlite3', 'msw'])
    symlinkSync(join(root, 'node_modules', peer), join(app, 'node_modules', peer), 'dir');
  console.log(
    `packed-tarball: built, packed ${info.filename} (${paths.length} files) and installed: build ${((built - started) / 1000).toFixed(1)} s, pack ${((packedAt - built) / 1000).toFixed(1)} s, install ${((Date.now() - packedAt) / 1000).toFixed(1)} s`,
  );
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball, installed in a scratch project', { timeout: 90_000 }, () => {
  it('installs only its five dependencies, and its exports map is the one this test covers', () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/yibao-guard/package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(installed.dependencies).sort()).toEqual(['idb', 'jose', 'ky', 'tweetnacl', 'zod']);
    // A new subpath fails here until this test imports it too.
    expect(
      Object.keys(installed.exports)
        .filter((k) => k !== './package.json')
        .sort(),
    ).toEqual(Object.keys(KNOWN).sort());
    // Installed from the tarball (a copy), not linked to the repo.
    expect(realpathSync(join(app, 'node_modules/yibao-guard')).startsWith(realpathSync(work))).toBe(true);
  });

  it('imports every subpath export in Node, from the installed copy', async () => {
    const script = `
      const known = ${JSON.stringify(KNOWN)};
      const out = {};
      for (const [subpath, name] of Object.entries(known)) {
        const specifier = subpath === '.' ? 'yibao-guard' : 'yibao-guard' + subpath.slice(1);
        try {
          const m = await import(specifier);
          out[subpath] = { resolved: import.meta.resolve(specifier), type: typeof m[name], exports: Object.keys(m).length };
        } catch (error) {
          out[subpath] = { error: String(error && error.stack || error) };
        }
      }
      console.log(JSON.stringify(out));
    `;
    writeFileSync(join(app, 'import-all.mjs'), script);
    const { stdout } = await run(process.execPath, ['import-all.mjs'], { cwd: app });
    const results = JSON.parse(stdout) as Record<string, { resolved?: string; type?: string; error?: string }>;
    const installedDir = `file://${realpathSync(join(app, 'node_modules/yibao-guard'))}/`;
    for (const [subpath, name] of Object.entries(KNOWN)) {
      const r = results[subpath]!;
      expect(r.error, `${subpath}: ${r.error}`).toBeUndefined();
      expect(r.type, `${subpath} exports ${name}`).toBe(NOT_A_FUNCTION[subpath] ?? 'function');
      expect(r.resolved!.startsWith(installedDir), `${subpath} resolved to ${r.resolved}`).toBe(true);
    }
  });

  it('typechecks an app against the installed declarations, every subpath, with NodeNext and with Bundler resolution', async () => {
    // The app names a type and calls a function of each subpath; one call is wrong on purpose, so declarations
    // that resolved to nothing (any) would leave its @ts-expect-error unused and fail the check.
    const lines = Object.entries(KNOWN).map(([subpath, name], i) => {
      const specifier = subpath === '.' ? 'yibao-guard' : `yibao-guard${subpath.slice(1)}`;
      return `import { ${name} as known${i} } from '${specifier}';\nexport const kind${i}: ${NOT_A_FUNCTION[subpath] === undefined ? 'Function' : 'object'} = known${i};`;
    });
    writeFileSync(
      join(app, 'typed.ts'),
      `${lines.join('\n')}
import type { TerminalOptions } from 'yibao-guard';
import { maskResidentId } from 'yibao-guard/codes';
export const masked: string = maskResidentId('11010119900307001X');
export const noPlatform: Partial<TerminalOptions> = {};
// @ts-expect-error maskResidentId takes a string
maskResidentId(42);
`,
    );
    symlinkSync(join(root, 'node_modules', 'typescript'), join(app, 'node_modules', 'typescript'), 'dir');
    symlinkSync(join(root, 'node_modules', '@types'), join(app, 'node_modules', '@types'), 'dir');
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, resolution] of [
      ['NodeNext', 'NodeNext'],
      ['ESNext', 'Bundler'],
    ] as const) {
      const result = await run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          'false',
          '--target',
          'ES2022',
          '--lib',
          'ES2022,DOM',
          '--types',
          'node',
          '--module',
          module,
          '--moduleResolution',
          resolution,
          'typed.ts',
        ],
        { cwd: app },
      ).then(
        () => '',
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
      expect(result, `${module}/${resolution}`).toBe('');
    }
    // Two whole-program checks of the declarations (skipLibCheck off): minutes on a loaded machine, not seconds.
  }, 300_000);

  it('runs the yibao-guard bin with npx', async () => {
    // A 追溯码 from the README: valid, so `check` exits 0.
    const ok = await run('npx', ['--no-install', 'yibao-guard', 'check', '81234560000000000017'], { cwd: app });
    expect(ok.stdout).toMatch(/81234560000000000017|追溯码/);
    // A mistyped 身份证: exit 1 with the bilingual reason.
    const bad = await run('npx', ['--no-install', 'yibao-guard', 'check', '110101199003070010'], { cwd: app }).then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    expect(bad?.code).toBe(1);
    expect(`${bad?.stdout}${bad?.stderr}`).toMatch(/check character|校验码/);
    const help = await run('npx', ['--no-install', 'yibao-guard', 'help'], { cwd: app });
    expect(help.stdout).toContain('yibao-guard check');
  });

  it('bundles a browser till from the installed package and runs it in Chromium', async () => {
    const found = findChromium();
    if (found.path === undefined) {
      // A wrong CHROME_PATH is a mistake to report, not a reason to skip (as in test/browser/).
      if (found.problem !== undefined) throw new Error(found.problem);
      if (process.env.YG_REQUIRE_BROWSER === '1')
        throw new Error(`YG_REQUIRE_BROWSER=1 but no Chromium was found: ${NO_CHROMIUM}`);
      console.warn(`${NO_CHROMIUM} — the packed tarball's browser bundle was not loaded`);
      return;
    }
    writeFileSync(
      join(app, 'till.mjs'),
      `import { createTerminal, TERMINAL_NAMES } from 'yibao-guard';
      import { maskResidentId } from 'yibao-guard/codes';
      import { createPlatformClient } from 'yibao-guard/platform';
       import { createIdbStorage } from 'yibao-guard/idb';
       const result = { createTerminal: typeof createTerminal, createPlatformClient: typeof createPlatformClient, createIdbStorage: typeof createIdbStorage, mask: maskResidentId('11010119900307001X') };
       try {
         const storage = await createIdbStorage({ name: 'yg-packed', names: TERMINAL_NAMES });
         await storage.write([{ op: 'put', store: 'meta', key: 'hello', value: { packed: true } }]);
         result.stored = (await storage.get('meta', 'hello'))?.value ?? null;
         await storage.close();
       } catch (error) {
         result.storageError = String(error);
       }
       globalThis.__yg = result;`,
    );
    const bundled = await build({
      absWorkingDir: app,
      entryPoints: [join(app, 'till.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const script = bundled.outputFiles[0]!.text;
    expect(script).not.toMatch(/["']node:/);

    const html =
      '<!doctype html><meta charset="utf-8"><title>yibao-guard packed</title><script type="module" src="/till.js"></script>';
    const server: Server = createServer((request, response) => {
      if (request.url === '/till.js')
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      else if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      else if (request.url === '/favicon.ico') response.writeHead(204).end();
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await chromium.launch({ executablePath: found.path, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.name}: ${error.message}`));
      await page.goto(`${origin}/`);
      await page
        .waitForFunction(() => (globalThis as { __yg?: unknown }).__yg !== undefined, undefined, { timeout: 15_000 })
        .catch((error: unknown) => {
          throw new Error(`the packed till did not load: ${problems.join('; ') || String(error)}`);
        });
      const result = await page.evaluate(() => (globalThis as { __yg?: unknown }).__yg);
      expect(result).toEqual({
        createTerminal: 'function',
        createPlatformClient: 'function',
        createIdbStorage: 'function',
        mask: maskResidentId('11010119900307001X'),
        stored: { packed: true },
      });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
