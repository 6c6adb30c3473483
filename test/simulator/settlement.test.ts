import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as z from 'zod/mini';
import { yuanToFen } from '../../src/index.js';
import { PharmacySettleOutputSchema } from '../../src/platform/index.js';
import { DEMO_PEOPLE, DEMO_PHARMACIES, SETTLEMENT_PLANS } from '../../adapters/simulator/index.js';
import {
  infcode,
  line,
  personArea,
  preSettleAndSettle,
  settleInput,
  signedInTill,
  Till,
  voucherCert,
  type Wire,
} from './helpers.js';

const { active, resident, chronic, nonlocal, child } = DEMO_PEOPLE;
const fen = (yuan: number) => yuanToFen(yuan);

/** The split of a 2101/2102 answer, in 分, checked against the output schema on the way. */
function split(res: Wire) {
  expect(infcode(res), res.err_msg ?? '').toBe(0);
  const out = z.parse(PharmacySettleOutputSchema, res.output);
  const s = out.setlinfo;
  return {
    total: s.medfee_sumamt,
    fund: s.fund_pay_sumamt,
    acct: s.acct_pay,
    cash: s.psn_cash_pay,
    person: s.psn_part_amt ?? 0,
    balc: s.balc ?? 0,
    full: s.fulamt_ownpay_amt ?? 0,
    over: s.overlmt_selfpay ?? 0,
    pre: s.preselfpay_amt ?? 0,
    inScope: s.inscp_scp_amt ?? 0,
    out,
  };
}

