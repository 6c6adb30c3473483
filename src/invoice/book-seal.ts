/*
 * Signing and sealing an invoice book's records: the signer of a key id, a signature that never blocks a sale
 * (it times out, or the record goes unsigned), the book's time line, and the record, hash and receipt QR that a
 * body becomes.
 */
import type { Signer } from '../crypto/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { InvoiceBody, SignedInvoice } from '../schemas/invoice.js';
import type { WriteOp } from '../storage/contract.js';
import type { IssuedInvoice } from './sign.js';
import { ZERO_SPLIT, keyKey, unavailable, type BookContext, type Stamp } from './book-context.js';
import { parseBody } from './book-draft.js';
import { invoiceHash } from './hash.js';
import { unwrapTerminalKey } from './keys.js';
import { qrText, signQr } from './qr.js';
import { UNENROLLED, recordKey, type InvoiceChainHead } from './records.js';
import { InvoiceError } from '../errors/areas.js';
import { canonicalJson } from '../canonical-json.js';
import { toBase64Url } from '../crypto/index.js';
import { defined } from '../defined.js';

/** A body made a record: signed or not, hashed, its receipt QR signed when the record is. */
export interface Sealed {
  readonly record: SignedInvoice;
  readonly hash: string;
  /** The receipt QR's signature (null when the record could not be signed). */
  readonly qrSig: string | null;
  readonly error?: InvoiceError;
}

/** The signer of `keyId`: given, or unwrapped from storage with the device secret (and kept). */
export async function signerFor(ctx: BookContext, keyId: string): Promise<Signer> {
  const known = ctx.signers.get(keyId);
  if (known) return known;
  if (keyId === UNENROLLED) throw unavailable(keyId, { zh: '尚未登记终端密钥', en: 'no key is enrolled yet' });
  const stored = await ctx.storage.get('invoiceKeys', keyKey(ctx, keyId));
  if (!stored) throw unavailable(keyId, { zh: '本机没有该密钥', en: 'it is not stored on this terminal' });
  if (!ctx.deviceSecret) throw unavailable(keyId, { zh: '未提供设备密钥', en: 'no device secret was given' });
  const signer = await unwrapTerminalKey(stored.value, ctx.deviceSecret, ctx.options.ed25519Fallback);
  ctx.signers.set(keyId, signer);
  return signer;
}

/** Sets the platform-facing key for `head`: the registered one, or the current one before any registration. */
export async function refreshPlatformKey(ctx: BookContext, head: InvoiceChainHead | undefined): Promise<void> {
  const keyId = head?.registeredKeyId ?? (head && head.keyId !== UNENROLLED ? head.keyId : ctx.options.signer?.keyId);
  ctx.platformKey = keyId === undefined ? undefined : await signerFor(ctx, keyId).catch(() => undefined);
}

/** Signs a body, or says why it cannot: never throws, never waits longer than the timeout. */
async function trySign(
  ctx: BookContext,
  body: InvoiceBody,
): Promise<{ sig: string; signer: Signer } | { error: InvoiceError }> {
  const { timeoutMs } = ctx;
  let signer: Signer;
  try {
    signer = await signerFor(ctx, body.keyId);
  } catch (error) {
    const why = { zh: '无法取得密钥', en: 'the key cannot be loaded' };
    return { error: error instanceof InvoiceError ? error : unavailable(body.keyId, why, error) };
  }
  const timers = globalThis as {
    setTimeout?: (f: () => void, ms: number) => unknown;
    clearTimeout?: (id: unknown) => void;
  };
  let timer: unknown;
  try {
    const signing = signer.sign(new TextEncoder().encode(canonicalJson(body)));
    const timeout = new Promise<never>((_, reject) => {
      const why = { zh: `签名超过 ${timeoutMs} 毫秒未完成`, en: `signing took longer than ${timeoutMs} ms` };
      timer = timers.setTimeout?.(() => reject(unavailable(body.keyId, why)), timeoutMs);
    });
    const sig = await Promise.race([signing, timeout]);
    if (!(sig instanceof Uint8Array) || sig.length !== 64) {
      throw unavailable(body.keyId, {
        zh: '签名器返回的不是 64 字节签名',
        en: 'the signer did not return a 64-byte signature',
      });
    }
    return { sig: toBase64Url(sig), signer };
  } catch (error) {
    const why = { zh: '签名器出错', en: 'the signer failed' };
    return { error: error instanceof InvoiceError ? error : unavailable(body.keyId, why, error) };
  } finally {
    timers.clearTimeout?.(timer);
  }
}

