import type { SelfAuditOptions, SelfAuditReport } from '../audit/index.js';
import type { Ed25519Fallback, Signer } from '../crypto/index.js';
import { randomBytes } from '../crypto/index.js';
import { InputError } from '../errors/index.js';
import { openInvoiceBook } from '../invoice/index.js';
import { UNENROLLED } from '../invoice/records.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import { createPlatformClient, type PlatformClient, type PlatformClientOptions } from '../platform/client.js';
import type { TrustedKey } from '../rules/pack.js';
import { DEFAULT_VOUCHER_POLICY, type RulePack, type VoucherPolicy } from '../schemas/rule-pack.js';
import type { Product } from '../schemas/product.js';
import type { Storage } from '../storage/contract.js';
import { resumeMsgids } from '../sync/msgids.js';
import type { SyncWorkerOptions } from '../sync/worker.js';
import { withMembers } from './parts.js';
import { openTill, type TerminalEvent, type Till } from './open-till.js';
import type { VerifiedBuyer } from '../voucher/buyer.js';
import { verifyVoucher, type RefusalPattern, type VerifyVoucherRequest } from '../voucher/verify.js';
import { defined } from '../defined.js';

export type { TerminalEvent, TerminalSale, Receipt, RefundReceipt, SettleOptions, TerminalSync } from './open-till.js';

/** This till: its id, and what the platform's sign-in (9001) reports of the device. */
export interface TerminalIdentity {
  /** This terminal's id (the envelope's `dev_no`; its last digit is the msgid's terminal digit). */
  readonly id: string;
  /** The device's MAC address, sent at sign-in. */
  readonly mac: string;
  /** The device's IP address, sent at sign-in. */
  readonly ip: string;
  /** `dev_safe_info`, where the province wants it. */
  readonly safeInfo?: string;
}

/**
 * What {@link createTerminal} wires together. Who is selling is said once: the pharmacy, this terminal and the
 * operator here, and the terminal makes its platform client from them.
 */
