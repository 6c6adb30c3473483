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
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { PlatformClient } from '../platform/client.js';
import type { InvoiceLine, SignedInvoice } from '../schemas/invoice.js';
import type { PaymentSplit } from '../schemas/sale.js';
import type { Storage, WriteOp } from '../storage/contract.js';
import type { InvoiceChainHead } from './records.js';
import type { InvoiceKey } from './verify.js';
import { committing, createBookContext, queue, readHead, unavailable } from './book-context.js';
import { catchUpNow, prepareIssue } from './book-issue.js';
import { enrolKey, registerPending, rotateKey } from './book-keys.js';
import { chainKeys, exportChain, getRecord, listRecords, receiptQr, uploadRecords } from './book-records.js';
import { refreshPlatformKey } from './book-seal.js';
import { UNENROLLED } from './records.js';
import type { InvoiceError } from '../errors/areas.js';

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
  /**
   * Registers the current key with the platform (YG04, with the registered key's hand-over signature) if it is not yet.
   */
  registerKey(platform: PlatformClient): Promise<void>;
  /**
   * Rotates to a new key: makes and stores it (or takes `signer`), and issues a `key-rotation` record, signed by the
   * current key and naming the new one, in the same atomic batch as the switch; then registers the new key with the
   * platform when `platform` is given (YG04 with the old key's hand-over signature, sent under the old key's
   * `cainfo`). The chain rotates even when the platform cannot be reached: `signer` keeps signing requests with the
   * key the platform knows until `registerKey` succeeds. Refused (`INVOICE_KEY_UNAVAILABLE`) when the current key
   * cannot sign: a rotation must be vouched for by the key it replaces.
   */
  rotateKey(options: {
    readonly keyId: string;
    readonly platform?: PlatformClient;
    readonly signer?: Signer;
  }): Promise<IssuedInvoice>;
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
   *   await storage.write([...ops, { op: 'put', store: 'sales', key: saleId, value: { ...sale, invoiceSeq: issued.seq }
   *   }])
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
  /**
   * The chain as a JSONL export for an inspector (see `exportInvoiceChain`), its header signed when the key can sign.
   */
  export(): Promise<string>;
  /**
   * Uploads (YG01), in order, every record not uploaded yet, and remembers how far it got (after each record, so a
   * failure resumes where it stopped; the platform accepts the same record twice). Runs apart from issuing: a sale
   * never waits for the network.
   */
  upload(platform: PlatformClient): Promise<{ readonly uploaded: number; readonly through: number }>;
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
  const ctx = createBookContext(options);
  const serial = queue();
  // Uploads wait for the network: on a queue of their own, so that a sale never waits behind one.
  const uploads = queue();
  await refreshPlatformKey(ctx, (await readHead(ctx))?.value);

  const book: InvoiceBook = {
    pharmacyCode: ctx.pharmacyCode,
    terminalId: ctx.terminalId,
    signer: {
      get keyId() {
        return ctx.platformKey?.keyId ?? options.signer?.keyId ?? UNENROLLED;
      },
      algorithm: 'ED25519',
      get publicKey() {
        return ctx.platformKey?.publicKey ?? new Uint8Array(32);
      },
      sign: async (message) => {
        if (!ctx.platformKey) throw unavailable(UNENROLLED, { zh: '尚未登记终端密钥', en: 'no key is enrolled yet' });
        return ctx.platformKey.sign(message);
      },
    },

    head: async () => (await readHead(ctx))?.value,

    enrolKey: ({ keyId, platform }) => serial(() => enrolKey(ctx, keyId, platform)),

    registerKey: (platform) => serial(() => registerPending(ctx, platform)),

    rotateKey: ({ keyId, platform, signer }) => serial(() => rotateKey(ctx, keyId, platform, signer)),

    issue: (draft) =>
      serial(() =>
        committing(ctx, async () => {
          const { ops, issued } = await prepareIssue(ctx, draft);
          return { ops, result: issued };
        }),
      ),

    prepare: (draft) => prepareIssue(ctx, draft),

    exclusive: (task) => serial(task),

    catchUp: () => serial(() => catchUpNow(ctx)),

    unlock: (key) =>
      serial(async () => {
        if ('signer' in key) ctx.signers.set(key.signer.keyId, key.signer);
        else ctx.deviceSecret = key.deviceSecret.slice();
        await refreshPlatformKey(ctx, (await readHead(ctx))?.value);
        return catchUpNow(ctx);
      }),

    get: (seq) => getRecord(ctx, seq),

    receiptQr: (seq) => receiptQr(ctx, seq),

    records: (range) => listRecords(ctx, range),

    keys: () => chainKeys(ctx),

    export: () => exportChain(ctx),

    upload: (platform) => uploads(() => uploadRecords(ctx, platform)),
  };
  return book;
}
