/*
 * Findings as a sale session keeps them: merged with the platform's, fingerprinted for overrides, and referred to
 * in the audit trail.
 */
import { canonicalJson } from '../canonical-json.js';
import type { Finding } from '../schemas/finding.js';
import { defined } from '../defined.js';

/**
 * What an override is bound to: the rule, the line and the evidence of the finding as the pharmacist saw it. The
 * platform's per-call ids and its confirmation are left out, so a decision holds whether or not 3101 answered.
 */
export function fingerprint(f: Finding): string {
  const { platformConfirmed: _c, platformJrId: _p, jrId: _j, ...evidence } = f.evidence;
  return canonicalJson({ ruleId: f.ruleId, lineId: f.lineId ?? null, evidence });
}

/** A finding as an audit event names it. */
export function findingRef(f: Finding) {
  return {
    findingId: f.findingId,
    ruleId: f.ruleId,
    ...defined({ lineId: f.lineId || undefined }),
    severity: f.severity,
    source: f.source,
  };
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
      evidence: {
        ...twin.evidence,
        platformConfirmed: true,
        ...(typeof p.evidence['jrId'] === 'string' ? { platformJrId: p.evidence['jrId'] } : {}),
      },
    };
  }
  return merged.sort((a, b) => rank[b.severity] - rank[a.severity]);
}
