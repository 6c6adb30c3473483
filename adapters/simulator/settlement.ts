import { fenToYuanNumber, isValidMedListCode, microsToPrice, quantityToTenThousandths } from '../../src/codes/index.js';
import { canonicalJson } from '../../src/crypto/index.js';
import { formatCstDate, formatCstTime, type TransactionInput } from '../../src/platform/index.js';
import { ageAt, personByCert, requireInsuranceArea } from './identity.js';
import { benefitRefusal } from './benefits.js';
import { computeSplit, SETTLEMENT_PLANS, type SplitResult } from './settlement-rules.js';
import { refuse } from './wire.js';
import type { PersonState, SimSettlement, TxContext, TxResult, Voucher } from './world.js';

/*
 * Pharmacy settlement: 2101 pre-settles (computes, changes nothing but remembers the offer), 2102 settles exactly
 * what was pre-settled, 2103 cancels a settlement, 2601 reverses a 2102 or 2103 whose answer was lost.
 */

type SettleInput = TransactionInput<'2101'>;

interface Prepared {
  readonly state: PersonState;
  readonly voucher: Voucher | undefined;
  readonly split: SplitResult;
  readonly fingerprint: string;
  readonly year: number;
}

/** Everything 2101 and 2102 check, in the order a real platform reports them, then the split. Changes nothing. */
function prepare(ctx: TxContext, input: SettleInput): Prepared {
  const { world, now } = ctx;
  const { druginfo, drugdetail } = input;
  if (ctx.pharmacy?.agreement === 'suspended') {
    refuse(
      '定点协议已暂停，不能进行医保结算',
      "the pharmacy's designated-institution agreement is suspended: no insured settlement",
    );
  }
  const state = world.people.get(druginfo.psn_no);
  if (!state) refuse('未查询到该人员编号的参保信息', 'no insured person with this psn_no');
  requireInsuranceArea(ctx, state);
  const { state: holder, voucher } = personByCert(
    world,
    { type: druginfo.mdtrt_cert_type, no: druginfo.mdtrt_cert_no, cardSn: druginfo.card_sn },
    now,
  );
  if (holder !== state)
    refuse('就诊凭证与人员编号不符', 'the certificate (mdtrt_cert_no) belongs to someone other than psn_no');
  const p = state.person;
  const refused = benefitRefusal(state, druginfo.insutype, druginfo.med_type);
  if (refused) refuse(`${refused.zh}，不能医保结算`, `${refused.en}: no insured settlement`);
  const plan = SETTLEMENT_PLANS[p.insutype];
  if (!plan) refuse('该险种不支持药店购药结算', 'this insurance type cannot settle pharmacy purchases');

  const seen = new Set<string>();
  const lines = drugdetail.map((d, i) => {
    const which = `第 ${i + 1} 条明细（${d.feedetl_sn}）`;
    const whichEn = `detail ${i + 1} (feedetl_sn ${d.feedetl_sn})`;
    if (seen.has(d.feedetl_sn)) refuse(`${which}的费用明细流水号重复`, `${whichEn}: feedetl_sn appears twice`);
    seen.add(d.feedetl_sn);
    if (!(d.cnt > 0)) refuse(`${which}的数量必须大于 0`, `${whichEn}: cnt must be positive`);
    if (d.det_item_fee_sumamt < 0 || d.pric < 0)
      refuse(`${which}的金额不能为负`, `${whichEn}: amounts must not be negative`);
    const count = quantityToTenThousandths(d.cnt);
    // cnt × pric in 分 is (micro-yuan × ten-thousandths) / 10^8; the line may round it either way, but only to the 分.
    const exact = BigInt(d.pric) * BigInt(count);
    const scale = 100_000_000n;
    const fee = BigInt(d.det_item_fee_sumamt);
    if (fee * scale < exact - (scale - 1n) || fee * scale > exact + (scale - 1n)) {
      refuse(`${which}的明细金额与数量×单价不符`, `${whichEn}: det_item_fee_sumamt is not cnt × pric to the fen`);
    }
    if (isValidMedListCode(d.med_list_codg) && !world.catalog.has(d.med_list_codg)) {
      refuse(`${which}的医保目录编码不在医保目录中`, `${whichEn}: med_list_codg is not in the catalog`);
    }
    return {
      feedetlSn: d.feedetl_sn,
      medListCode: d.med_list_codg,
      amountFen: d.det_item_fee_sumamt,
      countTenThousandths: count,
    };
  });

  const year = Number(formatCstDate(now).slice(0, 4));
  const met = state.deductibleMet.get(year) ?? p.deductibleMetFen;
  const split = computeSplit({
    lines,
    product: (code) => world.catalog.get(code),
    buyer: {
      age: ageAt(p.birthDate, now),
      sex: p.gend === '1' ? 'male' : 'female',
      chronicCodes: new Set(p.chronicDiseases.map((d) => d.code)),
    },
    plan,
    deductibleLeftFen: plan.annualDeductibleFen - met,
    balanceFen: state.balanceFen,
    useAccount: druginfo.acct_used_flag === '1',
    // 异地就医 needs filing with the insurance area; the simulator files no one, so out-of-province buyers get no fund.
    fundPays: p.insuplcAdmdvs.slice(0, 2) === (ctx.pharmacy?.admdvs ?? '').slice(0, 2),
  });
  const fingerprint = canonicalJson({
    psn_no: druginfo.psn_no,
    insutype: druginfo.insutype,
    medfee_sumamt: druginfo.medfee_sumamt,
    acct_used_flag: druginfo.acct_used_flag,
    details: drugdetail.map((d) => [
      d.feedetl_sn,
      d.med_list_codg,
      d.medins_list_codg,
      d.det_item_fee_sumamt,
      d.cnt,
      d.pric,
    ]),
  });
  return { state, voucher, split, fingerprint, year };
}

