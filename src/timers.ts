/*
 * Waiting, for the sync worker's backoff. Timers are host functions (every browser and Node have them, but the
 * ES library does not declare them), so they are read from globalThis when first used, and a test injects its
 * own `sleep` to run a day of backoff in a moment.
 */

type SetTimeout = (callback: () => void, ms: number) => unknown;
type ClearTimeout = (handle: unknown) => void;

/** Waits `ms`, or less when `signal` fires first. Resolves either way; never rejects. @inline */
export type Sleep = (
  ms: number,
  signal?: { readonly aborted: boolean; addEventListener(type: 'abort', listener: () => void): void },
) => Promise<void>;

/**
 * The host's timer as a {@link Sleep}.
 *
 * @example
 * await realSleep(500)
 */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    const host = globalThis as unknown as { setTimeout: SetTimeout; clearTimeout: ClearTimeout };
    if (signal?.aborted) return resolve();
    const handle = host.setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener('abort', () => {
      host.clearTimeout(handle);
      resolve();
    });
  });
