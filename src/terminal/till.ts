/*
 * The till behind `createTerminal`: sales from the first scan to the signed receipt, refunds, stock movements,
 * rule-pack updates and delivery to the platform. terminal.ts opens it.
 */
import type { Ed25519Fallback } from '../crypto/index.js';
import type { SelfAuditOptions, SelfAuditReport } from '../audit/index.js';
import { InputError, isYibaoGuardError, SaleError } from '../errors/index.js';
import { openInvoiceBook, type InvoiceBook, type IssuedInvoice } from '../invoice/index.js';
import type { TerminalLayout } from '../layout.js';
import type { PlatformClient, PreparedCall } from '../platform/client.js';
import type { TransactionInput } from '../platform/transactions.js';
import { createCatalog, type Catalog } from '../rules/catalog.js';
import type { CompiledPack } from '../rules/compile.js';
import { buyerFacts } from '../rules/context.js';
import { indexHistory } from '../rules/history.js';
import { compileLapsedPack, type RulePackExpiredPolicy } from '../rules/expiry.js';
import { installRulePack, rulePackInForce, storedRulePack, type RulePackScope, type TrustedKey } from '../rules/pack.js';
import { analysisRequest, platformFindings } from '../rules/platform.js';
import { compilePack } from '../rules/review.js';
import type { PendingSettlement, SaleRecord, SaleRecordPrescription } from '../sale/record.js';
import { createSaleSession, type ReviewedFinding, type SaleSession } from '../sale/session.js';
import type { AuditEvent, ClockAuditEvent } from '../schemas/audit.js';
import type { Prescription } from '../schemas/prescription.js';
import type { Product } from '../schemas/product.js';
import type { RulePack } from '../schemas/rule-pack.js';
import type { PaymentSplit, SaleLine } from '../schemas/sale.js';
import type { SaleMovement, StockMovement } from '../schemas/stock.js';
import type { Storage, WriteOp } from '../storage.js';
import { resubmitDeadLetter } from '../sync/dead-letters.js';
import { createInventory, type Inventory, type StockLevel } from '../sync/ledger.js';
import { createOutbox, type Outbox, type OutboxEntry } from '../sync/outbox.js';
import type { SyncEvent } from '../sync/types.js';
import { createSyncWorker, type SyncWorker, type SyncWorkerOptions } from '../sync/worker.js';
import type { VerifiedBuyer } from '../voucher/buyer.js';
import { createSalesMemory, type SalesMemory } from './history.js';

/** What the till part of a terminal is opened with (terminal.ts resolves the options into this). */
export interface TillContext {
  readonly platform: PlatformClient;
  readonly storage: Storage<TerminalLayout>;
  readonly terminalId: string;
  readonly pharmacy: { readonly code: string; readonly agreement: 'active' | 'suspended' | 'ended' };
  readonly operator: { readonly id: string; readonly name: string; readonly certNo?: string };
  readonly products: Iterable<Product>;
  readonly clock: { now(): number };
  readonly random: (n: number) => Uint8Array;
  readonly book: InvoiceBook;
  readonly rulePack: RulePack | undefined;
  readonly trustedKeys: readonly TrustedKey[];
  /** Ed25519 where WebCrypto has none, for the rule packs' signatures (and the self-audit's). */
  readonly ed25519Fallback?: Ed25519Fallback;
  readonly area: string;
  /** The pack series the till follows (see `RulePackScope.packId`); by default the one of the pack it has. */
  readonly rulePackId?: string;
  /** What an insured sale meets while no current pack is in force. */
  readonly rulePackExpired: RulePackExpiredPolicy;
  /** How long, by `clock`, a till with an expired pack waits between two YG03 requests made by reviews. */
  readonly rulePackRetryMs: number;
  /** Ask the platform's 3101 at each review when online. */
  readonly platformChecks: boolean;
  readonly sync: Omit<SyncWorkerOptions, 'storage' | 'platform' | 'clock' | 'onEvent' | 'owner'> & { readonly owner?: string; readonly autoStart?: boolean };
  readonly emit: (event: TerminalEvent) => void;
  /** The self-audit (`selfAudit` of `yibao-guard/audit`) that `selfAudit()` runs, when the app gave it. */
  readonly selfAudit?: (options: SelfAuditOptions) => Promise<SelfAuditReport>;
}

/** The events a till's UI listens to (`terminal.on(type, listener)`). */
export type TerminalEvent =
  | SyncEvent
  | { readonly type: 'finding'; readonly saleId: string; readonly finding: ReviewedFinding }
  | { readonly type: 'sale:settled'; readonly receipt: Receipt }
  | { readonly type: 'sale:refunded'; readonly refund: RefundReceipt }
  | { readonly type: 'settlement:unknown'; readonly saleId: string; readonly msgid: string }
  | { readonly type: 'settlement:reversed'; readonly saleId: string; readonly msgid: string }
  | { readonly type: 'rule-pack'; readonly version: number }
  /**
   * An invoice was issued while the device clock was behind the book's last time (a clock set back): it is dated
   * `issuedAt` (the book's time: issue times never go backwards) and says so itself (`clockBehindMs`); the clock
   * said `deviceTime`. Suspicious in itself: have the clock checked. Also in the audit trail (`clock-behind`).
   */
  | { readonly type: 'clock:behind'; readonly seq: number; readonly issuedAt: number; readonly deviceTime: number; readonly behindMs: number };

