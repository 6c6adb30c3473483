import { YibaoGuardError, isYibaoGuardError } from '../errors/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { Catalog } from '../catalog/product-catalog.js';
import type { StockView } from '../rules/context.js';
import type { StockMovement } from '../schemas/stock.js';
import type { Storage, WriteOp, WriteReceipt } from '../storage/contract.js';
import type { PlatformClient } from '../platform/client.js';
import type { Outbox, OutboxEntry, OutboxWriteResult } from './outbox.js';
import { movementReport, type SaleReportContext } from './report.js';

/** Stock of one product in one batch, as the ledger holds it. */
export interface StockLevel {
  readonly productId: string;
  readonly batchNo: string;
  readonly onHand: number;
  readonly updatedAt: number;
}

/** A difference between the ledger and the platform's view of the stock. */
export interface StockDifference {
  readonly productId: string;
  readonly batchNo: string;
  readonly ledger: number;
  readonly platform: number;
}

const key = (productId: string, batchNo: string) => `${productId}|${batchNo}`;
const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** How a movement changes a batch's stock: a count sets it, the rest add or take away. */
export function applyMovement(onHand: number, movement: StockMovement): number {
  switch (movement.kind) {
    case 'purchase':
    case 'sale-return':
      return round(onHand + movement.quantity);
    case 'purchase-return':
    case 'sale':
      return round(onHand - movement.quantity);
    case 'stock-count':
      return movement.countedQuantity;
    case 'info-change':
      return round(onHand + movement.quantityDelta);
  }
}

/**
 * The stock ledger (进销存): running stock per product and batch, changed only together with the movement that
 * changes it and the outbox record that reports it, in one atomic batch. It feeds the `stock-shortfall` rule
 * (a sale beyond stock is a sign of 空刷) and reconciles with the platform's view.
 *
 * @example
 * const inventory = await createInventory({ storage, outbox, catalog, clock })
 * await inventory.record(purchase, { operatorName: '李药师' })
 * inventory.view.onHand('YP-XYG002') // 12
 */
export interface Inventory {
  /** Writes the movement, its ledger change and its outbox report together. */
  record(
    movement: StockMovement,
    context: SaleReportContext,
    facts?: readonly WriteOp<TerminalLayout>[],
  ): Promise<OutboxWriteResult>;
  /** Several movements (a sale's lines) as one atomic batch with `facts`. */
  recordAll(
    movements: readonly StockMovement[],
    context: SaleReportContext,
    facts?: readonly WriteOp<TerminalLayout>[],
    entries?: readonly OutboxEntry[],
  ): Promise<OutboxWriteResult>;
  /**
   * The ledger's part of a batch: the ops that record `movements` (each movement, and each batch's new stock,
   * guarded by the revision the ledger last read), the outbox reports of the movements (to give the outbox), and
   * what to do after the write: `committed` with the receipts of `ops` once the batch is written, or `reload` when
   * it is refused with `STORAGE_CONFLICT` (another writer changed a batch's stock: read it again, then plan again).
   * Nothing is written here. Throws `SCAN_UNKNOWN_PRODUCT` for a product not in the catalog.
   *
   * @example
   * const stock = inventory.plan([movement], { operatorName: '李药师' })
   * const part = outbox.prepare(stock.reports)
   * const receipts = await storage.write([...stock.ops, ...part.ops])
   * stock.committed(receipts.slice(0, stock.ops.length))
   */
  plan(
    movements: readonly StockMovement[],
    context: SaleReportContext,
  ): {
    readonly ops: readonly WriteOp<TerminalLayout>[];
    readonly reports: readonly OutboxEntry[];
    committed(receipts: readonly WriteReceipt[]): void;
    reload(): Promise<void>;
  };
  /** On-hand stock per product (all batches), for the rules. Synchronous: kept in memory, loaded at start. */
  readonly view: StockView;
  levels(): readonly StockLevel[];
  /** Compares the ledger with the platform's view (product, batch, quantity) and lists every difference. */
  reconcile(
    platform: Iterable<{ readonly productId: string; readonly batchNo: string; readonly quantity: number }>,
  ): StockDifference[];
  /**
   * Asks the platform for its view of this pharmacy's stock (YG08, page by page) and lists every difference with
   * the ledger. Deliver the outbox first: a record not yet delivered shows up as a difference.
   *
   * @example
   * await worker.drain()
   * const differences = await inventory.reconcileWithPlatform(platform) // [] when the two agree
   */
  reconcileWithPlatform(
    platform: Pick<PlatformClient, 'queryStock'>,
    options?: { readonly pageSize?: number },
  ): Promise<StockDifference[]>;
}

/** What the ledger works over: its storage and outbox, the catalog, the clock, and the levels as last read. */
interface LedgerState {
  readonly storage: Storage<TerminalLayout>;
  readonly outbox: Outbox;
  readonly catalog: Catalog;
  readonly clock: { now(): number };
  readonly levels: Map<string, { level: StockLevel; rev: number }>;
}

