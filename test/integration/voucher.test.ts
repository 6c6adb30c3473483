/**
 * Real-name verification end to end: the real platform client over real HTTP on 127.0.0.1 against the simulator's
 * seeded people, with the memory storage keeping the audit trail and the velocity history.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  createTerminal,
  isYibaoGuardError,
  TERMINAL_NAMES,
  VoucherError,
  type Storage,
  type TerminalLayout,
  type VerifiedBuyer,
} from '../../src/index.js';
import type { VoucherAuditEvent, VoucherPolicy } from '../../src/schemas/index.js';
import { verifyVoucher } from '../../src/voucher/index.js';
import { createPlatformClient } from '../../src/platform/index.js';
import { DEFAULT_TIMEOUT_MS, PHARMACY, tillClient, tillIdentity } from './till-fixture.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  startSimulator,
  type RunningSimulator,
  type Simulator,
  type DemoPersonKey,
} from '../../adapters/simulator/index.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0);
const PROXY = { residentId: '220102198503150031', name: '李小四', phone: '13812345678', relation: '子女' };

let now = T0;
const clock = { now: () => now };
let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;

beforeEach(async () => {
  now = T0;
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
});
afterEach(async () => {
  await server.close();
  await storage.close();
});

/** One platform client per terminal, as a till has: each keeps its own msgid sequence and sign-in. */
const clients = new Map<string, ReturnType<typeof createPlatformClient>>();
beforeEach(() => clients.clear());

function options(overrides: { terminalId?: string; policy?: VoucherPolicy; timeoutMs?: number } = {}) {
  const terminalId = overrides.terminalId ?? 'T01';
  const timeoutMs = overrides.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const key = `${terminalId}:${timeoutMs}:${server.url}`;
  const platform =
    clients.get(key) ??
    tillClient({ baseUrl: server.url, clock, terminalId, terminalDigit: Number(terminalId.slice(-1)), timeoutMs });
  clients.set(key, platform);
  return {
    platform,
    storage,
    clock,
    terminal: { id: terminalId, operatorId: 'OP7', area: PHARMACY.admdvs },
    ...(overrides.policy ? { policy: overrides.policy } : {}),
  };
}

async function refusal(promise: Promise<unknown>): Promise<VoucherError | unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

function qrOf(key: DemoPersonKey): string {
  return simulator.issueVoucher(key).qr;
}

/** The voucher-verification events of the audit trail. */
async function auditTrail() {
  return (await storage.read('audit'))
    .map((entry) => entry.value)
    .filter((event): event is VoucherAuditEvent => event.kind === 'voucher-verification');
}

