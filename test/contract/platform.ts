/**
 * The platform contract suite: the platform CLIENT (`createPlatformClient`) driven against the platform
 * SIMULATOR, through the client's public methods only, over whatever carries the bytes between them. Each
 * runner gives a way to serve a simulator (node:http on loopback, msw handlers); the suite builds the rest the
 * same way for both: a shared injected clock, gateway auth `tif` on both sides, a terminal key (Ed25519)
 * registered by YG04 so that every later request carries a `cainfo` the simulator verifies.
 *
 * It proves what each side's unit tests cannot: that they agree. Every transaction (9001/9002, 1101 by the three
 * certificates, 2101/2102/2103/2601, 3101, 3501–3507, YG01–YG05) and every fault the simulator injects (latency,
 * http-error, timeout, malformed, lose-response, sign-in-expiry, rate-limit, system-error), with what the client does
 * about it.
 * After each test, the simulator's own records are checked: nothing was ever committed twice.
 *
 * @example
 * // test/contract/platform-http.test.ts
 * platformContract('node:http on loopback', platformHarness(async (simulator) => {
 *   const server = await startSimulator({ port: 0, simulator })
 *   return { baseUrl: server.url, close: () => server.close() }
 * }))
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { PlatformError } from '../../src/index.js';
import { PlatformProtocolError, PlatformRejectedError, PlatformUnavailableError } from '../../src/errors/index.js';
import { SignedRulePackSchema } from '../../src/schemas/index.js';
import {
  canonicalJson,
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  fromBase64Url,
  sha256Hex,
  toBase64Url,
  verifyEd25519,
  type Signer,
} from '../../src/crypto/index.js';
import {
  createMsgidSource,
  createPlatformClient,
  formatCstTime,
  type PlatformClient,
  type PlatformClientOptions,
  type MsgidSource,
  type PlatformEvent,
  type TransactionInput,
} from '../../src/platform/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  DEMO_PHARMACIES,
  DEMO_TRACE_CODES,
  keyHandoverText,
  SIMULATOR_PLATFORM_KEY_ID,
  type DemoPerson,
  type DemoPersonKey,
  type ReceivedEntry,
  type Simulator,
  type SimulatorOptions,
} from '../../adapters/simulator/index.js';
import { heldEndsAtDeadline } from '../integration/held-fetch.js';

/** The clients' deadline for a call (ms). */
const CALL_TIMEOUT_MS = 10_000;

/** 2026-11-23 10:00:00 CST: the shared clock starts here. */
export const CONTRACT_T0 = Date.UTC(2026, 10, 23, 2, 0);
const PHARMACY = DEMO_PHARMACIES.active;
const GATEWAY = { paasid: 'yg-contract', secret: 'contract-gateway-secret' } as const;
const DEVICE = { no: 'T01', mac: '00-1A-2B-3C-4D-5E', ip: '127.0.0.1' } as const;
const RULE_PACK_VERSION = 2;

/** A clock both sides read; `advance` moves the client and the simulator together. */
export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

/** Options of one client of the harness; `signer: undefined` makes an unsigned one. */
export type ClientOverrides = { [K in keyof PlatformClientOptions]?: PlatformClientOptions[K] | undefined };

/**
 * A fresh simulator and clients wired to it. `client()` makes a new client each time (its own msgid range, so
 * two clients of one test never repeat a msgid); `close()` stops the transport.
 */
export interface PlatformHarness {
  readonly simulator: Simulator;
  readonly clock: ManualClock;
  /** The terminal key the clients sign with by default (register it with YG04 before the simulator checks it). */
  readonly terminalKey: Signer;
  client(options?: ClientOverrides): PlatformClient;
  close(): Promise<void>;
}

/** What a runner provides: serve this simulator somewhere, and say at which base URL the client finds it. */
export type ServeSimulator = (simulator: Simulator) => Promise<{ readonly baseUrl: string; close(): Promise<void> }>;

/** Simulator settings a test may change; the clock and the gateway are the harness's own. */
export type SimulatorOverrides = Omit<SimulatorOptions, 'clock' | 'gateway'>;

/** Makes a fresh harness (a new simulator, served anew) for one test. */
export type HarnessFactory = (overrides?: SimulatorOverrides) => Promise<PlatformHarness>;

/** The seed of a terminal key: 32 bytes of `fill`. */
export async function terminalSigner(keyId: string, fill: number): Promise<Signer> {
  return createEd25519Signer(keyId, await ed25519KeyPairFromSeed(new Uint8Array(32).fill(fill)));
}

/**
 * Builds the harness factory of a runner: a simulator on the shared clock with the `tif` gateway, served by
 * `serve`, and clients with the same clock, gateway credentials and terminal key.
 */
export function platformHarness(serve: ServeSimulator): HarnessFactory {
  return async (overrides = {}) => {
    let now = CONTRACT_T0;
    const clock: ManualClock = {
      now: () => now,
      advance: (ms) => {
        now += ms;
      },
    };
    const simulator = createSimulator({
      rulePackVersion: RULE_PACK_VERSION,
      ...overrides,
      clock,
      gateway: { paasid: GATEWAY.paasid, secret: GATEWAY.secret },
    });
    const transport = await serve(simulator);
    const terminalKey = await terminalSigner('T01-K1', 1);
    let clients = 0;
    return {
      simulator,
      clock,
      terminalKey,
      client(overrides = {}) {
        const options: ClientOverrides = {
          baseUrl: transport.baseUrl,
          institution: { code: PHARMACY.code, name: PHARMACY.name },
          // A county of the pharmacy's 统筹区 (220100): the simulator takes the same city as the same place.
          area: '220102',
          operator: { id: 'S001', name: '王药师' },
          device: DEVICE,
          gateway: { scheme: 'tif', paasid: GATEWAY.paasid, secret: GATEWAY.secret },
          signer: terminalKey,
          clock,
          // A deadline no loopback answer comes near on a loaded machine; a `timeout` fault does not wait for it: the
          // request the simulator holds ends as at the deadline as soon as it is held (held-fetch.ts).
          timeoutMs: CALL_TIMEOUT_MS,
          fetch: heldEndsAtDeadline(simulator),
          retry: { limit: 2, backoffLimitMs: 20 },
          // Each client its own terminal digit: the clock stands still, so two clients would otherwise repeat msgids.
          msgids: createMsgidSource({ institutionCode: PHARMACY.code, terminalDigit: clients++ % 10 }),
          ...overrides,
        };
        return createPlatformClient(options as PlatformClientOptions);
      },
      close: () => transport.close(),
    };
  };
}

// ——— inputs, built from the simulator's demo data ———

function product(genericName: string) {
  const found = DEMO_CATALOG.find((p) => p.genericName === genericName);
  if (!found?.medListCode || found.retailPriceFen === undefined)
    throw new Error(`no demo drug ${genericName} with a 医保 code and a price`);
  return { ...found, medListCode: found.medListCode, retailPriceFen: found.retailPriceFen };
}

type Detail = TransactionInput<'2101'>['drugdetail'][number];

/**
 * `cnt` packages of a demo drug at its retail price: amounts in 分, the price in micro-yuan, as the client takes them.
 */
function detail(genericName: string, cnt: number, sn: string, at: number): Detail {
  const p = product(genericName);
  return {
    feedetl_sn: sn,
    rx_circ_flag: '0',
    fee_ocur_time: at,
    med_list_codg: p.medListCode,
    medins_list_codg: p.productId,
    det_item_fee_sumamt: p.retailPriceFen * cnt,
    cnt,
    pric: p.retailPriceFen * 10_000,
  };
}

/** An honest basket: two statins, an amlodipine and an ibuprofen, at their catalog prices (85.80 yuan). */
function honestBasket(at: number): Detail[] {
  return [
    detail('阿托伐他汀钙片', 2, 'L1', at),
    detail('苯磺酸氨氯地平片', 1, 'L2', at),
    detail('布洛芬缓释胶囊', 1, 'L3', at),
  ];
}
const HONEST_TOTAL_FEN = 2 * 2_870 + 1_260 + 1_580;

