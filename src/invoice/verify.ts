/*
 * Verification of one invoice, a chain of them, or a receipt's QR code, for tills, inspectors and the CLI. A till
 * that only issues invoices never references it, so its bundler leaves the report texts below out.
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
import { invoiceQrSigningText, recordCanonical } from './hash.js';
import { parseInvoiceQr, type InvoiceQr } from './qr.js';
import { ed25519Verifier, type Ed25519Choice } from './webcrypto.js';
import { InputError } from '../errors/areas.js';
import { GENESIS_HASH, SignedInvoiceSchema } from '../schemas/invoice.js';
import { isYibaoGuardError } from '../errors/base.js';
import { fromBase64Url, sha256Hex } from '../crypto/index.js';
import { canonicalJson } from '../canonical-json.js';
import { formatCstTime } from '../platform/time.js';


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
  /** The chain's last record as known from elsewhere (a signed export header, the platform): records missing after the last one are `deleted`. */
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
  readonly keys: readonly { readonly keyId: string; readonly publicKey: string; readonly source: 'given' | 'rotation' }[];
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

type SigState = 'ok' | 'bad' | 'unsigned' | 'nokey';

interface Node {
  readonly index: number;
  readonly record: SignedInvoice;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  sig: SigState;
  pred?: Node | Start;
  readonly children: Node[];
  removed?: boolean;
  /** Sort key of the chain order. */
  key?: number;
}

