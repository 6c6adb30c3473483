/**
 * Proof suite (#11), hostile input: fast-check fuzzing of every parser at the edge of the SDK — scans, voucher input,
 * receipt QR codes, 身份证, 追溯码, platform responses, rule packs, HIS hook bodies, invoice exports and drafts.
 *
 * The property, for each: the call succeeds, or it fails with a typed yibao-guard error whose code is in
 * ERROR_CATALOG (a verify function may instead return a report with ok:false) — never a bare TypeError/RangeError,
 * never a hang; and a refused input changes nothing (sale lines, storage, the invoice book are snapshotted before
 * and after and compared).
 *
 * A case that broke the property stays here as its own test, marked `FOUND BUG` (not skipped: it fails until src is
 * fixed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createMemoryStorage,
  isYibaoGuardError,
  TERMINAL_NAMES,
  type Storage,
  type TerminalLayout,
} from '../../src/index.js';
import { ERROR_CATALOG } from '../../src/errors/index.js';
import { isValidResidentId, parseTraceCode, residentIdInfo } from '../../src/codes/index.js';
import type { RulePack } from '../../src/schemas/index.js';
import { canonicalJson } from '../../src/crypto/index.js';
import { readVoucher } from '../../src/voucher/index.js';
import {
  openInvoiceBook,
  parseInvoiceQr,
  verifyChain,
  verifyInvoiceExport,
  verifyInvoiceQr,
} from '../../src/invoice/index.js';
import { installRulePack, verifyRulePack } from '../../src/engine.js';
import { createPlatformClient } from '../../src/platform/index.js';
import {
  DEMO_CATALOG,
  DEMO_PEOPLE,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
  simulatorRulePack,
} from '../../adapters/simulator/index.js';
import { signRulePack } from '../../adapters/simulator/keys.js';
import { box, P, sale as saleSession } from '../unit/rules/helpers.js';
import { baseOptions, ok, personQueryInput, settlementInput, settlementOutput } from '../unit/platform/helpers.js';
import { chainOf, sale as invoiceSale, till } from '../unit/invoice/helpers.js';
import { hookRequest, startClinic, visit, type Clinic } from '../his/helpers.js';

const RUNS = 300;
const NOW = Date.UTC(2026, 10, 23, 2, 0);
const TRUSTED = [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }];

/** The outcome of a call: its value, or the error it threw, checked to be typed with a catalog code. */
async function outcome(run: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    expectTyped(error);
    return { ok: false, code: (error as { code: string }).code };
  }
}

const tallies = new Map<string, { ok: number; refused: Map<string, number> }>();
/**
 * Counts what a parser did with its inputs, for the summary printed at the end (so a reviewer sees it was exercised).
 */
function tally(name: string, result: { ok: true } | { ok: false; code: string }): void {
  const t = tallies.get(name) ?? { ok: 0, refused: new Map<string, number>() };
  if (result.ok) t.ok += 1;
  else t.refused.set(result.code, (t.refused.get(result.code) ?? 0) + 1);
  tallies.set(name, t);
}
afterAll(() => {
  for (const [name, t] of tallies)
    console.log(
      `hostile: ${name} → ${t.ok} accepted, refused ${[...t.refused].map(([c, n]) => `${c}×${n}`).join(' ') || 'none'}`,
    );
});

function expectTyped(error: unknown): void {
  const shown =
    error instanceof Error
      ? `${error.name}: ${error.message}\n${error.stack?.split('\n').slice(1, 4).join('\n')}`
      : String(error);
  expect(isYibaoGuardError(error), `not a typed error: ${shown}`).toBe(true);
  expect(Object.hasOwn(ERROR_CATALOG, (error as { code: string }).code), `code in ERROR_CATALOG`).toBe(true);
}

/** Every store and journal of a terminal storage, as JSON: the "state" a refused input must not change. */
async function snapshot(storage: Storage<TerminalLayout>): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const store of TERMINAL_NAMES.stores) out[store] = await storage.list(store);
  for (const journal of TERMINAL_NAMES.journals) out[journal] = await storage.read(journal);
  return JSON.stringify(out);
}

