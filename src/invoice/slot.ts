/*
 * Where the lazily loaded invoice modules find the core (see core.ts for why they do not import it). `core` is a
 * live binding: set once by `install`, before any invoice function runs.
 */
import type { Core } from './core.js';

/** The core values, once installed. */
export let core: Core = undefined as unknown as Core;

/**
 * Hands the invoice modules the core. index.ts calls it when it loads a module; tests that import an invoice
 * module directly call it with `core` from core.ts.
 *
 * @example
 * install((await import('./core.js')).core)
 */
export function install(values: Core): void {
  core = values;
}
