import * as z from 'zod/mini';
import { InputError, isYibaoGuardError } from '../errors/index.js';
import { parseInput } from '../schemas/parse.js';
import { RequestEnvelopeSchema, MsgidSchema } from './envelope.js';
import { TRANSACTIONS, type Infno, type TransactionInput, type WireInput } from './transactions.js';
import type { CallOptions, PreparedCall } from './client.js';
import type { ClientContext } from './client-context.js';
import { envelopeOf } from './client-envelope.js';

/*
 * A call made ready to send: its input checked and encoded, its msgid and `inf_time` fixed; and the checks a
 * prepared call from storage passes again before it is sent.
 */

/**
 * Whether `infno` names a transaction of {@link TRANSACTIONS}.
 *
 * @example
 * if (!isInfno(prepared.infno)) throw new InputError('INVALID_INPUT', { message, messageZh, field: 'prepared' })
 */
export function isInfno(infno: unknown): infno is Infno {
  return typeof infno === 'string' && Object.hasOwn(TRANSACTIONS, infno);
}

/**
 * Checks and encodes a call and fixes its msgid and `inf_time`, without sending it (`PlatformClient.prepare`).
 *
 * @example
 * const prepared = prepareCall(ctx, '2102', settlement, { insuplcAdmdvs })
 */
export function prepareCall<N extends Infno>(
  ctx: ClientContext,
  infno: N,
  input: TransactionInput<N>,
  callOptions: CallOptions = {},
): PreparedCall<N> {
  if (!isInfno(infno)) {
    throw new InputError('INVALID_INPUT', {
      message: 'Unknown transaction number (infno)',
      messageZh: '未知的交易编号（infno）',
      field: 'infno',
    });
  }
  const spec = TRANSACTIONS[infno];
  const encoded = encodeInput(infno, spec.input, input);
  const now = ctx.clock.now();
  if (spec.person && callOptions.insuplcAdmdvs === undefined) {
    throw new InputError('INVALID_INPUT', {
      message: `${infno} names a person: give insuplcAdmdvs, the buyer's insurance area (1101 insuinfo[].insuplc_admdvs)`,
      messageZh: `${infno} 交易涉及参保人：须提供 insuplcAdmdvs（参保地医保区划，见 1101 insuinfo[].insuplc_admdvs）`,
      field: 'insuplcAdmdvs',
    });
  }
  const prepared = {
    infno,
    msgid: callOptions.msgid ?? ctx.msgids.next(now),
    infTime: now,
    ...(spec.person && callOptions.insuplcAdmdvs !== undefined ? { insuplcAdmdvs: callOptions.insuplcAdmdvs } : {}),
    input: encoded as WireInput<N>,
  };
  checkEnvelope(ctx, prepared);
  return Object.freeze(prepared);
}

/** The envelope of a call (built from the options, a msgid maybe the caller's) follows the interface. */
function checkEnvelope(ctx: ClientContext, prepared: PreparedCall): void {
  const subject = { en: `Request envelope of ${prepared.infno}`, zh: `${prepared.infno} 交易的请求报文` };
  parseInput(RequestEnvelopeSchema, envelopeOf(ctx, prepared, undefined), subject);
}

/**
 * A prepared call from storage is only trusted as far as it is checked: `InputError` `INVALID_INPUT` when it is not
 * one, or its input or envelope does not follow the interface.
 *
 * @example
 * checkPrepared(ctx, storedPrepared)
 */
export function checkPrepared(ctx: ClientContext, prepared: PreparedCall): void {
  if (
    prepared === null ||
    typeof prepared !== 'object' ||
    !isInfno(prepared.infno) ||
    !MsgidSchema.safeParse(prepared.msgid).success ||
    !Number.isSafeInteger(prepared.infTime)
  ) {
    throw new InputError('INVALID_INPUT', {
      message: 'Not a prepared call (infno, msgid, infTime)',
      messageZh: '不是有效的预备交易（infno、msgid、infTime）',
      field: 'prepared',
    });
  }
  // The wire input decodes under the same codec that encoded it, or it was changed since.
  checkPreparedInput(prepared);
  checkEnvelope(ctx, prepared);
}

/**
 * The wire input of a prepared call decodes under its transaction's codec (`InputError` `INVALID_INPUT` if not).
 *
 * @example
 * for (const record of records) checkPreparedInput(record)
 */
export function checkPreparedInput(prepared: PreparedCall): void {
  const subject = { en: `Prepared input of ${prepared.infno}`, zh: `${prepared.infno} 预备交易的输入` };
  parseInput(TRANSACTIONS[prepared.infno].input, prepared.input, subject);
}

/** The wire form of an input (分 → yuan, epoch ms → CST text); `InputError` listing paths when it is not valid. */
function encodeInput(infno: Infno, schema: z.ZodMiniType, input: unknown): unknown {
  const subject = { en: `Input of ${infno}`, zh: `${infno} 交易的输入` };
  let result: ReturnType<typeof z.safeEncode>;
  try {
    result = z.safeEncode(schema, input as never);
  } catch (error) {
    // A codec refused a value outright (an amount that is not integer 分, say) instead of reporting an issue.
    const reason = isYibaoGuardError(error) ? error.message : 'a value could not be encoded';
    throw new InputError('INVALID_INPUT', {
      message: `${subject.en} is invalid: ${reason}`,
      messageZh: `${subject.zh}数据不正确：${reason}`,
      cause: error,
    });
  }
  if (result.success) return result.data;
  // As parseInput reports: paths and reasons, never values.
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const shown =
    issues
      .slice(0, 5)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join('; ') + (issues.length > 5 ? ` (+${issues.length - 5})` : '');
  throw new InputError('INVALID_INPUT', {
    message: `${subject.en} is invalid: ${shown}`,
    messageZh: `${subject.zh}数据不正确：${shown}`,
    issues,
    ...(issues[0] === undefined ? {} : { field: issues[0].path }),
  });
}
