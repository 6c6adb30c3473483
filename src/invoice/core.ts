/*
 * What the invoice modules take from the rest of the core, in one object.
 *
 * Why not plain imports: every invoice module is loaded with import() on first use (see index.ts), and a bundler
 * that splits code (esbuild, which the size test uses) puts every file that a lazily loaded chunk shares with the
 * main graph into a chunk that the main entry loads at once, used or not: an app importing one validator would
 * then load zod, the schemas and the crypto helpers because an invoice module might need them later. So the lazy
 * modules import nothing from the core at run time (only types); index.ts hands them this object once, when the
 * first of them loads (`install`), and they read it through `slot.ts`. Everything here is part of the core anyway,
 * and an app that never calls an invoice function never references it, so it is tree-shaken away.
 */
import { canonicalJson } from '../canonical-json.js';
import { createEd25519Signer, ed25519KeyPairFromSeed, fromBase64Url, randomBytes, sha256Hex, toBase64Url, toHex, verifyEd25519 } from '../crypto/index.js';
import { InputError, InvoiceError, StorageError } from '../errors/areas.js';
import { YibaoGuardError, isYibaoGuardError } from '../errors/base.js';
import { lineAmountFen } from '../money.js';
import { formatCstTime } from '../platform/time.js';
import { GENESIS_HASH, InvoiceBodySchema, InvoiceExportHeaderSchema, INVOICE_EXPORT_FORMAT, SignedInvoiceSchema, WrappedTerminalKeySchema } from '../schemas/invoice.js';
import { parseInput } from '../schemas/parse.js';
import { IdSchema, InstitutionCodeSchema } from '../schemas/primitives.js';

/** The core values the invoice modules use. */
export const core = {
  canonicalJson,
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  fromBase64Url,
  randomBytes,
  sha256Hex,
  toBase64Url,
  toHex,
  verifyEd25519,
  InputError,
  InvoiceError,
  StorageError,
  YibaoGuardError,
  isYibaoGuardError,
  lineAmountFen,
  formatCstTime,
  GENESIS_HASH,
  INVOICE_EXPORT_FORMAT,
  InvoiceBodySchema,
  InvoiceExportHeaderSchema,
  SignedInvoiceSchema,
  WrappedTerminalKeySchema,
  parseInput,
  IdSchema,
  InstitutionCodeSchema,
} as const;

export type Core = typeof core;
