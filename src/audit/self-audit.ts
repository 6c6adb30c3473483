// The rule engine is not part of the root entry's static graph (see src/engine.ts): import it directly.
import { verifyRulePack } from '../rules/pack.js';
import { compilePack, reviewSale } from '../rules/review.js';
import type { CompiledPack } from '../rules/compile.js';
import type { BuyerFacts } from '../rules/context.js';
import type { SaleRecord, SaleRecordPrescription } from '../sale/record.js';
import type { OverrideAuditEvent } from '../schemas/audit.js';
import type { Finding } from '../schemas/finding.js';
import type { Prescription } from '../schemas/prescription.js';
import type { RulePack } from '../schemas/rule-pack.js';
import { ReplayHistory } from './history.js';
import { RULE_TITLES } from './labels.js';
import { isSaleRecord } from './record-shape.js';
import { lineStakes } from './stake.js';
import { LedgerSummaries, type LineFacts } from './summary.js';

import type { AuditNote, AuditPackUse, LedgerEntry, LedgerOverride, SelfAuditOptions, SelfAuditProgress, SelfAuditReport, TillOutcome } from './types.js';
import { formatCstDate } from '../platform/time.js';
import { InputError } from '../errors/areas.js';
import { YibaoGuardError } from '../errors/base.js';
import { SignedRulePackSchema } from '../schemas/rule-pack.js';
import { maskPersonalData } from '../codes/index.js';

const DAY = 86_400_000;
const CST_OFFSET = 8 * 3_600_000;
const PROGRESS_EVERY = 250;

