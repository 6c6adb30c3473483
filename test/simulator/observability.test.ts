import { describe, expect, it } from 'vitest';
import { maskResidentId } from '../../src/codes/index.js';
import { DEMO_PEOPLE, DEMO_TRACE_CODES } from '../../adapters/simulator/index.js';
import { infcode, line, preSettleAndSettle, saleRecord, signedInTill, voucherCert } from './helpers.js';

const everyName = Object.values(DEMO_PEOPLE).map((p) => p.name);
const everyId = Object.values(DEMO_PEOPLE).map((p) => p.residentId);

describe('received() and committed()', () => {
  it('hold no 身份证 numbers or names, whatever the requests carried', async () => {
    const { till, simulator, url } = await signedInTill();
    const lines: string[] = [];
    await till.call('1101', {
      data: { mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PEOPLE.active.residentId, psn_name: DEMO_PEOPLE.active.name },
    });
    await preSettleAndSettle(till, DEMO_PEOPLE.active, { type: '02', no: DEMO_PEOPLE.active.residentId }, [
      line('阿托伐他汀钙片', 1),
    ]);
    await till.call('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[0] as string]));
    const committed = simulator.committed();
    expect(committed.map((c) => c.infno)).toEqual(['2102', '3505']);
    const sale = committed[1]?.input as { selinfo: Record<string, unknown> };
    expect(sale.selinfo['psn_name']).toBe('李**');
    expect(sale.selinfo['certno']).toBe(maskResidentId(DEMO_PEOPLE.active.residentId));
    const state = await (await fetch(`${url}/__sim/state`)).text();
    lines.push(JSON.stringify(simulator.received()), JSON.stringify(committed), state);
    for (const text of lines) {
      for (const name of everyName) expect(text).not.toContain(name);
      for (const id of everyId) expect(text).not.toContain(id);
    }
  });

  it('lists every request in order with its outcome and the committed records with their msgids', async () => {
    const { till, simulator } = await signedInTill();
    const env = till.envelope('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[0] as string]));
    await till.post(env);
    await till.post(env);
    await till.call('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.resold]));
    expect(simulator.received().map((r) => [r.infno, r.terminal, r.outcome, r.duplicate])).toEqual([
      ['9001', 'T01', 0, false],
      ['3505', 'T01', 0, false],
      ['3505', 'T01', 0, true],
      ['3505', 'T01', -2, false],
    ]);
    expect(simulator.committed()).toMatchObject([
      { seq: 1, infno: '3505', msgid: env['msgid'], fixmedinsCode: 'P22010100001', terminal: 'T01' },
    ]);
    expect((simulator.committed()[0]?.input as { selinfo: { sel_retn_time: number } }).selinfo.sel_retn_time).toBe(
      simulator.now(),
    );
  });

  it('logs one line per request, duplicates marked, names never', async () => {
    const lines: string[] = [];
    const { till } = await signedInTill({ log: (l) => lines.push(l) });
    const env = till.envelope('1101', {
      data: { mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PEOPLE.active.residentId },
    });
    await till.post(env);
    await till.post(env);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/1101 P22010100001\d{18} dev=T01 → infcode 0 \(duplicate msgid: first answer repeated\)/);
    expect(lines.join('\n')).not.toContain(DEMO_PEOPLE.active.residentId);
  });

  it('reset() brings back the seeded state', async () => {
    const { till, simulator } = await signedInTill();
    const before = simulator.balance('active');
    await preSettleAndSettle(till, DEMO_PEOPLE.active, voucherCert(simulator, 'active'), [line('阿托伐他汀钙片', 1)]);
    simulator.faults.add({ kind: 'rate-limit', times: Infinity });
    simulator.advance(1000);
    simulator.reset();
    expect(simulator.balance('active')).toBe(before);
    expect(simulator.settlements()).toEqual([]);
    expect(simulator.received()).toEqual([]);
    expect(simulator.faults.list()).toEqual([]);
    expect(simulator.soldTraceCodes().map((s) => s.code)).toEqual([DEMO_TRACE_CODES.resold]);
    // The old sign-in is gone with the rest.
    expect(infcode(await till.call('YG05', { data: { drug_trac_codg: [DEMO_TRACE_CODES.resold] } }))).toBe(-2);
  });

  it('issues vouchers and moves time through the control API', async () => {
    const { simulator, url } = await signedInTill();
    const ticket = (await (
      await fetch(`${url}/__sim/issue-voucher`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ person: 'chronic' }),
      })
    ).json()) as { qr: string };
    expect(ticket.qr).toMatch(/^ecqr:220100[0-9A-Za-z]{32}$/);
    expect(
      (
        await fetch(`${url}/__sim/issue-voucher`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"person":"nobody"}',
        })
      ).status,
    ).toBe(400);
    const before = simulator.now();
    await fetch(`${url}/__sim/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ms":60000}',
    });
    expect(simulator.now()).toBe(before + 60_000);
    const received = (await (await fetch(`${url}/__sim/received`)).json()) as unknown[];
    expect(received).toHaveLength(1);
  });
});