/** Signs (or, failing that, leaves unsigned) a body, hashes the record and signs its receipt QR. */
export async function seal(ctx: BookContext, body: InvoiceBody, sign: boolean): Promise<Sealed> {
  const signed = sign ? await trySign(ctx, body) : undefined;
  const record: SignedInvoice = { body, sig: signed && 'sig' in signed ? signed.sig : null };
  const hash = await invoiceHash(record);
  const qrSig = signed && 'signer' in signed ? await signQr(record, hash, signed.signer) : null;
  return { record, hash, qrSig, ...(signed && 'error' in signed ? { error: signed.error } : {}) };
}

/**
 * The book's time: the latest issue time of its records and creation time of its keys (see
 * `InvoiceChainHead.time`; a head written before it was kept is read from its last record and current key).
 */
async function bookTime(ctx: BookContext, head: InvoiceChainHead | undefined): Promise<number> {
  if (!head) return 0;
  if (head.time !== undefined) return head.time;
  const { storage, chain } = ctx;
  let time = head.seq > 0 ? ((await storage.get('invoices', recordKey(chain, head.seq)))?.value.body.issuedAt ?? 0) : 0;
  if (head.keyId !== UNENROLLED) {
    time = Math.max(time, (await storage.get('invoiceKeys', keyKey(ctx, head.keyId)))?.value.createdAt ?? 0);
  }
  return time;
}

/**
 * When something is issued on `head`: the device clock, or the book's time when the clock is behind it (issue
 * times never go backwards along the chain, so the key validity times, which are on the same time line, hold);
 * then by how much the clock was behind.
 */
export async function stampOf(ctx: BookContext, head: InvoiceChainHead | undefined): Promise<Stamp> {
  const device = ctx.clock.now();
  const time = await bookTime(ctx, head);
  return device < time ? { at: time, behindMs: time - device } : { at: device };
}

/** The fields every record issued on `head` at `stamp` has. */
export const baseBody = (ctx: BookContext, head: InvoiceChainHead, stamp: Stamp) => ({
  v: 1 as const,
  seq: head.seq + 1,
  issuedAt: stamp.at,
  ...(stamp.behindMs === undefined ? {} : { clockBehindMs: stamp.behindMs }),
  pharmacyCode: ctx.pharmacyCode,
  terminalId: ctx.terminalId,
  prevHash: head.hash,
  keyId: head.keyId,
});

/** The head once `sealed` is issued on `head`. */
export const after = (head: InvoiceChainHead, sealed: Sealed): InvoiceChainHead => {
  const { unsignedFrom: _, ...rest } = head;
  const unsignedFrom = sealed.record.sig === null ? (head.unsignedFrom ?? sealed.record.body.seq) : undefined;
  return {
    ...rest,
    seq: sealed.record.body.seq,
    hash: sealed.hash,
    time: sealed.record.body.issuedAt,
    ...(unsignedFrom === undefined ? {} : { unsignedFrom }),
  };
};

/** The write of a new record (refused if its seq is taken). */
export const putRecord = (ctx: BookContext, sealed: Sealed): WriteOp<TerminalLayout> => ({
  op: 'put',
  store: 'invoices',
  key: recordKey(ctx.chain, sealed.record.body.seq),
  value: sealed.record,
  expect: null,
});

/** The catch-up record due on `head`, signed, or undefined when none is due or signing still fails. */
export async function dueCatchUp(ctx: BookContext, head: InvoiceChainHead, stamp: Stamp): Promise<Sealed | undefined> {
  if (head.unsignedFrom === undefined || head.keyId === UNENROLLED) return undefined;
  const covers = { from: head.unsignedFrom, to: head.seq };
  const body = parseBody({ ...baseBody(ctx, head, stamp), kind: 'catch-up', lines: [], split: ZERO_SPLIT, covers });
  return seal(ctx, body, true);
}

/** What the caller is told about a sealed record (and the catch-up record issued before it). */
export const issued = (sealed: Sealed, catchUp?: Sealed): IssuedInvoice => ({
  record: sealed.record,
  hash: sealed.hash,
  seq: sealed.record.body.seq,
  signed: sealed.record.sig !== null,
  ...defined({ signingError: sealed.error }),
  qr: qrText(sealed.record, sealed.hash, sealed.qrSig),
  ...(catchUp ? { catchUp: { record: catchUp.record, hash: catchUp.hash, seq: catchUp.record.body.seq } } : {}),
});
