/*
 * Verification of one invoice, a chain of them, or a receipt's QR code, for tills, inspectors and the CLI. A till
 * that only issues invoices never references it, so its bundler leaves the report texts (verify-texts.ts) out.
 *
 * How a chain is read. Every record names its predecessor by hash (`prevHash`) and carries a number (`seq`). The
 * hash links say which record really follows which, whatever the numbers or the order in the file say; the
 * signatures say which records are as their key signed them. From the two:
 *
 * - `malformed`: not JSON, not in canonical form (an export line), or not an invoice (schema).
 * - `bad-signature`: the signature does not verify, and the chain is built on the record exactly as it is (a
 *   later record names its hash), or nothing follows it: signed with another key, or forged.
 * - `altered`: the record is not the one the next record was built on: its signature fails and the next invoice's
 *   `prevHash` names something else (changed after the next invoice was issued); or, with a valid signature, the
 *   next number is chained to a different record of this number (replaced and re-signed by a key holder). An
 *   unsigned receipt changed later is caught the same way.
 * - `deleted`: a record's predecessor is missing and the numbers between are missing too (records taken out of
 *   the file). Also at the start (the chain does not begin at its first number) and at the end (fewer records
 *   than the signed export header or the platform says).
 * - `gap`: numbers are missing but the hash chain is whole: the issuing terminal skipped them (or someone who
 *   holds the key deleted records and re-chained the rest without renumbering).
 * - `inserted`: a record that no later record is built on, sitting where the records around it link to each
 *   other directly: taking it out leaves a whole chain. (The detail says when it also repeats a number.)
 * - `duplicate`: the same record twice, or a number issued twice (two records built one on the other with the
 *   same seq, or two records claiming the same predecessor at the end of the chain).
 * - `reordered`: every record is there and links, but not in chain order: the records off the longest run in
 *   ascending order are reported, and the chain is then checked in its true order.
 * - `unknown-reversal` / `excess-reversal`: a refund or void naming no earlier sale of the chain (by seq and hash),
 *   or reversing more than the sale's total.
 * - `key-not-valid`: signed by a key that is not known (not given, not introduced by a verified rotation record),
 *   used outside its place in the chain (after the rotation that retired it, or before the one that introduced
 *   it), or outside the validity times given for it. Those are judged on the chain's time line: a record was
 *   signed no earlier than the records it is built on, so its time is the latest `issuedAt` among them and itself
 *   (a till whose clock was set back dated it earlier; the report lists such records in `clockBehind`).
 * - `unsigned`: issued while the key was unavailable and not closed by a signed catch-up record built on it.
 *
 * Breaks that an alteration already explains are not reported twice: a record whose signature fails, or a
 * malformed line between two records, accounts for the broken link next to it.
 */
import type { SignedInvoice } from '../schemas/invoice.js';
import { invoiceQrSigningText } from './hash.js';
import { parseInvoiceQr, type InvoiceQr } from './qr.js';
import { ed25519Verifier, type Ed25519Choice } from './webcrypto.js';
import { checkKeys, keyValidity, outsideValidity, rotationKeys, trustKeys, type TrustedKey } from './verify-keys.js';
import { addIssue, isStart, type Node, type VerifyContext } from './verify-nodes.js';
import { checkRecords, readEntries, utf8 } from './verify-read.js';
import { structure } from './verify-structure.js';
import { texts } from './verify-texts.js';
import { InputError } from '../errors/areas.js';
import { SignedInvoiceSchema } from '../schemas/invoice.js';
import { isYibaoGuardError } from '../errors/base.js';
import { fromBase64Url } from '../crypto/index.js';

/** What can be wrong with an invoice or a chain; see the module comment for how each is told apart. */
export type InvoiceIssueKind =
  | 'bad-signature'
  | 'altered'
  | 'gap'
  | 'duplicate'
  | 'reordered'
  | 'deleted'
  | 'inserted'
  | 'unknown-reversal'
  | 'excess-reversal'
  | 'key-not-valid'
  | 'unsigned'
  | 'malformed';

/** A message in both languages: Chinese for staff and inspectors, English for developers and logs. */
export interface InvoiceText {
  readonly zh: string;
  readonly en: string;
}

