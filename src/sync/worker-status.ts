import type { SyncStatus } from './types.js';
import type { SyncWorkerContext } from './worker-context.js';
import { pendingCount } from './worker-storage.js';
import { defined } from '../defined.js';

/**
 * The worker's state and the outbox's, as `SyncWorker.status` reports them.
 *
 * @example
 * const { state, pending } = await workerStatus(ctx)
 */
export async function workerStatus(ctx: SyncWorkerContext): Promise<SyncStatus> {
  const { pending, oldest, dead } = await pendingCount(ctx);
  const { state, lastSuccessAt, nextAttemptAt, lastError } = ctx;
  return {
    state,
    pending,
    ...defined({ oldestPendingAt: oldest, lastSuccessAt }),
    deadLetters: dead,
    ...defined({ nextAttemptAt, lastError }),
  };
}

/**
 * A `sync:progress` event with the status, when anyone listens.
 *
 * @example
 * await progress(ctx, delivered)
 */
export async function progress(ctx: SyncWorkerContext, delivered?: number): Promise<void> {
  if (ctx.listening()) {
    const status = await workerStatus(ctx);
    ctx.emit({ type: 'sync:progress', status, ...defined({ delivered }) });
  }
}
