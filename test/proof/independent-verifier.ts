/**
 * An independent verifier of the yibao-guard receipt format, version 1, written from docs/RECEIPT-FORMAT.md alone.
 *
 * It imports nothing from the project: only `node:crypto` (SHA-256 and Ed25519) and plain TypeScript. Everything
 * else (RFC 8785 canonical JSON, base64url, base32, the chain rules, the key runs, the QR text) is implemented here
 * from the document. Section numbers in the comments (§n) are the document's.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';

// ---------------------------------------------------------------------------------------------------------------
// §1 Building blocks
// ---------------------------------------------------------------------------------------------------------------

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Thrown by `canonicalJson` for a value that is not I-JSON (lone surrogate, non-finite number, not JSON at all). */
export class NotCanonicalizable extends Error {}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function compareUtf16(a: string, b: string): number {
  // Explicit code-unit comparison (RFC 8785 §3.2.3), not locale-dependent.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** RFC 8785 (JCS) canonical JSON of a JSON value. Refuses lone surrogates, non-finite numbers and non-JSON values. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new NotCanonicalizable('non-finite number');
      // ECMAScript Number-to-String is exactly RFC 8785's number serialization; -0 becomes "0" as JCS requires.
      return JSON.stringify(value);
    case 'string':
      if (hasLoneSurrogate(value)) throw new NotCanonicalizable('lone surrogate in a string');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new NotCanonicalizable('not a plain JSON object');
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort(compareUtf16);
      const parts: string[] = [];
      for (const k of keys) {
        if (hasLoneSurrogate(k)) throw new NotCanonicalizable('lone surrogate in a member name');
        if (obj[k] === undefined) throw new NotCanonicalizable(`member ${JSON.stringify(k)} is undefined`);
        parts.push(`${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new NotCanonicalizable(`not a JSON value: ${typeof value}`);
  }
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of a text (§1: text to bytes is always UTF-8). */
export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** SHA-256 in 64 lowercase hex digits. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(utf8Bytes(text)).digest('hex');
}

export function hexToBytes(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// --- base64url, RFC 4648 §5, no padding ---------------------------------------------------------------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function base64urlEncode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64URL[(acc >> bits) & 63];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B64URL[(acc << (6 - bits)) & 63];
  return out;
}

/** Strict decoding: only the alphabet, no padding, unused low bits zero (re-encoding gives the same text). */
export function base64urlDecode(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length % 4 === 1) return null;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = B64URL.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return null;
  return Uint8Array.from(out);
}

// --- base32, RFC 4648 §6 alphabet, no padding, unused low bits zero ------------------------------------------------

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Uint8Array | null {
  const n = text.length % 8;
  if (n === 1 || n === 3 || n === 6) return null; // lengths no byte count produces
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return null; // unused low bits must be zero
  return Uint8Array.from(out);
}

// --- Ed25519 (RFC 8032), pure -----------------------------------------------------------------------------------

/** The order of the Ed25519 base point (RFC 8032 §5.1). */
export const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;
const ED25519_P = (1n << 255n) - 19n;

export function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

export function bigIntToLittleEndian(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = n;
  for (let i = 0; i < length; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/**
 * Whether a 32-byte point encoding is canonical as RFC 8032 §5.1.3 decodes it: y < p, and not the sign bit set on a
 * point whose x is 0 (y = 1 or y = p − 1). Whether the point is on the curve is left to node:crypto, which refuses
 * to verify with an undecodable point.
 */
export function isCanonicalPointEncoding(enc: Uint8Array): boolean {
  if (enc.length !== 32) return false;
  const sign = (enc[31]! & 0x80) !== 0;
  const yBytes = Uint8Array.from(enc);
  yBytes[31]! &= 0x7f;
  const y = littleEndianToBigInt(yBytes);
  if (y >= ED25519_P) return false;
  if (sign && (y === 1n || y === ED25519_P - 1n)) return false;
  return true;
}

/** RFC 8032 §5.1.7: the scalar half S of a signature (little-endian) must be below L. */
export function isScalarBelowL(sBytes: Uint8Array): boolean {
  return sBytes.length === 32 && littleEndianToBigInt(sBytes) < ED25519_L;
}

/**
 * Ed25519 verification with the checks RFC 8032 §5.1.7 requires made explicit (S < L, canonical R and A), then
 * node:crypto for the group equation.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (!isCanonicalPointEncoding(publicKey)) return false;
  if (!isCanonicalPointEncoding(signature.subarray(0, 32))) return false;
  if (!isScalarBelowL(signature.subarray(32, 64))) return false;
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(publicKey) },
      format: 'jwk',
    });
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// §2 Records, §3 chains
// ---------------------------------------------------------------------------------------------------------------

export const GENESIS_HASH = '0'.repeat(64);
export const EXPORT_FORMAT = 'yibao-guard.invoice-chain/1';

export interface KeyInfo {
  keyId: string;
  publicKey: string;
  validFrom?: number;
  validUntil?: number;
}

export interface ExportResult {
  ok: boolean;
  problems: string[];
  /**
   * Things worth saying that do not make the file wrong (an unsigned header, a reversal of a sale outside the file).
   */
  warnings: string[];
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const PHARMACY_RE = /^[A-Za-z0-9]{1,30}$/;
const TRACE_RE = /^[0-9]{20}$/;
const KINDS = ['sale', 'refund', 'void', 'key-rotation', 'catch-up'] as const;
type Kind = (typeof KINDS)[number];

const BODY_MEMBERS = new Set([
  'v',
  'kind',
  'seq',
  'issuedAt',
  'clockBehindMs',
  'pharmacyCode',
  'terminalId',
  'lines',
  'split',
  'setlId',
  'reverses',
  'newKey',
  'covers',
  'prevHash',
  'keyId',
]);
const LINE_MEMBERS = new Set([
  'name',
  'medListCode',
  'specification',
  'quantity',
  'unitPriceFen',
  'amountFen',
  'traceCodes',
]);
const SPLIT_MEMBERS = ['totalFen', 'fundFen', 'accountFen', 'cashFen'];
const HEADER_MEMBERS = new Set([
  'format',
  'pharmacyCode',
  'terminalId',
  'exportedAt',
  'from',
  'head',
  'count',
  'keys',
  'keyId',
  'sig',
]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSafeInt(v: unknown, min = Number.MIN_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

function exactMembers(o: Record<string, unknown>, required: string[], optional: string[] = []): string | null {
  for (const k of required) if (!(k in o)) return `missing member ${k}`;
  const allowed = new Set([...required, ...optional]);
  for (const k of Object.keys(o)) if (!allowed.has(k)) return `unknown member ${k}`;
  return null;
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && ID_RE.test(v);
}

/** A positive quantity with at most 4 decimals, as ECMAScript writes it (so no exponent form). */
function isQuantity(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 && /^[0-9]+(?:\.[0-9]{1,4})?$/.test(String(v));
}

/** The schema of one record (§2). Returns the problems found; an empty list means the shape is right. */
export function recordSchemaProblems(record: unknown): string[] {
  const p: string[] = [];
  if (!isPlainObject(record)) return ['the record is not a JSON object'];
  const m = exactMembers(record, ['body', 'sig']);
  if (m) p.push(`record: ${m}`);
  const sig = record.sig;
  if (sig !== null && !(typeof sig === 'string' && sig.length === 86 && base64urlDecode(sig)?.length === 64)) {
    p.push('record: sig is neither null nor an 86-character base64url signature');
  }
  const b = record.body;
  if (!isPlainObject(b)) return [...p, 'record: body is not a JSON object'];
  for (const k of Object.keys(b)) if (!BODY_MEMBERS.has(k)) p.push(`body: unknown member ${k}`);
  if (b.v !== 1) p.push('body: v is not 1');
  const kind = b.kind as Kind;
  if (!KINDS.includes(kind)) p.push(`body: unknown kind ${JSON.stringify(b.kind)}`);
  if (!isSafeInt(b.seq, 1)) p.push('body: seq is not an integer >= 1');
  if (!isSafeInt(b.issuedAt, 0)) p.push('body: issuedAt is not an epoch-ms integer');
  if ('clockBehindMs' in b && !isSafeInt(b.clockBehindMs, 1)) p.push('body: clockBehindMs is not an integer >= 1');
  if (!(typeof b.pharmacyCode === 'string' && PHARMACY_RE.test(b.pharmacyCode))) p.push('body: bad pharmacyCode');
  if (!isId(b.terminalId)) p.push('body: terminalId is not an id');
  if (!isId(b.keyId)) p.push('body: keyId is not an id');
  if ('setlId' in b && !isId(b.setlId)) p.push('body: setlId is not an id');
  if (!(typeof b.prevHash === 'string' && HEX64_RE.test(b.prevHash))) p.push('body: prevHash is not 64 hex digits');

  // split
  const split = b.split;
  if (!isPlainObject(split)) p.push('body: split is not an object');
  else {
    const sm = exactMembers(split, SPLIT_MEMBERS);
    if (sm) p.push(`split: ${sm}`);
    for (const k of SPLIT_MEMBERS) if (!isSafeInt(split[k], 0)) p.push(`split: ${k} is not an integer >= 0`);
    if (SPLIT_MEMBERS.every((k) => isSafeInt(split[k], 0))) {
      const s = split as Record<string, number>;
      if (s.fundFen! + s.accountFen! + s.cashFen! !== s.totalFen) {
        p.push('split: fundFen + accountFen + cashFen is not totalFen');
      }
    }
  }

  // lines
  const lines = b.lines;
  if (!Array.isArray(lines)) p.push('body: lines is not an array');
  else {
    if (lines.length > 200) p.push('body: more than 200 lines');
    let sum = 0;
    let sumOk = true;
    lines.forEach((line: unknown, i) => {
      if (!isPlainObject(line)) {
        p.push(`line ${i}: not an object`);
        sumOk = false;
        return;
      }
      for (const k of Object.keys(line)) if (!LINE_MEMBERS.has(k)) p.push(`line ${i}: unknown member ${k}`);
      const nameLen = typeof line.name === 'string' ? [...line.name].length : 0;
      if (nameLen < 1 || nameLen > 200) p.push(`line ${i}: name is not 1-200 characters`);
      if ('medListCode' in line && !(typeof line.medListCode === 'string' && line.medListCode.length > 0)) {
        p.push(`line ${i}: bad medListCode`);
      }
      if ('specification' in line && typeof line.specification !== 'string') p.push(`line ${i}: bad specification`);
      if (!isQuantity(line.quantity)) p.push(`line ${i}: quantity is not positive with at most 4 decimals`);
      if (!isSafeInt(line.unitPriceFen, 0)) p.push(`line ${i}: unitPriceFen is not an integer >= 0`);
      if (!isSafeInt(line.amountFen, 0)) {
        p.push(`line ${i}: amountFen is not an integer >= 0`);
        sumOk = false;
      } else sum += line.amountFen;
      const tc = line.traceCodes;
      if (!Array.isArray(tc) || tc.length > 1000 || !tc.every((c) => typeof c === 'string' && TRACE_RE.test(c))) {
        p.push(`line ${i}: traceCodes is not a list of at most 1000 20-digit codes`);
      }
    });
    if (sumOk && isPlainObject(split) && isSafeInt(split.totalFen, 0) && sum !== split.totalFen) {
      p.push("lines: the lines' amountFen do not add up to totalFen");
    }
  }

  // rules by kind
  const hasLines = Array.isArray(lines) && lines.length > 0;
  const zeroSplit = isPlainObject(split) && SPLIT_MEMBERS.every((k) => split[k] === 0);
  const isReversal = kind === 'refund' || kind === 'void';
  if ((kind === 'sale' || isReversal) && !hasLines) p.push(`${kind}: no lines`);
  if (isReversal) {
    const r = b.reverses;
    if (
      !isPlainObject(r) ||
      exactMembers(r, ['seq', 'hash']) ||
      !isSafeInt(r.seq, 1) ||
      typeof r.hash !== 'string' ||
      !HEX64_RE.test(r.hash)
    ) {
      p.push(`${kind}: reverses is not { seq, hash }`);
    } else if (isSafeInt(b.seq, 1) && r.seq >= b.seq) p.push(`${kind}: reverses a seq not lower than its own`);
  } else if ('reverses' in b) p.push(`${kind}: has reverses`);
  if (kind === 'key-rotation') {
    const nk = b.newKey;
    if (
      !isPlainObject(nk) ||
      exactMembers(nk, ['keyId', 'publicKey']) ||
      !isId(nk.keyId) ||
      typeof nk.publicKey !== 'string' ||
      nk.publicKey.length !== 43 ||
      base64urlDecode(nk.publicKey)?.length !== 32
    ) {
      p.push('key-rotation: newKey is not { keyId, publicKey }');
    } else if (nk.keyId === b.keyId) p.push('key-rotation: newKey has its own keyId');
  } else if ('newKey' in b) p.push(`${kind}: has newKey`);
  if (kind === 'catch-up') {
    const c = b.covers;
    if (!isPlainObject(c) || exactMembers(c, ['from', 'to']) || !isSafeInt(c.from, 1) || !isSafeInt(c.to, 1)) {
      p.push('catch-up: covers is not { from, to }');
    } else {
      if (c.from > c.to) p.push('catch-up: covers.from > covers.to');
      if (isSafeInt(b.seq, 1) && c.to !== b.seq - 1) p.push('catch-up: covers.to is not seq - 1');
    }
  } else if ('covers' in b) p.push(`${kind}: has covers`);
  if (kind === 'key-rotation' || kind === 'catch-up') {
    if (hasLines) p.push(`${kind}: has lines`);
    if (!zeroSplit) p.push(`${kind}: split is not zero`);
    if (record.sig === null) p.push(`${kind}: unsigned (it is always signed)`);
  }
  return p;
}

/** The record hash (§3.1): SHA-256 of the canonical JSON of the whole record. */
export function recordHash(record: unknown): string {
  return sha256Hex(canonicalJson(record));
}

/** The header's signing text (§6): `YG1-EXPORT|` + the canonical JSON of the header without `sig`. */
export function headerSigningText(header: Record<string, unknown>): string {
  const { sig: _sig, ...rest } = header;
  return `YG1-EXPORT|${canonicalJson(rest)}`;
}

function withinValidity(k: KeyInfo, t: number): boolean {
  if (k.validFrom !== undefined && t < k.validFrom) return false;
  if (k.validUntil !== undefined && t > k.validUntil) return false;
  return true;
}

function keyInfoProblems(k: unknown, where: string): string | null {
  if (!isPlainObject(k)) return `${where}: not an object`;
  const m = exactMembers(k, ['keyId', 'publicKey'], ['validFrom', 'validUntil']);
  if (m) return `${where}: ${m}`;
  if (!isId(k.keyId)) return `${where}: keyId is not an id`;
  if (typeof k.publicKey !== 'string' || k.publicKey.length !== 43 || base64urlDecode(k.publicKey)?.length !== 32) {
    return `${where}: publicKey is not 43 base64url characters`;
  }
  if ('validFrom' in k && !isSafeInt(k.validFrom, 0)) return `${where}: bad validFrom`;
  if ('validUntil' in k && !isSafeInt(k.validUntil, 0)) return `${where}: bad validUntil`;
  return null;
}

function verifySigB64(publicKeyB64: string, text: string, sigB64: string): boolean {
  const pk = base64urlDecode(publicKeyB64);
  const sig = base64urlDecode(sigB64);
  if (!pk || !sig) return false;
  return ed25519Verify(pk, utf8Bytes(text), sig);
}

interface ParsedRecord {
  index: number; // record line index: 0 is the first record line
  record: Record<string, unknown>;
  body: Record<string, unknown>;
  hash: string;
  schemaOk: boolean;
}

/**
 * Verifies an inspector's export (§6) and the chain in it (§3, §4).
 *
 * Keys: with `trustedKeys` (the platform registry, §3.4 way 1) only those keys and the keys introduced by a
 * key-rotation record signed by one of them are used, and a header key that contradicts a trusted one is a
 * problem. Without `trustedKeys`, the header's own `keys` list is used (§3.4 way 3: proves the file intact and
 * self-consistent, not that the keys are the till's).
 */
export function verifyExport(text: string, trustedKeys?: readonly KeyInfo[]): ExportResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const done = (): ExportResult => ({ ok: problems.length === 0, problems, warnings });

  if (typeof text !== 'string') return { ok: false, problems: ['the export is not a text'], warnings };
  if (text.charCodeAt(0) === 0xfeff) problems.push('[malformed] the file starts with a BOM');
  if (text.includes('\r')) problems.push('[malformed] the file contains a CR');
  if (!text.endsWith('\n')) problems.push('[malformed] the last line does not end with LF');
  const rawLines = text.split('\n');
  if (rawLines[rawLines.length - 1] === '') rawLines.pop();
  if (rawLines.length === 0) {
    problems.push('[malformed] no header line');
    return done();
  }

  // Each line must be exactly the canonical JSON of its own value.
  const values: unknown[] = rawLines.map((line, i) => {
    const where = i === 0 ? 'header' : `record line ${i - 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`[malformed] ${where}: not JSON`);
      return undefined;
    }
    let canon: string;
    try {
      canon = canonicalJson(value);
    } catch (e) {
      problems.push(`[malformed] ${where}: not I-JSON (${(e as Error).message})`);
      return undefined;
    }
    if (canon !== line) problems.push(`[malformed] ${where}: not the canonical JSON of its own value`);
    return value;
  });

  // --- the header ---
  const header = values[0];
  if (!isPlainObject(header)) {
    problems.push('[malformed] header: not a JSON object');
    return done();
  }
  for (const k of HEADER_MEMBERS) if (!(k in header)) problems.push(`[malformed] header: missing member ${k}`);
  for (const k of Object.keys(header))
    if (!HEADER_MEMBERS.has(k)) problems.push(`[malformed] header: unknown member ${k}`);
  if (header.format !== EXPORT_FORMAT) problems.push(`[malformed] header: format is not ${EXPORT_FORMAT}`);
  if (!(typeof header.pharmacyCode === 'string' && PHARMACY_RE.test(header.pharmacyCode)))
    problems.push('[malformed] header: bad pharmacyCode');
  if (!isId(header.terminalId)) problems.push('[malformed] header: bad terminalId');
  if (!isSafeInt(header.exportedAt, 0)) problems.push('[malformed] header: bad exportedAt');
  const from = header.from;
  const fromOk =
    isPlainObject(from) &&
    !exactMembers(from, ['seq', 'prevHash']) &&
    isSafeInt(from.seq, 1) &&
    typeof from.prevHash === 'string' &&
    HEX64_RE.test(from.prevHash);
  if (!fromOk) problems.push('[malformed] header: from is not { seq, prevHash }');
  else if (from.seq === 1 && from.prevHash !== GENESIS_HASH)
    problems.push('[malformed] header: from.seq is 1 but from.prevHash is not GENESIS_HASH');
  const head = header.head;
  const headOk =
    head === null ||
    (isPlainObject(head) &&
      !exactMembers(head, ['seq', 'hash']) &&
      isSafeInt(head.seq, 1) &&
      typeof head.hash === 'string' &&
      HEX64_RE.test(head.hash));
  if (!headOk) problems.push('[malformed] header: head is neither null nor { seq, hash }');
  if (!isSafeInt(header.count, 0)) problems.push('[malformed] header: bad count');

  // Key ring.
  const headerKeys = new Map<string, KeyInfo>();
  if (!Array.isArray(header.keys)) problems.push('[malformed] header: keys is not an array');
  else {
    header.keys.forEach((k: unknown, i) => {
      const kp = keyInfoProblems(k, `header keys[${i}]`);
      if (kp) problems.push(`[malformed] ${kp}`);
      else {
        const ki = k as unknown as KeyInfo;
        if (headerKeys.has(ki.keyId)) problems.push(`[malformed] header: key ${ki.keyId} listed twice`);
        headerKeys.set(ki.keyId, ki);
      }
    });
  }
  const ring = new Map<string, KeyInfo>();
  if (trustedKeys) {
    for (const k of trustedKeys) ring.set(k.keyId, { ...k });
    for (const [id, hk] of headerKeys) {
      const tk = ring.get(id);
      if (tk && tk.publicKey !== hk.publicKey) {
        problems.push(`[bad-signature] header: key ${id} is not the trusted public key`);
      }
    }
  } else {
    for (const [id, hk] of headerKeys) ring.set(id, hk);
  }

  // --- the records ---
  const recs: ParsedRecord[] = [];
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    const index = i - 1;
    if (v === undefined) continue; // already reported as malformed
    const sp = recordSchemaProblems(v);
    for (const s of sp) problems.push(`[malformed] record line ${index}: ${s}`);
    if (!isPlainObject(v) || !isPlainObject(v.body)) continue;
    let hash: string;
    try {
      hash = recordHash(v);
    } catch {
      continue;
    }
    recs.push({ index, record: v, body: v.body, hash, schemaOk: sp.length === 0 });
  }
  const recordLineCount = values.length - 1;
  if (isSafeInt(header.count, 0) && header.count !== recordLineCount) {
    problems.push(`[deleted] header: count ${header.count} but ${recordLineCount} record lines`);
  }
  if (headOk) {
    const last = recs[recs.length - 1];
    if (head === null) {
      if (recordLineCount > 0) problems.push('[inserted] header: head is null but the file has records');
    } else if (!last || last.index !== recordLineCount - 1) {
      problems.push('[deleted] header: head names a record the file does not end with');
    } else if (last.body.seq !== head.seq || last.hash !== head.hash) {
      problems.push(
        `[deleted] header: head is seq ${String(head.seq)} ${String(head.hash)}, the last record is seq ${String(last.body.seq)} ${last.hash}`,
      );
    }
  }

  // Chain links (§3.2 rules 1-3), and the same till throughout.
  const linkOk: boolean[] = []; // linkOk[i]: recs[i] links correctly to what precedes it
  recs.forEach((r, i) => {
    const where = `record line ${r.index} (seq ${String(r.body.seq)})`;
    if (r.body.pharmacyCode !== header.pharmacyCode || r.body.terminalId !== header.terminalId) {
      problems.push(`[inserted] ${where}: another till's record`);
    }
    let ok = true;
    const expectedSeq = fromOk ? (from.seq as number) + r.index : undefined;
    if (r.index !== (i === 0 ? 0 : recs[i - 1]!.index + 1)) ok = false; // a line in between was unreadable
    if (expectedSeq !== undefined && r.body.seq !== expectedSeq) {
      problems.push(`[gap] ${where}: expected seq ${expectedSeq}`);
      ok = false;
    }
    if (i > 0 && r.body.seq !== (recs[i - 1]!.body.seq as number) + 1) ok = false;
    const expectedPrev = i === 0 ? (fromOk && r.index === 0 ? from.prevHash : undefined) : recs[i - 1]!.hash;
    if (expectedPrev !== undefined && r.body.prevHash !== expectedPrev) {
      problems.push(`[altered] ${where}: prevHash is not the record hash of the record before it`);
      ok = false;
    }
    if (
      i > 0 &&
      isSafeInt(r.body.issuedAt) &&
      isSafeInt(recs[i - 1]!.body.issuedAt) &&
      r.body.issuedAt < (recs[i - 1]!.body.issuedAt as number)
    ) {
      problems.push(`[reordered] ${where}: issuedAt earlier than the record before it`);
    }
    linkOk.push(ok);
  });

  // Signatures and key runs (§3.2 rule 4, §3.4).
  let currentKey: string | undefined; // the key whose run we are in
  const sigOk: boolean[] = [];
  recs.forEach((r) => {
    const where = `record line ${r.index} (seq ${String(r.body.seq)})`;
    const keyId = r.body.keyId as string;
    if (currentKey === undefined) currentKey = keyId; // the first record: the key's enrolment is before the file
    if (keyId !== currentKey)
      problems.push(
        `[key-not-valid] ${where}: signed by ${keyId} outside its run (the key of this part of the chain is ${currentKey})`,
      );
    let ok = false;
    if (r.record.sig === null) {
      // unsigned: checked against catch-ups below
    } else if (typeof r.record.sig === 'string') {
      const key = ring.get(keyId);
      if (!key) problems.push(`[bad-signature] ${where}: no trusted public key for ${keyId}`);
      else {
        let bodyText: string | undefined;
        try {
          bodyText = canonicalJson(r.body);
        } catch {
          bodyText = undefined;
        }
        if (bodyText === undefined || !verifySigB64(key.publicKey, bodyText, r.record.sig)) {
          problems.push(`[bad-signature] ${where}: signature does not verify with key ${keyId}`);
        } else {
          ok = true;
          if (isSafeInt(r.body.issuedAt) && !withinValidity(key, r.body.issuedAt)) {
            problems.push(`[key-not-valid] ${where}: issuedAt outside the validity of ${keyId}`);
          }
        }
      }
    }
    sigOk.push(ok);
    if (r.body.kind === 'key-rotation' && isPlainObject(r.body.newKey)) {
      const nk = r.body.newKey as { keyId: string; publicKey: string };
      const known = ring.get(nk.keyId);
      if (known && known.publicKey !== nk.publicKey) {
        problems.push(
          `[bad-signature] ${where}: rotation names key ${nk.keyId} with another public key than ${trustedKeys ? 'the trusted one' : 'the header'}`,
        );
      } else if (!known && ok) {
        // §3.4 way 2: a key-rotation record signed by a key already trusted.
        const hk = headerKeys.get(nk.keyId);
        ring.set(
          nk.keyId,
          hk && hk.publicKey === nk.publicKey ? { ...hk } : { keyId: nk.keyId, publicKey: nk.publicKey },
        );
      }
      const hk = headerKeys.get(nk.keyId);
      if (trustedKeys && hk && hk.publicKey !== nk.publicKey) {
        problems.push(
          `[bad-signature] ${where}: rotation names key ${nk.keyId} with another public key than the header`,
        );
      }
      currentKey = nk.keyId; // this record closes the outgoing key's run
    }
  });

  // Unsigned receipts must be covered by a later signed catch-up built on them (§3.2 rule 4, §4).
  recs.forEach((r, i) => {
    if (r.record.sig !== null) return;
    const seq = r.body.seq as number;
    let covered = false;
    for (let j = i + 1; j < recs.length; j++) {
      if (!linkOk[j]) break; // the hash chain from r to the catch-up is broken
      const c = recs[j]!;
      if (c.body.kind !== 'catch-up' || !sigOk[j] || !c.schemaOk) continue;
      const cov = c.body.covers as { from: number; to: number };
      if (cov.from <= seq && seq <= cov.to) {
        covered = true;
        break;
      }
    }
    if (!covered)
      problems.push(
        `[unsigned] record line ${r.index} (seq ${String(seq)}): unsigned and not covered by a signed catch-up`,
      );
  });

  // Reversals (§3.2 rule 5).
  const bySeq = new Map<number, ParsedRecord>();
  for (const r of recs) if (isSafeInt(r.body.seq) && !bySeq.has(r.body.seq)) bySeq.set(r.body.seq, r);
  const reversed = new Map<number, { total: number; kinds: string[] }>();
  for (const r of recs) {
    if (r.body.kind !== 'refund' && r.body.kind !== 'void') continue;
    const where = `record line ${r.index} (seq ${String(r.body.seq)})`;
    const rv = r.body.reverses;
    if (!isPlainObject(rv) || !isSafeInt(rv.seq, 1)) continue; // schema problem already reported
    const sale = bySeq.get(rv.seq);
    if (!sale || sale.index >= r.index) {
      if (fromOk && rv.seq < (from.seq as number)) {
        warnings.push(`${where}: reverses seq ${rv.seq}, before the start of this file: not checked`);
      } else {
        problems.push(
          `[unknown-reversal] ${where}: reverses seq ${rv.seq}, which is not an earlier record of this chain`,
        );
      }
      continue;
    }
    if (sale.body.kind !== 'sale') {
      problems.push(`[unknown-reversal] ${where}: reverses seq ${rv.seq}, which is not a sale`);
      continue;
    }
    if (sale.hash !== rv.hash) {
      problems.push(`[unknown-reversal] ${where}: reverses.hash is not the record hash of seq ${rv.seq}`);
      continue;
    }
    const saleSplit = sale.body.split as Record<string, number>;
    const split = r.body.split as Record<string, number>;
    const prior = reversed.get(rv.seq) ?? { total: 0, kinds: [] };
    if (r.body.kind === 'void') {
      if (prior.kinds.length > 0)
        problems.push(`[excess-reversal] ${where}: voids seq ${rv.seq}, which already has reversals`);
      let same = false;
      try {
        same =
          canonicalJson(r.body.lines) === canonicalJson(sale.body.lines) &&
          canonicalJson(split) === canonicalJson(saleSplit);
      } catch {
        same = false;
      }
      if (!same) problems.push(`[excess-reversal] ${where}: a void that does not copy the sale's lines and split`);
    }
    const total = prior.total + (isSafeInt(split?.totalFen) ? split.totalFen : 0);
    if (isSafeInt(saleSplit?.totalFen) && total > saleSplit.totalFen) {
      problems.push(
        `[excess-reversal] ${where}: reversals of seq ${rv.seq} add up to ${total} > ${saleSplit.totalFen}`,
      );
    }
    reversed.set(rv.seq, { total, kinds: [...prior.kinds, r.body.kind as string] });
  }

  // The header's signature (§6), by the till's current key: the key of the chain's end.
  if (header.sig === null && header.keyId === null) {
    warnings.push('the header is unsigned: records cut off the end of the file cannot be ruled out');
  } else if (typeof header.sig !== 'string' || !isId(header.keyId)) {
    problems.push('[malformed] header: keyId and sig must both be set or both be null');
  } else {
    const key = ring.get(header.keyId);
    let text2: string | undefined;
    try {
      text2 = headerSigningText(header);
    } catch {
      text2 = undefined;
    }
    if (!key) problems.push(`[bad-signature] header: no trusted public key for ${header.keyId}`);
    else if (text2 === undefined || !verifySigB64(key.publicKey, text2, header.sig)) {
      problems.push(`[bad-signature] header: signature does not verify with key ${header.keyId}`);
    }
    if (currentKey !== undefined && header.keyId !== currentKey) {
      problems.push(`[key-not-valid] header: signed by ${header.keyId}, but the chain's current key is ${currentKey}`);
    }
  }

  return done();
}

