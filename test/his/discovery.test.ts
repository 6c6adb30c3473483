import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHisHandler, HIS_HOOKS } from '../../adapters/his/index.js';
import { AUDIENCE, hookRequest, ISSUER, startClinic, visit, type Clinic } from './helpers.js';

let clinic: Clinic;
beforeAll(async () => {
  clinic = await startClinic();
});
afterAll(() => clinic.close());

describe('HIS hook discovery', () => {
  it('lists one service per hook, open to unauthenticated callers, with our stop levels and the pack’s override reasons', async () => {
    const res = await fetch(`${clinic.url}/cds-services`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { services: any[] };
    expect(body.services.map((s) => s.hook)).toEqual([...HIS_HOOKS]);
    expect(body.services.map((s) => s.id)).toEqual(['yibao-order-select', 'yibao-order-sign', 'yibao-presettle']);
    for (const s of body.services) {
      expect(s.title).toMatch(/[\u4e00-\u9fff]/);
      expect(s.description).toMatch(/[\u4e00-\u9fff]/);
      expect(s.prefetch).toEqual({});
      expect(s.extension['yibao-guard'].stopLevels).toEqual(['none', 'soft', 'reason-required', 'hard']);
      expect(s.extension['yibao-guard'].overrideReasons.map((r: { code: string }) => r.code)).toEqual([
        'chronic-long-rx',
        'doctor-confirmed',
        'stock-recount',
        'other',
      ]);
    }
    expect(body.services[2].extension['yibao-guard'].requiredContext).toContain('patient.insurance');
  });

  it('answers 405 with Allow for a method a path does not take, and 404 for a path that is not a service', async () => {
    const post = await fetch(`${clinic.url}/cds-services`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect(((await post.json()) as any).error.code).toBe('HIS_METHOD_NOT_ALLOWED');
    const get = await fetch(`${clinic.url}/cds-services/yibao-order-sign`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    for (const path of ['/', '/cds-services/yibao-order-sign/feedback/extra', '/elsewhere']) {
      const res = await fetch(`${clinic.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('HIS_SERVICE_UNKNOWN');
    }
    const unknown = await clinic.post('/cds-services/no-such-service', hookRequest('order-sign', visit()));
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({
      code: 'HIS_SERVICE_UNKNOWN',
      messageZh: expect.stringMatching(/[\u4e00-\u9fff]/),
    });
  });
});

describe('mounting', () => {
  it('passes paths that are not its own to next(), as Express and Koa expect, and reads a body a framework already parsed', async () => {
    const handler = createHisHandler({
      service: clinic.service,
      auth: {
        audience: AUDIENCE,
        issuers: [{ iss: ISSUER, keys: [{ publicKey: clinic.signer.publicKey }] }],
        clock: clinic.clock,
      },
    });
    // A tiny framework: a JSON body parser, then our handler, then a fallback route.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (chunks.length > 0) Object.assign(req, { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        void handler(req, res, () => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('app route');
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${url}/health`)).text()).toBe('app route');
      const token = await clinic.token('/cds-services/yibao-order-sign');
      const res = await fetch(`${url}/cds-services/yibao-order-sign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(hookRequest('order-sign', visit())),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).cards.length).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('serves under a basePath when nothing strips the prefix', async () => {
    const handler = createHisHandler({
      service: clinic.service,
      basePath: '/his',
      auth: {
        audience: AUDIENCE,
        issuers: [{ iss: ISSUER, keys: [{ publicKey: clinic.signer.publicKey }] }],
        clock: clinic.clock,
      },
    });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/his/cds-services`)).status).toBe(200);
      expect((await fetch(`${url}/cds-services`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
