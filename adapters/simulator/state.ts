import { maskName, maskResidentId } from '../../src/codes/index.js';
import { formatCstTime, type Infno } from '../../src/platform/index.js';
import { createFaults, type FaultKind, type Faults } from './faults.js';
import { issueVoucher, type VoucherTicket } from './identity.js';
import { SIMULATOR_PLATFORM_PUBLIC_KEY } from './keys.js';
import type { DemoPersonKey } from './seed/people.js';
import { now, type SimState } from './state-context.js';
import { handle } from './state-handle.js';
import {
  World,
  type PublishedRulePack,
  type RegisteredKey,
  type SimAudit,
  type SimInvoice,
  type SimSettlement,
  type SoldTraceCode,
  type StockLine,
} from './world.js';

/*
 * The simulator's one state machine, transport-agnostic: a request (path, headers, body text) in, an HTTP answer or
 * a transport fault out. node:http (http.ts) and msw (msw.ts) only carry bytes to and from handle().
 *
 * What a request goes through, in order: path, size and content type (HTTP errors); injected faults; the gateway
 * signature (401); the JSON and the envelope (-1/-2); a repeated msgid (the first answer, byte for byte); the
 * designated pharmacy; the terminal's signature once it registered a key; sign-in; the transaction's input; the
 * transaction itself. Only messages that reach the transaction are remembered under their msgid: a message refused
 * at the door (expired sign-in, bad signature) may be sent again, fixed, with the same msgid.
 *
 * The HTTP layer and the faults live in state-handle.ts, the envelope layer in state-message.ts, the shared state in
 * state-context.ts; this file holds the public types and the Simulator object.
 */

/** An HTTP request as the simulator sees it. Header names in any case. */
export interface SimRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An HTTP answer. */
export interface SimHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * An HTTP answer, or a transport fault: `timeout` holds the connection until the client gives up, `drop` closes it
 * unanswered.
 */
export type SimResponse = SimHttpResponse | { readonly fault: 'timeout' } | { readonly fault: 'drop' };

/** One request as the simulator received it. No personal data: the envelope's ids and the outcome only. */
export interface ReceivedEntry {
  readonly at: number;
  /** The transaction number, when the body named one. */
  readonly infno: string | null;
  readonly msgid: string | null;
  /** The envelope's `dev_no`. */
  readonly terminal: string | null;
  /** The answer's `infcode`, or null when no envelope was answered (an HTTP error or a transport fault). */
  readonly outcome: number | null;
  /** A repeated msgid, answered with the first answer. */
  readonly duplicate: boolean;
  /** HTTP status of the answer; 0 for a timeout or a dropped connection. */
  readonly status: number;
  /** The injected fault that shaped the answer, if any. */
  readonly fault?: FaultKind;
  /** For a message carried in a YG07 batch: the batch's msgid (the batch itself is logged just before it). */
  readonly batch?: string;
}

/** A business record the platform committed: the decoded input (分, epoch ms; personal data masked) and its msgid. */
export interface CommittedRecord {
  /** 1, 2, 3, … in commit order. */
  readonly seq: number;
  readonly at: number;
  readonly infno: Infno;
  readonly msgid: string;
  readonly fixmedinsCode: string;
  readonly terminal: string | null;
  readonly input: unknown;
}

/** What `/__sim/state` shows: counts and masked names, for a dashboard or a test in another process. */
export interface SimulatorSummary {
  readonly now: string;
  readonly platformPublicKey: string;
  readonly pharmacies: readonly { code: string; name: string; agreement: string }[];
  readonly people: readonly {
    key: string;
    psnNo: string;
    name: string;
    residentId: string;
    balanceFen: number;
    about: string;
  }[];
  readonly settlements: number;
  readonly soldTraceCodes: number;
  readonly invoices: number;
  readonly terminalKeys: number;
  readonly received: number;
  readonly committed: number;
  readonly faults: readonly { id: number; kind: string; infno: string | null; remaining: number | null }[];
}

/**
 * How to build a simulator. Every option has a default that suits tests: a fixed random seed, real time, no
 * gateway.
 */
