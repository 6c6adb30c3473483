import { describe, expect, it } from 'vitest';
import { delay } from 'msw';
import { isYibaoGuardError } from '../../../src/index.js';
import { PlatformRejectedError } from '../../../src/errors/index.js';
import type { PlatformEvent } from '../../../src/platform/index.js';
import { client, fail, ok, personQueryInput, rejection, useFakePlatform } from './helpers.js';

const fakePlatform = useFakePlatform();
const REPORT = { data: { fixmedins_bchno: 'B1', inv_data_type: '4' as const } };

describe('sign-in', () => {
  it('signs in (9001) before the first business call and sends the sign_no with it', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    const platformClient = client();
    expect(platformClient.signNo).toBeUndefined();
    await platformClient.report('3507', REPORT);
    expect(platform.requests.map((r) => r.envelope.infno)).toEqual(['9001', '3507']);
    expect(platform.requests[0]!.envelope['input']).toEqual({
      signIn: { opter_no: 'S001', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' },
    });
    expect(platform.requests[1]!.envelope['sign_no']).toBe('SN1');
    expect(platformClient.signNo).toBe('SN1');
  });

  it('shares one sign-in among calls made at the same time', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }), {
      signIn: async () => {
        await delay(20);
        return ok({ signinoutb: { sign_no: 'SHARED' } });
      },
    });
    const platformClient = client();
    await Promise.all(Array.from({ length: 5 }, () => platformClient.report('3507', REPORT)));
    expect(platform.requests.filter((r) => r.envelope.infno === '9001')).toHaveLength(1);
    expect(platform.business().map((r) => r.envelope['sign_no'])).toEqual(Array(5).fill('SHARED'));
  });

  it('signs in again once when the platform says the sign-in expired, and resends the same msgid', async () => {
    const events: PlatformEvent[] = [];
    const platform = fakePlatform((envelope) =>
      envelope['sign_no'] === 'SN1' ? fail(-2, '签到信息已失效，请重新签到') : ok({ retRslt: '1' }),
    );
    const platformClient = client({ onEvent: (event) => events.push(event) });
    await platformClient.report('3507', REPORT);
    expect(platform.requests.map((r) => [r.envelope.infno, r.envelope['sign_no']])).toEqual([
      ['9001', undefined],
      ['3507', 'SN1'],
      ['9001', undefined],
      ['3507', 'SN2'],
    ]);
    const [first, resent] = platform.business();
    expect(resent!.envelope.msgid).toBe(first!.envelope.msgid);
    expect(resent!.envelope['inf_time']).toBe(first!.envelope['inf_time']);
    expect(platformClient.signNo).toBe('SN2');
    expect(events.some((event) => event.type === 'sign-in-expired')).toBe(true);
  });

  it('renews an expired sign-in once for all the calls it failed at the same time', async () => {
    const platform = fakePlatform(async (envelope) => {
      await delay(5);
      return envelope['sign_no'] === 'SN1' ? fail(-2, '签到已过期') : ok({ retRslt: '1' });
    });
    const platformClient = client();
    await platformClient.signIn();
    await Promise.all(Array.from({ length: 4 }, () => platformClient.report('3507', REPORT)));
    expect(platform.requests.filter((r) => r.envelope.infno === '9001')).toHaveLength(2);
    expect(platform.business().filter((r) => r.envelope['sign_no'] === 'SN2')).toHaveLength(4);
  });

  it('does not loop: a second expiry is the platform refusing the call', async () => {
    const platform = fakePlatform(() => fail(-1, '未签到'));
    const error = await rejection(client().queryPerson(personQueryInput()));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(platform.requests.map((r) => r.envelope.infno)).toEqual(['9001', '1101', '9001', '1101']);
  });

  it('recognises provincial wording through isSignInExpired', async () => {
    const platform = fakePlatform((envelope) =>
      envelope['sign_no'] === 'SN1' ? fail(1001, 'E-SIGN-STALE') : ok({ retRslt: '1' }),
    );
    await client({ isSignInExpired: (infcode) => infcode === 1001 }).report('3507', REPORT);
    expect(platform.business()).toHaveLength(2);
  });

  it('reports a refused 9001 as PLATFORM_SIGN_IN_FAILED and never sends the business call', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }), { signIn: () => fail(-2, '操作员S001未授权') });
    const error = await rejection(client().report('3507', REPORT));
    expect(isYibaoGuardError(error, 'PLATFORM_SIGN_IN_FAILED')).toBe(true);
    expect(error['infno']).toBe('9001');
    expect(error.cause).toBeInstanceOf(PlatformRejectedError);
    expect(platform.business()).toHaveLength(0);
  });

  it('signs in on demand with signIn(), and out with signOut() (9002), which clears the sign_no', async () => {
    const platform = fakePlatform(() => ok({ signoutoutb: { sign_time: '2026-11-23 18:00:00' } }));
    const platformClient = client();
    const { signinoutb } = await platformClient.signIn();
    expect(signinoutb.sign_no).toBe('SN1');
    expect(platformClient.signNo).toBe('SN1');
    await platformClient.signOut();
    const signOut = platform.requests[1]!.envelope;
    expect(signOut.infno).toBe('9002');
    expect(signOut['sign_no']).toBe('SN1');
    expect(signOut.input).toEqual({ signOut: { sign_no: 'SN1', opter_no: 'S001' } });
    expect(platformClient.signNo).toBeUndefined();
    // Not signed in: nothing to send.
    await platformClient.signOut();
    expect(platform.requests).toHaveLength(2);
  });

  it('forgets the sign_no even when the platform refuses the sign-out', async () => {
    fakePlatform(() => fail(-2, '签退失败'));
    const platformClient = client();
    await platformClient.signIn();
    await expect(platformClient.signOut()).rejects.toBeInstanceOf(PlatformRejectedError);
    expect(platformClient.signNo).toBeUndefined();
  });
});
