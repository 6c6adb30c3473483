/**
 * The outbox and the sync worker against the simulator over real HTTP: every record delivered exactly once and
 * in order through outages, 5xx storms, lost answers, refusals and rate limits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES } from '../../src/index.js';
import type { StockMovement } from '../../src/schemas/index.js';
import { createMemoryBacking } from '../../src/storage/index.js';
import { createMsgidSource } from '../../src/platform/index.js';
import {
  createCatalog,
  createInventory,
  createOutbox,
  createSyncWorker,
  resubmitDeadLetter,
  resumeMsgids,
  type SyncEvent,
} from '../../src/engine.js';
import { boxSale, PHARMACY, tillClient } from './till-fixture.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_STOCK,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0);
const catalog = createCatalog(DEMO_CATALOG);
let now = T0;
const clock = { now: () => now };
let server: RunningSimulator;
let simulator: Simulator;
const noSleep = async () => undefined;

beforeEach(async () => {
  now = T0;
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
});
afterEach(async () => {
  await server.close();
});

async function till(options: { backing?: ReturnType<typeof createMemoryBacking>; after?: string } = {}) {
  const storage = createMemoryStorage({
    names: TERMINAL_NAMES,
    ...(options.backing ? { backing: options.backing } : {}),
  });
  const msgids = createMsgidSource({
    institutionCode: PHARMACY.code,
    terminalDigit: 1,
    ...(options.after ? { after: options.after } : {}),
  });
  const platform = tillClient({ baseUrl: server.url, clock, msgids });
  const outbox = createOutbox({ storage, platform, clock });
  const inventory = await createInventory({ storage, outbox, catalog, clock });
  const events: SyncEvent[] = [];
  const worker = createSyncWorker({
    storage,
    platform,
    clock,
    owner: 'tab-1',
    sleep: noSleep,
    random: () => 0.5,
    onEvent: (e) => events.push(e),
  });
  return { storage, platform, outbox, inventory, worker, events };
}

/** Sales of single boxes, each a box of its own. */
function sales(count: number, from = 1): StockMovement[] {
  return Array.from({ length: count }, (_, i) => boxSale(from + i, T0 + (from + i) * 1000, 500_000));
}

function committed35() {
  return simulator.committed().filter((c) => c.infno.startsWith('35'));
}

