import { describe, expect, it } from 'vitest';
import { DEMO_PHARMACIES, DEMO_TRACE_CODES } from '../../adapters/simulator/index.js';
import { infcode, returnRecord, saleRecord, signedInTill, Till } from './helpers.js';

const [A, B, C] = DEMO_TRACE_CODES.fresh as [string, string, string];

describe('追溯码 sold once, platform-wide (3505/3506/3507, YG05)', () => {
  it('refuses a second sale of a code, at the same or another pharmacy, naming 回流药', async () => {
    const { till, simulator, url } = await signedInTill();
    expect(infcode(await till.call('3505', saleRecord('阿托伐他汀钙片', [A, B])))).toBe(0);
    const again = await till.call('3505', saleRecord('阿托伐他汀钙片', [C, B], { docNo: 'S-0002' }));
    expect(infcode(again)).toBe(-2);
    expect(again.err_msg).toContain(B);
    expect(again.err_msg).toMatch(/回流药.* \/ duplicate trace code/);
    // Refused whole: C is still unsold.
    expect(simulator.soldTraceCodes().map((s) => s.code)).not.toContain(C);
    const other = new Till(url, simulator, { pharmacy: DEMO_PHARMACIES.suspended, devNo: 'K1' });
    await other.signIn();
    expect((await other.call('3505', saleRecord('阿托伐他汀钙片', [A]))).err_msg).toMatch(/在机构 P22010100001 销售/);
  });

  it('refuses the seeded box that was already sold elsewhere', async () => {
    const { till } = await signedInTill();
    const res = await till.call('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.resold]));
    expect(res.err_msg).toMatch(/2026-11-10 15:00:00 在机构 P22010100002 销售，疑似回流药/);
  });

  it('makes a code sellable again after a sale return (3506), and refuses returning a code never sold', async () => {
    const { till } = await signedInTill();
    const sale = saleRecord('阿托伐他汀钙片', [A]);
    expect(infcode(await till.call('3505', sale))).toBe(0);
    expect(infcode(await till.call('3506', returnRecord(sale)))).toBe(0);
    expect(infcode(await till.call('3505', saleRecord('阿托伐他汀钙片', [A], { docNo: 'S-0003' })))).toBe(0);
    const never = await till.call('3506', returnRecord(saleRecord('阿托伐他汀钙片', [C])));
    expect(never.err_msg).toMatch(/未销售或已退货/);
  });

  it('refuses a malformed code and a code twice in one message', async () => {
    const { till } = await signedInTill();
    expect((await till.call('3505', saleRecord('阿托伐他汀钙片', ['6901234567892']))).err_msg).toMatch(/格式不正确/);
    expect((await till.call('3505', saleRecord('阿托伐他汀钙片', [A, A]))).err_msg).toMatch(/同一报文中重复/);
  });

  it('forgets the codes of a sale deleted by 3507', async () => {
    const { till, simulator } = await signedInTill();
    const sale = saleRecord('阿托伐他汀钙片', [A], { batch: 'BX-9' });
    expect(infcode(await till.call('3505', sale))).toBe(0);
    expect(infcode(await till.call('3507', { data: { fixmedins_bchno: 'BX-9', inv_data_type: '4' } }))).toBe(0);
    expect(simulator.soldTraceCodes().map((s) => s.code)).not.toContain(A);
    expect((await till.call('3507', { data: { fixmedins_bchno: 'BX-9', inv_data_type: '4' } })).err_msg).toMatch(
      /未找到要删除/,
    );
  });

  it('answers YG05 with whether, where and when each code was sold', async () => {
    const { till } = await signedInTill();
    expect(infcode(await till.call('3505', saleRecord('阿托伐他汀钙片', [A])))).toBe(0);
    const res = await till.call('YG05', { data: { drug_trac_codg: [A, B, DEMO_TRACE_CODES.resold] } });
    expect(res.output.result).toEqual([
      { drug_trac_codg: A, sel_flag: '1', fixmedins_code: 'P22010100001', sel_time: '2026-11-23 10:00:00' },
      { drug_trac_codg: B, sel_flag: '0', fixmedins_code: null, sel_time: null },
      {
        drug_trac_codg: DEMO_TRACE_CODES.resold,
        sel_flag: '1',
        fixmedins_code: 'P22010100002',
        sel_time: '2026-11-10 15:00:00',
      },
    ]);
  });

  it('keeps the stock of the demo pharmacy as its reports change it', async () => {
    const { till, simulator } = await signedInTill();
    const batch = simulator.stock('P22010100001').find((s) => s.batchNo === 'BXYG002-1')!;
    expect(batch.quantity).toBe(12);
    expect(infcode(await till.call('3505', saleRecord('阿托伐他汀钙片', [A, B])))).toBe(0);
    expect(simulator.stock('P22010100001').find((s) => s.batchNo === 'BXYG002-1')?.quantity).toBe(10);
  });
});
