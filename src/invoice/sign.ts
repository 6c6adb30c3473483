/*
 * Issuing invoices: the invoice book of one terminal. Each invoice takes the next number and names the previous
 * record's hash; the head of the chain (last seq, last hash, signing key) and the new record are written in one
 * atomic batch guarded by the head's revision. So a crash leaves either both or neither (never a gap), and two
 * writers (two tabs, two processes on one database) can never both take a number (never a fork): the loser's
 * batch is refused and it starts over from the new head.
 *
 * A sale is never blocked by signing. When the key cannot sign (not enrolled, not unwrapped, the signer throws or
 * hangs past `signTimeoutMs`), the invoice is issued unsigned (`sig: null`) in its place in the chain, and the
 * receipt says so. The next time signing works (the next invoice, `catchUp()`, `unlock()`), a signed `catch-up`
 * record is issued first: built on the last unsigned receipt, it covers the whole run with one signature (what
 * the Austrian RKSV's Sammelbeleg does).
 */
import type { Ed25519Fallback, Signer } from '../crypto/index.js';
import type { TerminalLayout } from '../layout.js';
import type { PlatformClient } from '../platform/client.js';
import type { InvoiceBody, InvoiceLine, SignedInvoice, WrappedTerminalKey } from '../schemas/invoice.js';
import type { PaymentSplit } from '../schemas/sale.js';
import type { Storage, WriteOp } from '../storage.js';
import { exportInvoiceChain } from './export.js';
import { invoiceHash } from './hash.js';
import { generateTerminalKey, registerTerminalKey, unwrapTerminalKey } from './keys.js';
import { qrText, signQr } from './qr.js';
import { UNENROLLED, chainKey, recordKey, type InvoiceChainHead } from './records.js';
import type { InvoiceKey } from './verify.js';
import { InputError, InvoiceError, StorageError } from '../errors/areas.js';
import { parseInput } from '../schemas/parse.js';
import { IdSchema, InstitutionCodeSchema } from '../schemas/primitives.js';
import { GENESIS_HASH, InvoiceBodySchema } from '../schemas/invoice.js';
import { canonicalJson } from '../canonical-json.js';
import { toBase64Url } from '../crypto/index.js';
import { lineAmountFen } from '../money.js';


/** Options of {@link openInvoiceBook}. */
export interface InvoiceBookOptions {
  /** The terminal's storage, opened with `TERMINAL_NAMES`. */
  readonly storage: Storage<TerminalLayout>;
  /** `fixmedins_code` of the pharmacy. */
  readonly pharmacyCode: string;
  /** This terminal's id (`dev_no`). */
  readonly terminalId: string;
  /** The secret (≥ 16 random bytes from the device keystore) that unwraps this terminal's stored keys. */
  readonly deviceSecret?: Uint8Array;
  /** A signer to use for its key id instead of a stored key (an HSM, an OS keystore). */
  readonly signer?: Signer;
  /** @default Date.now */
  readonly clock?: { now(): number };
  /** Randomness for new keys. @default WebCrypto's getRandomValues */
  readonly random?: (n: number) => Uint8Array;
  /** Ed25519 where WebCrypto has none, for the book's keys: `tweetnaclEd25519` of `yibao-guard/ed25519-fallback`. */
  readonly ed25519Fallback?: Ed25519Fallback;
  /** How long a signature may take before the receipt goes out unsigned, in ms. @default 3000 */
  readonly signTimeoutMs?: number;
}

/**
 * What to issue. A sale needs lines and the payment split; a refund names the seq of the sale it refunds and its
 * own lines and split (what is paid back); a void names the seq of the sale and copies it whole.
 */
export interface InvoiceDraft {
  /** @default 'sale' */
  readonly kind?: 'sale' | 'refund' | 'void';
  readonly lines?: readonly InvoiceLine[];
  readonly split?: PaymentSplit;
  /** The platform's settlement id (`setl_id`). A refund or void defaults to its sale's. */
  readonly setlId?: string;
  /** Refund and void: the seq of the sale reversed (of this chain). */
  readonly reverses?: number;
}

