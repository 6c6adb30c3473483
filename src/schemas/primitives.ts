import * as z from 'zod/mini';
import { isWellFormedText } from '../canonical-json.js';
import {
  isValidAreaCode,
  isValidGtin,
  isValidMedListCode,
  isValidResidentId,
  isValidTraceCode,
  isCalendarDate,
} from '../codes/index.js';
import { quantityToTenThousandths } from '../money.js';

/** An identifier we make or receive (sale, line, movement, finding): printable ASCII, no spaces. */
export const IdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'Expected an identifier of letters, digits and . _ : -'),
  );

/** A designated institution's code (`fixmedins_code`), a supplier's or a doctor's code. */
export const InstitutionCodeSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(30), z.regex(/^[A-Za-z0-9]+$/, 'Expected letters and digits'));

/** 18-character 居民身份证 number, GB 11643 check character verified. Personal data: mask before showing. */
export const ResidentIdSchema = z.string().check(z.refine(isValidResidentId, 'Expected a valid resident ID number'));

/** 6-digit 医保区划. */
export const AreaCodeSchema = z.string().check(z.refine(isValidAreaCode, 'Expected a 6-digit area code'));

/** GTIN-8/12/13/14 with a valid check digit. */
export const GtinSchema = z.string().check(z.refine(isValidGtin, 'Expected a GTIN with a valid check digit'));

/** 20-digit 药品追溯码. */
export const TraceCodeSchema = z
  .string()
  .check(z.refine(isValidTraceCode, 'Expected a 20-digit drug traceability code'));

/** The 7-digit product prefix (药品标识码) of a 追溯码. */
export const TraceCodePrefixSchema = z
  .string()
  .check(z.regex(/^8\d{6}$/, 'Expected the 7-digit product prefix of a traceability code'));

/** 医保目录编码 (`med_list_codg`). */
export const MedListCodeSchema = z
  .string()
  .check(z.refine(isValidMedListCode, 'Expected a medical insurance item code'));

/** Integer 分, zero or more. */
export const FenSchema = z.int().check(z.gte(0, 'Expected an amount of 0 fen or more'));

/** A time: milliseconds since the Unix epoch, from the injected clock. */
export const EpochMsSchema = z.int().check(z.gte(0));

/** A positive quantity with at most four decimals (拆零 quantities are fractional packages). */
export const QuantitySchema = z
  .number()
  .check(z.refine(isQuantity, 'Expected a positive quantity with at most 4 decimals'));

/** A quantity that may be zero (a stock count). */
export const CountSchema = z
  .number()
  .check(z.refine((n) => n === 0 || isQuantity(n), 'Expected 0 or a positive quantity with at most 4 decimals'));

/** A non-zero signed change of quantity with at most four decimals (报损 is negative). */
export const QuantityDeltaSchema = z
  .number()
  .check(z.refine((n) => isQuantity(Math.abs(n)), 'Expected a non-zero quantity change with at most 4 decimals'));

function isQuantity(n: number): boolean {
  try {
    quantityToTenThousandths(n);
    return true;
  } catch {
    return false;
  }
}

/** A calendar date `yyyy-MM-dd` that exists (no 2023-02-29). */
export const DateSchema = z.string().check(z.refine(isCalendarDate, 'Expected a real date as yyyy-MM-dd'));

/** A message in both languages: Chinese for staff, English for developers and logs. */
export const TextSchema = z.object({
  zh: z.string().check(z.minLength(1), z.maxLength(2000)),
  en: z.string().check(z.minLength(1), z.maxLength(2000)),
});
export type Text = z.infer<typeof TextSchema>;

/** A short, non-empty name or label (product names, doctor names, units): well-formed text. */
export const NameSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(200),
    z.refine(isWellFormedText, 'Expected well-formed text (no lone UTF-16 surrogate)'),
  );

/** A product's specification (规格), as printed on the receipt: well-formed text, up to 200 UTF-16 code units. */
export const SpecificationSchema = z
  .string()
  .check(z.maxLength(200), z.refine(isWellFormedText, 'Expected well-formed text (no lone UTF-16 surrogate)'));

/** Lowercase hex SHA-256. */
export const Sha256HexSchema = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'Expected a lowercase hex SHA-256'));

/** An Ed25519 signature, base64url without padding (64 bytes → 86 characters). */
export const Ed25519SignatureSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{86}$/, 'Expected a base64url Ed25519 signature'));

/** A reason code of the rule pack's override list. */
export const ReasonCodeSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,32}$/, 'Expected a reason code of letters, digits, _ and -'));
