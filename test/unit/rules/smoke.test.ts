import { describe, expect, it } from 'vitest';
import { buyerOf, box, cardOf, expectClean, P, reviewChecked, rx, sale } from './helpers.js';

describe('review smoke', () => {
  it('an honest Rx sale with its prescription passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box(P.atorvastatin, 1));
    session.scan(box(P.atorvastatin, 2));
    session.attachPrescription(rx('active-statin'));
    expectClean(await reviewChecked(session));
  });

  it('a health product billed to the fund under a drug code is blocked as substitution', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.proteinPowder, quantity: 1, payMode: 'fund', medListCode: 'XYG002A00101010015838' });
    const review = await reviewChecked(session);
    expect(review.blocked).toBe(true);
    expect(cardOf(review, 'substitution').severity).toBe('block');
  });
});