export async function createInventory(options: {
  readonly storage: Storage<TerminalLayout>;
  readonly outbox: Outbox;
  readonly catalog: Catalog;
  readonly clock: { now(): number };
}): Promise<Inventory> {
  const levels = new Map<string, { level: StockLevel; rev: number }>();
  for (const record of await options.storage.list('stock')) {
    levels.set(record.key, { level: record.value, rev: record.rev });
  }
  const state: LedgerState = { ...options, levels };
  const recordAll: Inventory['recordAll'] = (movements, context, facts, more) =>
    recordMovements(state, movements, context, facts, more);
  return {
    record: (movement, context, facts) => recordAll([movement], context, facts),
    recordAll,
    plan: (movements, context) => planMovements(state, movements, context),
    view: {
      onHand(productId) {
        let total: number | undefined;
        for (const { level } of levels.values())
          if (level.productId === productId) total = round((total ?? 0) + level.onHand);
        return total;
      },
    },
    levels: () => [...levels.values()].map((v) => v.level),
    reconcileWithPlatform: (platform, opts) => reconcileWithPlatform(levels, platform, opts),
    reconcile: (platform) => reconcileLevels(levels, platform),
  };
}

/** The writes that record `movements` (and their 进销存 reports) on the levels as they are now; see `Inventory.plan`. */
function planMovements(
  state: LedgerState,
  movements: readonly StockMovement[],
  context: SaleReportContext,
): ReturnType<Inventory['plan']> {
  const { storage, catalog, clock, levels } = state;
  const now = clock.now();
  const next = new Map<string, { level: StockLevel; expect: number | null }>();
  const reports = movements.map((movement) => {
    const product = catalog.byId(movement.productId);
    if (!product) {
      throw new YibaoGuardError('SCAN_UNKNOWN_PRODUCT', {
        message: `Product ${movement.productId} is not in the catalog`,
        messageZh: `商品 ${movement.productId} 不在本店目录中`,
        field: 'productId',
      });
    }
    const k = key(movement.productId, movement.batchNo);
    const before = next.get(k)?.level.onHand ?? levels.get(k)?.level.onHand ?? 0;
    next.set(k, {
      level: {
        productId: movement.productId,
        batchNo: movement.batchNo,
        onHand: applyMovement(before, movement),
        updatedAt: now,
      },
      expect: levels.get(k)?.rev ?? null,
    });
    return movementReport(movement, product, context);
  });
  const movementOps: WriteOp<TerminalLayout>[] = movements.map((m) => ({
    op: 'put',
    store: 'movements',
    key: m.movementId,
    value: m,
    expect: null,
  }));
  const ledgerOps: WriteOp<TerminalLayout>[] = [...next].map(([k, v]) => ({
    op: 'put',
    store: 'stock',
    key: k,
    value: v.level,
    expect: v.expect,
  }));
  return {
    ops: [...movementOps, ...ledgerOps],
    reports,
    committed(receipts) {
      // Receipts follow the ops: the movements, then the ledger puts.
      let index = movementOps.length;
      for (const [k, v] of next) {
        const receipt = receipts[index++];
        levels.set(k, { level: v.level, rev: receipt?.op === 'put' ? receipt.rev : 1 });
      }
    },
    async reload() {
      for (const k of next.keys()) {
        const fresh = await storage.get('stock', k);
        if (fresh) levels.set(k, { level: fresh.value, rev: fresh.rev });
        else levels.delete(k);
      }
    },
  };
}

/** Records `movements` with `facts` and `more` in one outbox write, planning again when another writer won a batch. */
async function recordMovements(
  state: LedgerState,
  movements: readonly StockMovement[],
  context: SaleReportContext,
  facts: readonly WriteOp<TerminalLayout>[] = [],
  more: readonly OutboxEntry[] = [],
) {
  for (let attempt = 0; ; attempt++) {
    const stock = planMovements(state, movements, context);
    try {
      const result = await state.outbox.write([...stock.reports, ...more], [...facts, ...stock.ops]);
      stock.committed(result.receipts.slice(facts.length));
      return result;
    } catch (error) {
      // Another writer changed a batch we read: reload those and compute again.
      if (!isYibaoGuardError(error, 'STORAGE_CONFLICT') || attempt >= 5) throw error;
      await stock.reload();
    }
  }
}

/** The platform's stock view (YG08, page by page) against the ledger. */
async function reconcileWithPlatform(
  levels: LedgerState['levels'],
  platform: Pick<PlatformClient, 'queryStock'>,
  opts?: { readonly pageSize?: number },
): Promise<StockDifference[]> {
  const size = opts?.pageSize ?? 500;
  const theirs: { productId: string; batchNo: string; quantity: number }[] = [];
  for (let page = 1; ; page++) {
    const { result, total } = await platform.queryStock({ data: { page_num: page, page_size: size } });
    for (const l of result)
      theirs.push({ productId: l.fixmedins_hilist_id, batchNo: l.fixmedins_bchno, quantity: l.inv_cnt });
    if (result.length < size || theirs.length >= Number(total)) return reconcileLevels(levels, theirs);
  }
}

/** Every batch whose quantity differs between the ledger and `platform`. */
function reconcileLevels(
  levels: LedgerState['levels'],
  platform: Iterable<{ readonly productId: string; readonly batchNo: string; readonly quantity: number }>,
): StockDifference[] {
  const theirs = new Map<string, number>();
  for (const p of platform)
    theirs.set(key(p.productId, p.batchNo), round((theirs.get(key(p.productId, p.batchNo)) ?? 0) + p.quantity));
  const differences: StockDifference[] = [];
  for (const [k, { level }] of levels) {
    const other = theirs.get(k) ?? 0;
    if (other !== level.onHand)
      differences.push({ productId: level.productId, batchNo: level.batchNo, ledger: level.onHand, platform: other });
    theirs.delete(k);
  }
  for (const [k, quantity] of theirs) {
    const [productId = '', batchNo = ''] = k.split('|');
    if (quantity !== 0) differences.push({ productId, batchNo, ledger: 0, platform: quantity });
  }
  return differences;
}
