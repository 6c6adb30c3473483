import type { IncomingMessage, ServerResponse } from 'node:http';
import { isYibaoGuardError, maskPersonalData } from '../../src/index.js';
import { createJwtVerifier, type HisAuthOptions, type JwtVerifier } from './auth.js';
import type { Language } from './cards.js';
import { HisError } from './errors.js';
import { HIS_SERVICES, type HisService } from './service.js';
import { BodyAborted } from '../node/body.js';
import {
  createRequestGuard,
  DEFAULT_DEADLINES,
  errorJson,
  HttpRequestError,
  readRequestBody,
  type RequestGuardOptions,
} from '../node/guard.js';
import { defined } from '../../src/defined.js';

/*
 * The service over HTTP, as a plain node:http handler: `http.createServer(handler)` on its own, or mounted in
 * Express, Fastify or Koa (which need nothing from us but the raw request and response). Paths:
 *
 *   GET  /cds-services                 discovery
 *   POST /cds-services/{id}            a hook call: cards
 *   POST /cds-services/{id}/feedback   what the user did with the cards
 *
 * Every answer is JSON. Errors are `{ error: { code, message, messageZh, field?, issues?, reason?, missing? } }`:
 * 400 malformed input, 401 not authenticated, 403 feedback on a card shown to another caller, 404 unknown service or
 * card, 405 wrong method, 412 data missing,
 * 413 body too large, 500 a storage failure (its STORAGE_* code) or a bug (logged, details withheld, no code).
 * At the door, before authentication (adapters/node/guard.ts): 400 a malformed path, 421 a Host that is neither
 * loopback with the server's port, the audience's host nor in `allowedHosts` (DNS rebinding), 403 a state-changing
 * call from a browser page of an origin not in `allowedOrigins`, 415 a body that is not JSON, 408 a body not sent
 * within `bodyTimeoutMs`. The origins in `allowedOrigins` (an EHR's web app, a SMART app) get CORS answers and
 * preflights. Header and whole-request deadlines belong to the app's server:
 * `http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, handler)`.
 */

/**
 * Options of {@link createHisHandler}. `allowedHosts` adds Host names to loopback and the audience's host;
 * `allowedOrigins` lists the browser origins whose pages may call the service (CORS).
 */
export interface HisHandlerOptions extends RequestGuardOptions {
  readonly service: HisService;
  /** How calls are authenticated (every hook and feedback call; discovery is open, as CDS clients expect). */
  readonly auth: HisAuthOptions | JwtVerifier;
  /** A prefix the handler is served under when not mounted by a framework that strips it (`/his`). @default '' */
  readonly basePath?: string;
  /** Largest request body accepted, in bytes. @default 1 MiB */
  readonly bodyLimit?: number;
  /** How long a request body may take to arrive, in ms; past it the call is answered 408. @default 10000 */
  readonly bodyTimeoutMs?: number;
  /** One line per call (method, path, status, time, card count), never patient data. */
  readonly log?: (line: string) => void;
}

/** A node:http request handler; `next` (Express, Koa-style) is called for paths that are not the service's. */
export interface HisHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void>;
  readonly service: HisService;
}

const PREFIX = '/cds-services';

/** The body as JSON: already parsed by a framework (`req.body`), or read from the stream. */
async function jsonBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<unknown> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed !== undefined && typeof parsed !== 'string' && !(parsed instanceof Uint8Array)) return parsed;
  const text =
    parsed === undefined
      ? await readRequestBody(req, { limit, timeoutMs })
      : typeof parsed === 'string'
        ? parsed
        : Buffer.from(parsed).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse's own message quotes the input: never passed on.
    throw new HisBadJson();
  }
}

class HisBadJson extends Error {}

