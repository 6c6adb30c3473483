import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/index.js';
import { RequestEnvelopeSchema } from '../../../src/platform/index.js';
import {
  CALL_URL,
  INSTITUTION,
  PERSON,
  T0,
  client,
  manualClock,
  ok,
  personQueryInput,
  rejection,
  settlementInput,
  settlementOutput,
  useFakePlatform,
} from './helpers.js';

const fakePlatform = useFakePlatform();

describe('the request envelope', () => {
  it('sends the national field names, in the national order, for a business call', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    await client().preSettle(settlementInput(), { insuplcAdmdvs: '220102' });
    const [signIn, business] = platform.requests;
    expect(Object.keys(business!.envelope)).toMatchInlineSnapshot(`
      [
        "infno",
        "msgid",
        "mdtrtarea_admvs",
        "insuplc_admdvs",
        "recer_sys_code",
        "dev_no",
        "infver",
        "opter_type",
        "opter",
        "opter_name",
        "inf_time",
        "fixmedins_code",
        "fixmedins_name",
        "sign_no",
        "input",
      ]
    `);
    // 9001 goes before any sign-in, so without sign_no; it names no person, so without insuplc_admdvs.
    expect(Object.keys(signIn!.envelope)).not.toContain('sign_no');
    expect(Object.keys(signIn!.envelope)).not.toContain('insuplc_admdvs');
  });

  it('fills the fields from the options, with the documented defaults', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    await client().preSettle(settlementInput(), { insuplcAdmdvs: '220300' });
    const { envelope } = platform.business()[0]!;
    expect(envelope).toMatchObject({
      infno: '2101',
      mdtrtarea_admvs: '220102',
      insuplc_admdvs: '220300',
      recer_sys_code: 'YBXT',
      dev_no: 'T01',
      infver: 'V1.0',
      opter_type: '1',
      opter: 'S001',
      opter_name: '王药师',
      fixmedins_code: INSTITUTION,
      fixmedins_name: '长春市示例大药房',
      sign_no: 'SN1',
    });
    expect(RequestEnvelopeSchema.safeParse(envelope).success).toBe(true);
  });

  it('writes inf_time in China Standard Time whatever the terminal zone', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    const clock = manualClock(Date.UTC(2026, 11, 31, 16, 30, 0)); // 00:30 on 1 January 2027 in China
    await client({ clock }).report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } });
    expect(platform.business()[0]!.envelope['inf_time']).toBe('2027-01-01 00:30:00');
    expect(platform.business()[0]!.envelope.msgid).toMatch(new RegExp(`^${INSTITUTION}20270101003000\\d{4}$`));
  });

  it('takes recer_sys_code, infver, operator type and dev_safe_info from the options', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    const custom = client({
      recerSysCode: 'JLYB',
      infver: 'V2.0',
      operator: { id: 'K9', name: '自助机9', type: '2' },
      device: { no: 'KIOSK-9', mac: 'AA-BB', ip: '10.0.0.9', safeInfo: 'tpm:ok' },
    });
    await custom.report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } });
    expect(platform.business()[0]!.envelope).toMatchObject({
      recer_sys_code: 'JLYB',
      infver: 'V2.0',
      opter_type: '2',
      opter: 'K9',
      opter_name: '自助机9',
      dev_no: 'KIOSK-9',
      dev_safe_info: 'tpm:ok',
    });
    expect(platform.requests[0]!.envelope['input']).toEqual({
      signIn: { opter_no: 'K9', mac: 'AA-BB', ip: '10.0.0.9' },
    });
  });

  it('POSTs JSON to the national call path, whatever trailing slash the base URL has', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    await client({ baseUrl: 'https://ybj.test.example/' }).report('3507', {
      data: { fixmedins_bchno: 'B1', inv_data_type: '4' },
    });
    const seen = platform.business()[0]!;
    expect(seen.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(JSON.parse(seen.body)).toEqual(seen.envelope);
    expect(CALL_URL).toMatch(/\/fsi\/api\/rsfComIfsService\/callService$/);
  });

  it('requires the buyer insurance area for a transaction that names a person, before sending anything', async () => {
    const platform = fakePlatform();
    const error = await rejection(client().settle(settlementInput(), {} as never));
    expect(error).toBeInstanceOf(InputError);
    expect(error['field']).toBe('insuplcAdmdvs');
    expect(platform.requests).toHaveLength(0);
  });

  it('leaves insuplc_admdvs out of a transaction that names no person, even when given', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    await client().call('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } }, { insuplcAdmdvs: '220102' });
    expect(platform.business()[0]!.envelope).not.toHaveProperty('insuplc_admdvs');
  });
});

