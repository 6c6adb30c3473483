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
  SpecificationSchema,
  QuantitySchema,
  Sha256HexSchema,
  TraceCodeSchema,
} from './primitives.js';

/** The hash a chain's first invoice names as its predecessor. */
export const GENESIS_HASH = '0'.repeat(64);

const Seq = z.int().check(z.gte(1));
const b64 = (length: number) => z.string().check(z.regex(new RegExp(`^[\\w-]{${length}}$`)));
/** An Ed25519 public key, base64url (32 bytes, 43 characters). */
const PublicKey = b64(43);

/** A line as printed on the receipt. No personal data: the buyer is never on an invoice. */
export const InvoiceLineSchema = z.strictObject({
  medListCode: z.optional(MedListCodeSchema),
  name: NameSchema,
  specification: z.optional(SpecificationSchema),
  quantity: QuantitySchema,
  unitPriceFen: FenSchema,
  amountFen: FenSchema,
  traceCodes: z.array(TraceCodeSchema).check(z.maxLength(1000)),
});

/**
 * What an invoice says, before it is signed: the part the signature covers. `seq` is gapless per pharmacy
 * and terminal; `prevHash` is the SHA-256 of the canonical JSON of the whole previous record (body and
 * signature). A refund or void is an invoice of its own that names the invoice it reverses (`reverses`).
 * Two kinds carry no sale: `key-rotation`, signed by the outgoing key, names the key that signs from the next
 * seq on (`newKey`); `catch-up`, signed when signing works again after a failure, covers the unsigned
 * receipts just before it (`covers`, up to `seq - 1`). Strict: an unknown member is refused, so nothing can be
 * added to a record without it being refused or breaking its signature.
 */
export const InvoiceBodySchema = z
  .strictObject({
    /** Format version of the signed record. */
    v: z.literal(1),
    kind: z.enum(['sale', 'refund', 'void', 'key-rotation', 'catch-up']),
    seq: Seq,
    /**
     * When it was issued (epoch ms), on the book's time line: the device clock, or the book's last time when the
     * clock is behind it, so issue times never go backwards along a chain.
     */
    issuedAt: EpochMsSchema,
    /**
     * Present only when the device clock was behind the book's last time at issue: by how many ms (so the device's
     * own time was `issuedAt - clockBehindMs`). A clock set back is suspicious in itself; the receipt says so.
     */
    clockBehindMs: z.optional(z.int().check(z.gte(1))),
    pharmacyCode: InstitutionCodeSchema,
    terminalId: IdSchema,
    lines: z.array(InvoiceLineSchema).check(z.maxLength(200)),
    split: PaymentSplitSchema,
    /** The platform's settlement id (`setl_id`), for insured sales and their refunds. */
    setlId: z.optional(IdSchema),
    /** The invoice a refund or void reverses: its seq and record hash. */
    reverses: z.optional(z.strictObject({ seq: Seq, hash: Sha256HexSchema })),
    /** `key-rotation`: the key that signs from the next seq on (public key base64url). */
    newKey: z.optional(z.strictObject({ keyId: IdSchema, publicKey: PublicKey })),
    /** `catch-up`: the seqs before it that were issued unsigned (`to` is always `seq - 1`). */
    covers: z.optional(z.strictObject({ from: Seq, to: Seq })),
    prevHash: Sha256HexSchema,
    /** Id of the terminal key that signs this invoice. */
    keyId: IdSchema,
  })
  .check(
    z.refine((body) => body.lines.reduce((sum, line) => sum + line.amountFen, 0) === body.split.totalFen, {
      message: 'The lines must add up to the total',
      path: ['split', 'totalFen'],
    }),
    z.refine(
      (body) =>
        (body.kind === 'refund' || body.kind === 'void') === (body.reverses !== undefined) &&
        (body.reverses === undefined || body.reverses.seq < body.seq),
      {
        message: 'Refunds and voids, and only they, name an earlier invoice they reverse',
        path: ['reverses'],
      },
    ),
    z.refine(
      (b) =>
        (b.kind === 'key-rotation') === (b.newKey !== undefined && b.newKey.keyId !== b.keyId) &&
        (b.kind === 'catch-up') ===
          (b.covers !== undefined && b.covers.from <= b.covers.to && b.covers.to === b.seq - 1) &&
        (b.newKey || b.covers ? b.split.totalFen === 0 : b.lines.length > 0),
      {
        message:
          'Sales, refunds and voids have lines; a key rotation names a new key, a catch-up the seqs up to its own',
        path: ['kind'],
      },
    ),
  );

