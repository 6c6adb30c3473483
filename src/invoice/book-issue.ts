/*
 * Issuing on an invoice book's head: an invoice (with any catch-up record due before it), or the catch-up record
 * alone.
 */
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { WriteOp } from '../storage/contract.js';
import type { InvoiceDraft, IssuedInvoice } from './sign.js';
import { committing, fresh, putHead, readHead, unavailable, type BookContext } from './book-context.js';
import { draftFields, parseBody } from './book-draft.js';
import { after, baseBody, dueCatchUp, issued, putRecord, seal, stampOf } from './book-seal.js';
import { UNENROLLED } from './records.js';
import { defined } from '../defined.js';

/** The ops that issue `draft` on the head as it is now, and the invoice they issue (see `InvoiceBook.prepare`). */
export async function prepareIssue(
  ctx: BookContext,
  draft: InvoiceDraft,
): Promise<{ ops: WriteOp<TerminalLayout>[]; issued: IssuedInvoice }> {
  const fields = await draftFields(ctx, draft);
  const current = await readHead(ctx);
  let head = current?.value ?? fresh(ctx);
  const stamp = await stampOf(ctx, current?.value);
  const ops: WriteOp<TerminalLayout>[] = [];
  const catchUp = await dueCatchUp(ctx, head, stamp);
  if (catchUp && !catchUp.error) {
    ops.push(putRecord(ctx, catchUp));
    head = after(head, catchUp);
  }
  const body = parseBody({ ...baseBody(ctx, head, stamp), ...fields });
  // When the catch-up could not be signed, the key is down: do not wait for it a second time.
  const sealed = catchUp?.error
    ? { ...(await seal(ctx, body, false)), error: catchUp.error }
    : await seal(ctx, body, head.keyId !== UNENROLLED);
  const unsignedError =
    sealed.record.sig === null && !sealed.error
      ? unavailable(head.keyId, { zh: '尚未登记终端密钥', en: 'no key is enrolled yet' })
      : sealed.error;
  ops.push(putRecord(ctx, sealed), putHead(ctx, after(head, sealed), current?.rev));
  const result = issued(
    { ...sealed, ...defined({ error: unsignedError }) },
    catchUp && !catchUp.error ? catchUp : undefined,
  );
  return { ops, issued: result };
}

/** Issues the catch-up record due on the head, if one is (see `InvoiceBook.catchUp`). */
export async function catchUpNow(ctx: BookContext): Promise<IssuedInvoice | undefined> {
  return committing(ctx, async () => {
    const current = await readHead(ctx);
    const head = current?.value;
    const sealed = head ? await dueCatchUp(ctx, head, await stampOf(ctx, head)) : undefined;
    if (!head || !sealed) return { ops: [], result: undefined };
    if (sealed.error) throw sealed.error;
    return { ops: [putRecord(ctx, sealed), putHead(ctx, after(head, sealed), current?.rev)], result: issued(sealed) };
  });
}