function settlement(person: DemoPerson, token: string, details: Detail[], at: number): TransactionInput<'2102'> {
  return {
    druginfo: {
      psn_no: person.psnNo,
      mdtrt_cert_type: '01',
      mdtrt_cert_no: token,
      begntime: at,
      medfee_sumamt: details.reduce((sum, d) => sum + d.det_item_fee_sumamt, 0),
      insutype: person.insutype,
      acct_used_flag: '1',
      med_type: '41',
    },
    drugdetail: details,
  };
}

const ATORVASTATIN = product('阿托伐他汀钙片');
const BATCH_1 = `B${ATORVASTATIN.productId.slice(3)}-1`;
const BATCH_2 = `B${ATORVASTATIN.productId.slice(3)}-2`;
/** Boxes of a batch the suite buys in by 3503: the product's prefix and a serial of batch 2. */
const batch2Code = (box: number) =>
  `${ATORVASTATIN.traceCodePrefix as string}${String(2 * 100_000 + box).padStart(13, '0')}`;
const [FRESH_A, FRESH_B] = DEMO_TRACE_CODES.fresh as [string, string];

const inventoryCore = (batch: string, codes: readonly string[]) => ({
  med_list_codg: ATORVASTATIN.medListCode,
  fixmedins_hilist_id: ATORVASTATIN.productId,
  fixmedins_hilist_name: ATORVASTATIN.genericName,
  rx_flag: '1' as const,
  fixmedins_bchno: batch,
  manu_lotnum: '202601XG2',
  manu_date: '2026-03-01',
  expy_end: '2028-02-29',
  drugtracinfo: codes.map((drug_trac_codg) => ({ drug_trac_codg })),
});

function saleRecord(codes: readonly string[], docNo: string, at: number): TransactionInput<'3505'> {
  return {
    selinfo: {
      ...inventoryCore(BATCH_1, codes),
      trdn_flag: '0',
      finl_trns_pric: ATORVASTATIN.retailPriceFen * 10_000,
      rtal_docno: docNo,
      sel_retn_cnt: codes.length,
      sel_retn_time: at,
      sel_retn_opter_name: '王药师',
      mdtrt_setl_type: '2',
      psn_name: DEMO_PEOPLE.active.name,
      certno: DEMO_PEOPLE.active.residentId,
    },
  };
}

const purchase = (codes: readonly string[], at: number) => ({
  ...inventoryCore(BATCH_2, codes),
  spler_name: '吉林省示范医药有限公司',
  finl_trns_pric: 2_100 * 10_000,
  purc_retn_cnt: codes.length,
  purc_retn_stoin_time: at,
  purc_retn_opter_name: '王药师',
});

// ——— looking at the simulator's records ———

const entriesOf = (simulator: Simulator, msgid: string): ReceivedEntry[] =>
  simulator.received().filter((r) => r.msgid === msgid);
/** The msgid of the only request of `infno` received since `from` (an index into received()). */
function msgidOf(simulator: Simulator, infno: string, from = 0): string {
  const msgids = [
    ...new Set(
      simulator
        .received()
        .slice(from)
        .filter((r) => r.infno === infno)
        .map((r) => r.msgid),
    ),
  ];
  expect(msgids).toHaveLength(1);
  return msgids[0] as string;
}

/** Runs `promise`, expects it to reject, and returns the error. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  return expect.fail('expected the call to fail');
}

/** Every commit of the simulator happened once, under a msgid the simulator received. */
function expectNoDuplicateCommits(simulator: Simulator): void {
  const committed = simulator.committed().map((c) => c.msgid);
  expect(new Set(committed).size).toBe(committed.length);
  const received = new Set(simulator.received().map((r) => r.msgid));
  for (const msgid of committed) expect(received.has(msgid)).toBe(true);
  const settled = simulator.settlements().map((s) => s.msgid);
  expect(new Set(settled).size).toBe(settled.length);
  // A msgid answered as a duplicate was run once before: its first answer came from the transaction, not a cache.
  for (const entry of simulator.received().filter((r) => r.duplicate)) {
    expect(simulator.received().some((r) => r.msgid === entry.msgid && !r.duplicate && r.at <= entry.at)).toBe(true);
  }
}

/**
 * The contract: every transaction and every fault, through the client's public methods, against `harness`.
 */