/** One problem, where it is. */
export interface InvoiceIssue {
  readonly kind: InvoiceIssueKind;
  /**
   * The position of the record at fault in what was verified (0-based; for an export, the record lines after the
   * header). For `deleted`, the record after the hole, or the number of records when records are missing at the
   * end. -1 for an export's header.
   */
  readonly index: number;
  /** The invoice number the problem is about: the record's seq, or the first missing number for `deleted` and `gap`. */
  readonly seq: number | null;
  readonly detail: InvoiceText;
}

/**
 * A terminal's public key as a verifier trusts it: from the platform's registry (YG04), an inspector's own
 * records, or (less strongly) an export's header. Validity times are optional; when given, an invoice issued
 * outside them is `key-not-valid`.
 */
export interface InvoiceKey {
  readonly keyId: string;
  /** Ed25519 public key, base64url (43 characters). */
  readonly publicKey: string;
  /** Epoch ms from which the key signs (YG04 `begntime`). */
  readonly validFrom?: number | undefined;
  /** Epoch ms after which it no longer signs (its rotation's time). */
  readonly validUntil?: number | undefined;
}

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions extends Ed25519Choice {
  /**
   * Where the chain starts: its first record's seq and the hash that record names as predecessor.
   * @default { seq: 1, prevHash: GENESIS_HASH }
   */
  readonly from?: { readonly seq: number; readonly prevHash: string };
  /** Verify a stretch that may start anywhere: nothing is reported missing before the first record. @default false */
  readonly partial?: boolean;
  /**
   * The chain's last record as known from elsewhere (a signed export header, the platform): records missing after the
   * last one are `deleted`.
   */
  readonly head?: { readonly seq: number; readonly hash: string };
}

/** What {@link verifyChain} found. */
export interface ChainReport {
  /** True when there is no issue at all. */
  readonly ok: boolean;
  /** Every problem, by position. */
  readonly issues: readonly InvoiceIssue[];
  /** Records examined. */
  readonly count: number;
  /** Lowest and highest seq among readable records. */
  readonly first?: number;
  readonly last?: number;
  /** Seq and record hash of the chain's last record: compare with the platform (YG02) or the till. */
  readonly head?: { readonly seq: number; readonly hash: string };
  /** Records with a signature that verifies. */
  readonly signed: number;
  /** Unsigned receipts, and how many of them a valid catch-up record covers. */
  readonly unsigned: number;
  readonly unsignedCovered: number;
  /** The keys the chain was checked with: given, or introduced by a verified rotation record. */
  readonly keys: readonly {
    readonly keyId: string;
    readonly publicKey: string;
    readonly source: 'given' | 'rotation';
  }[];
  /**
   * Records issued while the device clock was behind the chain's time (a clock set back: suspicious in itself, not
   * an issue of the chain): by the record's own account (`clockBehindMs`), or dated before a record it is built on
   * (a till that did not keep issue times monotonic). `behindMs`: how far the device clock was behind.
   */
  readonly clockBehind: readonly { readonly index: number; readonly seq: number; readonly behindMs: number }[];
  /** The Ed25519 that verified: `'webcrypto'`, or the fallback's name. */
  readonly backend: string;
}

/** What {@link verifyInvoice} found about one record. */
export interface InvoiceReport {
  readonly ok: boolean;
  readonly issues: readonly InvoiceIssue[];
  /** Its record hash (what YG02 and the next record's `prevHash` name), when it could be read. */
  readonly hash: string | null;
  /** The record, parsed, when it could be. */
  readonly invoice?: SignedInvoice;
  /** The Ed25519 that verified: `'webcrypto'`, or the fallback's name. */
  readonly backend: string;
}

/** What {@link verifyInvoiceQr} found about a receipt's QR code. */
export interface InvoiceQrReport {
  readonly ok: boolean;
  readonly issues: readonly InvoiceIssue[];
  /** The QR's fields, when it could be read. */
  readonly qr?: InvoiceQr;
  /** The Ed25519 that verified: `'webcrypto'`, or the fallback's name. */
  readonly backend: string;
}

/**
 * One record to verify: its value, and for an export line its text (which must be the value's canonical JSON), or
 * why it could not be read at all.
 */
export interface ChainEntry {
  readonly value?: unknown;
  readonly text?: string;
  readonly problem?: InvoiceText;
}