/** Replaces the value at a random path of a JSON value (objects and arrays), or the whole value. */
function mutateAt(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head, ...rest] = path;
  const index = head! % (entries.length + 1);
  if (index === entries.length) return replacement; // stop here
  const [key, child] = entries[index]!;
  const copy: any = Array.isArray(value) ? [...value] : { ...value };
  copy[key] = mutateAt(child, rest, replacement);
  return copy;
}
const path = fc.array(fc.nat(40), { maxLength: 5 });
/** Any JSON-ish value, including the odd ones: huge numbers, NaN, -0, long strings, deep nesting. */
const hostile = fc.oneof(
  fc.anything({
    withBigInt: false,
    withBoxedValues: true,
    withNullPrototype: true,
    withObjectString: true,
    maxDepth: 3,
  }),
  fc.constantFrom(
    NaN,
    Infinity,
    -Infinity,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -1,
    0.1,
    '',
    ' ',
    '\u0000',
    'x'.repeat(5000),
    [],
    {},
    null,
    undefined,
    true,
  ),
);
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const spaces = fc.constantFrom('', ' ', '\t', '\r\n', '\n', '\u3000', '\u00a0', '\ufeff');
const withSpaces = (s: fc.Arbitrary<string>) => fc.tuple(spaces, s, spaces).map(([a, b, c]) => a + b + c);

