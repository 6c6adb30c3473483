/*
 * What the self-audit's lazily loaded modules take from the rest of the core, in one object: the same arrangement,
 * for the same reason, as src/invoice/core.ts (a module loaded with import() that imported the core directly would
 * make code-splitting bundlers move the modules it shares with the main graph into a chunk every page loads).
 */
import { maskPersonalData } from '../codes/index.js';
import { InputError } from '../errors/areas.js';
import { YibaoGuardError } from '../errors/base.js';
import { formatCstDate } from '../platform/time.js';
import { SignedRulePackSchema } from '../schemas/rule-pack.js';

/** The core values the self-audit modules use. */
export const core = {
  maskPersonalData,
  InputError,
  YibaoGuardError,
  formatCstDate,
  SignedRulePackSchema,
} as const;

export type Core = typeof core;
