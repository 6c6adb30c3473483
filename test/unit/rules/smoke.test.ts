import { describe, expect, it } from 'vitest';
import { buyerOf, box, rx, sale } from './helpers.js';

describe('review smoke', () => {
  it('an honest Rx sale with its prescription passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box('YP-XYG002', 1));
    session.scan(box('YP-XYG002', 2));
    session.attachPrescription(rx('active-statin'));
    const review = await session.review();
    expect(review.findings).toEqual([]);
    expect(review.canSettle).toBe(true);
  });

  it('a health product billed to the fund under a drug code is blocked as substitution', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: 'YP-G001', quantity: 1, payMode: 'fund', medListCode: 'XYG002A00101010015838' });
    const review = await session.review();
    console.log(JSON.stringify(review.findings, null, 1));
    expect(review.blocked).toBe(true);
  });
});
