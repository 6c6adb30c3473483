import { formatCstTime } from '../../src/platform/index.js';
import { batchFaults, stopsBefore, type BatchPart } from './batch.js';
import type { FaultKind, FaultSpec } from './faults.js';
import { envelopeBody, errMsg, httpJson, JSON_HEADERS, now, type Answer, type SimState } from './state-context.js';
import { gatewayRefusal } from './state-gateway.js';
import { answer } from './state-message.js';
import type { SimHttpResponse, SimRequest, SimResponse } from './state.js';
import { isRecord, SIMULATOR_CALL_PATH } from './wire.js';

/*
 * The HTTP layer of the state machine: path, size and content type (HTTP errors), injected faults, the gateway
 * signature, then the envelope layer (state-message.ts), and what the faults make of its answer.
 */

/** A request as received: its time, its headers in lower case, its body peeked at for the log's ids. */
interface Incoming {
  readonly body: string;
  readonly receivedAt: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly peek: Record<string, unknown>;
  readonly ids: { readonly infno: string | null; readonly msgid: string | null; readonly terminal: string | null };
}

/** The faults that fired for one request. */
interface Fired {
  readonly all: readonly FaultSpec[];
  /** The first fault that replaces or spoils the answer. */
  readonly replacing: ReplacingFault | undefined;
  readonly latency: 'latency' | undefined;
  /** For a YG07 batch: the faults aimed at its messages, and the index of the message they stop at. */
  readonly inner: { readonly fired: FaultSpec[]; readonly at: number } | undefined;
}

type ReplacingFault = Exclude<FaultSpec, { kind: 'latency' | 'sign-in-expiry' }>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isReplacing = (f: FaultSpec): f is ReplacingFault => f.kind !== 'latency' && f.kind !== 'sign-in-expiry';

/** Answers one HTTP request to the platform. */
export async function handle(state: SimState, request: SimRequest): Promise<SimResponse> {
  const incoming = readIncoming(state, request);
  const refused = httpRefusal(state, request, incoming.headers);
  if (refused) return record(state, incoming, refused, null, false);

  const fired = await fireFaults(state, incoming);
  const early = await answerBeforeRunning(state, incoming, fired);
  if (early) return early;
  const gatewayAnswer = await gatewayRefusal(state, incoming.headers);
  if (gatewayAnswer) return record(state, incoming, gatewayAnswer, null, false, fired.latency);
  if (fired.all.some((f) => f.kind === 'sign-in-expiry') && typeof incoming.peek['sign_no'] === 'string') {
    const session = state.world.sessions.get(incoming.peek['sign_no']);
    if (session) session.valid = false;
  }

  const result = await answer(state, request.body, incoming.receivedAt);
  return answerAfterRunning(state, incoming, fired, result);
}

/** The request's time, headers and, when the body is a JSON object, the ids the log shows. */
function readIncoming(state: SimState, request: SimRequest): Incoming {
  const receivedAt = now(state);
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
  return { body: request.body, receivedAt, headers, peek, ids };
}

/** Logs a request's answer in `received()` and the log line, and gives the answer back. */
function record(
  state: SimState,
  incoming: Incoming,
  response: SimResponse,
  outcome: number | null,
  duplicate: boolean,
  fault?: FaultKind,
  parts?: readonly BatchPart[],
): SimResponse {
  const { receivedAt, ids } = incoming;
  const status = 'status' in response ? response.status : 0;
  state.received.push({
    at: receivedAt,
    ...ids,
    outcome,
    duplicate,
    status,
    ...(fault === undefined ? {} : { fault }),
  });
  // A YG07 batch's messages, each as it would have been logged alone, naming the batch that carried it.
  for (const p of parts ?? []) {
    state.received.push({
      at: receivedAt,
      infno: p.infno,
      msgid: p.msgid,
      terminal: ids.terminal,
      outcome: outcome === null || outcome === -1 ? null : p.outcome,
      duplicate: p.duplicate,
      status,
      ...(fault === undefined ? {} : { fault }),
      batch: ids.msgid ?? '',
    });
  }
  state.log?.(
    `${formatCstTime(receivedAt)} ${ids.infno ?? '----'} ${ids.msgid ?? '-'} dev=${ids.terminal ?? '-'} → ` +
      (outcome === null ? `HTTP ${status || 'no answer'}` : `infcode ${outcome}`) +
      (duplicate ? ' (duplicate msgid: first answer repeated)' : '') +
      (fault ? ` [fault: ${fault}]` : ''),
  );
  return response;
}

/** HTTP 404, 413 or 415 for a wrong path, a body too large, or a content type other than JSON. */
function httpRefusal(
  state: SimState,
  request: SimRequest,
  headers: Readonly<Record<string, string>>,
): SimHttpResponse | undefined {
  const maxBodyBytes = state.maxBodyBytes;
  if (request.path !== SIMULATOR_CALL_PATH) {
    return httpJson(404, '接口路径不存在', `no such path; business calls go to ${SIMULATOR_CALL_PATH}`);
  }
  if (new TextEncoder().encode(request.body).length > maxBodyBytes) {
    return httpJson(413, `报文超过 ${maxBodyBytes} 字节`, `request body larger than ${maxBodyBytes} bytes`);
  }
  if (!(headers['content-type'] ?? '').toLowerCase().includes('application/json')) {
    const json = 'application/json;charset=utf-8';
    return httpJson(415, `请求须为 Content-Type: ${json}`, `Content-Type must be ${json}`);
  }
  return undefined;
}

