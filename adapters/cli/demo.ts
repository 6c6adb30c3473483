import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskName } from '../../src/codes/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  DEMO_PHARMACIES,
  DEMO_PRESCRIPTIONS,
  DEMO_STOCK,
  DEMO_TRACE_CODES,
  SIMULATOR_PLATFORM_KEY_ID,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../simulator/index.js';
import { BodyAborted } from '../node/body.js';
import {
  answerClientErrors,
  createRequestGuard,
  DEFAULT_DEADLINES,
  HttpRequestError,
  readRequestBody,
  sendHttpError,
  serverOptions,
  type RequestDeadlineOptions,
  type RequestGuardOptions,
} from '../node/guard.js';
import { badPort, parseCommand, parsePort, SERVE_OPTIONS, SERVE_USAGE, usageError, type CliIo } from './args.js';

/*
 * `yibao-guard demo`: the platform simulator and the demo terminal page on one loopback origin. The page calls the
 * platform at `/platform` (the simulator's business path appended, as a till calls its province), the simulator's
 * control API at `/__sim/`, and reads the demo's fictional data (operators, catalog, opening stock, e-prescriptions,
 * vouchers) from `/demo/`. `/demo/platform` takes the platform down and brings it back, for a presenter and the
 * end-to-end test: "down" is the simulator's own fault injection (HTTP 503 on every business call until cleared).
 */

/** Where the page calls the platform: the simulator's business path is appended to it. */
export const DEMO_PLATFORM_PATH = '/platform';

/** The demo's operators (fictional; the 执业药师 has a certificate number). */
export const DEMO_OPERATORS = [
  { id: 'OP7', name: '李药师', certNo: 'ZY22010100007', role: { zh: '执业药师', en: 'Licensed pharmacist' } },
  { id: 'OP8', name: '赵收银', role: { zh: '收银员', en: 'Cashier' } },
] as const;

/**
 * Options of {@link startDemo}. Who may call is as for the simulator: loopback Host names (or `allowedHosts`),
 * state-changing calls from the page's own origin (or `allowedOrigins`) with a JSON body, and the same deadlines.
 */
export interface StartDemoOptions extends RequestGuardOptions, RequestDeadlineOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 8787 */
  readonly port?: number;
  /** The built page (index.html, app.js, styles.css). @default dist/demo-terminal next to the CLI */
  readonly root?: string;
  /** The simulator to serve; a fresh one by default. */
  readonly simulator?: Simulator;
  /** One line per platform request (no personal data). */
  readonly log?: (line: string) => void;
}

