import * as z from 'zod/mini';
import { PersonChronicDiseaseSchema, PersonQueryOutputSchema } from '../schemas/person.js';
import { optionalWireDate, optionalWireText, wireText } from '../schemas/wire-text.js';
import {
  AreaCodeSchema,
  Ed25519SignatureSchema,
  IdSchema,
  InstitutionCodeSchema,
  Sha256HexSchema,
} from '../schemas/primitives.js';
import { CountCodec, CstTimeCodec, PriceCodec, WireCodeCodec, YuanCodec } from './codecs.js';
import { MsgidSchema } from './envelope.js';

/*
 * The transactions a pharmacy uses, input and output, with the national field names. Inputs are codecs:
 * the client encodes them (分 → yuan, epoch ms → CST text) and the simulator decodes them. Outputs are read
 * leniently (loose objects, codes as string or number) because provinces add fields and vary types.
 */

const str = (max: number) => z.string().check(z.maxLength(max));
const req = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const flag = z.enum(['0', '1']);
const opt = <T extends z.ZodMiniType>(schema: T) => z.optional(schema);
/** An output field that may be absent, null, or a code sent as number or string. */
const outCode = z.optional(z.nullable(WireCodeCodec));
const outYuan = z.optional(z.nullable(YuanCodec));

// ——— 9001 / 9002 sign-in and sign-out ———

export const SignInInputSchema = z.object({ signIn: z.object({ opter_no: req(30), mac: req(30), ip: req(40) }) });
export const SignInOutputSchema = z.looseObject({
  signinoutb: z.looseObject({ sign_time: opt(z.string()), sign_no: req(30) }),
});
export const SignOutInputSchema = z.object({ signOut: z.object({ sign_no: req(30), opter_no: req(30) }) });
export const SignOutOutputSchema = z.looseObject({ signoutoutb: opt(z.looseObject({ sign_time: opt(z.string()) })) });

// ——— 1101 person query ———

/** `mdtrt_cert_type`: 01 医保电子凭证 token, 02 居民身份证 number, 03 社会保障卡. */
export const CertTypeSchema = z.enum(['01', '02', '03']);
export const PersonQueryInputSchema = z.object({
  data: z.object({
    mdtrt_cert_type: CertTypeSchema,
    mdtrt_cert_no: req(100),
    card_sn: opt(str(32)),
    begntime: opt(CstTimeCodec),
    psn_cert_type: opt(str(6)),
    certno: opt(str(50)),
    psn_name: opt(str(50)),
  }),
});
export { PersonQueryOutputSchema };

// ——— 2101 / 2102 pharmacy pre-settlement and settlement ———

export const DrugInfoSchema = z.object({
  psn_no: req(30),
  mdtrt_cert_type: CertTypeSchema,
  mdtrt_cert_no: req(100),
  card_sn: opt(str(32)),
  begntime: CstTimeCodec,
  medfee_sumamt: YuanCodec,
  insutype: req(6),
  dise_codg: opt(str(30)),
  dise_name: opt(str(200)),
  /** Use the personal account for the personal part. */
  acct_used_flag: flag,
  /** 41 = 定点药店购药. */
  med_type: req(6),
  psn_setlway: opt(str(6)),
  /** 2102 only: the invoice number. */
  invono: opt(str(50)),
});

export const DrugDetailSchema = z.object({
  feedetl_sn: req(30),
  rxno: opt(str(40)),
  rx_circ_flag: flag,
  fee_ocur_time: CstTimeCodec,
  med_list_codg: req(50),
  medins_list_codg: req(150),
  det_item_fee_sumamt: YuanCodec,
  cnt: CountCodec,
  pric: PriceCodec,
  sin_dos_dscr: opt(str(200)),
  used_frqu_dscr: opt(str(200)),
  prd_days: opt(CountCodec),
  medc_way_dscr: opt(str(200)),
  bilg_dr_codg: opt(str(30)),
  bilg_dr_name: opt(str(50)),
  tcmdrug_used_way: opt(str(6)),
});

/**
 * 2101 and 2102 share one input; 2102 adds `druginfo.invono`. Node names vary by province: see the client's
 * `nodeNames`.
 */
export const PharmacySettleInputSchema = z
  .object({ druginfo: DrugInfoSchema, drugdetail: z.array(DrugDetailSchema).check(z.minLength(1), z.maxLength(200)) })
  .check(
    z.refine(
      (input) => input.drugdetail.reduce((sum, d) => sum + d.det_item_fee_sumamt, 0) === input.druginfo.medfee_sumamt,
      {
        message: 'medfee_sumamt must equal the sum of det_item_fee_sumamt',
        path: ['druginfo', 'medfee_sumamt'],
      },
    ),
  );

