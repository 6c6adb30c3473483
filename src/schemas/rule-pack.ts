import * as z from 'zod/mini';
import {
  AreaCodeSchema,
  Ed25519SignatureSchema,
  EpochMsSchema,
  InstitutionCodeSchema,
  ReasonCodeSchema,
  IdSchema,
  NameSchema,
  TextSchema,
} from './primitives.js';

/** The stable ids of the pharmacy rules. A rule pack parameterises them; findings name them. */
export const RULE_IDS = [
  'substitution',
  'rx-required',
  'payment-scope',
  'days-supply',
  'repeat-purchase',
  'amount-limit',
  'trace-code-missing',
  'trace-code-mismatch',
  'trace-code-duplicate',
  'stock-shortfall',
  'pharmacy-suspended',
  'buyer-status',
  'out-of-area-key-drug',
  'key-drug-volume',
  /** A finding of the platform's own 3101 analysis that no local rule corresponds to. */
  'platform-analysis',
  /**
   * The till's own card when the rule pack it had is past its `validUntil` (or not yet valid) and no current one is
   * in force: insured settlement waits for a current pack (or, configured to warn, for a pharmacist's reason).
   */
  'rule-pack-expired',
] as const;
export const RuleIdSchema = z.enum(RULE_IDS);
export type RuleId = z.infer<typeof RuleIdSchema>;

/** A rule parameter: a number, a string, a flag, or a list of them (thresholds, day counts, codes). */
export const RuleParamSchema = z.union([
  z.number(),
  z.string().check(z.maxLength(500)),
  z.boolean(),
  z.array(z.union([z.number(), z.string().check(z.maxLength(200))])).check(z.maxLength(10_000)),
]);

/** How the pack sets one rule: on or off, a severity that replaces the rule's default, and its parameters. */
export const RuleSettingSchema = z.object({
  enabled: z.boolean(),
  severity: z.optional(z.enum(['info', 'warning', 'block'])),
  params: z.record(z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9]*$/)), RuleParamSchema),
});

/** A key drug to monitor (seed 003 attachment 1), by generic name and dosage form. */
export const KeyDrugSchema = z.object({
  kind: z.enum(['western', 'patent', 'herbal', 'consumable']),
  name: NameSchema,
  dosageForm: z.optional(z.string().check(z.maxLength(100))),
});

/** A reason a pharmacist may give when overriding a warning. */
export const OverrideReasonSchema = z.object({
  code: ReasonCodeSchema,
  label: TextSchema,
});

/**
 * How the till identifies buyers (实名购药), as local policy sets it: whether 身份证 alone may be used, and when
 * repeated verifications of one person look like a lent or traded voucher (velocity).
 */
export const VoucherPolicySchema = z.object({
  /** 身份证 alone is accepted for insured purchases (some areas allow it, most require the e-voucher or card). */
  residentIdAlone: z.boolean(),
  /** The window over which verifications of one person are counted, in minutes. */
  velocityWindowMinutes: z.int().check(z.gte(1), z.lte(7 * 24 * 60)),
  /** More verifications than this in the window at this store draw a warning. */
  maxVerificationsPerWindow: z.int().check(z.gte(1), z.lte(1000)),
  /** Verifications from more terminals than this in the window draw a warning. */
  maxTerminalsPerWindow: z.int().check(z.gte(1), z.lte(100)),
});

/** The policy a till applies when no rule pack says otherwise. */
export const DEFAULT_VOUCHER_POLICY: VoucherPolicy = {
  residentIdAlone: false,
  velocityWindowMinutes: 30,
  maxVerificationsPerWindow: 3,
  maxTerminalsPerWindow: 1,
};

/**
 * A rule pack: data, not code. Published and signed by the platform, verified before use, swapped without a
 * release. It applies only where it was issued (its `area`, its `pharmacies` when it names them, the till's pack
 * series `packId`); a newer `version` of the series replaces an older one; a pack leaves force at `validUntil`.
 */
export const RulePackSchema = z
  .object({
    format: z.literal('yibao-guard.rule-pack/1'),
    packId: IdSchema,
    version: z.int().check(z.gte(1)),
    issuer: NameSchema,
    /** The 医保区划 whose policy it carries: a till of another area refuses it (`RULE_PACK_WRONG_SCOPE`). */
    area: AreaCodeSchema,
    /**
     * The 定点药店 (`fixmedins_code`) it is issued to, when the platform addresses a pack to some pharmacies of the
     * area only (a pharmacy under special supervision); absent, it is for every pharmacy of the area. A till whose
     * pharmacy is not listed refuses it (`RULE_PACK_WRONG_SCOPE`).
     */
    pharmacies: z.optional(z.array(InstitutionCodeSchema).check(z.minLength(1), z.maxLength(10_000))),
    issuedAt: EpochMsSchema,
    validFrom: EpochMsSchema,
    validUntil: EpochMsSchema,
    rules: z.partialRecord(RuleIdSchema, RuleSettingSchema),
    overrideReasons: z.array(OverrideReasonSchema).check(z.minLength(1), z.maxLength(100)),
    keyDrugs: z.array(KeyDrugSchema).check(z.maxLength(1000)),
    voucherPolicy: z.optional(VoucherPolicySchema),
    /** The platform's 3101 `rule_id`s and the local rule each corresponds to (for merging without duplicates). */
    platformRules: z.optional(z.record(z.string().check(z.minLength(1), z.maxLength(64)), RuleIdSchema)),
  })
  .check(
    z.refine((pack) => pack.validUntil > pack.validFrom, {
      message: 'validUntil must be after validFrom',
      path: ['validUntil'],
    }),
    z.refine((pack) => new Set(pack.overrideReasons.map((r) => r.code)).size === pack.overrideReasons.length, {
      message: 'Override reason codes must be unique',
      path: ['overrideReasons'],
    }),
  );

/** A pack as published: the pack, the id of the platform key that signed it, and the Ed25519 signature (base64url). */
export const SignedRulePackSchema = z.object({
  pack: RulePackSchema,
  keyId: IdSchema,
  sig: Ed25519SignatureSchema,
});

export type RuleParam = z.infer<typeof RuleParamSchema>;
export type RuleSetting = z.infer<typeof RuleSettingSchema>;
export type KeyDrug = z.infer<typeof KeyDrugSchema>;
export type OverrideReason = z.infer<typeof OverrideReasonSchema>;
export type VoucherPolicy = z.infer<typeof VoucherPolicySchema>;
export type RulePack = z.infer<typeof RulePackSchema>;
export type SignedRulePack = z.infer<typeof SignedRulePackSchema>;
