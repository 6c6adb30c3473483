import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG } from '../../../adapters/simulator/index.js';
import { isYibaoGuardError } from '../../../src/index.js';
import { selfAudit, type LedgerEntry, type SelfAuditProgress, type SelfAuditReport } from '../../../src/audit/index.js';
import { createCatalog } from '../../../src/engine.js';
import { shareOut } from '../../../src/audit/apportion.js';
import { expectNoPersonalData, testTrusted } from '../rules/helpers.js';
import { box, chronologicalKey, cst, memoryStorage, P, packV2, saleRecord, seed, seededSales } from './journal.js';

const catalog = createCatalog(DEMO_CATALOG);
const PERIOD = { from: '2026-10-01', to: '2026-12-01' } as const;

async function audit(
  options: Partial<Parameters<typeof selfAudit>[0]> = {},
  keyOf?: Parameters<typeof seed>[2],
): Promise<SelfAuditReport> {
  const storage = memoryStorage();
  await seed(storage, seededSales(), keyOf);
  return selfAudit({ storage, catalog, ...PERIOD, ...options });
}

/** The ledger reduced to what identifies each row and its money. */
const rows = (entries: readonly LedgerEntry[]) =>
  entries.map((e) => ({
    sale: e.saleId,
    date: e.date,
    line: e.lineId ?? null,
    rule: e.ruleId,
    severity: e.severity,
    atStake: e.atStakeFen,
    till: e.tillOutcome,
    origin: e.origin,
  }));

const EXPECTED_IN_FORCE = [
  {
    sale: 'S3',
    date: '2026-10-12',
    line: 'L1',
    rule: 'repeat-purchase',
    severity: 'warning',
    atStake: 10_600,
    till: 'overridden',
    origin: 'replay',
  },
  {
    sale: 'S4',
    date: '2026-11-05',
    line: 'L1',
    rule: 'trace-code-duplicate',
    severity: 'block',
    atStake: 1_850,
    till: 'not-shown',
    origin: 'replay',
  },
  {
    sale: 'S5',
    date: '2026-11-06',
    line: 'L1',
    rule: 'trace-code-missing',
    severity: 'warning',
    atStake: 1_850,
    till: 'not-shown',
    origin: 'replay',
  },
  {
    sale: 'S5',
    date: '2026-11-06',
    line: 'L1',
    rule: 'stock-shortfall',
    severity: 'warning',
    atStake: 1_850,
    till: 'overridden',
    origin: 'till',
  },
  {
    sale: 'S6',
    date: '2026-11-20',
    line: null,
    rule: 'amount-limit',
    severity: 'warning',
    atStake: 170_000,
    till: 'overridden',
    origin: 'replay',
  },
];

