/**
 * The platform client of a test till at the simulator's active demo pharmacy: one place for the wiring the
 * integration tests share (institution, area, operator, device), each test choosing its terminal, msgid digit,
 * timeout and signer.
 */
import {
  createTerminal,
  type Storage,
  type Terminal,
  type TerminalLayout,
  type TerminalOptions,
} from '../../src/index.js';
import type { StockMovement } from '../../src/schemas/index.js';
import type { Signer } from '../../src/crypto/index.js';
import {
  createMsgidSource,
  createPlatformClient,
  type MsgidSource,
  type PlatformClient,
  type PlatformFetch,
} from '../../src/platform/index.js';
import { selfAudit } from '../../src/audit/index.js';
import {
  DEMO_CATALOG,
  DEMO_PHARMACIES,
  DEMO_STOCK,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
  type DemoPharmacy,
} from '../../adapters/simulator/index.js';

export const PHARMACY = DEMO_PHARMACIES.active;

/**
 * The test clients' call deadline: the SDK's default. No test waits for it (a `timeout` fault ends at the deadline
 * as soon as the simulator holds the request, held-fetch.ts); a short one would only fail calls that a loaded machine
 * answers slowly.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

export function tillClient(options: {
  readonly baseUrl: string;
  readonly clock: { now(): number };
  /** The terminal's id (`dev_no`). @default 'T01' */
  readonly terminalId?: string;
  /** The msgid source; by default a fresh one with the terminal's digit. */
  readonly msgids?: MsgidSource;
  readonly terminalDigit?: number;
  /** The call deadline. @default DEFAULT_TIMEOUT_MS */
  readonly timeoutMs?: number;
  readonly signer?: Signer;
}): PlatformClient {
  const terminalId = options.terminalId ?? 'T01';
  return createPlatformClient({
    baseUrl: options.baseUrl,
    institution: { code: PHARMACY.code, name: PHARMACY.name },
    area: PHARMACY.admdvs,
    operator: { id: 'OP7', name: '李药师' },
    device: { no: terminalId, mac: '00-16-3E-00-00-01', ip: '127.0.0.1' },
    clock: options.clock,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry: { limit: 0 },
    msgids:
      options.msgids ??
      createMsgidSource({ institutionCode: PHARMACY.code, terminalDigit: options.terminalDigit ?? 1 }),
    ...(options.signer ? { signer: options.signer } : {}),
  });
}

/**
 * A self-pay sale of one box of the opening stock's first product: movement `SM-<i>`, sale `S-<i>`, and a box of
 * its own (the product's trace prefix and serial `serialBase + i`, so tests pick ranges no other test and no
 * seeded code — like the simulator's resold box — uses).
 */
export function boxSale(i: number, at: number, serialBase: number): StockMovement {
  const opening = DEMO_STOCK[0]!;
  return {
    kind: 'sale',
    movementId: `SM-${i}`,
    at,
    productId: opening.productId,
    ...(opening.medListCode ? { medListCode: opening.medListCode } : {}),
    productName: opening.productName,
    batchNo: opening.batchNo,
    traceCodes: [`${opening.traceCodes[0]!.slice(0, 7)}${String(serialBase + i).padStart(13, '0')}`],
    operatorId: 'OP7',
    quantity: 1,
    split: false,
    saleId: `S-${i}`,
    lineId: 'L1',
    unitPriceFen: 2870,
    payMode: 'self-pay',
  };
}

/**
 * Who a test till is, said once as `createTerminal` takes it: the active demo pharmacy, a terminal (T01 unless
 * named) on loopback, and an operator (OP7 unless named).
 */
export function tillIdentity(
  terminalId = 'T01',
  operator: { readonly id: string; readonly name: string } = { id: 'OP7', name: '李药师' },
  pharmacy: DemoPharmacy = PHARMACY,
): Pick<TerminalOptions, 'pharmacy' | 'terminal' | 'operator'> {
  return {
    pharmacy: { code: pharmacy.code, name: pharmacy.name, area: pharmacy.admdvs },
    terminal: { id: terminalId, mac: '00-16-3E-00-00-01', ip: '127.0.0.1' },
    operator,
  };
}

/** The platform keys the simulator signs rule packs with, as a till trusts them. */
export const SIMULATOR_TRUST = [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }];

/**
 * A whole till (`createTerminal`) at the active demo pharmacy against a running simulator: terminal T01, operator
 * OP7, the demo catalog, the simulator's rule-pack key, a fixed device secret, sync started by hand. Tests choose
 * the client's timeout and retries and the worker's backoff and breaker.
 */
export function openTestTerminal(options: {
  readonly baseUrl: string;
  readonly storage: Storage<TerminalLayout>;
  readonly clock: { now(): number };
  readonly timeoutMs?: number;
  readonly retryLimit?: number;
  /** The platform client's fetch (e.g. heldEndsAtDeadline(simulator), held-fetch.ts). @default the global fetch */
  readonly fetch?: PlatformFetch;
  readonly breaker?: { readonly threshold?: number; readonly cooldownMs?: number; readonly maxCooldownMs?: number };
  /** The terminal's rule-pack options. */
  readonly rulePacks?: Pick<TerminalOptions, 'rulePackId' | 'rulePackExpired' | 'rulePackRetryMs'>;
  /** Open it without the self-audit (`createTerminal`'s `selfAudit` option). @default with it */
  readonly withoutSelfAudit?: boolean;
  /** Ed25519 where WebCrypto has none (`createTerminal`'s `ed25519Fallback`). */
  readonly ed25519Fallback?: TerminalOptions['ed25519Fallback'];
  /** The demo pharmacy the till belongs to (its agreement as the till is told: active). @default the active one */
  readonly pharmacy?: DemoPharmacy;
}): Promise<Terminal> {
  const { clock } = options;
  return createTerminal({
    platform: {
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: { limit: options.retryLimit ?? 0 },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
    storage: options.storage,
    ...tillIdentity(undefined, undefined, options.pharmacy),
    catalog: DEMO_CATALOG,
    trustedKeys: SIMULATOR_TRUST,
    ...(options.withoutSelfAudit ? {} : { selfAudit }),
    deviceSecret: new Uint8Array(32).fill(7),
    clock,
    sync: {
      autoStart: false,
      backoff: { baseMs: 1, maxMs: 2 },
      ...(options.breaker ? { breaker: options.breaker } : {}),
    },
    ...options.rulePacks,
    ...(options.ed25519Fallback ? { ed25519Fallback: options.ed25519Fallback } : {}),
  });
}
