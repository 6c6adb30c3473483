import type { BuyerFacts } from '../rules/context.js';
import type { Severity } from '../schemas/finding.js';
import type { RuleId } from '../schemas/rule-pack.js';
import type { Prescription } from '../schemas/prescription.js';
import type { PaymentSplit, SaleLine } from '../schemas/sale.js';
import type { PreparedCall } from '../platform/client.js';

/**
 * A settled sale as the terminal keeps it (store `sales`, key `saleId`): what refunds, the self-audit (自查自纠)
 * and the operator's sale list read. Free of unmasked personal data: the buyer is the platform's person number
 * and the facts the rules need (sex, age, 慢特病 codes), never a name or a 身份证; prescriptions keep the
 * prescriber and items, the patient as a person number only.
 */
export interface SaleRecord {
  readonly saleId: string;
  readonly pharmacyCode: string;
  readonly terminalId: string;
  readonly operatorId: string;
  readonly startedAt: number;
  readonly settledAt: number;
  readonly buyer?: {
    readonly psnNo: string;
    readonly insutype: string;
    readonly insuplcAdmdvs: string;
    readonly voucherKind: 'ec-qr' | 'ssc' | 'id-card';
    /** The facts the rules read, without `residentId`. */
    readonly facts: Omit<BuyerFacts, 'residentId'>;
  };
  readonly lines: readonly SaleLine[];
  readonly prescriptions: readonly SaleRecordPrescription[];
  /** The platform's settlement (2102), absent for a sale paid wholly 自费. */
  readonly settlement?: { readonly setlId: string; readonly mdtrtId: string; readonly msgid: string };
  /** What was paid, all lines included (自费 lines are cash). */
  readonly split: PaymentSplit;
  /** The signed invoice issued for it. */
  readonly invoice: { readonly seq: number; readonly hash: string; readonly signed: boolean };
  /** The rule pack version in force at settlement, and the findings of the last review with their outcome. */
  readonly review: {
    readonly packVersion?: number;
    readonly findings: readonly {
      readonly findingId: string;
      readonly ruleId: RuleId;
      readonly lineId?: string;
      readonly severity: Severity;
      readonly source: 'local' | 'platform';
      readonly outcome: 'open' | 'overridden';
      readonly override?: { readonly reasonCode: string; readonly note: string; readonly by: string };
    }[];
  };
  readonly status: 'settled' | 'partly-refunded' | 'refunded';
  readonly refunds: readonly {
    readonly refundId: string;
    readonly at: number;
    readonly invoiceSeq: number;
    readonly lines: readonly { readonly lineId: string; readonly quantity: number; readonly amountFen: number }[];
    readonly split: PaymentSplit;
  }[];
}

/** A prescription as a sale record keeps it: the patient only by person number. */
export type SaleRecordPrescription = Omit<Prescription, 'patient'> & { readonly patient: { readonly psnNo?: string } };

/**
 * A settlement (2102) sent or about to be sent whose sale is not yet recorded (store `settlements`, key `saleId`):
 * written before the request leaves, deleted in the batch that records the sale. Found at start-up, it is
 * resolved (asked again with the same msgid) or reversed (2601), so the buyer is never charged twice and no
 * settlement is left without its invoice.
 */
export interface PendingSettlement {
  readonly saleId: string;
  readonly at: number;
  readonly prepared: PreparedCall<'2102'>;
  readonly psnNo: string;
  readonly insuplcAdmdvs: string;
  /** `sent`: the request may have reached the platform; `reversing`: a 2601 is under way. */
  readonly state: 'sent' | 'reversing';
}
