/**
 * Privacy proof on disk (SQLite): insured sales through createTerminal over a real SQLite file, against the
 * simulator over loopback HTTP, delivered (flush), and then the raw bytes of the database file and its WAL scanned
 * for the buyers' full 身份证 numbers and names. The live rows are clean after delivery (privacy-scan.test.ts reads
 * them through the storage); this reads what a copy of the files would give, freed pages and old WAL frames
 * included: the personal fields of 3505 (`outboxPii`) and the pending 2102 (`settlements`, which carries the
 * buyer's certificate) were deleted, and must not be readable from the disk either.
 *
 * A control runs first: before the flush the same scan finds every buyer (the fields wait in clear in live rows,
 * as they must until the platform has them), so an empty result after it means something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { TERMINAL_NAMES, type Storage, type Terminal, type TerminalLayout } from '../../src/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  startSimulator,
  type DemoPersonKey,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { boxes, NOW, P } from '../unit/rules/helpers.js';
import { openTestTerminal } from '../integration/till-fixture.js';
import { needleHits, personNeedles } from './needles.js';

let now = NOW;
const clock = { now: () => now };

/**
 * The buyers: e-voucher QRs (1101 answers the 身份证 and name, 3505 carries them) and a social security card read with its
 * 身份证 (03).
 */
const QR_BUYERS: readonly DemoPersonKey[] = ['active', 'chronic', 'child'];
const CARD_BUYER: DemoPersonKey = 'resident';
const BUYERS = [...QR_BUYERS, CARD_BUYER];
const NEEDLES = personNeedles(BUYERS.map((key) => DEMO_PEOPLE[key]));

let dir: string;
let file: string;
let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;
let terminal: Terminal;

/** The database file and its WAL as they are on disk now, while the till runs. */
function diskBytes(): { what: string; bytes: Buffer }[] {
  return [file, `${file}-wal`]
    .filter((path) => existsSync(path))
    .map((path) => ({ what: path.slice(dir.length + 1), bytes: readFileSync(path) }));
}

const before: { hits: string[]; settled: number; pii: number } = { hits: [], settled: 0, pii: 0 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'yg-privacy-disk-'));
  file = join(dir, 'till.sqlite');
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  storage = await createSqliteStorage({ file, names: TERMINAL_NAMES });
  terminal = await openTestTerminal({ baseUrl: server.url, storage, clock });
  await terminal.updateRulePack();
  await terminal.signIn();
  const product = DEMO_CATALOG.find((p) => p.productId === P.loratadine)!;
  await terminal.recordMovement({
    kind: 'purchase',
    movementId: 'PUR-1',
    at: now,
    productId: product.productId,
    ...(product.medListCode ? { medListCode: product.medListCode } : {}),
    productName: product.genericName,
    batchNo: 'B-1',
    traceCodes: [],
    quantity: 20,
    supplierName: '国药控股吉林有限公司',
    unitCostFen: 1000,
  });

  // Sync runs only when flushed: the buyers' 3505s wait in the outbox, their personal fields in clear.
  let serial = 5001;
  for (const key of BUYERS) {
    const person = DEMO_PEOPLE[key];
    const buyer = await terminal.verifyVoucher(
      key === CARD_BUYER
        ? {
            voucher: {
              kind: 'ssc',
              cardNo: person.card.cardNo,
              cardSn: person.card.cardSn,
              residentId: person.residentId,
            },
          }
        : { voucher: { kind: 'ec-qr', qr: simulator.issueVoucher(key).qr } },
    );
    const sale = terminal.startSale(buyer);
    sale.scan(boxes(P.loratadine, 1, serial++)[0]!);
    const review = await sale.review();
    for (const f of review.findings.filter((x) => x.severity === 'warning' && x.outcome !== 'overridden'))
      await sale.override(f.findingId, { reasonCode: 'other', note: '常规用药' });
    await sale.settle();
    before.settled++;
    now += 60_000;
  }
  before.pii = await storage.count('outboxPii');
  before.hits = needleHits(diskBytes(), NEEDLES);

  const drained = await terminal.sync.flush();
  expect(drained.stoppedBy).toBe('empty');
}, 60_000);

afterAll(async () => {
  await terminal?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('personal data leaves the disk once synced (SQLite)', () => {
  it('the control: before delivery the buyers are on disk in clear, as they must be until the platform has them', () => {
    expect(before.settled).toBe(BUYERS.length);
    expect(before.pii).toBe(BUYERS.length);
    for (const key of BUYERS) {
      expect(
        before.hits.some((hit) => hit.startsWith(`${key}'s 身份证 in`)),
        `${key}'s 身份证 found before delivery`,
      ).toBe(true);
      expect(
        before.hits.some((hit) => hit.startsWith(`${key}'s name in`)),
        `${key}'s name found before delivery`,
      ).toBe(true);
    }
  });

  it('after delivery neither the database file nor its WAL holds a full 身份证 or name, freed pages and old frames included', async () => {
    expect(await storage.count('outboxPii')).toBe(0);
    expect(await storage.count('settlements')).toBe(0);
    expect((await terminal.sync.status()).pending).toBe(0);
    // The sales are still there: what went is only the personal data.
    expect((await terminal.sales()).length).toBe(BUYERS.length);
    const files = diskBytes();
    expect(files.map((f) => f.what)).toContain('till.sqlite');
    expect(needleHits(files, NEEDLES)).toEqual([]);
  });
});
