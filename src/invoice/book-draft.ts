/*
 * What an invoice draft becomes in a body: a sale's lines and split, checked; a refund's or a void's sale, found
 * on the chain and not reversed beyond its total.
 */
import type { InvoiceBody, InvoiceLine } from '../schemas/invoice.js';
import type { PaymentSplit } from '../schemas/sale.js';
import type { InvoiceDraft } from './sign.js';
import type { BookContext } from './book-context.js';
import { invoiceHash } from './hash.js';
import { recordKey } from './records.js';
import { InputError, InvoiceError } from '../errors/areas.js';
import { parseInput } from '../schemas/parse.js';
import { InvoiceBodySchema } from '../schemas/invoice.js';
import { lineAmountFen } from '../money.js';

/** The fields of a body that the draft decides (the rest come from the head and the stamp). */
type DraftFields = Omit<InvoiceBody, 'v' | 'seq' | 'issuedAt' | 'pharmacyCode' | 'terminalId' | 'prevHash' | 'keyId'>;

/** A body checked against the invoice schema (`InputError` otherwise). */
export function parseBody(body: unknown): InvoiceBody {
  return parseInput(InvoiceBodySchema, body, { en: 'Invoice', zh: '票据' });
}

function reversalError(en: string, zh: string): InvoiceError {
  return new InvoiceError('INVOICE_REVERSAL_INVALID', { message: en, messageZh: zh, field: 'reverses' });
}

/** The body fields of `draft`: checked, and for a refund or void, tied to the sale it reverses. */
export async function draftFields(ctx: BookContext, draft: InvoiceDraft): Promise<DraftFields> {
  if (typeof draft !== 'object' || draft === null) {
    throw new InputError('INVALID_INPUT', {
      message: 'An invoice draft is an object',
      messageZh: '开票内容应为对象',
      field: 'draft',
    });
  }
  const kind = draft.kind ?? 'sale';
  if (kind !== 'sale' && kind !== 'refund' && kind !== 'void') {
    throw new InputError('INVALID_INPUT', {
      message: 'An invoice draft is a sale, refund or void',
      messageZh: '只能开具销售、退费或作废票据',
      field: 'kind',
    });
  }
  if (kind === 'sale') {
    if (draft.reverses !== undefined) {
      throw new InputError('INVALID_INPUT', {
        message: 'A sale reverses nothing',
        messageZh: '销售票据不能指定冲回的原票据',
        field: 'reverses',
      });
    }
    const setlId = draft.setlId === undefined ? {} : { setlId: draft.setlId };
    return { kind, lines: checkLines(draft.lines), split: draft.split as PaymentSplit, ...setlId };
  }
  return reversalFields(ctx, draft, kind);
}

/** The body fields of a refund or a void: its sale, found on this chain, and what it pays back. */
async function reversalFields(ctx: BookContext, draft: InvoiceDraft, kind: 'refund' | 'void'): Promise<DraftFields> {
  const { storage, chain } = ctx;
  const verb = kind === 'void' ? '作废' : '退费';
  const seq = draft.reverses;
  if (seq === undefined || !Number.isSafeInteger(seq) || seq < 1) {
    throw reversalError(`A ${kind} must name the seq of the sale it reverses`, `${verb}须指定原销售票据的序号`);
  }
  const original = (await storage.get('invoices', recordKey(chain, seq)))?.value;
  if (!original) {
    throw reversalError(
      `There is no invoice ${seq} on this terminal to ${kind}`,
      `本终端没有第 ${seq} 号票据，无法${verb}`,
    );
  }
  if (original.body.kind !== 'sale') {
    throw reversalError(
      `Invoice ${seq} is a ${original.body.kind}, not a sale`,
      `第 ${seq} 号不是销售票据，不能${verb}`,
    );
  }
  let reversed = 0;
  for (const later of await storage.list('invoices', { prefix: `${chain}/`, after: recordKey(chain, seq) })) {
    if (later.value.body.reverses?.seq === seq) reversed += later.value.body.split.totalFen;
  }
  const total = original.body.split.totalFen;
  const lines = kind === 'void' ? original.body.lines : checkLines(draft.lines ?? []);
  const split = kind === 'void' ? original.body.split : (draft.split as PaymentSplit);
  if (kind === 'void' ? reversed > 0 : reversed + (split?.totalFen ?? 0) > total) {
    const rest = kind === 'void' ? 'refund the rest instead of voiding it' : 'this refund would exceed it';
    const restZh = kind === 'void' ? '不能再作废，请退剩余部分' : '本次退费将超出原金额';
    throw reversalError(
      `Invoice ${seq} (${total} fen) is already reversed by ${reversed} fen: ${rest}`,
      `第 ${seq} 号（${(total / 100).toFixed(2)} 元）已冲回 ${(reversed / 100).toFixed(2)} 元，${restZh}`,
    );
  }
  const setlId = draft.setlId ?? original.body.setlId;
  const reverses = { seq, hash: await invoiceHash(original) };
  return { kind, lines, split, reverses, ...(setlId === undefined ? {} : { setlId }) };
}

/**
 * Each line's amount must be its quantity × unit price, rounded to the fen, as the sale computed it. What is not a
 * line at all is left for the schema to report.
 */
function checkLines(lines: readonly InvoiceLine[] | undefined): InvoiceLine[] {
  if (!Array.isArray(lines)) return lines as unknown as InvoiceLine[];
  return lines.map((line: InvoiceLine, i) => {
    if (typeof line !== 'object' || line === null) return line;
    let expected: number | undefined;
    try {
      expected = lineAmountFen(line.unitPriceFen, line.quantity);
    } catch {
      expected = undefined;
    }
    if (expected !== undefined && expected !== line.amountFen) {
      throw new InputError('INVALID_MONEY', {
        // Not interpolated as given: a hostile value (an object without a prototype) cannot be made a string.
        message: `Invoice line ${i}: amountFen ${typeof line.amountFen === 'number' ? line.amountFen : `(a ${typeof line.amountFen})`} is not quantity × unit price (${expected})`,
        messageZh: `票据第 ${i + 1} 行金额与数量×单价（${expected} 分）不符`,
        field: `lines.${i}.amountFen`,
      });
    }
    return line;
  });
}
