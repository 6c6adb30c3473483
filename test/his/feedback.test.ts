import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hisCallerOf, type CdsCard } from '../../adapters/his/index.js';
import { AuditEventSchema } from '../../src/schemas/index.js';
import { hookRequest, ISSUER, NOW, startClinic, visit, type Clinic } from './helpers.js';

let clinic: Clinic;
beforeAll(async () => {
  clinic = await startClinic();
});
afterAll(() => clinic.close());

const SIGN = '/cds-services/yibao-order-sign';
const FEEDBACK = `${SIGN}/feedback`;
const at = '2026-11-23T02:00:05Z';
/** The clinic's tokens carry no sub: the operator the audit names is the issuer. */
const operator = async () => (await hisCallerOf({ iss: ISSUER })).operatorId;
const stated = (userId: string) => `${userId}（HIS 所报用户，未经认证 / user stated by the HIS, not authenticated）`;

async function cardsFor(encounterId: string, path = SIGN, hook = 'order-sign') {
  const res = await clinic.post(path, hookRequest(hook, visit({ encounterId })));
  const cards = res.json.cards as CdsCard[];
  return (findingId: string) => cards.find((c) => c.extension['yibao-guard'].findingId === findingId)!;
}

async function auditSince(seq: number) {
  return (await clinic.storage.read('audit', { after: seq })).map((e) => AuditEventSchema.parse(e.value));
}

