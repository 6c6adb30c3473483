import { describe, expect, it } from 'vitest';
import { DEMO_PHARMACIES, SIGN_IN_EXPIRED_MESSAGE } from '../../adapters/simulator/index.js';
import { infcode, startTestSimulator, Till } from './helpers.js';

const query = { data: { mdtrt_cert_type: '02' as const, mdtrt_cert_no: '', psn_cert_type: '01' } };

describe('sign-in (9001/9002)', () => {
  it('refuses business before sign-in with the exact sign-in-expired text', async () => {
    const { simulator, url } = await startTestSimulator();
    const till = new Till(url, simulator);
    const res = await till.call('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } });
    expect(infcode(res)).toBe(-2);
    expect(res.err_msg).toBe(SIGN_IN_EXPIRED_MESSAGE);
  });

  it('answers 9001 with a sign_no and the CST sign time, and then accepts business', async () => {
    const { simulator, url } = await startTestSimulator();
    const till = new Till(url, simulator);
    const signIn = await till.call('9001', {
      signIn: { opter_no: 'OP7', mac: '00-1A-2B-3C-4D-5E', ip: '192.168.1.20' },
    });
    expect(infcode(signIn)).toBe(0);
    expect(signIn.err_msg).toBeNull();
    expect(signIn.output.signinoutb.sign_time).toBe('2026-11-23 10:00:00');
    expect(signIn.output.signinoutb.sign_no).toMatch(/^\d{24}$/);
    till.signNo = signIn.output.signinoutb.sign_no;
    const res = await till.call('1101', { data: { ...query.data, mdtrt_cert_no: '11010519491231002X' } });
    // Signed in: the refusal is about the person now, not the session.
    expect(res.err_msg).not.toBe(SIGN_IN_EXPIRED_MESSAGE);
  });

  it('expires a sign-in after signInTtlMs', async () => {
    const { simulator, url } = await startTestSimulator({ signInTtlMs: 60_000 });
    const till = new Till(url, simulator);
    await till.signIn();
    const body = { data: { drug_trac_codg: ['81000010000000000001'] } };
    expect(infcode(await till.call('YG05', body))).toBe(0);
    simulator.advance(60_000);
    const res = await till.call('YG05', body);
    expect(infcode(res)).toBe(-2);
    expect(res.err_msg).toBe(SIGN_IN_EXPIRED_MESSAGE);
    await till.signIn();
    expect(infcode(await till.call('YG05', body))).toBe(0);
  });

  it('refuses an unknown sign_no, and one that signed out (9002)', async () => {
    const { simulator, url } = await startTestSimulator();
    const till = new Till(url, simulator);
    const body = { data: { drug_trac_codg: ['81000010000000000001'] } };
    till.signNo = '202611231000000000011234';
    expect((await till.call('YG05', body)).err_msg).toBe(SIGN_IN_EXPIRED_MESSAGE);
    const signNo = await till.signIn();
    expect(infcode(await till.call('9002', { signOut: { sign_no: signNo, opter_no: 'OP7' } }))).toBe(0);
    expect((await till.call('YG05', body)).err_msg).toBe(SIGN_IN_EXPIRED_MESSAGE);
  });

  it("refuses another pharmacy's sign_no", async () => {
    const { simulator, url } = await startTestSimulator();
    const other = new Till(url, simulator, { pharmacy: DEMO_PHARMACIES.suspended });
    const signNo = await other.signIn();
    const till = new Till(url, simulator);
    till.signNo = signNo;
    expect((await till.call('YG05', { data: { drug_trac_codg: ['81000010000000000001'] } })).err_msg).toBe(
      SIGN_IN_EXPIRED_MESSAGE,
    );
  });
});
