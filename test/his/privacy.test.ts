import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PEOPLE } from '../../adapters/simulator/index.js';
import { DEMO_RESIDENT_IDS, hookRequest, P, RESIDENT_ID, startClinic, visit, type Clinic } from './helpers.js';

let clinic: Clinic;
beforeAll(async () => {
  clinic = await startClinic();
});
afterAll(() => clinic.close());

const id = DEMO_PEOPLE.resident.residentId;
const mobile = '13812345678';

describe('patient identity', () => {
  it('never appears unmasked in any answer, error, log line or audit event', async () => {
    const texts: string[] = [];
    const post = async (path: string, body: unknown, options?: Parameters<Clinic['post']>[2]) => {
      const res = await clinic.post(path, body, options);
      texts.push(res.text);
      return res;
    };
    // 身份证 as the HIS's patient id, in the patient, in a prescription, typed into an order name and a comment.
    const context = visit({
      patientId: id,
      draftOrders: [
        {
          orderId: 'O1',
          productId: P.atorvastatin,
          quantity: 6,
          days: 42,
          name: `阿托伐他汀（患者 ${id} 电话 ${mobile}）`,
        },
        {
          orderId: 'O2',
          productId: P.proteinPowder,
          quantity: 1,
          payMode: 'fund',
          medListCode: 'XYG002A00101010015838',
          unitPriceFen: 100,
        },
      ],
    });
    for (const [path, hook] of [
      ['/cds-services/yibao-order-select', 'order-select'],
      ['/cds-services/yibao-order-sign', 'order-sign'],
      ['/cds-services/yibao-presettle', 'yibao-presettle'],
    ] as const) {
      const res = await post(path, hookRequest(hook, context));
      expect(res.status).toBe(200);
    }
    const cards = (await post('/cds-services/yibao-order-sign', hookRequest('order-sign', context))).json.cards;
    const label =
      cards[0].suggestions.find((s: { label: string }) => s.label.includes('阿托伐他汀'))?.label ??
      cards[1].suggestions[0].label;
    expect(label).toContain(`${id.slice(0, 4)}**********${id.slice(-4)}`);
    expect(label).toContain('138****5678');
    await post('/cds-services/yibao-order-sign/feedback', {
      feedback: [
        {
          card: cards[1].uuid,
          outcome: 'overridden',
          overrideReason: { reason: { code: 'other' }, userComment: `身份证 ${id}` },
          outcomeTimestamp: '2026-11-23T02:00:00Z',
        },
      ],
    });
    // Errors: 400 (a schema issue, bad JSON quoting the id), 412, 401, 404.
    await post('/cds-services/yibao-order-sign', hookRequest('order-sign', { ...context, draftOrders: 'none' }));
    await post('/cds-services/yibao-order-sign', undefined, { raw: `{"patientId": ${id}` });
    await post(
      '/cds-services/yibao-presettle',
      hookRequest('yibao-presettle', { ...context, patient: { residentId: id } }),
    );
    await post('/cds-services/yibao-order-sign', hookRequest('order-sign', context), { token: null });
    await post(`/cds-services/${id}`, hookRequest('order-sign', context));
    texts.push(await (await fetch(`${clinic.url}/cds-services`)).text());

    const audit = JSON.stringify(await clinic.storage.read('audit'));
    for (const text of [...texts, audit, clinic.logs.join('\n')]) {
      expect(text).not.toMatch(RESIDENT_ID);
      expect(text).not.toContain(mobile);
      for (const known of DEMO_RESIDENT_IDS) expect(text).not.toContain(known);
    }
    expect(texts.length).toBe(11);
  });
});
