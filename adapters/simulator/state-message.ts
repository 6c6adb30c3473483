import * as z from 'zod/mini';
import { canonicalJson } from '../../src/crypto/index.js';
import {
  RequestEnvelopeSchema,
  TRANSACTIONS,
  type Infno,
  type RequestEnvelope,
  type TransactionInput,
} from '../../src/platform/index.js';
import { analyse } from './analysis.js';
import { benefitCheck, chronicQuery } from './benefits.js';
import { runBatch } from './batch.js';
import { personQuery, requireSession, signIn, signOut } from './identity.js';
import {
  deleteRecord,
  purchase,
  sale,
  saleReturn,
  stockChange,
  stockCount,
  stockQuery,
  traceStatus,
} from './inventory.js';
import { uploadAudit, uploadInvoice, verifyInvoice } from './invoices.js';
import { registerKey, requireSignature, rulePackDownload } from './keys.js';
import { cancelSettlement, preSettle, reverse, settle } from './settlement.js';
import {
  envelopeBody,
  errMsg,
  issuesText,
  maskRecord,
  now,
  refusal,
  type Answer,
  type Cached,
  type SimState,
} from './state-context.js';
import { isRecord, SimRefusal } from './wire.js';
import type { TxContext, TxResult, World } from './world.js';

/*
 * Everything after the HTTP layer: the national envelope in, the national envelope out. A message goes through the
 * msgid checks, the door (designated pharmacy, terminal signature, sign-in, the transaction's input), then runs.
 */

type Handler<N extends Infno> = (ctx: TxContext, input: TransactionInput<N>) => TxResult | Promise<TxResult>;

/**
 * Every transaction but YG07, which the state machine runs itself (batch.ts): its messages go through the same door one
 * by one.
 */
type HandledInfno = Exclude<Infno, 'YG07'>;

const HANDLERS: { readonly [N in HandledInfno]: Handler<N> } = {
  '9001': signIn,
  '9002': signOut,
  '1101': personQuery,
  '2101': preSettle,
  '2102': settle,
  '2103': cancelSettlement,
  '2001': benefitCheck,
  '2601': reverse,
  '3101': analyse,
  '5301': chronicQuery,
  '3501': stockCount,
  '3502': stockChange,
  '3503': purchase,
  '3504': purchase,
  '3505': sale,
  '3506': saleReturn,
  '3507': deleteRecord,
  YG01: uploadInvoice,
  YG02: verifyInvoice,
  YG03: rulePackDownload,
  YG04: registerKey,
  YG05: traceStatus,
  YG06: uploadAudit,
  // YG08 (yibao-guard): the platform's stock view, for reconciliation.
  YG08: stockQuery,
};

/**
 * Transactions that need no sign-in: sign-in itself, invoice verification (auditors ask too) and the rule pack (read at
 * start-up).
 */
const WITHOUT_SIGN_IN: ReadonlySet<string> = new Set(['9001', 'YG02', 'YG03']);
/** YG02 may be asked by anyone holding a receipt, not only a designated pharmacy. */
const WITHOUT_PHARMACY: ReadonlySet<string> = new Set(['YG02']);

/** How a message came: alone, or `contained` in a YG07 batch; `limit`: of a YG07 batch, run only the first `limit`. */
interface How {
  readonly contained?: boolean;
  readonly limit?: number | undefined;
}

/** A message let through the door: its transaction's context and decoded input. */
interface Admitted {
  readonly ctx: TxContext;
  readonly input: unknown;
}

/** What a message's run needs to remember its answer. */
interface RunInfo {
  readonly wire: Record<string, unknown>;
  readonly receivedAt: number;
  readonly inputText: string;
  /** The world when the message arrived: after a `reset()` meanwhile, nothing is remembered. */
  readonly worldAtStart: World;
  readonly how: How;
}

/**
 * Everything after the HTTP layer: the national envelope in, the national envelope out. `limit`: of a YG07 batch, run
 * only the first `limit` messages.
 */
export async function answer(state: SimState, body: string, receivedAt: number, limit?: number): Promise<Answer> {
  let wire: unknown;
  try {
    wire = JSON.parse(body);
  } catch {
    return refusal(state, -1, '报文不是合法的 JSON', 'the request body is not valid JSON', receivedAt);
  }
  if (!isRecord(wire))
    return refusal(state, -1, '报文必须是 JSON 对象', 'the request body must be a JSON object', receivedAt);
  const parsed = RequestEnvelopeSchema.safeParse(wire);
  if (!parsed.success)
    return refusal(
      state,
      -2,
      `报文信封校验失败：${issuesText(parsed.error)}`,
      `invalid request envelope: ${issuesText(parsed.error)}`,
      receivedAt,
    );
  return message(state, parsed.data, wire, wire['input'], receivedAt, { limit });
}

