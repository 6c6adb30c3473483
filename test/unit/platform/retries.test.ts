import { describe, expect, it } from 'vitest';
import { HttpResponse, delay } from 'msw';
import { isYibaoGuardError } from '../../../src/index.js';
import { PlatformProtocolError, PlatformUnavailableError } from '../../../src/errors/index.js';
import { heldEndsAtDeadline } from '../../integration/held-fetch.js';
import {
  client,
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
const status = (code: number, headers: Record<string, string> = {}) =>
  new HttpResponse('gateway says no', { status: code, headers });

/** Answers with `failures` in turn, then with `success` forever. */
function flaky(failures: (() => unknown)[], success: () => unknown): () => unknown {
  return () => (failures.shift() ?? success)();
}

const PERSON_OUTPUT = {
  baseinfo: { psn_no: '22000000123456', psn_name: '张三丰' },
  insuinfo: [{ insutype: '310', balc: 100.5, insuplc_admdvs: '220102' }],
};

describe('retries where they are safe', () => {
  it('retries a query after a 5xx and returns the answer', async () => {
    const platform = fakePlatform(flaky([() => status(502), () => status(503)], () => ok(PERSON_OUTPUT)));
    const { insuinfo } = await client().queryPerson(personQueryInput());
    expect(insuinfo[0]!.balc).toBe(10050);
    expect(platform.business()).toHaveLength(3);
  });

  it('retries a report after a 5xx with the same msgid, which the platform deduplicates', async () => {
    const platform = fakePlatform(flaky([() => status(500)], () => ok({ retRslt: '1', msgRslt: '成功' })));
    const result = await client().report('3505', saleReportInput());
    expect(result).toEqual({ retRslt: '1', msgRslt: '成功' });
    const msgids = platform.business().map((r) => r.envelope.msgid);
    expect(msgids).toHaveLength(2);
    expect(msgids[1]).toBe(msgids[0]);
  });

  it('retries a settlement with the same msgid when the platform answers a repeated msgid with its first answer', async () => {
    const platform = fakePlatform(flaky([() => HttpResponse.error()], () => ok(settlementOutput())));
    const { setlinfo } = await client().settle(settlementInput(), PERSON_OPTIONS);
    expect(setlinfo.setl_id).toBe('S0001');
    const [first, second] = platform.business();
    expect(second!.envelope.msgid).toBe(first!.envelope.msgid);
  });

  it('sends a settlement once when msgids are not idempotent, and reports a lost answer as outcome unknown', async () => {
    const platform = fakePlatform(() => status(503));
    const error = await rejection(client({ idempotentMsgid: false }).settle(settlementInput(), PERSON_OPTIONS));
    expect(platform.business()).toHaveLength(1);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', status: 503, infno: '2102' });
    expect(error['msgid']).toBe(platform.business()[0]!.envelope.msgid);
  });

  it('gives up after the retry limit: PLATFORM_UNAVAILABLE for a query, PLATFORM_OUTCOME_UNKNOWN for a write', async () => {
    const platform = fakePlatform(() => status(504));
    const query = await rejection(client({ retry: { limit: 1, backoffLimitMs: 1 } }).queryPerson(personQueryInput()));
    expect(query).toMatchObject({ code: 'PLATFORM_UNAVAILABLE', status: 504 });
    expect(platform.business()).toHaveLength(2);
    const write = await rejection(client({ retry: { limit: 1, backoffLimitMs: 1 } }).report('3505', saleReportInput()));
    expect(write).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', status: 504 });
  });

  it('waits out a 429 Retry-After before retrying', async () => {
    const platform = fakePlatform(flaky([() => status(429, { 'Retry-After': '0.2' })], () => ok(PERSON_OUTPUT)));
    const started = performance.now();
    await client({ retry: { backoffLimitMs: 1 } }).queryPerson(personQueryInput());
    // Without Retry-After the backoff here is at most 1 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(platform.business()).toHaveLength(2);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs: it says when to come back', async () => {
    const platform = fakePlatform(() => status(429, { 'Retry-After': '120' }));
    const error = await rejection(client().queryPerson(personQueryInput()));
    expect(error).toMatchObject({ code: 'PLATFORM_UNAVAILABLE', status: 429, retryAfterMs: 120_000 });
    expect(platform.business()).toHaveLength(1);
  });

  it('reports a write refused with 429 as unavailable, not unknown: the gateway never let it through', async () => {
    fakePlatform(() => status(429, { 'Retry-After': '120' }));
    const error = await rejection(client().settle(settlementInput(), PERSON_OPTIONS));
    expect(error['code']).toBe('PLATFORM_UNAVAILABLE');
  });

  it('times out a silent platform with PlatformUnavailableError', async () => {
    // The platform holds every query unanswered; each attempt ends at the deadline once it is held
    // (heldEndsAtDeadline),
    // so a normal deadline is kept and no attempt (nor the sign-in before them) races a 30 ms timer on a loaded
    // machine.
    const held: { msgid: string; fault: 'timeout' }[] = [];
    const platform = fakePlatform(async (envelope) => {
      held.push({ msgid: envelope.msgid, fault: 'timeout' });
      await delay('infinite');
      return ok(PERSON_OUTPUT);
    });
    const silent = client({
      timeoutMs: 10_000,
      retry: { limit: 1, backoffLimitMs: 1 },
      fetch: heldEndsAtDeadline({ received: () => held }),
    });
    const error = await rejection(silent.queryPerson(personQueryInput()));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error['code']).toBe('PLATFORM_UNAVAILABLE');
    expect(error.message).toContain('no answer within 10000 ms');
    expect(platform.business()).toHaveLength(2);
  });

  it('reports a network failure on a query as unavailable, on a write as outcome unknown', async () => {
    fakePlatform(() => HttpResponse.error());
    expect(await rejection(client({ retry: { limit: 0 } }).queryPerson(personQueryInput()))).toMatchObject({
      code: 'PLATFORM_UNAVAILABLE',
    });
    expect(await rejection(client({ retry: { limit: 0 } }).report('3505', saleReportInput()))).toMatchObject({
      code: 'PLATFORM_OUTCOME_UNKNOWN',
    });
  });

  it('sends through an injected fetch', async () => {
    const seen: string[] = [];
    const fetch = async (input: string | URL | Request) => {
      const request = input as Request;
      seen.push(JSON.parse(await request.text()).infno);
      return new Response(
        JSON.stringify(seen.length === 1 ? ok({ signinoutb: { sign_no: 'X' } }) : ok({ retRslt: '1' })),
      );
    };
    await client({ fetch }).report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } });
    expect(seen).toEqual(['9001', '3507']);
  });
});

