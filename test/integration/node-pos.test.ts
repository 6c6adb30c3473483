/**
 * The Node POS example runs as a vendor would run it (built package, SQLite file, simulator on loopback) and does
 * what its comments say: blocked without a prescription, settled with one, the receipt verifies, and the platform
 * holds the sale, its invoice and its audit trail once each.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackage } from '../build-package.js';
import { DEMO_PEOPLE } from '../../adapters/simulator/index.js';

const root = new URL('../../', import.meta.url).pathname;

describe('examples/node-pos', () => {
  it('runs a whole insured sale against the simulator with SQLite storage', async () => {
    await buildPackage();
    const db = join(mkdtempSync(join(tmpdir(), 'yg-pos-')), 'till.sqlite');
    const out = execFileSync(process.execPath, ['examples/node-pos/sale.mjs', '--db', db], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('[block] rx-required');
    expect(out).toContain('可结算 / can settle: true');
    expect(out).toMatch(/结算 \/ settled ST\d+/);
    expect(out).toContain('票据 / invoice #1 已签名 signed');
    expect(out).toContain('二维码核验 / QR verifies: true; 票据链 / chain verifies: true');
    expect(out).toContain('平台已收 / platform holds: 3505 × 1, 票据 × 1, 审核留痕 × 1');
    // No full 身份证 or name on the console: the buyer is shown masked.
    expect(out).not.toContain(DEMO_PEOPLE.active.residentId);
    expect(out).not.toContain(DEMO_PEOPLE.active.name);
    expect(out).toContain(DEMO_PEOPLE.active.residentId.slice(-4));
  }, 120_000);
});
