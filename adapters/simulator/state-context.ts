import * as z from 'zod/mini';
import { maskPersonalData } from '../../src/index.js';
import { isValidAreaCode, maskName, maskResidentId } from '../../src/codes/index.js';
import { formatCstCompact, formatCstStamp } from '../../src/platform/index.js';
import type { BatchPart } from './batch.js';
import type { createFaults } from './faults.js';
import type { CommittedRecord, ReceivedEntry, SimHttpResponse } from './state.js';
import { isRecord } from './wire.js';
import type { World, WorldConfig } from './world.js';

/*
 * The state machine's state, shared by state-message.ts (the envelope in, the envelope out), state-handle.ts (the
 * HTTP layer and the faults) and state.ts (the Simulator object), with the helpers all of them answer with.
 */

/** One simulator's settings and mutable state; `reset()` replaces the mutable part. */
export interface SimState {
  readonly clock: { now(): number };
  readonly seed: string | number;
  readonly config: WorldConfig;
  readonly maxBodyBytes: number;
  readonly gateway: { readonly paasid: string; readonly secret: string } | undefined;
  readonly quirks: { readonly infcodeAsString?: boolean; readonly outputAsString?: boolean };
  readonly log: ((line: string) => void) | undefined;
  readonly faults: ReturnType<typeof createFaults>;
  world: World;
  offset: number;
  refSerial: number;
  received: ReceivedEntry[];
  committed: CommittedRecord[];
  cache: Map<string, Cached>;
  /** msgids being handled now: a copy that arrives meanwhile waits for the first answer. */
  busy: Map<string, Promise<void>>;
}

/** What the envelope layer answered one message. */
export interface Answer {
  readonly body: string;
  readonly outcome: number;
  readonly duplicate: boolean;
  /** The answer's `err_msg` and `output`, as a YG07 batch repeats them per message. */
  readonly errMsg: string | null;
  readonly output: unknown;
  /** For a YG07 batch: what each contained message got. */
  readonly parts?: readonly BatchPart[];
}

/** A msgid's first answer, remembered. */
export interface Cached {
  readonly infno: string;
  readonly inputText: string;
  /**
   * The first answer as a call alone gets it; for a message first seen in a YG07 batch, made when first asked alone.
   */
  body: string | undefined;
  readonly outcome: number;
  readonly errMsg: string | null;
  readonly output: unknown;
}

const PLATFORM_AREA = '220000';
export const JSON_HEADERS = { 'content-type': 'application/json;charset=utf-8' } as const;

const NAME_KEYS = new Set([
  'psn_name',
  'prsc_dr_name',
  'phar_name',
  'bilg_dr_name',
  'sel_retn_opter_name',
  'purc_retn_opter_name',
  'inv_chg_opter_name',
]);
const CERT_KEYS = new Set(['certno', 'prsc_dr_certno', 'phar_certno', 'phar_prac_cert_no', 'mdtrt_cert_no', 'card_sn']);

/** Masks personal data in a committed input: names and certificate numbers by field, ID-shaped text anywhere. */
export function maskRecord(value: unknown, key = ''): unknown {
  if (typeof value === 'string')
    return NAME_KEYS.has(key) ? maskName(value) : CERT_KEYS.has(key) ? maskResidentId(value) : maskPersonalData(value);
  if (Array.isArray(value)) return value.map((item) => maskRecord(item));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskRecord(v, k)]));
  return value;
}

/** A zod error as one line of paths and reasons (zod's messages never quote the input). */
export function issuesText(error: z.core.$ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return shown.join('; ') + (error.issues.length > 3 ? ` (+${error.issues.length - 3})` : '');
}

/** The national limit on `err_msg`. */
const ERR_MSG_MAX = 200;
export const errMsg = (zh: string, en: string) => {
  const text = `${zh} / ${en}`;
  return text.length <= ERR_MSG_MAX ? text : `${text.slice(0, ERR_MSG_MAX - 1)}…`;
};

/** The simulator's time: the clock plus every `advance`. */
export const now = (state: SimState) => state.clock.now() + state.offset;

/** A national answer envelope, numbered by the platform. */
export function envelopeBody(
  state: SimState,
  infcode: number,
  err: string | null,
  output: unknown,
  receivedAt: number,
  area: string | undefined,
): string {
  state.refSerial += 1;
  const t = now(state);
  const quirks = state.quirks;
  return JSON.stringify({
    infcode: quirks.infcodeAsString ? String(infcode) : infcode,
    inf_refmsgid: `${area && isValidAreaCode(area) ? area : PLATFORM_AREA}${formatCstCompact(t)}${String(state.refSerial % 10_000_000_000).padStart(10, '0')}`,
    refmsg_time: formatCstStamp(receivedAt),
    respond_time: formatCstStamp(t),
    err_msg: err,
    output: output === null || output === undefined ? null : quirks.outputAsString ? JSON.stringify(output) : output,
  });
}

/** An HTTP error answer with a JSON body. */
export const httpJson = (
  status: number,
  zh: string,
  en: string,
  headers: Record<string, string> = {},
): SimHttpResponse => ({
  status,
  headers: { ...JSON_HEADERS, ...headers },
  body: JSON.stringify({ status, err_msg: errMsg(zh, en) }),
});

/** A refused message: its envelope and what a YG07 batch repeats of it. */
export function refusal(
  state: SimState,
  infcode: -1 | -2,
  zh: string,
  en: string,
  receivedAt: number,
  area?: string,
): Answer {
  const err = errMsg(zh, en);
  const body = envelopeBody(state, infcode, err, null, receivedAt, area);
  return { body, outcome: infcode, duplicate: false, errMsg: err, output: null };
}
