import {
  PlatformError,
  PlatformProtocolError,
  PlatformUnavailableError,
  type PlatformCallInfo,
} from '../errors/index.js';
import { toHex } from '../crypto/index.js';
import { gatewayHeaders } from './gateway.js';
import type { PostPolicy, TransportConfig } from './transport.js';
import * as ky from 'ky';

/* What ./transport.ts's postEnvelope does (its doc comment says how). */

type Ky = typeof ky;

const CONTENT_TYPE = 'application/json;charset=utf-8';
/** Transient answers. 413 (ky's default too) is left out: a body too large stays too large. */
const RETRY_STATUS = [408, 429, 500, 502, 503, 504];
/** Answers whose Retry-After is honoured. */
const RETRY_AFTER_STATUS = [429, 503];

/**
 * The work of `postEnvelope` (./transport.ts).
 *
 * @example
 * const text = await post(config, { infno: '2102', msgid }, JSON.stringify(envelope), { retry: true, write: true }, {
 * attempts: 0 })
 */
export async function post(
  config: TransportConfig,
  call: PlatformCallInfo,
  body: string,
  policy: PostPolicy,
  counter: { attempts: number },
): Promise<string> {
  const failures: unknown[] = [];
  const deadline = attemptDeadline(config.timeoutMs);
  let response: Response;
  try {
    response = await ky.default(config.endpoint, {
      method: 'post',
      body,
      headers: { 'content-type': CONTENT_TYPE },
      timeout: config.timeoutMs,
      throwHttpErrors: true,
      ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
      retry: policy.retry
        ? {
            limit: config.retryLimit,
            methods: ['post'],
            statusCodes: RETRY_STATUS,
            afterStatusCodes: RETRY_AFTER_STATUS,
            retryOnTimeout: true,
            backoffLimit: config.backoffLimitMs,
            maxRetryAfter: config.maxRetryAfterMs,
            // Full jitter, from the injected randomness, so tills that lost the platform together do not return
            // together.
            jitter: (delay: number) => delay * fraction(config.random),
            // A Retry-After longer than a customer can wait at the counter ends the call now, with retryAfterMs set.
            shouldRetry: ({ error }) => {
              if (!ky.isHTTPError(error) || !RETRY_AFTER_STATUS.includes(error.response.status)) return undefined;
              // ky waits out any hint it finds (Retry-After, RateLimit-Reset, X-RateLimit-Reset, …), even one it cannot
              // read: a hint that is unreadable or too long ends the call now instead.
              const hint = retryHint(error.response.headers, config.now());
              return hint === 'unreadable' || (hint !== undefined && hint > config.maxRetryAfterMs) ? false : undefined;
            },
          }
        : { limit: 0 },
      hooks: {
        beforeRequest: [
          // Per attempt, not per call: a gateway refuses a reused nonce or a stale timestamp.
          async (request) => {
            counter.attempts += 1;
            config.emit({ type: 'attempt', infno: call.infno, msgid: call.msgid, attempt: counter.attempts });
            const headers = await gatewayHeaders(config.gateway, config.now(), toHex(config.random(16)));
            for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
            // Now, as ky starts its own timer for this attempt.
            deadline.start();
          },
        ],
        beforeRetry: [
          ({ error }) => {
            failures.push(error);
          },
        ],
      },
    });
  } catch (error) {
    deadline.stop();
    failures.push(error);
    throw transportFailure(ky, config, call, policy, error, failures);
  }
  try {
    return await readText(response, config.maxResponseBytes, deadline);
  } catch (error) {
    // The platform answered and the body was lost on the way (or was too slow or too large to read): for a
    // write, it may have committed.
    throw transportFailure(ky, config, call, policy, error, [...failures, error]);
  } finally {
    deadline.stop();
  }
}

/** Why an answer's body was not read to its end. */
class BodyLimit extends Error {
  constructor(readonly limit: 'time' | 'size') {
    super(`answer body over its ${limit} limit`);
  }
}

