import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { SignedRulePackSchema } from '../../src/schemas/index.js';
import {
  canonicalJson,
  ed25519KeyPairFromSeed,
  fromBase64Url,
  toBase64Url,
  verifyEd25519,
} from '../../src/crypto/index.js';
import {
  DEMO_PHARMACIES,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
} from '../../adapters/simulator/index.js';
import { PLATFORM_KEY_SEED } from '../../adapters/simulator/keys.js';
import { infcode, startTestSimulator, Till } from './helpers.js';

describe('YG03 rule-pack download', () => {
  it('serves a pack signed by the platform key over its canonical JSON, without sign-in', async () => {
    const { simulator, url } = await startTestSimulator({ rulePackVersion: 3 });
    const till = new Till(url, simulator);
    const res = await till.call('YG03', { data: { admdvs: '220100', cur_ver: 0 } });
    expect(infcode(res)).toBe(0);
    const signed = z.parse(SignedRulePackSchema, res.output.pack);
    expect(signed.keyId).toBe(SIMULATOR_PLATFORM_KEY_ID);
    expect(signed.pack).toMatchObject({ format: 'yibao-guard.rule-pack/1', version: 3, area: '220100' });
    expect(signed.pack.keyDrugs).toContainEqual({ kind: 'western', name: '阿托伐他汀', dosageForm: '口服常释剂型' });
    expect(signed.pack.keyDrugs.filter((d) => d.name === '连花清瘟片（胶囊、颗粒）')).toHaveLength(1);
    const message = new TextEncoder().encode(canonicalJson(signed.pack));
    expect(await verifyEd25519(message, fromBase64Url(signed.sig), fromBase64Url(SIMULATOR_PLATFORM_PUBLIC_KEY))).toBe(
      true,
    );
    const tampered = new TextEncoder().encode(canonicalJson({ ...signed.pack, version: 4 }));
    expect(await verifyEd25519(tampered, fromBase64Url(signed.sig), fromBase64Url(SIMULATOR_PLATFORM_PUBLIC_KEY))).toBe(
      false,
    );
  });

  it('answers null when the terminal already has the current version', async () => {
    const { simulator, url } = await startTestSimulator({ rulePackVersion: 3 });
    const till = new Till(url, simulator);
    expect((await till.call('YG03', { data: { admdvs: '220100', cur_ver: 3 } })).output).toEqual({ pack: null });
    expect((await till.call('YG03', { data: { admdvs: '220100', cur_ver: 9 } })).output).toEqual({ pack: null });
  });

  it('serves what was published: a new version with its own dates, addressed to some pharmacies only; reset goes back', async () => {
    const { simulator, url } = await startTestSimulator({ rulePackVersion: 1 });
    const active = new Till(url, simulator);
    const suspended = new Till(url, simulator, { pharmacy: DEMO_PHARMACIES.suspended });
    const validFrom = Date.UTC(2028, 0, 1) - 8 * 3600_000;
    const validUntil = Date.UTC(2029, 0, 1) - 8 * 3600_000;
    simulator.publishRulePack({ version: 2, validFrom, validUntil, pharmacies: [DEMO_PHARMACIES.active.code] });
    const res = await active.call('YG03', { data: { admdvs: '220100', cur_ver: 1 } });
    const signed = z.parse(SignedRulePackSchema, res.output.pack);
    expect(signed.pack).toMatchObject({
      version: 2,
      area: '220100',
      validFrom,
      validUntil,
      pharmacies: [DEMO_PHARMACIES.active.code],
    });
    // Signed over the fields as served, the scope among them.
    expect(
      await verifyEd25519(
        new TextEncoder().encode(canonicalJson(res.output.pack.pack)),
        fromBase64Url(signed.sig),
        fromBase64Url(SIMULATOR_PLATFORM_PUBLIC_KEY),
      ),
    ).toBe(true);
    // A pharmacy the pack is not addressed to is not served it.
    expect((await suspended.call('YG03', { data: { admdvs: '220100', cur_ver: 1 } })).output).toEqual({ pack: null });
    expect(() => simulator.publishRulePack({ version: 0 })).toThrow(RangeError);
    simulator.reset();
    expect(
      z.parse(SignedRulePackSchema, (await active.call('YG03', { data: { admdvs: '220100', cur_ver: 0 } })).output.pack)
        .pack,
    ).not.toHaveProperty('pharmacies');
    expect((await active.call('YG03', { data: { admdvs: '220100', cur_ver: 1 } })).output).toEqual({ pack: null });
  });

  it('exports the public key of its fixed seed', async () => {
    expect(toBase64Url((await ed25519KeyPairFromSeed(PLATFORM_KEY_SEED)).publicKey)).toBe(
      SIMULATOR_PLATFORM_PUBLIC_KEY,
    );
  });
});
