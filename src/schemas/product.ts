import * as z from 'zod/mini';
import {
  FenSchema,
  GtinSchema,
  IdSchema,
  MedListCodeSchema,
  NameSchema,
  SpecificationSchema,
  QuantitySchema,
  TraceCodePrefixSchema,
} from './primitives.js';

/**
 * What a product is. The first four kinds can be billed to the fund; the others (保健品, 日用品, 食品, 化妆品,
 * 器械) never can, and billing one under a drug's 医保 code is 串换.
 */
export const PRODUCT_CATEGORIES = [
  'western-drug', // 西药
  'patent-medicine', // 中成药
  'herbal-pieces', // 中药饮片
  'consumable', // 医用耗材
  'health-product', // 保健品
  'daily-goods', // 日用品
  'food', // 食品
  'cosmetic', // 化妆品
  'device', // 器械
] as const;
export const ProductCategorySchema = z.enum(PRODUCT_CATEGORIES);
export type ProductCategory = z.infer<typeof ProductCategorySchema>;

/** The kinds the fund may pay for, given a 医保 code. */
export const FUND_ELIGIBLE_CATEGORIES: ReadonlySet<ProductCategory> = new Set([
  'western-drug',
  'patent-medicine',
  'herbal-pieces',
  'consumable',
]);

/** Chinese labels of the categories, for screens and reports. */
export const PRODUCT_CATEGORY_ZH: Readonly<Record<ProductCategory, string>> = {
  'western-drug': '西药',
  'patent-medicine': '中成药',
  'herbal-pieces': '中药饮片',
  consumable: '医用耗材',
  'health-product': '保健品',
  'daily-goods': '日用品',
  food: '食品',
  cosmetic: '化妆品',
  device: '器械',
};

/** 医保目录 class: 甲 (A, fully in scope), 乙 (B, part self-paid first), 丙/自费 (C, out of scope). */
export const InsuranceClassSchema = z.enum(['A', 'B', 'C']);

/**
 * 限定支付范围 as structured data: the fund pays only when every stated condition holds. `text` keeps the
 * catalog's wording for conditions that are not machine-checkable (shown to the pharmacist).
 */
export const PaymentRestrictionSchema = z
  .object({
    sex: z.optional(z.enum(['male', 'female'])),
    minAge: z.optional(z.int().check(z.gte(0), z.lte(150))),
    maxAge: z.optional(z.int().check(z.gte(0), z.lte(150))),
    /** 慢特病 codes of which the buyer must hold at least one registration. */
    diseaseCodes: z.optional(
      z.array(z.string().check(z.minLength(1), z.maxLength(30))).check(z.minLength(1), z.maxLength(100)),
    ),
    text: z.optional(z.string().check(z.maxLength(1000))),
  })
  .check(
    z.refine((r) => r.minAge === undefined || r.maxAge === undefined || r.minAge <= r.maxAge, {
      message: 'minAge must not exceed maxAge',
      path: ['maxAge'],
    }),
  );

/** A product of the pharmacy's catalog, matched from a scan. */
export const ProductSchema = z
  .object({
    /** The pharmacy's own item id (`fixmedins_hilist_id`). */
    productId: IdSchema,
    /** 医保目录编码, required for the kinds the fund may pay for; absent for goods the fund never pays. */
    medListCode: z.optional(MedListCodeSchema),
    /** 通用名. */
    genericName: NameSchema,
    /** 商品名. */
    tradeName: z.optional(NameSchema),
    /** 规格, e.g. `10mg*28片`. */
    specification: SpecificationSchema,
    /** 剂型, e.g. 片剂, 注射剂 (matches the key-drug list's dosage forms). */
    dosageForm: z.optional(z.string().check(z.minLength(1), z.maxLength(50))),
    category: ProductCategorySchema,
    insuranceClass: z.optional(InsuranceClassSchema),
    /** Smallest units (片, 粒, 支) per package. */
    packageSize: z.int().check(z.gte(1), z.lte(100_000)),
    /** 包装单位, e.g. 盒. */
    packageUnit: NameSchema,
    /** 最小使用单位, e.g. 片. */
    minUnit: NameSchema,
    /** 处方药. */
    rx: z.boolean(),
    paymentRestriction: z.optional(PaymentRestrictionSchema),
    /** Usual daily dose in smallest units, for days-of-supply. */
    dailyDoseUnits: z.optional(QuantitySchema),
    /** Most days of supply one sale may carry, where the catalog sets one for this product. */
    maxDaysSupply: z.optional(z.int().check(z.gte(1), z.lte(366))),
    /** Retail barcodes of the package. */
    gtins: z.array(GtinSchema).check(z.maxLength(20)),
    /** 追溯码 product prefix (药品标识码) of the package. */
    traceCodePrefix: z.optional(TraceCodePrefixSchema),
    /** On seed 003 attachment 1 (重点药品耗材). */
    keyDrug: z.boolean(),
    /** 医保支付标准 / price cap per package. */
    priceCapFen: z.optional(FenSchema),
    /** The pharmacy's retail price per package. */
    retailPriceFen: z.optional(FenSchema),
    /** 批准文号. */
    approvalNo: z.optional(z.string().check(z.maxLength(100))),
    manufacturer: z.optional(z.string().check(z.maxLength(200))),
  })
  .check(
    z.refine((p) => !FUND_ELIGIBLE_CATEGORIES.has(p.category) || p.medListCode !== undefined, {
      message: 'A drug or consumable needs its medical insurance item code',
      path: ['medListCode'],
    }),
    z.refine(
      (p) => FUND_ELIGIBLE_CATEGORIES.has(p.category) || p.insuranceClass === undefined || p.insuranceClass === 'C',
      {
        message: 'Goods the fund never pays for cannot be in class A or B',
        path: ['insuranceClass'],
      },
    ),
  );

export type PaymentRestriction = z.infer<typeof PaymentRestrictionSchema>;
export type Product = z.infer<typeof ProductSchema>;
