/**
 * Privacy proof: a whole day at the till — createTerminal against the simulator over loopback HTTP, as
 * test/integration/terminal.test.ts opens it — and then a scan of everything the day left behind for the
 * simulator's people in clear: their full 身份证 numbers and full names, a proxy buyer's (代购) 身份证, name and
 * phone, and the phone and 身份证 a pharmacist typed into an override note.
 *
 * What is scanned:
 * - every console line (console.* spied for the whole day, the simulator's request log too);
 * - every error the day provoked (refused vouchers, blocked and unreviewed settlements, bad scans, a refused
 *   refund): message, messageZh, stack, cause and JSON;
 * - every record of every store and every entry of every journal of the terminal's storage after the day;
 * - the events the till emitted to its UI;
 * - what left the till: every request body and header the simulator received, raw, before the simulator masks
 *   anything, minus only the fields the national interface requires to carry the person (see PERSONAL_FIELDS);
 * - what the platform kept of the till's uploads: committed records, invoices, audit trails, the received log.
 *
 * Everyone here is fictional (adapters/simulator/seed/people.ts); DEMO_PEOPLE has no phone numbers, so the phones
 * scanned for are the ones this test types in (the proxy buyer's and the override note's).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { format } from 'node:util';
import {
  createMemoryStorage,
  maskPersonalData,
  TERMINAL_NAMES,
  type Storage,
  type Terminal,
  type TerminalLayout,
} from '../../src/index.js';
import { maskName, maskResidentId, residentIdCheckChar } from '../../src/codes/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  startSimulator,
  type DemoPersonKey,
  type RunningSimulator,
  type SimRequest,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { boxes, NOW, P, prescriptionFor } from '../unit/rules/helpers.js';
import { boxSale, openTestTerminal } from '../integration/till-fixture.js';

let now = NOW;
const clock = { now: () => now };

/** A proxy buyer (代购) who is not one of the simulator's people: a fictional 身份证 with its check character. */
const PROXY_ID_BODY = '22010219920815264';
const PROXY = {
  residentId: PROXY_ID_BODY + residentIdCheckChar(PROXY_ID_BODY),
  name: '张慧敏',
  phone: '13904317788',
  relation: '女儿',
};
/** What a pharmacist types into an override note: a phone number and a 身份证 (the buyer's). */
const NOTE_PHONE = '13812345678';
const NOTE_ID = DEMO_PEOPLE.chronic.residentId;
/** The same, typed into a dead letter's annotation. */
const DEAD_LETTER_PHONE = '15943128866';
const CLOSE_PHONE = '18643001122';

/** The needles: nothing the day leaves behind may contain one. */
const NEEDLES: { readonly what: string; readonly value: string }[] = [
  ...Object.values(DEMO_PEOPLE).flatMap((p) => [
    { what: `${p.key}'s 身份证`, value: p.residentId },
    // Its first 17 characters too: an error that echoes a mistyped number (a wrong check character) leaks it as well.
    { what: `${p.key}'s 身份证 (first 17)`, value: p.residentId.slice(0, 17) },
    { what: `${p.key}'s name`, value: p.name },
  ]),
  { what: "the proxy buyer's 身份证", value: PROXY.residentId },
  { what: "the proxy buyer's name", value: PROXY.name },
  { what: "the proxy buyer's phone", value: PROXY.phone },
  { what: 'the phone typed into an override note', value: NOTE_PHONE },
  { what: 'the 身份证 typed into an override note', value: NOTE_ID },
];

/**
 * Fields the national interface requires to carry the person, by transaction. Only these are left out of the scan
 * of what left the till; everything else in those messages (and every other message whole) is scanned.
 * - 1101 人员信息获取: `mdtrt_cert_no` is the certificate itself (the e-voucher token, the 身份证 number for
 *   type 02, the card number for 03), with `certno` (证件号码), `card_sn` and `psn_name` to identify the person.
 * - 2101 / 2102 药店预结算 / 结算: `mdtrt_cert_no` (and `card_sn`) — the same certificate, in `data`.
 * - 3505 / 3506 商品销售 / 退货: the spec's `certno` and `psn_name` of the buyer (selinfo), kept apart in `outboxPii`
 *   until the platform acknowledges the record (src/sync/outbox.ts).
 */
const PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  '1101': ['mdtrt_cert_no', 'certno', 'card_sn', 'psn_name'],
  '2101': ['mdtrt_cert_no', 'card_sn'],
  '2102': ['mdtrt_cert_no', 'card_sn'],
  '3505': ['certno', 'psn_name'],
  '3506': ['certno', 'psn_name'],
};

