import * as z from 'zod/mini';
import { RuleIdSchema } from './rule-pack.js';
import { EpochMsSchema, IdSchema, NameSchema, QuantitySchema, ReasonCodeSchema, TextSchema } from './primitives.js';

/**
 * How serious a finding is. `info` is shown; a `warning` stops settlement until it is overridden with a
 * reason; a `block` cannot be overridden: the line is removed, switched to 自费, or changed.
 */
export const SeveritySchema = z.enum(['info', 'warning', 'block']);

/** A one-call fix the till can apply to the sale. */
export const SuggestedActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('remove-line'), lineId: IdSchema }),
  z.object({ kind: z.literal('switch-to-self-pay'), lineId: IdSchema }),
  z.object({ kind: z.literal('reduce-quantity'), lineId: IdSchema, quantity: QuantitySchema }),
  z.object({ kind: z.literal('attach-prescription'), lineId: IdSchema }),
]);

/** A fact behind a finding: a number, a code, a date. Never unmasked personal data. */
export const EvidenceValueSchema = z.union([z.string().check(z.maxLength(500)), z.number(), z.boolean(), z.null()]);

/** A rule's finding about a sale, shown as a card. */
export const FindingSchema = z.object({
  findingId: IdSchema,
  ruleId: RuleIdSchema,
  /** The sale line it concerns; absent for findings about the whole sale (the buyer, the pharmacy). */
  lineId: z.optional(IdSchema),
  severity: SeveritySchema,
  /** One line for the card's title (at most 140 characters, as CDS Hooks asks). */
  summary: z.object({
    zh: z.string().check(z.minLength(1), z.maxLength(140)),
    en: z.string().check(z.minLength(1), z.maxLength(140)),
  }),
  detail: TextSchema,
  evidence: z.record(z.string().check(z.maxLength(64)), EvidenceValueSchema),
  actions: z.array(SuggestedActionSchema).check(z.maxLength(10)),
  /** Whether the till's rule pack found it or the platform's 3101 analysis did. */
  source: z.enum(['local', 'platform']),
});

/** A pharmacist's decision to let a warning pass: reason code from the rule pack, free text, who, when. */
export const OverrideSchema = z.object({
  findingId: IdSchema,
  ruleId: RuleIdSchema,
  reasonCode: ReasonCodeSchema,
  note: z.string().check(z.maxLength(500)),
  by: z.object({ operatorId: IdSchema, name: z.optional(NameSchema) }),
  at: EpochMsSchema,
});

export type Severity = z.infer<typeof SeveritySchema>;
export type SuggestedAction = z.infer<typeof SuggestedActionSchema>;
export type EvidenceValue = z.infer<typeof EvidenceValueSchema>;
export type Finding = z.infer<typeof FindingSchema>;
export type Override = z.infer<typeof OverrideSchema>;
