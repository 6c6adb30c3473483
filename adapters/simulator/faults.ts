/*
 * Fault injection: what goes wrong between a till and the platform, on demand. A fault matches requests by
 * transaction number (or every request) and fires `times` times. Latency and sign-in expiry add to the normal
 * handling; the other kinds replace or spoil the answer, the first matching one winning.
 */

/** What every fault has. @inline */
interface FaultBase {
  /** Only requests of this transaction; every request when absent. */
  readonly infno?: string;
  /** How many matching requests it affects; default 1. `Infinity` until cleared. */
  readonly times?: number;
}

/**
 * A fault to inject:
 * - `latency`: answer `ms` later (the transaction itself runs normally);
 * - `http-error`: the gateway answers HTTP `status` (default 502) with a non-envelope body; nothing runs;
 * - `timeout`: no answer until the client gives up; nothing runs unless `commit` is true;
 * - `malformed`: the transaction runs and commits, then the answer is spoiled: `json` (default) is not JSON at all,
 *   `schema` is an envelope whose `output` breaks the transaction's schema;
 * - `lose-response`: the transaction runs and commits, then the connection drops without an answer;
 * - `sign-in-expiry`: the request's `sign_no` is invalidated first, so it meets the sign-in-expired refusal;
 * - `rate-limit`: HTTP 429 with `Retry-After` of `retryAfterSeconds` (default 1); nothing runs;
 * - `system-error`: the platform answers infcode -1 (系统异常), before running the transaction, or after it
 *   committed when `commit` is true: the case in which the spec makes the caller reverse a write.
 */
export type FaultSpec = FaultBase &
  (
    | { readonly kind: 'latency'; readonly ms: number }
    | { readonly kind: 'http-error'; readonly status?: number; readonly body?: string }
    | { readonly kind: 'timeout'; readonly commit?: boolean }
    | { readonly kind: 'malformed'; readonly variant?: 'json' | 'schema' }
    | { readonly kind: 'lose-response' }
    | { readonly kind: 'sign-in-expiry' }
    | { readonly kind: 'rate-limit'; readonly retryAfterSeconds?: number }
    | { readonly kind: 'system-error'; readonly commit?: boolean }
  );

/**
 * The kinds of fault, for logs and `received()` entries.
 *
 * @example
 * const kind: FaultKind = 'lose-response'
 */
export type FaultKind = FaultSpec['kind'];

/** A fault waiting to fire, with what is left of it. */
export interface ActiveFault {
  readonly id: number;
  readonly spec: FaultSpec;
  remaining: number;
}

const KINDS: ReadonlySet<string> = new Set<FaultKind>([
  'latency',
  'http-error',
  'timeout',
  'malformed',
  'lose-response',
  'sign-in-expiry',
  'rate-limit',
  'system-error',
]);

/**
 * The fault list of a simulator: `add` returns an id; `clear` removes one or all.
 *
 * @example
 * simulator.faults.add({ infno: '2102', kind: 'lose-response' })
 */
export interface Faults {
  add(spec: FaultSpec): number;
  clear(id?: number): void;
  list(): readonly ActiveFault[];
}

/**
 * Checks a fault from outside (the control API's JSON) and returns it typed, or throws a TypeError saying why.
 *
 * @example
 * parseFaultSpec(JSON.parse(body)) // { kind: 'timeout', infno: '2102' }
 */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (typeof value !== 'object' || value === null) throw new TypeError('a fault is an object with a kind');
  const spec = value as Record<string, unknown>;
  if (typeof spec['kind'] !== 'string' || !KINDS.has(spec['kind']))
    throw new TypeError(`unknown fault kind; one of ${[...KINDS].join(', ')}`);
  if (spec['infno'] !== undefined && (typeof spec['infno'] !== 'string' || !/^[0-9A-Z]{4}$/.test(spec['infno'])))
    throw new TypeError('infno must be a 4-character transaction number');
  const times = spec['times'];
  if (
    times !== undefined &&
    times !== null &&
    !(times === Infinity || (Number.isInteger(times) && (times as number) >= 1))
  )
    throw new TypeError('times must be a positive integer');
  const num = (name: string, min: number, max: number) => {
    const v = spec[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max))
      throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  };
  num('ms', 0, 600_000);
  num('status', 400, 599);
  num('retryAfterSeconds', 0, 86_400);
  if (spec['kind'] === 'latency' && typeof spec['ms'] !== 'number') throw new TypeError('a latency fault needs ms');
  if (spec['variant'] !== undefined && spec['variant'] !== 'json' && spec['variant'] !== 'schema')
    throw new TypeError("variant is 'json' or 'schema'");
  // JSON has no Infinity: the control API takes null for "until cleared".
  return (times === null ? { ...spec, times: Infinity } : spec) as unknown as FaultSpec;
}

/**
 * A fresh fault list; `take` (the simulator's own) hands out the faults that fire for one request.
 *
 * @example
 * const faults = createFaults(); faults.add({ kind: 'rate-limit' }); faults.take('9001') // [{ kind: 'rate-limit' }]
 */
export function createFaults(): Faults & { take(infno: string | undefined, exact?: boolean): FaultSpec[] } {
  let nextId = 1;
  let active: ActiveFault[] = [];
  return {
    add(spec) {
      const checked = parseFaultSpec(spec);
      const id = nextId++;
      active.push({ id, spec: checked, remaining: checked.times ?? 1 });
      return id;
    },
    clear(id) {
      active = id === undefined ? [] : active.filter((f) => f.id !== id);
    },
    list: () => active.map((f) => ({ ...f })),
    /**
     * The faults that fire for this request, used up as they fire: every modifier, and the first fault that replaces
     * the answer. `exact`: only faults aimed at this infno (a message inside a YG07 batch).
     */
    take(infno, exact = false) {
      const fired: FaultSpec[] = [];
      let replaced = false;
      for (const fault of active) {
        if (fault.spec.infno === undefined ? exact : fault.spec.infno !== infno) continue;
        const modifier = fault.spec.kind === 'latency' || fault.spec.kind === 'sign-in-expiry';
        if (!modifier && replaced) continue;
        replaced ||= !modifier;
        fired.push(fault.spec);
        fault.remaining -= 1;
      }
      active = active.filter((f) => f.remaining > 0);
      return fired;
    },
  };
}
