import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { createSimulator, simulatorHandlers } from '../../adapters/simulator/msw.js';
import {
  DEMO_PEOPLE,
  DEMO_TRACE_CODES,
  SIMULATOR_CALL_PATH,
  startSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { infcode, line, personArea, saleRecord, settleInput, T0, Till } from './helpers.js';

const BASE = 'https://platform.test/prov';
const server = setupServer();

// Requests to the real server on loopback pass through; anything else unhandled is a test bug.
beforeAll(() =>
  server.listen({
    onUnhandledRequest: (request, print) => (new URL(request.url).hostname === '127.0.0.1' ? undefined : print.error()),
  }),
);
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** The same conversation, once through msw and once through real HTTP: the answers must be the same bytes. */
async function conversation(till: Till, simulator: Simulator): Promise<string[]> {
  const texts: string[] = [];
  const send = async (env: Record<string, unknown>) => {
    const res = await till.post(env);
    texts.push(`${res.status} ${res.text}`);
    return res;
  };
  const signIn = await send(till.envelope('9001', { signIn: { opter_no: 'OP7', mac: 'm', ip: 'i' } }));
  till.signNo = signIn.json.output.signinoutb.sign_no;
  const token = simulator.issueVoucher('active').ecToken;
  await send(till.envelope('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: token } }));
  const input = settleInput(DEMO_PEOPLE.active, { type: '01', no: token }, [line('阿托伐他汀钙片', 2)]);
  await send(till.envelope('2101', input, personArea(DEMO_PEOPLE.active)));
  await send(till.envelope('2102', input, personArea(DEMO_PEOPLE.active)));
  await send(till.envelope('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.resold])));
  return texts;
}

describe('msw handlers', () => {
  it('answer the same bytes as the HTTP server for the same conversation', async () => {
    const mswSimulator = createSimulator({ clock: { now: () => T0 } });
    server.use(...simulatorHandlers(mswSimulator, { baseUrl: `${BASE}/` }));
    const viaMsw = await conversation(new Till(BASE, mswSimulator), mswSimulator);

    const httpSimulator = createSimulator({ clock: { now: () => T0 } });
    const http = await startSimulator({ port: 0, simulator: httpSimulator });
    try {
      const viaHttp = await conversation(new Till(http.url, httpSimulator), httpSimulator);
      expect(viaMsw).toEqual(viaHttp);
      expect(viaMsw.map((t) => [t.slice(0, 3), JSON.parse(t.slice(4)).infcode])).toEqual([
        ['200', 0],
        ['200', 0],
        ['200', 0],
        ['200', 0],
        ['200', -2],
      ]);
    } finally {
      await http.close();
    }
  });

  it('turn lose-response into a network error after committing, and timeout into silence until the request is aborted', async () => {
    const simulator = createSimulator({ clock: { now: () => T0 } });
    server.use(...simulatorHandlers(simulator, { baseUrl: BASE }));
    const till = new Till(BASE, simulator);
    await till.signIn();
    simulator.faults.add({ infno: '3505', kind: 'lose-response' });
    await expect(
      till.post(till.envelope('3505', saleRecord('阿托伐他汀钙片', [DEMO_TRACE_CODES.fresh[0] as string]))),
    ).rejects.toThrow(/fetch/i);
    expect(simulator.committed('3505')).toHaveLength(1);

    simulator.faults.add({ kind: 'timeout' });
    const body = JSON.stringify(till.envelope('YG05', { data: { drug_trac_codg: [DEMO_TRACE_CODES.resold] } }));
    const request = fetch(`${BASE}${SIMULATOR_CALL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(150),
    });
    await expect(request).rejects.toThrow(/timeout|aborted/i);
  });

  it('answer HTTP errors and gateway refusals like the server', async () => {
    const simulator = createSimulator({ clock: { now: () => T0 }, gateway: { paasid: 'p', secret: 's' } });
    server.use(...simulatorHandlers(simulator, { baseUrl: BASE }));
    const till = new Till(BASE, simulator);
    const refused = await till.post(till.envelope('9001', { signIn: { opter_no: 'OP7', mac: 'm', ip: 'i' } }));
    expect(refused.status).toBe(401);
    const ok = new Till(BASE, simulator, { gateway: { paasid: 'p', secret: 's' }, firstSeq: 10 });
    simulator.faults.add({ kind: 'rate-limit', retryAfterSeconds: 3 });
    const limited = await ok.post(ok.envelope('9001', { signIn: { opter_no: 'OP7', mac: 'm', ip: 'i' } }));
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
    expect(infcode(await ok.call('9001', { signIn: { opter_no: 'OP7', mac: 'm', ip: 'i' } }))).toBe(0);
  });
});
