/*
 * A memory storage's `write` (see `createMemoryStorage` in memory.ts): the whole batch is checked against the
 * current data plus its own earlier operations and staged, and only then applied, so a refused batch changes
 * nothing and consumes no journal number.
 */
import { StorageError } from '../errors/index.js';
import type { StorageLayout, WriteOp, WriteReceipt } from './contract.js';
import { zhWhere } from './batch.js';
import { lowerBound, type JournalData, type Slot, type StoreData } from './memory-backing.js';
import { checkKey, journal, serialise, store, type MemoryContext } from './memory-context.js';

/** The batch's effect, staged: per store the records it changes (null: deleted), per journal its appends. */
interface StagedBatch {
  readonly staged: Map<StoreData, Map<string, Slot | null>>;
  readonly appended: Map<JournalData, string[]>;
  readonly receipts: WriteReceipt[];
}

/** Checks the whole batch against the current data plus its own earlier operations, then applies it. */
export function applyBatch<L extends StorageLayout>(
  context: MemoryContext,
  ops: readonly WriteOp<L>[],
): WriteReceipt[] {
  if (!Array.isArray(ops)) {
    throw new StorageError('STORAGE_INVALID_VALUE', {
      message: 'Memory storage: write() takes an array of operations; nothing was written',
      messageZh: '内存存储：write() 的参数必须是操作数组，本次写入未生效',
      field: 'ops',
    });
  }
  const batch: StagedBatch = { staged: new Map(), appended: new Map(), receipts: [] };
  ops.forEach((op: unknown, index) => stageOp(context, batch, op, index));
  commit(batch);
  return batch.receipts;
}

function stageOp(context: MemoryContext, batch: StagedBatch, op: unknown, index: number): void {
  const at = `ops.${index}`;
  if (op === null || typeof op !== 'object') throw badOp(index, at);
  const { op: kind } = op as { op?: unknown };
  if (kind === 'append') {
    stageAppend(context, batch, op, index);
    return;
  }
  if (kind !== 'put' && kind !== 'delete') throw badOp(index, at);
  stageRecordOp(context, batch, op, kind, index);
}

function stageAppend(context: MemoryContext, batch: StagedBatch, op: object, index: number): void {
  const at = `ops.${index}`;
  const { journal: journalName, value } = op as { journal?: unknown; value?: unknown };
  const target = journal(context, journalName, `${at}.journal`);
  const json = serialise(value, index, `journal "${String(journalName)}"`, `${at}.value`);
  const pending = batch.appended.get(target) ?? [];
  batch.appended.set(target, pending);
  pending.push(json);
  batch.receipts.push({ op: 'append', seq: target.entries.length + pending.length });
}

function stageRecordOp(
  context: MemoryContext,
  batch: StagedBatch,
  op: object,
  kind: 'put' | 'delete',
  index: number,
): void {
  const at = `ops.${index}`;
  const { store: storeName, key, expect } = op as { store?: unknown; key?: unknown; expect?: unknown };
  const target = store(context, storeName, `${at}.store`);
  const where = `store "${String(storeName)}"`;
  checkKey(key, `${at}.key`, where, index);
  const what = { index, kind, where, key, at };
  if (expect !== undefined && expect !== null && !(Number.isSafeInteger(expect) && (expect as number) >= 1)) {
    throw badExpect(what);
  }
  const changes = batch.staged.get(target) ?? new Map<string, Slot | null>();
  batch.staged.set(target, changes);
  const current = changes.has(key) ? changes.get(key) : target.records.get(key);
  const currentRev = current === null || current === undefined ? null : current.rev;
  if (expect !== undefined && expect !== currentRev) throw conflict(what, expect as number | null, currentRev);
  if (kind === 'put') {
    const json = serialise((op as { value?: unknown }).value, index, `${where}, key "${key}"`, `${at}.value`);
    const rev = (currentRev ?? 0) + 1;
    changes.set(key, { json, rev });
    batch.receipts.push({ op: 'put', rev });
  } else {
    changes.set(key, null);
    batch.receipts.push({ op: 'delete', existed: currentRev !== null });
  }
}

/** Everything holds: apply. Nothing here can fail. */
function commit(batch: StagedBatch): void {
  for (const [target, changes] of batch.staged) {
    for (const [key, slot] of changes) {
      if (slot === null) {
        if (target.records.delete(key)) target.sortedKeys.splice(lowerBound(target.sortedKeys, key), 1);
      } else {
        if (!target.records.has(key)) target.sortedKeys.splice(lowerBound(target.sortedKeys, key), 0, key);
        target.records.set(key, slot);
      }
    }
  }
  for (const [target, entries] of batch.appended) target.entries.push(...entries);
}

/** The operation an error names. */
interface OpAt {
  readonly index: number;
  readonly kind: 'put' | 'delete';
  readonly where: string;
  readonly key: string;
  /** Its field: `ops.<index>`. */
  readonly at: string;
}

function badOp(index: number, field: string): StorageError {
  return new StorageError('STORAGE_INVALID_VALUE', {
    message: `Memory storage: operation ${index} is not a put, delete or append; nothing was written`,
    messageZh: `内存存储：第 ${index} 个操作不是 put、delete 或 append，本次写入未生效`,
    field,
  });
}

function badExpect({ index, kind, where, key, at }: OpAt): StorageError {
  return new StorageError('STORAGE_INVALID_VALUE', {
    message:
      `Memory storage: operation ${index} (${kind} in ${where}, key "${key}") has an expect that is neither null ` +
      'nor a revision (an integer from 1); nothing was written',
    messageZh:
      `内存存储：第 ${index} 个操作（${kind === 'put' ? '写入' : '删除'}${zhWhere(where)}，键“${key}”）` +
      '的 expect 既不是 null 也不是修订号（从 1 起的整数），本次写入未生效',
    field: `${at}.expect`,
  });
}

function conflict(op: OpAt, expect: number | null, currentRev: number | null): StorageError {
  const { index, kind, where, key, at } = op;
  return new StorageError('STORAGE_CONFLICT', {
    message:
      `Memory storage: operation ${index} (${kind} in ${where}, key "${key}") expected ${describeRev(expect)} ` +
      `but found ${describeRev(currentRev)}; nothing was written`,
    messageZh:
      `内存存储：第 ${index} 个操作（${kind === 'put' ? '写入' : '删除'}${zhWhere(where)}，键“${key}”）` +
      `预期${describeRevZh(expect)}，实际为${describeRevZh(currentRev)}，本次写入未生效`,
    field: `${at}.expect`,
  });
}

function describeRev(rev: number | null): string {
  return rev === null ? 'no record' : `revision ${rev}`;
}

function describeRevZh(rev: number | null): string {
  return rev === null ? '记录不存在' : `修订号 ${rev}`;
}
