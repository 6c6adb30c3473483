import type { PurchaseMovement } from '../../src/schemas/index.js';
import { formatCstCompact, type Infno, type RequestEnvelope } from '../../src/platform/index.js';
import { DEMO_CATALOG, DEMO_STOCK, DEMO_TRACE_CODES } from './seed/catalog.js';
import { DEMO_PEOPLE, DEMO_PHARMACIES, type DemoPerson, type DemoPersonKey, type DemoPharmacy } from './seed/people.js';
import type { SplitResult } from './settlement-rules.js';
import { ALNUM, DIGITS, createRng, type Rng } from './wire.js';

/*
 * The simulated platform's memory: everyone's balances, sessions, vouchers, settlements, trace codes, invoices and
 * keys. One object, so that reset() is one assignment and every transaction sees one consistent state.
 * Transactions change it only after every check has passed (see SimRefusal).
 */

/** A person's changing part: the account balance and the 起付线 counted per year. */
export interface PersonState {
  readonly person: DemoPerson;
  balanceFen: number;
  /** What each year's purchases counted toward the 起付线, by CST year. */
  readonly deductibleMet: Map<number, number>;
  /** A benefit the platform refuses this person (2001 answers it, 2101/2102 refuse): `Simulator.refuseBenefit`. */
  benefitRefusal?: { readonly zh: string; readonly en: string };
}

/** An e-voucher token the simulator minted. */
export interface Voucher {
  readonly token: string;
  readonly psnNo: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The settlement that used it: a voucher pays for one sale. */
  usedBy?: string;
}

/** A sign-in (9001) session. */
export interface Session {
  readonly signNo: string;
  readonly fixmedinsCode: string;
  readonly terminal: string;
  readonly signedAt: number;
  readonly expiresAt: number;
  valid: boolean;
}

/** A settlement the simulator made (2102), readable through `simulator.settlements()`. */
export interface SimSettlement {
  readonly setlId: string;
  readonly mdtrtId: string;
  readonly psnNo: string;
  readonly fixmedinsCode: string;
  readonly insutype: string;
  /** The 2102's msgid. */
  readonly msgid: string;
  readonly at: number;
  readonly split: SplitResult;
  readonly invono?: string;
  status: 'settled' | 'cancelled';
  /** How it was undone, when it was: by 2103 or by a 2601 reversal of the 2102. */
  cancelled?: { readonly by: '2103' | '2601'; readonly msgid: string; readonly at: number; readonly setlId: string };
}

/** A 追溯码 the platform has seen sold (3505), readable through `simulator.soldTraceCodes()`. */
export interface SoldTraceCode {
  readonly code: string;
  readonly fixmedinsCode: string;
  readonly at: number;
  /** The 3505's msgid (absent for the seeded 回流 box). */
  readonly msgid?: string;
  readonly rtalDocno?: string;
}

/** An invoice uploaded by YG01, readable through `simulator.invoices()`. */
export interface SimInvoice {
  readonly fixmedinsCode: string;
  readonly terminalId: string;
  readonly seq: number;
  readonly hash: string;
  readonly record: Readonly<Record<string, unknown>>;
  readonly uploadedAt: number;
  readonly msgid: string;
}

/** A sale's audit trail uploaded by YG06, readable through `simulator.audits()`. */
export interface SimAudit {
  readonly fixmedinsCode: string;
  readonly terminalId: string;
  readonly saleId: string;
  readonly setlId?: string;
  readonly events: readonly Readonly<Record<string, unknown>>[];
  readonly uploadedAt: number;
  readonly msgid: string;
}

/** A terminal's registered public key (YG04), readable through `simulator.terminalKeys()`. */
export interface RegisteredKey {
  readonly fixmedinsCode: string;
  /** The `dev_no` whose requests must carry `cainfo` from now on. */
  readonly devNo: string;
  readonly terminalId: string;
  readonly keyId: string;
  /** Ed25519 public key, base64url. */
  readonly publicKey: string;
  readonly registeredAt: number;
  /** Keys it replaced, oldest first. */
  readonly previous: readonly { readonly keyId: string; readonly publicKey: string }[];
}

/** A 进销存 record (3501–3506) as the platform keeps it, so 3507 can delete it. */
export interface InventoryRecord {
  readonly infno: Infno;
  readonly msgid: string;
  readonly fixmedinsCode: string;
  readonly batchNo: string;
  /** 3507's `inv_data_type`: 1 count, 2 change, 3 purchase (and its return), 4 sale (and its return). */
  readonly dataType: '1' | '2' | '3' | '4';
  readonly traceCodes: readonly string[];
  deleted: boolean;
}

/** A pharmacy's stock of one batch, readable through `simulator.stock(code)`. */
export interface StockLine {
  readonly productId: string;
  readonly medListCode?: string;
  readonly batchNo: string;
  quantity: number;
}

