/**
 * Node's side of the Chromium suites: find a Chromium, bundle the page (`page.ts`, with `vitest` mapped to
 * the in-page stand-in), serve it on loopback and drive it with playwright-core. No browser is ever
 * downloaded: the machine's own Chromium is used, found by `CHROME_PATH` or the usual install paths.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const here = new URL('.', import.meta.url).pathname;

/** Where Chromium usually is, after `CHROME_PATH`: Debian's package, Ubuntu's, Google's. */
const USUAL_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/**
 * The line printed when there is no Chromium: loud, and says how to get one.
 *
 * @example
 * console.warn(NO_CHROMIUM);
 */
export const NO_CHROMIUM = 'BROWSER SUITES DID NOT RUN: no Chromium (set CHROME_PATH or apt-get install chromium)';

/**
 * The Chromium to use: `CHROME_PATH` when set (it must exist: a wrong path is a mistake to report, not a
 * reason to skip), else the first usual path that exists, else undefined.
 *
 * @example
 * const found = findChromium(); // { path: '/usr/bin/chromium' }, or { path: undefined, problem? }
 */
export function findChromium(): { path: string } | { path: undefined; problem?: string } {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    return existsSync(fromEnv)
      ? { path: fromEnv }
      : { path: undefined, problem: `CHROME_PATH is ${fromEnv}, which does not exist` };
  }
  const found = USUAL_PATHS.find((path) => existsSync(path));
  return found === undefined ? { path: undefined } : { path: found };
}

/**
 * Registers the one test a suite has when there is no Chromium: loud, and failing instead when the browser suites
 * are required (`YG_REQUIRE_BROWSER=1`, or a `CHROME_PATH` that does not exist).
 *
 * @example
 * const found = findChromium();
 * if (found.path === undefined) noChromium(found, 'idb-privacy', it);
 */
export function noChromium(
  found: { path: undefined; problem?: string },
  suite: string,
  it: (name: string, test: () => void) => void,
): void {
  const reason = found.problem ?? NO_CHROMIUM;
  if (found.problem !== undefined || process.env.YG_REQUIRE_BROWSER === '1') {
    it(`runs the ${suite} suite (${reason})`, () => {
      throw new Error(`${reason}; the browser suites are required here (YG_REQUIRE_BROWSER=1 or CHROME_PATH set)`);
    });
    return;
  }
  const banner = `\n${'!'.repeat(96)}\n!!! ${NO_CHROMIUM} (${suite})\n${'!'.repeat(96)}\n`;
  console.warn(banner);
  it(`${NO_CHROMIUM} (${suite})`, () => console.warn(banner));
}

/**
 * Flags for a headless Chromium on a closed machine: without the background-networking ones it keeps
 * trying to reach Google's hosts. `--no-sandbox` because CI runs as root.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Bundles `page.ts` for the browser, with the contract suite's `vitest` import served by the stand-in. */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(here, 'page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap: 'inline',
    alias: { vitest: join(here, 'vitest-shim.ts') },
    // Some of vitest's helpers look at process.env to decide on colours; a page has no process.
    define: { 'process.env.NODE_ENV': '"test"' },
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild produced no page bundle');
  return output.text;
}

/** A loopback server for the page: an http origin, so IndexedDB and quotas behave as on a real site. */
async function servePage(script: string): Promise<{ server: Server; origin: string; freshOrigin: string }> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>yibao-guard idb</title><script type="module" src="/page.js"></script>';
  const server = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      response.end(script);
    } else if (request.url === '/' || request.url === '/index.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(html);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}`, freshOrigin: `http://localhost:${port}` };
}

/**
 * A running Chromium with the page served: open pages (tabs) on it, and close it all at the end.
 *
 * @example
 * const tab = await session.newTab();
 * await session.close();
 */
export interface ChromiumSession {
  /** The page's origin (`http://127.0.0.1:<port>`). */
  readonly origin: string;
  /**
   * The same server as a second origin (`http://localhost:<port>`), with storage of its own: for a test that
   * must start from an origin nothing else has used (Chromium caches an origin's quota while it is in use).
   */
  readonly freshOrigin: string;
  readonly context: BrowserContext;
  /** Opens a tab on the page (at `origin` unless told) and waits until the bundle has loaded; a load error rejects. */
  newTab(origin?: string): Promise<Page>;
  /** Errors the pages reported (uncaught exceptions), for failure messages. */
  readonly pageErrors: string[];
  /** Quits Chromium and starts it again on the same profile: what survives is what reached the disk. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts Chromium with a fresh on-disk profile (a persistent context: IndexedDB on disk as in a real
 * browser, not an in-memory incognito store) and serves the page.
 *
 * @example
 * const session = await startChromium('/usr/bin/chromium');
 */
export async function startChromium(executablePath: string): Promise<ChromiumSession> {
  const script = await bundlePage();
  const { server, origin, freshOrigin } = await servePage(script);
  const profile = await mkdtemp(join(tmpdir(), 'yg-chromium-'));
  const launch = () =>
    chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS });
  let context: BrowserContext;
  try {
    context = await launch();
  } catch (error) {
    server.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const pageErrors: string[] = [];
  return {
    origin,
    freshOrigin,
    get context() {
      return context;
    },
    pageErrors,
    async restart() {
      await context.close();
      context = await launch();
    },
    async newTab(at = origin) {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
      await page.goto(`${at}/`);
      await waitForPage(page, pageErrors);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until `window.__yg` exists, or fails with what the page threw while loading.
 *
 * @example
 * await page.reload();
 * await waitForPage(page, session.pageErrors);
 */
export async function waitForPage(page: Page, pageErrors: readonly string[]): Promise<void> {
  try {
    await page.waitForFunction(() => (globalThis as { __yg?: unknown }).__yg !== undefined, undefined, {
      timeout: 15_000,
    });
  } catch (error) {
    throw new Error(`the test page did not load: ${pageErrors.join('; ') || String(error)}`);
  }
}
