/**
 * Builds the receipt-format test vectors (docs/yibao-receipt-format-v1.json) through the SDK's own invoice
 * book, deterministically: fixed keys (the RFC 8032 TEST 1 and TEST 2 seeds), a fixed clock, fixed randomness. The
 * chain it issues meets every record kind docs/RECEIPT-FORMAT.md describes: a signed sale, a receipt issued while the
 * key was unavailable, the catch-up record that closes it, a refund, a key rotation, a sale signed by the new key
 * and dated while the device clock was behind. Then the export, the receipts' QR texts, the YG01 upload bodies, and
 * tampered copies with what the SDK's verifier finds in each.
 *
 * test/unit/invoice/receipt-format.test.ts checks that the committed file is exactly what this builds (run it with
 * YG_WRITE_VECTORS=1 to write the file after a deliberate format change), and test/proof/independent-verifier.test.ts
 * checks the file with a verifier written from the document alone.
 */
import { createMemoryStorage, TERMINAL_NAMES, type SignedInvoice, type TerminalLayout } from '../../src/index.js';
import {
  invoiceHash,
  invoiceQrSigningText,
  openInvoiceBook,
  parseInvoiceQr,
  verifyInvoiceExport,
  verifyInvoiceQr,
  type InvoiceKey,
  type IssuedInvoice,
} from '../../src/invoice/index.js';
import { canonicalJson } from '../../src/canonical-json.js';

/** RFC 8032 §7.1 TEST 1 and TEST 2 private keys: the published public keys let anyone check the vectors. */
export const K1_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
export const K2_SEED = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const PHARMACY = 'P22010100001';
const TERMINAL = 'T01';
/** 2026-11-23 10:00:00 CST. */
const T0 = Date.UTC(2026, 10, 23, 2, 0);
const DEVICE_SECRET = new Uint8Array(32).fill(7);

const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));

/** Randomness that hands out the two key seeds (with fixed salts and IVs for their wrapping), in order. */
function keyRandom(): (n: number) => Uint8Array {
  const queue = [
    hex(K1_SEED),
    new Uint8Array(16).fill(1),
    new Uint8Array(12).fill(2),
    hex(K2_SEED),
    new Uint8Array(16).fill(3),
    new Uint8Array(12).fill(4),
  ];
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error(`receipt vectors: unexpected request for ${n} random bytes`);
    return next;
  };
}

export interface RecordVector {
  readonly note: string;
  readonly record: SignedInvoice;
  /** The canonical JSON of `record.body`: what `record.sig` signs (UTF-8). */
  readonly bodyJson: string;
  /** The canonical JSON of the whole record: an export line; SHA-256 of its UTF-8 is `hash`. */
  readonly recordJson: string;
  readonly hash: string;
  /** The text the receipt QR's signature covers. */
  readonly qrSigningText: string;
  /** The receipt QR text as printed at issue (unsigned while the key was unavailable). */
  readonly qr: string;
  /** The YG01 upload body of the record. */
  readonly upload: {
    readonly terminal_id: string;
    readonly seq: number;
    readonly hash: string;
    readonly record: SignedInvoice;
  };
}

export interface TamperVector {
  readonly name: string;
  readonly description: string;
  /** `export`: `text` is a chain export; `qr`: `text` is a receipt QR, checked with the export's keys. */
  readonly target: 'export' | 'qr';
  readonly text: string;
  /** What the SDK's verifier reports, as issue kinds with the record line (export) they are at; -1 is the header. */
  readonly issues: readonly { readonly kind: string; readonly seq: number | null; readonly index: number }[];
}

export interface ReceiptFormatVectors {
  readonly source: string;
  readonly format: string;
  readonly keys: readonly {
    readonly keyId: string;
    readonly seed: string;
    readonly publicKey: string;
    readonly validFrom?: number;
    readonly validUntil?: number;
  }[];
  readonly records: readonly RecordVector[];
  readonly export: { readonly text: string; readonly headerSigningText: string };
  readonly tampered: readonly TamperVector[];
}

