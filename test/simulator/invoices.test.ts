import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../src/crypto/index.js';
import { infcode, signedInTill } from './helpers.js';

const record = (total: number) => ({
  body: { v: 1, kind: 'sale', seq: 1, split: { totalFen: total } },
  sig: 'x'.repeat(86),
});

describe('YG01 invoice upload and YG02 verification', () => {
  it('stores an invoice by pharmacy, terminal and seq, and verifies it: 1 found, 2 altered, 0 unknown', async () => {
    const { till, simulator } = await signedInTill();
    const hash = await sha256Hex(canonicalJson(record(5740)));
    const up = await till.call('YG01', { invoice: { terminal_id: 'T01', seq: 1, hash, record: record(5740) } });
    expect(infcode(up)).toBe(0);
    expect(up.output).toEqual({ accepted: '1', hash });
    expect(simulator.invoices()).toMatchObject([{ fixmedinsCode: 'P22010100001', terminalId: 'T01', seq: 1, hash }]);
    const verify = async (seq: number, h: string) =>
      (await till.call('YG02', { data: { fixmedins_code: 'P22010100001', terminal_id: 'T01', seq, hash: h } })).output;
    expect(await verify(1, hash)).toEqual({ result: '1', upload_time: '2026-11-23 10:00:00' });
    expect((await verify(1, await sha256Hex('altered'))).result).toBe('2');
    expect(await verify(2, hash)).toEqual({ result: '0', upload_time: null });
  });

  it('accepts the same upload again and refuses another record under the same seq', async () => {
    const { till, simulator } = await signedInTill();
    const hash = await sha256Hex(canonicalJson(record(5740)));
    expect(
      infcode(await till.call('YG01', { invoice: { terminal_id: 'T01', seq: 7, hash, record: record(5740) } })),
    ).toBe(0);
    expect(
      infcode(await till.call('YG01', { invoice: { terminal_id: 'T01', seq: 7, hash, record: record(5740) } })),
    ).toBe(0);
    const other = await sha256Hex(canonicalJson(record(1)));
    const res = await till.call('YG01', { invoice: { terminal_id: 'T01', seq: 7, hash: other, record: record(1) } });
    expect(infcode(res)).toBe(-2);
    expect(res.err_msg).toMatch(/已上传过不同内容/);
    expect(simulator.committed('YG01')).toHaveLength(1);
  });

  it("refuses a hash that is not the record's", async () => {
    const { till } = await signedInTill();
    const res = await till.call('YG01', {
      invoice: { terminal_id: 'T01', seq: 1, hash: await sha256Hex('other'), record: record(5740) },
    });
    expect(res.err_msg).toMatch(/票据哈希与票据内容不符/);
  });

  it('lets anyone verify without signing in (an auditor holding a receipt)', async () => {
    const { till } = await signedInTill();
    till.signNo = undefined;
    const res = await till.call('YG02', {
      data: { fixmedins_code: 'P22010100001', terminal_id: 'T01', seq: 1, hash: await sha256Hex('x') },
    });
    expect(infcode(res)).toBe(0);
  });
});
