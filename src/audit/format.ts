/*
 * Small text helpers the report renderers share. Loaded only with them (see index.ts): nothing here is imported by
 * the rest of the core, and nothing from the core is imported here, so a till that never renders a report never
 * loads it.
 */
import type { LedgerEntry, TillOutcome } from './types.js';
import type { Severity } from '../schemas/finding.js';

/** 分 as yuan with two decimals, exactly (integer arithmetic, no float): 12345 → `123.45`. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.round(fen));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** 分 as yuan with thousands separators, for reading: 1234567 → `12,345.67`. */
export function yuanGrouped(fen: number): string {
  const [int, dec] = yuan(fen).split('.') as [string, string];
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${dec}`;
}

export const SEVERITY_TEXT: Readonly<Record<Severity, { zh: string; en: string }>> = {
  block: { zh: '禁止', en: 'block' },
  warning: { zh: '警告', en: 'warning' },
  info: { zh: '提示', en: 'info' },
};

export const OUTCOME_TEXT: Readonly<Record<TillOutcome, { zh: string; en: string }>> = {
  overridden: { zh: '已忽略', en: 'overridden' },
  shown: { zh: '已提示', en: 'shown' },
  'not-shown': { zh: '未提示', en: 'not shown' },
};

/** The override of an entry as one phrase: reason label (code), note. */
export function overrideText(entry: LedgerEntry): string {
  const o = entry.override;
  if (!o) return '';
  return `${o.reasonLabel ? `${o.reasonLabel.zh} (${o.reasonCode})` : o.reasonCode}${o.note ? `：${o.note}` : ''}`;
}
