import { fenToYuanNumber, isValidResidentId } from '../../src/codes/index.js';
import { formatCstDate, formatCstTime, type TransactionInput } from '../../src/platform/index.js';
import type { DemoPersonKey } from './seed/people.js';
import { refuse, SIGN_IN_EXPIRED_MESSAGE, SimRefusal } from './wire.js';
import type { PersonState, TxContext, TxResult, Voucher, World } from './world.js';

/*
 * Who is asking and who is buying: sign-in sessions (9001/9002), e-voucher tokens, and the person query (1101)
 * with the three ways a buyer identifies (01 token, 02 身份证, 03 社保卡).
 */

/** An e-voucher as the buyer's phone would show it. */
export interface VoucherTicket {
  /** What the scanner reads: `ecqr:` + the token. */
  readonly qr: string;
  /** The token a decoded QR yields: the 6-digit area of issue and 32 letters and digits. */
  readonly ecToken: string;
  readonly expiresAt: number;
}

/**
 * Mints a demo person's e-voucher token (valid `tokenTtlMs`, good for one settlement) and its QR text.
 *
 * @example
 * issueVoucher(world, 'active', now) // { qr: 'ecqr:220100…', ecToken: '220100…', expiresAt }
 */
export function issueVoucher(world: World, key: DemoPersonKey, now: number): VoucherTicket {
  const state = world.peopleByKey.get(key);
  if (!state) throw new TypeError(`No demo person '${String(key)}'`);
  const token = world.nextToken(state.person.insuplcAdmdvs);
  const voucher: Voucher = {
    token,
    psnNo: state.person.psnNo,
    issuedAt: now,
    expiresAt: now + world.config.tokenTtlMs,
  };
  world.vouchers.set(token, voucher);
  return { qr: `ecqr:${token}`, ecToken: token, expiresAt: voucher.expiresAt };
}

/**
 * The session a `sign_no` names, if it is valid for this pharmacy now; otherwise the sign-in-expired refusal.
 *
 * @example
 * requireSession(world, envelope.sign_no, envelope.fixmedins_code, now) // throws SimRefusal -2 when expired
 */
export function requireSession(world: World, signNo: string | undefined, fixmedinsCode: string, now: number): void {
  const session = signNo ? world.sessions.get(signNo) : undefined;
  if (!session || !session.valid || session.fixmedinsCode !== fixmedinsCode || now >= session.expiresAt) {
    const [zh, en] = SIGN_IN_EXPIRED_MESSAGE.split(' / ') as [string, string];
    throw new SimRefusal(-2, zh, en);
  }
}

/**
 * 9001: opens a session for the pharmacy and answers its `sign_no`. Earlier sessions stay valid until they expire.
 *
 * @example
 * signIn(ctx, { signIn: { opter_no, mac, ip } }).output // { signinoutb: { sign_time, sign_no } }
 */
export function signIn(ctx: TxContext, _input: TransactionInput<'9001'>): TxResult {
  const { world, now } = ctx;
  const signNo = world.nextId('', now) + world.nextDigits(4);
  world.sessions.set(signNo, {
    signNo,
    fixmedinsCode: ctx.envelope.fixmedins_code,
    terminal: ctx.terminal,
    signedAt: now,
    expiresAt: now + world.config.signInTtlMs,
    valid: true,
  });
  return { output: { signinoutb: { sign_time: formatCstTime(now), sign_no: signNo } }, committed: false };
}

/**
 * 9002: closes a session of this pharmacy; its `sign_no` is refused from then on.
 *
 * @example
 * signOut(ctx, { signOut: { sign_no, opter_no } })
 */
export function signOut(ctx: TxContext, input: TransactionInput<'9002'>): TxResult {
  const session = ctx.world.sessions.get(input.signOut.sign_no);
  if (!session || session.fixmedinsCode !== ctx.envelope.fixmedins_code)
    refuse('签退的签到编号不存在', 'no such sign_no to sign out');
  session.valid = false;
  return { output: { signoutoutb: { sign_time: formatCstTime(ctx.now) } }, committed: false };
}

/**
 * A voucher token that may still pay for a sale.
 *
 * @example
 * usableVoucher(world, token, now).psnNo
 */
export function usableVoucher(world: World, token: string, now: number): Voucher {
  const voucher = world.vouchers.get(token);
  if (!voucher) refuse('医保电子凭证无效或不存在', 'unknown e-voucher token');
  if (now >= voucher.expiresAt)
    refuse(
      '医保电子凭证已过期，请刷新医保码后重新扫码',
      'the e-voucher has expired: refresh the QR code and scan again',
    );
  if (voucher.usedBy !== undefined)
    refuse(
      '医保电子凭证已用于一笔结算，请刷新医保码后重新扫码',
      'the e-voucher was already used for a settlement: refresh the QR code and scan again',
    );
  return voucher;
}