describe('feedback', () => {
  it('writes an accepted suggestion as a finding-action and an override as a finding-override, in the till’s audit format', async () => {
    const card = await cardsFor('ENC-FB-1');
    const block = card('substitution:O2:category');
    const warning = card('days-supply:O1');
    const before = await clinic.storage.lastSeq('audit');
    const res = await clinic.post(FEEDBACK, {
      feedback: [
        {
          card: block.uuid,
          outcome: 'accepted',
          acceptedSuggestions: [{ id: block.suggestions[1]!.uuid }],
          outcomeTimestamp: at,
        },
        {
          card: warning.uuid,
          outcome: 'overridden',
          overrideReason: {
            reason: { code: 'doctor-confirmed', system: 'urn:yibao-guard:override-reason' },
            userComment: '患者长期服用',
          },
          outcomeTimestamp: at,
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.results).toEqual([
      { card: block.uuid, outcome: 'accepted', status: 'recorded', events: 1 },
      { card: warning.uuid, outcome: 'overridden', status: 'recorded', events: 1 },
    ]);
    expect(await operator()).toMatch(/^his\.clinic\.example-[0-9a-f]{6}$/);
    expect(await auditSince(before)).toEqual([
      {
        kind: 'finding-action',
        at: NOW,
        saleId: 'ENC-FB-1',
        operatorId: await operator(),
        findingId: 'substitution:O2:category',
        action: { kind: 'switch-to-self-pay', lineId: 'O2' },
      },
      {
        kind: 'finding-override',
        at: NOW,
        saleId: 'ENC-FB-1',
        finding: {
          findingId: 'days-supply:O1',
          ruleId: 'days-supply',
          lineId: 'O1',
          severity: 'warning',
          source: 'local',
        },
        reasonCode: 'doctor-confirmed',
        note: '患者长期服用',
        by: { operatorId: await operator(), name: stated('Practitioner/D001') },
      },
    ]);
  });

  it('deduplicates repeated feedback for the same card: in one request, a retried request, and after the hook is called again', async () => {
    let card = await cardsFor('ENC-FB-2');
    const warning = card('payment-scope:O3:unmet');
    const override = {
      card: warning.uuid,
      outcome: 'overridden',
      overrideReason: { reason: { code: 'other' }, userComment: '已核实' },
      outcomeTimestamp: at,
    };
    const before = await clinic.storage.lastSeq('audit');
    const first = await clinic.post(FEEDBACK, { feedback: [override, override] });
    expect(first.json.results.map((r: { status: string }) => r.status)).toEqual(['recorded', 'duplicate']);
    const retried = await clinic.post(FEEDBACK, { feedback: [override] });
    expect(retried.status).toBe(200);
    expect(retried.json.results).toEqual([
      { card: warning.uuid, outcome: 'overridden', status: 'duplicate', events: 0 },
    ]);
    // The HIS asks again for the unchanged visit: the same card, already decided.
    card = await cardsFor('ENC-FB-2');
    expect(card('payment-scope:O3:unmet').uuid).toBe(warning.uuid);
    const another = await clinic.post(FEEDBACK, {
      feedback: [{ ...override, overrideReason: { reason: { code: 'doctor-confirmed' } } }],
    });
    expect(another.json.results[0].status).toBe('duplicate');
    const written = (await auditSince(before)).filter((e) => e.kind === 'finding-override');
    expect(written).toHaveLength(1);
    // Concurrent repeats are written once too.
    const block = card('substitution:O2:category');
    const accept = {
      card: block.uuid,
      outcome: 'accepted',
      acceptedSuggestions: [{ id: block.suggestions[0]!.uuid }],
      outcomeTimestamp: at,
    };
    const both = await Promise.all([
      clinic.post(FEEDBACK, { feedback: [accept] }),
      clinic.post(FEEDBACK, { feedback: [accept] }),
    ]);
    expect(both.map((r) => r.json.results[0].status).sort()).toEqual(['duplicate', 'recorded']);
    expect((await auditSince(before)).filter((e) => e.kind === 'finding-action')).toHaveLength(1);
  });

  it('refuses to override a hard stop, and a reason-required card without a reason of the card', async () => {
    const card = await cardsFor('ENC-FB-3');
    const block = card('substitution:O2:category');
    const warning = card('days-supply:O1');
    const before = await clinic.storage.lastSeq('audit');
    const cases: [unknown, number, string][] = [
      [
        {
          card: block.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { code: 'doctor-confirmed' } },
          outcomeTimestamp: at,
        },
        400,
        'FINDING_NOT_OVERRIDABLE',
      ],
      [{ card: warning.uuid, outcome: 'overridden', outcomeTimestamp: at }, 400, 'OVERRIDE_REASON_UNKNOWN'],
      [
        {
          card: warning.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { code: 'because' } },
          outcomeTimestamp: at,
        },
        400,
        'OVERRIDE_REASON_UNKNOWN',
      ],
      [
        {
          card: warning.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { code: 'other' }, userComment: '  ' },
          outcomeTimestamp: at,
        },
        400,
        'OVERRIDE_NOTE_REQUIRED',
      ],
      [{ card: block.uuid, outcome: 'accepted', outcomeTimestamp: at }, 400, 'INVALID_INPUT'],
      [
        {
          card: block.uuid,
          outcome: 'accepted',
          acceptedSuggestions: [{ id: warning.suggestions[0]!.uuid }],
          outcomeTimestamp: at,
        },
        400,
        'INVALID_INPUT',
      ],
      [
        {
          card: block.uuid,
          outcome: 'accepted',
          acceptedSuggestions: block.suggestions.map((s) => ({ id: s.uuid })),
          outcomeTimestamp: at,
        },
        400,
        'INVALID_INPUT',
      ],
      [
        { card: '00000000-0000-4000-8000-000000000000', outcome: 'accepted', outcomeTimestamp: at },
        404,
        'FINDING_NOT_FOUND',
      ],
      [
        {
          card: warning.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { code: 'other' } },
          outcomeTimestamp: 'yesterday',
        },
        400,
        'INVALID_INPUT',
      ],
    ];
    for (const [item, status, code] of cases) {
      // A good entry first: a batch with one bad entry writes nothing.
      const good = {
        card: warning.uuid,
        outcome: 'overridden',
        overrideReason: { reason: { code: 'doctor-confirmed' } },
        outcomeTimestamp: at,
      };
      const res = await clinic.post(FEEDBACK, { feedback: [good, item] });
      expect(res.status, code).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(res.json.error.messageZh).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await clinic.storage.lastSeq('audit')).toBe(before);
  });

  it('records a dismissed soft or information card without a reason, and notes an accepted card that has nothing to apply', async () => {
    const card = await cardsFor('ENC-FB-4', '/cds-services/yibao-order-select', 'order-select');
    const soft = card('payment-scope:O3:unmet');
    const info = card('payment-scope:O4:text');
    expect(soft.extension['yibao-guard'].stopLevel).toBe('soft');
    const before = await clinic.storage.lastSeq('audit');
    const res = await clinic.post('/cds-services/yibao-order-select/feedback', {
      feedback: [
        { card: soft.uuid, outcome: 'overridden', outcomeTimestamp: at, userId: 'Practitioner/D002' },
        {
          card: info.uuid,
          outcome: 'overridden',
          overrideReason: { userComment: `患者 ${'11010519491231002X'} 已知晓` },
          outcomeTimestamp: at,
        },
      ],
    });
    expect(res.json.results.map((r: { status: string }) => r.status)).toEqual(['recorded', 'recorded']);
    const events = await auditSince(before);
    expect(events).toMatchObject([
      {
        kind: 'finding-override',
        reasonCode: 'dismissed',
        note: '',
        by: { operatorId: await operator(), name: stated('Practitioner/D002') },
        finding: { findingId: 'payment-scope:O3:unmet' },
      },
      {
        kind: 'finding-override',
        reasonCode: 'dismissed',
        note: '患者 1101**********002X 已知晓',
        by: { name: stated('Practitioner/D001') },
        finding: { severity: 'info' },
      },
    ]);
  });

  it('accepts feedback only on the service that showed the card, and only within the retention time', async () => {
    const card = await cardsFor('ENC-FB-5');
    const warning = card('days-supply:O1');
    const item = {
      card: warning.uuid,
      outcome: 'overridden',
      overrideReason: { reason: { code: 'doctor-confirmed' } },
      outcomeTimestamp: at,
    };
    const elsewhere = await clinic.post('/cds-services/yibao-presettle/feedback', { feedback: [item] });
    expect(elsewhere.status).toBe(404);
    clinic.clock.set(NOW + 24 * 3_600_000 + 1);
    try {
      const late = await clinic.post(FEEDBACK, { feedback: [item] });
      expect(late.status).toBe(404);
      expect(late.json.error.code).toBe('FINDING_NOT_FOUND');
    } finally {
      clinic.clock.set(NOW);
    }
  });
});