function setlinfo(ctx: TxContext, input: SettleInput, prepared: Prepared, ids: { mdtrtId: string; setlId?: string }) {
  const { state, split } = prepared;
  const p = state.person;
  const yuan = fenToYuanNumber;
  return {
    ...(ids.setlId === undefined ? {} : { setl_id: ids.setlId, setl_time: formatCstTime(ctx.now) }),
    mdtrt_id: ids.mdtrtId,
    psn_no: p.psnNo,
    psn_name: p.name,
    psn_cert_type: '01',
    certno: p.residentId,
    gend: p.gend,
    naty: p.naty,
    brdy: p.birthDate,
    age: ageAt(p.birthDate, ctx.now),
    insutype: p.insutype,
    psn_type: p.psnType,
    cvlserv_flag: '0',
    mdtrt_cert_type: input.druginfo.mdtrt_cert_type,
    med_type: input.druginfo.med_type,
    medfee_sumamt: yuan(split.totalFen),
    fulamt_ownpay_amt: yuan(split.fullOwnPayFen),
    overlmt_selfpay: yuan(split.overLimitFen),
    preselfpay_amt: yuan(split.preSelfPayFen),
    inscp_scp_amt: yuan(split.inScopeFen),
    act_pay_dedc: yuan(split.deductibleFen),
    hifp_pay: yuan(split.fundFen),
    pool_prop_selfpay: (100 - split.fundRatioPct) / 100,
    cvlserv_pay: 0,
    hifes_pay: 0,
    hifmi_pay: 0,
    hifob_pay: 0,
    maf_pay: 0,
    oth_pay: 0,
    fund_pay_sumamt: yuan(split.fundFen),
    psn_part_amt: yuan(split.personFen),
    acct_pay: yuan(split.accountFen),
    psn_cash_pay: yuan(split.cashFen),
    hosp_part_amt: 0,
    balc: yuan(split.balanceAfterFen),
    acct_mulaid_pay: 0,
    medins_setl_id: ctx.msgid,
    clr_optins: p.insuplcAdmdvs,
    clr_way: '1',
    clr_type: '41',
  };
}

function settleOutput(
  ctx: TxContext,
  input: SettleInput,
  prepared: Prepared,
  ids: { mdtrtId: string; setlId?: string },
) {
  const { split } = prepared;
  const plan = SETTLEMENT_PLANS[prepared.state.person.insutype];
  const byLine = new Map(input.drugdetail.map((d) => [d.feedetl_sn, d]));
  return {
    setlinfo: setlinfo(ctx, input, prepared, ids),
    setldetail:
      split.fundFen > 0 && plan
        ? [
            {
              fund_pay_type: plan.fundPayType,
              fund_pay_type_name: plan.fundPayTypeName,
              inscp_scp_amt: fenToYuanNumber(split.inScopeFen),
              fund_payamt: fenToYuanNumber(split.fundFen),
              setl_proc_info: `${split.fundRatioPct}%`,
            },
          ]
        : [],
    detlcutinfo: split.lines.map((l) => {
      const detail = byLine.get(l.feedetlSn);
      return {
        feedetl_sn: l.feedetlSn,
        det_item_fee_sumamt: fenToYuanNumber(l.amountFen),
        cnt: detail?.cnt ?? null,
        pric: detail === undefined ? null : Number(microsToPrice(detail.pric)),
        pric_uplmt_amt: l.capAmountFen === undefined ? null : fenToYuanNumber(l.capAmountFen),
        chrgitm_lv: { A: '01', B: '02', C: '03', none: null }[l.insuranceClass],
        selfpay_prop: l.fullOwnPayFen > 0 ? 1 : l.insuranceClass === 'B' ? 0.1 : 0,
        fulamt_ownpay_amt: fenToYuanNumber(l.fullOwnPayFen),
        overlmt_amt: fenToYuanNumber(l.overLimitFen),
        preselfpay_amt: fenToYuanNumber(l.preSelfPayFen),
        inscp_scp_amt: fenToYuanNumber(l.inScopeFen),
        memo: l.selfPayReason === undefined ? null : SELF_PAY_MEMO[l.selfPayReason],
      };
    }),
  };
}