/** Epoch ms of 00:00 CST of a `YYYY-MM-DD` day, or undefined when it is not a real day. */
function cstDayStart(day: string): number | undefined {
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

/** A pack the replay may use, by version. */
interface PackEntry {
  readonly compiled: CompiledPack;
  readonly use: { version: number | null; packId?: string; source: AuditPackUse['source']; verified: boolean; sales: number };
}

const cancelled = () => new YibaoGuardError('AUDIT_CANCELLED');

/** The self-audit (see `selfAudit` in index.ts, the public entry). */
export async function selfAudit(options: SelfAuditOptions): Promise<SelfAuditReport> {
  const { storage, catalog } = options;
  const from = instant(options.from, 'from');
  const to = instant(options.to, 'to');
  if (to <= from) {
    throw new InputError('INVALID_INPUT', { message: 'Self-audit: the period must end after it starts', messageZh: '自查期间的截止日期须晚于开始日期', field: 'to' });
  }
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 2000));
  const includeInfo = options.includeInfo ?? false;
  const notes = new Map<AuditNote['code'], AuditNote>();
  const note = (code: AuditNote['code'], zh: string, en: string, count = 1) => {
    const prev = notes.get(code);
    notes.set(code, { code, text: prev?.text ?? { zh, en }, count: (prev?.count ?? 0) + count });
  };
  const checkAbort = () => {
    if (options.signal?.aborted) throw cancelled();
  };

  // The packs: one given for all, or every version the sales may name.
  const given: PackEntry | undefined = options.rulePack
    ? { compiled: compilePack(options.rulePack), use: { version: options.rulePack.version, packId: options.rulePack.packId, source: 'given', verified: false, sales: 0 } }
    : undefined;
  const versions = new Map<number, PackEntry>();
  if (!given) {
    if (options.packs) {
      for (const pack of options.packs) versions.set(pack.version, { compiled: compilePack(pack), use: { version: pack.version, packId: pack.packId, source: 'given', verified: false, sales: 0 } });
    } else {
      await loadStoredPacks(options, versions, note, checkAbort);
    }
  }
  const defaults: PackEntry = { compiled: compilePack(), use: { version: null, source: 'defaults', verified: false, sales: 0 } };
  // The reasons a pharmacist chose from were those of the pack in force then, whatever pack the replay uses.
  const reasonsOf = (record: SaleRecord) => (record.review.packVersion !== undefined ? versions.get(record.review.packVersion) : undefined)?.compiled ?? given?.compiled ?? defaults.compiled;
  const packFor = (record: SaleRecord): PackEntry => {
    if (given) return given;
    const version = record.review.packVersion;
    if (version === undefined) return defaults;
    const exact = versions.get(version);
    if (exact) return exact;
    // Not installed here (or not verifiable): the newest older one, else the defaults; the report says so.
    note('pack-missing', '部分销售结算时所用的规则包未能取得，已改用此前最近的规则包（或默认规则）复核', 'The pack in force for some sales is not available; the closest earlier pack (or the defaults) was used');
    let best: PackEntry | undefined;
    for (const [v, entry] of versions) if (v < version && (!best || v > (best.use.version ?? -1))) best = entry;
    return best ?? defaults;
  };

  // History reaches back to the start of the year (yearly ceilings) or the longest window of any rule in use.
  const packsInUse = [given, ...versions.values(), defaults].filter((p): p is PackEntry => p !== undefined);
  const windowDays = Math.max(1, ...packsInUse.flatMap((p) => p.compiled.rules.map((r) => Number((r.params as { windowDays?: unknown }).windowDays ?? 0))));
  const yearStart = cstDayStart(`${formatCstDate(from).slice(0, 4)}-01-01`) as number;
  const historyFrom = Math.min(from, options.historyFrom ?? Math.min(yearStart, from - windowDays * DAY));

  // Pass 1: which sales there are, in key order, a page at a time: key and time only.
  const progress = (p: SelfAuditProgress) => options.onProgress?.(p);
  const index: { key: string; at: number }[] = [];
  const inPeriod = new Set<string>();
  const periodSaleIds = new Set<string>();
  let chronological = true;
  let lastAt = -Infinity;
  let read = 0;
  let periodLines = 0;
  for (let after: string | undefined; ; ) {
    checkAbort();
    const page = await storage.list('sales', { ...(after !== undefined ? { after } : {}), limit: pageSize });
    for (const { key, value } of page) {
      read++;
      if (!isSaleRecord(value)) {
        note('record-unreadable', '部分销售记录格式不正确，未能复核', 'Some sale records are not readable and were not replayed');
        continue;
      }
      if (value.settledAt < historyFrom || value.settledAt >= to) continue;
      if (value.settledAt < lastAt) chronological = false;
      lastAt = value.settledAt;
      index.push({ key, at: value.settledAt });
      if (value.settledAt >= from) {
        inPeriod.add(key);
        periodSaleIds.add(value.saleId);
        periodLines += value.lines.length;
      }
    }
    progress({ phase: 'indexing', salesDone: read, salesTotal: 0, linesDone: 0, linesTotal: periodLines, findings: 0 });
    if (page.length < pageSize) break;
    after = page[page.length - 1]?.key;
  }
  index.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // Overrides from the audit trail, for sales of the period: the record's own review says the same, but a record
  // written before the override reached it (or by an older till) still gets its reason.
  const journalOverrides = new Map<string, Map<string, OverrideAuditEvent>>();
  for (let after = 0; ; ) {
    checkAbort();
    const page = await storage.read('audit', { after, limit: pageSize });
    for (const { value } of page) {
      if (value.kind !== 'finding-override' || !periodSaleIds.has(value.saleId)) continue;
      let bySale = journalOverrides.get(value.saleId);
      if (!bySale) journalOverrides.set(value.saleId, (bySale = new Map()));
      bySale.set(value.finding.findingId, value);
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]?.seq ?? after;
  }

  // Pass 2: the replay, in the order the sales settled.
  const history = new ReplayHistory(catalog, windowDays * DAY);
  const summaries = new LedgerSummaries();
  const entries: LedgerEntry[] = [];
  const pharmacies = new Set<string>();
  const terminals = new Set<string>();
  const missingProducts = new Set<string>();
  let done = 0;
  let linesDone = 0;
  let sales = 0;
  let insuredFen = 0;
  const salesTotal = index.length;
  const report = () => progress({ phase: 'replaying', salesDone: done, salesTotal, linesDone, linesTotal: periodLines, findings: entries.length });

  const replay = (record: SaleRecord, key: string) => {
    history.advanceTo(record.settledAt);
    if (inPeriod.has(key)) {
      const pack = packFor(record);
      pack.use.sales++;
      sales++;
      linesDone += record.lines.length;
      pharmacies.add(record.pharmacyCode);
      terminals.add(record.terminalId);
      const stakes = lineStakes(record);
      insuredFen += Math.max(0, record.split.fundFen + record.split.accountFen - record.refunds.reduce((sum, r) => sum + r.split.fundFen + r.split.accountFen, 0));
      for (const line of record.lines) if (!catalog.byId(line.productId)) missingProducts.add(line.productId);
      const lineFacts = new Map<string, LineFacts>(
        record.lines.map((l) => {
          const stake = stakes.get(l.lineId);
          return [l.lineId, { productId: l.productId, productName: l.name, atStakeFen: stake ? stake.insuredFen - stake.refundedFen : 0 }];
        }),
      );
      for (const entry of replaySale(record, pack, history, options, includeInfo, stakes, reasonsOf(record), journalOverrides.get(record.saleId))) {
        entries.push(entry);
        summaries.add(entry, lineFacts);
      }
    }
    history.record(record);
    done++;
    if (done % PROGRESS_EVERY === 0) report();
  };

  if (chronological) {
    // Keys already in settlement order (time-prefixed sale ids): stream the store again, a page at a time.
    for (let after: string | undefined; ; ) {
      checkAbort();
      const page = await storage.list('sales', { ...(after !== undefined ? { after } : {}), limit: pageSize });
      for (const { key, value } of page) {
        if (!isSaleRecord(value) || value.settledAt < historyFrom || value.settledAt >= to) continue;
        replay(value, key);
      }
      if (page.length < pageSize) break;
      after = page[page.length - 1]?.key;
    }
  } else {
    // Keys in another order: fetch each sale in settlement order.
    for (let i = 0; i < index.length; i++) {
      if (i % pageSize === 0) checkAbort();
      const { key } = index[i] as { key: string };
      const stored = await storage.get('sales', key);
      if (!stored || !isSaleRecord(stored.value)) continue;
      replay(stored.value, key);
    }
  }
  report();

  if (missingProducts.size > 0) {
    note(
      'products-missing',
      '部分销售明细的商品不在所给商品目录中：按医保结算的此类明细记为串换风险，处方药、限定支付、用药天数等规则无法核查',
      'Some products sold are not in the catalog given: their fund lines count as substitution risks, and the rules that need catalog facts could not check them',
      missingProducts.size,
    );
  }
  if (!options.stockAt) {
    note(
      'stock-not-replayed',
      '未提供当时的库存账，库存不足规则未复核（收银时已忽略的库存提示仍列入台账）',
      'No stock ledger as it stood was given: the stock-shortfall rule was not replayed (its warnings overridden at the till are still listed)',
      0,
    );
  }

  const all = summaries.all.row();
  const result: SelfAuditReport = {
    format: 'yibao-guard.self-audit/1',
    period: { from, to, fromDate: formatCstDate(from), lastDate: formatCstDate(to - 1) },
    mode: given ? 'given' : 'in-force',
    pharmacyCodes: [...pharmacies].sort(),
    terminalIds: [...terminals].sort(),
    packs: packsInUse
      .filter((p) => p.use.sales > 0 || p.use.source !== 'defaults')
      .map((p) => ({ version: p.use.version, ...(p.use.packId !== undefined ? { packId: p.use.packId } : {}), source: p.use.source, verified: p.use.verified, sales: p.use.sales }))
      .filter((p, i, list) => list.findIndex((q) => q.version === p.version && q.source === p.source) === i),
    entries,
    byRule: summaries.byRule(),
    byMonth: summaries.byMonth(),
    byProduct: summaries.byProduct(),
    byOperator: summaries.byOperator(),
    totals: {
      sales,
      lines: linesDone,
      insuredFen,
      findings: all.findings,
      block: all.block,
      warning: all.warning,
      info: all.info,
      overridden: all.overridden,
      notShown: entries.filter((e) => e.tillOutcome === 'not-shown').length,
      salesWithFindings: all.sales,
      linesAtStake: all.lines,
      atStakeFen: all.atStakeFen,
    },
    notes: [...notes.values()],
  };
  progress({ phase: 'done', salesDone: done, salesTotal, linesDone, linesTotal: periodLines, findings: entries.length });
  return result;
}

