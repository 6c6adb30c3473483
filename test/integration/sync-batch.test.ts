/**
 * Batched delivery (YG07 进销存批量上传) against the simulator over real HTTP: consecutive reports go in one request,
 * each record with its own msgid and its own answer, so a refusal in the middle of a batch dead-letters that record
 * alone, a lost answer is resent with the same msgids and counted once, and the platform's log holds every record
 * exactly once, in order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES } from '../../src/index.js';
import { PlatformRejectedError, PlatformUnavailableError } from '../../src/errors/index.js';
import type { StockMovement } from '../../src/schemas/index.js';
import { createMemoryBacking } from '../../src/storage/index.js';
import { createMsgidSource, type PlatformClient } from '../../src/platform/index.js';
import { createCatalog, createInventory, createOutbox, createSyncWorker } from '../../src/engine.js';
import { boxSale, PHARMACY, tillClient } from './till-fixture.js';
import {
  createSimulator,
  DEMO_CATALOG,
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

async function till(
  options: {
    backing?: ReturnType<typeof createMemoryBacking>;
    after?: string;
    digit?: number;
    batch?: number;
    platform?: (p: PlatformClient) => Parameters<typeof createSyncWorker>[0]['platform'];
  } = {},
) {
  const storage = createMemoryStorage({
    names: TERMINAL_NAMES,
    ...(options.backing ? { backing: options.backing } : {}),
  });
  const digit = options.digit ?? 7;
  const msgids = createMsgidSource({
    institutionCode: PHARMACY.code,
    terminalDigit: digit,
    ...(options.after ? { after: options.after } : {}),
  });
  const platform = tillClient({ baseUrl: server.url, clock, msgids, terminalId: `T0${digit}` });
  const outbox = createOutbox({ storage, platform, clock });
  const inventory = await createInventory({ storage, outbox, catalog, clock });
  const worker = createSyncWorker({
    storage,
    platform: options.platform ? options.platform(platform) : platform,
    clock,
    owner: 'tab-1',
    sleep: noSleep,
    random: () => 0.5,
    ...(options.batch ? { batch: options.batch } : {}),
  });
  return { storage, platform, outbox, inventory, worker };
}

const sales = (count: number, from = 1): StockMovement[] =>
  Array.from({ length: count }, (_, i) => boxSale(from + i, T0 + (from + i) * 1000, 6_000_000));
const committed35 = () =>
  simulator
    .committed()
    .filter((c) => c.infno.startsWith('35'))
    .map((c) => c.msgid);
const batches = () => simulator.received().filter((r) => r.infno === 'YG07');
const outboxMsgids = async (storage: Awaited<ReturnType<typeof till>>['storage']) =>
  (await storage.read('outbox')).map((e) => e.value.prepared.msgid);

describe('batched delivery (YG07)', () => {
  it('sends consecutive reports in batches, each record once and in order', async () => {
    const t = await till({ batch: 10 });
    for (const sale of sales(25)) await t.inventory.record(sale, { operatorName: '李药师' });
    expect(await t.worker.drain()).toMatchObject({ delivered: 25, deadLettered: 0, stoppedBy: 'empty' });
    expect(batches()).toHaveLength(3);
    const sent = await outboxMsgids(t.storage);
    expect(committed35()).toEqual(sent);
    // Each record is logged under its own msgid, naming the batch that carried it.
    const carried = simulator.received().filter((r) => r.batch !== undefined);
    expect(carried.map((r) => r.msgid)).toEqual(sent);
    expect(carried.every((r) => r.outcome === 0 && !r.duplicate)).toBe(true);
  });

  it('dead-letters a record refused in the middle of a batch with the platform’s reason and delivers the rest in order', async () => {
    const t = await till();
    const list = sales(7);
    for (const [i, sale] of list.entries()) {
      // The fourth sells the first box again: the platform refuses that record alone (回流药).
      await t.inventory.record(i === 3 ? { ...sale, traceCodes: list[0]!.traceCodes } : sale, {
        operatorName: '李药师',
      });
    }
    const result = await t.worker.drain();
    expect(result).toMatchObject({ delivered: 6, deadLettered: 1, stoppedBy: 'empty' });
    expect(batches()).toHaveLength(1);
    const [letter] = await t.worker.deadLetters();
    expect(letter).toMatchObject({ seq: 4, reason: { code: 'PLATFORM_REJECTED', infcode: -2 } });
    expect(letter!.reason.messageZh).toContain('回流药');
    const sent = await outboxMsgids(t.storage);
    expect(committed35()).toEqual(sent.filter((_, i) => i !== 3));
    expect((await t.worker.status()).pending).toBe(0);
  });

  it('counts nothing of a batch whose answer was lost, and resends it with the same msgids: exactly once', async () => {
    const backing = createMemoryBacking();
    const t = await till({ backing });
    for (const sale of sales(30)) await t.inventory.record(sale, { operatorName: '李药师' });
    simulator.faults.add({ infno: 'YG07', kind: 'lose-response' });
    const lost = await t.worker.drain();
    expect(lost).toMatchObject({ delivered: 0, stoppedBy: 'transient-failure' });
    expect(lost.error?.code).toBe('PLATFORM_OUTCOME_UNKNOWN');
    expect((await t.worker.status()).pending).toBe(30);
    expect(committed35()).toHaveLength(30); // the platform did commit them
    // A restart over the same storage resends the same records: the platform answers each with its first answer.
    const restarted = await till({ backing, after: (await t.outbox.lastMsgid())! });
    expect(await restarted.worker.drain()).toMatchObject({ delivered: 30, stoppedBy: 'empty' });
    const sent = await outboxMsgids(t.storage);
    expect(committed35()).toEqual(sent);
    const second = simulator
      .received()
      .filter((r) => r.batch !== undefined)
      .slice(30);
    expect(second.map((r) => r.msgid)).toEqual(sent);
    expect(second.every((r) => r.duplicate && r.outcome === 0)).toBe(true);
  });

  it('meets faults aimed at the records inside a batch as each record would alone', async () => {
    const t = await till({ batch: 10 });
    for (const sale of sales(20)) await t.inventory.record(sale, { operatorName: '李药师' });
    simulator.faults.add({ kind: 'http-error', status: 503, times: 2 });
    simulator.faults.add({ infno: '3505', kind: 'lose-response', times: 2 });
    simulator.faults.add({ infno: '3505', kind: 'rate-limit', retryAfterSeconds: 0, times: 1 });
    let rounds = 0;
    while ((await t.worker.status()).pending > 0 && rounds++ < 30) await t.worker.drain();
    expect((await t.worker.status()).pending).toBe(0);
    expect(committed35()).toEqual(await outboxMsgids(t.storage));
    expect(simulator.received().some((r) => r.batch !== undefined && r.duplicate)).toBe(true);
  });

  it('sends each record alone with batch: 1, and when the platform refuses a batch as a whole', async () => {
    const single = await till({ batch: 1 });
    for (const sale of sales(3)) await single.inventory.record(sale, { operatorName: '李药师' });
    expect(await single.worker.drain()).toMatchObject({ delivered: 3 });
    expect(batches()).toHaveLength(0);

    // A province without YG07: the batch is refused (-2) as a whole, so the same records go one by one.
    const noBatch = await till({
      digit: 8,
      platform: (p) => ({
        send: p.send,
        sendReports: async (records) => {
          throw new PlatformRejectedError({ infno: 'YG07', msgid: records[0]!.msgid }, -2, '不支持的交易编号 YG07');
        },
      }),
    });
    for (const sale of sales(4, 4)) await noBatch.inventory.record(sale, { operatorName: '李药师' });
    expect(await noBatch.worker.drain()).toMatchObject({ delivered: 4, deadLettered: 0, stoppedBy: 'empty' });
    expect(committed35()).toHaveLength(7);
    expect(await noBatch.worker.deadLetters()).toEqual([]);
  });

  it('stops at a record whose outcome inside the batch is unknown, counting only those before it', async () => {
    let calls = 0;
    const t = await till({
      platform: (p) => ({
        send: p.send,
        sendReports: async (records) => {
          const answers = await p.sendReports(records);
          // The first time, the platform's answer for the third record cannot be used (as infcode -1 would be).
          if (calls++ > 0) return answers;
          return answers.map((a, i) =>
            i === 2
              ? {
                  msgid: a.msgid,
                  error: new PlatformUnavailableError({ infno: '3505', msgid: a.msgid }, { outcomeUnknown: true }),
                }
              : a,
          );
        },
      }),
    });
    for (const sale of sales(5)) await t.inventory.record(sale, { operatorName: '李药师' });
    const first = await t.worker.drain();
    expect(first).toMatchObject({ delivered: 2, stoppedBy: 'transient-failure' });
    expect(first.error?.code).toBe('PLATFORM_OUTCOME_UNKNOWN');
    expect((await t.worker.status()).pending).toBe(3);
    expect(await t.worker.drain()).toMatchObject({ delivered: 3, stoppedBy: 'empty' });
    expect(committed35()).toEqual(await outboxMsgids(t.storage));
  });
  it('answers a record first carried in a batch with its first answer when it comes again alone, refusal included', async () => {
    const t = await till();
    const [a, b] = sales(2);
    await t.inventory.record(a!, { operatorName: '李药师' });
    await t.inventory.record({ ...b!, traceCodes: a!.traceCodes }, { operatorName: '李药师' });
    const [first, second] = (await t.storage.read('outbox')).map((e) => e.value.prepared);
    const answers = await t.platform.sendReports([first!, second!]);
    expect(answers[0]).toEqual({ msgid: first!.msgid, output: { retRslt: '1', msgRslt: '成功' } });
    const refusal = (answers[1] as { error: PlatformRejectedError }).error;
    expect(refusal).toMatchObject({ code: 'PLATFORM_REJECTED', infcode: -2 });
    expect(await t.platform.send(first!)).toEqual({ retRslt: '1', msgRslt: '成功' });
    await expect(t.platform.send(second!)).rejects.toMatchObject({
      code: 'PLATFORM_REJECTED',
      infcode: -2,
      platformMessage: refusal.platformMessage,
    });
    const alone = simulator.received().filter((r) => r.infno === '3505' && r.batch === undefined);
    expect(alone.map((r) => r.duplicate)).toEqual([true, true]);
    expect(committed35()).toEqual([first!.msgid]);
  });
});
