/*
 * An invoice book's keys: enrolling the first one, rotating to the next (a `key-rotation` record signed by the key
 * it replaces), and registering the current one with the platform (YG04).
 */
import type { Signer } from '../crypto/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { PlatformClient } from '../platform/client.js';
import type { WrappedTerminalKey } from '../schemas/invoice.js';
import type { WriteOp } from '../storage/contract.js';
import type { IssuedInvoice } from './sign.js';
import { ZERO_SPLIT, committing, fresh, keyKey, putHead, readHead, unavailable } from './book-context.js';
import type { BookContext } from './book-context.js';
import { parseBody } from './book-draft.js';
import { after, baseBody, dueCatchUp, issued, putRecord, seal, stampOf } from './book-seal.js';
import { refreshPlatformKey, signerFor } from './book-seal.js';
import { generateTerminalKey, registerTerminalKey } from './keys.js';
import { UNENROLLED, type InvoiceChainHead } from './records.js';
import { InputError } from '../errors/areas.js';
import { parseInput } from '../schemas/parse.js';
import { IdSchema } from '../schemas/primitives.js';
import { toBase64Url } from '../crypto/index.js';
import { defined } from '../defined.js';

const NO_SECRET = { zh: '未提供设备密钥，无法加密保存新密钥', en: 'no device secret to wrap the new key with' };

/** Makes a new key, dated by the device clock, wrapped with the device secret. */
function makeKey(ctx: BookContext, keyId: string, deviceSecret: Uint8Array): ReturnType<typeof generateTerminalKey> {
  return generateTerminalKey({ keyId, deviceSecret, now: ctx.clock.now(), ...ctx.keyOptions });
}

/** See `InvoiceBook.enrolKey`. */
export async function enrolKey(ctx: BookContext, keyId: string, platform: PlatformClient | undefined): Promise<void> {
  const before = await readHead(ctx);
  if (before && before.value.keyId !== UNENROLLED) {
    throw new InputError('INVALID_INPUT', {
      message: `Terminal ${ctx.terminalId} already has key ${before.value.keyId}: rotate it instead`,
      messageZh: `终端 ${ctx.terminalId} 已有密钥 ${before.value.keyId}，请改用密钥更换`,
      field: 'keyId',
    });
  }
  const { deviceSecret } = ctx;
  if (!deviceSecret) throw unavailable(keyId, NO_SECRET);
  const { wrapped, signer } = await makeKey(ctx, keyId, deviceSecret);
  await committing(ctx, async () => {
    const current = await readHead(ctx);
    // The key is dated on the book's time line: it signs from then on, and no record after it is dated earlier.
    const { at } = await stampOf(ctx, current?.value);
    const head: InvoiceChainHead = { ...(current?.value ?? fresh(ctx)), keyId, time: at };
    const putKey: WriteOp<TerminalLayout> = {
      op: 'put',
      store: 'invoiceKeys',
      key: keyKey(ctx, keyId),
      value: { ...wrapped, createdAt: at },
      expect: null,
    };
    return { ops: [putKey, putHead(ctx, head, current?.rev)], result: undefined };
  });
  ctx.signers.set(keyId, signer);
  await refreshPlatformKey(ctx, (await readHead(ctx))?.value);
  if (platform) await registerPending(ctx, platform);
}

