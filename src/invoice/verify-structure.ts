/*
 * The structure of a chain: which record is built on which (by hash), and from that the duplicates, inserted
 * records, reordering, gaps and deletions, the chain's end, and its reversals. See the module comment of
 * verify.ts for what each issue means.
 */
import { addIssue, isStart, type Node, type Start, type VerifyContext } from './verify-nodes.js';
import { texts } from './verify-texts.js';
import { GENESIS_HASH } from '../schemas/invoice.js';

/** The records linked to their predecessors: unique records by hash, and the chain's start (none when partial). */
interface Links {
  readonly byHash: Map<string, Node>;
  readonly from: { readonly seq: number; readonly prevHash: string };
  readonly start: Start | undefined;
}

/** Links, numbering, order, reversals: returns the records in chain order (without inserted or repeated ones). */
export function structure(ctx: VerifyContext, nodes: readonly Node[]): Node[] {
  const links = linkNodes(ctx, nodes);
  const alive = removeInserted(
    ctx,
    nodes.filter((n) => !n.removed),
  );
  const chain = chainOrder(ctx, alive);
  checkLinks(ctx, chain, links.start);
  checkEnd(ctx, chain, links);
  checkReversals(ctx, chain, links);
  return chain;
}

/** Reports repeated records (`duplicate`, marked removed), and links every other record to its predecessor. */
function linkNodes(ctx: VerifyContext, nodes: readonly Node[]): Links {
  const { options } = ctx;
  const byHash = new Map<string, Node>();
  for (const n of nodes) {
    const first = byHash.get(n.hash);
    if (first) {
      n.removed = true;
      addIssue(ctx, 'duplicate', n.index, n.seq, texts.sameRecord(first.seq, first.index));
    } else byHash.set(n.hash, n);
  }
  const from = options.from ?? { seq: 1, prevHash: GENESIS_HASH };
  const start: Start | undefined = options.partial
    ? undefined
    : { start: true, index: -1, seq: from.seq - 1, hash: from.prevHash, children: [] };
  for (const n of nodes.filter((n) => !n.removed)) {
    const p = byHash.get(n.prevHash) ?? (start && n.prevHash === start.hash ? start : undefined);
    if (p !== undefined && p !== n) {
      n.pred = p;
      p.children.push(n);
    }
  }
  return { byHash, from, start };
}

/**
 * Inserted: runs of records nothing outside the run is built on, between two records that link directly. Reports
 * and marks them removed; returns the records left.
 */
function removeInserted(ctx: VerifyContext, alive: readonly Node[]): Node[] {
  const seqCount = new Map<number, number>();
  for (const n of alive) seqCount.set(n.seq, (seqCount.get(n.seq) ?? 0) + 1);
  const pos = new Map(alive.map((n, i) => [n, i]));
  const posOf = (x: Node | Start | undefined) => (x === undefined ? undefined : isStart(x) ? -1 : pos.get(x));
  // A record that nothing is built on (the last) cannot show that the records before it are inserted: two
  // records claiming the same predecessor at the end are a repeated number, unless the head names one of them.
  const confirmed = (n: Node) => n.children.length > 0 || ctx.options.head?.hash === n.hash;
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
      const repeats = (seqCount.get(m.seq) ?? 0) > 1 ? m.seq : undefined;
      addIssue(ctx, 'inserted', m.index, m.seq, texts.inserted(b.seq, b.pred as Node | Start, repeats));
    }
  }
  return alive.filter((n) => !n.removed);
}

/**
 * Reordered: records off the longest run in ascending seq (only records whose seq can be trusted) are reported
 * and put back after the last record of that run with a lower or equal seq. Returns the records in chain order.
 */
function chainOrder(ctx: VerifyContext, alive: readonly Node[]): Node[] {
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
    addIssue(ctx, 'reordered', r.index, r.seq, texts.reordered(r.seq, anchor?.seq));
  }
  return alive.slice().sort((a, b) => (a.key as number) - (b.key as number) || a.seq - b.seq);
}