export interface TerminalOptions {
  /**
   * How to reach the provincial platform: its base URL, the gateway's credentials, timeouts, retries (the options of
   * `createPlatformClient`, less who is calling and what the terminal supplies). The terminal makes its client
   * (`terminal.platform`) from these and its own `pharmacy`, `terminal` and `operator`; the client resumes the msgid
   * sequence from the terminal's storage (so a restart never reuses one), signs requests with the invoice key and
   * keeps the terminal's clock.
   */
  readonly platform: Omit<
    PlatformClientOptions,
    'institution' | 'area' | 'operator' | 'device' | 'msgids' | 'signer' | 'clock'
  >;
  /** The terminal's storage, opened with `TERMINAL_NAMES`. */
  readonly storage: Storage<TerminalLayout>;
  /**
   * The pharmacy: `fixmedins_code` and `fixmedins_name`, the 6-digit 医保区划 where it sells (就医地, `mdtrtarea_admvs`:
   * the area rule packs are issued for), and its 定点 agreement when the till knows it is suspended or ended.
   */
  readonly pharmacy: {
    readonly code: string;
    readonly name: string;
    readonly area: string;
    readonly agreement?: 'active' | 'suspended' | 'ended';
  };
  readonly terminal: TerminalIdentity;
  /**
   * The operator signed in at the till (`opter`, `opter_name`): a 执业药师's certificate number when they are one;
   * `type` is the platform's `opter_type` (1 staff, 2 self-service kiosk, 3 mobile terminal). @default type '1'
   */
  readonly operator: {
    readonly id: string;
    readonly name: string;
    readonly certNo?: string;
    readonly type?: '1' | '2' | '3';
  };
  /** The pharmacy's product master (目录): what scans match and the rules read. */
  readonly catalog?: Iterable<Product>;
  /** The rule pack to start with; a verified stored pack that is newer takes precedence. */
  readonly rulePack?: RulePack;
  /** The platform keys rule packs must be signed with (YG03 updates, stored packs). */
  readonly trustedKeys?: readonly TrustedKey[];
  /**
   * The rule-pack series (`packId`) this till follows. A pack applies only where it was issued — this terminal's
   * area, this pharmacy when the pack names pharmacies, this series — and any other is refused
   * (`RULE_PACK_WRONG_SCOPE`). @default the series of the pack the till has
   */
  readonly rulePackId?: string;
  /**
   * While no current rule pack is in force (the one the till has is past its `validUntil` and YG03 has no newer one
   * yet), every review carries a `rule-pack-expired` card; with fund lines it is a `block` (insured settlement waits;
   * self-pay goes) or, with `warn`, a warning a pharmacist may override with a reason. @default 'block'
   */
  readonly rulePackExpired?: 'block' | 'warn';
  /**
   * How long, by the clock, a till with an expired pack waits between two YG03 requests made by reviews. @default 5
   * minutes
   */
  readonly rulePackRetryMs?: number;
  /** Signs invoices (an HSM, an OS keystore). Or give `deviceSecret` to keep a key wrapped in storage. */
  readonly signer?: Signer;
  /** ≥ 16 random bytes from the device keystore: a terminal key is made, wrapped under it and stored on first use. */
  readonly deviceSecret?: Uint8Array;
  readonly clock?: { now(): number };
  readonly random?: (n: number) => Uint8Array;
  /** How this province words voucher refusals, when it differs from the national usage. */
  readonly refusalPatterns?: readonly RefusalPattern[];
  /** Ask the platform's own 3101 analysis at each review when online. @default true */
  readonly platformChecks?: boolean;
  /**
   * The self-audit `terminal.selfAudit` runs: `selfAudit` from `yibao-guard/audit`. Given here rather than bundled with
   * every till, since a sale never needs it.
   *
   * @example
   * import { selfAudit } from 'yibao-guard/audit'
   * const terminal = await createTerminal({ ...options, selfAudit })
   */
  readonly selfAudit?: (options: SelfAuditOptions) => Promise<SelfAuditReport>;
  /**
   * Ed25519 where the runtime's WebCrypto has none (an older browser or WebView): `tweetnaclEd25519` from
   * `yibao-guard/ed25519-fallback`, for the terminal's keys, its receipts' signatures and the rule packs' checks.
   * Without it such a runtime fails with `ENVIRONMENT_UNSUPPORTED`, naming this option.
   * @example
   * import { tweetnaclEd25519 } from 'yibao-guard/ed25519-fallback'
   * const terminal = await createTerminal({ ...options, ed25519Fallback: tweetnaclEd25519 })
   */
  readonly ed25519Fallback?: Ed25519Fallback;
  /** Delivery: the worker's options, its owner id (one per tab or process), and whether it starts now (default). */
  readonly sync?: Omit<SyncWorkerOptions, 'storage' | 'platform' | 'clock' | 'onEvent' | 'owner'> & {
    readonly owner?: string;
    readonly autoStart?: boolean;
  };
}

/**
 * The till: one object for a whole sale — voucher, scans, review, settlement, receipt — and for refunds, stock
 * movements, rule-pack updates and delivery to the platform.
 */
export interface Terminal extends Till {
  readonly platform: PlatformClient;
  readonly storage: Storage<TerminalLayout>;
  /**
   * Real-name verification of the buyer (实名购药): see `verifyVoucher`.
   *
   * @example
   * const buyer = await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: scan } })
   */
  verifyVoucher(request: VerifyVoucherRequest): Promise<VerifiedBuyer>;
  /** The voucher policy in force (from the rule pack, or the defaults). */
  readonly voucherPolicy: VoucherPolicy;
  /** Signs in to the platform (9001) now rather than on the first business call. */
  signIn(): Promise<void>;
  /**
   * Listens to the till's events: `sync:progress`, `sync:dead-letter`, `offline`, `online`, `finding`,
   * `sale:settled`, `sale:refunded`, `settlement:unknown`, `settlement:reversed`, `rule-pack`, `clock:behind`. Returns
   * the unsubscribe.
   */
  on<T extends TerminalEvent['type']>(
    type: T,
    listener: (event: Extract<TerminalEvent, { type: T }>) => void,
  ): () => void;
}

