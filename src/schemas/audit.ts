import * as z from 'zod/mini';
import { EpochMsSchema, IdSchema } from './primitives.js';

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

/** Any event of the audit trail. */
export const AuditEventSchema = z.discriminatedUnion('kind', [VoucherAuditEventSchema]);

export type VoucherAuditEvent = z.infer<typeof VoucherAuditEventSchema>;
export type AuditEvent = z.infer<typeof AuditEventSchema>;
