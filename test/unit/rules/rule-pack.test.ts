/**
 * Signed rule packs (YG03): seed 004（十一）"动态调整智能监管规则" — a pack is swapped without a release, but only a
 * genuine, newer, current one; on any refusal the pack in force stays in force.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, installRulePack, loadRulePack, TERMINAL_NAMES, verifyRulePack, type RulePack, type SignedRulePack, type Storage, type TerminalLayout, type TrustedKey } from '../../../src/engine.js';
import { barePack, cst, expectCode, NOW, signPack, testTrusted } from './helpers.js';

const pack = (version: number, extra: Partial<RulePack> = {}): RulePack => barePack({ 'days-supply': { enabled: true, params: { ordinaryDays: 7 } } }, { packId: 'TEST-220100', version, ...extra });

let storage: Storage<TerminalLayout>;
let trusted: TrustedKey[];
beforeEach(async () => {
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
  trusted = await testTrusted();
});
afterEach(async () => {
  await storage.close();
});

const install = (signed: unknown, now = NOW) => installRulePack(storage, signed, { trusted, now });
const load = (now = NOW) => loadRulePack(storage, { trusted, now });

/** Installs v1 and checks it is in force. */
async function withV1(): Promise<SignedRulePack> {
  const v1 = await signPack(pack(1));
  await install(v1);
  expect((await load())?.version).toBe(1);
  return v1;
}

/** Whatever was refused, v1 is still the pack in force. */
async function expectV1InForce(): Promise<void> {
  expect((await load())?.version).toBe(1);
  expect((await storage.list('rulePacks')).map((r) => r.key)).toEqual(['current', 'v00000001']);
}

describe('verifyRulePack / installRulePack / loadRulePack', () => {
  it('a valid pack verifies and returns the pack as signed', async () => {
    const signed = await signPack(pack(1));
    const verified = await verifyRulePack(signed, trusted, NOW);
    expect(verified.pack).toEqual(signed.pack);
    expect(verified.keyId).toBe(trusted[0]!.keyId);
  });

  it('a valid newer pack installs and is then the one in force; every version is kept', async () => {
    await withV1();
    const installed = await install(await signPack(pack(2)));
    expect(installed.version).toBe(2);
    expect((await load())?.version).toBe(2);
    expect((await storage.list('rulePacks')).map((r) => r.key)).toEqual(['current', 'v00000001', 'v00000002']);
  });

  it('a bad signature → RULE_PACK_INVALID_SIGNATURE; the previous pack stays in force', async () => {
    await withV1();
    const v2 = await signPack(pack(2));
    const otherSig = (await signPack(pack(3))).sig;
    await expectCode(install({ ...v2, sig: otherSig }), 'RULE_PACK_INVALID_SIGNATURE');
    // The same signature over a pack changed after signing (a threshold loosened).
    await expectCode(install({ ...v2, pack: { ...v2.pack, rules: { 'days-supply': { enabled: true, params: { ordinaryDays: 60 } } } } }), 'RULE_PACK_INVALID_SIGNATURE');
    await expectV1InForce();
  });

  it('a pack signed by an untrusted key, or by another key under the trusted id → RULE_PACK_INVALID_SIGNATURE; the previous pack stays in force', async () => {
    await withV1();
    const untrusted = await expectCode(install(await signPack(pack(2), { keyId: 'ROGUE-1', otherKey: true })), 'RULE_PACK_INVALID_SIGNATURE');
    expect(untrusted.message).toContain('ROGUE-1');
    await expectCode(install(await signPack(pack(2), { otherKey: true })), 'RULE_PACK_INVALID_SIGNATURE');
    await expectV1InForce();
  });

  it('an older or equal version → RULE_PACK_STALE; the previous pack stays in force', async () => {
    await withV1();
    await install(await signPack(pack(3)));
    await expectCode(install(await signPack(pack(3))), 'RULE_PACK_STALE');
    await expectCode(install(await signPack(pack(2))), 'RULE_PACK_STALE');
    expect((await load())?.version).toBe(3);
  });

  it('an expired pack, or one not yet valid → RULE_PACK_EXPIRED; the previous pack stays in force', async () => {
    await withV1();
    const expired = pack(2, { validFrom: cst(2025, 1, 1), validUntil: cst(2026, 11, 23, 9, 59) });
    const future = pack(3, { validFrom: cst(2026, 11, 24), validUntil: cst(2027, 11, 24) });
    const error = await expectCode(install(await signPack(expired)), 'RULE_PACK_EXPIRED');
    expect(error.messageZh).toContain('继续使用原规则包');
    await expectCode(install(await signPack(future)), 'RULE_PACK_EXPIRED');
    await expectV1InForce();
    // The one not yet valid installs once its day comes.
    expect((await install(await signPack(future), cst(2026, 11, 24, 0, 1))).version).toBe(3);
  });

  it('a malformed pack → INVALID_INPUT; the previous pack stays in force', async () => {
    await withV1();
    await expectCode(install({ pack: { ...pack(2), format: 'yibao-guard.rule-pack/9' }, keyId: 'X', sig: 'AAAA' }), 'INVALID_INPUT');
    await expectCode(install('not a pack'), 'INVALID_INPUT');
    await expectCode(install({ ...(await signPack(pack(2))), sig: undefined }), 'INVALID_INPUT');
    await expectCode(install(await signPack(pack(2, { validUntil: cst(2025, 1, 1) }))), 'INVALID_INPUT');
    await expectV1InForce();
  });

  it('a genuine pack whose rule parameters the engine refuses → INVALID_INPUT naming the rule; the previous pack stays in force', async () => {
    await withV1();
    const bad = barePack({ 'amount-limit': { enabled: true, params: { maxSaleFen: 200_000 } } }, { packId: 'TEST-220100', version: 2 });
    const error = await expectCode(install(await signPack(bad)), 'INVALID_INPUT');
    expect(error.field).toBe('rules.amount-limit.params');
    await expectV1InForce();
  });

  it('a pack tampered in storage no longer loads', async () => {
    await withV1();
    const current = (await storage.get('rulePacks', 'current'))!;
    const stored = current.value as SignedRulePack;
    const tampered = { ...stored, pack: { ...stored.pack, rules: {} } };
    await storage.write([{ op: 'put', store: 'rulePacks', key: 'current', value: tampered, expect: current.rev }]);
    expect(await load()).toBeUndefined();
  });

  it('nothing installed loads as undefined; a stored pack past its dates no longer loads', async () => {
    expect(await load()).toBeUndefined();
    await withV1();
    expect(await load(cst(2028, 1, 1))).toBeUndefined();
  });
});
