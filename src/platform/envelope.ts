import * as z from 'zod/mini';
import { AreaCodeSchema, InstitutionCodeSchema } from '../schemas/primitives.js';
import { canonicalJson } from '../canonical-json.js';
import { InputError } from '../errors/index.js';
import { CstTimeCodec } from './codecs.js';
import { formatCstCompact } from './time.js';

/*
 * The national envelope: every business call is one POST of a request envelope, answered by a response
 * envelope. Field names are the national interface's, exactly; they are never renamed on the wire.
 */

/** A `msgid`: institution code, `yyyyMMddHHmmss` (CST), 4-digit sequence; at most 30 characters. */
export const MsgidSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9]{1,12}\d{18}$/, 'Expected a msgid: institution code, yyyyMMddHHmmss, 4-digit sequence'));

/** The request envelope (`input` is the transaction's own object). */
export const RequestEnvelopeSchema = z.object({
  infno: z.string().check(z.regex(/^[0-9A-Z]{4}$/, 'Expected a 4-character transaction number')),
  msgid: MsgidSchema,
  /** 就医地医保区划: where the sale happens. */
  mdtrtarea_admvs: AreaCodeSchema,
  /** 参保地医保区划: the buyer's insurance area, when `input` names a person. */
  insuplc_admdvs: z.optional(z.union([AreaCodeSchema, z.literal('')])),
  /** 接收方系统代码, province-specific (e.g. `YBXT`). */
  recer_sys_code: z.string().check(z.minLength(1), z.maxLength(10)),
  dev_no: z.optional(z.string().check(z.maxLength(100))),
  dev_safe_info: z.optional(z.string().check(z.maxLength(2000))),
  /** Signature of the body (see {@link signedBodyText}); base64url Ed25519 here. */
  cainfo: z.optional(z.string().check(z.maxLength(1024))),
  /** Signature algorithm: `ED25519` (the national text recommends SM2/SM3). */
  signtype: z.optional(z.string().check(z.maxLength(10))),
  infver: z.string().check(z.minLength(1), z.maxLength(6)),
  /** 1 staff, 2 self-service kiosk, 3 mobile terminal. */
  opter_type: z.enum(['1', '2', '3']),
  opter: z.string().check(z.minLength(1), z.maxLength(30)),
  opter_name: z.string().check(z.minLength(1), z.maxLength(50)),
  inf_time: CstTimeCodec,
  fixmedins_code: InstitutionCodeSchema,
  fixmedins_name: z.string().check(z.minLength(1), z.maxLength(200)),
  sign_no: z.optional(z.string().check(z.maxLength(30))),
  input: z.unknown(),
});

/**
 * The response envelope. `infcode` 0 is success, -1 a system failure (a write's outcome unknown: reverse it),
 * -2 a business error; it arrives as number or string. `output` is an object, a JSON string (some gateways),
 * or absent on failure.
 */
export const ResponseEnvelopeSchema = z.looseObject({
  infcode: z.pipe(
    z.union([z.number(), z.string().check(z.regex(/^\s*-?\d+\s*$/))]),
    z.transform((value) => Number(value)),
  ),
  inf_refmsgid: z.optional(z.nullable(z.string())),
  refmsg_time: z.optional(z.nullable(z.string())),
  respond_time: z.optional(z.nullable(z.string())),
  err_msg: z.optional(z.nullable(z.string())),
  output: z.optional(z.unknown()),
  warn_msg: z.optional(z.nullable(z.string())),
  cainfo: z.optional(z.nullable(z.string())),
  signtype: z.optional(z.nullable(z.string())),
});

export type RequestEnvelope = z.output<typeof RequestEnvelopeSchema>;
export type WireRequestEnvelope = z.input<typeof RequestEnvelopeSchema>;
export type ResponseEnvelope = z.output<typeof ResponseEnvelopeSchema>;

/**
 * Builds a `msgid` as the spec says: the institution code, the CST time to the second, and a 4-digit
 * sequence. Uniqueness per terminal comes from the caller's sequence (see the client's msgid source).
 *
 * @example
 * buildMsgid('P22010100001', Date.UTC(2026, 10, 23, 2, 5, 9), 17) // 'P2201010000120261123100509' + '0017'
 */
export function buildMsgid(fixmedinsCode: string, epochMs: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 9999) {
    throw new InputError('INVALID_INPUT', {
      message: 'msgid sequence must be an integer 0–9999',
      messageZh: 'msgid 序号必须是 0–9999 的整数',
      field: 'sequence',
    });
  }
  return `${fixmedinsCode}${formatCstCompact(epochMs)}${String(sequence).padStart(4, '0')}`;
}

/**
 * The text a request's `cainfo` signs: the envelope in canonical JSON (RFC 8785) with `cainfo` and
 * `signtype` left out, so that signer and verifier agree byte for byte.
 */
export function signedBodyText(envelope: Readonly<Record<string, unknown>>): string {
  const { cainfo: _cainfo, signtype: _signtype, ...rest } = envelope;
  return canonicalJson(rest);
}
