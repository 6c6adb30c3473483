/**
 * The IndexedDB adapter in real Chromium: the whole storage contract suite (the same cases as in Node, run
 * in the page by `vitest-shim.ts`, one vitest test per case here), then what only a real browser shows:
 * data surviving a reload and a browser restart, two tabs upgrading and writing one database, and a storage
 * quota refusing a write with nothing half-written.
 *
 * With no Chromium on the machine this file registers one passing test whose name says the suites did not
 * run, and prints the same line loudly; `.ci/run` installs Chromium and sets YG_REQUIRE_BROWSER=1, under
 * which a missing Chromium fails instead.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { StorageDump } from '../contract/storage.js';
import { findChromium, NO_CHROMIUM, startChromium, waitForPage } from './harness.js';
import type { PageHelpers } from './page.js';

/** Calls one of the page's helpers (`window.__yg`) in `page` and returns what it resolved with. */
function call<K extends keyof PageHelpers>(
  page: Page,
  name: K,
  ...args: Parameters<PageHelpers[K]>
): Promise<Awaited<ReturnType<PageHelpers[K]>>> {
  return page.evaluate(
    ([helper, helperArgs]) => {
      const helpers = (globalThis as unknown as { __yg: Record<string, (...inner: unknown[]) => unknown> }).__yg;
      return helpers[helper]?.(...helperArgs);
    },
    [name, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<PageHelpers[K]>>>;
}

/** The value of a helper's outcome, or a failure naming the error the page saw. */
function valueOf<T>(outcome: { ok: true; value: T } | { ok: false; code: string; error: string }): T {
  if (!outcome.ok) throw new Error(`page helper failed: [${outcome.code}] ${outcome.error}`);
  return outcome.value;
}

const chromiumFound = findChromium();

if (chromiumFound.path === undefined) {
  const reason = chromiumFound.problem ?? NO_CHROMIUM;
  if (chromiumFound.problem !== undefined || process.env.YG_REQUIRE_BROWSER === '1') {
    it(`runs the Chromium suites (${reason})`, () => {
      throw new Error(`${reason}; the browser suites are required here (YG_REQUIRE_BROWSER=1 or CHROME_PATH set)`);
    });
  } else {
    const banner = `\n${'!'.repeat(96)}\n!!! ${NO_CHROMIUM}\n${'!'.repeat(96)}\n`;
    console.warn(banner);
    it(NO_CHROMIUM, () => {
      console.warn(banner);
    });
  }
} else {
  const session = await startChromium(chromiumFound.path);
  afterAll(() => session.close());
  const tab = await session.newTab();
  const cases = await call(tab, 'cases');

  describe(`IndexedDB in Chromium (${chromiumFound.path})`, () => {
    it('registers the whole contract suite in the page', () => {
      // The suite has dozens of cases; a handful would mean the page stopped registering part of it.
      expect(cases.length).toBeGreaterThan(50);
      expect(new Set(cases.map((entry) => entry.name)).size).toBe(cases.length);
    });

    for (const entry of cases) {
      it(entry.name, { timeout: (entry.timeout ?? 30_000) + 30_000 }, async () => {
        const outcome = await call(tab, 'run', entry.id);
        if (!outcome.ok) throw new Error(`in Chromium: ${outcome.error}`);
      });
    }

    it('keeps the data across a page reload and a browser restart, and numbers on', { timeout: 60_000 }, async () => {
      let page = await session.newTab();
      valueOf(await call(page, 'open', 'till', 'reload-db'));
      valueOf(
        await call(page, 'write', 'till', [
          { op: 'put', store: 'sales', key: 'S-1', value: { total: 1250, name: '阿莫西林' } },
          { op: 'append', journal: 'audit', value: 'sale S-1' },
        ]),
      );
      valueOf(
        await call(page, 'write', 'till', [
          { op: 'put', store: 'sales', key: 'S-1', value: { total: 1300 }, expect: 1 },
          { op: 'append', journal: 'audit', value: 'fix S-1' },
        ]),
      );
      const before = valueOf(await call(page, 'dump', 'till'));
      expect(before.stores.sales?.records).toEqual([{ key: 'S-1', value: { total: 1300 }, rev: 2 }]);

      // A reload drops every connection without close(): as a till does when the page is refreshed.
      await page.reload();
      await waitForPage(page, session.pageErrors);
      valueOf(await call(page, 'open', 'till', 'reload-db'));
      expect(valueOf(await call(page, 'dump', 'till'))).toEqual(before);
      expect(
        valueOf(await call(page, 'write', 'till', [{ op: 'append', journal: 'audit', value: 'after reload' }])),
      ).toEqual([{ op: 'append', seq: 3 }]);
      const afterReload = valueOf(await call(page, 'dump', 'till'));

      await session.restart();
      page = await session.newTab();
      valueOf(await call(page, 'open', 'till', 'reload-db'));
      expect(valueOf(await call(page, 'dump', 'till'))).toEqual(afterReload);
      valueOf(await call(page, 'close', 'till'));
      valueOf(await call(page, 'deleteDatabase', 'reload-db'));
      await page.close();
    });

    it(
      'lets a second tab add stores (a version upgrade) without blocking; the first tab reopens and both write without gaps',
      { timeout: 60_000 },
      async () => {
        const first = await session.newTab();
        const second = await session.newTab();
        valueOf(await call(first, 'open', 'a', 'tabs-db', { stores: ['sales'], journals: ['audit'] }));
        valueOf(
          await call(first, 'write', 'a', [
            { op: 'put', store: 'sales', key: 'k', value: 1 },
            { op: 'append', journal: 'audit', value: 'one' },
          ]),
        );

        // The second tab needs stores the first did not declare: its open upgrades the database, which the
        // first tab's connection lets through by closing.
        valueOf(await call(second, 'open', 'b', 'tabs-db'));
        expect(valueOf(await call(first, 'lastSeq', 'a'))).toBe(1);
        const dump = valueOf(await call(second, 'dump', 'b'));
        expect(dump.stores.sales?.records).toEqual([{ key: 'k', value: 1, rev: 1 }]);

        // Both tabs write at once: IndexedDB runs the read-write transactions one at a time, so numbers are
        // unique and gapless and every batch stays in one piece.
        const count = 12;
        const size = 5;
        await Promise.all([
          call(first, 'race', 'a', 'A', count, size),
          call(second, 'race', 'b', 'B', count, size),
        ]).then((outcomes) => outcomes.map(valueOf));
        const entries = valueOf(await call(second, 'dump', 'b')).journals.audit?.entries ?? [];
        expect(entries.map((entry) => entry.seq)).toEqual(
          Array.from({ length: 1 + 2 * count * size }, (_, index) => index + 1),
        );
        const events = entries.slice(1);
        for (let start = 0; start < events.length; start += size) {
          const batch = events
            .slice(start, start + size)
            .map((entry) => entry.value as { tab: string; batch: number; index: number });
          expect(batch.map((value) => value.index)).toEqual([0, 1, 2, 3, 4]);
          expect(new Set(batch.map((value) => `${value.tab}-${value.batch}`)).size).toBe(1);
        }

        // Deleting the database from the second tab: the first lets go, and refuses later calls rather
        // than silently starting over empty.
        valueOf(await call(second, 'close', 'b'));
        valueOf(await call(second, 'deleteDatabase', 'tabs-db'));
        const refused = await call(first, 'lastSeq', 'a');
        expect(refused).toMatchObject({ ok: false, code: 'STORAGE_FAILED' });
        valueOf(await call(first, 'close', 'a'));
        await Promise.all([first.close(), second.close()]);
      },
    );

    it(
      'refuses a write over the storage quota with STORAGE_QUOTA, nothing half-written, and numbers on without a gap',
      { timeout: 120_000 },
      async () => {
        // An origin no other test has stored anything in: Chromium keeps an origin's quota cached while its
        // storage is in use, so a new quota only holds at once where nothing was written yet.
        const origin = session.freshOrigin;
        const page = await session.newTab(origin);
        const cdp = await session.context.newCDPSession(page);
        // A tiny quota, so the test fills it in seconds.
        await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 4 * 1024 * 1024 });
        try {
          valueOf(await call(page, 'open', 'q', 'quota-db'));
          const filled = valueOf(await call(page, 'fillUntilRefused', 'q', 512 * 1024, 40));
          if (filled === null) throw new Error('40 batches of about 1 MB each fitted in a 4 MB quota');
          expect(filled.code, filled.error).toBe('STORAGE_QUOTA');
          expect(filled.written).toBeGreaterThan(0);
          // The refused batch (a put, an append, a put) left no trace.
          expect(filled.after).toEqual(filled.before);
          const seqBefore = (filled.before as StorageDump).journals.audit?.lastSeq ?? -1;
          expect(seqBefore).toBe(filled.written);

          // Room again (a lifted quota), the next append takes the very next number: the refused one took none.
          await cdp.send('Storage.overrideQuotaForOrigin', { origin });
          expect(
            valueOf(await call(page, 'write', 'q', [{ op: 'append', journal: 'audit', value: 'after the quota' }])),
          ).toEqual([{ op: 'append', seq: seqBefore + 1 }]);
        } finally {
          await cdp.send('Storage.overrideQuotaForOrigin', { origin }).catch(() => {});
          await call(page, 'close', 'q');
          await call(page, 'deleteDatabase', 'quota-db');
          await page.close();
        }
      },
    );
  });
}
