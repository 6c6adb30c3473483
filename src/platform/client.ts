import type { Signer } from '../crypto/index.js';
import { InputError, type PlatformRejectedError, type PlatformUnavailableError } from '../errors/index.js';
import type { PlatformEvent } from './events.js';
import type { GatewayAuth } from './gateway.js';
import type { MsgidSource } from './msgid.js';
import type { Infno, TransactionInput, TransactionOutput, WireInput } from './transactions.js';
import type { PlatformFetch } from './transport.js';
import { createClientContext, type ClientContext } from './client-context.js';
import { prepareCall } from './client-prepare.js';
import { sendReportBatch } from './client-reports.js';
import { resolvePrepared, sendPrepared } from './client-send.js';

/*
 * The provincial platform client: the national envelope around each transaction, the sign-in it needs,
 * retries where they cannot charge anyone twice, and an error for every way a call can end. Writes are made in
 * two steps (prepare, then send) so that the caller stores a write's msgid before the request leaves: the
 * msgid is what resolves, or reverses, a write whose answer was lost.
 */

/**
 * What the client needs to know about itself and the platform. Checked when the client is created
 * (`InputError` `INVALID_INPUT` naming the field), so a wrong area code fails at start-up, not at the counter.
 *
 * @example
 * const options: PlatformClientOptions = {
 *   baseUrl: 'https://hsa.example.gov.cn',
 *   institution: { code: 'P22010100001', name: '长春市示例大药房' },
 *   area: '220102',
 *   operator: { id: 'S001', name: '王药师' },
 *   device: { no: 'T01', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' },
 *   idempotentMsgid: false, // this province does not deduplicate msgids: lost settlements are reversed
 * }
 */
export interface PlatformClientOptions {
  /** The platform's (or its gateway's) base URL, e.g. `https://ybj.jl.gov.cn:8080`; the call path is appended. */
  readonly baseUrl: string;
  /** The pharmacy: `fixmedins_code` (also the msgid's first part, 1–12 characters) and `fixmedins_name`. */
  readonly institution: { readonly code: string; readonly name: string };
  /** `mdtrtarea_admvs`: the 6-digit area code where the sale happens (就医地). */
  readonly area: string;
  /** `opter`, `opter_name`, `opter_type` (1 staff, 2 self-service kiosk, 3 mobile terminal; default 1). */
  readonly operator: { readonly id: string; readonly name: string; readonly type?: '1' | '2' | '3' };
  /** The terminal: `dev_no`, its MAC and IP (sent at sign-in), and `dev_safe_info` where the province wants it. */
  readonly device: { readonly no: string; readonly mac: string; readonly ip: string; readonly safeInfo?: string };
  /** `recer_sys_code`, province-specific. @default 'YBXT' */
  readonly recerSysCode?: string;
  /** `infver`. @default 'V1.0' */
  readonly infver?: string;
  /** Credentials for the provincial gateway in front of the platform. @default { scheme: 'none' } */
  readonly gateway?: GatewayAuth;
  /**
   * Signs every request: `cainfo` = base64url signature of {@link signedBodyText}, `signtype` = `ED25519`. @default
   * unsigned
   */
  readonly signer?: Signer;
  /** The clock for `inf_time`, msgids and gateway timestamps. @default Date.now */
  readonly clock?: { now(): number };
  /** Randomness for gateway nonces and retry jitter. @default WebCrypto's getRandomValues */
  readonly random?: (n: number) => Uint8Array;
  /** The `fetch` to send with. @default the global `fetch`, read when a call is made */
  readonly fetch?: PlatformFetch;
  /**
   * How long one attempt waits for its whole answer, headers and body, in ms (each retry waits as long again).
   * A body still arriving when it is up is cut off: `PLATFORM_UNAVAILABLE`, or for a write
   * `PLATFORM_OUTCOME_UNKNOWN`. @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * The largest answer body read, in bytes (as decoded, after any gzip). A larger one is refused as soon as it
   * passes the cap, or before it is read when its Content-Length says so: `PLATFORM_PROTOCOL`, or for a write
   * `PLATFORM_OUTCOME_UNKNOWN`. @default 8388608 (8 MiB)
   */
  readonly maxResponseBytes?: number;
  /**
   * Retries of the calls that may be retried (see {@link PlatformClient}): `limit` retries after the first
   * attempt (default 2), exponential backoff with full jitter capped at `backoffLimitMs` (default 3000); a
   * Retry-After is waited out, unless it is longer than `maxRetryAfterMs` (default 10000): then the call fails
   * at once with `retryAfterMs` set, since a customer is waiting at the counter.
   */
  readonly retry?: { readonly limit?: number; readonly backoffLimitMs?: number; readonly maxRetryAfterMs?: number };
  /** Where msgids come from. @default createMsgidSource({ institutionCode: institution.code, terminalDigit: 0 }) */
  readonly msgids?: MsgidSource;
  /** 2101/2102 node names where the province renames them (on the wire only). @default druginfo, drugdetail */
  readonly nodeNames?: { readonly druginfo?: string; readonly drugdetail?: string };
  /**
   * The platform answers a repeated msgid with its first answer. When true, a settlement (2102, 2103, 2601)
   * whose answer was lost is retried and resolved with the same msgid; when false, it is sent once, and a lost
   * answer is `PLATFORM_OUTCOME_UNKNOWN`, to be reversed. @default true
   */
  readonly idempotentMsgid?: boolean;
  /**
   * Turns `output` into the object the transaction's schema reads: for gateways that encrypt it. May be async.
   * @default an object as is, a JSON string parsed
   */
  readonly decodeOutput?: (output: unknown, infno: Infno) => unknown;
  /**
   * Whether a refusal means the `sign_no` expired (then the client signs in again and resends the same call once).
   * @default non-zero infcode and err_msg matching /签到.*(失效|过期|无效)|未签到|sign.?in.*expired/i
   */
  readonly isSignInExpired?: (infcode: number, errMsg: string) => boolean;
  /**
   * Log hook: infno, msgid, attempts, duration, outcome; never the input or the output. Must not throw (if it does, it
   * is ignored).
   */
  readonly onEvent?: (event: PlatformEvent) => void;
}

