/* Delivery to the platform as the till shows it: the sync worker's status and dead letters, and resubmission. */
import { resubmitDeadLetter } from '../sync/dead-letters.js';
import type { TillParts } from './parts.js';
import type { TerminalSync } from './types.js';
import { defined } from '../defined.js';

export function terminalSync(parts: TillParts): TerminalSync {
  const { worker, outbox, ctx } = parts;
  return {
    status: () => worker.status(),
    deadLetters: (options) => worker.deadLetters(options),
    annotate: (seq, note) => worker.annotate(seq, note),
    close: (seq, note) => worker.close(seq, note),
    drain: () => worker.drain(),
    flush: () => worker.drain(),
    start: () => worker.start(),
    stop: () => worker.stop(),
    resubmit: async (seq, fix) => {
      const result = await resubmitDeadLetter({ storage: ctx.storage, outbox, clock: ctx.clock }, seq, {
        input: fix.input as never,
        by: ctx.operator.id,
        ...defined({ note: fix.note || undefined }),
      });
      worker.notify();
      return result;
    },
  };
}
