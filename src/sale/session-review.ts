/*
 * The review of a sale session and what follows from it: overrides, a card's action, the settlement check (see
 * `createSaleSession` in session.ts). Every review, override and action is written to the audit trail.
 */
import { maskPersonalData } from '../codes/index.js';
import { ERROR_CATALOG, isYibaoGuardError, SaleError } from '../errors/index.js';
import { reviewSale } from '../rules/review.js';
import type { CompiledPack } from '../rules/compile.js';
import type { BuyerFacts } from '../rules/context.js';
import type { Finding, Override, SuggestedAction } from '../schemas/finding.js';
import type { Review, ReviewedFinding, SaleSession } from './session.js';
import { findingRef, fingerprint, mergeFindings } from './session-findings.js';
import { audit, indexOf, writable, type SaleSessionState } from './session-state.js';
import { defined } from '../defined.js';

/** The decision `SaleSession.override` takes. */
type OverrideDecision = Parameters<SaleSession['override']>[1];

/** The local findings for the basket as it is now, under the rule pack in force. */
function localFindings(
  state: SaleSessionState,
  at: number,
  compiled: CompiledPack,
  buyer: BuyerFacts | undefined,
): Finding[] {
  const { options } = state;
  return reviewSale(compiled, options.catalog, {
    lines: state.lines,
    prescriptions: state.prescriptions,
    ...defined({ buyer }),
    pharmacy: options.pharmacy,
    now: at,
    ...defined({ history: options.history, soldTraceCodes: options.soldTraceCodes, stock: options.stock }),
  });
}

/** What `ask` answers, or `fallback` where the platform fails it (a `PlatformError`); any other error is thrown. */
async function unlessPlatformFails<T>(ask: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (!isYibaoGuardError(error) || ERROR_CATALOG[error.code].area !== 'platform') throw error;
    return fallback;
  }
}

/** Whether the review asks the platform's 门诊慢特病 registrations: a fund line restricted to registered diseases. */
function asksRegistrations(state: SaleSessionState): boolean {
  const { chronicRegistrations, catalog } = state.options;
  return (
    chronicRegistrations !== undefined &&
    state.lines.some(
      (line) =>
        line.payMode === 'fund' && (catalog.byId(line.productId)?.paymentRestriction?.diseaseCodes?.length ?? 0) > 0,
    )
  );
}

/** Whether the review asks the platform's benefit check (2001): a line on the fund. */
function asksBenefit(state: SaleSessionState): boolean {
  return state.options.benefitCheck !== undefined && state.lines.some((line) => line.payMode === 'fund');
}

/**
 * The buyer as the rules see them, with what the platform answers for this sale, asked side by side: its
 * 门诊慢特病 registrations (5301; failing, the buyer's own codes stand, `unconfirmed`) and its benefit check (2001;
 * failing, it is left to settlement).
 */
async function buyerForRules(
  state: SaleSessionState,
  buyer: BuyerFacts,
  asks: { readonly registrations: boolean; readonly benefit: boolean },
): Promise<BuyerFacts> {
  const { chronicRegistrations, benefitCheck } = state.options;
  const [chronic, benefitRefused] = await Promise.all([
    asks.registrations
      ? unlessPlatformFails<Pick<BuyerFacts, 'chronic' | 'chronicSource'>>(
          async () => ({ chronic: await chronicRegistrations!(), chronicSource: 'platform' }),
          { chronic: buyer.chronic, chronicSource: 'unconfirmed' },
        )
      : undefined,
    asks.benefit ? unlessPlatformFails(benefitCheck!, undefined) : undefined,
  ]);
  return { ...buyer, ...chronic, ...defined({ benefitRefused }) };
}

/** The platform's 3101 findings, if there is a hook: a platform error leaves them `unavailable`, others throw. */
async function platformFindings(
  state: SaleSessionState,
  session: SaleSession,
): Promise<{ findings: readonly Finding[]; platform: Review['platform'] }> {
  const ask = state.options.platformFindings;
  if (!ask) return { findings: [], platform: 'off' };
  return unlessPlatformFails<{ findings: readonly Finding[]; platform: Review['platform'] }>(
    async () => ({ findings: await ask(session), platform: 'checked' }),
    {
      findings: [],
      platform: 'unavailable',
    },
  );
}

/**
 * An override applies to the finding it was given for: once a review no longer shows that finding (gone, or
 * changed — 12 days became 18), it lapses, and a finding that comes back must be decided again.
 */
function lapseOverrides(state: SaleSessionState, findings: readonly ReviewedFinding[]): void {
  for (const [id, entry] of [...state.overrides]) {
    const held = (f: ReviewedFinding) =>
      f.findingId === id && f.outcome === 'overridden' && f.override === entry.override;
    if (!findings.some(held)) state.overrides.delete(id);
  }
}

