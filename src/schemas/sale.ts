import * as z from 'zod/mini';
import { lineAmountFen } from '../money.js';
import { PrescriptionSchema } from './prescription.js';
import {
  AreaCodeSchema,
  DateSchema,
  EpochMsSchema,
  FenSchema,
  GtinSchema,
  IdSchema,
  InstitutionCodeSchema,
  MedListCodeSchema,
  NameSchema,
  SpecificationSchema,
  QuantitySchema,
  ResidentIdSchema,
  TraceCodeSchema,
} from './primitives.js';

/** Who pays for a line: the fund (医保, with the buyer's account and cash for the rest) or the buyer alone (自费). */
export const PayModeSchema = z.enum(['fund', 'self-pay']);

/** A line of a sale: one product, its quantity and price, and the 追溯码 of each box handed over. */
export const SaleLineSchema = z
  .object({
    lineId: IdSchema,
    productId: IdSchema,
    medListCode: z.optional(MedListCodeSchema),
    name: NameSchema,
    specification: z.optional(SpecificationSchema),
    /** Packages sold; fractional when sold loose (拆零, `split`). */
    quantity: QuantitySchema,
    split: z.boolean(),
    unitPriceFen: FenSchema,
    /** quantity × unit price, rounded half up to the 分. */
    amountFen: FenSchema,
    /** The GTIN scanned, when the line came from a barcode. */
    gtin: z.optional(GtinSchema),
    traceCodes: z.array(TraceCodeSchema).check(z.maxLength(1000)),
    /** 批次号 (`fixmedins_bchno`) of the stock it came from. */
    batchNo: z.optional(IdSchema),
    lotNo: z.optional(z.string().check(z.maxLength(50))),
    expiryDate: z.optional(DateSchema),
    /** The prescription this line is dispensed against. */
    rxNo: z.optional(IdSchema),
    payMode: PayModeSchema,
  })
  .check(
    z.refine((line) => safeAmount(line.unitPriceFen, line.quantity) === line.amountFen, {
      message: 'amountFen must equal quantity × unitPriceFen rounded to the fen',
      path: ['amountFen'],
    }),
    z.refine((line) => line.payMode === 'self-pay' || line.medListCode !== undefined, {
      message: 'A line billed to the fund needs a medical insurance item code',
      path: ['medListCode'],
    }),
  );

function safeAmount(unitPriceFen: number, quantity: number): number | undefined {
  try {
    return lineAmountFen(unitPriceFen, quantity);
  } catch {
    return undefined;
  }
}

/**
 * How a settled total was paid: 统筹基金 (`fund_pay_sumamt`), 个人账户 (`acct_pay`), 现金 (`psn_cash_pay`).
 * The three always add up to the total.
 */
export const PaymentSplitSchema = z
  .object({
    totalFen: FenSchema,
    fundFen: FenSchema,
    accountFen: FenSchema,
    cashFen: FenSchema,
  })
  .check(
    z.refine((s) => s.fundFen + s.accountFen + s.cashFen === s.totalFen, {
      message: 'fund + account + cash must equal the total',
      path: ['totalFen'],
    }),
  );

/** The person physically at the counter when it is not the voucher's holder (代购). Personal data. */
export const ProxyBuyerSchema = z.object({
  residentId: ResidentIdSchema,
  name: NameSchema,
  phone: z.optional(z.string().check(z.regex(/^[0-9+\- ]{5,20}$/, 'Expected a phone number'))),
  relation: z.optional(z.string().check(z.maxLength(50))),
});

/** The buyer as the sale needs them: the platform's person number and insurance, never the raw voucher. */
export const SaleBuyerSchema = z.object({
  psnNo: IdSchema,
  insutype: z.string().check(z.minLength(1), z.maxLength(10)),
  insuplcAdmdvs: AreaCodeSchema,
  voucherKind: z.enum(['ec-qr', 'ssc', 'id-card']),
});

/** A sale at the till, from the first scan to settlement. */
export const SaleSchema = z
  .object({
    saleId: IdSchema,
    pharmacyCode: InstitutionCodeSchema,
    terminalId: IdSchema,
    operatorId: IdSchema,
    startedAt: EpochMsSchema,
    /** Absent for a self-pay sale without a voucher. */
    buyer: z.optional(SaleBuyerSchema),
    proxy: z.optional(ProxyBuyerSchema),
    lines: z.array(SaleLineSchema).check(z.maxLength(200)),
    prescriptions: z.array(PrescriptionSchema).check(z.maxLength(20)),
    status: z.enum(['open', 'settled', 'refunded', 'voided']),
    /** The platform's settlement (2102): its ids and the payment split. */
    settlement: z.optional(
      z.object({
        setlId: IdSchema,
        mdtrtId: IdSchema,
        settledAt: EpochMsSchema,
        split: PaymentSplitSchema,
      }),
    ),
  })
  .check(
    z.refine((sale) => new Set(sale.lines.map((line) => line.lineId)).size === sale.lines.length, {
      message: 'Line ids must be unique within a sale',
      path: ['lines'],
    }),
    z.refine((sale) => sale.buyer !== undefined || sale.lines.every((line) => line.payMode === 'self-pay'), {
      message: 'A sale billed to the fund needs a verified buyer',
      path: ['buyer'],
    }),
    z.refine(
      (sale) =>
        sale.status === 'open'
          ? sale.settlement === undefined
          : sale.status === 'voided' ||
            sale.settlement !== undefined ||
            sale.lines.every((line) => line.payMode === 'self-pay'),
      {
        message: 'An open sale has no settlement; a settled or refunded sale with fund lines has one',
        path: ['settlement'],
      },
    ),
  );

export type PayMode = z.infer<typeof PayModeSchema>;
export type SaleLine = z.infer<typeof SaleLineSchema>;
export type PaymentSplit = z.infer<typeof PaymentSplitSchema>;
export type ProxyBuyer = z.infer<typeof ProxyBuyerSchema>;
export type SaleBuyer = z.infer<typeof SaleBuyerSchema>;
export type Sale = z.infer<typeof SaleSchema>;
