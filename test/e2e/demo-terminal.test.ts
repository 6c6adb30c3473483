/**
 * The demo terminal end to end, in the machine's real Chromium driven by playwright-core: the page bundled with its
 * rollup config, served with the platform simulator by `startDemo` (what `yibao-guard demo` runs), IndexedDB for
 * storage, real HTTP on 127.0.0.1 for the platform. Each step saves a screenshot under test/e2e/artifacts/.
 *
 * With no Chromium this file registers one passing test whose name says it did not run, and prints that loudly;
 * under YG_REQUIRE_BROWSER=1 (CI) a missing Chromium fails instead — as the IndexedDB suites in test/browser do.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { rollup } from 'rollup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../adapters/cli/demo.js';
import { DEMO_CATALOG, DEMO_PEOPLE, DEMO_STOCK, DEMO_TRACE_CODES } from '../../adapters/simulator/index.js';
import { verifyInvoice, verifyInvoiceQr } from '../../src/invoice/index.js';
import { findChromium, NO_CHROMIUM, CHROMIUM_ARGS } from '../browser/harness.js';
import { decodeQrPixels } from '../fixtures/qr-image.js';
// @ts-expect-error: a plain .mjs rollup config, without type declarations
import { demoConfig } from '../../examples/demo-terminal/rollup.config.mjs';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

const product = (genericName: string) => {
  const found = DEMO_CATALOG.find((p) => p.genericName === genericName);
  if (!found) throw new Error(`no demo product ${genericName}`);
  return found;
};
const boxesOf = (genericName: string) =>
  DEMO_STOCK.filter((m) => m.productId === product(genericName).productId).flatMap((m) => m.traceCodes);

const IBUPROFEN = product('布洛芬缓释胶囊');
const AMOXICILLIN = product('阿莫西林胶囊');
const PROTEIN_POWDER = product('蛋白质粉（保健食品）');
const ATORVASTATIN = product('阿托伐他汀钙片');
const DANSHEN = product('复方丹参片');

const chromiumFound = findChromium();

if (chromiumFound.path === undefined) {
  const reason = chromiumFound.problem ?? NO_CHROMIUM;
  if (chromiumFound.problem !== undefined || process.env.YG_REQUIRE_BROWSER === '1') {
    it(`runs the demo terminal in Chromium (${reason})`, () => {
      throw new Error(`${reason}; the browser suites are required here (YG_REQUIRE_BROWSER=1 or CHROME_PATH set)`);
    });
  } else {
    const banner = `\n${'!'.repeat(96)}\n!!! ${NO_CHROMIUM} (demo terminal end-to-end)\n${'!'.repeat(96)}\n`;
    console.warn(banner);
    it(`${NO_CHROMIUM} (demo terminal end-to-end)`, () => {
      console.warn(banner);
    });
  }
} else {
  const executablePath = chromiumFound.path;
  let demo: RunningDemo;
  let context: BrowserContext;
  let page: Page;
  let bundleDir: string;
  let profile: string;
  const pageErrors: string[] = [];
  let shot = 0;

  /** Saves a screenshot of the whole page as test/e2e/artifacts/NN-name.png. */
  async function screenshot(name: string): Promise<void> {
    shot++;
    await page.screenshot({ path: join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  const tid = (id: string) => page.getByTestId(id);

  /** Waits until the review of the basket is done and returns its state: clear, warnings or blocked. */
  async function reviewed(): Promise<string> {
    const section = page.locator(
      '[data-testid="review-section"]:not([data-state="reviewing"]):not([data-state="none"])',
    );
    await section.waitFor({ timeout: 20_000 });
    return (await section.getAttribute('data-state')) as string;
  }

  /** Overrides every open warning through the dialog, with `reason` (and `note`), reviewing after each. */
  async function overrideWarnings(reason: string, note?: string): Promise<void> {
    const warnings = page.locator('[data-testid="finding"][data-severity="warning"][data-outcome="open"]');
    while ((await warnings.count()) > 0) {
      await warnings.first().locator('[data-testid="finding-override"]').click();
      await tid('override-reason').selectOption(reason);
      if (note) await tid('override-note').fill(note);
      await tid('override-confirm').click();
      await tid('override-dialog').waitFor({ state: 'detached' });
      await reviewed();
    }
  }

  /** Shows a demo person's e-voucher at the scanner (the simulator issues a fresh QR; the page verifies it). */
  async function presentVoucher(person: keyof typeof DEMO_PEOPLE): Promise<void> {
    await tid('voucher-picker').selectOption(person);
    await tid('voucher-issue').click();
    await page
      .locator('[data-testid="buyer-card"], [data-testid="voucher-refusal"]')
      .first()
      .waitFor({ timeout: 20_000 });
  }

  /** A keyboard-wedge scan: the scanner types the code into the focused field and presses Enter. */
  async function scan(code: string): Promise<void> {
    await tid('scan-input').fill(code);
    await tid('scan-input').press('Enter');
  }

  /**
   * The receipt's QR image as Chromium shows it: a screenshot of the SVG on the page, turned back into RGBA pixels
   * by the page's own image decoder, for jsQR to read in Node.
   */
  async function receiptQrPixels(): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
    const png = (await tid('receipt-qr').locator('svg').screenshot()).toString('base64');
    const { data, width, height } = await page.evaluate(async (base64) => {
      const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${base64}`)).blob());
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      return {
        data: Array.from(context.getImageData(0, 0, bitmap.width, bitmap.height).data),
        width: bitmap.width,
        height: bitmap.height,
      };
    }, png);
    return { rgba: Uint8ClampedArray.from(data), width, height };
  }

  async function startNewSale(): Promise<void> {
    await tid('tab-sale').click();
    if (await tid('new-sale').isVisible()) await tid('new-sale').click();
    if (await tid('change-buyer').isVisible()) await tid('change-buyer').click();
    await tid('voucher-input').waitFor();
  }

  async function outboxPending(): Promise<number> {
    return Number(await tid('outbox-badge').getAttribute('data-pending'));
  }

  async function waitForOutboxEmpty(timeout = 30_000): Promise<void> {
    await page.waitForFunction(
      () => document.querySelector('[data-testid="outbox-badge"]')?.getAttribute('data-pending') === '0',
      undefined,
      { timeout },
    );
  }

  beforeAll(async () => {
    // Only this run's screenshots: an old run's would pass for this one's.
    await rm(ARTIFACTS, { recursive: true, force: true });
    await mkdir(ARTIFACTS, { recursive: true });
    bundleDir = await mkdtemp(join(tmpdir(), 'yg-demo-bundle-'));
    const config = demoConfig(bundleDir);
    const bundle = await rollup({ ...config, onwarn: () => {} });
    await bundle.write(config.output);
    await bundle.close();
    demo = await startDemo({ port: 0, root: bundleDir });
    profile = await mkdtemp(join(tmpdir(), 'yg-demo-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      locale: 'zh-CN',
    });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    await page.goto(`${demo.url}/`);
    await page.waitForFunction(() => (globalThis as { __ygDemo?: unknown }).__ygDemo !== undefined, undefined, {
      timeout: 20_000,
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await demo?.close();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  describe(`the demo terminal in Chromium (${executablePath})`, { timeout: 90_000 }, () => {
    it('signs in an operator, opens the till over IndexedDB and counts in the opening stock', async () => {
      await screenshot('sign-in');
      await tid('operator-OP7').click();
      await tid('voucher-input').waitFor({ timeout: 30_000 });
      expect(await tid('operator-name').textContent()).toContain('李药师');
      // The opening count (3501 per batch) goes out through the outbox.
      await expect.poll(() => demo.simulator.committed('3501').length, { timeout: 30_000 }).toBe(DEMO_STOCK.length);
      await waitForOutboxEmpty();
      expect(demo.simulator.committed('3501').length).toBe(DEMO_STOCK.length);
      // The terminal key was registered with the platform (YG04) at sign-in.
      expect(demo.simulator.terminalKeys().map((k) => k.terminalId)).toContain('T01');
      // Both languages: every label switches, and the choice is kept.
      await tid('lang-toggle').click();
      expect(await tid('tab-sale').textContent()).toBe('Sale');
      await screenshot('english');
      await tid('lang-toggle').click();
      expect(await tid('tab-sale').textContent()).toBe('收银');
      expect(pageErrors).toEqual([]);
    });

    it('settles an honest insured sale and prints a receipt whose signature verifies', async () => {
      await startNewSale();
      await presentVoucher('active');
      expect(await tid('buyer-name').textContent()).toMatch(/^李\*+$/); // masked: never the full name
      await scan(boxesOf('布洛芬缓释胶囊')[0]!);
      expect(await reviewed()).toBe('clear');
      await screenshot('honest-sale-reviewed');
      await tid('settle').click();
      await tid('receipt').waitFor({ timeout: 30_000 });
      await screenshot('honest-sale-receipt');

      const total = Number(await tid('split-total').getAttribute('data-fen'));
      const parts = await Promise.all(
        ['split-fund', 'split-account', 'split-cash'].map(async (id) => Number(await tid(id).getAttribute('data-fen'))),
      );
      expect(total).toBe(IBUPROFEN.retailPriceFen);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
      expect(parts[0]! + parts[1]!).toBeGreaterThan(0); // the fund or the account paid a part
      expect(await tid('receipt-signed').getAttribute('data-signed')).toBe('true');
      expect(await tid('receipt-qr').locator('svg').count()).toBe(1);

      // The receipt's QR verifies with the key the terminal registered with the platform, not one the page shows.
      const qr = ((await tid('receipt-qr-text').textContent()) ?? '').trim();
      const registered = demo.simulator.terminalKeys().find((k) => k.terminalId === 'T01')!;
      const keys = [{ keyId: registered.keyId, publicKey: registered.publicKey }];
      const qrReport = await verifyInvoiceQr(qr, keys);
      expect(qrReport.issues).toEqual([]);
      expect(qrReport.ok).toBe(true);
      expect(qrReport.qr?.totalFen).toBe(total);

      // The QR image, as the page shows it, scans as exactly that text, packed in alphanumeric mode.
      const { rgba, width, height } = await receiptQrPixels();
      expect(width).toBeGreaterThanOrEqual(200);
      const scanned = decodeQrPixels(rgba, width, height);
      expect(scanned?.text).toBe(qr);
      expect(scanned?.modes).toEqual(['alphanumeric']);

      // The invoice itself reaches the platform (YG01) and verifies there too.
      await expect
        .poll(() => demo.simulator.invoices().some((i) => i.terminalId === 'T01' && i.seq === qrReport.qr!.seq), {
          timeout: 30_000,
        })
        .toBe(true);
      await waitForOutboxEmpty();
      const uploaded = demo.simulator.invoices().find((i) => i.terminalId === 'T01' && i.seq === qrReport.qr!.seq);
      expect(uploaded).toBeDefined();
      const report = await verifyInvoice(uploaded!.record, keys);
      expect(report.ok).toBe(true);
      expect(report.hash).toBe(qrReport.qr!.hash);
      expect(demo.simulator.settlements().length).toBe(1);
    });

    it('blocks a 串换 sale: a health product billed to the fund under a drug’s 医保 code', async () => {
      await startNewSale();
      await presentVoucher('active');
      await tid('manual-open').click();
      await tid('manual-product').selectOption(PROTEIN_POWDER.productId);
      await tid('manual-billed-code').selectOption(ATORVASTATIN.medListCode!);
      await tid('manual-paymode').selectOption('fund');
      await tid('manual-add').click();
      expect(await reviewed()).toBe('blocked');
      const card = page.locator('[data-testid="finding"][data-rule="substitution"]');
      expect(await card.getAttribute('data-severity')).toBe('block');
      expect(await card.textContent()).toContain('保健品');
      expect(await card.locator('[data-testid="finding-override"]').count()).toBe(0); // a block is never overridden
      expect(await tid('settle').isDisabled()).toBe(true);
      await screenshot('substitution-blocked');
      // The card's own action: sell the tin 自费, as what it is.
      await card.locator('[data-testid="finding-action"][data-kind="switch-to-self-pay"]').click();
      expect(await reviewed()).toBe('clear');
      expect(await page.locator('[data-testid="line"]').getAttribute('data-paymode')).toBe('self-pay');
      await screenshot('substitution-switched-to-self-pay');
    });

    it('blocks an Rx drug without a prescription, then lets it settle with the e-prescription attached', async () => {
      await startNewSale();
      await presentVoucher('active');
      await tid('product-picker').selectOption(AMOXICILLIN.productId);
      await tid('product-scan').click();
      expect(await reviewed()).toBe('blocked');
      const card = page.locator('[data-testid="finding"][data-rule="rx-required"]');
      expect(await card.getAttribute('data-severity')).toBe('block');
      expect(await tid('settle').isDisabled()).toBe(true);
      await screenshot('rx-blocked');
      await tid('rx-picker').selectOption('active-antibiotic');
      await tid('rx-attach').click();
      const state = await reviewed();
      expect(await page.locator('[data-testid="finding"][data-rule="rx-required"]').count()).toBe(0);
      expect(state).toBe('clear');
      await screenshot('rx-attached');
      await tid('settle').click();
      await tid('receipt').waitFor({ timeout: 30_000 });
      await screenshot('rx-receipt');
    });

    it('lets a warning pass only with a reason from the rule pack (the override dialog)', async () => {
      await startNewSale();
      await presentVoucher('active');
      await tid('manual-open').click();
      await tid('manual-product').selectOption(DANSHEN.productId);
      await tid('manual-quantity').fill('6');
      await tid('manual-add').click();
      expect(await reviewed()).toBe('warnings');
      const warnings = page.locator('[data-testid="finding"][data-severity="warning"][data-outcome="open"]');
      let shotReasonRequired = false;
      expect(await warnings.count()).toBeGreaterThan(0);
      expect(await tid('settle').isDisabled()).toBe(true);
      await screenshot('warnings');
      while ((await warnings.count()) > 0) {
        await warnings.first().locator('[data-testid="finding-override"]').click();
        await tid('override-dialog').waitFor();
        await tid('override-confirm').click(); // no reason: refused in the dialog
        expect(await tid('override-error').isVisible()).toBe(true);
        if (!shotReasonRequired) await screenshot('override-reason-required');
        shotReasonRequired = true;
        await tid('override-reason').selectOption('doctor-confirmed');
        await tid('override-note').fill('已电话联系开方医师确认');
        await tid('override-confirm').click();
        await tid('override-dialog').waitFor({ state: 'detached' });
        await reviewed();
      }
      expect(await reviewed()).toBe('clear');
      expect(await page.locator('[data-testid="finding"][data-outcome="overridden"]').count()).toBeGreaterThan(0);
      expect(await tid('settle').isDisabled()).toBe(false);
      await screenshot('warnings-overridden');
      await tid('change-buyer').click(); // not sold: the next test starts clean
    });

    it("refuses a deceased holder's voucher", async () => {
      await startNewSale();
      await presentVoucher('deceased');
      const refusal = tid('voucher-refusal');
      expect(await refusal.getAttribute('data-code')).toBe('BUYER_DECEASED');
      expect(await refusal.textContent()).toMatch(/死亡/);
      expect(await tid('buyer-card').count()).toBe(0);
      await screenshot('deceased-refused');
    });

    it('keeps selling self-pay while the platform is down, and delivers the queued records exactly once when it is back', async () => {
      await startNewSale();
      await waitForOutboxEmpty();
      const before = demo.simulator.committed().length;

      await tid('platform-toggle').click();
      await page.locator('[data-testid="platform-toggle"][data-online="false"]').waitFor();
      expect(demo.platformOnline).toBe(false);

      // Insured sale: impossible without the platform; the till says so and offers self-pay.
      await presentVoucher('active');
      expect(['VOUCHER_OFFLINE', 'PLATFORM_UNAVAILABLE']).toContain(
        await tid('voucher-refusal').getAttribute('data-code'),
      );
      await tid('offline-banner').waitFor();
      await screenshot('offline-voucher');

      // A self-pay sale settles on the till alone; its records wait in the outbox.
      const box = boxesOf('布洛芬缓释胶囊')[1]!;
      await tid('sale-self-pay').click();
      await scan(box);
      expect(await reviewed()).toBe('clear');
      await tid('settle').click();
      await tid('receipt').waitFor({ timeout: 30_000 });
      expect(Number(await tid('split-cash').getAttribute('data-fen'))).toBe(IBUPROFEN.retailPriceFen);
      await screenshot('offline-self-pay-receipt');

      // A purchase recorded while offline queues as well.
      await tid('tab-stock').click();
      await tid('purchase-product').selectOption(IBUPROFEN.productId);
      await tid('purchase-qty').fill('3');
      await tid('purchase-gen-codes').click();
      const purchaseCodes = ((await tid('purchase-codes').inputValue()) ?? '').split(/\s+/).filter(Boolean);
      expect(purchaseCodes).toHaveLength(3);
      await tid('purchase-submit').click();
      await tid('stock-message').waitFor();
      // 3505 sale, YG01 invoice, YG06 audit, 3503 purchase
      await page.waitForFunction(
        () => Number(document.querySelector('[data-testid="outbox-badge"]')?.getAttribute('data-pending')) >= 4,
        undefined,
        { timeout: 15_000 },
      );
      const queued = await outboxPending();
      await tid('offline-banner').waitFor();
      await screenshot('offline-outbox-queued');
      expect(demo.simulator.committed().length).toBe(before); // nothing reached the platform

      // The platform comes back: the outbox drains.
      await tid('platform-toggle').click();
      await page.locator('[data-testid="platform-toggle"][data-online="true"]').waitFor();
      await tid('tab-sync').click();
      await tid('sync-flush').click();
      await waitForOutboxEmpty();
      await tid('offline-banner').waitFor({ state: 'detached', timeout: 15_000 });
      await screenshot('back-online-delivered');

      const committed = demo.simulator.committed();
      // Exactly once: no msgid committed twice, the offline sale's box reported sold once, the purchase once.
      expect(new Set(committed.map((r) => r.msgid)).size).toBe(committed.length);
      const mentions = (infno: string, code: string) =>
        committed.filter((r) => r.infno === infno && JSON.stringify(r.input).includes(code));
      expect(mentions('3505', box)).toHaveLength(1);
      expect(mentions('3503', purchaseCodes[0]!)).toHaveLength(1);
      expect(demo.simulator.soldTraceCodes().filter((s) => s.code === box)).toHaveLength(1);
      expect(committed.length - before).toBe(queued);
      // Whatever was retried while the platform was down, only the first answer counted.
      const duplicates = demo.simulator.received().filter((r) => r.duplicate);
      for (const d of duplicates) expect(committed.filter((r) => r.msgid === d.msgid).length).toBeLessThanOrEqual(1);
      expect(await tid('sync-dead').textContent()).toBe('0');
    });

    it('refunds a sale from the sales list', async () => {
      await tid('tab-sales').click();
      await tid('sales-table').waitFor();
      const rows = page.locator('[data-testid="sale-row"][data-status="settled"]');
      expect(await rows.count()).toBeGreaterThanOrEqual(3);
      const row = rows.first(); // the latest: the self-pay sale made offline
      const saleId = (await row.getAttribute('data-sale')) as string;
      await row.locator('[data-testid="sale-refund"]').click();
      await page.locator(`[data-testid="sale-row"][data-sale="${saleId}"] [data-testid="sale-refund-confirm"]`).click();
      await tid('refund-done').waitFor();
      expect(await page.locator(`[data-testid="sale-row"][data-sale="${saleId}"]`).getAttribute('data-status')).toBe(
        'refunded',
      );
      // The badge may still show the count from before the refund was written: wait for the platform itself.
      await expect.poll(() => demo.simulator.committed('3506').length, { timeout: 30_000 }).toBe(1);
      await waitForOutboxEmpty();
      expect(demo.simulator.committed('3506').length).toBe(1);
      await screenshot('refunded');
      expect(pageErrors).toEqual([]);
    });

    it('shows a record the platform refused as a dead letter, to annotate and resubmit corrected', async () => {
      // A box of 阿托伐他汀 that was already sold at another pharmacy (回流药) slipped in with a dodgy supplier's batch:
      // the sale settles at the till, and the platform refuses its 3505 report.
      await startNewSale();
      await presentVoucher('active');
      await scan(DEMO_TRACE_CODES.resold);
      await tid('rx-picker').selectOption('active-statin');
      await tid('rx-attach').click();
      await reviewed();
      await overrideWarnings('other', '演示：回流药');
      const blocking = await page
        .locator('[data-testid="finding"][data-severity="block"]')
        .evaluateAll((cards) => cards.map((c) => `${c.getAttribute('data-rule')}: ${c.textContent}`));
      expect(await reviewed(), blocking.join('\n')).toBe('clear');
      await tid('settle').click();
      await tid('receipt').waitFor({ timeout: 30_000 });
      await tid('dead-badge').waitFor({ timeout: 30_000 });

      await tid('tab-sync').click();
      const letter = page.locator('[data-testid="dead-letter"][data-infno="3505"][data-resolved="false"]');
      await letter.waitFor();
      expect(await letter.locator('[data-testid="dead-reason"]').textContent()).toContain(DEMO_TRACE_CODES.resold);
      await letter.locator('[data-testid="dead-note"]').fill('供货商来源不明，已封存该盒');
      await letter.locator('[data-testid="dead-annotate"]').click();
      await page.locator('[data-testid="dead-letter"][data-infno="3505"] li', { hasText: '供货商来源不明' }).waitFor();
      await screenshot('dead-letter');

      // The correction: the report without the resold box's code.
      const fixed = page.locator(
        '[data-testid="dead-letter"][data-infno="3505"][data-resolved="false"] [data-testid="dead-fix"]',
      );
      const movement = JSON.parse(await fixed.inputValue()) as { traceCodes: string[] };
      movement.traceCodes = movement.traceCodes.filter((code) => code !== DEMO_TRACE_CODES.resold);
      await fixed.fill(JSON.stringify(movement, null, 2));
      await page
        .locator('[data-testid="dead-letter"][data-infno="3505"][data-resolved="false"] [data-testid="dead-resubmit"]')
        .click();
      await page
        .locator('[data-testid="dead-letter"][data-infno="3505"][data-resolved="true"]')
        .waitFor({ timeout: 15_000 });
      await waitForOutboxEmpty();
      await tid('dead-badge').waitFor({ state: 'detached', timeout: 15_000 });
      await screenshot('dead-letter-resubmitted');
      expect(pageErrors).toEqual([]);
    });

    it('runs the self-audit over what it settled: the warnings overridden at the counter are in the problem ledger', async () => {
      // A sale settled with overridden warnings (6 boxes of 复方丹参片, a key drug: days of supply, volume).
      await tid('tab-sale').click();
      await startNewSale();
      await presentVoucher('active');
      await tid('manual-open').click();
      await tid('manual-product').selectOption(DANSHEN.productId);
      await tid('manual-quantity').fill('6');
      await tid('manual-add').click();
      expect(await reviewed()).toBe('warnings');
      await overrideWarnings('doctor-confirmed');
      await tid('settle').click();
      await tid('receipt').waitFor({ timeout: 30_000 });
      await tid('tab-audit').click();
      await tid('audit-run').click();
      const totals = tid('audit-totals');
      await totals.waitFor();
      expect(Number(await totals.getAttribute('data-sales'))).toBeGreaterThanOrEqual(3);
      expect(Number(await totals.getAttribute('data-findings'))).toBeGreaterThanOrEqual(1);
      const report = page.frameLocator('[data-testid="audit-report"]');
      await report.locator('svg').first().waitFor();
      expect(await report.locator('body').innerText()).toContain('复方丹参片');
      await screenshot('self-audit');
      expect(pageErrors).toEqual([]);
    });

    it('records a stock count from the stock page: the table shows the counted quantity and the platform gets its 3501', async () => {
      await tid('tab-stock').click();
      await tid('count-product').selectOption(IBUPROFEN.productId);
      // Choosing the product fills in its batch and what the ledger has on hand.
      const batch = await tid('count-batch').inputValue();
      expect(batch).not.toBe('');
      const onHand = Number(await tid('count-qty').inputValue());
      const row = (quantity: number) =>
        page.locator(
          `[data-testid="stock-row"][data-product="${IBUPROFEN.productId}"][data-batch="${batch}"][data-on-hand="${quantity}"]`,
        );
      expect(await row(onHand).count()).toBe(1);
      const reported = demo.simulator.committed('3501').length;
      await tid('count-qty').fill(String(onHand + 2));
      await tid('count-submit').click();
      await row(onHand + 2).waitFor();
      expect(await tid('stock-message').isVisible()).toBe(true);
      await expect.poll(() => demo.simulator.committed('3501').length, { timeout: 30_000 }).toBe(reported + 1);
      await waitForOutboxEmpty();
      await screenshot('stock-count');
      expect(pageErrors).toEqual([]);
    });
  });
}
