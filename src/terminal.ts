import type { TerminalLayout } from './layout.js';
import type { PlatformClient } from './platform/client.js';
import { DEFAULT_VOUCHER_POLICY, type RulePack, type VoucherPolicy } from './schemas/rule-pack.js';
import type { Storage } from './storage.js';
import type { VerifiedBuyer } from './voucher/buyer.js';
import { verifyVoucher, type RefusalPattern, type VerifyVoucherRequest } from './voucher/verify.js';

/** Who works the till and where. */
export interface TerminalIdentity {
  /** This terminal's id (the envelope's `dev_no`). */
  readonly id: string;
  /** 就医地医保区划 of the pharmacy. */
  readonly area: string;
}

/** What {@link createTerminal} wires together. */
export interface TerminalOptions {
  /** The platform client (see `createPlatformClient`). */
  readonly platform: PlatformClient;
  /** The terminal's storage, opened with `TERMINAL_NAMES`. */
  readonly storage: Storage<TerminalLayout>;
  readonly terminal: TerminalIdentity;
  /** The operator signed in at the till. */
  readonly operator: { readonly id: string; readonly name: string };
  /** The rule pack in force; its voucher policy applies to verification. */
  readonly rulePack?: RulePack;
  readonly clock?: { now(): number };
  /** How this province words voucher refusals, when it differs from the national usage. */
  readonly refusalPatterns?: readonly RefusalPattern[];
}

/** The till: one object for everything a sale needs. (Sales, settlement and sync are added by later releases.) */
export interface Terminal {
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
}

/**
 * Creates the till facade over a platform client and a storage.
 *
 * @example
 * const terminal = createTerminal({ platform, storage, terminal: { id: 'T01', area: '220100' }, operator: { id: 'OP7', name: '李药师' } })
 * const buyer = await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: scan } })
 */
export function createTerminal(options: TerminalOptions): Terminal {
  const policy = options.rulePack?.voucherPolicy ?? DEFAULT_VOUCHER_POLICY;
  return {
    voucherPolicy: policy,
    verifyVoucher: (request) =>
      verifyVoucher(request, {
        platform: options.platform,
        storage: options.storage,
        terminal: { id: options.terminal.id, operatorId: options.operator.id, area: options.terminal.area },
        policy,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.refusalPatterns ? { refusalPatterns: options.refusalPatterns } : {}),
      }),
    signIn: async () => {
      await options.platform.signIn();
    },
  };
}
