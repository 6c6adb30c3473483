import { describe, expect, it } from 'vitest';
import { isValidAreaCode } from '../../src/codes/index.js';
import { EcTokenSchema } from '../../src/schemas/index.js';
import { DEMO_PEOPLE } from '../../adapters/simulator/index.js';
import { infcode, line, personArea, preSettleAndSettle, settleInput, signedInTill, T0 } from './helpers.js';

const { active } = DEMO_PEOPLE;

describe('e-voucher tokens', () => {
  it('issues a QR of ecqr: + a token of the area code and 32 letters and digits, valid tokenTtlMs', async () => {
    const { simulator } = await signedInTill({ tokenTtlMs: 90_000 });
    const ticket = simulator.issueVoucher('nonlocal');
    expect(ticket.qr).toBe(`ecqr:${ticket.ecToken}`);
    expect(ticket.ecToken).toMatch(/^440300[0-9A-Za-z]{32}$/);
    expect(EcTokenSchema.safeParse(ticket.ecToken).success).toBe(true);
    expect(isValidAreaCode(ticket.ecToken.slice(0, 6))).toBe(true);
    expect(ticket.expiresAt).toBe(T0 + 90_000);
    expect(simulator.issueVoucher('nonlocal').ecToken).not.toBe(ticket.ecToken);
  });

  it('refuses a token after tokenTtlMs, at 1101 and at 2101', async () => {
    const { till, simulator } = await signedInTill();
    const { ecToken } = simulator.issueVoucher('active');
    simulator.advance(5 * 60_000);
    const query = await till.call('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: ecToken } });
    expect(infcode(query)).toBe(-2);
    expect(query.err_msg).toMatch(/电子凭证已过期.* \/ the e-voucher has expired/);
    const pre = await till.call(
      '2101',
      settleInput(active, { type: '01', no: ecToken }, [line('苯磺酸氨氯地平片', 1)]),
      personArea(active),
    );
    expect(pre.err_msg).toMatch(/已过期/);
  });

  it('refuses a 2102 when the token expired after its 2101', async () => {
    const { till, simulator } = await signedInTill();
    const input = settleInput(active, { type: '01', no: simulator.issueVoucher('active').ecToken }, [
      line('苯磺酸氨氯地平片', 1),
    ]);
    expect(infcode(await till.call('2101', input, personArea(active)))).toBe(0);
    simulator.advance(5 * 60_000 + 1);
    expect((await till.call('2102', input, personArea(active))).err_msg).toMatch(/已过期/);
    expect(simulator.settlements()).toHaveLength(0);
  });

  it('refuses a token once a settlement used it (single sale), even after that settlement is cancelled', async () => {
    const { till, simulator } = await signedInTill();
    const cert = { type: '01' as const, no: simulator.issueVoucher('active').ecToken };
    const { settled } = await preSettleAndSettle(till, active, cert, [line('苯磺酸氨氯地平片', 1)]);
    const reuse = await till.call('2101', settleInput(active, cert, [line('阿司匹林肠溶片', 1)]), personArea(active));
    expect(infcode(reuse)).toBe(-2);
    expect(reuse.err_msg).toMatch(/电子凭证已用于一笔结算/);
    const { setl_id, mdtrt_id } = settled.output.setlinfo;
    expect(
      infcode(await till.call('2103', { data: { setl_id, mdtrt_id, psn_no: active.psnNo } }, personArea(active))),
    ).toBe(0);
    expect(infcode(await till.call('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: cert.no } }))).toBe(-2);
  });
});
