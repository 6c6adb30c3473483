/*
 * The state an invoice book's functions share (see `openInvoiceBook`), and the small pieces of storage plumbing
 * they all use: the head's key and value, the guarded batch that commits a head move, the call queue.
 */
import type { Signer } from '../crypto/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { Storage, WriteOp } from '../storage/contract.js';
import type { GenerateTerminalKeyOptions } from './keys.js';
import type { InvoiceBookOptions } from './sign.js';
import { UNENROLLED, chainKey, type InvoiceChainHead } from './records.js';
import { InvoiceError, StorageError } from '../errors/areas.js';
import { parseInput } from '../schemas/parse.js';
import { IdSchema, InstitutionCodeSchema } from '../schemas/primitives.js';
import { GENESIS_HASH } from '../schemas/invoice.js';
import { defined } from '../defined.js';

/** What new keys are made with, besides their id, secret and date. */
export type KeyOptions = Pick<GenerateTerminalKeyOptions, 'random' | 'ed25519Fallback'>;

/** One invoice book's state: its storage and identity, what it was opened with, and the keys it can sign with. */
export interface BookContext {
  readonly storage: Storage<TerminalLayout>;
  readonly pharmacyCode: string;
  readonly terminalId: string;
  /** The chain's key in the stores (see `chainKey`). */
  readonly chain: string;
  readonly clock: { now(): number };
  /** How long a signature may take before the receipt goes out unsigned, in ms. */
  readonly timeoutMs: number;
  /** The options the book was opened with (its given signer, its Ed25519 fallback). */
  readonly options: InvoiceBookOptions;
  /** What new keys are made with, besides their id, secret and date. */
  readonly keyOptions: KeyOptions;
  /** The signers the book can use, by key id: given, or unwrapped from storage. */
  readonly signers: Map<string, Signer>;
  /** The secret that unwraps the stored keys (the book's own copy; `unlock` replaces it). */
  deviceSecret: Uint8Array | undefined;
  /** The platform-facing key: the registered one, or the current one before any registration. */
  platformKey: Signer | undefined;
}

/** When a record is issued, on the book's time line, and by how much the device clock was behind it (when it was). */
export interface Stamp {
  readonly at: number;
  readonly behindMs?: number;
}

export const ZERO_SPLIT = { totalFen: 0, fundFen: 0, accountFen: 0, cashFen: 0 };

const MAX_ATTEMPTS = 16;

const isConflict = (error: unknown) => error instanceof StorageError && error.code === 'STORAGE_CONFLICT';

/** Checks the identity in `options` and sets up the book's state; reads nothing yet. */
export function createBookContext(options: InvoiceBookOptions): BookContext {
  const pharmacyCode = parseInput(InstitutionCodeSchema, options.pharmacyCode, {
    en: 'Pharmacy code',
    zh: '定点药店编码',
  });
  const terminalId = parseInput(IdSchema, options.terminalId, { en: 'Terminal id', zh: '终端编号' });
  const signers = new Map<string, Signer>();
  if (options.signer) signers.set(options.signer.keyId, options.signer);
  return {
    storage: options.storage,
    pharmacyCode,
    terminalId,
    chain: chainKey(pharmacyCode, terminalId),
    clock: options.clock ?? { now: () => Date.now() },
    timeoutMs: options.signTimeoutMs ?? 3000,
    options,
    keyOptions: {
      ...defined({ random: options.random, ed25519Fallback: options.ed25519Fallback }),
    },
    signers,
    deviceSecret: options.deviceSecret?.slice(),
    platformKey: undefined,
  };
}

/** `INVOICE_KEY_UNAVAILABLE`: the key cannot sign, and why. */
export function unavailable(keyId: string, why: { zh: string; en: string }, cause?: unknown): InvoiceError {
  return new InvoiceError('INVOICE_KEY_UNAVAILABLE', {
    message: `Terminal key ${keyId} cannot sign: ${why.en}`,
    messageZh: `终端密钥 ${keyId} 无法签名：${why.zh}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The key of a terminal key in store `invoiceKeys`. */
export const keyKey = (ctx: BookContext, keyId: string) => `${ctx.chain}/${keyId}`;

/** The chain's head as stored, with its revision. */
export const readHead = async (ctx: BookContext) => ctx.storage.get('invoiceChain', ctx.chain);

/** The head of a chain with nothing in it yet. */
export const fresh = (ctx: BookContext, keyId = ctx.options.signer?.keyId ?? UNENROLLED): InvoiceChainHead => ({
  seq: 0,
  hash: GENESIS_HASH,
  keyId,
});

/** The write that moves the head, guarded by the revision it was read at. */
export const putHead = (
  ctx: BookContext,
  head: InvoiceChainHead,
  rev: number | undefined,
): WriteOp<TerminalLayout> => ({
  op: 'put',
  store: 'invoiceChain',
  key: ctx.chain,
  value: head,
  expect: rev ?? null,
});

/**
 * Runs `attempt` until its batch commits; a conflict (another writer took the head) starts it over. The book's own
 * writes.
 */
export async function committing<T>(
  ctx: BookContext,
  attempt: () => Promise<{ ops: WriteOp<TerminalLayout>[]; result: T }>,
): Promise<T> {
  for (let i = 1; ; i++) {
    const { ops, result } = await attempt();
    try {
      await ctx.storage.write(ops);
      return result;
    } catch (error) {
      if (!isConflict(error) || i >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** A queue: calls run one at a time, in call order. */
export function queue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
