/**
 * A till for rule tests: the simulator's demo catalog, people and prescriptions, a sale session with a fixed
 * clock, and the buyer facts verification would give each demo person. Plus the checks every card must pass
 * (`expectCard`), prescriptions written like the demo ones (`prescriptionFor`) and rule packs signed with a test
 * key (`signPack`).
 */
import { expect } from 'vitest';
import * as z from 'zod/mini';
import {
  DEMO_CATALOG,
  DEMO_PEOPLE,
  DEMO_PRESCRIPTIONS,
  DEMO_STOCK,
  simulatorRulePack,
  type DemoPersonKey,
} from '../../../adapters/simulator/index.js';
import { isYibaoGuardError, type Finding, type Prescription } from '../../../src/index.js';
import { residentIdInfo } from '../../../src/codes/index.js';
import {
  AuditEventSchema,
  FindingSchema,
  type AuditEvent,
  type RuleId,
  type RulePack,
  type SignedRulePack,
  type SuggestedAction,
} from '../../../src/schemas/index.js';
import { canonicalJson, createEd25519Signer, ed25519KeyPairFromSeed, toBase64Url } from '../../../src/crypto/index.js';
import {
  compilePack,
  createCatalog,
  createSaleSession,
  indexHistory,
  type BuyerFacts,
  type PurchaseRecord,
  type Review,
  type SaleSessionOptions,
  type TrustedKey,
} from '../../../src/engine.js';

/** 2026-11-23 10:00 CST: the demo prescriptions (issued 2026-11-22) are valid. */
export const NOW = Date.UTC(2026, 10, 23, 2, 0);
export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const catalog = createCatalog(DEMO_CATALOG);

/** A CST wall-clock time as epoch ms. */
export const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);

export function product(id: string) {
  const p = catalog.byId(id);
  if (!p) throw new Error(`no demo product ${id}`);
  return p;
}

/** Demo product ids used across the rule tests, by what they are. */
export const P = {
  atorvastatin: 'YP-XYG002', // 阿托伐他汀钙片 20mg*7片, Rx, key drug, ≤30 days
  nifedipine: 'YP-XYG003', // 硝苯地平控释片, Rx, key drug
  insulinGlargine: 'YP-XYG009', // 甘精胰岛素, 限糖尿病慢特病 M03100
  amlodipine: 'YP-XYG011', // 苯磺酸氨氯地平片 5mg*28片
  dapagliflozin: 'YP-XYG014', // 达格列净片, 限糖尿病慢特病 M03100
  secukinumab: 'YP-XYG029', // 司库奇尤单抗, 限 18 岁及以上
  albumin: 'YP-XYG001', // 人血白蛋白, restriction in words only
  danshen: 'YP-ZYG001', // 复方丹参片, OTC key drug
  ejiao: 'YP-ZYG010', // 阿胶, class C
  ejiaoSyrup: 'YP-ZYG023', // 复方阿胶浆, OTC key drug, no daily dose
  astragalus: 'YP-TYG002', // 黄芪, herbal piece, key drug, no trace code
  fritillaria: 'YP-TYG011', // 川贝母 58 元/袋
  scorpion: 'YP-TYG003', // 全蝎 42 元/袋
  centipede: 'YP-TYG027', // 蜈蚣 35 元/袋
  notoginseng: 'YP-TYG006', // 三七粉 28 元/袋
  americanGinseng: 'YP-TYG007', // 西洋参, class C herbal piece
  ibuprofen: 'YP-XOT001', // 布洛芬缓释胶囊 0.3g*20粒, 2/day, ≤7 days
  paracetamol: 'YP-XOT002', // 对乙酰氨基酚片 0.5g*20片, 4/day, ≤7 days
  loratadine: 'YP-XOT003', // 氯雷他定片 10mg*6片, 1/day, ≤14 days
  amoxicillin: 'YP-XOT006', // 阿莫西林胶囊, Rx
  valsartan: 'YP-XOT007', // 缬沙坦胶囊 80mg*7粒, Rx, 1/day, ≤30 days, not a key drug
  finasteride: 'YP-XOT008', // 非那雄胺片, 限男性
  proteinPowder: 'YP-G001', // 蛋白质粉（保健食品）
} as const;

/** A demo person's standing as the platform's 1101 answer shows it. */
function statusOf(key: DemoPersonKey): BuyerFacts['status'] {
  const person = DEMO_PEOPLE[key];
  if (person.survStas === '2') return 'deceased';
  if (person.insuStatus === '4') return 'not-insured';
  if (person.insuStatus === '2') return 'insurance-suspended';
  if (person.settlementPaused) return 'settlement-suspended';
  return 'active';
}

/**
 * The facts verification (or the HIS, for standing) gives for a demo person (out of area when insured outside 2201xx).
 */
