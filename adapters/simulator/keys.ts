import type { RulePack, RuleSetting, RuleId, SignedRulePack } from '../../src/schemas/index.js';
import {
  canonicalJson,
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  fromBase64Url,
  toBase64Url,
  verifyEd25519,
  type Signer,
} from '../../src/crypto/index.js';
import { signedBodyText, type TransactionInput } from '../../src/platform/index.js';
import { tweetnaclEd25519 } from '../../src/crypto/ed25519-fallback.js';
import { keyDrugsOfList } from './seed/catalog.js';
import { refuse } from './wire.js';
import type { PublishedRulePack, RegisteredKey, TxContext, TxResult, World } from './world.js';
import { defined } from '../../src/defined.js';

/*
 * Keys on both sides: the platform's key that signs rule packs (YG03), and terminals' keys (YG04) that sign their
 * requests (`cainfo`). The platform key comes from a fixed seed, so that a till can pin the simulator's public key.
 */

const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * The id of the simulator's platform key, as signed rule packs name it (`keyId`).
 *
 * @example
 * signed.keyId === SIMULATOR_PLATFORM_KEY_ID
 */
export const SIMULATOR_PLATFORM_KEY_ID = 'SIM-PLATFORM-1';

/**
 * The simulator's platform public key (Ed25519, base64url): pin it in a till that develops against the
 * simulator to verify YG03 rule packs. Derived from a fixed, public seed: it proves nothing outside development.
 *
 * @example
 * await verifyEd25519(utf8(canonicalJson(signed.pack)), fromBase64Url(signed.sig),
 * fromBase64Url(SIMULATOR_PLATFORM_PUBLIC_KEY))
 */
export const SIMULATOR_PLATFORM_PUBLIC_KEY = '0SCUwAMxqGKOl-BWmG0jnTFF3WogrUcM-9vg9xeYsRQ';

/**
 * The fixed seed (32 bytes) of the platform key; a test checks that it gives {@link SIMULATOR_PLATFORM_PUBLIC_KEY}.
 *
 * @example
 * await ed25519KeyPairFromSeed(PLATFORM_KEY_SEED)
 */
export const PLATFORM_KEY_SEED = utf8('yibao-guard simulator platform!!');

/*
 * The simulator is the platform, not a till: it signs and verifies whatever its runtime's WebCrypto offers, with
 * tweetnacl where it has no Ed25519, so a test may take WebCrypto's Ed25519 away from the till it serves.
 */
let platformSigner: Promise<Signer> | undefined;
function platformKey(): Promise<Signer> {
  platformSigner ??= ed25519KeyPairFromSeed(PLATFORM_KEY_SEED, tweetnaclEd25519).then((keys) =>
    createEd25519Signer(SIMULATOR_PLATFORM_KEY_ID, keys, tweetnaclEd25519),
  );
  return platformSigner;
}

const setting = (severity: RuleSetting['severity'], params: RuleSetting['params'] = {}): RuleSetting => ({
  enabled: true,
  ...defined({ severity }),
  params,
});

/** A CST midnight as epoch ms. */
const cstMidnight = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) - 8 * 3600_000;

/**
 * The rule pack the simulator publishes for an area: a setting for every rule (parameter names as the engine's
 * `RULE_PARAMS`, so `compilePack` accepts it), the override reasons, the key-drug list of seed 003 attachment 1, and
 * `platformRules` mapping its 3101 rule ids onto the engine's. Fixed dates keep it byte-identical, so its signature
 * is too; `issue` gives it other dates, or addresses it to some pharmacies of the area only (`pharmacies`).
 *
 * @example
 * simulatorRulePack('220100', 1).keyDrugs.length
 * simulatorRulePack('220100', 2, { validUntil: Date.UTC(2026, 11, 1) - 8 * 3600_000, pharmacies: ['P22010100001'] })
 */
