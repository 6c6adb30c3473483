/**
 * A whole day's sales written while the platform is down, then delivered when it comes back: every record arrives
 * exactly once and in order (the simulator's log is compared with the outbox), nothing is left pending.
 */
import { afterEach, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES } from '../../src/index.js';
import { createCatalog, createInventory, createOutbox, createSyncWorker, resumeMsgids } from '../../src/engine.js';
import { boxSale, PHARMACY, tillClient } from './till-fixture.js';
import {
  createSimulator,
  DEMO_CATALOG,
  startSimulator,
  type RunningSimulator,
} from '../../adapters/simulator/index.js';

const SALES = 10_000;
let server: RunningSimulator | undefined;
afterEach(async () => {
  await server?.close();
});

it(`delivers a day's ${SALES} sales written offline exactly once and in order when the platform returns`, async () => {
  let now = Date.UTC(2026, 10, 23, 0, 0);
  const clock = { now: () => now };
  const simulator = createSimulator({ clock });
  const storage = createMemoryStorage({ names: TERMINAL_NAMES });
  const client = (baseUrl: string) =>
    resumeMsgids({ storage, clock, institutionCode: PHARMACY.code, terminalDigit: 2 }).then((msgids) =>
      tillClient({ baseUrl, clock, terminalId: 'T02', msgids }),
    );
  // The platform is down all day: nothing listens on this port.
  const offline = await client('http://127.0.0.1:9');
  const outbox = createOutbox({ storage, platform: offline, clock });
  const inventory = await createInventory({ storage, outbox, catalog: createCatalog(DEMO_CATALOG), clock });
  for (let i = 1; i <= SALES; i++) {
    now += 5_000;
    await inventory.record(boxSale(i, now, 700_000), { operatorName: '李药师' });
  }
  const down = createSyncWorker({ storage, platform: offline, clock, owner: 'tab', sleep: async () => undefined });
  expect((await down.drain()).stoppedBy).toBe('transient-failure');
  expect((await down.status()).pending).toBe(SALES);

  server = await startSimulator({ port: 0, simulator });
  const up = createSyncWorker({
    storage,
    platform: await client(server.url),
    clock,
    owner: 'tab',
    sleep: async () => undefined,
    readAhead: 500,
  });
  const result = await up.drain();
  expect(result).toMatchObject({ delivered: SALES, deadLettered: 0, stoppedBy: 'empty' });
  expect((await up.status()).pending).toBe(0);
  const sent = (await storage.read('outbox')).map((e) => e.value.prepared.msgid);
  const arrived = simulator
    .committed()
    .filter((c) => c.infno === '3505')
    .map((c) => c.msgid);
  expect(arrived).toEqual(sent);
  expect(new Set(arrived).size).toBe(SALES);
}, 240_000);