/** An invoice as issued: the record, its hash, and the text for the receipt's QR code. */
export interface IssuedInvoice {
  readonly record: SignedInvoice;
  /** The record hash (YG01, YG02, the next invoice's `prevHash`). */
  readonly hash: string;
  readonly seq: number;
  /** False when the key could not sign: print the receipt marked 未签名 / UNSIGNED. */
  readonly signed: boolean;
  /** Why it is unsigned (`INVOICE_KEY_UNAVAILABLE`, with the signer's error as `cause`). */
  readonly signingError?: InvoiceError;
  /** The receipt's QR text (see `parseInvoiceQr`). */
  readonly qr: string;
  /** The catch-up record issued just before this invoice, closing an earlier run of unsigned receipts. */
  readonly catchUp?: { readonly record: SignedInvoice; readonly hash: string; readonly seq: number };
}

/**
 * One terminal's invoices: issuing, keys, export and upload. Calls are queued: one at a time per book, and
 * atomic against other books over the same storage.
 */
export interface InvoiceBook {
  readonly pharmacyCode: string;
  readonly terminalId: string;
  /**
   * A signer that always signs with the key the platform has registered (or, before any registration, the
   * current key): give it to `createPlatformClient` as `signer`, so that `cainfo` follows key rotations.
   */
  readonly signer: Signer;
  /** The chain's head: last seq and hash, current key, unsigned run. Undefined before anything happened. */
  head(): Promise<InvoiceChainHead | undefined>;
  /**
   * Makes, wraps and stores this terminal's first key, and registers it with the platform (YG04) when `platform`
   * is given (else call {@link InvoiceBook.registerKey} later). The key is enrolled before the platform is asked:
   * when registration fails the call rejects with the platform's error, the key stays, and `registerKey` finishes
   * the job. Refused once a key is enrolled: rotate instead. Receipts issued before enrolment are unsigned; the
   * first invoice after it closes them with a catch-up record.
   */
  enrolKey(options: { readonly keyId: string; readonly platform?: PlatformClient }): Promise<void>;
  /** Registers the current key with the platform (YG04, with the registered key's hand-over signature) if it is not yet. */
  registerKey(platform: PlatformClient): Promise<void>;
  /**
   * Rotates to a new key: makes and stores it (or takes `signer`), and issues a `key-rotation` record, signed by the
   * current key and naming the new one, in the same atomic batch as the switch; then registers the new key with the
   * platform when `platform` is given (YG04 with the old key's hand-over signature, sent under the old key's
   * `cainfo`). The chain rotates even when the platform cannot be reached: `signer` keeps signing requests with the
   * key the platform knows until `registerKey` succeeds. Refused (`INVOICE_KEY_UNAVAILABLE`) when the current key
   * cannot sign: a rotation must be vouched for by the key it replaces.
   */
  rotateKey(options: { readonly keyId: string; readonly platform?: PlatformClient; readonly signer?: Signer }): Promise<IssuedInvoice>;
  /** Issues an invoice: signed, or unsigned when the key cannot sign (never a refusal because of the key). */
  issue(draft: InvoiceDraft): Promise<IssuedInvoice>;
  /**
   * The book's part of a batch that issues an invoice, on the chain's head as it is now: the write operations (the
   * record, any catch-up record due before it, and the head moved on, guarded by the revision of the head read) and
   * the invoice they issue. Nothing is written: the caller writes `ops` in one atomic batch with whatever belongs
   * with the invoice (a sale, its outbox records). When that write fails with `STORAGE_CONFLICT` (another writer
   * took the head), nothing was issued: prepare again on the new head. Run it inside {@link InvoiceBook.exclusive},
   * so that the book's own calls do not race the batch for the head.
   *
   * @example
   * const receipt = await book.exclusive(async () => {
   *   const { ops, issued } = await book.prepare({ lines, split })
   *   await storage.write([...ops, { op: 'put', store: 'sales', key: saleId, value: { ...sale, invoiceSeq: issued.seq } }])
   *   return issued
   * })
   */
  prepare(draft: InvoiceDraft): Promise<{ readonly ops: WriteOp<TerminalLayout>[]; readonly issued: IssuedInvoice }>;
  /** Runs `task` with the book to itself: the book's calls (issue, rotation, catch-up) wait until it is done. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** Issues the catch-up record for unsigned receipts now, if there are any (else resolves undefined). */
  catchUp(): Promise<IssuedInvoice | undefined>;
  /** Makes a key usable again (the device secret, or a signer) and issues the catch-up record if one is due. */
  unlock(key: { readonly deviceSecret: Uint8Array } | { readonly signer: Signer }): Promise<IssuedInvoice | undefined>;
  /** The record of a seq. */
  get(seq: number): Promise<SignedInvoice | undefined>;
  /**
   * The receipt QR of an invoice, for a reprint: signed when the key it names can sign now (Ed25519 is
   * deterministic, so it is the QR printed at issue), unsigned otherwise; undefined for an unknown seq.
   */
  receiptQr(seq: number): Promise<string | undefined>;
  /** Records in order, after seq `after`. */
  records(options?: { readonly after?: number; readonly limit?: number }): Promise<SignedInvoice[]>;
  /** The public keys this chain is signed with, with their validity times: for inspectors and the export. */
  keys(): Promise<InvoiceKey[]>;
  /** The chain as a JSONL export for an inspector (see `exportInvoiceChain`), its header signed when the key can sign. */
  export(): Promise<string>;
  /**
   * Uploads (YG01), in order, every record not uploaded yet, and remembers how far it got (after each record, so a
   * failure resumes where it stopped; the platform accepts the same record twice). Runs apart from issuing: a sale
   * never waits for the network.
   */
  upload(platform: PlatformClient): Promise<{ readonly uploaded: number; readonly through: number }>;
}

