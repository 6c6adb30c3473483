export {
  createSaleSession,
  mergeFindings,
  type SaleSession,
  type SaleSessionOptions,
  type Review,
  type ReviewedFinding,
  type AddLineInput,
} from './session.js';
export type { SaleRecord, SaleRecordPrescription, PendingSettlement } from './record.js';
