/*
 * One run of the self-audit (see `selfAudit` in self-audit.ts): its period, its options, the notes it collects for
 * the report, and the checks every phase makes between pages.
 */
import { InputError } from '../errors/areas.js';
import { YibaoGuardError } from '../errors/base.js';
import { formatCstDate } from '../platform/time.js';
import type { AuditNote, SelfAuditOptions, SelfAuditProgress } from './types.js';

export const DAY = 86_400_000;
const CST_OFFSET = 8 * 3_600_000;

/** A self-audit under way: what every phase reads, and the notes they add to. */
export interface AuditRun {
  readonly options: SelfAuditOptions;
  /** The period, `[from, to)` in epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Records read per storage call. */
  readonly pageSize: number;
  readonly includeInfo: boolean;
  /** The report's notes by code, in the order they were first made. */
  readonly notes: Map<AuditNote['code'], AuditNote>;
}

/** Epoch ms of 00:00 CST of a `YYYY-MM-DD` day, or undefined when it is not a real day. */
export function cstDayStart(day: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = Date.UTC(y, m - 1, d) - CST_OFFSET;
  return formatCstDate(at) === day ? at : undefined;
}

function instant(value: number | string, field: 'from' | 'to'): number {
  const at = typeof value === 'number' ? (Number.isFinite(value) ? value : undefined) : cstDayStart(value);
  if (at === undefined) {
    throw new InputError('INVALID_INPUT', {
      message: `Self-audit: ${field} must be epoch milliseconds or a day as YYYY-MM-DD`,
      messageZh: `自查期间的${field === 'from' ? '开始' : '截止'}日期须为 YYYY-MM-DD 格式的日期`,
      field,
    });
  }
  return at;
}

/** Checks the period and the options, and starts a run with no notes. */
export function startRun(options: SelfAuditOptions): AuditRun {
  const from = instant(options.from, 'from');
  const to = instant(options.to, 'to');
  if (to <= from) {
    throw new InputError('INVALID_INPUT', {
      message: 'Self-audit: the period must end after it starts',
      messageZh: '自查期间的截止日期须晚于开始日期',
      field: 'to',
    });
  }
  return {
    options,
    from,
    to,
    pageSize: Math.max(1, Math.floor(options.pageSize ?? 2000)),
    includeInfo: options.includeInfo ?? false,
    notes: new Map(),
  };
}

/** Adds `count` to the note `code` (its text is the one it was first made with). */
export function note(run: AuditRun, code: AuditNote['code'], zh: string, en: string, count = 1): void {
  const prev = run.notes.get(code);
  run.notes.set(code, { code, text: prev?.text ?? { zh, en }, count: (prev?.count ?? 0) + count });
}

/** Rejects with `AUDIT_CANCELLED` once the caller's signal is aborted. */
export function checkAbort(run: AuditRun): void {
  if (run.options.signal?.aborted) throw new YibaoGuardError('AUDIT_CANCELLED');
}

/** Tells the caller where the run is. */
export function progress(run: AuditRun, p: SelfAuditProgress): void {
  run.options.onProgress?.(p);
}
