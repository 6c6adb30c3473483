import type { DrainResult } from './worker.js';
import type { SyncWorkerContext } from './worker-context.js';
import { drain } from './worker-drain.js';
import { progress, workerStatus } from './worker-status.js';

/*
 * The background loop: drain, then back off after a transient failure (opening the circuit after repeated
 * ones), or sleep until notified when there is nothing to send.
 */

/**
 * Runs until `ctx.stopping`: drains, backs off or sleeps, and announces going offline and coming back online.
 *
 * @example
 * ctx.loop = runLoop(ctx)
 */
export async function runLoop(ctx: SyncWorkerContext): Promise<void> {
  while (!ctx.stopping) {
    // A delivery resets the breaker inside the drain: remember whether it was open, to announce the way back.
    const wasOpen = ctx.openings > 0;
    const result = await drain(ctx);
    if (ctx.stopping) break;
    if (result.stoppedBy === 'transient-failure') {
      await backOff(ctx, result);
      continue;
    }
    if (result.delivered > 0 && wasOpen) ctx.emit({ type: 'online', status: await workerStatus(ctx) });
    // Idle (or another tab leads): sleep until notified, re-checking now and then.
    await pause(ctx, result.stoppedBy === 'not-leader' ? ctx.leaseMs / 2 : 5_000);
  }
}

/**
 * Waits after a transient failure: backoff with full jitter, or, after `threshold` failures in a row, the
 * circuit's cooldown (doubling with each opening); at least as long as the platform's Retry-After.
 */
async function backOff(ctx: SyncWorkerContext, result: DrainResult): Promise<void> {
  ctx.failures++;
  const { random } = ctx;
  let wait = Math.min(ctx.maxMs, ctx.baseMs * 2 ** Math.min(ctx.failures - 1, 20)) * random();
  if (ctx.failures >= ctx.threshold) {
    ctx.state = 'circuit-open';
    wait = Math.min(ctx.maxCooldownMs, ctx.cooldownMs * 2 ** ctx.openings);
    ctx.openings++;
    ctx.failures = ctx.threshold - 1; // half-open: one more failure re-opens it
    if (ctx.openings === 1) ctx.emit({ type: 'offline', status: await workerStatus(ctx) });
  } else {
    ctx.state = 'backoff';
  }
  const retryAfter = (result.error as { retryAfterMs?: number } | undefined)?.retryAfterMs;
  if (retryAfter !== undefined) wait = Math.max(wait, retryAfter);
  ctx.nextAttemptAt = ctx.clock.now() + wait;
  await progress(ctx);
  await pause(ctx, wait);
  ctx.nextAttemptAt = undefined;
}

/** Sleeps `ms`, or until `ctx.wake` is called. */
function pause(ctx: SyncWorkerContext, ms: number): Promise<void> {
  const controller = {
    aborted: false,
    listeners: [] as (() => void)[],
    addEventListener(_: 'abort', l: () => void) {
      this.listeners.push(l);
    },
  };
  ctx.wake = () => {
    controller.aborted = true;
    for (const l of controller.listeners) l();
  };
  const { sleep } = ctx;
  return sleep(ms, controller);
}