/**
 * Per-call envelope values.
 *
 * @example
 * await platform.report('3505', { selinfo }, { msgid: outboxEntry.msgid })
 */
export interface CallOptions {
  /** Use this msgid (e.g. one stored before a restart) instead of the next from the msgid source. */
  readonly msgid?: string;
  /**
   * `insuplc_admdvs`, the buyer's insurance area (1101 `insuinfo[].insuplc_admdvs`): required where the input names a
   * person.
   */
  readonly insuplcAdmdvs?: string;
}

/**
 * Call options of a transaction whose input names a person (2101, 2102, 2103, 2601, 3101). `''` sends an
 * empty `insuplc_admdvs`, for provinces that accept it for local buyers.
 *
 * @example
 * const options: PersonCallOptions = { insuplcAdmdvs: person.insuinfo[0].insuplc_admdvs }
 */
export interface PersonCallOptions extends CallOptions {
  readonly insuplcAdmdvs: string;
}

/**
 * A call whose msgid and `inf_time` are fixed and whose input is already checked and encoded. A plain JSON
 * value: store it (with the sale, as it holds personal data) before sending a write, so that after a lost
 * answer or a restart it can be resolved with {@link PlatformClient.resolve} or reversed by its msgid.
 * `send` checks a stored one again before sending it.
 *
 * @example
 * const prepared = platform.prepare('2102', settlement, { insuplcAdmdvs })
 * await storage.put('pending-settlements', prepared.msgid, prepared)
 */
export interface PreparedCall<N extends Infno = Infno> {
  readonly infno: N;
  readonly msgid: string;
  /** `inf_time`, epoch ms. */
  readonly infTime: number;
  /** `insuplc_admdvs`, for a transaction whose input names a person. */
  readonly insuplcAdmdvs?: string;
  /** The input in wire form (yuan, CST text), with the national node names. */
  readonly input: WireInput<N>;
}

/**
 * The 进销存 reports, 3501–3507.
 *
 * @example
 * const infno: ReportInfno = MOVEMENT_INFNO[movement.kind]
 */
export type ReportInfno = '3501' | '3502' | '3503' | '3504' | '3505' | '3506' | '3507';

