// Outbox drain: N sale records written to the outbox, then drained to the simulator over loopback HTTP, in order, as a
// terminal sends them: consecutive reports in YG07 batches (`batch` records per request, each with its own msgid and
// its own answer). Prints `outbox drain: <N> records/s, peak <M> MB`. The simulator runs in a child process (the
// platform is another machine), so the peak is the till's own memory: storage holding the N records, plus what the
// worker holds while draining (a read-ahead window), which must stay flat however many records there are.
// OUTBOX_BENCH_RECORDS (default 100000) and OUTBOX_BENCH_BATCH (default: the worker's, 200) change the run.
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMemoryStorage, TERMINAL_NAMES } from '../../dist/index.js';
import { createPlatformClient } from '../../dist/platform.js';
import { createCatalog, createInventory, createOutbox, createSyncWorker, resumeMsgids } from '../../dist/engine.js';
import { DEMO_CATALOG, DEMO_PHARMACIES, DEMO_STOCK } from '../../dist/simulator.js';

const MB = 1024 * 1024;
// A full collection on demand, to read the live heap (as --expose-gc would give).
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** The simulator in a child process; resolves with its URL and a way to stop it. */
function simulatorProcess() {
  const script = `const { startSimulator } = await import(${JSON.stringify(new URL('../../dist/simulator.js', import.meta.url).href)});
    const server = await startSimulator({ port: 0 }); console.log(server.url);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (line) => { if (line.startsWith('cpu')) console.log(JSON.stringify(process.cpuUsage())); });
    process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(
    process.execPath,
    [...(process.env.OUTBOX_BENCH_SIM_ARGS ?? '').split(' ').filter(Boolean), '--input-type=module', '-e', script],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (data) => {
      /** The child's CPU time so far, in µs (user + system). */
      const cpu = () =>
        new Promise((done) => {
          child.stdout.once('data', (line) => {
            const { user, system } = JSON.parse(String(line));
            done(user + system);
          });
          child.stdin.write('cpu\n');
        });
      resolve({ url: String(data).trim(), cpu, stop: () => child.stdin.end() });
    });
  });
}

export async function outboxBench(
  records = Number(process.env.OUTBOX_BENCH_RECORDS ?? 100_000),
  batch = process.env.OUTBOX_BENCH_BATCH ? Number(process.env.OUTBOX_BENCH_BATCH) : undefined,
) {
  const pharmacy = DEMO_PHARMACIES.active;
  let now = Date.now();
  const clock = { now: () => now };
  const sim = await simulatorProcess();
  try {
    const storage = createMemoryStorage({ names: TERMINAL_NAMES });
    const platform = createPlatformClient({
      baseUrl: sim.url,
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
    // The writes are not what is measured here: 500 sales (with their ledger change and reports) per atomic batch.
    const writeStart = performance.now();
    for (let from = 1; from <= records; from += 500) {
      now += 1000;
      const movements = [];
      for (let i = from; i < Math.min(from + 500, records + 1); i++) {
        movements.push({
          kind: 'sale',
          movementId: `B-${i}`,
          at: now,
          productId: opening.productId,
          medListCode: opening.medListCode,
          productName: opening.productName,
          batchNo: opening.batchNo,
          traceCodes: [`${opening.traceCodes[0].slice(0, 7)}${String(i).padStart(13, '0')}`],
          operatorId: 'OP7',
          quantity: 1,
          split: false,
          saleId: `S-${i}`,
          lineId: 'L1',
          unitPriceFen: 2870,
          payMode: 'self-pay',
        });
      }
      await inventory.recordAll(movements, { operatorName: 'bench' });
    }
    const writeMs = performance.now() - writeStart;
    // V8 flattens each stored JSON text of the memory adapter the first time it is parsed (about 50 bytes a record,
    // kept): read them all once now, so that the drain's live heap shows only what the worker holds.
    await storage.read('outbox');

    gc();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sample = () => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    const sampler = setInterval(sample, 50);
    // Heap at each tenth of the drain: flat memory means the last tenth holds no more than the first.
    const tenths = [];
    let paused = 0;
    const worker = createSyncWorker({
      storage,
      platform,
      clock,
      owner: 'bench',
      ...(batch ? { batch } : {}),
      onEvent: (e) => {
        if (e.type !== 'sync:progress' || e.delivered === undefined) return;
        const tenth = Math.floor((e.delivered * 10) / records);
        if (tenth > tenths.length && tenth < 10) {
          // What is live, not garbage waiting for collection; the pause is left out of the timing.
          const at = performance.now();
          gc();
          tenths.push(Math.round(process.memoryUsage().heapUsed / MB));
          paused += performance.now() - at;
        }
      },
    });
    const simCpu = await sim.cpu();
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await worker.drain();
    const ms = performance.now() - start - paused;
    const tillCpu = process.cpuUsage(cpu);
    const simCpuUs = (await sim.cpu()) - simCpu;
    sample();
    clearInterval(sampler);

    const state = await (await fetch(`${sim.url}/__sim/state`)).json();
    if (result.delivered !== records || state.committed !== records)
      throw new Error(
        `outbox bench: delivered ${result.delivered}, platform committed ${state.committed}, expected ${records}`,
      );
    const committed = await (await fetch(`${sim.url}/__sim/committed?infno=3505`)).json();
    const sent = (await storage.read('outbox')).map((e) => e.value.prepared.msgid);
    if (committed.length !== sent.length || committed.some((c, i) => c.msgid !== sent[i]))
      throw new Error('outbox bench: the platform did not commit the records exactly once in order');

    console.log(
      `outbox write: ${Math.round(records / (writeMs / 1000))} records/s (${records} records with their ledger change, 500 per atomic batch)`,
    );
    console.log(
      `outbox drain: ${Math.round(records / (ms / 1000))} records/s, peak ${Math.round(peakRss / MB)} MB ` +
        `(${records} records, YG07 batches of ${batch ?? 'the default 200'}, exactly once, in order; memory storage; simulator in a child process)`,
    );
    console.log(
      `outbox drain memory: rss ${Math.round(before.rss / MB)} MB before, ${Math.round(peakRss / MB)} MB at peak; heap used at peak ${Math.round(peakHeap / MB)} MB (garbage included)` +
        (tenths.length ? `; live heap at each tenth of the drain: ${tenths.join(', ')} MB` : ''),
    );
    // CPU per record does not depend on what else the machine is doing, unlike records/s.
    const perRecord = (us) => (us / records).toFixed(1);
    console.log(
      `outbox drain CPU: till ${perRecord(tillCpu.user + tillCpu.system)} µs/record, simulator ${perRecord(simCpuUs)} µs/record ` +
        `(load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs; the two take turns, so records/s ≈ 1e6 / their sum on an idle machine)`,
    );
  } finally {
    sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await outboxBench();
