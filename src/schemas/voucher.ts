import * as z from 'zod/mini';
import { AreaCodeSchema, ResidentIdSchema } from './primitives.js';

/*
 * How a buyer identifies at the till. A scanner or card reader delivers the raw text; the schema bounds its
 * size so a stuck scanner or a pasted file is refused before any parsing work.
 */

/** 医保电子凭证 QR text exactly as the scanner delivers it (decoded into a token by the voucher module). */
export const EcQrVoucherSchema = z.object({
  kind: z.literal('ec-qr'),
  qr: z.string().check(z.minLength(1, 'The scan is empty'), z.maxLength(2048, 'The scan is too long for a voucher QR')),
});

/** 社会保障卡: the card number (卡号) printed on it, the reader's 卡识别码 when there is one, and the holder's 身份证. */
export const SocialSecurityCardVoucherSchema = z.object({
  kind: z.literal('ssc'),
  cardNo: z.string().check(z.regex(/^[A-Za-z0-9]{6,20}$/, 'Expected a social security card number')),
  cardSn: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9]{1,32}$/, 'Expected a card serial of up to 32 letters and digits')),
  ),
  residentId: ResidentIdSchema,
});

/** 居民身份证 alone, where local policy allows it. */
export const ResidentIdVoucherSchema = z.object({
  kind: z.literal('id-card'),
  residentId: ResidentIdSchema,
});

/** Any of the three ways a buyer identifies. */
export const VoucherInputSchema = z.discriminatedUnion('kind', [
  EcQrVoucherSchema,
  SocialSecurityCardVoucherSchema,
  ResidentIdVoucherSchema,
]);

/**
 * The e-voucher token (`ecToken`) a QR decodes to: the 6-digit area code of issue, then letters and digits.
 * Sent as `mdtrt_cert_no` with `mdtrt_cert_type` 01.
 */
export const EcTokenSchema = z.string().check(
  z.regex(/^\d{6}[0-9A-Za-z]{16,64}$/, 'Expected an e-voucher token: area code then letters and digits'),
  z.refine(
    (token) => AreaCodeSchema.safeParse(token.slice(0, 6)).success,
    'The token does not start with a valid area code',
  ),
);

export type VoucherInput = z.infer<typeof VoucherInputSchema>;
export type EcQrVoucher = z.infer<typeof EcQrVoucherSchema>;
export type SocialSecurityCardVoucher = z.infer<typeof SocialSecurityCardVoucherSchema>;
export type ResidentIdVoucher = z.infer<typeof ResidentIdVoucherSchema>;
