/*
 * What the till's concepts share: the context create-terminal.ts resolved, and the parts openTill makes over it (the
 * catalog, the outbox, the stock ledger, what it remembers of past sales, the sync worker, the rule packs, the boxes
 * and their batches). Each concept file (sale, settle, refund, recovery, movements, …) takes these parts.
 */
import { SaleError } from '../errors/index.js';
import type { Catalog } from '../catalog/product-catalog.js';
import type { Inventory } from '../sync/ledger.js';
import type { Outbox } from '../sync/outbox.js';
import type { SyncWorker } from '../sync/worker.js';
import type { SalesMemory } from './sales-memory.js';
import type { Boxes } from './movements.js';
import type { RulePacks } from './rule-packs.js';
import type { TillContext } from './types.js';

export interface TillParts {
  readonly ctx: TillContext;
  readonly catalog: Catalog;
  readonly outbox: Outbox;
  readonly inventory: Inventory;
  readonly memory: SalesMemory;
  readonly worker: SyncWorker;
  readonly packs: RulePacks;
  readonly boxes: Boxes;
  /** A new sale or refund id: the prefix, the terminal, the time and 3 random bytes. */
  newId(prefix: string): string;
}

export const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

export function saleError(
  code:
    | 'SETTLEMENT_OUTCOME_UNKNOWN'
    | 'SETTLEMENT_REVERSED'
    | 'REFUND_OUTCOME_UNKNOWN'
    | 'SALE_EMPTY'
    | 'SALE_NOT_FOUND'
    | 'REFUND_INVALID',
  en: string,
  zh: string,
  cause?: unknown,
): SaleError {
  return new SaleError(code, { message: en, messageZh: zh, ...(cause === undefined ? {} : { cause }) });
}

/**
 * A plain object with the own members of `base` and then of `extra` (the later wins), getters kept as getters: what
 * the till builds its facades with, so that every member enumerates (`Object.keys(terminal)` lists them).
 */
export function withMembers<A extends object, B extends object>(base: A, extra: B): Omit<A, keyof B> & B {
  return Object.defineProperties(
    {},
    { ...Object.getOwnPropertyDescriptors(base), ...Object.getOwnPropertyDescriptors(extra) },
  ) as Omit<A, keyof B> & B;
}
