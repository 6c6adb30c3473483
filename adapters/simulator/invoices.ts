import { canonicalJson, sha256Hex } from '../../src/crypto/index.js';
import { formatCstTime, type TransactionInput } from '../../src/platform/index.js';
import { refuse } from './wire.js';
import type { SimAudit, SimInvoice, TxContext, TxResult } from './world.js';

/*
 * Signed invoices (YG01 upload, YG02 verification): the platform keeps each invoice under its pharmacy, terminal
 * and sequence number with its hash, so that anyone holding a receipt can ask whether it is the one uploaded.
 */

const invoiceKey = (fixmedinsCode: string, terminalId: string, seq: number) => `${fixmedinsCode}|${terminalId}|${seq}`;

/**
 * YG01: stores an invoice under (pharmacy, terminal, seq) once; the same upload again is accepted, another refused.
 *
 * @example
 * await uploadInvoice(ctx, { invoice: { terminal_id: 'T01', seq: 1, hash, record } })
 */
export async function uploadInvoice(ctx: TxContext, input: TransactionInput<'YG01'>): Promise<TxResult> {
  const { terminal_id, seq, hash, record } = input.invoice;
  // The hash is the SHA-256 of the whole signed record's canonical JSON, as the next invoice's prevHash names it.
  if ((await sha256Hex(canonicalJson(record))) !== hash) {
    refuse(
      '票据哈希与票据内容不符（应为票据记录规范 JSON 的 SHA-256）',
      "hash is not the SHA-256 of the record's canonical JSON",
    );
  }
  const key = invoiceKey(ctx.envelope.fixmedins_code, terminal_id, seq);
  const existing = ctx.world.invoices.get(key);
  if (existing) {
    if (existing.hash !== hash)
      refuse(
        `终端 ${terminal_id} 第 ${seq} 号票据已上传过不同内容`,
        `another invoice was already uploaded as seq ${seq} of terminal ${terminal_id}`,
      );
    return { output: { accepted: '1', hash }, committed: false };
  }
  const invoice: SimInvoice = {
    fixmedinsCode: ctx.envelope.fixmedins_code,
    terminalId: terminal_id,
    seq,
    hash,
    record,
    uploadedAt: ctx.now,
    msgid: ctx.msgid,
  };
  ctx.world.invoices.set(key, invoice);
  return { output: { accepted: '1', hash }, committed: true };
}

/**
 * YG02: `result` 1 found with this hash, 0 not found, 2 found with another hash (altered).
 *
 * @example
 * verifyInvoice(ctx, { data: { fixmedins_code, terminal_id: 'T01', seq: 1, hash } }).output.result // '1'
 */
export function verifyInvoice(ctx: TxContext, input: TransactionInput<'YG02'>): TxResult {
  const { fixmedins_code, terminal_id, seq, hash } = input.data;
  const found = ctx.world.invoices.get(invoiceKey(fixmedins_code, terminal_id, seq));
  const result = !found ? '0' : found.hash === hash ? '1' : '2';
  return { output: { result, upload_time: found ? formatCstTime(found.uploadedAt) : null }, committed: false };
}

/**
 * YG06: keeps a sale's audit trail under (pharmacy, terminal, sale) once; the same msgid again is answered by the
 * state machine's msgid memory, a second trail for the same sale is appended to it (a refund's).
 *
 * @example
 * uploadAudit(ctx, { data: { terminal_id: 'T01', sale_id: 'S1', events } })
 */
export function uploadAudit(ctx: TxContext, input: TransactionInput<'YG06'>): TxResult {
  const { terminal_id, sale_id, setl_id, events } = input.data;
  const key = `${ctx.envelope.fixmedins_code}|${terminal_id}|${sale_id}`;
  const before = ctx.world.audits.get(key);
  const audit: SimAudit = {
    fixmedinsCode: ctx.envelope.fixmedins_code,
    terminalId: terminal_id,
    saleId: sale_id,
    ...(setl_id ? { setlId: setl_id } : before?.setlId ? { setlId: before.setlId } : {}),
    events: [...(before?.events ?? []), ...events],
    uploadedAt: ctx.now,
    msgid: ctx.msgid,
  };
  ctx.world.audits.set(key, audit);
  return { output: { accepted: '1', count: audit.events.length }, committed: true };
}