// ---------------------------------------------------------------------------------------------------------------
// §5 The receipt's QR code
// ---------------------------------------------------------------------------------------------------------------

export const QR_KIND_LETTER: Record<string, string> = {
  sale: 'S',
  refund: 'R',
  void: 'V',
  'key-rotation': 'K',
  'catch-up': 'C',
};
const QR_LETTER_KIND: Record<string, string> = Object.fromEntries(
  Object.entries(QR_KIND_LETTER).map(([k, v]) => [v, k]),
);

export interface QrFields {
  pharmacyCode: string;
  terminalId: string;
  seq: number;
  kind: string; // as a word
  kindLetter: string;
  issuedAt: number;
  totalFen: number;
  hash: string; // lowercase hex
  hashBase32: string;
  sig: string; // base32, '' when unsigned
  keyId: string;
}

export interface QrResult {
  ok: boolean;
  problems: string[];
  fields: QrFields | null;
}

/** The text the QR's own signature covers (§5). */
export function qrSigningText(f: {
  pharmacyCode: string;
  terminalId: string;
  seq: number;
  kind: string;
  issuedAt: number;
  totalFen: number;
  hash: string;
}): string {
  return `YG1|${f.pharmacyCode}|${f.terminalId}|${f.seq}|${f.kind}|${f.issuedAt}|${f.totalFen}|${f.hash}`;
}

