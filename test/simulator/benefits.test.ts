import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { BenefitCheckOutputSchema, ChronicQueryOutputSchema, type TransactionInput } from '../../src/platform/index.js';
import { DEMO_PEOPLE, DEMO_PHARMACIES, type DemoPerson } from '../../adapters/simulator/index.js';
import { infcode, personArea, signedInTill, Till } from './helpers.js';

const NOW = Date.UTC(2026, 10, 23, 2, 0, 0);

function benefitInput(person: DemoPerson, overrides: Partial<TransactionInput<'2001'>['data']> = {}) {
  return {
    data: {
      psn_no: person.psnNo,
      insutype: person.insutype,
      fixmedins_code: DEMO_PHARMACIES.active.code,
      med_type: '41',
      begntime: NOW,
      ...overrides,
    },
  };
}

describe('2001 benefit check', () => {
  it('answers one row for the pooled fund that an insured person in good standing enjoys', async () => {
    const { till } = await signedInTill();
    const res = await till.call('2001', benefitInput(DEMO_PEOPLE.active), personArea(DEMO_PEOPLE.active));
    expect(infcode(res)).toBe(0);
    const out = z.parse(BenefitCheckOutputSchema, res.output);
    expect(out.trtinfo).toEqual([
      expect.objectContaining({
        psn_no: DEMO_PEOPLE.active.psnNo,
        fund_pay_type: '310100',
        trt_enjymnt_flag: '1',
        begndate: DEMO_PEOPLE.active.insuredSince,
      }),
    ]);
  });

  it.each([
    ['suspended', '暂停参保'],
    ['deceased', '已死亡'],
    ['terminated', '终止参保'],
    ['blacklisted', '联网结算已暂停'],
  ] as const)('refuses the benefit of a %s person with the reason, before any settlement', async (key, reason) => {
    const { till } = await signedInTill();
    const person = DEMO_PEOPLE[key];
    const res = await till.call('2001', benefitInput(person), personArea(person));
    expect(infcode(res)).toBe(0);
    const [row] = z.parse(BenefitCheckOutputSchema, res.output).trtinfo ?? [];
    expect(row?.trt_enjymnt_flag).toBe('0');
    expect(row?.trt_chk_rslt).toContain(reason);
  });

  it('refuses the benefit for another insurance type or another kind of visit', async () => {
    const { till } = await signedInTill();
    const person = DEMO_PEOPLE.active;
    for (const overrides of [{ insutype: person.insutype === '310' ? '390' : '310' }, { med_type: '11' }]) {
      const res = await till.call('2001', benefitInput(person, overrides), personArea(person));
      expect(z.parse(BenefitCheckOutputSchema, res.output).trtinfo?.[0]?.trt_enjymnt_flag).toBe('0');
    }
  });

  it("refuses a pharmacy whose agreement is suspended, and a check in another institution's name", async () => {
    const { till, simulator, url } = await signedInTill();
    const suspended = new Till(url, simulator, { pharmacy: DEMO_PHARMACIES.suspended });
    await suspended.signIn();
    const person = DEMO_PEOPLE.active;
    const res = await suspended.call(
      '2001',
      benefitInput(person, { fixmedins_code: DEMO_PHARMACIES.suspended.code }),
      personArea(person),
    );
    expect(z.parse(BenefitCheckOutputSchema, res.output).trtinfo?.[0]?.trt_chk_rslt).toContain('协议已暂停');
    const other = await till.call(
      '2001',
      benefitInput(person, { fixmedins_code: DEMO_PHARMACIES.suspended.code }),
      personArea(person),
    );
    expect(infcode(other)).toBe(-2);
    expect(other.err_msg).toContain('fixmedins_code');
  });

  it('refuses an unknown person and a check without the insurance area', async () => {
    const { till } = await signedInTill();
    const unknown = await till.call('2001', benefitInput({ ...DEMO_PEOPLE.active, psnNo: '99999999999999999' }), {
      insuplc_admdvs: DEMO_PEOPLE.active.insuplcAdmdvs,
    });
    expect(infcode(unknown)).toBe(-2);
    expect(unknown.err_msg).toContain('psn_no');
    const noArea = await till.call('2001', benefitInput(DEMO_PEOPLE.active));
    expect(infcode(noArea)).toBe(-2);
    expect(noArea.err_msg).toContain('insuplc_admdvs');
  });
});

describe('5301 chronic-disease registrations', () => {
  it("answers the person's 门诊慢特病 filings in feedetail[], the same as 1101's opspinfo", async () => {
    const { till } = await signedInTill();
    const person = DEMO_PEOPLE.chronic;
    expect(person.chronicDiseases.length).toBeGreaterThan(0);
    const res = await till.call('5301', { data: { psn_no: person.psnNo } }, personArea(person));
    expect(infcode(res)).toBe(0);
    const out = z.parse(ChronicQueryOutputSchema, res.output);
    expect(out.feedetail?.map((d) => d.opsp_dise_code)).toEqual(person.chronicDiseases.map((d) => d.code));
    expect(out.feedetail?.[0]?.begndate).toBe(person.chronicDiseases[0]?.from);
  });

  it('answers an empty list for a person with no filing, and refuses an unknown person', async () => {
    const { till } = await signedInTill();
    const none = await till.call(
      '5301',
      { data: { psn_no: DEMO_PEOPLE.active.psnNo } },
      personArea(DEMO_PEOPLE.active),
    );
    expect(z.parse(ChronicQueryOutputSchema, none.output).feedetail).toEqual([]);
    const unknown = await till.call(
      '5301',
      { data: { psn_no: '99999999999999999' } },
      { insuplc_admdvs: DEMO_PEOPLE.active.insuplcAdmdvs },
    );
    expect(infcode(unknown)).toBe(-2);
  });
});