export function platformContract(name: string, harness: HarnessFactory): void {
  describe(`platform client × simulator (${name})`, () => {
    let open: PlatformHarness | undefined;
    afterEach(async () => {
      const h = open;
      open = undefined;
      if (!h) return;
      try {
        expectNoDuplicateCommits(h.simulator);
      } finally {
        await h.close();
      }
    });

    /** A fresh simulator and a client whose terminal key is registered (YG04), so every later request is verified. */
    async function ready(
      overrides: ClientOverrides = {},
      simulatorOverrides: SimulatorOverrides = {},
    ): Promise<{ h: PlatformHarness; simulator: Simulator; platform: PlatformClient; clock: ManualClock }> {
      const h = await harness(simulatorOverrides);
      open = h;
      const platform = h.client(overrides);
      const registered = await platform.registerKey({
        data: {
          terminal_id: 'T01',
          key_id: h.terminalKey.keyId,
          pubkey: toBase64Url(h.terminalKey.publicKey),
          begntime: h.clock.now(),
        },
      });
      expect(registered).toMatchObject({ key_id: 'T01-K1', registered: '1' });
      expect(h.simulator.terminalKeys()).toMatchObject([
        {
          fixmedinsCode: PHARMACY.code,
          devNo: 'T01',
          keyId: 'T01-K1',
          publicKey: toBase64Url(h.terminalKey.publicKey),
        },
      ]);
      return { h, simulator: h.simulator, platform, clock: h.clock };
    }

    /** 1101 by voucher, 2101, then prepare + send 2102: the steps of a sale at the till. */
    async function sell(
      platform: PlatformClient,
      simulator: Simulator,
      clock: ManualClock,
      key: DemoPersonKey = 'active',
    ) {
      const person = DEMO_PEOPLE[key];
      const token = simulator.issueVoucher(key).ecToken;
      const found = await platform.queryPerson({ data: { mdtrt_cert_type: '01', mdtrt_cert_no: token } });
      const insuplcAdmdvs = found.insuinfo[0]?.insuplc_admdvs as string;
      const input = settlement(person, token, honestBasket(clock.now()), clock.now());
      const pre = await platform.preSettle(input, { insuplcAdmdvs });
      const prepared = platform.prepare(
        '2102',
        { ...input, druginfo: { ...input.druginfo, invono: 'INV0001' } },
        { insuplcAdmdvs },
      );
      return { person, token, insuplcAdmdvs, input, pre, prepared };
    }

    describe('sign-in', () => {
      it('9001 happens by itself before the first business call; 9001 and 9002 on demand', async () => {
        const { platform, simulator } = await ready();
        // ready()'s YG04 signed in first, implicitly.
        expect(simulator.received().map((r) => [r.infno, r.outcome])).toEqual([
          ['9001', 0],
          ['YG04', 0],
        ]);
        const first = platform.signNo;
        expect(first).toMatch(/^\d+$/);

        const signedIn = await platform.signIn();
        expect(signedIn.signinoutb.sign_no).toBe(platform.signNo);
        expect(signedIn.signinoutb.sign_time).toBe('2026-11-23 10:00:00');
        expect(platform.signNo).not.toBe(first);

        await platform.signOut();
        expect(platform.signNo).toBeUndefined();
        expect(simulator.received().at(-1)).toMatchObject({ infno: '9002', outcome: 0 });
        // The next business call signs in again by itself.
        await platform.traceStatus({ data: { drug_trac_codg: [FRESH_A] } });
        expect(
          simulator
            .received()
            .slice(-2)
            .map((r) => [r.infno, r.outcome]),
        ).toEqual([
          ['9001', 0],
          ['YG05', 0],
        ]);
        expect(platform.signNo).toMatch(/^\d+$/);
      });

      it('calls made at once share one 9001; a sign-in past its life is renewed by itself (shared clock)', async () => {
        const { h, simulator, clock } = await ready({}, { signInTtlMs: 60 * 60_000 });
        const platform = h.client();
        const from = simulator.received().length;
        const query = { data: { drug_trac_codg: [FRESH_A] } };
        await Promise.all([
          platform.traceStatus(query),
          platform.traceStatus(query),
          platform.queryPerson({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PEOPLE.active.residentId } }),
        ]);
        expect(
          simulator
            .received()
            .slice(from)
            .map((r) => r.infno)
            .sort(),
        ).toEqual(['1101', '9001', 'YG05', 'YG05']);
        expect(simulator.received()[from]?.infno).toBe('9001');
        const first = platform.signNo;

        // An hour later the platform has dropped the sign-in; the client signs in again and resends the same msgid.
        clock.advance(60 * 60_000);
        const later = simulator.received().length;
        await platform.traceStatus(query);
        const msgid = msgidOf(simulator, 'YG05', later);
        expect(
          simulator
            .received()
            .slice(later)
            .map((r) => [r.infno, r.msgid === msgid, r.outcome]),
        ).toEqual([
          ['YG05', true, -2],
          ['9001', false, 0],
          ['YG05', true, 0],
        ]);
        expect(platform.signNo).not.toBe(first);
      });

      it('a restarted till resumes its msgids after the last one it issued; without that the platform refuses the reused msgid', async () => {
        // The till records every msgid its source issues (those of queries and of the client's own sign-ins too).
        const issued: string[] = [];
        const recording = (after?: string): MsgidSource => {
          const source = createMsgidSource({
            institutionCode: PHARMACY.code,
            terminalDigit: 7,
            ...(after === undefined ? {} : { after }),
          });
          return {
            next: (nowMs) => {
              const msgid = source.next(nowMs);
              issued.push(msgid);
              return msgid;
            },
          };
        };
        const { h, simulator } = await ready({ msgids: recording() });
        expect(issued.sort()).toEqual(
          simulator
            .received()
            .map((r) => r.msgid)
            .sort(),
        );
        const last = issued.at(-1) as string;
        const query = { data: { drug_trac_codg: [FRESH_A] } };
        // The clock has not moved: a source that forgot where it was issues the same msgids again, for other messages.
        const forgetful = h.client({ msgids: createMsgidSource({ institutionCode: PHARMACY.code, terminalDigit: 7 }) });
        const reused = await rejection(forgetful.traceStatus(query));
        const refusal = reused instanceof PlatformRejectedError ? reused : (reused as PlatformError).cause;
        expect(refusal).toBeInstanceOf(PlatformRejectedError);
        expect((refusal as PlatformRejectedError).platformMessage).toMatch(/msgid 已用于另一笔不同的报文/);
        expect(simulator.received().at(-1)).toMatchObject({ outcome: -2, duplicate: false });

        const resumed = h.client({ msgids: recording(last) });
        expect((await resumed.traceStatus(query)).result[0]?.sel_flag).toBe('0');
        expect(
          simulator
            .received()
            .slice(-2)
            .map((r) => [r.infno, r.outcome, (r.msgid as string) > last]),
        ).toEqual([
          ['9001', 0, true],
          ['YG05', 0, true],
        ]);
      });

      it('a wrong gateway secret is PLATFORM_AUTH_FAILED, and nothing reaches the platform', async () => {
        const { h, simulator } = await ready();
        const stranger = h.client({ gateway: { scheme: 'tif', paasid: GATEWAY.paasid, secret: 'not-the-secret' } });
        const error = await rejection(stranger.traceStatus({ data: { drug_trac_codg: [FRESH_A] } }));
        expect(error).toBeInstanceOf(PlatformError);
        expect(error).toMatchObject({ code: 'PLATFORM_AUTH_FAILED', infno: '9001' });
        expect(simulator.received().at(-1)).toMatchObject({ infno: '9001', status: 401, outcome: null });
      });
    });

    describe('1101 person query', () => {
      const keys = Object.keys(DEMO_PEOPLE) as DemoPersonKey[];

      it('finds every demo person by e-voucher token, 身份证 and 社保卡, with the statuses decoded', async () => {
        const { platform, simulator } = await ready();
        for (const key of keys) {
          const person = DEMO_PEOPLE[key];
          const certs: TransactionInput<'1101'>['data'][] = [
            { mdtrt_cert_type: '01', mdtrt_cert_no: simulator.issueVoucher(key).ecToken },
            {
              mdtrt_cert_type: '02',
              mdtrt_cert_no: person.residentId,
              psn_cert_type: '01',
              certno: person.residentId,
              psn_name: person.name,
            },
            { mdtrt_cert_type: '03', mdtrt_cert_no: person.card.cardNo, card_sn: person.card.cardSn },
          ];
          for (const data of certs) {
            const { baseinfo, insuinfo, opspinfo } = await platform.queryPerson({ data });
            const what = `${key} by ${data.mdtrt_cert_type}`;
            expect(baseinfo, what).toMatchObject({
              psn_no: person.psnNo,
              certno: person.residentId,
              psn_name: person.name,
              gend: person.gend,
              brdy: person.birthDate,
              surv_stas: person.survStas,
              setl_paus_flag: person.settlementPaused ? '1' : '0',
              crdt_blklst_flag: person.creditBlacklisted ? '1' : '0',
            });
            expect(typeof baseinfo.age, what).toBe('number');
            expect(insuinfo, what).toHaveLength(1);
            // Balance in 分 (the wire said yuan).
            expect(insuinfo[0], what).toMatchObject({
              balc: person.openingBalanceFen,
              insutype: person.insutype,
              psn_insu_stas: person.insuStatus,
              insuplc_admdvs: person.insuplcAdmdvs,
            });
            expect(
              (opspinfo ?? []).map((d) => d.opsp_dise_code),
              what,
            ).toEqual(person.chronicDiseases.map((d) => d.code));
          }
        }
        // What a till acts on, person by person.
        const byId = async (key: DemoPersonKey) =>
          platform.queryPerson({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PEOPLE[key].residentId } });
        expect((await byId('active')).insuinfo[0]?.balc).toBe(156_880);
        expect((await byId('deceased')).baseinfo.surv_stas).toBe('2');
        expect((await byId('blacklisted')).baseinfo).toMatchObject({ crdt_blklst_flag: '1', setl_paus_flag: '1' });
        expect((await byId('suspended')).insuinfo[0]).toMatchObject({
          psn_insu_stas: '2',
          paus_insu_date: '2026-09-01',
        });
        expect((await byId('terminated')).insuinfo[0]?.psn_insu_stas).toBe('4');
        expect((await byId('chronic')).opspinfo).toMatchObject([
          { opsp_dise_code: 'M03900', opsp_dise_name: '高血压', begndate: '2021-03-01' },
          { opsp_dise_code: 'M03100', opsp_dise_name: '糖尿病', begndate: '2022-06-15' },
        ]);
        const nonlocal = (await byId('nonlocal')).insuinfo[0]?.insuplc_admdvs as string;
        expect(nonlocal).toBe('440300');
        expect(nonlocal.slice(0, 2)).not.toBe(PHARMACY.admdvs.slice(0, 2));
        expect((await byId('resident')).insuinfo[0]?.balc).toBe(0);
        // Queries commit nothing.
        expect(simulator.committed().map((c) => c.infno)).toEqual(['YG04']);
      });

      it('refuses an expired token, a wrong card_sn and an unknown person as PlatformRejectedError, masking personal data', async () => {
        const { platform, simulator, clock } = await ready();
        const token = simulator.issueVoucher('active').ecToken;
        // The shared clock moves both sides: past the token's five minutes, still inside the gateway's window.
        clock.advance(5 * 60_000 + 1_000);
        const expired = await rejection(
          platform.queryPerson({ data: { mdtrt_cert_type: '01', mdtrt_cert_no: token } }),
        );
        expect(expired).toBeInstanceOf(PlatformRejectedError);
        expect(expired).toMatchObject({ infcode: -2, infno: '1101' });
        expect((expired as PlatformRejectedError).platformMessage).toMatch(/医保电子凭证已过期/);
        expect(expired.message).not.toContain(token);

        const card = DEMO_PEOPLE.active.card;
        const wrongSn = await rejection(
          platform.queryPerson({
            data: { mdtrt_cert_type: '03', mdtrt_cert_no: card.cardNo, card_sn: `${card.cardSn.slice(0, -1)}X` },
          }),
        );
        expect((wrongSn as PlatformRejectedError).platformMessage).toMatch(/卡识别码与卡号不符/);

        // A valid-looking 身份证 of no insured person (check character computed as GB 11643 wants).
        const stranger = '11010519491231002X';
        const unknown = await rejection(
          platform.queryPerson({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: stranger } }),
        );
        expect(unknown).toBeInstanceOf(PlatformRejectedError);
        expect((unknown as PlatformRejectedError).platformMessage).toMatch(/未查询到人员参保信息/);
      });
    });

    describe('2101 / 2102 / 2103 / 2601 settlement', () => {
      it('pre-settles and settles an honest basket: amounts in 分, fund + account + cash = total, the account debited', async () => {
        const { platform, simulator, clock } = await ready();
        const { pre, prepared, insuplcAdmdvs } = await sell(platform, simulator, clock);
        expect(insuplcAdmdvs).toBe('220100');
        expect(pre.setlinfo.setl_id ?? undefined).toBeUndefined();
        expect(pre.setlinfo.medfee_sumamt).toBe(HONEST_TOTAL_FEN);
        expect(simulator.balance('active')).toBe(156_880);
        expect(simulator.committed('2101')).toHaveLength(0);

        const settled = await platform.send(prepared);
        const info = settled.setlinfo;
        expect(info.setl_id).toMatch(/^ST/);
        expect(info.mdtrt_id).toBe(pre.setlinfo.mdtrt_id);
        expect(info.psn_no).toBe(DEMO_PEOPLE.active.psnNo);
        expect(info.medfee_sumamt).toBe(HONEST_TOTAL_FEN);
        expect(info.fund_pay_sumamt + info.acct_pay + info.psn_cash_pay).toBe(info.medfee_sumamt);
        expect(info.acct_pay).toBeGreaterThan(0);
        expect(info.fund_pay_sumamt).toBeGreaterThan(0);
        // The same split as offered by 2101.
        expect([info.fund_pay_sumamt, info.acct_pay, info.psn_cash_pay]).toEqual([
          pre.setlinfo.fund_pay_sumamt,
          pre.setlinfo.acct_pay,
          pre.setlinfo.psn_cash_pay,
        ]);
        expect(info.balc).toBe(156_880 - info.acct_pay);
        expect(simulator.balance('active')).toBe(156_880 - info.acct_pay);
        expect(settled.setldetail?.[0]?.fund_payamt).toBe(info.fund_pay_sumamt);
        expect(settled.detlcutinfo?.map((d) => d.det_item_fee_sumamt)).toEqual([5_740, 1_260, 1_580]);
        expect(simulator.settlements()).toMatchObject([
          { setlId: info.setl_id, msgid: prepared.msgid, status: 'settled', invono: 'INV0001' },
        ]);
        expect(simulator.committed('2102')).toMatchObject([{ msgid: prepared.msgid }]);
      });

      it('2103 cancels a settlement and gives the balance back', async () => {
        const { platform, simulator, clock } = await ready();
        const { prepared, insuplcAdmdvs, person } = await sell(platform, simulator, clock);
        const { setlinfo } = await platform.send(prepared);
        expect(simulator.balance('active')).toBeLessThan(156_880);

        const cancelled = await platform.cancelSettlement(
          { setl_id: setlinfo.setl_id as string, mdtrt_id: setlinfo.mdtrt_id, psn_no: person.psnNo },
          { insuplcAdmdvs },
        );
        expect(cancelled.setlinfo?.setl_id).toMatch(/^CX/);
        expect(cancelled.setlinfo?.mdtrt_id).toBe(setlinfo.mdtrt_id);
        expect(simulator.balance('active')).toBe(156_880);
        expect(simulator.settlements()).toMatchObject([{ status: 'cancelled', cancelled: { by: '2103' } }]);

        const again = await rejection(
          platform.cancelSettlement(
            { setl_id: setlinfo.setl_id as string, mdtrt_id: setlinfo.mdtrt_id, psn_no: person.psnNo },
            { insuplcAdmdvs },
          ),
        );
        expect(again).toBeInstanceOf(PlatformRejectedError);
        expect((again as PlatformRejectedError).platformMessage).toMatch(/已撤销/);
        expect(simulator.balance('active')).toBe(156_880);
        expect(simulator.committed('2103')).toHaveLength(1);
      });

      it('2601 reverses a 2103 by its msgid: the settlement stands again', async () => {
        const { platform, simulator, clock } = await ready();
        const { prepared, insuplcAdmdvs, person } = await sell(platform, simulator, clock);
        const { setlinfo } = await platform.send(prepared);
        const cancel = platform.prepare(
          '2103',
          { data: { setl_id: setlinfo.setl_id as string, mdtrt_id: setlinfo.mdtrt_id, psn_no: person.psnNo } },
          { insuplcAdmdvs },
        );
        await platform.send(cancel);
        expect(simulator.balance('active')).toBe(156_880);

        await platform.reverse({ psn_no: person.psnNo, omsgid: cancel.msgid, oinfno: '2103' }, { insuplcAdmdvs });
        expect(simulator.balance('active')).toBe(156_880 - setlinfo.acct_pay);
        expect(simulator.settlements()).toMatchObject([{ setlId: setlinfo.setl_id, status: 'settled' }]);
        expect(simulator.settlements()[0]?.cancelled).toBeUndefined();
        // Reversed once; a second reversal of the same cancellation is refused.
        const again = await rejection(
          platform.reverse({ psn_no: person.psnNo, omsgid: cancel.msgid, oinfno: '2103' }, { insuplcAdmdvs }),
        );
        expect((again as PlatformRejectedError).platformMessage).toMatch(/已冲正/);
        expect(simulator.balance('active')).toBe(156_880 - setlinfo.acct_pay);
      });

      it('2601 reverses a 2102 by its msgid', async () => {
        const { platform, simulator, clock } = await ready();
        const { prepared, insuplcAdmdvs, person } = await sell(platform, simulator, clock);
        await platform.send(prepared);
        expect(simulator.balance('active')).toBeLessThan(156_880);

        await platform.reverse({ psn_no: person.psnNo, omsgid: prepared.msgid, oinfno: '2102' }, { insuplcAdmdvs });
        expect(simulator.balance('active')).toBe(156_880);
        expect(simulator.settlements()).toMatchObject([
          { msgid: prepared.msgid, status: 'cancelled', cancelled: { by: '2601' } },
        ]);
        expect(simulator.committed('2601')).toHaveLength(1);
      });

      it('refuses a settlement the platform must not make: a deceased buyer, a token used twice', async () => {
        const { platform, simulator, clock } = await ready();
        const deceased = DEMO_PEOPLE.deceased;
        const token = simulator.issueVoucher('deceased').ecToken;
        const refused = await rejection(
          platform.preSettle(settlement(deceased, token, honestBasket(clock.now()), clock.now()), {
            insuplcAdmdvs: deceased.insuplcAdmdvs,
          }),
        );
        expect(refused).toBeInstanceOf(PlatformRejectedError);
        expect((refused as PlatformRejectedError).platformMessage).toMatch(/已死亡/);
        expect(refused.message).not.toContain(deceased.psnNo);

        const { prepared, input, insuplcAdmdvs } = await sell(platform, simulator, clock);
        await platform.send(prepared);
        // The same voucher token for another sale: the platform refuses, the account is not touched again.
        const balance = simulator.balance('active');
        const reused = await rejection(platform.preSettle(input, { insuplcAdmdvs }));
        expect((reused as PlatformRejectedError).platformMessage).toMatch(/已用于一笔结算/);
        expect(simulator.balance('active')).toBe(balance);
        expect(simulator.settlements()).toHaveLength(1);
      });
    });

    describe('2001 benefit check and 5301 chronic-disease registrations', () => {
      it('2001 says who enjoys the pooled fund and why not; 5301 lists the filings with their dates', async () => {
        const { platform, simulator, clock } = await ready();
        const check = (key: DemoPersonKey) =>
          platform.checkBenefits(
            {
              data: {
                psn_no: DEMO_PEOPLE[key].psnNo,
                insutype: DEMO_PEOPLE[key].insutype,
                fixmedins_code: PHARMACY.code,
                med_type: '41',
                begntime: clock.now(),
              },
            },
            { insuplcAdmdvs: DEMO_PEOPLE[key].insuplcAdmdvs },
          );
        expect((await check('active')).trtinfo?.map((r) => r.trt_enjymnt_flag)).toEqual(['1']);
        const refused = (await check('suspended')).trtinfo?.[0];
        expect(refused?.trt_enjymnt_flag).toBe('0');
        expect(refused?.trt_chk_rslt).toContain('暂停参保');
        const chronic = DEMO_PEOPLE.chronic;
        const { feedetail } = await platform.queryChronicDiseases(
          { data: { psn_no: chronic.psnNo } },
          { insuplcAdmdvs: chronic.insuplcAdmdvs },
        );
        expect(feedetail?.map((d) => [d.opsp_dise_code, d.begndate])).toEqual(
          chronic.chronicDiseases.map((d) => [d.code, d.from]),
        );
        // Both name a person: without the buyer's insurance area the client refuses before sending anything.
        await expect(
          platform.queryChronicDiseases({ data: { psn_no: chronic.psnNo } }, {} as { insuplcAdmdvs: string }),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(simulator.committed('2001')).toHaveLength(0);
        expect(simulator.committed('5301')).toHaveLength(0);
      });
    });

    describe('3101 analysis', () => {
      it('answers findings, amounts in 分', async () => {
        const { platform, simulator } = await ready();
        const buyer = DEMO_PEOPLE.resident; // female: 非那雄胺 is restricted to men
        const statin = product('阿托伐他汀钙片');
        const finasteride = product('非那雄胺片');
        const order = (p: typeof statin, rx: string, cnt: number) => ({
          rx_id: rx,
          hilist_code: p.medListCode,
          hilist_name: p.genericName,
          cnt,
          pric: p.retailPriceFen * 10_000,
          sumamt: p.retailPriceFen * cnt,
        });
        const { result } = await platform.analyze(
          {
            data: {
              syscode: 'YGCONTRACT',
              task_id: 'TASK-1',
              trig_scen: '10',
              patient_dtos: [
                {
                  patn_id: buyer.psnNo,
                  gend: buyer.gend,
                  brdy: buyer.birthDate,
                  fsi_encounter_dtos: [
                    {
                      mdtrt_id: 'MD-1',
                      medins_id: PHARMACY.code,
                      fsi_order_dtos: [order(statin, 'RX-1', 7), order(finasteride, 'RX-2', 1)],
                    },
                  ],
                },
              ],
            },
          },
          { insuplcAdmdvs: buyer.insuplcAdmdvs },
        );
        expect(result.map((r) => [r.rule_id, r.rx_id, r.sev_deg])).toEqual([
          ['SIM-KEY-DRUG-VOLUME', 'RX-1', '2'],
          ['SIM-PAYMENT-SCOPE', 'RX-2', '1'],
        ]);
        // Two boxes over the five allowed, in 分; the whole restricted line.
        expect(result.map((r) => r.vola_amt)).toEqual([2 * statin.retailPriceFen, finasteride.retailPriceFen]);
        expect(result.every((r) => r.task_id === 'TASK-1' && r.patn_id === buyer.psnNo && r.mdtrt_id === 'MD-1')).toBe(
          true,
        );
        expect(simulator.committed('3101')).toHaveLength(0);
      });
    });

    describe('3501–3507 进销存 and YG05 trace codes', () => {
      it('accepts one report of each kind, refuses a trace code sold twice until 3506 returns it, and 3507 deletes a sale', async () => {
        const { platform, simulator, clock } = await ready();
        const at = clock.now();
        const status = async (code: string) =>
          (await platform.traceStatus({ data: { drug_trac_codg: [code] } })).result[0];
        const accepted = { retRslt: '1' };

        expect(
          await platform.report('3501', {
            invinfo: { ...inventoryCore(BATCH_1, DEMO_TRACE_CODES.fresh), invdate: '2026-11-23', inv_cnt: 12 },
          }),
        ).toMatchObject(accepted);
        expect(
          await platform.report('3502', {
            invinfo: {
              ...inventoryCore(BATCH_1, []),
              inv_chg_type: '104',
              pric: ATORVASTATIN.retailPriceFen * 10_000,
              cnt: 1,
              inv_chg_time: at,
              inv_chg_opter_name: '王药师',
              trdn_flag: '0',
            },
          }),
        ).toMatchObject(accepted);
        expect(
          await platform.report('3503', { purcinfo: purchase([batch2Code(1), batch2Code(2), batch2Code(3)], at) }),
        ).toMatchObject(accepted);
        expect(
          await platform.report('3504', {
            purcinfo: { ...purchase([batch2Code(3)], at), medins_prod_purc_no: 'PO-3' },
          }),
        ).toMatchObject(accepted);
        const quantity = (batch: string) =>
          simulator.stock(PHARMACY.code).find((l) => l.productId === ATORVASTATIN.productId && l.batchNo === batch)
            ?.quantity;
        expect([quantity(BATCH_1), quantity(BATCH_2)]).toEqual([12, 2]);

        expect(await status(FRESH_A)).toMatchObject({ drug_trac_codg: FRESH_A, sel_flag: '0' });
        expect(await platform.report('3505', saleRecord([FRESH_A], 'S-1', at))).toMatchObject(accepted);
        expect(await status(FRESH_A)).toMatchObject({
          sel_flag: '1',
          fixmedins_code: PHARMACY.code,
          sel_time: formatCstTime(at),
        });
        expect(quantity(BATCH_1)).toBe(11);

        // The same box sold again: 回流药, refused, nothing recorded.
        const twice = await rejection(platform.report('3505', saleRecord([FRESH_A], 'S-2', at)));
        expect(twice).toBeInstanceOf(PlatformRejectedError);
        expect(twice).toMatchObject({ infcode: -2, infno: '3505' });
        expect((twice as PlatformRejectedError).platformMessage).toMatch(/不得重复销售/);
        expect(simulator.committed('3505')).toHaveLength(1);

        // 3506 returns it: sellable again.
        expect(
          await platform.report('3506', {
            selinfo: { ...saleRecord([FRESH_A], 'S-1', at).selinfo, medins_prod_sel_no: 'S-1' },
          }),
        ).toMatchObject(accepted);
        expect(await status(FRESH_A)).toMatchObject({ sel_flag: '0' });
        expect(await platform.report('3505', saleRecord([FRESH_A, FRESH_B], 'S-3', at))).toMatchObject(accepted);
        expect(
          (await platform.traceStatus({ data: { drug_trac_codg: [FRESH_A, FRESH_B] } })).result.map((r) => r.sel_flag),
        ).toEqual(['1', '1']);

        // 3507 withdraws the batch's sales: the boxes are unsold again.
        expect(await platform.report('3507', { data: { fixmedins_bchno: BATCH_1, inv_data_type: '4' } })).toMatchObject(
          accepted,
        );
        expect(
          (await platform.traceStatus({ data: { drug_trac_codg: [FRESH_A, FRESH_B] } })).result.map((r) => r.sel_flag),
        ).toEqual(['0', '0']);

        expect(simulator.committed().map((c) => c.infno)).toEqual([
          'YG04',
          '3501',
          '3502',
          '3503',
          '3504',
          '3505',
          '3506',
          '3505',
          '3507',
        ]);
        // What the platform keeps has its personal data masked.
        expect(JSON.stringify(simulator.committed('3505'))).not.toContain(DEMO_PEOPLE.active.residentId);
      });

      it('YG05 says where and when the seeded 回流 box was sold, and refuses to see it sold again', async () => {
        const { platform, simulator, clock } = await ready();
        const { result } = await platform.traceStatus({ data: { drug_trac_codg: [DEMO_TRACE_CODES.resold, FRESH_A] } });
        expect(result).toMatchObject([
          {
            drug_trac_codg: DEMO_TRACE_CODES.resold,
            sel_flag: '1',
            fixmedins_code: DEMO_PHARMACIES.suspended.code,
            sel_time: formatCstTime(DEMO_TRACE_CODES.resoldAt.at),
          },
          { drug_trac_codg: FRESH_A, sel_flag: '0' },
        ]);
        const resold = await rejection(
          platform.report('3505', saleRecord([DEMO_TRACE_CODES.resold], 'S-9', clock.now())),
        );
        expect(resold).toBeInstanceOf(PlatformRejectedError);
        expect(simulator.committed('3505')).toHaveLength(0);
      });
    });

    describe('YG01–YG04 provincial extensions', () => {
      it('YG01 uploads an invoice; YG02 finds it, tells an altered one, and knows an unknown one', async () => {
        const { platform, simulator } = await ready();
        const record = {
          terminalId: 'T01',
          seq: 1,
          totalFen: HONEST_TOTAL_FEN,
          items: [{ name: '阿托伐他汀钙片', cnt: 2 }],
          prevHash: null,
        };
        const hash = await sha256Hex(canonicalJson(record));
        const uploaded = await platform.uploadInvoice({ invoice: { terminal_id: 'T01', seq: 1, hash, record } });
        expect(uploaded).toMatchObject({ accepted: '1', hash });
        expect(simulator.invoices()).toMatchObject([{ terminalId: 'T01', seq: 1, hash }]);
        // The same upload again (an outbox retry after a restart) is accepted and not stored twice.
        expect(await platform.uploadInvoice({ invoice: { terminal_id: 'T01', seq: 1, hash, record } })).toMatchObject({
          accepted: '1',
        });
        expect(simulator.committed('YG01')).toHaveLength(1);

        const verify = (seq: number, h: string) =>
          platform.verifyInvoice({ data: { fixmedins_code: PHARMACY.code, terminal_id: 'T01', seq, hash: h } });
        expect(await verify(1, hash)).toEqual({ result: '1', upload_time: '2026-11-23 10:00:00' });
        const altered = await sha256Hex(canonicalJson({ ...record, totalFen: 1 }));
        expect((await verify(1, altered)).result).toBe('2');
        expect(await verify(2, hash)).toMatchObject({ result: '0', upload_time: null });

        const wrongHash = await rejection(
          platform.uploadInvoice({ invoice: { terminal_id: 'T01', seq: 2, hash: altered, record } }),
        );
        expect((wrongHash as PlatformRejectedError).platformMessage).toMatch(/票据哈希与票据内容不符/);
      });

      it('YG03 downloads the rule pack signed by the platform key over its canonical JSON', async () => {
        const { platform, simulator } = await ready();
        const { pack } = await platform.downloadRulePack({ data: { admdvs: '220100', cur_ver: 0 } });
        const signed = z.parse(SignedRulePackSchema, pack);
        expect(signed.keyId).toBe(SIMULATOR_PLATFORM_KEY_ID);
        expect(signed.pack).toMatchObject({
          format: 'yibao-guard.rule-pack/1',
          version: RULE_PACK_VERSION,
          area: '220100',
        });
        const publicKey = fromBase64Url(simulator.platformPublicKey);
        const utf8 = (text: string) => new TextEncoder().encode(text);
        // The envelope {pack,keyId,sig} is not what is signed.
        expect(await verifyEd25519(utf8(canonicalJson(pack)), fromBase64Url(signed.sig), publicKey)).toBe(false);
        expect(await verifyEd25519(utf8(canonicalJson(signed.pack)), fromBase64Url(signed.sig), publicKey)).toBe(true);
        expect(
          await verifyEd25519(
            utf8(canonicalJson({ ...signed.pack, version: RULE_PACK_VERSION + 1 })),
            fromBase64Url(signed.sig),
            publicKey,
          ),
        ).toBe(false);
        // Current already: nothing to download.
        expect(await platform.downloadRulePack({ data: { admdvs: '220100', cur_ver: RULE_PACK_VERSION } })).toEqual({
          pack: null,
        });
      });

      it('YG04 registers the terminal key (then every request must carry a valid cainfo) and rotates it with a handover signature', async () => {
        const { h, platform, simulator, clock } = await ready();
        const query = { data: { drug_trac_codg: [FRESH_A] } };
        // Registered in ready(): an unsigned client of the same terminal is refused, a wrong key too.
        const unsigned = await rejection(h.client({ signer: undefined }).traceStatus(query));
        expect(unsigned).toMatchObject({ code: 'PLATFORM_SIGN_IN_FAILED', infno: '9001' });
        expect(((unsigned as PlatformError).cause as PlatformRejectedError).platformMessage).toMatch(
          /须携带签名 cainfo/,
        );
        const impostor = await rejection(h.client({ signer: await terminalSigner('T01-K1', 9) }).traceStatus(query));
        expect(((impostor as PlatformError).cause as PlatformRejectedError).platformMessage).toMatch(
          /报文签名校验失败/,
        );
        expect((await platform.traceStatus(query)).result[0]?.sel_flag).toBe('0');

        const k2 = await terminalSigner('T01-K2', 2);
        const pubkey = toBase64Url(k2.publicKey);
        const rotation = (handover_sig?: string) => ({
          data: {
            terminal_id: 'T01',
            key_id: k2.keyId,
            pubkey,
            begntime: clock.now(),
            ...(handover_sig ? { handover_sig } : {}),
          },
        });
        const noHandover = await rejection(platform.registerKey(rotation()));
        expect((noHandover as PlatformRejectedError).platformMessage).toMatch(/handover_sig/);
        // The handover: the previous key signs the canonical JSON of the new key's id and public key.
        const text = canonicalJson({ key_id: k2.keyId, pubkey });
        expect(text).toBe(keyHandoverText(k2.keyId, pubkey));
        const forged = toBase64Url(await k2.sign(new TextEncoder().encode(text)));
        expect(
          ((await rejection(platform.registerKey(rotation(forged)))) as PlatformRejectedError).platformMessage,
        ).toMatch(/交接签名 handover_sig 校验失败/);
        const handover = toBase64Url(await h.terminalKey.sign(new TextEncoder().encode(text)));
        expect(await platform.registerKey(rotation(handover))).toMatchObject({ key_id: 'T01-K2', registered: '1' });
        expect(simulator.terminalKeys()).toMatchObject([
          { keyId: 'T01-K2', publicKey: pubkey, previous: [{ keyId: 'T01-K1' }] },
        ]);

        // From now on the old key is refused and the new one accepted.
        const old = await rejection(platform.traceStatus(query));
        expect(old).toBeInstanceOf(PlatformRejectedError);
        expect((old as PlatformRejectedError).platformMessage).toMatch(/报文签名校验失败/);
        const rotated = h.client({ signer: k2 });
        expect((await rotated.traceStatus(query)).result[0]?.sel_flag).toBe('0');
        expect(simulator.committed('YG04')).toHaveLength(2);
      });
    });

    describe('provincial wire habits', () => {
      it('infcode as a string and output as a JSON string decode the same (amounts still in 分)', async () => {
        const { platform, simulator, clock } = await ready(
          {},
          { quirks: { infcodeAsString: true, outputAsString: true } },
        );
        const { pre, prepared } = await sell(platform, simulator, clock);
        expect(pre.setlinfo.medfee_sumamt).toBe(HONEST_TOTAL_FEN);
        const { setlinfo } = await platform.send(prepared);
        expect(setlinfo.fund_pay_sumamt + setlinfo.acct_pay + setlinfo.psn_cash_pay).toBe(HONEST_TOTAL_FEN);
        expect(simulator.balance('active')).toBe(156_880 - setlinfo.acct_pay);
        // A refusal's infcode as a string is a refusal too.
        const twice = await rejection(
          platform.report('3505', saleRecord([DEMO_TRACE_CODES.resold], 'S-1', clock.now())),
        );
        expect(twice).toMatchObject({ code: 'PLATFORM_REJECTED', infcode: -2 });
      });

      it('a body larger than the platform takes: HTTP 413, a protocol error, nothing committed and nothing retried', async () => {
        const { platform, simulator, clock } = await ready({}, { maxBodyBytes: 4_096 });
        const boxes = Array.from({ length: 150 }, (_, i) => batch2Code(1_000 + i));
        const error = await rejection(platform.report('3505', saleRecord(boxes, 'S-BIG', clock.now())));
        expect(error).toBeInstanceOf(PlatformProtocolError);
        expect(error.message).toMatch(/HTTP 413/);
        expect(simulator.committed('3505')).toHaveLength(0);
        expect(simulator.received().filter((r) => r.status === 413).length).toBeLessThanOrEqual(1);
        // The platform is still there for a message of the right size.
        expect(await platform.report('3505', saleRecord([FRESH_A], 'S-1', clock.now()))).toMatchObject({
          retRslt: '1',
        });
      });
    });

    describe('faults, and what the client does about them', () => {
      it('latency: the call still succeeds, once', async () => {
        const { platform, simulator } = await ready();
        simulator.faults.add({ infno: 'YG05', kind: 'latency', ms: 150 });
        const started = performance.now();
        expect((await platform.traceStatus({ data: { drug_trac_codg: [FRESH_A] } })).result[0]?.sel_flag).toBe('0');
        expect(performance.now() - started).toBeGreaterThanOrEqual(140);
        expect(simulator.received().at(-1)).toMatchObject({
          infno: 'YG05',
          fault: 'latency',
          outcome: 0,
          duplicate: false,
        });
        expect(simulator.received().filter((r) => r.infno === 'YG05')).toHaveLength(1);
      });

      it('http-error 503 once on a query: retried with the same msgid, then answered', async () => {
        const { platform, simulator } = await ready();
        const from = simulator.received().length;
        simulator.faults.add({ infno: '1101', kind: 'http-error', status: 503 });
        const found = await platform.queryPerson({
          data: { mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PEOPLE.active.residentId },
        });
        expect(found.baseinfo.psn_no).toBe(DEMO_PEOPLE.active.psnNo);
        const msgid = msgidOf(simulator, '1101', from);
        expect(entriesOf(simulator, msgid).map((r) => [r.status, r.outcome, r.fault ?? null])).toEqual([
          [503, null, 'http-error'],
          [200, 0, null],
        ]);
        expect(simulator.committed().map((c) => c.infno)).toEqual(['YG04']);
      });

      it('http-error on a 35xx report: retried with the same msgid, committed exactly once', async () => {
        const { platform, simulator, clock } = await ready();
        const from = simulator.received().length;
        simulator.faults.add({ infno: '3505', kind: 'http-error', status: 502, times: 2 });
        expect(await platform.report('3505', saleRecord([FRESH_A], 'S-1', clock.now()))).toMatchObject({
          retRslt: '1',
        });
        const msgid = msgidOf(simulator, '3505', from);
        expect(entriesOf(simulator, msgid).map((r) => r.status)).toEqual([502, 502, 200]);
        expect(simulator.committed('3505')).toMatchObject([{ msgid }]);
        expect(simulator.committed('3505')).toHaveLength(1);
      });

      it('timeout on a query: PLATFORM_UNAVAILABLE after the retries, nothing done; the next call gets through', async () => {
        const { h, simulator } = await ready();
        const platform = h.client();
        const from = simulator.received().length;
        await platform.signIn();
        simulator.faults.add({ infno: 'YG05', kind: 'timeout', times: 3 });
        const error = await rejection(platform.traceStatus({ data: { drug_trac_codg: [FRESH_A] } }));
        expect(error).toBeInstanceOf(PlatformUnavailableError);
        expect(error).toMatchObject({ code: 'PLATFORM_UNAVAILABLE', infno: 'YG05' });
        expect(error.message).toMatch(new RegExp(`after 3 attempt\\(s\\): no answer within ${CALL_TIMEOUT_MS} ms`));
        const msgid = msgidOf(simulator, 'YG05', from);
        expect(entriesOf(simulator, msgid).map((r) => [r.status, r.fault])).toEqual([
          [0, 'timeout'],
          [0, 'timeout'],
          [0, 'timeout'],
        ]);
        expect((await platform.traceStatus({ data: { drug_trac_codg: [FRESH_A] } })).result).toHaveLength(1);
      });

      it('lose-response on 2102 (idempotent msgid): the retry gets the first answer; paid once', async () => {
        const { platform, simulator, clock } = await ready();
        const { prepared } = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'lose-response' });
        const settled = await platform.send(prepared);
        expect(
          entriesOf(simulator, prepared.msgid).map((r) => [r.status, r.duplicate, r.outcome, r.fault ?? null]),
        ).toEqual([
          [0, false, null, 'lose-response'],
          [200, true, 0, null],
        ]);
        expect(simulator.settlements()).toMatchObject([{ setlId: settled.setlinfo.setl_id, msgid: prepared.msgid }]);
        expect(simulator.settlements()).toHaveLength(1);
        expect(simulator.balance('active')).toBe(156_880 - settled.setlinfo.acct_pay);
      });

      it('timeout after commit on 2102 (idempotent msgid): the retry gets the first answer; paid once', async () => {
        const { h, simulator, clock } = await ready();
        const platform = h.client();
        const { prepared } = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'timeout', commit: true });
        const settled = await platform.send(prepared);
        expect(entriesOf(simulator, prepared.msgid).map((r) => [r.duplicate, r.fault ?? null])).toEqual([
          [false, 'timeout'],
          [true, null],
        ]);
        expect(simulator.settlements()).toHaveLength(1);
        expect(simulator.settlements()[0]?.setlId).toBe(settled.setlinfo.setl_id);
        expect(simulator.balance('active')).toBe(156_880 - settled.setlinfo.acct_pay);
      });

      it('2102 answer lost on every attempt (idempotent msgid): OUTCOME_UNKNOWN, then resolve() returns the first answer', async () => {
        const { platform, simulator, clock } = await ready();
        const { prepared } = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'lose-response', times: 3 });
        const lost = await rejection(platform.send(prepared));
        expect(lost).toBeInstanceOf(PlatformUnavailableError);
        expect(lost).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', infno: '2102', msgid: prepared.msgid });
        expect(simulator.settlements()).toHaveLength(1);
        const first = simulator.settlements()[0];

        const resolved = await platform.resolve(prepared);
        expect(resolved.setlinfo.setl_id).toBe(first?.setlId);
        expect(entriesOf(simulator, prepared.msgid).map((r) => r.duplicate)).toEqual([false, true, true, true]);
        expect(simulator.settlements()).toHaveLength(1);
        expect(simulator.committed('2102')).toHaveLength(1);
        expect(simulator.balance('active')).toBe(156_880 - resolved.setlinfo.acct_pay);
      });

      it('2102 answer lost without idempotent msgids: sent once, OUTCOME_UNKNOWN, resolve() refuses to resend, 2601 undoes it', async () => {
        const { h, simulator, clock } = await ready();
        const platform = h.client({ idempotentMsgid: false });
        const { prepared, insuplcAdmdvs, person } = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'lose-response' });
        const lost = await rejection(platform.send(prepared));
        expect(lost).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', msgid: prepared.msgid });
        expect(entriesOf(simulator, prepared.msgid)).toHaveLength(1);
        // The platform did settle it; the till cannot know.
        expect(simulator.settlements()).toMatchObject([{ msgid: prepared.msgid, status: 'settled' }]);
        expect(simulator.balance('active')).toBeLessThan(156_880);

        const count = simulator.received().length;
        const unresolved = await rejection(platform.resolve(prepared));
        expect(unresolved).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', msgid: prepared.msgid });
        expect(unresolved.message).toMatch(/2601/);
        expect(simulator.received()).toHaveLength(count);

        await platform.reverse({ omsgid: prepared.msgid, oinfno: '2102', psn_no: person.psnNo }, { insuplcAdmdvs });
        expect(simulator.balance('active')).toBe(156_880);
        expect(simulator.settlements()).toMatchObject([
          { msgid: prepared.msgid, status: 'cancelled', cancelled: { by: '2601' } },
        ]);
        expect(simulator.committed('2102')).toHaveLength(1);
      });

      it('2102 timed out before the platform ran it, without idempotent msgids: OUTCOME_UNKNOWN, and 2601 finds nothing to reverse', async () => {
        const { h, simulator, clock } = await ready();
        const platform = h.client({ idempotentMsgid: false });
        const { prepared, insuplcAdmdvs, person } = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'timeout' });
        expect(await rejection(platform.send(prepared))).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN' });
        expect(entriesOf(simulator, prepared.msgid)).toHaveLength(1);
        expect(simulator.settlements()).toHaveLength(0);
        const nothing = await rejection(
          platform.reverse({ omsgid: prepared.msgid, oinfno: '2102', psn_no: person.psnNo }, { insuplcAdmdvs }),
        );
        expect(nothing).toBeInstanceOf(PlatformRejectedError);
        expect((nothing as PlatformRejectedError).platformMessage).toMatch(/无需冲正/);
        expect(simulator.balance('active')).toBe(156_880);
      });

      it('infcode -1 after the platform committed a 2102 (no idempotent msgids): OUTCOME_UNKNOWN, and 2601 undoes it', async () => {
        const { h, simulator, clock } = await ready();
        const platform = h.client({ idempotentMsgid: false });
        const { prepared, insuplcAdmdvs, person } = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'system-error', commit: true });
        const failed = await rejection(platform.send(prepared));
        expect(failed).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', msgid: prepared.msgid });
        expect(entriesOf(simulator, prepared.msgid).map((r) => r.outcome)).toEqual([-1]);
        expect(simulator.settlements()).toMatchObject([{ msgid: prepared.msgid, status: 'settled' }]);
        await platform.reverse({ omsgid: prepared.msgid, oinfno: '2102', psn_no: person.psnNo }, { insuplcAdmdvs });
        expect(simulator.balance('active')).toBe(156_880);
        expect(simulator.settlements()).toMatchObject([{ msgid: prepared.msgid, status: 'cancelled' }]);
      });

      it('infcode -1 before a 35xx report ran: OUTCOME_UNKNOWN, then the same msgid is sent again and committed once', async () => {
        const { platform, simulator } = await ready();
        simulator.faults.add({ infno: '3502', kind: 'system-error' });
        const input = {
          invinfo: {
            med_list_codg: DEMO_CATALOG[1]!.medListCode!,
            fixmedins_hilist_id: DEMO_CATALOG[1]!.productId,
            fixmedins_hilist_name: DEMO_CATALOG[1]!.genericName,
            rx_flag: '1' as const,
            fixmedins_bchno: 'B-SYSERR-1',
            inv_chg_type: '104',
            pric: 28_700_000,
            cnt: -1,
            inv_chg_time: simulator.now(),
            inv_chg_opter_name: '李药师',
            trdn_flag: '0' as const,
          },
        };
        const prepared = platform.prepare('3502', input);
        const failed = await rejection(platform.send(prepared));
        expect(failed).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', msgid: prepared.msgid });
        expect(simulator.committed('3502')).toHaveLength(0);
        await platform.send(prepared);
        expect(simulator.committed('3502').map((c) => c.msgid)).toEqual([prepared.msgid]);
      });

      it('malformed JSON or output on a query: PlatformProtocolError, not retried', async () => {
        const { platform, simulator } = await ready();
        simulator.faults.add({ infno: 'YG05', kind: 'malformed', variant: 'json' });
        const json = await rejection(platform.traceStatus({ data: { drug_trac_codg: [FRESH_A] } }));
        expect(json).toBeInstanceOf(PlatformProtocolError);
        expect(json.message).toMatch(/not JSON/);

        simulator.faults.add({ infno: '1101', kind: 'malformed', variant: 'schema' });
        const from = simulator.received().length;
        const schema = await rejection(
          platform.queryPerson({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PEOPLE.active.residentId } }),
        );
        expect(schema).toBeInstanceOf(PlatformProtocolError);
        expect((schema as PlatformProtocolError).issues.length).toBeGreaterThan(0);
        // The answer's content never reaches the error.
        expect(schema.message).not.toContain(DEMO_PEOPLE.active.name);
        expect(
          simulator
            .received()
            .slice(from)
            .filter((r) => r.infno === '1101'),
        ).toHaveLength(1);
      });

      it('malformed answers to writes: OUTCOME_UNKNOWN with a protocol cause; resolve() gets the first answer, committed once', async () => {
        const { platform, simulator, clock } = await ready();
        simulator.faults.add({ infno: '3505', kind: 'malformed', variant: 'json' });
        const prepared = platform.prepare('3505', saleRecord([FRESH_A], 'S-1', clock.now()));
        const report = await rejection(platform.send(prepared));
        expect(report).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', msgid: prepared.msgid });
        expect((report as PlatformError).cause).toBeInstanceOf(PlatformProtocolError);
        expect(await platform.resolve(prepared)).toMatchObject({ retRslt: '1' });
        expect(simulator.committed('3505')).toMatchObject([{ msgid: prepared.msgid }]);

        const sale = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'malformed', variant: 'schema' });
        const settle = await rejection(platform.send(sale.prepared));
        expect(settle).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', msgid: sale.prepared.msgid });
        expect((settle as PlatformError).cause).toBeInstanceOf(PlatformProtocolError);
        expect(settle.message).toMatch(/accepted it \(infcode 0\)/);
        const resolved = await platform.resolve(sale.prepared);
        expect(resolved.setlinfo.setl_id).toBe(simulator.settlements()[0]?.setlId);
        expect(simulator.settlements()).toHaveLength(1);
        expect(simulator.balance('active')).toBe(156_880 - resolved.setlinfo.acct_pay);
      });

      it('sign-in expiry: signs in again by itself and resends the same msgid, on a query and on a write', async () => {
        const events: PlatformEvent[] = [];
        const { platform, simulator, clock } = await ready({ onEvent: (event) => events.push(event) });
        for (const [infno, call] of [
          ['YG05', () => platform.traceStatus({ data: { drug_trac_codg: [FRESH_A] } })],
          ['3505', () => platform.report('3505', saleRecord([FRESH_A], 'S-1', clock.now()))],
        ] as const) {
          const before = platform.signNo;
          const from = simulator.received().length;
          simulator.faults.add({ infno, kind: 'sign-in-expiry' });
          await call();
          const msgid = msgidOf(simulator, infno, from);
          expect(
            simulator
              .received()
              .slice(from)
              .map((r) => [r.infno, r.msgid === msgid, r.outcome]),
          ).toEqual([
            [infno, true, -2],
            ['9001', false, 0],
            [infno, true, 0],
          ]);
          expect(platform.signNo).not.toBe(before);
          expect(events.filter((e) => e.type === 'sign-in-expired' && e.msgid === msgid)).toMatchObject([
            { infcode: -2, message: expect.stringMatching(/签到信息已失效/) },
          ]);
        }
        expect(simulator.committed('3505')).toHaveLength(1);
      });

      it('sign-in expiry on a 2102 without idempotent msgids: refused at the door, so resent once after 9001, and paid once', async () => {
        const { h, simulator, clock } = await ready();
        const platform = h.client({ idempotentMsgid: false });
        const { prepared } = await sell(platform, simulator, clock);
        simulator.faults.add({ infno: '2102', kind: 'sign-in-expiry' });
        const { setlinfo } = await platform.send(prepared);
        expect(entriesOf(simulator, prepared.msgid).map((r) => [r.outcome, r.duplicate])).toEqual([
          [-2, false],
          [0, false],
        ]);
        expect(simulator.settlements()).toMatchObject([{ setlId: setlinfo.setl_id, msgid: prepared.msgid }]);
        expect(simulator.balance('active')).toBe(156_880 - setlinfo.acct_pay);
      });

      it('rate limit: Retry-After is waited out, then the same msgid succeeds; one longer than the counter can wait fails at once', async () => {
        const { h, platform, simulator } = await ready();
        const from = simulator.received().length;
        simulator.faults.add({ infno: '1101', kind: 'rate-limit', retryAfterSeconds: 1 });
        const started = performance.now();
        await platform.queryPerson({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PEOPLE.active.residentId } });
        expect(performance.now() - started).toBeGreaterThanOrEqual(950);
        const msgid = msgidOf(simulator, '1101', from);
        expect(entriesOf(simulator, msgid).map((r) => [r.status, r.fault ?? null])).toEqual([
          [429, 'rate-limit'],
          [200, null],
        ]);

        const impatient = h.client({ retry: { limit: 2, backoffLimitMs: 20, maxRetryAfterMs: 500 } });
        await impatient.signIn();
        simulator.faults.add({ infno: 'YG05', kind: 'rate-limit', retryAfterSeconds: 1 });
        const limited = await rejection(impatient.traceStatus({ data: { drug_trac_codg: [FRESH_A] } }));
        expect(limited).toBeInstanceOf(PlatformUnavailableError);
        expect(limited).toMatchObject({ code: 'PLATFORM_UNAVAILABLE', status: 429, retryAfterMs: 1_000 });
        expect(simulator.received().filter((r) => r.infno === 'YG05')).toHaveLength(1);
      });
    });
  });
}
