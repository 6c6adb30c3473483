/**
 * yibao-guard/rules: the rule engine: the catalog, rule packs (signed, scoped, expiring), the checks of seed 003,
 * review and its cards, the platform's 3101 findings.
 *
 * @packageDocumentation
 */
export { createCatalog, type Catalog } from '../catalog/product-catalog.js';
export {
  buyerFacts,
  type BuyerFacts,
  type PurchaseRecord,
  type HistoryIndex,
  type TraceCodeView,
  type StockView,
  type ReviewInput,
} from './context.js';
export { indexHistory, NO_HISTORY } from './history-index.js';
export { RULE_PARAMS, type RuleParams } from './params.js';
export {
  compileRules,
  DEFAULT_OVERRIDE_REASONS,
  type CompiledPack,
  type CompiledRule,
  type Check,
  type CheckContext,
} from './compile.js';
export { ALL_CHECKS, compilePack, reviewSale } from './review.js';
export {
  verifyRulePack,
  installRulePack,
  loadRulePack,
  storedRulePack,
  rulePackInForce,
  type RulePackScope,
  type RulePackTrust,
  type TrustedKey,
} from './pack.js';
export { compileLapsedPack, type RulePackExpiredPolicy } from './expiry.js';
export { analysisRequest, platformFindings } from './platform.js';
