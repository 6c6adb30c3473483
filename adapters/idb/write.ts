/// <reference lib="dom" />
/*
 * The write of an IndexedDB storage: a batch checked whole, personal values sealed, then one strict read-write
 * transaction that looks up what the plan needs, writes it, and commits, or aborts having written nothing.
 */
import type { StorageLayout, WriteOp, WriteReceipt } from '../../src/storage/contract.js';
import {
  checkBatch,
  checkStoredRev,
  planBatch,
  touched,
  type BatchPlan,
  type CheckedOp,
} from '../../src/storage/batch.js';
import { enqueue } from './connection.js';
import { LABEL, noop, type IdbContext } from './context.js';
import { lastKey } from './reads.js';
import { journalStore, keyStore, recordStore, type RecordRow, type Transaction } from './schema.js';
import { seal, type Sealed } from './seal.js';

/** Applies a batch atomically and in order; resolves with one receipt per operation. */
export function writeBatch(ctx: IdbContext, ops: readonly WriteOp<StorageLayout>[]): Promise<WriteReceipt[]> {
  return enqueue(ctx, 'write', async (database) => {
    const { personal } = ctx;
    // Everything that needs no stored data is checked before a transaction exists.
    const checked = checkBatch(ops, ctx.names, LABEL);
    if (checked.length === 0) return [];
    const { records, journals } = touched(checked);
    const sealed = await sealPersonal(ctx, checked);
    const stores = [
      ...[...records.keys()].flatMap((store) =>
        personal.has(store) ? [recordStore(store), keyStore(store)] : [recordStore(store)],
      ),
      ...[...journals].map(journalStore),
    ];
    // 'strict': the browser flushes to disk before reporting success, so an acknowledged sale survives a
    // power cut (Chromium's default is 'relaxed').
    const tx: Transaction<'readwrite'> = database.transaction(stores, 'readwrite', { durability: 'strict' });
    const done = tx.done;
    done.catch(noop);
    try {
      // Look up every revision and last number the plan needs, inside this transaction: IndexedDB runs
      // read-write transactions with overlapping stores one at a time, also across tabs, so what is read
      // here cannot change before the writes below commit. Only IndexedDB requests are awaited from here
      // on: awaiting anything else would let the transaction commit half-way.
      const { revs, lastSeqs } = await lookUp(tx, records, journals);
      const plan = planBatch(
        checked,
        { rev: (store, key) => revs.get(store)?.get(key) ?? null, lastSeq: (journal) => lastSeqs.get(journal) ?? 0 },
        LABEL,
      );
      const writes = applyPlan(ctx, tx, plan, sealed);
      await Promise.all([...writes, done]);
      return plan.receipts satisfies WriteReceipt[];
    } catch (error) {
      // The transaction's own error (a quota error at commit, say) says more than a request's AbortError.
      const reason = (tx.error as DOMException | null) ?? error;
      try {
        tx.abort();
      } catch {
        // Already aborted or finished: nothing of it was committed either way.
      }
      throw reason;
    }
  });
}

/**
 * Values of personal stores are encrypted before the transaction starts: awaiting WebCrypto inside it would let
 * it commit half-way. By store and key, the last put wins, as in the plan.
 */
async function sealPersonal(ctx: IdbContext, checked: readonly CheckedOp[]): Promise<Map<string, Sealed>> {
  const sealed = new Map<string, Sealed>();
  for (const op of checked) {
    if (op.op === 'put' && ctx.personal.has(op.store))
      sealed.set(`${op.store}\u0000${op.key}`, await seal(ctx.subtle!, op.store, op.key, op.json));
  }
  return sealed;
}

/**
 * Every request promise gets a handler as it is made: if a later call throws and the transaction is aborted,
 * the pending ones reject, and none of them may go unhandled.
 */
function track(list: Promise<unknown>[], request: Promise<unknown>): void {
  request.catch(noop);
  list.push(request);
}

/** The revisions of the records and the last numbers of the journals a batch touches, read in its transaction. */
async function lookUp(
  tx: Transaction<'readwrite'>,
  records: ReadonlyMap<string, Iterable<string>>,
  journals: Iterable<string>,
): Promise<{ revs: Map<string, Map<string, number | null>>; lastSeqs: Map<string, number> }> {
  const revs = new Map<string, Map<string, number | null>>();
  const lastSeqs = new Map<string, number>();
  const lookups: Promise<unknown>[] = [];
  for (const [store, keys] of records) {
    const found = new Map<string, number | null>();
    revs.set(store, found);
    const objectStore = tx.objectStore(recordStore(store));
    for (const key of keys) {
      track(
        lookups,
        objectStore.get(key).then((row) => {
          found.set(
            key,
            row === undefined
              ? null
              : checkStoredRev((row as Partial<RecordRow> | null)?.r, `store "${store}", key "${key}"`, LABEL),
          );
        }),
      );
    }
  }
  for (const journal of journals) {
    track(
      lookups,
      tx
        .objectStore(journalStore(journal))
        .openKeyCursor(null, 'prev')
        .then((cursor) => {
          lastSeqs.set(journal, lastKey(journal, cursor));
        }),
    );
  }
  await Promise.all(lookups);
  return { revs, lastSeqs };
}

/** Makes the plan's requests in the transaction: puts, deletes (of a personal record with its key), appends. */
function applyPlan(
  ctx: IdbContext,
  tx: Transaction<'readwrite'>,
  plan: BatchPlan,
  sealed: ReadonlyMap<string, Sealed>,
): Promise<unknown>[] {
  const writes: Promise<unknown>[] = [];
  for (const [store, changes] of plan.records) {
    const objectStore = tx.objectStore(recordStore(store));
    if (!ctx.personal.has(store)) {
      for (const [key, record] of changes)
        track(
          writes,
          record === null ? objectStore.delete(key) : objectStore.put({ v: record.json, r: record.rev }, key),
        );
      continue;
    }
    // Personal: the ciphertext and its key go in and out together; deleting the key shreds the value.
    const keys = tx.objectStore(keyStore(store));
    for (const [key, record] of changes) {
      if (record === null) {
        track(writes, objectStore.delete(key));
        track(writes, keys.delete(key));
        continue;
      }
      const box = sealed.get(`${store}\u0000${key}`);
      if (box?.json !== record.json)
        throw new Error('internal: a personal record was planned without its sealed value');
      track(writes, objectStore.put({ c: box.c, i: box.i, r: record.rev }, key));
      track(writes, keys.put(box.key, key));
    }
  }
  for (const [journal, entries] of plan.appends) {
    const objectStore = tx.objectStore(journalStore(journal));
    // `add`, not `put`: an entry is never overwritten; a taken number fails the whole batch.
    for (const entry of entries) track(writes, objectStore.add({ v: entry.json }, entry.seq));
  }
  return writes;
}
