import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PEOPLE } from '../../adapters/simulator/index.js';
import { hookRequest, P, startClinic, visit, type Clinic } from './helpers.js';

let clinic: Clinic;
beforeAll(async () => {
  clinic = await startClinic();
});
afterAll(() => clinic.close());

const SIGN = '/cds-services/yibao-order-sign';
const PRESETTLE = '/cds-services/yibao-presettle';

describe('bad input: 400 with a stable code and both languages', () => {
  it('refuses a body that is not JSON, without quoting it', async () => {
    const res = await clinic.post(SIGN, undefined, { raw: `{"context": ${DEMO_PEOPLE.active.residentId}` });
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({
      code: 'INVALID_INPUT',
      message: 'The body is not JSON',
      messageZh: '请求内容不是 JSON',
      field: '(body)',
    });
  });

  it('lists each schema issue by path', async () => {
    const context = visit();
    (context.draftOrders as any[])[0].quantity = -1;
    (context.draftOrders as any[])[1].orderId = 'O1';
    delete (context as any).userId;
    const res = await clinic.post(SIGN, hookRequest('order-sign', context));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INVALID_INPUT');
    expect(res.json.error.messageZh).toMatch(/^调用请求数据不正确/);
    const paths = res.json.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['context.userId', 'context.draftOrders.0.quantity']));
    expect(res.json.error.field).toBe(paths[0]);
  });

  it('refuses duplicate order ids, a selection naming no order, a hook other than the service’s, and an invalid 身份证', async () => {
    const dup = visit({
      draftOrders: [
        { orderId: 'O1', productId: P.paracetamol, quantity: 1 },
        { orderId: 'O1', productId: P.paracetamol, quantity: 1 },
      ],
    });
    expect((await clinic.post(SIGN, hookRequest('order-sign', dup))).json.error.issues).toEqual([
      { path: 'context.draftOrders', message: 'Order ids must be unique' },
    ]);
    const sel = await clinic.post(
      '/cds-services/yibao-order-select',
      hookRequest('order-select', visit({ selections: ['O9'] })),
    );
    expect(sel.status).toBe(400);
    expect(sel.json.error.issues[0].path).toBe('context.selections');
    const wrongHook = await clinic.post(SIGN, hookRequest('yibao-presettle', visit()));
    expect(wrongHook.status).toBe(400);
    expect(wrongHook.json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'hook' });
    const badId = await clinic.post(
      SIGN,
      hookRequest('order-sign', visit({ patient: { residentId: '110105194912310021' } })),
    );
    expect(badId.status).toBe(400);
    expect(badId.json.error.issues[0].path).toBe('context.patient.residentId');
    expect(badId.text).not.toContain('110105194912310021');
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await clinic.post(SIGN, undefined, { raw: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('INVALID_INPUT');
  });
});

describe('missing data: 412 naming what is missing', () => {
  it('needs the insurance facts before pre-settlement', async () => {
    const res = await clinic.post(
      PRESETTLE,
      hookRequest('yibao-presettle', visit({ patient: { residentId: DEMO_PEOPLE.resident.residentId } })),
    );
    expect(res.status).toBe(412);
    expect(res.json.error).toMatchObject({
      code: 'HIS_DATA_MISSING',
      field: 'context.patient.insurance',
      missing: ['context.patient.insurance'],
    });
    expect(res.json.error.messageZh).toMatch(/缺少审核所需的数据/);
  });

  it('needs the insurance facts for an order billed to the fund, but not for a self-pay visit', async () => {
    const fund = await clinic.post(
      SIGN,
      hookRequest(
        'order-sign',
        visit({
          patient: {},
          draftOrders: [{ orderId: 'O1', productId: P.paracetamol, quantity: 1, payMode: 'fund' }],
        }),
      ),
    );
    expect(fund.status).toBe(412);
    expect(fund.json.error.missing).toEqual(['context.patient.insurance']);
    const selfPay = await clinic.post(
      SIGN,
      hookRequest(
        'order-sign',
        visit({ patient: {}, draftOrders: [{ orderId: 'O1', productId: P.paracetamol, quantity: 1 }] }),
      ),
    );
    expect(selfPay.status).toBe(200);
  });

  it('needs a price for a drug not in the catalog, and the prescriptions the orders name', async () => {
    const res = await clinic.post(
      PRESETTLE,
      hookRequest(
        'yibao-presettle',
        visit({
          draftOrders: [
            { orderId: 'O1', productId: 'HIS-UNKNOWN-1', quantity: 1, payMode: 'self-pay' },
            { orderId: 'O2', productId: P.atorvastatin, quantity: 1, rxNo: 'RX-NOT-SENT' },
          ],
        }),
      ),
    );
    expect(res.status).toBe(412);
    expect(res.json.error.missing).toEqual(['context.draftOrders.0.unitPriceFen', 'context.prescriptions.RX-NOT-SENT']);
  });
});