/**
 * Finds the person a certificate names (01 token, 02 身份证, 03 社保卡 with `card_sn`), or refuses.
 *
 * @example
 * personByCert(world, { type: '03', no: cardNo, cardSn }, now).state.person.psnNo
 */
export function personByCert(
  world: World,
  cert: { type: '01' | '02' | '03'; no: string; cardSn?: string | undefined },
  now: number,
): { state: PersonState; voucher?: Voucher } {
  switch (cert.type) {
    case '01': {
      const voucher = usableVoucher(world, cert.no, now);
      const state = world.people.get(voucher.psnNo);
      if (!state) refuse('未查询到人员参保信息', 'no insured person for this e-voucher');
      return { state, voucher };
    }
    case '02': {
      if (!isValidResidentId(cert.no)) refuse('身份证号码校验失败', 'the resident ID number is not valid');
      const wanted = cert.no.toUpperCase();
      const state = [...world.people.values()].find((s) => s.person.residentId === wanted);
      if (!state) refuse('未查询到人员参保信息', 'no insured person with this ID number');
      return { state };
    }
    case '03': {
      const state = [...world.people.values()].find((s) => s.person.card.cardNo === cert.no);
      if (!state) refuse('社会保障卡无效或未查询到持卡人', 'unknown social security card');
      if (!cert.cardSn)
        refuse(
          '使用社会保障卡须提供卡识别码 card_sn',
          'card_sn is required with a social security card (mdtrt_cert_type 03)',
        );
      if (cert.cardSn !== state.person.card.cardSn)
        refuse('社会保障卡识别码与卡号不符', 'card_sn does not match the card number');
      return { state };
    }
  }
}

/**
 * Whole years of age at `now`, on the China calendar.
 *
 * @example
 * ageAt('2019-06-01', Date.UTC(2026, 10, 23)) // 7
 */
export function ageAt(birthDate: string, now: number): number {
  const today = formatCstDate(now);
  const years = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return today.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/**
 * 1101: the person a certificate names, with the statuses a till must act on (生存状态, 参保状态, 失信, 慢特病).
 *
 * @example
 * personQuery(ctx, { data: { mdtrt_cert_type: '02', mdtrt_cert_no: residentId } }).output.baseinfo.surv_stas // '1'
 */
export function personQuery(ctx: TxContext, input: TransactionInput<'1101'>): TxResult {
  const { data } = input;
  const { state } = personByCert(
    ctx.world,
    { type: data.mdtrt_cert_type, no: data.mdtrt_cert_no, cardSn: data.card_sn },
    ctx.now,
  );
  const p = state.person;
  if (data.certno && data.certno.toUpperCase() !== p.residentId)
    refuse('证件号码与凭证持有人不符', 'certno does not match the holder of the voucher');
  return {
    output: {
      baseinfo: {
        psn_no: p.psnNo,
        psn_cert_type: '01',
        certno: p.residentId,
        psn_name: p.name,
        gend: p.gend,
        naty: p.naty,
        brdy: p.birthDate,
        age: ageAt(p.birthDate, ctx.now),
        surv_stas: p.survStas,
        setl_paus_flag: p.settlementPaused ? '1' : '0',
        crdt_blklst_flag: p.creditBlacklisted ? '1' : '0',
      },
      insuinfo: [
        {
          balc: fenToYuanNumber(state.balanceFen),
          insutype: p.insutype,
          psn_type: p.psnType,
          psn_insu_stas: p.insuStatus,
          psn_insu_date: p.insuredSince,
          paus_insu_date: p.pausedOn ?? null,
          cvlserv_flag: '0',
          insuplc_admdvs: p.insuplcAdmdvs,
          emp_name: p.employer ?? null,
        },
      ],
      idetinfo: [],
      opspinfo: p.chronicDiseases.map((d) => ({
        opsp_dise_code: d.code,
        opsp_dise_name: d.name,
        begndate: d.from,
        enddate: d.until ?? null,
      })),
    },
    committed: false,
  };
}

/**
 * The envelope's `insuplc_admdvs` must be the buyer's insurance area whenever `input` names a person.
 *
 * @example
 * requireInsuranceArea(ctx, world.people.get(psnNo)) // throws unless insuplc_admdvs is theirs
 */
export function requireInsuranceArea(ctx: TxContext, state: PersonState): void {
  const sent = ctx.envelope.insuplc_admdvs;
  if (!sent) refuse('报文缺少参保地医保区划 insuplc_admdvs', 'insuplc_admdvs is required when input names a person');
  if (sent !== state.person.insuplcAdmdvs)
    refuse(
      '参保地医保区划与人员参保信息不符',
      "insuplc_admdvs is not the person's insurance area (from 1101 insuinfo)",
    );
}