/** Whether an entry that could not be read lies strictly between positions `x` and `y`. */
function malformedBetween(malformedAt: readonly number[], x: number, y: number): boolean {
  const before = (at: number) => {
    let low = 0;
    let high = malformedAt.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((malformedAt[mid] as number) < at) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  return before(Math.max(x, y)) - before(Math.min(x, y) + 1) > 0;
}

/** Links and numbers, in chain order: gaps, deletions, repeated numbers, replaced records, links elsewhere. */
function checkLinks(ctx: VerifyContext, chain: readonly Node[], start: Start | undefined): void {
  const issue = addIssue.bind(undefined, ctx);
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
    if (suspect || malformedBetween(ctx.malformedAt, a.index, b.index)) continue;
    if (b.pred === undefined) {
      if (b.seq > a.seq + 1) issue('deleted', b.index, a.seq + 1, texts.deleted(a.seq + 1, b.seq - 1, b.seq));
      else if (b.seq <= a.seq) issue('duplicate', b.index, b.seq, texts.reusedUnchained(b.seq));
      else if (isStart(a)) issue('altered', b.index, b.seq, texts.badStart(b.seq));
      else issue('altered', a.index, a.seq, texts.replaced(a.seq, b.seq));
    } else if (b.seq <= a.seq) issue('duplicate', b.index, b.seq, texts.forked(b.seq, b.pred.seq));
    else issue('reordered', b.index, b.seq, texts.chainedElsewhere(b.seq, b.pred.seq, a.seq));
  }
}

/** The end, as a signed export header or the platform knows it (`options.head`). */
function checkEnd(ctx: VerifyContext, chain: readonly Node[], { byHash, from }: Links): void {
  const head = ctx.options.head;
  const last = chain[chain.length - 1];
  if (!head) return;
  const headNode = byHash.get(head.hash);
  if (headNode && !headNode.removed) {
    const flagged = new Set(ctx.issues.map((i) => i.index));
    for (const n of chain.slice(chain.indexOf(headNode) + 1)) {
      if (!flagged.has(n.index)) addIssue(ctx, 'inserted', n.index, n.seq, texts.afterHead(head.seq));
    }
  } else if (ctx.malformedAt.some((m) => m > (last?.index ?? -1))) {
    // The missing end may be what could not be read: that is reported already.
  } else if (!last || last.seq < head.seq) {
    const missing = (last?.seq ?? from.seq - 1) + 1;
    addIssue(ctx, 'deleted', ctx.entries.length, missing, texts.truncated(missing, head.seq));
  } else {
    const at = chain.find((n) => n.seq === head.seq) ?? last;
    addIssue(ctx, 'altered', at.index, at.seq, texts.notHead(head.seq));
  }
}

/** Reversals: an earlier sale of this chain, by seq and hash, not reversed beyond its total. */
function checkReversals(ctx: VerifyContext, chain: readonly Node[], { byHash, from }: Links): void {
  const chainPos = new Map(chain.map((n, i) => [n, i]));
  const firstSeq = chain.reduce((min, n) => Math.min(min, n.seq), Infinity);
  const reversed = new Map<Node, number>();
  for (const r of chain) {
    const { reverses, kind, split } = r.record.body;
    if (!reverses || r.sig === 'bad') continue;
    const o = byHash.get(reverses.hash);
    if (!o || o.removed) {
      if (!(ctx.options.partial || from.seq > 1) || reverses.seq >= firstSeq) {
        addIssue(ctx, 'unknown-reversal', r.index, r.seq, texts.unknownReversal(kind, reverses.seq));
      }
      continue;
    }
    const later = (chainPos.get(o) as number) > (chainPos.get(r) as number);
    if (o.seq !== reverses.seq || o.record.body.kind !== 'sale' || later) {
      addIssue(ctx, 'unknown-reversal', r.index, r.seq, texts.notASale(kind, reverses.seq, o.record.body.kind));
      continue;
    }
    const total = (reversed.get(o) ?? 0) + split.totalFen;
    reversed.set(o, total);
    const original = o.record.body.split.totalFen;
    if (total > original || (kind === 'void' && split.totalFen !== original)) {
      addIssue(ctx, 'excess-reversal', r.index, r.seq, texts.excess(kind, o.seq, original, total));
    }
  }
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
  for (let i = tails.length ? (tails[tails.length - 1] as number) : -1; i >= 0; i = back[i] as number) {
    out.add(nodes[i] as Node);
  }
  return out;
}
