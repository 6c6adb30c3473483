/**
 * What a till's status badge and progress bar read (pending count, oldest pending, last success, dead letters,
 * offline/online), and the stock ledger reconciled with the platform's view after delivery.
 */
import { afterEach, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES } from '../../src/index.js';
import {
  createCatalog,
  createInventory,
  createOutbox,
  createSyncWorker,
  resumeMsgids,
  type SyncEvent,
} from '../../src/engine.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_STOCK,
  startSimulator,
  type RunningSimulator,
} from '../../adapters/simulator/index.js';
import { boxSale, PHARMACY, tillClient } from './till-fixture.js';

let server: RunningSimulator | undefined;
afterEach(async () => {
  await server?.close();
});

const sale = (i: number, at: number) => boxSale(i, at, 4_000_000);

it('reports pending, oldest pending, last success and dead letters, and says offline then online', async () => {
  let now = Date.UTC(2026, 10, 23, 2, 0);
  const clock = { now: () => now };
  const simulator = createSimulator({ clock });
  const storage = createMemoryStorage({ names: TERMINAL_NAMES });
  const msgids = await resumeMsgids({ storage, clock, institutionCode: PHARMACY.code, terminalDigit: 5 });
  const down = tillClient({ baseUrl: 'http://127.0.0.1:9', clock, msgids, timeoutMs: 200 });
  const outbox = createOutbox({ storage, platform: down, clock });
  const inventory = await createInventory({ storage, outbox, catalog: createCatalog(DEMO_CATALOG), clock });
  const firstAt = now;
  for (let i = 1; i <= 3; i++) {
    await inventory.record(sale(i, now), { operatorName: '李药师' });
    now += 60_000;
  }
  const events: SyncEvent[] = [];
  // Real (short) waits: the background loop backs off between attempts and opens its circuit after 2 failures.
  // The test waits for that to happen (not a fixed 300 ms, which a loaded machine can spend before the second try).
  const offline = createSyncWorker({
    storage,
    platform: down,
    clock,
    owner: 'tab',
    backoff: { baseMs: 5, maxMs: 10 },
    breaker: { threshold: 2, cooldownMs: 50 },
    onEvent: (e) => events.push(e),
  });
  offline.start();
  await expect.poll(() => events.some((e) => e.type === 'offline'), { interval: 5, timeout: 30_000 }).toBe(true);
  await offline.stop();
  expect(events.some((e) => e.type === 'offline')).toBe(true);
  const badge = await offline.status();
  expect(badge).toMatchObject({
    pending: 3,
    oldestPendingAt: firstAt,
    deadLetters: 0,
    lastError: 'PLATFORM_UNAVAILABLE',
  });
  expect(badge.lastSuccessAt).toBeUndefined();

  server = await startSimulator({ port: 0, simulator });
  const up = tillClient({ baseUrl: server.url, clock, msgids });
  // The same box twice: the fourth record will be refused and become a dead letter.
  await inventory.record({ ...sale(4, now), traceCodes: sale(1, now).traceCodes }, { operatorName: '李药师' });
  const online = createSyncWorker({ storage, platform: up, clock, owner: 'tab', onEvent: (e) => events.push(e) });
  const result = await online.drain();
  expect(result).toMatchObject({ delivered: 3, deadLettered: 1 });
  const after = await online.status();
  expect(after).toMatchObject({ state: 'idle', pending: 0, deadLetters: 1, lastSuccessAt: now });
  expect(after.oldestPendingAt).toBeUndefined();
  const progress = events.filter((e): e is Extract<SyncEvent, { type: 'sync:progress' }> => e.type === 'sync:progress');
  expect(progress.at(-1)?.status).toMatchObject({ pending: 0, deadLetters: 1 });
  expect(events.some((e) => e.type === 'sync:dead-letter' && e.seq === 4)).toBe(true);
});

it('reconciles the stock ledger with the platform’s view over HTTP (YG08, page by page) and names every difference', async () => {
  const clock = { now: () => Date.UTC(2026, 10, 23, 2, 0) };
  const simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  const storage = createMemoryStorage({ names: TERMINAL_NAMES });
  const platform = tillClient({
    baseUrl: server.url,
    clock,
    msgids: await resumeMsgids({ storage, clock, institutionCode: PHARMACY.code, terminalDigit: 6 }),
  });
  const outbox = createOutbox({ storage, platform, clock });
  const inventory = await createInventory({ storage, outbox, catalog: createCatalog(DEMO_CATALOG), clock });
  // The platform already holds the opening stock; the till's ledger starts from a count (3501) of each batch on the
  // shelf that has a 医保 code (a count without one cannot be reported), the others stay unknown to the ledger.
  const counted = DEMO_STOCK.filter((line) => line.medListCode !== undefined);
  const uncounted = DEMO_STOCK.filter((line) => line.medListCode === undefined);
  for (const [i, line] of counted.entries()) {
    const { quantity, supplierName: _s, unitCostFen: _c, kind: _k, ...core } = line;
    await inventory.record(
      { ...core, kind: 'stock-count', movementId: `C-${i}`, countedQuantity: quantity },
      { operatorName: '李药师' },
    );
  }
  for (let i = 1; i <= 2; i++) await inventory.record(sale(i, clock.now()), { operatorName: '李药师' });
  await createSyncWorker({ storage, platform, clock, owner: 'tab' }).drain();
  const opening = DEMO_STOCK[0]!;
  expect(inventory.levels().find((l) => l.batchNo === opening.batchNo)?.onHand).toBe(opening.quantity - 2);
  const expectedUncounted = uncounted.map((l) => ({
    productId: l.productId,
    batchNo: l.batchNo,
    ledger: 0,
    platform: l.quantity,
  }));
  // Pages of 4 lines: the platform holds more than that, so reconciliation asks page after page.
  expect(await inventory.reconcileWithPlatform(platform, { pageSize: 4 })).toEqual(expectedUncounted);
  expect(DEMO_STOCK.length).toBeGreaterThan(4);
  // A sale rung up at the till but never reported shows up as a difference of one box.
  const local = await inventory.record(sale(3, clock.now()), { operatorName: '李药师' });
  expect(local.records).toHaveLength(1);
  expect(await inventory.reconcileWithPlatform(platform)).toEqual([
    {
      productId: opening.productId,
      batchNo: opening.batchNo,
      ledger: opening.quantity - 3,
      platform: opening.quantity - 2,
    },
    ...expectedUncounted,
  ]);
  const queries = simulator.received().filter((r) => r.infno === 'YG08');
  expect(queries.length).toBeGreaterThan(2);
  expect(queries.every((q) => q.outcome === 0)).toBe(true);
});
