import { describe, expect, it } from 'vitest';
import { DEMO_PEOPLE, DEMO_TRACE_CODES, SIGN_IN_EXPIRED_MESSAGE } from '../../adapters/simulator/index.js';
import { infcode, line, personArea, saleRecord, settleInput, signedInTill, voucherCert } from './helpers.js';

const { active } = DEMO_PEOPLE;

describe('a repeated msgid is the same message', () => {
  it('answers a repeated 2102 with the byte-identical first answer and settles once', async () => {
    const { till, simulator } = await signedInTill();
    const input = settleInput(active, voucherCert(simulator, 'active'), [line('阿托伐他汀钙片', 2)]);
    expect(infcode(await till.call('2101', input, personArea(active)))).toBe(0);
    const env = till.envelope('2102', input, personArea(active));
    const first = await till.post(env);
    const balance = simulator.balance('active');
    simulator.advance(1500);
    const second = await till.post(env);
    expect(second.text).toBe(first.text);
    expect(simulator.balance('active')).toBe(balance);
    expect(simulator.settlements()).toHaveLength(1);
    expect(simulator.committed('2102')).toHaveLength(1);
    expect(
      simulator
        .received()
        .slice(-2)
        .map((r) => [r.msgid, r.duplicate, r.outcome]),
    ).toEqual([
      [env['msgid'], false, 0],
      [env['msgid'], true, 0],
    ]);
  });

  it('repeats a business refusal too, without running the transaction again', async () => {
    const { till, simulator } = await signedInTill();
    const code = DEMO_TRACE_CODES.resold;
    const env = till.envelope('3505', saleRecord('阿托伐他汀钙片', [code]));
    const first = await till.post(env);
    expect(infcode(first.json)).toBe(-2);
    expect((await till.post(env)).text).toBe(first.text);
    expect(simulator.received().at(-1)?.duplicate).toBe(true);
  });

  it('answers a copy sent while the first is still being handled with the first answer', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ infno: '3505', kind: 'latency', ms: 150 });
    const env = till.envelope('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[0] as string]));
    const [a, b] = await Promise.all([till.post(env), till.post(env)]);
    expect(a.text).toBe(b.text);
    expect(infcode(a.json)).toBe(0);
    expect(simulator.committed('3505')).toHaveLength(1);
  });

  it('refuses the same msgid with a different input', async () => {
    const { till } = await signedInTill();
    const env = till.envelope('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[0] as string]));
    expect(infcode((await till.post(env)).json)).toBe(0);
    const changed = {
      ...env,
      input: till.envelope('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[1] as string]))['input'],
    };
    expect((await till.post(changed)).json.err_msg).toMatch(/msgid 已用于另一笔不同的报文/);
  });

  it('does not remember a message refused at the door: after signing in again the same msgid goes through', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ kind: 'sign-in-expiry' });
    const env = till.envelope('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[0] as string]));
    expect((await till.post(env)).json.err_msg).toBe(SIGN_IN_EXPIRED_MESSAGE);
    await till.signIn();
    const retry = await till.post({ ...env, sign_no: till.signNo });
    expect(infcode(retry.json)).toBe(0);
    expect(simulator.committed('3505')).toHaveLength(1);
  });
});
