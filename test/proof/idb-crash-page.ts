/// <reference lib="dom" />
/**
 * The page of the IndexedDB crash matrix (bundled by `idb-crash.test.ts`): a till writing sale-shaped batches
 * through `createIdbStorage`, as `sale.settle()` does — the sale record, its stock movement, its outbox records
 * (3505 and the invoice upload YG01, each with its own msgid) and an audit event, in one atomic write — until the
 * page or the browser is killed. After each write resolves it reports the batch to Node (`window.ygAck`, awaited),
 * so Node knows every batch IndexedDB acknowledged, at most one more being in flight. `check()` reads it all back.
 */
import { createIdbStorage } from '../../adapters/idb/index.js';
import type { Storage, StorageNames } from '../../src/storage/contract.js';

export interface CrashLayout {
  stores: {
    sales: { saleId: string; totalFen: number; lines: number };
    movements: { saleId: string; quantity: number };
  };
  journals: {
    outbox: { kind: string; ref: string; msgid: string; input: string };
    audit: { saleId: string; kind: string };
  };
}
const NAMES: StorageNames<CrashLayout> = { stores: ['sales', 'movements'], journals: ['outbox', 'audit'] };
const DB = 'yibao-guard:crash-till';

/** What the reopened database holds, for the Node side's invariants. */
export interface CrashCheck {
  readonly sales: readonly string[];
  readonly movements: readonly string[];
  readonly outbox: readonly { seq: number; ref: string; kind: string; msgid: string }[];
  readonly auditSeqs: readonly number[];
  readonly auditRefs: readonly string[];
}

let storage: Storage<CrashLayout> | undefined;
const open = async () => (storage ??= await createIdbStorage<CrashLayout>({ name: DB, names: NAMES }));
const pad = (i: number) => String(i).padStart(6, '0');

const helpers = {
  /** Writes sales from the next number on, forever (until killed). */
  async loop(): Promise<void> {
    const s = await open();
    const ack = (globalThis as unknown as { ygAck: (i: number) => Promise<void> }).ygAck;
    for (let i = (await s.count('sales')) + 1; ; i++) {
      const saleId = `S-${pad(i)}`;
      // A sale-sized payload, so that a batch takes IndexedDB real work.
      const input = `${saleId}:${'药'.repeat(400 + (i % 7) * 100)}`;
      await s.write([
        { op: 'put', store: 'sales', key: saleId, value: { saleId, totalFen: 2870 * i, lines: 1 }, expect: null },
        { op: 'put', store: 'movements', key: `${saleId}-L1`, value: { saleId, quantity: 1 }, expect: null },
        { op: 'append', journal: 'outbox', value: { kind: '3505', ref: saleId, msgid: `M3505-${pad(i)}`, input } },
        { op: 'append', journal: 'outbox', value: { kind: 'YG01', ref: saleId, msgid: `MYG01-${pad(i)}`, input } },
        { op: 'append', journal: 'audit', value: { saleId, kind: 'sale-settled' } },
      ]);
      await ack(i);
    }
  },
  async check(): Promise<CrashCheck> {
    const s = await open();
    const outbox = await s.read('outbox');
    const audit = await s.read('audit');
    return {
      sales: (await s.list('sales')).map((r) => r.key),
      movements: (await s.list('movements')).map((r) => r.value.saleId),
      outbox: outbox.map((e) => ({ seq: e.seq, ref: e.value.ref, kind: e.value.kind, msgid: e.value.msgid })),
      auditSeqs: audit.map((e) => e.seq),
      auditRefs: audit.map((e) => e.value.saleId),
    };
  },
};

export type CrashHelpers = typeof helpers;
(globalThis as unknown as { __ygCrash: CrashHelpers }).__ygCrash = helpers;
