/*
 * The chain export an inspector takes away: JSON Lines, byte-exact.
 *
 *   line 1      the header: format, pharmacy, terminal, export time, where the chain starts (`from`), its last
 *               record (`head`: seq and hash), the record count, the public keys with their validity, and the
 *               header's own signature by the terminal's current key (`keyId`, `sig`; null when the key could
 *               not sign at export time)
 *   line 2…     one signed record per line, in chain order, each the RFC 8785 canonical JSON of the record
 *   every line ends with "\n", the last one too
 *
 * Because every line must be exactly the canonical JSON of its value, any change to the file (a byte, white space,
 * a line ending) shows as an issue at its line; because the header is signed and names the head, records cut off
 * the end show too. The keys in the header are the terminal's own statement: an inspector should compare them
 * with the platform's registry (YG04) or pass registered keys.
 */
import type { Signer } from '../crypto/index.js';
import type { InvoiceExportHeader, SignedInvoice } from '../schemas/invoice.js';
import type { InvoiceKey } from './verify.js';
import { canonicalJson } from '../canonical-json.js';
import { GENESIS_HASH, INVOICE_EXPORT_FORMAT } from '../schemas/invoice.js';
import { sha256Hex, toBase64Url } from '../crypto/index.js';

/** The text a chain export's header signature covers. */
export const headerSigningText = (header: Omit<InvoiceExportHeader, 'sig'>) => `YG1-EXPORT|${canonicalJson(header)}`;

/** What {@link exportInvoiceChain} writes. */
export interface ExportInvoiceChainOptions {
  readonly pharmacyCode: string;
  readonly terminalId: string;
  /** The records, in chain order. */
  readonly records: readonly SignedInvoice[];
  /** The public keys the chain is signed with. */
  readonly keys: readonly InvoiceKey[];
  readonly exportedAt: number;
  /** The terminal's current key, to sign the header; without it (or when it fails) the header is unsigned. */
  readonly signer?: Signer;
}

/**
 * Writes a chain export (see the module comment for the format).
 *
 * @example
 * const text = await exportInvoiceChain({ pharmacyCode, terminalId, records, keys, exportedAt: Date.now(), signer })
 */
export async function exportInvoiceChain(options: ExportInvoiceChainOptions): Promise<string> {
  const lines = options.records.map((record) => canonicalJson(record));
  const first = options.records[0];
  const last = options.records[options.records.length - 1];
  const header: Omit<InvoiceExportHeader, 'sig'> = {
    format: INVOICE_EXPORT_FORMAT,
    pharmacyCode: options.pharmacyCode,
    terminalId: options.terminalId,
    exportedAt: options.exportedAt,
    from: first ? { seq: first.body.seq, prevHash: first.body.prevHash } : { seq: 1, prevHash: GENESIS_HASH },
    head: last ? { seq: last.body.seq, hash: await sha256Hex(lines[lines.length - 1] as string) } : null,
    count: lines.length,
    keys: options.keys.map((key) => ({ ...key })),
    keyId: options.signer?.keyId ?? null,
  };
  let sig: string | null = null;
  if (options.signer) {
    try {
      sig = toBase64Url(await options.signer.sign(new TextEncoder().encode(headerSigningText(header))));
    } catch {
      sig = null;
    }
  }
  const signed = { ...header, keyId: sig === null ? null : header.keyId, sig };
  return [canonicalJson(signed), ...lines].map((line) => `${line}\n`).join('');
}