/**
 * Verifies a chain of signed invoice records, in the order given (an export's order, a journal's): signatures,
 * keys, hash links, numbering, order, reversals and unsigned receipts. Never throws for what is in `records`:
 * every problem is an issue of the report, with its position and seq; bad `keys` throw `InputError`.
 *
 * Keys are trust anchors: give the keys the platform registered (YG04) or at least the chain's first key; a key
 * introduced by a `key-rotation` record signed by a trusted key is trusted from that record on.
 *
 * @example
 * const report = await verifyChain(records, [{ keyId: 'T01-K1', publicKey }])
 * if (!report.ok) for (const issue of report.issues) console.log(issue.seq, issue.kind, issue.detail.zh)
 */
export async function verifyChain(
  records: readonly unknown[],
  keys: readonly InvoiceKey[],
  options: VerifyChainOptions = {},
): Promise<ChainReport> {
  if (!Array.isArray(records))
    throw new InputError('INVALID_INPUT', {
      message: 'verifyChain takes an array of records',
      messageZh: 'verifyChain 的参数必须是票据记录数组',
      field: 'records',
    });
  return verifyEntries(
    records.map((value) => ({ value })),
    keys,
    options,
  );
}

/**
 * Verifies one signed invoice record on its own: form, signature and key (a chain's links, numbering and
 * reversals need {@link verifyChain}). An unsigned receipt is reported `unsigned`.
 *
 * @example
 * const { ok, hash, issues } = await verifyInvoice(record, [{ keyId: 'T01-K1', publicKey }])
 */
export async function verifyInvoice(
  record: unknown,
  keys: readonly InvoiceKey[],
  options: Ed25519Choice = {},
): Promise<InvoiceReport> {
  const report = await verifyEntries([{ value: record }], keys, { ...options, partial: true }, true);
  const parsed = SignedInvoiceSchema.safeParse(record);
  return {
    ok: report.ok,
    issues: report.issues,
    hash: report.head?.hash ?? null,
    ...(parsed.success ? { invoice: parsed.data } : {}),
    backend: report.backend,
  };
}

/**
 * Verifies a receipt's QR code on its own: that it reads, is signed, and that the signature verifies with the
 * named key over the QR's own fields. Whether the platform holds that invoice is a YG02 call with the QR's
 * pharmacy, terminal, seq and hash.
 *
 * @example
 * const { ok, qr, issues } = await verifyInvoiceQr(scanned, [{ keyId: 'T01-K1', publicKey }])
 */
export async function verifyInvoiceQr(
  text: string,
  keys: readonly InvoiceKey[],
  options: Ed25519Choice = {},
): Promise<InvoiceQrReport> {
  const given = checkKeys(keys);
  const verifier = await ed25519Verifier(options);
  let qr: InvoiceQr;
  try {
    qr = parseInvoiceQr(text);
  } catch (error) {
    if (!isYibaoGuardError(error)) throw error;
    return {
      ok: false,
      issues: [{ kind: 'malformed', index: 0, seq: null, detail: { zh: error.messageZh, en: error.message } }],
      backend: verifier.backend,
    };
  }
  const issues: InvoiceIssue[] = [];
  const at = (kind: InvoiceIssueKind, detail: InvoiceText) => issues.push({ kind, index: 0, seq: qr.seq, detail });
  const key = given.get(qr.keyId);
  if (qr.sig === null) at('unsigned', texts.unsignedReceipt());
  else if (!key) at('key-not-valid', texts.unknownKey(qr.keyId));
  else {
    const timeProblem = outsideValidity(key, qr.issuedAt);
    if (timeProblem) at('key-not-valid', timeProblem);
    const message = utf8(invoiceQrSigningText(qr));
    if (!(await verifier.verify(key.publicKey, fromBase64Url(qr.sig), message)))
      at('bad-signature', texts.badQrSignature(qr.keyId));
  }
  return { ok: issues.length === 0, issues, qr, backend: verifier.backend };
}

/**
 * The verification behind {@link verifyChain}, over entries that may carry their export line's text. `single`
 * checks each record alone (form, key, signature; no links, numbering or reversals).
 */
