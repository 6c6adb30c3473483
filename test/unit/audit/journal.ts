/**
 * A seeded sales journal for self-audit tests: SaleRecords written as the terminal keeps them (store `sales`), built
 * from the simulator's demo catalog, people and prescriptions, with known violations and known honest sales; the rule
 * packs installed as the terminal installs them (`rulePacks`, `v00000001`, `current`).
 */
import { simulatorRulePack, type DemoPersonKey } from '../../../adapters/simulator/index.js';
import {
  createMemoryStorage,
  TERMINAL_NAMES,
  type SaleLine,
  type SaleRecord,
  type Storage,
  type TerminalLayout,
} from '../../../src/index.js';
import type { PaymentSplit, RulePack } from '../../../src/schemas/index.js';
import { box, buyerOf, cst, P, prescriptionFor, product, signPack } from '../rules/helpers.js';

export { cst, P, box };

/** Pack v1: rx-required was switched off then (what the replay under the newer pack catches). */
export function packV1(): RulePack {
  const pack = simulatorRulePack('220100', 1);
  return { ...pack, rules: { ...pack.rules, 'rx-required': { enabled: false, params: {} } } };
}
export const packV2 = (): RulePack => simulatorRulePack('220100', 2);

export interface LineSpec {
  readonly productId: string;
  readonly quantity: number;
  readonly payMode?: 'fund' | 'self-pay';
  readonly traceCodes?: readonly string[];
  readonly rxNo?: string;
}

export interface SaleSpec {
  readonly saleId: string;
  readonly at: number;
  readonly buyer?: DemoPersonKey;
  readonly operatorId?: string;
  readonly lines: readonly LineSpec[];
  readonly prescriptions?: SaleRecord['prescriptions'];
  readonly packVersion?: number;
  /** 个人账户 part of the insured payment; the rest of the fund lines is 统筹 unless `cashOnFundFen`. */
  readonly accountFen?: number;
  /** Cash the buyer paid towards fund lines (乙类 co-payment). */
  readonly cashOnFundFen?: number;
  readonly tillFindings?: SaleRecord['review']['findings'];
  readonly refunds?: SaleRecord['refunds'];
}

/** A sale line of a demo product at its retail price. */
export function lineOf(spec: LineSpec, index: number): SaleLine {
  const p = product(spec.productId);
  const unit = p.retailPriceFen ?? 0;
  return {
    lineId: `L${index + 1}`,
    productId: p.productId,
    ...(p.medListCode ? { medListCode: p.medListCode } : {}),
    name: p.genericName,
    specification: p.specification,
    quantity: spec.quantity,
    split: false,
    unitPriceFen: unit,
    amountFen: unit * spec.quantity,
    traceCodes: [...(spec.traceCodes ?? [])],
    ...(spec.rxNo ? { rxNo: spec.rxNo } : {}),
    payMode: spec.payMode ?? 'fund',
  };
}

/** A prescription as a record keeps it: the patient by person number only (or not at all). */
export function recordRx(
  key: DemoPersonKey,
  items: ReadonlyArray<{ productId: string; quantity: number; days?: number }>,
  issuedAt: number,
  patient: 'psnNo' | 'none' = 'psnNo',
): SaleRecord['prescriptions'][number] {
  const rx = prescriptionFor(key, items, { issuedAt, validDays: 3 });
  return { ...rx, patient: patient === 'psnNo' && rx.patient.psnNo !== undefined ? { psnNo: rx.patient.psnNo } : {} };
}

/** A SaleRecord as the terminal writes it at settlement. */
export function saleRecord(spec: SaleSpec): SaleRecord {
  const lines = spec.lines.map(lineOf);
  const fundTotal = lines.filter((l) => l.payMode === 'fund').reduce((s, l) => s + l.amountFen, 0);
  const total = lines.reduce((s, l) => s + l.amountFen, 0);
  const accountFen = spec.accountFen ?? 0;
  const cashOnFund = spec.cashOnFundFen ?? 0;
  const split: PaymentSplit = {
    totalFen: total,
    fundFen: fundTotal - accountFen - cashOnFund,
    accountFen,
    cashFen: total - fundTotal + cashOnFund,
  };
  let buyer: SaleRecord['buyer'];
  if (spec.buyer) {
    const { residentId: _id, ...facts } = buyerOf(spec.buyer);
    buyer = { psnNo: facts.psnNo, insutype: '310', insuplcAdmdvs: '220100', voucherKind: 'ec-qr', facts };
  }
  const refunds = spec.refunds ?? [];
  const refunded = refunds.reduce((s, r) => s + r.lines.reduce((a, l) => a + l.quantity, 0), 0);
  const sold = lines.reduce((s, l) => s + l.quantity, 0);
  return {
    saleId: spec.saleId,
    pharmacyCode: 'P22010100001',
    terminalId: 'T01',
    operatorId: spec.operatorId ?? 'OP7',
    startedAt: spec.at - 120_000,
    settledAt: spec.at,
    ...(buyer ? { buyer } : {}),
    lines,
    prescriptions: spec.prescriptions ?? [],
    ...(fundTotal > 0
      ? {
          settlement: {
            setlId: `SETL-${spec.saleId}`,
            mdtrtId: `MDTRT-${spec.saleId}`,
            msgid: `H22010100001${spec.saleId}`,
          },
        }
      : {}),
    split,
    invoice: { seq: 1, hash: 'a'.repeat(64), signed: true },
    review: {
      ...(spec.packVersion !== undefined ? { packVersion: spec.packVersion } : {}),
      findings: spec.tillFindings ?? [],
    },
    status: refunds.length === 0 ? 'settled' : refunded >= sold ? 'refunded' : 'partly-refunded',
    refunds,
  };
}