/**
 * One message, from the msgid on: a request's own, or one carried in a YG07 batch (`contained`: the batch's
 * request already passed the signature and sign-in, and its answer repeats this one's infcode, err_msg, output).
 */
async function message(
  state: SimState,
  envelope: RequestEnvelope,
  wire: Record<string, unknown>,
  inputWire: unknown,
  receivedAt: number,
  how: How,
): Promise<Answer> {
  const area = envelope.mdtrtarea_admvs;
  const code = envelope.fixmedins_code;
  const prefix = envelope.msgid.slice(0, -18);
  if (prefix !== code && prefix !== code.padStart(12, '0')) {
    return refusal(
      state,
      -2,
      'msgid 须以定点医药机构编码开头（其后为 yyyyMMddHHmmss 与 4 位序号）',
      'msgid must start with fixmedins_code, then yyyyMMddHHmmss and a 4-digit sequence',
      receivedAt,
      area,
    );
  }

  const { msgid, infno } = envelope;
  // A YG07 batch is never remembered under its msgid (its messages are), so it needs no fingerprint.
  const inputText = infno === 'YG07' && !how.contained ? '' : canonicalJson(inputWire ?? null);
  // A copy of a message still being handled waits for the first answer rather than running twice.
  for (let wait = state.busy.get(msgid); wait; wait = state.busy.get(msgid)) await wait;
  const cached = state.cache.get(msgid);
  if (cached) return repeatedAnswer(state, cached, envelope, inputText, receivedAt, how);
  let release!: () => void;
  state.busy.set(msgid, new Promise<void>((resolve) => (release = resolve)));
  const worldAtStart = state.world;
  try {
    const admitted = await admit(state, envelope, wire, inputWire, receivedAt, how);
    if (!('ctx' in admitted)) return admitted;
    const run: RunInfo = { wire, receivedAt, inputText, worldAtStart, how };
    if (admitted.ctx.infno === 'YG07') return await batchAnswer(state, admitted, run);
    return await runTransaction(state, admitted, run);
  } catch (error) {
    if (error instanceof SimRefusal) return refusal(state, error.infcode, error.zh, error.en, receivedAt, area);
    // A bug of the simulator is a system failure of the platform: the caller must treat a write as unknown.
    return refusal(
      state,
      -1,
      '医保平台系统内部错误',
      `internal error of the simulator: ${error instanceof Error ? error.message : String(error)}`,
      receivedAt,
      area,
    );
  } finally {
    state.busy.delete(msgid);
    release();
  }
}

/** A repeated msgid: the first answer, byte for byte, unless the message differs from the first one. */
function repeatedAnswer(
  state: SimState,
  cached: Cached,
  envelope: RequestEnvelope,
  inputText: string,
  receivedAt: number,
  how: How,
): Answer {
  const area = envelope.mdtrtarea_admvs;
  if (cached.infno !== envelope.infno || cached.inputText !== inputText) {
    return refusal(
      state,
      -2,
      'msgid 已用于另一笔不同的报文',
      'this msgid was already used for a different message',
      receivedAt,
      area,
    );
  }
  if (!how.contained)
    cached.body ??= envelopeBody(state, cached.outcome, cached.errMsg, cached.output, receivedAt, area);
  return {
    body: cached.body ?? '',
    outcome: cached.outcome,
    duplicate: true,
    errMsg: cached.errMsg,
    output: cached.output,
  };
}

/**
 * The door: the designated pharmacy and its area, the terminal's signature and the sign-in (for a message alone),
 * the transaction number and its input. A refusal here is not remembered under the msgid.
 */