describe('verifyVoucher against the simulator', () => {
  it('verifies an insured person by e-voucher QR and shows only masked identity', async () => {
    const person = DEMO_PEOPLE.active;
    const buyer = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: `${qrOf('active')}\r\n` } }, options());
    expect(buyer.psnNo).toBe(person.psnNo);
    expect(buyer.insurance).toMatchObject({
      insutype: person.insutype,
      status: '1',
      insuplcAdmdvs: person.insuplcAdmdvs,
      balanceFen: person.openingBalanceFen,
    });
    expect(buyer.displayId).toBe(`${person.residentId.slice(0, 4)}**********${person.residentId.slice(-4)}`);
    expect(buyer.displayName.startsWith(person.name.charAt(0))).toBe(true);
    expect(buyer.displayName).not.toBe(person.name);
    expect(buyer.outOfArea).toBe(false);
    expect(buyer.counterBuyer).toEqual({ kind: 'holder' });
    expect(buyer.identity.residentId).toBe(person.residentId);
    // The full identity is for settlement only: not in JSON, logs or snapshots.
    const json = JSON.stringify(buyer);
    expect(json).not.toContain(person.residentId);
    expect(json).not.toContain(person.name);
    expect(await auditTrail()).toEqual([
      expect.objectContaining({
        kind: 'voucher-verification',
        outcome: 'verified',
        psnNo: person.psnNo,
        voucherKind: 'ec-qr',
        buyer: { kind: 'holder' },
      }),
    ]);
  });

  it('verifies by 社保卡 (card number + 身份证) and by 身份证 alone where policy allows', async () => {
    const person = DEMO_PEOPLE.resident;
    const byCard = await verifyVoucher(
      {
        voucher: { kind: 'ssc', cardNo: person.card.cardNo, cardSn: person.card.cardSn, residentId: person.residentId },
      },
      options(),
    );
    expect(byCard.psnNo).toBe(person.psnNo);
    expect(byCard.certType).toBe('03');
    const policy = {
      residentIdAlone: true,
      velocityWindowMinutes: 30,
      maxVerificationsPerWindow: 5,
      maxTerminalsPerWindow: 1,
    };
    const byId = await verifyVoucher(
      { voucher: { kind: 'id-card', residentId: person.residentId } },
      options({ policy }),
    );
    expect(byId.psnNo).toBe(person.psnNo);
  });

  it('refuses 身份证 alone where local policy does not allow it, before asking the platform', async () => {
    const error = await refusal(
      verifyVoucher({ voucher: { kind: 'id-card', residentId: DEMO_PEOPLE.active.residentId } }, options()),
    );
    expect(isYibaoGuardError(error, 'VOUCHER_NOT_ALLOWED')).toBe(true);
    expect(simulator.received().filter((r) => r.infno === '1101')).toHaveLength(0);
  });

  it.each([
    ['deceased', 'BUYER_DECEASED'],
    ['suspended', 'BUYER_INSURANCE_SUSPENDED'],
    ['terminated', 'BUYER_NOT_INSURED'],
    ['blacklisted', 'BUYER_SETTLEMENT_SUSPENDED'],
  ] as const)('refuses the %s holder with %s and audits the refusal', async (key, code) => {
    const error = await refusal(verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf(key) } }, options()));
    expect(isYibaoGuardError(error, code)).toBe(true);
    expect((error as VoucherError).selfPayAllowed).toBe(false);
    expect(await auditTrail()).toEqual([expect.objectContaining({ outcome: code, psnNo: DEMO_PEOPLE[key].psnNo })]);
  });

  it('refuses an expired token, and a token already used for a settlement', async () => {
    const ticket = simulator.issueVoucher('active');
    now += 10 * 60_000;
    simulator.advance?.(10 * 60_000);
    const expired = await refusal(verifyVoucher({ voucher: { kind: 'ec-qr', qr: ticket.qr } }, options()));
    expect(isYibaoGuardError(expired, 'VOUCHER_EXPIRED')).toBe(true);

    // A fresh token pays for one sale; shown again afterwards it is refused.
    const fresh = simulator.issueVoucher('active');
    const o = options();
    const buyer = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: fresh.qr } }, o);
    const product = DEMO_CATALOG.find(
      (p) => p.medListCode && p.category === 'western-drug' && !p.rx && !p.paymentRestriction && p.retailPriceFen,
    )!;
    const input = {
      druginfo: {
        psn_no: buyer.psnNo,
        mdtrt_cert_type: '01' as const,
        mdtrt_cert_no: buyer.identity.certNo,
        begntime: now,
        medfee_sumamt: product.retailPriceFen!,
        insutype: buyer.insurance.insutype,
        acct_used_flag: '1' as const,
        med_type: '41',
      },
      drugdetail: [
        {
          feedetl_sn: '1',
          rx_circ_flag: '0' as const,
          fee_ocur_time: now,
          med_list_codg: product.medListCode!,
          medins_list_codg: product.productId,
          det_item_fee_sumamt: product.retailPriceFen!,
          cnt: 1,
          pric: product.retailPriceFen! * 10_000,
        },
      ],
    };
    await o.platform.preSettle(input, { insuplcAdmdvs: buyer.insurance.insuplcAdmdvs });
    await o.platform.settle(
      { ...input, druginfo: { ...input.druginfo, invono: 'INV-1' } },
      { insuplcAdmdvs: buyer.insurance.insuplcAdmdvs },
    );
    const reused = await refusal(verifyVoucher({ voucher: { kind: 'ec-qr', qr: fresh.qr } }, o));
    expect(isYibaoGuardError(reused, 'VOUCHER_EXPIRED')).toBe(true);
  });

  it('refuses a card whose 身份证 is not its holder (borrowed card)', async () => {
    const holder = DEMO_PEOPLE.active;
    const other = DEMO_PEOPLE.resident;
    const error = await refusal(
      verifyVoucher(
        {
          voucher: {
            kind: 'ssc',
            cardNo: holder.card.cardNo,
            cardSn: holder.card.cardSn,
            residentId: other.residentId,
          },
        },
        options(),
      ),
    );
    expect(isYibaoGuardError(error, 'VOUCHER_MISMATCH')).toBe(true);
  });

  it('flags an out-of-area voucher and carries 慢特病 qualifications and a child’s age', async () => {
    const nonlocal = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('nonlocal') } }, options());
    expect(nonlocal.outOfArea).toBe(true);
    expect(nonlocal.crossProvince).toBe(true);
    const chronic = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('chronic') } }, options());
    expect(chronic.chronic.map((c) => c.code)).toEqual(
      expect.arrayContaining(DEMO_PEOPLE.chronic.chronicDiseases.map((d) => d.code)),
    );
    const child = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('child') } }, options());
    expect(child.age).toBeLessThan(18);
  });

  it('records a proxy buyer: full identity kept for the sale, masked in the audit and in JSON', async () => {
    const buyer: VerifiedBuyer = await verifyVoucher(
      { voucher: { kind: 'ec-qr', qr: qrOf('chronic') }, proxy: PROXY },
      options(),
    );
    expect(buyer.counterBuyer).toEqual({
      kind: 'proxy',
      residentIdMasked: '2201**********0031',
      nameMasked: '李**',
      relation: '子女',
      phoneMasked: '138****5678',
    });
    expect(buyer.identity.proxy).toEqual(PROXY);
    const trail = JSON.stringify(await auditTrail());
    expect(trail).toContain('2201**********0031');
    for (const secret of [
      PROXY.residentId,
      PROXY.name,
      PROXY.phone,
      DEMO_PEOPLE.chronic.residentId,
      DEMO_PEOPLE.chronic.name,
    ]) {
      expect(trail).not.toContain(secret);
      expect(JSON.stringify(buyer)).not.toContain(secret);
    }
  });

  it('refuses a proxy buyer with a mistyped 身份证 before any call', async () => {
    const error = await refusal(
      verifyVoucher(
        { voucher: { kind: 'ec-qr', qr: qrOf('active') }, proxy: { ...PROXY, residentId: '220102198503150036' } },
        options(),
      ),
    );
    expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
    expect(simulator.received().filter((r) => r.infno === '1101')).toHaveLength(0);
  });

  it('warns when the same person is verified too often, and when a second terminal shows the voucher', async () => {
    const policy = {
      residentIdAlone: false,
      velocityWindowMinutes: 30,
      maxVerificationsPerWindow: 2,
      maxTerminalsPerWindow: 1,
    };
    const first = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('active') } }, options({ policy }));
    expect(first.warnings).toEqual([]);
    now += 60_000;
    const second = await verifyVoucher(
      { voucher: { kind: 'ec-qr', qr: qrOf('active') } },
      options({ policy, terminalId: 'T02' }),
    );
    expect(second.warnings.map((w) => w.code)).toEqual(['VOUCHER_MULTI_TERMINAL']);
    now += 60_000;
    const third = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('active') } }, options({ policy }));
    expect(third.warnings.map((w) => w.code)).toEqual(['VOUCHER_VELOCITY', 'VOUCHER_MULTI_TERMINAL']);
    expect((await auditTrail()).map((e) => e.warnings)).toEqual([
      [],
      ['VOUCHER_MULTI_TERMINAL'],
      ['VOUCHER_VELOCITY', 'VOUCHER_MULTI_TERMINAL'],
    ]);
    // Forty minutes later the window has moved on.
    now += 40 * 60_000;
    const later = await verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('active') } }, options({ policy }));
    expect(later.warnings).toEqual([]);
  });

  it('counts concurrent verifications of one person exactly (no lost update)', async () => {
    const policy = {
      residentIdAlone: false,
      velocityWindowMinutes: 30,
      maxVerificationsPerWindow: 100,
      maxTerminalsPerWindow: 10,
    };
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('active') } }, options({ policy, terminalId: `T0${i}` })),
      ),
    );
    expect((await storage.get('voucherUse', DEMO_PEOPLE.active.psnNo))?.value.uses).toHaveLength(8);
  });

  it('says the platform is unreachable with VOUCHER_OFFLINE, self-pay allowed', async () => {
    await server.close();
    const error = await refusal(
      verifyVoucher({ voucher: { kind: 'ec-qr', qr: qrOf('active') } }, options({ timeoutMs: 300 })),
    );
    expect(isYibaoGuardError(error, 'VOUCHER_OFFLINE')).toBe(true);
    expect((error as VoucherError).selfPayAllowed).toBe(true);
    expect(await auditTrail()).toEqual([expect.objectContaining({ outcome: 'VOUCHER_OFFLINE' })]);
    server = await startSimulator({ port: 0, simulator }); // for afterEach
  });

  it('refuses bad scans with typed errors and audits them without the scan', async () => {
    const scans = [
      '',
      '\r\n',
      qrOf('active').slice(0, 15),
      'x'.repeat(100_000),
      '81234560000000000017',
      '<script>alert(1)</script>',
    ];
    for (const qr of scans) {
      const error = await refusal(verifyVoucher({ voucher: { kind: 'ec-qr', qr } }, options()));
      expect(isYibaoGuardError(error, 'VOUCHER_UNREADABLE'), JSON.stringify(qr.slice(0, 30))).toBe(true);
    }
    const wrongCheck = await refusal(
      verifyVoucher({ voucher: { kind: 'ssc', cardNo: 'A12345678', residentId: '110105194912310021' } }, options()),
    );
    expect(isYibaoGuardError(wrongCheck, 'INVALID_RESIDENT_ID')).toBe(true);
    expect(simulator.received().filter((r) => r.infno === '1101')).toHaveLength(0);
    const trail = await auditTrail();
    expect(trail).toHaveLength(scans.length + 1);
    expect(trail.every((e) => e.voucherKind === 'unreadable' || e.voucherKind === 'ssc')).toBe(true);
    expect(JSON.stringify(trail)).not.toContain('110105194912310021');
  });
});