/** Boxes of loratadine sold in S1 and again (回流药) in S4. */
const LORATADINE_1 = box(P.loratadine, 1);
const LORATADINE_5 = box(P.loratadine, 5);

/**
 * The seeded journal. Period under audit: 2026-10-01 to 2026-12-01 (exclusive). Known problems:
 *
 * | sale | when | what | at stake |
 * |---|---|---|---|
 * | S3 | 10-12 | valsartan bought again 22 days into a 28-day supply (repeat-purchase), overridden at the till | 10600
 * |
 * | S4 | 11-05 | a loratadine box sold in S1 sold again (trace-code-duplicate), not shown at the till | 1850 |
 * | S5 | 11-06 | 2 boxes of loratadine (a chronic buyer: 12 days allowed), 1 trace code (trace-code-missing, not
 * shown); stock warning overridden at the till; 1 box refunded | 1850 |
 * | S6 | 11-20 | albumin 5 boxes + paracetamol: 2344.50 yuan in one sale (amount-limit), overridden with a phone number
 * in the note | 170000 |
 * | S2 | 10-10 | amoxicillin (Rx) without a prescription, under pack v1 with rx-required off: only a replay under v2
 * finds it | 1050 |
 *
 * Honest: S1, S5b (11-13: the box refunded in S5 sold again, and the refunded supply no longer counts), S7 (anonymous
 * 自费), S10 (Rx with a prescription whose record
 * has no patient person number). Outside the period: H1 (09-20, history for S3), S9 (09-25) and S8 (12-02), both Rx
 * without a prescription.
 */