/**
 * A client of the provincial platform. Every business call signs in first when needed (9001, shared by calls
 * made at once) and signs in again, once, when the platform says the sign-in expired (then the same prepared
 * call, same msgid, is sent again: the platform refused it, so nothing was done).
 *
 * How calls end:
 * - the decoded output (amounts in 分, times as sent);
 * - `PlatformRejectedError` (`PLATFORM_REJECTED`): a non-zero `infcode`, with the platform's message masked;
 * - `PlatformUnavailableError` `PLATFORM_UNAVAILABLE`: no answer (network, timeout, 408, 429, 5xx) after the
 *   retries; nothing happened;
 * - `PlatformUnavailableError` `PLATFORM_OUTCOME_UNKNOWN`: a write (settlement or report) that may have
 *   reached the platform got no usable answer, or got `infcode` -1: resolve or reverse it by its msgid;
 * - `PlatformProtocolError` (`PLATFORM_PROTOCOL`): an answer not in the interface's form, or an HTTP 4xx;
 * - `PlatformError` `PLATFORM_AUTH_FAILED`: the gateway refused the credentials (HTTP 401/403);
 * - `PlatformError` `PLATFORM_SIGN_IN_FAILED`: 9001 was refused (the business call was not sent);
 * - `InputError` `INVALID_INPUT`: bad input, before anything is sent.
 *
 * Retries (same body, same msgid): queries, sign-in and reports always; settlements only with
 * `idempotentMsgid` (the default), since without it a repeated settlement could charge twice.
 *
 * @example
 * const prepared = platform.prepare('2102', settlement, { insuplcAdmdvs })
 * await outbox.remember(prepared)
 * try {
 *   return await platform.send(prepared)
 * } catch (error) {
 *   if (!isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) throw error
 *   return await platform.resolve(prepared) // still unknown? keep the msgid; reverse (2601) when the platform is back
 * }
 */
export interface PlatformClient {
  /** The cached `sign_no`, or undefined before sign-in and after sign-out. */
  readonly signNo: string | undefined;

  /**
   * Checks and encodes a call and fixes its msgid and `inf_time`, without sending it. Bad input throws
   * `InputError` `INVALID_INPUT` here, before anything is stored or sent.
   *
   * @example
   * const prepared = platform.prepare('2102', settlement, { insuplcAdmdvs: buyer.insuplcAdmdvs })
   * await outbox.remember(prepared) // the msgid is stored before the request leaves
   * const result = await platform.send(prepared)
   */
  prepare<N extends Infno>(infno: N, input: TransactionInput<N>, options?: CallOptions): PreparedCall<N>;

  /**
   * Sends a prepared call (signing in first if needed) and returns its decoded output.
   *
   * For a write, the recommended flow: store `prepared.msgid`, send; on `PLATFORM_OUTCOME_UNKNOWN` call
   * {@link PlatformClient.resolve}; if the platform is still unreachable, keep the msgid and, when it is
   * back, resolve or reverse (2601 with `omsgid`). Never settle again with a new msgid.
   *
   * @example
   * try { return await platform.send(prepared) }
   * catch (error) { if (isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) return await platform.resolve(prepared);
   * throw error }
   */
  send<N extends Infno>(prepared: PreparedCall<N>): Promise<TransactionOutput<N>>;

  /**
   * Prepares and sends in one step: for queries, or a write whose msgid the caller does not need to keep.
   *
   * @example
   * const person = await platform.call('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: idNumber } })
   */
  call<N extends Infno>(infno: N, input: TransactionInput<N>, options?: CallOptions): Promise<TransactionOutput<N>>;

  /**
   * Finds out how a write whose answer was lost ended. With `idempotentMsgid` it sends the same prepared call
   * again (same msgid), and the platform answers with its first answer: the settlement's result, or its
   * refusal. Without it, a settlement cannot be asked again: it throws `PLATFORM_OUTCOME_UNKNOWN` at once,
   * naming the msgid to reverse with 2601 ({@link PlatformClient.reverse}). Reports (deduplicated by msgid)
   * and queries are simply sent again.
   *
   * @example
   * const result = await platform.resolve(storedPrepared)
   */
  resolve<N extends Infno>(prepared: PreparedCall<N>): Promise<TransactionOutput<N>>;

