/**
 * The local servers (the platform simulator, the demo terminal, the HIS hook service) against what a browser page on
 * another site, a DNS-rebinding page or a stranger on the machine can send. Requests are written byte for byte over
 * node:net, so Host, Origin, Sec-Fetch-Site, the content type, a malformed target and a slow client are exactly what
 * an attacker sends, not what fetch() would make of them. Deadlines are set short through the servers' options; the
 * tests assert that a slow client is cut with a 408 and that the server serves others, never how fast.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../adapters/cli/demo.js';
import { createHisHandler, createHisService, signHisJwt } from '../../adapters/his/index.js';
import { createSimulator, startSimulator } from '../../adapters/simulator/index.js';
import { createMemoryStorage, TERMINAL_NAMES } from '../../src/index.js';
import { compilePack } from '../../src/engine.js';
import { AUDIENCE, catalog, hisSigner, hookRequest, ISSUER, NOW, pack, visit } from '../his/helpers.js';

// ---------------------------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client.

interface RawAnswer {
  /** The status of the first answer; undefined when the connection closed without one. */
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly json: any;
}

function parseAnswer(bytes: Buffer): RawAnswer {
  const text = bytes.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/1.1 ') || end < 0) return { status: undefined, headers: {}, body: '', json: undefined };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let out = '';
    let rest = body;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (!(size > 0)) break;
      out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
    body = out;
  } else if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body, json };
}

interface RawRequest {
  readonly method?: string;
  readonly target: string;
  /** The Host header; `null` sends none. @default `127.0.0.1:<port>` */
  readonly host?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Sends one request on its own connection (`Connection: close`) and reads what comes back until the server closes. */
function send(port: number, request: RawRequest): Promise<RawAnswer> {
  const body = Buffer.from(request.body ?? '', 'utf8');
  const lines = [`${request.method ?? 'GET'} ${request.target} HTTP/1.1`];
  const host = request.host === undefined ? `127.0.0.1:${port}` : request.host;
  if (host !== null) lines.push(`Host: ${host}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${value}`);
  if (request.body !== undefined) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close', '', '');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that answers early (413) may reset the rest of a large body: what arrived is the answer.
    socket.on('error', () => {});
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks))));
    socket.write(Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), body]));
  });
}

/**
 * A slowloris: writes `head`, then `drip` every 100 ms until the server closes the connection. Resolves with the
 * answer the server gave before it closed (if any).
 */
function slowClient(port: number, head: string, drip: string): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve(parseAnswer(Buffer.concat(chunks)));
    });
    socket.write(head);
    timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write(drip);
    }, 100);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The three servers, each with a state-changing call whose effect the test can see.

