/*
 * What a crash or a lost answer left unfinished, settled at start-up (and whenever the app asks): settlements
 * (2102) without an answer are reversed (2601) once the platform confirms nothing stands; cancellations (2103)
 * not yet recorded are asked again and their refund recorded.
 */
import type { TillParts } from './parts.js';
import { refund } from './refund.js';
import { reverse } from './settlement.js';

export async function recoverSettlements(
  parts: TillParts,
): Promise<{ readonly reversed: readonly string[]; readonly pending: readonly string[] }> {
  const { storage } = parts.ctx;
  const reversed: string[] = [];
  const pending: string[] = [];
  for (const { value } of await storage.list('settlements')) {
    if (await reverse(parts.ctx, value)) reversed.push(value.saleId);
    else pending.push(value.saleId);
  }
  // Cancellations (2103) a crash or a lost answer left unrecorded: ask again and record the refund.
  for (const { key } of await storage.list('meta', { prefix: 'refund.pending/' })) {
    const saleId = key.slice('refund.pending/'.length);
    try {
      await refund(parts, saleId);
    } catch {
      pending.push(saleId);
    }
  }
  return { reversed, pending };
}
