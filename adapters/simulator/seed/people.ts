import { residentIdCheckChar } from '../../../src/codes/index.js';

/*
 * The simulator's insured people and designated pharmacies. Everyone here is fictional: the 身份证 numbers are
 * built from a region, a birth date and a sequence with the GB 11643 check character, so they parse like real
 * ones but belong to no one. Each person shows one status the till must react to.
 */

/** A fictional 身份证 number: region + birth date + sequence, completed with its check character. */
function residentId(region: string, birth: string, sequence: string): string {
  const body = `${region}${birth}${sequence}`;
  return body + residentIdCheckChar(body);
}

/** The keys of {@link DEMO_PEOPLE}: one person per status the till must handle. */
export type DemoPersonKey =
  'active' | 'resident' | 'suspended' | 'deceased' | 'terminated' | 'blacklisted' | 'nonlocal' | 'child' | 'chronic';

/** A 门诊慢特病 registration (what 1101 lists in `opspinfo[]`). */
export interface DemoChronicDisease {
  readonly code: string;
  readonly name: string;
  /** `yyyy-MM-dd`. */
  readonly from: string;
  readonly until?: string;
}

/** A fictional insured person as the simulated platform holds them. Personal data: mask before logging. */
export interface DemoPerson {
  readonly key: DemoPersonKey;
  /** What this person demonstrates, for screens and test names. */
  readonly about: string;
  /** 人员编号 (`psn_no`). */
  readonly psnNo: string;
  readonly name: string;
  readonly residentId: string;
  /** 1 male, 2 female (from the ID's sequence digit). */
  readonly gend: '1' | '2';
  /** 民族 (01 汉族). */
  readonly naty: string;
  /** `yyyy-MM-dd`, as in the ID number. */
  readonly birthDate: string;
  /** 险种类型: 310 城镇职工基本医疗保险, 390 城乡居民基本医疗保险. */
  readonly insutype: '310' | '390';
  /** 人员类别 (the simulator's small dictionary: 11 在职, 12 退休, 15 城乡居民, 16 未成年人). */
  readonly psnType: string;
  /** 人员参保状态: 1 正常参保, 2 暂停参保, 4 终止参保. */
  readonly insuStatus: '1' | '2' | '4';
  readonly insuredSince: string;
  readonly pausedOn?: string;
  /** 参保地医保区划. */
  readonly insuplcAdmdvs: string;
  readonly employer?: string;
  /** 生存状态: 1 alive, 2 deceased. */
  readonly survStas: '1' | '2';
  /** 联网结算暂停 (set for people on the credit blacklist). */
  readonly settlementPaused: boolean;
  /** 医保失信 blacklist. */
  readonly creditBlacklisted: boolean;
  /** Personal account balance at the start, in 分 (city-rural residents have no account). */
  readonly openingBalanceFen: number;
  /** What this year's purchases have already counted toward the 起付线, in 分. */
  readonly deductibleMetFen: number;
  /** 社会保障卡: card number (卡号) and the reader's 卡识别码 (`card_sn`). */
  readonly card: { readonly cardNo: string; readonly cardSn: string };
  readonly chronicDiseases: readonly DemoChronicDisease[];
}

function person(
  p: Omit<DemoPerson, 'residentId' | 'gend' | 'birthDate' | 'card'> & {
    region: string;
    birth: string;
    sequence: string;
    cardNo: string;
  },
): DemoPerson {
  const { region, birth, sequence, cardNo, ...rest } = p;
  return {
    ...rest,
    residentId: residentId(region, birth, sequence),
    gend: Number(sequence.charAt(2)) % 2 === 1 ? '1' : '2',
    birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
    // 卡识别码: the issuing area, a fixed issuer tag and the person number make 32 characters.
    card: { cardNo, cardSn: `${rest.insuplcAdmdvs}D156000005${rest.psnNo.slice(-16)}` },
  };
}