/** Issues the vectors' chain and describes it (see the module comment). */
export async function buildReceiptFormatVectors(): Promise<ReceiptFormatVectors> {
  let now = T0;
  const clock = { now: () => now };
  const storage = createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
  const random = keyRandom();
  const open = (withSecret: boolean) =>
    openInvoiceBook({
      storage,
      pharmacyCode: PHARMACY,
      terminalId: TERMINAL,
      clock,
      random,
      ...(withSecret ? { deviceSecret: DEVICE_SECRET } : {}),
    });
  const line = (name: string, amountFen: number, traceCodes: string[], medListCode?: string) => ({
    ...(medListCode ? { medListCode } : {}),
    name,
    specification: '20mg*7片',
    quantity: traceCodes.length,
    unitPriceFen: amountFen / traceCodes.length,
    amountFen,
    traceCodes,
  });
  const issuedQr = new Map<number, string>();
  const keep = (issued: IssuedInvoice) => {
    issuedQr.set(issued.seq, issued.qr);
    if (issued.catchUp) issuedQr.set(issued.catchUp.seq, '');
  };

  let book = await open(true);
  await book.enrolKey({ keyId: 'T01-K1' });
  now += 60_000;
  keep(
    await book.issue({
      lines: [
        line('阿托伐他汀钙片', 5740, ['81234560000000000017', '81234560000000000024'], 'XC10AAA052A001010104430'),
      ],
      split: { totalFen: 5740, fundFen: 4000, accountFen: 1240, cashFen: 500 },
      setlId: 'SETL0001',
    }),
  );
  // A restart without the device secret: the key cannot sign, the sale goes on with an unsigned receipt.
  now += 60_000;
  book = await open(false);
  // 拆零: one and a half boxes, sold from an opened box (one trace code).
  keep(
    await book.issue({
      lines: [
        {
          name: '维生素C片',
          specification: '100mg*100片',
          quantity: 1.5,
          unitPriceFen: 800,
          amountFen: 1200,
          traceCodes: ['81234560000000000031'],
        },
      ],
      split: { totalFen: 1200, fundFen: 0, accountFen: 0, cashFen: 1200 },
    }),
  );
  // The key is back: the next invoice (a partial refund of the first sale) is preceded by the catch-up record.
  now += 60_000;
  book = await open(true);
  keep(
    await book.issue({
      kind: 'refund',
      reverses: 1,
      lines: [line('阿托伐他汀钙片', 2870, ['81234560000000000024'], 'XC10AAA052A001010104430')],
      split: { totalFen: 2870, fundFen: 2000, accountFen: 620, cashFen: 250 },
    }),
  );
  now += 60_000;
  keep(await book.rotateKey({ keyId: 'T01-K2' }));
  // The device clock is set back an hour: the next sale is dated on the book's time line and says by how much.
  now -= 3_600_000;
  keep(
    await book.issue({
      lines: [line('布洛芬缓释胶囊', 1580, ['81234560000000000048'])],
      split: { totalFen: 1580, fundFen: 0, accountFen: 1580, cashFen: 0 },
    }),
  );
  now += 7_200_000;
  const text = await book.export();
  const keys = await book.keys();
  const records = await book.records();

  const notes: Record<string, string> = {
    sale: 'a sale, signed',
    refund: 'a partial refund of seq 1, naming its seq and record hash',
    'key-rotation': 'a key rotation, signed by the outgoing key, naming the key that signs from the next seq on',
    'catch-up': 'a catch-up record, signed, covering the unsigned receipt before it',
  };
  const recordVectors: RecordVector[] = [];
  for (const record of records) {
    const hash = await invoiceHash(record);
    const { body } = record;
    const qr = issuedQr.get(body.seq) || (await book.receiptQr(body.seq)) || '';
    recordVectors.push({
      note:
        record.sig === null
          ? 'a self-pay sale of 1.5 boxes (拆零), issued while the key was unavailable: unsigned (sig null), its QR unsigned'
          : body.clockBehindMs !== undefined
            ? `a sale signed by the new key, issued while the device clock was ${body.clockBehindMs} ms behind the book: dated at the book's time`
            : (notes[body.kind] ?? body.kind),
      record,
      bodyJson: canonicalJson(body),
      recordJson: canonicalJson(record),
      hash,
      qrSigningText: await invoiceQrSigningText({
        pharmacyCode: body.pharmacyCode,
        terminalId: body.terminalId,
        seq: body.seq,
        kind: body.kind,
        issuedAt: body.issuedAt,
        totalFen: body.split.totalFen,
        hash,
      }),
      qr,
      upload: { terminal_id: body.terminalId, seq: body.seq, hash, record },
    });
  }

  const [headerLine = '', ...lines] = text.split('\n').slice(0, -1);
  const { sig: _sig, ...unsignedHeader } = JSON.parse(headerLine) as Record<string, unknown>;
  const join = (header: string, body: readonly string[]) => [header, ...body].map((l) => `${l}\n`).join('');
  const withLine = (i: number, change: (record: SignedInvoice) => void) =>
    join(
      headerLine,
      lines.map((l, j) => {
        if (j !== i) return l;
        const record = JSON.parse(l) as SignedInvoice;
        change(record);
        return canonicalJson(record);
      }),
    );
  const firstSale = recordVectors[0] as RecordVector;
  const tamperedQr = firstSale.qr.replace(`*${firstSale.record.body.split.totalFen}*`, '*574*');
  const cases: Omit<TamperVector, 'issues'>[] = [
    {
      name: 'amount-changed',
      description: 'seq 1: a line amount, the fund share and the total lowered by 10 yuan after issue (signature kept)',
      target: 'export',
      text: withLine(0, (r) => {
        const first = r.body.lines[0] as { amountFen: number; unitPriceFen: number };
        const split = r.body.split as { totalFen: number; fundFen: number };
        split.totalFen -= 1000;
        split.fundFen -= 1000;
        first.amountFen -= 1000;
        first.unitPriceFen -= 500;
      }),
    },
    {
      name: 'record-deleted',
      description: 'the refund (line 5, seq 4) taken out of the file',
      target: 'export',
      text: join(
        headerLine,
        lines.filter((_, j) => j !== 3),
      ),
    },
    {
      name: 'records-swapped',
      description: "lines 2 and 3 (seq 1 and 2) in each other's place",
      target: 'export',
      text: join(headerLine, [lines[1] as string, lines[0] as string, ...lines.slice(2)]),
    },
    {
      name: 'end-cut',
      description: 'the last record taken off the end (the signed header still names it as head)',
      target: 'export',
      text: join(headerLine, lines.slice(0, -1)),
    },
    {
      name: 'header-keys-changed',
      description: 'the header lists another public key for T01-K1 (its signature kept)',
      target: 'export',
      text: join(
        canonicalJson({
          ...JSON.parse(headerLine),
          keys: keys.map((k) => (k.keyId === 'T01-K1' ? { ...k, publicKey: keys[1]?.publicKey } : k)),
        }),
        lines,
      ),
    },
    {
      name: 'not-canonical',
      description: 'seq 1 written with white space (the same JSON value, not its canonical text)',
      target: 'export',
      text: join(
        headerLine,
        lines.map((l, j) => (j === 0 ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '') : l)),
      ),
    },
    {
      name: 'qr-total-changed',
      description: "the first receipt's QR with its total changed from 5740 to 574 fen",
      target: 'qr',
      text: tamperedQr,
    },
  ];
  const tampered: TamperVector[] = [];
  for (const c of cases) {
    const report = c.target === 'export' ? await verifyInvoiceExport(c.text) : await verifyInvoiceQr(c.text, keys);
    tampered.push({ ...c, issues: report.issues.map((i) => ({ kind: i.kind, seq: i.seq, index: i.index })) });
  }
  // The QR parses (only its signature is wrong): a sanity check that the case is the one described.
  parseInvoiceQr(tamperedQr);

  return {
    source:
      "yibao-guard receipt format v1 (docs/RECEIPT-FORMAT.md), issued by the SDK's own invoice book with the RFC 8032 TEST 1 and TEST 2 keys, a fixed clock and fixed randomness. " +
      'Built by test/vectors/receipt-format.ts; a change to the format shows as a difference from this file.',
    format: 'yibao-guard.invoice-chain/1',
    keys: keys.map((k: InvoiceKey) => ({
      keyId: k.keyId,
      seed: k.keyId === 'T01-K1' ? K1_SEED : K2_SEED,
      publicKey: k.publicKey,
      ...(k.validFrom === undefined ? {} : { validFrom: k.validFrom }),
      ...(k.validUntil === undefined ? {} : { validUntil: k.validUntil }),
    })),
    records: recordVectors,
    export: { text, headerSigningText: `YG1-EXPORT|${canonicalJson(unsignedHeader)}` },
    tampered,
  };
}