export function seededSales(): SaleRecord[] {
  return [
    saleRecord({
      saleId: 'H1',
      at: cst(2026, 9, 20, 10),
      buyer: 'active',
      packVersion: 1,
      lines: [
        {
          productId: P.valsartan,
          quantity: 4,
          traceCodes: [box(P.valsartan, 1), box(P.valsartan, 2), box(P.valsartan, 3), box(P.valsartan, 4)],
          rxNo: 'RX-H1',
        },
      ],
      prescriptions: [
        {
          ...recordRx('active', [{ productId: P.valsartan, quantity: 4, days: 28 }], cst(2026, 9, 19, 15)),
          rxNo: 'RX-H1',
        },
      ],
    }),
    saleRecord({
      saleId: 'S9',
      at: cst(2026, 9, 25, 11),
      buyer: 'active',
      packVersion: 2,
      lines: [{ productId: P.amoxicillin, quantity: 1, traceCodes: [box(P.amoxicillin, 9)] }],
    }),
    saleRecord({
      saleId: 'S1',
      at: cst(2026, 10, 8, 9),
      buyer: 'active',
      packVersion: 1,
      lines: [{ productId: P.loratadine, quantity: 1, traceCodes: [LORATADINE_1] }],
    }),
    saleRecord({
      saleId: 'S2',
      at: cst(2026, 10, 10, 9),
      buyer: 'active',
      packVersion: 1,
      lines: [{ productId: P.amoxicillin, quantity: 1, traceCodes: [box(P.amoxicillin, 2)] }],
    }),
    saleRecord({
      saleId: 'S3',
      at: cst(2026, 10, 12, 10),
      buyer: 'active',
      packVersion: 2,
      lines: [
        {
          productId: P.valsartan,
          quantity: 4,
          traceCodes: [box(P.valsartan, 11), box(P.valsartan, 12), box(P.valsartan, 13), box(P.valsartan, 14)],
          rxNo: 'RX-S3',
        },
      ],
      prescriptions: [
        {
          ...recordRx('active', [{ productId: P.valsartan, quantity: 4, days: 28 }], cst(2026, 10, 11, 15)),
          rxNo: 'RX-S3',
        },
      ],
      tillFindings: [
        {
          findingId: 'repeat-purchase:L1',
          ruleId: 'repeat-purchase',
          lineId: 'L1',
          severity: 'warning',
          source: 'local',
          outcome: 'overridden',
          override: { reasonCode: 'doctor-confirmed', note: '医生调整剂量', by: 'OP7' },
        },
      ],
    }),
    saleRecord({
      saleId: 'S4',
      at: cst(2026, 11, 5, 16),
      buyer: 'active',
      operatorId: 'OP8',
      packVersion: 2,
      lines: [{ productId: P.loratadine, quantity: 1, traceCodes: [LORATADINE_1] }],
    }),
    saleRecord({
      saleId: 'S5',
      at: cst(2026, 11, 6, 10),
      buyer: 'chronic',
      packVersion: 2,
      lines: [{ productId: P.loratadine, quantity: 2, traceCodes: [LORATADINE_5] }],
      tillFindings: [
        {
          findingId: 'stock-shortfall:L1',
          ruleId: 'stock-shortfall',
          lineId: 'L1',
          severity: 'warning',
          source: 'local',
          outcome: 'overridden',
          override: { reasonCode: 'stock-recount', note: '', by: 'OP7' },
        },
      ],
      refunds: [
        {
          refundId: 'R1',
          at: cst(2026, 11, 8, 10),
          invoiceSeq: 2,
          lines: [{ lineId: 'L1', quantity: 1, amountFen: 1850 }],
          split: { totalFen: 1850, fundFen: 1850, accountFen: 0, cashFen: 0 },
        },
      ],
    }),
    saleRecord({
      saleId: 'S5b',
      at: cst(2026, 11, 13, 10),
      buyer: 'chronic',
      packVersion: 2,
      lines: [{ productId: P.loratadine, quantity: 1, traceCodes: [LORATADINE_5] }],
    }),
    saleRecord({
      saleId: 'S10',
      at: cst(2026, 11, 15, 10),
      buyer: 'chronic',
      packVersion: 2,
      lines: [{ productId: P.amoxicillin, quantity: 1, traceCodes: [box(P.amoxicillin, 10)], rxNo: 'RX-S10' }],
      prescriptions: [
        {
          ...recordRx('chronic', [{ productId: P.amoxicillin, quantity: 1 }], cst(2026, 11, 15, 8), 'none'),
          rxNo: 'RX-S10',
        },
      ],
    }),
    saleRecord({
      saleId: 'S6',
      at: cst(2026, 11, 20, 14),
      buyer: 'active',
      operatorId: 'OP8',
      packVersion: 2,
      accountFen: 20_000,
      cashOnFundFen: 64_450,
      lines: [
        { productId: P.albumin, quantity: 5, traceCodes: [1, 2, 3, 4, 5].map((n) => box(P.albumin, n)), rxNo: 'RX-S6' },
        { productId: P.paracetamol, quantity: 1, traceCodes: [box(P.paracetamol, 1)] },
      ],
      prescriptions: [
        { ...recordRx('active', [{ productId: P.albumin, quantity: 5 }], cst(2026, 11, 20, 9)), rxNo: 'RX-S6' },
      ],
      tillFindings: [
        {
          findingId: 'payment-scope:L1:text',
          ruleId: 'payment-scope',
          lineId: 'L1',
          severity: 'info',
          source: 'local',
          outcome: 'open',
        },
        {
          findingId: 'amount-limit:sale:sale',
          ruleId: 'amount-limit',
          severity: 'warning',
          source: 'local',
          outcome: 'overridden',
          override: { reasonCode: 'other', note: '出院带药，已电话确认 13812345678', by: 'OP8' },
        },
      ],
    }),
    saleRecord({
      saleId: 'S7',
      at: cst(2026, 11, 21, 18),
      packVersion: 2,
      lines: [{ productId: P.paracetamol, quantity: 1, payMode: 'self-pay', traceCodes: [box(P.paracetamol, 7)] }],
    }),
    saleRecord({
      saleId: 'S8',
      at: cst(2026, 12, 2, 9),
      buyer: 'active',
      packVersion: 2,
      lines: [{ productId: P.amoxicillin, quantity: 1, traceCodes: [box(P.amoxicillin, 8)] }],
    }),
  ];
}

/** Writes sales (keyed by `keyOf`, by default the sale id) and the signed packs v1 and v2 into a storage. */
export async function seed(
  storage: Storage<TerminalLayout>,
  sales: readonly SaleRecord[],
  keyOf: (s: SaleRecord) => string = (s) => s.saleId,
): Promise<void> {
  const v1 = await signPack(packV1());
  const v2 = await signPack(packV2());
  await storage.write([
    { op: 'put', store: 'rulePacks', key: 'v00000001', value: v1 },
    { op: 'put', store: 'rulePacks', key: 'v00000002', value: v2 },
    { op: 'put', store: 'rulePacks', key: 'current', value: v2 },
    ...sales.map((s) => ({ op: 'put' as const, store: 'sales' as const, key: keyOf(s), value: s })),
  ]);
}

export function memoryStorage(): Storage<TerminalLayout> {
  return createMemoryStorage({ names: TERMINAL_NAMES });
}

/** Sale ids as a till that numbers by date would give them (`S20261012-S3`): key order is settlement order. */
export const chronologicalKey = (s: SaleRecord) =>
  `${new Date(s.settledAt + 8 * 3_600_000).toISOString().slice(0, 19).replace(/\D/g, '')}-${s.saleId}`;