export const SettlementInfoSchema = z.looseObject({
  setl_id: outCode,
  mdtrt_id: WireCodeCodec,
  psn_no: WireCodeCodec,
  setl_time: opt(z.nullable(z.string())),
  medfee_sumamt: YuanCodec,
  fulamt_ownpay_amt: outYuan,
  overlmt_selfpay: outYuan,
  preselfpay_amt: outYuan,
  inscp_scp_amt: outYuan,
  hifp_pay: outYuan,
  fund_pay_sumamt: YuanCodec,
  psn_part_amt: outYuan,
  acct_pay: YuanCodec,
  psn_cash_pay: YuanCodec,
  balc: outYuan,
});

export const PharmacySettleOutputSchema = z.looseObject({
  setlinfo: SettlementInfoSchema,
  setldetail: opt(z.nullable(z.array(z.looseObject({ fund_pay_type: outCode, fund_payamt: outYuan })))),
  detlcutinfo: opt(
    z.nullable(
      z.array(
        z.looseObject({
          feedetl_sn: outCode,
          det_item_fee_sumamt: outYuan,
          /** 全自费金额, 超限价自费金额, 先行自付金额, 符合范围金额 of this line. */
          fulamt_ownpay_amt: outYuan,
          overlmt_amt: outYuan,
          preselfpay_amt: outYuan,
          inscp_scp_amt: outYuan,
        }),
      ),
    ),
  ),
});

// ——— 2103 cancellation, 2601 reversal ———

export const SettlementCancelInputSchema = z.object({
  data: z.object({ setl_id: req(30), mdtrt_id: req(30), psn_no: req(30) }),
});
export const SettlementCancelOutputSchema = z.looseObject({
  setlinfo: opt(z.nullable(z.looseObject({ setl_id: outCode, mdtrt_id: outCode }))),
});

export const ReversalInputSchema = z.object({
  data: z.object({ psn_no: req(30), omsgid: MsgidSchema, oinfno: req(4) }),
});
export const ReversalOutputSchema = z.optional(z.nullable(z.looseObject({})));

// ——— 2001 benefit check, 5301 chronic-disease registrations ———

/** 2001 人员待遇享受检查: whether the person may draw on the fund for this kind of visit, asked before settlement. */
export const BenefitCheckInputSchema = z.object({
  data: z.object({
    psn_no: req(30),
    insutype: req(6),
    fixmedins_code: req(30),
    /** 41 = 定点药店购药. */
    med_type: req(6),
    begntime: CstTimeCodec,
    endtime: opt(CstTimeCodec),
    dise_codg: opt(str(30)),
    dise_name: opt(str(500)),
  }),
});
/**
 * One row of the 2001 answer: a benefit checked (`trt_chk_type`, `fund_pay_type`), whether the person enjoys it
 * (`trt_enjymnt_flag` '1') and, when not, why (`trt_chk_rslt`).
 */
export const BenefitCheckRowSchema = z.looseObject({
  psn_no: optionalWireText,
  trt_chk_type: optionalWireText,
  fund_pay_type: optionalWireText,
  trt_enjymnt_flag: wireText,
  begndate: optionalWireDate,
  enddate: optionalWireDate,
  trt_chk_rslt: optionalWireText,
});
export const BenefitCheckOutputSchema = z.looseObject({
  trtinfo: z.optional(z.nullable(z.array(BenefitCheckRowSchema).check(z.maxLength(200)))),
});

/** 5301 人员慢特病备案查询: the person's 门诊慢特病 registrations, as the payment-scope rule needs them. */
export const ChronicQueryInputSchema = z.object({ data: z.object({ psn_no: req(30) }) });
export const ChronicQueryOutputSchema = z.looseObject({
  feedetail: z.optional(z.nullable(z.array(PersonChronicDiseaseSchema).check(z.maxLength(200)))),
});

// ——— 3101 pre-event / in-event analysis ———

export const AnalysisOrderSchema = z.object({
  rx_id: req(40),
  rxno: opt(str(40)),
  hilist_code: req(50),
  hilist_name: req(200),
  cnt: CountCodec,
  pric: PriceCodec,
  sumamt: YuanCodec,
  spec: opt(str(200)),
});

