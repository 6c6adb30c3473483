import { canonicalJson, isWellFormedText } from '../canonical-json.js';
import { maskPersonalData, parseTraceCode, isValidGtin } from '../codes/index.js';
import { ERROR_CATALOG, InputError, isYibaoGuardError, SaleError } from '../errors/index.js';
import { lineAmountFen } from '../money.js';
import type { Catalog } from '../rules/catalog.js';
import type { CompiledPack } from '../rules/compile.js';
import type { BuyerFacts, HistoryIndex, StockView, TraceCodeView } from '../rules/context.js';
import { reviewSale } from '../rules/review.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { Finding, Override, SuggestedAction } from '../schemas/finding.js';
import { parseInput } from '../schemas/parse.js';
import { PrescriptionSchema, type Prescription } from '../schemas/prescription.js';
import type { Product } from '../schemas/product.js';
import { FUND_ELIGIBLE_CATEGORIES } from '../schemas/product.js';
import type { PayMode, SaleLine } from '../schemas/sale.js';

/** A finding as the till shows it: the card, and what became of it. */
export type ReviewedFinding = Finding & { readonly outcome: 'open' | 'overridden'; readonly override?: Override };

/** The result of `sale.review()`. */
export interface Review {
  readonly findings: readonly ReviewedFinding[];
  /** A `block` finding is unresolved: the sale cannot settle as it is. */
  readonly blocked: boolean;
  /** No unresolved block and every warning overridden. */
  readonly canSettle: boolean;
  readonly reviewedAt: number;
  /**
   * Whether the platform's 3101 findings are in: `checked`, `unavailable` (the hook failed with a platform error:
   * offline, timed out, refused — the local findings stand alone and the till may show that), or `off` (no hook).
   */
  readonly platform: 'checked' | 'unavailable' | 'off';
}

/** What a sale session needs from the terminal around it. */
export interface SaleSessionOptions {
  readonly saleId: string;
  readonly catalog: Catalog;
  /** The compiled rule pack in force, read at each review (a pack installed mid-sale applies to the next review). */
  readonly rules: () => CompiledPack;
  readonly buyer?: BuyerFacts;
  readonly pharmacy: { readonly agreement: 'active' | 'suspended' | 'ended' };
  readonly operator: { readonly id: string; readonly name?: string };
  readonly clock: { now(): number };
  readonly history?: HistoryIndex;
  readonly soldTraceCodes?: TraceCodeView;
  readonly stock?: StockView;
  /** Appends audit events (the terminal writes them to the `audit` journal). */
  readonly audit?: (events: AuditEvent[]) => Promise<void>;
  /**
   * The platform's own 3101 findings for the current lines, merged into the review when online. A platform error
   * it throws (a `PlatformError`: any code of the platform area) does not stop the review: the local findings stand alone (`review.platform` is
   * `unavailable`). Any other error is a bug and is thrown.
   */
  readonly platformFindings?: (session: SaleSession) => Promise<readonly Finding[]>;
}

/** Manual entry of a line (a product without a barcode, or a vendor's own basket). */
export interface AddLineInput {
  readonly productId: string;
  readonly quantity: number;
  /** 拆零: a fraction of a package. */
  readonly split?: boolean;
  readonly payMode?: PayMode;
  /** The 医保 code billed; defaults to the product's. A different code is what the substitution rule is for. */
  readonly medListCode?: string;
  readonly unitPriceFen?: number;
  readonly traceCodes?: readonly string[];
  readonly gtin?: string;
  readonly rxNo?: string;
}

/**
 * One sale at the till, from the first scan to a review with no open findings. Scans (GTIN or 追溯码) and manual
 * lines build the basket; `review()` runs the rule pack (and merges the platform's 3101 findings when online);
 * `override()` lets a warning pass with a reason; `apply()` carries out a card's suggested action in one call.
 * Every review, override and action is written to the audit trail.
 *
 * @example
 * const sale = createSaleSession({ saleId, catalog, rules: () => compiled, buyer, pharmacy, operator, clock })
 * sale.scan('81234560000000000017')
 * const review = await sale.review()
 * if (!review.canSettle) showCards(review.findings)
 */
