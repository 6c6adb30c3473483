/**
 * `yibao-guard/simulator`: the provincial medical-insurance platform (医保信息平台), simulated closely enough to
 * develop a till against it: the national envelope, sign-in, designated pharmacies, e-vouchers, person statuses,
 * settlement with a payment split, reversal, 进销存 with platform-wide trace codes, rule prompts (3101), the
 * provincial extensions YG01–YG05, YG07 (进销存 batch upload) and YG08 (stock query), gateway signatures, and
 * fault injection. Node: `startSimulator` serves it over HTTP; msw handlers live in `yibao-guard/simulator/msw`.
 *
 * @packageDocumentation
 */
export {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
  type SimRequest,
  type SimResponse,
  type SimHttpResponse,
  type ReceivedEntry,
  type CommittedRecord,
  type SimulatorSummary,
} from './state.js';
export { startSimulator, type RunningSimulator, type StartSimulatorOptions } from './http.js';
export type { FaultSpec, FaultKind, Faults, ActiveFault } from './faults.js';
export type { VoucherTicket } from './identity.js';
export type {
  SimSettlement,
  SoldTraceCode,
  SimInvoice,
  SimAudit,
  RegisteredKey,
  StockLine,
  PublishedRulePack,
} from './world.js';
export {
  SETTLEMENT_PLANS,
  computeSplit,
  type InsurancePlan,
  type SplitResult,
  type LineSplit,
  type SelfPayReason,
} from './settlement-rules.js';
export {
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
  keyHandoverText,
  simulatorRulePack,
  KEY_DRUG_MAX_PACKAGES,
} from './keys.js';
export { ANALYSIS_RULES } from './analysis.js';
export { SIMULATOR_CALL_PATH, SIGN_IN_EXPIRED_MESSAGE } from './wire.js';
export {
  DEMO_PEOPLE,
  DEMO_PHARMACIES,
  type DemoPerson,
  type DemoPersonKey,
  type DemoPharmacy,
  type DemoChronicDisease,
} from './seed/people.js';
export { DEMO_CATALOG, DEMO_PRESCRIPTIONS, DEMO_STOCK, DEMO_TRACE_CODES } from './seed/catalog.js';