describe('HTTP refusals', () => {
  it('reports 401/403 as PLATFORM_AUTH_FAILED, without retrying', async () => {
    const platform = fakePlatform(() => status(403));
    const error = await rejection(client().report('3505', saleReportInput()));
    expect(isYibaoGuardError(error, 'PLATFORM_AUTH_FAILED')).toBe(true);
    expect(platform.business()).toHaveLength(1);
  });

  it('reports another 4xx as PlatformProtocolError: the gateway refused the request form', async () => {
    fakePlatform(() => status(400));
    const error = await rejection(client().queryPerson(personQueryInput()));
    expect(error).toBeInstanceOf(PlatformProtocolError);
  });
});

describe('resolve()', () => {
  it('asks again with the same msgid and returns the first answer, when msgids are idempotent', async () => {
    let answers = 0;
    const platform = fakePlatform(() => (++answers <= 3 ? status(503) : ok(settlementOutput())));
    const platformClient = client();
    const prepared = platformClient.prepare('2102', settlementInput(), PERSON_OPTIONS);
    const lost = await rejection(platformClient.send(prepared));
    expect(lost['code']).toBe('PLATFORM_OUTCOME_UNKNOWN');
    const { setlinfo } = await platformClient.resolve(prepared);
    expect(setlinfo.setl_id).toBe('S0001');
    expect(new Set(platform.business().map((r) => r.envelope.msgid))).toEqual(new Set([prepared.msgid]));
  });

  it('refuses to ask again without idempotent msgids, naming the msgid to reverse', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    const platformClient = client({ idempotentMsgid: false });
    const prepared = platformClient.prepare('2102', settlementInput(), PERSON_OPTIONS);
    const error = await rejection(platformClient.resolve(prepared));
    expect(error['code']).toBe('PLATFORM_OUTCOME_UNKNOWN');
    expect(error.message).toContain(prepared.msgid);
    expect(error.message).toContain('2601');
    expect(platform.requests).toHaveLength(0);
  });

  it('reverses a lost settlement by its msgid with 2601', async () => {
    const platform = fakePlatform(() => ok(null));
    const platformClient = client({ idempotentMsgid: false });
    const prepared = platformClient.prepare('2102', settlementInput(), PERSON_OPTIONS);
    await platformClient.reverse(
      { psn_no: '22000000123456', omsgid: prepared.msgid, oinfno: prepared.infno },
      { insuplcAdmdvs: prepared.insuplcAdmdvs! },
    );
    expect(platform.business()[0]!.envelope).toMatchObject({
      infno: '2601',
      insuplc_admdvs: '220102',
      input: { data: { psn_no: '22000000123456', omsgid: prepared.msgid, oinfno: '2102' } },
    });
  });
});
