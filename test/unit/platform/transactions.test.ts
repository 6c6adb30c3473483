import { describe, expect, it } from 'vitest';
import {
  PERSON,
  T0,
  client,
  ok,
  personQueryInput,
  saleReportInput,
  settlementInput,
  settlementOutput,
  useFakePlatform,
} from './helpers.js';

const fakePlatform = useFakePlatform();
const PERSON_OPTIONS = { insuplcAdmdvs: '220102' };
const CST_T0 = '2026-11-23 10:05:09';
const HASH = 'a'.repeat(64);

/** The wire input of the one business request the fake saw. */
function wireInput(platform: ReturnType<typeof fakePlatform>): Record<string, unknown> {
  const business = platform.business();
  expect(business).toHaveLength(1);
  return business[0]!.envelope.input;
}

describe('1101 person query', () => {
  it('sends the certificate as given and reads balances in 分', async () => {
    const platform = fakePlatform(() =>
      ok({
        baseinfo: { psn_no: PERSON.psnNo, psn_name: PERSON.name, certno: PERSON.certno, age: '77', brdy: '1949-12-31' },
        insuinfo: [{ balc: '1234.56', insutype: 310, psn_insu_stas: '1', insuplc_admdvs: '220300' }],
        idetinfo: [],
      }),
    );
    const person = await client().queryPerson({ data: { ...personQueryInput().data, begntime: T0 } });
    expect(wireInput(platform)).toEqual({ data: { ...personQueryInput().data, begntime: CST_T0 } });
    expect(person.baseinfo.age).toBe(77);
    expect(person.insuinfo[0]).toMatchObject({ balc: 123456, insutype: '310', insuplc_admdvs: '220300' });
  });
});

describe('2101 / 2102 pharmacy settlement', () => {
  it('sends amounts as yuan numbers (57.4 for 5740 分), prices as yuan, times as CST text', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    await client().preSettle(settlementInput(), PERSON_OPTIONS);
    const input = wireInput(platform) as { druginfo: Record<string, unknown>; drugdetail: Record<string, unknown>[] };
    expect(input.druginfo).toMatchObject({
      medfee_sumamt: 57.4,
      begntime: CST_T0,
      med_type: '41',
      acct_used_flag: '1',
    });
    expect(input.drugdetail[0]).toMatchObject({ det_item_fee_sumamt: 57.4, pric: 28.7, cnt: 2, fee_ocur_time: CST_T0 });
  });

  it('reads the settlement back in 分, whether the platform sends numbers or strings', async () => {
    fakePlatform(() => ok(settlementOutput()));
    const { setlinfo, setldetail } = await client().settle(settlementInput(), PERSON_OPTIONS);
    expect(setlinfo).toMatchObject({
      setl_id: 'S0001',
      mdtrt_id: 'M0001',
      medfee_sumamt: 5740,
      fund_pay_sumamt: 4018,
      acct_pay: 1722,
      psn_cash_pay: 0,
      balc: 100050,
    });
    expect(setldetail?.[0]).toEqual({ fund_pay_type: '310100', fund_payamt: 4018 });
  });

  it('sends 2102 invono, and the renamed nodes a province wants, on the wire only', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    await client({ nodeNames: { druginfo: 'druginfo2', drugdetail: 'feedetail' } }).settle(
      settlementInput(),
      PERSON_OPTIONS,
    );
    const input = wireInput(platform);
    expect(Object.keys(input).sort()).toEqual(['druginfo2', 'feedetail']);
    expect(input['druginfo2']).toMatchObject({ invono: 'INV0001', medfee_sumamt: 57.4 });
  });

  it('keeps the national node names of other transactions when 2101/2102 are renamed', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    await client({ nodeNames: { drugdetail: 'feedetail' } }).report('3505', saleReportInput());
    expect(Object.keys(wireInput(platform))).toEqual(['selinfo']);
  });
});

