/**
 * Feedback belongs to the HIS that got the card: a card is bound to the token identity (iss, sub) of the hook call
 * that showed it; the audit names the authenticated identity, never a user id the caller picks; cards and seen jtis
 * live in the service's storage, so a second instance (or the same one started again) honours both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CdsCard } from '../../adapters/his/index.js';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { createMemoryStorage, TERMINAL_NAMES, type Storage, type TerminalLayout } from '../../src/index.js';
import { AuditEventSchema } from '../../src/schemas/index.js';
import { hisSigner, hookRequest, ISSUER, ISSUER_B, NOW, startClinic, visit, type Clinic } from './helpers.js';

const SIGN = '/cds-services/yibao-order-sign';
const FEEDBACK = `${SIGN}/feedback`;
const at = '2026-11-23T02:00:05Z';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});
const dir = mkdtempSync(join(tmpdir(), 'yg-his-binding-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function clinicWithB(
  storage?: Storage<TerminalLayout>,
): Promise<Clinic & { tokenB(path: string, o?: { sub?: string; jti?: string }): Promise<string> }> {
  const signerB = await hisSigner('emr-k1', 2);
  const clinic = await startClinic({
    ...(storage ? { storage } : {}),
    issuers: [{ iss: ISSUER_B, keys: [{ kid: signerB.keyId, publicKey: signerB.publicKey }] }],
  });
  const withB = {
    ...clinic,
    tokenB: (path: string, o: { sub?: string; jti?: string } = {}) =>
      clinic.token(path, { signer: signerB, iss: ISSUER_B, ...o }),
  };
  open.push(withB);
  return withB;
}

async function sqlite(name: string): Promise<Storage<TerminalLayout>> {
  const storage = await createSqliteStorage<TerminalLayout>({ file: join(dir, name), names: TERMINAL_NAMES });
  open.push(storage);
  return storage;
}

async function cardsFor(clinic: Clinic, encounterId: string, token?: string) {
  const res = await clinic.post(SIGN, hookRequest('order-sign', visit({ encounterId })), token ? { token } : {});
  expect(res.status).toBe(200);
  const cards = res.json.cards as CdsCard[];
  return (findingId: string) => cards.find((c) => c.extension['yibao-guard'].findingId === findingId)!;
}

const override = (card: CdsCard, extra: Record<string, unknown> = {}) => ({
  card: card.uuid,
  outcome: 'overridden',
  overrideReason: { reason: { code: 'doctor-confirmed' } },
  outcomeTimestamp: at,
  ...extra,
});

async function audit(storage: Storage<TerminalLayout>, after = 0) {
  return (await storage.read('audit', { after })).map((e) => AuditEventSchema.parse(e.value));
}

describe('HIS feedback is bound to the identity that got the card', () => {
  it("refuses another allowed issuer's feedback on the first issuer's card (403 HIS_FEEDBACK_FORBIDDEN), and writes nothing", async () => {
    const clinic = await clinicWithB();
    const warning = (await cardsFor(clinic, 'ENC-BIND-1'))('days-supply:O1');
    const before = await clinic.storage.lastSeq('audit');
    // The EMR computes (or learns) the card's uuid and posts an override on it in the doctor's name.
    const res = await clinic.post(
      FEEDBACK,
      { feedback: [override(warning, { userId: 'Practitioner/D001' })] },
      { token: await clinic.tokenB(FEEDBACK) },
    );
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('HIS_FEEDBACK_FORBIDDEN');
    expect(res.json.error.messageZh).toMatch(/[\u4e00-\u9fff]/);
    expect(res.json.error.message).toMatch(/[A-Za-z]/);
    // The same issuer under another subject (another client of the same HIS) is another identity.
    const otherClient = await clinic.post(
      FEEDBACK,
      { feedback: [override(warning)] },
      { token: await clinic.token(FEEDBACK, { sub: 'billing-client' }) },
    );
    expect(otherClient.status).toBe(403);
    expect(otherClient.json.error.code).toBe('HIS_FEEDBACK_FORBIDDEN');
    expect(await clinic.storage.lastSeq('audit')).toBe(before);
    // The HIS that got the card still decides it: the refused attempts did not use it up.
    const own = await clinic.post(FEEDBACK, { feedback: [override(warning)] });
    expect(own.status).toBe(200);
    expect(own.json.results[0].status).toBe('recorded');
  });

  it("writes the token's identity into the audit trail, the user id the HIS states only as a marked display note", async () => {
    const clinic = await clinicWithB();
    const token = await clinic.token(SIGN, { sub: 'emr-a' });
    const card = await cardsFor(clinic, 'ENC-BIND-2', token);
    const warning = card('days-supply:O1');
    const block = card('substitution:O2:category');
    const before = await clinic.storage.lastSeq('audit');
    const res = await clinic.post(
      FEEDBACK,
      {
        feedback: [
          override(warning, { userId: 'Practitioner/D999' }),
          {
            card: block.uuid,
            outcome: 'accepted',
            acceptedSuggestions: [{ id: block.suggestions[0]!.uuid }],
            outcomeTimestamp: at,
            userId: 'Practitioner/D999',
          },
        ],
      },
      { token: await clinic.token(FEEDBACK, { sub: 'emr-a' }) },
    );
    expect(res.status).toBe(200);
    const events = await audit(clinic.storage, before);
    expect(events.map((e) => e.kind)).toEqual(['finding-override', 'finding-action']);
    const [written, action] = events as [
      Extract<(typeof events)[number], { kind: 'finding-override' }>,
      Extract<(typeof events)[number], { kind: 'finding-action' }>,
    ];
    // his.clinic.example, a short hash of the full iss (two issuers on one host stay apart), then the token's sub.
    expect(written.by.operatorId).toMatch(/^his\.clinic\.example-[0-9a-f]{6}:emr-a$/);
    expect(action.operatorId).toBe(written.by.operatorId);
    expect(JSON.stringify(events)).not.toContain('Practitioner:D999');
    expect(written.by.name).toBe(
      'Practitioner/D999（HIS 所报用户，未经认证 / user stated by the HIS, not authenticated）',
    );
  });

  it('takes feedback after a restart: a new service over the same SQLite file knows the card and whom it was shown to', async () => {
    const storage1 = await sqlite('restart.sqlite');
    const first = await clinicWithB(storage1);
    const warning = (await cardsFor(first, 'ENC-BIND-3'))('days-supply:O1');
    await first.close();
    open.splice(open.indexOf(first), 1);
    await storage1.close();
    open.splice(open.indexOf(storage1), 1);

    const storage2 = await sqlite('restart.sqlite');
    const second = await clinicWithB(storage2);
    const before = await storage2.lastSeq('audit');
    const res = await second.post(FEEDBACK, { feedback: [override(warning)] });
    expect(res.status).toBe(200);
    expect(res.json.results).toEqual([{ card: warning.uuid, outcome: 'overridden', status: 'recorded', events: 1 }]);
    expect((await audit(storage2, before)).map((e) => e.kind)).toEqual(['finding-override']);
    // Whom it was shown to came back with it.
    const stranger = await second.post(
      FEEDBACK,
      { feedback: [override(warning)] },
      { token: await second.tokenB(FEEDBACK) },
    );
    expect(stranger.status).toBe(403);
  });

  it('refuses a replayed token on a second instance over the same SQLite file, and dedups feedback across instances', async () => {
    const one = await clinicWithB(await sqlite('shared.sqlite'));
    const two = await clinicWithB(await sqlite('shared.sqlite'));
    const token = await one.token(SIGN, { jti: 'jti-across-1' });
    expect(
      (await one.post(SIGN, hookRequest('order-sign', visit({ encounterId: 'ENC-BIND-4' })), { token })).status,
    ).toBe(200);
    const replay = await two.post(SIGN, hookRequest('order-sign', visit({ encounterId: 'ENC-BIND-4' })), { token });
    expect(replay.status).toBe(401);
    expect(replay.json.error).toMatchObject({ code: 'HIS_UNAUTHORIZED', reason: 'replayed' });
    // A card shown by one instance is decided once, whichever instance the feedback reaches.
    const warning = (await cardsFor(one, 'ENC-BIND-4'))('payment-scope:O3:unmet');
    const item = override(warning);
    const results = await Promise.all([
      one.post(FEEDBACK, { feedback: [item] }),
      two.post(FEEDBACK, { feedback: [item] }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(results.map((r) => r.json.results[0].status).sort()).toEqual(['duplicate', 'recorded']);
    expect((await audit(one.storage)).filter((e) => e.kind === 'finding-override')).toHaveLength(1);
  });

  it('refuses a replayed jti across two instances over one memory storage', async () => {
    const storage = createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
    const one = await clinicWithB(storage);
    const two = await clinicWithB(storage);
    const token = await one.tokenB(SIGN, { jti: 'jti-across-2' });
    expect((await one.post(SIGN, hookRequest('order-sign', visit()), { token })).status).toBe(200);
    const replay = await two.post(SIGN, hookRequest('order-sign', visit()), { token });
    expect(replay.status).toBe(401);
    expect(replay.json.error.reason).toBe('replayed');
  });

  it('drops seen jtis once their token has expired and cards after the retention time, by the injected clock', async () => {
    const clinic = await clinicWithB();
    await cardsFor(clinic, 'ENC-BIND-5');
    await cardsFor(clinic, 'ENC-BIND-6');
    expect(await clinic.storage.count('hisCards')).toBe(10);
    expect(await clinic.storage.count('hisJtis')).toBe(2);
    // Ten minutes on: both tokens (5 minutes of life) are past; the cards (24 h) are kept.
    clinic.clock.set(NOW + 600_000);
    await cardsFor(clinic, 'ENC-BIND-7');
    expect(await clinic.storage.count('hisJtis')).toBe(1);
    expect(await clinic.storage.count('hisCards')).toBe(15);
    // A day on: the first two visits' cards are past their retention time and go; the third's are shown again.
    clinic.clock.set(NOW + 24 * 3_600_000 + 1);
    await cardsFor(clinic, 'ENC-BIND-7');
    expect(await clinic.storage.count('hisCards')).toBe(5);
    expect(await clinic.storage.count('hisJtis')).toBe(1);
    expect(await clinic.storage.count('hisExpiry')).toBe(6);
  });
});

describe('in-process calls (no token)', () => {
  it('take feedback on the cards they were shown, with the user they name as operator, and not on cards shown to a token', async () => {
    const clinic = await clinicWithB();
    const { cards } = await clinic.service.evaluateOrders(visit({ encounterId: 'ENC-BIND-8' }));
    const warning = cards.find((c) => c.extension['yibao-guard'].findingId === 'days-supply:O1')!;
    const before = await clinic.storage.lastSeq('audit');
    const result = await clinic.service.feedback('yibao-order-sign', {
      feedback: [override(warning, { userId: 'Practitioner/D002' })],
    });
    expect(result.results[0]!.status).toBe('recorded');
    expect(await audit(clinic.storage, before)).toMatchObject([
      { kind: 'finding-override', by: { operatorId: 'Practitioner:D002' } },
    ]);
    // A card shown to an HIS over HTTP is that HIS's to decide.
    const shown = (await cardsFor(clinic, 'ENC-BIND-9'))('days-supply:O1');
    await expect(clinic.service.feedback('yibao-order-sign', { feedback: [override(shown)] })).rejects.toMatchObject({
      code: 'HIS_FEEDBACK_FORBIDDEN',
    });
  });
});
