/**
 * A whole insured sale from a Node (or Electron) till: SQLite storage, the platform simulator on 127.0.0.1, and
 * createTerminal — voucher, scans, review with its cards, settlement, the signed receipt, delivery to the platform.
 *
 *   npm run build && node examples/node-pos/sale.mjs [--db till.sqlite]
 *
 * Against a real provincial platform, replace the simulator's URL and keys with the province's, and the demo
 * catalog with the pharmacy's product master.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTerminal, TERMINAL_NAMES, fenToYuan } from 'yibao-guard';
import { verifyChain, verifyInvoiceQr } from 'yibao-guard/invoice';
import { createSqliteStorage } from 'yibao-guard/sqlite';
import {
  createSimulator,
  startSimulator,
  DEMO_CATALOG,
  DEMO_PHARMACIES,
  DEMO_PRESCRIPTIONS,
  DEMO_STOCK,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
} from 'yibao-guard/simulator';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const file = arg('--db') ?? join(mkdtempSync(join(tmpdir(), 'yibao-guard-pos-')), 'till.sqlite');
// The demo prescriptions are dated 2026-11-22: run the till (and the simulator) on 2026-11-23 10:00 CST.
const clock = { now: () => Date.UTC(2026, 10, 23, 2, 0) + (performance.now() | 0) };

const simulator = createSimulator({ clock });
const server = await startSimulator({ port: 0, simulator });
const pharmacy = DEMO_PHARMACIES.active;
const operator = { id: 'OP7', name: '李药师' };

// 1. Open the till: SQLite file, platform, catalog, the keys rule packs are signed with, a device secret.
const storage = await createSqliteStorage({ file, names: TERMINAL_NAMES });
const terminal = await createTerminal({
  platform: {
    baseUrl: server.url,
  },
  storage,
  pharmacy: { code: pharmacy.code, name: pharmacy.name, area: pharmacy.admdvs },
  terminal: { id: 'T01', mac: '00-16-3E-00-00-01', ip: '127.0.0.1' },
  operator,
  catalog: DEMO_CATALOG,
  trustedKeys: [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }],
  deviceSecret: new Uint8Array(32).fill(7), // a real till takes this from the OS keystore
  clock,
});
terminal.on(
  'sync:progress',
  ({ status, delivered }) => delivered && status.pending === 0 && console.log(`  ✓ 全部上传 / all delivered`),
);
await terminal.signIn();
const pack = await terminal.updateRulePack();
console.log(`规则包 / rule pack v${(pack ?? terminal.rulePack)?.version}`);

// 2. Opening stock count (3501), as a pharmacy does when it starts using the ledger.
if (terminal.stock().length === 0) {
  for (const batch of DEMO_STOCK) {
    const { kind: _, quantity, supplierName: __, unitCostFen: ___, ...rest } = batch;
    await terminal.recordMovement({
      ...rest,
      kind: 'stock-count',
      movementId: `COUNT-${batch.movementId}`,
      countedQuantity: quantity,
    });
  }
}

// 3. The buyer shows the 医保码; the till verifies it (1101) and refuses the dead, suspended and blacklisted.
const buyer = await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher('active').qr } });
console.log(`购药人 / buyer: ${buyer.displayName} ${buyer.displayId}`);

// 4. Scan two boxes of 阿托伐他汀 (an Rx drug) and review: without a prescription the rules block it.
const sale = terminal.startSale(buyer);
const statin = DEMO_STOCK.find((b) => b.productName === '阿托伐他汀钙片' && b.traceCodes.length > 2);
for (const code of statin.traceCodes.slice(0, 2)) sale.scan(code);
let review = await sale.review();
for (const f of review.findings) console.log(`  [${f.severity}] ${f.ruleId}: ${f.summary.zh} / ${f.summary.en}`);

// 5. The e-prescription arrives from the circulation platform; review again; warnings need a reason.
sale.attachPrescription(DEMO_PRESCRIPTIONS['active-statin']);
review = await sale.review();
for (const f of review.findings.filter((x) => x.severity === 'warning'))
  await sale.override(f.findingId, { reasonCode: 'doctor-confirmed' });
review = await sale.review();
console.log(`可结算 / can settle: ${review.canSettle}`);

// 6. Settle: 2101 → 2102 → signed invoice → outbox (3505, invoice, audit trail), in one atomic write.
const receipt = await sale.settle();
const { totalFen, fundFen, accountFen, cashFen } = receipt.split;
console.log(
  `结算 / settled ${receipt.setlId}: 合计 ${fenToYuan(totalFen)} 统筹 ${fenToYuan(fundFen)} 个账 ${fenToYuan(accountFen)} 现金 ${fenToYuan(cashFen)}`,
);
console.log(`票据 / invoice #${receipt.invoice.seq} ${receipt.invoice.signed ? '已签名 signed' : '未签名 UNSIGNED'}`);

// 7. Anyone can verify the receipt with the terminal's public key.
const keys = await terminal.invoices.keys();
console.log(
  `二维码核验 / QR verifies: ${(await verifyInvoiceQr(receipt.invoice.qr, keys)).ok}; 票据链 / chain verifies: ${(await verifyChain(await terminal.invoices.records(), keys)).ok}`,
);

// 8. Deliver what is queued (the worker also does this by itself in the background), then close.
await terminal.sync.flush();
console.log(
  `平台已收 / platform holds: 3505 × ${simulator.committed('3505').length}, 票据 × ${simulator.invoices().length}, 审核留痕 × ${simulator.audits().length}`,
);
await terminal.close();
await storage.close();
await server.close();