/** A deep copy with `fields` removed wherever they occur (the envelope nests them under `input.data`, `selinfo`, …). */
function without(value: unknown, fields: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => without(v, fields));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !fields.includes(k))
        .map(([k, v]) => [k, without(v, fields)]),
    );
  return value;
}

/**
 * A request with the allowed personal fields removed from each message's `input`, by that message's own `infno`:
 * the envelope's, or each of a YG07 batch's `msgs` (3505s travel in batches). Everything else is kept.
 */
function cleaned(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cleaned);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const infno = typeof record['infno'] === 'string' ? record['infno'] : undefined;
  const fields = infno === undefined ? [] : (PERSONAL_FIELDS[infno] ?? []);
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => {
      if (k !== 'input' || fields.length === 0) return [k, cleaned(v)];
      const stripped = without(v, fields);
      if (JSON.stringify(stripped) !== JSON.stringify(v)) personalFieldsSeen.add(infno!);
      return [k, cleaned(stripped)];
    }),
  );
}

let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;
let terminal: Terminal;

/** Everything captured, by where it came from: the scan runs over each. */
const consoleLines: string[] = [];
const simulatorLog: string[] = [];
const errors: string[] = [];
const events: string[] = [];
/** What left the till: each request as the simulator received it, raw. */
const outgoing: { infno: string | undefined; body: unknown; headers: Readonly<Record<string, string>> }[] = [];
/** Which transactions left with personal fields (the ones PERSONAL_FIELDS allows), for the report. */
const personalFieldsSeen = new Set<string>();

