import { describe, expect, it } from 'vitest';
import { DEMO_PEOPLE } from '../../adapters/simulator/index.js';
import { infcode, line, personArea, preSettleAndSettle, settleInput, signedInTill, voucherCert } from './helpers.js';

const { active } = DEMO_PEOPLE;

describe('2103 settlement cancellation', () => {
  it('cancels a settlement and gives the account back; a second cancel is refused', async () => {
    const { till, simulator } = await signedInTill();
    const before = simulator.balance('active');
    const { settled } = await preSettleAndSettle(till, active, voucherCert(simulator, 'active'), [
      line('阿托伐他汀钙片', 2),
    ]);
    const { setl_id, mdtrt_id } = settled.output.setlinfo;
    expect(simulator.balance('active')).toBeLessThan(before);
    const cancel = await till.call('2103', { data: { setl_id, mdtrt_id, psn_no: active.psnNo } }, personArea(active));
    expect(infcode(cancel)).toBe(0);
    expect(cancel.output.setlinfo).toMatchObject({ init_setl_id: setl_id, mdtrt_id, medfee_sumamt: -57.4 });
    expect(cancel.output.setlinfo.setl_id).toMatch(/^CX/);
    expect(simulator.balance('active')).toBe(before);
    expect(simulator.settlements()[0]).toMatchObject({ status: 'cancelled', cancelled: { by: '2103' } });
    const again = await till.call('2103', { data: { setl_id, mdtrt_id, psn_no: active.psnNo } }, personArea(active));
    expect(infcode(again)).toBe(-2);
    expect(again.err_msg).toMatch(/已撤销.* \/ this settlement was already cancelled/);
    expect(simulator.balance('active')).toBe(before);
  });

  it('refuses an unknown setl_id and a mismatched mdtrt_id', async () => {
    const { till, simulator } = await signedInTill();
    const { settled } = await preSettleAndSettle(till, active, voucherCert(simulator, 'active'), [
      line('苯磺酸氨氯地平片', 1),
    ]);
    const { setl_id } = settled.output.setlinfo;
    expect(
      (await till.call('2103', { data: { setl_id: 'ST0', mdtrt_id: 'MD0', psn_no: active.psnNo } }, personArea(active)))
        .err_msg,
    ).toMatch(/未找到该结算记录/);
    expect(
      (await till.call('2103', { data: { setl_id, mdtrt_id: 'MD0', psn_no: active.psnNo } }, personArea(active)))
        .err_msg,
    ).toMatch(/就诊ID或人员编号/);
  });
});

describe('2601 reversal (冲正)', () => {
  it('reverses a 2102 whose answer was lost: as if cancelled, and the account is whole again', async () => {
    const { till, simulator } = await signedInTill();
    const before = simulator.balance('active');
    const input = settleInput(active, voucherCert(simulator, 'active'), [line('阿托伐他汀钙片', 2)]);
    expect(infcode(await till.call('2101', input, personArea(active)))).toBe(0);
    simulator.faults.add({ infno: '2102', kind: 'lose-response' });
    const env = till.envelope('2102', input, personArea(active));
    await expect(till.post(env)).rejects.toThrow();
    expect(simulator.balance('active')).toBeLessThan(before);
    const res = await till.call(
      '2601',
      { data: { psn_no: active.psnNo, omsgid: env['msgid'] as string, oinfno: '2102' } },
      personArea(active),
    );
    expect(infcode(res)).toBe(0);
    expect(simulator.balance('active')).toBe(before);
    expect(simulator.settlements()[0]).toMatchObject({ status: 'cancelled', cancelled: { by: '2601' } });
    const twice = await till.call(
      '2601',
      { data: { psn_no: active.psnNo, omsgid: env['msgid'] as string, oinfno: '2102' } },
      personArea(active),
    );
    expect(twice.err_msg).toMatch(/已撤销或已冲正/);
  });

  it('refuses to reverse an omsgid the platform never committed', async () => {
    const { till } = await signedInTill();
    const res = await till.call(
      '2601',
      { data: { psn_no: active.psnNo, omsgid: till.nextMsgid(), oinfno: '2102' } },
      personArea(active),
    );
    expect(infcode(res)).toBe(-2);
    expect(res.err_msg).toMatch(/^原交易不存在或未成功.* \/ no successful transaction with this omsgid/);
  });

  it('reverses a 2103: the settlement stands again and the account pays again', async () => {
    const { till, simulator } = await signedInTill();
    const before = simulator.balance('active');
    const { settled } = await preSettleAndSettle(till, active, voucherCert(simulator, 'active'), [
      line('阿托伐他汀钙片', 1),
    ]);
    const after = simulator.balance('active');
    const { setl_id, mdtrt_id } = settled.output.setlinfo;
    const env = till.envelope('2103', { data: { setl_id, mdtrt_id, psn_no: active.psnNo } }, personArea(active));
    expect(infcode((await till.post(env)).json)).toBe(0);
    expect(simulator.balance('active')).toBe(before);
    expect(
      (
        await till.call(
          '2601',
          { data: { psn_no: active.psnNo, omsgid: env['msgid'] as string, oinfno: '2102' } },
          personArea(active),
        )
      ).err_msg,
    ).toMatch(/原交易类型/);
    expect(
      infcode(
        await till.call(
          '2601',
          { data: { psn_no: active.psnNo, omsgid: env['msgid'] as string, oinfno: '2103' } },
          personArea(active),
        ),
      ),
    ).toBe(0);
    expect(simulator.balance('active')).toBe(after);
    expect(simulator.settlements()[0]?.status).toBe('settled');
  });
});