const SELF_PAY_MEMO = {
  'no-medical-code': '无医保目录编码，全自费',
  'class-c': '丙类（目录外），全自费',
  'restriction-not-met': '不符合限定支付范围，全自费',
} as const;

const preKey = (ctx: TxContext, psnNo: string) => `${ctx.envelope.fixmedins_code}|${psnNo}`;

/**
 * 2101: checks and splits the purchase, remembers it for the 2102 that must match it, and answers the split.
 *
 * @example
 * preSettle(ctx, { druginfo, drugdetail }).output.setlinfo.fund_pay_sumamt
 */
export function preSettle(ctx: TxContext, input: SettleInput): TxResult {
  const prepared = prepare(ctx, input);
  const key = preKey(ctx, input.druginfo.psn_no);
  const previous = ctx.world.preSettlements.get(key);
  // Pre-settling the same sale again keeps its 就诊 id, as the platform keeps one 就诊 per open purchase.
  const mdtrtId = previous?.fingerprint === prepared.fingerprint ? previous.mdtrtId : ctx.world.nextId('MD', ctx.now);
  ctx.world.preSettlements.set(key, { fingerprint: prepared.fingerprint, mdtrtId, at: ctx.now });
  return { output: settleOutput(ctx, input, prepared, { mdtrtId }), committed: false };
}

/**
 * 2102: settles exactly what 2101 offered (same person, total and details): debits the account, counts the 起付线,
 * uses up the voucher token, and answers `setl_id`.
 *
 * @example
 * settle(ctx, { druginfo: { ...druginfo, invono }, drugdetail }).output.setlinfo.setl_id
 */
export function settle(ctx: TxContext, input: SettleInput): TxResult {
  const prepared = prepare(ctx, input);
  const { world, now } = ctx;
  const key = preKey(ctx, input.druginfo.psn_no);
  const pre = world.preSettlements.get(key);
  if (!pre) refuse('未找到预结算信息，请先进行预结算（2101）', 'no pre-settlement for this person: call 2101 first');
  if (pre.fingerprint !== prepared.fingerprint) {
    refuse(
      '结算信息与预结算不一致（人员、总金额或明细不同），请重新预结算',
      'the settlement differs from its pre-settlement (person, total or details): pre-settle (2101) again',
    );
  }
  // Every check has passed: from here on the settlement happens, all of it.
  const setlId = world.nextId('ST', now);
  const { state, split, voucher } = prepared;
  state.balanceFen -= split.accountFen;
  state.deductibleMet.set(
    prepared.year,
    (state.deductibleMet.get(prepared.year) ?? state.person.deductibleMetFen) + split.deductibleFen,
  );
  if (voucher) voucher.usedBy = setlId;
  world.preSettlements.delete(key);
  const settlement: SimSettlement = {
    setlId,
    mdtrtId: pre.mdtrtId,
    psnNo: state.person.psnNo,
    fixmedinsCode: ctx.envelope.fixmedins_code,
    insutype: input.druginfo.insutype,
    msgid: ctx.msgid,
    at: now,
    split,
    ...(input.druginfo.invono === undefined ? {} : { invono: input.druginfo.invono }),
    status: 'settled',
  };
  world.settlements.push(settlement);
  world.writes.set(ctx.msgid, { infno: '2102', settlement });
  return { output: settleOutput(ctx, input, prepared, { mdtrtId: pre.mdtrtId, setlId }), committed: true };
}

/** Gives back what a settlement took: the account debit and the 起付线 it counted. */
function undo(ctx: TxContext, settlement: SimSettlement, by: '2103' | '2601'): string {
  const state = ctx.world.people.get(settlement.psnNo) as PersonState;
  const year = Number(formatCstDate(settlement.at).slice(0, 4));
  state.balanceFen += settlement.split.accountFen;
  state.deductibleMet.set(
    year,
    (state.deductibleMet.get(year) ?? state.person.deductibleMetFen) - settlement.split.deductibleFen,
  );
  const setlId = ctx.world.nextId('CX', ctx.now);
  settlement.status = 'cancelled';
  settlement.cancelled = { by, msgid: ctx.msgid, at: ctx.now, setlId };
  return setlId;
}

