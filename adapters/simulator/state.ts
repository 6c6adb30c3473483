import * as z from 'zod/mini';
import { maskPersonalData } from '../../src/index.js';
import { isValidAreaCode, maskName, maskResidentId } from '../../src/codes/index.js';
import { canonicalJson } from '../../src/crypto/index.js';
import {
  formatCstCompact,
  formatCstStamp,
  formatCstTime,
  RequestEnvelopeSchema,
  tifSignature,
  TRANSACTIONS,
  type Infno,
  type RequestEnvelope,
  type TransactionInput,
} from '../../src/platform/index.js';
import { analyse } from './analysis.js';
import { createFaults, type FaultKind, type Faults, type FaultSpec } from './faults.js';
import { issueVoucher, personQuery, requireSession, signIn, signOut, type VoucherTicket } from './identity.js';
import { deleteRecord, purchase, sale, saleReturn, stockChange, stockCount, stockQuery, traceStatus } from './inventory.js';
import { batchFaults, runBatch, stopsBefore, type BatchPart } from './batch.js';
import { uploadAudit, uploadInvoice, verifyInvoice } from './invoices.js';
import { registerKey, requireSignature, rulePackDownload, SIMULATOR_PLATFORM_PUBLIC_KEY } from './keys.js';
import type { DemoPersonKey } from './seed/people.js';
import { cancelSettlement, preSettle, reverse, settle } from './settlement.js';
import { isRecord, SimRefusal, SIMULATOR_CALL_PATH } from './wire.js';
import { World, type PublishedRulePack, type RegisteredKey, type SimAudit, type SimInvoice, type SimSettlement, type SoldTraceCode, type StockLine, type TxContext, type TxResult } from './world.js';

/*
 * The simulator's one state machine, transport-agnostic: a request (path, headers, body text) in, an HTTP answer or
 * a transport fault out. node:http (http.ts) and msw (msw.ts) only carry bytes to and from handle().
 *
 * What a request goes through, in order: path, size and content type (HTTP errors); injected faults; the gateway
 * signature (401); the JSON and the envelope (-1/-2); a repeated msgid (the first answer, byte for byte); the
 * designated pharmacy; the terminal's signature once it registered a key; sign-in; the transaction's input; the
 * transaction itself. Only messages that reach the transaction are remembered under their msgid: a message refused
 * at the door (expired sign-in, bad signature) may be sent again, fixed, with the same msgid.
 */

/** An HTTP request as the simulator sees it. Header names in any case. */
export interface SimRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An HTTP answer. */
export interface SimHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An HTTP answer, or a transport fault: `timeout` holds the connection until the client gives up, `drop` closes it unanswered. */
export type SimResponse = SimHttpResponse | { readonly fault: 'timeout' } | { readonly fault: 'drop' };

/** One request as the simulator received it. No personal data: the envelope's ids and the outcome only. */
export interface ReceivedEntry {
  readonly at: number;
  /** The transaction number, when the body named one. */
  readonly infno: string | null;
  readonly msgid: string | null;
  /** The envelope's `dev_no`. */
  readonly terminal: string | null;
  /** The answer's `infcode`, or null when no envelope was answered (an HTTP error or a transport fault). */
  readonly outcome: number | null;
  /** A repeated msgid, answered with the first answer. */
  readonly duplicate: boolean;
  /** HTTP status of the answer; 0 for a timeout or a dropped connection. */
  readonly status: number;
  /** The injected fault that shaped the answer, if any. */
  readonly fault?: FaultKind;
  /** For a message carried in a YG07 batch: the batch's msgid (the batch itself is logged just before it). */
  readonly batch?: string;
}

/** A business record the platform committed: the decoded input (分, epoch ms; personal data masked) and its msgid. */
export interface CommittedRecord {
  /** 1, 2, 3, … in commit order. */
  readonly seq: number;
  readonly at: number;
  readonly infno: Infno;
  readonly msgid: string;
  readonly fixmedinsCode: string;
  readonly terminal: string | null;
  readonly input: unknown;
}

