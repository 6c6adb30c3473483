/*
 * The records of a chain as verification sees them (nodes linked by hash), and the state the verification steps
 * share (see `verifyEntries`).
 */
import type { SignedInvoice } from '../schemas/invoice.js';
import type { Ed25519Verifier } from './webcrypto.js';
import type { ChainEntry, InvoiceIssue, InvoiceIssueKind, InvoiceKey, InvoiceText } from './verify.js';
import type { VerifyChainOptions } from './verify.js';

/** What a record's signature says: verifies, fails, absent (an unsigned receipt), or no trusted key to tell. */
export type SigState = 'ok' | 'bad' | 'unsigned' | 'nokey';

export interface Node {
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

/** Where the chain starts: what its first record names as predecessor. */
export interface Start {
  readonly start: true;
  readonly index: -1;
  readonly seq: number;
  readonly hash: string;
  readonly children: Node[];
}

/** One verification's state: what is verified and how, and what was found so far. */
export interface VerifyContext {
  readonly entries: readonly ChainEntry[];
  readonly options: VerifyChainOptions;
  /** Each record alone: form, key, signature (no links, numbering or reversals). */
  readonly single: boolean;
  /** The given keys, by key id. */
  readonly given: Map<string, InvoiceKey>;
  readonly verifier: Ed25519Verifier;
  /** Every problem found, in the order found (sorted by position at the end). */
  readonly issues: InvoiceIssue[];
  /** The positions of the entries that could not be read, ascending. */
  readonly malformedAt: number[];
}

export const isStart = (x: Node | Start | undefined): x is Start => x !== undefined && 'start' in x;

/** Records a problem. */
export function addIssue(
  ctx: VerifyContext,
  kind: InvoiceIssueKind,
  index: number,
  seq: number | null,
  detail: InvoiceText,
): void {
  ctx.issues.push({ kind, index, seq, detail });
}