describe('2103 cancellation and 2601 reversal', () => {
  it('sends the cancellation under data', async () => {
    const platform = fakePlatform(() => ok({ setlinfo: { setl_id: 'S0002', mdtrt_id: 7 } }));
    const output = await client().cancelSettlement(
      { setl_id: 'S0001', mdtrt_id: 'M0001', psn_no: PERSON.psnNo },
      PERSON_OPTIONS,
    );
    expect(wireInput(platform)).toEqual({ data: { setl_id: 'S0001', mdtrt_id: 'M0001', psn_no: PERSON.psnNo } });
    expect(output.setlinfo).toEqual({ setl_id: 'S0002', mdtrt_id: '7' });
  });

  it('sends the reversal under data, and accepts an empty output', async () => {
    const platform = fakePlatform(() => ok(''));
    const omsgid = 'P22010100001202611231005090003';
    await expect(
      client().reverse({ psn_no: PERSON.psnNo, omsgid, oinfno: '2102' }, PERSON_OPTIONS),
    ).resolves.toBeUndefined();
    expect(wireInput(platform)).toEqual({ data: { psn_no: PERSON.psnNo, omsgid, oinfno: '2102' } });
  });
});

describe('3101 analysis', () => {
  it('sends order amounts in yuan and reads violation amounts in 分', async () => {
    const platform = fakePlatform(() =>
      ok({
        result: [
          {
            jr_id: 1,
            rule_id: 'R01',
            rule_name: '限定支付',
            vola_amt: '12.30',
            sev_deg: 2,
            patn_id: 'PT1',
            mdtrt_id: 'M1',
            rx_id: 'RX1',
          },
        ],
      }),
    );
    const { result } = await client().analyze(
      {
        data: {
          syscode: 'YG',
          task_id: 'TASK1',
          trig_scen: '10',
          patient_dtos: [
            {
              patn_id: 'PT1',
              fsi_encounter_dtos: [
                {
                  mdtrt_id: 'M1',
                  medins_id: 'P22010100001',
                  fsi_order_dtos: [
                    {
                      rx_id: 'RX1',
                      hilist_code: 'X1',
                      hilist_name: '二甲双胍片',
                      cnt: 2,
                      pric: 28_700_000,
                      sumamt: 5740,
                    },
                  ],
                },
              ],
            },
          ],
        },
      },
      PERSON_OPTIONS,
    );
    const order = (
      wireInput(platform) as {
        data: { patient_dtos: { fsi_encounter_dtos: { fsi_order_dtos: Record<string, unknown>[] }[] }[] };
      }
    ).data.patient_dtos[0]!.fsi_encounter_dtos[0]!.fsi_order_dtos[0];
    expect(order).toMatchObject({ sumamt: 57.4, pric: 28.7, cnt: 2 });
    expect(result[0]).toMatchObject({ jr_id: '1', vola_amt: 1230, sev_deg: '2', rx_id: 'RX1' });
  });
});

