import * as z from 'zod/mini';
import { yuanToFen } from '../money.js';
import { AreaCodeSchema } from './primitives.js';
import { optionalWireDate, optionalWireText, wireText } from './wire-text.js';

/*
 * A person as the platform's 1101 person query returns it. Field names are the national interface's, exactly
 * as on the wire; provinces send numbers as strings and empty strings for absent values, and add fields of
 * their own, so the objects are loose and the scalars lenient.
 */

/** A yuan amount on the wire (number or string), as integer 分 inside. */
export const WireYuanSchema = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((value, ctx) => {
    try {
      return yuanToFen(value);
    } catch {
      ctx.issues.push({ code: 'custom', message: 'Expected a yuan amount with at most 2 decimals', input: value });
      return z.NEVER;
    }
  }),
);

/** `baseinfo`: who the person is. */
export const PersonBaseInfoSchema = z.looseObject({
  /** 人员编号: the platform's person number. */
  psn_no: z.pipe(wireText, z.string().check(z.minLength(1))),
  /** 人员证件类型: 01 = 居民身份证. */
  psn_cert_type: optionalWireText,
  /** 证件号码. Personal data. */
  certno: optionalWireText,
  /** 人员姓名. Personal data. */
  psn_name: optionalWireText,
  /** 性别: 1 male, 2 female, 0/9 not stated. */
  gend: optionalWireText,
  /** 民族. */
  naty: optionalWireText,
  /** 出生日期. */
  brdy: optionalWireDate,
  /** 年龄 (number or string on the wire). */
  age: z.optional(
    z.nullable(
      z.pipe(
        wireText,
        z.transform((v) => (v === '' ? undefined : Number(v))),
      ),
    ),
  ),
  /** 生存状态 (provincial): 1 alive, 2 deceased (from the civil-affairs death register, 冒用死亡人员 checks). */
  surv_stas: optionalWireText,
  /** 联网结算暂停标志 (provincial): 1 when networked settlement is suspended for this person (seed 004 (十二)). */
  setl_paus_flag: optionalWireText,
  /** 失信标志 (provincial): 1 when the person is on the medical-insurance credit blacklist. */
  crdt_blklst_flag: optionalWireText,
});

/** `opspinfo[]` (provincial, as 5301 returns it): 门诊慢特病 registrations. */
export const PersonChronicDiseaseSchema = z.looseObject({
  opsp_dise_code: wireText,
  opsp_dise_name: optionalWireText,
  begndate: optionalWireDate,
  enddate: optionalWireDate,
});

/** `insuinfo[]`: one entry per insurance the person holds. */
export const PersonInsuranceSchema = z.looseObject({
  /** 余额: personal account balance, in 分 inside. */
  balc: z.optional(z.nullable(WireYuanSchema)),
  /** 险种类型: 310 城镇职工基本医疗保险, 390 城乡居民基本医疗保险, … */
  insutype: wireText,
  /** 人员类别. */
  psn_type: optionalWireText,
  /** 人员参保状态: 1 正常参保, 2 暂停参保, 4 终止参保 (dictionary from 1901). */
  psn_insu_stas: optionalWireText,
  /** 个人参保日期. */
  psn_insu_date: optionalWireDate,
  /** 暂停参保日期. */
  paus_insu_date: optionalWireDate,
  /** 公务员标志. */
  cvlserv_flag: optionalWireText,
  /** 参保地医保区划. */
  insuplc_admdvs: AreaCodeSchema,
  /** 单位名称. */
  emp_name: optionalWireText,
});

/** `idetinfo[]`: special identities (低保, 特困, 离休, …) with their validity. */
export const PersonIdentitySchema = z.looseObject({
  psn_idet_type: wireText,
  psn_type_lv: optionalWireText,
  memo: optionalWireText,
  begntime: optionalWireText,
  endtime: optionalWireText,
});

/** The output of 1101 人员信息获取. */
export const PersonQueryOutputSchema = z.looseObject({
  baseinfo: PersonBaseInfoSchema,
  insuinfo: z.array(PersonInsuranceSchema).check(z.maxLength(50)),
  idetinfo: z.optional(z.nullable(z.array(PersonIdentitySchema).check(z.maxLength(50)))),
  opspinfo: z.optional(z.nullable(z.array(PersonChronicDiseaseSchema).check(z.maxLength(100)))),
});

export type PersonBaseInfo = z.infer<typeof PersonBaseInfoSchema>;
export type PersonInsurance = z.infer<typeof PersonInsuranceSchema>;
export type PersonIdentity = z.infer<typeof PersonIdentitySchema>;
export type PersonChronicDisease = z.infer<typeof PersonChronicDiseaseSchema>;
export type PersonQueryOutput = z.infer<typeof PersonQueryOutputSchema>;
