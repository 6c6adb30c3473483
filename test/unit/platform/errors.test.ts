import { describe, expect, it } from 'vitest';
import { HttpResponse } from 'msw';
import { isYibaoGuardError } from '../../../src/index.js';
import { PlatformProtocolError, PlatformRejectedError, PlatformUnavailableError } from '../../../src/errors/index.js';
import type { PlatformEvent } from '../../../src/platform/index.js';
import {
  PERSON,
  client,
  fail,
  ok,
  personQueryInput,
  rejection,
  saleReportInput,
  settlementInput,
  settlementOutput,
  useFakePlatform,
} from './helpers.js';

const fakePlatform = useFakePlatform();
const PERSON_OPTIONS = { insuplcAdmdvs: '220102' };

describe('refusals (non-zero infcode)', () => {
  it('throws PlatformRejectedError with the infcode as a number, the msgid and the message', async () => {
    const platform = fakePlatform(() => fail('-2', '该人员无有效参保信息'));
    const error = await rejection(client().queryPerson(personQueryInput()));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({
      code: 'PLATFORM_REJECTED',
      infcode: -2,
      infno: '1101',
      platformMessage: '该人员无有效参保信息',
    });
    expect(error['msgid']).toBe(platform.business()[0]!.envelope.msgid);
    expect(String(error['messageZh'])).toContain('该人员无有效参保信息');
  });

  it('masks personal data the platform echoes: ID numbers, phones, and the names and tokens of the request', async () => {
    fakePlatform(() => fail(-2, `参保人${PERSON.name}（${PERSON.certno}，电话13812345678）不存在`));
    const error = await rejection(client().queryPerson(personQueryInput()));
    const everything = `${error.message} ${error['messageZh']} ${error['platformMessage']} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(PERSON.certno);
    expect(everything).not.toContain(PERSON.name);
    expect(everything).not.toContain('13812345678');
    expect(error['platformMessage']).toBe('参保人张**（1101**********002X，电话138****5678）不存在');
  });

  it('treats infcode -1 on a settlement as outcome unknown: the caller must resolve or reverse it', async () => {
    const platform = fakePlatform(() => fail(-1, '系统异常'));
    const error = await rejection(client().settle(settlementInput(), PERSON_OPTIONS));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error['code']).toBe('PLATFORM_OUTCOME_UNKNOWN');
    const msgid = platform.business()[0]!.envelope.msgid;
    expect(error['msgid']).toBe(msgid);
    expect(error.message).toContain(msgid);
    expect(error.message).toContain('2601');
    // -1 is an answer, not a transport failure: it is not retried.
    expect(platform.business()).toHaveLength(1);
  });

  it('treats infcode -1 on a report as outcome unknown too', async () => {
    fakePlatform(() => fail(-1, '系统异常'));
    const error = await rejection(client().report('3505', saleReportInput()));
    expect(error['code']).toBe('PLATFORM_OUTCOME_UNKNOWN');
  });

  it('treats infcode -1 on a query as a plain refusal: nothing was written', async () => {
    fakePlatform(() => fail(-1, '系统异常'));
    const error = await rejection(client().preSettle(settlementInput(), PERSON_OPTIONS));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error['infcode']).toBe(-1);
  });
});

describe('answers not in the interface form', () => {
  it('throws PlatformProtocolError for a body that is not JSON', async () => {
    fakePlatform(
      () => new HttpResponse('<html>502 Bad Gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    );
    const error = await rejection(client().queryPerson(personQueryInput()));
    expect(error).toBeInstanceOf(PlatformProtocolError);
    expect(error['code']).toBe('PLATFORM_PROTOCOL');
  });

  it('throws PlatformProtocolError for a JSON body that is not a response envelope', async () => {
    fakePlatform(() => ({ code: 200, data: {} }));
    const error = await rejection(client().queryPerson(personQueryInput()));
    expect(error).toBeInstanceOf(PlatformProtocolError);
    expect((error as unknown as PlatformProtocolError).issues.map((issue) => issue.path)).toContain('infcode');
  });

  it('names the paths of a schema-breaking output, never its values', async () => {
    fakePlatform(() => ok(settlementOutput({ medfee_sumamt: '57.4元', psn_cash_pay: PERSON.certno })));
    const error = await rejection(client().preSettle(settlementInput(), PERSON_OPTIONS));
    expect(error).toBeInstanceOf(PlatformProtocolError);
    const paths = (error as unknown as PlatformProtocolError).issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['setlinfo.medfee_sumamt', 'setlinfo.psn_cash_pay']));
    expect(JSON.stringify({ message: error.message, zh: error['messageZh'], issues: error['issues'] })).not.toMatch(
      /57\.4元|11010519491231002X/,
    );
  });

  it('decodes an output sent as a JSON string (some gateways do)', async () => {
    fakePlatform(() => ok(JSON.stringify(settlementOutput())));
    const { setlinfo } = await client().preSettle(settlementInput(), PERSON_OPTIONS);
    expect(setlinfo.medfee_sumamt).toBe(5740);
  });

  it('lets decodeOutput unwrap an encrypted output', async () => {
    const seal = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
    fakePlatform(() => ok(seal(settlementOutput())));
    const seen: string[] = [];
    const decodeOutput = async (output: unknown, infno: string) => {
      seen.push(infno);
      // The fake answers 9001 in plain JSON; a real gateway would seal every answer alike.
      return infno === '9001' ? output : JSON.parse(Buffer.from(String(output), 'base64').toString('utf8'));
    };
    const { setlinfo } = await client({ decodeOutput }).preSettle(settlementInput(), PERSON_OPTIONS);
    expect(setlinfo.acct_pay).toBe(1722);
    expect(seen).toEqual(['9001', '2101']);
  });

  it('makes an unreadable answer to a write PLATFORM_OUTCOME_UNKNOWN, since it may have committed', async () => {
    fakePlatform(() => ok({ setlinfo: { medfee_sumamt: 'garbled' } }));
    const error = await rejection(client().settle(settlementInput(), PERSON_OPTIONS));
    expect(error['code']).toBe('PLATFORM_OUTCOME_UNKNOWN');
    expect(error.cause).toBeInstanceOf(PlatformProtocolError);
  });
});

describe('onEvent', () => {
  it('logs infno, msgid, attempts, duration and outcome, and no personal data from input or answers', async () => {
    const events: PlatformEvent[] = [];
    // The platform echoes the name and ID number of the 1101 request in its refusal.
    const answers = [
      fail(-2, `${PERSON.name}（${PERSON.certno}）无参保信息`),
      ok(settlementOutput()),
      ok({ setlinfo: { medfee_sumamt: 'x' } }),
    ];
    fakePlatform(() => answers.shift());
    const platformClient = client({ onEvent: (event) => events.push(event) });
    await rejection(platformClient.queryPerson(personQueryInput()));
    await platformClient.settle(settlementInput(), PERSON_OPTIONS);
    await rejection(platformClient.preSettle(settlementInput(), PERSON_OPTIONS));
    const log = JSON.stringify(events);
    for (const secret of [PERSON.certno, PERSON.name, PERSON.psnNo, '57.4', '5740', 'XA10BAA001A001010100001', 'S0001'])
      expect(log).not.toContain(secret);
    const results = events.filter((event) => event.type === 'result');
    expect(results.map((event) => [event.infno, event.outcome])).toEqual([
      ['9001', 'OK'],
      ['1101', 'PLATFORM_REJECTED'],
      ['2102', 'OK'],
      ['2101', 'PLATFORM_PROTOCOL'],
    ]);
    expect(results[1]).toMatchObject({ attempts: 1, infcode: -2, durationMs: 0 });
    expect(results[1]!.msgid).toMatch(/^P22010100001\d{18}$/);
    expect(events.filter((event) => event.type === 'attempt')).toHaveLength(4);
  });

  it('survives a listener that throws', async () => {
    fakePlatform(() => ok({ retRslt: '1' }));
    const result = await client({
      onEvent: () => {
        throw new Error('log full');
      },
    }).report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } });
    expect(result).toEqual({ retRslt: '1' });
  });

  it('is a yibao-guard error for every failure, for branching on codes', async () => {
    fakePlatform(() => fail(-2, 'x'));
    expect(isYibaoGuardError(await rejection(client().queryPerson(personQueryInput())), 'PLATFORM_REJECTED')).toBe(
      true,
    );
  });
});