export async function verifyEntries(
  entries: readonly ChainEntry[],
  keys: readonly InvoiceKey[],
  options: VerifyChainOptions = {},
  single = false,
): Promise<ChainReport> {
  const given = checkKeys(keys);
  const verifier = await ed25519Verifier(options);
  const ctx: VerifyContext = { entries, options, single, given, verifier, issues: [], malformedAt: [] };

  // 1. Read every entry: schema, canonical form; then the record and body hashes.
  const readable = readEntries(ctx);
  // 2. Keys: the given ones, and those rotation records introduce; then every hash and signature, in one pass.
  const rotation = rotationKeys(readable.map((r) => r.record.body));
  const publicKeyOf = (keyId: string) => given.get(keyId)?.publicKey ?? rotation.introduced.get(keyId)?.publicKey;
  const nodes = await checkRecords(ctx, readable, publicKeyOf);
  const trusted = trustKeys(ctx, nodes, rotation);
  const { timeOf, keyFaults } = keyValidity(ctx, nodes, rotation, trusted);

  const order = single ? nodes.slice() : structure(ctx, nodes);
  signatureIssues(ctx, nodes, order);
  const covered = unsignedIssues(ctx, order, keyFaults);
  ctx.issues.sort((a, b) => a.index - b.index);
  return chainReport(ctx, { nodes, order, covered, trusted, timeOf });
}

/** Signatures that fail: signed so (the chain is built on the record as it is), or changed afterwards. */
function signatureIssues(ctx: VerifyContext, nodes: readonly Node[], order: readonly Node[]): void {
  const position = new Map(order.map((n, i) => [n, i]));
  for (const n of nodes) {
    if (n.sig !== 'bad' || n.removed) continue;
    const next = order[(position.get(n) ?? -2) + 1];
    const chained = n.children.some((c) => !c.removed);
    if (!ctx.single && !chained && next !== undefined && next.pred === undefined) {
      addIssue(ctx, 'altered', n.index, n.seq, texts.alteredAfter(n.seq, next.seq));
    } else {
      const { keyId } = n.record.body;
      const detail = chained ? texts.badSignatureChained(keyId) : texts.badSignature(keyId);
      addIssue(ctx, 'bad-signature', n.index, n.seq, detail);
    }
  }
}

/** Unsigned receipts: covered when a valid catch-up record is built on them. Returns those covered. */
function unsignedIssues(ctx: VerifyContext, order: readonly Node[], keyFaults: ReadonlySet<Node>): Set<Node> {
  const covered = new Set<Node>();
  if (!ctx.single) {
    for (const c of order) {
      const covers = c.record.body.covers;
      if (!covers || c.sig !== 'ok' || keyFaults.has(c)) continue;
      for (let x = c.pred; x !== undefined && !isStart(x) && x.seq >= covers.from; x = x.pred) {
        if (x.sig === 'unsigned') covered.add(x);
      }
    }
  }
  for (const n of order) {
    if (n.sig !== 'unsigned' || covered.has(n)) continue;
    const detail = ctx.single ? texts.unsignedReceipt() : texts.unsignedUncovered();
    addIssue(ctx, 'unsigned', n.index, n.seq, detail);
  }
  return covered;
}

/** The report of a verification, from what its steps found. */
function chainReport(
  ctx: VerifyContext,
  found: {
    readonly nodes: readonly Node[];
    readonly order: readonly Node[];
    readonly covered: ReadonlySet<Node>;
    readonly trusted: ReadonlyMap<string, TrustedKey>;
    readonly timeOf: ReadonlyMap<Node, number>;
  },
): ChainReport {
  const { nodes, order, covered, trusted, timeOf } = found;
  const { issues } = ctx;
  const last = order[order.length - 1];
  const seqs = nodes.filter((n) => !n.removed).map((n) => n.seq);
  return {
    ok: issues.length === 0,
    issues,
    count: ctx.entries.length,
    ...(seqs.length
      ? { first: seqs.reduce((a, b) => Math.min(a, b)), last: seqs.reduce((a, b) => Math.max(a, b)) }
      : {}),
    ...(last ? { head: { seq: last.seq, hash: last.hash } } : {}),
    signed: nodes.filter((n) => n.sig === 'ok').length,
    unsigned: nodes.filter((n) => n.sig === 'unsigned').length,
    unsignedCovered: covered.size,
    keys: [...trusted].map(([keyId, key]) => ({ keyId, ...key })),
    clockBehind: nodes.flatMap((n) => {
      const behindMs = (n.record.body.clockBehindMs ?? 0) + (timeOf.get(n) as number) - n.record.body.issuedAt;
      return behindMs > 0 && !n.removed ? [{ index: n.index, seq: n.seq, behindMs }] : [];
    }),
    backend: ctx.verifier.backend,
  };
}
