import { maskPersonalData } from '../codes/index.js';
import type { TransactionInput, TransactionOutput } from '../platform/transactions.js';
import type { Finding, Severity } from '../schemas/finding.js';
import type { RuleId, RulePack } from '../schemas/rule-pack.js';
import type { SaleLine } from '../schemas/sale.js';
import type { BuyerFacts } from './context.js';
import { defined } from '../defined.js';

type AnalysisResult = TransactionOutput<'3101'>['result'][number];

/**
 * The 3101 request for a sale (事中, `trig_scen` 10 购药划卡): one patient, one encounter, one order per line with
 * the line id as `rx_id`, so the platform's findings come back pointing at our lines.
 *
 * @example
 * const result = await platform.analyze(analysisRequest({ lines, buyer, pharmacyCode, saleId }), { insuplcAdmdvs })
 */
export function analysisRequest(args: {
  readonly lines: readonly SaleLine[];
  readonly buyer: BuyerFacts;
  readonly pharmacyCode: string;
  readonly saleId: string;
  readonly syscode?: string;
}): TransactionInput<'3101'> {
  return {
    data: {
      syscode: args.syscode ?? 'YBGUARD',
      task_id: args.saleId,
      trig_scen: '10',
      patient_dtos: [
        {
          patn_id: args.buyer.psnNo,
          ...(args.buyer.sex !== 'unknown' ? { gend: args.buyer.sex === 'male' ? '1' : '2' } : {}),
          fsi_encounter_dtos: [
            {
              mdtrt_id: args.saleId,
              medins_id: args.pharmacyCode,
              fsi_order_dtos: args.lines
                .filter((l) => l.payMode === 'fund' && l.medListCode)
                .map((l) => ({
                  rx_id: l.lineId,
                  ...defined({ rxno: l.rxNo || undefined }),
                  hilist_code: l.medListCode!,
                  hilist_name: l.name,
                  cnt: l.quantity,
                  pric: l.unitPriceFen * 10_000,
                  sumamt: l.amountFen,
                  ...defined({ spec: l.specification || undefined }),
                })),
            },
          ],
        },
      ],
    },
  };
}

/** `sev_deg`: 1 明确违规 → block, 2 高度可疑 → warning, anything else → info. */
function severityOf(sevDeg: string | null | undefined): Severity {
  return sevDeg === '1' ? 'block' : sevDeg === '2' ? 'warning' : 'info';
}

/**
 * The platform's 3101 results as findings: its `rule_id` mapped onto our rule ids by the pack's `platformRules`
 * (unmapped ones keep their own identity under `platform-analysis`), `sev_deg` onto our severities, `rx_id` onto
 * our line. Texts from the platform are masked of personal data.
 *
 * @example
 * const platform = platformFindings(result.result, pack)
 */
export function platformFindings(results: readonly AnalysisResult[], pack: RulePack | undefined): Finding[] {
  const lines = new Set<string>();
  return results.flatMap((r): Finding[] => {
    const ruleId: RuleId = pack?.platformRules?.[r.rule_id] ?? 'platform-analysis';
    const lineId = r.rx_id ?? undefined;
    const findingId = `${ruleId}:${lineId ?? 'sale'}:platform:${r.rule_id}`;
    if (lines.has(findingId)) return [];
    lines.add(findingId);
    const name = maskPersonalData(r.rule_name ?? r.rule_id);
    const text = maskPersonalData(r.vola_cont ?? name);
    return [
      {
        findingId,
        ruleId,
        ...defined({ lineId: lineId || undefined }),
        severity: severityOf(r.sev_deg),
        summary: { zh: `医保平台提示：${name}`.slice(0, 140), en: `Platform analysis: ${name}`.slice(0, 140) },
        detail: {
          zh: text || name,
          en: `The platform's pre-settlement analysis (rule ${r.rule_id}) reports: ${text || name}`,
        },
        evidence: {
          platformRule: r.rule_id,
          jrId: r.jr_id,
          ...(r.vola_amt !== undefined && r.vola_amt !== null ? { amountFen: r.vola_amt } : {}),
          ...(r.vola_evid ? { evidence: maskPersonalData(r.vola_evid).slice(0, 500) } : {}),
        },
        actions: lineId
          ? [
              { kind: 'switch-to-self-pay', lineId },
              { kind: 'remove-line', lineId },
            ]
          : [],
        source: 'platform',
      },
    ];
  });
}
