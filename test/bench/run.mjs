// `npm run bench`: speed figures for what yibao-guard does at the till, measured on the built package.
// Figures, not assertions: a timing goal is never a test. Later capabilities add their own lines here.
import { performance } from 'node:perf_hooks';
import { yuanToFen } from '../../dist/index.js';
import { isValidResidentId, parseTraceCode, isValidGtin, residentIdCheckChar } from '../../dist/codes.js';
import { parseInput, SaleLineSchema } from '../../dist/schemas.js';

/** Runs `fn` in batches until `ms` elapse and returns the median time per call of the batches, in µs. */
function measure(name, fn, { batch = 1000, ms = 500 } = {}) {
  for (let i = 0; i < batch; i++) fn(i); // warm up
  const samples = [];
  const end = performance.now() + ms;
  let i = 0;
  while (performance.now() < end) {
    const start = performance.now();
    for (let j = 0; j < batch; j++) fn(i++);
    samples.push(((performance.now() - start) * 1000) / batch);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  console.log(`${name}: median ${median.toFixed(3)} µs/call (${samples.length * batch} calls)`);
  return median;
}

const ids = Array.from({ length: 1024 }, (_, k) => {
  const body = `220102${1950 + (k % 60)}${String((k % 12) + 1).padStart(2, '0')}${String((k % 28) + 1).padStart(2, '0')}${String(k % 1000).padStart(3, '0')}`;
  return body + residentIdCheckChar(body);
});
const traces = Array.from({ length: 1024 }, (_, k) => `8123456${String(k).padStart(13, '0')}`);
const line = {
  lineId: 'L1',
  productId: 'P1',
  medListCode: 'XA10BAE070A001010100005',
  name: '二甲双胍片',
  quantity: 2,
  split: false,
  unitPriceFen: 1250,
  amountFen: 2500,
  traceCodes: [traces[0], traces[1]],
  payMode: 'fund',
};

measure('isValidResidentId', (i) => isValidResidentId(ids[i & 1023]));
measure('parseTraceCode', (i) => parseTraceCode(traces[i & 1023]));
measure('isValidGtin', () => isValidGtin('6901234567892'));
measure('yuanToFen', (i) => yuanToFen((i % 100000) / 100));
measure('parse sale line (schema)', () => parseInput(SaleLineSchema, line, { en: 'Sale line', zh: '销售明细' }), {
  batch: 200,
});
await (await import('./review.mjs')).reviewBench(); // issue [4/10]: review() vs json-rules-engine, same checks, same run
await (await import('./invoice.mjs')).invoiceBench(); // issue [6/10]: a 100 000-invoice chain, fast path vs tweetnacl alone
await (await import('./outbox.mjs')).outboxBench(); // issue [6/10]: outbox drained to the simulator over loopback
await (await import('./self-audit.mjs')).selfAuditBench(); // issue [9/10]: a year of a busy pharmacy (100k lines) replayed from SQLite
await (await import('./his.mjs')).hisBench(); // issue [8/10]: an HIS hook call over loopback HTTP, JWT to cards
