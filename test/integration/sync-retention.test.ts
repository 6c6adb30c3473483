/**
 * How long the personal fields of a delivered record stay (`personalRetentionMs`, docs/PRIVACY.md): by default
 * they go in the batch that records the platform's answer; with a retention they stay that long after the answer
 * (for a dispute), then the next drain deletes them. Time is the injected clock; the platform is the simulator
 * over loopback HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, isYibaoGuardError, TERMINAL_NAMES } from '../../src/index.js';
import { createCatalog, createInventory, createOutbox, createSyncWorker } from '../../src/engine.js';
import type { SaleMovement } from '../../src/schemas/stock.js';
import { boxSale, tillClient } from './till-fixture.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  DEMO_STOCK,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0);
const DAY = 86_400_000;
let now = T0;
const clock = { now: () => now };
let server: RunningSimulator;
let simulator: Simulator;
const buyer = DEMO_PEOPLE.active;

beforeEach(async () => {
  now = T0;
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
});
afterEach(async () => {
  await server.close();
});

/** A till's outbox and worker over memory storage, with `personalRetentionMs` as given; one insured sale recorded. */
async function tillWithSale(personalRetentionMs?: number) {
  const storage = createMemoryStorage({ names: TERMINAL_NAMES });
  const platform = tillClient({ baseUrl: server.url, clock });
  const outbox = createOutbox({ storage, platform, clock });
  const inventory = await createInventory({ storage, outbox, catalog: createCatalog(DEMO_CATALOG), clock });
  const worker = createSyncWorker({
    storage,
    platform,
    clock,
    owner: 'tab-1',
    sleep: async () => undefined,
    ...(personalRetentionMs !== undefined ? { personalRetentionMs } : {}),
  });
  await inventory.record(DEMO_STOCK[0]!, { operatorName: '李药师' });
  await inventory.record(
    { ...(boxSale(1, T0, 800_000) as SaleMovement), payMode: 'fund' },
    {
      operatorName: '李药师',
      buyer: { psnNo: '22000000000000000001', residentId: buyer.residentId, name: buyer.name },
    },
  );
  expect(await storage.count('outboxPii')).toBe(1);
  return { storage, worker };
}

describe('personal fields of delivered records: retention', () => {
  it('by default they are deleted with the acknowledgement', async () => {
    const { storage, worker } = await tillWithSale();
    expect(await worker.drain()).toMatchObject({ delivered: 2, stoppedBy: 'empty' });
    expect(await storage.count('outboxPii')).toBe(0);
    expect((await storage.list('meta')).filter((r) => r.key.startsWith('pii.'))).toEqual([]);
  });

  it('with personalRetentionMs they stay that long after the acknowledgement, then the next drain deletes them', async () => {
    const { storage, worker } = await tillWithSale(3 * DAY);
    now += 60_000;
    const ackedAt = now;
    expect(await worker.drain()).toMatchObject({ delivered: 2, stoppedBy: 'empty' });
    // Still there, in clear through the storage, for a dispute over the sale.
    const [kept] = await storage.list('outboxPii');
    expect(kept?.value).toMatchObject({ certno: buyer.residentId, psn_name: buyer.name });
    now = ackedAt + 3 * DAY - 1;
    await worker.drain();
    expect(await storage.count('outboxPii')).toBe(1);
    now = ackedAt + 3 * DAY;
    expect(await worker.drain()).toMatchObject({ delivered: 0, stoppedBy: 'empty' });
    expect(await storage.count('outboxPii')).toBe(0);
    expect((await storage.list('meta')).filter((r) => r.key.startsWith('pii.'))).toEqual([]);
  });

  it('refuses a retention that is not a number of ms from 0, in both languages', () => {
    const storage = createMemoryStorage({ names: TERMINAL_NAMES });
    const platform = tillClient({ baseUrl: server.url, clock });
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '3d' as unknown as number]) {
      let caught: unknown;
      try {
        createSyncWorker({ storage, platform, clock, owner: 'tab-1', personalRetentionMs: bad });
      } catch (error) {
        caught = error;
      }
      expect(isYibaoGuardError(caught, 'INVALID_INPUT'), String(bad)).toBe(true);
      expect((caught as { messageZh: string }).messageZh).toContain('personalRetentionMs');
    }
  });
});