export interface SaleSession {
  readonly saleId: string;
  readonly lines: readonly SaleLine[];
  readonly prescriptions: readonly Prescription[];
  readonly buyer?: BuyerFacts;
  /** The last review, if the sale has not changed since. */
  readonly lastReview: Review | undefined;
  scan(code: string): SaleLine;
  addLine(input: AddLineInput): SaleLine;
  /** Sets a line's quantity; going down drops the trace codes of the last-scanned boxes beyond the new count. */
  setQuantity(lineId: string, quantity: number): SaleLine;
  setPayMode(lineId: string, payMode: PayMode): SaleLine;
  removeLine(lineId: string): void;
  /** Attaches an e-prescription and dispenses the Rx lines it lists against it (or the lines named). */
  attachPrescription(rx: Prescription | unknown, lineIds?: readonly string[]): Prescription;
  review(): Promise<Review>;
  /**
   * Lets a warning of the last review pass: the reason code must be one of the pack's (`other` needs a note; the
   * note is kept with any 身份证 or mobile number masked). The override holds for later reviews while the finding
   * stays the same (rule, line and evidence); a changed or vanished finding must be decided again. Throws
   * `FINDING_NOT_FOUND`, `FINDING_NOT_OVERRIDABLE` (a block), `OVERRIDE_REASON_UNKNOWN`, `OVERRIDE_NOTE_REQUIRED`.
   */
  override(findingId: string, decision: { readonly reasonCode: string; readonly note?: string; readonly by?: { readonly operatorId: string; readonly name?: string } }): Promise<Override>;
  /**
   * Carries out a card's action in one call (remove the line, switch it to 自费, reduce its quantity) and audits it.
   * `attach-prescription` only checks the line: the till then asks for the prescription and calls `attachPrescription`.
   */
  apply(action: SuggestedAction, findingId?: string): Promise<void>;
  /** Throws `SALE_NOT_REVIEWED`, `RULE_BLOCKED` or `RULE_WARNING_NOT_OVERRIDDEN` unless the sale may settle. */
  assertSettleable(): void;
  /** Freezes the sale (after settlement): every change then throws `SALE_CLOSED`. */
  close(): void;
}

