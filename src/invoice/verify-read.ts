/*
 * The first steps of verification: reading every entry (schema, canonical form), then hashing every record and
 * checking every signature, in one bounded parallel pass.
 */
import type { SignedInvoice } from '../schemas/invoice.js';
import type { ChainEntry, InvoiceText } from './verify.js';
import { addIssue, type Node, type SigState, type VerifyContext } from './verify-nodes.js';
import { texts } from './verify-texts.js';
import { recordCanonical } from './hash.js';
import { InputError } from '../errors/areas.js';
import { SignedInvoiceSchema } from '../schemas/invoice.js';
import { fromBase64Url, sha256Hex } from '../crypto/index.js';
import { canonicalJson } from '../canonical-json.js';

/** A record that could be read: where it is, parsed, its canonical texts, and its signature's bytes. */
export interface ReadableEntry {
  readonly index: number;
  readonly record: SignedInvoice;
  readonly bodyJson: string;
  readonly recordJson: string;
  readonly sig: Uint8Array | null;
}

export const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * How many hashes and signature checks are in flight at once: WebCrypto runs them in parallel, a bounded pool keeps
 * memory flat.
 */
const POOL = 512;

/** Runs `task` over `items`, at most POOL at a time, results in order. */
async function inPool<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(POOL, items.length) }, worker));
  return out;
}

/** Reads every entry; what cannot be read is reported `malformed` (and its position kept in `malformedAt`). */
export function readEntries(ctx: VerifyContext): ReadableEntry[] {
  const readable: ReadableEntry[] = [];
  ctx.entries.forEach((entry, index) => {
    const result = readEntry(entry);
    if ('record' in result) readable.push({ index, ...result });
    else {
      const seq = (entry.value as { body?: { seq?: unknown } } | null | undefined)?.body?.seq;
      ctx.malformedAt.push(index);
      const at = typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null;
      addIssue(ctx, 'malformed', index, at, result.problem);
    }
  });
  return readable;
}

/** One entry read, or why it cannot be. */
function readEntry(entry: ChainEntry): Omit<ReadableEntry, 'index'> | { problem: InvoiceText } {
  if (entry.problem) return { problem: entry.problem };
  const parsed = SignedInvoiceSchema.safeParse(entry.value);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { problem: texts.notAnInvoice(where.join('; ')) };
  }
  const raw = entry.value as { body: unknown; sig: string | null };
  let bodyJson: string;
  let sig: Uint8Array | null;
  try {
    bodyJson = canonicalJson(raw.body);
  } catch (error) {
    const field = error instanceof InputError ? (error.field ?? '') : '';
    return { problem: texts.notAnInvoice(`body: no canonical JSON (${field})`) };
  }
  try {
    sig = raw.sig === null ? null : fromBase64Url(raw.sig);
  } catch {
    return { problem: texts.notAnInvoice('sig: not base64url') };
  }
  const recordJson = recordCanonical(bodyJson, raw.sig);
  if (entry.text !== undefined && entry.text !== recordJson) return { problem: texts.notCanonical() };
  return { record: parsed.data, bodyJson, recordJson, sig };
}

/**
 * Hashes every record and checks its signature with the public key `publicKeyOf` its key id (none: `nokey`):
 * the records as nodes, not linked yet.
 */
export async function checkRecords(
  ctx: VerifyContext,
  readable: readonly ReadableEntry[],
  publicKeyOf: (keyId: string) => string | undefined,
): Promise<Node[]> {
  const checked = await inPool(readable, async (r) => {
    const publicKey = publicKeyOf(r.record.body.keyId);
    // One UTF-8 encoding per record: the body's bytes are those of the record's text after `{"body":`, up to the
    // ASCII tail `,"sig":…}`.
    const recordBytes = utf8(r.recordJson);
    const bodyBytes = recordBytes.subarray(8, recordBytes.length - (r.recordJson.length - 8 - r.bodyJson.length));
    const [hash, valid] = await Promise.all([
      sha256Hex(recordBytes),
      r.sig === null || publicKey === undefined ? undefined : ctx.verifier.verify(publicKey, r.sig, bodyBytes),
    ]);
    const sig: SigState = r.sig === null ? 'unsigned' : valid === undefined ? 'nokey' : valid ? 'ok' : 'bad';
    return { hash, sig };
  });
  return readable.map((r, i) => {
    const { hash, sig } = checked[i] as { hash: string; sig: SigState };
    const { seq, prevHash } = r.record.body;
    return { index: r.index, record: r.record, seq, prevHash, hash, sig, children: [] };
  });
}
