/**
 * Shared set-up of the invoice tests: a memory storage, a book with a fixed clock and fixed randomness, sample lines,
 * and a chain built quickly.
 */
import {
  createMemoryStorage,
  TERMINAL_NAMES,
  type SignedInvoice,
  type Storage,
  type TerminalLayout,
} from '../../../src/index.js';
import type { InvoiceLine, PaymentSplit } from '../../../src/schemas/index.js';
import {
  openInvoiceBook,
  type InvoiceBook,
  type InvoiceBookOptions,
  type InvoiceKey,
} from '../../../src/invoice/index.js';
import { TRACE_A, TRACE_B } from '../../fixtures/domain.js';

/** 2026-11-23 10:00 CST. */
export const T0 = Date.UTC(2026, 10, 23, 2, 0);
export const PHARMACY = 'P22010100001';
export const DEVICE_SECRET = new Uint8Array(32).fill(7);

/** Deterministic "randomness": a counter stream, so keys are the same on every run. */
export function seededRandom(seed = 1): (n: number) => Uint8Array {
  let state = seed;
  return (n) =>
    Uint8Array.from({ length: n }, () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state >>> 24;
    });
}

export const LINE: InvoiceLine = {
  medListCode: 'XC10AAA052A001010104430',
  name: '阿托伐他汀钙片',
  specification: '20mg*7片',
  quantity: 2,
  unitPriceFen: 2870,
  amountFen: 5740,
  traceCodes: [TRACE_A, TRACE_B],
};
export const SPLIT: PaymentSplit = { totalFen: 5740, fundFen: 4000, accountFen: 1240, cashFen: 500 };

export function sale(amountFen = 5740): { lines: InvoiceLine[]; split: PaymentSplit; setlId: string } {
  return {
    lines: [{ ...LINE, quantity: 1, unitPriceFen: amountFen, amountFen, traceCodes: [TRACE_A] }],
    split: { totalFen: amountFen, fundFen: 0, accountFen: 0, cashFen: amountFen },
    setlId: 'SETL0001',
  };
}

export interface Till {
  storage: Storage<TerminalLayout>;
  book: InvoiceBook;
  clock: { now(): number; advance(ms: number): void };
}

export async function till(options: Partial<InvoiceBookOptions> & { enrol?: boolean } = {}): Promise<Till> {
  let now = T0;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const storage = options.storage ?? createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
  const book = await openInvoiceBook({
    storage,
    pharmacyCode: PHARMACY,
    terminalId: 'T01',
    deviceSecret: DEVICE_SECRET,
    clock,
    random: seededRandom(),
    ...options,
  });
  if (options.enrol !== false) await book.enrolKey({ keyId: 'T01-K1' });
  return { storage, book, clock };
}

/** A chain of `n` sales (each a minute apart), its records and its keys. */
export async function chainOf(n: number, t?: Till): Promise<{ t: Till; records: SignedInvoice[]; keys: InvoiceKey[] }> {
  const tt = t ?? (await till());
  for (let i = 0; i < n; i++) {
    tt.clock.advance(60_000);
    await tt.book.issue(sale(1000 + i));
  }
  return { t: tt, records: await tt.book.records(), keys: await tt.book.keys() };
}

export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

import type { InvoiceBody } from '../../../src/schemas/index.js';
import {
  canonicalJson,
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  toBase64Url,
  type Signer,
} from '../../../src/crypto/index.js';
import { invoiceHash, unwrapTerminalKey } from '../../../src/invoice/index.js';

/** The till's own key, unwrapped as a key holder (the pharmacy) could: for forging "re-signed" records. */
export async function keyOf(t: Till, keyId = 'T01-K1'): Promise<Signer> {
  const stored = await t.storage.get('invoiceKeys', `${PHARMACY}/T01/${keyId}`);
  if (!stored) throw new Error(`no key ${keyId}`);
  return unwrapTerminalKey(stored.value, DEVICE_SECRET);
}

/** Another key, as a forger without the till's key has. */
export async function otherKey(keyId = 'T01-K1', fill = 9): Promise<Signer> {
  return createEd25519Signer(keyId, await ed25519KeyPairFromSeed(new Uint8Array(32).fill(fill)));
}

/** Signs a body the way the book does. */
export async function signBody(body: InvoiceBody, signer: Signer): Promise<SignedInvoice> {
  return { body, sig: toBase64Url(await signer.sign(new TextEncoder().encode(canonicalJson(body)))) };
}

/** Re-chains (new prevHash) and re-signs records from `from` on: what someone holding the key can do. */
export async function rechain(records: SignedInvoice[], from: number, signer: Signer): Promise<SignedInvoice[]> {
  const out = records.slice();
  for (let i = from; i < out.length; i++) {
    const prev = out[i - 1];
    const body = {
      ...(out[i] as SignedInvoice).body,
      prevHash: prev ? await invoiceHash(prev) : (out[i] as SignedInvoice).body.prevHash,
    };
    out[i] = await signBody(body, signer);
  }
  return out;
}