export const AnalysisInputSchema = z.object({
  data: z.object({
    syscode: req(20),
    task_id: req(40),
    /** 10 = 事中-购药划卡. */
    trig_scen: req(4),
    rule_ids: opt(z.array(req(40)).check(z.maxLength(500))),
    patient_dtos: z
      .array(
        z.object({
          patn_id: req(30),
          gend: opt(str(2)),
          brdy: opt(str(10)),
          fsi_encounter_dtos: z
            .array(
              z.object({
                mdtrt_id: req(40),
                medins_id: req(30),
                insutype: opt(str(6)),
                fsi_order_dtos: z.array(AnalysisOrderSchema).check(z.maxLength(200)),
                fsi_diagnose_dtos: opt(
                  z.array(z.object({ dise_codg: req(30), dise_name: opt(str(200)) })).check(z.maxLength(50)),
                ),
              }),
            )
            .check(z.minLength(1), z.maxLength(20)),
        }),
      )
      .check(z.minLength(1), z.maxLength(20)),
  }),
});

export const AnalysisResultSchema = z.looseObject({
  jr_id: WireCodeCodec,
  rule_id: WireCodeCodec,
  rule_name: opt(z.nullable(z.string())),
  vola_cont: opt(z.nullable(z.string())),
  patn_id: outCode,
  mdtrt_id: outCode,
  /** The order the finding is about, where the platform names it (provincial). */
  rx_id: outCode,
  vola_amt: outYuan,
  vola_amt_stas: outCode,
  /** 严重程度: 1 明确违规, 2 高度可疑, 3 轻度可疑 (varies by province: mapped in rules). */
  sev_deg: outCode,
  vola_evid: opt(z.nullable(z.string())),
  vola_bhvr_type: outCode,
  task_id: outCode,
});
export const AnalysisOutputSchema = z.looseObject({ result: z.array(AnalysisResultSchema).check(z.maxLength(1000)) });

// ——— 3501–3507 进销存 ———

const traceInfo = opt(z.array(z.object({ drug_trac_codg: req(100) })).check(z.maxLength(10_000)));

const inventoryCore = {
  med_list_codg: req(50),
  fixmedins_hilist_id: req(30),
  fixmedins_hilist_name: req(200),
  rx_flag: flag,
  fixmedins_bchno: req(30),
  manu_lotnum: opt(str(30)),
  manu_date: opt(str(10)),
  expy_end: opt(str(10)),
  memo: opt(str(500)),
  drugtracinfo: traceInfo,
};

/** 3501 盘存. */
export const StockCountInputSchema = z.object({
  invinfo: z.object({ ...inventoryCore, invdate: str(10), inv_cnt: CountCodec }),
});
/** 3502 库存变更. */
export const StockChangeInputSchema = z.object({
  invinfo: z.object({
    ...inventoryCore,
    inv_chg_type: req(6),
    pric: PriceCodec,
    cnt: CountCodec,
    inv_chg_time: CstTimeCodec,
    inv_chg_opter_name: req(50),
    trdn_flag: flag,
  }),
});

const purchaseCore = {
  ...inventoryCore,
  dynt_no: opt(str(50)),
  spler_name: req(200),
  spler_pmtno: opt(str(50)),
  prodentp_name: opt(str(200)),
  aprvno: opt(str(100)),
  finl_trns_pric: PriceCodec,
  purc_retn_cnt: CountCodec,
  purc_invo_codg: opt(str(50)),
  purc_invo_no: opt(str(50)),
  purc_retn_stoin_time: CstTimeCodec,
  purc_retn_opter_name: req(50),
  prod_geay_flag: opt(flag),
};
/** 3503 采购. */
export const PurchaseInputSchema = z.object({ purcinfo: z.object(purchaseCore) });
/** 3504 采购退货. */
export const PurchaseReturnInputSchema = z.object({
  purcinfo: z.object({ ...purchaseCore, medins_prod_purc_no: req(50) }),
});