describe('selfAudit: the problem ledger of a seeded journal', () => {
  it('finds exactly the known problems, in settlement order, under the pack in force at each sale', async () => {
    const report = await audit();
    expect(rows(report.entries)).toEqual(EXPECTED_IN_FORCE);
    expect(report.mode).toBe('in-force');
    expect(report.period).toEqual({
      from: cst(2026, 10, 1),
      to: cst(2026, 12, 1),
      fromDate: '2026-10-01',
      lastDate: '2026-11-30',
    });
    expect(report.pharmacyCodes).toEqual(['P22010100001']);
    expect(report.terminalIds).toEqual(['T01']);
  });

  it('gives each finding its evidence, line, product and till outcome with the reason and a masked note', async () => {
    const report = await audit();
    const [s3, s4, , s5stock, s6] = report.entries as LedgerEntry[];
    expect(s3).toMatchObject({
      findingId: 'repeat-purchase:L1',
      productId: P.valsartan,
      productName: '缬沙坦胶囊',
      medListCode: 'XOT007A00101010055433',
      packVersion: 2,
      operatorId: 'OP7',
      month: '2026-10',
      ruleTitle: { zh: '重复购药', en: 'Refill too soon' },
      evidence: { genericName: '缬沙坦胶囊', lastPurchase: '2026-09-20', daysSupply: 28, remainingDays: 6 },
      amountFen: 10_600,
      insuredFen: 10_600,
      refundedFen: 0,
      override: {
        reasonCode: 'doctor-confirmed',
        reasonLabel: { zh: '已与开方医师确认', en: 'Confirmed with the prescribing doctor' },
        note: '医生调整剂量',
        operatorId: 'OP7',
      },
    });
    expect(s4).toMatchObject({
      findingId: `trace-code-duplicate:L1:${box(P.loratadine, 1)}`,
      evidence: { where: 'sold-before' },
      operatorId: 'OP8',
    });
    expect(s4?.override).toBeUndefined();
    expect(s5stock).toMatchObject({ insuredFen: 3_700, refundedFen: 1_850, override: { reasonCode: 'stock-recount' } });
    // A finding about the whole sale puts every fund line at stake: the insured 1700 yuan shared over both lines.
    expect(s6).toMatchObject({
      findingId: 'amount-limit:sale:sale',
      lineIds: ['L1', 'L2'],
      amountFen: 234_450,
      insuredFen: 170_000,
      atStakeFen: 170_000,
      evidence: { period: 'sale', amountFen: 234_450, limitFen: 200_000 },
      override: { reasonCode: 'other', note: '出院带药，已电话确认 138****5678', operatorId: 'OP8' },
    });
    expect(s6?.lineId).toBeUndefined();
    expectNoPersonalData(report);
    expect(JSON.stringify(report)).not.toContain('13812345678');
  });

  it('adds up the totals and the summaries, each line at stake counted once', async () => {
    const report = await audit();
    expect(report.totals).toEqual({
      sales: 9,
      lines: 10,
      insuredFen: 190_100,
      findings: 5,
      block: 1,
      warning: 4,
      info: 0,
      overridden: 3,
      notShown: 2,
      salesWithFindings: 4,
      linesAtStake: 5,
      atStakeFen: 184_300,
    });
    expect(report.byRule.map((r) => [r.key, r.findings, r.atStakeFen, r.overridden])).toEqual([
      ['amount-limit', 1, 170_000, 1],
      ['repeat-purchase', 1, 10_600, 1],
      ['stock-shortfall', 1, 1_850, 1],
      ['trace-code-duplicate', 1, 1_850, 0],
      ['trace-code-missing', 1, 1_850, 0],
    ]);
    expect(report.byRule[0]?.label).toEqual({ zh: '超医保支付限额', en: 'Fund ceiling exceeded' });
    expect(report.byMonth.map((r) => [r.key, r.findings, r.sales, r.lines, r.atStakeFen])).toEqual([
      ['2026-10', 1, 1, 1, 10_600],
      ['2026-11', 4, 3, 4, 173_700],
    ]);
    // The whole-sale finding counts for both products of S6, each with its own share (largest remainder).
    expect(report.byProduct.map((r) => [r.key, r.label?.zh, r.findings, r.atStakeFen])).toEqual([
      [P.albumin, '人血白蛋白', 1, 169_674],
      [P.valsartan, '缬沙坦胶囊', 1, 10_600],
      [P.loratadine, '氯雷他定片', 3, 3_700],
      [P.paracetamol, '对乙酰氨基酚片', 1, 326],
    ]);
    expect(report.byOperator.map((r) => [r.key, r.findings, r.sales, r.atStakeFen])).toEqual([
      ['OP8', 2, 2, 171_850],
      ['OP7', 3, 2, 12_450],
    ]);
    expect(report.packs).toEqual([
      { version: 1, packId: 'SIM-220100', source: 'stored', verified: false, sales: 2 },
      { version: 2, packId: 'SIM-220100', source: 'stored', verified: false, sales: 7 },
    ]);
    expect(report.notes.map((n) => n.code).sort()).toEqual(['pack-unverified', 'stock-not-replayed']);
  });

  it('gives the same ledger whether sale keys sort by settlement time (streamed by pages) or not (fetched in time order)', async () => {
    const byTime = await audit({ pageSize: 2 }, chronologicalKey);
    const byId = await audit({ pageSize: 2 });
    expect(rows(byTime.entries)).toEqual(EXPECTED_IN_FORCE);
    expect(byTime).toEqual(byId);
  });

  it('with a newer pack, also finds what the rules of the time let through', async () => {
    const report = await audit({ rulePack: packV2() });
    expect(report.mode).toBe('given');
    expect(rows(report.entries)).toEqual([
      {
        sale: 'S2',
        date: '2026-10-10',
        line: 'L1',
        rule: 'rx-required',
        severity: 'block',
        atStake: 1_050,
        till: 'not-shown',
        origin: 'replay',
      },
      ...EXPECTED_IN_FORCE,
    ]);
    expect(report.entries[0]).toMatchObject({ findingId: 'rx-required:L1:missing', packVersion: 2 });
    expect(report.totals).toMatchObject({
      findings: 6,
      block: 2,
      atStakeFen: 185_350,
      salesWithFindings: 5,
      notShown: 3,
    });
    expect(report.packs).toEqual([{ version: 2, packId: 'SIM-220100', source: 'given', verified: false, sales: 9 }]);
  });

  it('verifies stored packs with the platform keys, and falls back (saying so) when one does not verify', async () => {
    const trusted = await testTrusted();
    const verified = await audit({ trusted });
    expect(verified.packs.every((p) => p.verified)).toBe(true);
    expect(verified.notes.map((n) => n.code)).toEqual(['stock-not-replayed']);

    const storage = memoryStorage();
    await seed(storage, seededSales());
    const v2 = (await storage.get('rulePacks', 'v00000002'))!.value as { pack: { rules: Record<string, unknown> } };
    // Edited on disk: repeat-purchase switched off without a new signature.
    await storage.write([
      {
        op: 'put',
        store: 'rulePacks',
        key: 'v00000002',
        value: {
          ...v2,
          pack: { ...v2.pack, rules: { ...v2.pack.rules, 'repeat-purchase': { enabled: false, params: {} } } },
        },
      },
    ]);
    const tampered = await selfAudit({ storage, catalog, ...PERIOD, trusted });
    expect(tampered.notes.map((n) => n.code).sort()).toEqual(['pack-missing', 'pack-unverified', 'stock-not-replayed']);
    // v2 sales fall back to v1 (rx-required off there): the edit did not hide the repeat purchase.
    expect(rows(tampered.entries).map((r) => r.rule)).toContain('repeat-purchase');
    expect(tampered.packs).toEqual([{ version: 1, packId: 'SIM-220100', source: 'stored', verified: true, sales: 9 }]);
  });

  it('includes info findings only when asked', async () => {
    const report = await audit({ includeInfo: true });
    const info = report.entries.filter((e) => e.severity === 'info');
    expect(info.map((e) => [e.saleId, e.findingId, e.tillOutcome])).toEqual([['S6', 'payment-scope:L1:text', 'shown']]);
    expect(report.totals.info).toBe(1);
  });
});