/**
 * The simulator's fictional insured people, one per status the till must handle: an active employee with an
 * account balance, a city-rural resident, suspended, deceased, terminated, credit-blacklisted, insured in another
 * province, a child, and a retiree with 慢特病 registrations (高血压 M03900, 糖尿病 M03100). Use
 * `simulator.issueVoucher(key)` for an e-voucher QR, `residentId` for 02 and `card` for 03.
 *
 * @example
 * const { psnNo, card } = DEMO_PEOPLE.active
 * const { qr } = simulator.issueVoucher('active')
 */
export const DEMO_PEOPLE: Readonly<Record<DemoPersonKey, DemoPerson>> = {
  active: person({
    key: 'active',
    about: '在职职工，账户有余额 / active employee with an account balance',
    psnNo: '22010000000000000001',
    name: '李明华',
    region: '220102',
    birth: '19780412',
    sequence: '153',
    naty: '01',
    insutype: '310',
    psnType: '11',
    insuStatus: '1',
    insuredSince: '2001-07-01',
    insuplcAdmdvs: '220100',
    employer: '长春示范机械有限公司',
    survStas: '1',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 156_880,
    deductibleMetFen: 10_000,
    cardNo: 'J22010001',
    chronicDiseases: [],
  }),
  resident: person({
    key: 'resident',
    about: '城乡居民，无个人账户 / city-rural resident, no personal account',
    psnNo: '22010000000000000002',
    name: '王秀英',
    region: '220104',
    birth: '19900721',
    sequence: '246',
    naty: '01',
    insutype: '390',
    psnType: '15',
    insuStatus: '1',
    insuredSince: '2016-01-01',
    insuplcAdmdvs: '220100',
    survStas: '1',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 0,
    deductibleMetFen: 0,
    cardNo: 'J22010002',
    chronicDiseases: [],
  }),
  suspended: person({
    key: 'suspended',
    about: '暂停参保（单位欠费）/ insurance suspended (employer arrears)',
    psnNo: '22010000000000000003',
    name: '赵建国',
    region: '220105',
    birth: '19851103',
    sequence: '371',
    naty: '01',
    insutype: '310',
    psnType: '11',
    insuStatus: '2',
    insuredSince: '2008-03-01',
    pausedOn: '2026-09-01',
    insuplcAdmdvs: '220100',
    employer: '长春示范商贸有限公司',
    survStas: '1',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 32_000,
    deductibleMetFen: 0,
    cardNo: 'J22010003',
    chronicDiseases: [],
  }),
  deceased: person({
    key: 'deceased',
    about: '已死亡（民政死亡登记）/ deceased (civil-affairs death register)',
    psnNo: '22010000000000000004',
    name: '孙福田',
    region: '220106',
    birth: '19410217',
    sequence: '019',
    naty: '01',
    insutype: '310',
    psnType: '12',
    insuStatus: '1',
    insuredSince: '1998-12-01',
    insuplcAdmdvs: '220100',
    survStas: '2',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 8_850,
    deductibleMetFen: 0,
    cardNo: 'J22010004',
    chronicDiseases: [],
  }),
  terminated: person({
    key: 'terminated',
    about: '终止参保 / insurance terminated',
    psnNo: '22010000000000000005',
    name: '周玉兰',
    region: '220112',
    birth: '19690930',
    sequence: '082',
    naty: '01',
    insutype: '310',
    psnType: '11',
    insuStatus: '4',
    insuredSince: '1995-05-01',
    pausedOn: '2025-12-31',
    insuplcAdmdvs: '220100',
    survStas: '1',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 0,
    deductibleMetFen: 0,
    cardNo: 'J22010005',
    chronicDiseases: [],
  }),
  blacklisted: person({
    key: 'blacklisted',
    about: '医保失信，联网结算暂停 / credit-blacklisted, networked settlement paused',
    psnNo: '22010000000000000006',
    name: '吴志强',
    region: '220102',
    birth: '19820506',
    sequence: '315',
    naty: '01',
    insutype: '310',
    psnType: '11',
    insuStatus: '1',
    insuredSince: '2004-09-01',
    insuplcAdmdvs: '220100',
    employer: '长春示范物流有限公司',
    survStas: '1',
    settlementPaused: true,
    creditBlacklisted: true,
    openingBalanceFen: 45_600,
    deductibleMetFen: 10_000,
    cardNo: 'J22010006',
    chronicDiseases: [],
  }),
  nonlocal: person({
    key: 'nonlocal',
    about: '外省参保（深圳），未备案异地就医 / insured in another province (Shenzhen), no 异地 filing',
    psnNo: '44030000000000000007',
    name: '郑婷婷',
    region: '440305',
    birth: '19751224',
    sequence: '428',
    naty: '01',
    insutype: '310',
    psnType: '11',
    insuStatus: '1',
    insuredSince: '2003-04-01',
    insuplcAdmdvs: '440300',
    employer: '深圳示范电子有限公司',
    survStas: '1',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 230_000,
    deductibleMetFen: 10_000,
    cardNo: 'J44030007',
    chronicDiseases: [],
  }),
  child: person({
    key: 'child',
    about: '未成年人（城乡居民）/ a child (city-rural resident insurance)',
    psnNo: '22010000000000000008',
    name: '陈小宝',
    region: '220104',
    birth: '20190601',
    sequence: '057',
    naty: '01',
    insutype: '390',
    psnType: '16',
    insuStatus: '1',
    insuredSince: '2019-07-01',
    insuplcAdmdvs: '220100',
    survStas: '1',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 0,
    deductibleMetFen: 0,
    cardNo: 'J22010008',
    chronicDiseases: [],
  }),
  chronic: person({
    key: 'chronic',
    about: '退休职工，门诊慢特病登记（高血压、糖尿病）/ retiree with 慢特病 registrations (hypertension, diabetes)',
    psnNo: '22010000000000000009',
    name: '刘桂芳',
    region: '220105',
    birth: '19560819',
    sequence: '264',
    naty: '01',
    insutype: '310',
    psnType: '12',
    insuStatus: '1',
    insuredSince: '1992-10-01',
    insuplcAdmdvs: '220100',
    survStas: '1',
    settlementPaused: false,
    creditBlacklisted: false,
    openingBalanceFen: 98_760,
    deductibleMetFen: 10_000,
    cardNo: 'J22010009',
    chronicDiseases: [
      { code: 'M03900', name: '高血压', from: '2021-03-01' },
      { code: 'M03100', name: '糖尿病', from: '2022-06-15' },
    ],
  }),
};

