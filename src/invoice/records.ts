/*
 * How a terminal's invoice chain sits in its storage (the stores TerminalLayout names). Types and keys only, so
 * that storage/terminal-layout.ts can name them without loading any invoice code.
 */
import type { SignedInvoice, WrappedTerminalKey } from '../schemas/invoice.js';

/**
 * The head of one chain (store `invoiceChain`, key `{pharmacyCode}/{terminalId}`): what the next invoice builds
 * on. Updated in the same atomic batch as the record it describes, guarded by its revision, so that two writers
 * can never both take a number (no fork) and a crash never leaves a number without its record (no gap).
 */
export interface InvoiceChainHead {
  /** The last seq issued; 0 before the first invoice. */
  readonly seq: number;
  /** That record's hash; GENESIS_HASH before the first invoice. */
  readonly hash: string;
  /** The key that signs the next invoice (`UNENROLLED` until a key is enrolled: receipts then go unsigned). */
  readonly keyId: string;
  /** The key the platform has registered (YG04), when it differs from none. */
  readonly registeredKeyId?: string;
  /** First seq of the run of unsigned receipts that a catch-up record has not closed yet. */
  readonly unsignedFrom?: number;
  /**
   * The book's time (epoch ms): the latest issue time of its records and creation time of its keys. The next
   * invoice is issued at `max(device clock, time)`, so issue times never go backwards and a key is never dated
   * after a record it signs. Absent in heads written before it was kept: then the last record's `issuedAt` and the
   * current key's `createdAt` stand for it.
   */
  readonly time?: number;
}

/** How far a chain has been uploaded (store `invoiceUploads`, key `{pharmacyCode}/{terminalId}`). */
export interface InvoiceUploadMark {
  /** Every seq up to this one was accepted by YG01. */
  readonly through: number;
}

/** The stores an invoice book uses, with their value types (part of `TerminalLayout`). */
export interface InvoiceStores {
  /** Signed records, key `{pharmacyCode}/{terminalId}/{seq, 12 digits}`: never changed once written. */
  invoices: SignedInvoice;
  invoiceChain: InvoiceChainHead;
  /** Wrapped terminal keys, key `{pharmacyCode}/{terminalId}/{keyId}`. */
  invoiceKeys: WrappedTerminalKey;
  invoiceUploads: InvoiceUploadMark;
}

/** The key id a chain names before any key is enrolled. */
export const UNENROLLED = 'UNENROLLED';

/** The key of a chain's head (and upload mark): `{pharmacyCode}/{terminalId}`. */
export const chainKey = (pharmacyCode: string, terminalId: string) => `${pharmacyCode}/${terminalId}`;
/** The key of a record: the chain's key and the seq in 12 digits, so that keys sort in chain order. */
export const recordKey = (chain: string, seq: number) => `${chain}/${String(seq).padStart(12, '0')}`;
