/**
 * The rule engine against the simulator over real HTTP on 127.0.0.1, with the real platform client: the signed YG03
 * pack downloaded, verified with the simulator's pinned key, installed and compiled; and a sale reviewed locally and
 * by 3101, the two merged into one set of cards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES, type Storage, type TerminalLayout } from '../../src/index.js';
import type { RulePack } from '../../src/schemas/index.js';
import type { PlatformClient } from '../../src/platform/index.js';
import {
  analysisRequest,
  compilePack,
  installRulePack,
  loadRulePack,
  platformFindings,
  verifyRulePack,
} from '../../src/engine.js';
import { PHARMACY, tillClient } from './till-fixture.js';
import {
  createSimulator,
  KEY_DRUG_MAX_PACKAGES,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
  simulatorRulePack,
  startSimulator,
  type RunningSimulator,
} from '../../adapters/simulator/index.js';
import { signRulePack } from '../../adapters/simulator/keys.js';
import {
  boxes,
  buyerOf,
  cardOf,
  expectClean,
  findingsOf,
  NOW,
  P,
  prescriptionFor,
  reviewChecked,
  sale,
} from '../unit/rules/helpers.js';

const TRUSTED = [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }];
const clock = { now: () => NOW };

let server: RunningSimulator;
let platform: PlatformClient;
let storage: Storage<TerminalLayout>;

async function start(rulePackVersion = 1) {
  server = await startSimulator({ port: 0, simulator: createSimulator({ clock, rulePackVersion }) });
  platform = tillClient({ baseUrl: server.url, clock });
}

beforeEach(() => {
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
});
afterEach(async () => {
  await server?.close();
  await storage.close();
});

describe('YG03: the simulator’s signed rule pack', () => {
  it('downloads, verifies with the pinned simulator key, installs over an older one and compiles without error', async () => {
    await start(2);
    const first = await platform.downloadRulePack({ data: { admdvs: PHARMACY.admdvs, cur_ver: 0 } });
    const verified = await verifyRulePack(first.pack, TRUSTED, NOW);
    expect(verified).toMatchObject({ keyId: SIMULATOR_PLATFORM_KEY_ID, pack: { version: 2, area: PHARMACY.admdvs } });
    expect(verified.pack).toEqual(simulatorRulePack(PHARMACY.admdvs, 2));
    // v1, signed by the same platform key, is in force before.
    await installRulePack(storage, await signRulePack(simulatorRulePack(PHARMACY.admdvs, 1)), {
      trusted: TRUSTED,
      now: NOW,
    });
    expect((await loadRulePack(storage, { trusted: TRUSTED, now: NOW }))?.version).toBe(1);
    const installed = await installRulePack(storage, first.pack, { trusted: TRUSTED, now: NOW });
    expect(installed.version).toBe(2);
    const loaded = (await loadRulePack(storage, { trusted: TRUSTED, now: NOW }))!;
    expect(loaded).toEqual(installed);
    const compiled = compilePack(loaded);
    expect(compiled.rules.map((r) => r.id)).toHaveLength(14);
    expect(compiled.rules.find((r) => r.id === 'key-drug-volume')).toMatchObject({
      severity: 'warning',
      params: { maxPackages: KEY_DRUG_MAX_PACKAGES },
    });
    expect(compiled.overrideReasons.has('chronic-long-rx')).toBe(true);
    // Asked again with the version in force, the platform has nothing newer.
    expect(
      (await platform.downloadRulePack({ data: { admdvs: PHARMACY.admdvs, cur_ver: loaded.version } })).pack,
    ).toBeNull();
  });

  it('is refused when pinned to another key, and the pack in force stays', async () => {
    await start(3);
    const { pack } = await platform.downloadRulePack({ data: { admdvs: PHARMACY.admdvs, cur_ver: 0 } });
    await expect(
      installRulePack(storage, pack, {
        trusted: [
          {
            keyId: SIMULATOR_PLATFORM_KEY_ID,
            publicKey: TRUSTED[0]!.publicKey.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
          },
        ],
        now: NOW,
      }),
    ).rejects.toMatchObject({
      code: 'RULE_PACK_INVALID_SIGNATURE',
    });
    expect(await loadRulePack(storage, { trusted: TRUSTED, now: NOW })).toBeUndefined();
  });
});

describe('3101: the platform’s findings merged with the local review', () => {
  /** A sale whose review asks the simulator's 3101 over HTTP and merges its findings. */
  function onlineSale(pack: RulePack) {
    return sale({
      buyer: buyerOf('active'),
      pack,
      platformFindings: async (session) => {
        const request = analysisRequest({
          lines: session.lines,
          buyer: session.buyer!,
          pharmacyCode: PHARMACY.code,
          saleId: session.saleId,
        });
        const { result } = await platform.analyze(request, { insuplcAdmdvs: '220100' });
        return platformFindings(result, pack);
      },
    });
  }

  it('a key drug above KEY_DRUG_MAX_PACKAGES: local and platform agree on one card, platform-confirmed; 达格列净 outside its scope becomes a block', async () => {
    await start();
    const pack = simulatorRulePack(PHARMACY.admdvs, 1);
    const { session } = onlineSale(pack);
    session.addLine({ productId: P.astragalus, quantity: KEY_DRUG_MAX_PACKAGES + 1 });
    session.addLine({ productId: P.dapagliflozin, quantity: 1, traceCodes: boxes(P.dapagliflozin, 1) });
    session.attachPrescription(prescriptionFor('active', [{ productId: P.dapagliflozin, quantity: 1, days: 14 }]));
    const review = await reviewChecked(session);
    const volume = cardOf(review, 'key-drug-volume');
    expect(volume).toMatchObject({
      findingId: 'key-drug-volume:L1',
      lineId: 'L1',
      severity: 'warning',
      source: 'local',
      evidence: { packages: 6, limit: 5, platformConfirmed: true },
    });
    expect(volume.evidence['platformJrId']).toMatch(/^JR/);
    // Local says warning (限定支付, switch to 自费); the platform says 明确违规 (sev_deg 1): the more serious applies.
    const scope = cardOf(review, 'payment-scope');
    expect(scope).toMatchObject({
      findingId: 'payment-scope:L2:unmet',
      lineId: 'L2',
      severity: 'block',
      source: 'local',
      evidence: { platformConfirmed: true },
      actions: [{ kind: 'switch-to-self-pay', lineId: 'L2' }],
    });
    expect(review.findings.map((f) => f.findingId)).toEqual(['payment-scope:L2:unmet', 'key-drug-volume:L1']);
    expect(review.blocked).toBe(true);
    // The card's action answers both: switched to 自费, the line is no longer sent to 3101 nor checked locally.
    await session.apply(scope.actions[0]!, scope.findingId);
    await session.apply(volume.actions[0]!, volume.findingId);
    expectClean(await reviewChecked(session));
  });

  it('adds the platform’s finding where the local pack has no such rule on', async () => {
    await start();
    const base = simulatorRulePack(PHARMACY.admdvs, 1);
    const pack: RulePack = { ...base, rules: { ...base.rules, 'key-drug-volume': { enabled: false, params: {} } } };
    const { session } = onlineSale(pack);
    session.addLine({ productId: P.astragalus, quantity: KEY_DRUG_MAX_PACKAGES + 2 });
    const review = await reviewChecked(session);
    const card = cardOf(review, 'key-drug-volume');
    expect(card).toMatchObject({
      findingId: 'key-drug-volume:L1:platform:SIM-KEY-DRUG-VOLUME',
      lineId: 'L1',
      severity: 'warning',
      source: 'platform',
      evidence: { platformRule: 'SIM-KEY-DRUG-VOLUME', amountFen: 2 * 560 },
    });
    expect(card.summary.zh).toContain('重点药品超量购药');
    expect(review.canSettle).toBe(false);
  });

  it('honest: the same buyer with 5 bags draws nothing from either side', async () => {
    await start();
    const { session } = onlineSale(simulatorRulePack(PHARMACY.admdvs, 1));
    session.addLine({ productId: P.astragalus, quantity: KEY_DRUG_MAX_PACKAGES });
    const review = await reviewChecked(session);
    expectClean(review);
    expect(findingsOf(review, 'platform-analysis')).toEqual([]);
  });
});
