/*
 * Where the lazily loaded self-audit modules find the core (see core.ts). `core` is a live binding, set once by
 * `install` before any of them runs.
 */
import type { Core } from './core.js';

/** The core values, once installed. */
export let core: Core = undefined as unknown as Core;

/**
 * Hands the self-audit modules the core. index.ts calls it when it loads them; a test that imports one of them
 * directly calls it with `core` from core.ts.
 *
 * @example
 * install((await import('./core.js')).core)
 */
export function install(values: Core): void {
  core = values;
}