/** What `/__sim/state` shows: counts and masked names, for a dashboard or a test in another process. */
export interface SimulatorSummary {
  readonly now: string;
  readonly platformPublicKey: string;
  readonly pharmacies: readonly { code: string; name: string; agreement: string }[];
  readonly people: readonly { key: string; psnNo: string; name: string; residentId: string; balanceFen: number; about: string }[];
  readonly settlements: number;
  readonly soldTraceCodes: number;
  readonly invoices: number;
  readonly terminalKeys: number;
  readonly received: number;
  readonly committed: number;
  readonly faults: readonly { id: number; kind: string; infno: string | null; remaining: number | null }[];
}

/**
 * How to build a simulator. Every option has a default that suits tests: a fixed random seed, real time, no
 * gateway.
 */
export interface SimulatorOptions {
  /** Where time comes from; `advance(ms)` adds to it. @default Date.now */
  readonly clock?: { now(): number };
  /** Seed of the randomness behind tokens and sign-in numbers. @default 'yibao-guard' */
  readonly seed?: string | number;
  /** Life of an e-voucher token. @default 5 minutes */
  readonly tokenTtlMs?: number;
  /** Life of a sign-in (`sign_no`). @default 12 hours */
  readonly signInTtlMs?: number;
  /** The provincial gateway in front of the platform (`x-tif-*` headers), or none. @default 'none' */
  readonly gateway?: { readonly paasid: string; readonly secret: string } | 'none';
  /** Version of the rule pack YG03 serves. @default 1 */
  readonly rulePackVersion?: number;
  /** Largest request body, in bytes; larger ones get HTTP 413. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Wire habits of some provinces: `infcode` as a string, `output` as a JSON string. @default none */
  readonly quirks?: { readonly infcodeAsString?: boolean; readonly outputAsString?: boolean };
  /** Where to write one line per request (no personal data). @default nowhere */
  readonly log?: (line: string) => void;
}

/**
 * The simulated provincial platform. `handle` answers one request; the rest drive and observe it.
 */
export interface Simulator {
  /** Answers one HTTP request to the platform. */
  handle(request: SimRequest): Promise<SimResponse>;
  /** Shows a demo person's e-voucher QR: a fresh token, valid for `tokenTtlMs`, good for one settlement. */
  issueVoucher(person: DemoPersonKey): VoucherTicket;
  /** Fault injection. */
  readonly faults: Faults;
  /** Every request, in order. */
  received(): readonly ReceivedEntry[];
  /** Business records committed (exactly once each), in order; only those of `infno` when given. */
  committed(infno?: string): readonly CommittedRecord[];
  /** A person's personal account balance now, in 分, by demo key or `psn_no`. */
  balance(person: DemoPersonKey | string): number;
  settlements(): readonly SimSettlement[];
  /** Every 追溯码 the platform holds as sold, with where and when. */
  soldTraceCodes(): readonly SoldTraceCode[];
  invoices(): readonly SimInvoice[];
  /** Sales' audit trails uploaded by YG06. */
  audits(): readonly SimAudit[];
  terminalKeys(): readonly RegisteredKey[];
  /** A pharmacy's stock by product and batch as its 35xx reports left it (the demo pharmacy starts with DEMO_STOCK). */
  stock(fixmedinsCode: string): readonly StockLine[];
  summary(): SimulatorSummary;
  /** The simulator's time: the clock plus every `advance`. */
  now(): number;
  /** Moves the simulator's time forward, e.g. past a token's or a sign-in's life. */
  advance(ms: number): void;
  /** Back to the seeded state: balances, sessions, vouchers, settlements, codes, invoices, keys, logs, faults, time offset. */
  reset(): void;
  /**
   * Publishes a rule pack: what YG03 serves from now on (a new version, other validity dates, addressed to some
   * pharmacies only). `reset()` goes back to the `rulePackVersion` option.
   */
  publishRulePack(pack: PublishedRulePack): void;
  /** The platform key that signs rule packs (Ed25519, base64url). */
  readonly platformPublicKey: string;
  /** The largest body `handle` accepts, for transports that stop reading early. */
  readonly maxBodyBytes: number;
}

