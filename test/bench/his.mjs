// `npm run bench`, HIS hook section (issue [8/10]): the median latency of one hook call over loopback HTTP — an
// order-sign call with four draft orders (four cards back), each with its own freshly signed JWT (signed before
// the clock starts: the HIS's cost, not ours), through the node:http handler, JWT verification, the rules and the
// audit write. CDS Hooks asks for well under 500 ms. Prints `his hook: median <x> ms`.
//
// Run alone with `node test/bench/his.mjs` (after `npm run build`), or from run.mjs.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createEd25519Signer, ed25519KeyPairFromSeed } from '../../dist/crypto.js';
import { compilePack, createCatalog } from '../../dist/engine.js';
import { DEMO_CATALOG, DEMO_PEOPLE, simulatorRulePack } from '../../dist/simulator.js';
import { createHisHandler, createHisService, signHisJwt } from '../../dist/his.js';

export async function hisBench(calls = Number(process.env.HIS_BENCH_CALLS ?? 400)) {
  const now = Date.UTC(2026, 10, 23, 2, 0);
  const clock = { now: () => now };
  const catalog = createCatalog(DEMO_CATALOG);
  const signer = createEd25519Signer('bench-his', await ed25519KeyPairFromSeed(new Uint8Array(32).fill(7)));
  const service = createHisService({ catalog, rules: compilePack(simulatorRulePack('220100', 1)), clock });
  const audience = 'https://clinic.example/his';
  const handler = createHisHandler({
    service,
    auth: { audience, issuers: [{ iss: 'bench', keys: [{ kid: signer.keyId, publicKey: signer.publicKey }] }], clock },
  });
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/cds-services/yibao-order-sign`;

  const byName = (name) => DEMO_CATALOG.find((p) => p.genericName === name);
  const statin = byName('阿托伐他汀钙片');
  const person = DEMO_PEOPLE.resident;
  const body = JSON.stringify({
    hook: 'order-sign',
    hookInstance: '0b7d3a52-3f7e-4b8c-a0a5-6f4a8d2c9e11',
    context: {
      userId: 'Practitioner/D001',
      patientId: 'P000123',
      encounterId: 'ENC-BENCH',
      patient: { residentId: person.residentId, insurance: { psnNo: person.psnNo, status: 'active' } },
      draftOrders: [
        { orderId: 'O1', productId: statin.productId, quantity: 6, days: 42 },
        {
          orderId: 'O2',
          productId: byName('蛋白质粉（保健食品）').productId,
          medListCode: statin.medListCode,
          quantity: 1,
          payMode: 'fund',
        },
        { orderId: 'O3', productId: byName('非那雄胺片').productId, quantity: 1 },
        { orderId: 'O4', productId: byName('人血白蛋白').productId, quantity: 1 },
      ],
    },
  });
  const warmup = 50;
  const tokens = [];
  for (let i = 0; i < calls + warmup; i++)
    tokens.push(await signHisJwt({ signer, iss: 'bench', aud: audience, clock, jti: `bench-${i}` }));
  const samples = [];
  let cards = 0;
  for (let i = 0; i < calls + warmup; i++) {
    const start = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': 'application/json' },
      body,
    });
    const json = await res.json();
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(`his bench: status ${res.status} ${JSON.stringify(json)}`);
    cards = json.cards.length;
    if (i >= warmup) samples.push(ms);
  }
  await new Promise((resolve) => server.close(resolve));
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  const p95 = samples[Math.floor(samples.length * 0.95)];
  console.log(
    `his hook: median ${median.toFixed(2)} ms (p95 ${p95.toFixed(2)} ms, ${calls} order-sign calls over loopback, ${cards} cards each)`,
  );
  return median;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await hisBench();