async function loadStoredPacks(
  options: SelfAuditOptions,
  versions: Map<number, PackEntry>,
  note: (code: AuditNote['code'], zh: string, en: string, count?: number) => void,
  checkAbort: () => void,
): Promise<void> {
  for (let after: string | undefined; ; ) {
    checkAbort();
    const page = await options.storage.list('rulePacks', { prefix: 'v', ...(after !== undefined ? { after } : {}), limit: 50 });
    for (const { value } of page) {
      const parsed = SignedRulePackSchema.safeParse(value);
      if (!parsed.success) {
        note('pack-invalid', '本机保存的部分规则包格式不正确，未使用', 'Some stored rule packs are malformed and were not used');
        continue;
      }
      let verified = false;
      if (options.trusted) {
        try {
          // The signature only: a pack that was in force then may have expired since.
          await verifyRulePack(value, options.trusted, parsed.data.pack.validFrom, undefined, options.ed25519Fallback);
          verified = true;
        } catch (error) {
          // A runtime that cannot verify at all says so, rather than call every pack forged.
          if (error instanceof YibaoGuardError && error.code === 'ENVIRONMENT_UNSUPPORTED') throw error;
          note('pack-unverified', '本机保存的部分规则包签名校验失败，未使用', 'Some stored rule packs do not verify against the trusted keys and were not used');
          continue;
        }
      }
      let compiled: CompiledPack;
      try {
        compiled = compilePack(parsed.data.pack);
      } catch {
        note('pack-invalid', '本机保存的部分规则包无法编译，未使用', 'Some stored rule packs cannot be compiled and were not used');
        continue;
      }
      const pack: RulePack = parsed.data.pack;
      versions.set(pack.version, { compiled, use: { version: pack.version, packId: pack.packId, source: 'stored', verified, sales: 0 } });
    }
    if (page.length < 50) break;
    after = page[page.length - 1]?.key;
  }
  if (!options.trusted && versions.size > 0) {
    note('pack-unverified', '未提供平台公钥，本机保存的规则包按原样使用，签名未校验', 'No platform keys were given: stored rule packs were used as stored, their signatures not verified', 0);
  }
}

