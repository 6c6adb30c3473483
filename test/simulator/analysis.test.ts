import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { AnalysisOutputSchema, type TransactionInput } from '../../src/platform/index.js';
import { DEMO_PEOPLE, KEY_DRUG_MAX_PACKAGES } from '../../adapters/simulator/index.js';
import { infcode, personArea, product, signedInTill } from './helpers.js';

function analysisInput(
  psnNo: string,
  orders: { name: string; cnt: number }[],
  ruleIds?: string[],
): TransactionInput<'3101'> {
  return {
    data: {
      syscode: 'YBGUARD',
      task_id: 'TASK-1',
      trig_scen: '10',
      ...(ruleIds ? { rule_ids: ruleIds } : {}),
      patient_dtos: [
        {
          patn_id: psnNo,
          fsi_encounter_dtos: [
            {
              mdtrt_id: 'MD-1',
              medins_id: 'P22010100001',
              fsi_order_dtos: orders.map((o, i) => {
                const p = product(o.name);
                const price = p.retailPriceFen as number;
                return {
                  rx_id: `R${i}`,
                  hilist_code: p.medListCode as string,
                  hilist_name: p.genericName,
                  cnt: o.cnt,
                  pric: price * 10_000,
                  sumamt: price * o.cnt,
                };
              }),
            },
          ],
        },
      ],
    },
  };
}

describe('3101 in-event analysis', () => {
  it('finds a key drug over the quantity threshold, in the national result[] form', async () => {
    const { till } = await signedInTill();
    const res = await till.call(
      '3101',
      analysisInput(DEMO_PEOPLE.active.psnNo, [
        { name: '阿托伐他汀钙片', cnt: KEY_DRUG_MAX_PACKAGES + 2 },
        { name: '布洛芬缓释胶囊', cnt: 9 },
      ]),
      personArea(DEMO_PEOPLE.active),
    );
    expect(infcode(res)).toBe(0);
    const out = z.parse(AnalysisOutputSchema, res.output);
    expect(out.result).toHaveLength(1);
    expect(out.result[0]).toMatchObject({
      rule_id: 'SIM-KEY-DRUG-VOLUME',
      sev_deg: '2',
      rx_id: 'R0',
      patn_id: DEMO_PEOPLE.active.psnNo,
      task_id: 'TASK-1',
      vola_amt: 2 * 2870,
    });
  });

  it('finds a restricted drug the buyer does not qualify for, and not for one who does', async () => {
    const { till } = await signedInTill();
    const refused = z.parse(
      AnalysisOutputSchema,
      (
        await till.call(
          '3101',
          analysisInput(DEMO_PEOPLE.active.psnNo, [{ name: '达格列净片', cnt: 1 }]),
          personArea(DEMO_PEOPLE.active),
        )
      ).output,
    );
    expect(refused.result.map((r) => [r.rule_id, r.sev_deg])).toEqual([['SIM-PAYMENT-SCOPE', '1']]);
    const ok = z.parse(
      AnalysisOutputSchema,
      (
        await till.call(
          '3101',
          analysisInput(DEMO_PEOPLE.chronic.psnNo, [{ name: '达格列净片', cnt: 1 }]),
          personArea(DEMO_PEOPLE.chronic),
        )
      ).output,
    );
    expect(ok.result).toEqual([]);
    const text = z.parse(
      AnalysisOutputSchema,
      (
        await till.call(
          '3101',
          analysisInput(DEMO_PEOPLE.active.psnNo, [{ name: '人血白蛋白', cnt: 1 }]),
          personArea(DEMO_PEOPLE.active),
        )
      ).output,
    );
    expect(text.result.map((r) => r.sev_deg)).toEqual(['3']);
  });

  it('applies only the rule_ids asked for', async () => {
    const { till } = await signedInTill();
    const res = await till.call(
      '3101',
      analysisInput(DEMO_PEOPLE.active.psnNo, [{ name: '达格列净片', cnt: 8 }], ['SIM-KEY-DRUG-VOLUME']),
      personArea(DEMO_PEOPLE.active),
    );
    expect(res.output.result.map((r: { rule_id: string }) => r.rule_id)).toEqual(['SIM-KEY-DRUG-VOLUME']);
  });
});
