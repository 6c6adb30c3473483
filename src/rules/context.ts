import type { Prescription } from '../schemas/prescription.js';
import type { SaleLine } from '../schemas/sale.js';
import type { VerifiedBuyer } from '../voucher/buyer.js';
import { defined } from '../defined.js';

/** What the rules know about the buyer: facts from verification (or from the HIS), never the raw identity. */
export interface BuyerFacts {
  readonly psnNo: string;
  readonly sex: 'male' | 'female' | 'unknown';
  readonly age?: number;
  /** 门诊慢特病 codes in force. */
  readonly chronic: readonly string[];
  /**
   * Where `chronic` was confirmed: `platform` when the platform's registrations (5301) answered for this sale (a
   * restriction they do not meet is then a known one), `unconfirmed` when 5301 was asked and could not be (the
   * codes are those of verification only). Absent where nothing was asked (the HIS hook, the self-audit).
   */
  readonly chronicSource?: 'platform' | 'unconfirmed';
  /**
   * The platform's reason where its benefit check (2001) refused the buyer the fund for this sale (masked); absent
   * where it did not, or was not asked.
   */
  readonly benefitRefused?: string;
  /** 特殊人员身份 codes. */
  readonly identities: readonly string[];
  readonly outOfArea: boolean;
  /**
   * Standing for fund use. Verification refuses anyone not `active`, so at the till this is `active`; the HIS
   * hook and the self-audit take it from elsewhere.
   */
  readonly status: 'active' | 'deceased' | 'insurance-suspended' | 'settlement-suspended' | 'not-insured';
  /** For matching an e-prescription's patient: the masked-nowhere 身份证, kept out of findings. */
  readonly residentId?: string;
}

/**
 * Buyer facts from a verified buyer.
 *
 * @example
 * review({ …, buyer: buyerFacts(await terminal.verifyVoucher(request)) })
 */
export function buyerFacts(buyer: VerifiedBuyer): BuyerFacts {
  return {
    psnNo: buyer.psnNo,
    sex: buyer.sex,
    ...defined({ age: buyer.age }),
    chronic: buyer.chronic.map((c) => c.code),
    identities: buyer.identities,
    outOfArea: buyer.outOfArea,
    status: 'active',
    ...(buyer.identity?.residentId ? { residentId: buyer.identity.residentId } : {}),
  };
}

/** One earlier purchase by the buyer (from the local journal or the platform). */
export interface PurchaseRecord {
  readonly at: number;
  readonly productId: string;
  readonly genericName: string;
  readonly packages: number;
  /** Days the purchase supplied, when known. */
  readonly daysSupply?: number;
  /** What the fund paid for it, in 分 (or the fund-billed amount before settlement). */
  readonly fundFen: number;
  readonly keyDrug: boolean;
}

/**
 * A buyer's purchase history indexed for the rules. Build it once per buyer (`indexHistory`) and reuse it for
 * every review of the sale: a year of history is then a few Map lookups per line.
 */
export interface HistoryIndex {
  /** Purchases of a generic drug, oldest first. */
  byGeneric(genericName: string): readonly PurchaseRecord[];
  /** Fund amount (分) on the CST day of `at` and in its calendar year. */
  fundOnDay(day: string): number;
  fundInYear(year: string): number;
}

/** Whether a box has been sold before, here (the local sales journal) or on the platform (YG05, when online). */
export interface TraceCodeView {
  soldBefore(code: string): boolean;
}

/** On-hand stock per product from the stock ledger, undefined when the ledger does not track the product. */
export interface StockView {
  onHand(productId: string): number | undefined;
}

/** Everything one review looks at. */
export interface ReviewInput {
  readonly lines: readonly SaleLine[];
  readonly prescriptions: readonly Prescription[];
  /** Absent for an anonymous self-pay sale. */
  readonly buyer?: BuyerFacts;
  /** The pharmacy's 定点 agreement. */
  readonly pharmacy: { readonly agreement: 'active' | 'suspended' | 'ended' };
  readonly now: number;
  readonly history?: HistoryIndex;
  readonly soldTraceCodes?: TraceCodeView;
  readonly stock?: StockView;
}