describe('selfAudit: honest sales', () => {
  it('finds nothing in a journal of honest sales, prescriptions matched by person number only', async () => {
    const honest = seededSales().filter((s) => ['S1', 'S5b', 'S7', 'S10', 'H1'].includes(s.saleId));
    // An Rx sale whose record keeps the prescription as dispensed (its state after this sale) is honest too.
    const dispensed = saleRecord({
      saleId: 'S11',
      at: cst(2026, 11, 16, 10),
      buyer: 'active',
      packVersion: 2,
      lines: [{ productId: P.amoxicillin, quantity: 1, traceCodes: [box(P.amoxicillin, 11)], rxNo: 'RX-S11' }],
      prescriptions: [
        {
          ...seededSales().find((s) => s.saleId === 'S10')!.prescriptions[0]!,
          rxNo: 'RX-S11',
          patient: {},
          status: 'dispensed',
        },
      ],
    });
    const storage = memoryStorage();
    await seed(storage, [...honest, dispensed]);
    const progress: SelfAuditProgress[] = [];
    const report = await selfAudit({
      storage,
      catalog,
      ...PERIOD,
      rulePack: packV2(),
      onProgress: (p) => progress.push(p),
    });
    expect(report.entries).toEqual([]);
    expect(report.totals).toMatchObject({ sales: 5, findings: 0, atStakeFen: 0, salesWithFindings: 0 });
    expect(report.byRule).toEqual([]);
    expect(progress.at(-1)).toEqual({
      phase: 'done',
      salesDone: 6,
      salesTotal: 6,
      linesDone: 5,
      linesTotal: 5,
      findings: 0,
    });
    expect(progress[0]?.phase).toBe('indexing');
  });

  it('lets a refunded box be sold again and stops counting a refunded supply, from the refund on', async () => {
    const storage = memoryStorage();
    await seed(
      storage,
      seededSales().map((s) => (s.saleId === 'S5' ? { ...s, refunds: [], status: 'settled' as const } : s)),
    );
    const report = await selfAudit({ storage, catalog, ...PERIOD });
    // Without the refund, S5b's box was sold before and its buyer still has 5 days of S5's supply.
    expect(report.entries.filter((e) => e.saleId === 'S5b').map((e) => e.ruleId)).toEqual([
      'trace-code-duplicate',
      'repeat-purchase',
    ]);
  });

  it('still finds a prescription the till saw was written for someone else', async () => {
    const [s10] = seededSales().filter((s) => s.saleId === 'S10');
    const other = {
      ...s10!,
      saleId: 'S12',
      review: {
        packVersion: 2,
        findings: [
          {
            findingId: 'rx-required:L1:patient',
            ruleId: 'rx-required' as const,
            lineId: 'L1',
            severity: 'block' as const,
            source: 'local' as const,
            outcome: 'open' as const,
          },
        ],
      },
    };
    const storage = memoryStorage();
    await seed(storage, [other]);
    const report = await selfAudit({ storage, catalog, ...PERIOD });
    expect(report.entries.map((e) => [e.findingId, e.tillOutcome])).toEqual([['rx-required:L1:patient', 'shown']]);
  });
});

