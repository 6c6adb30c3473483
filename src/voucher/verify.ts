import { maskPersonalData } from '../codes/index.js';
import {
  ERROR_CATALOG,
  isYibaoGuardError,
  PlatformRejectedError,
  StorageError,
  VoucherError,
  type VoucherErrorCode,
} from '../errors/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { TransactionInput, TransactionOutput } from '../platform/transactions.js';
import { parseInput } from '../schemas/parse.js';
import { DEFAULT_VOUCHER_POLICY, type VoucherPolicy } from '../schemas/rule-pack.js';
import { ProxyBuyerSchema, type ProxyBuyer } from '../schemas/sale.js';
import type { VoucherInput } from '../schemas/voucher.js';
import type { VoucherAuditEvent } from '../schemas/audit.js';
import type { Storage } from '../storage/contract.js';
import { buyerFromPerson, counterBuyerOf, type VerifiedBuyer } from './buyer.js';
import { readVoucher, type ReadVoucher } from './scan.js';
import { countVerification } from './velocity.js';
import { defined } from '../defined.js';

/** The part of the platform client verification uses (any object with this method will do). */
export interface PersonQueryPort {
  queryPerson(input: TransactionInput<'1101'>): Promise<TransactionOutput<'1101'>>;
}

/**
 * How a province words its refusals of a person query: the platform answers -2 with a message, and these
 * patterns turn the message into a stable code. The defaults match the national platform's usual wording
 * (and the simulator's); a province with other wording passes its own.
 */
export interface RefusalPattern {
  readonly pattern: RegExp;
  readonly code: VoucherErrorCode;
}

export const DEFAULT_REFUSAL_PATTERNS: readonly RefusalPattern[] = [
  { pattern: /(人员|参保人).*死亡/, code: 'BUYER_DECEASED' },
  { pattern: /失信|联网结算.*暂停/, code: 'BUYER_SETTLEMENT_SUSPENDED' },
  { pattern: /(凭证|医保码).*(过期|已使用|已用于|失效)|刷新医保码/, code: 'VOUCHER_EXPIRED' },
  { pattern: /(社会保障卡|卡号|卡识别码|证件号码|身份证).*(不符|不匹配|不一致)/, code: 'VOUCHER_MISMATCH' },
  { pattern: /暂停参保/, code: 'BUYER_INSURANCE_SUSPENDED' },
  { pattern: /未查询到.*(参保|人员)|未参保|终止参保/, code: 'BUYER_NOT_INSURED' },
  { pattern: /(凭证|社会保障卡).*(无效|不存在)|身份证.*校验失败/, code: 'VOUCHER_INVALID' },
];

/** Everything verification needs from the terminal around it. */
export interface VoucherVerifierOptions {
  readonly platform: PersonQueryPort;
  /** Keeps the audit trail and the velocity history. */
  readonly storage: Storage<TerminalLayout>;
  readonly terminal: {
    readonly id: string;
    readonly operatorId: string;
    /** 就医地 area of the pharmacy. */ readonly area: string;
  };
  readonly clock?: { now(): number };
  /** The voucher policy in force (from the rule pack); read at every verification so a new pack applies at once. */
  readonly policy?: VoucherPolicy | (() => VoucherPolicy);
  readonly refusalPatterns?: readonly RefusalPattern[];
}

/** What the till passes: the voucher, and who is buying if not the holder. */
export interface VerifyVoucherRequest {
  readonly voucher: VoucherInput | unknown;
  /** A proxy buyer (代购): recorded for the audit, masked in every log. */
  readonly proxy?: ProxyBuyer | unknown;
}

/**
 * Real-name verification (实名购药): reads the voucher locally (format and check characters before any
 * network call), asks the platform (1101), refuses the deceased, the suspended, the blacklisted and the
 * uninsured with stable codes, records who is physically buying, warns when one voucher is verified too often
 * or at several terminals, and writes an audit event for every attempt, refused or not.
 *
 * @example
 * const buyer = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: scan } }, { platform, storage, terminal })
 * buyer.displayName // '张*'
 */
