// A till process for the crash test: records sales SM-1..SM-N into a SQLite-backed outbox (each sale with its
// ledger change and 3505 report, one atomic batch) and drains to the simulator as it goes. It can be SIGKILLed at
// any moment; restarted, it skips the sales already recorded and carries on. Prints DONE when all are delivered.
import { TERMINAL_NAMES } from '../../dist/index.js';
import { createPlatformClient } from '../../dist/platform.js';
import { createCatalog, createInventory, createOutbox, createSyncWorker, resumeMsgids } from '../../dist/engine.js';
import { createSqliteStorage } from '../../dist/sqlite.js';
import { DEMO_CATALOG, DEMO_PHARMACIES, DEMO_STOCK } from '../../dist/simulator.js';

const [url, file, total] = process.argv.slice(2);
const N = Number(total);
const pharmacy = DEMO_PHARMACIES.active;
const clock = { now: () => Date.now() };
const storage = await createSqliteStorage({ file, names: TERMINAL_NAMES });
const platform = createPlatformClient({
  baseUrl: url,
  institution: { code: pharmacy.code, name: pharmacy.name },
  area: pharmacy.admdvs,
  operator: { id: 'OP7', name: 'crash' },
  device: { no: 'T04', mac: '00-16-3E-00-00-04', ip: '127.0.0.1' },
  clock,
  timeoutMs: 2000,
  retry: { limit: 1 },
  msgids: await resumeMsgids({ storage, clock, institutionCode: pharmacy.code, terminalDigit: 4 }),
});
const outbox = createOutbox({ storage, platform, clock });
const inventory = await createInventory({ storage, outbox, catalog: createCatalog(DEMO_CATALOG), clock });
const worker = createSyncWorker({ storage, platform, clock, owner: `pid-${process.pid}`, leaseMs: 1000 });
const opening = DEMO_STOCK[0];
for (let i = 1; i <= N; i++) {
  if (await storage.get('movements', `SM-${i}`)) continue;
  await inventory.record(
    {
      kind: 'sale',
      movementId: `SM-${i}`,
      at: clock.now(),
      productId: opening.productId,
      medListCode: opening.medListCode,
      productName: opening.productName,
      batchNo: opening.batchNo,
      operatorId: 'OP7',
      quantity: 1,
      split: false,
      traceCodes: [`${opening.traceCodes[0].slice(0, 7)}${String(3_000_000 + i).padStart(13, '0')}`],
      saleId: `S-${i}`,
      lineId: 'L1',
      unitPriceFen: 2870,
      payMode: 'self-pay',
    },
    { operatorName: 'crash' },
  );
  if (i % 7 === 0) await worker.drain();
}
// A killed predecessor's lease may still run: wait it out, then drain everything.
for (;;) {
  const result = await worker.drain();
  if (result.stoppedBy === 'empty') break;
  await new Promise((r) => setTimeout(r, 200));
}
await storage.close();
console.log('DONE');
