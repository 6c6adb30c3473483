import { YibaoGuardError } from '../errors/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { Storage } from '../storage/contract.js';
import { REPORT_BATCH_MAX } from '../platform/transactions.js';
import { realSleep, type Sleep } from '../timers.js';
import type { SyncEvent, SyncStatus } from './types.js';
import type { DrainResult, SyncWorkerOptions } from './worker.js';

/*
 * What a sync worker holds: its options with their defaults, and the state of its loop and breaker. Every part
 * of the worker takes it as its first argument.
 */

/**
 * A sync worker's settings (read once, when it is created) and its mutable state.
 *
 * @example
 * const ctx = createWorkerContext(options)
 * const result = await drain(ctx)
 */
export interface SyncWorkerContext {
  readonly storage: Storage<TerminalLayout>;
  readonly platform: SyncWorkerOptions['platform'];
  readonly clock: { now(): number };
  readonly owner: string;
  readonly leaseMs: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly threshold: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  /** Reports per YG07 request, 1 to {@link REPORT_BATCH_MAX}. */
  readonly batch: number;
  readonly readAhead: number;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly retentionMs: number;
  /** Whether anyone listens: progress events (which read the status) are only made for a listener. */
  readonly listening: () => boolean;
  readonly emit: (event: SyncEvent) => void;

  state: SyncStatus['state'];
  /** Transient failures in a row, and how often the circuit opened since the last delivery. */
  failures: number;
  openings: number;
  nextAttemptAt: number | undefined;
  lastSuccessAt: number | undefined;
  lastError: string | undefined;
  running: boolean;
  stopping: boolean;
  /** Ends the current pause early. */
  wake: (() => void) | undefined;
  loop: Promise<void> | undefined;
  /** The drain in progress, shared by every caller. */
  draining: Promise<DrainResult> | undefined;
}

/**
 * Reads the options, fills in their defaults and checks `personalRetentionMs` (`INVALID_INPUT` when it is not a
 * number of milliseconds from 0).
 *
 * @example
 * const ctx = createWorkerContext({ storage, platform, clock, owner: tabId })
 */
export function createWorkerContext(options: SyncWorkerOptions): SyncWorkerContext {
  const { storage, platform, clock, owner } = options;
  const batch = Math.max(1, Math.min(options.batch ?? 200, REPORT_BATCH_MAX));
  const retentionMs = options.personalRetentionMs ?? 0;
  if (typeof retentionMs !== 'number' || !Number.isFinite(retentionMs) || retentionMs < 0) {
    throw new YibaoGuardError('INVALID_INPUT', {
      message: 'sync.personalRetentionMs must be a number of milliseconds from 0',
      messageZh: 'sync.personalRetentionMs 必须是不小于 0 的毫秒数',
      field: 'personalRetentionMs',
    });
  }
  return {
    storage,
    platform,
    clock,
    owner,
    leaseMs: options.leaseMs ?? 30_000,
    baseMs: options.backoff?.baseMs ?? 500,
    maxMs: options.backoff?.maxMs ?? 60_000,
    threshold: options.breaker?.threshold ?? 5,
    cooldownMs: options.breaker?.cooldownMs ?? 30_000,
    maxCooldownMs: options.breaker?.maxCooldownMs ?? 5 * 60_000,
    batch,
    readAhead: options.readAhead ?? Math.max(100, batch),
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
    retentionMs,
    listening: () => Boolean(options.onEvent),
    emit: (event: SyncEvent) => options.onEvent?.(event),
    state: 'idle',
    failures: 0,
    openings: 0,
    nextAttemptAt: undefined,
    lastSuccessAt: undefined,
    lastError: undefined,
    running: false,
    stopping: false,
    wake: undefined,
    loop: undefined,
    draining: undefined,
  };
}
