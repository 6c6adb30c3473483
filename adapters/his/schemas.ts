import * as z from 'zod/mini';
import {
  EpochMsSchema,
  FenSchema,
  GtinSchema,
  IdSchema,
  InstitutionCodeSchema,
  MedListCodeSchema,
  NameSchema,
  OverrideAuditEventSchema,
  PayModeSchema,
  PrescriptionSchema,
  QuantitySchema,
  ReasonCodeSchema,
  ResidentIdSchema,
  SuggestedActionSchema,
  TraceCodeSchema,
} from '../../src/schemas/index.js';

/*
 * What an HIS sends: a CDS Hooks request (hook, hookInstance, context) whose context carries the patient as the HIS
 * holds them, the draft orders with their 医保 codes, and the prescriptions; and the feedback on the cards it showed.
 * Each field is defined here once; the types are inferred.
 */

/** The hooks this service answers: the doctor picks a drug, signs the orders, or the cashier is about to pre-settle. */
export const HIS_HOOKS = ['order-select', 'order-sign', 'yibao-presettle'] as const;
export const HisHookSchema = z.enum(HIS_HOOKS);
export type HisHook = z.infer<typeof HisHookSchema>;

/** A CDS Hooks user reference such as `Practitioner/D001`. */
export const HisUserIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'Expected a user reference such as Practitioner/D001'),
  );

/** An RFC 4122 UUID, as cards and suggestions are named. */
export const UuidSchema = z
  .string()
  .check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'Expected a UUID'));

const CodeListSchema = z.array(z.string().check(z.minLength(1), z.maxLength(30))).check(z.maxLength(100));

/** One draft order line: the HIS's drug (its own id and the 医保 code billed), how much, for how many days, paid how. */
export const HisOrderSchema = z.object({
  /** The HIS's id of the order line; cards point at it. */
  orderId: IdSchema,
  /** The clinic's drug id (`fixmedins_hilist_id`), as in the catalog the service was given. */
  productId: IdSchema,
  /** 医保目录编码 billed; defaults to the catalog's code for the product. */
  medListCode: z.optional(MedListCodeSchema),
  name: z.optional(NameSchema),
  /** Packages; fractional when dispensed loose (拆零, `split`). */
  quantity: QuantitySchema,
  split: z.optional(z.boolean()),
  /** Price per package in 分; defaults to the catalog's retail price. */
  unitPriceFen: z.optional(FenSchema),
  /** Defaults to `fund` for an insured patient and a drug the fund pays for, else `self-pay`. */
  payMode: z.optional(PayModeSchema),
  /** 用药天数 the doctor prescribes (order hooks). */
  days: z.optional(z.int().check(z.gte(1), z.lte(366))),
  /** 追溯码 of the boxes handed over (yibao-presettle, when dispensed). */
  traceCodes: z.optional(z.array(TraceCodeSchema).check(z.maxLength(1000))),
  gtin: z.optional(GtinSchema),
  /** The prescription (in `context.prescriptions`) the line is dispensed against (yibao-presettle). */
  rxNo: z.optional(IdSchema),
});
export type HisOrder = z.infer<typeof HisOrderSchema>;

/** The patient's insurance as the HIS learnt it (1101 at registration): person number and standing. */
export const HisInsuranceSchema = z.object({
  psnNo: IdSchema,
  status: z.enum(['active', 'deceased', 'insurance-suspended', 'settlement-suspended', 'not-insured']),
  /** Insured in another area (异地). */
  outOfArea: z.optional(z.boolean()),
  /** 门诊慢特病 codes in force. */
  chronic: z.optional(CodeListSchema),
  /** 特殊人员身份 codes. */
  identities: z.optional(CodeListSchema),
});

/** The patient as the HIS holds them. Personal data: used for the rules, never echoed in answers, errors or logs. */
export const HisPatientSchema = z.object({
  /** 身份证; sex and age are read from it when not given. */
  residentId: z.optional(ResidentIdSchema),
  sex: z.optional(z.enum(['male', 'female', 'unknown'])),
  age: z.optional(z.int().check(z.gte(0), z.lte(150))),
  /** Absent for a patient paying for everything themselves (自费). */
  insurance: z.optional(HisInsuranceSchema),
});

/** One earlier purchase of the patient, for refill-too-soon, ceilings and volumes. */
export const HisPurchaseSchema = z.object({
  at: EpochMsSchema,
  productId: IdSchema,
  genericName: NameSchema,
  packages: QuantitySchema,
  daysSupply: z.optional(z.int().check(z.gte(1), z.lte(366))),
  fundFen: FenSchema,
  keyDrug: z.boolean(),
});