/**
 * Opens the till over a platform and a storage: loads the rule pack in force, the stock ledger and the invoice
 * book (making and wrapping the terminal key on first use when given a device secret), makes the platform client,
 * reverses settlements a crash left without an answer, and starts delivering the outbox.
 *
 * @throws {InputError} `INVALID_INPUT` naming the first missing piece (`pharmacy.name`, `terminal.mac`, …), or a
 *   piece of identity given in `platform` as well (`platform.institution`: it is `pharmacy`).
 *
 * @example
 * const terminal = await createTerminal({
 *   platform: { baseUrl: 'https://ybj.jl.gov.cn:8080' },
 *   storage,
 *   pharmacy: { code: 'P22010100001', name: '示范大药房', area: '220100' },
 *   terminal: { id: 'T01', mac: '00-16-3E-00-00-01', ip: '10.0.0.7' },
 *   operator: { id: 'OP7', name: '李药师' },
 *   catalog,
 *   deviceSecret,
 * })
 * const sale = terminal.startSale(await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: scan } }))
 * sale.scan('81234560000000000017')
 * if ((await sale.review()).canSettle) printReceipt(await sale.settle())
 */
export async function createTerminal(options: TerminalOptions): Promise<Terminal> {
  checkOptions(options);
  const { storage } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const random = options.random ?? randomBytes;
  const events = listeners();
  const book = await openInvoiceBook({
    storage,
    pharmacyCode: options.pharmacy.code,
    terminalId: options.terminal.id,
    clock,
    random,
    ...defined({
      deviceSecret: options.deviceSecret,
      signer: options.signer,
      ed25519Fallback: options.ed25519Fallback,
    }),
  });
  const head = await book.head();
  if (options.deviceSecret && !options.signer && (!head || head.keyId === UNENROLLED))
    await book.enrolKey({ keyId: `${options.terminal.id}-K1` });
  const { pharmacy, terminal: device, operator } = options;
  const platform = createPlatformClient({
    ...options.platform,
    institution: { code: pharmacy.code, name: pharmacy.name },
    area: pharmacy.area,
    operator: { id: operator.id, name: operator.name, ...defined({ type: operator.type }) },
    device: {
      no: device.id,
      mac: device.mac,
      ip: device.ip,
      ...(device.safeInfo === undefined ? {} : { safeInfo: device.safeInfo }),
    },
    clock,
    msgids: await resumeMsgids({
      storage,
      clock,
      institutionCode: pharmacy.code,
      terminalDigit: terminalDigitOf(device.id),
    }),
    // Requests are signed once the terminal has a key (a device secret or a signer of its own).
    ...(options.deviceSecret || options.signer ? { signer: book.signer } : {}),
  });
  const till = await openTill({
    platform,
    storage,
    terminalId: device.id,
    area: pharmacy.area,
    pharmacy: { code: pharmacy.code, agreement: pharmacy.agreement ?? 'active' },
    operator: {
      id: operator.id,
      name: operator.name,
      ...(operator.certNo === undefined ? {} : { certNo: operator.certNo }),
    },
    products: options.catalog ?? [],
    clock,
    random,
    book,
    rulePack: options.rulePack,
    trustedKeys: options.trustedKeys ?? [],
    ...(options.rulePackId === undefined ? {} : { rulePackId: options.rulePackId }),
    rulePackExpired: options.rulePackExpired ?? 'block',
    rulePackRetryMs: options.rulePackRetryMs ?? 5 * 60_000,
    platformChecks: options.platformChecks ?? true,
    sync: options.sync ?? {},
    emit: events.emit,
    ...defined({ selfAudit: options.selfAudit, ed25519Fallback: options.ed25519Fallback }),
  });
  const voucherPolicy = () => till.rulePack?.voucherPolicy ?? options.rulePack?.voucherPolicy ?? DEFAULT_VOUCHER_POLICY;
  const terminal: Terminal = withMembers(till, {
    platform,
    storage,
    get voucherPolicy() {
      return voucherPolicy();
    },
    verifyVoucher: (request: VerifyVoucherRequest) =>
      verifyVoucher(request, {
        platform,
        storage,
        terminal: { id: device.id, operatorId: operator.id, area: pharmacy.area },
        policy: voucherPolicy(),
        clock,
        ...defined({ refusalPatterns: options.refusalPatterns }),
      }),
    signIn: async () => {
      await platform.signIn();
      // Register the invoice key with the platform once it can be reached (YG04); a failure is retried next time.
      if (options.deviceSecret || options.signer) await book.registerKey(platform).catch(() => undefined);
    },
    on: events.on,
  });
  // Settlements a crash left without an answer: reverse them now if the platform can be reached (else later).
  await till.recoverSettlements().catch(() => undefined);
  return terminal;
}

