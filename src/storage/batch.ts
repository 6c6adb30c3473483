/**
 * What every storage adapter checks and computes the same way: layout names, keys, JSON values, list/read
 * options, and the plan of an atomic batch (revisions, `expect`, journal numbers). The durable adapters
 * (`adapters/idb`, `adapters/sqlite`) only look up what is stored and write the plan inside their own
 * transaction; the memory adapter uses the same key and value checks. The contract's rules live here once, and
 * the contract suite (`test/contract/storage.ts`) holds all three adapters to them. Internal: not exported from
 * the package root.
 */
import { isWellFormedText } from '../canonical-json.js';
import { StorageError } from '../errors/index.js';
import type { StorageLayout, WriteOp, WriteReceipt } from './contract.js';

/**
 * How an adapter names itself in error messages, in both languages.
 *
 * @example
 * const LABEL: AdapterLabel = { en: 'SQLite storage', zh: 'SQLite 存储' };
 */
export interface AdapterLabel {
  readonly en: string;
  readonly zh: string;
}

/**
 * Longest key a store accepts, in UTF-16 code units (the same limit in every adapter).
 *
 * @example
 * 'x'.repeat(MAX_KEY_LENGTH + 1); // refused with STORAGE_INVALID_VALUE
 */
export const MAX_KEY_LENGTH = 512;

/**
 * The declared names of one storage, checked once at open; looks names up for every call.
 *
 * @example
 * const names = new DeclaredNames({ stores: ['sales'], journals: ['audit'] }, LABEL);
 * names.store('sales', 'store'); // 'sales'
 * names.store('audit', 'store'); // throws STORAGE_UNKNOWN_NAME ("it is a journal")
 */
export class DeclaredNames {
  readonly stores: ReadonlySet<string>;
  readonly journals: ReadonlySet<string>;
  /** The stores marked as holding personal data (`names.personal`), all of them declared stores. */
  readonly personal: ReadonlySet<string>;
  readonly #label: AdapterLabel;

  /**
   * @throws {StorageError} `STORAGE_FAILED` for an empty, non-string, duplicate or shared name, or a personal mark on
   * no declared store.
   */
  constructor(
    names: {
      readonly stores: readonly string[];
      readonly journals: readonly string[];
      readonly personal?: readonly string[];
    },
    label: AdapterLabel,
  ) {
    this.#label = label;
    const stores = new Set<string>();
    const journals = new Set<string>();
    const lists = [
      ['store', names?.stores, stores],
      ['journal', names?.journals, journals],
    ] as const;
    for (const [kind, list, set] of lists) {
      if (!Array.isArray(list)) {
        throw new StorageError('STORAGE_FAILED', {
          message: `${label.en}: names.${kind}s must be an array of names`,
          messageZh: `${label.zh}：names.${kind}s 必须是名称数组`,
          field: `names.${kind}s`,
        });
      }
      for (const name of list as readonly unknown[]) {
        if (typeof name !== 'string' || name === '') {
          throw new StorageError('STORAGE_FAILED', {
            message: `${label.en}: a ${kind} name must be a non-empty string`,
            messageZh: `${label.zh}：${kind === 'store' ? '数据表' : '日志'}名称必须是非空字符串`,
            field: `names.${kind}s`,
          });
        }
        if (stores.has(name) || journals.has(name)) {
          throw new StorageError('STORAGE_FAILED', {
            message: `${label.en}: the name "${name}" is declared more than once among stores and journals`,
            messageZh: `${label.zh}：名称“${name}”在数据表和日志中重复声明`,
            field: `names.${kind}s`,
          });
        }
        set.add(name);
      }
    }
    this.stores = stores;
    this.journals = journals;
    const personal = names.personal ?? [];
    if (!Array.isArray(personal) || personal.some((name) => !stores.has(name as string))) {
      throw new StorageError('STORAGE_FAILED', {
        message: `${label.en}: names.personal must list declared stores only`,
        messageZh: `${label.zh}：names.personal 只能列出已声明的数据表`,
        field: 'names.personal',
      });
    }
    this.personal = new Set(personal);
  }

