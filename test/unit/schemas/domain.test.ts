import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import {
  EcTokenSchema,
  FindingSchema,
  MOVEMENT_INFNO,
  OverrideSchema,
  PaymentSplitSchema,
  PrescriptionSchema,
  ProductSchema,
  RULE_IDS,
  RulePackSchema,
  SaleLineSchema,
  SaleSchema,
  SignedInvoiceSchema,
  StockMovementSchema,
  VoucherInputSchema,
  FUND_ELIGIBLE_CATEGORIES,
  PRODUCT_CATEGORIES,
} from '../../../src/schemas/index.js';
import * as fx from '../../fixtures/domain.js';

/** The paths of the issues a schema reports for `value`; empty when it parses. */
function issuePaths(schema: z.ZodMiniType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('voucher input', () => {
  it('accepts the three ways a buyer identifies', () => {
    expect(issuePaths(VoucherInputSchema, { kind: 'ec-qr', qr: 'https://example/ec?code=220100A1B2C3' })).toEqual([]);
    expect(issuePaths(VoucherInputSchema, { kind: 'ssc', cardNo: 'A12345678', residentId: fx.HOLDER_ID })).toEqual([]);
    expect(issuePaths(VoucherInputSchema, { kind: 'id-card', residentId: fx.HOLDER_ID })).toEqual([]);
  });

  it('refuses empty, huge and wrong-checksum scans before any network call', () => {
    expect(issuePaths(VoucherInputSchema, { kind: 'ec-qr', qr: '' })).toEqual(['qr']);
    expect(issuePaths(VoucherInputSchema, { kind: 'ec-qr', qr: 'x'.repeat(100_000) })).toEqual(['qr']);
    expect(issuePaths(VoucherInputSchema, { kind: 'id-card', residentId: '110105194912310021' })).toEqual([
      'residentId',
    ]);
    expect(issuePaths(VoucherInputSchema, { kind: 'ssc', cardNo: 'A1', residentId: fx.HOLDER_ID })).toEqual(['cardNo']);
    expect(issuePaths(VoucherInputSchema, { kind: 'passport', number: 'E123' })).not.toEqual([]);
  });

  it('recognises the e-voucher token shape: an area code, then letters and digits', () => {
    expect(EcTokenSchema.safeParse('220100' + 'AbCd0123456789XYZ0123456789ab').success).toBe(true);
    expect(EcTokenSchema.safeParse('990100' + 'AbCd0123456789XYZ0123456789ab').success).toBe(false);
    expect(EcTokenSchema.safeParse('220100short').success).toBe(false);
    expect(EcTokenSchema.safeParse('220100' + 'AbCd0123456789XYZ-123456789ab').success).toBe(false);
  });
});

describe('catalog product', () => {
  it('accepts a full product record', () => {
    expect(issuePaths(ProductSchema, fx.product())).toEqual([]);
  });

  it('requires a 医保 code for the kinds the fund may pay, and none for goods it never pays', () => {
    const { medListCode: _dropped, ...noCode } = fx.product();
    expect(issuePaths(ProductSchema, noCode)).toEqual(['medListCode']);
    const supplement = { ...noCode, category: 'health-product', insuranceClass: undefined, rx: false };
    delete (supplement as { insuranceClass?: unknown }).insuranceClass;
    expect(issuePaths(ProductSchema, supplement)).toEqual([]);
    expect(issuePaths(ProductSchema, { ...supplement, insuranceClass: 'A' })).toEqual(['insuranceClass']);
  });

  it('keeps the fund-eligible kinds to drugs and consumables', () => {
    expect([...FUND_ELIGIBLE_CATEGORIES].sort()).toEqual([
      'consumable',
      'herbal-pieces',
      'patent-medicine',
      'western-drug',
    ]);
    expect(PRODUCT_CATEGORIES).toEqual(
      expect.arrayContaining(['health-product', 'daily-goods', 'food', 'cosmetic', 'device']),
    );
  });

  it('refuses inconsistent restrictions, bad barcodes and bad trace prefixes', () => {
    const p = fx.product();
    expect(issuePaths(ProductSchema, { ...p, paymentRestriction: { minAge: 60, maxAge: 18 } })).toEqual([
      'paymentRestriction.maxAge',
    ]);
    expect(issuePaths(ProductSchema, { ...p, gtins: ['6901234567893'] })).toEqual(['gtins.0']);
    expect(issuePaths(ProductSchema, { ...p, traceCodePrefix: '1234567' })).toEqual(['traceCodePrefix']);
    expect(issuePaths(ProductSchema, { ...p, packageSize: 0 })).toEqual(['packageSize']);
    expect(issuePaths(ProductSchema, { ...p, category: '保健品' })).toEqual(['category']);
  });
});

describe('sale line and sale', () => {
  it('accepts a line whose amount is quantity × price', () => {
    expect(issuePaths(SaleLineSchema, fx.line())).toEqual([]);
    expect(issuePaths(SaleLineSchema, fx.line({ quantity: 0.5, split: true, amountFen: 1435 }))).toEqual([]);
  });

  it('refuses a line whose amount does not match, or that bills the fund without a 医保 code', () => {
    expect(issuePaths(SaleLineSchema, fx.line({ amountFen: 5741 }))).toEqual(['amountFen']);
    const { medListCode: _dropped, ...noCode } = fx.line();
    expect(issuePaths(SaleLineSchema, noCode)).toEqual(['medListCode']);
    expect(issuePaths(SaleLineSchema, { ...noCode, payMode: 'self-pay' })).toEqual([]);
  });

  it('refuses fractional fen, zero and over-precise quantities, and bad trace codes', () => {
    expect(issuePaths(SaleLineSchema, fx.line({ unitPriceFen: 28.7, amountFen: 57.4 }))).toContain('unitPriceFen');
    expect(issuePaths(SaleLineSchema, fx.line({ quantity: 0, amountFen: 0 }))).toContain('quantity');
    expect(issuePaths(SaleLineSchema, fx.line({ quantity: 1.00001 }))).toContain('quantity');
    expect(issuePaths(SaleLineSchema, fx.line({ traceCodes: ['8123456000000000001'] }))).toEqual(['traceCodes.0']);
  });

  it('accepts an open sale and refuses duplicate line ids', () => {
    expect(issuePaths(SaleSchema, fx.sale())).toEqual([]);
    expect(issuePaths(SaleSchema, fx.sale({ lines: [fx.line(), fx.line()] }))).toEqual(['lines']);
  });

  it('needs a verified buyer for fund lines but not for a self-pay sale', () => {
    const { buyer: _dropped, ...anonymous } = fx.sale();
    expect(issuePaths(SaleSchema, anonymous)).toEqual(['buyer']);
    expect(issuePaths(SaleSchema, { ...anonymous, lines: [fx.line({ payMode: 'self-pay' })] })).toEqual([]);
  });

  it('ties settlement to status', () => {
    const settlement = {
      setlId: 'SETL0001',
      mdtrtId: 'MDTRT0001',
      settledAt: Date.UTC(2026, 10, 23, 2, 5),
      split: { totalFen: 5740, fundFen: 4000, accountFen: 1240, cashFen: 500 },
    };
    expect(issuePaths(SaleSchema, fx.sale({ status: 'settled', settlement }))).toEqual([]);
    expect(issuePaths(SaleSchema, fx.sale({ status: 'settled' }))).toEqual(['settlement']);
    expect(issuePaths(SaleSchema, fx.sale({ status: 'open', settlement }))).toEqual(['settlement']);
  });

  it('records a proxy buyer only with a valid 身份证', () => {
    expect(
      issuePaths(SaleSchema, fx.sale({ proxy: { residentId: fx.PROXY_ID, name: '李四', relation: '子女' } })),
    ).toEqual([]);
    expect(issuePaths(SaleSchema, fx.sale({ proxy: { residentId: '220102198503150036', name: '李四' } }))).toEqual([
      'proxy.residentId',
    ]);
  });
});

describe('payment split', () => {
  it('adds up: fund + account + cash = total', () => {
    expect(issuePaths(PaymentSplitSchema, { totalFen: 100, fundFen: 60, accountFen: 30, cashFen: 10 })).toEqual([]);
    expect(issuePaths(PaymentSplitSchema, { totalFen: 100, fundFen: 60, accountFen: 30, cashFen: 11 })).toEqual([
      'totalFen',
    ]);
    expect(issuePaths(PaymentSplitSchema, { totalFen: 100, fundFen: 110, accountFen: 0, cashFen: -10 })).toContain(
      'cashFen',
    );
  });
});

describe('prescription', () => {
  it('accepts an e-prescription and refuses one with no items or an unknown status', () => {
    expect(issuePaths(PrescriptionSchema, fx.prescription())).toEqual([]);
    expect(issuePaths(PrescriptionSchema, { ...fx.prescription(), items: [] })).toEqual(['items']);
    expect(issuePaths(PrescriptionSchema, { ...fx.prescription(), status: 'used' })).toEqual(['status']);
  });
});

describe('invoice', () => {
  it('accepts a signed sale invoice', () => {
    expect(issuePaths(SignedInvoiceSchema, fx.signedInvoice())).toEqual([]);
  });

  it('refuses lines that do not add up, a refund that names nothing, a sale that reverses, a bad hash or signature', () => {
    const inv = fx.signedInvoice();
    expect(
      issuePaths(SignedInvoiceSchema, {
        ...inv,
        body: { ...inv.body, split: { totalFen: 5741, fundFen: 4000, accountFen: 1240, cashFen: 501 } },
      }),
    ).toEqual(['body.split.totalFen']);
    expect(issuePaths(SignedInvoiceSchema, { ...inv, body: { ...inv.body, kind: 'refund' } })).toEqual([
      'body.reverses',
    ]);
    expect(
      issuePaths(SignedInvoiceSchema, { ...inv, body: { ...inv.body, reverses: { seq: 1, hash: 'a'.repeat(64) } } }),
    ).toEqual(['body.reverses']);
    expect(issuePaths(SignedInvoiceSchema, { ...inv, body: { ...inv.body, prevHash: 'A'.repeat(64) } })).toEqual([
      'body.prevHash',
    ]);
    expect(issuePaths(SignedInvoiceSchema, { ...inv, sig: 'A'.repeat(85) })).toEqual(['sig']);
    expect(issuePaths(SignedInvoiceSchema, { ...inv, body: { ...inv.body, seq: 0 } })).toEqual(['body.seq']);
  });
});

describe('stock movement', () => {
  it('accepts each kind and names its platform transaction', () => {
    const base = fx.purchase();
    const {
      quantity: _q,
      supplierName: _s,
      unitCostFen: _c,
      kind: _k,
      ...core
    } = base as Extract<typeof base, { kind: 'purchase' }>;
    const movements = [
      base,
      {
        ...core,
        kind: 'purchase-return',
        quantity: 1,
        purchaseId: 'M-0001',
        supplierName: '吉林省医药有限公司',
        unitCostFen: 2100,
      },
      {
        ...core,
        kind: 'sale',
        quantity: 1,
        split: false,
        saleId: 'S-0001',
        lineId: 'L1',
        unitPriceFen: 2870,
        payMode: 'fund',
      },
      {
        ...core,
        kind: 'sale-return',
        quantity: 1,
        split: false,
        saleMovementId: 'M-0003',
        saleId: 'S-0001',
        lineId: 'L1',
        unitPriceFen: 2870,
      },
      { ...core, kind: 'stock-count', countedQuantity: 0 },
      { ...core, kind: 'info-change', changeType: '104', quantityDelta: -0.5, split: true },
    ];
    for (const movement of movements) expect(issuePaths(StockMovementSchema, movement), movement.kind).toEqual([]);
    expect(Object.keys(MOVEMENT_INFNO).sort()).toEqual(movements.map((m) => m.kind).sort());
    expect(Object.values(MOVEMENT_INFNO).sort()).toEqual(['3501', '3502', '3503', '3504', '3505', '3506']);
  });

  it('refuses an unknown kind, a zero change and a negative count', () => {
    const base = fx.purchase();
    expect(issuePaths(StockMovementSchema, { ...base, kind: 'theft' })).not.toEqual([]);
    expect(
      issuePaths(StockMovementSchema, {
        ...base,
        kind: 'info-change',
        changeType: '104',
        quantityDelta: 0,
        split: false,
      }),
    ).toEqual(['quantityDelta']);
    expect(issuePaths(StockMovementSchema, { ...base, kind: 'stock-count', countedQuantity: -1 })).toEqual([
      'countedQuantity',
    ]);
  });
});

describe('rule pack, finding, override', () => {
  it('accepts a pack and refuses one whose validity ends before it starts or that has no override reasons', () => {
    const pack = fx.rulePack();
    expect(issuePaths(RulePackSchema, pack)).toEqual([]);
    expect(issuePaths(RulePackSchema, { ...pack, validUntil: pack.validFrom })).toEqual(['validUntil']);
    expect(issuePaths(RulePackSchema, { ...pack, overrideReasons: [] })).toEqual(['overrideReasons']);
    expect(
      issuePaths(RulePackSchema, { ...pack, overrideReasons: [...pack.overrideReasons, ...pack.overrideReasons] }),
    ).toEqual(['overrideReasons']);
  });

  it('knows exactly the rule ids the till reports', () => {
    expect(RULE_IDS).toHaveLength(16);
    expect(RULE_IDS).toContain('platform-analysis');
    expect(RULE_IDS).toContain('rule-pack-expired');
    const pack = fx.rulePack();
    expect(
      issuePaths(RulePackSchema, { ...pack, rules: { 'no-such-rule': { enabled: true, params: {} } } }),
    ).not.toEqual([]);
  });

  it('accepts a finding card and an override, and refuses a summary over 140 characters', () => {
    expect(issuePaths(FindingSchema, fx.finding())).toEqual([]);
    expect(issuePaths(OverrideSchema, fx.override())).toEqual([]);
    expect(issuePaths(FindingSchema, { ...fx.finding(), summary: { zh: '长'.repeat(141), en: 'x' } })).toEqual([
      'summary.zh',
    ]);
    expect(issuePaths(FindingSchema, { ...fx.finding(), severity: 'critical' })).toEqual(['severity']);
    expect(issuePaths(OverrideSchema, { ...fx.override(), reasonCode: 'no spaces allowed' })).toEqual(['reasonCode']);
  });
});
