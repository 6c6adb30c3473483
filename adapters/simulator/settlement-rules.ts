import type { Product } from '../../src/index.js';
import type { PaymentRestriction } from '../../src/schemas/index.js';
import { roundHalfUp } from './wire.js';

/**
 * How the simulator splits a pharmacy purchase (2101/2102), per 险种. Simplified, but every step is one a real
 * settlement has, in integer 分:
 *
 * 1. Per line: a product with no 医保 code, class C (丙), or a 限定支付范围 the buyer does not meet (慢特病
 *    registration, age, sex; a text-only restriction is trusted) is 全自费 (`fulamt_ownpay_amt`). Otherwise the
 *    amount above the 支付标准 (`priceCapFen` × cnt) is 超限价自费 (`overlmt_selfpay`); of the rest, class A (甲) is
 *    fully in scope and class B (乙) pays 10% 先行自付 (`preselfpay_amt`, rounded half up) first.
 * 2. The in-scope total (`inscp_scp_amt`) first fills what is left of the year's 起付线 (`act_pay_dedc`); the fund
 *    (`hifp_pay` = `fund_pay_sumamt`) pays `fundRatioPct`% of the remainder, rounded half up. A buyer insured in
 *    another province without 异地就医 filing gets no fund payment (the simulator files no one).
 * 3. The personal part (`psn_part_amt` = total − fund) is paid from the personal account when `acct_used_flag` is 1,
 *    up to the balance, except for goods without a 医保 code (an account never pays for 保健品/日用品); the rest is
 *    cash (`psn_cash_pay`). fund + account + cash = total, always.
 *
 * @example
 * SETTLEMENT_PLANS['310'] // { annualDeductibleFen: 10_000, fundRatioPct: 70, … }
 */
export const SETTLEMENT_PLANS: Readonly<Record<string, InsurancePlan>> = {
  '310': {
    name: '职工基本医疗保险',
    annualDeductibleFen: 10_000,
    fundRatioPct: 70,
    fundPayType: '310100',
    fundPayTypeName: '职工基本医疗保险统筹基金',
  },
  '390': {
    name: '城乡居民基本医疗保险',
    annualDeductibleFen: 0,
    fundRatioPct: 50,
    fundPayType: '390100',
    fundPayTypeName: '城乡居民基本医疗保险基金',
  },
};

/** One 险种's pharmacy outpatient (门诊统筹) policy in the simulator. */
export interface InsurancePlan {
  readonly name: string;
  /** 起付线 per calendar year, in 分. */
  readonly annualDeductibleFen: number;
  /** Share of the in-scope amount above the 起付线 that the fund pays, in percent. */
  readonly fundRatioPct: number;
  /** `setldetail[].fund_pay_type` of the fund. */
  readonly fundPayType: string;
  readonly fundPayTypeName: string;
}

/** A line as the split needs it. @inline */
export interface SplitLineInput {
  readonly feedetlSn: string;
  readonly medListCode: string;
  readonly amountFen: number;
  /** The count in ten-thousandths (the wire's 16,4). */
  readonly countTenThousandths: number;
}

/** Who is buying, as the restrictions need it. @inline */
export interface SplitBuyer {
  readonly age: number;
  readonly sex: 'male' | 'female';
  readonly chronicCodes: ReadonlySet<string>;
}

/** Why a line is wholly self-paid. */
export type SelfPayReason = 'no-medical-code' | 'class-c' | 'restriction-not-met';

/** How one line of a purchase is paid, in 分: full own pay + over the cap + 先行自付 + in scope = amount. */
export interface LineSplit {
  readonly feedetlSn: string;
  readonly amountFen: number;
  readonly fullOwnPayFen: number;
  readonly overLimitFen: number;
  readonly preSelfPayFen: number;
  readonly inScopeFen: number;
  /** 甲 A, 乙 B, 丙 C, or none when the product has no 医保 code. */
  readonly insuranceClass: 'A' | 'B' | 'C' | 'none';
  readonly selfPayReason?: SelfPayReason;
  /** The 支付标准 of the line (cap × count), where the product has one. */
  readonly capAmountFen?: number;
}

/** A whole settlement's split, in 分. fund + account + cash = total. */
export interface SplitResult {
  readonly totalFen: number;
  readonly fullOwnPayFen: number;
  readonly overLimitFen: number;
  readonly preSelfPayFen: number;
  readonly inScopeFen: number;
  /** What this purchase counted toward the year's 起付线. */
  readonly deductibleFen: number;
  readonly fundFen: number;
  readonly personFen: number;
  readonly accountFen: number;
  readonly cashFen: number;
  readonly balanceAfterFen: number;
  readonly fundRatioPct: number;
  readonly lines: readonly LineSplit[];
}

