import type { RequestEnvelope, TransactionInput } from '../../src/platform/index.js';
import type { FaultSpec } from './faults.js';
import { isRecord } from './wire.js';
import type { TxContext } from './world.js';

/*
 * YG07 进销存批量上传 (a yibao-guard provincial extension): a carrier of 3501–3507 messages, each applied by the same
 * state machine exactly as if it had come alone (its own msgid: order per terminal, a repeated msgid answered with
 * its first answer, its own refusal), one after another, and answered one by one in the order sent.
 */

/** What one message of a batch got. */
export interface BatchPart {
  readonly infno: string;
  readonly msgid: string;
  readonly outcome: number;
  readonly errMsg: string | null;
  readonly output: unknown;
  readonly duplicate: boolean;
}

/**
 * How the state machine applies one contained message (its envelope is the batch's, with the message's infno, msgid and
 * inf_time).
 */
export type ApplyMessage = (envelope: RequestEnvelope, input: unknown) => Promise<Omit<BatchPart, 'infno' | 'msgid'>>;

/**
 * Runs the messages of a batch in order (the first `limit` only, when a fault cuts the batch short).
 *
 * @example
 * const parts = await runBatch(ctx, input, undefined, (envelope, input) => message(envelope, input))
 */
export async function runBatch(
  ctx: TxContext,
  input: TransactionInput<'YG07'>,
  limit: number | undefined,
  apply: ApplyMessage,
): Promise<BatchPart[]> {
  const parts: BatchPart[] = [];
  for (const m of input.msgs.slice(0, limit ?? input.msgs.length)) {
    const { outcome, errMsg, output, duplicate } = await apply(
      { ...ctx.envelope, infno: m.infno, msgid: m.msgid, inf_time: m.inf_time },
      m.input,
    );
    parts.push({ infno: m.infno, msgid: m.msgid, outcome, errMsg, output, duplicate });
  }
  return parts;
}

const MODIFIERS: ReadonlySet<string> = new Set(['latency', 'sign-in-expiry']);

/**
 * The faults aimed at the messages of a YG07 request (by their infno), as each message alone would meet them: every
 * modifier up to the first fault that replaces an answer, and that one with the index of its message. A fault that
 * stops a single call before it runs stops the batch there (the messages before it run); one that spoils an answer
 * after the call ran spoils the batch's answer after all its messages ran.
 *
 * @example
 * const { fired, at } = batchFaults(peek, (infno) => faults.take(infno, true))
 */
export function batchFaults(
  body: Record<string, unknown>,
  take: (infno: string) => FaultSpec[],
): { fired: FaultSpec[]; at: number } {
  const input = body['input'];
  const msgs = isRecord(input) && Array.isArray(input['msgs']) ? input['msgs'] : [];
  const fired: FaultSpec[] = [];
  for (const [i, m] of msgs.entries()) {
    const infno = isRecord(m) && typeof m['infno'] === 'string' ? m['infno'] : undefined;
    if (infno === undefined) continue;
    const specs = take(infno);
    fired.push(...specs);
    if (specs.some((f) => !MODIFIERS.has(f.kind))) return { fired, at: i };
  }
  return { fired, at: msgs.length };
}

/**
 * Whether a fault answers before the transaction runs (so a batch stops at the message it aims at).
 *
 * @example
 * stopsBefore({ kind: 'rate-limit' }) // true
 */
export function stopsBefore(fault: FaultSpec): boolean {
  return (
    fault.kind === 'http-error' ||
    fault.kind === 'rate-limit' ||
    ((fault.kind === 'timeout' || fault.kind === 'system-error') && !fault.commit)
  );
}
