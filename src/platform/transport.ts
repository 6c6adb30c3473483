import type { PlatformEvent } from './events.js';
import type { GatewayAuth } from './gateway.js';
import { post } from './post.js';

/*
 * One POST to the platform, through ky: timeout, retries where they are safe, fresh gateway headers on every
 * attempt, and every way it can fail turned into a platform error. What "safe" means is the caller's decision
 * (see the client); this file only carries it out, and remembers whether any attempt may have reached the
 * platform, because for a write that decides between "nothing happened" and "outcome unknown".
 *
 * The work is in ./post.ts.
 */

/**
 * A `fetch` as the WHATWG Fetch standard defines it (browsers and Node ≥ 20 have one as a global): inject one
 * to add a proxy, client certificates (Node's undici dispatcher) or a test double.
 *
 * @example
 * createPlatformClient({ ...options, fetch: (input, init) => fetch(input, { ...init, dispatcher: agent } as
 * RequestInit) })
 */
export type PlatformFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * What every POST of one client shares.
 *
 * @example
 * { endpoint: `${baseUrl}/fsi/api/rsfComIfsService/callService`, gateway, now: clock.now, random, fetch: undefined,
 * timeoutMs: 10_000, retryLimit: 2, backoffLimitMs: 3000, maxRetryAfterMs: 10_000, maxResponseBytes: 8 * 1024 * 1024,
 * emit }
 */
export interface TransportConfig {
  readonly endpoint: string;
  readonly gateway: GatewayAuth;
  readonly now: () => number;
  readonly random: (n: number) => Uint8Array;
  readonly fetch: PlatformFetch | undefined;
  readonly timeoutMs: number;
  /** The largest answer body read, in bytes (after content decoding). */
  readonly maxResponseBytes: number;
  readonly retryLimit: number;
  readonly backoffLimitMs: number;
  readonly maxRetryAfterMs: number;
  readonly emit: (event: PlatformEvent) => void;
}

/**
 * How one POST may fail.
 *
 * @example
 * { retry: kind !== 'settle' || idempotentMsgid, write: kind === 'settle' || kind === 'report' }
 */
export interface PostPolicy {
  /** Attempts may be repeated (the same body, the same msgid). */
  readonly retry: boolean;
  /** A write: a failure after the request may have reached the platform is `PLATFORM_OUTCOME_UNKNOWN`. */
  readonly write: boolean;
}

/**
 * Sends `body` and returns the answer's text, or throws: `PlatformUnavailableError` (network, timeout, 408,
 * 429, 5xx; `PLATFORM_OUTCOME_UNKNOWN` for a write that may have reached the platform), `PlatformError`
 * `PLATFORM_AUTH_FAILED` (401/403), `PlatformProtocolError` (any other 4xx, or an answer larger than
 * `maxResponseBytes`).
 *
 * `timeoutMs` bounds each attempt as a whole, head and body: ky's timeout ends at the response's headers, so
 * the body of the attempt that answered is read against the same clock, started as that attempt was sent. A
 * body that does not arrive in full by then is a timeout (it is not retried: the platform did answer, and
 * a lost body is not retried either); one past the cap is refused as soon as it passes it, or before a byte
 * is read when its Content-Length says so. Either way the stream is cancelled, which releases the connection.
 *
 * @example
 * const text = await postEnvelope(config, { infno: '2102', msgid }, JSON.stringify(envelope), { retry: true, write:
 * true }, { attempts: 0 })
 */
export async function postEnvelope(...args: Parameters<typeof post>): Promise<string> {
  return post(...args);
}