const DECIMAL_RE = /^(?:0|[1-9][0-9]*)$/;

/** Verifies a receipt's QR text (§5) against the given keys. An unsigned QR has the problem 'unsigned'. */
export function verifyQr(text: string, keys: readonly KeyInfo[]): QrResult {
  const problems: string[] = [];
  const parts = typeof text === 'string' ? text.split('*') : [];
  if (parts.length !== 10) return { ok: false, problems: ['not ten fields separated by *'], fields: null };
  const [tag, pharmacyCode, terminalId, seqS, letter, issuedAtS, totalS, hashB32, sigB32, keyId] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (tag !== 'YG1') problems.push('the first field is not YG1');
  if (!PHARMACY_RE.test(pharmacyCode)) problems.push('bad pharmacyCode');
  if (!ID_RE.test(terminalId)) problems.push('bad terminalId');
  if (!ID_RE.test(keyId)) problems.push('bad keyId');
  const num = (s: string, name: string, min: number): number => {
    if (!DECIMAL_RE.test(s)) {
      problems.push(`${name} is not a decimal without leading zeros`);
      return NaN;
    }
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < min) problems.push(`${name} out of range`);
    return n;
  };
  const seq = num(seqS, 'seq', 1);
  const issuedAt = num(issuedAtS, 'issuedAt', 0);
  const totalFen = num(totalS, 'totalFen', 0);
  const kind = QR_LETTER_KIND[letter];
  if (!kind) problems.push(`unknown kind letter ${JSON.stringify(letter)}`);
  const hashBytes = hashB32.length === 52 ? base32Decode(hashB32) : null;
  if (!hashBytes || hashBytes.length !== 32) problems.push('hash is not 52 base32 characters');
  const hash = hashBytes ? bytesToHex(hashBytes) : '';
  const fields: QrFields = {
    pharmacyCode,
    terminalId,
    seq,
    kind: kind ?? '',
    kindLetter: letter,
    issuedAt,
    totalFen,
    hash,
    hashBase32: hashB32,
    sig: sigB32,
    keyId,
  };
  if (sigB32 === '') {
    problems.push('unsigned');
    return { ok: false, problems, fields };
  }
  const sig = sigB32.length === 103 ? base32Decode(sigB32) : null;
  if (!sig || sig.length !== 64) {
    problems.push('sig is not 103 base32 characters');
    return { ok: false, problems, fields };
  }
  if (problems.length > 0) return { ok: false, problems, fields };
  const key = keys.find((k) => k.keyId === keyId);
  const pk = key ? base64urlDecode(key.publicKey) : null;
  if (!key || !pk) problems.push(`no public key for ${keyId}`);
  else {
    if (!ed25519Verify(pk, utf8Bytes(qrSigningText({ ...fields, kind: kind! })), sig)) {
      problems.push('bad-signature');
    } else if (!withinValidity(key, issuedAt))
      problems.push(`key-not-valid: issuedAt outside the validity of ${keyId}`);
  }
  return { ok: problems.length === 0, problems, fields };
}