interface Start {
  readonly start: true;
  readonly index: -1;
  readonly seq: number;
  readonly hash: string;
  readonly children: Node[];
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const isStart = (x: Node | Start | undefined): x is Start => x !== undefined && 'start' in x;
const range = (from: number, to: number) => (from === to ? `${from}` : `${from}–${to}`);
/** How many hashes and signature checks are in flight at once: WebCrypto runs them in parallel, a bounded pool keeps memory flat. */
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

function checkKeys(keys: readonly InvoiceKey[]): Map<string, InvoiceKey> {
  if (!Array.isArray(keys)) throw badKey('keys', 'must be an array of { keyId, publicKey }');
  const map = new Map<string, InvoiceKey>();
  keys.forEach((key: InvoiceKey, i) => {
    if (typeof key?.keyId !== 'string' || typeof key.publicKey !== 'string' || !/^[\w-]{43}$/.test(key.publicKey)) {
      throw badKey(`keys.${i}`, 'needs a keyId and a base64url Ed25519 public key (43 characters)');
    }
    const known = map.get(key.keyId);
    if (known && known.publicKey !== key.publicKey) throw badKey(`keys.${i}`, `names key ${key.keyId} twice with different public keys`);
    map.set(key.keyId, key);
  });
  return map;
}

function badKey(field: string, what: string): InputError {
  return new InputError('INVALID_INPUT', { message: `Verification keys: ${field} ${what}`, messageZh: `验签公钥参数 ${field} 不正确`, field });
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
export async function verifyChain(records: readonly unknown[], keys: readonly InvoiceKey[], options: VerifyChainOptions = {}): Promise<ChainReport> {
  if (!Array.isArray(records)) throw new InputError('INVALID_INPUT', { message: 'verifyChain takes an array of records', messageZh: 'verifyChain 的参数必须是票据记录数组', field: 'records' });
  return verifyEntries(records.map((value) => ({ value })), keys, options);
}

/**
 * Verifies one signed invoice record on its own: form, signature and key (a chain's links, numbering and
 * reversals need {@link verifyChain}). An unsigned receipt is reported `unsigned`.
 *
 * @example
 * const { ok, hash, issues } = await verifyInvoice(record, [{ keyId: 'T01-K1', publicKey }])
 */
export async function verifyInvoice(record: unknown, keys: readonly InvoiceKey[], options: Ed25519Choice = {}): Promise<InvoiceReport> {
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
export async function verifyInvoiceQr(text: string, keys: readonly InvoiceKey[], options: Ed25519Choice = {}): Promise<InvoiceQrReport> {
  const given = checkKeys(keys);
  const verifier = await ed25519Verifier(options);
  let qr: InvoiceQr;
  try {
    qr = parseInvoiceQr(text);
  } catch (error) {
    if (!isYibaoGuardError(error)) throw error;
    return { ok: false, issues: [{ kind: 'malformed', index: 0, seq: null, detail: { zh: error.messageZh, en: error.message } }], backend: verifier.backend };
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
    if (!(await verifier.verify(key.publicKey, fromBase64Url(qr.sig), message))) at('bad-signature', texts.badQrSignature(qr.keyId));
  }
  return { ok: issues.length === 0, issues, qr, backend: verifier.backend };
}

function outsideValidity(key: InvoiceKey, at: number): InvoiceText | undefined {
  if ((key.validFrom !== undefined && at < key.validFrom) || (key.validUntil !== undefined && at > key.validUntil)) return texts.outsideTimes(key, at);
  return undefined;
}


/**
 * The verification behind {@link verifyChain}, over entries that may carry their export line's text. `single`
 * checks each record alone (form, key, signature; no links, numbering or reversals).
 */
export async function verifyEntries(entries: readonly ChainEntry[], keys: readonly InvoiceKey[], options: VerifyChainOptions = {}, single = false): Promise<ChainReport> {
  const given = checkKeys(keys);
  const verifier = await ed25519Verifier(options);
  const issues: InvoiceIssue[] = [];
  const issue = (kind: InvoiceIssueKind, index: number, seq: number | null, detail: InvoiceText) => {
    issues.push({ kind, index, seq, detail });
  };

  // 1. Read every entry: schema, canonical form; then the record and body hashes.
  const malformedAt: number[] = [];
  const readable: { index: number; record: SignedInvoice; bodyJson: string; recordJson: string; sig: Uint8Array | null }[] = [];
  entries.forEach((entry, index) => {
    const bad = (detail: InvoiceText) => {
      const seq = (entry.value as { body?: { seq?: unknown } } | null | undefined)?.body?.seq;
      malformedAt.push(index);
      issue('malformed', index, typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null, detail);
    };
    if (entry.problem) return bad(entry.problem);
    const parsed = SignedInvoiceSchema.safeParse(entry.value);
    if (!parsed.success) return bad(texts.notAnInvoice(parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')));
    const raw = entry.value as { body: unknown; sig: string | null };
    let bodyJson: string;
    let sig: Uint8Array | null;
    try {
      bodyJson = canonicalJson(raw.body);
    } catch (error) {
      return bad(texts.notAnInvoice(`body: no canonical JSON (${error instanceof InputError ? (error.field ?? '') : ''})`));
    }
    try {
      sig = raw.sig === null ? null : fromBase64Url(raw.sig);
    } catch {
      return bad(texts.notAnInvoice('sig: not base64url'));
    }
    const recordJson = recordCanonical(bodyJson, raw.sig);
    if (entry.text !== undefined && entry.text !== recordJson) return bad(texts.notCanonical());
    readable.push({ index, record: parsed.data, bodyJson, recordJson, sig });
  });
  // 2. Keys: the given ones, and those rotation records introduce; then every hash and signature, in one pass.
  const introduced = new Map<string, { seq: number; publicKey: string }>();
  const retired = new Map<string, number>();
  const rotationBodies = readable.map((r) => r.record.body).filter((b) => b.newKey !== undefined).sort((a, b) => a.seq - b.seq);
  for (const body of rotationBodies) {
    const newKey = body.newKey as { keyId: string; publicKey: string };
    if (!retired.has(body.keyId)) retired.set(body.keyId, body.seq);
    if (!introduced.has(newKey.keyId)) introduced.set(newKey.keyId, { seq: body.seq, publicKey: newKey.publicKey });
  }
  const publicKeyOf = (keyId: string) => given.get(keyId)?.publicKey ?? introduced.get(keyId)?.publicKey;
  const checked = await inPool(readable, async (r) => {
    const publicKey = publicKeyOf(r.record.body.keyId);
    // One UTF-8 encoding per record: the body's bytes are those of the record's text after `{"body":`, up to the
    // ASCII tail `,"sig":…}`.
    const recordBytes = utf8(r.recordJson);
    const bodyBytes = recordBytes.subarray(8, recordBytes.length - (r.recordJson.length - 8 - r.bodyJson.length));
    const [hash, valid] = await Promise.all([
      sha256Hex(recordBytes),
      r.sig === null || publicKey === undefined ? undefined : verifier.verify(publicKey, r.sig, bodyBytes),
    ]);
    return { hash, sig: (r.sig === null ? 'unsigned' : valid === undefined ? 'nokey' : valid ? 'ok' : 'bad') as SigState };
  });
  const nodes: Node[] = readable.map((r, i) => {
    const { hash, sig } = checked[i] as { hash: string; sig: SigState };
    return { index: r.index, record: r.record, seq: r.record.body.seq, prevHash: r.record.body.prevHash, hash, sig, children: [] };
  });
  const rotations = nodes.filter((n) => n.record.body.newKey !== undefined).sort((a, b) => a.seq - b.seq);
  const positionProblem = (n: Node): InvoiceText | undefined => {
    const { keyId } = n.record.body;
    const until = retired.get(keyId);
    if (until !== undefined && n.seq > until) return texts.retired(keyId, until);
    const since = introduced.get(keyId)?.seq;
    if (since !== undefined && n.seq <= since) return texts.notYet(keyId, since);
    return undefined;
  };
  const trusted = new Map<string, { publicKey: string; source: 'given' | 'rotation' }>();
  for (const [keyId, key] of given) trusted.set(keyId, { publicKey: key.publicKey, source: 'given' });
  for (const r of rotations) {
    const newKey = r.record.body.newKey as { keyId: string; publicKey: string };
    if (r.sig !== 'ok' || !trusted.has(r.record.body.keyId) || positionProblem(r)) continue;
    const registered = given.get(newKey.keyId);
    if (registered && registered.publicKey !== newKey.publicKey) issue('key-not-valid', r.index, r.seq, texts.rotationMismatch(newKey.keyId));
    else if (!trusted.has(newKey.keyId)) trusted.set(newKey.keyId, { publicKey: newKey.publicKey, source: 'rotation' });
  }
  // Validity times are judged on the chain's time line: a record was signed no earlier than the records it is built
  // on (its signature covers their hashes), so its time is the latest issue time among them and itself.
  const timeOf = chainTimes(nodes, (n) => n.sig === 'unsigned' || (n.sig === 'ok' && trusted.has(n.record.body.keyId)));
  const keyFaults = new Set<Node>();
  for (const n of nodes) {
    if (n.sig === 'unsigned') continue;
    const { keyId } = n.record.body;
    const key = given.get(keyId);
    const problem = !trusted.has(keyId)
      ? introduced.has(keyId)
        ? texts.untrustedRotation(keyId, (introduced.get(keyId) as { seq: number }).seq)
        : texts.unknownKey(keyId)
      : (positionProblem(n) ?? (key ? outsideValidity(key, timeOf.get(n) as number) : undefined));
    if (problem) {
      keyFaults.add(n);
      issue('key-not-valid', n.index, n.seq, problem);
    }
    if (!trusted.has(keyId)) n.sig = 'nokey';
  }

  const live = nodes.slice();
  let order = live;
  if (!single) order = structure();

  // Signatures that fail: signed so (the chain is built on the record as it is), or changed afterwards.
  const position = new Map(order.map((n, i) => [n, i]));
  for (const n of nodes) {
    if (n.sig !== 'bad' || n.removed) continue;
    const next = order[(position.get(n) ?? -2) + 1];
    const chained = n.children.some((c) => !c.removed);
    if (!single && !chained && next !== undefined && next.pred === undefined) issue('altered', n.index, n.seq, texts.alteredAfter(n.seq, next.seq));
    else issue('bad-signature', n.index, n.seq, chained ? texts.badSignatureChained(n.record.body.keyId) : texts.badSignature(n.record.body.keyId));
  }

  // Unsigned receipts: covered when a valid catch-up record is built on them.
  const covered = new Set<Node>();
  if (!single) {
    for (const c of order) {
      const covers = c.record.body.covers;
      if (!covers || c.sig !== 'ok' || keyFaults.has(c)) continue;
      for (let x = c.pred; x !== undefined && !isStart(x) && x.seq >= covers.from; x = x.pred) if (x.sig === 'unsigned') covered.add(x);
    }
  }
  for (const n of order) if (n.sig === 'unsigned' && !covered.has(n)) issue('unsigned', n.index, n.seq, single ? texts.unsignedReceipt() : texts.unsignedUncovered());

  issues.sort((a, b) => a.index - b.index);
  const last = order[order.length - 1];
  const seqs = live.filter((n) => !n.removed).map((n) => n.seq);
  return {
    ok: issues.length === 0,
    issues,
    count: entries.length,
    ...(seqs.length ? { first: seqs.reduce((a, b) => Math.min(a, b)), last: seqs.reduce((a, b) => Math.max(a, b)) } : {}),
    ...(last ? { head: { seq: last.seq, hash: last.hash } } : {}),
    signed: nodes.filter((n) => n.sig === 'ok').length,
    unsigned: nodes.filter((n) => n.sig === 'unsigned').length,
    unsignedCovered: covered.size,
    keys: [...trusted].map(([keyId, key]) => ({ keyId, ...key })),
    clockBehind: nodes.flatMap((n) => {
      const behindMs = (n.record.body.clockBehindMs ?? 0) + (timeOf.get(n) as number) - n.record.body.issuedAt;
      return behindMs > 0 && !n.removed ? [{ index: n.index, seq: n.seq, behindMs }] : [];
    }),
    backend: verifier.backend,
  };

  /** Links, numbering, order, reversals: returns the records in chain order (without inserted or repeated ones). */
  function structure(): Node[] {
    const byHash = new Map<string, Node>();
    for (const n of nodes) {
      const first = byHash.get(n.hash);
      if (first) {
        n.removed = true;
        issue('duplicate', n.index, n.seq, texts.sameRecord(first.seq, first.index));
      } else byHash.set(n.hash, n);
    }
    const from = options.from ?? { seq: 1, prevHash: GENESIS_HASH };
    const start: Start | undefined = options.partial ? undefined : { start: true, index: -1, seq: from.seq - 1, hash: from.prevHash, children: [] };
    let alive = nodes.filter((n) => !n.removed);
    for (const n of alive) {
      const p = byHash.get(n.prevHash) ?? (start && n.prevHash === start.hash ? start : undefined);
      if (p !== undefined && p !== n) {
        n.pred = p;
        p.children.push(n);
      }
    }

    // Inserted: runs of records nothing outside the run is built on, between two records that link directly.
    const seqCount = new Map<number, number>();
    for (const n of alive) seqCount.set(n.seq, (seqCount.get(n.seq) ?? 0) + 1);
    const pos = new Map(alive.map((n, i) => [n, i]));
    const posOf = (x: Node | Start | undefined) => (x === undefined ? undefined : isStart(x) ? -1 : pos.get(x));
    // A record that nothing is built on (the last) cannot show that the records before it are inserted: two
    // records claiming the same predecessor at the end are a repeated number, unless the head names one of them.
    const confirmed = (n: Node) => n.children.length > 0 || options.head?.hash === n.hash;
    for (let j = 0; j < alive.length; j++) {
      const b = alive[j] as Node;
      const i = posOf(b.pred);
      if (i === undefined || i >= j - 1 || j - i > 64 || !confirmed(b)) continue;
      const run = alive.slice(i + 1, j);
      const inRun = new Set(run);
      const inserted = run.every((m) => !m.removed && m.children.every((c) => inRun.has(c)) && (posOf(m.pred) ?? -2) < j);
      if (!inserted) continue;
      for (const m of run) {
        m.removed = true;
        issue('inserted', m.index, m.seq, texts.inserted(b.seq, b.pred as Node | Start, (seqCount.get(m.seq) ?? 0) > 1 ? m.seq : undefined));
      }
    }
    alive = alive.filter((n) => !n.removed);

    // Reordered: records off the longest run in ascending seq (only records whose seq can be trusted).
    const candidates = alive.filter((n) => n.sig === 'ok' || n.sig === 'unsigned');
    const inOrder = longestNonDecreasing(candidates);
    const moved = new Set(candidates.filter((n) => !inOrder.has(n)));
    const kept = alive.filter((n) => !moved.has(n));
    kept.forEach((n, i) => (n.key = i));
    const anchors = candidates.filter((n) => inOrder.has(n));
    for (const r of moved) {
      let low = 0;
      let high = anchors.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((anchors[mid] as Node).seq <= r.seq) low = mid + 1;
        else high = mid;
      }
      const anchor = anchors[low - 1];
      r.key = (anchor?.key ?? -1) + 0.5;
      issue('reordered', r.index, r.seq, texts.reordered(r.seq, anchor?.seq));
    }
    const chain = alive.slice().sort((a, b) => (a.key as number) - (b.key as number) || a.seq - b.seq);

    // Links and numbers, in chain order.
    const malformedBefore = (x: number) => {
      let low = 0;
      let high = malformedAt.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((malformedAt[mid] as number) < x) low = mid + 1;
        else high = mid;
      }
      return low;
    };
    const malformedBetween = (x: number, y: number) => malformedBefore(Math.max(x, y)) - malformedBefore(Math.min(x, y) + 1) > 0;
    let prev: Node | Start | undefined = start;
    // The last record whose seq can be trusted, and how many records with failing signatures came after it.
    let lastTrusted: Node | Start | undefined = start;
    let suspects = 0;
    for (const b of chain) {
      const a = prev;
      prev = b;
      const anchor = lastTrusted;
      const between = suspects;
      if (b.sig === 'bad') suspects += 1;
      else {
        lastTrusted = b;
        suspects = 0;
      }
      if (a === undefined) continue;
      const suspect = (!isStart(a) && a.sig === 'bad') || b.sig === 'bad';
      if (suspect && b.sig !== 'bad' && b.pred === undefined && anchor !== undefined) {
        // An altered record explains a broken link, but not numbers missing beyond it.
        const missing = b.seq - anchor.seq - 1 - between;
        if (missing > 0) issue('deleted', b.index, b.seq - missing, texts.deleted(b.seq - missing, b.seq - 1, b.seq));
        continue;
      }
      if (b.pred === a) {
        if (suspect) continue;
        if (b.seq > a.seq + 1) issue('gap', b.index, a.seq + 1, texts.gap(a.seq + 1, b.seq - 1, a.seq));
        else if (b.seq <= a.seq) issue('duplicate', b.index, b.seq, texts.reused(b.seq, a.seq));
        continue;
      }
      if (suspect || malformedBetween(a.index, b.index)) continue;
      if (b.pred === undefined) {
        if (b.seq > a.seq + 1) issue('deleted', b.index, a.seq + 1, texts.deleted(a.seq + 1, b.seq - 1, b.seq));
        else if (b.seq <= a.seq) issue('duplicate', b.index, b.seq, texts.reusedUnchained(b.seq));
        else if (isStart(a)) issue('altered', b.index, b.seq, texts.badStart(b.seq));
        else issue('altered', a.index, a.seq, texts.replaced(a.seq, b.seq));
      } else if (b.seq <= a.seq) issue('duplicate', b.index, b.seq, texts.forked(b.seq, b.pred.seq));
      else issue('reordered', b.index, b.seq, texts.chainedElsewhere(b.seq, b.pred.seq, a.seq));
    }

    // The end, as a signed export header or the platform knows it.
    const head = options.head;
    const last = chain[chain.length - 1];
    if (head) {
      const headNode = byHash.get(head.hash);
      if (headNode && !headNode.removed) {
        const flagged = new Set(issues.map((i) => i.index));
        for (const n of chain.slice(chain.indexOf(headNode) + 1)) if (!flagged.has(n.index)) issue('inserted', n.index, n.seq, texts.afterHead(head.seq));
      } else if (malformedAt.some((m) => m > (last?.index ?? -1))) {
        // The missing end may be what could not be read: that is reported already.
      } else if (!last || last.seq < head.seq) issue('deleted', entries.length, (last?.seq ?? from.seq - 1) + 1, texts.truncated((last?.seq ?? from.seq - 1) + 1, head.seq));
      else {
        const at = chain.find((n) => n.seq === head.seq) ?? last;
        issue('altered', at.index, at.seq, texts.notHead(head.seq));
      }
    }

    // Reversals: an earlier sale of this chain, by seq and hash, not reversed beyond its total.
    const chainPos = new Map(chain.map((n, i) => [n, i]));
    const firstSeq = chain.reduce((min, n) => Math.min(min, n.seq), Infinity);
    const reversed = new Map<Node, number>();
    for (const r of chain) {
      const { reverses, kind, split } = r.record.body;
      if (!reverses || r.sig === 'bad') continue;
      const o = byHash.get(reverses.hash);
      if (!o || o.removed) {
        if (!(options.partial || from.seq > 1) || reverses.seq >= firstSeq) issue('unknown-reversal', r.index, r.seq, texts.unknownReversal(kind, reverses.seq));
        continue;
      }
      if (o.seq !== reverses.seq || o.record.body.kind !== 'sale' || (chainPos.get(o) as number) > (chainPos.get(r) as number)) {
        issue('unknown-reversal', r.index, r.seq, texts.notASale(kind, reverses.seq, o.record.body.kind));
        continue;
      }
      const total = (reversed.get(o) ?? 0) + split.totalFen;
      reversed.set(o, total);
      const original = o.record.body.split.totalFen;
      if (total > original || (kind === 'void' && split.totalFen !== original)) issue('excess-reversal', r.index, r.seq, texts.excess(kind, o.seq, original, total));
    }
    return chain;
  }
}

/**
 * The chain time of every record: the latest issue time of the record and of those it is built on (by hash),
 * following only predecessors that `vouched` (a valid signature, or unsigned) so that a forged record lends no time.
 */
function chainTimes(nodes: readonly Node[], vouched: (n: Node) => boolean): Map<Node, number> {
  const byHash = new Map<string, Node>();
  for (const n of nodes) if (!byHash.has(n.hash)) byHash.set(n.hash, n);
  const time = new Map<Node, number>();
  for (const n of nodes) {
    const path: Node[] = [];
    let x: Node | undefined = n;
    // (A walk longer than the records would be a cycle of hashes, which SHA-256 rules out; bounded all the same.)
    while (x !== undefined && !time.has(x) && path.length <= nodes.length) {
      path.push(x);
      const p = byHash.get(x.prevHash);
      x = p !== undefined && vouched(p) ? p : undefined;
    }
    let t = x === undefined ? -Infinity : (time.get(x) ?? -Infinity);
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i] as Node;
      t = Math.max(t, node.record.body.issuedAt);
      time.set(node, t);
    }
  }
  return time;
}

/** The longest subsequence with non-decreasing seq (patience sorting, O(n log n)). */
function longestNonDecreasing(nodes: readonly Node[]): Set<Node> {
  const tails: number[] = [];
  const back = new Int32Array(nodes.length).fill(-1);
  nodes.forEach((n, i) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((nodes[tails[mid] as number] as Node).seq <= n.seq) low = mid + 1;
      else high = mid;
    }
    if (low > 0) back[i] = tails[low - 1] as number;
    tails[low] = i;
  });
  const out = new Set<Node>();
  for (let i = tails.length ? (tails[tails.length - 1] as number) : -1; i >= 0; i = back[i] as number) out.add(nodes[i] as Node);
  return out;
}

