/**
 * yibao-guard/engine: the parts `createTerminal` is built from — the rule engine and the sale session, the outbox,
 * the sync worker and the stock ledger — for vendors who wire their own till, for the HIS hook and for tools. Each
 * part has its own entry as well (`yibao-guard/rules`, `/sync`); a bundler keeps only what an app uses.
 *
 * @packageDocumentation
 */
export * from './rules/index.js';
export * from './sale/index.js';
export * from './sync/index.js';
