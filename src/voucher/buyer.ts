import { maskName, maskPhone, maskResidentId, residentIdInfo, isValidResidentId } from '../codes/index.js';
import { VoucherError } from '../errors/index.js';
import { formatCstDate } from '../platform/time.js';
import type { PersonQueryOutput } from '../schemas/person.js';
import type { ProxyBuyer } from '../schemas/sale.js';
import type { ReadVoucher } from './scan.js';
import { defined } from '../defined.js';

/** One insurance the buyer holds, as the till needs it. */
export interface BuyerInsurance {
  /** 险种类型, e.g. 310 城镇职工, 390 城乡居民. */
  readonly insutype: string;
  readonly psnType?: string;
  /** 人员参保状态: 1 正常参保. */
  readonly status: string;
  /** 参保地医保区划. */
  readonly insuplcAdmdvs: string;
  /** Personal account balance, in 分. */
  readonly balanceFen: number;
}

/** A 门诊慢特病 qualification in force today. */
export interface ChronicQualification {
  readonly code: string;
  readonly name?: string;
  readonly from?: string;
  readonly until?: string;
}

/** Who is physically at the counter: the voucher's holder, or someone buying for them (代购). Masked. */
export type CounterBuyer =
  | { readonly kind: 'holder' }
  | {
      readonly kind: 'proxy';
      readonly residentIdMasked: string;
      readonly nameMasked: string;
      readonly relation?: string;
      readonly phoneMasked?: string;
    };

/** A warning raised by verification that does not refuse the buyer (shown to the pharmacist). */
export interface VoucherWarning {
  readonly code: 'VOUCHER_VELOCITY' | 'VOUCHER_MULTI_TERMINAL';
  readonly zh: string;
  readonly en: string;
  /** Verifications of this person in the window, this one included. */
  readonly count: number;
  /** Distinct terminals among them. */
  readonly terminals: number;
  readonly windowMinutes: number;
}

/** The full identities behind a verified buyer: never enumerable, so never in JSON, logs or snapshots. */
export interface BuyerIdentity {
  /** `mdtrt_cert_no` for 2101/2102: the e-voucher token, the card number or the 身份证 number. */
  readonly certNo: string;
  readonly cardSn?: string;
  readonly residentId?: string;
  readonly name?: string;
  readonly proxy?: ProxyBuyer;
}

/**
 * A buyer the platform has confirmed may draw on the fund now. Everything enumerable is safe to show, log or
 * store; the full identities needed for settlement sit in the non-enumerable `identity`.
 */
export interface VerifiedBuyer {
  /** 人员编号. */
  readonly psnNo: string;
  readonly voucherKind: ReadVoucher['kind'];
  /** `mdtrt_cert_type`: 01 e-voucher, 02 身份证, 03 社保卡. */
  readonly certType: ReadVoucher['certType'];
  /** Masked name and 身份证 for the screen. */
  readonly displayName: string;
  readonly displayId: string;
  readonly sex: 'male' | 'female' | 'unknown';
  readonly age?: number;
  /** The insurance settlement uses (the first in force). */
  readonly insurance: BuyerInsurance;
  readonly insurances: readonly BuyerInsurance[];
  readonly chronic: readonly ChronicQualification[];
  /** 特殊人员身份 (低保, 特困, …) codes. */
  readonly identities: readonly string[];
  /** Insured outside this pharmacy's pooling area (the first four digits of the area code differ): 异地. */
  readonly outOfArea: boolean;
  /** Insured in another province. */
  readonly crossProvince: boolean;
  readonly counterBuyer: CounterBuyer;
  readonly warnings: readonly VoucherWarning[];
  readonly verifiedAt: number;
  readonly identity: BuyerIdentity;
}

/**
 * Decides from a 1101 answer whether the person may draw on the fund, and builds the verified buyer. Refusals
 * are checked most serious first: a dead holder's voucher in someone's hand matters more than a lapsed policy.
 */