describe('2101 pre-settlement and 2102 settlement', () => {
  it('settles exactly what was pre-settled, debits the account and returns setl_id and mdtrt_id', async () => {
    const { till, simulator } = await signedInTill();
    const before = simulator.balance('active');
    const { pre, settled } = await preSettleAndSettle(till, active, voucherCert(simulator, 'active'), [
      line('阿托伐他汀钙片', 2),
      line('苯磺酸氨氯地平片', 1),
    ]);
    const p = split(pre);
    const s = split(settled);
    expect(pre.output.setlinfo.setl_id).toBeUndefined();
    expect(settled.output.setlinfo.setl_id).toMatch(/^ST\d{20}$/);
    expect(settled.output.setlinfo.mdtrt_id).toBe(pre.output.setlinfo.mdtrt_id);
    expect({ ...s, out: undefined }).toEqual({ ...p, out: undefined });
    // 阿托伐他汀 乙: 5740 − 574 先行自付 = 5166 in scope; 氨氯地平 甲: 1260 in scope. 起付线 met; fund 70%.
    expect(s.total).toBe(7000);
    expect(s.pre).toBe(574);
    expect(s.inScope).toBe(6426);
    expect(s.fund).toBe(4498);
    expect(s.acct).toBe(2502);
    expect(s.cash).toBe(0);
    expect(simulator.balance('active')).toBe(before - 2502);
    expect(s.balc).toBe(before - 2502);
    expect(simulator.settlements()).toHaveLength(1);
    expect(simulator.committed('2102')).toHaveLength(1);
    expect(simulator.committed('2101')).toHaveLength(0);
  });

  it('refuses a 2102 without a 2101, and one whose total or details differ from the 2101', async () => {
    const { till, simulator } = await signedInTill();
    const cert = voucherCert(simulator, 'active');
    const input = settleInput(active, cert, [line('阿托伐他汀钙片', 2)]);
    const none = await till.call('2102', input, personArea(active));
    expect(infcode(none)).toBe(-2);
    expect(none.err_msg).toMatch(/未找到预结算.* \/ no pre-settlement/);

    expect(infcode(await till.call('2101', input, personArea(active)))).toBe(0);
    const changed = settleInput(active, cert, [line('阿托伐他汀钙片', 3)]);
    const mismatch = await till.call('2102', changed, personArea(active));
    expect(infcode(mismatch)).toBe(-2);
    expect(mismatch.err_msg).toMatch(/与预结算不一致.* \/ the settlement differs from its pre-settlement/);
    const otherCnt = settleInput(active, cert, [line('阿托伐他汀钙片', 2, { sn: 'other-sn' })]);
    expect(infcode(await till.call('2102', otherCnt, personArea(active)))).toBe(-2);
    expect(simulator.settlements()).toHaveLength(0);
    expect(infcode(await till.call('2102', input, personArea(active)))).toBe(0);
  });

  it('splits any basket so that fund + account + cash = total, in fen', async () => {
    const { till, simulator } = await signedInTill();
    const names = [
      '阿托伐他汀钙片',
      '瑞舒伐他汀钙片',
      '苯磺酸氨氯地平片',
      '阿胶',
      '蛋白质粉（保健食品）',
      '达格列净片',
      '布洛芬缓释胶囊',
      '西洋参',
      '黄芪',
    ];
    const who = ['active', 'resident', 'chronic', 'nonlocal', 'child'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...who),
        fc.uniqueArray(fc.record({ name: fc.constantFrom(...names), cnt: fc.integer({ min: 1, max: 4 }) }), {
          minLength: 1,
          maxLength: 5,
          selector: (l) => l.name,
        }),
        fc.constantFrom('0' as const, '1' as const),
        async (key, basket, acct) => {
          const person = DEMO_PEOPLE[key];
          const input = settleInput(
            person,
            voucherCert(simulator, key),
            basket.map((b, i) => line(b.name, b.cnt, { sn: `L${i}` })),
            { acct },
          );
          const s = split(await till.call('2101', input, personArea(person)));
          expect(s.fund + s.acct + s.cash).toBe(s.total);
          expect(s.person).toBe(s.total - s.fund);
          expect(s.full + s.over + s.pre + s.inScope).toBe(s.total);
          expect(s.acct).toBeLessThanOrEqual(simulator.balance(key));
          if (acct === '0') expect(s.acct).toBe(0);
          for (const v of [s.fund, s.acct, s.cash]) expect(Number.isInteger(v) && v >= 0).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('pays class C and restricted drugs the buyer does not qualify for wholly by the buyer, and goods without a code never from the account', async () => {
    const { till, simulator } = await signedInTill();
    const s = split(
      await till.call(
        '2101',
        settleInput(active, voucherCert(simulator, 'active'), [
          line('阿胶', 1, { sn: 'a' }),
          line('达格列净片', 1, { sn: 'b' }),
          line('蛋白质粉（保健食品）', 1, { sn: 'c' }),
        ]),
        personArea(active),
      ),
    );
    expect(s.fund).toBe(0);
    expect(s.full).toBe(89_800 + 5_320 + 16_800);
    expect(s.acct).toBe(89_800 + 5_320); // drugs, even self-paid, may use the account; 保健品 never
    expect(s.cash).toBe(16_800);
    const memo = s.out.detlcutinfo?.map((d) => d['memo']);
    expect(memo).toEqual(['丙类（目录外），全自费', '不符合限定支付范围，全自费', '无医保目录编码，全自费']);
  });

  it('pays a restricted drug for a buyer with the 慢特病 registration, 乙类 with 10% 先行自付', async () => {
    const { till, simulator } = await signedInTill();
    const s = split(
      await till.call(
        '2101',
        settleInput(chronic, voucherCert(simulator, 'chronic'), [line('达格列净片', 2)]),
        personArea(chronic),
      ),
    );
    expect(s.full).toBe(0);
    expect(s.pre).toBe(1064);
    expect(s.inScope).toBe(9576);
    expect(s.fund).toBe(Math.round((9576 * SETTLEMENT_PLANS['310']!.fundRatioPct) / 100));
  });

  it('charges the amount above the 支付标准 as 超限价自费', async () => {
    const { till, simulator } = await signedInTill();
    // 瑞舒伐他汀 retails at 24.80 with a 支付标准 of 22.00.
    const s = split(
      await till.call(
        '2101',
        settleInput(active, voucherCert(simulator, 'active'), [line('瑞舒伐他汀钙片', 3)]),
        personArea(active),
      ),
    );
    expect(s.over).toBe(3 * 280);
    expect(s.pre).toBe(660);
    expect(s.inScope).toBe(5940);
  });

  it('counts the 起付线 first for a buyer who has not met it, and pays residents 50% with no account', async () => {
    const { till, simulator } = await signedInTill();
    const r = split(
      await till.call(
        '2101',
        settleInput(resident, voucherCert(simulator, 'resident'), [line('苯磺酸氨氯地平片', 2)]),
        personArea(resident),
      ),
    );
    expect(r.fund).toBe(1260);
    expect(r.acct).toBe(0);
    expect(r.cash).toBe(1260);
    const c = split(
      await till.call(
        '2101',
        settleInput(child, voucherCert(simulator, 'child'), [line('布洛芬缓释胶囊', 1)]),
        personArea(child),
      ),
    );
    expect(c.fund).toBe(790);
  });

  it('gives a buyer from another province no fund payment (no 异地 filing), account only', async () => {
    const { till, simulator } = await signedInTill();
    const s = split(
      await till.call(
        '2101',
        settleInput(nonlocal, voucherCert(simulator, 'nonlocal'), [line('苯磺酸氨氯地平片', 1)]),
        personArea(nonlocal),
      ),
    );
    expect(s.fund).toBe(0);
    expect(s.acct).toBe(1260);
  });

  it.each([
    ['deceased', /已死亡/],
    ['suspended', /暂停参保/],
    ['terminated', /终止参保/],
    ['blacklisted', /联网结算已暂停/],
  ] as const)('refuses to settle for a %s person', async (key, message) => {
    const { till, simulator } = await signedInTill();
    const person = DEMO_PEOPLE[key];
    const res = await till.call(
      '2101',
      settleInput(person, voucherCert(simulator, key), [line('苯磺酸氨氯地平片', 1)]),
      personArea(person),
    );
    expect(infcode(res)).toBe(-2);
    expect(res.err_msg).toMatch(message);
  });

  it("refuses an insuplc_admdvs that is not the buyer's, and a certificate of someone else", async () => {
    const { till, simulator } = await signedInTill();
    const input = settleInput(active, voucherCert(simulator, 'active'), [line('苯磺酸氨氯地平片', 1)]);
    expect((await till.call('2101', input, { insuplc_admdvs: '440300' })).err_msg).toMatch(/参保地医保区划/);
    expect((await till.call('2101', input)).err_msg).toMatch(/insuplc_admdvs is required/);
    const someoneElse = settleInput(active, voucherCert(simulator, 'resident'), [line('苯磺酸氨氯地平片', 1)]);
    expect((await till.call('2101', someoneElse, personArea(active))).err_msg).toMatch(/凭证与人员编号不符/);
  });

  it('refuses amounts that do not add up: the total against the details, and a line against cnt × pric', async () => {
    const { till, simulator } = await signedInTill();
    const env = till.envelope(
      '2101',
      settleInput(active, voucherCert(simulator, 'active'), [line('阿托伐他汀钙片', 2)]),
      personArea(active),
    );
    const input = env['input'] as { druginfo: Record<string, unknown>; drugdetail: Record<string, unknown>[] };
    input.druginfo['medfee_sumamt'] = 57.41;
    const total = await till.post(env);
    expect(infcode(total.json)).toBe(-2);
    expect(total.json.err_msg).toMatch(/medfee_sumamt/);

    const line2 = line('阿托伐他汀钙片', 2, { amountFen: 5750 });
    const res = await till.call(
      '2101',
      settleInput(active, voucherCert(simulator, 'active'), [line2]),
      personArea(active),
    );
    expect(infcode(res)).toBe(-2);
    expect(res.err_msg).toMatch(/数量×单价.* \/ .*cnt × pric/);
    // 拆零: 3.5 units at 4.103 is 14.3605 yuan; 14.36 and 14.37 are both the right amount to the 分, 14.38 is not.
    const loose = (fee: number) => ({
      ...line('阿托伐他汀钙片', 1),
      pric: 4_103_000,
      cnt: 3.5,
      det_item_fee_sumamt: fee,
    });
    for (const fee of [1436, 1437])
      expect(
        infcode(
          await till.call(
            '2101',
            settleInput(active, voucherCert(simulator, 'active'), [loose(fee)]),
            personArea(active),
          ),
        ),
      ).toBe(0);
    expect(
      infcode(
        await till.call(
          '2101',
          settleInput(active, voucherCert(simulator, 'active'), [loose(1438)]),
          personArea(active),
        ),
      ),
    ).toBe(-2);
  });

  it('refuses a 医保 code that is not in the catalog', async () => {
    const { till, simulator } = await signedInTill();
    const res = await till.call(
      '2101',
      settleInput(active, voucherCert(simulator, 'active'), [
        line('阿托伐他汀钙片', 1, { code: 'XZZ999A001010100012345' }),
      ]),
      personArea(active),
    );
    expect(res.err_msg).toMatch(/不在医保目录/);
  });

  it('settles with a 社保卡 (03) and its card_sn, and a 身份证 (02)', async () => {
    const { till } = await signedInTill();
    const card = { type: '03' as const, no: active.card.cardNo, cardSn: active.card.cardSn };
    expect(infcode((await preSettleAndSettle(till, active, card, [line('苯磺酸氨氯地平片', 1)])).settled)).toBe(0);
    const id = { type: '02' as const, no: resident.residentId };
    expect(infcode((await preSettleAndSettle(till, resident, id, [line('苯磺酸氨氯地平片', 1)])).settled)).toBe(0);
  });

  it('refuses 2101 and 2102 at a pharmacy whose agreement is suspended', async () => {
    const { till, simulator, url } = await signedInTill();
    const suspended = new Till(url, simulator, { pharmacy: DEMO_PHARMACIES.suspended });
    await suspended.signIn();
    const input = settleInput(active, voucherCert(simulator, 'active'), [line('苯磺酸氨氯地平片', 1)]);
    for (const infno of ['2101', '2102'] as const) {
      const res = await suspended.call(infno, input, personArea(active));
      expect(infcode(res)).toBe(-2);
      expect(res.err_msg).toMatch(/^定点协议已暂停/);
    }
    expect(infcode(await till.call('2101', input, personArea(active)))).toBe(0);
  });
});