export async function verifyVoucher(
  request: VerifyVoucherRequest,
  options: VoucherVerifierOptions,
): Promise<VerifiedBuyer> {
  const now = (options.clock ?? Date).now();
  const policy = typeof options.policy === 'function' ? options.policy() : (options.policy ?? DEFAULT_VOUCHER_POLICY);
  let read: ReadVoucher | undefined;
  let proxy: ProxyBuyer | undefined;
  let psnNo: string | undefined;
  try {
    read = readVoucher(request.voucher);
    if (request.proxy !== undefined)
      proxy = parseInput(ProxyBuyerSchema, request.proxy, { en: 'Proxy buyer', zh: '代购人信息' });
    if (read.kind === 'id-card' && !policy.residentIdAlone)
      throw new VoucherError('VOUCHER_NOT_ALLOWED', { field: 'kind' });
    const person = await queryPerson(options, read);
    psnNo = person.baseinfo.psn_no;
    const verified = buyerFromPerson(person, read, { pharmacyArea: options.terminal.area, now, ...defined({ proxy }) });
    const warnings = await recordSuccess(
      options,
      verified.psnNo,
      now,
      policy,
      auditEvent(options, now, read, proxy, 'verified', verified.psnNo),
    );
    const buyer = { ...verified, warnings } as VerifiedBuyer;
    Object.defineProperty(buyer, 'identity', { value: verified.identity, enumerable: false });
    return buyer;
  } catch (error) {
    const outcome = isYibaoGuardError(error) ? error.code : 'UNEXPECTED';
    // The refusal is what the till must see; a storage that cannot take the audit event fails the next write too.
    await options.storage
      .write([{ op: 'append', journal: 'audit', value: auditEvent(options, now, read, proxy, outcome, psnNo) }])
      .catch(() => undefined);
    throw error;
  }
}

async function queryPerson(options: VoucherVerifierOptions, read: ReadVoucher): Promise<TransactionOutput<'1101'>> {
  const data: TransactionInput<'1101'>['data'] =
    read.kind === 'ec-qr'
      ? { mdtrt_cert_type: '01', mdtrt_cert_no: read.certNo }
      : read.kind === 'ssc'
        ? {
            mdtrt_cert_type: '03',
            mdtrt_cert_no: read.certNo,
            ...defined({ card_sn: read.cardSn || undefined }),
            psn_cert_type: '01',
            certno: read.residentId,
          }
        : { mdtrt_cert_type: '02', mdtrt_cert_no: read.certNo, psn_cert_type: '01', certno: read.residentId };
  try {
    return await options.platform.queryPerson({ data });
  } catch (error) {
    if (isYibaoGuardError(error, 'PLATFORM_UNAVAILABLE') || isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) {
      throw new VoucherError('VOUCHER_OFFLINE', { selfPayAllowed: true, cause: error });
    }
    if (error instanceof PlatformRejectedError || isYibaoGuardError(error, 'PLATFORM_REJECTED')) {
      const message = (error as PlatformRejectedError).platformMessage ?? '';
      const match = (options.refusalPatterns ?? DEFAULT_REFUSAL_PATTERNS).find((p) => p.pattern.test(message));
      if (match) {
        const shown = maskPersonalData(message);
        throw new VoucherError(match.code, {
          cause: error,
          messageZh: `${ERROR_CATALOG[match.code].zh}（医保平台：${shown}）`,
        });
      }
    }
    throw error;
  }
}

/** Counts the verification for velocity and writes it with its audit event in one atomic batch. */
async function recordSuccess(
  options: VoucherVerifierOptions,
  psnNo: string,
  now: number,
  policy: VoucherPolicy,
  event: VoucherAuditEvent,
) {
  for (let attempt = 0; ; attempt++) {
    const previous = await options.storage.get('voucherUse', psnNo);
    const { warnings, record } = countVerification(
      previous?.value,
      { at: now, terminalId: options.terminal.id },
      policy,
    );
    try {
      await options.storage.write([
        { op: 'put', store: 'voucherUse', key: psnNo, value: record, expect: previous?.rev ?? null },
        { op: 'append', journal: 'audit', value: { ...event, warnings: warnings.map((w) => w.code) } },
      ]);
      return warnings;
    } catch (error) {
      // Another counter verified the same person in between: count again on what it wrote.
      if (!(error instanceof StorageError && error.code === 'STORAGE_CONFLICT') || attempt >= 5) throw error;
    }
  }
}

function auditEvent(
  options: VoucherVerifierOptions,
  now: number,
  read: ReadVoucher | undefined,
  proxy: ProxyBuyer | undefined,
  outcome: string,
  psnNo: string | undefined,
): VoucherAuditEvent {
  const counter = counterBuyerOf(proxy);
  return {
    kind: 'voucher-verification',
    at: now,
    terminalId: options.terminal.id,
    operatorId: options.terminal.operatorId,
    voucherKind: read?.kind ?? 'unreadable',
    outcome,
    ...defined({ psnNo: psnNo || undefined }),
    ...(read ? { voucherHint: read.hint } : {}),
    buyer:
      counter.kind === 'holder'
        ? { kind: 'holder' }
        : {
            kind: 'proxy',
            residentIdMasked: counter.residentIdMasked,
            nameMasked: counter.nameMasked,
            ...defined({ relation: counter.relation || undefined }),
          },
    warnings: [],
  };
}
