import { isYibaoGuardError, PlatformRejectedError, type YibaoGuardError } from '../errors/index.js';
import type { TerminalLayout } from '../layout.js';
import type { PlatformClient, PreparedCall } from '../platform/client.js';
import type { Storage } from '../storage.js';
import { realSleep, type Sleep } from '../timers.js';
import type { DeadLetter, OutboxRecord, SyncEvent, SyncStatus } from './types.js';

const CURSOR = 'outbox.cursor';
const LEASE = 'outbox.lease';

/** How delivery behaves under failure. Every option has a default that suits a pharmacy's link. */
export interface SyncWorkerOptions {
  readonly storage: Storage<TerminalLayout>;
  readonly platform: Pick<PlatformClient, 'send'>;
  readonly clock: { now(): number };
  /** Who drains (a tab or process id): only the lease holder sends. */
  readonly owner: string;
  /** How long a lease lasts without renewal. @default 30000 */
  readonly leaseMs?: number;
  /** Backoff after a transient failure: base × 2^n, full jitter, at most `maxMs`. @default { baseMs: 500, maxMs: 60000 } */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** After `threshold` failures in a row the circuit opens for `cooldownMs` (doubling, at most `maxCooldownMs`). */
  readonly breaker?: { readonly threshold?: number; readonly cooldownMs?: number; readonly maxCooldownMs?: number };
  /** Records read from storage per step. @default 100 */
  readonly readAhead?: number;
  readonly sleep?: Sleep;
  /** Randomness for jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  readonly onEvent?: (event: SyncEvent) => void;
}

/** What one drain did. */
export interface DrainResult {
  readonly delivered: number;
  readonly deadLettered: number;
  /** Why it stopped: nothing left, a transient failure (retry later), or another owner holds the lease. */
  readonly stoppedBy: 'empty' | 'transient-failure' | 'not-leader' | 'stopped';
  readonly error?: YibaoGuardError;
}

/**
 * Delivers the outbox to the platform exactly once and in order: each record is sent with the msgid fixed when
 * it was written, so after a crash, a lost answer or a retry the platform answers with its first answer and
 * counts it once; the cursor moves only after an answer. A refused record (infcode -2) goes to the dead letters
 * with the platform's reason, and delivery goes on; a transient failure (unreachable, 5xx, timeout, unknown
 * outcome, gateway auth) stops the drain, backs off with jitter, honours Retry-After, and after repeated
 * failures opens a circuit instead of hammering a dead platform. Only the lease holder drains.
 *
 * @example
 * const worker = createSyncWorker({ storage, platform, clock, owner: tabId, onEvent: updateBadge })
 * worker.start()          // runs until stop(); wakes on notify() after each sale
 * await worker.flush()    // or drain now, e.g. before closing the till
 */
export interface SyncWorker {
  /** Drains until nothing is pending or a transient failure; resolves with what it did. */
  drain(): Promise<DrainResult>;
  /** Starts the background loop. */
  start(): void;
  /** Wakes the loop (a new record was written). */
  notify(): void;
  /** Stops the loop and releases the lease. */
  stop(): Promise<void>;
  status(): Promise<SyncStatus>;
  deadLetters(options?: { readonly includeResolved?: boolean }): Promise<DeadLetter[]>;
  annotate(seq: number, note: { readonly by: string; readonly text: string }): Promise<void>;
  /** Closes a dead letter with a note (e.g. reported to the platform by hand); it stays on record. */
  close(seq: number, note: { readonly by: string; readonly text: string }): Promise<void>;
}

export function createSyncWorker(options: SyncWorkerOptions): SyncWorker {
  const { storage, platform, clock, owner } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const baseMs = options.backoff?.baseMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 60_000;
  const threshold = options.breaker?.threshold ?? 5;
  const cooldownMs = options.breaker?.cooldownMs ?? 30_000;
  const maxCooldownMs = options.breaker?.maxCooldownMs ?? 5 * 60_000;
  const readAhead = options.readAhead ?? 100;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const emit = (event: SyncEvent) => options.onEvent?.(event);

  let state: SyncStatus['state'] = 'idle';
  let failures = 0;
  let openings = 0;
  let nextAttemptAt: number | undefined;
  let lastSuccessAt: number | undefined;
  let lastError: string | undefined;
  let running = false;
  let stopping = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let draining: Promise<DrainResult> | undefined;

  async function holdLease(): Promise<boolean> {
    const now = clock.now();
    const current = await storage.get('meta', LEASE);
    const lease = current?.value as { owner: string; until: number } | undefined;
    if (lease && lease.owner !== owner && lease.until > now) return false;
    if (lease && lease.owner === owner && lease.until - now > leaseMs / 2) return true;
    try {
      await storage.write([{ op: 'put', store: 'meta', key: LEASE, value: { owner, until: now + leaseMs }, expect: current?.rev ?? null }]);
      return true;
    } catch (error) {
      if (isYibaoGuardError(error, 'STORAGE_CONFLICT')) return false;
      throw error;
    }
  }

  async function cursor(): Promise<{ seq: number; rev: number | null }> {
    const record = await storage.get('meta', CURSOR);
    return { seq: (record?.value as { seq: number } | undefined)?.seq ?? 0, rev: record?.rev ?? null };
  }

  /** The prepared call with its personal fields merged back in. */
  async function withPii(record: OutboxRecord): Promise<PreparedCall> {
    if (!record.pii) return record.prepared;
    const pii = await storage.get('outboxPii', record.prepared.msgid);
    if (!pii) return record.prepared;
    const input = record.prepared.input as Record<string, Record<string, unknown>>;
    return { ...record.prepared, input: { ...input, [record.pii.node]: { ...input[record.pii.node], ...pii.value } } } as PreparedCall;
  }

  async function pendingCount(): Promise<{ pending: number; oldest?: number; dead: number }> {
    const { seq } = await cursor();
    const last = await storage.lastSeq('outbox');
    const [oldest] = last > seq ? await storage.read('outbox', { after: seq, limit: 1 }) : [];
    const dead = (await storage.list('deadLetters')).filter((d) => !d.value.resolved).length;
    return { pending: last - seq, ...(oldest ? { oldest: oldest.value.createdAt } : {}), dead };
  }

  async function status(): Promise<SyncStatus> {
    const { pending, oldest, dead } = await pendingCount();
    return {
      state,
      pending,
      ...(oldest !== undefined ? { oldestPendingAt: oldest } : {}),
      ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}),
      deadLetters: dead,
      ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}),
      ...(lastError !== undefined ? { lastError } : {}),
    };
  }

  async function progress(delivered?: number) {
    if (options.onEvent) emit({ type: 'sync:progress', status: await status(), ...(delivered !== undefined ? { delivered } : {}) });
  }

  /** Refusals are final for this msgid; everything else may succeed if sent again with the same msgid. */
  function isRefusal(error: unknown): boolean {
    return error instanceof PlatformRejectedError || (isYibaoGuardError(error, 'PLATFORM_REJECTED') && !isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) || isYibaoGuardError(error, 'INVALID_INPUT');
  }

  async function drainOnce(): Promise<DrainResult> {
    let delivered = 0;
    let deadLettered = 0;
    state = 'draining';
    for (;;) {
      if (stopping) return { delivered, deadLettered, stoppedBy: 'stopped' };
      if (!(await holdLease())) {
        state = 'not-leader';
        return { delivered, deadLettered, stoppedBy: 'not-leader' };
      }
      const start = await cursor();
      const batch = await storage.read('outbox', { after: start.seq, limit: readAhead });
      if (batch.length === 0) {
        state = 'idle';
        await progress(delivered);
        return { delivered, deadLettered, stoppedBy: 'empty' };
      }
      let rev = start.rev;
      for (const entry of batch) {
        if (stopping) return { delivered, deadLettered, stoppedBy: 'stopped' };
        let refusal: unknown;
        try {
          await platform.send(await withPii(entry.value));
        } catch (error) {
          if (!isRefusal(error)) {
            lastError = isYibaoGuardError(error) ? error.code : 'UNEXPECTED';
            return { delivered, deadLettered, stoppedBy: 'transient-failure', ...(isYibaoGuardError(error) ? { error } : {}) };
          }
          refusal = error;
        }
        const now = clock.now();
        const ack = [
          { op: 'put' as const, store: 'meta' as const, key: CURSOR, value: { seq: entry.seq }, expect: rev },
          ...(entry.value.pii ? [{ op: 'delete' as const, store: 'outboxPii' as const, key: entry.value.prepared.msgid }] : []),
        ];
        if (refusal === undefined) {
          const [receipt] = await storage.write(ack);
          rev = receipt?.op === 'put' ? receipt.rev : rev;
          delivered++;
          lastSuccessAt = now;
        } else {
          const error = refusal as YibaoGuardError & { infcode?: number };
          const reason = { code: error.code, ...(typeof error.infcode === 'number' ? { infcode: error.infcode } : {}), message: error.message, messageZh: error.messageZh };
          const letter: DeadLetter = { seq: entry.seq, record: entry.value, at: now, reason, notes: [] };
          const [receipt] = await storage.write([...ack, { op: 'put', store: 'deadLetters', key: deadKey(entry.seq), value: letter }]);
          rev = receipt?.op === 'put' ? receipt.rev : rev;
          deadLettered++;
          emit({ type: 'sync:dead-letter', seq: entry.seq, reason });
        }
        failures = 0;
        openings = 0;
        lastError = undefined;
        if (options.onEvent && (delivered + deadLettered) % 50 === 0) await progress(delivered);
      }
    }
  }

  function drain(): Promise<DrainResult> {
    // One drain at a time per worker: a second caller waits for the same one. A cursor that moved under us means
    // another tab or process took over the lease: stop and let it lead.
    draining ??= drainOnce()
      .catch((error: unknown): DrainResult => {
        if (!isYibaoGuardError(error, 'STORAGE_CONFLICT')) throw error;
        state = 'not-leader';
        return { delivered: 0, deadLettered: 0, stoppedBy: 'not-leader' };
      })
      .finally(() => {
      draining = undefined;
    });
    return draining;
  }

  async function runLoop(): Promise<void> {
    while (!stopping) {
      const result = await drain();
      if (stopping) break;
      if (result.stoppedBy === 'transient-failure') {
        failures++;
        let wait = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 20)) * random();
        if (failures >= threshold) {
          state = 'circuit-open';
          wait = Math.min(maxCooldownMs, cooldownMs * 2 ** openings);
          openings++;
          failures = threshold - 1; // half-open: one more failure re-opens it
          if (openings === 1) emit({ type: 'offline', status: await status() });
        } else {
          state = 'backoff';
        }
        const retryAfter = (result.error as { retryAfterMs?: number } | undefined)?.retryAfterMs;
        if (retryAfter !== undefined) wait = Math.max(wait, retryAfter);
        nextAttemptAt = clock.now() + wait;
        await progress();
        await pause(wait);
        nextAttemptAt = undefined;
        continue;
      }
      if (result.delivered > 0 && openings > 0) emit({ type: 'online', status: await status() });
      // Idle (or another tab leads): sleep until notified, re-checking now and then.
      await pause(result.stoppedBy === 'not-leader' ? leaseMs / 2 : 5_000);
    }
  }

  function pause(ms: number): Promise<void> {
    const controller = { aborted: false, listeners: [] as (() => void)[], addEventListener(_: 'abort', l: () => void) { this.listeners.push(l); } };
    wake = () => {
      controller.aborted = true;
      for (const l of controller.listeners) l();
    };
    return sleep(ms, controller);
  }

  return {
    drain,
    start() {
      if (running) return;
      running = true;
      stopping = false;
      loop = runLoop();
    },
    notify() {
      wake?.();
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      await draining;
      running = false;
      state = 'stopped';
      const current = await storage.get('meta', LEASE);
      if ((current?.value as { owner?: string } | undefined)?.owner === owner) {
        await storage.write([{ op: 'put', store: 'meta', key: LEASE, value: { owner, until: 0 }, expect: current!.rev }]).catch(() => undefined);
      }
    },
    status,
    async deadLetters(opts) {
      const all = (await storage.list('deadLetters')).map((r) => r.value);
      return opts?.includeResolved ? all : all.filter((d) => !d.resolved);
    },
    async annotate(seq, note) {
      await updateLetter(seq, (d) => ({ ...d, notes: [...d.notes, { at: clock.now(), by: note.by, text: note.text.slice(0, 500) }] }));
    },
    async close(seq, note) {
      await updateLetter(seq, (d) => ({
        ...d,
        notes: [...d.notes, { at: clock.now(), by: note.by, text: note.text.slice(0, 500) }],
        resolved: { at: clock.now(), by: note.by, how: 'closed' },
      }));
    },
  };

  async function updateLetter(seq: number, change: (d: DeadLetter) => DeadLetter) {
    const current = await storage.get('deadLetters', deadKey(seq));
    if (!current) return;
    await storage.write([{ op: 'put', store: 'deadLetters', key: deadKey(seq), value: change(current.value), expect: current.rev }]);
  }
}

/** Dead letters are keyed by their outbox seq, zero-padded so that key order is delivery order. */
export function deadKey(seq: number): string {
  return String(seq).padStart(12, '0');
}
