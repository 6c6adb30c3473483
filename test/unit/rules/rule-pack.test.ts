/**
 * Signed rule packs (YG03): seed 004（十一）"动态调整智能监管规则" — a pack is swapped without a release, but only a
 * genuine, newer, current one; on any refusal the pack in force stays in force.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES, type Storage, type TerminalLayout } from '../../../src/index.js';
import type { RulePack, SignedRulePack } from '../../../src/schemas/index.js';
import { installRulePack, loadRulePack, storedRulePack, verifyRulePack, type TrustedKey } from '../../../src/engine.js';
import { barePack, cst, expectCode, NOW, signPack, testTrusted } from './helpers.js';

const pack = (version: number, extra: Partial<RulePack> = {}): RulePack =>
  barePack(
    { 'days-supply': { enabled: true, params: { ordinaryDays: 7 } } },
    { packId: 'TEST-220100', version, ...extra },
  );

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
    await expectCode(
      install({
        ...v2,
        pack: { ...v2.pack, rules: { 'days-supply': { enabled: true, params: { ordinaryDays: 60 } } } },
      }),
      'RULE_PACK_INVALID_SIGNATURE',
    );
    await expectV1InForce();
  });

  it('a pack signed by an untrusted key, or by another key under the trusted id → RULE_PACK_INVALID_SIGNATURE; the previous pack stays in force', async () => {
    await withV1();
    const untrusted = await expectCode(
      install(await signPack(pack(2), { keyId: 'ROGUE-1', otherKey: true })),
      'RULE_PACK_INVALID_SIGNATURE',
    );
    expect(untrusted.message).toContain('ROGUE-1');
    await expectCode(install(await signPack(pack(2), { otherKey: true })), 'RULE_PACK_INVALID_SIGNATURE');
    await expectV1InForce();
  });

  it('an older version, or an equal one with other content → RULE_PACK_STALE; the previous pack stays in force', async () => {
    await withV1();
    await install(await signPack(pack(3)));
    await expectCode(install(await signPack(pack(3, { issuedAt: cst(2026, 2, 1) }))), 'RULE_PACK_STALE');
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
    await expectCode(
      install({ pack: { ...pack(2), format: 'yibao-guard.rule-pack/9' }, keyId: 'X', sig: 'AAAA' }),
      'INVALID_INPUT',
    );
    await expectCode(install('not a pack'), 'INVALID_INPUT');
    await expectCode(install({ ...(await signPack(pack(2))), sig: undefined }), 'INVALID_INPUT');
    await expectCode(install(await signPack(pack(2, { validUntil: cst(2025, 1, 1) }))), 'INVALID_INPUT');
    await expectV1InForce();
  });

  it('a genuine pack whose rule parameters the engine refuses → INVALID_INPUT naming the rule; the previous pack stays in force', async () => {
    await withV1();
    const bad = barePack(
      { 'amount-limit': { enabled: true, params: { maxSaleFen: 200_000 } } },
      { packId: 'TEST-220100', version: 2 },
    );
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

/*
 * Issue 15 item 2: a pack applies only where it was issued (area, pharmacy, pack series), a refused pack never moves
 * the version floor, a pack leaves force at its `validUntil` to the millisecond, and the pack a till already has can
 * be installed again (a restart over the same storage).
 */
