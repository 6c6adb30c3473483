/**
 * yibao-guard/engine: the parts `createTerminal` is built from — the rule engine and the sale session, the outbox,
 * the sync worker and the stock ledger, the self-audit — for vendors who wire their own till, for the HIS hook and
 * for tools. Everything of `yibao-guard` is here too. Each part has its own entry as well (`yibao-guard/rules`,
 * `/sync`, `/invoice`, `/audit`, `/platform`, `/codes`); a bundler keeps only what an app uses, from any of them.
 *
 * @packageDocumentation
 */
export * from './index.js';
export * from './rules/index.js';
export * from './sale/index.js';
export * from './sync/index.js';