describe('prepare and send', () => {
  it('fixes msgid, inf_time and the encoded input when prepared, and sends exactly that later', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    const clock = manualClock();
    const platformClient = client({ clock });
    const prepared = platformClient.prepare('2102', settlementInput(), { insuplcAdmdvs: '220102' });
    expect(prepared.msgid).toMatch(new RegExp(`^${INSTITUTION}20261123100509\\d{4}$`));
    expect(prepared.infTime).toBe(T0);
    // A plain JSON value the caller can store before sending.
    expect(JSON.parse(JSON.stringify(prepared))).toEqual(prepared);
    clock.advance(65_000);
    await platformClient.send(prepared);
    const { envelope } = platform.business()[0]!;
    expect(envelope.msgid).toBe(prepared.msgid);
    expect(envelope['inf_time']).toBe('2026-11-23 10:05:09');
  });

  it('uses the msgid the caller gives, e.g. one restored from its outbox', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    const msgid = `${INSTITUTION}202611231000000042`;
    await client().report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } }, { msgid });
    expect(platform.business()[0]!.envelope.msgid).toBe(msgid);
  });

  it('refuses a msgid that is not institution code + time + sequence, before sending', async () => {
    const platform = fakePlatform();
    expect(() =>
      client().prepare('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } }, { msgid: 'not-a-msgid' }),
    ).toThrow(InputError);
    expect(platform.requests).toHaveLength(0);
  });

  it('refuses a prepared call that was tampered with in storage', async () => {
    const platform = fakePlatform();
    const error = await rejection(client().send({ infno: '9999', msgid: 'x', infTime: 0, input: {} } as never));
    expect(error).toBeInstanceOf(InputError);
    expect(platform.requests).toHaveLength(0);
  });

  it('refuses bad input with INVALID_INPUT and its paths, before any request leaves', async () => {
    const platform = fakePlatform();
    const input = settlementInput();
    const bad = { ...input, druginfo: { ...input.druginfo, medfee_sumamt: 5741, mdtrt_cert_type: '07' } } as never;
    const error = await rejection(client().settle(bad, { insuplcAdmdvs: '220102' }));
    expect(error).toBeInstanceOf(InputError);
    expect(error['code']).toBe('INVALID_INPUT');
    expect((error as unknown as InputError).issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['druginfo.mdtrt_cert_type']),
    );
    // Paths and reasons only: the values (an ID number here) never appear in the error.
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(PERSON.certno);
    expect(platform.requests).toHaveLength(0);
  });

  it('refuses an amount that is not integer 分 with INVALID_INPUT', async () => {
    const platform = fakePlatform();
    const input = settlementInput();
    const bad = { ...input, druginfo: { ...input.druginfo, medfee_sumamt: 57.4 } };
    await expect(client().preSettle(bad, { insuplcAdmdvs: '220102' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(platform.requests).toHaveLength(0);
  });

  it('refuses options that cannot make a valid envelope when the client is created', () => {
    expect(() => client({ area: '22010' })).toThrow(InputError);
    expect(() => client({ baseUrl: 'ftp://x' })).toThrow(InputError);
    expect(() => client({ operator: { id: '', name: 'x' } })).toThrow(InputError);
  });
});

describe('prepared calls from storage', () => {
  it('sends a prepared call that went through JSON, and refuses one whose input was altered', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    const platformClient = client();
    const stored = JSON.parse(
      JSON.stringify(platformClient.prepare('2102', settlementInput(), { insuplcAdmdvs: '220102' })),
    );
    await expect(platformClient.send(stored)).resolves.toMatchObject({ setlinfo: { medfee_sumamt: 5740 } });
    const altered = {
      ...stored,
      input: { ...stored.input, druginfo: { ...stored.input.druginfo, medfee_sumamt: 5.74 } },
    };
    await expect(platformClient.send(altered)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'druginfo.medfee_sumamt',
    });
    expect(platform.business()).toHaveLength(1);
  });
});