/** Creates a sale session. */
export function createSaleSession(options: SaleSessionOptions): SaleSession {
  const lines: SaleLine[] = [];
  const prescriptions: Prescription[] = [];
  /** Overrides by finding id, each with the fingerprint of the finding it was given for. */
  const overrides = new Map<string, { override: Override; fingerprint: string }>();
  let nextLine = 1;
  let version = 0;
  let reviewed: { version: number; review: Review } | undefined;
  let closed = false;

  const writable = () => {
    if (closed) throw new SaleError('SALE_CLOSED');
  };
  const changed = () => {
    version++;
  };
  const indexOf = (lineId: string) => {
    const index = lines.findIndex((l) => l.lineId === lineId);
    if (index < 0) throw new SaleError('SALE_LINE_NOT_FOUND', { message: `No sale line ${lineId}`, messageZh: `销售明细 ${lineId} 不存在`, field: 'lineId' });
    return index;
  };
  const replace = (index: number, line: SaleLine): SaleLine => {
    lines[index] = line;
    changed();
    return line;
  };
  const withQuantity = (line: SaleLine, quantity: number): SaleLine => ({ ...line, quantity, amountFen: lineAmountFen(line.unitPriceFen, quantity) });
  /** A smaller quantity hands boxes back: the codes of the last-scanned boxes go, so they are not reported sold. */
  const withFewerBoxes = (line: SaleLine, quantity: number): SaleLine => {
    const boxes = Math.ceil(quantity);
    return withQuantity(line.traceCodes.length > boxes ? { ...line, traceCodes: line.traceCodes.slice(0, boxes) } : line, quantity);
  };
  const defaultPayMode = (product: Product): PayMode =>
    options.buyer && product.medListCode && FUND_ELIGIBLE_CATEGORIES.has(product.category) && product.insuranceClass !== 'C' ? 'fund' : 'self-pay';
  const priceOf = (product: Product): number => {
    if (product.retailPriceFen === undefined) {
      throw new SaleError('PRODUCT_NOT_PRICED', { message: `Product ${product.productId} has no retail price`, messageZh: `商品“${product.genericName}”没有零售价`, field: 'productId' });
    }
    return product.retailPriceFen;
  };
  const audit = async (event: AuditEvent) => {
    await options.audit?.([event]);
  };

  function addLine(input: AddLineInput): SaleLine {
    writable();
    const product = options.catalog.byId(input.productId);
    if (!product) throw new SaleError('SCAN_UNKNOWN_PRODUCT', { message: `Product ${input.productId} is not in the catalog`, messageZh: `商品 ${input.productId} 不在本店目录中`, field: 'productId' });
    const unitPriceFen = input.unitPriceFen ?? priceOf(product);
    const medListCode = input.medListCode ?? product.medListCode;
    // What the receipt will print: refused now, at the counter, if it cannot be signed (a lone UTF-16 surrogate in the
    // catalog's text), rather than after the platform has settled the sale and the invoice cannot be issued.
    if (![product.genericName, product.tradeName ?? '', product.specification].every(isWellFormedText)) {
      throw new InputError('INVALID_INPUT', {
        message: `Product ${product.productId}: its name or specification is not well-formed text (a lone UTF-16 surrogate); correct the catalog`,
        messageZh: `商品 ${product.productId} 的名称或规格含无效字符，无法打印票据：请更正商品目录`,
        field: 'productId',
      });
    }
    const line: SaleLine = {
      lineId: `L${nextLine++}`,
      productId: product.productId,
      ...(medListCode ? { medListCode } : {}),
      name: product.tradeName ? `${product.genericName}（${product.tradeName}）` : product.genericName,
      specification: product.specification,
      quantity: input.quantity,
      split: input.split ?? false,
      unitPriceFen,
      amountFen: lineAmountFen(unitPriceFen, input.quantity),
      ...(input.gtin ? { gtin: input.gtin } : {}),
      traceCodes: [...(input.traceCodes ?? [])],
      ...(input.rxNo ? { rxNo: input.rxNo } : {}),
      payMode: input.payMode ?? defaultPayMode(product),
    };
    lines.push(line);
    changed();
    return line;
  }

  function scan(raw: string): SaleLine {
    writable();
    const code = typeof raw === 'string' ? raw.trim() : '';
    if (/^8\d{19}$/.test(code)) {
      const trace = parseTraceCode(code);
      const product = options.catalog.byTracePrefix(trace.productPrefix);
      if (!product) throw unknownScan('追溯码', 'trace code');
      const index = lines.findIndex((l) => l.productId === product.productId && !l.split);
      if (index < 0) return addLine({ productId: product.productId, quantity: 1, traceCodes: [trace.code] });
      const line = lines[index]!;
      const traceCodes = [...line.traceCodes, trace.code];
      return replace(index, withQuantity({ ...line, traceCodes }, Math.max(line.quantity, traceCodes.length)));
    }
    if (isValidGtin(code)) {
      const product = options.catalog.byGtin(code);
      if (!product) throw unknownScan('商品条码', 'barcode');
      const index = lines.findIndex((l) => l.productId === product.productId && !l.split);
      if (index < 0) return addLine({ productId: product.productId, quantity: 1, gtin: code });
      const line = lines[index]!;
      return replace(index, withQuantity(line.gtin ? line : { ...line, gtin: code }, line.quantity + 1));
    }
    throw new SaleError('SCAN_UNKNOWN_PRODUCT', { message: 'The scan is neither a product barcode nor a drug trace code', messageZh: '扫描内容既不是商品条码也不是药品追溯码', field: 'code' });
  }

  function unknownScan(zh: string, en: string): SaleError {
    return new SaleError('SCAN_UNKNOWN_PRODUCT', { message: `The scanned ${en} is not in the catalog`, messageZh: `扫描的${zh}不在本店商品目录中`, field: 'code' });
  }

  const session: SaleSession = {
    saleId: options.saleId,
    get lines() {
      return lines.slice();
    },
    get prescriptions() {
      return prescriptions.slice();
    },
    ...(options.buyer ? { buyer: options.buyer } : {}),
    get lastReview() {
      return reviewed?.version === version ? reviewed.review : undefined;
    },
    scan,
    addLine,
    setQuantity(lineId, quantity) {
      writable();
      const index = indexOf(lineId);
      return replace(index, withFewerBoxes(lines[index]!, quantity));
    },
    setPayMode(lineId, payMode) {
      writable();
      const index = indexOf(lineId);
      return replace(index, { ...lines[index]!, payMode });
    },
    removeLine(lineId) {
      writable();
      lines.splice(indexOf(lineId), 1);
      changed();
    },
    attachPrescription(raw, lineIds) {
      writable();
      const rx = parseInput(PrescriptionSchema, raw, { en: 'Prescription', zh: '处方' });
      const existing = prescriptions.findIndex((p) => p.rxNo === rx.rxNo);
      if (existing >= 0) prescriptions[existing] = rx;
      else prescriptions.push(rx);
      const listed = new Set(rx.items.map((i) => i.medListCode));
      lines.forEach((line, index) => {
        const named = lineIds ? lineIds.includes(line.lineId) : line.medListCode !== undefined && listed.has(line.medListCode) && options.catalog.byId(line.productId)?.rx;
        if (named) lines[index] = { ...line, rxNo: rx.rxNo };
      });
      changed();
      return rx;
    },
    async review() {
      // The basket this review looks at: a change while the platform is being asked makes it a review of the past.
      const started = version;
      const at = options.clock.now();
      const compiled = options.rules();
      const local = reviewSale(compiled, options.catalog, {
        lines,
        prescriptions,
        ...(options.buyer ? { buyer: options.buyer } : {}),
        pharmacy: options.pharmacy,
        now: at,
        ...(options.history ? { history: options.history } : {}),
        ...(options.soldTraceCodes ? { soldTraceCodes: options.soldTraceCodes } : {}),
        ...(options.stock ? { stock: options.stock } : {}),
      });
      let platform: readonly Finding[] = [];
      let platformState: Review['platform'] = 'off';
      if (options.platformFindings) {
        try {
          platform = await options.platformFindings(session);
          platformState = 'checked';
        } catch (error) {
          if (!isYibaoGuardError(error) || ERROR_CATALOG[error.code].area !== 'platform') throw error;
          platformState = 'unavailable';
        }
      }
      const findings = mergeFindings(local, platform).map((f): ReviewedFinding => {
        const entry = f.severity === 'warning' ? overrides.get(f.findingId) : undefined;
        return entry && entry.fingerprint === fingerprint(f) ? { ...f, outcome: 'overridden', override: entry.override } : { ...f, outcome: 'open' };
      });
      // A review of a basket that has changed since it started (a scan or a prescription while 3101 was asked) is
      // returned for what it is, but neither becomes the sale's last review nor lets overrides lapse: only a review of
      // the basket as it is now can allow settlement.
      const current = started === version;
      // An override applies to the finding it was given for: once a review no longer shows that finding (gone, or
      // changed — 12 days became 18), it lapses, and a finding that comes back must be decided again.
      if (current) {
        for (const [id, entry] of [...overrides]) {
          if (!findings.some((f) => f.findingId === id && f.outcome === 'overridden' && f.override === entry.override)) overrides.delete(id);
        }
      }
      const blocked = findings.some((f) => f.severity === 'block');
      const review: Review = {
        findings,
        blocked,
        canSettle: !blocked && findings.every((f) => f.severity !== 'warning' || f.outcome === 'overridden'),
        reviewedAt: at,
        platform: platformState,
      };
      if (current) reviewed = { version, review };
      await audit({
        kind: 'sale-review',
        at,
        saleId: options.saleId,
        operatorId: options.operator.id,
        ...(compiled.pack ? { packVersion: compiled.pack.version } : {}),
        findings: findings.map(findingRef),
      });
      return review;
    },
    async override(findingId, decision) {
      const review = session.lastReview;
      const finding = review?.findings.find((f) => f.findingId === findingId);
      if (!finding) throw new SaleError('FINDING_NOT_FOUND', { message: `No finding ${findingId} in the current review`, messageZh: `当前审核结果中没有提示 ${findingId}`, field: 'findingId' });
      if (finding.severity === 'block') throw new SaleError('FINDING_NOT_OVERRIDABLE', { field: 'findingId' });
      const reasons = options.rules().overrideReasons;
      if (!reasons.has(decision.reasonCode)) throw new SaleError('OVERRIDE_REASON_UNKNOWN', { field: 'reasonCode' });
      // Free text typed at the till: a 身份证 or mobile number in it is masked before it is kept or audited.
      const note = maskPersonalData((decision.note ?? '').trim());
      if (decision.reasonCode === 'other' && note === '') throw new SaleError('OVERRIDE_NOTE_REQUIRED', { field: 'note' });
      const by = decision.by ?? { operatorId: options.operator.id, ...(options.operator.name ? { name: options.operator.name } : {}) };
      const override: Override = { findingId, ruleId: finding.ruleId, reasonCode: decision.reasonCode, note: note.slice(0, 500), by, at: options.clock.now() };
      overrides.set(findingId, { override, fingerprint: fingerprint(finding) });
      reviewed = {
        version,
        review: {
          ...review!,
          findings: review!.findings.map((f) => (f.findingId === findingId ? { ...f, outcome: 'overridden', override } : f)),
          canSettle: !review!.blocked && review!.findings.every((f) => f.severity !== 'warning' || f.outcome === 'overridden' || f.findingId === findingId),
        },
      };
      await audit({ kind: 'finding-override', at: override.at, saleId: options.saleId, finding: findingRef(finding), reasonCode: override.reasonCode, note: override.note, by });
      return override;
    },
    async apply(action, findingId) {
      writable();
      switch (action.kind) {
        case 'remove-line':
          session.removeLine(action.lineId);
          break;
        case 'switch-to-self-pay':
          session.setPayMode(action.lineId, 'self-pay');
          break;
        case 'reduce-quantity':
          session.setQuantity(action.lineId, action.quantity);
          break;
        case 'attach-prescription':
          // The till asks for the prescription (scan or pick) and calls attachPrescription: nothing to change here.
          indexOf(action.lineId);
          break;
      }
      await audit({ kind: 'finding-action', at: options.clock.now(), saleId: options.saleId, operatorId: options.operator.id, ...(findingId ? { findingId } : {}), action });
    },
    assertSettleable() {
      const review = session.lastReview;
      if (!review) throw new SaleError('SALE_NOT_REVIEWED');
      const block = review.findings.find((f) => f.severity === 'block');
      if (block) throw new SaleError('RULE_BLOCKED', { message: `Settlement refused: ${block.summary.en}`, messageZh: `不能结算：${block.summary.zh}`, field: block.findingId });
      const warning = review.findings.find((f) => f.severity === 'warning' && f.outcome !== 'overridden');
      if (warning) throw new SaleError('RULE_WARNING_NOT_OVERRIDDEN', { message: `Settlement refused: ${warning.summary.en}`, messageZh: `不能结算：${warning.summary.zh}（须处理或填写原因）`, field: warning.findingId });
    },
    close() {
      closed = true;
    },
  };
  return session;
}