function send(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

const STATUS: Readonly<Record<string, number>> = {
  HIS_UNAUTHORIZED: 401,
  HIS_FEEDBACK_FORBIDDEN: 403,
  HIS_SERVICE_UNKNOWN: 404,
  FINDING_NOT_FOUND: 404,
  HIS_METHOD_NOT_ALLOWED: 405,
  HIS_DATA_MISSING: 412,
};

function errorBody(error: { toJSON(): object; issues?: readonly unknown[] }): { error: object } {
  const json = error.toJSON() as Record<string, unknown>;
  const { name: _name, ...rest } = json;
  return { error: { ...rest, ...(error.issues && error.issues.length > 0 ? { issues: error.issues } : {}) } };
}

function languageOf(req: IncomingMessage): Language {
  return /^\s*en\b/i.test(req.headers['accept-language'] ?? '') ? 'en' : 'zh';
}

/**
 * Creates the node:http handler of the HIS hook service.
 *
 * @example
 * const service = createHisService({ catalog, rules: compilePack(pack) })
 * const handler = createHisHandler({ service, auth: { audience: 'https://clinic.example/his', issuers } })
 * http.createServer(handler).listen(8788)          // on its own
 * app.use('/his', handler)                         // Express (mounted: Express strips /his)
 * fastify.all('/cds-services*', (q, r) => { r.hijack(); handler(Object.assign(q.raw, { body: q.body }), r.raw) })
 * app.use((ctx, next) => ctx.path.startsWith('/cds-services') ? ((ctx.respond = false), handler(ctx.req, ctx.res)) :
 * next()) // Koa
 */
export function createHisHandler(options: HisHandlerOptions): HisHandler {
  const ctx = handlerContext(options);
  const handler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> =>
    handle(ctx, req, res, next);
  return Object.assign(handler, { service: options.service });
}

/** What every request of a handler shares: the service, the token verifier, the guard and the limits. */
interface HandlerContext {
  readonly service: HisService;
  readonly verifier: JwtVerifier;
  readonly base: string;
  readonly limit: number;
  readonly bodyTimeoutMs: number;
  readonly log: HisHandlerOptions['log'];
  readonly guard: ReturnType<typeof createRequestGuard>;
}

/** How a request ended, for the log line: its status and a note (the issuer, the cards, the error code). */
interface Outcome {
  status: number;
  note: string;
}

function handlerContext(options: HisHandlerOptions): HandlerContext {
  const { service } = options;
  // Seen jtis go in the service's storage: every instance over it refuses a replayed token.
  const verifier: JwtVerifier =
    'verify' in options.auth ? options.auth : createJwtVerifier({ storage: service.storage, ...options.auth });
  // The service answers to the host its tokens are made for (the audience) as well as to loopback.
  const audiences =
    'verify' in options.auth
      ? []
      : typeof options.auth.audience === 'string'
        ? [options.auth.audience]
        : [...options.auth.audience];
  const audienceHosts = audiences.flatMap((audience) => {
    try {
      const { host } = new URL(audience);
      return host ? [host] : [];
    } catch {
      return [];
    }
  });
  const guard = createRequestGuard({
    allowedHosts: [...(options.allowedHosts ?? []), ...audienceHosts],
    ...defined({ allowedOrigins: options.allowedOrigins }),
  });
  return {
    service,
    verifier,
    base: (options.basePath ?? '').replace(/\/+$/, ''),
    limit: options.bodyLimit ?? 1024 * 1024,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_DEADLINES.bodyTimeoutMs,
    log: options.log,
    guard,
  };
}

/** The request's path below the handler's base path, decoded; '' where it is outside the base. */
function pathBelowBase(req: IncomingMessage, base: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    path = '';
  }
  if (base && (path === base || path.startsWith(`${base}/`))) return path.slice(base.length) || '/';
  return base ? '' : path;
}

async function handle(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const path = pathBelowBase(req, ctx.base);
  if (path !== PREFIX && !path.startsWith(`${PREFIX}/`) && next) {
    next();
    return;
  }
  const outcome: Outcome = { status: 500, note: '' };
  try {
    await serve(ctx, req, res, path, outcome);
  } catch (error) {
    answerError(error, req, res, outcome);
  } finally {
    ctx.log?.(
      `${method} ${maskPersonalData(path || '(outside)').slice(0, 200)} → ${outcome.status} ${(performance.now() - started).toFixed(1)} ms${outcome.note}`,
    );
  }
}

