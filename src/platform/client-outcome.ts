import * as z from 'zod/mini';
import {
  PlatformError,
  PlatformProtocolError,
  PlatformRejectedError,
  PlatformUnavailableError,
  type PlatformCallInfo,
} from '../errors/index.js';
import { yuanToFen } from '../money.js';
import { decodeOutput, type Answer } from './answer.js';
import { personalStrings, redact } from './redact.js';
import {
  TRANSACTIONS,
  type Infno,
  type TransactionKind,
  type TransactionOutput,
  type WireInput,
} from './transactions.js';
import type { PreparedCall } from './client.js';
import type { ClientContext } from './client-context.js';

/*
 * How a call ends once the platform answered: the decoded output, a refusal, or, for a write whose answer says
 * nothing sure, an unknown outcome to resolve or reverse by its msgid.
 */

const WRITES: ReadonlySet<TransactionKind> = new Set(['settle', 'report']);

/**
 * A write (settlement or report): a failure after it may have reached the platform leaves its outcome unknown.
 *
 * @example
 * const policy = { retry: kind !== 'settle' || ctx.idempotentMsgid, write: isWriteKind(kind) }
 */
export function isWriteKind(kind: TransactionKind): boolean {
  return WRITES.has(kind);
}

function isWrite(infno: Infno): boolean {
  return WRITES.has(TRANSACTIONS[infno].kind);
}

/**
 * For a write, an answer that cannot be read says nothing about whether it was committed: the error becomes
 * `PLATFORM_OUTCOME_UNKNOWN`. Any other error, or any call that is not a write, is returned as it is.
 *
 * @example
 * try { return readAnswer(call, text) } catch (error) { throw unreadable(call, error, false) }
 */
export function unreadable(call: PlatformCallInfo, error: unknown, committed: boolean): unknown {
  if (!isWrite(call.infno as Infno) || !(error instanceof PlatformError)) return error;
  const en = committed
    ? 'the platform accepted it (infcode 0) but its output cannot be read'
    : 'its answer cannot be read';
  const zh = committed ? '平台已受理（infcode 0）但应答 output 无法读取' : '应答无法读取';
  return new PlatformUnavailableError(call, {
    outcomeUnknown: true,
    cause: error,
    message:
      `The outcome of ${call.infno} (msgid ${call.msgid}) is unknown: ${en} (${error.message}). ` +
      `Call resolve() or reverse it with 2601 (omsgid ${call.msgid}).`,
    messageZh:
      `${call.infno} 交易（msgid ${call.msgid}）结果未知：${zh}（${error.messageZh}）。` +
      `请调用 resolve() 或以 2601 冲正（omsgid ${call.msgid}）。`,
  });
}

/**
 * The end of a call the platform answered: its decoded output for `infcode` 0, else the error it ends with.
 *
 * @example
 * return finish(ctx, prepared, call, readAnswer(call, text))
 */
export async function finish<N extends Infno>(
  ctx: ClientContext,
  prepared: PreparedCall<N>,
  call: PlatformCallInfo,
  answer: Answer,
): Promise<TransactionOutput<N>> {
  if (answer.infcode === 0) {
    try {
      // The schema is TRANSACTIONS[N]'s own output schema; TypeScript cannot follow the index through a generic.
      const schema = TRANSACTIONS[prepared.infno].output as z.ZodMiniType;
      const decode = (output: unknown) => ctx.decode(output, prepared.infno);
      const output = (await decodeOutput(call, schema, answer.output, decode)) as TransactionOutput<N>;
      answerFitsRequest(prepared, output, call);
      return output;
    } catch (error) {
      throw unreadable(call, error, true);
    }
  }
  throw refusal(prepared, call, answer);
}

/** The error of a non-zero `infcode`: unknown outcome (-1 on a write), failed sign-in (9001), or a refusal. */
function refusal(prepared: PreparedCall, call: PlatformCallInfo, answer: Answer): Error {
  const message = redact(answer.errMsg, personalStrings(prepared.input));
  if (answer.infcode === -1 && isWrite(prepared.infno)) {
    // The spec: -1 is a system failure, and the caller must reverse a write whose outcome it leaves unknown.
    return new PlatformUnavailableError(call, {
      outcomeUnknown: true,
      message:
        `The platform failed on ${call.infno} (msgid ${call.msgid}, infcode -1: ${message}); its outcome is ` +
        `unknown: call resolve() or reverse it with 2601 (omsgid ${call.msgid})`,
      messageZh:
        `医保平台处理 ${call.infno} 交易时系统异常（msgid ${call.msgid}，infcode -1：${message}），` +
        `结果未知：请调用 resolve() 或以 2601 冲正（omsgid ${call.msgid}）`,
    });
  }
  const rejected = new PlatformRejectedError(call, answer.infcode, message);
  if (prepared.infno === '9001') {
    return new PlatformError('PLATFORM_SIGN_IN_FAILED', call, {
      cause: rejected,
      message: `Sign-in (9001) was refused (infcode ${answer.infcode}): ${message}`,
      messageZh: `医保平台签到（9001）被拒绝（infcode ${answer.infcode}）：${message}`,
    });
  }
  return rejected;
}

/**
 * The national envelope does not sign an answer nor echo the request's msgid, but a settlement's answer names its
 * person and total: a 2101/2102 answer for another person or another total (a replayed or misrouted answer) is not
 * this sale's. For 2102 that makes the outcome unknown (resolve or reverse it); for 2101 it is a protocol error.
 */
function answerFitsRequest(prepared: PreparedCall, output: unknown, call: PlatformCallInfo): void {
  if (prepared.infno !== '2101' && prepared.infno !== '2102') return;
  const asked = (prepared.input as WireInput<'2101'>).druginfo;
  const got = (output as TransactionOutput<'2101'>).setlinfo;
  const wrong: string[] = [];
  if (got.psn_no !== asked.psn_no) wrong.push('psn_no');
  if (got.medfee_sumamt !== yuanToFen(asked.medfee_sumamt, 'medfee_sumamt')) wrong.push('medfee_sumamt');
  if (wrong.length === 0) return;
  throw new PlatformProtocolError(call, {
    message:
      `The ${call.infno} answer does not belong to this request ` +
      `(setlinfo.${wrong.join(', setlinfo.')} differ from the request)`,
    messageZh: `${call.infno} 交易的应答与本次请求不符（setlinfo.${wrong.join('、setlinfo.')} 与请求不一致）`,
  });
}
