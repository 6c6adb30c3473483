import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseFaultSpec } from './faults.js';
import type { DemoPersonKey } from './seed/people.js';
import { DEMO_PEOPLE } from './seed/people.js';
import { createSimulator, type Simulator } from './state.js';
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

/*
 * The simulator over real HTTP (node:http), on the loopback interface only: a till in another process, a browser
 * demo or curl can call it like the platform. Besides the platform's one path it serves a small control API under
 * /__sim/ so that tests in another process and the demo can drive it.
 */

/** A running simulator server. */
export interface RunningSimulator {
  /** `http://127.0.0.1:<port>`: the base URL a client calls (the business path is appended by the client). */
  readonly url: string;
  readonly port: number;
  readonly simulator: Simulator;
  /** Stops listening and closes every connection, held timeouts included. */
  close(): Promise<void>;
}

/**
 * Where and what to serve, and who may call: loopback Host names (or `allowedHosts`) only, state-changing calls from
 * a browser page only from the server's own origin (or `allowedOrigins`) and with a JSON body, and clients cut after
 * the header, request and body deadlines.
 */
export interface StartSimulatorOptions extends RequestGuardOptions, RequestDeadlineOptions {
  /** TCP port; 0 picks a free one. @default 8787 */
  readonly port?: number;
  /** The simulator only ever listens on the loopback interface. @default '127.0.0.1' */
  readonly host?: '127.0.0.1';
  /** The state machine to serve; a fresh `createSimulator()` by default. */
  readonly simulator?: Simulator;
}

const CONTROL_PREFIX = '/__sim/';
const CONTROL_BODY_LIMIT = 64 * 1024;

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

async function control(
  simulator: Simulator,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  bodyTimeoutMs: number,
): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path.slice(CONTROL_PREFIX.length)}`;
  const json = async (): Promise<unknown> => {
    const text = await readRequestBody(req, { limit: CONTROL_BODY_LIMIT, timeoutMs: bodyTimeoutMs });
    return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
  };
  switch (route) {
    case 'GET state':
      return sendJson(res, 200, simulator.summary());
    case 'GET received':
      return sendJson(res, 200, simulator.received());
    case 'GET committed':
      return sendJson(res, 200, simulator.committed(query.get('infno') ?? undefined));
    case 'GET settlements':
      return sendJson(res, 200, simulator.settlements());
    case 'GET trace-codes':
      return sendJson(res, 200, simulator.soldTraceCodes());
    case 'GET faults':
      return sendJson(res, 200, simulator.faults.list());
    case 'POST faults': {
      const body = await json();
      const specs = (Array.isArray(body) ? body : [body]).map(parseFaultSpec);
      return sendJson(res, 200, { ids: specs.map((spec) => simulator.faults.add(spec)) });
    }
    case 'DELETE faults':
      simulator.faults.clear();
      return sendJson(res, 200, { cleared: true });
    case 'POST issue-voucher': {
      const body = (await json()) as { person?: unknown };
      const person = body.person;
      if (typeof person !== 'string' || !Object.hasOwn(DEMO_PEOPLE, person)) {
        return sendJson(res, 400, { error: `person must be one of ${Object.keys(DEMO_PEOPLE).join(', ')}` });
      }
      return sendJson(res, 200, simulator.issueVoucher(person as DemoPersonKey));
    }
    case 'POST advance': {
      const body = (await json()) as { ms?: unknown };
      if (typeof body.ms !== 'number') return sendJson(res, 400, { error: 'ms must be a number' });
      simulator.advance(body.ms);
      return sendJson(res, 200, { now: simulator.now() });
    }
    case 'POST reset':
      simulator.reset();
      return sendJson(res, 200, { reset: true });
    default:
      return sendJson(res, 404, {
        error: 'unknown control route',
        routes: [
          'GET state',
          'GET received',
          'GET committed?infno=',
          'GET settlements',
          'GET trace-codes',
          'GET faults',
          'POST faults',
          'DELETE faults',
          'POST issue-voucher',
          'POST advance',
          'POST reset',
        ],
      });
  }
}

/**
 * Serves a simulator over HTTP on 127.0.0.1: POST `/fsi/api/rsfComIfsService/callService` for the platform (bodies
 * over the simulator's `maxBodyBytes` get 413), and the control API under `/__sim/` (GET `state`, `received`,
 * `committed?infno=`, `settlements`, `trace-codes`, `faults`; POST `faults` with a fault or a list, DELETE `faults`;
 * POST `issue-voucher` `{ "person": "active" }`; POST `advance` `{ "ms": 300000 }`; POST `reset`). A `timeout` fault
 * holds the connection until the client gives up or the server closes; `lose-response` destroys the socket after the
 * transaction committed. Every request is checked first: a Host that is not loopback with this port (or in
 * `allowedHosts`) gets 421, a malformed target 400, a state-changing call from another site's page 403 (unless its
 * origin is in `allowedOrigins`) and one whose body is not JSON 415; a client too slow with its headers, its request
 * or its body gets 408 and a closed connection.
 *
 * @example
 * const sim = await startSimulator({ port: 0 })
 * const res = await fetch(`${sim.url}/fsi/api/rsfComIfsService/callService`, { method: 'POST', headers: {
 * 'content-type': 'application/json' }, body })
 * await sim.close()
 */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const simulator = options.simulator ?? createSimulator();
  const host = '127.0.0.1';
  if (options.host !== undefined && options.host !== host)
    throw new RangeError('The simulator listens on 127.0.0.1 only');
  const sockets = new Set<Socket>();
  const guard = createRequestGuard(options);
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_DEADLINES.bodyTimeoutMs;

  const server = createServer(serverOptions(options), (req, res) => {
    const admitted = guard.admit(req, res);
    if (!admitted) return;
    const { url } = admitted;
    void (async () => {
      try {
        if (url.pathname.startsWith(CONTROL_PREFIX))
          return await control(simulator, req, res, url.pathname, url.searchParams, bodyTimeoutMs);
        if (req.method !== 'POST')
          return sendJson(res, 405, { status: 405, err_msg: '只接受 POST / only POST is accepted' });
        let body: string;
        try {
          body = await readRequestBody(req, { limit: simulator.maxBodyBytes, timeoutMs: bodyTimeoutMs });
        } catch (error) {
          if (!(error instanceof HttpRequestError && error.status === 413)) throw error;
          res.setHeader('connection', 'close');
          return sendJson(res, 413, {
            status: 413,
            err_msg: `报文超过 ${simulator.maxBodyBytes} 字节 / request body larger than ${simulator.maxBodyBytes} bytes`,
          });
        }
        const answer = await simulator.handle({ path: url.pathname, headers: flatHeaders(req), body });
        if ('fault' in answer) {
          // timeout: say nothing and keep the socket until the client aborts or close() ends it. drop: close
          // unanswered.
          if (answer.fault === 'drop') req.socket.destroy();
          return;
        }
        res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
      } catch (error) {
        // The client went away mid-body: nobody to answer.
        if (error instanceof BodyAborted) return void req.socket.destroy();
        if (res.headersSent) return;
        if (error instanceof HttpRequestError) return sendHttpError(res, error);
        if (error instanceof SyntaxError || error instanceof TypeError)
          return sendJson(res, 400, { error: error.message });
        sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  answerClientErrors(server);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    simulator,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}