export function simulatorRulePack(
  area: string,
  version: number,
  issue: Omit<PublishedRulePack, 'version'> = {},
): RulePack {
  // Parameter names are the engine's (src/rules/params.ts): compilePack refuses any other.
  const rules: Partial<Record<RuleId, RuleSetting>> = {
    substitution: setting('block'),
    'rx-required': setting('block', { prescriptionValidDays: 3 }),
    'payment-scope': setting('warning'),
    'days-supply': setting('warning', {
      ordinaryDays: 7,
      mobilityImpairedDays: 14,
      chronicDays: 30,
      longChronicDays: 84,
    }),
    'repeat-purchase': setting('warning', { windowDays: 30 }),
    'amount-limit': setting('warning', { perSaleFen: 200_000 }),
    'trace-code-missing': setting('warning'),
    'trace-code-mismatch': setting('block'),
    'trace-code-duplicate': setting('block'),
    'stock-shortfall': setting('warning'),
    'pharmacy-suspended': setting('block'),
    'buyer-status': setting('block'),
    'out-of-area-key-drug': setting('warning'),
    'key-drug-volume': setting('warning', { maxPackages: KEY_DRUG_MAX_PACKAGES }),
  };
  return {
    format: 'yibao-guard.rule-pack/1',
    packId: `SIM-${area}`,
    version,
    issuer: '医保信息平台模拟器 / yibao-guard simulator',
    area,
    ...(issue.pharmacies ? { pharmacies: [...issue.pharmacies] } : {}),
    issuedAt: issue.validFrom ?? cstMidnight(2026, 1, 1),
    validFrom: issue.validFrom ?? cstMidnight(2026, 1, 1),
    validUntil: issue.validUntil ?? cstMidnight(2028, 1, 1),
    rules,
    overrideReasons: [
      { code: 'chronic-long-rx', label: { zh: '慢性病长期处方', en: 'Long-term prescription for a chronic disease' } },
      { code: 'doctor-confirmed', label: { zh: '已与开方医师确认', en: 'Confirmed with the prescribing doctor' } },
      { code: 'stock-recount', label: { zh: '已盘点，系统库存滞后', en: 'Counted: the stock on record lags behind' } },
      { code: 'other', label: { zh: '其他（须填写说明）', en: 'Other (explain in the note)' } },
    ],
    keyDrugs: keyDrugsOfList(),
    // The rule ids of the simulator's 3101 findings and the local rule each is the platform's view of.
    platformRules: {
      'SIM-KEY-DRUG-VOLUME': 'key-drug-volume',
      'SIM-PAYMENT-SCOPE': 'payment-scope',
      'SIM-NOT-IN-CATALOG': 'substitution',
    },
  };
}

/**
 * Packages of one key drug in one sale above which 3101 raises a finding (and the pack's `key-drug-volume` says so
 * too).
 *
 * @example
 * order.cnt > KEY_DRUG_MAX_PACKAGES // a 3101 finding for a key drug
 */
export const KEY_DRUG_MAX_PACKAGES = 5;

/**
 * Signs a pack as the platform: Ed25519 over the UTF-8 of its canonical JSON, base64url.
 *
 * @example
 * const { pack, keyId, sig } = await signRulePack(simulatorRulePack('220100', 2))
 */
export async function signRulePack(pack: RulePack): Promise<SignedRulePack> {
  const signer = await platformKey();
  return { pack, keyId: signer.keyId, sig: toBase64Url(await signer.sign(utf8(canonicalJson(pack)))) };
}

/**
 * YG03: the signed pack published for the area, or `{ pack: null }` when the terminal's `cur_ver` is current or the
 * published pack is addressed to other pharmacies than the requesting one.
 *
 * @example
 * (await rulePackDownload(ctx, { data: { admdvs: '220100', cur_ver: 0 } })).output.pack.sig
 */
export async function rulePackDownload(ctx: TxContext, input: TransactionInput<'YG03'>): Promise<TxResult> {
  const { version, ...issue } = ctx.world.rulePack;
  if (input.data.cur_ver >= version) return { output: { pack: null }, committed: false };
  if (issue.pharmacies && !issue.pharmacies.includes(ctx.envelope.fixmedins_code))
    return { output: { pack: null }, committed: false };
  return {
    output: { pack: await signRulePack(simulatorRulePack(input.data.admdvs, version, issue)) },
    committed: false,
  };
}