// ------------------------------------------------------------------------------------------------------------------
describe('hostile input: 身份证 and 追溯码', () => {
  const idLike = fc.oneof(
    withSpaces(fc.constantFrom(...Object.values(DEMO_PEOPLE).map((p) => p.residentId))),
    fc.string(),
    fc.string({ unit: 'binary' }),
    withSpaces(fc.tuple(digits(14, 19), fc.constantFrom('', 'X', 'x', 'Ｘ', '０')).map(([d, x]) => d + x)),
    // A real ID with one character changed.
    fc
      .tuple(
        fc.constantFrom(...Object.values(DEMO_PEOPLE).map((p) => p.residentId)),
        fc.nat(17),
        fc.string({ minLength: 1, maxLength: 1 }),
      )
      .map(([id, at, ch]) => id.slice(0, at) + ch + id.slice(at + 1)),
    hostile,
  );

  it('isValidResidentId never throws; residentIdInfo returns or throws INVALID_RESIDENT_ID, and agrees with it', async () => {
    await fc.assert(
      fc.asyncProperty(idLike, async (id) => {
        let valid: boolean | undefined;
        expect(() => (valid = isValidResidentId(id))).not.toThrow();
        const result = await outcome(() => residentIdInfo(id as string));
        tally('residentIdInfo', result);
        if (!result.ok) expect(result.code).toBe('INVALID_RESIDENT_ID');
        expect(result.ok).toBe(valid);
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });

  it('parseTraceCode returns a 20-digit code or throws INVALID_TRACE_CODE', async () => {
    const traceLike = fc.oneof(
      fc.string(),
      withSpaces(fc.tuple(fc.constantFrom('8', '9', '０', ''), digits(17, 21)).map(([a, b]) => a + b)),
      hostile,
    );
    await fc.assert(
      fc.asyncProperty(traceLike, async (code) => {
        const result = await outcome(() => parseTraceCode(code));
        tally('parseTraceCode', result);
        if (result.ok) expect((result.value as { code: string }).code).toMatch(/^8\d{19}$/);
        else expect(result.code).toBe('INVALID_TRACE_CODE');
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });
});

// ------------------------------------------------------------------------------------------------------------------
describe('hostile input: the till scanner', () => {
  const prefixes = DEMO_CATALOG.flatMap((p) => (p.traceCodePrefix ? [p.traceCodePrefix] : []));
  const gtins = DEMO_CATALOG.flatMap((p) => p.gtins ?? []);
  const scanLike = fc.oneof(
    fc.string(),
    withSpaces(digits(8, 21)),
    withSpaces(fc.tuple(fc.constantFrom(...prefixes), digits(10, 15)).map(([p, s]) => p + s)),
    withSpaces(
      fc
        .tuple(fc.constantFrom(...gtins), fc.nat(gtins[0]!.length))
        .map(([g, cut]) => g.slice(0, cut) + g.slice(cut + 1)),
    ),
    withSpaces(fc.constantFrom(...gtins)),
    withSpaces(fc.nat(99_999).map((n) => box(P.atorvastatin, n))),
    hostile,
  );

  it('a scan adds or changes one line, or is refused with a typed error and the lines untouched', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(scanLike, { minLength: 1, maxLength: 6 }), async (scans) => {
        const { session } = saleSession();
        for (const code of scans) {
          const before = JSON.stringify(session.lines);
          const result = await outcome(() => session.scan(code as string));
          tally('sale.scan', result);
          if (!result.ok)
            expect(JSON.stringify(session.lines), `lines after a refused scan of ${JSON.stringify(code)}`).toBe(before);
          else expect(session.lines.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });
});

// ------------------------------------------------------------------------------------------------------------------
describe('hostile input: voucher input', () => {
  const ids = Object.values(DEMO_PEOPLE).map((p) => p.residentId);
  const alnum = fc.string({ unit: fc.constantFrom(...'0123456789abcdefghijkXYZ'), minLength: 10, maxLength: 70 });
  const voucherLike = fc.oneof(
    hostile,
    // Near-valid and valid ones, so the accepting paths are fuzzed too.
    fc.record({
      kind: fc.constant('id-card'),
      residentId: withSpaces(fc.constantFrom(...ids, ...ids.map((id) => id.toLowerCase()))),
    }),
    fc.record({
      kind: fc.constant('ec-qr'),
      qr: withSpaces(
        fc
          .tuple(fc.constantFrom('ecqr:', 'ECQR:', ''), fc.constantFrom('220100', '110105', '000000'), alnum)
          .map((p) => p.join('')),
      ),
    }),
    fc.record(
      {
        kind: fc.constant('ssc'),
        cardNo: withSpaces(alnum),
        cardSn: fc.oneof(fc.constant(undefined), alnum),
        residentId: fc.constantFrom(...ids),
      },
      { requiredKeys: ['kind', 'cardNo', 'residentId'] },
    ),
    fc.record(
      {
        kind: fc.oneof(fc.constantFrom('ec-qr', 'ssc', 'id-card', 'EC-QR', ''), hostile),
        qr: fc.oneof(
          fc.string(),
          withSpaces(
            fc
              .tuple(
                fc.constantFrom('ecqr:', 'ECQR:', ''),
                digits(6, 6),
                fc.string({ unit: fc.constantFrom(...'aZ09'), maxLength: 70 }),
              )
              .map((p) => p.join('')),
          ),
          hostile,
        ),
        cardNo: fc.oneof(fc.string(), hostile),
        cardSn: fc.oneof(fc.string(), hostile),
        residentId: fc.oneof(fc.constantFrom(...ids), fc.string(), hostile),
      },
      { requiredKeys: [] },
    ),
  );

  it('readVoucher reads or refuses with VOUCHER_UNREADABLE / INVALID_RESIDENT_ID', async () => {
    await fc.assert(
      fc.asyncProperty(voucherLike, async (input) => {
        const result = await outcome(() => readVoucher(input));
        tally('readVoucher', result);
        if (!result.ok) expect(['VOUCHER_UNREADABLE', 'INVALID_RESIDENT_ID']).toContain(result.code);
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });
});

// ------------------------------------------------------------------------------------------------------------------
describe('hostile input: receipt QR codes and invoice exports', async () => {
  const { t, records, keys } = await chainOf(4);
  const issued = await t.book.issue(invoiceSale(777));
  const qr = issued.qr;
  const exportText = await t.book.export();

  const qrLike = fc.oneof(
    fc.string(),
    hostile,
    // One field of a real QR replaced with anything.
    fc.tuple(fc.nat(10), fc.oneof(fc.string(), digits(0, 25))).map(([at, v]) => {
      const parts = qr.split('*');
      parts[at] = v;
      return parts.join('*');
    }),
    // A character of a real QR changed, inserted or deleted.
    fc
      .tuple(fc.nat(qr.length), fc.string({ maxLength: 2 }), fc.nat(1))
      .map(([at, s, del]) => qr.slice(0, at) + s + qr.slice(at + del)),
  );

  it('parseInvoiceQr reads or throws INVOICE_UNREADABLE; verifyInvoiceQr reports (ok:false unless it is the real QR)', async () => {
    await fc.assert(
      fc.asyncProperty(qrLike, async (text) => {
        const parsed = await outcome(() => parseInvoiceQr(text as string));
        tally('parseInvoiceQr', parsed);
        if (!parsed.ok) expect(parsed.code).toBe('INVOICE_UNREADABLE');
        const verified = await outcome(() => verifyInvoiceQr(text as string, keys));
        tally(
          'verifyInvoiceQr (report ok)',
          verified.ok
            ? (verified.value as { ok: boolean }).ok
              ? { ok: true }
              : { ok: false, code: 'report ok:false' }
            : verified,
        );
        if (verified.ok) {
          const report = verified.value as { ok: boolean };
          if (typeof text !== 'string' || text.trim() !== qr)
            expect(report.ok, `a changed QR verified: ${JSON.stringify(text)}`).toBe(false);
        }
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });

  const exportLike = fc.oneof(
    fc.string(),
    hostile,
    fc.array(fc.json(), { maxLength: 4 }).map((lines) => `${lines.join('\n')}\n`),
    // Bytes of the real export changed, inserted, deleted.
    fc
      .tuple(fc.nat(exportText.length), fc.string({ maxLength: 3 }), fc.nat(3))
      .map(([at, s, del]) => exportText.slice(0, at) + s + exportText.slice(at + del)),
    // Lines shuffled, dropped, duplicated.
    fc.shuffledSubarray(exportText.split('\n'), { minLength: 0 }).map((lines) => lines.join('\n')),
    fc.tuple(fc.nat(6), fc.nat(6)).map(([a, b]) => {
      const lines = exportText.split('\n');
      lines.splice(a, 0, lines[b % lines.length]!);
      return lines.join('\n');
    }),
  );

  it('verifyInvoiceExport always reports, ok:false for anything but the real export', async () => {
    await fc.assert(
      fc.asyncProperty(exportLike, fc.boolean(), async (text, withKeys) => {
        const result = await outcome(() => verifyInvoiceExport(text as string, withKeys ? keys : undefined));
        tally('verifyInvoiceExport (threw)', result);
        if (result.ok && text !== exportText)
          expect((result.value as { ok: boolean }).ok, 'a changed export verified').toBe(false);
      }),
      { numRuns: 200, timeout: 5_000 },
    );
  });

  it('verifyChain reports on any values given as records', async () => {
    const recordLike = fc.oneof(
      hostile,
      fc.tuple(fc.constantFrom(...records), path, hostile).map(([r, p, v]) => mutateAt(r, p, v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(recordLike, { maxLength: 5 }), async (list) => {
        const result = await outcome(() => verifyChain(list, keys));
        expect(result.ok, 'verifyChain threw for records').toBe(true);
        // A "mutation" may leave a record as it was in JSON (null for null, -0 for 0): only a record whose canonical
        // JSON is not one of the genuine ones must make the report fail.
        const genuine = new Set(records.map((r) => canonicalJson(r)));
        const changed = list.some((r) => {
          try {
            return !genuine.has(canonicalJson(r));
          } catch {
            return true;
          }
        });
        if (result.ok && changed)
          expect(
            (result.value as { ok: boolean }).ok,
            `changed records verified: ${JSON.stringify(list).slice(0, 400)}`,
          ).toBe(false);
      }),
      { numRuns: 200, timeout: 5_000 },
    );
  });

  it('the invoice book refuses a hostile draft with a typed error and nothing written', async () => {
    const tt = await till();
    await tt.book.issue(invoiceSale(100));
    const good = invoiceSale(1234) as unknown;
    const draftLike = fc.oneof(
      hostile,
      fc.tuple(path, hostile).map(([p, v]) => mutateAt(good, p, v)),
    );
    // Found by this property in a fresh-clone run (seed -389504421): an amount that cannot be made a string (an
    // object without a prototype) threw a bare TypeError from the error message. Kept as an example.
    const unprintable = JSON.parse(JSON.stringify(good)) as { lines: { amountFen: unknown }[] };
    unprintable.lines[0]!.amountFen = Object.create(null);
    expect(await outcome(() => tt.book.issue(unprintable as never))).toMatchObject({
      ok: false,
      code: 'INVALID_MONEY',
    });
    await fc.assert(
      fc.asyncProperty(draftLike, async (draft) => {
        const before = await snapshot(tt.storage);
        const result = await outcome(() => tt.book.issue(draft as never));
        tally('invoiceBook.issue', result);
        if (!result.ok) expect(await snapshot(tt.storage), `storage after a refused draft ${result.code}`).toBe(before);
      }),
      { numRuns: 200, timeout: 5_000 },
    );
  });
});

// ------------------------------------------------------------------------------------------------------------------
describe('hostile input: platform responses', () => {
  const NULL_BODY = new Set([204, 205, 304]);
  const bodyLike = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    // An envelope whose fields are anything.
    fc
      .record(
        {
          infcode: fc.oneof(fc.constantFrom(0, '0', -1, '-1', -2, ' 0 ', 1), hostile),
          err_msg: fc.oneof(fc.string(), hostile),
          output: hostile,
        },
        { requiredKeys: [] },
      )
      .map((e) => JSON.stringify(e)),
    // A success envelope with the right output changed at one place.
    fc.tuple(path, hostile).map(([p, v]) => JSON.stringify(ok(mutateAt(settlementOutput(), p, v)))),
    fc.tuple(path, hostile).map(([p, v]) =>
      JSON.stringify(
        ok(
          mutateAt(
            {
              baseinfo: {
                psn_no: '1',
                certno: '11010519491231002X',
                psn_name: '张三',
                gend: '1',
                brdy: '1949-12-31',
                age: 76,
              },
              insuinfo: [],
              idetinfo: [],
            },
            p,
            v,
          ),
        ),
      ),
    ),
    // An output sent as a JSON string, possibly broken.
    fc.string().map((s) => JSON.stringify(ok(s))),
  );
  const statusLike = fc.oneof(
    fc.constant(200),
    fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 408, 413, 429, 500, 502, 503, 504),
    fc.integer({ min: 200, max: 599 }),
  );
  // Retry-After: none, delta seconds, an HTTP date. Unreadable hints (and ky's other rate-limit headers) hung the
  // call (FOUND BUG below, now fixed): they have their own regression test, and the fuzz explores everything else.
  const headerLike = fc.record(
    {
      'content-type': fc.constantFrom('application/json', 'text/html', 'text/plain; charset=gbk'),
      'retry-after': fc.oneof(
        fc.constant(undefined),
        digits(1, 4),
        fc.constantFrom('Mon, 23 Nov 2026 02:05:10 GMT', 'Wed, 21 Oct 2015 07:28:00 GMT', '0', ' 1 '),
      ),
    },
    { requiredKeys: ['content-type'] },
  );

  /**
   * A client whose fetch answers 9001 properly (unless `signIn` is fuzzed too) and every business call with `answer`.
   */
  function clientAnswering(
    answer: { status: number; body: string; headers: Record<string, string | undefined> } | { throws: unknown },
    fuzzSignIn = false,
  ) {
    return createPlatformClient(
      baseOptions({
        timeoutMs: 200,
        retry: { limit: 1, backoffLimitMs: 1, maxRetryAfterMs: 5 },
        fetch: async (input, init) => {
          // ky hands over a Request (the body in it), or a URL and an init.
          const sent = input instanceof Request ? await input.clone().text() : String(init?.body);
          const envelope = JSON.parse(sent) as { infno: string };
          if (envelope.infno === '9001' && !fuzzSignIn)
            return Response.json(ok({ signinoutb: { sign_time: '2026-11-23 10:05:09', sign_no: 'SN1' } }));
          if ('throws' in answer) throw answer.throws;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined) headers[k] = v;
          return new Response(NULL_BODY.has(answer.status) ? null : answer.body, { status: answer.status, headers });
        },
      }),
    );
  }
  const answerLike = fc.oneof(
    { weight: 8, arbitrary: fc.record({ status: statusLike, body: bodyLike, headers: headerLike }) },
    {
      weight: 1,
      arbitrary: fc.record({
        throws: fc.oneof(
          fc.constant(new TypeError('fetch failed')),
          fc.constant(new DOMException('aborted', 'AbortError')),
          hostile,
        ),
      }),
    },
  );

  // FOUND BUG by this fuzz, fixed in src/platform/transport.ts (ky `maxRetryAfter` + every hint header checked in
  // shouldRetry); kept as its regression test. Before the fix: a 429/503 whose Retry-After is neither delta seconds nor
  // an HTTP date (e.g. `Retry-After: xyz`) hangs the call after its first attempt: the client's own retryAfterMs()
  // gives undefined, shouldRetry returns undefined, and ky 1.14.3 then computes a NaN delay
  // (Date.parse('xyz') - Date.now()) and never settles (reproduced with ky alone). ky also reads RateLimit-Reset,
  // X-RateLimit-Retry-After, X-RateLimit-Reset and X-Rate-Limit-Reset when Retry-After is absent, which the client's
  // maxRetryAfterMs guard never looks at. Likely fix: pass ky `retry.maxRetryAfter: config.maxRetryAfterMs`, and
  // decide in shouldRetry from every header ky reads (an unreadable hint: fail now, or retry on the client's backoff).
  // Found by the fuzz below: { status: 429, body: '', headers: { 'retry-after': 'In\\<31!i' } }.
  it.each([
    ['1101 read, 429, Retry-After: xyz', 429, false, { 'retry-after': 'xyz' }],
    ['2102 write, 503, Retry-After: xyz', 503, true, { 'retry-after': 'xyz' }],
    ['1101 read, 503, no Retry-After, RateLimit-Reset: abc', 503, false, { 'ratelimit-reset': 'abc' }],
    [
      '1101 read, 429, no Retry-After, X-RateLimit-Reset: 1800000000 (a 2027 epoch: ky waits ~24.8 days)',
      429,
      false,
      { 'x-ratelimit-reset': '1800000000' },
    ],
  ] as const)(
    'an unreadable or unbounded retry hint does not hang the call (%s)',
    async (_name, status, write, headers) => {
      const client = createPlatformClient(
        baseOptions({
          timeoutMs: 200,
          retry: { limit: 1, backoffLimitMs: 1, maxRetryAfterMs: 5 },
          fetch: async (input, init) => {
            const sent = input instanceof Request ? await input.clone().text() : String(init?.body);
            if ((JSON.parse(sent) as { infno: string }).infno === '9001')
              return Response.json(ok({ signinoutb: { sign_time: '2026-11-23 10:05:09', sign_no: 'SN1' } }));
            return new Response('', { status, headers });
          },
        }),
      );
      const call = write
        ? client.settle(settlementInput(), { insuplcAdmdvs: '220102' })
        : client.queryPerson(personQueryInput());
      // A hang never settles; the bound only has to be longer than a loaded machine takes for two in-process calls.
      const settled = await Promise.race([
        call.then(
          () => 'resolved',
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('HANG: no answer after 20 s'), 20_000)),
      ]);
      expect(settled, 'the call settled').not.toBe('HANG: no answer after 20 s');
      expectTyped(settled);
    },
  );

  it('a read (1101) resolves or rejects with a typed error, whatever the platform answers', async () => {
    await fc.assert(
      fc.asyncProperty(answerLike, fc.boolean(), async (answer, fuzzSignIn) => {
        tally(
          'platform 1101 answer',
          await outcome(() => clientAnswering(answer as never, fuzzSignIn).queryPerson(personQueryInput())),
        );
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });

  it('a write (2102) resolves or rejects with a typed error, whatever the platform answers', async () => {
    await fc.assert(
      fc.asyncProperty(answerLike, async (answer) => {
        tally(
          'platform 2102 answer',
          await outcome(() => clientAnswering(answer as never).settle(settlementInput(), { insuplcAdmdvs: '220102' })),
        );
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });
});

// ------------------------------------------------------------------------------------------------------------------
describe('hostile input: rule packs', async () => {
  const v1 = await signRulePack(simulatorRulePack('220100', 1));
  const base = simulatorRulePack('220100', 2) as unknown;
  const refusals = ['INVALID_INPUT', 'RULE_PACK_INVALID_SIGNATURE', 'RULE_PACK_EXPIRED', 'RULE_PACK_STALE'];

  it('arbitrary JSON, and genuine packs with fields changed, are refused with a rule-pack code and the pack in force kept', async () => {
    const storage = createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
    await installRulePack(storage, v1, { trusted: TRUSTED, now: NOW });
    const packLike = fc.oneof(
      hostile,
      // Tampered after signing (the signature must fail)…
      fc.tuple(path, hostile).map(([p, v]) => ({ ...v1, pack: mutateAt(v1.pack, p, v) })),
      fc.tuple(path, hostile).map(([p, v]) => mutateAt(v1, p, v)),
    );
    await fc.assert(
      fc.asyncProperty(packLike, async (signed) => {
        const before = await snapshot(storage);
        const verified = await outcome(() => verifyRulePack(signed, TRUSTED, NOW));
        if (!verified.ok) expect(refusals).toContain(verified.code);
        const installed = await outcome(() => installRulePack(storage, signed, { trusted: TRUSTED, now: NOW }));
        tally('installRulePack (arbitrary / tampered)', installed);
        if (!installed.ok) {
          expect(refusals).toContain(installed.code);
          expect(await snapshot(storage), 'storage after a refused pack').toBe(before);
        } else {
          // Only the genuine v1 verifies (a mutation that changed nothing leaves it as it is): installing the pack in
          // force again is accepted and writes nothing. Anything else installing is a hole.
          expect(canonicalJson(signed), `a tampered pack installed: ${JSON.stringify(signed).slice(0, 300)}`).toBe(
            canonicalJson(v1),
          );
          expect(await snapshot(storage), 'storage after re-installing the pack in force').toBe(before);
        }
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });

  it('a pack the platform really signed but with hostile rule settings installs or is refused with a typed error (nothing written); one that installs runs a review without crashing', async () => {
    const ruleIds = Object.keys((base as RulePack).rules);
    // Every (rule, parameter) of the published pack, and a made-up parameter name per rule.
    const ruleParams = Object.entries((base as RulePack).rules).flatMap(([rule, setting]) => [
      ...Object.keys(setting!.params).map((name) => [rule, name] as const),
      [rule, 'madeUp'] as const,
    ]);
    const paramLike = fc.oneof(
      hostile,
      fc.integer(),
      fc.double(),
      fc.constantFrom(0, -1, 1e9, 0.5, -0.0, 2 ** 31, Number.MAX_SAFE_INTEGER),
    );
    const tweaked = fc.oneof(
      fc.tuple(path, hostile).map(([p, v]) => mutateAt(base, p, v)),
      // One parameter of one rule set to anything (an existing name or a new one), or the severity / enabled flag.
      fc.tuple(fc.constantFrom(...ruleParams), paramLike).map(([[rule, name], v]) => {
        const pack = structuredClone(base) as RulePack;
        const setting = (pack.rules as Record<string, { params: Record<string, unknown> }>)[rule]!;
        setting.params = { ...setting.params, [name]: v };
        return pack;
      }),
      fc.tuple(fc.constantFrom(...ruleIds), fc.constantFrom('severity', 'enabled'), hostile).map(([rule, field, v]) => {
        const pack = structuredClone(base) as RulePack;
        (pack.rules as Record<string, Record<string, unknown>>)[rule]![field] = v;
        return pack;
      }),
    );
    await fc.assert(
      fc.asyncProperty(tweaked, fc.array(fc.nat(99_999), { minLength: 1, maxLength: 8 }), async (pack, serials) => {
        // signRulePack signs whatever it is given (canonical JSON of it); a value canonicalJson refuses is not
        // signable.
        let signed: unknown;
        try {
          signed = await signRulePack(pack as never);
        } catch {
          return;
        }
        const storage = createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
        await installRulePack(storage, v1, { trusted: TRUSTED, now: NOW });
        const before = await snapshot(storage);
        const installed = await outcome(() => installRulePack(storage, signed, { trusted: TRUSTED, now: NOW }));
        tally('rule pack (genuinely signed, hostile settings)', installed);
        if (!installed.ok) {
          expect(refusals).toContain(installed.code);
          expect(await snapshot(storage), 'storage after a refused pack').toBe(before);
          return;
        }
        // Installed: the engine must run it on a sale without an untyped crash.
        const { session } = saleSession({ pack: installed.value as RulePack });
        for (const n of serials)
          await outcome(() => session.scan(box(serials.length > 4 ? P.danshen : P.atorvastatin, n)));
        await outcome(() => session.review());
      }),
      { numRuns: 200, timeout: 5_000 },
    );
  });
});

// ------------------------------------------------------------------------------------------------------------------
describe('hostile input: HIS hook bodies', () => {
  let clinic: Clinic;
  beforeAll(async () => {
    clinic = await startClinic();
  });
  afterAll(() => clinic.close());
  const good = visit() as unknown;
  const contextLike = fc.oneof(
    hostile,
    fc.constant(good),
    fc.tuple(path, hostile).map(([p, v]) => mutateAt(good, p, v)),
  );

  it('evaluateOrders answers or refuses with a typed error, and a refused call writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(contextLike, async (context) => {
        const before = await snapshot(clinic.storage);
        const result = await outcome(() => clinic.service.evaluateOrders(context));
        tally('his.evaluateOrders', result);
        if (!result.ok)
          expect(await snapshot(clinic.storage), `storage after a refused context (${result.code})`).toBe(before);
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  });

  it('the HTTP handler answers any authenticated body with 200 or a 4xx JSON error, never a 5xx', async () => {
    const PATH = '/cds-services/yibao-order-sign';
    const raw = fc.oneof(
      fc.string(),
      fc.json(),
      contextLike.map((c) => JSON.stringify(hookRequest('order-sign', c)) ?? 'null'),
      fc
        .tuple(path, hostile)
        .map(([p, v]) => JSON.stringify(mutateAt(hookRequest('order-sign', good), p, v)) ?? 'null'),
    );
    {
      await fc.assert(
        fc.asyncProperty(raw, async (body) => {
          const res = await clinic.post(PATH, undefined, { raw: body });
          tally(
            'HIS HTTP body',
            res.status === 200
              ? { ok: true }
              : { ok: false, code: `HTTP ${res.status} ${res.json?.error?.code ?? ''}` },
          );
          expect(
            res.status === 200 || (res.status >= 400 && res.status < 500),
            `HTTP ${res.status} for ${body.slice(0, 200)}: ${res.text.slice(0, 300)}`,
          ).toBe(true);
          if (res.status !== 200)
            expect(
              isYibaoGuardError(res.json?.error) || typeof res.json?.error?.code === 'string',
              res.text.slice(0, 300),
            ).toBe(true);
        }),
        { numRuns: 150, timeout: 5_000 },
      );
    }
  });
});
