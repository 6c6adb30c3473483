/*
 * The sign-in (签到) a client keeps: business calls need a `sign_no` from 9001. Several calls started at once
 * (a till verifying a voucher while a report is flushing) must share one 9001, not send one each; and when the
 * platform drops a sign-in, only the `sign_no` it refused is forgotten, so a sign-in that another call already
 * renewed is not thrown away.
 */

/**
 * The cached `sign_no` and the one 9001 in flight.
 *
 * @example
 * const signNo = await session.ensure() // signs in only if needed, once for every caller waiting
 */
export interface SignInSession {
  /** The cached `sign_no`, if signed in. */
  readonly current: string | undefined;
  /** The cached `sign_no`, or one from a 9001 (shared with every caller waiting at the same time). */
  ensure(): Promise<string>;
  /** Runs a 9001 now (or joins the one in flight) and caches its `sign_no`. */
  renew(): Promise<string>;
  /** Forgets `signNo` if it is still the cached one (the platform said it expired). */
  invalidate(signNo: string | undefined): void;
  /** Forgets the sign-in (after 9002). */
  clear(): void;
}

/**
 * A session whose 9001 is `signIn` (which resolves to the new `sign_no`).
 *
 * @example
 * const session = createSignInSession(async () => (await send(prepare('9001', input))).signinoutb.sign_no)
 */
export function createSignInSession(signIn: () => Promise<string>): SignInSession {
  let current: string | undefined;
  let inFlight: Promise<string> | undefined;

  const renew = (): Promise<string> => {
    inFlight ??= signIn()
      .then((signNo) => {
        current = signNo;
        return signNo;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  return {
    get current() {
      return current;
    },
    ensure: () => (current === undefined ? renew() : Promise.resolve(current)),
    renew,
    invalidate(signNo) {
      if (signNo !== undefined && current === signNo) current = undefined;
    },
    clear() {
      current = undefined;
    },
  };
}
