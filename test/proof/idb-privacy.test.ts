/**
 * Privacy proof on disk (IndexedDB), in real Chromium: a whole till over `createIdbStorage` sells to insured
 * buyers (e-voucher: the 1101 answer gives the 身份证 and name, 3505 carries them) and delivers; then the browser is
 * closed and every file of the profile's IndexedDB directory (LevelDB logs, tables, manifests, blobs) is scanned
 * for the buyers' full 身份证 numbers and names, in UTF-8, UTF-16LE and Latin-1 (how V8 serialises strings).
 *
 * LevelDB keeps deleted values in its log and tables until a compaction it decides on, so deleting the record is
 * not enough: the stores the layout marks personal are kept encrypted under a key of their own per record, and
 * the key goes with the record (crypto-shredding). The page shows the fields read back in clear through the storage
 * before delivery; a control record (a made-up person in `meta`, not marked personal) shows the scan finds plain
 * text in these files where there is some. Without Chromium it skips loudly (as `test/browser/`), and fails
 * instead when YG_REQUIRE_BROWSER=1.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_PEOPLE, type DemoPersonKey } from '../../adapters/simulator/index.js';
import { residentIdCheckChar } from '../../src/codes/index.js';
import { findChromium, noChromium, CHROMIUM_ARGS } from '../browser/harness.js';
import type { PrivacyHelpers, PrivacyRun } from './idb-privacy-page.js';
import { needleHits, personNeedles } from './needles.js';

const here = new URL('.', import.meta.url).pathname;
const BUYERS: readonly DemoPersonKey[] = ['active', 'chronic', 'child'];
/** The control: a made-up person (a valid 身份证 with its check character), stored in a store not marked personal. */
const CONTROL_BODY = '22010219880412731';
const CONTROL = { key: 'control', residentId: CONTROL_BODY + residentIdCheckChar(CONTROL_BODY), name: '欧阳明远' };

/** Every file under `dir`, with its path relative to `root`. */
function filesUnder(root: string, dir = root): { what: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? filesUnder(root, path)
      : [{ what: path.slice(root.length + 1), bytes: readFileSync(path) }];
  });
}

async function serve(): Promise<{ server: Server; origin: string }> {
  const result = await build({
    entryPoints: [join(here, 'idb-privacy-page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    external: ['node:*'],
  });
  const script = result.outputFiles[0]!.text;
  const html =
    '<!doctype html><meta charset="utf-8"><title>yibao-guard idb privacy</title><script type="module" src="/page.js"></script>';
  const server = createServer((request, response) => {
    if (request.url === '/page.js')
      response
        .writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
        .end(script);
    else if (request.url === '/')
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const found = findChromium();

if (found.path === undefined) {
  noChromium(found, 'idb-privacy', it);
} else {
  const executablePath = found.path;
  let server: Server | undefined;
  let profile: string | undefined;
  let context: BrowserContext | undefined;
  let run: PrivacyRun;
  let files: { what: string; bytes: Buffer }[];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const served = await serve();
    server = served.server;
    profile = await mkdtemp(join(tmpdir(), 'yg-idb-privacy-'));
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    await page.goto(`${served.origin}/`);
    await page.waitForFunction(() => (globalThis as { __ygPrivacy?: unknown }).__ygPrivacy !== undefined, undefined, {
      timeout: 15_000,
    });
    run = await page.evaluate(
      ([buyers, control]) =>
        (globalThis as unknown as { __ygPrivacy: PrivacyHelpers }).__ygPrivacy.sellAndDeliver(buyers, control),
      [BUYERS, CONTROL] as const,
    );
    // Closed, so what is scanned is what the browser left on disk.
    await context.close();
    context = undefined;
    files = filesUnder(join(profile, 'Default', 'IndexedDB'));
  }, 120_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('before delivery the personal fields read back in clear through the storage; after it they are gone', () => {
    expect(pageErrors).toEqual([]);
    for (const key of BUYERS) {
      const person = DEMO_PEOPLE[key];
      const fields = run.beforeAck[key] ?? {};
      expect(fields['certno'], `${key}'s certno before delivery`).toBe(person.residentId);
      expect(fields['psn_name'], `${key}'s psn_name before delivery`).toBe(person.name);
    }
    expect(run.pendingBefore).toBeGreaterThanOrEqual(BUYERS.length);
    expect([run.pendingAfter, run.piiAfter, run.settlementsAfter, run.sales]).toEqual([0, 0, 0, BUYERS.length]);
  });

  it("the control: the scan of the profile's IndexedDB files finds plain text where there is some", () => {
    expect(files.some((f) => f.what.includes('.indexeddb.leveldb'))).toBe(true);
    const hits = needleHits(files, personNeedles([CONTROL]));
    expect(
      hits.some((h) => h.startsWith("control's 身份证 in")),
      'the control 身份证 is found',
    ).toBe(true);
    expect(
      hits.some((h) => h.startsWith("control's name in")),
      'the control name is found',
    ).toBe(true);
  });

  it("after delivery and closing the browser, no IndexedDB file holds a buyer's full 身份证 or name", () => {
    const hits = needleHits(files, personNeedles(BUYERS.map((key) => DEMO_PEOPLE[key])));
    console.log(
      `idb-privacy: ${files.length} files, ${files.reduce((n, f) => n + f.bytes.length, 0)} bytes scanned, ${hits.length} hits of ${BUYERS.length} buyers' 身份证 and names`,
    );
    expect(hits).toEqual([]);
  });
}