  /**
   * 9001 sign-in now (business calls also sign in by themselves when needed); caches `sign_no`.
   *
   * @example
   * const { signinoutb } = await platform.signIn()
   */
  signIn(): Promise<TransactionOutput<'9001'>>;

  /**
   * 9002 sign-out of the cached `sign_no`, which is forgotten even if the platform refuses; nothing to do when
   * not signed in.
   *
   * @example
   * await platform.signOut()
   */
  signOut(): Promise<void>;

  /**
   * 1101 person query.
   *
   * @example
   * const { baseinfo, insuinfo } = await platform.queryPerson({ data: { mdtrt_cert_type: '01', mdtrt_cert_no: ecToken }
   * })
   */
  queryPerson(input: TransactionInput<'1101'>, options?: CallOptions): Promise<TransactionOutput<'1101'>>;

  /**
   * 2101 pharmacy pre-settlement: what the fund would pay, committing nothing. Amounts in 分.
   *
   * @example
   * const { setlinfo } = await platform.preSettle({ druginfo, drugdetail }, { insuplcAdmdvs: '220102' })
   */
  preSettle(input: TransactionInput<'2101'>, options: PersonCallOptions): Promise<TransactionOutput<'2101'>>;

  /**
   * 2102 pharmacy settlement: moves money. Prefer `prepare('2102', …)` + `send` so the msgid is stored first.
   *
   * @example
   * const { setlinfo } = await platform.settle({ druginfo: { ...druginfo, invono }, drugdetail }, { insuplcAdmdvs:
   * '220102' })
   */
  settle(input: TransactionInput<'2102'>, options: PersonCallOptions): Promise<TransactionOutput<'2102'>>;

  /**
   * 2103 settlement cancellation.
   *
   * @example
   * await platform.cancelSettlement({ setl_id, mdtrt_id, psn_no }, { insuplcAdmdvs: '220102' })
   */
  cancelSettlement(
    data: TransactionInput<'2103'>['data'],
    options: PersonCallOptions,
  ): Promise<TransactionOutput<'2103'>>;

  /**
   * 2601 reversal (冲正) of a 2102/2103 whose answer was lost, by its msgid.
   *
   * @example
   * await platform.reverse({ psn_no, omsgid: prepared.msgid, oinfno: prepared.infno }, { insuplcAdmdvs:
   * prepared.insuplcAdmdvs })
   */
  reverse(data: TransactionInput<'2601'>['data'], options: PersonCallOptions): Promise<TransactionOutput<'2601'>>;

  /**
   * 2001 benefit check (人员待遇享受检查): whether the person may draw on the fund for this visit, before
   * settlement. A row with `trt_enjymnt_flag` other than '1' is a benefit refused, `trt_chk_rslt` says why.
   *
   * @example
   * const { trtinfo } = await platform.checkBenefits({ data: { psn_no, insutype: '310', fixmedins_code, med_type:
   * '41', begntime: Date.now() } }, { insuplcAdmdvs: '220102' })
   */
  checkBenefits(input: TransactionInput<'2001'>, options: PersonCallOptions): Promise<TransactionOutput<'2001'>>;

  /**
   * 5301 chronic-disease registrations (人员慢特病备案查询): the person's 门诊慢特病 filings with their dates.
   *
   * @example
   * const { feedetail } = await platform.queryChronicDiseases({ data: { psn_no } }, { insuplcAdmdvs: '220102' })
   */
  queryChronicDiseases(input: TransactionInput<'5301'>, options: PersonCallOptions): Promise<TransactionOutput<'5301'>>;

  /**
   * 3101 pre-event / in-event analysis: the platform's rule findings for the orders.
   *
   * @example
   * const { result } = await platform.analyze({ data: { syscode, task_id, trig_scen: '10', patient_dtos } }, {
   * insuplcAdmdvs: '220102' })
   */
  analyze(input: TransactionInput<'3101'>, options: PersonCallOptions): Promise<TransactionOutput<'3101'>>;