const saleCore = {
  ...inventoryCore,
  prsc_dr_cert_type: opt(str(6)),
  prsc_dr_certno: opt(str(50)),
  prsc_dr_name: opt(str(50)),
  phar_cert_type: opt(str(6)),
  phar_certno: opt(str(50)),
  phar_name: opt(str(50)),
  phar_prac_cert_no: opt(str(50)),
  hi_feesetl_type: opt(str(6)),
  setl_id: opt(str(30)),
  mdtrt_sn: opt(str(30)),
  psn_no: opt(str(30)),
  psn_cert_type: opt(str(6)),
  certno: opt(str(50)),
  psn_name: opt(str(50)),
  trdn_flag: flag,
  finl_trns_pric: PriceCodec,
  rxno: opt(str(40)),
  rx_circ_flag: opt(flag),
  rtal_docno: req(40),
  stoout_no: opt(str(40)),
  bchno: opt(str(30)),
  drug_prod_barc: opt(str(30)),
  shelf_posi: opt(str(50)),
  sel_retn_cnt: CountCodec,
  sel_retn_time: CstTimeCodec,
  sel_retn_opter_name: req(50),
  /** 1 insured, 2 self-pay. */
  mdtrt_setl_type: z.enum(['1', '2']),
};
/** 3505 销售. */
export const SaleInputSchema = z.object({ selinfo: z.object(saleCore) });
/** 3506 销售退货. */
export const SaleReturnInputSchema = z.object({ selinfo: z.object({ ...saleCore, medins_prod_sel_no: req(50) }) });
/** 3507 删除: `inv_data_type` 1 count, 2 change, 3 purchase, 4 sale. */
export const InventoryDeleteInputSchema = z.object({
  data: z.object({ fixmedins_bchno: req(30), inv_data_type: z.enum(['1', '2', '3', '4']) }),
});

/** What 3501–3507 answer: `retRslt` "1" accepted (uncertain across provinces; absent output counts as accepted). */
export const InventoryOutputSchema = z.optional(
  z.nullable(z.looseObject({ retRslt: outCode, msgRslt: opt(z.nullable(z.string())) })),
);

// ——— YG01–YG05 provincial extensions ———

/** YG01 invoice upload: the signed invoice record as the terminal stored it. */
export const InvoiceUploadInputSchema = z.object({
  invoice: z.object({
    terminal_id: IdSchema,
    seq: z.int().check(z.gte(1)),
    hash: Sha256HexSchema,
    record: z.record(z.string(), z.unknown()),
  }),
});
export const InvoiceUploadOutputSchema = z.looseObject({ accepted: WireCodeCodec, hash: opt(z.string()) });

/** YG02 invoice verification: does the platform hold this invoice with this hash? */
export const InvoiceVerifyInputSchema = z.object({
  data: z.object({
    fixmedins_code: InstitutionCodeSchema,
    terminal_id: IdSchema,
    seq: z.int().check(z.gte(1)),
    hash: Sha256HexSchema,
  }),
});
export const InvoiceVerifyOutputSchema = z.looseObject({
  /** 1 found with this hash, 0 not found, 2 found with another hash (altered). */
  result: z.enum(['0', '1', '2']),
  upload_time: opt(z.nullable(z.string())),
});

/** YG03 rule-pack download: the newest signed pack for an area, if newer than `cur_ver`. */
export const RulePackDownloadInputSchema = z.object({
  data: z.object({ admdvs: AreaCodeSchema, cur_ver: z.int().check(z.gte(0)) }),
});
export const RulePackDownloadOutputSchema = z.looseObject({ pack: opt(z.nullable(z.record(z.string(), z.unknown()))) });

/** YG04 terminal key registration. */
export const KeyRegistrationInputSchema = z.object({
  data: z.object({
    terminal_id: IdSchema,
    key_id: IdSchema,
    /** Ed25519 public key, base64url (32 bytes → 43 characters). */
    pubkey: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'Expected a base64url Ed25519 public key')),
    begntime: CstTimeCodec,
    /**
     * When rotating: the previous (registered) key's Ed25519 signature, base64url, over the UTF-8 of
     * `canonicalJson({ key_id, pubkey })` of the new key; the request itself is still signed with the previous key.
     */
    handover_sig: opt(Ed25519SignatureSchema),
  }),
});
export const KeyRegistrationOutputSchema = z.looseObject({ key_id: WireCodeCodec, registered: WireCodeCodec });

/** YG05 追溯码 status: has each code been sold, where and when. */
export const TraceStatusInputSchema = z.object({
  data: z.object({ drug_trac_codg: z.array(req(100)).check(z.minLength(1), z.maxLength(1000)) }),
});
export const TraceStatusOutputSchema = z.looseObject({
  result: z.array(
    z.looseObject({
      drug_trac_codg: WireCodeCodec,
      /** 1 sold before (回流 risk), 0 never sold. */
      sel_flag: WireCodeCodec,
      fixmedins_code: outCode,
      sel_time: opt(z.nullable(z.string())),
    }),
  ),
});

