import type { TransactionInput } from '../../src/platform/index.js';
import { requireInsuranceArea } from './identity.js';
import { refuse } from './wire.js';
import type { PersonState, TxContext, TxResult } from './world.js';

/*
 * 2001 人员待遇享受检查 and 5301 人员慢特病备案查询: what the platform knows of a person's right to the fund and of
 * their 门诊慢特病 filings, asked by psn_no before settlement. Both read only.
 */

/** `fund_pay_type` of the row 2001 answers for a pharmacy purchase: 统筹基金 (the pooled fund). */
export const BENEFIT_FUND_PAY_TYPE = '310100';

function personOf(ctx: TxContext, psnNo: string): PersonState {
  const state = ctx.world.people.get(psnNo);
  if (!state) refuse('未查询到该人员编号的参保信息', 'no insured person with this psn_no');
  requireInsuranceArea(ctx, state);
  return state;
}

/**
 * Why the person may not draw on the fund for a visit of `medType` under `insutype`, in Chinese and English;
 * undefined when they may. What 2001 answers and what 2101 / 2102 refuse alike.
 *
 * @example
 * benefitRefusal(world.people.get(psnNo)!, '310', '41') // undefined, or { zh: '参保人已死亡', en: … }
 */
export function benefitRefusal(state: PersonState, insutype: string, medType: string) {
  const p = state.person;
  if (state.benefitRefusal) return state.benefitRefusal;
  if (p.survStas === '2') return { zh: '参保人已死亡', en: 'the insured person is deceased' };
  if (p.insuStatus === '2') return { zh: '参保人处于暂停参保状态', en: 'the insurance is suspended' };
  if (p.insuStatus === '4') return { zh: '参保人已终止参保', en: 'the insurance is terminated' };
  if (p.settlementPaused)
    return { zh: '联网结算已暂停（医保失信）', en: 'networked settlement is paused (credit blacklist)' };
  if (insutype !== p.insutype) return { zh: '险种类型与参保信息不符', en: "insutype is not the person's" };
  if (medType !== '41') return { zh: '医疗类别须为 41（定点药店购药）', en: 'med_type must be 41 (pharmacy)' };
  return undefined;
}

/**
 * 2001: one row for the pooled fund, `trt_enjymnt_flag` '1' where the person may draw on it for a pharmacy
 * purchase, '0' with the reason in `trt_chk_rslt` where not (deceased, insurance suspended or terminated,
 * settlement paused, another insurance type or visit type, the pharmacy's agreement suspended). Changes nothing.
 *
 * @example
 * benefitCheck(ctx, { data: { psn_no, insutype: '310', fixmedins_code, med_type: '41', begntime } }).output
 * // { trtinfo: [{ psn_no, trt_chk_type: '01', fund_pay_type: '310100', trt_enjymnt_flag: '1', … }] }
 */
export function benefitCheck(ctx: TxContext, input: TransactionInput<'2001'>): TxResult {
  const { data } = input;
  if (ctx.pharmacy && data.fixmedins_code !== ctx.pharmacy.code)
    refuse('定点医药机构编号与报文发送方不符', 'fixmedins_code is not the asking institution');
  const state = personOf(ctx, data.psn_no);
  const refused =
    benefitRefusal(state, data.insutype, data.med_type) ??
    (ctx.pharmacy?.agreement === 'suspended'
      ? { zh: '定点医药机构协议已暂停', en: "the pharmacy's agreement is suspended" }
      : undefined);
  return {
    output: {
      trtinfo: [
        {
          psn_no: data.psn_no,
          trt_chk_type: '01',
          fund_pay_type: BENEFIT_FUND_PAY_TYPE,
          trt_enjymnt_flag: refused ? '0' : '1',
          begndate: state.person.insuredSince,
          enddate: null,
          trt_chk_rslt: refused ? `${refused.zh}（${refused.en}）` : '',
        },
      ],
    },
    committed: false,
  };
}

/**
 * 5301: the person's 门诊慢特病 registrations (`feedetail[]`), the same the platform's 1101 `opspinfo` shows.
 *
 * @example
 * chronicQuery(ctx, { data: { psn_no } }).output // { feedetail: [{ opsp_dise_code: 'M00800', … }] }
 */
export function chronicQuery(ctx: TxContext, input: TransactionInput<'5301'>): TxResult {
  const state = personOf(ctx, input.data.psn_no);
  return {
    output: {
      feedetail: state.person.chronicDiseases.map((d) => ({
        opsp_dise_code: d.code,
        opsp_dise_name: d.name,
        begndate: d.from,
        enddate: d.until ?? null,
      })),
    },
    committed: false,
  };
}