  /**
   * A 进销存 report (3501–3507), deduplicated by the platform by msgid (so retried and resolvable).
   *
   * @example
   * await platform.report('3505', { selinfo }, { msgid: outboxEntry.msgid })
   */
  report<N extends ReportInfno>(
    infno: N,
    input: TransactionInput<N>,
    options?: CallOptions,
  ): Promise<TransactionOutput<N>>;

  /**
   * YG01 signed-invoice upload.
   *
   * @example
   * await platform.uploadInvoice({ invoice: { terminal_id, seq, hash, record } })
   */
  uploadInvoice(input: TransactionInput<'YG01'>, options?: CallOptions): Promise<TransactionOutput<'YG01'>>;

  /**
   * YG02 invoice verification: does the platform hold this invoice with this hash?
   *
   * @example
   * const { result } = await platform.verifyInvoice({ data: { fixmedins_code, terminal_id, seq, hash } })
   */
  verifyInvoice(input: TransactionInput<'YG02'>, options?: CallOptions): Promise<TransactionOutput<'YG02'>>;

  /**
   * YG03 rule-pack download: the newest signed pack for an area, if newer than `cur_ver` (else `pack: null`).
   * `pack` is `{ pack, keyId, sig }`: `sig` is the platform key's Ed25519 signature (base64url) over the UTF-8 of
   * `canonicalJson(pack.pack)`; verify it before use.
   *
   * @example
   * const { pack } = await platform.downloadRulePack({ data: { admdvs: '220102', cur_ver: 7 } })
   */
  downloadRulePack(input: TransactionInput<'YG03'>, options?: CallOptions): Promise<TransactionOutput<'YG03'>>;

  /**
   * YG04 terminal public-key registration. Once registered, the platform refuses this `dev_no`'s requests
   * without a valid `cainfo`. A rotation is sent by the client that still signs with the registered key, with
   * `handover_sig`: that key's signature over `canonicalJson({ key_id, pubkey })` of the new key.
   *
   * @example
   * await platform.registerKey({ data: { terminal_id, key_id: signer.keyId, pubkey: toBase64Url(signer.publicKey),
   * begntime: clock.now() } })
   * // rotation, from the client that signs with the old key:
   * const handover_sig = toBase64Url(await oldSigner.sign(new TextEncoder().encode(canonicalJson({ key_id: next.keyId,
   * pubkey }))))
   */
  registerKey(input: TransactionInput<'YG04'>, options?: CallOptions): Promise<TransactionOutput<'YG04'>>;

  /**
   * YG05 追溯码 status: has each code been sold before, where and when.
   *
   * @example
   * const { result } = await platform.traceStatus({ data: { drug_trac_codg: [code] } })
   */
  traceStatus(input: TransactionInput<'YG05'>, options?: CallOptions): Promise<TransactionOutput<'YG05'>>;

  /**
   * YG07 (provincial extension): several prepared 3501–3507 reports in one request, each with its own msgid,
   * answered one by one in order: the output, or the error the record alone would have ended with
   * (`PLATFORM_REJECTED` with the platform's reason; `PLATFORM_OUTCOME_UNKNOWN` for infcode -1 or a missing
   * answer). A failure of the request itself is thrown as for `send` (nothing in it is known to be done:
   * send the same records again, the platform answers a repeated msgid with its first answer).
   *
   * @example
   * const answers = await platform.sendReports(preparedReports)
   * for (const a of answers) if ('error' in a) console.log(a.msgid, a.error.code)
   */
  sendReports(prepared: readonly PreparedCall[]): Promise<readonly ReportAnswer[]>;

  /**
   * YG08 (provincial extension): a page of this pharmacy's stock per product and batch as the platform holds it.
   *
   * @example
   * const { result, total } = await platform.queryStock({ data: { page_num: 1, page_size: 500 } })
   */
  queryStock(input: TransactionInput<'YG08'>, options?: CallOptions): Promise<TransactionOutput<'YG08'>>;
}

/**
 * One record's answer in a YG07 batch: its output, or how it ended.
 *
 * @example
 * const ok = answers.filter((a): a is Extract<ReportAnswer, { output: unknown }> => 'output' in a)
 */
