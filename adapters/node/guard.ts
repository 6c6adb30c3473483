/*
 * The front door of the local node:http servers (the platform simulator, the demo terminal, the HIS hook service).
 * What a web page on another site, a DNS-rebinding page or a stranger on the machine can send is refused here,
 * before any route runs, and alike by all three:
 *
 *   - a request target that is not a path, or whose percent-encoding is malformed: 400 (`INVALID_INPUT`, `(uri)`);
 *   - a Host that is neither loopback with the server's own port nor configured (`allowedHosts`): 421
 *     (`HTTP_HOST_NOT_ALLOWED`), so a page whose name was rebound to 127.0.0.1 reads nothing;
 *   - a state-changing call (any method but GET, HEAD, OPTIONS) from a browser page of another origin, told by Origin
 *     or Sec-Fetch-Site: 403 (`HTTP_CROSS_SITE_REFUSED`), unless that origin is configured (`allowedOrigins`), which
 *     also gets CORS answers and preflights. Clients that are not browsers send neither header and pass;
 *   - a state-changing call whose body is not `application/json` (charset utf-8 or none): 415
 *     (`HTTP_UNSUPPORTED_MEDIA_TYPE`), which also keeps out what an HTML form or a "simple" fetch can send;
 *   - slow clients: node:http's header and whole-request deadlines (`serverOptions`) and the body deadline of
 *     `readBody` end them with a JSON 408 (`HTTP_REQUEST_TIMEOUT`) and a closed connection.
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { YibaoGuardError, type ErrorCode, type ErrorDetails } from '../../src/index.js';
import { BodyTimedOut, BodyTooLarge, readBody, type ReadBodyOptions } from './body.js';

/** Who may call a local server: Host names and browser origins beyond the defaults. */
export interface RequestGuardOptions {
  /**
   * Host names answered besides loopback (`127.0.0.1`, `localhost`, `[::1]`, with the server's own port): `'till.lan'`
   * (any port), `'till.lan:8787'` (that port only), or `'*'` (any Host: only behind a proxy that checks it).
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Browser origins (`'https://ehr.example'`) allowed to make state-changing calls from their pages; they are
   * answered with CORS headers and their preflights with 204. The server's own origin needs no entry.
   */
  readonly allowedOrigins?: readonly string[];
}

/** How long a client may take to send a request. Defaults: headers 10 s, the whole request 30 s, the body 10 s. */
export interface RequestDeadlineOptions {
  /** From connection (or the previous answer) to the end of the request headers, in ms. @default 10000 */
  readonly headersTimeoutMs?: number;
  /** From connection (or the previous answer) to the end of the whole request, in ms. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** From the start of reading a body to its end, in ms. @default 10000 */
  readonly bodyTimeoutMs?: number;
}

/** The defaults of {@link RequestDeadlineOptions}. */
export const DEFAULT_DEADLINES = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, bodyTimeoutMs: 10_000 } as const;

/** Codes a request is refused with at the door. */
export type HttpRequestErrorCode = Extract<ErrorCode, `HTTP_${string}`> | 'INVALID_INPUT';

/** A request refused at the door, with the HTTP status it is answered with. */
export class HttpRequestError extends YibaoGuardError {
  declare readonly code: HttpRequestErrorCode;
  readonly status: number;

  constructor(status: number, code: HttpRequestErrorCode, details: ErrorDetails = {}) {
    super(code, details);
    this.name = 'HttpRequestError';
    this.status = status;
  }
}

/** A body over the limit (413). */
export function bodyTooLarge(limit: number): HttpRequestError {
  return new HttpRequestError(413, 'INVALID_INPUT', {
    message: `The body is larger than ${limit} bytes`,
    messageZh: `请求内容超过 ${limit} 字节`,
    field: '(body)',
  });
}

/** A body that did not arrive in time (408). */
export function bodyTimedOut(): HttpRequestError {
  return new HttpRequestError(408, 'HTTP_REQUEST_TIMEOUT');
}

/**
 * {@link readBody} with its refusals as the answers they get: a body over the limit is an `HttpRequestError` 413, one
 * too slow a 408; a connection closed first stays `BodyAborted` (nobody to answer).
 *
 * @example
 * const text = await readRequestBody(req, { limit: 64 * 1024, timeoutMs: 10_000 })
 */
export async function readRequestBody(req: IncomingMessage, options: ReadBodyOptions): Promise<string> {
  try {
    return await readBody(req, options);
  } catch (error) {
    if (error instanceof BodyTooLarge) throw bodyTooLarge(options.limit);
    if (error instanceof BodyTimedOut) throw bodyTimedOut();
    throw error;
  }
}