/** A running demo: the page and the simulator on one origin. */
export interface RunningDemo {
  /** `http://127.0.0.1:<port>`: open it in a browser. */
  readonly url: string;
  readonly port: number;
  readonly simulator: Simulator;
  /** Whether the platform answers (false while the demo has taken it down). */
  readonly platformOnline: boolean;
  setPlatformOnline(online: boolean): void;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Where the built page is: dist/demo-terminal, seen from the built CLI (dist/adapters/cli) or from the source. */
export function defaultDemoRoot(): string | undefined {
  const candidates = ['../../demo-terminal/', '../../dist/demo-terminal/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

async function readJson(req: IncomingMessage, timeoutMs: number): Promise<unknown> {
  const text = (await readRequestBody(req, { limit: 16 * 1024, timeoutMs })).trim();
  return text === '' ? {} : (JSON.parse(text) as unknown);
}

/**
 * Headers a browser sets about the page that made a request: checked here, not passed on to the simulator's own port.
 */
const PAGE_HEADERS: ReadonlySet<string> = new Set([
  'origin',
  'referer',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'sec-fetch-user',
]);

/** The demo data the page reads: fictional, and personal data masked except where the till needs it to work. */
function demoData(simulator: Simulator): Record<string, () => unknown> {
  const pharmacy = DEMO_PHARMACIES.active;
  return {
    'config.json': () => ({
      pharmacy: { code: pharmacy.code, name: pharmacy.name, admdvs: pharmacy.admdvs },
      terminal: { id: 'T01', mac: '00-16-3E-00-00-01', ip: '127.0.0.1' },
      operators: DEMO_OPERATORS,
      platformPath: DEMO_PLATFORM_PATH,
      // The platform key rule packs are signed with: handed over to the pharmacy out of band, served here for the demo.
      trustedKeys: [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: simulator.platformPublicKey }],
    }),
    'people.json': () =>
      Object.values(DEMO_PEOPLE).map((p) => ({ key: p.key, displayName: maskName(p.name), about: p.about })),
    'catalog.json': () => DEMO_CATALOG,
    'stock.json': () => DEMO_STOCK,
    'trace-codes.json': () => ({ resold: DEMO_TRACE_CODES.resold }),
    // The e-prescriptions, re-dated to today (the seed's dates are fixed) and without the patient's 身份证: the till
    // matches the patient by person number.
    'prescriptions.json': () => {
      const now = simulator.now();
      return Object.entries(DEMO_PRESCRIPTIONS).map(([key, rx], i) => ({
        key,
        prescription: {
          ...rx,
          issuedAt: rx.status === 'valid' ? now - (2 + i) * 3_600_000 : rx.issuedAt,
          patient: rx.patient.psnNo ? { psnNo: rx.patient.psnNo } : {},
        },
      }));
    },
  };
}

/** The demo's platform switch: "down" is the simulator's own fault, HTTP 503 on every business call until cleared. */
interface PlatformSwitch {
  online(): boolean;
  set(online: boolean): void;
}

function platformSwitch(simulator: Simulator): PlatformSwitch {
  let offlineFault: number | undefined;
  return {
    // A fault list cleared from elsewhere (DELETE /__sim/faults) brings the platform back too.
    online: () => offlineFault === undefined || !simulator.faults.list().some((f) => f.id === offlineFault),
    set(online) {
      if (online && offlineFault !== undefined) {
        simulator.faults.clear(offlineFault);
        offlineFault = undefined;
      } else if (!online && offlineFault === undefined) {
        offlineFault = simulator.faults.add({
          kind: 'http-error',
          status: 503,
          body: 'platform offline (demo)',
          times: Infinity,
        });
      }
    },
  };
}

/** Passes a request on to the simulator's own server, so every fault behaves exactly as the simulator serves it. */
function forwardTo(upstream: RunningSimulator): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  return (req, res, path) => {
    // The page was checked at this origin's door; the simulator's own port sees a local client.
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !PAGE_HEADERS.has(name)));
    const out = httpRequest(
      `${upstream.url}${path}`,
      { method: req.method ?? 'GET', headers: { ...headers, host: `127.0.0.1:${upstream.port}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The simulator dropped the connection (lose-response): drop ours too, as the platform would.
    out.on('error', () => req.socket.destroy());
    req.pipe(out);
  };
}

/** Serves the built page's files from `root`, and nothing outside it. */
async function serveFile(root: string, res: ServerResponse, pathname: string): Promise<void> {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
  const file = normalize(join(root, rel));
  if (!file.startsWith(normalize(root + sep)) && file !== normalize(root))
    return sendJson(res, 404, { error: 'not found' });
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    res.end(body);
  } catch {
    sendJson(res, 404, { error: 'not found' });
  }
}

/** What the demo origin's routes need. */
interface DemoRoutes {
  readonly root: string;
  readonly upstream: RunningSimulator;
  readonly platform: PlatformSwitch;
  readonly data: Record<string, () => unknown>;
  readonly bodyTimeoutMs: number;
  readonly log?: ((line: string) => void) | undefined;
}

/** The demo origin's request handler, for a request the guard admitted (see {@link startDemo} for the routes). */
function demoHandler(routes: DemoRoutes): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { root, platform, data, bodyTimeoutMs, log } = routes;
  const forward = forwardTo(routes.upstream);
  return async (req, res, url) => {
    const { pathname } = url;
    try {
      if (pathname.startsWith(`${DEMO_PLATFORM_PATH}/`))
        return forward(req, res, pathname.slice(DEMO_PLATFORM_PATH.length) + url.search);
      if (pathname.startsWith('/__sim/')) return forward(req, res, pathname + url.search);
      if (pathname === '/demo/platform') {
        if (req.method === 'POST') {
          const body = (await readJson(req, bodyTimeoutMs)) as { online?: unknown };
          if (typeof body.online !== 'boolean') return sendJson(res, 400, { error: 'online must be true or false' });
          platform.set(body.online);
          log?.(
            body.online
              ? '演示：平台恢复 / demo: platform back online'
              : '演示：平台断开 / demo: platform taken offline',
          );
        }
        return sendJson(res, 200, { online: platform.online() });
      }
      if (pathname.startsWith('/demo/')) {
        const make = data[pathname.slice('/demo/'.length)];
        return make ? sendJson(res, 200, make()) : sendJson(res, 404, { error: 'not found' });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
      return await serveFile(root, res, pathname);
    } catch (error) {
      if (error instanceof BodyAborted) return void req.socket.destroy();
      if (res.headersSent) return;
      if (error instanceof HttpRequestError) return sendHttpError(res, error);
      sendJson(res, error instanceof SyntaxError ? 400 : 500, {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
}

/** Listens on 127.0.0.1:`port` and resolves with the port taken and how to close the server and its open sockets. */
async function listenOnLoopback(server: Server, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Starts the simulator and serves the demo terminal with it on one origin (127.0.0.1). Routes: the page's files;
 * `POST /platform/fsi/api/rsfComIfsService/callService` (the simulator); `/__sim/*` (its control API); `GET
 * /demo/{config,people,catalog,stock,trace-codes,prescriptions}.json`; `GET|POST /demo/platform` (`{"online":false}`
 * takes the platform down: every business call answers HTTP 503 until it is brought back). Requests are checked at
 * the door as the simulator's are (Host, origin, JSON body, deadlines); what the page sends from its own origin passes.
 *
 * @example
 * const demo = await startDemo({ port: 0, root: 'dist/demo-terminal' })
 * demo.setPlatformOnline(false)
 */
export async function startDemo(options: StartDemoOptions = {}): Promise<RunningDemo> {
  const root = options.root ?? defaultDemoRoot();
  if (root === undefined || !existsSync(join(root, 'index.html'))) {
    throw Object.assign(new Error('the demo page is not built: run `npm run build:demo` (or `npm start`)'), {
      code: 'DEMO_NOT_BUILT',
    });
  }
  const simulator = options.simulator ?? createSimulator(options.log ? { log: options.log } : {});
  // The simulator's own server, on another loopback port: the demo origin forwards platform and control calls to it,
  // so every fault behaves exactly as the simulator serves it (held timeouts, dropped connections).
  const deadlines: RequestDeadlineOptions = {
    ...(options.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: options.headersTimeoutMs }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
  };
  const upstream: RunningSimulator = await startSimulator({ port: 0, simulator, ...deadlines });
  const guard = createRequestGuard(options);
  const platform = platformSwitch(simulator);
  const handle = demoHandler({
    root,
    upstream,
    platform,
    data: demoData(simulator),
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_DEADLINES.bodyTimeoutMs,
    log: options.log,
  });
  const server = createServer(serverOptions(options), (req, res) => {
    const admitted = guard.admit(req, res);
    if (admitted) void handle(req, res, admitted.url);
  });
  answerClientErrors(server);
  let listening: Awaited<ReturnType<typeof listenOnLoopback>>;
  try {
    listening = await listenOnLoopback(server, options.port ?? 8787);
  } catch (error) {
    await upstream.close();
    throw error;
  }
  const { port } = listening;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    simulator,
    get platformOnline() {
      return platform.online();
    },
    setPlatformOnline: (online) => platform.set(online),
    close: async () => {
      await listening.close();
      await upstream.close();
    },
  };
}

export const DEMO_USAGE = `用法 / usage: yibao-guard demo [--port 8787] [--quiet]
选项 / options:
${SERVE_USAGE}`;

/**
 * `yibao-guard demo [--port 8787] [--quiet]`: serves the demo terminal and the simulator on 127.0.0.1 and prints the
 * URL. Resolves once it listens, with the running demo (the caller stops it on Ctrl-C), or with an exit code.
 *
 * @example
 * const { demo } = await runDemo(['--port', '0'], io)
 */
export async function runDemo(args: readonly string[], io: CliIo): Promise<{ code: number; demo?: RunningDemo }> {
  const parsed = parseCommand(args, io, { usage: DEMO_USAGE, options: SERVE_OPTIONS });
  if ('code' in parsed) return parsed;
  const port = parsePort(parsed.values.port);
  if (port === undefined) return usageError(io, DEMO_USAGE, badPort());
  let demo: RunningDemo;
  try {
    demo = await startDemo({ port, ...(parsed.values.quiet ? {} : { log: (line: string) => io.out(line) }) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    io.err(
      code === 'EADDRINUSE'
        ? `端口 ${port} 已被占用 / port ${port} is in use: try --port 0`
        : code === 'DEMO_NOT_BUILT'
          ? '演示页面尚未构建：请先运行 npm run build:demo（或 npm start）/ the demo page is not built: run `npm run build:demo` (or `npm start`)'
          : `演示终端未能启动 / the demo did not start: ${String(error)}`,
    );
    return { code: 1 };
  }
  io.out(
    [
      'yibao-guard 演示收银终端 / demo terminal',
      `  打开 / open:              ${demo.url}/`,
      `  医保平台模拟器 / platform: ${demo.url}${DEMO_PLATFORM_PATH} (控制接口 / control API ${demo.url}/__sim/state)`,
      `  平台断网演示 / take the platform down: curl -s -X POST ${demo.url}/demo/platform -H 'Content-Type: application/json' -d '{"online":false}'`,
      '  所有人员与数据均为虚构 / everyone and everything in it is fictional',
      '',
      `演示运行中 / listening on ${demo.url} — 按 Ctrl-C 停止 / Ctrl-C to stop`,
    ].join('\n'),
  );
  return { code: 0, demo };
}