type SetTimeout = (callback: () => void, ms: number) => unknown;
type ClearTimeout = (handle: unknown) => void;

interface Deadline {
  /** Starts the clock again, for a new attempt. */
  start(): void;
  stop(): void;
  /** Runs `f` when the time is up (at once if it is): one listener at a time. */
  onExpiry(f: () => void): void;
}

/** The host's timer (not the injected clock: ky's timeout runs on it too), restarted for each attempt. */
function attemptDeadline(ms: number): Deadline {
  const host = globalThis as unknown as { setTimeout: SetTimeout; clearTimeout: ClearTimeout };
  let handle: unknown;
  let expired = false;
  let listener: (() => void) | undefined;
  const stop = () => host.clearTimeout(handle);
  return {
    start() {
      stop();
      expired = false;
      handle = host.setTimeout(() => {
        expired = true;
        listener?.();
      }, ms);
    },
    stop,
    onExpiry(f) {
      listener = f;
      if (expired) f();
    },
  };
}

/** The body as text (UTF-8, as `Response.text()` decodes it), or `BodyLimit` past the deadline or `maxBytes`. */
async function readText(response: Response, maxBytes: number, deadline: Deadline): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const declared = response.headers.get('content-length');
  // A compressed body's Content-Length is not its decoded size: only the count below can judge it.
  if (!response.headers.has('content-encoding') && declared !== null && Number(declared) > maxBytes) {
    void body.cancel().catch(() => undefined);
    throw new BodyLimit('size');
  }
  const reader = body.getReader();
  let failure: BodyLimit | undefined;
  const stop = (limit: BodyLimit['limit']) => {
    failure ??= new BodyLimit(limit);
    // A pending read() then ends as done; the rejection of a stream already failed is of no interest.
    void reader.cancel(failure).catch(() => undefined);
  };
  deadline.onExpiry(() => stop('time'));
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    let chunk: { done: boolean; value?: Uint8Array | undefined };
    try {
      chunk = await reader.read();
    } catch (error) {
      throw failure ?? error;
    }
    if (failure) throw failure;
    if (chunk.done || chunk.value === undefined) return text + decoder.decode();
    bytes += chunk.value.byteLength;
    if (bytes > maxBytes) stop('size');
    else text += decoder.decode(chunk.value, { stream: true });
  }
}

/** A number in [0, 1) from the injected randomness. */
function fraction(random: (n: number) => Uint8Array): number {
  const bytes = random(4);
  const n = (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
  return n / 2 ** 32;
}

/** The headers a server may give its retry hint in, in the order ky reads them. */
const RETRY_HINT_HEADERS = [
  'retry-after',
  'ratelimit-reset',
  'x-ratelimit-retry-after',
  'x-ratelimit-reset',
  'x-rate-limit-reset',
];
/** From here on a number is a point in time (epoch seconds), not a delay, as ky reads it. */
const EPOCH_SECONDS_FROM = Date.parse('2024-01-01') / 1000;

/** The server's retry hint as ms from now (delta seconds, epoch seconds or an HTTP date), `unreadable`, or none. */
function retryHint(headers: Headers, nowMs: number): number | 'unreadable' | undefined {
  const name = RETRY_HINT_HEADERS.find((h) => headers.has(h));
  const text = name === undefined ? undefined : headers.get(name)?.trim();
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds))
    return Math.max(0, Math.round(seconds >= EPOCH_SECONDS_FROM ? seconds * 1000 - nowMs : seconds * 1000));
  const at = Date.parse(text);
  return Number.isNaN(at) ? 'unreadable' : Math.max(0, at - nowMs);
}

/** The retry hint, when it can be read. */
function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const hint = retryHint(headers, nowMs);
  return hint === 'unreadable' ? undefined : hint;
}

