// A till process for the settlement crash test: opens createTerminal over a SQLite file (fixed device secret),
// records an opening stock count once, then settles insured sales until the `sales` store holds N of them: each a
// fresh e-voucher from the parent's simulator, one box of ibuprofen with a trace code of its own, review, overrides,
// settle (2101 → 2102 → invoice → outbox). Prints `settled <saleId> <setlId> <invoiceSeq>` per sale and flushes the
// outbox every few sales. It can be SIGKILLed at any moment; reopened (createTerminal reverses what a kill left
// pending) it carries on. Mode `verify`: opens, flushes everything and prints one JSON summary line.
import { createTerminal, TERMINAL_NAMES } from '../../dist/index.js';
import { verifyChain } from '../../dist/invoice.js';
import { createSqliteStorage } from '../../dist/sqlite.js';
import {
  DEMO_CATALOG,
  DEMO_PHARMACIES,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
} from '../../dist/simulator.js';

const [url, file, total, mode = 'run'] = process.argv.slice(2);
const N = Number(total);
const pharmacy = DEMO_PHARMACIES.active;
const product = DEMO_CATALOG.find((p) => p.genericName === '布洛芬缓释胶囊');
const clock = { now: () => Date.now() };
const storage = await createSqliteStorage({ file, names: TERMINAL_NAMES });
const terminal = await createTerminal({
  platform: {
    baseUrl: url,
    timeoutMs: 3000,
    retry: { limit: 0 },
  },
  storage,
  pharmacy: { code: pharmacy.code, name: pharmacy.name, area: pharmacy.admdvs },
  terminal: { id: 'T05', mac: '00-16-3E-00-00-05', ip: '127.0.0.1' },
  operator: { id: 'OP7', name: 'crash' },
  catalog: DEMO_CATALOG,
  trustedKeys: [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }],
  deviceSecret: new Uint8Array(32).fill(5),
  clock,
  sync: { autoStart: false, owner: `pid-${process.pid}`, leaseMs: 1000, backoff: { baseMs: 1, maxMs: 2 } },
});

/** Drains until empty; a killed predecessor's lease may still hold the outbox, so wait it out. */
async function flushAll() {
  for (let i = 0; ; i++) {
    const result = await terminal.sync.flush();
    if (result.stoppedBy === 'empty') return result;
    if (i > 100) throw new Error(`flush never emptied: ${JSON.stringify(result)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

if (mode === 'verify') {
  await flushAll();
  const sales = [];
  for (let after; ;) {
    const page = await terminal.sales({ ...(after === undefined ? {} : { after }), limit: 500 });
    sales.push(...page);
    if (page.length < 500) break;
    after = page[page.length - 1].saleId;
  }
  const records = await terminal.invoices.records();
  const chain = await verifyChain(records, await terminal.invoices.keys());
  const outbox = (await storage.read('outbox')).map((e) => ({
    msgid: e.value.prepared?.msgid,
    kind: e.value.kind,
    infno: e.value.prepared?.infno,
    ref: e.value.ref,
  }));
  const dead = (await storage.list('deadLetters')).map((d) => d.value.reason?.message ?? String(d.value.reason));
  const pending = (await storage.list('settlements')).map((s) => s.key);
  console.log(
    'SUMMARY ' +
      JSON.stringify({
        sales: sales.map((s) => ({
          saleId: s.saleId,
          setlId: s.settlement?.setlId,
          msgid: s.settlement?.msgid,
          seq: s.invoice.seq,
          accountFen: s.split.accountFen,
          lines: s.lines.length,
          status: s.status,
        })),
        invoices: records.map((r) => ({ seq: r.body.seq, kind: r.body.kind, setlId: r.body.setlId })),
        chain: { ok: chain.ok, issues: chain.issues ?? [] },
        outbox,
        dead,
        pending,
      }),
  );
  await terminal.close();
  await storage.close();
  process.exit(0);
}

await terminal.updateRulePack().catch(() => undefined);
if (!(await storage.get('movements', 'OPEN-COUNT'))) {
  await terminal.recordMovement({
    kind: 'stock-count',
    movementId: 'OPEN-COUNT',
    at: clock.now(),
    productId: product.productId,
    ...(product.medListCode ? { medListCode: product.medListCode } : {}),
    productName: product.genericName,
    batchNo: 'B-CRASH',
    traceCodes: [],
    countedQuantity: 10_000,
  });
}

let done = (await terminal.sales({ limit: 10_000 })).length;
console.log(`ready ${Math.round(performance.now())}`);
while (done < N) {
  const res = await fetch(`${url}/__sim/issue-voucher`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ person: 'active' }),
  });
  const { qr } = await res.json();
  const buyer = await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr } });
  const sale = terminal.startSale(buyer);
  // A box of its own: the serial counts recorded sales, so a sale a kill undid sells the same (never-sold) box again.
  sale.scan(`${product.traceCodePrefix}${String(8_000_000 + done + 1).padStart(13, '0')}`);
  let review = await sale.review();
  for (const f of review.findings.filter((x) => x.severity === 'warning' && x.outcome !== 'overridden')) {
    await sale.override(f.findingId, { reasonCode: 'other', note: '崩溃测试' });
  }
  if (review.findings.some((x) => x.severity === 'warning')) review = await sale.review();
  if (!review.canSettle)
    throw new Error(`cannot settle: ${JSON.stringify(review.findings.map((f) => [f.ruleId, f.severity]))}`);
  const receipt = await sale.settle();
  console.log(`settled ${receipt.saleId} ${receipt.setlId} ${receipt.invoice.seq}`);
  done++;
  if (done % 3 === 0) await terminal.sync.flush();
}
await flushAll();
await terminal.close();
await storage.close();
console.log('DONE');
process.exit(0);
