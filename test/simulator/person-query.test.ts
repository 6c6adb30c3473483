import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { PersonQueryOutputSchema } from '../../src/schemas/index.js';
import { DEMO_PEOPLE, type DemoPersonKey } from '../../adapters/simulator/index.js';
import { infcode, signedInTill } from './helpers.js';

const byId = (key: DemoPersonKey) => ({
  data: { mdtrt_cert_type: '02' as const, mdtrt_cert_no: DEMO_PEOPLE[key].residentId, psn_cert_type: '01' },
});

describe('1101 person query', () => {
  it.each([
    [
      'active',
      { surv_stas: '1', setl_paus_flag: '0', crdt_blklst_flag: '0' },
      { psn_insu_stas: '1', insutype: '310', insuplc_admdvs: '220100' },
    ],
    ['resident', {}, { psn_insu_stas: '1', insutype: '390' }],
    ['deceased', { surv_stas: '2' }, { psn_insu_stas: '1' }],
    ['suspended', {}, { psn_insu_stas: '2', paus_insu_date: '2026-09-01' }],
    ['terminated', {}, { psn_insu_stas: '4' }],
    ['blacklisted', { crdt_blklst_flag: '1', setl_paus_flag: '1' }, { psn_insu_stas: '1' }],
    ['nonlocal', {}, { insuplc_admdvs: '440300' }],
    ['child', { age: 7 }, { insutype: '390' }],
  ] as const)('reports the %s person as the platform does', async (key, base, insurance) => {
    const { till } = await signedInTill();
    const res = await till.call('1101', byId(key));
    expect(infcode(res)).toBe(0);
    const out = z.parse(PersonQueryOutputSchema, res.output);
    const person = DEMO_PEOPLE[key];
    expect(out.baseinfo).toMatchObject({
      psn_no: person.psnNo,
      certno: person.residentId,
      psn_name: person.name,
      ...base,
    });
    expect(out.insuinfo[0]).toMatchObject(insurance);
    expect(out.insuinfo[0]?.balc).toBe(person.openingBalanceFen);
  });

  it('lists 慢特病 registrations in opspinfo', async () => {
    const { till } = await signedInTill();
    const out = z.parse(PersonQueryOutputSchema, (await till.call('1101', byId('chronic'))).output);
    expect(out.opspinfo?.map((d) => [d.opsp_dise_code, d.opsp_dise_name])).toEqual([
      ['M03900', '高血压'],
      ['M03100', '糖尿病'],
    ]);
  });

  it('finds a person by e-voucher token (01) and by 社保卡 with its card_sn (03)', async () => {
    const { till, simulator } = await signedInTill();
    const { ecToken } = simulator.issueVoucher('chronic');
    const byToken = await till.call('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: ecToken } });
    expect(byToken.output.baseinfo.psn_no).toBe(DEMO_PEOPLE.chronic.psnNo);
    const { card } = DEMO_PEOPLE.active;
    const byCard = await till.call('1101', {
      data: { mdtrt_cert_type: '03', mdtrt_cert_no: card.cardNo, card_sn: card.cardSn },
    });
    expect(byCard.output.baseinfo.psn_no).toBe(DEMO_PEOPLE.active.psnNo);
  });

  it('refuses a 社保卡 without card_sn or with the wrong one, an unknown or invalid ID, an unknown token', async () => {
    const { till } = await signedInTill();
    const { card } = DEMO_PEOPLE.active;
    const refused = async (
      data: { mdtrt_cert_type: '01' | '02' | '03'; mdtrt_cert_no: string; card_sn?: string },
      message: RegExp,
    ) => {
      const res = await till.call('1101', { data });
      expect(infcode(res)).toBe(-2);
      expect(res.err_msg).toMatch(message);
    };
    await refused({ mdtrt_cert_type: '03', mdtrt_cert_no: card.cardNo }, /card_sn is required/);
    await refused(
      { mdtrt_cert_type: '03', mdtrt_cert_no: card.cardNo, card_sn: DEMO_PEOPLE.resident.card.cardSn },
      /卡识别码与卡号不符/,
    );
    await refused({ mdtrt_cert_type: '02', mdtrt_cert_no: '11010519491231002X' }, /未查询到人员参保信息/);
    await refused({ mdtrt_cert_type: '02', mdtrt_cert_no: '110105194912310021' }, /身份证号码校验失败/);
    await refused({ mdtrt_cert_type: '01', mdtrt_cert_no: '220100ABCDEFGHIJKLMNOPQRSTUVWXYZ012345' }, /电子凭证无效/);
  });
});