type Handler<N extends Infno> = (ctx: TxContext, input: TransactionInput<N>) => TxResult | Promise<TxResult>;

/** Every transaction but YG07, which the state machine runs itself (batch.ts): its messages go through the same door one by one. */
type HandledInfno = Exclude<Infno, 'YG07'>;

const HANDLERS: { readonly [N in HandledInfno]: Handler<N> } = {
  '9001': signIn,
  '9002': signOut,
  '1101': personQuery,
  '2101': preSettle,
  '2102': settle,
  '2103': cancelSettlement,
  '2601': reverse,
  '3101': analyse,
  '3501': stockCount,
  '3502': stockChange,
  '3503': purchase,
  '3504': purchase,
  '3505': sale,
  '3506': saleReturn,
  '3507': deleteRecord,
  YG01: uploadInvoice,
  YG02: verifyInvoice,
  YG03: rulePackDownload,
  YG04: registerKey,
  YG05: traceStatus,
  YG06: uploadAudit,
  // YG08 (yibao-guard): the platform's stock view, for reconciliation.
  YG08: stockQuery,
};

/** Transactions that need no sign-in: sign-in itself, invoice verification (auditors ask too) and the rule pack (read at start-up). */
const WITHOUT_SIGN_IN: ReadonlySet<string> = new Set(['9001', 'YG02', 'YG03']);
/** YG02 may be asked by anyone holding a receipt, not only a designated pharmacy. */
const WITHOUT_PHARMACY: ReadonlySet<string> = new Set(['YG02']);
const PLATFORM_AREA = '220000';
const JSON_HEADERS = { 'content-type': 'application/json;charset=utf-8' } as const;
const GATEWAY_WINDOW_S = 300;

const NAME_KEYS = new Set(['psn_name', 'prsc_dr_name', 'phar_name', 'bilg_dr_name', 'sel_retn_opter_name', 'purc_retn_opter_name', 'inv_chg_opter_name']);
const CERT_KEYS = new Set(['certno', 'prsc_dr_certno', 'phar_certno', 'phar_prac_cert_no', 'mdtrt_cert_no', 'card_sn']);

/** Masks personal data in a committed input: names and certificate numbers by field, ID-shaped text anywhere. */
function maskRecord(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return NAME_KEYS.has(key) ? maskName(value) : CERT_KEYS.has(key) ? maskResidentId(value) : maskPersonalData(value);
  if (Array.isArray(value)) return value.map((item) => maskRecord(item));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskRecord(v, k)]));
  return value;
}

/** A zod error as one line of paths and reasons (zod's messages never quote the input). */
function issuesText(error: z.core.$ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return shown.join('; ') + (error.issues.length > 3 ? ` (+${error.issues.length - 3})` : '');
}