export function buyerOf(key: DemoPersonKey, overrides: Partial<BuyerFacts> = {}): BuyerFacts {
  const person = DEMO_PEOPLE[key];
  const info = residentIdInfo(person.residentId);
  const age = 2026 - Number(info.birthDate.slice(0, 4)) - (info.birthDate.slice(5) > '11-23' ? 1 : 0);
  return {
    psnNo: person.psnNo,
    sex: info.sex,
    age,
    chronic: person.chronicDiseases.map((d) => d.code),
    identities: [],
    outOfArea: person.insuplcAdmdvs.slice(0, 4) !== '2201',
    status: statusOf(key),
    residentId: person.residentId,
    ...overrides,
  };
}

export function rx(key: keyof typeof DEMO_PRESCRIPTIONS) {
  return DEMO_PRESCRIPTIONS[key];
}

let rxSerial = 100;
/**
 * An e-prescription for a demo person written like the demo ones (same hospital and doctor, issued the day before
 * NOW, valid 3 days): items by product id, packages and days.
 */
export function prescriptionFor(
  key: DemoPersonKey,
  items: ReadonlyArray<{ productId: string; quantity: number; days?: number }>,
  overrides: Partial<Prescription> = {},
): Prescription {
  const base = rx('active-statin');
  const person = DEMO_PEOPLE[key];
  return {
    ...base,
    rxNo: `RX20261122${String(++rxSerial).padStart(5, '0')}`,
    issuedAt: cst(2026, 11, 22, 15),
    validDays: 3,
    patient: { psnNo: person.psnNo, residentId: person.residentId },
    diagnoses: [{ code: 'Z00.000', name: '测试诊断' }],
    items: items.map((i) => {
      const p = product(i.productId);
      return {
        medListCode: p.medListCode as string,
        genericName: p.genericName,
        quantity: i.quantity,
        ...(i.days !== undefined ? { days: i.days } : {}),
      };
    }),
    status: 'valid',
    ...overrides,
  };
}

/** On-hand stock per product from the demo pharmacy's opening purchases. */
export const DEMO_ON_HAND: Readonly<Record<string, number>> = DEMO_STOCK.reduce<Record<string, number>>((acc, m) => {
  acc[m.productId] = (acc[m.productId] ?? 0) + m.quantity;
  return acc;
}, {});

/** A sale session over the demo catalog with the given pack, buyer, history and stock. */
export function sale(
  options: Partial<Omit<SaleSessionOptions, 'rules'>> & {
    pack?: RulePack;
    purchases?: PurchaseRecord[];
    onHand?: Record<string, number>;
    sold?: readonly string[];
  } = {},
) {
  const compiled = compilePack(options.pack);
  const audit: AuditEvent[] = [];
  const session = createSaleSession({
    saleId: options.saleId ?? 'S-TEST-1',
    catalog: options.catalog ?? catalog,
    rules: () => compiled,
    pharmacy: options.pharmacy ?? { agreement: 'active' },
    operator: options.operator ?? { id: 'OP7', name: '李药师' },
    clock: options.clock ?? { now: () => NOW },
    ...(options.buyer ? { buyer: options.buyer } : {}),
    ...(options.purchases ? { history: indexHistory(options.purchases) } : {}),
    ...(options.onHand ? { stock: { onHand: (id: string) => options.onHand?.[id] } } : {}),
    ...(options.sold ? { soldTraceCodes: { soldBefore: (code: string) => options.sold!.includes(code) } } : {}),
    ...(options.platformFindings ? { platformFindings: options.platformFindings } : {}),
    ...(options.chronicRegistrations ? { chronicRegistrations: options.chronicRegistrations } : {}),
    ...(options.benefitCheck ? { benefitCheck: options.benefitCheck } : {}),
    audit: async (events) => {
      audit.push(...events);
    },
  });
  return { session, audit, compiled };
}

/** A trace code of a demo product: its prefix and a box serial. */
export function box(productId: string, serial: number): string {
  return `${product(productId).traceCodePrefix}${String(serial).padStart(13, '0')}`;
}

/** `n` trace codes of a product, serials from `first`. */
export function boxes(productId: string, n: number, first = 1): string[] {
  return Array.from({ length: n }, (_, i) => box(productId, first + i));
}

/** An earlier purchase of a demo product by the buyer. */
export function purchase(
  productId: string,
  at: number,
  packages: number,
  extra: Partial<PurchaseRecord> = {},
): PurchaseRecord {
  const p = product(productId);
  return {
    at,
    productId,
    genericName: p.genericName,
    packages,
    fundFen: (p.retailPriceFen ?? 0) * packages,
    keyDrug: p.keyDrug,
    ...extra,
  };
}

/** The findings of one rule in a review. */
export function findingsOf(review: Review, ruleId: RuleId) {
  return review.findings.filter((f) => f.ruleId === ruleId);
}