/**
 * What an override is bound to: the rule, the line and the evidence of the finding as the pharmacist saw it. The
 * platform's per-call ids and its confirmation are left out, so a decision holds whether or not 3101 answered.
 */
function fingerprint(f: Finding): string {
  const { platformConfirmed: _c, platformJrId: _p, jrId: _j, ...evidence } = f.evidence;
  return canonicalJson({ ruleId: f.ruleId, lineId: f.lineId ?? null, evidence });
}

function findingRef(f: Finding) {
  return { findingId: f.findingId, ruleId: f.ruleId, ...(f.lineId ? { lineId: f.lineId } : {}), severity: f.severity, source: f.source };
}

/**
 * Local findings plus the platform's, without duplicates: a platform finding for the same rule and line as a local
 * one is kept as evidence on the local card (which has the richer text and the actions; `platformConfirmed`, the
 * platform's `jr_id`), not shown twice; the more serious severity of the two applies. Platform-only findings are
 * added. The result is most serious first, as `reviewSale` orders (stable otherwise).
 */
export function mergeFindings(local: readonly Finding[], platform: readonly Finding[]): Finding[] {
  const merged = local.slice();
  const rank = { info: 0, warning: 1, block: 2 } as const;
  for (const p of platform) {
    const index = merged.findIndex((f) => f.ruleId === p.ruleId && f.lineId === p.lineId);
    const twin = merged[index];
    if (!twin) {
      merged.push(p);
      continue;
    }
    merged[index] = {
      ...twin,
      severity: rank[p.severity] > rank[twin.severity] ? p.severity : twin.severity,
      evidence: { ...twin.evidence, platformConfirmed: true, ...(typeof p.evidence['jrId'] === 'string' ? { platformJrId: p.evidence['jrId'] } : {}) },
    };
  }
  return merged.sort((a, b) => rank[b.severity] - rank[a.severity]);
}