/** What a settled sale hands back: the receipt to print and the record kept. */
export interface Receipt {
  readonly saleId: string;
  /** The invoice: seq, hash, QR text, whether it is signed. */
  readonly invoice: IssuedInvoice;
  readonly split: PaymentSplit;
  readonly lines: readonly SaleLine[];
  /** The platform's settlement ids, for an insured sale. */
  readonly setlId?: string;
  readonly sale: SaleRecord;
}

/** A refund as issued: the refund invoice and the updated sale record. */
export interface RefundReceipt {
  readonly saleId: string;
  readonly refundId: string;
  readonly invoice: IssuedInvoice;
  readonly split: PaymentSplit;
  readonly sale: SaleRecord;
}

/** Settlement choices. */
export interface SettleOptions {
  /** Pay the personal part from the buyer's personal account (个人账户). @default true */
  readonly useAccount?: boolean;
  /** The 执业药师 who checked the prescription, for the 3505 report. */
  readonly pharmacist?: { readonly name: string; readonly certNo?: string };
}

/** A sale at the till: the sale session (scan, review, override) plus settlement. */
export interface TerminalSale extends SaleSession {
  /** The verified buyer, when the sale is insured. */
  readonly verifiedBuyer: VerifiedBuyer | undefined;
  /**
   * A fresh verification of the same person (a refreshed 医保码: an e-voucher serves one settlement, so after
   * `SETTLEMENT_REVERSED` the buyer shows a new one). Refused for another person.
   */
  renewVoucher(buyer: VerifiedBuyer): void;
  /**
   * Settles the sale: 2101 pre-settlement → 2102 settlement → the signed invoice → the sale, its stock movements,
   * its 3505 reports, the invoice upload and the audit trail in the outbox, all in one atomic write. Refused
   * (`RULE_BLOCKED`, `RULE_WARNING_NOT_OVERRIDDEN`, `SALE_NOT_REVIEWED`) unless the last review allows it. When
   * the platform's answer to 2102 is lost, it asks again with the same msgid; if the platform still cannot say, it
   * reverses the settlement (2601) — `SETTLEMENT_REVERSED`: nothing was charged, settle again — or, when even that
   * cannot reach the platform, throws `SETTLEMENT_OUTCOME_UNKNOWN`: do not take money; the next `settle()` of this
   * sale (or `recoverSettlements()` after a restart) finds out.
   */
  settle(options?: SettleOptions): Promise<Receipt>;
}

/** What the till part adds to the terminal. */
export interface Till {
  readonly invoices: InvoiceBook;
  readonly catalog: Catalog;
  startSale(buyer?: VerifiedBuyer): TerminalSale;
  refund(saleId: string, options?: { readonly lines?: readonly { readonly lineId: string; readonly quantity: number }[] }): Promise<RefundReceipt>;
  recordMovement(movement: DistributiveOmit<StockMovement, 'operatorId'> & { readonly operatorId?: string }): Promise<void>;
  stock(): readonly StockLevel[];
  onHand(productId: string): number | undefined;
  sale(saleId: string): Promise<SaleRecord | undefined>;
  sales(options?: { readonly after?: string; readonly limit?: number }): Promise<SaleRecord[]>;
  readonly sync: TerminalSync;
  readonly rulePack: RulePack | undefined;
  updateRulePack(): Promise<RulePack | undefined>;
  installRulePack(signed: unknown): Promise<RulePack>;
  recoverSettlements(): Promise<{ readonly reversed: readonly string[]; readonly pending: readonly string[] }>;
  /**
   * 自查自纠: replays every sale settled in `[from, to)` through the rules (the pack in force then, or `rulePack`)
   * and returns the problem ledger (问题台账) with its summaries; see `selfAudit`. The terminal's own storage, catalog
   * and trusted keys are used unless given. Runs the `selfAudit` given to `createTerminal` (from `yibao-guard/audit`,
   * so that a till that never audits does not bundle it); without one it rejects with `INVALID_INPUT`.
   */
  selfAudit(options: Omit<SelfAuditOptions, 'storage' | 'catalog'> & { readonly catalog?: Catalog }): Promise<SelfAuditReport>;
  close(): Promise<void>;
}

