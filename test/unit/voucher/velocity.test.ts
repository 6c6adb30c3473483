import { describe, expect, it } from 'vitest';
import { DEFAULT_VOUCHER_POLICY } from '../../../src/schemas/index.js';
import { countVerification } from '../../../src/voucher/index.js';

const policy = {
  ...DEFAULT_VOUCHER_POLICY,
  velocityWindowMinutes: 30,
  maxVerificationsPerWindow: 3,
  maxTerminalsPerWindow: 1,
};
const MIN = 60_000;

describe('voucher velocity', () => {
  it('stays quiet up to the policy limits', () => {
    let record;
    for (let i = 0; i < 3; i++) {
      const result = countVerification(record, { at: i * MIN, terminalId: 'T01' }, policy);
      expect(result.warnings).toEqual([]);
      record = result.record;
    }
  });

  it('warns on the fourth verification inside the window, not once older ones have left it', () => {
    const uses = [0, 1, 2].map((i) => ({ at: i * MIN, terminalId: 'T01' }));
    const inside = countVerification({ uses }, { at: 10 * MIN, terminalId: 'T01' }, policy);
    expect(inside.warnings.map((w) => w.code)).toEqual(['VOUCHER_VELOCITY']);
    expect(inside.warnings[0]).toMatchObject({ count: 4, terminals: 1, windowMinutes: 30 });
    const later = countVerification({ uses }, { at: 31 * MIN, terminalId: 'T01' }, policy);
    expect(later.warnings).toEqual([]);
    expect(later.record.uses).toHaveLength(2);
  });

  it('warns when one voucher turns up at another terminal within the window', () => {
    const result = countVerification(
      { uses: [{ at: 0, terminalId: 'T01' }] },
      { at: 2 * MIN, terminalId: 'T02' },
      policy,
    );
    expect(result.warnings.map((w) => w.code)).toEqual(['VOUCHER_MULTI_TERMINAL']);
    expect(result.warnings[0]?.zh).toContain('2 台');
  });
});
