/*
 * A sale's one write. Everything a settled sale (or a refund) leaves is one atomic `storage.write`, built here from
 * the parts that own each piece: the invoice book (the record, any catch-up record, the chain head), the sale's own
 * facts (the sale record, its audit events), the stock ledger (the movements and each batch's new stock) and the
 * outbox (the 35xx reports, the invoice uploads, the audit trail). Each part hands back its write operations, guarded
 * by the revisions it read; a batch refused with STORAGE_CONFLICT (another writer took the chain head or changed a
 * batch's stock) is built again from fresh reads, up to MAX_ATTEMPTS times. Nothing else of the sale is written.
 */
import { isYibaoGuardError } from '../errors/index.js';
import type { InvoiceDraft, IssuedInvoice } from '../invoice/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { SaleRecord } from '../sale/record.js';
import type { StockMovement } from '../schemas/stock.js';
import type { WriteOp } from '../storage/contract.js';
import type { OutboxEntry } from '../sync/outbox.js';
import type { SaleReportContext } from '../sync/report.js';
import type { TillParts } from './parts.js';

/** How many times a sale's batch is built and written before a conflict is given up on. */
const MAX_ATTEMPTS = 16;

/** What a sale (or a refund) writes. */
export interface SaleWrite {
  /** The invoice it issues. */
  readonly invoice: InvoiceDraft;
  /** Its stock movements, and who and what their 35xx reports name. */
  readonly movements: readonly StockMovement[];
  readonly context: SaleReportContext;
  /**
   * The sale's own part for the invoice an attempt issues: the sale record as it is then, the ops that write it
   * (and its audit events), and the outbox records that go with it after the movements' reports.
   */
  facts(issued: IssuedInvoice): {
    readonly sale: SaleRecord;
    readonly ops: readonly WriteOp<TerminalLayout>[];
    readonly entries: readonly OutboxEntry[];
  };
}

/** Writes a sale in one atomic batch, and hands back the invoice issued and the sale record written. */
export async function commitSale(
  parts: TillParts,
  write: SaleWrite,
): Promise<{ readonly issued: IssuedInvoice; readonly sale: SaleRecord }> {
  const { book, storage } = parts.ctx;
  const { inventory, outbox } = parts;
  // The book to itself: its own calls (a key rotation, a catch-up) do not race the sale for the chain head.
  return book.exclusive(async () => {
    for (let attempt = 1; ; attempt++) {
      const invoice = await book.prepare(write.invoice);
      const facts = write.facts(invoice.issued);
      const stock = inventory.plan(write.movements, write.context);
      try {
        // The outbox to itself from the msgids to the write, so that journal order is msgid order.
        const receipts = await outbox.exclusive(() => {
          const reports = outbox.prepare([...stock.reports, ...facts.entries]);
          return storage.write([...invoice.ops, ...facts.ops, ...stock.ops, ...reports.ops]);
        });
        const from = invoice.ops.length + facts.ops.length;
        stock.committed(receipts.slice(from, from + stock.ops.length));
        return { issued: invoice.issued, sale: facts.sale };
      } catch (error) {
        if (!isYibaoGuardError(error, 'STORAGE_CONFLICT') || attempt >= MAX_ATTEMPTS) throw error;
        // Another writer changed what the batch was built on: read the stock again (the book reads its head anew).
        await stock.reload();
      }
    }
  });
}
