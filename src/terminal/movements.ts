/*
 * Stock movements at the till: purchases, returns to the supplier, counts and corrections recorded by hand, and
 * what the till knows of the boxes on its shelves (the batch each came in with, the stock the rules see).
 */
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { StockView } from '../rules/context.js';
import type { StockMovement } from '../schemas/stock.js';
import type { Storage } from '../storage/contract.js';
import type { Inventory } from '../sync/ledger.js';
import type { TillParts } from './parts.js';
import type { Till } from './types.js';

/** The boxes the till has seen come in, and the stock the rules read. */
export interface Boxes {
  /** Notes the batch of each box a movement brings in (purchases, counts and returns name their boxes' 追溯码). */
  note(movement: StockMovement): void;
  /**
   * The batch a line is booked to: the one its first scanned box came in with; else the product's first batch with
   * stock, else its first, else a default.
   */
  batchOf(productId: string, traceCodes?: readonly string[]): string;
  /**
   * On-hand stock for the rules: once the ledger is in use (any purchase or count recorded), a product it has never
   * seen has none on hand — selling it is what 空刷 looks like; before that, nothing is known.
   */
  readonly stockView: StockView;
}

/** The boxes of every movement stored, read a page at a time. */
export async function loadBoxes(storage: Storage<TerminalLayout>, inventory: Inventory): Promise<Boxes> {
  const boxBatch = new Map<string, string>();
  const boxes: Boxes = {
    note(movement) {
      if (movement.kind === 'purchase' || movement.kind === 'stock-count' || movement.kind === 'sale-return')
        for (const code of movement.traceCodes) boxBatch.set(code, movement.batchNo);
    },
    batchOf(productId, traceCodes = []) {
      const known = traceCodes.length > 0 ? boxBatch.get(traceCodes[0]!) : undefined;
      if (known) return known;
      const levels = inventory.levels().filter((l) => l.productId === productId);
      return (levels.find((l) => l.onHand > 0) ?? levels[0])?.batchNo ?? 'DEFAULT';
    },
    stockView: {
      onHand: (productId) => inventory.view.onHand(productId) ?? (inventory.levels().length > 0 ? 0 : undefined),
    },
  };
  for (let after: string | undefined; ;) {
    const page = await storage.list('movements', { ...(after === undefined ? {} : { after }), limit: 1000 });
    for (const record of page) boxes.note(record.value);
    if (page.length < 1000) break;
    after = page[page.length - 1]!.key;
  }
  return boxes;
}

/** Records a movement by hand: the movement, its ledger change and its 35xx report in one atomic write. */
export async function recordMovement(parts: TillParts, movement: Parameters<Till['recordMovement']>[0]): Promise<void> {
  const { ctx, inventory, boxes, worker } = parts;
  const full = { ...movement, operatorId: movement.operatorId ?? ctx.operator.id } as StockMovement;
  await inventory.record(full, { operatorName: ctx.operator.name });
  boxes.note(full);
  worker.notify();
}