/**
 * The text a rotating terminal's previous key signs (`handover_sig` of YG04): the canonical JSON of the new key's
 * id and public key, `{"key_id":…,"pubkey":…}`, in UTF-8.
 *
 * @example
 * const handover_sig = toBase64Url(await oldSigner.sign(new TextEncoder().encode(keyHandoverText('T01-K2',
 * newPubkey))))
 */
export function keyHandoverText(keyId: string, publicKey: string): string {
  return canonicalJson({ key_id: keyId, pubkey: publicKey });
}

async function verifies(text: string, signature: string, publicKey: string): Promise<boolean> {
  try {
    return await verifyEd25519(utf8(text), fromBase64Url(signature), fromBase64Url(publicKey), tweetnaclEd25519);
  } catch {
    return false;
  }
}

/**
 * Once a terminal has registered a key, each of its requests must carry `cainfo`: the Ed25519 signature (base64url)
 * of {@link signedBodyText} of the envelope as sent, with `signtype` ED25519. Refuses otherwise.
 *
 * @example
 * await requireSignature(world, 'P22010100001/T01', wireEnvelope)
 */
export async function requireSignature(
  world: World,
  terminal: string,
  wire: Readonly<Record<string, unknown>>,
): Promise<void> {
  const registered = world.keys.get(terminal);
  if (!registered) return;
  const { cainfo, signtype } = wire;
  if (typeof cainfo !== 'string' || cainfo === '' || signtype !== 'ED25519') {
    refuse(
      '该终端已登记密钥，报文须携带签名 cainfo（signtype 为 ED25519）',
      'this terminal registered a key: every request must carry cainfo with signtype ED25519',
    );
  }
  if (!(await verifies(signedBodyText(wire), cainfo, registered.publicKey))) {
    refuse(
      `报文签名校验失败（终端密钥 ${registered.keyId}）`,
      `cainfo does not verify with the terminal's registered key ${registered.keyId}`,
    );
  }
}

/**
 * YG04: registers the key of the requesting `dev_no`; a different key replaces it only with a valid `handover_sig`.
 *
 * @example
 * await registerKey(ctx, { data: { terminal_id: 'T01', key_id: 'T01-K1', pubkey, begntime } })
 */
export async function registerKey(ctx: TxContext, input: TransactionInput<'YG04'>): Promise<TxResult> {
  const { terminal_id, key_id, pubkey, handover_sig } = input.data;
  const devNo = ctx.envelope.dev_no;
  if (!devNo)
    refuse(
      '登记终端密钥的报文须填写设备编号 dev_no',
      'a key registration must carry dev_no: the key signs that device’s requests',
    );
  const current = ctx.world.keys.get(ctx.terminal);
  const registered = { key_id, registered: '1' };
  if (current?.keyId === key_id && current.publicKey === pubkey) return { output: registered, committed: false };
  if (current) {
    if (current.keyId === key_id || current.previous.some((k) => k.keyId === key_id))
      refuse('该密钥编号已被使用', 'key_id was already used by this terminal');
    if (!handover_sig)
      refuse(
        '更换终端密钥须提供原密钥的交接签名 handover_sig',
        'a key rotation needs handover_sig signed by the registered key',
      );
    if (!(await verifies(keyHandoverText(key_id, pubkey), handover_sig, current.publicKey))) {
      refuse('交接签名 handover_sig 校验失败', 'handover_sig does not verify with the registered key');
    }
  }
  const entry: RegisteredKey = {
    fixmedinsCode: ctx.envelope.fixmedins_code,
    devNo,
    terminalId: terminal_id,
    keyId: key_id,
    publicKey: pubkey,
    registeredAt: ctx.now,
    previous: current ? [...current.previous, { keyId: current.keyId, publicKey: current.publicKey }] : [],
  };
  // Checked after the awaits above: a concurrent registration may have won meanwhile.
  if (ctx.world.keys.get(ctx.terminal) !== current)
    refuse('终端密钥已被并发修改，请重试', 'the key was changed meanwhile: try again');
  ctx.world.keys.set(ctx.terminal, entry);
  return { output: registered, committed: true };
}