// ——— YG06 provincial extension (yibao-guard): the audit trail of a sale ———

/**
 * YG06 审核留痕上传: the audit trail of one sale (its reviews, the cards shown, overrides with reasons, actions),
 * uploaded with the sale. The events are already free of unmasked personal data (see the audit schemas).
 */
export const AuditUploadInputSchema = z.object({
  data: z.object({
    terminal_id: IdSchema,
    sale_id: IdSchema,
    setl_id: opt(str(30)),
    events: z.array(z.record(z.string(), z.unknown())).check(z.maxLength(1000)),
  }),
});
export const AuditUploadOutputSchema = z.looseObject({ accepted: WireCodeCodec, count: opt(z.number()) });

// ——— YG07–YG08 provincial extensions (yibao-guard): 进销存 batch upload, platform stock query ———
// Not in the national list (see spec/platform.md). A province without them answers "unknown infno" (-2):
// the sync worker then sends the same records one by one (3501–3507), and reconciliation is not available.

/** The 进销存 reports a YG07 batch may carry. */
export const ReportInfnoSchema = z.enum(['3501', '3502', '3503', '3504', '3505', '3506', '3507']);
/** The largest YG07 batch. */
export const REPORT_BATCH_MAX = 500;

/** A contained message's wire input, passed through as is: it is checked as the message's own infno's input, alone. */
const ReportBatchMessageInput = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'Expected the input object',
);

/**
 * YG07 进销存批量上传: up to {@link REPORT_BATCH_MAX} 3501–3507 messages in one request, each exactly the message
 * it would be alone (its own `msgid`, `inf_time` and wire `input`). The platform applies them in order as if
 * each had come alone: msgid order per terminal, a repeated msgid answered with its first answer, a refusal
 * (-2) for that record only. The batch's own msgid only identifies the request.
 */
export const ReportBatchInputSchema = z.object({
  msgs: z
    .array(
      z.object({
        infno: ReportInfnoSchema,
        msgid: MsgidSchema,
        inf_time: CstTimeCodec,
        input: ReportBatchMessageInput,
      }),
    )
    .check(z.minLength(1), z.maxLength(REPORT_BATCH_MAX)),
});
/** One answer per message, in the order sent: what the message alone would have answered. */
export const ReportBatchOutputSchema = z.looseObject({
  result: z.array(
    z.looseObject({
      msgid: WireCodeCodec,
      infcode: WireCodeCodec,
      err_msg: opt(z.nullable(z.string())),
      output: opt(z.unknown()),
    }),
  ),
});

/**
 * YG08 库存查询: this pharmacy's stock per product and batch as the platform holds it (from its 35xx), a page at a time.
 */
export const StockQueryInputSchema = z.object({
  data: z.object({
    /** From 1. */
    page_num: z.int().check(z.gte(1)),
    page_size: z.int().check(z.gte(1), z.lte(1000)),
    /** Only this product (`fixmedins_hilist_id`). */
    fixmedins_hilist_id: opt(str(30)),
  }),
});
export const StockQueryOutputSchema = z.looseObject({
  /** Lines in a stable order (product, then batch). */
  result: z.array(
    z.looseObject({
      fixmedins_hilist_id: WireCodeCodec,
      fixmedins_bchno: WireCodeCodec,
      med_list_codg: outCode,
      inv_cnt: CountCodec,
    }),
  ),
  /** How many lines there are in all. */
  total: z.union([z.number(), z.string()]),
});

// ——— the catalog ———

/**
 * How a transaction may be retried:
 * - `query`: reads or computes, changes nothing (retry freely);
 * - `report`: a write the platform deduplicates by `msgid` (retry with the same msgid);
 * - `settle`: moves money (retry only with the same msgid when the province deduplicates; otherwise a lost
 *   answer is resolved by reversal, never by sending again).
 */
export type TransactionKind = 'session' | 'query' | 'report' | 'settle';

/** A transaction's name, retry kind and schemas. @inline */
interface TransactionSpec<I extends z.ZodMiniType, O extends z.ZodMiniType> {
  readonly name: string;
  readonly kind: TransactionKind;
  /** The `input` names a person, so the envelope carries `insuplc_admdvs`. */
  readonly person: boolean;
  readonly input: I;
  readonly output: O;
}