/** Answers a request on the service's routes: the discovery list, a hook call, or its feedback. */
async function serve(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  outcome: Outcome,
): Promise<void> {
  const { service } = ctx;
  const method = req.method ?? 'GET';
  const segments = path.slice(PREFIX.length).split('/').filter(Boolean);
  const admitted = ctx.guard.check(req);
  for (const [name, value] of Object.entries(admitted.cors)) res.setHeader(name, value);
  if (admitted.preflight) {
    outcome.status = 204;
    res.writeHead(204, admitted.preflight);
    res.end();
    return;
  }
  const routeOk =
    path === PREFIX ||
    path === `${PREFIX}/` ||
    (path.startsWith(`${PREFIX}/`) && (segments.length === 1 || (segments.length === 2 && segments[1] === 'feedback')));
  if (!routeOk) throw new HisError('HIS_SERVICE_UNKNOWN');
  if (segments.length === 0) {
    if (method !== 'GET' && method !== 'HEAD') throw notAllowed('GET');
    outcome.status = 200;
    send(res, 200, { services: service.services });
    return;
  }
  if (method !== 'POST') throw notAllowed('POST');
  const serviceId = segments[0]!;
  if (!HIS_SERVICES.some((s) => s.id === serviceId))
    throw new HisError('HIS_SERVICE_UNKNOWN', {
      message: 'No such CDS service',
      messageZh: '没有该预警服务',
      field: 'id',
    });
  ctx.guard.requireJson(req);
  const claims = await ctx.verifier.verify(req.headers.authorization, `${PREFIX}/${serviceId}`);
  outcome.note = ` iss=${maskPersonalData(claims.iss).slice(0, 80)}`;
  const body = await jsonBody(req, ctx.limit, ctx.bodyTimeoutMs);
  if (segments[1] === 'feedback') {
    const result = await service.feedback(serviceId, body, { claims });
    outcome.status = 200;
    outcome.note += ` feedback=${result.results.map((r) => r.status).join(',')}`;
    send(res, 200, result);
  } else {
    const result = await service.call(serviceId, body, { language: languageOf(req), claims });
    outcome.status = 200;
    outcome.note += ` cards=${result.cards.length}`;
    send(res, 200, result);
  }
}

/** Answers what `serve` threw: a typed error as its 4xx, a client gone as 499 (logged only), a bug as a bare 500. */
function answerError(error: unknown, req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  if (error instanceof BodyAborted) {
    // The client went away mid-body: nobody to answer (logged as nginx does, 499).
    outcome.status = 499;
    outcome.note += ' aborted';
    req.socket.destroy();
  } else if (error instanceof HttpRequestError) {
    outcome.status = error.status;
    outcome.note += ` ${error.code}`;
    send(
      res,
      error.status,
      errorJson(error),
      error.status === 408 || error.status === 413 ? { connection: 'close' } : {},
    );
  } else if (error instanceof HisBadJson) {
    outcome.status = 400;
    send(res, 400, {
      error: {
        code: 'INVALID_INPUT',
        message: 'The body is not JSON',
        messageZh: '请求内容不是 JSON',
        field: '(body)',
      },
    });
  } else if (isYibaoGuardError(error) && typeof (error as { toJSON?: unknown }).toJSON === 'function') {
    const status = STATUS[error.code] ?? (error.code.startsWith('STORAGE_') ? 500 : 400);
    outcome.status = status;
    outcome.note += ` ${error.code}`;
    const headers: Record<string, string> =
      error.code === 'HIS_UNAUTHORIZED'
        ? { 'www-authenticate': 'Bearer error="invalid_token"' }
        : error.code === 'HIS_METHOD_NOT_ALLOWED'
          ? { allow: (error as HisError & { allow?: string }).allow ?? 'POST' }
          : {};
    send(res, status, errorBody(error as unknown as { toJSON(): object; issues?: readonly unknown[] }), headers);
  } else {
    outcome.status = 500;
    // A bug: the details go to the log (masked), never to the caller.
    outcome.note += ` ${maskPersonalData(String(error instanceof Error ? `${error.name}: ${error.message}` : error)).slice(0, 300)}`;
    send(res, 500, { error: { message: 'Internal error', messageZh: '服务内部错误' } });
  }
}

function notAllowed(allow: string): HisError {
  return Object.assign(new HisError('HIS_METHOD_NOT_ALLOWED'), { allow });
}
