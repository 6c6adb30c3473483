import * as z from 'zod/mini';
import { randomBytes, toBase64Url, type Signer } from '../crypto/index.js';
import {
  InputError,
  PlatformError,
  PlatformProtocolError,
  PlatformRejectedError,
  PlatformUnavailableError,
  isYibaoGuardError,
  type PlatformCallInfo,
} from '../errors/index.js';
import { parseInput } from '../schemas/parse.js';
import { AreaCodeSchema, InstitutionCodeSchema } from '../schemas/primitives.js';
import { decodeJsonOutput, decodeOutput, readAnswer, type Answer } from './answer.js';
import { RequestEnvelopeSchema, MsgidSchema, signedBodyText } from './envelope.js';
import { emitter, type PlatformEvent } from './events.js';
import type { GatewayAuth } from './gateway.js';
import { createMsgidSource, type MsgidSource } from './msgid.js';
import { personalStrings, redact } from './redact.js';
import { createSignInSession } from './sign-in.js';
import { formatCstTime } from './time.js';
import { yuanToFen } from '../money.js';
import { TRANSACTIONS, type Infno, type TransactionInput, type TransactionKind, type TransactionOutput, type WireInput } from './transactions.js';
import { postEnvelope, type PlatformFetch, type TransportConfig } from './transport.js';

/*
 * The provincial platform client: the national envelope around each transaction, the sign-in it needs,
 * retries where they cannot charge anyone twice, and an error for every way a call can end. Writes are made in
 * two steps (prepare, then send) so that the caller stores a write's msgid before the request leaves: the
 * msgid is what resolves, or reverses, a write whose answer was lost.
 */

/** Where the national interface takes every business call. */
const CALL_PATH = '/fsi/api/rsfComIfsService/callService';

/** Default of `isSignInExpired`'s text test (the wording varies by province). */
const SIGN_IN_EXPIRED = /签到.*(失效|过期|无效)|未签到|sign.?in.*expired/i;

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
  /** Signs every request: `cainfo` = base64url signature of {@link signedBodyText}, `signtype` = `ED25519`. @default unsigned */
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
  /** Log hook: infno, msgid, attempts, duration, outcome; never the input or the output. Must not throw (if it does, it is ignored). */
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
  /** `insuplc_admdvs`, the buyer's insurance area (1101 `insuinfo[].insuplc_admdvs`): required where the input names a person. */
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
   * catch (error) { if (isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) return await platform.resolve(prepared); throw error }
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
   * const { baseinfo, insuinfo } = await platform.queryPerson({ data: { mdtrt_cert_type: '01', mdtrt_cert_no: ecToken } })
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
   * const { setlinfo } = await platform.settle({ druginfo: { ...druginfo, invono }, drugdetail }, { insuplcAdmdvs: '220102' })
   */
  settle(input: TransactionInput<'2102'>, options: PersonCallOptions): Promise<TransactionOutput<'2102'>>;

  /**
   * 2103 settlement cancellation.
   *
   * @example
   * await platform.cancelSettlement({ setl_id, mdtrt_id, psn_no }, { insuplcAdmdvs: '220102' })
   */
  cancelSettlement(data: TransactionInput<'2103'>['data'], options: PersonCallOptions): Promise<TransactionOutput<'2103'>>;

  /**
   * 2601 reversal (冲正) of a 2102/2103 whose answer was lost, by its msgid.
   *
   * @example
   * await platform.reverse({ psn_no, omsgid: prepared.msgid, oinfno: prepared.infno }, { insuplcAdmdvs: prepared.insuplcAdmdvs })
   */
  reverse(data: TransactionInput<'2601'>['data'], options: PersonCallOptions): Promise<TransactionOutput<'2601'>>;

  /**
   * 3101 pre-event / in-event analysis: the platform's rule findings for the orders.
   *
   * @example
   * const { result } = await platform.analyze({ data: { syscode, task_id, trig_scen: '10', patient_dtos } }, { insuplcAdmdvs: '220102' })
   */
  analyze(input: TransactionInput<'3101'>, options: PersonCallOptions): Promise<TransactionOutput<'3101'>>;

  /**
   * A 进销存 report (3501–3507), deduplicated by the platform by msgid (so retried and resolvable).
   *
   * @example
   * await platform.report('3505', { selinfo }, { msgid: outboxEntry.msgid })
   */
  report<N extends ReportInfno>(infno: N, input: TransactionInput<N>, options?: CallOptions): Promise<TransactionOutput<N>>;

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
   * await platform.registerKey({ data: { terminal_id, key_id: signer.keyId, pubkey: toBase64Url(signer.publicKey), begntime: clock.now() } })
   * // rotation, from the client that signs with the old key:
   * const handover_sig = toBase64Url(await oldSigner.sign(new TextEncoder().encode(canonicalJson({ key_id: next.keyId, pubkey }))))
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

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const nodeName = z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,49}$/, 'Expected a JSON node name')));