function spec<I extends z.ZodMiniType, O extends z.ZodMiniType>(
  name: string,
  kind: TransactionKind,
  person: boolean,
  input: I,
  output: O,
): TransactionSpec<I, O> {
  return { name, kind, person, input, output };
}

/** Every transaction the client speaks and the simulator serves, by `infno`. */
export const TRANSACTIONS = {
  '9001': spec('签到 sign-in', 'session', false, SignInInputSchema, SignInOutputSchema),
  '9002': spec('签退 sign-out', 'session', false, SignOutInputSchema, SignOutOutputSchema),
  '1101': spec('人员信息获取 person query', 'query', false, PersonQueryInputSchema, PersonQueryOutputSchema),
  '2101': spec(
    '药店预结算 pharmacy pre-settlement',
    'query',
    true,
    PharmacySettleInputSchema,
    PharmacySettleOutputSchema,
  ),
  '2102': spec('药店结算 pharmacy settlement', 'settle', true, PharmacySettleInputSchema, PharmacySettleOutputSchema),
  '2103': spec(
    '药店结算撤销 settlement cancellation',
    'settle',
    true,
    SettlementCancelInputSchema,
    SettlementCancelOutputSchema,
  ),
  '2001': spec('人员待遇享受检查 benefit check', 'query', true, BenefitCheckInputSchema, BenefitCheckOutputSchema),
  '2601': spec('冲正交易 reversal', 'settle', true, ReversalInputSchema, ReversalOutputSchema),
  '3101': spec('事前事中分析 pre/in-event analysis', 'query', true, AnalysisInputSchema, AnalysisOutputSchema),
  '5301': spec(
    '人员慢特病备案查询 chronic-disease registrations',
    'query',
    true,
    ChronicQueryInputSchema,
    ChronicQueryOutputSchema,
  ),
  '3501': spec('商品盘存上传 stock count', 'report', false, StockCountInputSchema, InventoryOutputSchema),
  '3502': spec('商品信息变更 stock change', 'report', false, StockChangeInputSchema, InventoryOutputSchema),
  '3503': spec('商品采购 purchase', 'report', false, PurchaseInputSchema, InventoryOutputSchema),
  '3504': spec('商品采购退货 purchase return', 'report', false, PurchaseReturnInputSchema, InventoryOutputSchema),
  '3505': spec('商品销售 sale', 'report', false, SaleInputSchema, InventoryOutputSchema),
  '3506': spec('商品销售退货 sale return', 'report', false, SaleReturnInputSchema, InventoryOutputSchema),
  '3507': spec('商品信息删除 delete', 'report', false, InventoryDeleteInputSchema, InventoryOutputSchema),
  YG01: spec('电子票据上传 invoice upload', 'report', false, InvoiceUploadInputSchema, InvoiceUploadOutputSchema),
  YG02: spec('电子票据查验 invoice verification', 'query', false, InvoiceVerifyInputSchema, InvoiceVerifyOutputSchema),
  YG03: spec(
    '规则包下载 rule-pack download',
    'query',
    false,
    RulePackDownloadInputSchema,
    RulePackDownloadOutputSchema,
  ),
  YG04: spec(
    '终端密钥登记 terminal key registration',
    'report',
    false,
    KeyRegistrationInputSchema,
    KeyRegistrationOutputSchema,
  ),
  YG05: spec('追溯码状态查询 trace-code status', 'query', false, TraceStatusInputSchema, TraceStatusOutputSchema),
  YG06: spec('审核留痕上传 audit trail upload', 'report', false, AuditUploadInputSchema, AuditUploadOutputSchema),
  // YG07–YG08 (yibao-guard provincial extensions): 进销存 batch upload, platform stock query.
  YG07: spec('进销存批量上传 inventory batch upload', 'report', false, ReportBatchInputSchema, ReportBatchOutputSchema),
  YG08: spec('库存查询 platform stock query', 'query', false, StockQueryInputSchema, StockQueryOutputSchema),
} as const;

export type Infno = keyof typeof TRANSACTIONS;
/** What the caller gives for a transaction: amounts in 分, times in epoch ms. */
export type TransactionInput<N extends Infno> = z.output<(typeof TRANSACTIONS)[N]['input']>;
/** What the caller gets back, decoded: amounts in 分. */
export type TransactionOutput<N extends Infno> = z.output<(typeof TRANSACTIONS)[N]['output']>;
/** The input as it travels on the wire (yuan, CST text). */
export type WireInput<N extends Infno> = z.input<(typeof TRANSACTIONS)[N]['input']>;
