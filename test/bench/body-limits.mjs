// The platform client against a hostile answer, over loopback HTTP (issue [1/9] item 1). Two attacks, as found:
//  - trickle: headers at once, then the answer one byte every 200 ms, to a 1101 with `timeoutMs: 2000`;
//  - huge: a valid 1101 answer padded to 300 MB, streamed without Content-Length (default maxResponseBytes).
// Prints how long the trickled call took and how it ended, and how much the process grew (peak RSS) for the huge
// one and how it ended. Figures, not assertions (test/unit/platform/body-limits.test.ts holds the assertions).
//
// `node test/bench/body-limits.mjs [sourceRoot]`: bundles `<sourceRoot>/src/platform/index.ts` with esbuild (default
// this checkout), so the same script measures an older tree extracted beside it (`git archive <rev> | tar -x -C dir`,
// with `node_modules` linked in).
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(process.argv[2] ?? new URL('../../', import.meta.url).pathname);
const out = mkdtempSync(join(tmpdir(), 'yg-body-limits-'));
await build({
  entryPoints: [join(root, 'src/platform/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: join(out, 'platform.mjs'),
  logLevel: 'error',
});
const { createPlatformClient } = await import(pathToFileURL(join(out, 'platform.mjs')).href);
rmSync(out, { recursive: true, force: true });

const ok = (output) => ({
  infcode: 0,
  inf_refmsgid: '220102202611231005090000000001',
  refmsg_time: '20261123100509123',
  respond_time: '20261123100509200',
  err_msg: null,
  output,
});
const SIGN_IN = JSON.stringify(ok({ signinoutb: { sign_time: '2026-11-23 10:05:09', sign_no: 'SN1' } }));
const PERSON = JSON.stringify(
  ok({
    baseinfo: { psn_no: '22000000123456', psn_name: '张三丰' },
    insuinfo: [{ insutype: '310', balc: 100.5, insuplc_admdvs: '220102' }],
  }),
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves when `res` takes more, or is gone. */
const drained = (res) =>
  new Promise((r) => {
    const done = () => (res.off('drain', done), res.off('close', done), r());
    res.on('drain', done).on('close', done);
  });

let mode = 'trickle';
let written = 0;
const server = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  if (JSON.parse(body).infno === '9001')
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(SIGN_IN);
  let gone = false;
  res.on('close', () => (gone = !res.writableFinished));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  const send = async (chunk) => {
    if (gone) return false;
    written += chunk.length;
    if (!res.write(chunk)) await drained(res);
    return !gone;
  };
  if (mode === 'trickle') {
    for (const byte of Buffer.from(PERSON)) {
      if (!(await send(Buffer.of(byte)))) return;
      await sleep(200);
    }
  } else {
    const head = Buffer.from(`${PERSON.slice(0, -1)},"padding":"`);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    if (!(await send(head))) return;
    for (let left = 300e6 - head.length - 2; left > 0; left -= chunk.length)
      if (!(await send(left >= chunk.length ? chunk : chunk.subarray(0, left)))) return;
    if (!(await send(Buffer.from('"}')))) return;
  }
  res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const baseUrl = `http://127.0.0.1:${server.address().port}`;

const client = (options) =>
  createPlatformClient({
    baseUrl,
    institution: { code: 'P22010100001', name: '长春市示例大药房' },
    area: '220102',
    operator: { id: 'S001', name: '王药师' },
    device: { no: 'T01', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' },
    retry: { limit: 0 },
    ...options,
  });
const input = {
  data: {
    mdtrt_cert_type: '02',
    mdtrt_cert_no: '11010519491231002X',
    psn_cert_type: '01',
    certno: '11010519491231002X',
    psn_name: '张三丰',
  },
};
const outcome = (promise) =>
  promise.then(
    () => 'answered',
    (error) => error.code ?? String(error),
  );

mode = 'trickle';
let started = performance.now();
const trickled = await outcome(client({ timeoutMs: 2000 }).queryPerson(input));
console.log(
  `trickle (${PERSON.length} bytes at 1 per 200 ms, timeoutMs 2000): ended after ${((performance.now() - started) / 1000).toFixed(1)} s: ${trickled}`,
);

mode = 'huge';
written = 0;
globalThis.gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
started = performance.now();
const huge = await outcome(client({ timeoutMs: 120_000 }).queryPerson(input));
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  `huge (300 MB answer, default maxResponseBytes): ended after ${((performance.now() - started) / 1000).toFixed(1)} s: ${huge}; ` +
    `peak RSS +${((peak - before) / 1e6).toFixed(0)} MB; server wrote ${(written / 1e6).toFixed(1)} MB`,
);
server.closeAllConnections();
server.close();
