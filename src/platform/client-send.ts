import { PlatformUnavailableError, isYibaoGuardError, type PlatformCallInfo } from '../errors/index.js';
import { readAnswer, type Answer } from './answer.js';
import { personalStrings, redact } from './redact.js';
import { TRANSACTIONS, type Infno, type TransactionOutput } from './transactions.js';
import { postEnvelope } from './transport.js';
import type { PreparedCall } from './client.js';
import type { ClientContext } from './client-context.js';
import { signedEnvelope } from './client-envelope.js';
import { finish, isWriteKind, unreadable } from './client-outcome.js';
import { checkPrepared } from './client-prepare.js';

/*
 * Sending a prepared call: the sign-in it needs (and the one resend after the platform says it expired), the
 * POST with its retry policy, the result event, and the resolve of a write whose answer was lost.
 */

/** Attempts made so far, and the `infcode` of the answer once there is one: for the result event. */
interface CallProgress {
  attempts: number;
  infcode?: number;
}

/**
 * Sends a prepared call (checked first unless `checked`, i.e. just prepared) and emits its result event
 * (`PlatformClient.send`).
 *
 * @example
 * const output = await sendPrepared(ctx, prepareCall(ctx, '1101', input), true)
 */
export async function sendPrepared<N extends Infno>(
  ctx: ClientContext,
  prepared: PreparedCall<N>,
  checked = false,
): Promise<TransactionOutput<N>> {
  if (!checked) checkPrepared(ctx, prepared);
  const { clock, emit } = ctx;
  const call: PlatformCallInfo = { infno: prepared.infno, msgid: prepared.msgid };
  const started = clock.now();
  const progress: CallProgress = { attempts: 0 };
  try {
    const output = await run(ctx, prepared, call, progress);
    const durationMs = clock.now() - started;
    emit({ type: 'result', ...call, attempts: progress.attempts, durationMs, outcome: 'OK', infcode: 0 });
    return output;
  } catch (error) {
    emit({
      type: 'result',
      ...call,
      attempts: progress.attempts,
      durationMs: clock.now() - started,
      outcome: isYibaoGuardError(error) ? error.code : 'UNEXPECTED',
      ...(progress.infcode === undefined ? {} : { infcode: progress.infcode }),
      ...(error instanceof PlatformUnavailableError && error.status !== undefined ? { status: error.status } : {}),
      message: isYibaoGuardError(error) ? error.message : 'Unexpected error',
    });
    throw error;
  }
}

async function run<N extends Infno>(
  ctx: ClientContext,
  prepared: PreparedCall<N>,
  call: PlatformCallInfo,
  progress: CallProgress,
): Promise<TransactionOutput<N>> {
  const { session } = ctx;
  const spec = TRANSACTIONS[prepared.infno];
  const isSession = spec.kind === 'session';
  // 9001 goes without a sign_no, 9002 with the one it ends; business calls sign in first when needed.
  let signNo = prepared.infno === '9001' ? undefined : isSession ? session.current : await session.ensure();
  let answer = await exchange(ctx, prepared, call, signNo, progress);
  if (!isSession && answer.infcode !== 0 && ctx.isSignInExpired(answer.infcode, answer.errMsg)) {
    const message = redact(answer.errMsg, personalStrings(prepared.input));
    ctx.emit({ type: 'sign-in-expired', ...call, infcode: answer.infcode, message });
    session.invalidate(signNo);
    signNo = await session.ensure();
    // The same prepared call, same msgid: the platform refused it, so nothing was done the first time.
    answer = await exchange(ctx, prepared, call, signNo, progress);
  }
  progress.infcode = answer.infcode;
  return finish(ctx, prepared, call, answer);
}

async function exchange(
  ctx: ClientContext,
  prepared: PreparedCall,
  call: PlatformCallInfo,
  signNo: string | undefined,
  progress: { attempts: number },
): Promise<Answer> {
  const kind = TRANSACTIONS[prepared.infno].kind;
  const body = JSON.stringify(await signedEnvelope(ctx, prepared, signNo));
  const policy = { retry: kind !== 'settle' || ctx.idempotentMsgid, write: isWriteKind(kind) };
  const text = await postEnvelope(ctx.transport, call, body, policy, progress);
  try {
    return readAnswer(call, text);
  } catch (error) {
    throw unreadable(call, error, false);
  }
}

/**
 * Finds out how a write whose answer was lost ended (`PlatformClient.resolve`): sends it again, unless it is a
 * settlement on a platform that does not answer a repeated msgid (then `PLATFORM_OUTCOME_UNKNOWN` at once).
 *
 * @example
 * const result = await resolvePrepared(ctx, storedPrepared)
 */
export async function resolvePrepared<N extends Infno>(
  ctx: ClientContext,
  prepared: PreparedCall<N>,
): Promise<TransactionOutput<N>> {
  checkPrepared(ctx, prepared);
  if (TRANSACTIONS[prepared.infno].kind === 'settle' && !ctx.idempotentMsgid) {
    // Sending it again could settle twice; only a reversal by its msgid is safe.
    const call = { infno: prepared.infno, msgid: prepared.msgid };
    throw new PlatformUnavailableError(call, {
      outcomeUnknown: true,
      message:
        `This platform does not answer a repeated msgid, so ${call.infno} (msgid ${call.msgid}) cannot be asked ` +
        `again: reverse it with 2601 (omsgid ${call.msgid}, oinfno ${call.infno})`,
      messageZh:
        `本平台不按 msgid 去重，${call.infno} 交易（msgid ${call.msgid}）无法重查：` +
        `请以 2601 冲正（omsgid ${call.msgid}，oinfno ${call.infno}）`,
    });
  }
  return sendPrepared(ctx, prepared);
}
