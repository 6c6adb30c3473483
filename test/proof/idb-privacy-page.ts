/// <reference lib="dom" />
/**
 * The page of the IndexedDB privacy proof (bundled by `idb-privacy.test.ts`): a whole till, `createTerminal` over
 * `createIdbStorage`, against the simulator running in the page (its `handle` behind the client's `fetch`). It sells
 * to insured buyers, hands back what their personal fields read as through the storage before delivery, delivers
 * (flush: the platform acknowledges the 3505s), and closes. A control record with a made-up person's 身份证 and
 * name goes into a store that is not marked personal, so the Node side can show its scan of the profile finds
 * plain text where there is some.
 */
import { createIdbStorage } from '../../adapters/idb/index.js';
import { createSimulator, DEMO_CATALOG, DEMO_PEOPLE, type DemoPersonKey } from '../../adapters/simulator/index.js';
import { TERMINAL_NAMES } from '../../src/index.js';
import type { PlatformFetch } from '../../src/platform/index.js';
import { boxes, NOW, P } from '../unit/rules/helpers.js';
import { openTestTerminal } from '../integration/till-fixture.js';

/** What `sellAndDeliver` saw, for the Node side. */
export interface PrivacyRun {
  /** The personal fields as they read back through the storage before delivery, by buyer. */
  readonly beforeAck: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly pendingBefore: number;
  readonly pendingAfter: number;
  readonly piiAfter: number;
  readonly settlementsAfter: number;
  readonly sales: number;
}

/** The simulator's `handle` as a `fetch`: the platform without a network. */
function simulatorFetch(handle: ReturnType<typeof createSimulator>['handle']): PlatformFetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const answer = await handle({ path: new URL(request.url).pathname, headers, body: await request.text() });
    if ('fault' in answer) throw new TypeError('the simulator dropped the request');
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
}

const helpers = {
  async sellAndDeliver(
    buyers: readonly DemoPersonKey[],
    control: { readonly residentId: string; readonly name: string },
  ): Promise<PrivacyRun> {
    let now = NOW;
    const clock = { now: () => now };
    const simulator = createSimulator({ clock });
    const storage = await createIdbStorage({ name: 'yibao-guard:privacy-till', names: TERMINAL_NAMES });
    const terminal = await openTestTerminal({
      baseUrl: 'http://platform.invalid',
      storage,
      clock,
      fetch: simulatorFetch(simulator.handle),
    });
    await terminal.updateRulePack();
    await terminal.signIn();
    const product = DEMO_CATALOG.find((p) => p.productId === P.loratadine)!;
    await terminal.recordMovement({
      kind: 'purchase',
      movementId: 'PUR-1',
      at: now,
      productId: product.productId,
      ...(product.medListCode ? { medListCode: product.medListCode } : {}),
      productName: product.genericName,
      batchNo: 'B-1',
      traceCodes: [],
      quantity: 20,
      supplierName: '国药控股吉林有限公司',
      unitCostFen: 1000,
    });
    await storage.write([
      {
        op: 'put',
        store: 'meta',
        key: 'privacy-control',
        value: { note: `对照记录 ${control.name} ${control.residentId}` },
      },
    ]);
    const beforeAck: Record<string, Readonly<Record<string, unknown>>> = {};
    const seen = new Set<string>();
    let serial = 6001;
    for (const key of buyers) {
      const sale = terminal.startSale(
        await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher(key).qr } }),
      );
      sale.scan(boxes(P.loratadine, 1, serial++)[0]!);
      const review = await sale.review();
      for (const f of review.findings.filter((x) => x.severity === 'warning' && x.outcome !== 'overridden'))
        await sale.override(f.findingId, { reasonCode: 'other', note: '常规用药' });
      await sale.settle();
      now += 60_000;
      // The sale's 3505 personal fields wait under its msgid: the one record this sale added.
      const added = (await storage.list('outboxPii')).filter((r) => !seen.has(r.key));
      for (const r of added) seen.add(r.key);
      beforeAck[key] = added.length === 1 ? added[0]!.value : { added: added.length };
    }
    const pendingBefore = (await terminal.sync.status()).pending;
    await terminal.sync.flush();
    const run: PrivacyRun = {
      beforeAck,
      pendingBefore,
      pendingAfter: (await terminal.sync.status()).pending,
      piiAfter: await storage.count('outboxPii'),
      settlementsAfter: await storage.count('settlements'),
      sales: (await terminal.sales()).length,
    };
    await terminal.close();
    await storage.close();
    return run;
  },
  people: DEMO_PEOPLE,
};

export type PrivacyHelpers = typeof helpers;
(globalThis as unknown as { __ygPrivacy: PrivacyHelpers }).__ygPrivacy = helpers;
