/*
 * What every part of the simulator shares: how a business refusal is raised, the exact texts clients rely on,
 * and the deterministic randomness behind tokens and ids (tests and demos see the same values run after run).
 */

/**
 * The one path of every business call, as the national interface has it.
 *
 * @example
 * fetch(`${base}${SIMULATOR_CALL_PATH}`, { method: 'POST', body })
 */
export const SIMULATOR_CALL_PATH = '/fsi/api/rsfComIfsService/callService';

/**
 * The exact `err_msg` of an unknown or expired `sign_no`. Clients detect this text to sign in again (9001), so it
 * never changes.
 *
 * @example
 * if (response.err_msg === SIGN_IN_EXPIRED_MESSAGE) await signIn()
 */
export const SIGN_IN_EXPIRED_MESSAGE = '签到信息已失效，请重新签到 / sign-in expired, sign in again';

/**
 * A refusal of the platform: `infcode` -2 (business error, nothing happened) or -1 (system failure). Thrown by a
 * transaction before it changes anything, so a refusal never leaves half a change behind.
 *
 * @example
 * throw new SimRefusal(-2, '该结算已撤销', 'already cancelled')
 */
export class SimRefusal extends Error {
  constructor(
    readonly infcode: -1 | -2,
    readonly zh: string,
    readonly en: string,
  ) {
    super(`${zh} / ${en}`);
    this.name = 'SimRefusal';
  }
}

/**
 * A business refusal (-2): the Chinese text for staff, then the English twin after ' / '.
 *
 * @example
 * if (!person) refuse('未查询到人员参保信息', 'no insured person')
 */
export function refuse(zh: string, en: string): never {
  throw new SimRefusal(-2, zh, en);
}

/** The deterministic random source: mulberry32 over a hash of the seed. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** `n` characters of `alphabet`. */
  chars(n: number, alphabet: string): string;
}

/**
 * A deterministic random source from a seed: the same seed gives the same tokens and sign-in numbers.
 *
 * @example
 * createRng('yibao-guard').chars(4, DIGITS) // the same four digits every run
 */
export function createRng(seed: string | number): Rng {
  let h = 1779033703 ^ String(seed).length;
  for (const ch of String(seed)) {
    h = Math.imul(h ^ ch.charCodeAt(0), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let state = h >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chars: (n, alphabet) =>
      Array.from({ length: n }, () => alphabet.charAt(Math.floor(next() * alphabet.length))).join(''),
  };
}

/**
 * Alphabets for {@link Rng.chars}: digits (sign-in numbers), letters and digits (voucher tokens).
 *
 * @example
 * rng.chars(32, ALNUM)
 */
export const DIGITS = '0123456789';
/** @see DIGITS @example rng.chars(32, ALNUM) */
export const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Rounds a non-negative rational `num / den` half up to an integer, in integers only.
 *
 * @example
 * roundHalfUp(25n, 10n) // 3
 */
export function roundHalfUp(num: bigint, den: bigint): number {
  return Number((num * 2n + den) / (2n * den));
}

/**
 * A plain-object check for JSON read from the wire.
 *
 * @example
 * isRecord(JSON.parse(body))
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
