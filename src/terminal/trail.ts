/*
 * What a sale's write carries besides the sale: the audit events (the `audit` journal, and YG06 to the platform),
 * the invoice uploads (YG01), and the clock-behind events of an invoice dated ahead of the device clock.
 */
import type { IssuedInvoice } from '../invoice/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { AuditEvent, ClockAuditEvent } from '../schemas/audit.js';
import type { WriteOp } from '../storage/contract.js';
import type { OutboxEntry } from '../sync/outbox.js';
import type { TillContext } from './types.js';
import { defined } from '../defined.js';

export const auditOps = (events: readonly AuditEvent[]): WriteOp<TerminalLayout>[] =>
  events.map((value) => ({ op: 'append', journal: 'audit', value }));

/** YG06: a sale's audit trail for the platform. */
export const auditEntry = (
  ctx: TillContext,
  saleId: string,
  events: readonly AuditEvent[],
  setlId?: string,
): OutboxEntry<'YG06'> => ({
  infno: 'YG06',
  kind: 'audit',
  ref: saleId,
  input: {
    data: {
      terminal_id: ctx.terminalId,
      sale_id: saleId,
      ...defined({ setl_id: setlId || undefined }),
      events: events.map((e) => ({ ...e }) as Record<string, unknown>),
    },
  },
});

/** The audit events of an issue's records dated ahead of the device clock (a clock set back), in chain order. */
export const clockEvents = (ctx: TillContext, issued: IssuedInvoice, saleId: string): ClockAuditEvent[] =>
  [...(issued.catchUp ? [issued.catchUp] : []), issued].flatMap(({ record: { body } }) =>
    body.clockBehindMs === undefined
      ? []
      : [
          {
            kind: 'clock-behind' as const,
            at: body.issuedAt,
            terminalId: ctx.terminalId,
            saleId,
            invoiceSeq: body.seq,
            deviceTime: body.issuedAt - body.clockBehindMs,
            behindMs: body.clockBehindMs,
          },
        ],
  );

export const emitClock = (ctx: TillContext, events: readonly ClockAuditEvent[]): void => {
  for (const e of events)
    ctx.emit({
      type: 'clock:behind',
      seq: e.invoiceSeq,
      issuedAt: e.at,
      deviceTime: e.deviceTime,
      behindMs: e.behindMs,
    });
};

/** YG01: the upload of each record an issue wrote (its catch-up record first). */
export const invoiceEntries = (ctx: TillContext, issued: IssuedInvoice): OutboxEntry<'YG01'>[] =>
  [...(issued.catchUp ? [issued.catchUp] : []), issued].map((i) => ({
    infno: 'YG01',
    kind: 'invoice',
    ref: `invoice-${i.seq}`,
    input: {
      invoice: {
        terminal_id: ctx.terminalId,
        seq: i.seq,
        hash: i.hash,
        record: i.record as unknown as Record<string, unknown>,
      },
    },
  }));