/** Delivery to the platform, as the till's badge and dead-letter page use it. */
export interface TerminalSync extends Pick<SyncWorker, 'status' | 'deadLetters' | 'annotate' | 'close' | 'drain' | 'start' | 'stop'> {
  /** Drains now (e.g. before closing the till). */
  flush(): ReturnType<SyncWorker['drain']>;
  /** Resubmits a corrected dead letter as a new record. */
  resubmit(seq: number, fix: { readonly input: unknown; readonly note?: string }): Promise<{ readonly seq: number; readonly msgid: string }>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const sum = (values: Iterable<number>) => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

function saleError(code: 'SETTLEMENT_OUTCOME_UNKNOWN' | 'SETTLEMENT_REVERSED' | 'REFUND_OUTCOME_UNKNOWN' | 'SALE_EMPTY' | 'SALE_NOT_FOUND' | 'REFUND_INVALID', en: string, zh: string, cause?: unknown): SaleError {
  return new SaleError(code, { message: en, messageZh: zh, ...(cause === undefined ? {} : { cause }) });
}

/** A prescription as a sale record keeps it: the patient by person number only. */
function recordPrescription(rx: Prescription): SaleRecordPrescription {
  const { patient, ...rest } = rx;
  return { ...rest, patient: patient.psnNo ? { psnNo: patient.psnNo } : {} };
}

export async function openTill(ctx: TillContext): Promise<Till> {
  const { platform, storage, clock, book, terminalId } = ctx;
  const catalog = createCatalog(ctx.products);
  const outbox: Outbox = createOutbox({ storage, platform, clock });
  const inventory: Inventory = await createInventory({ storage, outbox, catalog, clock });
  const memory: SalesMemory = createSalesMemory(catalog);
  for (let after: string | undefined; ; ) {
    const page = await storage.list('sales', { ...(after === undefined ? {} : { after }), limit: 500 });
    for (const record of page) memory.add(record.value);
    if (page.length < 500) break;
    after = page[page.length - 1]!.key;
  }

  // A pack applies only where it was issued: this area, this pharmacy, the till's series.
  const scope: RulePackScope = { area: ctx.area, pharmacy: ctx.pharmacy.code, ...(ctx.rulePackId === undefined ? {} : { packId: ctx.rulePackId }) };
  /**
   * The pack the till has: the one it was given or the last one installed here (genuine and issued for this till),
   * preferring one in force, then the newer. It may have lapsed: then it is not in force (`rulesNow`), and reviews say so.
   */
  let pack = ctx.rulePack;
  /** Ed25519 for the packs' signatures where WebCrypto has none. */
  const fallback = ctx.ed25519Fallback ? { ed25519Fallback: ctx.ed25519Fallback } : {};
  const stored = ctx.trustedKeys.length > 0 ? await storedRulePack(storage, { trusted: ctx.trustedKeys, scope, ...fallback }) : undefined;
  if (stored && (!pack || rank(stored) > rank(pack))) pack = stored;
  function rank(p: RulePack): number {
    return (rulePackInForce(p, clock.now()) ? 2 ** 40 : 0) + p.version;
  }
  let compiled: CompiledPack = compilePack(pack);
  let lapsed: { readonly pack: RulePack; readonly compiled: CompiledPack } | undefined;
  /** The pack in force now, by the clock: a pack leaves force at its `validUntil`, to the millisecond. */
  const packInForce = (): RulePack | undefined => (pack && rulePackInForce(pack, clock.now()) ? pack : undefined);
  /** The rules a review runs now: the pack's, or, once it has lapsed, the defaults with the expired card. */
  const rulesNow = (): CompiledPack => {
    if (!pack || rulePackInForce(pack, clock.now())) return compiled;
    if (lapsed?.pack !== pack) lapsed = { pack, compiled: compileLapsedPack(pack, ctx.rulePackExpired) };
    return lapsed.compiled;
  };
  /** When a review last asked YG03 for a current pack because the one here had lapsed. */
  let askedAt: number | undefined;
  /** A lapsed pack: ask the platform for the current one, at most once per `rulePackRetryMs`; a failure leaves the card up. */
  async function refreshLapsedPack(): Promise<void> {
    const at = clock.now();
    if (!pack || rulePackInForce(pack, at) || ctx.trustedKeys.length === 0) return;
    if (askedAt !== undefined && at >= askedAt && at - askedAt < ctx.rulePackRetryMs) return;
    askedAt = at;
    try {
      await till.updateRulePack();
    } catch {
      // Offline, refused, or the platform's pack is no better: the review shows the expired card.
    }
  }

  const worker = createSyncWorker({
    ...ctx.sync,
    storage,
    platform,
    clock,
    owner: ctx.sync.owner ?? `${terminalId}:${Array.from(ctx.random(6), (b) => b.toString(16).padStart(2, '0')).join('')}`,
    onEvent: ctx.emit,
  });

  const hex = (n: number) => Array.from(ctx.random(n), (b) => b.toString(16).padStart(2, '0')).join('');
  const newId = (prefix: string) => `${prefix}${terminalId}-${clock.now().toString(36)}-${hex(3)}`;

  /**
   * On-hand stock for the rules: once the ledger is in use (any purchase or count recorded), a product it has
   * never seen has none on hand — selling it is what 空刷 looks like; before that, nothing is known.
   */
  const stockView = {
    onHand: (productId: string) => inventory.view.onHand(productId) ?? (inventory.levels().length > 0 ? 0 : undefined),
  };

  /** The batch each box came in with (purchases and counts name their boxes' 追溯码). */
  const boxBatch = new Map<string, string>();
  const noteBoxes = (movement: StockMovement) => {
    if (movement.kind === 'purchase' || movement.kind === 'stock-count' || movement.kind === 'sale-return') for (const code of movement.traceCodes) boxBatch.set(code, movement.batchNo);
  };
  for (let after: string | undefined; ; ) {
    const page = await storage.list('movements', { ...(after === undefined ? {} : { after }), limit: 1000 });
    for (const record of page) noteBoxes(record.value);
    if (page.length < 1000) break;
    after = page[page.length - 1]!.key;
  }

  /**
   * The batch a line is booked to: the one its first scanned box came in with; else the product's first batch
   * with stock, else its first, else a default.
   */
  function batchOf(productId: string, traceCodes: readonly string[] = []): string {
    const known = traceCodes.length > 0 ? boxBatch.get(traceCodes[0]!) : undefined;
    if (known) return known;
    const levels = inventory.levels().filter((l) => l.productId === productId);
    return (levels.find((l) => l.onHand > 0) ?? levels[0])?.batchNo ?? 'DEFAULT';
  }

  const auditOps = (events: readonly AuditEvent[]): WriteOp<TerminalLayout>[] => events.map((value) => ({ op: 'append', journal: 'audit', value }));
  const auditEntry = (saleId: string, events: readonly AuditEvent[], setlId?: string): OutboxEntry<'YG06'> => ({
    infno: 'YG06',
    kind: 'audit',
    ref: saleId,
    input: { data: { terminal_id: terminalId, sale_id: saleId, ...(setlId ? { setl_id: setlId } : {}), events: events.map((e) => ({ ...e }) as Record<string, unknown>) } },
  });
  /** The audit events of an issue's records dated ahead of the device clock (a clock set back), in chain order. */
  const clockEvents = (issued: IssuedInvoice, saleId: string): ClockAuditEvent[] =>
    [...(issued.catchUp ? [issued.catchUp] : []), issued].flatMap(({ record: { body } }) =>
      body.clockBehindMs === undefined
        ? []
        : [{ kind: 'clock-behind' as const, at: body.issuedAt, terminalId, saleId, invoiceSeq: body.seq, deviceTime: body.issuedAt - body.clockBehindMs, behindMs: body.clockBehindMs }],
    );
  const emitClock = (events: readonly ClockAuditEvent[]) => {
    for (const e of events) ctx.emit({ type: 'clock:behind', seq: e.invoiceSeq, issuedAt: e.at, deviceTime: e.deviceTime, behindMs: e.behindMs });
  };
  const invoiceEntries = (issued: IssuedInvoice): OutboxEntry<'YG01'>[] =>
    [...(issued.catchUp ? [issued.catchUp] : []), issued].map((i) => ({
      infno: 'YG01',
      kind: 'invoice',
      ref: `invoice-${i.seq}`,
      input: { invoice: { terminal_id: terminalId, seq: i.seq, hash: i.hash, record: i.record as unknown as Record<string, unknown> } },
    }));

  /**
   * Undoes a settlement whose outcome is unknown. A 2601 refused because nothing stands under the msgid proves
   * nothing while the 2102 may still be on its way (held in a queue, a slow gateway): it could commit after the
   * refusal. So the msgid's outcome is pinned first, by asking again with it (the platform answers its first answer,
   * or settles it now; either way nothing can commit under it later): refused for good means nothing was charged;
   * settled means 2601 reverses it. True when the platform confirms nothing stands.
   */
  async function reverse(pending: PendingSettlement): Promise<boolean> {
    const done = async () => {
      await storage.write([{ op: 'delete', store: 'settlements', key: pending.saleId }]);
      ctx.emit({ type: 'settlement:reversed', saleId: pending.saleId, msgid: pending.prepared.msgid });
      return true;
    };
    try {
      await platform.resolve(pending.prepared);
    } catch (error) {
      if (isYibaoGuardError(error, 'PLATFORM_REJECTED')) return done();
      // Still unknown (or a platform that does not answer a repeated msgid): the reversal alone decides.
    }
    try {
      await platform.reverse({ psn_no: pending.psnNo, omsgid: pending.prepared.msgid, oinfno: '2102' }, { insuplcAdmdvs: pending.insuplcAdmdvs });
    } catch (error) {
      if (!isYibaoGuardError(error, 'PLATFORM_REJECTED')) return false;
    }
    return done();
  }

  function startSale(verified?: VerifiedBuyer): TerminalSale {
    let buyer = verified;
    const saleId = newId('S');
    const startedAt = clock.now();
    const facts = buyer ? buyerFacts(buyer) : undefined;
    const events: AuditEvent[] = [];
    let settling: Promise<Receipt> | undefined;
    const session = createSaleSession({
      saleId,
      catalog,
      rules: rulesNow,
      ...(facts ? { buyer: facts, history: indexHistory(memory.purchasesOf(facts.psnNo)) } : {}),
      pharmacy: { agreement: ctx.pharmacy.agreement },
      operator: { id: ctx.operator.id, name: ctx.operator.name },
      clock,
      soldTraceCodes: memory.soldHere,
      stock: stockView,
      audit: async (batch) => {
        events.push(...batch);
        await storage.write(auditOps(batch));
      },
      ...(ctx.platformChecks && facts && buyer
        ? {
            platformFindings: async (s: SaleSession) => {
              if (!s.lines.some((l) => l.payMode === 'fund')) return [];
              const request = analysisRequest({ lines: s.lines, buyer: facts, pharmacyCode: ctx.pharmacy.code, saleId });
              const { result } = await platform.analyze(request, { insuplcAdmdvs: (buyer ?? verified!).insurance.insuplcAdmdvs });
              return platformFindings(result, packInForce());
            },
          }
        : {}),
    });

    const review = session.review.bind(session);
    const sale: TerminalSale = Object.create(session, {
      verifiedBuyer: { get: () => buyer, enumerable: false },
      renewVoucher: {
        value: (fresh: VerifiedBuyer) => {
          if (!buyer || fresh?.psnNo !== buyer.psnNo) {
            throw new SaleError('RULE_BLOCKED', { message: 'The new voucher is not the same person as the sale was reviewed for', messageZh: '新凭证与本笔销售审核时的参保人不一致', field: 'buyer' });
          }
          buyer = fresh;
        },
      },
      review: {
        value: async () => {
          await refreshLapsedPack();
          const result = await review();
          for (const finding of result.findings) if (finding.outcome === 'open') ctx.emit({ type: 'finding', saleId, finding });
          return result;
        },
      },
      settle: {
        value: (options: SettleOptions = {}) => {
          // One settlement at a time per sale: a double click must not pre-settle twice.
          settling ??= settleSale(options).finally(() => {
            settling = undefined;
          });
          return settling;
        },
      },
    }) as TerminalSale;

    async function settleSale(options: SettleOptions): Promise<Receipt> {
      session.assertSettleable();
      const lines = session.lines;
      if (lines.length === 0) throw saleError('SALE_EMPTY', 'The sale has no lines', '该笔销售没有商品明细');
      const fundLines = lines.filter((l) => l.payMode === 'fund');
      // The pack left force after the review: that review no longer allows a fund settlement.
      if (fundLines.length > 0 && pack && !packInForce() && !session.lastReview!.findings.some((f) => f.ruleId === 'rule-pack-expired')) {
        throw new SaleError('SALE_NOT_REVIEWED', {
          message: `The rule pack ${pack.packId} v${pack.version} left force after the review: review the sale again`,
          messageZh: `审核后规则包 ${pack.packId} 第 ${pack.version} 版已过有效期：请重新审核`,
        });
      }
      const selfPayFen = sum(lines.filter((l) => l.payMode !== 'fund').map((l) => l.amountFen));
      let settlement: { setlId: string; mdtrtId: string; msgid: string } | undefined;
      let split: PaymentSplit = { totalFen: selfPayFen, fundFen: 0, accountFen: 0, cashFen: selfPayFen };
      if (fundLines.length > 0) {
        if (!buyer) throw new SaleError('RULE_BLOCKED', { message: 'A line billed to the fund needs a verified buyer', messageZh: '医保支付的明细须先核验购药人医保凭证' });
        const out = await settleWithPlatform(buyer, fundLines, options);
        settlement = { setlId: out.setlinfo.setl_id ?? '', mdtrtId: out.setlinfo.mdtrt_id, msgid: out.msgid };
        const s = out.setlinfo;
        split = { totalFen: s.medfee_sumamt + selfPayFen, fundFen: s.fund_pay_sumamt, accountFen: s.acct_pay, cashFen: s.psn_cash_pay + selfPayFen };
      }
      const at = clock.now();
      const last = session.lastReview!;
      const record: SaleRecord = {
        saleId,
        pharmacyCode: ctx.pharmacy.code,
        terminalId,
        operatorId: ctx.operator.id,
        startedAt,
        settledAt: at,
        ...(buyer && facts
          ? {
              buyer: {
                psnNo: buyer.psnNo,
                insutype: buyer.insurance.insutype,
                insuplcAdmdvs: buyer.insurance.insuplcAdmdvs,
                voucherKind: buyer.voucherKind,
                facts: { psnNo: facts.psnNo, sex: facts.sex, ...(facts.age !== undefined ? { age: facts.age } : {}), chronic: facts.chronic, identities: facts.identities, outOfArea: facts.outOfArea, status: facts.status },
              },
            }
          : {}),
        lines,
        prescriptions: session.prescriptions.map(recordPrescription),
        ...(settlement ? { settlement } : {}),
        split,
        invoice: { seq: 0, hash: '', signed: false },
        review: {
          ...(packInForce() ? { packVersion: packInForce()!.version } : {}),
          findings: last.findings.map((f) => ({
            findingId: f.findingId,
            ruleId: f.ruleId,
            ...(f.lineId ? { lineId: f.lineId } : {}),
            severity: f.severity,
            source: f.source,
            outcome: f.outcome,
            ...(f.override ? { override: { reasonCode: f.override.reasonCode, note: f.override.note, by: f.override.by.operatorId } } : {}),
          })),
        },
        status: 'settled',
        refunds: [],
      };
      const movements: SaleMovement[] = lines.map((line) => {
        const product = catalog.byId(line.productId);
        return {
          kind: 'sale',
          movementId: `${saleId}-${line.lineId}`,
          at,
          productId: line.productId,
          ...(line.medListCode ? { medListCode: line.medListCode } : {}),
          productName: product?.genericName ?? line.name,
          batchNo: line.batchNo ?? batchOf(line.productId, line.traceCodes),
          traceCodes: line.traceCodes,
          operatorId: ctx.operator.id,
          quantity: line.quantity,
          split: line.split,
          saleId,
          lineId: line.lineId,
          unitPriceFen: line.unitPriceFen,
          payMode: line.payMode,
          ...(settlement && line.payMode === 'fund' ? { setlId: settlement.setlId } : {}),
          ...(line.rxNo ? { rxNo: line.rxNo } : {}),
        };
      });
      const identity = buyer?.identity;
      const reportContext = {
        operatorName: ctx.operator.name,
        ...(buyer ? { buyer: { psnNo: buyer.psnNo, ...(identity?.residentId ? { residentId: identity.residentId } : {}), ...(identity?.name ? { name: identity.name } : {}) } } : {}),
        ...(options.pharmacist ? { pharmacist: options.pharmacist } : {}),
      };
      let final: SaleRecord = record;
      const issued = await book.issue(
        { lines: lines.map(({ medListCode, name, specification, quantity, unitPriceFen, amountFen, traceCodes }) => ({ ...(medListCode ? { medListCode } : {}), name, ...(specification ? { specification } : {}), quantity, unitPriceFen, amountFen, traceCodes })), split, ...(settlement?.setlId ? { setlId: settlement.setlId } : {}) },
        {
          commit: async (ops, invoice) => {
            final = { ...record, invoice: { seq: invoice.seq, hash: invoice.hash, signed: invoice.signed } };
            const behind = clockEvents(invoice, saleId);
            const facts: WriteOp<TerminalLayout>[] = [...ops, ...auditOps(behind), { op: 'put', store: 'sales', key: saleId, value: final, expect: null }];
            if (settlement) facts.push({ op: 'delete', store: 'settlements', key: saleId });
            await inventory.recordAll(movements, reportContext, facts, [...invoiceEntries(invoice), auditEntry(saleId, [...events, ...behind], settlement?.setlId)]);
          },
        },
      );
      session.close();
      emitClock(clockEvents(issued, saleId));
      memory.add(final);
      worker.notify();
      const receipt: Receipt = { saleId, invoice: issued, split, lines, ...(settlement ? { setlId: settlement.setlId } : {}), sale: final };
      ctx.emit({ type: 'sale:settled', receipt });
      return receipt;
    }

    /** 2101 then 2102, with the 2102 remembered before it leaves; a lost answer is asked again or reversed. */
    async function settleWithPlatform(buyer: VerifiedBuyer, fundLines: readonly SaleLine[], options: SettleOptions) {
      const area = { insuplcAdmdvs: buyer.insurance.insuplcAdmdvs };
      const pending = (await storage.get('settlements', saleId))?.value;
      let prepared = pending?.prepared;
      if (!prepared) {
        const identity = buyer.identity;
        const input: TransactionInput<'2101'> = {
          druginfo: {
            psn_no: buyer.psnNo,
            mdtrt_cert_type: buyer.certType,
            mdtrt_cert_no: identity?.certNo ?? '',
            ...(identity?.cardSn ? { card_sn: identity.cardSn } : {}),
            begntime: startedAt,
            medfee_sumamt: sum(fundLines.map((l) => l.amountFen)),
            insutype: buyer.insurance.insutype,
            acct_used_flag: options.useAccount === false ? '0' : '1',
            med_type: '41',
          },
          drugdetail: fundLines.map((l) => ({
            feedetl_sn: `${saleId}-${l.lineId}`,
            ...(l.rxNo ? { rxno: l.rxNo } : {}),
            rx_circ_flag: l.rxNo && session.prescriptions.find((rx) => rx.rxNo === l.rxNo)?.circulating ? ('1' as const) : ('0' as const),
            fee_ocur_time: startedAt,
            med_list_codg: l.medListCode!,
            medins_list_codg: l.productId,
            det_item_fee_sumamt: l.amountFen,
            cnt: l.quantity,
            pric: l.unitPriceFen * 10_000,
          })),
        };
        await platform.preSettle(input, area);
        prepared = platform.prepare('2102', { ...input, druginfo: { ...input.druginfo, invono: saleId } }, area);
        const remember: PendingSettlement = { saleId, at: clock.now(), prepared, psnNo: buyer.psnNo, insuplcAdmdvs: area.insuplcAdmdvs, state: 'sent' };
        await storage.write([{ op: 'put', store: 'settlements', key: saleId, value: remember, expect: null }]);
      }
      const sent = prepared;
      const forget = () => storage.write([{ op: 'delete', store: 'settlements', key: saleId }]);
      try {
        const out = pending ? await platform.resolve(sent) : await platform.send(sent);
        return { ...out, msgid: sent.msgid };
      } catch (error) {
        if (!isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) {
          // Refused, or never reached the platform: nothing was charged.
          await forget();
          throw error;
        }
        if (!pending) {
          try {
            return { ...(await platform.resolve(sent)), msgid: sent.msgid };
          } catch (again) {
            if (!isYibaoGuardError(again, 'PLATFORM_OUTCOME_UNKNOWN') && !isYibaoGuardError(again, 'PLATFORM_UNAVAILABLE')) {
              await forget();
              throw again;
            }
          }
        }
        const record: PendingSettlement = { saleId, at: clock.now(), prepared: sent, psnNo: buyer.psnNo, insuplcAdmdvs: area.insuplcAdmdvs, state: 'sent' };
        if (await reverse(record)) {
          throw saleError(
            'SETTLEMENT_REVERSED',
            `The settlement's answer was lost, so it was reversed (2601, msgid ${sent.msgid}): nothing was charged; have the buyer refresh the voucher (renewVoucher) and settle again`,
            `结算应答丢失，已冲正（2601，msgid ${sent.msgid}），未扣费；请购药人刷新医保码后重新结算`,
            error,
          );
        }
        ctx.emit({ type: 'settlement:unknown', saleId, msgid: sent.msgid });
        throw saleError(
          'SETTLEMENT_OUTCOME_UNKNOWN',
          `The outcome of settlement ${sent.msgid} is unknown and the platform cannot be reached: take no money; settle again to ask, or it is reversed when the platform is back`,
          `结算（msgid ${sent.msgid}）结果未知且无法连接医保平台：请勿收费；可再次结算以查询结果，平台恢复后未完成的结算将自动冲正`,
          error,
        );
      }
    }

    return sale;
  }

  async function refund(saleId: string, options: { readonly lines?: readonly { readonly lineId: string; readonly quantity: number }[] } = {}): Promise<RefundReceipt> {
    const stored = await storage.get('sales', saleId);
    if (!stored) throw saleError('SALE_NOT_FOUND', `No settled sale ${saleId} on this terminal`, `本终端没有已结算的销售 ${saleId}`);
    const sale = stored.value;
    if (sale.status === 'refunded') throw saleError('REFUND_INVALID', `Sale ${saleId} is already refunded`, `销售 ${saleId} 已全部退货`);
    const returned = new Map<string, number>();
    for (const r of sale.refunds) for (const l of r.lines) returned.set(l.lineId, (returned.get(l.lineId) ?? 0) + l.quantity);
    const whole = options.lines === undefined;
    if (sale.settlement && (!whole || sale.refunds.length > 0)) {
      throw saleError(
        'REFUND_INVALID',
        'A sale settled with the fund is refunded whole (2103 cancels the whole settlement); settle the kept goods again as a new sale',
        '医保结算的销售只能整单退货（2103 撤销整笔结算），保留的商品请重新结算',
      );
    }
    const wanted = whole ? sale.lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity - (returned.get(l.lineId) ?? 0) })).filter((l) => l.quantity > 0) : options.lines!;
    const lines = wanted.map(({ lineId, quantity }) => {
      const line = sale.lines.find((l) => l.lineId === lineId);
      const left = line ? line.quantity - (returned.get(lineId) ?? 0) : 0;
      if (!line || !(quantity > 0) || quantity > left) {
        throw saleError('REFUND_INVALID', `Line ${lineId} of sale ${saleId} cannot be refunded ${quantity} (${left} left)`, `销售 ${saleId} 的明细 ${lineId} 不能退 ${quantity}（可退 ${left}）`);
      }
      return { line, quantity, amountFen: quantity === line.quantity ? line.amountFen : Math.round((line.amountFen * quantity) / line.quantity) };
    });
    if (lines.length === 0) throw saleError('REFUND_INVALID', 'Nothing to refund', '没有可退的商品');
    const pendingKey = `refund.pending/${saleId}`;
    if (sale.settlement && sale.buyer) await cancelWithPlatform(sale, pendingKey);
    const totalFen = sum(lines.map((l) => l.amountFen));
    const split: PaymentSplit = sale.settlement ? sale.split : { totalFen, fundFen: 0, accountFen: 0, cashFen: totalFen };
    const at = clock.now();
    const refundId = newId('R');
    const movements: StockMovement[] = lines.map(({ line, quantity }, i) => ({
      kind: 'sale-return',
      movementId: `${refundId}-${i + 1}`,
      at,
      productId: line.productId,
      ...(line.medListCode ? { medListCode: line.medListCode } : {}),
      productName: catalog.byId(line.productId)?.genericName ?? line.name,
      batchNo: line.batchNo ?? batchOf(line.productId, line.traceCodes),
      traceCodes: quantity === line.quantity ? line.traceCodes : line.traceCodes.slice(0, Math.floor(quantity)),
      operatorId: ctx.operator.id,
      quantity,
      split: line.split,
      saleMovementId: `${saleId}-${line.lineId}`,
      saleId,
      lineId: line.lineId,
      unitPriceFen: line.unitPriceFen,
    }));
    let final: SaleRecord = sale;
    const issued = await book.issue(
      {
        kind: 'refund',
        reverses: sale.invoice.seq,
        lines: lines.map(({ line, quantity, amountFen }) => ({ ...(line.medListCode ? { medListCode: line.medListCode } : {}), name: line.name, quantity, unitPriceFen: line.unitPriceFen, amountFen, traceCodes: movements.find((m) => m.kind === 'sale-return' && m.lineId === line.lineId)!.traceCodes })),
        split,
      },
      {
        commit: async (ops, invoice) => {
          const refunds = [...sale.refunds, { refundId, at, invoiceSeq: invoice.seq, lines: lines.map(({ line, quantity, amountFen }) => ({ lineId: line.lineId, quantity, amountFen })), split }];
          const all = sale.lines.every((l) => sum(refunds.flatMap((r) => r.lines.filter((x) => x.lineId === l.lineId).map((x) => x.quantity))) >= l.quantity);
          final = { ...sale, refunds, status: all ? 'refunded' : 'partly-refunded' };
          const behind = clockEvents(invoice, saleId);
          await inventory.recordAll(
            movements,
            { operatorName: ctx.operator.name, ...(sale.buyer ? { buyer: { psnNo: sale.buyer.psnNo } } : {}) },
            [...ops, ...auditOps(behind), { op: 'put', store: 'sales', key: saleId, value: final, expect: stored.rev }, ...(sale.settlement ? [{ op: 'delete' as const, store: 'meta' as const, key: pendingKey }] : [])],
            [...invoiceEntries(invoice), ...(behind.length > 0 ? [auditEntry(saleId, behind, sale.settlement?.setlId)] : [])],
          );
        },
      },
    );
    memory.replace(final);
    worker.notify();
    emitClock(clockEvents(issued, saleId));
    const receipt: RefundReceipt = { saleId, refundId, invoice: issued, split, sale: final };
    ctx.emit({ type: 'sale:refunded', refund: receipt });
    return receipt;
  }

  /**
   * 2103 for a whole fund settlement, with its prepared call stored before it leaves (meta `refund.pending/{saleId}`,
   * deleted in the batch that records the refund). A lost answer is asked again with the same msgid, now or on the
   * next `refund()` of the sale (or at start-up), so a settlement the platform cancelled is always recorded here.
   */
  async function cancelWithPlatform(sale: SaleRecord, key: string): Promise<void> {
    const remembered = (await storage.get('meta', key))?.value as { prepared: PreparedCall<'2103'> } | undefined;
    let prepared = remembered?.prepared;
    if (!prepared) {
      prepared = platform.prepare('2103', { data: { setl_id: sale.settlement!.setlId, mdtrt_id: sale.settlement!.mdtrtId, psn_no: sale.buyer!.psnNo } }, { insuplcAdmdvs: sale.buyer!.insuplcAdmdvs });
      await storage.write([{ op: 'put', store: 'meta', key, value: { prepared }, expect: null }]);
    }
    const sent = prepared;
    try {
      await (remembered ? platform.resolve(sent) : platform.send(sent));
    } catch (error) {
      if (isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) {
        try {
          await platform.resolve(sent);
          return;
        } catch (again) {
          if (isYibaoGuardError(again, 'PLATFORM_OUTCOME_UNKNOWN') || isYibaoGuardError(again, 'PLATFORM_UNAVAILABLE')) {
            throw saleError(
              'REFUND_OUTCOME_UNKNOWN',
              `The outcome of the cancellation of sale ${sale.saleId} (2103, msgid ${sent.msgid}) is unknown: pay nothing back yet; refund again to ask`,
              `销售 ${sale.saleId} 的结算撤销（2103，msgid ${sent.msgid}）结果未知：暂勿退款；请稍后再次退货以查询结果`,
              again,
            );
          }
          error = again;
        }
      }
      // Refused, or never reached the platform: nothing was cancelled, and the next refund starts afresh.
      await storage.write([{ op: 'delete', store: 'meta', key }]);
      throw error;
    }
  }

  const sync: TerminalSync = {
    status: () => worker.status(),
    deadLetters: (options) => worker.deadLetters(options),
    annotate: (seq, note) => worker.annotate(seq, note),
    close: (seq, note) => worker.close(seq, note),
    drain: () => worker.drain(),
    flush: () => worker.drain(),
    start: () => worker.start(),
    stop: () => worker.stop(),
    resubmit: async (seq, fix) => {
      const result = await resubmitDeadLetter({ storage, outbox, clock }, seq, { input: fix.input as never, by: ctx.operator.id, ...(fix.note ? { note: fix.note } : {}) });
      worker.notify();
      return result;
    },
  };

  const install = async (signed: unknown): Promise<RulePack> => {
    const installed = await installRulePack(storage, signed, { trusted: ctx.trustedKeys, now: clock.now(), scope, ...fallback });
    pack = installed;
    compiled = compilePack(installed);
    ctx.emit({ type: 'rule-pack', version: installed.version });
    return installed;
  };

  const till: Till = {
    invoices: book,
    catalog,
    startSale,
    refund,
    async recordMovement(movement) {
      const full = { ...movement, operatorId: movement.operatorId ?? ctx.operator.id } as StockMovement;
      await inventory.record(full, { operatorName: ctx.operator.name });
      noteBoxes(full);
      worker.notify();
    },
    stock: () => inventory.levels(),
    onHand: (productId) => inventory.view.onHand(productId),
    sale: async (saleId) => (await storage.get('sales', saleId))?.value,
    sales: async (options = {}) => (await storage.list('sales', { ...(options.after ? { after: options.after } : {}), ...(options.limit ? { limit: options.limit } : {}) })).map((r) => r.value),
    sync,
    /** The pack in force now: undefined once it is past its `validUntil` (reviews then carry the expired card). */
    get rulePack() {
      return packInForce();
    },
    async updateRulePack() {
      const { pack: published } = await platform.downloadRulePack({ data: { admdvs: ctx.area, cur_ver: pack?.version ?? 0 } });
      if (!published) return undefined;
      return install(published);
    },
    installRulePack: install,
    async recoverSettlements() {
      const reversed: string[] = [];
      const pending: string[] = [];
      for (const { value } of await storage.list('settlements')) {
        if (await reverse(value)) reversed.push(value.saleId);
        else pending.push(value.saleId);
      }
      // Cancellations (2103) a crash or a lost answer left unrecorded: ask again and record the refund.
      for (const { key } of await storage.list('meta', { prefix: 'refund.pending/' })) {
        const saleId = key.slice('refund.pending/'.length);
        try {
          await refund(saleId);
        } catch {
          pending.push(saleId);
        }
      }
      return { reversed, pending };
    },
    selfAudit: async (options) => {
      if (!ctx.selfAudit) {
        throw new InputError('INVALID_INPUT', {
          message: "terminal.selfAudit needs the self-audit: createTerminal({ ..., selfAudit }) with selfAudit from 'yibao-guard/audit'",
          messageZh: "terminal.selfAudit 需要自查模块：请以 createTerminal({ ..., selfAudit }) 传入 'yibao-guard/audit' 的 selfAudit",
          field: 'selfAudit',
        });
      }
      return ctx.selfAudit({ ...(ctx.trustedKeys.length > 0 ? { trusted: ctx.trustedKeys } : {}), ...fallback, ...options, storage, catalog: options.catalog ?? catalog });
    },
    close: () => worker.stop(),
  };
  if (ctx.sync.autoStart !== false) worker.start();
  return till;
}