const badUri = () =>
  new HttpRequestError(400, 'INVALID_INPUT', {
    message: 'The request target is not a valid path',
    messageZh: '请求地址不是合法的路径',
    field: '(uri)',
  });

/** `{ error: { code, message, messageZh, field? } }`, the JSON error body of the HIS service, used by all three. */
export function errorJson(error: YibaoGuardError): { error: Record<string, unknown> } {
  const { name: _name, ...rest } = error.toJSON() as Record<string, unknown>;
  return { error: rest };
}

/** Answers a refusal as JSON; 408 and 413 also close the connection (the rest of the request is not read). */
export function sendHttpError(
  res: ServerResponse,
  error: HttpRequestError,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify(errorJson(error));
  res.writeHead(error.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...(error.status === 408 || error.status === 413 ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(body);
}

/**
 * What {@link RequestGuard.check} found: the parsed target and, for a configured origin, the CORS headers to answer
 * with.
 */
export interface AdmittedRequest {
  readonly url: URL;
  /** The path, percent-decoded. */
  readonly path: string;
  /** CORS headers for a configured origin (empty otherwise). */
  readonly cors: Readonly<Record<string, string>>;
  /** Set for a CORS preflight from a configured origin: answer 204 with these headers. */
  readonly preflight?: Readonly<Record<string, string>>;
}

/** The checks of one server. */
export interface RequestGuard {
  /**
   * The target, the Host, a preflight and a state-changing call's origin; with `json`, a state-changing call's
   * content type too. Throws an {@link HttpRequestError}.
   */
  check(req: IncomingMessage, options?: { readonly json?: boolean }): AdmittedRequest;
  /** A state-changing call that carries a body must say it is JSON; throws an {@link HttpRequestError} (415). */
  requireJson(req: IncomingMessage): void;
  /**
   * `check` with `json`, answering what it refuses (and a preflight) itself: the admitted request, or undefined
   * when it has answered. Sets the CORS headers of a configured origin on `res`.
   */
  admit(req: IncomingMessage, res: ServerResponse): AdmittedRequest | undefined;
}

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const JSON_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

/** `name[:port]` → lower-case name and port (undefined when absent); undefined when it is not a host. */
function parseHost(value: string): { name: string; port: number | undefined } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+|\*)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase(), port: match[2] === undefined ? undefined : Number(match[2]) };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The checks for one server.
 *
 * @example
 * const guard = createRequestGuard({ allowedHosts: ['till.lan'], allowedOrigins: ['https://ehr.example'] })
 * createServer((req, res) => { const admitted = guard.admit(req, res); if (admitted) route(admitted.path, req, res) })
 */