/** The simulator, with its `handle` recording each request body before it is decoded. */
function recording(base: Simulator): Simulator {
  return new Proxy(base, {
    get(target, property, receiver) {
      if (property === 'handle') {
        return async (request: SimRequest) => {
          let body: unknown = request.body;
          try {
            body = JSON.parse(request.body);
          } catch {
            // not JSON: scanned as text
          }
          const infno =
            typeof (body as { infno?: unknown })?.infno === 'string' ? (body as { infno: string }).infno : undefined;
          outgoing.push({ infno, body, headers: request.headers });
          return target.handle(request);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function open() {
  const t = await openTestTerminal({
    baseUrl: server.url,
    storage,
    clock,
    breaker: { threshold: 2, cooldownMs: 20, maxCooldownMs: 40 },
  });
  for (const type of [
    'sale:settled',
    'sale:refunded',
    'finding',
    'settlement:reversed',
    'settlement:unknown',
    'rule-pack',
    'sync:progress',
    'sync:dead-letter',
    'offline',
    'online',
  ] as const) {
    t.on(type, (e) => events.push(JSON.stringify(e)));
  }
  return t;
}

/** Everything an error carries that could reach a log or a screen. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return format(error);
  const e = error as Error & { messageZh?: string; cause?: unknown };
  let json = '';
  try {
    json = JSON.stringify(e);
  } catch {
    json = '';
  }
  return [
    e.name,
    e.message,
    e.messageZh ?? '',
    e.stack ?? '',
    json,
    e.cause === undefined ? '' : describeError(e.cause),
    format(e),
  ].join('\n');
}

/** Runs `f`, which must fail: the error is kept for the scan and returned for its code. */
async function refused(f: () => unknown): Promise<{ code?: string }> {
  try {
    await f();
  } catch (error) {
    errors.push(describeError(error));
    return error as { code?: string };
  }
  throw new Error('expected a refusal');
}

const voucher = (key: DemoPersonKey) => ({ voucher: { kind: 'ec-qr' as const, qr: simulator.issueVoucher(key).qr } });

async function stock(items: Record<string, number>) {
  for (const [productId, quantity] of Object.entries(items)) {
    const product = DEMO_CATALOG.find((p) => p.productId === productId)!;
    await terminal.recordMovement({
      kind: 'purchase',
      movementId: `PUR-${productId}`,
      at: now,
      productId,
      ...(product.medListCode ? { medListCode: product.medListCode } : {}),
      productName: product.genericName,
      batchNo: `B-${productId}`,
      traceCodes: [],
      quantity,
      supplierName: '国药控股吉林有限公司',
      unitCostFen: 1000,
    });
  }
}

/** Overrides every warning of the last review with a reason, the note typed as given. */
async function overrideWarnings(sale: ReturnType<Terminal['startSale']>, note: string) {
  const review = await sale.review();
  for (const f of review.findings.filter((x) => x.severity === 'warning' && x.outcome !== 'overridden'))
    await sale.override(f.findingId, { reasonCode: 'other', note });
  return sale.review();
}

/** Every record of every store and every journal entry, as JSON. */
async function storageDump(): Promise<string[]> {
  const out: string[] = [];
  for (const store of TERMINAL_NAMES.stores)
    for (const record of await storage.list(store)) out.push(`${store}/${record.key}: ${JSON.stringify(record)}`);
  for (const journal of TERMINAL_NAMES.journals)
    for (const entry of await storage.read(journal)) out.push(`${journal}#${entry.seq}: ${JSON.stringify(entry)}`);
  return out;
}

/** The needles found in `texts` (case-insensitive: a 身份证 may end in x), each with 100 characters either side. */
function leaks(texts: readonly string[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    const upper = text.toUpperCase();
    for (const needle of NEEDLES) {
      const at = upper.indexOf(needle.value.toUpperCase());
      if (at >= 0)
        found.push(`${needle.what} in: …${text.slice(Math.max(0, at - 100), at + needle.value.length + 100)}…`);
    }
  }
  return found;
}

const day = { settled: 0, refunded: 0, refusals: [] as string[], deadLetters: 0, findings: new Set<string>() };

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(`console.${method}: ${format(...args)}`);
    });
  }
  simulator = recording(createSimulator({ clock, log: (line) => simulatorLog.push(line) }));
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
  terminal = await open();
  await terminal.updateRulePack();
  await terminal.signIn();
  await stock({ [P.ibuprofen]: 20, [P.atorvastatin]: 10, [P.proteinPowder]: 10, [P.loratadine]: 10 });

  // 1. An honest insured sale (e-voucher), then refunded whole.
  const honest = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
  honest.scan(boxes(P.ibuprofen, 1, 3001)[0]!);
  expect((await honest.review()).canSettle).toBe(true);
  const honestReceipt = await honest.settle();
  day.settled++;
  await terminal.refund(honestReceipt.saleId);
  day.refunded++;

  // 2. A proxy buyer (代购) for the chronic patient: two weeks of ibuprofen, a days-supply warning overridden with
  //    a note that carries a phone number and the patient's 身份证.
  const forParent = await terminal.verifyVoucher({ ...voucher('chronic'), proxy: PROXY });
  const proxySale = terminal.startSale(forParent);
  for (const code of boxes(P.ibuprofen, 2, 3101)) proxySale.scan(code);
  const proxyReview = await proxySale.review();
  for (const f of proxyReview.findings) day.findings.add(f.ruleId);
  expect(proxyReview.findings.some((f) => f.severity === 'warning')).toBe(true);
  // Before the override, settling is refused.
  day.refusals.push((await refused(() => proxySale.settle())).code ?? '?');
  expect(
    (await overrideWarnings(proxySale, `患者女儿代购，电话 ${NOTE_PHONE}，患者身份证 ${NOTE_ID}，出差两周`)).canSettle,
  ).toBe(true);
  await proxySale.settle();
  day.settled++;

  // 3. The resident with a social security card and 身份证 (1101 type 03: the certificate goes out, by the spec).
  const resident = DEMO_PEOPLE.resident;
  const cardSale = terminal.startSale(
    await terminal.verifyVoucher({
      voucher: {
        kind: 'ssc',
        cardNo: resident.card.cardNo,
        cardSn: resident.card.cardSn,
        residentId: resident.residentId,
      },
    }),
  );
  cardSale.scan(boxes(P.loratadine, 1, 3201)[0]!);
  await overrideWarnings(cardSale, '常规用药');
  await cardSale.settle();
  day.settled++;

  // 4. An Rx drug without a prescription: blocked; then with one, settled.
  const rxSale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
  for (const code of boxes(P.atorvastatin, 2, 3301)) rxSale.scan(code);
  const rxReview = await rxSale.review();
  for (const f of rxReview.findings) day.findings.add(f.ruleId);
  day.refusals.push((await refused(() => rxSale.settle())).code ?? '?');
  rxSale.attachPrescription(prescriptionFor('active', [{ productId: P.atorvastatin, quantity: 2, days: 14 }]));
  await overrideWarnings(rxSale, `医生确认，联系电话 ${NOTE_PHONE}`);
  await rxSale.settle();
  day.settled++;

  // 5. A 串换 attempt (a health product billed to the fund): blocked.
  const swap = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
  swap.addLine({
    productId: P.proteinPowder,
    quantity: 1,
    payMode: 'fund',
    medListCode: DEMO_CATALOG.find((p) => p.productId === P.ibuprofen)!.medListCode!,
  });
  for (const f of (await swap.review()).findings) day.findings.add(f.ruleId);
  day.refusals.push((await refused(() => swap.settle())).code ?? '?');

  // 6. Refused vouchers: the deceased, the suspended, the blacklisted, the terminated; a mistyped 身份证; a QR
  //    that is not one; and each person's 身份证 typed at the card reader with a wrong check character.
  for (const key of ['deceased', 'suspended', 'blacklisted', 'terminated'] as const)
    day.refusals.push((await refused(() => terminal.verifyVoucher(voucher(key)))).code ?? '?');
  const deceased = DEMO_PEOPLE.deceased;
  day.refusals.push(
    (
      await refused(() =>
        terminal.verifyVoucher({
          voucher: { kind: 'ssc', cardNo: deceased.card.cardNo, residentId: deceased.residentId },
        }),
      )
    ).code ?? '?',
  );
  const mistyped = `${DEMO_PEOPLE.child.residentId.slice(0, 17)}${DEMO_PEOPLE.child.residentId.endsWith('0') ? '1' : '0'}`;
  day.refusals.push(
    (await refused(() => terminal.verifyVoucher({ voucher: { kind: 'id-card', residentId: mistyped } }))).code ?? '?',
  );
  day.refusals.push(
    (
      await refused(() =>
        terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: `not a voucher ${DEMO_PEOPLE.child.name}` } }),
      )
    ).code ?? '?',
  );
  // A proxy whose 身份证 is mistyped: the refusal must not echo what was typed.
  day.refusals.push(
    (
      await refused(() =>
        terminal.verifyVoucher({
          ...voucher('active'),
          proxy: { ...PROXY, residentId: `${PROXY.residentId.slice(0, 17)}Y` },
        }),
      )
    ).code ?? '?',
  );

  // 7. Bad scans: a 身份证 and a phone number scanned into the product field, and noise.
  const scans = terminal.startSale();
  for (const code of [
    DEMO_PEOPLE.active.residentId,
    PROXY.phone,
    'not-a-code',
    DEMO_PEOPLE.nonlocal.residentId.toLowerCase(),
  ]) {
    try {
      scans.scan(code);
      scans.removeLine(scans.lines.at(-1)!.lineId);
    } catch (error) {
      errors.push(describeError(error));
      day.refusals.push((error as { code?: string }).code ?? '?');
    }
  }

  // 8. A refund of a sale that does not exist, and a second refund of a refunded one.
  day.refusals.push((await refused(() => terminal.refund('S-NOPE'))).code ?? '?');
  day.refusals.push((await refused(() => terminal.refund(honestReceipt.saleId))).code ?? '?');

  // 9. A self-pay sale while the platform is down, delivered later.
  simulator.faults.add({ kind: 'http-error', status: 503, times: Infinity });
  const cash = terminal.startSale();
  cash.addLine({ productId: P.proteinPowder, quantity: 1 });
  await cash.review();
  await cash.settle();
  day.settled++;
  expect((await terminal.sync.flush()).stoppedBy).toBe('transient-failure');
  for (const f of simulator.faults.list()) simulator.faults.clear(f.id);

  // 10. A dead letter: the same box reported sold twice (回流药), refused by the platform.
  const first = boxSale(1, now, 7_000_000);
  await terminal.recordMovement(first);
  await terminal.recordMovement({ ...boxSale(2, now, 7_000_000), traceCodes: first.traceCodes });
  const drained = await terminal.sync.flush();
  expect(drained.stoppedBy).toBe('empty');
  day.deadLetters = drained.deadLettered;
  now += 3_600_000;
}, 60_000);

