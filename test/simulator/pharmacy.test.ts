import { describe, expect, it } from 'vitest';
import { DEMO_PHARMACIES } from '../../adapters/simulator/index.js';
import { infcode, saleRecord, startTestSimulator, Till } from './helpers.js';
import { DEMO_TRACE_CODES } from '../../adapters/simulator/index.js';

const unknown = {
  key: 'active' as const,
  code: 'P22019900099',
  name: '未定点药店',
  admdvs: '220100',
  agreement: 'active' as const,
};

describe('designated pharmacies', () => {
  it('refuses a fixmedins_code that is not a designated institution, even at sign-in', async () => {
    const { simulator, url } = await startTestSimulator();
    const till = new Till(url, simulator, { pharmacy: unknown });
    const res = await till.call('9001', { signIn: { opter_no: 'OP7', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.2' } });
    expect(infcode(res)).toBe(-2);
    expect(res.err_msg).toMatch(/^非定点医药机构.* \/ fixmedins_code is not a designated institution$/);
  });

  it("refuses an mdtrtarea_admvs outside the pharmacy's 统筹区, and accepts a county inside it", async () => {
    const { simulator, url } = await startTestSimulator();
    const signIn = { signIn: { opter_no: 'OP7', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.2' } };
    const elsewhere = new Till(url, simulator, { pharmacy: { ...DEMO_PHARMACIES.active, admdvs: '220200' } });
    expect((await elsewhere.call('9001', signIn)).err_msg).toMatch(/mdtrtarea_admvs/);
    const county = new Till(url, simulator, {
      pharmacy: { ...DEMO_PHARMACIES.active, admdvs: '220102' },
      firstSeq: 10,
    });
    expect(infcode(await county.call('9001', signIn))).toBe(0);
  });

  it('lets a pharmacy whose agreement is suspended sign in and report 35xx (settlement is refused: see settlement tests)', async () => {
    const { simulator, url } = await startTestSimulator();
    const till = new Till(url, simulator, { pharmacy: DEMO_PHARMACIES.suspended });
    await till.signIn();
    const res = await till.call('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[0] as string]));
    expect(infcode(res)).toBe(0);
    expect(res.output).toEqual({ retRslt: '1', msgRslt: '成功' });
  });
});
