/**
 * Whatever the basket, every card the engine shows is a valid Finding: a bilingual summary of at most 140
 * characters, no personal data, a unique id, actions about lines of the sale, most serious first; and applying the
 * cards' actions, one call at a time, always gets the sale to settleable.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEMO_CATALOG, DEMO_PEOPLE, type DemoPersonKey } from '../../../adapters/simulator/index.js';
import type { Product } from '../../../src/index.js';
import { createCatalog } from '../../../src/engine.js';
import { buyerOf, DAY, expectCard, NOW, purchase, sale } from './helpers.js';

const LONG = '长'.repeat(190);
/** The demo catalog plus a drug whose generic name is as long as a name may be (200 characters). */
const longCatalog = createCatalog([
  ...DEMO_CATALOG,
  ...DEMO_CATALOG.filter((p) => p.productId === 'YP-XOT008' || p.productId === 'YP-TYG011').map((p): Product => ({
    ...p,
    productId: `${p.productId}-L`,
    genericName: `${LONG}${p.genericName}`.slice(0, 200),
    gtins: [],
  })),
]);
const products = [...longCatalog.products()].filter((p) => p.retailPriceFen !== undefined);
const people = Object.keys(DEMO_PEOPLE) as DemoPersonKey[];

const lineArb = fc.record({
  product: fc.constantFrom(...products),
  quantity: fc.oneof(fc.integer({ min: 1, max: 14 }), fc.constantFrom(0.25, 0.5, 0.75)),
  fund: fc.boolean(),
  codes: fc.constantFrom('own', 'none', 'other', 'twice'),
  billAs: fc.option(fc.constantFrom(...products.filter((p) => p.medListCode)), { freq: 5 }),
});

const saleArb = fc.record({
  who: fc.constantFrom(...people),
  agreement: fc.constantFrom('active', 'active', 'active', 'suspended') as fc.Arbitrary<'active' | 'suspended'>,
  lines: fc.array(lineArb, { minLength: 1, maxLength: 8 }),
  history: fc.array(
    fc.record({
      product: fc.constantFrom(...products),
      daysAgo: fc.integer({ min: 0, max: 400 }),
      packages: fc.integer({ min: 1, max: 6 }),
      days: fc.option(fc.integer({ min: 1, max: 90 })),
    }),
    { maxLength: 6 },
  ),
  onHand: fc.option(fc.integer({ min: 0, max: 5 })),
  identities: fc.constantFrom([], ['XD14']),
});

type SaleCase = typeof saleArb extends fc.Arbitrary<infer T> ? T : never;

function build(s: SaleCase) {
  let serial = 0;
  const { session } = sale({
    catalog: longCatalog,
    buyer: buyerOf(s.who, { identities: s.identities }),
    pharmacy: { agreement: s.agreement },
    purchases: s.history.map((h) => ({
      ...purchase(h.product.productId.replace(/-L$/, ''), NOW - h.daysAgo * DAY, h.packages),
      ...(h.days !== null ? { daysSupply: h.days } : {}),
    })),
    ...(s.onHand !== null ? { onHand: Object.fromEntries(products.map((p) => [p.productId, s.onHand!])) } : {}),
    sold: ['81002740000000900001'],
  });
  for (const l of s.lines) {
    const split = !Number.isInteger(l.quantity);
    const prefix = l.product.traceCodePrefix;
    const code = (p: string | undefined) => (p ? `${p}${String(++serial).padStart(13, '0')}` : undefined);
    const own = Array.from({ length: Math.ceil(l.quantity) }, () => code(prefix)).filter(
      (c): c is string => c !== undefined,
    );
    const traceCodes =
      l.codes === 'own'
        ? own
        : l.codes === 'other'
          ? [code('8100274')!]
          : l.codes === 'twice' && own[0]
            ? [own[0], own[0]]
            : [];
    session.addLine({
      productId: l.product.productId,
      quantity: l.quantity,
      split,
      payMode: l.fund || l.billAs ? 'fund' : 'self-pay',
      traceCodes,
      ...(l.billAs ? { medListCode: l.billAs.medListCode! } : {}),
    });
  }
  return session;
}

describe('every card, whatever the basket', () => {
  it('is a valid Finding with a ≤140-character bilingual summary, no personal data, a unique id and actions on real lines', async () => {
    await fc.assert(
      fc.asyncProperty(saleArb, async (s) => {
        const session = build(s);
        const review = await session.review();
        const lineIds = session.lines.map((l) => l.lineId);
        for (const f of review.findings) expectCard(f, lineIds);
        expect(new Set(review.findings.map((f) => f.findingId)).size).toBe(review.findings.length);
        const rank = { info: 0, warning: 1, block: 2 } as const;
        for (let i = 1; i < review.findings.length; i++)
          expect(rank[review.findings[i - 1]!.severity]).toBeGreaterThanOrEqual(rank[review.findings[i]!.severity]);
        expect(review.blocked).toBe(review.findings.some((f) => f.severity === 'block'));
      }),
      { numRuns: 300 },
    );
  });

  it('applying the cards’ actions one call at a time always ends in a review with no block and no warning', async () => {
    await fc.assert(
      fc.asyncProperty(saleArb, async (s) => {
        const session = build(s);
        let review = await session.review();
        for (let round = 0; round < 100 && review.findings.some((f) => f.severity !== 'info'); round++) {
          const card = review.findings.find((f) => f.severity !== 'info')!;
          // attach-prescription needs a prescription the property has none of: take the card's other way out.
          const action = card.actions.find((a) => a.kind !== 'attach-prescription');
          expect(action, `${card.findingId} offers an action`).toBeDefined();
          await session.apply(action!, card.findingId);
          review = await session.review();
        }
        expect(review.findings.filter((f) => f.severity !== 'info').map((f) => f.findingId)).toEqual([]);
        expect(() => session.assertSettleable()).not.toThrow();
      }),
      { numRuns: 150 },
    );
  });
});