afterAll(async () => {
  await terminal?.close();
  await server?.close();
  vi.restoreAllMocks();
});

describe('a whole day at the till leaves no one in clear', () => {
  it('ran the day it claims: sales, a proxy buyer, overrides, refusals, a refund, a dead letter, rule findings', () => {
    expect(day.settled).toBe(5);
    expect(day.refunded).toBe(1);
    expect(day.deadLetters).toBe(1);
    expect(day.refusals).toEqual(expect.arrayContaining(['RULE_BLOCKED', 'BUYER_DECEASED', 'REFUND_INVALID']));
    expect([...day.findings]).toEqual(expect.arrayContaining(['days-supply', 'rx-required', 'substitution']));
    expect(errors.length).toBeGreaterThanOrEqual(12);
    expect(outgoing.some((r) => r.infno === '1101')).toBe(true);
    expect(outgoing.some((r) => r.infno === 'YG07')).toBe(true);
    // Nine people, three needles each, and the five typed in.
    expect(NEEDLES).toHaveLength(Object.keys(DEMO_PEOPLE).length * 3 + 5);
  });

  it('no console line', () => {
    expect(leaks(consoleLines)).toEqual([]);
    expect(leaks(simulatorLog)).toEqual([]);
  });

  it('no error message', () => {
    expect(leaks(errors)).toEqual([]);
  });

  it('no event to the UI', () => {
    expect(leaks(events)).toEqual([]);
  });

  it('no stored record: every store and every journal of the terminal', async () => {
    const dump = await storageDump();
    expect(dump.length).toBeGreaterThan(50);
    // Delivered: the personal fields kept apart for 3505 are gone with the acknowledgement.
    expect(await storage.count('outboxPii')).toBe(0);
    expect(leaks(dump)).toEqual([]);
    // What was kept instead: the proxy buyer masked in the voucher audit, the override note masked but kept.
    // (Booleans, not toContain: a failure names what is missing without printing the whole storage.)
    const text = dump.join('\n');
    for (const kept of [
      maskResidentId(PROXY.residentId),
      maskName(PROXY.name),
      maskPersonalData(`电话 ${NOTE_PHONE}，患者身份证 ${NOTE_ID}，出差两周`),
    ]) {
      expect(text.includes(kept), `storage keeps ${kept}`).toBe(true);
    }
  });

  it('the scan finds what it looks for: the raw requests do carry the people, in the allowed fields only', () => {
    // A control: the capture is real and the needles match, so an empty result below means something.
    const raw = leaks(outgoing.map((r) => JSON.stringify(r.body)));
    expect(raw.some((l) => l.startsWith("resident's 身份证 in"))).toBe(true);
    expect(raw.some((l) => l.startsWith("active's name"))).toBe(true);
  });

  it('nothing left the till but the certificate fields the national interface requires', () => {
    const texts = outgoing.map(
      ({ infno, body, headers }) => `${infno ?? '?'} ${JSON.stringify(headers)} ${JSON.stringify(cleaned(body))}`,
    );
    expect(texts.length).toBeGreaterThan(20);
    expect(leaks(texts)).toEqual([]);
    // Where personal fields did go: the voucher check, settlement and the 3505 reports, nowhere else.
    expect([...personalFieldsSeen].sort()).toEqual(expect.arrayContaining(['1101', '3505']));
    for (const infno of personalFieldsSeen) expect(Object.keys(PERSONAL_FIELDS)).toContain(infno);
  });

  it("nothing the platform kept of the till's uploads: committed records, invoices, audit trails, the received log", () => {
    const kept = [
      ...simulator.committed().map((c) => JSON.stringify(c)),
      ...simulator.invoices().map((i) => JSON.stringify(i)),
      ...simulator.audits().map((a) => JSON.stringify(a)),
      ...simulator.received().map((r) => JSON.stringify(r)),
    ];
    expect(simulator.audits().length).toBeGreaterThan(0);
    expect(leaks(kept)).toEqual([]);
  });
});

