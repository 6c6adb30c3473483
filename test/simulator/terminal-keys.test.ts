import { describe, expect, it } from 'vitest';
import { createEd25519Signer, ed25519KeyPairFromSeed, toBase64Url, type Signer } from '../../src/crypto/index.js';
import { keyHandoverText } from '../../adapters/simulator/index.js';
import { infcode, signedInTill, T0 } from './helpers.js';

async function signer(keyId: string, fill: number): Promise<Signer> {
  return createEd25519Signer(keyId, await ed25519KeyPairFromSeed(new Uint8Array(32).fill(fill)));
}
const register = (s: Signer, handover_sig?: string) => ({
  data: {
    terminal_id: 'T01',
    key_id: s.keyId,
    pubkey: toBase64Url(s.publicKey),
    begntime: T0,
    ...(handover_sig ? { handover_sig } : {}),
  },
});
const query = { data: { drug_trac_codg: ['81000010000000000001'] } };

describe('YG04 terminal keys and cainfo', () => {
  it('requires a valid cainfo from a terminal once it registered a key', async () => {
    const { till, simulator } = await signedInTill();
    const k1 = await signer('T01-K1', 1);
    expect(infcode(await till.call('YG04', register(k1)))).toBe(0);
    expect(simulator.terminalKeys()).toMatchObject([{ fixmedinsCode: 'P22010100001', devNo: 'T01', keyId: 'T01-K1' }]);

    const unsigned = await till.call('YG05', query);
    expect(infcode(unsigned)).toBe(-2);
    expect(unsigned.err_msg).toMatch(/须携带签名 cainfo/);

    till.signer = k1;
    expect(infcode(await till.call('YG05', query))).toBe(0);

    till.signer = await signer('T01-K1', 2);
    expect((await till.call('YG05', query)).err_msg).toMatch(/报文签名校验失败/);

    // A signature over another body does not pass either.
    till.signer = k1;
    const env = await till.sign(till.envelope('YG05', query));
    expect((await till.post(JSON.stringify({ ...env, opter: 'OP8' }))).json.err_msg).toMatch(/报文签名校验失败/);
  });

  it('leaves other terminals of the pharmacy alone', async () => {
    const { till, simulator, url } = await signedInTill();
    expect(infcode(await till.call('YG04', register(await signer('T01-K1', 1))))).toBe(0);
    const { Till } = await import('./helpers.js');
    const other = new Till(url, simulator, { devNo: 'T02', firstSeq: 500 });
    other.signNo = till.signNo;
    expect(infcode(await other.call('YG05', query))).toBe(0);
  });

  it('rotates a key only with a handover signature of the previous key', async () => {
    const { till, simulator } = await signedInTill();
    const k1 = await signer('T01-K1', 1);
    const k2 = await signer('T01-K2', 2);
    expect(infcode(await till.call('YG04', register(k1)))).toBe(0);
    till.signer = k1;
    expect((await till.call('YG04', register(k2))).err_msg).toMatch(/handover_sig/);
    const forged = toBase64Url(
      await k2.sign(new TextEncoder().encode(keyHandoverText('T01-K2', toBase64Url(k2.publicKey)))),
    );
    expect((await till.call('YG04', register(k2, forged))).err_msg).toMatch(/交接签名 handover_sig 校验失败/);
    const handover = toBase64Url(
      await k1.sign(new TextEncoder().encode(keyHandoverText('T01-K2', toBase64Url(k2.publicKey)))),
    );
    expect(infcode(await till.call('YG04', register(k2, handover)))).toBe(0);
    expect(simulator.terminalKeys()[0]).toMatchObject({ keyId: 'T01-K2', previous: [{ keyId: 'T01-K1' }] });
    expect(infcode(await till.call('YG05', query))).toBe(-2);
    till.signer = k2;
    expect(infcode(await till.call('YG05', query))).toBe(0);
    expect(simulator.committed('YG04')).toHaveLength(2);
  });

  it('needs dev_no to register a key', async () => {
    const { till } = await signedInTill();
    const res = await till.post(till.envelope('YG04', register(await signer('T01-K1', 1)), { dev_no: undefined }));
    expect(res.json.err_msg).toMatch(/dev_no/);
  });
});