describe('scope, the version floor and re-installation', () => {
  const HERE = { area: '220100', pharmacy: 'P22010100001' } as const;
  const scoped = (signed: unknown, now = NOW, scope: { area: string; pharmacy: string; packId?: string } = HERE) =>
    installRulePack(storage, signed, { trusted, now, scope });
  const loadHere = (now = NOW) => loadRulePack(storage, { trusted, now, scope: HERE });

  async function v1Here(): Promise<SignedRulePack> {
    const v1 = await signPack(pack(1));
    await scoped(v1);
    return v1;
  }

  it('a genuine pack for another area → RULE_PACK_WRONG_SCOPE naming both areas; nothing stored, and the real v2 still installs', async () => {
    await v1Here();
    const foreign = await signPack(pack(99, { packId: 'TEST-310100', area: '310100' }));
    // Genuine: it verifies on its own.
    expect((await verifyRulePack(foreign, trusted, NOW)).pack.area).toBe('310100');
    const error = await expectCode(scoped(foreign), 'RULE_PACK_WRONG_SCOPE');
    expect(error.message).toContain('310100');
    expect(error.message).toContain('220100');
    expect(error.messageZh).toContain('310100');
    expect(error.messageZh).toContain('继续使用原规则包');
    await expectV1InForce();
    // The floor did not move: the real next version is accepted.
    expect((await scoped(await signPack(pack(2)))).version).toBe(2);
    expect((await loadHere())?.version).toBe(2);
  });

  it('the same area but another pack series → RULE_PACK_WRONG_SCOPE naming the pack ids; the floor stays', async () => {
    await v1Here();
    const otherSeries = await signPack(pack(50, { packId: 'TEST-220100-PILOT' }));
    const error = await expectCode(scoped(otherSeries), 'RULE_PACK_WRONG_SCOPE');
    expect(error.message).toContain('TEST-220100-PILOT');
    expect(error.message).toContain('TEST-220100');
    await expectV1InForce();
    // A till configured for a series refuses another one even with nothing installed.
    await storage.close();
    storage = createMemoryStorage({ names: TERMINAL_NAMES });
    await expectCode(scoped(otherSeries, NOW, { ...HERE, packId: 'TEST-220100' }), 'RULE_PACK_WRONG_SCOPE');
    expect(await storage.list('rulePacks')).toEqual([]);
  });

  it('a pack addressed to other pharmacies → RULE_PACK_WRONG_SCOPE naming the pharmacy; one that names this pharmacy installs', async () => {
    await v1Here();
    const elsewhere = await signPack(pack(7, { pharmacies: ['P22010100009', 'P22010100010'] }));
    const error = await expectCode(scoped(elsewhere), 'RULE_PACK_WRONG_SCOPE');
    expect(error.message).toContain('P22010100001');
    expect(error.messageZh).toContain('P22010100001');
    await expectV1InForce();
    const addressed = await signPack(pack(2, { pharmacies: ['P22010100009', 'P22010100001'] }));
    expect((await scoped(addressed)).pharmacies).toEqual(['P22010100009', 'P22010100001']);
  });

  it('a foreign pack stored before scopes were checked neither loads nor holds the floor', async () => {
    const foreign = await signPack(pack(99, { packId: 'TEST-310100', area: '310100' }));
    // What an earlier version of the till left: the foreign pack stored as current.
    await storage.write([
      { op: 'put', store: 'rulePacks', key: 'v00000099', value: foreign },
      { op: 'put', store: 'rulePacks', key: 'current', value: foreign, expect: null },
    ]);
    expect(await loadHere()).toBeUndefined();
    expect((await scoped(await signPack(pack(1)))).version).toBe(1);
    expect((await loadHere())?.version).toBe(1);
  });

  it('the pack in force installed again (a restart over the same storage) is accepted and changes nothing; an equal version with other content is RULE_PACK_STALE', async () => {
    const v1 = await v1Here();
    const before = await storage.list('rulePacks');
    // The same signed pack, as a fresh till over this storage would install it again.
    const again = await scoped(structuredClone(v1), NOW + 3_600_000);
    expect(again).toEqual(v1.pack);
    expect(await storage.list('rulePacks')).toEqual(before);
    const altered = await signPack(
      pack(1, { rules: { 'days-supply': { enabled: true, params: { ordinaryDays: 9 } } } }),
    );
    const error = await expectCode(scoped(altered), 'RULE_PACK_STALE');
    expect(error.message).toContain('v1');
    await expectV1InForce();
  });

  it('a pack is in force up to the millisecond before validUntil and not at validUntil', async () => {
    const until = cst(2026, 12, 1);
    await scoped(await signPack(pack(1, { validUntil: until })));
    expect((await loadHere(until - 1))?.version).toBe(1);
    expect(await loadHere(until)).toBeUndefined();
    // Still the genuine pack of this till: it is kept (the floor and the record of what was in force), not in force.
    expect((await storedRulePack(storage, { trusted, scope: HERE }))?.version).toBe(1);
    await expectCode(scoped(await signPack(pack(1, { validUntil: until })), until), 'RULE_PACK_EXPIRED');
  });
});
