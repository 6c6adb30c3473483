import * as z from 'zod/mini';
import {
  DateSchema,
  EpochMsSchema,
  IdSchema,
  InstitutionCodeSchema,
  MedListCodeSchema,
  NameSchema,
  QuantitySchema,
  ResidentIdSchema,
} from './primitives.js';

/** A prescribed item: the drug, how much, and how it is taken (for days of supply). */
export const PrescriptionItemSchema = z.object({
  medListCode: MedListCodeSchema,
  genericName: z.optional(NameSchema),
  /** Prescribed quantity, in packages. */
  quantity: QuantitySchema,
  /** 单次剂量 description, e.g. `10mg`. */
  doseText: z.optional(z.string().check(z.maxLength(100))),
  /** 使用频次, e.g. `qd`. */
  frequencyText: z.optional(z.string().check(z.maxLength(100))),
  /** 用药天数. */
  days: z.optional(z.int().check(z.gte(1), z.lte(366))),
});

/**
 * An e-prescription (电子处方) as the prescription-circulation platform (处方流转平台) hands it to the
 * pharmacy, or a paper prescription entered by the pharmacist.
 */
export const PrescriptionSchema = z.object({
  /** 处方编号 (`rxno`). */
  rxNo: IdSchema,
  /** 外购处方标志 (`rx_circ_flag`): came through the circulation platform. */
  circulating: z.boolean(),
  issuedAt: EpochMsSchema,
  /** Days the prescription stays valid; the rule pack's default applies when absent. */
  validDays: z.optional(z.int().check(z.gte(1), z.lte(366))),
  hospitalCode: InstitutionCodeSchema,
  hospitalName: NameSchema,
  /** 开方医师 code and name (`bilg_dr_codg`, `bilg_dr_name`). */
  doctorCode: InstitutionCodeSchema,
  doctorName: NameSchema,
  /** Whom it was written for: the platform's person number, and the 身份证 where the platform gives it. */
  patient: z.object({
    psnNo: z.optional(IdSchema),
    residentId: z.optional(ResidentIdSchema),
  }),
  diagnoses: z
    .array(z.object({ code: z.string().check(z.minLength(1), z.maxLength(30)), name: NameSchema }))
    .check(z.maxLength(20)),
  items: z.array(PrescriptionItemSchema).check(z.minLength(1), z.maxLength(50)),
  /** Dispensing state on the circulation platform. */
  status: z.enum(['valid', 'dispensed', 'revoked']),
  /** When it was dispensed, if it was. */
  dispensedOn: z.optional(DateSchema),
});

export type PrescriptionItem = z.infer<typeof PrescriptionItemSchema>;
export type Prescription = z.infer<typeof PrescriptionSchema>;