const ZERO_SPLIT = { totalFen: 0, fundFen: 0, accountFen: 0, cashFen: 0 };

/** When a record is issued, on the book's time line, and by how much the device clock was behind it (when it was). */
interface Stamp {
  readonly at: number;
  readonly behindMs?: number;
}
const MAX_ATTEMPTS = 16;

const isConflict = (error: unknown) => error instanceof StorageError && error.code === 'STORAGE_CONFLICT';

function unavailable(keyId: string, why: { zh: string; en: string }, cause?: unknown): InvoiceError {
  return new InvoiceError('INVOICE_KEY_UNAVAILABLE', {
    message: `Terminal key ${keyId} cannot sign: ${why.en}`,
    messageZh: `终端密钥 ${keyId} 无法签名：${why.zh}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

function reversalError(en: string, zh: string): InvoiceError {
  return new InvoiceError('INVOICE_REVERSAL_INVALID', { message: en, messageZh: zh, field: 'reverses' });
}

/**
 * Opens the invoice book of a terminal over its storage. Nothing is written until the first call that changes
 * something.
 *
 * @example
 * const book = await openInvoiceBook({ storage, pharmacyCode: 'P22010100001', terminalId: 'T01', deviceSecret })
 * const head = await book.head()
 * if (!head || head.keyId === 'UNENROLLED') await book.enrolKey({ keyId: 'T01-K1' })
 * const platform = createPlatformClient({ ...options, signer: book.signer })
 * await book.registerKey(platform)
 * const receipt = await book.issue({ lines, split, setlId })
 * printer.print(receipt.signed ? receipt.qr : `未签名 / UNSIGNED\n${receipt.qr}`)
 */
export async function openInvoiceBook(options: InvoiceBookOptions): Promise<InvoiceBook> {
  const pharmacyCode = parseInput(InstitutionCodeSchema, options.pharmacyCode, { en: 'Pharmacy code', zh: '定点药店编码' });
  const terminalId = parseInput(IdSchema, options.terminalId, { en: 'Terminal id', zh: '终端编号' });
  const { storage } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const timeoutMs = options.signTimeoutMs ?? 3000;
  const chain = chainKey(pharmacyCode, terminalId);
  const keyKey = (keyId: string) => `${chain}/${keyId}`;
  const signers = new Map<string, Signer>();
  if (options.signer) signers.set(options.signer.keyId, options.signer);
  let deviceSecret = options.deviceSecret?.slice();
  /** What new keys are made with, besides their id, secret and date. */
  const keyOptions = { ...(options.random ? { random: options.random } : {}), ...(options.ed25519Fallback ? { ed25519Fallback: options.ed25519Fallback } : {}) };

  /** A queue: calls run one at a time, in call order. */
  const queue = () => {
    let tail: Promise<unknown> = Promise.resolve();
    return <T>(task: () => Promise<T>): Promise<T> => {
      const run = tail.then(task, task);
      tail = run.catch(() => undefined);
      return run;
    };
  };
  const serial = queue();
  // Uploads wait for the network: on a queue of their own, so that a sale never waits behind one.
  const uploads = queue();

  const readHead = async () => storage.get('invoiceChain', chain);
  const fresh = (keyId = options.signer?.keyId ?? UNENROLLED): InvoiceChainHead => ({ seq: 0, hash: GENESIS_HASH, keyId });

  async function signerFor(keyId: string): Promise<Signer> {
    const known = signers.get(keyId);
    if (known) return known;
    if (keyId === UNENROLLED) throw unavailable(keyId, { zh: '尚未登记终端密钥', en: 'no key is enrolled yet' });
    const stored = await storage.get('invoiceKeys', keyKey(keyId));
    if (!stored) throw unavailable(keyId, { zh: '本机没有该密钥', en: 'it is not stored on this terminal' });
    if (!deviceSecret) throw unavailable(keyId, { zh: '未提供设备密钥', en: 'no device secret was given' });
    const signer = await unwrapTerminalKey(stored.value, deviceSecret, options.ed25519Fallback);
    signers.set(keyId, signer);
    return signer;
  }

  /** The platform-facing key: the registered one, or the current one before any registration. */
  let platformKey: Signer | undefined;
  async function refreshPlatformKey(head: InvoiceChainHead | undefined): Promise<void> {
    const keyId = head?.registeredKeyId ?? (head && head.keyId !== UNENROLLED ? head.keyId : options.signer?.keyId);
    platformKey = keyId === undefined ? undefined : await signerFor(keyId).catch(() => undefined);
  }
  await refreshPlatformKey((await readHead())?.value);

  /** Signs a body, or says why it cannot: never throws, never waits longer than the timeout. */
  async function trySign(body: InvoiceBody): Promise<{ sig: string; signer: Signer } | { error: InvoiceError }> {
    let signer: Signer;
    try {
      signer = await signerFor(body.keyId);
    } catch (error) {
      return { error: error instanceof InvoiceError ? error : unavailable(body.keyId, { zh: '无法取得密钥', en: 'the key cannot be loaded' }, error) };
    }
    const timers = globalThis as { setTimeout?: (f: () => void, ms: number) => unknown; clearTimeout?: (id: unknown) => void };
    let timer: unknown;
    try {
      const signing = signer.sign(new TextEncoder().encode(canonicalJson(body)));
      const timeout = new Promise<never>((_, reject) => {
        timer = timers.setTimeout?.(() => reject(unavailable(body.keyId, { zh: `签名超过 ${timeoutMs} 毫秒未完成`, en: `signing took longer than ${timeoutMs} ms` })), timeoutMs);
      });
      const sig = await Promise.race([signing, timeout]);
      if (!(sig instanceof Uint8Array) || sig.length !== 64) throw unavailable(body.keyId, { zh: '签名器返回的不是 64 字节签名', en: 'the signer did not return a 64-byte signature' });
      return { sig: toBase64Url(sig), signer };
    } catch (error) {
      return { error: error instanceof InvoiceError ? error : unavailable(body.keyId, { zh: '签名器出错', en: 'the signer failed' }, error) };
    } finally {
      timers.clearTimeout?.(timer);
    }
  }

  interface Sealed {
    readonly record: SignedInvoice;
    readonly hash: string;
    /** The receipt QR's signature (null when the record could not be signed). */
    readonly qrSig: string | null;
    readonly error?: InvoiceError;
  }

  /** Signs (or, failing that, leaves unsigned) a body, hashes the record and signs its receipt QR. */
  async function seal(body: InvoiceBody, sign: boolean): Promise<Sealed> {
    const signed = sign ? await trySign(body) : undefined;
    const record: SignedInvoice = { body, sig: signed && 'sig' in signed ? signed.sig : null };
    const hash = await invoiceHash(record);
    const qrSig = signed && 'signer' in signed ? await signQr(record, hash, signed.signer) : null;
    return { record, hash, qrSig, ...(signed && 'error' in signed ? { error: signed.error } : {}) };
  }

  /**
   * The book's time: the latest issue time of its records and creation time of its keys (see
   * `InvoiceChainHead.time`; a head written before it was kept is read from its last record and current key).
   */
  async function bookTime(head: InvoiceChainHead | undefined): Promise<number> {
    if (!head) return 0;
    if (head.time !== undefined) return head.time;
    let time = head.seq > 0 ? ((await storage.get('invoices', recordKey(chain, head.seq)))?.value.body.issuedAt ?? 0) : 0;
    if (head.keyId !== UNENROLLED) time = Math.max(time, (await storage.get('invoiceKeys', keyKey(head.keyId)))?.value.createdAt ?? 0);
    return time;
  }

  /**
   * When something is issued on `head`: the device clock, or the book's time when the clock is behind it (issue
   * times never go backwards along the chain, so the key validity times, which are on the same time line, hold);
   * then by how much the clock was behind.
   */
  async function stampOf(head: InvoiceChainHead | undefined): Promise<Stamp> {
    const device = clock.now();
    const time = await bookTime(head);
    return device < time ? { at: time, behindMs: time - device } : { at: device };
  }

  const baseBody = (head: InvoiceChainHead, stamp: Stamp) => ({
    v: 1 as const,
    seq: head.seq + 1,
    issuedAt: stamp.at,
    ...(stamp.behindMs === undefined ? {} : { clockBehindMs: stamp.behindMs }),
    pharmacyCode,
    terminalId,
    prevHash: head.hash,
    keyId: head.keyId,
  });
  const after = (head: InvoiceChainHead, sealed: Sealed): InvoiceChainHead => {
    const { unsignedFrom: _, ...rest } = head;
    const unsignedFrom = sealed.record.sig === null ? (head.unsignedFrom ?? sealed.record.body.seq) : undefined;
    return { ...rest, seq: sealed.record.body.seq, hash: sealed.hash, time: sealed.record.body.issuedAt, ...(unsignedFrom === undefined ? {} : { unsignedFrom }) };
  };
  const putRecord = (sealed: Sealed): WriteOp<TerminalLayout> => ({ op: 'put', store: 'invoices', key: recordKey(chain, sealed.record.body.seq), value: sealed.record, expect: null });
  const putHead = (head: InvoiceChainHead, rev: number | undefined): WriteOp<TerminalLayout> => ({ op: 'put', store: 'invoiceChain', key: chain, value: head, expect: rev ?? null });

  /** The catch-up record due on `head`, signed, or undefined when none is due or signing still fails. */
  async function dueCatchUp(head: InvoiceChainHead, stamp: Stamp): Promise<Sealed | undefined> {
    if (head.unsignedFrom === undefined || head.keyId === UNENROLLED) return undefined;
    const body = parseBody({ ...baseBody(head, stamp), kind: 'catch-up', lines: [], split: ZERO_SPLIT, covers: { from: head.unsignedFrom, to: head.seq } });
    return seal(body, true);
  }

  const issued = (sealed: Sealed, catchUp?: Sealed): IssuedInvoice => ({
    record: sealed.record,
    hash: sealed.hash,
    seq: sealed.record.body.seq,
    signed: sealed.record.sig !== null,
    ...(sealed.error ? { signingError: sealed.error } : {}),
    qr: qrText(sealed.record, sealed.hash, sealed.qrSig),
    ...(catchUp ? { catchUp: { record: catchUp.record, hash: catchUp.hash, seq: catchUp.record.body.seq } } : {}),
  });

  /** Runs `attempt` until its batch commits; a conflict (another writer took the head) starts it over. The book's own writes. */
  async function committing<T>(attempt: () => Promise<{ ops: WriteOp<TerminalLayout>[]; result: T }>): Promise<T> {
    for (let i = 1; ; i++) {
      const { ops, result } = await attempt();
      try {
        await storage.write(ops);
        return result;
      } catch (error) {
        if (!isConflict(error) || i >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  async function draftFields(draft: InvoiceDraft): Promise<Omit<InvoiceBody, 'v' | 'seq' | 'issuedAt' | 'pharmacyCode' | 'terminalId' | 'prevHash' | 'keyId'>> {
    if (typeof draft !== 'object' || draft === null) throw new InputError('INVALID_INPUT', { message: 'An invoice draft is an object', messageZh: '开票内容应为对象', field: 'draft' });
    const kind = draft.kind ?? 'sale';
    if (kind !== 'sale' && kind !== 'refund' && kind !== 'void') throw new InputError('INVALID_INPUT', { message: 'An invoice draft is a sale, refund or void', messageZh: '只能开具销售、退费或作废票据', field: 'kind' });
    if (kind === 'sale') {
      if (draft.reverses !== undefined) throw new InputError('INVALID_INPUT', { message: 'A sale reverses nothing', messageZh: '销售票据不能指定冲回的原票据', field: 'reverses' });
      return { kind, lines: checkLines(draft.lines), split: draft.split as PaymentSplit, ...(draft.setlId === undefined ? {} : { setlId: draft.setlId }) };
    }
    const seq = draft.reverses;
    if (seq === undefined || !Number.isSafeInteger(seq) || seq < 1) throw reversalError(`A ${kind} must name the seq of the sale it reverses`, `${kind === 'void' ? '作废' : '退费'}须指定原销售票据的序号`);
    const original = (await storage.get('invoices', recordKey(chain, seq)))?.value;
    if (!original) throw reversalError(`There is no invoice ${seq} on this terminal to ${kind}`, `本终端没有第 ${seq} 号票据，无法${kind === 'void' ? '作废' : '退费'}`);
    if (original.body.kind !== 'sale') throw reversalError(`Invoice ${seq} is a ${original.body.kind}, not a sale`, `第 ${seq} 号不是销售票据，不能${kind === 'void' ? '作废' : '退费'}`);
    let reversed = 0;
    for (const later of await storage.list('invoices', { prefix: `${chain}/`, after: recordKey(chain, seq) })) {
      if (later.value.body.reverses?.seq === seq) reversed += later.value.body.split.totalFen;
    }
    const total = original.body.split.totalFen;
    const lines = kind === 'void' ? original.body.lines : checkLines(draft.lines ?? []);
    const split = kind === 'void' ? original.body.split : (draft.split as PaymentSplit);
    if (kind === 'void' ? reversed > 0 : reversed + (split?.totalFen ?? 0) > total) {
      throw reversalError(
        `Invoice ${seq} (${total} fen) is already reversed by ${reversed} fen: ${kind === 'void' ? 'refund the rest instead of voiding it' : 'this refund would exceed it'}`,
        `第 ${seq} 号（${(total / 100).toFixed(2)} 元）已冲回 ${(reversed / 100).toFixed(2)} 元，${kind === 'void' ? '不能再作废，请退剩余部分' : '本次退费将超出原金额'}`,
      );
    }
    const setlId = draft.setlId ?? original.body.setlId;
    return { kind, lines, split, reverses: { seq, hash: await invoiceHash(original) }, ...(setlId === undefined ? {} : { setlId }) };
  }

  const book: InvoiceBook = {
    pharmacyCode,
    terminalId,
    signer: {
      get keyId() {
        return platformKey?.keyId ?? options.signer?.keyId ?? UNENROLLED;
      },
      algorithm: 'ED25519',
      get publicKey() {
        return platformKey?.publicKey ?? new Uint8Array(32);
      },
      sign: async (message) => {
        if (!platformKey) throw unavailable(UNENROLLED, { zh: '尚未登记终端密钥', en: 'no key is enrolled yet' });
        return platformKey.sign(message);
      },
    },

    head: async () => (await readHead())?.value,

    enrolKey: ({ keyId, platform }) =>
      serial(async () => {
        const before = await readHead();
        if (before && before.value.keyId !== UNENROLLED) {
          throw new InputError('INVALID_INPUT', {
            message: `Terminal ${terminalId} already has key ${before.value.keyId}: rotate it instead`,
            messageZh: `终端 ${terminalId} 已有密钥 ${before.value.keyId}，请改用密钥更换`,
            field: 'keyId',
          });
        }
        if (!deviceSecret) throw unavailable(keyId, { zh: '未提供设备密钥，无法加密保存新密钥', en: 'no device secret to wrap the new key with' });
        const { wrapped, signer } = await generateTerminalKey({ keyId, deviceSecret, now: clock.now(), ...keyOptions });
        await committing(async () => {
          const current = await readHead();
          // The key is dated on the book's time line: it signs from then on, and no record after it is dated earlier.
          const { at } = await stampOf(current?.value);
          const head: InvoiceChainHead = { ...(current?.value ?? fresh()), keyId, time: at };
          return { ops: [{ op: 'put', store: 'invoiceKeys', key: keyKey(keyId), value: { ...wrapped, createdAt: at }, expect: null }, putHead(head, current?.rev)], result: undefined };
        });
        signers.set(keyId, signer);
        await refreshPlatformKey((await readHead())?.value);
        if (platform) await registerPending(platform);
      }),

    registerKey: (platform) => serial(() => registerPending(platform)),

    rotateKey: ({ keyId, platform, signer: given }) =>
      serial(async () => {
        parseInput(IdSchema, keyId, { en: 'Key id', zh: '密钥编号' });
        const start = (await readHead())?.value;
        if (!start || start.keyId === UNENROLLED) throw unavailable(keyId, { zh: '尚无可更换的密钥，请先登记', en: 'there is no key to rotate: enrol one first' });
        if (start.keyId === keyId || (await storage.get('invoiceKeys', keyKey(keyId)))) {
          throw new InputError('INVALID_INPUT', { message: `Key id ${keyId} was already used on this terminal`, messageZh: `密钥编号 ${keyId} 在本终端已使用过`, field: 'keyId' });
        }
        let wrapped: WrappedTerminalKey | undefined;
        let next = given;
        if (!next) {
          if (!deviceSecret) throw unavailable(keyId, { zh: '未提供设备密钥，无法加密保存新密钥', en: 'no device secret to wrap the new key with' });
          ({ wrapped, signer: next } = await generateTerminalKey({ keyId, deviceSecret, now: clock.now(), ...keyOptions }));
        }
        const nextSigner = next;
        const result = await committing(async () => {
          const current = await readHead();
          let head = current?.value ?? start;
          const stamp = await stampOf(head);
          const now = stamp.at;
          const ops: WriteOp<TerminalLayout>[] = [];
          const catchUp = await dueCatchUp(head, stamp);
          if (catchUp && !catchUp.error) {
            ops.push(putRecord(catchUp));
            head = after(head, catchUp);
          }
          const body = parseBody({ ...baseBody(head, stamp), kind: 'key-rotation', lines: [], split: ZERO_SPLIT, newKey: { keyId, publicKey: toBase64Url(nextSigner.publicKey) } });
          const sealed = await seal(body, true);
          if (sealed.error) throw sealed.error;
          ops.push(putRecord(sealed));
          const old = await storage.get('invoiceKeys', keyKey(head.keyId));
          if (old) ops.push({ op: 'put', store: 'invoiceKeys', key: old.key, value: { ...old.value, retiredAt: now }, expect: old.rev });
          if (wrapped) ops.push({ op: 'put', store: 'invoiceKeys', key: keyKey(keyId), value: { ...wrapped, createdAt: now }, expect: null });
          ops.push(putHead({ ...after(head, sealed), keyId }, current?.rev));
          return { ops, result: issued(sealed, catchUp && !catchUp.error ? catchUp : undefined) };
        });
        signers.set(keyId, nextSigner);
        await refreshPlatformKey((await readHead())?.value);
        if (platform) await registerPending(platform);
        return result;
      }),

    issue: (draft) =>
      serial(() =>
        committing(async () => {
          const { ops, issued } = await prepareIssue(draft);
          return { ops, result: issued };
        }),
      ),

    prepare: (draft) => prepareIssue(draft),

    exclusive: (task) => serial(task),

    catchUp: () => serial(catchUpNow),

    unlock: (key) =>
      serial(async () => {
        if ('signer' in key) signers.set(key.signer.keyId, key.signer);
        else deviceSecret = key.deviceSecret.slice();
        await refreshPlatformKey((await readHead())?.value);
        return catchUpNow();
      }),

    get: async (seq) => (await storage.get('invoices', recordKey(chain, seq)))?.value,

    receiptQr: async (seq) => {
      const record = await book.get(seq);
      if (!record) return undefined;
      const hash = await invoiceHash(record);
      return qrText(record, hash, await signQr(record, hash, await signerFor(record.body.keyId).catch(() => undefined)));
    },

    records: async ({ after: from = 0, limit } = {}) =>
      (await storage.list('invoices', { prefix: `${chain}/`, ...(from > 0 ? { after: recordKey(chain, from) } : {}), ...(limit === undefined ? {} : { limit }) })).map((r) => r.value),

    keys: async () => {
      const stored = await storage.list('invoiceKeys', { prefix: `${chain}/` });
      const keys: InvoiceKey[] = stored.map(({ value }) => ({
        keyId: value.keyId,
        publicKey: value.publicKey,
        validFrom: value.createdAt,
        ...(value.retiredAt === undefined ? {} : { validUntil: value.retiredAt }),
      }));
      for (const signer of signers.values()) {
        if (!keys.some((k) => k.keyId === signer.keyId)) keys.push({ keyId: signer.keyId, publicKey: toBase64Url(signer.publicKey) });
      }
      return keys;
    },

    export: async () => {
      const head = (await readHead())?.value;
      const records = await book.records();
      let signer: Signer | undefined;
      if (head && head.keyId !== UNENROLLED) signer = await signerFor(head.keyId).catch(() => undefined);
      return exportInvoiceChain({ pharmacyCode, terminalId, records, keys: await book.keys(), exportedAt: clock.now(), ...(signer ? { signer } : {}) });
    },

    upload: (platform) => uploads(async () => {
      const mark = await storage.get('invoiceUploads', chain);
      let through = mark?.value.through ?? 0;
      let rev = mark?.rev;
      let uploaded = 0;
      for (const record of await book.records({ after: through })) {
        const hash = await invoiceHash(record);
        await platform.uploadInvoice({ invoice: { terminal_id: terminalId, seq: record.body.seq, hash, record } });
        through = record.body.seq;
        const [receipt] = await storage.write([{ op: 'put', store: 'invoiceUploads', key: chain, value: { through }, expect: rev ?? null }]);
        rev = receipt?.op === 'put' ? receipt.rev : undefined;
        uploaded += 1;
      }
      return { uploaded, through };
    }),
  };

  /** The ops that issue `draft` on the head as it is now, and the invoice they issue (see `InvoiceBook.prepare`). */
  async function prepareIssue(draft: InvoiceDraft): Promise<{ ops: WriteOp<TerminalLayout>[]; issued: IssuedInvoice }> {
    const fields = await draftFields(draft);
    const current = await readHead();
    let head = current?.value ?? fresh();
    const stamp = await stampOf(current?.value);
    const ops: WriteOp<TerminalLayout>[] = [];
    const catchUp = await dueCatchUp(head, stamp);
    if (catchUp && !catchUp.error) {
      ops.push(putRecord(catchUp));
      head = after(head, catchUp);
    }
    const body = parseBody({ ...baseBody(head, stamp), ...fields });
    // When the catch-up could not be signed, the key is down: do not wait for it a second time.
    const sealed = catchUp?.error ? { ...(await seal(body, false)), error: catchUp.error } : await seal(body, head.keyId !== UNENROLLED);
    const unsignedError = sealed.record.sig === null && !sealed.error ? unavailable(head.keyId, { zh: '尚未登记终端密钥', en: 'no key is enrolled yet' }) : sealed.error;
    ops.push(putRecord(sealed), putHead(after(head, sealed), current?.rev));
    return { ops, issued: issued({ ...sealed, ...(unsignedError ? { error: unsignedError } : {}) }, catchUp && !catchUp.error ? catchUp : undefined) };
  }

  async function catchUpNow(): Promise<IssuedInvoice | undefined> {
    return committing(async () => {
      const current = await readHead();
      const head = current?.value;
      const sealed = head ? await dueCatchUp(head, await stampOf(head)) : undefined;
      if (!head || !sealed) return { ops: [], result: undefined };
      if (sealed.error) throw sealed.error;
      return { ops: [putRecord(sealed), putHead(after(head, sealed), current?.rev)], result: issued(sealed) };
    });
  }

  async function registerPending(platform: PlatformClient): Promise<void> {
    const head = (await readHead())?.value;
    if (!head || head.keyId === UNENROLLED || head.registeredKeyId === head.keyId) return;
    const key = await signerFor(head.keyId);
    const previous = head.registeredKeyId === undefined ? undefined : await signerFor(head.registeredKeyId);
    const stored = await storage.get('invoiceKeys', keyKey(head.keyId));
    await registerTerminalKey(platform, { terminalId, key, ...(previous ? { previous } : {}), begntime: stored?.value.createdAt ?? (await stampOf(head)).at });
    await committing(async () => {
      const current = await readHead();
      const value = current?.value ?? head;
      return { ops: [putHead({ ...value, registeredKeyId: head.keyId }, current?.rev)], result: undefined };
    });
    await refreshPlatformKey((await readHead())?.value);
  }

  return book;
}

function parseBody(body: unknown): InvoiceBody {
  return parseInput(InvoiceBodySchema, body, { en: 'Invoice', zh: '票据' });
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
        message: `Invoice line ${i}: amountFen ${line.amountFen} is not quantity × unit price (${expected})`,
        messageZh: `票据第 ${i + 1} 行金额与数量×单价（${expected} 分）不符`,
        field: `lines.${i}.amountFen`,
      });
    }
    return line;
  });
}
