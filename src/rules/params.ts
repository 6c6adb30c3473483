import * as z from 'zod/mini';
import type { RuleId } from '../schemas/rule-pack.js';
import type { Severity } from '../schemas/finding.js';

/*
 * Each rule's parameters: their schema, their defaults (what provinces commonly use), and the rule's default
 * severity. A rule pack may set any of them; what it leaves out keeps the default. This is the one place a
 * parameter's name and meaning are defined: a name not listed here is refused (a misspelt threshold would
 * otherwise silently keep its default).
 */

const days = z.int().check(z.gte(1), z.lte(366));
const fen = z.int().check(z.gte(0));
const count = z.number().check(z.gte(0));
const codes = z.array(z.string().check(z.maxLength(30))).check(z.maxLength(1000));

export const RULE_PARAMS = {
  substitution: { severity: 'block', params: z.strictObject({}) },
  'rx-required': {
    severity: 'block',
    params: z.strictObject({
      /** Days an e-prescription stays valid when it does not say (外配处方 commonly 3). */
      prescriptionValidDays: z._default(days, 3),
    }),
  },
  'payment-scope': { severity: 'warning', params: z.strictObject({}) },
  'days-supply': {
    severity: 'warning',
    params: z.strictObject({
      ordinaryDays: z._default(days, 7),
      mobilityImpairedDays: z._default(days, 14),
      chronicDays: z._default(days, 30),
      longChronicDays: z._default(days, 84),
      /** 特殊人员身份 codes (idetinfo) that count as mobility-impaired (行动不便). */
      mobilityImpairedIdentities: z._default(codes, []),
    }),
  },
  'repeat-purchase': {
    severity: 'warning',
    params: z.strictObject({
      /** Share of the earlier supply that may still be left when the drug is bought again (refill-too-soon). */
      tolerance: z._default(z.number().check(z.gte(0), z.lte(1)), 0.2),
      /** How far back purchases are looked at. */
      windowDays: z._default(days, 180),
    }),
  },
  'amount-limit': {
    severity: 'warning',
    params: z.strictObject({
      /** Fund-billed amount of one sale, 0 = no limit. */
      perSaleFen: z._default(fen, 200_000),
      perDayFen: z._default(fen, 300_000),
      perYearFen: z._default(fen, 0),
    }),
  },
  'trace-code-missing': { severity: 'warning', params: z.strictObject({}) },
  'trace-code-mismatch': { severity: 'block', params: z.strictObject({}) },
  'trace-code-duplicate': { severity: 'block', params: z.strictObject({}) },
  'stock-shortfall': { severity: 'warning', params: z.strictObject({}) },
  'pharmacy-suspended': { severity: 'block', params: z.strictObject({}) },
  'buyer-status': { severity: 'block', params: z.strictObject({}) },
  'out-of-area-key-drug': {
    severity: 'warning',
    params: z.strictObject({
      /** Packages of one key drug an out-of-area voucher may buy in one sale. */
      maxPackages: z._default(count, 2),
      /** Fund-billed amount of key drugs an out-of-area voucher may buy in one sale. */
      maxAmountFen: z._default(fen, 50_000),
    }),
  },
  'key-drug-volume': {
    severity: 'info',
    params: z.strictObject({
      /** This sale above `factor` × the buyer's usual packages per purchase of the drug. */
      factor: z._default(z.number().check(z.gt(1)), 2),
      /** With too little history, packages above this count instead. */
      maxPackages: z._default(count, 5),
      windowDays: z._default(days, 365),
      /** Purchases needed before "usual" means anything. */
      minHistory: z._default(z.int().check(z.gte(1)), 2),
    }),
  },
  'platform-analysis': { severity: 'warning', params: z.strictObject({}) },
  /** The till's card while no current rule pack is in force (rules/expiry.ts); `warning` when configured to warn. */
  'rule-pack-expired': { severity: 'block', params: z.strictObject({}) },
} as const satisfies Record<RuleId, { severity: Severity; params: z.ZodMiniType }>;

export type RuleParams<R extends RuleId> = z.output<(typeof RULE_PARAMS)[R]['params']>;