describe('selfAudit: edges', () => {
  it('refuses a period that is not one', async () => {
    const storage = memoryStorage();
    for (const [from, to, field] of [
      ['2026-02-30', '2026-03-01', 'from'],
      ['2026-03-01', '2026-03-01', 'to'],
      ['2026-03-01', 'March', 'to'],
    ] as const) {
      const error = await selfAudit({ storage, catalog, from, to }).catch((e: unknown) => e);
      expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
      expect((error as { field: string }).field).toBe(field);
    }
  });

  it('stops with AUDIT_CANCELLED when its signal is aborted', async () => {
    const controller = new AbortController();
    const error = await audit({
      pageSize: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.salesDone >= 3) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'AUDIT_CANCELLED')).toBe(true);
  });

  it('passes over an unreadable record and says so; takes overrides from the audit trail when the record lacks them', async () => {
    const storage = memoryStorage();
    const sales = seededSales().map((s) =>
      s.saleId === 'S3' ? { ...s, review: { packVersion: 2, findings: [] } } : s,
    );
    await seed(storage, sales);
    await storage.write([
      { op: 'put', store: 'sales', key: 'BROKEN', value: { saleId: 'BROKEN', settledAt: 'yesterday' } as never },
      {
        op: 'append',
        journal: 'audit',
        value: {
          kind: 'finding-override',
          at: cst(2026, 10, 12, 9, 58),
          saleId: 'S3',
          finding: {
            findingId: 'repeat-purchase:L1',
            ruleId: 'repeat-purchase',
            lineId: 'L1',
            severity: 'warning',
            source: 'local',
          },
          reasonCode: 'chronic-long-rx',
          note: '',
          by: { operatorId: 'OP9' },
        },
      },
    ]);
    const report = await selfAudit({ storage, catalog, ...PERIOD });
    expect(report.notes.find((n) => n.code === 'record-unreadable')?.count).toBe(1);
    expect(report.entries[0]).toMatchObject({
      saleId: 'S3',
      tillOutcome: 'overridden',
      override: { reasonCode: 'chronic-long-rx', operatorId: 'OP9', reasonLabel: { zh: '慢性病长期处方' } },
    });
  });

  it('notes products missing from the catalog and reports their fund lines as substitution risks', async () => {
    const storage = memoryStorage();
    await seed(storage, seededSales());
    const report = await selfAudit({
      storage,
      catalog: createCatalog(DEMO_CATALOG.filter((p) => p.productId !== P.loratadine)),
      ...PERIOD,
    });
    expect(report.notes.find((n) => n.code === 'products-missing')?.count).toBe(1);
    expect(report.entries.filter((e) => e.ruleId === 'substitution').map((e) => e.saleId)).toEqual([
      'S1',
      'S4',
      'S5',
      'S5b',
    ]);
  });
});

describe('shareOut', () => {
  it('shares in whole fen that add up exactly, the remainder to the largest fractions', () => {
    expect(shareOut(170_000, [234_000, 450])).toEqual([169_674, 326]);
    expect(shareOut(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(shareOut(0, [5, 5])).toEqual([0, 0]);
    expect(shareOut(10, [0, 0])).toEqual([0, 0]);
  });
});