/** The pieces createTerminal cannot do without, by their path in the options. */
const REQUIRED = [
  'platform',
  'platform.baseUrl',
  'storage',
  'pharmacy.code',
  'pharmacy.name',
  'pharmacy.area',
  'terminal.id',
  'terminal.mac',
  'terminal.ip',
  'operator.id',
  'operator.name',
];

/** What the terminal supplies its client itself, and so `platform` must not say again. */
const SUPPLIED = ['institution', 'area', 'operator', 'device', 'msgids', 'signer', 'clock'];

function checkOptions(options: TerminalOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InputError('INVALID_INPUT', {
      message: 'createTerminal needs its options',
      messageZh: '创建终端须提供参数',
      field: 'options',
    });
  }
  // The identity is the terminal's own: `platform` says only how to reach the platform (a client is not taken either).
  const platform = (options.platform ?? {}) as Record<string, unknown>;
  const twice = typeof platform.send === 'function' ? '' : SUPPLIED.find((key) => platform[key] !== undefined);
  if (twice !== undefined) {
    const field = twice ? `platform.${twice}` : 'platform';
    throw new InputError('INVALID_INPUT', {
      message: `${field}: the terminal makes its platform client from its own pharmacy, terminal and operator; platform is only how to reach it`,
      messageZh: `${field}：终端以自身的药店、终端与操作员信息创建平台客户端，platform 仅为连接参数`,
      field,
    });
  }
  const missing = REQUIRED.filter((path) => {
    const value = path
      .split('.')
      .reduce<unknown>((o, key) => (o as Record<string, unknown> | undefined)?.[key], options);
    return value === undefined || value === null || value === '';
  });
  if (missing.length > 0) {
    throw new InputError('INVALID_INPUT', {
      message: `createTerminal needs ${missing.join(', ')}`,
      messageZh: `创建终端须提供 ${missing.join('、')}`,
      field: missing[0]!,
    });
  }
  if (
    options.rulePackExpired !== undefined &&
    options.rulePackExpired !== 'block' &&
    options.rulePackExpired !== 'warn'
  ) {
    throw new InputError('INVALID_INPUT', {
      message: "rulePackExpired is 'block' or 'warn'",
      messageZh: "rulePackExpired 须为 'block' 或 'warn'",
      field: 'rulePackExpired',
    });
  }
  if (
    options.rulePackRetryMs !== undefined &&
    !(Number.isFinite(options.rulePackRetryMs) && options.rulePackRetryMs >= 0)
  ) {
    throw new InputError('INVALID_INPUT', {
      message: 'rulePackRetryMs is a number of milliseconds, 0 or more',
      messageZh: 'rulePackRetryMs 须为不小于 0 的毫秒数',
      field: 'rulePackRetryMs',
    });
  }
}

/** The till's listeners by event type; a listener that throws is the UI's failure, and the till goes on. */
function listeners() {
  const byType = new Map<string, Set<(event: TerminalEvent) => void>>();
  return {
    emit(event: TerminalEvent): void {
      for (const listener of byType.get(event.type) ?? []) {
        try {
          listener(event);
        } catch {
          // A listener's failure is the UI's; the till goes on.
        }
      }
    },
    on: ((type: string, listener: (event: TerminalEvent) => void) => {
      let set = byType.get(type);
      if (!set) byType.set(type, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    }) as Terminal['on'],
  };
}

/** The msgid digit of a terminal: the last digit of its id, so two terminals of a pharmacy differ when their ids do. */
function terminalDigitOf(id: string): number {
  const digit = /(\d)\D*$/.exec(id)?.[1];
  return digit === undefined ? 0 : Number(digit);
}