export function createRequestGuard(options: RequestGuardOptions = {}): RequestGuard {
  const anyHost = (options.allowedHosts ?? []).includes('*');
  const hosts = (options.allowedHosts ?? []).flatMap((entry) => {
    const parsed = entry === '*' ? undefined : parseHost(entry);
    if (entry !== '*' && parsed === undefined) throw new RangeError(`allowedHosts: not a host name: ${entry}`);
    return parsed ? [parsed] : [];
  });
  const origins: ReadonlySet<string> = new Set(
    (options.allowedOrigins ?? []).map((origin) => {
      let parsed: URL;
      try {
        parsed = new URL(origin);
      } catch {
        throw new RangeError(`allowedOrigins: not an origin: ${origin}`);
      }
      if (parsed.origin === 'null' || parsed.origin !== origin.replace(/\/+$/, ''))
        throw new RangeError(`allowedOrigins: not an origin (scheme://host[:port]): ${origin}`);
      return parsed.origin;
    }),
  );

  const hostAllowed = (req: IncomingMessage, host: { name: string; port: number | undefined }): boolean => {
    if (anyHost) return true;
    if (LOOPBACK.has(host.name) && (host.port ?? 80) === req.socket.localPort) return true;
    return hosts.some(
      (entry) => entry.name === host.name && (entry.port === undefined || entry.port === (host.port ?? 80)),
    );
  };

  const requireJson = (req: IncomingMessage): void => {
    if (SAFE_METHODS.has(req.method ?? 'GET')) return;
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') > 0;
    if (hasBody && !JSON_TYPE.test(header(req, 'content-type') ?? ''))
      throw new HttpRequestError(415, 'HTTP_UNSUPPORTED_MEDIA_TYPE', { field: 'content-type' });
  };

  const check: RequestGuard['check'] = (req, checkOptions = {}) => {
    const target = req.url ?? '';
    const method = req.method ?? 'GET';
    if (!target.startsWith('/')) throw badUri();
    let url: URL;
    let path: string;
    try {
      // Concatenated, never resolved against a base: `//evil.example/x` stays a path.
      url = new URL(`http://127.0.0.1${target}`);
      path = decodeURIComponent(url.pathname);
    } catch {
      throw badUri();
    }
    const host = parseHost(header(req, 'host') ?? '');
    if (host === undefined || host.name === '*' || !hostAllowed(req, host))
      throw new HttpRequestError(421, 'HTTP_HOST_NOT_ALLOWED', { field: 'host' });

    const origin = header(req, 'origin');
    const configured = origin !== undefined && origins.has(origin);
    const cors: Record<string, string> = configured ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      if (!configured) throw new HttpRequestError(403, 'HTTP_CROSS_SITE_REFUSED', { field: 'origin' });
      return {
        url,
        path,
        cors,
        preflight: {
          ...cors,
          'access-control-allow-methods': 'GET, POST, DELETE',
          'access-control-allow-headers': 'authorization, content-type, accept-language',
          'access-control-max-age': '600',
          'content-length': '0',
        },
      };
    }
    if (!SAFE_METHODS.has(method)) {
      const own =
        origin !== undefined &&
        (origin.toLowerCase() === `http://${host.name}${host.port === undefined ? '' : `:${host.port}`}` ||
          origin.toLowerCase() === `https://${host.name}${host.port === undefined ? '' : `:${host.port}`}`);
      const site = header(req, 'sec-fetch-site');
      const crossSite = site !== undefined && site !== 'same-origin' && site !== 'none';
      if (!configured && ((origin !== undefined && !own) || crossSite))
        throw new HttpRequestError(403, 'HTTP_CROSS_SITE_REFUSED', { field: 'origin' });
      if (checkOptions.json) requireJson(req);
    }
    return { url, path, cors };
  };

  return {
    check,
    requireJson,
    admit(req, res) {
      let admitted: AdmittedRequest;
      try {
        admitted = check(req, { json: true });
      } catch (error) {
        if (!(error instanceof HttpRequestError)) throw error;
        req.resume();
        sendHttpError(res, error);
        return undefined;
      }
      if (admitted.preflight) {
        res.writeHead(204, admitted.preflight);
        res.end();
        return undefined;
      }
      for (const [name, value] of Object.entries(admitted.cors)) res.setHeader(name, value);
      return admitted;
    },
  };
}

/**
 * node:http server options for the header and whole-request deadlines (checked every quarter of the shorter one, at
 * most every second).
 */
export function serverOptions(deadlines: RequestDeadlineOptions = {}): ServerOptions {
  const requestTimeout = deadlines.requestTimeoutMs ?? DEFAULT_DEADLINES.requestTimeoutMs;
  // node:http refuses a header deadline past the whole-request one.
  const headersTimeout = Math.min(deadlines.headersTimeoutMs ?? DEFAULT_DEADLINES.headersTimeoutMs, requestTimeout);
  return {
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}

function rawAnswer(status: number, reason: string, error: YibaoGuardError): string {
  const body = JSON.stringify(errorJson(error));
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Answers what node:http refuses before a handler runs (a header or whole-request deadline passed: 408; headers too
 * large: 431; a request it cannot parse: 400) with the same JSON errors, where nothing of an answer has gone out yet,
 * and closes the connection.
 *
 * @example
 * const server = createServer(serverOptions(deadlines), handler); answerClientErrors(server)
 */
export function answerClientErrors(server: Server): void {
  const inFlight = new WeakMap<Socket, ServerResponse>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(req.socket, res);
    res.on('finish', () => {
      if (inFlight.get(req.socket) === res) inFlight.delete(req.socket);
    });
  });
  const answered = new WeakSet<Socket>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const res = inFlight.get(socket);
    if (error.code !== 'ECONNRESET' && socket.writable && !answered.has(socket) && !res?.headersSent) {
      answered.add(socket);
      const answer =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? rawAnswer(408, 'Request Timeout', new HttpRequestError(408, 'HTTP_REQUEST_TIMEOUT'))
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? rawAnswer(
                431,
                'Request Header Fields Too Large',
                new HttpRequestError(431, 'INVALID_INPUT', {
                  message: 'The request headers are too large',
                  messageZh: '请求头过大',
                  field: '(headers)',
                }),
              )
            : rawAnswer(
                400,
                'Bad Request',
                new HttpRequestError(400, 'INVALID_INPUT', {
                  message: 'The request is not valid HTTP',
                  messageZh: '请求不是合法的 HTTP 报文',
                  field: '(request)',
                }),
              );
      // A handler still waiting on this request's body sees it aborted (readBody: BodyAborted) and answers nothing.
      socket.end(answer);
      socket.once('finish', () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
    } else socket.destroy();
  });
}