  /** `name` as a declared store, or STORAGE_UNKNOWN_NAME (also for `__proto__` and the like: a Set, not an object). */
  store(name: unknown, field: string): string {
    if (typeof name === 'string' && this.stores.has(name)) return name;
    throw this.#unknown('store', name, field, this.journals);
  }

  /** `name` as a declared journal, or STORAGE_UNKNOWN_NAME. */
  journal(name: unknown, field: string): string {
    if (typeof name === 'string' && this.journals.has(name)) return name;
    throw this.#unknown('journal', name, field, this.stores);
  }

  #unknown(kind: 'store' | 'journal', name: unknown, field: string, otherKind: ReadonlySet<string>): StorageError {
    const label = this.#label;
    const shown = typeof name === 'string' ? `"${name}"` : `(a ${typeof name})`;
    const other = typeof name === 'string' && otherKind.has(name);
    return new StorageError('STORAGE_UNKNOWN_NAME', {
      message: `${label.en} has no ${kind} ${shown}${other ? ` (it is a ${kind === 'store' ? 'journal' : 'store'})` : ''}`,
      messageZh: `${label.zh}中没有名为 ${shown} 的${kind === 'store' ? '数据表' : '日志'}${other ? `（它是${kind === 'store' ? '日志' : '数据表'}）` : ''}`,
      field,
    });
  }
}

/**
 * A key must be a non-empty, well-formed (no lone surrogate) string of at most 512 UTF-16 code units;
 * anything else is STORAGE_INVALID_VALUE (with "nothing was written" when `index` says it was in a batch).
 *
 * @example
 * checkKey('S-0001', 'key', 'store "sales"', LABEL); // passes
 * checkKey('a\uD800', 'ops.2.key', 'store "sales"', LABEL, 2); // throws STORAGE_INVALID_VALUE
 */
export function checkKey(
  key: unknown,
  field: string,
  where: string,
  label: AdapterLabel,
  index?: number,
): asserts key is string {
  let problem: string | undefined;
  let problemZh: string | undefined;
  if (typeof key !== 'string') {
    problem = `is not a string (a ${key === null ? 'null' : typeof key})`;
    problemZh = '不是字符串';
  } else if (key === '') {
    problem = 'is empty';
    problemZh = '为空';
  } else if (key.length > MAX_KEY_LENGTH) {
    problem = `is ${key.length} characters long (at most ${MAX_KEY_LENGTH})`;
    problemZh = `长度为 ${key.length} 个字符（最多 ${MAX_KEY_LENGTH} 个）`;
  } else if (!isWellFormedText(key)) {
    problem = 'contains a lone surrogate (not well-formed Unicode)';
    problemZh = '含有不成对的代理项（不是有效的 Unicode 文本）';
  }
  if (problem === undefined) return;
  const batch = index !== undefined;
  throw new StorageError('STORAGE_INVALID_VALUE', {
    message: `${label.en}: ${batch ? `operation ${index}: ` : ''}the key for ${where} ${problem}${batch ? '; nothing was written' : ''}`,
    messageZh: `${label.zh}：${batch ? `第 ${index} 个操作：` : ''}${zhWhere(where)}的键${problemZh}${batch ? '，本次写入未生效' : ''}`,
    field,
  });
}

class NonFiniteNumber extends Error {}

/**
 * The value as JSON text, with JSON's rules exactly (never structured clone, which keeps Dates, Maps and
 * undefined): or STORAGE_INVALID_VALUE naming the operation and where it was going. The message says what
 * kind of value was at fault, never the value itself (it may hold personal data).
 *
 * @example
 * serialise({ total: 1250, note: undefined }, 0, 'store "sales"', 'ops.0.value', LABEL); // '{"total":1250}'
 * serialise({ qty: 1n }, 0, 'store "sales"', 'ops.0.value', LABEL); // throws STORAGE_INVALID_VALUE
 */
