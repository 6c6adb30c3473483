import { describe, expect, it } from 'vitest';
import { infcode, startTestSimulator, Till } from './helpers.js';

const gateway = { paasid: 'yg-pharmacy', secret: 's3cret' };
const signInInput = { signIn: { opter_no: 'OP7', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.2' } };

describe('provincial gateway headers', () => {
  it('answers with the envelope when the x-tif headers are right', async () => {
    const { simulator, url } = await startTestSimulator({ gateway });
    const till = new Till(url, simulator, { gateway });
    expect(infcode(await till.call('9001', signInInput))).toBe(0);
  });

  it.each([
    ['missing headers', {}, /missing gateway headers/],
    ['a wrong secret', { secret: 'other' }, /x-tif-signature does not match/],
    ['an unknown paasid', { paasid: 'someone' }, /unknown x-tif-paasid/],
  ])('refuses %s with HTTP 401 and a JSON body', async (_what, change, message) => {
    const { simulator, url } = await startTestSimulator({ gateway });
    const till = new Till(
      url,
      simulator,
      Object.keys(change).length === 0 ? {} : { gateway: { ...gateway, ...change } },
    );
    const res = await till.post(till.envelope('9001', signInInput));
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json).toMatchObject({ status: 401 });
    expect(res.json.err_msg).toMatch(message);
    expect(simulator.received().at(-1)).toMatchObject({ status: 401, outcome: null });
  });

  it('refuses a timestamp more than 300 s away from the gateway clock', async () => {
    const { simulator, url } = await startTestSimulator({ gateway });
    const till = new Till(url, simulator, { gateway });
    const headers = await till.headers();
    simulator.advance(301_000);
    const res = await till.post(till.envelope('9001', signInInput), headers);
    expect(res.status).toBe(401);
    expect(res.json.err_msg).toMatch(/300 s/);
  });
});