/** A 4xx other than 408 is a refusal in front of the business: the request was not acted on. */
function refused(ky: Ky, error: unknown): boolean {
  if (!ky.isHTTPError(error)) return false;
  const { status } = error.response;
  return status >= 400 && status < 500 && status !== 408;
}

function transportFailure(
  ky: Ky,
  config: TransportConfig,
  call: PlatformCallInfo,
  policy: PostPolicy,
  error: unknown,
  failures: readonly unknown[],
): PlatformError {
  const http = ky.isHTTPError(error) ? error.response : undefined;
  const status = http?.status;
  const wait = http === undefined ? undefined : retryAfterMs(http.headers, config.now());
  const limit = error instanceof BodyLimit ? error.limit : undefined;
  const what = ky.isTimeoutError(error)
    ? { en: `no answer within ${config.timeoutMs} ms`, zh: `${config.timeoutMs} 毫秒内无应答` }
    : limit === 'time'
      ? {
          en: `the answer did not arrive in full within ${config.timeoutMs} ms`,
          zh: `${config.timeoutMs} 毫秒内未收到完整应答`,
        }
      : limit === 'size'
        ? {
            en: `the answer is larger than ${config.maxResponseBytes} bytes (maxResponseBytes)`,
            zh: `应答超过 ${config.maxResponseBytes} 字节（maxResponseBytes）`,
          }
        : status !== undefined
          ? { en: `HTTP ${status}`, zh: `HTTP ${status}` }
          : { en: 'network error', zh: '网络错误' };
  const attempts = failures.length;
  const extra = {
    ...(status === undefined ? {} : { status }),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
    cause: error,
  };

  if (policy.write && !failures.every((failure) => refused(ky, failure))) {
    return new PlatformUnavailableError(call, {
      ...extra,
      outcomeUnknown: true,
      message:
        `The outcome of ${call.infno} (msgid ${call.msgid}) is unknown after ${attempts} attempt(s) (${what.en}): the platform may have committed it. ` +
        `Call resolve() with the same prepared call, or reverse it with 2601 (omsgid ${call.msgid}); never send it again with a new msgid.`,
      messageZh:
        `${call.infno} 交易（msgid ${call.msgid}）经 ${attempts} 次尝试后结果未知（${what.zh}），平台可能已处理。` +
        `请用同一预备交易调用 resolve()，或以 2601 冲正（omsgid ${call.msgid}）；切勿换新 msgid 重发。`,
    });
  }
  if (status === 401 || status === 403) {
    return new PlatformError('PLATFORM_AUTH_FAILED', call, {
      cause: error,
      message: `The platform gateway refused ${call.infno} with HTTP ${status}: check the gateway access id and secret, and the terminal's clock`,
      messageZh: `医保网关以 HTTP ${status} 拒绝了 ${call.infno} 交易：请检查网关接入编号、密钥和终端时钟`,
    });
  }
  if (limit === 'size') {
    return new PlatformProtocolError(call, {
      cause: error,
      message: `The platform's answer to ${call.infno} (msgid ${call.msgid}) was not read: ${what.en}`,
      messageZh: `医保平台对 ${call.infno} 交易（msgid ${call.msgid}）的应答未予读取：${what.zh}`,
    });
  }
  if (status !== undefined && (status < 500 || status > 599) && status !== 408 && status !== 429) {
    return new PlatformProtocolError(call, {
      cause: error,
      message: `The platform gateway refused ${call.infno} with HTTP ${status}: the request does not have the form it expects`,
      messageZh: `医保网关以 HTTP ${status} 拒绝了 ${call.infno} 交易：请求格式不符合接口要求`,
    });
  }
  return new PlatformUnavailableError(call, {
    ...extra,
    message: `The platform did not answer ${call.infno} (msgid ${call.msgid}) after ${attempts} attempt(s): ${what.en}`,
    messageZh: `医保平台未能应答 ${call.infno} 交易（msgid ${call.msgid}，尝试 ${attempts} 次）：${what.zh}`,
  });
}
