/**
 * A till for rule tests: the simulator's demo catalog, people and prescriptions, a sale session with a fixed
 * clock, and the buyer facts verification would give each demo person.
 */
import { DEMO_CATALOG, DEMO_PEOPLE, DEMO_PRESCRIPTIONS, type DemoPersonKey } from '../../../adapters/simulator/index.js';
import {
  compilePack,
  createCatalog,
  createSaleSession,
  indexHistory,
  residentIdInfo,
  type AuditEvent,
  type BuyerFacts,
  type PurchaseRecord,
  type RulePack,
  type SaleSessionOptions,
} from '../../../src/index.js';

/** 2026-11-23 10:00 CST: the demo prescriptions (issued 2026-11-22) are valid. */
export const NOW = Date.UTC(2026, 10, 23, 2, 0);
export const DAY = 86_400_000;
export const catalog = createCatalog(DEMO_CATALOG);

export function product(id: string) {
  const p = catalog.byId(id);
  if (!p) throw new Error(`no demo product ${id}`);
  return p;
}

/** The facts verification gives for a demo person (out of area when insured outside 2201xx). */
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
    status: 'active',
    residentId: person.residentId,
    ...overrides,
  };
}

export function rx(key: keyof typeof DEMO_PRESCRIPTIONS) {
  return DEMO_PRESCRIPTIONS[key];
}

/** A sale session over the demo catalog with the given pack, buyer, history and stock. */
export function sale(
  options: Partial<Omit<SaleSessionOptions, 'rules'>> & { pack?: RulePack; purchases?: PurchaseRecord[]; onHand?: Record<string, number>; sold?: string[] } = {},
) {
  const compiled = compilePack(options.pack);
  const audit: AuditEvent[] = [];
  const session = createSaleSession({
    saleId: options.saleId ?? 'S-TEST-1',
    catalog,
    rules: () => compiled,
    pharmacy: options.pharmacy ?? { agreement: 'active' },
    operator: options.operator ?? { id: 'OP7', name: '李药师' },
    clock: options.clock ?? { now: () => NOW },
    ...(options.buyer ? { buyer: options.buyer } : {}),
    ...(options.purchases ? { history: indexHistory(options.purchases) } : {}),
    ...(options.onHand ? { stock: { onHand: (id: string) => options.onHand?.[id] } } : {}),
    ...(options.sold ? { soldTraceCodes: { soldBefore: (code: string) => options.sold!.includes(code) } } : {}),
    ...(options.platformFindings ? { platformFindings: options.platformFindings } : {}),
    audit: async (events) => {
      audit.push(...events);
    },
  });
  return { session, audit };
}

/** A trace code of a demo product: its prefix and a box serial. */
export function box(productId: string, serial: number): string {
  return `${product(productId).traceCodePrefix}${String(serial).padStart(13, '0')}`;
}
