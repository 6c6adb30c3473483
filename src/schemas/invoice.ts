import * as z from 'zod/mini';
import { PaymentSplitSchema } from './sale.js';
import {
  Ed25519SignatureSchema,
  EpochMsSchema,
  FenSchema,
  IdSchema,
  InstitutionCodeSchema,
  MedListCodeSchema,
  NameSchema,
  QuantitySchema,
  Sha256HexSchema,
  TraceCodeSchema,
} from './primitives.js';

/** The hash a chain's first invoice names as its predecessor. */
export const GENESIS_HASH = '0'.repeat(64);

/** A line as printed on the receipt. */
export const InvoiceLineSchema = z.object({
  medListCode: z.optional(MedListCodeSchema),
  name: NameSchema,
  specification: z.optional(z.string().check(z.maxLength(200))),
  quantity: QuantitySchema,
  unitPriceFen: FenSchema,
  amountFen: FenSchema,
  traceCodes: z.array(TraceCodeSchema).check(z.maxLength(1000)),
});

/**
 * What an invoice says, before it is signed: the part the signature and the chain hash cover. `seq` is
 * gapless per pharmacy and terminal; `prevHash` is the SHA-256 of the whole previous signed record. A refund
 * or void is an invoice of its own that names the invoice it reverses.
 */
export const InvoiceBodySchema = z
  .object({
    /** Format version of the signed record. */
    v: z.literal(1),
    kind: z.enum(['sale', 'refund', 'void', 'key-rotation', 'catch-up']),
    seq: z.int().check(z.gte(1)),
    issuedAt: EpochMsSchema,
    pharmacyCode: InstitutionCodeSchema,
    terminalId: IdSchema,
    lines: z.array(InvoiceLineSchema).check(z.maxLength(200)),
    split: PaymentSplitSchema,
    /** The platform's settlement id (`setl_id`), for insured sales and their refunds. */
    setlId: z.optional(IdSchema),
    /** The invoice a refund or void reverses. */
    reverses: z.optional(z.object({ seq: z.int().check(z.gte(1)), hash: Sha256HexSchema })),
    prevHash: Sha256HexSchema,
    /** Id of the terminal key that signs this invoice. */
    keyId: IdSchema,
  })
  .check(
    z.refine((body) => body.lines.reduce((sum, line) => sum + line.amountFen, 0) === body.split.totalFen, {
      message: 'The lines must add up to the total',
      path: ['split', 'totalFen'],
    }),
    z.refine((body) => (body.kind === 'refund' || body.kind === 'void') === (body.reverses !== undefined), {
      message: 'Refunds and voids, and only they, name the invoice they reverse',
      path: ['reverses'],
    }),
  );

/** An invoice with its Ed25519 signature (base64url, over the canonical JSON of `body`). */
export const SignedInvoiceSchema = z.object({
  body: InvoiceBodySchema,
  sig: Ed25519SignatureSchema,
});

export type InvoiceLine = z.infer<typeof InvoiceLineSchema>;
export type InvoiceBody = z.infer<typeof InvoiceBodySchema>;
export type SignedInvoice = z.infer<typeof SignedInvoiceSchema>;
