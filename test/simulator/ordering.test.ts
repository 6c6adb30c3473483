import { describe, expect, it } from 'vitest';
import { DEMO_TRACE_CODES } from '../../adapters/simulator/index.js';
import { buildMsgid } from '../../src/platform/index.js';
import { infcode, saleRecord, signedInTill, Till } from './helpers.js';

const [A, B, C] = DEMO_TRACE_CODES.fresh as [string, string, string];

describe('35xx msgid order per terminal', () => {
  it('refuses a new 35xx msgid lower than the last one accepted from the same terminal', async () => {
    const { till, simulator } = await signedInTill();
    const early = till.envelope('3505', saleRecord('阿托伐他汀钙片', [A], { docNo: 'S-1' }));
    const late = till.envelope('3505', saleRecord('阿托伐他汀钙片', [B], { docNo: 'S-2' }));
    expect(infcode((await till.post(late)).json)).toBe(0);
    const res = await till.post(early);
    expect(infcode(res.json)).toBe(-2);
    expect(res.json.err_msg).toMatch(/顺序错误.* \/ out of order/);
    expect(simulator.soldTraceCodes().map((s) => s.code)).not.toContain(A);
    // A repeat of the accepted message is still its first answer, not an ordering error.
    expect(infcode((await till.post(late)).json)).toBe(0);
  });

  it('orders each terminal on its own, and leaves other transactions alone', async () => {
    const { till, simulator, url } = await signedInTill();
    // Terminals of one pharmacy share the msgid space (code + time + 4-digit sequence): each needs its own range.
    const other = new Till(url, simulator, { devNo: 'T02', firstSeq: 100 });
    other.signNo = till.signNo;
    const later = till.envelope('3505', saleRecord('阿托伐他汀钙片', [B]), {
      msgid: buildMsgid(till.pharmacy.code, simulator.now(), 900),
    });
    expect(infcode((await till.post(later)).json)).toBe(0);
    expect(infcode((await other.post(other.envelope('3505', saleRecord('阿托伐他汀钙片', [A])))).json)).toBe(0);
    // A query with an older msgid is not a 35xx report: no order applies.
    const res = await till.post(till.envelope('YG05', { data: { drug_trac_codg: [C] } }));
    expect(infcode(res.json), res.json.err_msg ?? '').toBe(0);
  });

  it('refuses a msgid used by another terminal of the same pharmacy for another message', async () => {
    const { till, simulator, url } = await signedInTill();
    const other = new Till(url, simulator, { devNo: 'T02' });
    other.signNo = till.signNo;
    // The till's sign-in used sequence 1; the other terminal starts there too.
    const res = await other.post(other.envelope('3505', saleRecord('阿托伐他汀钙片', [A])));
    expect(res.json.err_msg).toMatch(/msgid 已用于另一笔不同的报文/);
  });
});
