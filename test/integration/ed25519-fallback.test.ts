/**
 * A whole till where the runtime's WebCrypto has no Ed25519 (an older browser or WebView), over loopback HTTP
 * against the simulator. Given `tweetnaclEd25519` as `ed25519Fallback`, createTerminal enrols its key, installs the
 * platform's signed rule pack, settles an insured sale with a signed receipt that verifies (with WebCrypto back, and
 * with tweetnacl alone), reopens from its storage (unwrapping the stored key) and runs the self-audit with the
 * stored pack verified. Without it, the till refuses to open with ENVIRONMENT_UNSUPPORTED naming the option, and a
 * till that has a pack stored does not take a genuine pack for a forged one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  TERMINAL_NAMES,
  type Storage,
  type Terminal,
  type TerminalLayout,
} from '../../src/index.js';
import { verifyChain, verifyInvoiceQr } from '../../src/invoice/index.js';
import { tweetnaclEd25519 } from '../../src/crypto/ed25519-fallback.js';
import {
  createSimulator,
  DEMO_CATALOG,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { boxes, NOW, P } from '../unit/rules/helpers.js';
import { TWEETNACL, withoutWebCryptoEd25519 } from '../unit/invoice/fallback.js';
import { openTestTerminal } from './till-fixture.js';

let now = NOW;
const clock = { now: () => now };
let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;
const opened: Terminal[] = [];

const open = async (withFallback: boolean) => {
  const t = await openTestTerminal({
    baseUrl: server.url,
    storage,
    clock,
    ...(withFallback ? { ed25519Fallback: tweetnaclEd25519 } : {}),
  });
  opened.push(t);
  return t;
};

beforeEach(async () => {
  now = NOW;
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
});
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  await server.close();
  await storage.close();
});

describe('a till where WebCrypto has no Ed25519', () => {
  it('with tweetnaclEd25519 as ed25519Fallback: enrols, installs the signed pack, settles a signed receipt, reopens, self-audits', async () => {
    const { receipt, keys } = await withoutWebCryptoEd25519(async () => {
      const terminal = await open(true);
      expect((await terminal.updateRulePack())?.version).toBeGreaterThan(0);
      await terminal.signIn();
      const ibuprofen = DEMO_CATALOG.find((p) => p.productId === P.ibuprofen)!;
      await terminal.recordMovement({
        kind: 'purchase',
        movementId: 'PUR-1',
        at: now,
        productId: P.ibuprofen,
        ...(ibuprofen.medListCode ? { medListCode: ibuprofen.medListCode } : {}),
        productName: ibuprofen.genericName,
        batchNo: 'B-1',
        traceCodes: [],
        quantity: 5,
        supplierName: '国药控股吉林有限公司',
        unitCostFen: 1000,
      });
      const buyer = await terminal.verifyVoucher({
        voucher: { kind: 'ec-qr', qr: simulator.issueVoucher('active').qr },
      });
      const sale = terminal.startSale(buyer);
      sale.scan(boxes(P.ibuprofen, 1, 901)[0]!);
      expect((await sale.review()).canSettle).toBe(true);
      const receipt = await sale.settle();
      expect(receipt.invoice.signed).toBe(true);
      const keys = await terminal.invoices.keys();
      await terminal.close();

      // Reopened from storage: the stored key is unwrapped and the stored pack verified with the fallback.
      now += 60_000;
      const again = await open(true);
      expect(again.rulePack?.version).toBe(terminal.rulePack?.version);
      await again.signIn();
      // Another buyer: the first one has ten days of this box left.
      const second = again.startSale(
        await again.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher('resident').qr } }),
      );
      second.scan(boxes(P.ibuprofen, 1, 902)[0]!);
      await second.review();
      const next = await second.settle();
      expect(next.invoice).toMatchObject({ signed: true, seq: receipt.invoice.seq + 1 });
      const audit = await again.selfAudit({ from: NOW - 60_000, to: now + 60_000 });
      expect(audit.packs.every((p) => p.verified)).toBe(true);
      expect(audit.packs.length).toBeGreaterThan(0);
      expect((await verifyChain(await again.invoices.records(), keys, TWEETNACL)).ok).toBe(true);
      return { receipt, keys };
    });
    // WebCrypto back: the same receipt verifies there too (the fallback signs the very same Ed25519).
    expect((await verifyInvoiceQr(receipt.invoice.qr, keys)).ok).toBe(true);
    expect((await verifyInvoiceQr(receipt.invoice.qr, keys, TWEETNACL)).ok).toBe(true);
  });

  it('without it: createTerminal refuses with ENVIRONMENT_UNSUPPORTED naming ed25519Fallback, and a stored pack is not called forged', async () => {
    // A till set up where WebCrypto has Ed25519: its key enrolled, the platform's pack installed.
    const terminal = await open(false);
    const installed = await terminal.updateRulePack();
    expect(installed?.version).toBeGreaterThan(0);
    await terminal.close();

    await withoutWebCryptoEd25519(async () => {
      const refused = await open(false).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ code: 'ENVIRONMENT_UNSUPPORTED' });
      expect(String((refused as Error).message)).toContain('ed25519Fallback');
      expect((refused as { messageZh?: string }).messageZh).toMatch(/[\u4e00-\u9fff]/);
    });
    // The stored pack is still there, untouched, and verifies where Ed25519 is available again.
    const back = await open(false);
    expect(back.rulePack?.version).toBe(installed?.version);
  });
});
