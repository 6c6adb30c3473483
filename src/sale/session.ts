import type { Catalog } from '../catalog/product-catalog.js';
import type { CompiledPack } from '../rules/compile.js';
import type { BuyerFacts, HistoryIndex, StockView, TraceCodeView } from '../rules/context.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { Finding, Override, SuggestedAction } from '../schemas/finding.js';
import type { Prescription } from '../schemas/prescription.js';
import type { PayMode, SaleLine } from '../schemas/sale.js';
import { addLine, attachPrescription, removeLine, scan, setPayMode, setQuantity } from './session-lines.js';
import { applyAction, assertSettleable, overrideFinding, reviewSession } from './session-review.js';
import { createSaleSessionState, lastReview } from './session-state.js';
import { defined } from '../defined.js';

export { mergeFindings } from './session-findings.js';

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
   * it throws (a `PlatformError`: any code of the platform area) does not stop the review: the local findings stand
   * alone (`review.platform` is
   * `unavailable`). Any other error is a bug and is thrown.
   */
  readonly platformFindings?: (session: SaleSession) => Promise<readonly Finding[]>;
  /**
   * The buyer's 门诊慢特病 registrations in force as the platform holds them (5301): asked before the rules run, by
   * a review whose basket bills the fund for a product restricted to registered diseases. The codes replace the
   * buyer's (`chronicSource: 'platform'`); a platform error it throws leaves the buyer's own codes, marked
   * `unconfirmed`. Any other error is a bug and is thrown. The terminal asks once per sale.
   */
  readonly chronicRegistrations?: () => Promise<readonly string[]>;
  /**
   * The platform's benefit check (2001) for the buyer: the reason when it refuses them the fund, undefined when
   * they may draw on it. Asked before the rules run by a review whose basket bills the fund; a refusal is a
   * `buyer-status` block with the platform's reason. A platform error it throws leaves the check to settlement
   * (2101 refuses then); any other error is a bug and is thrown. The terminal asks once per sale.
   */
  readonly benefitCheck?: () => Promise<string | undefined>;
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
  override(
    findingId: string,
    decision: {
      readonly reasonCode: string;
      readonly note?: string;
      readonly by?: { readonly operatorId: string; readonly name?: string };
    },
  ): Promise<Override>;
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
  const state = createSaleSessionState(options);
  const session: SaleSession = {
    saleId: options.saleId,
    get lines() {
      return state.lines.slice();
    },
    get prescriptions() {
      return state.prescriptions.slice();
    },
    ...defined({ buyer: options.buyer }),
    get lastReview() {
      return lastReview(state);
    },
    scan: (code) => scan(state, code),
    addLine: (input) => addLine(state, input),
    setQuantity: (lineId, quantity) => setQuantity(state, lineId, quantity),
    setPayMode: (lineId, payMode) => setPayMode(state, lineId, payMode),
    removeLine: (lineId) => removeLine(state, lineId),
    attachPrescription: (raw, lineIds) => attachPrescription(state, raw, lineIds),
    review: () => reviewSession(state, session),
    override: (findingId, decision) => overrideFinding(state, session, findingId, decision),
    apply: (action, findingId) => applyAction(state, session, action, findingId),
    assertSettleable: () => assertSettleable(session),
    close() {
      state.closed = true;
    },
  };
  return session;
}
