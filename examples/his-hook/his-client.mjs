#!/usr/bin/env node
// Plays a clinic HIS calling the hook service: discovery, a doctor signing orders (order-sign), the cards printed,
// feedback (one suggestion taken, one warning overridden with a reason), the same feedback again (deduplicated), a
// replayed token (refused), and the cashier's pre-settlement check. Exits 0 when the service behaved as expected.
//   node examples/his-hook/his-client.mjs --url http://127.0.0.1:8788
import { maskName, maskResidentId } from '../../dist/codes.js';
import { DEMO_CATALOG, DEMO_PEOPLE } from '../../dist/simulator.js';
import { signHisJwt } from '../../dist/his.js';
import { demoHisSigner, HIS_ISSUER } from './demo-keys.mjs';

const urlArg = process.argv.indexOf('--url');
const base = urlArg > 0 ? process.argv[urlArg + 1] : 'http://127.0.0.1:8788';
const signer = await demoHisSigner();
const problems = [];
const expect = (ok, what) => {
  if (!ok) problems.push(what);
};

async function call(path, body, token) {
  token ??= await signHisJwt({
    signer,
    iss: HIS_ISSUER,
    aud: `${base}${path.replace(/\/feedback$/, '')}`,
    sub: 'Practitioner/D001',
  });
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), token };
}

const product = (genericName) => DEMO_CATALOG.find((p) => p.genericName === genericName);
const statin = product('阿托伐他汀钙片');
const person = DEMO_PEOPLE.resident;
const patient = {
  residentId: person.residentId,
  insurance: { psnNo: person.psnNo, status: 'active', outOfArea: false },
};
const encounterId = `ENC-${Date.now()}`;

// 1. Discovery.
const discovery = await (await fetch(`${base}/cds-services`)).json();
console.log('services:', discovery.services.map((s) => `${s.id} (${s.hook})`).join(', '));
expect(discovery.services.length === 3, 'discovery lists three services');

// 2. The doctor signs: 6 boxes of atorvastatin for 42 days, protein powder billed under the statin's code, finasteride
//    for a woman.
console.log(
  `\npatient ${maskName(person.name)} ${maskResidentId(person.residentId)}, visit ${encounterId}: order-sign`,
);
const context = {
  userId: 'Practitioner/D001',
  patientId: person.residentId,
  encounterId,
  patient,
  prescriber: { code: 'D001', name: '张医生' },
  draftOrders: [
    { orderId: 'O1', productId: statin.productId, quantity: 6, days: 42 },
    {
      orderId: 'O2',
      productId: product('蛋白质粉（保健食品）').productId,
      medListCode: statin.medListCode,
      quantity: 1,
      payMode: 'fund',
    },
    { orderId: 'O3', productId: product('非那雄胺片').productId, quantity: 1 },
  ],
};
const signed = await call('/cds-services/yibao-order-sign', {
  hook: 'order-sign',
  hookInstance: crypto.randomUUID(),
  context,
});
expect(signed.status === 200, 'order-sign answers 200');
const cards = signed.body.cards;
for (const card of cards) {
  const x = card.extension['yibao-guard'];
  console.log(
    `  [${card.indicator}/${x.stopLevel}] ${card.summary}  (${x.ruleId}${x.orderId ? `, order ${x.orderId}` : ''})`,
  );
  for (const s of card.suggestions) console.log(`      → ${s.label}`);
  if (card.overrideReasons.length > 0)
    console.log(`      override reasons: ${card.overrideReasons.map((r) => r.code).join(', ')}`);
}
const hard = cards.find((c) => c.extension['yibao-guard'].stopLevel === 'hard');
const warning = cards.find((c) => c.extension['yibao-guard'].ruleId === 'days-supply');
expect(hard && warning, 'a hard stop and a days-supply warning');

// 3. Feedback: the doctor removes the protein powder and keeps 42 days with a reason.
const feedback = {
  feedback: [
    {
      card: hard.uuid,
      outcome: 'accepted',
      acceptedSuggestions: [{ id: hard.suggestions[0].uuid }],
      outcomeTimestamp: new Date().toISOString(),
    },
    {
      card: warning.uuid,
      outcome: 'overridden',
      overrideReason: { reason: { code: 'chronic-long-rx' }, userComment: '高脂血症长期用药' },
      outcomeTimestamp: new Date().toISOString(),
    },
  ],
};
const first = await call('/cds-services/yibao-order-sign/feedback', feedback);
console.log('\nfeedback:', first.body.results.map((r) => r.status).join(', '));
expect(
  first.body.results.every((r) => r.status === 'recorded'),
  'feedback recorded',
);
const again = await call('/cds-services/yibao-order-sign/feedback', feedback);
console.log('same feedback again:', again.body.results.map((r) => r.status).join(', '));
expect(
  again.body.results.every((r) => r.status === 'duplicate'),
  'repeated feedback deduplicated',
);

// 4. A replayed token is refused.
const replay = await call('/cds-services/yibao-order-sign/feedback', feedback, first.token);
console.log(`replayed token: ${replay.status} ${replay.body.error.code} (${replay.body.error.reason})`);
expect(replay.status === 401 && replay.body.error.reason === 'replayed', 'replayed token refused');

// 5. The cashier's pre-settlement check of what was finally dispensed, against the signed prescription.
const rx = {
  rxNo: 'RX-DEMO-0001',
  circulating: false,
  issuedAt: Date.now() - 60_000,
  hospitalCode: 'H22010100001',
  hospitalName: '示范社区卫生服务中心',
  doctorCode: 'D001',
  doctorName: '张医生',
  patient: { psnNo: person.psnNo },
  diagnoses: [{ code: 'E78.501', name: '高脂血症' }],
  items: [{ medListCode: statin.medListCode, quantity: 6, days: 42 }],
  status: 'valid',
};
const box = (n) => `${statin.traceCodePrefix}${String(n).padStart(13, '0')}`;
const presettle = await call('/cds-services/yibao-presettle', {
  hook: 'yibao-presettle',
  hookInstance: crypto.randomUUID(),
  context: {
    ...context,
    userId: 'Practitioner/C007',
    prescriptions: [rx],
    draftOrders: [
      { orderId: 'O1', productId: statin.productId, quantity: 6, rxNo: rx.rxNo, traceCodes: [1, 2, 3, 4, 5].map(box) },
    ],
  },
});
console.log(`\nyibao-presettle: ${presettle.body.cards.length} card(s)`);
for (const card of presettle.body.cards)
  console.log(`  [${card.indicator}/${card.extension['yibao-guard'].stopLevel}] ${card.summary}`);
expect(
  presettle.body.cards.some((c) => c.extension['yibao-guard'].ruleId === 'trace-code-missing'),
  'presettle notices the missing trace code',
);

// 6. What the audit trail now holds.
const audit = await (await fetch(`${base}/audit`)).json();
console.log(`\naudit trail: ${audit.map((e) => e.kind).join(', ')}`);
expect(
  audit.filter((e) => e.kind === 'finding-override').length === 1 &&
    audit.filter((e) => e.kind === 'finding-action').length === 1,
  'one override and one action audited',
);

if (problems.length > 0) {
  console.error(`\nUNEXPECTED: ${problems.join('; ')}`);
  process.exit(1);
}
console.log('\nok');
