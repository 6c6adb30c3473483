/**
 * Crash matrix for the SQLite adapter: a till process recording and syncing sales is killed with SIGKILL at random
 * points, again and again, and restarted over the same database file. At the end the platform holds every sale
 * exactly once, in the order the outbox wrote them, and the outbox holds each sale exactly once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackage } from '../build-package.js';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { TERMINAL_NAMES } from '../../src/index.js';
import { createSimulator, startSimulator, type RunningSimulator } from '../../adapters/simulator/index.js';

const SALES = 60;
const child = new URL('./till-child.mjs', import.meta.url).pathname;
let dir: string;
let server: RunningSimulator;

beforeAll(async () => {
  await buildPackage();
  dir = mkdtempSync(join(tmpdir(), 'yg-crash-'));
  server = await startSimulator({ port: 0, simulator: createSimulator() });
}, 180_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the till until it prints DONE or is killed after `killAfterMs`; true when it finished. */
function run(file: string, killAfterMs: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [child, server.url, file, String(SALES)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    proc.on('exit', () => {
      if (timer) clearTimeout(timer);
      resolve(out.includes('DONE'));
    });
  });
}

it(`loses and duplicates nothing when the till is SIGKILLed at random points during ${SALES} sales and their sync`, async () => {
  const file = join(dir, 'till.db');
  // A fixed sequence of kill points (ms after start), so a failure can be reproduced.
  const killPoints = [150, 260, 90, 400, 330, 180, 520, 240, 120, 700, 310, 460];
  let kills = 0;
  let finished = false;
  for (const at of killPoints) {
    finished = await run(file, at);
    if (finished) break;
    kills++;
  }
  if (!finished) finished = await run(file, undefined);
  expect(finished).toBe(true);
  expect(kills).toBeGreaterThan(2); // the kills really interrupted it

  const storage = await createSqliteStorage({ file, names: TERMINAL_NAMES });
  const outbox = (await storage.read('outbox')).map((e) => e.value);
  const dead = (await storage.list('deadLetters')).map((d) => d.value);
  await storage.close();
  for (const d of dead) {
    const m = d.record.prepared.msgid;
    console.log('DEAD', m, JSON.stringify(server.simulator.received().filter((r) => r.msgid === m)));
  }
  expect(dead.map((d) => d.reason.message)).toEqual([]);
  const refs = outbox.map((r) => r.ref);
  expect(new Set(refs).size).toBe(SALES);
  expect(refs.length).toBe(SALES);
  const committed = server.simulator.committed('3505').map((c) => c.msgid);
  expect(committed).toEqual(outbox.map((r) => r.prepared.msgid));
  console.log(`crash matrix (sqlite): ${kills} SIGKILLs, ${SALES} sales, 0 lost, 0 duplicated`);
}, 240_000);