export interface SimulatorOptions {
  /** Where time comes from; `advance(ms)` adds to it. @default Date.now */
  readonly clock?: { now(): number };
  /** Seed of the randomness behind tokens and sign-in numbers. @default 'yibao-guard' */
  readonly seed?: string | number;
  /** Life of an e-voucher token. @default 5 minutes */
  readonly tokenTtlMs?: number;
  /** Life of a sign-in (`sign_no`). @default 12 hours */
  readonly signInTtlMs?: number;
  /** The provincial gateway in front of the platform (`x-tif-*` headers), or none. @default 'none' */
  readonly gateway?: { readonly paasid: string; readonly secret: string } | 'none';
  /** Version of the rule pack YG03 serves. @default 1 */
  readonly rulePackVersion?: number;
  /** Largest request body, in bytes; larger ones get HTTP 413. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Wire habits of some provinces: `infcode` as a string, `output` as a JSON string. @default none */
  readonly quirks?: { readonly infcodeAsString?: boolean; readonly outputAsString?: boolean };
  /** Where to write one line per request (no personal data). @default nowhere */
  readonly log?: (line: string) => void;
}

/**
 * The simulated provincial platform. `handle` answers one request; the rest drive and observe it.
 */
export interface Simulator {
  /** Answers one HTTP request to the platform. */
  handle(request: SimRequest): Promise<SimResponse>;
  /** Shows a demo person's e-voucher QR: a fresh token, valid for `tokenTtlMs`, good for one settlement. */
  issueVoucher(person: DemoPersonKey): VoucherTicket;
  /** Fault injection. */
  readonly faults: Faults;
  /** Every request, in order. */
  received(): readonly ReceivedEntry[];
  /** Business records committed (exactly once each), in order; only those of `infno` when given. */
  committed(infno?: string): readonly CommittedRecord[];
  /** A person's personal account balance now, in 分, by demo key or `psn_no`. */
  balance(person: DemoPersonKey | string): number;
  settlements(): readonly SimSettlement[];
  /** Every 追溯码 the platform holds as sold, with where and when. */
  soldTraceCodes(): readonly SoldTraceCode[];
  invoices(): readonly SimInvoice[];
  /** Sales' audit trails uploaded by YG06. */
  audits(): readonly SimAudit[];
  terminalKeys(): readonly RegisteredKey[];
  /** A pharmacy's stock by product and batch as its 35xx reports left it (the demo pharmacy starts with DEMO_STOCK). */
  stock(fixmedinsCode: string): readonly StockLine[];
  summary(): SimulatorSummary;
  /** The simulator's time: the clock plus every `advance`. */
  now(): number;
  /** Moves the simulator's time forward, e.g. past a token's or a sign-in's life. */
  advance(ms: number): void;
  /**
   * Back to the seeded state: balances, sessions, vouchers, settlements, codes, invoices, keys, logs, faults, time
   * offset.
   */
  reset(): void;
  /**
   * Publishes a rule pack: what YG03 serves from now on (a new version, other validity dates, addressed to some
   * pharmacies only). `reset()` goes back to the `rulePackVersion` option.
   */
  publishRulePack(pack: PublishedRulePack): void;
  /**
   * Makes the platform refuse `person` the fund from now on, with `reason` (2001 answers `trt_enjymnt_flag` '0'
   * with it, 2101 and 2102 refuse), as for a benefit stopped after verification; without a reason, lifts it.
   * `reset()` lifts every refusal.
   */
  refuseBenefit(person: DemoPersonKey | string, reason?: { readonly zh: string; readonly en: string }): void;
  /** The platform key that signs rule packs (Ed25519, base64url). */
  readonly platformPublicKey: string;
  /** The largest body `handle` accepts, for transports that stop reading early. */
  readonly maxBodyBytes: number;
}

