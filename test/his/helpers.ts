/**
 * A clinic for HIS hook tests: the simulator's demo catalog and rule pack, a fixed clock, an HIS issuer with a test
 * key, the hook service served over real HTTP on 127.0.0.1 (port 0), and contexts built from the demo people.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_CATALOG, DEMO_PEOPLE, simulatorRulePack, type DemoPersonKey } from '../../adapters/simulator/index.js';
import {
  createHisHandler,
  createHisService,
  signHisJwt,
  type HisHandler,
  type HisService,
  type HisServiceOptions,
  type HisAuthOptions,
} from '../../adapters/his/index.js';
import { createMemoryStorage, TERMINAL_NAMES, type Storage, type TerminalLayout } from '../../src/index.js';
import { createEd25519Signer, ed25519KeyPairFromSeed, type Signer } from '../../src/crypto/index.js';
import { compilePack, createCatalog } from '../../src/engine.js';

/** 2026-11-23 10:00 CST. */
export const NOW = Date.UTC(2026, 10, 23, 2, 0);
export const catalog = createCatalog(DEMO_CATALOG);
export const pack = simulatorRulePack('220100', 1);
export const AUDIENCE = 'https://clinic.example/his';
export const ISSUER = 'https://his.clinic.example';
/** A second HIS of the clinic (its EMR), also allowed to call. */
export const ISSUER_B = 'https://emr.clinic.example';

export function productOf(productId: string) {
  const p = catalog.byId(productId);
  if (!p) throw new Error(`no demo product ${productId}`);
  return p;
}

/** Demo product ids used here. */
export const P = {
  atorvastatin: 'YP-XYG002', // 阿托伐他汀钙片 20mg*7片, Rx, key drug, ≤30 days
  albumin: 'YP-XYG001', // 人血白蛋白, restriction in words only (info)
  finasteride: 'YP-XOT008', // 非那雄胺片, 限男性
  amoxicillin: 'YP-XOT006', // 阿莫西林胶囊, Rx
  paracetamol: 'YP-XOT002', // 对乙酰氨基酚片, OTC
  proteinPowder: 'YP-G001', // 蛋白质粉（保健食品）: never paid by the fund
} as const;

const seed = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) & 0xff);

export async function hisSigner(kid = 'his-k1', n = 1): Promise<Signer> {
  return createEd25519Signer(kid, await ed25519KeyPairFromSeed(seed(n)));
}

/** A test clinic: service, handler, HTTP server, clock and the HIS's signer. */
export interface Clinic {
  readonly service: HisService;
  readonly handler: HisHandler;
  readonly storage: Storage<TerminalLayout>;
  readonly signer: Signer;
  readonly clock: { now(): number; set(ms: number): void };
  readonly url: string;
  readonly logs: string[];
  /** Signs a token for one call to a service path (`/cds-services/yibao-presettle`). */
  token(
    path: string,
    overrides?: { jti?: string; aud?: string; signer?: Signer; iss?: string; sub?: string; lifetimeSeconds?: number },
  ): Promise<string>;
  post(
    path: string,
    body: unknown,
    options?: { token?: string | null; language?: string; raw?: string },
  ): Promise<{ status: number; text: string; json: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * Starts a clinic. `storage` shares one storage between clinics (two instances of the service, or one started again);
 * `issuers` adds HIS allowed besides {@link ISSUER}.
 */
export async function startClinic(
  options: Partial<HisServiceOptions> & { auth?: Partial<HisAuthOptions>; issuers?: HisAuthOptions['issuers'] } = {},
): Promise<Clinic> {
  let now = NOW;
  const clock = { now: () => now, set: (ms: number) => void (now = ms) };
  const signer = await hisSigner();
  const {
    auth,
    issuers = [],
    storage = createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES }),
    ...serviceOptions
  } = options;
  const service = createHisService({ catalog, rules: compilePack(pack), clock, storage, ...serviceOptions });
  const logs: string[] = [];
  const handler = createHisHandler({
    service,
    auth: {
      audience: AUDIENCE,
      issuers: [{ iss: ISSUER, keys: [{ kid: signer.keyId, publicKey: signer.publicKey }] }, ...issuers],
      clock,
      ...auth,
    },
    log: (line) => logs.push(line),
  });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token: Clinic['token'] = (path, o = {}) =>
    signHisJwt({
      signer: o.signer ?? signer,
      iss: o.iss ?? ISSUER,
      aud: o.aud ?? `${AUDIENCE}${path.replace(/\/feedback$/, '')}`,
      clock,
      ...(o.sub ? { sub: o.sub } : {}),
      ...(o.jti ? { jti: o.jti } : {}),
      ...(o.lifetimeSeconds ? { lifetimeSeconds: o.lifetimeSeconds } : {}),
    });
  return {
    service,
    handler,
    storage,
    signer,
    clock,
    url,
    logs,
    token,
    async post(path, body, o = {}) {
      const bearer = o.token === undefined ? await token(path) : o.token;
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(o.language ? { 'accept-language': o.language } : {}),
        },
        body: o.raw ?? JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json, headers: res.headers };
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** The patient as an HIS holds a demo person: 身份证 and the insurance facts learnt at registration. */
export function patientOf(key: DemoPersonKey, insurance: Record<string, unknown> = {}) {
  const person = DEMO_PEOPLE[key];
  return {
    residentId: person.residentId,
    insurance: {
      psnNo: person.psnNo,
      status: 'active',
      outOfArea: person.insuplcAdmdvs.slice(0, 4) !== '2201',
      chronic: person.chronicDiseases.map((d) => d.code),
      ...insurance,
    },
  };
}

/**
 * A visit of the resident (female, 36) whose draft orders draw one card of each kind: 6 boxes of atorvastatin for 42
 * days (days-supply warning, reduce to 4), protein powder billed under a drug's code (substitution block), finasteride
 * (payment scope: men only, warning) and albumin (a restriction in words: info).
 */
export function visit(overrides: Record<string, unknown> = {}) {
  const person = DEMO_PEOPLE.resident;
  return {
    userId: 'Practitioner/D001',
    // Many HIS use the 身份证 as the patient id: it must never come back.
    patientId: person.residentId,
    encounterId: 'ENC-20261123-0001',
    patient: patientOf('resident'),
    prescriber: { code: 'D001', name: '张医生' },
    draftOrders: [
      { orderId: 'O1', productId: P.atorvastatin, quantity: 6, days: 42 },
      {
        orderId: 'O2',
        productId: P.proteinPowder,
        medListCode: productOf(P.atorvastatin).medListCode,
        quantity: 1,
        payMode: 'fund',
        unitPriceFen: 16_800,
      },
      { orderId: 'O3', productId: P.finasteride, quantity: 1 },
      { orderId: 'O4', productId: P.albumin, quantity: 1 },
    ],
    ...overrides,
  };
}

export function hookRequest(hook: string, context: unknown, hookInstance = 'd3b6a3e0-5d3e-4c1a-9d44-7f0e1a2b3c4d') {
  return { hook, hookInstance, context };
}

/** An unmasked 身份证 anywhere in a text: 17 digits and a digit or X, not inside a longer number. */
export const RESIDENT_ID = /(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/;
export const DEMO_RESIDENT_IDS = Object.values(DEMO_PEOPLE).map((p) => p.residentId);