/** Options every server takes. */
interface GuardOptions {
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

interface Target {
  readonly port: number;
  /** A state-changing call. */
  readonly change: { readonly path: string; readonly body: string; headers(): Promise<Record<string, string>> };
  /** Whether the change took effect (since `undo`). */
  changed(): boolean;
  undo(): void;
  /** A read that answers 200. */
  readonly read: string;
  /** A path that takes a body, under a limit `big` exceeds. */
  readonly bodyPath: string;
  readonly big: string;
  /** A path with a malformed percent-encoding. */
  readonly badUri: string;
  close(): Promise<void>;
}

interface Kind {
  readonly name: string;
  start(options: GuardOptions): Promise<Target>;
}

const ALLOWED = { allowedHosts: ['till.lan'], allowedOrigins: ['https://ehr.example'] } as const;
const FAULT = JSON.stringify([{ infno: 'YG05', kind: 'http-error', status: 502, times: null }]);

const simulatorKind: Kind = {
  name: 'simulator',
  async start(options) {
    const simulator = createSimulator();
    const server = await startSimulator({ port: 0, simulator, ...options });
    return {
      port: server.port,
      change: { path: '/__sim/faults', body: FAULT, headers: async () => ({}) },
      changed: () => simulator.faults.list().length > 0,
      undo: () => simulator.faults.clear(),
      read: '/__sim/received',
      bodyPath: '/__sim/faults',
      big: JSON.stringify([{ kind: 'latency', ms: 1, pad: 'x'.repeat(100 * 1024) }]),
      badUri: '/__sim/%E0%A4%A',
      close: () => server.close(),
    };
  },
};

let demoRoot: string;
const demoKind: Kind = {
  name: 'demo',
  async start(options) {
    const demo = await startDemo({ port: 0, root: demoRoot, ...options });
    return {
      port: demo.port,
      change: { path: '/demo/platform', body: '{"online":false}', headers: async () => ({}) },
      changed: () => !demo.platformOnline,
      undo: () => demo.setPlatformOnline(true),
      read: '/demo/config.json',
      bodyPath: '/demo/platform',
      big: JSON.stringify({ online: false, pad: 'x'.repeat(100 * 1024) }),
      badUri: '/%E0%A4%A',
      close: () => demo.close(),
    };
  },
};

const SIGN = '/cds-services/yibao-order-sign';
const hisKind: Kind = {
  name: 'his',
  async start(options) {
    let now = NOW;
    const clock = { now: () => now };
    const signer = await hisSigner();
    const service = createHisService({
      catalog,
      rules: compilePack(pack),
      clock,
      storage: createMemoryStorage({ names: TERMINAL_NAMES }),
    });
    const answered: string[] = [];
    const handler = createHisHandler({
      service,
      auth: {
        audience: AUDIENCE,
        issuers: [{ iss: ISSUER, keys: [{ kid: signer.keyId, publicKey: signer.publicKey }] }],
        clock,
      },
      bodyLimit: 16 * 1024,
      log: (line) => {
        if (/^POST .* → 200 /.test(line)) answered.push(line);
      },
      ...options,
    });
    // The app's own server, as an HIS vendor would write it: node's default deadlines.
    const server: Server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      change: {
        path: SIGN,
        body: JSON.stringify(hookRequest('order-sign', visit())),
        headers: async () => {
          now += 1;
          return {
            authorization: `Bearer ${await signHisJwt({ signer, iss: ISSUER, aud: `${AUDIENCE}${SIGN}`, clock })}`,
          };
        },
      },
      changed: () => answered.length > 0,
      undo: () => void answered.splice(0),
      read: '/cds-services',
      bodyPath: SIGN,
      big: JSON.stringify({ ...hookRequest('order-sign', visit()), pad: 'x'.repeat(100 * 1024) }),
      badUri: '/cds-services/%E0%A4%A',
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  },
};

beforeAll(async () => {
  demoRoot = await mkdtemp(join(tmpdir(), 'yg-guard-demo-'));
  await writeFile(join(demoRoot, 'index.html'), '<!doctype html><title>demo</title>');
});
afterAll(async () => {
  await rm(demoRoot, { recursive: true, force: true });
});

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe.each([simulatorKind, demoKind, hisKind])('$name', (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = await kind.start(ALLOWED);
  });
  afterAll(async () => {
    await t.close();
  });

  const post = async (
    headers: Record<string, string>,
    options: { host?: string | null; body?: string; path?: string } = {},
  ) => {
    t.undo();
    const answer = await send(t.port, {
      method: 'POST',
      target: options.path ?? t.change.path,
      ...(options.host === undefined ? {} : { host: options.host }),
      headers: { ...(await t.change.headers()), ...headers },
      body: options.body ?? t.change.body,
    });
    return { answer, changed: t.changed() };
  };

