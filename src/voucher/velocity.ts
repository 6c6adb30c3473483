import type { VoucherUseRecord } from '../storage/terminal-layout.js';
import type { VoucherPolicy } from '../schemas/rule-pack.js';
import type { VoucherWarning } from './buyer.js';

/**
 * Counts one more verification of a person and says whether the pattern looks like a lent or traded voucher:
 * too many verifications in the policy's window, or verifications from several terminals (the same QR shown
 * at two counters). Returns the warnings and the history to store, trimmed to the window.
 */
export function countVerification(
  previous: VoucherUseRecord | undefined,
  use: { readonly at: number; readonly terminalId: string },
  policy: VoucherPolicy,
): { readonly warnings: VoucherWarning[]; readonly record: VoucherUseRecord } {
  const windowMs = policy.velocityWindowMinutes * 60_000;
  const uses = [...(previous?.uses ?? []).filter((u) => u.at > use.at - windowMs && u.at <= use.at), use];
  const terminals = new Set(uses.map((u) => u.terminalId)).size;
  const warnings: VoucherWarning[] = [];
  const facts = { count: uses.length, terminals, windowMinutes: policy.velocityWindowMinutes };
  if (uses.length > policy.maxVerificationsPerWindow) {
    warnings.push({
      code: 'VOUCHER_VELOCITY',
      zh: `该参保人 ${policy.velocityWindowMinutes} 分钟内已核验 ${uses.length} 次，请确认是否本人或其委托人购药`,
      en: `This person's voucher was verified ${uses.length} times in ${policy.velocityWindowMinutes} minutes: confirm who is buying`,
      ...facts,
    });
  }
  if (terminals > policy.maxTerminalsPerWindow) {
    warnings.push({
      code: 'VOUCHER_MULTI_TERMINAL',
      zh: `该凭证 ${policy.velocityWindowMinutes} 分钟内在 ${terminals} 台收银终端使用，可能被他人冒用`,
      en: `This voucher was used at ${terminals} terminals within ${policy.velocityWindowMinutes} minutes: it may be in someone else's hands`,
      ...facts,
    });
  }
  return { warnings, record: { uses } };
}