/** The single finding of a rule in a review (fails unless there is exactly one). */
export function cardOf(review: Review, ruleId: RuleId) {
  const found = findingsOf(review, ruleId);
  expect(
    found.map((f) => f.findingId),
    `findings of ${ruleId}`,
  ).toHaveLength(1);
  return found[0]!;
}

const PEOPLE = Object.values(DEMO_PEOPLE);
/** An unmasked 身份证 anywhere in a text: 17 digits and a digit or X, not inside a longer number. */
const RESIDENT_ID = /(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/;

/** Fails when JSON of `value` shows a demo person's 身份证 or name, or anything shaped like an unmasked 身份证. */
export function expectNoPersonalData(value: unknown): void {
  const json = JSON.stringify(value);
  for (const person of PEOPLE) {
    expect(json, `${person.key}'s 身份证`).not.toContain(person.residentId);
    expect(json, `${person.key}'s name`).not.toContain(person.name);
  }
  expect(json).not.toMatch(RESIDENT_ID);
}

/**
 * What every card must be: a valid Finding (the till's schema), its id under its rule, a bilingual one-line summary
 * of at most 140 characters, every action about a line of the sale, and no personal data anywhere.
 */
export function expectCard(finding: Finding, lineIds?: readonly string[]): void {
  const { outcome: _o, override: _v, ...card } = finding as Finding & { outcome?: unknown; override?: unknown };
  const parsed = z.safeParse(FindingSchema, card);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  expect(finding.findingId.startsWith(`${finding.ruleId}:`)).toBe(true);
  for (const text of [finding.summary.zh, finding.summary.en, finding.detail.zh, finding.detail.en]) {
    expect(text.trim().length).toBeGreaterThan(0);
  }
  expect(finding.summary.zh.length).toBeLessThanOrEqual(140);
  expect(finding.summary.en.length).toBeLessThanOrEqual(140);
  if (lineIds) for (const action of finding.actions) expect(lineIds).toContain(action.lineId);
  expectNoPersonalData(finding);
}

/** Runs the review and checks every card on it; returns the review. */
export async function reviewChecked(session: ReturnType<typeof sale>['session']): Promise<Review> {
  const review = await session.review();
  const lineIds = session.lines.map((l) => l.lineId);
  for (const f of review.findings) expectCard(f, lineIds);
  expect(new Set(review.findings.map((f) => f.findingId)).size, 'finding ids are unique').toBe(review.findings.length);
  return review;
}

/** Checks that a review is clean: no findings at all, settleable. */
export function expectClean(review: Review): void {
  expect(review.findings.map((f) => `${f.findingId} ${f.summary.en}`)).toEqual([]);
  expect(review.blocked).toBe(false);
  expect(review.canSettle).toBe(true);
}

/** The actions of a card, for exact comparison. */
export function actions(...list: SuggestedAction[]): SuggestedAction[] {
  return list;
}

/** Audit events parse as the audit schema and carry no personal data. */
export function expectAuditClean(events: readonly AuditEvent[]): void {
  for (const event of events) {
    const parsed = z.safeParse(AuditEventSchema, event);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  }
  expectNoPersonalData(events);
}

/** The error a promise or call ends with (fails if it does not throw). */
export async function errorOf(run: (() => unknown) | Promise<unknown>): Promise<unknown> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** Expects a typed yibao-guard error with `code`; returns it. */
export async function expectCode(run: (() => unknown) | Promise<unknown>, code: string) {
  const error = await errorOf(run);
  expect(isYibaoGuardError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  return error as Error & { code: string; field?: string; messageZh: string };
}

/** A pack with only the given rule settings (everything else at its defaults). */
export function barePack(rules: RulePack['rules'], extra: Partial<RulePack> = {}): RulePack {
  return { ...simulatorRulePack('220100', 1), rules, platformRules: {}, ...extra };
}

/** A test platform key (not the simulator's): packs signed with it verify against `TEST_TRUSTED`. */
const TEST_KEY_ID = 'TEST-PLATFORM-1';
const testKeys = ed25519KeyPairFromSeed(new TextEncoder().encode('yibao-guard rule tests key seed!'));
const otherKeys = ed25519KeyPairFromSeed(new TextEncoder().encode('an attacker key, not trusted....'));

export async function testTrusted(): Promise<TrustedKey[]> {
  return [{ keyId: TEST_KEY_ID, publicKey: toBase64Url((await testKeys).publicKey) }];
}

/** Signs a pack with the test key (or another key under a given id), as the platform signs YG03 packs. */
export async function signPack(
  pack: RulePack,
  opts: { keyId?: string; otherKey?: boolean } = {},
): Promise<SignedRulePack> {
  const signer = createEd25519Signer(opts.keyId ?? TEST_KEY_ID, await (opts.otherKey ? otherKeys : testKeys));
  return {
    pack,
    keyId: signer.keyId,
    sig: toBase64Url(await signer.sign(new TextEncoder().encode(canonicalJson(pack)))),
  };
}