/** A designated retail pharmacy (定点零售药店) as the platform holds it. */
export interface DemoPharmacy {
  readonly key: 'active' | 'suspended';
  /** 定点医药机构编码 (`fixmedins_code`). */
  readonly code: string;
  readonly name: string;
  /** 就医地医保区划: what its requests must send as `mdtrtarea_admvs`. */
  readonly admdvs: string;
  /** `suspended`: the 定点 agreement is suspended; it may sign in and report 35xx but not settle (2101/2102). */
  readonly agreement: 'active' | 'suspended';
}

/**
 * The simulator's designated pharmacies: one with an active agreement, one whose agreement is suspended
 * (中止医保协议, seed 003 attachment 2: no insured settlement for it). Any other `fixmedins_code` is refused.
 *
 * @example
 * envelope.fixmedins_code = DEMO_PHARMACIES.active.code // 'P22010100001'
 */
export const DEMO_PHARMACIES: Readonly<Record<DemoPharmacy['key'], DemoPharmacy>> = {
  active: {
    key: 'active',
    code: 'P22010100001',
    name: '长春市示范大药房（人民大街店）',
    admdvs: '220100',
    agreement: 'active',
  },
  suspended: {
    key: 'suspended',
    code: 'P22010100002',
    name: '长春市康宁药店（朝阳店）',
    admdvs: '220100',
    agreement: 'suspended',
  },
};