async function admit(
  state: SimState,
  envelope: RequestEnvelope,
  wire: Record<string, unknown>,
  inputWire: unknown,
  receivedAt: number,
  how: How,
): Promise<Answer | Admitted> {
  const area = envelope.mdtrtarea_admvs;
  const code = envelope.fixmedins_code;
  const { msgid, infno } = envelope;
  const pharmacy = state.world.pharmacies.get(code);
  if (!pharmacy && !WITHOUT_PHARMACY.has(infno))
    return refusal(
      state,
      -2,
      '非定点医药机构，或定点医药机构编码不存在',
      'fixmedins_code is not a designated institution',
      receivedAt,
      area,
    );
  // The 统筹区 is the city: a county code inside it (220102 for 220100) is the same place, another city is not.
  if (pharmacy && envelope.mdtrtarea_admvs.slice(0, 4) !== pharmacy.admdvs.slice(0, 4)) {
    return refusal(
      state,
      -2,
      '就医地医保区划 mdtrtarea_admvs 与定点机构所在统筹区不符',
      "mdtrtarea_admvs is not the pharmacy's insurance area",
      receivedAt,
      area,
    );
  }
  const terminal = `${code}/${envelope.dev_no ?? ''}`;
  const t = now(state);
  if (!how.contained) {
    if (envelope.dev_no) await requireSignature(state.world, terminal, wire);
    if (!WITHOUT_SIGN_IN.has(infno)) requireSession(state.world, envelope.sign_no, code, t);
  }
  if (!Object.hasOwn(TRANSACTIONS, infno))
    return refusal(state, -2, `不支持的交易编号 ${infno}`, `unknown transaction number ${infno}`, receivedAt, area);
  const n = infno as Infno;
  const input = z.safeDecode(TRANSACTIONS[n].input as z.ZodMiniType, inputWire);
  if (!input.success) {
    const sumIssue = input.error.issues.some(
      (i) => i.path.join('.') === 'druginfo.medfee_sumamt' && i.code === 'custom',
    );
    return sumIssue
      ? refusal(
          state,
          -2,
          '费用总额 medfee_sumamt 与明细金额 det_item_fee_sumamt 之和不符',
          'medfee_sumamt does not equal the sum of det_item_fee_sumamt',
          receivedAt,
          area,
        )
      : refusal(
          state,
          -2,
          `入参校验失败：${issuesText(input.error)}`,
          `invalid input: ${issuesText(input.error)}`,
          receivedAt,
          area,
        );
  }
  return { ctx: { world: state.world, now: t, infno: n, msgid, envelope, pharmacy, terminal }, input: input.data };
}

/** A YG07 batch: a carrier, not a message of its own; each message in it is remembered under its own msgid. */
async function batchAnswer(state: SimState, { ctx, input }: Admitted, run: RunInfo): Promise<Answer> {
  const area = ctx.envelope.mdtrtarea_admvs;
  if (run.how.contained) {
    return refusal(state, -2, 'YG07 批量报文不能嵌套', 'a YG07 batch cannot carry another batch', run.receivedAt, area);
  }
  const parts = await runBatch(ctx, input as TransactionInput<'YG07'>, run.how.limit, (env, messageInput) =>
    message(state, env, run.wire, messageInput, run.receivedAt, { contained: true }),
  );
  const output = {
    result: parts.map((p) => ({ msgid: p.msgid, infcode: p.outcome, err_msg: p.errMsg, output: p.output })),
  };
  const body = envelopeBody(state, 0, null, output, run.receivedAt, area);
  return { body, outcome: 0, duplicate: false, errMsg: null, output, parts };
}

/** Past the door: from here every answer, refusal or not, is this msgid's answer for good. */
async function runTransaction(state: SimState, { ctx, input }: Admitted, run: RunInfo): Promise<Answer> {
  const { infno, msgid, envelope } = ctx;
  const area = envelope.mdtrtarea_admvs;
  const { receivedAt, inputText } = run;
  let result: TxResult;
  try {
    const handler = HANDLERS[infno as HandledInfno] as Handler<HandledInfno>;
    result = await handler(ctx, input as TransactionInput<HandledInfno>);
  } catch (error) {
    if (!(error instanceof SimRefusal) || error.infcode !== -2) throw error;
    const outcome = -2;
    const err = errMsg(error.zh, error.en);
    const refusedBody = run.how.contained ? '' : envelopeBody(state, outcome, err, null, receivedAt, area);
    if (state.world === run.worldAtStart) {
      state.cache.set(msgid, { infno, inputText, body: refusedBody || undefined, outcome, errMsg: err, output: null });
    }
    return { body: refusedBody, outcome, duplicate: false, errMsg: err, output: null };
  }
  const okBody = run.how.contained ? '' : envelopeBody(state, 0, null, result.output, receivedAt, area);
  if (state.world === run.worldAtStart) {
    state.cache.set(msgid, {
      infno,
      inputText,
      body: okBody || undefined,
      outcome: 0,
      errMsg: null,
      output: result.output,
    });
    if (result.committed) {
      const committed = state.committed;
      committed.push({
        seq: committed.length + 1,
        at: ctx.now,
        infno,
        msgid,
        fixmedinsCode: envelope.fixmedins_code,
        terminal: envelope.dev_no ?? null,
        input: maskRecord(input),
      });
    }
  }
  return { body: okBody, outcome: 0, duplicate: false, errMsg: null, output: result.output };
}