export type ReportAnswer =
  | { readonly msgid: string; readonly output: TransactionOutput<ReportInfno> }
  | { readonly msgid: string; readonly error: PlatformRejectedError | PlatformUnavailableError };

/**
 * Creates a platform client. Nothing is sent and no global is read until the first call.
 *
 * @example
 * const platform = createPlatformClient({
 *   baseUrl: 'https://hsa.example.gov.cn',
 *   institution: { code: 'P22010100001', name: '长春市示例大药房' },
 *   area: '220102',
 *   operator: { id: 'S001', name: '王药师' },
 *   device: { no: 'T01', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' },
 *   gateway: { scheme: 'tif', paasid: 'yg', secret },
 *   msgids: createMsgidSource({ institutionCode: 'P22010100001', terminalDigit: 1 }),
 * })
 * const person = await platform.queryPerson({ data: { mdtrt_cert_type: '01', mdtrt_cert_no: ecToken } })
 */
export function createPlatformClient(options: PlatformClientOptions): PlatformClient {
  const ctx = createClientContext(options);
  const call = <N extends Infno>(
    infno: N,
    input: TransactionInput<N>,
    callOptions?: CallOptions,
  ): Promise<TransactionOutput<N>> => callTransaction(ctx, infno, input, callOptions);

  return {
    get signNo() {
      return ctx.session.current;
    },
    prepare: <N extends Infno>(infno: N, input: TransactionInput<N>, callOptions?: CallOptions) =>
      prepareCall(ctx, infno, input, callOptions),
    send: (prepared) => sendPrepared(ctx, prepared),
    call,
    resolve: (prepared) => resolvePrepared(ctx, prepared),
    async signIn() {
      await ctx.session.renew();
      return ctx.lastSignIn as TransactionOutput<'9001'>;
    },
    signOut: () => signOut(ctx),
    queryPerson: (input, callOptions) => call('1101', input, callOptions),
    preSettle: (input, callOptions) => call('2101', input, callOptions),
    settle: (input, callOptions) => call('2102', input, callOptions),
    cancelSettlement: (data, callOptions) => call('2103', { data }, callOptions),
    reverse: (data, callOptions) => call('2601', { data }, callOptions),
    checkBenefits: (input, callOptions) => call('2001', input, callOptions),
    queryChronicDiseases: (input, callOptions) => call('5301', input, callOptions),
    analyze: (input, callOptions) => call('3101', input, callOptions),
    report: (infno, input, callOptions) => {
      if (!/^350[1-7]$/.test(infno)) {
        return Promise.reject(
          new InputError('INVALID_INPUT', {
            message: 'report() takes 3501–3507',
            messageZh: 'report() 仅用于 3501–3507 交易',
            field: 'infno',
          }),
        );
      }
      return call(infno, input, callOptions);
    },
    uploadInvoice: (input, callOptions) => call('YG01', input, callOptions),
    verifyInvoice: (input, callOptions) => call('YG02', input, callOptions),
    downloadRulePack: (input, callOptions) => call('YG03', input, callOptions),
    registerKey: (input, callOptions) => call('YG04', input, callOptions),
    traceStatus: (input, callOptions) => call('YG05', input, callOptions),
    sendReports: (prepared) => sendReportBatch(ctx, prepared),
    queryStock: (input, callOptions) => call('YG08', input, callOptions),
  };
}

/** Prepares and sends in one step; bad input is a rejected promise, not a throw. */
function callTransaction<N extends Infno>(
  ctx: ClientContext,
  infno: N,
  input: TransactionInput<N>,
  callOptions: CallOptions | undefined,
): Promise<TransactionOutput<N>> {
  try {
    return sendPrepared(ctx, prepareCall(ctx, infno, input, callOptions));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** 9002 for the cached `sign_no`, which is forgotten even if the platform refuses; nothing when not signed in. */
async function signOut(ctx: ClientContext): Promise<void> {
  const signNo = ctx.session.current;
  if (signNo === undefined) return;
  try {
    await callTransaction(ctx, '9002', { signOut: { sign_no: signNo, opter_no: ctx.operator.id } }, undefined);
  } finally {
    // Even a refused sign-out ends this sign-in: the platform no longer takes it, or soon will not.
    ctx.session.invalidate(signNo);
  }
}