  describe('a state-changing call from a browser page', () => {
    it('refuses a cross-site page posting text/plain (a "simple" request, sent without a preflight): 403, nothing changed', async () => {
      const { answer, changed } = await post({
        Origin: 'http://evil.example',
        'Sec-Fetch-Site': 'cross-site',
        'Content-Type': 'text/plain;charset=UTF-8',
      });
      expect(answer.status).toBe(403);
      expect(answer.json.error).toMatchObject({
        code: 'HTTP_CROSS_SITE_REFUSED',
        messageZh: expect.stringMatching(/[\u4e00-\u9fff]/),
      });
      expect(changed).toBe(false);
    });

    it('refuses a cross-site page even with a JSON body, and a page of the same site on another port', async () => {
      for (const headers of [
        { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site', ...JSON_TYPE },
        { Origin: 'http://127.0.0.1:1', 'Sec-Fetch-Site': 'same-site', ...JSON_TYPE },
        { Origin: 'null', ...JSON_TYPE },
        { 'Sec-Fetch-Site': 'cross-site', ...JSON_TYPE },
      ]) {
        const { answer, changed } = await post(headers);
        expect(answer.status, JSON.stringify(headers)).toBe(403);
        expect(changed).toBe(false);
      }
    });

    it('answers the page served from its own origin, and a client that is not a browser (no Origin)', async () => {
      for (const headers of [
        { Origin: `http://127.0.0.1:${t.port}`, 'Sec-Fetch-Site': 'same-origin', ...JSON_TYPE } as Record<
          string,
          string
        >,
        { Origin: `http://localhost:${t.port}`, 'Sec-Fetch-Site': 'same-origin', ...JSON_TYPE },
        // The SDK's platform client and curl -H 'Content-Type: application/json;charset=utf-8'.
        { 'Content-Type': 'application/json;charset=utf-8' },
        { 'Content-Type': 'application/json; charset=UTF-8' },
      ]) {
        const host = headers['Origin']?.startsWith('http://localhost') ? `localhost:${t.port}` : undefined;
        const { answer, changed } = await post(headers, host ? { host } : {});
        expect(answer.status, JSON.stringify(headers)).toBe(200);
        expect(changed).toBe(true);
      }
    });

    it('answers a configured origin (allowedOrigins) with CORS headers, and its preflight; refuses the preflight of another', async () => {
      const { answer, changed } = await post({
        Origin: 'https://ehr.example',
        'Sec-Fetch-Site': 'cross-site',
        ...JSON_TYPE,
      });
      expect(answer.status).toBe(200);
      expect(changed).toBe(true);
      expect(answer.headers['access-control-allow-origin']).toBe('https://ehr.example');
      expect(answer.headers['vary']).toMatch(/origin/i);
      const preflight = (origin: string) =>
        send(t.port, {
          method: 'OPTIONS',
          target: t.change.path,
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type',
          },
        });
      const allowed = await preflight('https://ehr.example');
      expect(allowed.status).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://ehr.example');
      expect(allowed.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(allowed.headers['access-control-allow-headers']).toMatch(/content-type/i);
      const refused = await preflight('http://evil.example');
      expect(refused.status).toBe(403);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('the body of a state-changing call', () => {
    it('must be JSON: text/plain (what curl -d and an HTML form send), a form, no type or a look-alike get 415; nothing changed', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        undefined,
        'text/plain; x=application/json',
        'application/json-seq',
        'application/json; charset=gbk',
      ]) {
        const { answer, changed } = await post(type === undefined ? {} : { 'Content-Type': type });
        expect(answer.status, String(type)).toBe(415);
        expect(answer.json.error).toMatchObject({
          code: 'HTTP_UNSUPPORTED_MEDIA_TYPE',
          messageZh: expect.stringMatching(/JSON/),
        });
        expect(changed).toBe(false);
      }
    });

    it('over the limit is answered 413, never 500', async () => {
      const { answer, changed } = await post(JSON_TYPE, { path: t.bodyPath, body: t.big });
      expect(answer.status).toBe(413);
      expect(answer.json.error).toMatchObject({ code: 'INVALID_INPUT', field: '(body)' });
      expect(changed).toBe(false);
      expect((await send(t.port, { target: t.read })).status).toBe(200);
    });
  });

  describe('the Host a request names (DNS rebinding)', () => {
    it('answers loopback names with its own port and configured names (allowedHosts) only; others get 421', async () => {
      for (const host of [
        `127.0.0.1:${t.port}`,
        `localhost:${t.port}`,
        `[::1]:${t.port}`,
        `LOCALHOST:${t.port}`,
        'till.lan',
        `till.lan:${t.port}`,
      ]) {
        expect((await send(t.port, { target: t.read, host })).status, host).toBe(200);
      }
      for (const host of [
        'evil.example',
        `evil.example:${t.port}`,
        `localhost:${t.port + 1}`,
        '127.0.0.1',
        `127.0.0.1.evil.example:${t.port}`,
        '',
      ]) {
        const answer = await send(t.port, { target: t.read, host });
        expect(answer.status, String(host)).toBe(421);
        expect(answer.json.error.code).toBe('HTTP_HOST_NOT_ALLOWED');
      }
      // No Host at all: node:http refuses the HTTP/1.1 request itself.
      expect((await send(t.port, { target: t.read, host: null })).status).toBe(400);
      // A state-changing call too, and the absolute form that names another host in the request line.
      const { answer, changed } = await post(JSON_TYPE, { host: 'evil.example' });
      expect(answer.status).toBe(421);
      expect(changed).toBe(false);
      expect((await send(t.port, { target: `http://evil.example${t.read}` })).status).toBe(400);
    });
  });

  describe('a malformed request target', () => {
    it('is answered 400, never 500', async () => {
      for (const target of [t.badUri, `${t.read}%`, '/%ZZ']) {
        const answer = await send(t.port, { target });
        expect(answer.status, target).toBe(400);
        expect(answer.json.error).toMatchObject({ code: 'INVALID_INPUT', field: '(uri)' });
      }
      expect((await send(t.port, { target: t.read })).status).toBe(200);
    });
  });
});

describe('his', () => {
  it("answers the host its tokens are made for (the audience's) without configuration", async () => {
    const t = await hisKind.start({});
    try {
      expect((await send(t.port, { target: t.read, host: new URL(AUDIENCE).host })).status).toBe(200);
      expect((await send(t.port, { target: t.read, host: 'till.lan' })).status).toBe(421);
    } finally {
      await t.close();
    }
  });
});

describe.each([simulatorKind, demoKind, hisKind])('$name: a slow client', (kind) => {
  it('sending its body slowly is cut by the body deadline with a 408, and others are served meanwhile', async () => {
    const t = await kind.start({ bodyTimeoutMs: 300, headersTimeoutMs: 60_000, requestTimeoutMs: 120_000 });
    try {
      const auth = Object.entries(await t.change.headers())
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const slow = slowClient(
        t.port,
        `POST ${t.bodyPath} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n${auth}\r\n{"pad":"`,
        'x',
      );
      expect((await send(t.port, { target: t.read })).status).toBe(200);
      const answer = await slow;
      expect(answer.status).toBe(408);
      expect(answer.json.error.code).toBe('HTTP_REQUEST_TIMEOUT');
      expect(answer.headers['connection']).toBe('close');
      expect((await send(t.port, { target: t.read })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

// The HIS handler is mounted in the app's own server, whose node:http deadlines are the app's to set.
describe.each([simulatorKind, demoKind])('$name: a slow client', (kind) => {
  it('sending its headers slowly is cut by the header deadline with a 408, and others are served meanwhile', async () => {
    const t = await kind.start({ headersTimeoutMs: 300, requestTimeoutMs: 60_000 });
    try {
      const slow = [1, 2, 3].map(() =>
        slowClient(t.port, `GET ${t.read} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n`, 'X-Slow: 1\r\n'),
      );
      expect((await send(t.port, { target: t.read })).status).toBe(200);
      for (const answer of await Promise.all(slow)) {
        expect(answer.status).toBe(408);
        expect(answer.json.error.code).toBe('HTTP_REQUEST_TIMEOUT');
      }
      expect((await send(t.port, { target: t.read })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('taking longer than the whole-request deadline is cut with a 408', async () => {
    const t = await kind.start({ headersTimeoutMs: 300, requestTimeoutMs: 600, bodyTimeoutMs: 60_000 });
    try {
      const slow = slowClient(
        t.port,
        `POST ${t.bodyPath} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"pad":"`,
        'x',
      );
      const answer = await slow;
      expect(answer.status).toBe(408);
      expect(answer.json.error.code).toBe('HTTP_REQUEST_TIMEOUT');
      expect((await send(t.port, { target: t.read })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
