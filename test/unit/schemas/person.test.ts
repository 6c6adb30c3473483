import { describe, expect, it } from 'vitest';
import { isYibaoGuardError } from '../../../src/index.js';
import { PersonQueryOutputSchema, parseInput } from '../../../src/schemas/index.js';
import { HOLDER_ID } from '../../fixtures/domain.js';

const subject = { en: 'Person query (1101) output', zh: '人员信息（1101）' };

const wire = () => ({
  baseinfo: {
    psn_no: '22000000000000000001',
    psn_cert_type: '01',
    certno: HOLDER_ID,
    psn_name: '张三',
    gend: '1',
    naty: '01',
    brdy: '1949-12-31',
    age: 76.9,
  },
  insuinfo: [
    {
      balc: 1234.56,
      insutype: '310',
      psn_type: '11',
      psn_insu_stas: '1',
      psn_insu_date: '2000-01-01',
      paus_insu_date: '',
      cvlserv_flag: '0',
      insuplc_admdvs: '220100',
      emp_name: '某单位',
    },
  ],
  idetinfo: [],
});

describe('PersonQueryOutputSchema (1101 as the platform returns it)', () => {
  it('keeps the national field names and turns the balance into fen', () => {
    const person = parseInput(PersonQueryOutputSchema, wire(), subject);
    expect(person.baseinfo.psn_no).toBe('22000000000000000001');
    expect(person.insuinfo[0]?.balc).toBe(123456);
    expect(person.insuinfo[0]?.insuplc_admdvs).toBe('220100');
    expect(person.insuinfo[0]?.paus_insu_date).toBeUndefined();
  });

  it('accepts what provinces really send: numbers as strings, codes as numbers, nulls, extra fields, times for dates', () => {
    const raw = wire();
    const person = parseInput(
      PersonQueryOutputSchema,
      {
        ...raw,
        baseinfo: { ...raw.baseinfo, age: '76', gend: 1, naty: null, brdy: '1949-12-31 00:00:00', exp_content: 'x' },
        insuinfo: [{ ...raw.insuinfo[0], balc: '0.29', insutype: 390, psn_insu_date: null, extra_prov_field: 7 }],
        idetinfo: null,
      },
      subject,
    );
    expect(person.baseinfo.age).toBe(76);
    expect(person.baseinfo.gend).toBe('1');
    expect(person.baseinfo.brdy).toBe('1949-12-31');
    expect(person.insuinfo[0]?.balc).toBe(29);
    expect(person.insuinfo[0]?.insutype).toBe('390');
    expect((person.baseinfo as Record<string, unknown>)['exp_content']).toBe('x');
  });

  it('refuses a broken response with a typed error naming the path', () => {
    const raw = wire();
    const cases: Array<[unknown, string]> = [
      [{ ...raw, baseinfo: { ...raw.baseinfo, psn_no: '' } }, 'baseinfo.psn_no'],
      [{ ...raw, insuinfo: [{ ...raw.insuinfo[0], balc: 12.345 }] }, 'insuinfo.0.balc'],
      [{ ...raw, insuinfo: [{ ...raw.insuinfo[0], insuplc_admdvs: '99' }] }, 'insuinfo.0.insuplc_admdvs'],
      [{ ...raw, baseinfo: { ...raw.baseinfo, brdy: '31/12/1949' } }, 'baseinfo.brdy'],
      [{ ...raw, insuinfo: 'none' }, 'insuinfo'],
      [{ baseinfo: raw.baseinfo }, 'insuinfo'],
    ];
    for (const [input, path] of cases) {
      try {
        parseInput(PersonQueryOutputSchema, input, subject);
        expect.unreachable(path);
      } catch (error) {
        expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
        expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(path);
      }
    }
  });
});