/**
 * 2103: cancels a settlement of this pharmacy once, giving back the account debit and the 起付线.
 *
 * @example
 * cancelSettlement(ctx, { data: { setl_id, mdtrt_id, psn_no } })
 */
export function cancelSettlement(ctx: TxContext, input: TransactionInput<'2103'>): TxResult {
  const { setl_id, mdtrt_id, psn_no } = input.data;
  const settlement = ctx.world.settlements.find(
    (s) => s.setlId === setl_id && s.fixmedinsCode === ctx.envelope.fixmedins_code,
  );
  if (!settlement) refuse('本机构未找到该结算记录', 'no settlement with this setl_id at this pharmacy');
  if (settlement.mdtrtId !== mdtrt_id || settlement.psnNo !== psn_no)
    refuse('就诊ID或人员编号与结算记录不符', 'mdtrt_id or psn_no does not match the settlement');
  requireInsuranceArea(ctx, ctx.world.people.get(psn_no) as PersonState);
  if (settlement.status === 'cancelled') refuse('该结算已撤销，不能重复撤销', 'this settlement was already cancelled');
  const cancelId = undo(ctx, settlement, '2103');
  ctx.world.writes.set(ctx.msgid, { infno: '2103', settlement });
  const balance = (ctx.world.people.get(psn_no) as PersonState).balanceFen;
  const { split } = settlement;
  return {
    output: {
      setlinfo: {
        setl_id: cancelId,
        init_setl_id: settlement.setlId,
        mdtrt_id: settlement.mdtrtId,
        psn_no,
        setl_time: formatCstTime(ctx.now),
        medfee_sumamt: fenToYuanNumber(-split.totalFen),
        fund_pay_sumamt: fenToYuanNumber(-split.fundFen),
        acct_pay: fenToYuanNumber(-split.accountFen),
        psn_cash_pay: fenToYuanNumber(-split.cashFen),
        balc: fenToYuanNumber(balance),
      },
    },
    committed: true,
  };
}

/**
 * 2601: undoes the 2102 (as if cancelled) or the 2103 (the settlement stands again) committed under `omsgid`.
 *
 * @example
 * reverse(ctx, { data: { psn_no, omsgid: lostSettlementMsgid, oinfno: '2102' } })
 */
export function reverse(ctx: TxContext, input: TransactionInput<'2601'>): TxResult {
  const { psn_no, omsgid, oinfno } = input.data;
  const write = ctx.world.writes.get(omsgid);
  if (!write || write.settlement.fixmedinsCode !== ctx.envelope.fixmedins_code) {
    refuse(
      '原交易不存在或未成功，无需冲正',
      'no successful transaction with this omsgid at this pharmacy: nothing to reverse',
    );
  }
  if (write.infno !== oinfno) refuse('原交易类型与 oinfno 不符', 'oinfno is not the transaction number of omsgid');
  const { settlement } = write;
  if (settlement.psnNo !== psn_no) refuse('人员编号与原交易不符', 'psn_no does not match the original transaction');
  requireInsuranceArea(ctx, ctx.world.people.get(psn_no) as PersonState);
  if (oinfno === '2102') {
    if (settlement.status === 'cancelled')
      refuse('原结算已撤销或已冲正', 'the original settlement was already cancelled or reversed');
    undo(ctx, settlement, '2601');
  } else {
    if (settlement.cancelled?.msgid !== omsgid)
      refuse('原撤销交易已冲正', 'the original cancellation was already reversed');
    // Reversing a cancellation re-instates the settlement: the account pays again.
    const state = ctx.world.people.get(settlement.psnNo) as PersonState;
    if (state.balanceFen < settlement.split.accountFen)
      refuse(
        '个人账户余额不足，不能冲正该撤销交易',
        'the account balance no longer covers the settlement: the cancellation cannot be reversed',
      );
    const year = Number(formatCstDate(settlement.at).slice(0, 4));
    state.balanceFen -= settlement.split.accountFen;
    state.deductibleMet.set(
      year,
      (state.deductibleMet.get(year) ?? state.person.deductibleMetFen) + settlement.split.deductibleFen,
    );
    settlement.status = 'settled';
    delete settlement.cancelled;
  }
  return { output: { omsgid, oinfno, rever_stas: '1' }, committed: true };
}
