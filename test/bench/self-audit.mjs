// Self-audit (自查自纠) of a busy pharmacy's year: SELF_AUDIT_BENCH_LINES (default 100000) sale lines in ~2.5-line sales
// by 3000 buyers over 2026, written as SaleRecords into a real SQLite file, then replayed by `selfAudit` under the
// simulator's rule pack. Prints `self-audit: 100k lines in <s> s` with the findings, the fund money at stake and the
// peak heap. A figure, not an assertion.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TERMINAL_NAMES } from '../../dist/index.js';
import { selfAudit } from '../../dist/audit.js';
import { createCatalog } from '../../dist/engine.js';
import { createSqliteStorage } from '../../dist/sqlite.js';
import { DEMO_CATALOG, simulatorRulePack } from '../../dist/simulator.js';

const MB = 1024 * 1024;
const DAY = 86_400_000;
const YEAR_START = Date.UTC(2026, 0, 1) - 8 * 3_600_000; // 2026-01-01 00:00 CST

/** A small deterministic generator: the same journal on every run. */
function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export async function selfAuditBench(lines = Number(process.env.SELF_AUDIT_BENCH_LINES ?? 100_000)) {
  const dir = mkdtempSync(join(tmpdir(), 'yg-bench-audit-'));
  try {
    const storage = await createSqliteStorage({ file: join(dir, 'till.sqlite'), names: TERMINAL_NAMES });
    const products = DEMO_CATALOG.filter((p) => p.retailPriceFen && p.medListCode && !p.rx);
    const facts = { sex: 'female', age: 45, chronic: [], identities: [], outOfArea: false, status: 'active' };
    const random = lcg(2026);
    const pack = simulatorRulePack('220100', 1);
    let serial = 0;
    let written = 0;
    let sale = 0;
    const batch = [];
    const flush = async () => {
      await storage.write(batch.splice(0));
    };
    while (written < lines) {
      const at = YEAR_START + Math.floor((sale / (lines / 2.5)) * 365 * DAY);
      const n = Math.min(lines - written, 1 + Math.floor(random() * 4));
      const saleLines = Array.from({ length: n }, (_, i) => {
        const p = products[Math.floor(random() * products.length)];
        const quantity = 1;
        const traceCodes = p.traceCodePrefix ? [`${p.traceCodePrefix}${String(++serial).padStart(13, '0')}`] : [];
        return {
          lineId: `L${i + 1}`,
          productId: p.productId,
          medListCode: p.medListCode,
          name: p.genericName,
          quantity,
          split: false,
          unitPriceFen: p.retailPriceFen,
          amountFen: p.retailPriceFen * quantity,
          traceCodes,
          payMode: 'fund',
        };
      });
      const total = saleLines.reduce((s, l) => s + l.amountFen, 0);
      const psnNo = `2201${String(Math.floor(random() * 3000)).padStart(16, '0')}`;
      const saleId = `S${String(sale).padStart(8, '0')}`;
      batch.push({
        op: 'put',
        store: 'sales',
        key: saleId,
        value: {
          saleId,
          pharmacyCode: 'P22010100001',
          terminalId: 'T01',
          operatorId: `OP${1 + (sale % 4)}`,
          startedAt: at - 60_000,
          settledAt: at,
          buyer: { psnNo, insutype: '310', insuplcAdmdvs: '220100', voucherKind: 'ec-qr', facts: { ...facts, psnNo } },
          lines: saleLines,
          prescriptions: [],
          split: {
            totalFen: total,
            fundFen: total - Math.floor(total / 10),
            accountFen: Math.floor(total / 10),
            cashFen: 0,
          },
          invoice: { seq: sale + 1, hash: '0'.repeat(64), signed: true },
          review: { packVersion: 1, findings: [] },
          status: 'settled',
          refunds: [],
        },
      });
      written += n;
      sale++;
      if (batch.length >= 1000) await flush();
    }
    await flush();

    const catalog = createCatalog(DEMO_CATALOG);
    let peak = process.memoryUsage().heapUsed;
    const start = performance.now();
    const report = await selfAudit({
      storage,
      catalog,
      rulePack: pack,
      ...(process.env.SELF_AUDIT_BENCH_PAGE ? { pageSize: Number(process.env.SELF_AUDIT_BENCH_PAGE) } : {}),
      from: '2026-01-01',
      to: '2027-01-01',
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      },
    });
    const seconds = (performance.now() - start) / 1000;
    await storage.close();
    console.log(
      `self-audit: ${Math.round(lines / 1000)}k lines in ${seconds.toFixed(2)} s (${report.totals.sales} sales, ${report.totals.findings} findings, ` +
        `${(report.totals.atStakeFen / 100).toFixed(2)} yuan at stake; SQLite file; peak heap ${(peak / MB).toFixed(0)} MB)`,
    );
    return seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await selfAuditBench();
