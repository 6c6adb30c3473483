import * as z from 'zod/mini';
import { PayModeSchema } from './sale.js';
import {
  CountSchema,
  DateSchema,
  EpochMsSchema,
  FenSchema,
  IdSchema,
  MedListCodeSchema,
  NameSchema,
  QuantityDeltaSchema,
  QuantitySchema,
  TraceCodeSchema,
} from './primitives.js';

/*
 * 进销存: every change of stock, as the pharmacy records it and reports it (3501–3507). One schema per kind,
 * a shared core for what every movement says: which product, which batch, when, which boxes.
 */

const movementCore = {
  movementId: IdSchema,
  at: EpochMsSchema,
  productId: IdSchema,
  medListCode: z.optional(MedListCodeSchema),
  productName: NameSchema,
  /** The pharmacy's batch number (`fixmedins_bchno`). */
  batchNo: IdSchema,
  /** 生产批号 (`manu_lotnum`). */
  lotNo: z.optional(z.string().check(z.maxLength(50))),
  manufactureDate: z.optional(DateSchema),
  expiryDate: z.optional(DateSchema),
  traceCodes: z.array(TraceCodeSchema).check(z.maxLength(10_000)),
  operatorId: IdSchema,
};

/** 3503 purchase (采购入库). */
export const PurchaseMovementSchema = z.object({
  ...movementCore,
  kind: z.literal('purchase'),
  quantity: QuantitySchema,
  supplierName: NameSchema,
  supplierCode: z.optional(z.string().check(z.maxLength(50))),
  /** 最终成交单价 per package. */
  unitCostFen: FenSchema,
  purchaseInvoiceNo: z.optional(z.string().check(z.maxLength(50))),
  approvalNo: z.optional(z.string().check(z.maxLength(100))),
  manufacturer: z.optional(z.string().check(z.maxLength(200))),
});

/** 3504 purchase return (采购退货). */
export const PurchaseReturnMovementSchema = z.object({
  ...movementCore,
  kind: z.literal('purchase-return'),
  quantity: QuantitySchema,
  /** The purchase being returned. */
  purchaseId: IdSchema,
  supplierName: NameSchema,
  unitCostFen: FenSchema,
});

/** 3505 sale (销售出库). */
export const SaleMovementSchema = z.object({
  ...movementCore,
  kind: z.literal('sale'),
  quantity: QuantitySchema,
  split: z.boolean(),
  saleId: IdSchema,
  lineId: IdSchema,
  unitPriceFen: FenSchema,
  payMode: PayModeSchema,
  setlId: z.optional(IdSchema),
  rxNo: z.optional(IdSchema),
});

/** 3506 sale return (销售退货). */
export const SaleReturnMovementSchema = z.object({
  ...movementCore,
  kind: z.literal('sale-return'),
  quantity: QuantitySchema,
  split: z.boolean(),
  /** The sale movement being returned. */
  saleMovementId: IdSchema,
  saleId: IdSchema,
  lineId: IdSchema,
  unitPriceFen: FenSchema,
});

/** 3501 stock count (盘存): what was found on the shelf, which may be zero. */
export const StockCountMovementSchema = z.object({
  ...movementCore,
  kind: z.literal('stock-count'),
  countedQuantity: CountSchema,
});

/** 3502 stock information change (库存变更: 报损, 拆零, 价格调整, …); `changeType` is the platform's `inv_chg_type`. */
export const InfoChangeMovementSchema = z.object({
  ...movementCore,
  kind: z.literal('info-change'),
  changeType: z.string().check(z.regex(/^[0-9A-Za-z]{1,6}$/, 'Expected the platform change-type code')),
  /** Signed change of stock in packages: negative for 报损, positive for 报溢. */
  quantityDelta: QuantityDeltaSchema,
  split: z.boolean(),
  unitPriceFen: z.optional(FenSchema),
});

/** Any stock movement. */
export const StockMovementSchema = z.discriminatedUnion('kind', [
  PurchaseMovementSchema,
  PurchaseReturnMovementSchema,
  SaleMovementSchema,
  SaleReturnMovementSchema,
  StockCountMovementSchema,
  InfoChangeMovementSchema,
]);

/** The platform transaction that reports each kind of movement. */
export const MOVEMENT_INFNO = {
  'stock-count': '3501',
  'info-change': '3502',
  purchase: '3503',
  'purchase-return': '3504',
  sale: '3505',
  'sale-return': '3506',
} as const satisfies Record<StockMovement['kind'], string>;

export type StockMovement = z.infer<typeof StockMovementSchema>;
export type StockMovementKind = StockMovement['kind'];
export type PurchaseMovement = z.infer<typeof PurchaseMovementSchema>;
export type SaleMovement = z.infer<typeof SaleMovementSchema>;
