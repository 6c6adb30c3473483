/*
 * The keys of a chain's verification: the given ones (trust anchors), those that verified rotation records
 * introduce, and whether each record's key may sign it (known, in its place in the chain, within its validity
 * times on the chain's time line).
 */
import type { InvoiceBody } from '../schemas/invoice.js';
import type { InvoiceKey, InvoiceText } from './verify.js';
import { addIssue, type Node, type VerifyContext } from './verify-nodes.js';
import { texts } from './verify-texts.js';
import { InputError } from '../errors/areas.js';

/** What the chain's rotation records say, each key at the first record (by seq) that says it. */
export interface RotationKeys {
  /** Keys a rotation introduces: from which seq, with which public key. */
  readonly introduced: Map<string, { seq: number; publicKey: string }>;
  /** Keys a rotation retires: at which seq. */
  readonly retired: Map<string, number>;
}

/** A key the chain is checked with. */
export interface TrustedKey {
  readonly publicKey: string;
  readonly source: 'given' | 'rotation';
}

/** The given keys by id; `InputError` for anything that is not a list of distinct keys. */
export function checkKeys(keys: readonly InvoiceKey[]): Map<string, InvoiceKey> {
  if (!Array.isArray(keys)) throw badKey('keys', 'must be an array of { keyId, publicKey }');
  const map = new Map<string, InvoiceKey>();
  keys.forEach((key: InvoiceKey, i) => {
    if (typeof key?.keyId !== 'string' || typeof key.publicKey !== 'string' || !/^[\w-]{43}$/.test(key.publicKey)) {
      throw badKey(`keys.${i}`, 'needs a keyId and a base64url Ed25519 public key (43 characters)');
    }
    const known = map.get(key.keyId);
    if (known && known.publicKey !== key.publicKey) {
      throw badKey(`keys.${i}`, `names key ${key.keyId} twice with different public keys`);
    }
    map.set(key.keyId, key);
  });
  return map;
}

function badKey(field: string, what: string): InputError {
  return new InputError('INVALID_INPUT', {
    message: `Verification keys: ${field} ${what}`,
    messageZh: `验签公钥参数 ${field} 不正确`,
    field,
  });
}

/** Why `at` is outside the validity times given for `key`, if it is. */
export function outsideValidity(key: InvoiceKey, at: number): InvoiceText | undefined {
  if ((key.validFrom !== undefined && at < key.validFrom) || (key.validUntil !== undefined && at > key.validUntil)) {
    return texts.outsideTimes(key, at);
  }
  return undefined;
}

/** The keys the rotation records among `bodies` introduce and retire. */
export function rotationKeys(bodies: readonly InvoiceBody[]): RotationKeys {
  const introduced = new Map<string, { seq: number; publicKey: string }>();
  const retired = new Map<string, number>();
  const rotationBodies = bodies.filter((b) => b.newKey !== undefined).sort((a, b) => a.seq - b.seq);
  for (const body of rotationBodies) {
    const newKey = body.newKey as { keyId: string; publicKey: string };
    if (!retired.has(body.keyId)) retired.set(body.keyId, body.seq);
    if (!introduced.has(newKey.keyId)) introduced.set(newKey.keyId, { seq: body.seq, publicKey: newKey.publicKey });
  }
  return { introduced, retired };
}

/** Why a record's key may not sign it where it is: after the rotation that retired it, or before its own. */
function positionProblem(rotation: RotationKeys, n: Node): InvoiceText | undefined {
  const { keyId } = n.record.body;
  const until = rotation.retired.get(keyId);
  if (until !== undefined && n.seq > until) return texts.retired(keyId, until);
  const since = rotation.introduced.get(keyId)?.seq;
  if (since !== undefined && n.seq <= since) return texts.notYet(keyId, since);
  return undefined;
}

/**
 * The keys the chain is checked with: the given ones, and those introduced by rotation records that verify with a
 * trusted key in its place (in seq order, so that a chain of rotations is followed).
 */
export function trustKeys(ctx: VerifyContext, nodes: readonly Node[], rotation: RotationKeys): Map<string, TrustedKey> {
  const rotations = nodes.filter((n) => n.record.body.newKey !== undefined).sort((a, b) => a.seq - b.seq);
  const trusted = new Map<string, TrustedKey>();
  for (const [keyId, key] of ctx.given) trusted.set(keyId, { publicKey: key.publicKey, source: 'given' });
  for (const r of rotations) {
    const newKey = r.record.body.newKey as { keyId: string; publicKey: string };
    if (r.sig !== 'ok' || !trusted.has(r.record.body.keyId) || positionProblem(rotation, r)) continue;
    const registered = ctx.given.get(newKey.keyId);
    if (registered && registered.publicKey !== newKey.publicKey) {
      addIssue(ctx, 'key-not-valid', r.index, r.seq, texts.rotationMismatch(newKey.keyId));
    } else if (!trusted.has(newKey.keyId)) {
      trusted.set(newKey.keyId, { publicKey: newKey.publicKey, source: 'rotation' });
    }
  }
  return trusted;
}

/**
 * Reports every signed record whose key may not sign it (`key-not-valid`), and marks those signed by a key that
 * is not trusted `nokey`. Returns the chain time of every record and the records at fault.
 */
export function keyValidity(
  ctx: VerifyContext,
  nodes: readonly Node[],
  rotation: RotationKeys,
  trusted: ReadonlyMap<string, TrustedKey>,
): { timeOf: Map<Node, number>; keyFaults: Set<Node> } {
  // Validity times are judged on the chain's time line: a record was signed no earlier than the records it is built
  // on (its signature covers their hashes), so its time is the latest issue time among them and itself.
  const timeOf = chainTimes(nodes, (n) => n.sig === 'unsigned' || (n.sig === 'ok' && trusted.has(n.record.body.keyId)));
  const keyFaults = new Set<Node>();
  for (const n of nodes) {
    if (n.sig === 'unsigned') continue;
    const { keyId } = n.record.body;
    const key = ctx.given.get(keyId);
    const problem = !trusted.has(keyId)
      ? rotation.introduced.has(keyId)
        ? texts.untrustedRotation(keyId, (rotation.introduced.get(keyId) as { seq: number }).seq)
        : texts.unknownKey(keyId)
      : (positionProblem(rotation, n) ?? (key ? outsideValidity(key, timeOf.get(n) as number) : undefined));
    if (problem) {
      keyFaults.add(n);
      addIssue(ctx, 'key-not-valid', n.index, n.seq, problem);
    }
    if (!trusted.has(keyId)) n.sig = 'nokey';
  }
  return { timeOf, keyFaults };
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
