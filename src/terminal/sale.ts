/*
 * A sale at the till: the sale session (scans, review, overrides; src/sale/session.ts) with the till's buyer, its
 * history and stock for the rules, its audit trail in storage, the platform's 3101 findings, and settlement.
 */
import { maskPersonalData } from '../codes/mask.js';
import { SaleError } from '../errors/index.js';
import { buyerFacts } from '../rules/context.js';
import { indexHistory } from '../rules/history-index.js';
import { formatCstDate } from '../platform/time.js';
import { analysisRequest, platformFindings } from '../rules/platform.js';
import { createSaleSession, type SaleSession } from '../sale/session.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { VerifiedBuyer } from '../voucher/buyer.js';
import { withMembers, type TillParts } from './parts.js';
import { settleSale, type OpenSale } from './settle.js';
import { auditOps } from './trail.js';
import type { Receipt, SettleOptions, TerminalSale } from './types.js';

export function startSale(parts: TillParts, verified?: VerifiedBuyer): TerminalSale {
  const { ctx } = parts;
  let buyer = verified;
  const saleId = parts.newId('S');
  const startedAt = ctx.clock.now();
  const facts = buyer ? buyerFacts(buyer) : undefined;
  const events: AuditEvent[] = [];
  const session = createSaleSession({
    saleId,
    catalog: parts.catalog,
    rules: parts.packs.rulesNow,
    ...(facts ? { buyer: facts, history: indexHistory(parts.memory.purchasesOf(facts.psnNo)) } : {}),
    pharmacy: { agreement: ctx.pharmacy.agreement },
    operator: { id: ctx.operator.id, name: ctx.operator.name },
    clock: ctx.clock,
    soldTraceCodes: parts.memory.soldHere,
    stock: parts.boxes.stockView,
    audit: async (batch) => {
      events.push(...batch);
      await ctx.storage.write(auditOps(batch));
    },
    ...(ctx.platformChecks && facts && buyer
      ? {
          platformFindings: async (s: SaleSession) => {
            if (!s.lines.some((l) => l.payMode === 'fund')) return [];
            const request = analysisRequest({ lines: s.lines, buyer: facts, pharmacyCode: ctx.pharmacy.code, saleId });
            const { result } = await ctx.platform.analyze(request, {
              insuplcAdmdvs: (buyer ?? verified!).insurance.insuplcAdmdvs,
            });
            return platformFindings(result, parts.packs.inForce());
          },
        }
      : {}),
    // The payment-scope rule judges a disease restriction against the platform's registrations (5301).
    // The platform's benefit check (2001) before settlement: a refusal is a card with its reason, not a 2101 error.
    ...(facts && buyer
      ? {
          chronicRegistrations: chronicOnce(parts, facts.psnNo, () => (buyer ?? verified!).insurance.insuplcAdmdvs),
          benefitCheck: benefitOnce(parts, () => buyer ?? verified!),
        }
      : {}),
  });

  const open: OpenSale = {
    saleId,
    startedAt,
    session,
    get buyer() {
      return buyer;
    },
    facts,
    events,
  };
  let settling: Promise<Receipt> | undefined;
  const sale = withMembers(session, {
    get verifiedBuyer() {
      return buyer;
    },
    renewVoucher(fresh: VerifiedBuyer) {
      if (!buyer || fresh?.psnNo !== buyer.psnNo) {
        throw new SaleError('RULE_BLOCKED', {
          message: 'The new voucher is not the same person as the sale was reviewed for',
          messageZh: '新凭证与本笔销售审核时的参保人不一致',
          field: 'buyer',
        });
      }
      buyer = fresh;
    },
    async review() {
      await parts.packs.refreshLapsed();
      const result = await session.review();
      for (const finding of result.findings)
        if (finding.outcome === 'open') ctx.emit({ type: 'finding', saleId, finding });
      return result;
    },
    settle(options: SettleOptions = {}) {
      // One settlement at a time per sale: a double click must not pre-settle twice.
      settling ??= settleSale(parts, open, options).finally(() => {
        settling = undefined;
      });
      return settling;
    },
  });
  return sale;
}

/** `ask` asked once: its answer is kept for later calls; a failure is not, so the next call asks again. */
function answeredOnce<T>(ask: () => Promise<T>): () => Promise<T> {
  let answered: { readonly value: T } | undefined;
  return async () => {
    answered ??= { value: await ask() };
    return answered.value;
  };
}

/** The buyer's 门诊慢特病 registrations in force today (5301), asked once per sale. */
function chronicOnce(parts: TillParts, psnNo: string, area: () => string): () => Promise<readonly string[]> {
  return answeredOnce(async () => {
    const { feedetail } = await parts.ctx.platform.queryChronicDiseases(
      { data: { psn_no: psnNo } },
      { insuplcAdmdvs: area() },
    );
    const today = formatCstDate(parts.ctx.clock.now());
    return (feedetail ?? [])
      .filter((d) => (!d.begndate || d.begndate <= today) && (!d.enddate || d.enddate >= today))
      .map((d) => d.opsp_dise_code);
  });
}

/**
 * The platform's benefit check (2001) for the buyer's pharmacy purchase, asked once per sale: the reason of every
 * benefit refused (masked), or undefined when they may draw on the fund.
 */
function benefitOnce(parts: TillParts, current: () => VerifiedBuyer): () => Promise<string | undefined> {
  return answeredOnce(async () => {
    const buyer = current();
    const { ctx } = parts;
    const { trtinfo } = await ctx.platform.checkBenefits(
      {
        data: {
          psn_no: buyer.psnNo,
          insutype: buyer.insurance.insutype,
          fixmedins_code: ctx.pharmacy.code,
          med_type: '41',
          begntime: ctx.clock.now(),
        },
      },
      { insuplcAdmdvs: buyer.insurance.insuplcAdmdvs },
    );
    const refused = (trtinfo ?? []).filter((row) => row.trt_enjymnt_flag !== '1');
    if (refused.length === 0) return undefined;
    const reasons = refused.map((row) => row.trt_chk_rslt || `待遇不享受 / not entitled (${row.fund_pay_type ?? ''})`);
    return maskPersonalData(reasons.join('；')).slice(0, 300);
  });
}