/** The options' data (functions and the gateway's union are typed, not parsed). */
const OptionsSchema = z.looseObject({
  baseUrl: z.string().check(z.regex(/^https?:\/\/[^\s?#]+$/, 'Expected an http(s) URL without query or fragment')),
  institution: z.looseObject({ code: InstitutionCodeSchema, name: text(1, 200) }),
  area: AreaCodeSchema,
  operator: z.looseObject({ id: text(1, 30), name: text(1, 50), type: z.optional(z.enum(['1', '2', '3'])) }),
  device: z.looseObject({ no: text(1, 100), mac: text(1, 30), ip: text(1, 40), safeInfo: z.optional(text(0, 2000)) }),
  recerSysCode: z.optional(text(1, 10)),
  infver: z.optional(text(1, 6)),
  timeoutMs: z.optional(z.int().check(z.gte(1), z.lte(2_147_483_647))),
  maxResponseBytes: z.optional(z.int().check(z.gte(1))),
  retry: z.optional(
    z.looseObject({
      limit: z.optional(z.int().check(z.gte(0), z.lte(10))),
      backoffLimitMs: z.optional(z.number().check(z.gte(0))),
      maxRetryAfterMs: z.optional(z.number().check(z.gte(0))),
    }),
  ),
  nodeNames: z.optional(z.looseObject({ druginfo: nodeName, drugdetail: nodeName })),
  idempotentMsgid: z.optional(z.boolean()),
});

const WRITES: ReadonlySet<TransactionKind> = new Set(['settle', 'report']);
const REPORT_INFNO = /^350[1-7]$/;

function isInfno(infno: unknown): infno is Infno {
  return typeof infno === 'string' && Object.hasOwn(TRANSACTIONS, infno);
}

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
  parseInput(OptionsSchema, options, { en: 'Platform client options', zh: '医保平台客户端配置' });
  // A snapshot of what was checked: changing the options object later cannot slip an unchecked value in.
  const area = options.area;
  const institution = { ...options.institution };
  const operator = { ...options.operator };
  const device = { ...options.device };
  const recerSysCode = options.recerSysCode ?? 'YBXT';
  const infver = options.infver ?? 'V1.0';
  const signer = options.signer;
  const clock = options.clock ?? { now: () => Date.now() };
  const random = options.random ?? randomBytes;
  const msgids = options.msgids ?? createMsgidSource({ institutionCode: institution.code });
  const idempotentMsgid = options.idempotentMsgid ?? true;
  const decode = options.decodeOutput ?? decodeJsonOutput;
  const isSignInExpired = options.isSignInExpired ?? ((infcode: number, errMsg: string) => infcode !== 0 && SIGN_IN_EXPIRED.test(errMsg));
  const emit = emitter(options.onEvent);
  const transport: TransportConfig = {
    endpoint: options.baseUrl.replace(/\/+$/, '') + CALL_PATH,
    gateway: options.gateway ?? { scheme: 'none' },
    now: () => clock.now(),
    random,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxResponseBytes: options.maxResponseBytes ?? 8 * 1024 * 1024,
    retryLimit: options.retry?.limit ?? 2,
    backoffLimitMs: options.retry?.backoffLimitMs ?? 3_000,
    maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 10_000,
    emit,
  };
  const drugInfoNode = options.nodeNames?.druginfo ?? 'druginfo';
  const drugDetailNode = options.nodeNames?.drugdetail ?? 'drugdetail';

  let lastSignIn: TransactionOutput<'9001'> | undefined;
  const session = createSignInSession(async () => {
    const output = await send(
      prepare('9001', { signIn: { opter_no: operator.id, mac: device.mac, ip: device.ip } }),
    );
    lastSignIn = output;
    return output.signinoutb.sign_no;
  });

  /** The wire input: 2101/2102 nodes renamed where the province wants other names. */
  function wireInput(prepared: PreparedCall): unknown {
    if ((prepared.infno !== '2101' && prepared.infno !== '2102') || (drugInfoNode === 'druginfo' && drugDetailNode === 'drugdetail')) return prepared.input;
    const { druginfo, drugdetail, ...rest } = prepared.input as { druginfo: unknown; drugdetail: unknown };
    return { ...rest, [drugInfoNode]: druginfo, [drugDetailNode]: drugdetail };
  }

  /** The request envelope, national field names in the national order; `cainfo` not yet filled. */
  function envelopeOf(prepared: PreparedCall, signNo: string | undefined): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      infno: prepared.infno,
      msgid: prepared.msgid,
      mdtrtarea_admvs: area,
      insuplc_admdvs: TRANSACTIONS[prepared.infno].person ? prepared.insuplcAdmdvs : undefined,
      recer_sys_code: recerSysCode,
      dev_no: device.no,
      dev_safe_info: device.safeInfo,
      cainfo: undefined,
      signtype: undefined,
      infver,
      opter_type: operator.type ?? '1',
      opter: operator.id,
      opter_name: operator.name,
      inf_time: formatCstTime(prepared.infTime),
      fixmedins_code: institution.code,
      fixmedins_name: institution.name,
      sign_no: signNo,
      input: wireInput(prepared),
    };
    return fields;
  }

  async function signedEnvelope(prepared: PreparedCall, signNo: string | undefined): Promise<Record<string, unknown>> {
    const envelope = envelopeOf(prepared, signNo);
    if (signer !== undefined) {
      const signature = await signer.sign(new TextEncoder().encode(signedBodyText(envelope)));
      envelope['cainfo'] = toBase64Url(signature);
      envelope['signtype'] = signer.algorithm;
    }
    // Absent optional fields are left out, not sent as null.
    return Object.fromEntries(Object.entries(envelope).filter(([, value]) => value !== undefined));
  }

  function prepare<N extends Infno>(infno: N, input: TransactionInput<N>, callOptions: CallOptions = {}): PreparedCall<N> {
    if (!isInfno(infno)) {
      throw new InputError('INVALID_INPUT', { message: 'Unknown transaction number (infno)', messageZh: '未知的交易编号（infno）', field: 'infno' });
    }
    const spec = TRANSACTIONS[infno];
    const encoded = encodeInput(infno, spec.input, input);
    const now = clock.now();
    if (spec.person && callOptions.insuplcAdmdvs === undefined) {
      throw new InputError('INVALID_INPUT', {
        message: `${infno} names a person: give insuplcAdmdvs, the buyer's insurance area (1101 insuinfo[].insuplc_admdvs)`,
        messageZh: `${infno} 交易涉及参保人：须提供 insuplcAdmdvs（参保地医保区划，见 1101 insuinfo[].insuplc_admdvs）`,
        field: 'insuplcAdmdvs',
      });
    }
    const prepared = {
      infno,
      msgid: callOptions.msgid ?? msgids.next(now),
      infTime: now,
      ...(spec.person && callOptions.insuplcAdmdvs !== undefined ? { insuplcAdmdvs: callOptions.insuplcAdmdvs } : {}),
      input: encoded as WireInput<N>,
    };
    checkEnvelope(prepared);
    return Object.freeze(prepared);
  }

  /** The envelope of a call (built from the options, a msgid maybe the caller's) follows the interface. */
  function checkEnvelope(prepared: PreparedCall): void {
    parseInput(RequestEnvelopeSchema, envelopeOf(prepared, undefined), { en: `Request envelope of ${prepared.infno}`, zh: `${prepared.infno} 交易的请求报文` });
  }

  /** A prepared call from storage is only trusted as far as it is checked. */
  function checkPrepared(prepared: PreparedCall): void {
    if (prepared === null || typeof prepared !== 'object' || !isInfno(prepared.infno) || !MsgidSchema.safeParse(prepared.msgid).success || !Number.isSafeInteger(prepared.infTime)) {
      throw new InputError('INVALID_INPUT', { message: 'Not a prepared call (infno, msgid, infTime)', messageZh: '不是有效的预备交易（infno、msgid、infTime）', field: 'prepared' });
    }
    // The wire input decodes under the same codec that encoded it, or it was changed since.
    parseInput(TRANSACTIONS[prepared.infno].input, prepared.input, { en: `Prepared input of ${prepared.infno}`, zh: `${prepared.infno} 预备交易的输入` });
    checkEnvelope(prepared);
  }

  async function send<N extends Infno>(prepared: PreparedCall<N>, checked = false): Promise<TransactionOutput<N>> {
    if (!checked) checkPrepared(prepared);
    const call: PlatformCallInfo = { infno: prepared.infno, msgid: prepared.msgid };
    const started = clock.now();
    const progress: { attempts: number; infcode?: number } = { attempts: 0 };
    try {
      const output = await run(prepared, call, progress);
      emit({ type: 'result', ...call, attempts: progress.attempts, durationMs: clock.now() - started, outcome: 'OK', infcode: 0 });
      return output;
    } catch (error) {
      emit({
        type: 'result',
        ...call,
        attempts: progress.attempts,
        durationMs: clock.now() - started,
        outcome: isYibaoGuardError(error) ? error.code : 'UNEXPECTED',
        ...(progress.infcode === undefined ? {} : { infcode: progress.infcode }),
        ...(error instanceof PlatformUnavailableError && error.status !== undefined ? { status: error.status } : {}),
        message: isYibaoGuardError(error) ? error.message : 'Unexpected error',
      });
      throw error;
    }
  }

  async function run<N extends Infno>(prepared: PreparedCall<N>, call: PlatformCallInfo, progress: { attempts: number; infcode?: number }): Promise<TransactionOutput<N>> {
    const spec = TRANSACTIONS[prepared.infno];
    const isSession = spec.kind === 'session';
    // 9001 goes without a sign_no, 9002 with the one it ends; business calls sign in first when needed.
    let signNo = prepared.infno === '9001' ? undefined : isSession ? session.current : await session.ensure();
    let answer = await exchange(prepared, call, signNo, progress);
    if (!isSession && answer.infcode !== 0 && isSignInExpired(answer.infcode, answer.errMsg)) {
      emit({ type: 'sign-in-expired', ...call, infcode: answer.infcode, message: redact(answer.errMsg, personalStrings(prepared.input)) });
      session.invalidate(signNo);
      signNo = await session.ensure();
      // The same prepared call, same msgid: the platform refused it, so nothing was done the first time.
      answer = await exchange(prepared, call, signNo, progress);
    }
    progress.infcode = answer.infcode;
    return finish(prepared, call, answer);
  }

  function isWrite(infno: Infno): boolean {
    return WRITES.has(TRANSACTIONS[infno].kind);
  }

  /** For a write, an answer that cannot be read says nothing about whether it was committed. */
  function unreadable(call: PlatformCallInfo, error: unknown, committed: boolean): unknown {
    if (!isWrite(call.infno as Infno) || !(error instanceof PlatformError)) return error;
    const en = committed ? 'the platform accepted it (infcode 0) but its output cannot be read' : 'its answer cannot be read';
    const zh = committed ? '平台已受理（infcode 0）但应答 output 无法读取' : '应答无法读取';
    return new PlatformUnavailableError(call, {
      outcomeUnknown: true,
      cause: error,
      message: `The outcome of ${call.infno} (msgid ${call.msgid}) is unknown: ${en} (${error.message}). Call resolve() or reverse it with 2601 (omsgid ${call.msgid}).`,
      messageZh: `${call.infno} 交易（msgid ${call.msgid}）结果未知：${zh}（${error.messageZh}）。请调用 resolve() 或以 2601 冲正（omsgid ${call.msgid}）。`,
    });
  }

  async function exchange(prepared: PreparedCall, call: PlatformCallInfo, signNo: string | undefined, progress: { attempts: number }): Promise<Answer> {
    const kind = TRANSACTIONS[prepared.infno].kind;
    const body = JSON.stringify(await signedEnvelope(prepared, signNo));
    const policy = { retry: kind !== 'settle' || idempotentMsgid, write: WRITES.has(kind) };
    const text = await postEnvelope(transport, call, body, policy, progress);
    try {
      return readAnswer(call, text);
    } catch (error) {
      throw unreadable(call, error, false);
    }
  }

  async function finish<N extends Infno>(prepared: PreparedCall<N>, call: PlatformCallInfo, answer: Answer): Promise<TransactionOutput<N>> {
    if (answer.infcode === 0) {
      try {
        // The schema is TRANSACTIONS[N]'s own output schema; TypeScript cannot follow the index through a generic.
        const schema = TRANSACTIONS[prepared.infno].output as z.ZodMiniType;
        const output = (await decodeOutput(call, schema, answer.output, (output) => decode(output, prepared.infno))) as TransactionOutput<N>;
        answerFitsRequest(prepared, output, call);
        return output;
      } catch (error) {
        throw unreadable(call, error, true);
      }
    }
    const message = redact(answer.errMsg, personalStrings(prepared.input));
    if (answer.infcode === -1 && isWrite(prepared.infno)) {
      // The spec: -1 is a system failure, and the caller must reverse a write whose outcome it leaves unknown.
      throw new PlatformUnavailableError(call, {
        outcomeUnknown: true,
        message: `The platform failed on ${call.infno} (msgid ${call.msgid}, infcode -1: ${message}); its outcome is unknown: call resolve() or reverse it with 2601 (omsgid ${call.msgid})`,
        messageZh: `医保平台处理 ${call.infno} 交易时系统异常（msgid ${call.msgid}，infcode -1：${message}），结果未知：请调用 resolve() 或以 2601 冲正（omsgid ${call.msgid}）`,
      });
    }
    const rejected = new PlatformRejectedError(call, answer.infcode, message);
    if (prepared.infno === '9001') {
      throw new PlatformError('PLATFORM_SIGN_IN_FAILED', call, {
        cause: rejected,
        message: `Sign-in (9001) was refused (infcode ${answer.infcode}): ${message}`,
        messageZh: `医保平台签到（9001）被拒绝（infcode ${answer.infcode}）：${message}`,
      });
    }
    throw rejected;
  }

  async function resolve<N extends Infno>(prepared: PreparedCall<N>): Promise<TransactionOutput<N>> {
    checkPrepared(prepared);
    if (TRANSACTIONS[prepared.infno].kind === 'settle' && !idempotentMsgid) {
      // Sending it again could settle twice; only a reversal by its msgid is safe.
      const call = { infno: prepared.infno, msgid: prepared.msgid };
      throw new PlatformUnavailableError(call, {
        outcomeUnknown: true,
        message: `This platform does not answer a repeated msgid, so ${call.infno} (msgid ${call.msgid}) cannot be asked again: reverse it with 2601 (omsgid ${call.msgid}, oinfno ${call.infno})`,
        messageZh: `本平台不按 msgid 去重，${call.infno} 交易（msgid ${call.msgid}）无法重查：请以 2601 冲正（omsgid ${call.msgid}，oinfno ${call.infno}）`,
      });
    }
    return send(prepared);
  }

  async function sendReports(records: readonly PreparedCall[]): Promise<readonly ReportAnswer[]> {
    for (const record of records) {
      if (!REPORT_INFNO.test(record?.infno)) throw new InputError('INVALID_INPUT', { message: 'A YG07 batch carries 3501–3507 only', messageZh: 'YG07 批量上传仅可包含 3501–3507 交易', field: 'infno' });
      // As checkPrepared, but the envelope is the batch's: its schema checks each msgid and inf_time.
      parseInput(TRANSACTIONS[record.infno].input, record.input, { en: `Prepared input of ${record.infno}`, zh: `${record.infno} 预备交易的输入` });
    }
    const msgs = records.map((r) => ({ infno: r.infno as ReportInfno, msgid: r.msgid, inf_time: r.infTime, input: r.input as Record<string, unknown> }));
    // Just prepared (encoded and checked) here: no need to check it again before sending.
    const { result } = await send(prepare('YG07', { msgs }), true);
    return records.map((record, i): ReportAnswer => {
      const call = { infno: record.infno, msgid: record.msgid };
      const answer = result[i];
      const unknown = (why: string, whyZh: string) => ({
        msgid: record.msgid,
        error: new PlatformUnavailableError(call, {
          outcomeUnknown: true,
          message: `The outcome of ${call.infno} (msgid ${call.msgid}) in a YG07 batch is unknown: ${why}. Send it again with the same msgid.`,
          messageZh: `YG07 批量上传中 ${call.infno} 交易（msgid ${call.msgid}）结果未知：${whyZh}。请以同一 msgid 重新发送。`,
        }),
      });
      if (answer?.msgid !== record.msgid) return unknown('the batch answer has no answer for it', '批量应答中没有该报文的应答');
      const infcode = Number(answer.infcode);
      if (infcode === 0) {
        const output = z.safeDecode(TRANSACTIONS[record.infno].output as z.ZodMiniType, answer.output ?? null);
        return output.success ? { msgid: record.msgid, output: output.data as TransactionOutput<ReportInfno> } : unknown('its output cannot be read', '应答 output 无法读取');
      }
      const message = redact(answer.err_msg ?? '', personalStrings(record.input));
      if (infcode === -1 || !Number.isInteger(infcode)) return unknown(`infcode ${answer.infcode}: ${message}`, `infcode ${answer.infcode}：${message}`);
      return { msgid: record.msgid, error: new PlatformRejectedError(call, infcode, message) };
    });
  }

  const call = <N extends Infno>(infno: N, input: TransactionInput<N>, callOptions?: CallOptions): Promise<TransactionOutput<N>> => {
    try {
      return send(prepare(infno, input, callOptions));
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    get signNo() {
      return session.current;
    },
    prepare,
    send: (prepared) => send(prepared),
    call,
    resolve,
    async signIn() {
      await session.renew();
      return lastSignIn as TransactionOutput<'9001'>;
    },
    async signOut() {
      const signNo = session.current;
      if (signNo === undefined) return;
      try {
        await call('9002', { signOut: { sign_no: signNo, opter_no: operator.id } });
      } finally {
        // Even a refused sign-out ends this sign-in: the platform no longer takes it, or soon will not.
        session.invalidate(signNo);
      }
    },
    queryPerson: (input, callOptions) => call('1101', input, callOptions),
    preSettle: (input, callOptions) => call('2101', input, callOptions),
    settle: (input, callOptions) => call('2102', input, callOptions),
    cancelSettlement: (data, callOptions) => call('2103', { data }, callOptions),
    reverse: (data, callOptions) => call('2601', { data }, callOptions),
    analyze: (input, callOptions) => call('3101', input, callOptions),
    report: (infno, input, callOptions) => {
      if (!/^350[1-7]$/.test(infno)) {
        return Promise.reject(new InputError('INVALID_INPUT', { message: 'report() takes 3501–3507', messageZh: 'report() 仅用于 3501–3507 交易', field: 'infno' }));
      }
      return call(infno, input, callOptions);
    },
    uploadInvoice: (input, callOptions) => call('YG01', input, callOptions),
    verifyInvoice: (input, callOptions) => call('YG02', input, callOptions),
    downloadRulePack: (input, callOptions) => call('YG03', input, callOptions),
    registerKey: (input, callOptions) => call('YG04', input, callOptions),
    traceStatus: (input, callOptions) => call('YG05', input, callOptions),
    sendReports,
    queryStock: (input, callOptions) => call('YG08', input, callOptions),
  };
}

/** The wire form of an input (分 → yuan, epoch ms → CST text); `InputError` listing paths when it is not valid. */
function encodeInput(infno: Infno, schema: z.ZodMiniType, input: unknown): unknown {
  const subject = { en: `Input of ${infno}`, zh: `${infno} 交易的输入` };
  let result: ReturnType<typeof z.safeEncode>;
  try {
    result = z.safeEncode(schema, input as never);
  } catch (error) {
    // A codec refused a value outright (an amount that is not integer 分, say) instead of reporting an issue.
    const reason = isYibaoGuardError(error) ? error.message : 'a value could not be encoded';
    throw new InputError('INVALID_INPUT', { message: `${subject.en} is invalid: ${reason}`, messageZh: `${subject.zh}数据不正确：${reason}`, cause: error });
  }
  if (result.success) return result.data;
  // As parseInput reports: paths and reasons, never values.
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
  const shown = issues.slice(0, 5).map((issue) => `${issue.path}: ${issue.message}`).join('; ') + (issues.length > 5 ? ` (+${issues.length - 5})` : '');
  throw new InputError('INVALID_INPUT', {
    message: `${subject.en} is invalid: ${shown}`,
    messageZh: `${subject.zh}数据不正确：${shown}`,
    issues,
    ...(issues[0] === undefined ? {} : { field: issues[0].path }),
  });
}

/**
 * The national envelope does not sign an answer nor echo the request's msgid, but a settlement's answer names its
 * person and total: a 2101/2102 answer for another person or another total (a replayed or misrouted answer) is not
 * this sale's. For 2102 that makes the outcome unknown (resolve or reverse it); for 2101 it is a protocol error.
 */
function answerFitsRequest(prepared: PreparedCall, output: unknown, call: PlatformCallInfo): void {
  if (prepared.infno !== '2101' && prepared.infno !== '2102') return;
  const asked = (prepared.input as WireInput<'2101'>).druginfo;
  const got = (output as TransactionOutput<'2101'>).setlinfo;
  const wrong: string[] = [];
  if (got.psn_no !== asked.psn_no) wrong.push('psn_no');
  if (got.medfee_sumamt !== yuanToFen(asked.medfee_sumamt, 'medfee_sumamt')) wrong.push('medfee_sumamt');
  if (wrong.length === 0) return;
  throw new PlatformProtocolError(call, {
    message: `The ${call.infno} answer does not belong to this request (setlinfo.${wrong.join(', setlinfo.')} differ from the request)`,
    messageZh: `${call.infno} 交易的应答与本次请求不符（setlinfo.${wrong.join('、setlinfo.')} 与请求不一致）`,
  });
}
