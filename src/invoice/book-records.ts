/*
 * Reading an invoice book: its records, a receipt QR for a reprint, its keys, its export; and uploading its
 * records to the platform (YG01).
 */
import type { Signer } from '../crypto/index.js';
import type { PlatformClient } from '../platform/client.js';
import type { SignedInvoice } from '../schemas/invoice.js';
import type { InvoiceKey } from './verify.js';
import { readHead, type BookContext } from './book-context.js';
import { signerFor } from './book-seal.js';
import { exportInvoiceChain } from './export.js';
import { invoiceHash } from './hash.js';
import { qrText, signQr } from './qr.js';
import { UNENROLLED, recordKey } from './records.js';
import { toBase64Url } from '../crypto/index.js';
import { defined } from '../defined.js';

/** The record of a seq. */
export async function getRecord(ctx: BookContext, seq: number): Promise<SignedInvoice | undefined> {
  return (await ctx.storage.get('invoices', recordKey(ctx.chain, seq)))?.value;
}

/** See `InvoiceBook.receiptQr`. */
export async function receiptQr(ctx: BookContext, seq: number): Promise<string | undefined> {
  const record = await getRecord(ctx, seq);
  if (!record) return undefined;
  const hash = await invoiceHash(record);
  const signer = await signerFor(ctx, record.body.keyId).catch(() => undefined);
  return qrText(record, hash, await signQr(record, hash, signer));
}

/** Records in order, after seq `after`. */
export async function listRecords(
  ctx: BookContext,
  { after: from = 0, limit }: { readonly after?: number; readonly limit?: number } = {},
): Promise<SignedInvoice[]> {
  const { chain } = ctx;
  const range = {
    prefix: `${chain}/`,
    ...(from > 0 ? { after: recordKey(chain, from) } : {}),
    ...(limit === undefined ? {} : { limit }),
  };
  return (await ctx.storage.list('invoices', range)).map((r) => r.value);
}

/** The public keys the chain is signed with: those stored, with their validity times, and the given signers'. */
export async function chainKeys(ctx: BookContext): Promise<InvoiceKey[]> {
  const stored = await ctx.storage.list('invoiceKeys', { prefix: `${ctx.chain}/` });
  const keys: InvoiceKey[] = stored.map(({ value }) => ({
    keyId: value.keyId,
    publicKey: value.publicKey,
    validFrom: value.createdAt,
    ...(value.retiredAt === undefined ? {} : { validUntil: value.retiredAt }),
  }));
  for (const signer of ctx.signers.values()) {
    if (!keys.some((k) => k.keyId === signer.keyId)) {
      keys.push({ keyId: signer.keyId, publicKey: toBase64Url(signer.publicKey) });
    }
  }
  return keys;
}

/** The chain as a JSONL export, its header signed when the current key can sign. */
export async function exportChain(ctx: BookContext): Promise<string> {
  const head = (await readHead(ctx))?.value;
  const records = await listRecords(ctx);
  let signer: Signer | undefined;
  if (head && head.keyId !== UNENROLLED) signer = await signerFor(ctx, head.keyId).catch(() => undefined);
  const { pharmacyCode, terminalId } = ctx;
  const keys = await chainKeys(ctx);
  const exportedAt = ctx.clock.now();
  return exportInvoiceChain({ pharmacyCode, terminalId, records, keys, exportedAt, ...defined({ signer }) });
}

/** See `InvoiceBook.upload`. */
export async function uploadRecords(
  ctx: BookContext,
  platform: PlatformClient,
): Promise<{ readonly uploaded: number; readonly through: number }> {
  const { storage, chain } = ctx;
  const mark = await storage.get('invoiceUploads', chain);
  let through = mark?.value.through ?? 0;
  let rev = mark?.rev;
  let uploaded = 0;
  for (const record of await listRecords(ctx, { after: through })) {
    const hash = await invoiceHash(record);
    await platform.uploadInvoice({ invoice: { terminal_id: ctx.terminalId, seq: record.body.seq, hash, record } });
    through = record.body.seq;
    const [receipt] = await storage.write([
      { op: 'put', store: 'invoiceUploads', key: chain, value: { through }, expect: rev ?? null },
    ]);
    rev = receipt?.op === 'put' ? receipt.rev : undefined;
    uploaded += 1;
  }
  return { uploaded, through };
}