describe('outbox and sync worker', () => {
  it('writes the movement, its ledger change and its report together, then delivers in order exactly once', async () => {
    const t = await till();
    await t.inventory.record(DEMO_STOCK[0]!, { operatorName: '李药师' });
    for (const sale of sales(3)) await t.inventory.record(sale, { operatorName: '李药师' });
    expect(t.inventory.view.onHand(DEMO_STOCK[0]!.productId)).toBe(DEMO_STOCK[0]!.quantity - 3);
    expect((await t.worker.status()).pending).toBe(4);
    const result = await t.worker.drain();
    expect(result).toMatchObject({ delivered: 4, deadLettered: 0, stoppedBy: 'empty' });
    const msgids = (await t.storage.read('outbox')).map((e) => e.value.prepared.msgid);
    expect(committed35().map((c) => c.msgid)).toEqual(msgids);
    expect((await t.worker.status()).pending).toBe(0);
    // Draining again sends nothing.
    expect(await t.worker.drain()).toMatchObject({ delivered: 0, stoppedBy: 'empty' });
    expect(committed35()).toHaveLength(4);
  });

  it('keeps everything through a day offline and delivers it once the platform is back', async () => {
    const t = await till();
    await server.close();
    for (const sale of sales(200)) await t.inventory.record(sale, { operatorName: '李药师' });
    const offline = await t.worker.drain();
    expect(offline.stoppedBy).toBe('transient-failure');
    expect((await t.worker.status()).pending).toBe(200);
    server = await startSimulator({ port: 0, simulator });
    // The simulator came back on a new port: a new client over the same storage (as after a restart).
    const t2 = await tillOver(t.storage);
    const result = await t2.worker.drain();
    expect(result).toMatchObject({ delivered: 200, stoppedBy: 'empty' });
    expect(committed35().map((c) => c.msgid)).toEqual(
      (await t.storage.read('outbox')).map((e) => e.value.prepared.msgid),
    );
  });

  it('survives a 5xx storm and lost answers without a duplicate', async () => {
    const t = await till();
    for (const sale of sales(20)) await t.inventory.record(sale, { operatorName: '李药师' });
    simulator.faults.add({ kind: 'http-error', status: 503, times: 5 });
    simulator.faults.add({ infno: '3505', kind: 'lose-response', times: 3 });
    let rounds = 0;
    while ((await t.worker.status()).pending > 0 && rounds++ < 50) await t.worker.drain();
    expect((await t.worker.status()).pending).toBe(0);
    const delivered = committed35();
    expect(delivered).toHaveLength(20);
    expect(new Set(delivered.map((c) => c.msgid)).size).toBe(20);
    expect(simulator.received().filter((r) => r.duplicate).length).toBeGreaterThan(0);
  });

  it('sends a refused record to the dead letters with the reason, goes on, and resubmits it corrected', async () => {
    const t = await till();
    const [first, second] = sales(2);
    // The same box sold twice: the platform refuses the second report (回流药).
    await t.inventory.record(first!, { operatorName: '李药师' });
    await t.inventory.record({ ...second!, traceCodes: first!.traceCodes }, { operatorName: '李药师' });
    await t.inventory.record(sales(1, 3)[0]!, { operatorName: '李药师' });
    const result = await t.worker.drain();
    expect(result).toMatchObject({ delivered: 2, deadLettered: 1 });
    const [letter] = await t.worker.deadLetters();
    expect(letter).toMatchObject({ seq: 2, reason: { code: 'PLATFORM_REJECTED', infcode: -2 } });
    expect(t.events.some((e) => e.type === 'sync:dead-letter')).toBe(true);
    expect((await t.worker.status()).deadLetters).toBe(1);
    await t.worker.annotate(2, { by: 'OP7', text: '扫错了盒子 / wrong box scanned' });
    const fixed = await resubmitDeadLetter({ storage: t.storage, outbox: t.outbox, clock }, 2, {
      infno: '3505',
      input: {
        selinfo: {
          med_list_codg: second!.medListCode!,
          fixmedins_hilist_id: second!.productId,
          fixmedins_hilist_name: second!.productName,
          rx_flag: '1',
          fixmedins_bchno: second!.batchNo,
          trdn_flag: '0',
          finl_trns_pric: 28_700_000,
          rtal_docno: 'S-2',
          sel_retn_cnt: 1,
          sel_retn_time: now,
          sel_retn_opter_name: '李药师',
          mdtrt_setl_type: '2',
          drugtracinfo: [{ drug_trac_codg: DEMO_STOCK[0]!.traceCodes[5]! }],
        },
      },
      by: 'OP7',
    });
    expect(await t.worker.drain()).toMatchObject({ delivered: 1 });
    expect(await t.worker.deadLetters()).toEqual([]);
    const all = await t.worker.deadLetters({ includeResolved: true });
    expect(all[0]).toMatchObject({
      resolved: { how: 'resubmitted', newSeq: fixed.seq },
      notes: [expect.objectContaining({ text: '扫错了盒子 / wrong box scanned' }), expect.anything()],
    });
    expect(committed35().map((c) => c.msgid)).toContain(fixed.msgid);
  });

  it('honours a rate limit and resumes after a crash mid-drain without duplicates', async () => {
    const backing = createMemoryBacking();
    const t = await till({ backing });
    for (const sale of sales(10)) await t.inventory.record(sale, { operatorName: '李药师' });
    simulator.faults.add({ infno: '3505', kind: 'rate-limit', retryAfterSeconds: 1, times: 1 } as never);
    const limited = await t.worker.drain();
    expect(limited.stoppedBy).toBe('transient-failure');
    expect(limited.error?.code).toMatch(/PLATFORM_UNAVAILABLE/);
    // A lost answer, then the process "dies": a new terminal over the same storage resends the same msgid.
    simulator.faults.add({ infno: '3505', kind: 'lose-response', times: 1 });
    await t.worker.drain();
    const restarted = await till({ backing, after: (await t.outbox.lastMsgid())! });
    await restarted.worker.drain();
    expect(committed35()).toHaveLength(10);
    expect(new Set(committed35().map((c) => c.msgid)).size).toBe(10);
  });

  it('lets only the lease holder drain', async () => {
    const t = await till();
    for (const sale of sales(3)) await t.inventory.record(sale, { operatorName: '李药师' });
    const other = createSyncWorker({ storage: t.storage, platform: t.platform, clock, owner: 'tab-2', sleep: noSleep });
    expect(await t.worker.drain()).toMatchObject({ delivered: 3 });
    for (const sale of sales(2, 4)) await t.inventory.record(sale, { operatorName: '李药师' });
    expect(await other.drain()).toMatchObject({ delivered: 0, stoppedBy: 'not-leader' });
    now += 60_000; // the first tab's lease runs out
    expect(await other.drain()).toMatchObject({ delivered: 2 });
  });
});

async function tillOver(storage: Parameters<typeof createOutbox>[0]['storage']) {
  const platform = tillClient({
    baseUrl: server.url,
    clock,
    msgids: await resumeMsgids({ storage, clock, institutionCode: PHARMACY.code, terminalDigit: 1 }),
  });
  const worker = createSyncWorker({ storage, platform, clock, owner: 'tab-1', sleep: noSleep });
  return { platform, worker };
}