/** The hook's context. */
export const HisContextSchema = z
  .object({
    /** Who is acting in the HIS (doctor or cashier), e.g. `Practitioner/D001`. */
    userId: HisUserIdSchema,
    /** The HIS's patient id. It may well be a 身份证: never echoed. */
    patientId: z.string().check(z.minLength(1), z.maxLength(64)),
    /** 就诊号: the visit the orders belong to (cards and feedback are tied to it). */
    encounterId: z.optional(IdSchema),
    /** order-select: the orders just selected (cards about other orders are left out). */
    selections: z.optional(z.array(IdSchema).check(z.maxLength(200))),
    patient: z.optional(HisPatientSchema),
    draftOrders: z.array(HisOrderSchema).check(z.minLength(1), z.maxLength(200)),
    prescriptions: z.optional(z.array(PrescriptionSchema).check(z.maxLength(20))),
    /** The prescribing doctor, for the prescription the draft orders make (order hooks). */
    prescriber: z.optional(z.object({ code: InstitutionCodeSchema, name: NameSchema })),
    history: z.optional(z.array(HisPurchaseSchema).check(z.maxLength(10_000))),
  })
  .check(
    z.refine((c) => new Set(c.draftOrders.map((o) => o.orderId)).size === c.draftOrders.length, {
      message: 'Order ids must be unique',
      path: ['draftOrders'],
    }),
    z.refine((c) => (c.selections ?? []).every((id) => c.draftOrders.some((o) => o.orderId === id)), {
      message: 'Every selection must name a draft order',
      path: ['selections'],
    }),
  );
export type HisContext = z.infer<typeof HisContextSchema>;

/**
 * A CDS Hooks service request. Fields CDS Hooks defines and this service does not use (fhirServer, prefetch) are
 * accepted and ignored.
 */
export const HookRequestSchema = z.object({
  hook: HisHookSchema,
  hookInstance: IdSchema,
  fhirServer: z.optional(z.string().check(z.maxLength(2000))),
  context: HisContextSchema,
  prefetch: z.optional(z.record(z.string(), z.unknown())),
});
export type HookRequest = z.infer<typeof HookRequestSchema>;

/** A coded value (CDS Hooks `Coding`): here, an override reason of the rule pack. */
export const CodingSchema = z.object({
  code: ReasonCodeSchema,
  system: z.optional(z.string().check(z.maxLength(500))),
  display: z.optional(z.string().check(z.maxLength(500))),
});

/** What the user did with one card. */
export const FeedbackItemSchema = z
  .object({
    card: UuidSchema,
    outcome: z.enum(['accepted', 'overridden']),
    acceptedSuggestions: z.optional(z.array(z.object({ id: UuidSchema })).check(z.maxLength(20))),
    overrideReason: z.optional(
      z.object({
        reason: z.optional(CodingSchema),
        userComment: z.optional(z.string().check(z.maxLength(500))),
      }),
    ),
    outcomeTimestamp: z
      .string()
      .check(
        z.refine(
          (t) => /^\d{4}-\d{2}-\d{2}T/.test(t) && !Number.isNaN(Date.parse(t)),
          'Expected an ISO 8601 date-time',
        ),
      ),
    /**
     * Who decided, when not the user of the hook call that showed the card (an extension of ours). Over HTTP the HIS
     * states it and nothing proves it: the audit names the token's identity as the operator and keeps this only as
     * a display note (`by.name`, marked as stated by the HIS).
     */
    userId: z.optional(HisUserIdSchema),
  })
  .check(
    z.refine((f) => f.outcome === 'accepted' || f.acceptedSuggestions === undefined, {
      message: 'An overridden card accepts no suggestion',
      path: ['acceptedSuggestions'],
    }),
    z.refine((f) => f.outcome === 'overridden' || f.overrideReason === undefined, {
      message: 'An accepted card has no override reason',
      path: ['overrideReason'],
    }),
  );
export type FeedbackItem = z.infer<typeof FeedbackItemSchema>;

/** A CDS Hooks feedback request: one entry per card the user acted on. */
export const FeedbackRequestSchema = z.object({
  feedback: z.array(FeedbackItemSchema).check(z.minLength(1), z.maxLength(100)),
});
export type FeedbackRequest = z.infer<typeof FeedbackRequestSchema>;

/**
 * A card as the service keeps it for feedback (store `hisCards`, by card uuid): what the feedback on it is judged by,
 * which token identities it was shown to, and which decisions were recorded. No personal data: the finding is
 * referenced by id, rule, line and severity; the user ids are the HIS's staff references.
 */
export const HisCardRecordSchema = z.object({
  serviceId: IdSchema,
  saleId: IdSchema,
  finding: OverrideAuditEventSchema.shape.finding,
  stopLevel: z.enum(['none', 'soft', 'reason-required', 'hard']),
  selectionBehavior: z.optional(z.enum(['at-most-one', 'any'])),
  suggestions: z.array(z.object({ uuid: UuidSchema, action: SuggestedActionSchema })).check(z.maxLength(100)),
  /** Override reason codes of the pack the card was shown under. */
  reasons: z.array(ReasonCodeSchema).check(z.maxLength(100)),
  /**
   * The identities (`HisCaller.key`, or `in-process`) the card was shown to, with the user of that hook call; latest
   * last.
   */
  holders: z
    .array(z.object({ identity: z.string().check(z.minLength(1), z.maxLength(64)), userId: HisUserIdSchema }))
    .check(z.minLength(1), z.maxLength(16)),
  /** Decisions recorded (`override`, `accept:{suggestion uuid}`). */
  decided: z.array(z.string().check(z.maxLength(100))).check(z.maxLength(200)),
  /** Feedback is taken until then (epoch ms): the card's retention after it was last shown. */
  until: z.number(),
});
export type HisCardRecord = z.infer<typeof HisCardRecordSchema>;