/** The national limit on `err_msg`. */
const ERR_MSG_MAX = 200;
const errMsg = (zh: string, en: string) => {
  const text = `${zh} / ${en}`;
  return text.length <= ERR_MSG_MAX ? text : `${text.slice(0, ERR_MSG_MAX - 1)}…`;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Answer {
  readonly body: string;
  readonly outcome: number;
  readonly duplicate: boolean;
  /** The answer's `err_msg` and `output`, as a YG07 batch repeats them per message. */
  readonly errMsg: string | null;
  readonly output: unknown;
  /** For a YG07 batch: what each contained message got. */
  readonly parts?: readonly BatchPart[];
}

interface Cached {
  readonly infno: string;
  readonly inputText: string;
  /** The first answer as a call alone gets it; for a message first seen in a YG07 batch, made when first asked alone. */
  body: string | undefined;
  readonly outcome: number;
  readonly errMsg: string | null;
  readonly output: unknown;
}

/**
 * Creates the simulated provincial platform: seeded people, pharmacies and catalog, sessions, vouchers, settlements,
 * 进销存, trace codes, invoices, keys and fault injection, all in memory. Serve it with `startSimulator` (node:http)
 * or `simulatorHandlers` (msw), or call `handle` directly.
 *
 * @example
 * let t = Date.UTC(2026, 10, 23, 2, 0)
 * const simulator = createSimulator({ clock: { now: () => t }, tokenTtlMs: 60_000 })
 * const { ecToken } = simulator.issueVoucher('active')
 * const res = await simulator.handle({ path: '/fsi/api/rsfComIfsService/callService', headers: { 'content-type': 'application/json' }, body })
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const clock = options.clock ?? { now: () => Date.now() };
  const seed = options.seed ?? 'yibao-guard';
  const config = {
    tokenTtlMs: options.tokenTtlMs ?? 5 * 60_000,
    signInTtlMs: options.signInTtlMs ?? 12 * 3600_000,
    rulePackVersion: options.rulePackVersion ?? 1,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const gateway = options.gateway === undefined || options.gateway === 'none' ? undefined : options.gateway;
  const quirks = options.quirks ?? {};

  let world = new World(seed, config);
  let offset = 0;
  let refSerial = 0;
  let received: ReceivedEntry[] = [];
  let committed: CommittedRecord[] = [];
  let cache = new Map<string, Cached>();
  /** msgids being handled now: a copy that arrives meanwhile waits for the first answer. */
  let busy = new Map<string, Promise<void>>();
  const faults = createFaults();
  const now = () => clock.now() + offset;

  function envelopeBody(infcode: number, err: string | null, output: unknown, receivedAt: number, area: string | undefined): string {
    refSerial += 1;
    const t = now();
    return JSON.stringify({
      infcode: quirks.infcodeAsString ? String(infcode) : infcode,
      inf_refmsgid: `${area && isValidAreaCode(area) ? area : PLATFORM_AREA}${formatCstCompact(t)}${String(refSerial % 10_000_000_000).padStart(10, '0')}`,
      refmsg_time: formatCstStamp(receivedAt),
      respond_time: formatCstStamp(t),
      err_msg: err,
      output: output === null || output === undefined ? null : quirks.outputAsString ? JSON.stringify(output) : output,
    });
  }

  const httpJson = (status: number, zh: string, en: string, headers: Record<string, string> = {}): SimHttpResponse => ({
    status,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ status, err_msg: errMsg(zh, en) }),
  });

  async function gatewayRefusal(headers: Readonly<Record<string, string>>): Promise<SimHttpResponse | undefined> {
    if (!gateway) return undefined;
    const paasid = headers['x-tif-paasid'];
    const timestamp = headers['x-tif-timestamp'];
    const nonce = headers['x-tif-nonce'];
    const signature = headers['x-tif-signature'];
    if (!paasid || !timestamp || !nonce || !signature) {
      return httpJson(401, '缺少网关鉴权请求头（x-tif-paasid、x-tif-timestamp、x-tif-nonce、x-tif-signature）', 'missing gateway headers x-tif-paasid, x-tif-timestamp, x-tif-nonce, x-tif-signature');
    }
    if (paasid !== gateway.paasid) return httpJson(401, '网关接入方 x-tif-paasid 未登记', 'unknown x-tif-paasid');
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now() / 1000 - Number(timestamp)) > GATEWAY_WINDOW_S) {
      return httpJson(401, `网关时间戳 x-tif-timestamp 与网关时间相差超过 ${GATEWAY_WINDOW_S} 秒`, `x-tif-timestamp is more than ${GATEWAY_WINDOW_S} s from the gateway's clock`);
    }
    if (signature !== (await tifSignature(timestamp, gateway.secret, nonce))) return httpJson(401, '网关签名 x-tif-signature 校验失败', 'x-tif-signature does not match');
    return undefined;
  }

  /** Everything after the HTTP layer: the national envelope in, the national envelope out. `limit`: of a YG07 batch, run only the first `limit` messages. */
  async function answer(body: string, receivedAt: number, limit?: number): Promise<Answer> {
    let wire: unknown;
    try {
      wire = JSON.parse(body);
    } catch {
      return refusal(-1, '报文不是合法的 JSON', 'the request body is not valid JSON', receivedAt);
    }
    if (!isRecord(wire)) return refusal(-1, '报文必须是 JSON 对象', 'the request body must be a JSON object', receivedAt);
    const parsed = RequestEnvelopeSchema.safeParse(wire);
    if (!parsed.success) return refusal(-2, `报文信封校验失败：${issuesText(parsed.error)}`, `invalid request envelope: ${issuesText(parsed.error)}`, receivedAt);
    return message(parsed.data, wire, wire['input'], receivedAt, { limit });
  }

  function refusal(infcode: -1 | -2, zh: string, en: string, receivedAt: number, area?: string): Answer {
    const err = errMsg(zh, en);
    return { body: envelopeBody(infcode, err, null, receivedAt, area), outcome: infcode, duplicate: false, errMsg: err, output: null };
  }

  /**
   * One message, from the msgid on: a request's own, or one carried in a YG07 batch (`contained`: the batch's
   * request already passed the signature and sign-in, and its answer repeats this one's infcode, err_msg, output).
   */
  async function message(envelope: RequestEnvelope, wire: Record<string, unknown>, inputWire: unknown, receivedAt: number, how: { contained?: boolean; limit?: number | undefined }): Promise<Answer> {
    const area = envelope.mdtrtarea_admvs;
    const code = envelope.fixmedins_code;
    const prefix = envelope.msgid.slice(0, -18);
    if (prefix !== code && prefix !== code.padStart(12, '0')) {
      return refusal(-2, 'msgid 须以定点医药机构编码开头（其后为 yyyyMMddHHmmss 与 4 位序号）', 'msgid must start with fixmedins_code, then yyyyMMddHHmmss and a 4-digit sequence', receivedAt, area);
    }

    const { msgid, infno } = envelope;
    // A YG07 batch is never remembered under its msgid (its messages are), so it needs no fingerprint.
    const inputText = infno === 'YG07' && !how.contained ? '' : canonicalJson(inputWire ?? null);
    // A copy of a message still being handled waits for the first answer rather than running twice.
    for (let wait = busy.get(msgid); wait; wait = busy.get(msgid)) await wait;
    const cached = cache.get(msgid);
    if (cached) {
      if (cached.infno !== infno || cached.inputText !== inputText) {
        return refusal(-2, 'msgid 已用于另一笔不同的报文', 'this msgid was already used for a different message', receivedAt, area);
      }
      if (!how.contained) cached.body ??= envelopeBody(cached.outcome, cached.errMsg, cached.output, receivedAt, area);
      return { body: cached.body ?? '', outcome: cached.outcome, duplicate: true, errMsg: cached.errMsg, output: cached.output };
    }
    let release!: () => void;
    busy.set(msgid, new Promise<void>((resolve) => (release = resolve)));
    const worldAtStart = world;
    try {
      const pharmacy = world.pharmacies.get(code);
      if (!pharmacy && !WITHOUT_PHARMACY.has(infno)) return refusal(-2, '非定点医药机构，或定点医药机构编码不存在', 'fixmedins_code is not a designated institution', receivedAt, area);
      // The 统筹区 is the city: a county code inside it (220102 for 220100) is the same place, another city is not.
      if (pharmacy && envelope.mdtrtarea_admvs.slice(0, 4) !== pharmacy.admdvs.slice(0, 4)) {
        return refusal(-2, '就医地医保区划 mdtrtarea_admvs 与定点机构所在统筹区不符', "mdtrtarea_admvs is not the pharmacy's insurance area", receivedAt, area);
      }
      const terminal = `${code}/${envelope.dev_no ?? ''}`;
      const t = now();
      if (!how.contained) {
        if (envelope.dev_no) await requireSignature(world, terminal, wire);
        if (!WITHOUT_SIGN_IN.has(infno)) requireSession(world, envelope.sign_no, code, t);
      }
      if (!Object.hasOwn(TRANSACTIONS, infno)) return refusal(-2, `不支持的交易编号 ${infno}`, `unknown transaction number ${infno}`, receivedAt, area);
      const n = infno as Infno;
      const input = z.safeDecode(TRANSACTIONS[n].input as z.ZodMiniType, inputWire);
      if (!input.success) {
        const sumIssue = input.error.issues.some((i) => i.path.join('.') === 'druginfo.medfee_sumamt' && i.code === 'custom');
        return sumIssue
          ? refusal(-2, '费用总额 medfee_sumamt 与明细金额 det_item_fee_sumamt 之和不符', 'medfee_sumamt does not equal the sum of det_item_fee_sumamt', receivedAt, area)
          : refusal(-2, `入参校验失败：${issuesText(input.error)}`, `invalid input: ${issuesText(input.error)}`, receivedAt, area);
      }

      const ctx: TxContext = { world, now: t, infno: n, msgid, envelope, pharmacy, terminal };
      if (n === 'YG07') {
        if (how.contained) return refusal(-2, 'YG07 批量报文不能嵌套', 'a YG07 batch cannot carry another batch', receivedAt, area);
        // A batch is a carrier, not a message of its own: each message in it is remembered under its own msgid.
        const parts = await runBatch(ctx, input.data as TransactionInput<'YG07'>, how.limit, (env, messageInput) => message(env, wire, messageInput, receivedAt, { contained: true }));
        const output = { result: parts.map((p) => ({ msgid: p.msgid, infcode: p.outcome, err_msg: p.errMsg, output: p.output })) };
        return { body: envelopeBody(0, null, output, receivedAt, area), outcome: 0, duplicate: false, errMsg: null, output, parts };
      }
      // Past the door: from here every answer, refusal or not, is this msgid's answer for good.
      let result: TxResult;
      try {
        result = await (HANDLERS[n as HandledInfno] as Handler<HandledInfno>)(ctx, input.data as TransactionInput<HandledInfno>);
      } catch (error) {
        if (!(error instanceof SimRefusal) || error.infcode !== -2) throw error;
        const outcome = -2;
        const err = errMsg(error.zh, error.en);
        const refusedBody = how.contained ? '' : envelopeBody(outcome, err, null, receivedAt, area);
        if (world === worldAtStart) cache.set(msgid, { infno, inputText, body: refusedBody || undefined, outcome, errMsg: err, output: null });
        return { body: refusedBody, outcome, duplicate: false, errMsg: err, output: null };
      }
      const okBody = how.contained ? '' : envelopeBody(0, null, result.output, receivedAt, area);
      if (world === worldAtStart) {
        cache.set(msgid, { infno, inputText, body: okBody || undefined, outcome: 0, errMsg: null, output: result.output });
        if (result.committed) {
          committed.push({ seq: committed.length + 1, at: t, infno: n, msgid, fixmedinsCode: code, terminal: envelope.dev_no ?? null, input: maskRecord(input.data) });
        }
      }
      return { body: okBody, outcome: 0, duplicate: false, errMsg: null, output: result.output };
    } catch (error) {
      if (error instanceof SimRefusal) return refusal(error.infcode, error.zh, error.en, receivedAt, area);
      // A bug of the simulator is a system failure of the platform: the caller must treat a write as unknown.
      return refusal(-1, '医保平台系统内部错误', `internal error of the simulator: ${error instanceof Error ? error.message : String(error)}`, receivedAt, area);
    } finally {
      busy.delete(msgid);
      release();
    }
  }

  async function handle(request: SimRequest): Promise<SimResponse> {
    const receivedAt = now();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    let peek: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(request.body);
      if (isRecord(parsed)) peek = parsed;
    } catch {
      // Not JSON: answer() says so in an envelope; the log just has no ids.
    }
    const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : null);
    const ids = { infno: text(peek['infno'], 8), msgid: text(peek['msgid'], 40), terminal: text(peek['dev_no'], 100) };
    const record = (response: SimResponse, outcome: number | null, duplicate: boolean, fault?: FaultKind, parts?: readonly BatchPart[]): SimResponse => {
      const status = 'status' in response ? response.status : 0;
      received.push({ at: receivedAt, ...ids, outcome, duplicate, status, ...(fault === undefined ? {} : { fault }) });
      // A YG07 batch's messages, each as it would have been logged alone, naming the batch that carried it.
      for (const p of parts ?? []) {
        received.push({ at: receivedAt, infno: p.infno, msgid: p.msgid, terminal: ids.terminal, outcome: outcome === null || outcome === -1 ? null : p.outcome, duplicate: p.duplicate, status, ...(fault === undefined ? {} : { fault }), batch: ids.msgid ?? '' });
      }
      options.log?.(
        `${formatCstTime(receivedAt)} ${ids.infno ?? '----'} ${ids.msgid ?? '-'} dev=${ids.terminal ?? '-'} → ` +
          (outcome === null ? `HTTP ${status || 'no answer'}` : `infcode ${outcome}`) +
          (duplicate ? ' (duplicate msgid: first answer repeated)' : '') +
          (fault ? ` [fault: ${fault}]` : ''),
      );
      return response;
    };

    if (request.path !== SIMULATOR_CALL_PATH) return record(httpJson(404, '接口路径不存在', `no such path; business calls go to ${SIMULATOR_CALL_PATH}`), null, false);
    if (new TextEncoder().encode(request.body).length > maxBodyBytes) return record(httpJson(413, `报文超过 ${maxBodyBytes} 字节`, `request body larger than ${maxBodyBytes} bytes`), null, false);
    if (!(headers['content-type'] ?? '').toLowerCase().includes('application/json')) {
      return record(httpJson(415, '请求须为 Content-Type: application/json;charset=utf-8', 'Content-Type must be application/json;charset=utf-8'), null, false);
    }

    const fired = faults.take(ids.infno ?? undefined);
    const isReplacing = (f: FaultSpec): f is Exclude<FaultSpec, { kind: 'latency' | 'sign-in-expiry' }> => f.kind !== 'latency' && f.kind !== 'sign-in-expiry';
    // YG07: faults aimed at the messages it carries fire as they would for each alone (batch.ts).
    const inner = ids.infno === 'YG07' && !fired.some(isReplacing) ? batchFaults(peek, (infno) => faults.take(infno, true)) : undefined;
    if (inner) fired.push(...inner.fired);
    for (const fault of fired) if (fault.kind === 'latency') await sleep(fault.ms);
    const replacing = fired.find(isReplacing);
    const latency = fired.some((f) => f.kind === 'latency') ? ('latency' as const) : undefined;
    // A batch stopped at a message by a fault that answers before it runs: the messages before it ran.
    const ranBefore = inner && replacing && inner.at > 0 && stopsBefore(replacing) && !(await gatewayRefusal(headers)) ? (await answer(request.body, receivedAt, inner.at)).parts : undefined;
    switch (replacing?.kind) {
      case 'http-error': {
        const status = replacing.status ?? 502;
        const body = replacing.body ?? `<html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1><p>provincial gateway</p></body></html>`;
        return record({ status, headers: { 'content-type': 'text/html;charset=utf-8' }, body }, null, false, 'http-error', ranBefore);
      }
      case 'rate-limit': {
        const seconds = replacing.retryAfterSeconds ?? 1;
        return record(httpJson(429, '请求过于频繁，请稍后重试', 'too many requests: retry later', { 'retry-after': String(seconds) }), null, false, 'rate-limit', ranBefore);
      }
      case 'timeout':
        if (!replacing.commit) return record({ fault: 'timeout' }, null, false, 'timeout', ranBefore);
        break;
      case 'system-error':
        if (!replacing.commit) {
          return record({ status: 200, headers: JSON_HEADERS, body: envelopeBody(-1, errMsg('医保平台系统异常，请稍后重试', 'platform system error: try again later'), null, receivedAt, undefined) }, -1, false, 'system-error', ranBefore);
        }
        break;
      default:
        break;
    }
    const gatewayAnswer = await gatewayRefusal(headers);
    if (gatewayAnswer) return record(gatewayAnswer, null, false, latency);
    if (fired.some((f) => f.kind === 'sign-in-expiry') && typeof peek['sign_no'] === 'string') {
      const session = world.sessions.get(peek['sign_no']);
      if (session) session.valid = false;
    }

    const result = await answer(request.body, receivedAt);
    const kind = replacing?.kind ?? (fired.some((f) => f.kind === 'sign-in-expiry') ? 'sign-in-expiry' : latency);
    switch (replacing?.kind) {
      case 'timeout':
        return record({ fault: 'timeout' }, null, result.duplicate, kind, result.parts);
      case 'lose-response':
        return record({ fault: 'drop' }, null, result.duplicate, kind, result.parts);
      case 'system-error':
        return record({ status: 200, headers: JSON_HEADERS, body: envelopeBody(-1, errMsg('医保平台系统异常，交易结果未知', 'platform system error after the transaction ran'), null, receivedAt, undefined) }, -1, result.duplicate, kind, result.parts);
      case 'malformed': {
        const spoiled =
          replacing.variant === 'schema'
            ? JSON.stringify({ ...(JSON.parse(result.body) as Record<string, unknown>), output: ['malformed by the simulator'] })
            : `${result.body.slice(0, Math.max(1, Math.floor(result.body.length / 2)))}`;
        return record({ status: 200, headers: JSON_HEADERS, body: spoiled }, null, result.duplicate, kind, result.parts);
      }
      default:
        return record({ status: 200, headers: JSON_HEADERS, body: result.body }, result.outcome, result.duplicate, kind, result.parts);
    }
  }

  function personState(person: string) {
    const state = world.peopleByKey.get(person as DemoPersonKey) ?? world.people.get(person);
    if (!state) throw new TypeError(`No demo person with key or psn_no '${person}'`);
    return state;
  }

  return {
    handle,
    issueVoucher: (person) => issueVoucher(world, person, now()),
    faults: { add: (spec) => faults.add(spec), clear: (id) => faults.clear(id), list: () => faults.list() },
    received: () => received.slice(),
    committed: (infno) => structuredClone(infno === undefined ? committed : committed.filter((c) => c.infno === infno)),
    balance: (person) => personState(person).balanceFen,
    settlements: () => structuredClone(world.settlements),
    soldTraceCodes: () => [...world.sold.values()].map((s) => ({ ...s })),
    invoices: () => structuredClone([...world.invoices.values()]),
    audits: () => structuredClone([...world.audits.values()]),
    terminalKeys: () => structuredClone([...world.keys.values()]),
    stock: (code) => structuredClone(world.stock.get(code) ?? []),
    summary: () => ({
      now: formatCstTime(now()),
      platformPublicKey: SIMULATOR_PLATFORM_PUBLIC_KEY,
      pharmacies: [...world.pharmacies.values()].map((p) => ({ code: p.code, name: p.name, agreement: p.agreement })),
      people: [...world.peopleByKey.values()].map(({ person, balanceFen }) => ({
        key: person.key,
        psnNo: person.psnNo,
        name: maskName(person.name),
        residentId: maskResidentId(person.residentId),
        balanceFen,
        about: person.about,
      })),
      settlements: world.settlements.length,
      soldTraceCodes: world.sold.size,
      invoices: world.invoices.size,
      terminalKeys: world.keys.size,
      received: received.length,
      committed: committed.length,
      faults: faults.list().map((f) => ({ id: f.id, kind: f.spec.kind, infno: f.spec.infno ?? null, remaining: Number.isFinite(f.remaining) ? f.remaining : null })),
    }),
    now,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) takes a non-negative number of milliseconds');
      offset += ms;
    },
    reset() {
      world = new World(seed, config);
      offset = 0;
      refSerial = 0;
      received = [];
      committed = [];
      cache = new Map();
      busy = new Map();
      faults.clear();
    },
    publishRulePack(pack) {
      if (!Number.isInteger(pack.version) || pack.version < 1) throw new RangeError('publishRulePack: version must be an integer of 1 or more');
      world.rulePack = { ...pack, ...(pack.pharmacies ? { pharmacies: [...pack.pharmacies] } : {}) };
    },
    platformPublicKey: SIMULATOR_PLATFORM_PUBLIC_KEY,
    maxBodyBytes,
  };
}
