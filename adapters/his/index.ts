/**
 * `yibao-guard/his`: pre-warning hooks for clinic HIS, in the form of HL7 CDS Hooks. The till's rule engine answers
 * an HIS when a doctor picks or signs orders (`order-select`, `order-sign`) and before the cashier settles
 * (`yibao-presettle`) with cards: CDS Hooks cards plus what CDS Hooks lacks — the rule, the order line, a stop level
 * (`none`, `soft`, `reason-required`, `hard`) — and takes the feedback on them into the same audit trail as the
 * till's overrides. Calls are authenticated with a JWT each (EdDSA, ES256, ES384 or RS384, verified by jose); a card is
 * bound to the token identity it
 * was shown to, and only that identity's feedback on it is taken. Node: `createHisHandler` is a node:http
 * handler; `createHisService` is the same without HTTP, for an HIS written in JavaScript (`evaluateOrders`).
 *
 * @packageDocumentation
 */
export {
  createHisService,
  HIS_SERVICES,
  operatorIdOf,
  type HisService,
  type HisServiceOptions,
  type EvaluateOptions,
  type CallerOptions,
  type HookResponse,
  type FeedbackResult,
  type CdsServiceDescriptor,
} from './service.js';
export { createHisHandler, type HisHandler, type HisHandlerOptions } from './http.js';
export {
  createJwtVerifier,
  hisCallerOf,
  signHisJwt,
  HIS_JWT_ALGORITHMS,
  type HisJwtAlgorithm,
  type HisAuthOptions,
  type HisCaller,
  type HisIssuer,
  type HisJwtClaims,
  type JwtVerifier,
  type SignHisJwtOptions,
} from './auth.js';
export {
  EXTENSION_KEY,
  RULE_NAMES,
  stopLevelOf,
  type CdsCard,
  type CdsSuggestion,
  type CdsAction,
  type CdsCoding,
  type CardExtension,
  type HisAction,
  type StopLevel,
  type Language,
} from './cards.js';
export {
  HIS_HOOKS,
  HisHookSchema,
  HisContextSchema,
  HisOrderSchema,
  HisPatientSchema,
  HisInsuranceSchema,
  HisPurchaseSchema,
  HookRequestSchema,
  FeedbackRequestSchema,
  FeedbackItemSchema,
  HisCardRecordSchema,
  type HisCardRecord,
  type HisHook,
  type HisContext,
  type HisOrder,
  type HookRequest,
  type FeedbackRequest,
  type FeedbackItem,
} from './schemas.js';
export { HisError, type HisErrorCode, type HisAuthFailure } from './errors.js';