describe('3501–3507 进销存 reports', () => {
  const core = {
    med_list_codg: 'X1',
    fixmedins_hilist_id: 'H1',
    fixmedins_hilist_name: '二甲双胍片',
    rx_flag: '0' as const,
    fixmedins_bchno: 'B1',
  };
  const purchase = {
    ...core,
    spler_name: '示例医药公司',
    finl_trns_pric: 12_345_678,
    purc_retn_cnt: 10,
    purc_retn_stoin_time: T0,
    purc_retn_opter_name: '王药师',
  };

  it.each([
    [
      '3501',
      { invinfo: { ...core, invdate: '2026-11-23', inv_cnt: 12.5 } },
      { invinfo: { inv_cnt: 12.5, invdate: '2026-11-23' } },
    ],
    [
      '3502',
      {
        invinfo: {
          ...core,
          inv_chg_type: '101',
          pric: 28_700_000,
          cnt: 1,
          inv_chg_time: T0,
          inv_chg_opter_name: '王药师',
          trdn_flag: '1' as const,
        },
      },
      { invinfo: { pric: 28.7, inv_chg_time: CST_T0, trdn_flag: '1' } },
    ],
    ['3503', { purcinfo: purchase }, { purcinfo: { finl_trns_pric: 12.345678, purc_retn_stoin_time: CST_T0 } }],
    ['3504', { purcinfo: { ...purchase, medins_prod_purc_no: 'PO1' } }, { purcinfo: { medins_prod_purc_no: 'PO1' } }],
    [
      '3505',
      saleReportInput(),
      {
        selinfo: {
          finl_trns_pric: 28.7,
          sel_retn_time: CST_T0,
          drugtracinfo: [{ drug_trac_codg: '81234567890123456789' }],
        },
      },
    ],
    [
      '3506',
      { selinfo: { ...saleReportInput().selinfo, medins_prod_sel_no: 'SO1' } },
      { selinfo: { medins_prod_sel_no: 'SO1' } },
    ],
    [
      '3507',
      { data: { fixmedins_bchno: 'B1', inv_data_type: '4' as const } },
      { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } },
    ],
  ] as const)('%s sends its node in wire units and reads retRslt', async (infno, input, expected) => {
    const platform = fakePlatform(() => ok({ retRslt: 1, msgRslt: '成功' }));
    const output = await client().report(infno, input as never);
    expect(wireInput(platform)).toMatchObject(expected);
    expect(output).toEqual({ retRslt: '1', msgRslt: '成功' });
  });

  it('accepts a report answered without output', async () => {
    fakePlatform(() => ok(null));
    await expect(client().report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '1' } })).resolves.toBeNull();
  });
});

describe('YG01–YG05 provincial extensions', () => {
  it('YG01 uploads an invoice record', async () => {
    const platform = fakePlatform(() => ok({ accepted: 1, hash: HASH }));
    const output = await client().uploadInvoice({
      invoice: { terminal_id: 'T01', seq: 3, hash: HASH, record: { total: 5740 } },
    });
    expect(wireInput(platform)).toEqual({
      invoice: { terminal_id: 'T01', seq: 3, hash: HASH, record: { total: 5740 } },
    });
    expect(output).toEqual({ accepted: '1', hash: HASH });
  });

  it('YG02 verifies an invoice', async () => {
    fakePlatform(() => ok({ result: '2', upload_time: CST_T0 }));
    const output = await client().verifyInvoice({
      data: { fixmedins_code: 'P22010100001', terminal_id: 'T01', seq: 3, hash: HASH },
    });
    expect(output.result).toBe('2');
  });

  it('YG03 downloads a rule pack', async () => {
    const platform = fakePlatform(() => ok({ pack: { version: 8 } }));
    const output = await client().downloadRulePack({ data: { admdvs: '220102', cur_ver: 7 } });
    expect(wireInput(platform)).toEqual({ data: { admdvs: '220102', cur_ver: 7 } });
    expect(output.pack).toEqual({ version: 8 });
  });

  it('YG04 registers a terminal key, with begntime in CST', async () => {
    const platform = fakePlatform(() => ok({ key_id: 'T01-K1', registered: 1 }));
    const pubkey = 'A'.repeat(43);
    const output = await client().registerKey({ data: { terminal_id: 'T01', key_id: 'T01-K1', pubkey, begntime: T0 } });
    expect(wireInput(platform)).toEqual({ data: { terminal_id: 'T01', key_id: 'T01-K1', pubkey, begntime: CST_T0 } });
    expect(output).toEqual({ key_id: 'T01-K1', registered: '1' });
  });

  it('YG05 asks for trace-code status', async () => {
    fakePlatform(() =>
      ok({
        result: [
          { drug_trac_codg: '81234567890123456789', sel_flag: 1, fixmedins_code: 'P22010100009', sel_time: CST_T0 },
        ],
      }),
    );
    const { result } = await client().traceStatus({ data: { drug_trac_codg: ['81234567890123456789'] } });
    expect(result[0]).toMatchObject({ sel_flag: '1', fixmedins_code: 'P22010100009' });
  });
});
