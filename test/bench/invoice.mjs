// `npm run bench`, invoices: verifying a 100 000-invoice chain on the fast path (WebCrypto Ed25519 where the runtime
// has it) and, in the same run, consecutive stretches of the same chain with tweetnacl alone until the rate is stable
// (at least 10 s, or 3 000 invoices). Measured on the built package. Figures, not assertions.
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { GENESIS_HASH } from '../../dist/schemas.js';
import { canonicalJson, toBase64Url } from '../../dist/crypto.js';
import { verifyChain, webCryptoEd25519 } from '../../dist/invoice.js';
import { tweetnaclEd25519 } from '../../dist/ed25519-fallback.js';

const CHAIN = 100_000;
const CACHE = new URL('../../node_modules/.cache/yibao-guard-bench/', import.meta.url);
const seconds = (since) => (performance.now() - since) / 1000;

/**
 * A chain of `n` signed sale invoices, built with node:crypto rather than the invoice book (building is not what is
 * measured, and it is sequential by nature: each record's hash is the next one's prevHash). Cached on disk: the
 * chain is the same on every run.
 */
function chain(n) {
  const seed = Buffer.alloc(32, 7);
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const keys = [{ keyId: 'T01-K1', publicKey: privateKey.export({ format: 'jwk' }).x }];
  const file = new URL(`chain-${n}-v1.jsonl`, CACHE);
  if (existsSync(file))
    return {
      records: readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
      keys,
      cached: true,
    };
  const records = [];
  const lines = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const amountFen = 500 + (seq % 5000);
    const body = {
      v: 1,
      kind: 'sale',
      seq,
      issuedAt: Date.UTC(2026, 0, 1) + seq * 30_000,
      pharmacyCode: 'P22010100001',
      terminalId: 'T01',
      lines: [
        {
          medListCode: 'XA10BAE070A001010100005',
          name: '二甲双胍片',
          specification: '0.5g*20片',
          quantity: 1,
          unitPriceFen: amountFen,
          amountFen,
          traceCodes: ['81234560000000000017'],
        },
      ],
      split: { totalFen: amountFen, fundFen: 0, accountFen: 0, cashFen: amountFen },
      setlId: `SETL${String(seq).padStart(10, '0')}`,
      prevHash,
      keyId: 'T01-K1',
    };
    const bodyJson = canonicalJson(body);
    const sig = toBase64Url(sign(null, Buffer.from(bodyJson), privateKey));
    const line = `{"body":${bodyJson},"sig":"${sig}"}`; // = canonicalJson({ body, sig })
    prevHash = createHash('sha256').update(line).digest('hex');
    records.push({ body, sig });
    lines.push(line);
  }
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { records, keys, cached: false };
}

export async function invoiceBench() {
  let t = performance.now();
  const { records, keys, cached } = chain(CHAIN);
  console.log(
    `invoice chain: ${CHAIN} invoices ${cached ? 'read from cache' : 'built'} in ${seconds(t).toFixed(1)} s (not measured)`,
  );
  if (!(await webCryptoEd25519()))
    console.log('note: WebCrypto has no Ed25519 here, so the fast path is tweetnacl too');

  t = performance.now();
  const fast = await verifyChain(records, keys);
  const fastSeconds = seconds(t);
  if (!fast.ok || fast.count !== CHAIN)
    throw new Error(`the bench chain does not verify: ${JSON.stringify(fast.issues.slice(0, 3))}`);
  const fastRate = CHAIN / fastSeconds;

  // tweetnacl alone, over consecutive stretches of the same chain (each checked from where the last one ended).
  let done = 0;
  t = performance.now();
  while (done < 3_000 && (seconds(t) < 10 || done < 500)) {
    const stretch = records.slice(done, done + 250);
    const from = { seq: stretch[0].body.seq, prevHash: stretch[0].body.prevHash };
    const slow = await verifyChain(stretch, keys, { backend: 'fallback', ed25519Fallback: tweetnaclEd25519, from });
    if (!slow.ok || slow.backend !== 'tweetnacl') throw new Error('the tweetnacl sample does not verify');
    done += stretch.length;
  }
  const slowSeconds = seconds(t);
  const slowRate = done / slowSeconds;

  console.log(
    `chain verify: ${Math.round(fastRate)} invoices/s (${CHAIN} invoices in ${fastSeconds.toFixed(1)} s, ${fast.backend})`,
  );
  console.log(
    `chain verify, tweetnacl alone: ${Math.round(slowRate)} invoices/s (${done} invoices in ${slowSeconds.toFixed(1)} s)`,
  );
  console.log(`chain verify speedup vs tweetnacl: ${Math.round(fastRate / slowRate)}x`);
  console.log(
    `chain verify note: load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs; WebCrypto verifies on a thread pool, tweetnacl on one thread, so the ratio grows with idle cores`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await invoiceBench();