describe('terminal.verifyVoucher', () => {
  it('wraps verification with the rule pack’s voucher policy and the terminal’s identity', async () => {
    const rulePack = {
      format: 'yibao-guard.rule-pack/1' as const,
      packId: 'JL-TEST',
      version: 1,
      issuer: 'test',
      area: '220000',
      issuedAt: T0,
      validFrom: T0,
      validUntil: T0 + 86_400_000,
      rules: {},
      overrideReasons: [{ code: 'OK', label: { zh: '确认', en: 'Confirmed' } }],
      keyDrugs: [],
      voucherPolicy: {
        residentIdAlone: true,
        velocityWindowMinutes: 10,
        maxVerificationsPerWindow: 1,
        maxTerminalsPerWindow: 1,
      },
    };
    const terminal = await createTerminal({
      platform: { baseUrl: server.url, timeoutMs: DEFAULT_TIMEOUT_MS, retry: { limit: 0 } },
      storage,
      ...tillIdentity('T05', { id: 'OP9', name: '王药师' }),
      rulePack,
      clock,
      sync: { autoStart: false },
    });
    expect(terminal.voucherPolicy.residentIdAlone).toBe(true);
    await terminal.signIn();
    const first = await terminal.verifyVoucher({
      voucher: { kind: 'id-card', residentId: DEMO_PEOPLE.active.residentId },
    });
    expect(first.psnNo).toBe(DEMO_PEOPLE.active.psnNo);
    const second = await terminal.verifyVoucher({
      voucher: { kind: 'id-card', residentId: DEMO_PEOPLE.active.residentId },
    });
    expect(second.warnings.map((w) => w.code)).toEqual(['VOUCHER_VELOCITY']);
    expect((await auditTrail()).map((e) => [e.terminalId, e.operatorId])).toEqual([
      ['T05', 'OP9'],
      ['T05', 'OP9'],
    ]);
  });
});