export function serialise(value: unknown, index: number, where: string, field: string, label: AdapterLabel): string {
  let reason: string;
  let reasonZh: string;
  let cause: unknown;
  try {
    const json = JSON.stringify(value, (_key, inner: unknown) => {
      // JSON.stringify turns NaN and ±Infinity into null; the contract refuses them instead.
      const number = inner instanceof Number ? inner.valueOf() : inner;
      if (typeof number === 'number' && !Number.isFinite(number)) throw new NonFiniteNumber();
      return inner;
    }) as string | undefined;
    if (json !== undefined) return json;
    reason = `it is ${value === undefined ? 'undefined' : `a ${typeof value}`}, which JSON cannot represent`;
    reasonZh = `该值为 ${value === undefined ? 'undefined' : typeof value}，无法表示为 JSON`;
  } catch (error) {
    cause = error;
    if (error instanceof NonFiniteNumber) {
      reason = 'it contains a number that is not finite (NaN or ±Infinity)';
      reasonZh = '其中含有非有限数值（NaN 或 ±Infinity）';
    } else if (error instanceof TypeError && /bigint/i.test(error.message)) {
      reason = 'it contains a BigInt';
      reasonZh = '其中含有 BigInt';
    } else if (error instanceof TypeError && /circular|cyclic/i.test(error.message)) {
      reason = 'it contains a cycle';
      reasonZh = '其中含有循环引用';
    } else {
      reason = 'serialising it threw (for example a toJSON method)';
      reasonZh = '序列化时抛出异常（例如 toJSON 方法）';
    }
  }
  throw new StorageError('STORAGE_INVALID_VALUE', {
    message: `${label.en}: operation ${index} (to ${where}) has a value that is not JSON-serialisable: ${reason}; nothing was written`,
    messageZh: `${label.zh}：第 ${index} 个操作（${zhWhere(where)}）的值无法序列化为 JSON：${reasonZh}，本次写入未生效`,
    field,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Parses stored JSON text into a fresh value; text that does not parse is STORAGE_CORRUPT naming where it
 * is (never the text, which may hold personal data).
 *
 * @example
 * parseStored('{"total":1250}', 'store "sales", key "S-1"', LABEL); // { total: 1250 }
 */
export function parseStored(json: unknown, where: string, label: AdapterLabel): unknown {
  if (typeof json === 'string') {
    try {
      return JSON.parse(json) as unknown;
    } catch (error) {
      throw corrupt(where, label, 'its JSON text does not parse', 'JSON 文本无法解析', error);
    }
  }
  throw corrupt(where, label, 'it holds no JSON text', '没有 JSON 文本');
}

/**
 * A stored revision must be an integer from 1: anything else means the data was changed behind our back
 * (STORAGE_CORRUPT).
 *
 * @example
 * checkStoredRev(row.rev, 'store "sales", key "S-1"', LABEL); // the revision, as a number
 */
export function checkStoredRev(rev: unknown, where: string, label: AdapterLabel): number {
  if (Number.isSafeInteger(rev) && (rev as number) >= 1) return rev as number;
  throw corrupt(where, label, 'its revision is not an integer from 1', '修订号不是从 1 起的整数');
}

/**
 * A stored journal number must be an integer from 1, like a revision (else STORAGE_CORRUPT).
 *
 * @example
 * checkStoredSeq(cursor.key, 'journal "audit", seq 3', LABEL); // 3
 */
export function checkStoredSeq(seq: unknown, where: string, label: AdapterLabel): number {
  if (Number.isSafeInteger(seq) && (seq as number) >= 1) return seq as number;
  throw corrupt(where, label, 'its sequence number is not an integer from 1', '序号不是从 1 起的整数');
}

/**
 * STORAGE_CORRUPT for one record or entry, e.g. `store "sales", key "S-1"`, saying why in both languages.
 *
 * @example
 * throw corrupt('store "sales", key "S-1"', LABEL, 'it is not a record', '不是记录');
 */
export function corrupt(where: string, label: AdapterLabel, why: string, whyZh: string, cause?: unknown): StorageError {
  return new StorageError('STORAGE_CORRUPT', {
    message: `${label.en}: the record at ${where} is corrupt: ${why}`,
    messageZh: `${label.zh}：${zhWhere(where)}的记录已损坏：${whyZh}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Options of `list`, checked.
 *
 * @example
 * const { prefix, after, limit }: CheckedListOptions = checkListOptions({ prefix: 'S-', limit: 20 }, LABEL);
 */
export interface CheckedListOptions {
  readonly prefix: string | undefined;
  readonly after: string | undefined;
  readonly limit: number | undefined;
}

/**
 * Checks `list` options: prefix and after strings, limit an integer from 0; else STORAGE_INVALID_VALUE.
 *
 * @example
 * checkListOptions({ after: 'S-0020', limit: 20 }, LABEL); // { prefix: undefined, after: 'S-0020', limit: 20 }
 */
export function checkListOptions(options: unknown, label: AdapterLabel): CheckedListOptions {
  const given = (options ?? {}) as { prefix?: unknown; after?: unknown; limit?: unknown };
  return {
    prefix: optionalString(given.prefix, 'prefix', label),
    after: optionalString(given.after, 'after', label),
    limit: optionalCount(given.limit, 'limit', label),
  };
}

/**
 * Checks `read` options: after and limit integers from 0 (after defaults to 0); else STORAGE_INVALID_VALUE.
 *
 * @example
 * checkReadOptions({ limit: 100 }, LABEL); // { after: 0, limit: 100 }
 */
export function checkReadOptions(
  options: unknown,
  label: AdapterLabel,
): { readonly after: number; readonly limit: number | undefined } {
  const given = (options ?? {}) as { after?: unknown; limit?: unknown };
  return { after: optionalCount(given.after, 'after', label) ?? 0, limit: optionalCount(given.limit, 'limit', label) };
}

function optionalString(value: unknown, field: string, label: AdapterLabel): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new StorageError('STORAGE_INVALID_VALUE', {
    message: `${label.en}: option ${field} must be a string`,
    messageZh: `${label.zh}：选项 ${field} 必须是字符串`,
    field,
  });
}

function optionalCount(value: unknown, field: string, label: AdapterLabel): number | undefined {
  if (value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0))
    return value as number | undefined;
  throw new StorageError('STORAGE_INVALID_VALUE', {
    message: `${label.en}: option ${field} must be an integer from 0`,
    messageZh: `${label.zh}：选项 ${field} 必须是不小于 0 的整数`,
    field,
  });
}

/**
 * One operation of a batch after every check that needs no stored data: names, key, expect's shape, JSON.
 *
 * @example
 * const op: CheckedOp = { op: 'append', index: 0, journal: 'audit', json: '{"event":"sale"}' };
 */
export type CheckedOp =
  | {
      readonly op: 'put';
      readonly index: number;
      readonly store: string;
      readonly key: string;
      readonly json: string;
      readonly expect: number | null | undefined;
    }
  | {
      readonly op: 'delete';
      readonly index: number;
      readonly store: string;
      readonly key: string;
      readonly expect: number | null | undefined;
    }
  | { readonly op: 'append'; readonly index: number; readonly journal: string; readonly json: string };

/**
 * Checks a whole batch before anything is looked up or written: an adapter calls this outside its
 * transaction, so a bad batch never opens one. Throws the first problem as STORAGE_INVALID_VALUE or
 * STORAGE_UNKNOWN_NAME.
 *
 * @example
 * const checked = checkBatch([{ op: 'put', store: 'sales', key: 'S-1', value: { total: 1 }, expect: null }], names,
 * LABEL);
 * // [{ op: 'put', index: 0, store: 'sales', key: 'S-1', json: '{"total":1}', expect: null }]
 */
export function checkBatch(
  ops: readonly WriteOp<StorageLayout>[],
  names: DeclaredNames,
  label: AdapterLabel,
): CheckedOp[] {
  if (!Array.isArray(ops)) {
    throw new StorageError('STORAGE_INVALID_VALUE', {
      message: `${label.en}: write() takes an array of operations; nothing was written`,
      messageZh: `${label.zh}：write() 的参数必须是操作数组，本次写入未生效`,
      field: 'ops',
    });
  }
  return ops.map((op: unknown, index): CheckedOp => {
    const at = `ops.${index}`;
    if (op === null || typeof op !== 'object') throw badOp(index, at, label);
    const { op: kind } = op as { op?: unknown };
    if (kind === 'append') {
      const { journal: journalName, value } = op as { journal?: unknown; value?: unknown };
      const journal = names.journal(journalName, `${at}.journal`);
      return {
        op: 'append',
        index,
        journal,
        json: serialise(value, index, `journal "${journal}"`, `${at}.value`, label),
      };
    }
    if (kind !== 'put' && kind !== 'delete') throw badOp(index, at, label);
    const { store: storeName, key, expect } = op as { store?: unknown; key?: unknown; expect?: unknown };
    const store = names.store(storeName, `${at}.store`);
    const where = `store "${store}"`;
    checkKey(key, `${at}.key`, where, label, index);
    if (expect !== undefined && expect !== null && !(Number.isSafeInteger(expect) && (expect as number) >= 1)) {
      throw new StorageError('STORAGE_INVALID_VALUE', {
        message: `${label.en}: operation ${index} (${kind} in ${where}, key "${key}") has an expect that is neither null nor a revision (an integer from 1); nothing was written`,
        messageZh: `${label.zh}：第 ${index} 个操作（${kind === 'put' ? '写入' : '删除'}${zhWhere(where)}，键“${key}”）的 expect 既不是 null 也不是修订号（从 1 起的整数），本次写入未生效`,
        field: `${at}.expect`,
      });
    }
    const checkedExpect = expect as number | null | undefined;
    if (kind === 'delete') return { op: 'delete', index, store, key, expect: checkedExpect };
    const json = serialise((op as { value?: unknown }).value, index, `${where}, key "${key}"`, `${at}.value`, label);
    return { op: 'put', index, store, key, json, expect: checkedExpect };
  });
}

function badOp(index: number, field: string, label: AdapterLabel): StorageError {
  return new StorageError('STORAGE_INVALID_VALUE', {
    message: `${label.en}: operation ${index} is not a put, delete or append; nothing was written`,
    messageZh: `${label.zh}：第 ${index} 个操作不是 put、delete 或 append，本次写入未生效`,
    field,
  });
}

/**
 * What is stored now, as the plan needs it: looked up inside the adapter's transaction.
 *
 * @example
 * const state: StoredState = { rev: (store, key) => revs.get(`${store}/${key}`) ?? null, lastSeq: () => 0 };
 */
export interface StoredState {
  /** The record's revision, or null when there is none. */
  rev(store: string, key: string): number | null;
  /** The journal's highest sequence number, 0 when empty. */
  lastSeq(journal: string): number;
}

/**
 * A record the batch leaves behind: its JSON text and new revision, or null where it deletes it.
 *
 * @example
 * const kept: PlannedRecord = { json: '{"total":1}', rev: 2 };
 * const deleted: PlannedRecord = null;
 */
export type PlannedRecord = { readonly json: string; readonly rev: number } | null;

/**
 * The whole effect of a batch, computed before anything is written.
 *
 * @example
 * for (const [journal, entries] of plan.appends) for (const { seq, json } of entries) insert(journal, seq, json);
 */
export interface BatchPlan {
  readonly receipts: WriteReceipt[];
  /** Per store, per key: the record's final state (only the last operation on a key is written). */
  readonly records: Map<string, Map<string, PlannedRecord>>;
  /** Per journal, the entries to add, numbered on from the journal's last entry. */
  readonly appends: Map<string, { readonly seq: number; readonly json: string }[]>;
}

/**
 * The (store, key) pairs and journals a batch reads, so an adapter can look them all up at once.
 *
 * @example
 * touched(checked); // { records: Map { 'sales' => Set { 'S-1' } }, journals: Set { 'audit' } }
 */
export function touched(ops: readonly CheckedOp[]): { records: Map<string, Set<string>>; journals: Set<string> } {
  const records = new Map<string, Set<string>>();
  const journals = new Set<string>();
  for (const op of ops) {
    if (op.op === 'append') journals.add(op.journal);
    else {
      const keys = records.get(op.store) ?? new Set<string>();
      records.set(op.store, keys);
      keys.add(op.key);
    }
  }
  return { records, journals };
}

/**
 * Plans a checked batch against what is stored: revisions (1 on first put, +1 after; a deleted record starts
 * again at 1), `expect` against the stored revision or the batch's own earlier operations, journal numbers
 * continuing from the last entry without gaps. Throws STORAGE_CONFLICT on the first `expect` that does not
 * hold; the adapter then aborts its transaction, so nothing is written.
 *
 * @example
 * const plan = planBatch(checked, { rev: () => null, lastSeq: () => 41 }, LABEL);
 * plan.receipts; // e.g. [{ op: 'put', rev: 1 }, { op: 'append', seq: 42 }]
 */
export function planBatch(ops: readonly CheckedOp[], state: StoredState, label: AdapterLabel): BatchPlan {
  const records = new Map<string, Map<string, PlannedRecord>>();
  const appends = new Map<string, { seq: number; json: string }[]>();
  const lastSeqs = new Map<string, number>();
  const receipts: WriteReceipt[] = [];
  for (const op of ops) {
    if (op.op === 'append') {
      const seq = (lastSeqs.get(op.journal) ?? state.lastSeq(op.journal)) + 1;
      lastSeqs.set(op.journal, seq);
      const entries = appends.get(op.journal) ?? [];
      appends.set(op.journal, entries);
      entries.push({ seq, json: op.json });
      receipts.push({ op: 'append', seq });
      continue;
    }
    const changes = records.get(op.store) ?? new Map<string, PlannedRecord>();
    records.set(op.store, changes);
    const staged = changes.get(op.key);
    const currentRev = staged === undefined ? state.rev(op.store, op.key) : staged === null ? null : staged.rev;
    if (op.expect !== undefined && op.expect !== currentRev) {
      const where = `store "${op.store}"`;
      throw new StorageError('STORAGE_CONFLICT', {
        message: `${label.en}: operation ${op.index} (${op.op} in ${where}, key "${op.key}") expected ${describeRev(op.expect)} but found ${describeRev(currentRev)}; nothing was written`,
        messageZh: `${label.zh}：第 ${op.index} 个操作（${op.op === 'put' ? '写入' : '删除'}${zhWhere(where)}，键“${op.key}”）预期${describeRevZh(op.expect)}，实际为${describeRevZh(currentRev)}，本次写入未生效`,
        field: `ops.${op.index}.expect`,
      });
    }
    if (op.op === 'put') {
      const rev = (currentRev ?? 0) + 1;
      changes.set(op.key, { json: op.json, rev });
      receipts.push({ op: 'put', rev });
    } else {
      changes.set(op.key, null);
      receipts.push({ op: 'delete', existed: currentRev !== null });
    }
  }
  return { receipts, records, appends };
}

function describeRev(rev: number | null): string {
  return rev === null ? 'no record' : `revision ${rev}`;
}

function describeRevZh(rev: number | null): string {
  return rev === null ? '记录不存在' : `修订号 ${rev}`;
}

/**
 * The Chinese for where a record is, from the English used in messages.
 *
 * @example
 * zhWhere('store "sales", key "k"'); // '数据表“sales”，键“k”'
 * zhWhere('journal "audit", seq 3'); // '日志“audit”，序号 3'
 */
export function zhWhere(where: string): string {
  return where
    .replace(/^store "(.*?)"/, '数据表“$1”')
    .replace(/^journal "(.*?)"/, '日志“$1”')
    .replace(/, key "(.*)"$/, '，键“$1”')
    .replace(/, seq (\d+)$/, '，序号 $1');
}

/**
 * STORAGE_CLOSED for a call made after `close()`.
 *
 * @example
 * if (closed) return Promise.reject(closedError('write', LABEL));
 */
export function closedError(what: string, label: AdapterLabel): StorageError {
  return new StorageError('STORAGE_CLOSED', {
    message: `${label.en} is closed; ${what} was refused`,
    messageZh: `${label.zh}已关闭，操作（${what}）被拒绝`,
  });
}