/**
 * Creates the simulated provincial platform: seeded people, pharmacies and catalog, sessions, vouchers, settlements,
 * 进销存, trace codes, invoices, keys and fault injection, all in memory. Serve it with `startSimulator` (node:http)
 * or `simulatorHandlers` (msw), or call `handle` directly.
 *
 * @example
 * let t = Date.UTC(2026, 10, 23, 2, 0)
 * const simulator = createSimulator({ clock: { now: () => t }, tokenTtlMs: 60_000 })
 * const { ecToken } = simulator.issueVoucher('active')
 * const res = await simulator.handle({ path: '/fsi/api/rsfComIfsService/callService', headers: { 'content-type':
 * 'application/json' }, body })
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const config = {
    tokenTtlMs: options.tokenTtlMs ?? 5 * 60_000,
    signInTtlMs: options.signInTtlMs ?? 12 * 3600_000,
    rulePackVersion: options.rulePackVersion ?? 1,
  };
  const seed = options.seed ?? 'yibao-guard';
  const state: SimState = {
    clock: options.clock ?? { now: () => Date.now() },
    seed,
    config,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    gateway: options.gateway === undefined || options.gateway === 'none' ? undefined : options.gateway,
    quirks: options.quirks ?? {},
    log: options.log,
    faults: createFaults(),
    world: new World(seed, config),
    offset: 0,
    refSerial: 0,
    received: [],
    committed: [],
    cache: new Map(),
    busy: new Map(),
  };
  return simulatorApi(state);
}

/** The Simulator object over one state: `handle`, and the calls that drive and observe the platform. */
function simulatorApi(state: SimState): Simulator {
  const { faults } = state;
  return {
    handle: (request) => handle(state, request),
    issueVoucher: (person) => issueVoucher(state.world, person, now(state)),
    faults: { add: (spec) => faults.add(spec), clear: (id) => faults.clear(id), list: () => faults.list() },
    received: () => state.received.slice(),
    committed: (infno) =>
      structuredClone(infno === undefined ? state.committed : state.committed.filter((c) => c.infno === infno)),
    balance: (person) => personState(state, person).balanceFen,
    settlements: () => structuredClone(state.world.settlements),
    soldTraceCodes: () => [...state.world.sold.values()].map((s) => ({ ...s })),
    invoices: () => structuredClone([...state.world.invoices.values()]),
    audits: () => structuredClone([...state.world.audits.values()]),
    terminalKeys: () => structuredClone([...state.world.keys.values()]),
    stock: (code) => structuredClone(state.world.stock.get(code) ?? []),
    summary: () => summary(state),
    now: () => now(state),
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError('advance(ms) takes a non-negative number of milliseconds');
      state.offset += ms;
    },
    reset() {
      state.world = new World(state.seed, state.config);
      state.offset = 0;
      state.refSerial = 0;
      state.received = [];
      state.committed = [];
      state.cache = new Map();
      state.busy = new Map();
      faults.clear();
    },
    publishRulePack(pack) {
      if (!Number.isInteger(pack.version) || pack.version < 1)
        throw new RangeError('publishRulePack: version must be an integer of 1 or more');
      state.world.rulePack = { ...pack, ...(pack.pharmacies ? { pharmacies: [...pack.pharmacies] } : {}) };
    },
    refuseBenefit(person, reason) {
      const found = personState(state, person);
      if (reason) found.benefitRefusal = { zh: reason.zh, en: reason.en };
      else delete found.benefitRefusal;
    },
    platformPublicKey: SIMULATOR_PLATFORM_PUBLIC_KEY,
    maxBodyBytes: state.maxBodyBytes,
  };
}

function personState(state: SimState, person: string) {
  const found = state.world.peopleByKey.get(person as DemoPersonKey) ?? state.world.people.get(person);
  if (!found) throw new TypeError(`No demo person with key or psn_no '${person}'`);
  return found;
}

/** What `/__sim/state` shows. */
function summary(state: SimState): SimulatorSummary {
  const { world } = state;
  return {
    now: formatCstTime(now(state)),
    platformPublicKey: SIMULATOR_PLATFORM_PUBLIC_KEY,
    pharmacies: [...world.pharmacies.values()].map((p) => ({ code: p.code, name: p.name, agreement: p.agreement })),
    people: [...world.peopleByKey.values()].map(({ person, balanceFen }) => ({
      key: person.key,
      psnNo: person.psnNo,
      name: maskName(person.name),
      residentId: maskResidentId(person.residentId),
      balanceFen,
      about: person.about,
    })),
    settlements: world.settlements.length,
    soldTraceCodes: world.sold.size,
    invoices: world.invoices.size,
    terminalKeys: world.keys.size,
    received: state.received.length,
    committed: state.committed.length,
    faults: state.faults.list().map((f) => ({
      id: f.id,
      kind: f.spec.kind,
      infno: f.spec.infno ?? null,
      remaining: Number.isFinite(f.remaining) ? f.remaining : null,
    })),
  };
}
