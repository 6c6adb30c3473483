/**
 * yibao-guard/engine: the parts `createTerminal` is built from — the rule engine and the sale session, the outbox,
 * the sync worker and the stock ledger, the self-audit — for vendors who wire their own till, for the HIS hook and
 * for tools. Everything of `yibao-guard` is here too. A browser till that uses `createTerminal` imports the root
 * instead: the till loads these parts on its own, after the first paint, so they are not in the page's first bundle.
 *
 * @packageDocumentation
 */
export * from './index.js';
export * from './rules/index.js';
export * from './sale/index.js';
export * from './sync/index.js';
