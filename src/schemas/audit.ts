import * as z from 'zod/mini';
import { SeveritySchema, SuggestedActionSchema } from './finding.js';
import { EpochMsSchema, IdSchema, NameSchema, ReasonCodeSchema } from './primitives.js';
import { RuleIdSchema } from './rule-pack.js';

/*
 * The audit trail: what happened at the till, kept in the append-only `audit` journal and uploaded with the
 * sales. Free of unmasked personal data by construction: identities appear only masked (身份证 first 4 + last
 * 4, surname only) or as the platform's person number.
 */

/** A voucher verification attempt, successful or not. */
export const VoucherAuditEventSchema = z.object({
  kind: z.literal('voucher-verification'),
  at: EpochMsSchema,
  terminalId: IdSchema,
  operatorId: IdSchema,
  voucherKind: z.enum(['ec-qr', 'ssc', 'id-card', 'unreadable']),
  /** `verified`, or the error code the attempt ended with. */
  outcome: z.string().check(z.regex(/^[a-z]+$|^[A-Z][A-Z0-9_]+$/)),
  /** The platform's person number, once known. */
  psnNo: z.optional(z.string().check(z.maxLength(30))),
  /** The voucher as shown to staff: a masked 身份证 or card number, or the token's area code. */
  voucherHint: z.optional(z.string().check(z.maxLength(64))),
  /** Who was physically buying, masked. */
  buyer: z.object({
    kind: z.enum(['holder', 'proxy']),
    residentIdMasked: z.optional(z.string().check(z.maxLength(18))),
    nameMasked: z.optional(z.string().check(z.maxLength(50))),
    relation: z.optional(z.string().check(z.maxLength(50))),
  }),
  warnings: z.array(z.string().check(z.maxLength(64))).check(z.maxLength(20)),
});

const findingRef = z.object({
  findingId: z.string().check(z.maxLength(200)),
  ruleId: RuleIdSchema,
  lineId: z.optional(IdSchema),
  severity: SeveritySchema,
  source: z.enum(['local', 'platform']),
});

/** A review of a sale: which findings it showed (the cards the pharmacist saw). */
export const ReviewAuditEventSchema = z.object({
  kind: z.literal('sale-review'),
  at: EpochMsSchema,
  saleId: IdSchema,
  operatorId: IdSchema,
  packVersion: z.optional(z.int()),
  findings: z.array(findingRef).check(z.maxLength(1000)),
});

/** A warning overridden: by whom, with which reason code and note. */
export const OverrideAuditEventSchema = z.object({
  kind: z.literal('finding-override'),
  at: EpochMsSchema,
  saleId: IdSchema,
  finding: findingRef,
  reasonCode: ReasonCodeSchema,
  note: z.string().check(z.maxLength(500)),
  by: z.object({ operatorId: IdSchema, name: z.optional(NameSchema) }),
});

/**
 * A suggested action applied to a finding's line (removed, switched to 自费, quantity reduced, prescription attached).
 */
export const ActionAuditEventSchema = z.object({
  kind: z.literal('finding-action'),
  at: EpochMsSchema,
  saleId: IdSchema,
  operatorId: IdSchema,
  findingId: z.optional(z.string().check(z.maxLength(200))),
  action: SuggestedActionSchema,
});

/**
 * An invoice issued while the device clock was behind the book's last time (a clock set back): the invoice is dated
 * at the book's time (`at`, issue times never go backwards) and says so itself (`clockBehindMs`); here is the
 * device's own time.
 */
export const ClockAuditEventSchema = z.object({
  kind: z.literal('clock-behind'),
  /** The invoice's issue time (the book's time line). */
  at: EpochMsSchema,
  terminalId: IdSchema,
  /** The sale (or refunded sale) the invoice belongs to, when it belongs to one. */
  saleId: z.optional(IdSchema),
  invoiceSeq: z.int().check(z.gte(1)),
  /** What the device clock said. */
  deviceTime: EpochMsSchema,
  behindMs: z.int().check(z.gte(1)),
});

/** Any event of the audit trail. */
export const AuditEventSchema = z.discriminatedUnion('kind', [
  VoucherAuditEventSchema,
  ReviewAuditEventSchema,
  OverrideAuditEventSchema,
  ActionAuditEventSchema,
  ClockAuditEventSchema,
]);

export type VoucherAuditEvent = z.infer<typeof VoucherAuditEventSchema>;
export type ReviewAuditEvent = z.infer<typeof ReviewAuditEventSchema>;
export type OverrideAuditEvent = z.infer<typeof OverrideAuditEventSchema>;
export type ActionAuditEvent = z.infer<typeof ActionAuditEventSchema>;
export type ClockAuditEvent = z.infer<typeof ClockAuditEventSchema>;
export type AuditEvent = z.infer<typeof AuditEventSchema>;
