import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../../../src/index.js';
import { MsgidSchema, createMsgidSource } from '../../../src/platform/index.js';
import { INSTITUTION, T0, client, ok, useFakePlatform } from './helpers.js';

const fakePlatform = useFakePlatform();

describe('createMsgidSource', () => {
  it('builds institution code + CST yyyyMMddHHmmss + terminal digit + 3-digit counter', () => {
    const msgids = createMsgidSource({ institutionCode: INSTITUTION, terminalDigit: 3 });
    expect(msgids.next(T0)).toBe(`${INSTITUTION}20261123100509` + '3000');
    expect(msgids.next(T0 + 999)).toBe(`${INSTITUTION}20261123100509` + '3001');
    expect(msgids.next(T0 + 1000)).toBe(`${INSTITUTION}20261123100510` + '3000');
    expect(MsgidSchema.safeParse(msgids.next(T0 + 1000)).success).toBe(true);
    expect(msgids.next(T0 + 1000)).toHaveLength(30);
  });

  it('borrows the next second when 1000 msgids are used within one second', () => {
    const msgids = createMsgidSource({ institutionCode: INSTITUTION, terminalDigit: 1 });
    const issued = Array.from({ length: 1001 }, () => msgids.next(T0));
    expect(issued[999]).toBe(`${INSTITUTION}20261123100509` + '1999');
    expect(issued[1000]).toBe(`${INSTITUTION}20261123100510` + '1000');
    // When the clock reaches the borrowed second, counting goes on from there.
    expect(msgids.next(T0 + 1000)).toBe(`${INSTITUTION}20261123100510` + '1001');
  });

  it('keeps counting when the clock goes backwards', () => {
    const msgids = createMsgidSource({ institutionCode: INSTITUTION });
    const first = msgids.next(T0);
    const afterJump = msgids.next(T0 - 3_600_000);
    expect(afterJump > first).toBe(true);
    expect(afterJump).toBe(`${INSTITUTION}20261123100509` + '0001');
  });

  it('resumes after the last msgid of a previous run, even if the clock is now earlier', () => {
    const msgids = createMsgidSource({
      institutionCode: INSTITUTION,
      terminalDigit: 2,
      after: `${INSTITUTION}20261123100509` + '2007',
    });
    expect(msgids.next(T0 - 60_000)).toBe(`${INSTITUTION}20261123100509` + '2008');
    expect(() =>
      createMsgidSource({
        institutionCode: INSTITUTION,
        terminalDigit: 2,
        after: `${INSTITUTION}20261123100509` + '3007',
      }),
    ).toThrow(InputError);
  });

  it('refuses an institution code a msgid cannot hold and a terminal digit outside 0–9', () => {
    expect(() => createMsgidSource({ institutionCode: 'P2201010000123' })).toThrow(InputError);
    expect(() => createMsgidSource({ institutionCode: 'P-1' })).toThrow(InputError);
    expect(() => createMsgidSource({ institutionCode: INSTITUTION, terminalDigit: 10 })).toThrow(InputError);
    expect(() => createMsgidSource({ institutionCode: INSTITUTION }).next(Number.NaN)).toThrow(InputError);
  });

  it('never repeats across terminals and never decreases within one, whatever the clock does (10k msgids)', () => {
    // A clock step is a jump forwards or backwards of up to ten minutes, or no move at all (bursts in one second).
    const step = fc.oneof(
      fc.constant(0),
      fc.integer({ min: -600_000, max: 600_000 }),
      fc.integer({ min: 0, max: 1500 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), step), { minLength: 10_000, maxLength: 10_000 }),
        (script) => {
          const digits = [0, 3, 7, 9];
          const sources = digits.map((terminalDigit) =>
            createMsgidSource({ institutionCode: INSTITUTION, terminalDigit }),
          );
          const last: (string | undefined)[] = digits.map(() => undefined);
          const seen = new Set<string>();
          let now = T0;
          for (const [terminal, delta] of script) {
            now += delta;
            const msgid = sources[terminal]!.next(now);
            if (seen.has(msgid)) return false;
            seen.add(msgid);
            const previous = last[terminal];
            if (previous !== undefined && !(msgid > previous)) return false;
            last[terminal] = msgid;
            if (Number(msgid.slice(-4)[0]) !== digits[terminal]) return false;
          }
          return seen.size === script.length;
        },
      ),
      { numRuns: 5 },
    );
  });
});

describe('the client and its msgids', () => {
  it('gives every call a new msgid from the configured source', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    const platformClient = client({ msgids: createMsgidSource({ institutionCode: INSTITUTION, terminalDigit: 5 }) });
    await Promise.all(
      [1, 2, 3].map(() => platformClient.report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } })),
    );
    const msgids = platform.requests.map((r) => r.envelope.msgid);
    expect(new Set(msgids).size).toBe(4); // 9001 and three reports
    for (const msgid of msgids) expect(msgid).toMatch(new RegExp(`^${INSTITUTION}20261123100509500\\d$`));
  });
});