/**
 * Takes the faults that fire for this request (and, for a YG07 batch, for the messages it carries) and waits out
 * their latency.
 */
async function fireFaults(state: SimState, incoming: Incoming): Promise<Fired> {
  const { faults } = state;
  const fired = faults.take(incoming.ids.infno ?? undefined);
  // YG07: faults aimed at the messages it carries fire as they would for each alone (batch.ts).
  const inner =
    incoming.ids.infno === 'YG07' && !fired.some(isReplacing)
      ? batchFaults(incoming.peek, (infno) => faults.take(infno, true))
      : undefined;
  if (inner) fired.push(...inner.fired);
  for (const fault of fired) if (fault.kind === 'latency') await sleep(fault.ms);
  const replacing = fired.find(isReplacing);
  const latency = fired.some((f) => f.kind === 'latency') ? ('latency' as const) : undefined;
  return { all: fired, replacing, latency, inner };
}

/** The answer of a fault that answers before the transaction runs, or undefined when the transaction is to run. */
async function answerBeforeRunning(
  state: SimState,
  incoming: Incoming,
  fired: Fired,
): Promise<SimResponse | undefined> {
  const { replacing, inner } = fired;
  // A batch stopped at a message by a fault that answers before it runs: the messages before it ran.
  const ranBefore =
    inner && replacing && inner.at > 0 && stopsBefore(replacing) && !(await gatewayRefusal(state, incoming.headers))
      ? (await answer(state, incoming.body, incoming.receivedAt, inner.at)).parts
      : undefined;
  switch (replacing?.kind) {
    case 'http-error': {
      const status = replacing.status ?? 502;
      const body =
        replacing.body ??
        `<html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1><p>provincial gateway</p></body></html>`;
      const html = { status, headers: { 'content-type': 'text/html;charset=utf-8' }, body };
      return record(state, incoming, html, null, false, 'http-error', ranBefore);
    }
    case 'rate-limit': {
      const seconds = replacing.retryAfterSeconds ?? 1;
      const retryAfter = { 'retry-after': String(seconds) };
      const limited = httpJson(429, '请求过于频繁，请稍后重试', 'too many requests: retry later', retryAfter);
      return record(state, incoming, limited, null, false, 'rate-limit', ranBefore);
    }
    case 'timeout':
      if (!replacing.commit) return record(state, incoming, { fault: 'timeout' }, null, false, 'timeout', ranBefore);
      return undefined;
    case 'system-error':
      if (!replacing.commit) {
        const err = errMsg('医保平台系统异常，请稍后重试', 'platform system error: try again later');
        const body = envelopeBody(state, -1, err, null, incoming.receivedAt, undefined);
        const failed = { status: 200, headers: JSON_HEADERS, body };
        return record(state, incoming, failed, -1, false, 'system-error', ranBefore);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** What the faults make of the transaction's answer: the answer itself, or it lost, cut off or spoiled. */
function answerAfterRunning(state: SimState, incoming: Incoming, fired: Fired, result: Answer): SimResponse {
  const { replacing } = fired;
  const { parts } = result;
  const expiry = fired.all.some((f) => f.kind === 'sign-in-expiry') ? ('sign-in-expiry' as const) : undefined;
  const kind = replacing?.kind ?? expiry ?? fired.latency;
  switch (replacing?.kind) {
    case 'timeout':
      return record(state, incoming, { fault: 'timeout' }, null, result.duplicate, kind, parts);
    case 'lose-response':
      return record(state, incoming, { fault: 'drop' }, null, result.duplicate, kind, parts);
    case 'system-error': {
      const err = errMsg('医保平台系统异常，交易结果未知', 'platform system error after the transaction ran');
      const body = envelopeBody(state, -1, err, null, incoming.receivedAt, undefined);
      return record(state, incoming, { status: 200, headers: JSON_HEADERS, body }, -1, result.duplicate, kind, parts);
    }
    case 'malformed': {
      const spoiled =
        replacing.variant === 'schema'
          ? JSON.stringify({
              ...(JSON.parse(result.body) as Record<string, unknown>),
              output: ['malformed by the simulator'],
            })
          : `${result.body.slice(0, Math.max(1, Math.floor(result.body.length / 2)))}`;
      const malformed = { status: 200, headers: JSON_HEADERS, body: spoiled };
      return record(state, incoming, malformed, null, result.duplicate, kind, parts);
    }
    default:
      const ok = { status: 200, headers: JSON_HEADERS, body: result.body };
      return record(state, incoming, ok, result.outcome, result.duplicate, kind, parts);
  }
}