/*
 * Dead-letter notes are free text typed at the till's dead-letter page (annotate, close, resubmit): the worker
 * masks any 身份证 or mobile number in them before storing, as the sale session does with override notes.
 */
describe('dead-letter notes', () => {
  it('an annotation with a phone number and a 身份证 is stored masked', async () => {
    const [letter] = await terminal.sync.deadLetters();
    expect(letter).toBeDefined();
    await terminal.sync.annotate(letter!.seq, {
      by: 'OP7',
      text: `已电话联系顾客 ${DEAD_LETTER_PHONE}，身份证 ${DEMO_PEOPLE.active.residentId}`,
    });
    expect(leaks(await storageDump())).toEqual([]);
    expect(
      (await storageDump()).some((l) => l.includes(DEAD_LETTER_PHONE)),
      'the annotation keeps the phone number',
    ).toBe(false);
  });

  it('a closing note with a phone number is stored masked', async () => {
    const [letter] = await terminal.sync.deadLetters({ includeResolved: true });
    await terminal.sync.close(letter!.seq, { by: 'OP7', text: `顾客电话 ${CLOSE_PHONE}，已退款` });
    expect(
      (await storageDump()).some((l) => l.includes(CLOSE_PHONE)),
      'the closing note keeps the phone number',
    ).toBe(false);
  });
});
