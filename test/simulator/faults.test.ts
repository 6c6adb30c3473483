import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { TraceStatusOutputSchema } from '../../src/platform/index.js';
import { DEMO_TRACE_CODES, SIGN_IN_EXPIRED_MESSAGE } from '../../adapters/simulator/index.js';
import { heldEndsAtDeadline } from '../integration/held-fetch.js';
import { infcode, saleRecord, signedInTill } from './helpers.js';

const [A, B] = DEMO_TRACE_CODES.fresh as [string, string];
const query = { data: { drug_trac_codg: [A] } };

describe('fault injection', () => {
  it('latency: answers normally, later', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ kind: 'latency', ms: 120 });
    const started = performance.now();
    const res = await till.call('YG05', query);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(infcode(res)).toBe(0);
    expect(simulator.received().at(-1)).toMatchObject({ fault: 'latency', outcome: 0 });
  });

  it('http-error: the gateway answers with the status and an HTML page; nothing runs', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ infno: '3505', kind: 'http-error', status: 503 });
    const res = await till.post(till.envelope('3505', saleRecord('阿托伐他汀钙片', [A])));
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.json).toBeUndefined();
    expect(simulator.committed('3505')).toHaveLength(0);
  });

  it('timeout: no answer until the client gives up; nothing runs unless commit is set', async () => {
    const { till, simulator, url } = await signedInTill();
    simulator.faults.add({ infno: '3505', kind: 'timeout' });
    const env = await till.sign(till.envelope('3505', saleRecord('阿托伐他汀钙片', [A])));
    // The client gives up once the simulator holds the request (not after a wall-clock wait a loaded machine can
    // outlast before the request even arrives): heldEndsAtDeadline rejects as a deadline would.
    const post = (body: unknown) =>
      heldEndsAtDeadline(simulator)(`${url}/fsi/api/rsfComIfsService/callService`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await expect(post(env)).rejects.toThrow(/timed out/i);
    expect(simulator.committed('3505')).toHaveLength(0);
    simulator.faults.add({ infno: '3505', kind: 'timeout', commit: true });
    await expect(post(env)).rejects.toThrow(/timed out/i);
    expect(simulator.committed('3505')).toHaveLength(1);
    expect(simulator.received().filter((r) => r.fault === 'timeout')).toHaveLength(2);
  });

  it('malformed json: the transaction commits, the answer is not JSON', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ infno: '3505', kind: 'malformed' });
    const res = await till.post(till.envelope('3505', saleRecord('阿托伐他汀钙片', [A])));
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).toThrow();
    expect(simulator.committed('3505')).toHaveLength(1);
  });

  it("malformed schema: an envelope whose output breaks the transaction's schema", async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ infno: 'YG05', kind: 'malformed', variant: 'schema' });
    const res = await till.post(till.envelope('YG05', query));
    expect(infcode(res.json)).toBe(0);
    expect(z.safeParse(TraceStatusOutputSchema, res.json.output).success).toBe(false);
  });

  it('lose-response: commits, drops the connection, and a retry with the same msgid gets the first answer', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ infno: '3505', kind: 'lose-response' });
    const env = till.envelope('3505', saleRecord('阿托伐他汀钙片', [A]));
    await expect(till.post(env)).rejects.toThrow(/fetch failed|socket|other side closed/i);
    expect(simulator.committed('3505')).toHaveLength(1);
    const retry = await till.post(env);
    expect(infcode(retry.json)).toBe(0);
    expect(simulator.received().at(-1)).toMatchObject({ duplicate: true, outcome: 0 });
    expect(simulator.committed('3505')).toHaveLength(1);
  });

  it('sign-in-expiry: the sign_no is invalidated before the request is handled', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ kind: 'sign-in-expiry' });
    expect((await till.call('YG05', query)).err_msg).toBe(SIGN_IN_EXPIRED_MESSAGE);
    expect((await till.call('YG05', query)).err_msg).toBe(SIGN_IN_EXPIRED_MESSAGE);
    await till.signIn();
    expect(infcode(await till.call('YG05', query))).toBe(0);
  });

  it('rate-limit: HTTP 429 with Retry-After in seconds', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ kind: 'rate-limit', retryAfterSeconds: 7 });
    const res = await till.post(till.envelope('YG05', query));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('fires `times` times on matching transactions only, then stops; clear() removes the rest', async () => {
    const { till, simulator } = await signedInTill();
    simulator.faults.add({ infno: '3505', kind: 'rate-limit', times: 2 });
    expect((await till.post(till.envelope('YG05', query))).status).toBe(200);
    expect((await till.post(till.envelope('3505', saleRecord('阿托伐他汀钙片', [A])))).status).toBe(429);
    expect((await till.post(till.envelope('3505', saleRecord('阿托伐他汀钙片', [A])))).status).toBe(429);
    expect((await till.post(till.envelope('3505', saleRecord('阿托伐他汀钙片', [A])))).status).toBe(200);
    simulator.faults.add({ kind: 'http-error', times: Infinity });
    simulator.faults.clear();
    expect((await till.post(till.envelope('3505', saleRecord('阿托伐他汀钙片', [B])))).status).toBe(200);
  });

  it('takes faults through the control API of the HTTP server', async () => {
    const { till, simulator, url } = await signedInTill();
    const add = await fetch(`${url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ infno: 'YG05', kind: 'http-error', status: 502, times: null }]),
    });
    expect(await add.json()).toEqual({ ids: [1] });
    expect(simulator.faults.list()).toMatchObject([{ spec: { kind: 'http-error', times: Infinity } }]);
    expect((await till.post(till.envelope('YG05', query))).status).toBe(502);
    expect((await till.post(till.envelope('YG05', query))).status).toBe(502);
    expect((await fetch(`${url}/__sim/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await till.post(till.envelope('YG05', query))).status).toBe(200);
    const bad = await fetch(`${url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'meteor' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown fault kind/);
  });
});