/** Prescriptions as the rules need them, from what the record keeps (see `selfAudit` for the adaptation). */
function prescriptionsOf(record: SaleRecord, psnNo: string | undefined): Prescription[] {
  const tillSaid = (rx: SaleRecordPrescription, key: string) =>
    record.review.findings.some((f) => f.ruleId === 'rx-required' && f.findingId.endsWith(`:${key}`) && record.lines.some((l) => l.rxNo === rx.rxNo && f.lineId === l.lineId));
  return record.prescriptions.map((rx) => {
    const patientPsn = rx.patient.psnNo ?? (psnNo !== undefined && !tillSaid(rx, 'patient') ? psnNo : '(another person)');
    const status = rx.status === 'dispensed' && !tillSaid(rx, 'used') ? 'valid' : rx.status;
    const { patient: _patient, status: _status, ...rest } = rx;
    return { ...rest, status, patient: { psnNo: patientPsn } } as Prescription;
  });
}

function replaySale(
  record: SaleRecord,
  pack: PackEntry,
  history: ReplayHistory,
  options: SelfAuditOptions,
  includeInfo: boolean,
  stakes: ReturnType<typeof lineStakes>,
  reasons: CompiledPack,
  journal: ReadonlyMap<string, OverrideAuditEvent> | undefined,
): LedgerEntry[] {
  const buyer: BuyerFacts | undefined = record.buyer ? { ...record.buyer.facts } : undefined;
  const stock = options.stockAt?.(record);
  const findings: Finding[] = reviewSale(pack.compiled, options.catalog, {
    lines: record.lines,
    prescriptions: prescriptionsOf(record, buyer?.psnNo),
    ...(buyer ? { buyer, history: history.of(buyer.psnNo) } : {}),
    pharmacy: { agreement: options.agreementAt?.(record.settledAt) ?? 'active' },
    now: record.settledAt,
    soldTraceCodes: history.soldTraceCodes,
    ...(stock ? { stock } : {}),
  });
  const seen = new Set(findings.map((f) => f.findingId));
  // Overridden at the till but not re-checkable here: the platform's findings, and stock warnings without a stock view.
  for (const f of record.review.findings) {
    if (seen.has(f.findingId) || f.outcome !== 'overridden') continue;
    if (f.source !== 'platform' && !(f.ruleId === 'stock-shortfall' && !options.stockAt)) continue;
    seen.add(f.findingId);
    findings.push({
      findingId: f.findingId,
      ruleId: f.ruleId,
      ...(f.lineId !== undefined ? { lineId: f.lineId } : {}),
      severity: f.severity,
      summary: RULE_TITLES[f.ruleId],
      detail: RULE_TITLES[f.ruleId],
      evidence: {},
      actions: [],
      source: 'platform',
    });
  }
  const date = formatCstDate(record.settledAt);
  const fundLines = record.lines.filter((l) => l.payMode === 'fund').map((l) => l.lineId);
  const entries: LedgerEntry[] = [];
  for (const finding of findings) {
    if (finding.severity === 'info' && !includeInfo) continue;
    const line = finding.lineId !== undefined ? record.lines.find((l) => l.lineId === finding.lineId) : undefined;
    const lineIds = finding.lineId !== undefined ? [finding.lineId] : fundLines;
    let amountFen = 0;
    let insured = 0;
    let refunded = 0;
    for (const id of lineIds) {
      amountFen += record.lines.find((l) => l.lineId === id)?.amountFen ?? 0;
      const stake = stakes.get(id);
      insured += stake?.insuredFen ?? 0;
      refunded += stake?.refundedFen ?? 0;
    }
    const till = record.review.findings.find((f) => f.findingId === finding.findingId);
    const logged = journal?.get(finding.findingId);
    const given = till?.override ?? (logged ? { reasonCode: logged.reasonCode, note: logged.note, by: logged.by.operatorId } : undefined);
    const outcome: TillOutcome = till?.outcome === 'overridden' || logged ? 'overridden' : till ? 'shown' : 'not-shown';
    const override: LedgerOverride | undefined = given
      ? {
          reasonCode: given.reasonCode,
          ...(reasons.overrideReasons.get(given.reasonCode) ? { reasonLabel: reasons.overrideReasons.get(given.reasonCode)!.label } : {}),
          note: maskPersonalData(given.note),
          operatorId: given.by,
        }
      : undefined;
    entries.push({
      saleId: record.saleId,
      settledAt: record.settledAt,
      date,
      month: date.slice(0, 7),
      pharmacyCode: record.pharmacyCode,
      terminalId: record.terminalId,
      operatorId: record.operatorId,
      packVersion: pack.use.version,
      findingId: finding.findingId,
      ruleId: finding.ruleId,
      ruleTitle: RULE_TITLES[finding.ruleId],
      severity: finding.severity,
      summary: finding.summary,
      evidence: finding.evidence,
      origin: finding.source === 'platform' ? 'till' : 'replay',
      ...(line ? { lineId: line.lineId, productId: line.productId, productName: line.name, ...(line.medListCode !== undefined ? { medListCode: line.medListCode } : {}) } : {}),
      lineIds,
      amountFen,
      insuredFen: insured,
      refundedFen: refunded,
      atStakeFen: insured - refunded,
      tillOutcome: outcome,
      ...(override && outcome === 'overridden' ? { override } : {}),
    });
  }
  return entries;
}
