#!/usr/bin/env node
// The HIS pre-warning hook service, runnable: `npm run build && node examples/his-hook/service.mjs [--port 8788]`.
// Serves GET /cds-services, POST /cds-services/{id} and /feedback on 127.0.0.1 with the simulator's demo catalog and
// rule pack; trusts one HIS (the demo key of demo-keys.mjs). GET /audit shows the audit trail (an app route the hook
// handler passes on with next()). Ctrl-C stops it.
import { createServer } from 'node:http';
import { createMemoryStorage, TERMINAL_NAMES } from '../../dist/index.js';
import { compilePack, createCatalog } from '../../dist/engine.js';
import { DEMO_CATALOG, simulatorRulePack } from '../../dist/simulator.js';
import { createHisHandler, createHisService } from '../../dist/his.js';
import { demoHisSigner, HIS_ISSUER } from './demo-keys.mjs';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 8788;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node examples/his-hook/service.mjs [--port 8788]');
  process.exit(2);
}

const storage = createMemoryStorage({ names: TERMINAL_NAMES });
const service = createHisService({
  catalog: createCatalog(DEMO_CATALOG),
  rules: compilePack(simulatorRulePack('220100', 1)),
  institution: { code: 'H22010100001', agreement: 'active' },
  storage,
});
const his = await demoHisSigner();

let handler;
const server = createServer((req, res) =>
  handler(req, res, async () => {
    // Everything outside /cds-services is the app's: here, the audit trail as JSON.
    if (req.method === 'GET' && req.url === '/audit') {
      const events = (await storage.read('audit')).map((e) => ({ seq: e.seq, ...e.value }));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(events));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }),
);
server.listen(port, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  handler = createHisHandler({
    service,
    // The audience is this service's own URL: a token made for another service is refused.
    auth: { audience: url, issuers: [{ iss: HIS_ISSUER, keys: [{ kid: his.keyId, publicKey: his.publicKey }] }] },
    log: (line) => console.log(`  ${line}`),
  });
  console.log(`HIS hook service: ${url}/cds-services`);
  console.log(`  trusts ${HIS_ISSUER} (key ${his.keyId}); try: node examples/his-hook/his-client.mjs --url ${url}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