/**
 * An invoice as stored, chained and exported: the body and its Ed25519 signature (base64url) over the UTF-8 of the
 * RFC 8785 canonical JSON of `body`, or `null` for a receipt issued while the terminal key was unavailable (closed
 * later by a signed `catch-up` record). The record hash is the SHA-256 of the canonical JSON of the whole record.
 * The receipt QR carries a signature of its own (see `invoiceQrSigningText`). The format, with test vectors, is
 * written down for inspectors in docs/RECEIPT-FORMAT.md (shipped in the package).
 */
export const SignedInvoiceSchema = z
  .strictObject({
    body: InvoiceBodySchema,
    sig: z.nullable(Ed25519SignatureSchema),
  })
  .check(
    z.refine((r) => r.sig !== null || !(r.body.newKey || r.body.covers), {
      message: 'Key rotations and catch-ups are always signed',
      path: ['sig'],
    }),
  );

/**
 * A terminal key as stored: the public key in clear, the private key (PKCS #8) wrapped with AES-256-GCM under a
 * key derived by HKDF-SHA-256 from the device secret; the key id and public key are the GCM additional data.
 */
export const WrappedTerminalKeySchema = z.object({
  v: z.literal(1),
  keyId: IdSchema,
  publicKey: PublicKey,
  alg: z.literal('HKDF-SHA256/A256GCM'),
  /** HKDF salt (16 bytes), AES-GCM IV (12 bytes), the encrypted PKCS #8 key with its tag (64 bytes): base64url. */
  salt: b64(22),
  iv: b64(16),
  data: b64(86),
  /** When the key was made (epoch ms): it signs from then on. */
  createdAt: EpochMsSchema,
  /** When a rotation retired it (epoch ms). */
  retiredAt: z.optional(EpochMsSchema),
});

/** The `format` of a chain export's header line. */
export const INVOICE_EXPORT_FORMAT = 'yibao-guard.invoice-chain/1';

/**
 * The header line of a chain export: who, when, where the chain starts and ends, the public keys with their
 * validity, and the header's signature by the terminal's current key over `YG1-EXPORT|` + the canonical JSON of
 * the header without `sig` (both null when the key could not sign at export time).
 */
export const InvoiceExportHeaderSchema = z.strictObject({
  format: z.literal(INVOICE_EXPORT_FORMAT),
  pharmacyCode: InstitutionCodeSchema,
  terminalId: IdSchema,
  exportedAt: EpochMsSchema,
  /** The first record's seq and the hash it names as predecessor (GENESIS_HASH for a whole chain). */
  from: z.strictObject({ seq: Seq, prevHash: Sha256HexSchema }),
  /** The last record's seq and hash; null for an empty chain. */
  head: z.nullable(z.strictObject({ seq: Seq, hash: Sha256HexSchema })),
  count: z.int().check(z.gte(0)),
  keys: z.array(
    z.strictObject({
      keyId: IdSchema,
      publicKey: PublicKey,
      validFrom: z.optional(EpochMsSchema),
      validUntil: z.optional(EpochMsSchema),
    }),
  ),
  keyId: z.nullable(IdSchema),
  sig: z.nullable(Ed25519SignatureSchema),
});

export type InvoiceLine = z.infer<typeof InvoiceLineSchema>;
export type InvoiceBody = z.infer<typeof InvoiceBodySchema>;
export type InvoiceKind = InvoiceBody['kind'];
export type SignedInvoice = z.infer<typeof SignedInvoiceSchema>;
export type WrappedTerminalKey = z.infer<typeof WrappedTerminalKeySchema>;
export type InvoiceExportHeader = z.infer<typeof InvoiceExportHeaderSchema>;