/** Runs the review (see `SaleSession.review`). */
export async function reviewSession(state: SaleSessionState, session: SaleSession): Promise<Review> {
  const { options } = state;
  // The basket this review looks at: a change while the platform is being asked makes it a review of the past.
  const started = state.version;
  const at = options.clock.now();
  const compiled = options.rules();
  // Only a review that asks the platform waits before the rules run: one that does not sees the basket as it was
  // called on.
  const asks = { registrations: asksRegistrations(state), benefit: asksBenefit(state) };
  const buyer =
    options.buyer && (asks.registrations || asks.benefit)
      ? await buyerForRules(state, options.buyer, asks)
      : options.buyer;
  const local = localFindings(state, at, compiled, buyer);
  const { findings: platform, platform: platformState } = await platformFindings(state, session);
  const findings = mergeFindings(local, platform).map((f): ReviewedFinding => {
    const entry = f.severity === 'warning' ? state.overrides.get(f.findingId) : undefined;
    return entry && entry.fingerprint === fingerprint(f)
      ? { ...f, outcome: 'overridden', override: entry.override }
      : { ...f, outcome: 'open' };
  });
  // A review of a basket that has changed since it started (a scan or a prescription while 3101 was asked) is
  // returned for what it is, but neither becomes the sale's last review nor lets overrides lapse: only a review of
  // the basket as it is now can allow settlement.
  const current = started === state.version;
  if (current) lapseOverrides(state, findings);
  const blocked = findings.some((f) => f.severity === 'block');
  const review: Review = {
    findings,
    blocked,
    canSettle: !blocked && findings.every((f) => f.severity !== 'warning' || f.outcome === 'overridden'),
    reviewedAt: at,
    platform: platformState,
  };
  if (current) state.reviewed = { version: state.version, review };
  await audit(state, {
    kind: 'sale-review',
    at,
    saleId: options.saleId,
    operatorId: options.operator.id,
    ...(compiled.pack ? { packVersion: compiled.pack.version } : {}),
    findings: findings.map(findingRef),
  });
  return review;
}

/** Lets a warning of the last review pass (see `SaleSession.override`). */
export async function overrideFinding(
  state: SaleSessionState,
  session: SaleSession,
  findingId: string,
  decision: OverrideDecision,
): Promise<Override> {
  const { options } = state;
  const review = session.lastReview;
  const finding = review?.findings.find((f) => f.findingId === findingId);
  if (!finding) {
    throw new SaleError('FINDING_NOT_FOUND', {
      message: `No finding ${findingId} in the current review`,
      messageZh: `当前审核结果中没有提示 ${findingId}`,
      field: 'findingId',
    });
  }
  if (finding.severity === 'block') throw new SaleError('FINDING_NOT_OVERRIDABLE', { field: 'findingId' });
  const reasons = options.rules().overrideReasons;
  if (!reasons.has(decision.reasonCode)) throw new SaleError('OVERRIDE_REASON_UNKNOWN', { field: 'reasonCode' });
  // Free text typed at the till: a 身份证 or mobile number in it is masked before it is kept or audited.
  const note = maskPersonalData((decision.note ?? '').trim());
  if (decision.reasonCode === 'other' && note === '') throw new SaleError('OVERRIDE_NOTE_REQUIRED', { field: 'note' });
  const operator = options.operator;
  const by = decision.by ?? { operatorId: operator.id, ...defined({ name: operator.name || undefined }) };
  const override: Override = {
    findingId,
    ruleId: finding.ruleId,
    reasonCode: decision.reasonCode,
    note: note.slice(0, 500),
    by,
    at: options.clock.now(),
  };
  state.overrides.set(findingId, { override, fingerprint: fingerprint(finding) });
  const settles = (f: ReviewedFinding) =>
    f.severity !== 'warning' || f.outcome === 'overridden' || f.findingId === findingId;
  state.reviewed = {
    version: state.version,
    review: {
      ...review!,
      findings: review!.findings.map((f) =>
        f.findingId === findingId ? { ...f, outcome: 'overridden' as const, override } : f,
      ),
      canSettle: !review!.blocked && review!.findings.every(settles),
    },
  };
  await audit(state, {
    kind: 'finding-override',
    at: override.at,
    saleId: options.saleId,
    finding: findingRef(finding),
    reasonCode: override.reasonCode,
    note: override.note,
    by,
  });
  return override;
}

/** Carries out a card's action through the session's own methods, and audits it (see `SaleSession.apply`). */
export async function applyAction(
  state: SaleSessionState,
  session: SaleSession,
  action: SuggestedAction,
  findingId?: string,
): Promise<void> {
  writable(state);
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
      indexOf(state, action.lineId);
      break;
  }
  await audit(state, {
    kind: 'finding-action',
    at: state.options.clock.now(),
    saleId: state.options.saleId,
    operatorId: state.options.operator.id,
    ...defined({ findingId: findingId || undefined }),
    action,
  });
}

/** Throws unless the last review lets the sale settle (see `SaleSession.assertSettleable`). */
export function assertSettleable(session: SaleSession): void {
  const review = session.lastReview;
  if (!review) throw new SaleError('SALE_NOT_REVIEWED');
  const block = review.findings.find((f) => f.severity === 'block');
  if (block) {
    throw new SaleError('RULE_BLOCKED', {
      message: `Settlement refused: ${block.summary.en}`,
      messageZh: `不能结算：${block.summary.zh}`,
      field: block.findingId,
    });
  }
  const warning = review.findings.find((f) => f.severity === 'warning' && f.outcome !== 'overridden');
  if (warning) {
    throw new SaleError('RULE_WARNING_NOT_OVERRIDDEN', {
      message: `Settlement refused: ${warning.summary.en}`,
      messageZh: `不能结算：${warning.summary.zh}（须处理或填写原因）`,
      field: warning.findingId,
    });
  }
}