const yuan = (fen: number) => (fen / 100).toFixed(2);
const KIND_ZH: Record<string, string> = { refund: '退费', void: '作废', sale: '销售', 'key-rotation': '密钥更换', 'catch-up': '补签' };

/** The report texts, in both languages. */
const texts = {
  notAnInvoice: (where: string): InvoiceText => ({ zh: `不是有效的票据记录（${where}）`, en: `not a valid invoice record (${where})` }),
  notCanonical: (): InvoiceText => ({
    zh: '记录不是规范 JSON（RFC 8785）形式：导出文件被改动过（含空白或换行）',
    en: 'not in canonical JSON (RFC 8785) form: the export was changed (white space or line endings included)',
  }),
  unsignedReceipt: (): InvoiceText => ({ zh: '未签名票据（开具时终端密钥不可用）', en: 'unsigned receipt (the terminal key was unavailable when it was issued)' }),
  unsignedUncovered: (): InvoiceText => ({
    zh: '未签名票据，且其后没有链接到它的有效补签记录',
    en: 'unsigned receipt, not covered by a valid catch-up record built on it',
  }),
  unknownKey: (keyId: string): InvoiceText => ({
    zh: `签名密钥 ${keyId} 未知：既未提供，也未由有效的密钥更换记录引入`,
    en: `signing key ${keyId} is unknown: neither given nor introduced by a valid key-rotation record`,
  }),
  untrustedRotation: (keyId: string, seq: number): InvoiceText => ({
    zh: `签名密钥 ${keyId} 由第 ${seq} 号密钥更换记录引入，但该记录未通过验证`,
    en: `signing key ${keyId} was introduced by the key rotation at seq ${seq}, which does not verify`,
  }),
  rotationMismatch: (keyId: string): InvoiceText => ({
    zh: `密钥更换记录中 ${keyId} 的公钥与登记的公钥不同`,
    en: `the key rotation names a public key for ${keyId} other than the registered one`,
  }),
  retired: (keyId: string, seq: number): InvoiceText => ({
    zh: `密钥 ${keyId} 已在第 ${seq} 号密钥更换后停用，不能再签名`,
    en: `key ${keyId} was retired by the key rotation at seq ${seq} and signs nothing after it`,
  }),
  notYet: (keyId: string, seq: number): InvoiceText => ({
    zh: `密钥 ${keyId} 自第 ${seq} 号密钥更换之后才生效`,
    en: `key ${keyId} is valid only after the key rotation at seq ${seq}`,
  }),
  outsideTimes: (key: InvoiceKey, at: number): InvoiceText => ({
    zh: `开具时间 ${formatCstTime(at)} 不在密钥 ${key.keyId} 的有效期内`,
    en: `issued at ${formatCstTime(at)} (CST), outside the validity of key ${key.keyId}`,
  }),
  badQrSignature: (keyId: string): InvoiceText => ({
    zh: `二维码签名校验失败（密钥 ${keyId}）：二维码内容被改动，或并非该密钥签发`,
    en: `the QR code's signature does not verify with key ${keyId}: its content was changed, or another key signed it`,
  }),
  badSignature: (keyId: string): InvoiceText => ({
    zh: `签名校验失败（密钥 ${keyId}）：记录内容或签名被改动，或并非该密钥签名`,
    en: `the signature does not verify with key ${keyId}: the record or its signature was changed, or another key signed it`,
  }),
  badSignatureChained: (keyId: string): InvoiceText => ({
    zh: `签名校验失败（密钥 ${keyId}）：后续票据链接的正是这条记录，签名在开具时即不正确（伪造或用其他密钥签名）`,
    en: `the signature does not verify with key ${keyId}, and later invoices are built on this very record: it was signed wrongly (forged, or another key)`,
  }),
  alteredAfter: (seq: number, next: number): InvoiceText => ({
    zh: `第 ${seq} 号在开具后被改动（内容或签名）：签名不符，第 ${next} 号链接的也不是这条记录`,
    en: `invoice ${seq} was changed after it was issued (content or signature): its signature fails and invoice ${next} is not built on it`,
  }),
  replaced: (seq: number, next: number): InvoiceText => ({
    zh: `第 ${seq} 号被替换：第 ${next} 号链接的是另一张第 ${seq} 号票据（此记录签名有效，系持有密钥者重新签发）`,
    en: `invoice ${seq} was replaced: invoice ${next} is built on a different invoice ${seq} (this one's signature is valid: re-issued by a key holder)`,
  }),
  badStart: (seq: number): InvoiceText => ({
    zh: `第 ${seq} 号应为票据链起点，但它链接的前一记录哈希不符`,
    en: `invoice ${seq} should start the chain, but the hash it names as predecessor is not the chain's start`,
  }),
  gap: (from: number, to: number, after: number): InvoiceText => ({
    zh: `缺号：第 ${range(from, to)} 号从未开具（本票据直接链接第 ${after} 号）`,
    en: `numbers ${range(from, to)} were never issued: this invoice is chained directly to invoice ${after}`,
  }),
  deleted: (from: number, to: number, seq: number): InvoiceText => ({
    zh: `第 ${range(from, to)} 号被删除：第 ${seq} 号所链接的前一张票据不在此处`,
    en: `invoice${from === to ? '' : 's'} ${range(from, to)} missing: the invoice that invoice ${seq} is built on is not here`,
  }),
  truncated: (from: number, to: number): InvoiceText => ({
    zh: `末尾第 ${range(from, to)} 号被删除：导出文件头（或平台）记载的最后一张为第 ${to} 号`,
    en: `invoice${from === to ? '' : 's'} ${range(from, to)} missing at the end: the export header (or the platform) says the chain ends at ${to}`,
  }),
  notHead: (seq: number): InvoiceText => ({
    zh: `第 ${seq} 号与导出文件头（或平台）记载的最后一张票据哈希不符`,
    en: `invoice ${seq} is not the last invoice the export header (or the platform) names`,
  }),
  afterHead: (seq: number): InvoiceText => ({
    zh: `该记录位于导出文件头（或平台）记载的最后一张（第 ${seq} 号）之后`,
    en: `this record comes after the chain's last invoice (${seq}) as the export header (or the platform) names it`,
  }),
  sameRecord: (seq: number, index: number): InvoiceText => ({
    zh: `重复：与第 ${index + 1} 条记录（第 ${seq} 号）完全相同`,
    en: `duplicate: the same record as record ${index + 1} (invoice ${seq})`,
  }),
  reused: (seq: number, after: number): InvoiceText => ({
    zh: `重号：第 ${seq} 号再次使用（链接在第 ${after} 号之后）`,
    en: `number ${seq} issued again (chained after invoice ${after})`,
  }),
  reusedUnchained: (seq: number): InvoiceText => ({
    zh: `重号：第 ${seq} 号已被使用，这条记录不在票据链上`,
    en: `number ${seq} is already used, and this record is not part of the chain`,
  }),
  forked: (seq: number, pred: number): InvoiceText => ({
    zh: `重号：又一张第 ${seq} 号票据链接在第 ${pred} 号之后`,
    en: `number ${seq} twice: another invoice ${seq} is built on invoice ${pred}`,
  }),
  inserted: (next: number, pred: Node | Start, repeats: number | undefined): InvoiceText => ({
    zh: `插入的记录：不在票据链上（第 ${next} 号直接链接${isStart(pred) ? '链起点' : `第 ${pred.seq} 号`}）${repeats === undefined ? '' : `，且与第 ${repeats} 号重号`}`,
    en: `inserted: not part of the chain (invoice ${next} is built directly on ${isStart(pred) ? 'the chain start' : `invoice ${pred.seq}`})${repeats === undefined ? '' : `; it repeats number ${repeats}`}`,
  }),
  reordered: (seq: number, after: number | undefined): InvoiceText => ({
    zh: `顺序错乱：第 ${seq} 号应位于${after === undefined ? '最前' : `第 ${after} 号之后`}`,
    en: `out of order: invoice ${seq} belongs ${after === undefined ? 'first' : `after invoice ${after}`}`,
  }),
  chainedElsewhere: (seq: number, pred: number, after: number): InvoiceText => ({
    zh: `第 ${seq} 号链接的是第 ${pred} 号，而非其前的第 ${after} 号`,
    en: `invoice ${seq} is built on invoice ${pred}, not on invoice ${after} before it`,
  }),
  unknownReversal: (kind: string, seq: number): InvoiceText => ({
    zh: `${KIND_ZH[kind] ?? kind}所指的原票据（第 ${seq} 号）在票据链中不存在`,
    en: `the ${kind} names invoice ${seq}, which does not exist in the chain`,
  }),
  notASale: (kind: string, seq: number, original: string): InvoiceText => ({
    zh: `${KIND_ZH[kind] ?? kind}所指的第 ${seq} 号不是此前的销售票据（而是${KIND_ZH[original] ?? original}，或在其后）`,
    en: `the ${kind} names invoice ${seq}, which is not an earlier sale (it is a ${original}, or comes later)`,
  }),
  excess: (kind: string, seq: number, original: number, total: number): InvoiceText => ({
    zh: `${KIND_ZH[kind] ?? kind}金额超出：第 ${seq} 号原金额 ${yuan(original)} 元，累计冲回 ${yuan(total)} 元`,
    en: `the ${kind} reverses too much: invoice ${seq} was ${yuan(original)} yuan, ${yuan(total)} yuan reversed in all`,
  }),
};