/** A pre-settlement (2101) waiting for its 2102. */
export interface PreSettlement {
  readonly fingerprint: string;
  readonly mdtrtId: string;
  readonly at: number;
}

/** What a transaction sees: the world, the time, and who is asking. */
export interface TxContext {
  readonly world: World;
  readonly now: number;
  readonly infno: Infno;
  readonly msgid: string;
  readonly envelope: RequestEnvelope;
  /** The asking pharmacy; absent only for YG02, which anyone may ask. */
  readonly pharmacy: DemoPharmacy | undefined;
  /** `fixmedins_code/dev_no`: the unit of sign-in, msgid order and terminal keys. */
  readonly terminal: string;
}

/** A transaction's answer: its output (wire shape) and whether it committed a business record. */
export interface TxResult {
  readonly output: unknown;
  readonly committed: boolean;
}

/**
 * The rule pack YG03 publishes: its version, and optionally its validity dates (default: the simulator's fixed
 * 2026-01-01 to 2028-01-01, CST) and the pharmacies it is addressed to (default: every pharmacy of the area).
 */
export interface PublishedRulePack {
  readonly version: number;
  readonly validFrom?: number;
  readonly validUntil?: number;
  readonly pharmacies?: readonly string[];
}

/** The simulator's settings that transactions read. */
export interface WorldConfig {
  readonly tokenTtlMs: number;
  readonly signInTtlMs: number;
  readonly rulePackVersion: number;
}

/**
 * The simulated platform's state. Created seeded; `reset()` makes a new one.
 *
 * @example
 * const world = new World('yibao-guard', { tokenTtlMs: 300_000, signInTtlMs: 43_200_000, rulePackVersion: 1 })
 */
export class World {
  readonly rng: Rng;
  readonly people = new Map<string, PersonState>();
  readonly peopleByKey = new Map<DemoPersonKey, PersonState>();
  readonly pharmacies = new Map<string, DemoPharmacy>();
  readonly catalog = new Map(
    DEMO_CATALOG.filter((p) => p.medListCode !== undefined).map((p) => [p.medListCode as string, p]),
  );
  readonly vouchers = new Map<string, Voucher>();
  readonly sessions = new Map<string, Session>();
  readonly preSettlements = new Map<string, PreSettlement>();
  readonly settlements: SimSettlement[] = [];
  /** Every committed 2102 and 2103 by msgid, for 2601 reversals. */
  readonly writes = new Map<string, { readonly infno: '2102' | '2103'; readonly settlement: SimSettlement }>();
  readonly sold = new Map<string, SoldTraceCode>();
  readonly inventory: InventoryRecord[] = [];
  readonly stock = new Map<string, StockLine[]>();
  /** The last accepted 3501–3507 msgid of each terminal. */
  readonly lastInventoryMsgid = new Map<string, string>();
  readonly invoices = new Map<string, SimInvoice>();
  /** YG06 audit trails by `pharmacy|terminal|sale`. */
  readonly audits = new Map<string, SimAudit>();
  readonly keys = new Map<string, RegisteredKey>();
  /** What YG03 serves now (`publishRulePack` changes it; `reset()` goes back to `rulePackVersion`). */
  rulePack: PublishedRulePack;
  private serial = 0;

  constructor(
    seed: string | number,
    readonly config: WorldConfig,
  ) {
    this.rng = createRng(seed);
    this.rulePack = { version: config.rulePackVersion };
    for (const person of Object.values(DEMO_PEOPLE)) {
      const state: PersonState = { person, balanceFen: person.openingBalanceFen, deductibleMet: new Map() };
      this.people.set(person.psnNo, state);
      this.peopleByKey.set(person.key, state);
    }
    for (const pharmacy of Object.values(DEMO_PHARMACIES)) this.pharmacies.set(pharmacy.code, pharmacy);
    this.stock.set(DEMO_PHARMACIES.active.code, DEMO_STOCK.map(stockLine));
    this.sold.set(DEMO_TRACE_CODES.resold, { code: DEMO_TRACE_CODES.resold, ...DEMO_TRACE_CODES.resoldAt });
  }

  /**
   * A unique id: a prefix, the CST time and a serial (ids stay short enough for IdSchema and the 30-character fields).
   */
  nextId(prefix: string, now: number): string {
    this.serial += 1;
    return `${prefix}${formatCstCompact(now)}${String(this.serial).padStart(6, '0')}`;
  }

  /** The e-voucher token: the area of issue and 32 letters and digits. */
  nextToken(area: string): string {
    return area + this.rng.chars(32, ALNUM);
  }

  nextDigits(n: number): string {
    return this.rng.chars(n, DIGITS);
  }
}

function stockLine(m: PurchaseMovement): StockLine {
  return {
    productId: m.productId,
    ...(m.medListCode === undefined ? {} : { medListCode: m.medListCode }),
    batchNo: m.batchNo,
    quantity: m.quantity,
  };
}
