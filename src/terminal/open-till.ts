/*
 * The till behind `createTerminal`: opens its parts over the context create-terminal.ts resolved (the catalog, the
 * outbox,
 * the stock ledger, what it remembers of past sales, the rule packs, the sync worker) and hands back its members.
 * Each concept is a file of its own: sale.ts, settle.ts (commit.ts, the one write), settlement.ts, refund.ts,
 * recovery.ts, movements.ts, rule-packs.ts, sync.ts.
 */
import { InputError } from '../errors/index.js';
import { createCatalog } from '../catalog/product-catalog.js';
import { createInventory } from '../sync/ledger.js';
import { createOutbox } from '../sync/outbox.js';
import { createSyncWorker } from '../sync/worker.js';
import { createSalesMemory, type SalesMemory } from './sales-memory.js';
import { loadBoxes, recordMovement } from './movements.js';
import type { TillParts } from './parts.js';
import { recoverSettlements } from './recovery.js';
import { refund } from './refund.js';
import { openRulePacks } from './rule-packs.js';
import { startSale } from './sale.js';
import { terminalSync } from './sync.js';
import type { Till, TillContext } from './types.js';
import { defined } from '../defined.js';

export type {
  TerminalEvent,
  TerminalSale,
  Receipt,
  RefundReceipt,
  SettleOptions,
  TerminalSync,
  Till,
  TillContext,
} from './types.js';

export async function openTill(ctx: TillContext): Promise<Till> {
  const { platform, storage, clock, terminalId } = ctx;
  const catalog = createCatalog(ctx.products);
  const outbox = createOutbox({ storage, platform, clock });
  const inventory = await createInventory({ storage, outbox, catalog, clock });
  const hex = (n: number) => Array.from(ctx.random(n), (b) => b.toString(16).padStart(2, '0')).join('');
  const parts: TillParts = {
    ctx,
    catalog,
    outbox,
    inventory,
    memory: await loadMemory(ctx, catalog),
    packs: await openRulePacks(ctx),
    worker: createSyncWorker({
      ...ctx.sync,
      storage,
      platform,
      clock,
      owner: ctx.sync.owner ?? `${terminalId}:${hex(6)}`,
      onEvent: ctx.emit,
    }),
    boxes: await loadBoxes(storage, inventory),
    newId: (prefix) => `${prefix}${terminalId}-${clock.now().toString(36)}-${hex(3)}`,
  };
  const { packs, worker } = parts;
  const till: Till = {
    invoices: ctx.book,
    catalog,
    startSale: (buyer) => startSale(parts, buyer),
    refund: (saleId, options) => refund(parts, saleId, options),
    recordMovement: (movement) => recordMovement(parts, movement),
    stock: () => inventory.levels(),
    onHand: (productId) => inventory.view.onHand(productId),
    sale: async (saleId) => (await storage.get('sales', saleId))?.value,
    sales: async (options = {}) =>
      (
        await storage.list('sales', {
          ...defined({ after: options.after || undefined, limit: options.limit || undefined }),
        })
      ).map((r) => r.value),
    sync: terminalSync(parts),
    /** The pack in force now: undefined once it is past its `validUntil` (reviews then carry the expired card). */
    get rulePack() {
      return packs.inForce();
    },
    updateRulePack: () => packs.update(),
    installRulePack: (signed) => packs.install(signed),
    recoverSettlements: () => recoverSettlements(parts),
    selfAudit: async (options) => {
      if (!ctx.selfAudit) {
        throw new InputError('INVALID_INPUT', {
          message:
            "terminal.selfAudit needs the self-audit: createTerminal({ ..., selfAudit }) with selfAudit from 'yibao-guard/audit'",
          messageZh:
            "terminal.selfAudit 需要自查模块：请以 createTerminal({ ..., selfAudit }) 传入 'yibao-guard/audit' 的 selfAudit",
          field: 'selfAudit',
        });
      }
      return ctx.selfAudit({
        ...(ctx.trustedKeys.length > 0 ? { trusted: ctx.trustedKeys } : {}),
        ...defined({ ed25519Fallback: ctx.ed25519Fallback }),
        ...options,
        storage,
        catalog: options.catalog ?? catalog,
      });
    },
    close: () => worker.stop(),
  };
  if (ctx.sync.autoStart !== false) worker.start();
  return till;
}

/** What the till remembers of past sales for the rules, read from the `sales` store a page at a time. */
async function loadMemory(ctx: TillContext, catalog: ReturnType<typeof createCatalog>): Promise<SalesMemory> {
  const memory = createSalesMemory(catalog);
  for (let after: string | undefined; ;) {
    const page = await ctx.storage.list('sales', { ...(after === undefined ? {} : { after }), limit: 500 });
    for (const record of page) memory.add(record.value);
    if (page.length < 500) break;
    after = page[page.length - 1]!.key;
  }
  return memory;
}