/** See `InvoiceBook.rotateKey`. */
export async function rotateKey(
  ctx: BookContext,
  keyId: string,
  platform: PlatformClient | undefined,
  given: Signer | undefined,
): Promise<IssuedInvoice> {
  parseInput(IdSchema, keyId, { en: 'Key id', zh: '密钥编号' });
  const start = (await readHead(ctx))?.value;
  if (!start || start.keyId === UNENROLLED) {
    throw unavailable(keyId, { zh: '尚无可更换的密钥，请先登记', en: 'there is no key to rotate: enrol one first' });
  }
  if (start.keyId === keyId || (await ctx.storage.get('invoiceKeys', keyKey(ctx, keyId)))) {
    throw new InputError('INVALID_INPUT', {
      message: `Key id ${keyId} was already used on this terminal`,
      messageZh: `密钥编号 ${keyId} 在本终端已使用过`,
      field: 'keyId',
    });
  }
  let wrapped: WrappedTerminalKey | undefined;
  let next = given;
  if (!next) {
    const { deviceSecret } = ctx;
    if (!deviceSecret) throw unavailable(keyId, NO_SECRET);
    ({ wrapped, signer: next } = await makeKey(ctx, keyId, deviceSecret));
  }
  const nextSigner = next;
  const result = await committing(ctx, () => rotationBatch(ctx, start, keyId, nextSigner, wrapped));
  ctx.signers.set(keyId, nextSigner);
  await refreshPlatformKey(ctx, (await readHead(ctx))?.value);
  if (platform) await registerPending(ctx, platform);
  return result;
}

/**
 * The batch of a rotation to `keyId`, on the head as it is now: any catch-up record due, the `key-rotation` record
 * signed by the current key, the old key retired and the new one stored (when it was made here), the head moved.
 */
async function rotationBatch(
  ctx: BookContext,
  start: InvoiceChainHead,
  keyId: string,
  nextSigner: Signer,
  wrapped: WrappedTerminalKey | undefined,
): Promise<{ ops: WriteOp<TerminalLayout>[]; result: IssuedInvoice }> {
  const current = await readHead(ctx);
  let head = current?.value ?? start;
  const stamp = await stampOf(ctx, head);
  const now = stamp.at;
  const ops: WriteOp<TerminalLayout>[] = [];
  const catchUp = await dueCatchUp(ctx, head, stamp);
  if (catchUp && !catchUp.error) {
    ops.push(putRecord(ctx, catchUp));
    head = after(head, catchUp);
  }
  const newKey = { keyId, publicKey: toBase64Url(nextSigner.publicKey) };
  const body = parseBody({ ...baseBody(ctx, head, stamp), kind: 'key-rotation', lines: [], split: ZERO_SPLIT, newKey });
  const sealed = await seal(ctx, body, true);
  if (sealed.error) throw sealed.error;
  ops.push(putRecord(ctx, sealed));
  const old = await ctx.storage.get('invoiceKeys', keyKey(ctx, head.keyId));
  if (old) {
    const value = { ...old.value, retiredAt: now };
    ops.push({ op: 'put', store: 'invoiceKeys', key: old.key, value, expect: old.rev });
  }
  if (wrapped) {
    const value = { ...wrapped, createdAt: now };
    ops.push({ op: 'put', store: 'invoiceKeys', key: keyKey(ctx, keyId), value, expect: null });
  }
  ops.push(putHead(ctx, { ...after(head, sealed), keyId }, current?.rev));
  return { ops, result: issued(sealed, catchUp && !catchUp.error ? catchUp : undefined) };
}

/** Registers the current key with the platform (YG04) unless it is already; see `InvoiceBook.registerKey`. */
export async function registerPending(ctx: BookContext, platform: PlatformClient): Promise<void> {
  const head = (await readHead(ctx))?.value;
  if (!head || head.keyId === UNENROLLED || head.registeredKeyId === head.keyId) return;
  const key = await signerFor(ctx, head.keyId);
  const previous = head.registeredKeyId === undefined ? undefined : await signerFor(ctx, head.registeredKeyId);
  const stored = await ctx.storage.get('invoiceKeys', keyKey(ctx, head.keyId));
  const begntime = stored?.value.createdAt ?? (await stampOf(ctx, head)).at;
  await registerTerminalKey(platform, { terminalId: ctx.terminalId, key, ...defined({ previous }), begntime });
  await committing(ctx, async () => {
    const current = await readHead(ctx);
    const value = current?.value ?? head;
    return { ops: [putHead(ctx, { ...value, registeredKeyId: head.keyId }, current?.rev)], result: undefined };
  });
  await refreshPlatformKey(ctx, (await readHead(ctx))?.value);
}