export function buyerFromPerson(
  person: PersonQueryOutput,
  voucher: ReadVoucher,
  context: { readonly pharmacyArea: string; readonly now: number; readonly proxy?: ProxyBuyer },
): Omit<VerifiedBuyer, 'warnings'> {
  const base = person.baseinfo;
  if (base.surv_stas === '2') throw new VoucherError('BUYER_DECEASED', { field: 'voucher' });
  if (base.crdt_blklst_flag === '1' || base.setl_paus_flag === '1')
    throw new VoucherError('BUYER_SETTLEMENT_SUSPENDED', { field: 'voucher' });
  const certno = base.certno?.toUpperCase();
  if (voucher.kind !== 'ec-qr' && certno !== undefined && certno !== '' && certno !== voucher.residentId) {
    throw new VoucherError('VOUCHER_MISMATCH', { field: 'residentId' });
  }
  const insurances: BuyerInsurance[] = person.insuinfo.map((i) => ({
    insutype: i.insutype,
    ...defined({ psnType: i.psn_type || undefined }),
    status: i.psn_insu_stas ?? '',
    insuplcAdmdvs: i.insuplc_admdvs,
    balanceFen: i.balc ?? 0,
  }));
  const insurance = insurances.find((i) => i.status === '1');
  if (!insurance) {
    throw new VoucherError(
      insurances.some((i) => i.status === '2') ? 'BUYER_INSURANCE_SUSPENDED' : 'BUYER_NOT_INSURED',
      { field: 'voucher' },
    );
  }
  const today = formatCstDate(context.now);
  const chronic = (person.opspinfo ?? [])
    .filter((d) => (!d.begndate || d.begndate <= today) && (!d.enddate || d.enddate >= today))
    .map((d) => ({
      code: d.opsp_dise_code,
      ...defined({ name: d.opsp_dise_name || undefined, from: d.begndate || undefined, until: d.enddate || undefined }),
    }));
  const residentId =
    certno && isValidResidentId(certno) ? certno : voucher.kind === 'ec-qr' ? undefined : voucher.residentId;
  const info = residentId ? residentIdInfo(residentId) : undefined;
  const sex = base.gend === '1' ? 'male' : base.gend === '2' ? 'female' : (info?.sex ?? 'unknown');
  const age = base.age ?? (info ? ageOn(info.birthDate, today) : undefined);
  const proxy = context.proxy;
  const identity: BuyerIdentity = {
    certNo: voucher.certNo,
    ...(voucher.kind === 'ssc' && voucher.cardSn ? { cardSn: voucher.cardSn } : {}),
    ...defined({ residentId: residentId || undefined, name: base.psn_name || undefined }),
    ...defined({ proxy }),
  };
  const buyer = {
    psnNo: base.psn_no,
    voucherKind: voucher.kind,
    certType: voucher.certType,
    displayName: base.psn_name ? maskName(base.psn_name) : '',
    displayId: residentId ? maskResidentId(residentId) : '',
    sex,
    ...(age !== undefined && Number.isFinite(age) ? { age } : {}),
    insurance,
    insurances,
    chronic,
    identities: (person.idetinfo ?? []).map((i) => i.psn_idet_type),
    outOfArea: insurance.insuplcAdmdvs.slice(0, 4) !== context.pharmacyArea.slice(0, 4),
    crossProvince: insurance.insuplcAdmdvs.slice(0, 2) !== context.pharmacyArea.slice(0, 2),
    counterBuyer: counterBuyerOf(proxy),
    verifiedAt: context.now,
  } as Omit<VerifiedBuyer, 'warnings' | 'identity'>;
  Object.defineProperty(buyer, 'identity', { value: identity, enumerable: false });
  return buyer as Omit<VerifiedBuyer, 'warnings'>;
}

/** The masked record of who is at the counter. */
export function counterBuyerOf(proxy: ProxyBuyer | undefined): CounterBuyer {
  if (!proxy) return { kind: 'holder' };
  return {
    kind: 'proxy',
    residentIdMasked: maskResidentId(proxy.residentId),
    nameMasked: maskName(proxy.name),
    ...defined({ relation: proxy.relation || undefined }),
    ...(proxy.phone ? { phoneMasked: maskPhone(proxy.phone) } : {}),
  };
}

function ageOn(birthDate: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return today.slice(5) < birthDate.slice(5) ? years - 1 : years;
}