/**
 * Whether the buyer meets a 限定支付范围. Text-only conditions cannot be checked by machine: the pharmacist answers for them.
 *
 * @example
 * meetsRestriction({ diseaseCodes: ['M03100'] }, { age: 70, sex: 'female', chronicCodes: new Set(['M03100']) }) // true
 */
export function meetsRestriction(restriction: PaymentRestriction, buyer: SplitBuyer): boolean {
  if (restriction.sex !== undefined && restriction.sex !== buyer.sex) return false;
  if (restriction.minAge !== undefined && buyer.age < restriction.minAge) return false;
  if (restriction.maxAge !== undefined && buyer.age > restriction.maxAge) return false;
  if (restriction.diseaseCodes !== undefined && !restriction.diseaseCodes.some((code) => buyer.chronicCodes.has(code)))
    return false;
  return true;
}

function splitLine(line: SplitLineInput, product: Product | undefined, buyer: SplitBuyer): LineSplit {
  const whole = (insuranceClass: LineSplit['insuranceClass'], selfPayReason: SelfPayReason): LineSplit => ({
    feedetlSn: line.feedetlSn,
    amountFen: line.amountFen,
    fullOwnPayFen: line.amountFen,
    overLimitFen: 0,
    preSelfPayFen: 0,
    inScopeFen: 0,
    insuranceClass,
    selfPayReason,
  });
  if (!product || product.insuranceClass === undefined) return whole('none', 'no-medical-code');
  if (product.insuranceClass === 'C') return whole('C', 'class-c');
  if (product.paymentRestriction && !meetsRestriction(product.paymentRestriction, buyer))
    return whole(product.insuranceClass, 'restriction-not-met');
  const capAmountFen =
    product.priceCapFen === undefined
      ? undefined
      : roundHalfUp(BigInt(product.priceCapFen) * BigInt(line.countTenThousandths), 10_000n);
  const overLimitFen = capAmountFen === undefined ? 0 : Math.max(0, line.amountFen - capAmountFen);
  const base = line.amountFen - overLimitFen;
  const preSelfPayFen = product.insuranceClass === 'B' ? roundHalfUp(BigInt(base) * 10n, 100n) : 0;
  return {
    feedetlSn: line.feedetlSn,
    amountFen: line.amountFen,
    fullOwnPayFen: 0,
    overLimitFen,
    preSelfPayFen,
    inScopeFen: base - preSelfPayFen,
    insuranceClass: product.insuranceClass,
    ...(capAmountFen === undefined ? {} : { capAmountFen }),
  };
}

/**
 * Splits a purchase by the rules of {@link SETTLEMENT_PLANS}. Pure: the caller applies the result (debits the
 * account, counts the 起付线) only when it settles.
 *
 * @example
 * computeSplit({ lines, product: (code) => catalog.get(code), buyer, plan: SETTLEMENT_PLANS['310'], deductibleLeftFen:
 * 0, balanceFen: 5000, useAccount: true, fundPays: true })
 */
export function computeSplit(args: {
  readonly lines: readonly SplitLineInput[];
  readonly product: (medListCode: string) => Product | undefined;
  readonly buyer: SplitBuyer;
  readonly plan: InsurancePlan;
  readonly deductibleLeftFen: number;
  readonly balanceFen: number;
  readonly useAccount: boolean;
  /** False for a buyer from another province without 异地 filing. */
  readonly fundPays: boolean;
}): SplitResult {
  const lines = args.lines.map((line) => splitLine(line, args.product(line.medListCode), args.buyer));
  const sum = (pick: (l: LineSplit) => number) => lines.reduce((total, l) => total + pick(l), 0);
  const totalFen = sum((l) => l.amountFen);
  const inScopeFen = sum((l) => l.inScopeFen);
  const deductibleFen = args.fundPays ? Math.min(Math.max(0, args.deductibleLeftFen), inScopeFen) : 0;
  const fundRatioPct = args.fundPays ? args.plan.fundRatioPct : 0;
  const fundFen = roundHalfUp(BigInt(inScopeFen - deductibleFen) * BigInt(fundRatioPct), 100n);
  const personFen = totalFen - fundFen;
  // Goods without a 医保 code are wholly the person's, and never the account's.
  const notForAccount = sum((l) => (l.selfPayReason === 'no-medical-code' ? l.amountFen : 0));
  const accountFen = args.useAccount
    ? Math.min(Math.max(0, args.balanceFen), Math.max(0, personFen - notForAccount))
    : 0;
  return {
    totalFen,
    fullOwnPayFen: sum((l) => l.fullOwnPayFen),
    overLimitFen: sum((l) => l.overLimitFen),
    preSelfPayFen: sum((l) => l.preSelfPayFen),
    inScopeFen,
    deductibleFen,
    fundFen,
    personFen,
    accountFen,
    cashFen: personFen - accountFen,
    balanceAfterFen: args.balanceFen - accountFen,
    fundRatioPct,
    lines,
  };
}
