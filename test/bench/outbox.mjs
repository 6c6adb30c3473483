// Outbox drain: N sale records written to the outbox, then drained to the simulator over loopback HTTP (one
// request per record, in order, as a terminal sends them). Prints `outbox drain: <N> records/s, peak <M> MB`.
// Issue [6/10] asks for 100k records with memory flat (OUTBOX_BENCH_RECORDS=100000); the default is 20k while delivery
// is one request per record (about 700/s here, far from the 5000/s goal: batching is the open work).
import { performance } from 'node:perf_hooks';
import {
  createCatalog,
  createInventory,
  createMemoryStorage,
  createOutbox,
  createPlatformClient,
  createSyncWorker,
  resumeMsgids,
  TERMINAL_NAMES,
} from '../../dist/index.js';
import { createSimulator, DEMO_CATALOG, DEMO_PHARMACIES, DEMO_STOCK, startSimulator } from '../../dist/simulator.js';

export async function outboxBench(records = Number(process.env.OUTBOX_BENCH_RECORDS ?? 20_000)) {
  const pharmacy = DEMO_PHARMACIES.active;
  let now = Date.UTC(2026, 10, 23, 0, 0);
  const clock = { now: () => now };
  const simulator = createSimulator({ clock });
  const server = await startSimulator({ port: 0, simulator });
  const storage = createMemoryStorage({ names: TERMINAL_NAMES });
  const platform = createPlatformClient({
    baseUrl: server.url,
    institution: { code: pharmacy.code, name: pharmacy.name },
    area: pharmacy.admdvs,
    operator: { id: 'OP7', name: 'bench' },
    device: { no: 'T03', mac: '00-16-3E-00-00-03', ip: '127.0.0.1' },
    clock,
    retry: { limit: 2 },
    msgids: await resumeMsgids({ storage, clock, institutionCode: pharmacy.code, terminalDigit: 3 }),
  });
  const outbox = createOutbox({ storage, platform, clock });
  const inventory = await createInventory({ storage, outbox, catalog: createCatalog(DEMO_CATALOG), clock });
  const opening = DEMO_STOCK[0];
  const writeStart = performance.now();
  for (let i = 1; i <= records; i++) {
    now += 500;
    await inventory.record(
      {
        kind: 'sale', movementId: `B-${i}`, at: now, productId: opening.productId, medListCode: opening.medListCode, productName: opening.productName,
        batchNo: opening.batchNo, traceCodes: [`${opening.traceCodes[0].slice(0, 7)}${String(i).padStart(13, '0')}`], operatorId: 'OP7',
        quantity: 1, split: false, saleId: `S-${i}`, lineId: 'L1', unitPriceFen: 2870, payMode: 'self-pay',
      },
      { operatorName: 'bench' },
    );
  }
  const writeMs = performance.now() - writeStart;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const worker = createSyncWorker({ storage, platform, clock, owner: 'bench', readAhead: 500 });
  const start = performance.now();
  const result = await worker.drain();
  const ms = performance.now() - start;
  clearInterval(sampler);
  await server.close();
  const arrived = simulator.committed('3505').length;
  if (result.delivered !== records || arrived !== records) throw new Error(`outbox bench: delivered ${result.delivered}, platform committed ${arrived}, expected ${records}`);
  console.log(`outbox write: ${Math.round(records / (writeMs / 1000))} records/s (${records} records with their ledger change, one atomic batch each)`);
  console.log(`outbox drain: ${Math.round(records / (ms / 1000))} records/s, peak ${Math.round(peak / 1024 / 1024)} MB (${records} records, exactly once, in order; memory storage, simulator in the same process)`);
}
