import * as z from 'zod/mini';
import { randomBytes, type Signer } from '../crypto/index.js';
import { parseInput } from '../schemas/parse.js';
import { AreaCodeSchema, InstitutionCodeSchema } from '../schemas/primitives.js';
import { decodeJsonOutput } from './answer.js';
import { emitter, type PlatformEvent } from './events.js';
import { createMsgidSource, type MsgidSource } from './msgid.js';
import { createSignInSession, type SignInSession } from './sign-in.js';
import type { Infno, TransactionOutput } from './transactions.js';
import type { TransportConfig } from './transport.js';
import type { PlatformClientOptions } from './client.js';
import { prepareCall } from './client-prepare.js';
import { sendPrepared } from './client-send.js';

/*
 * What a platform client holds once created: a checked snapshot of its options, with every default filled in,
 * the transport it posts with and the sign-in it keeps. Every part of the client takes it as its first argument.
 */

/** Where the national interface takes every business call. */
const CALL_PATH = '/fsi/api/rsfComIfsService/callService';

/** Default of `isSignInExpired`'s text test (the wording varies by province). */
const SIGN_IN_EXPIRED = /签到.*(失效|过期|无效)|未签到|sign.?in.*expired/i;

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

/**
 * A created client's state: the options as checked (a snapshot, so changing the options object later cannot slip
 * an unchecked value in), their defaults, the transport and the sign-in session.
 *
 * @example
 * const ctx = createClientContext(options)
 * const output = await sendPrepared(ctx, prepareCall(ctx, '1101', input))
 */
export interface ClientContext {
  readonly area: string;
  readonly institution: PlatformClientOptions['institution'];
  readonly operator: PlatformClientOptions['operator'];
  readonly device: PlatformClientOptions['device'];
  readonly recerSysCode: string;
  readonly infver: string;
  readonly signer: Signer | undefined;
  readonly clock: { now(): number };
  readonly msgids: MsgidSource;
  readonly idempotentMsgid: boolean;
  readonly decode: (output: unknown, infno: Infno) => unknown;
  readonly isSignInExpired: (infcode: number, errMsg: string) => boolean;
  readonly emit: (event: PlatformEvent) => void;
  readonly transport: TransportConfig;
  /** The 2101/2102 node names on the wire. */
  readonly drugInfoNode: string;
  readonly drugDetailNode: string;
  /** The sign-in (9001) the business calls share. */
  readonly session: SignInSession;
  /** The output of the last 9001, for `signIn()`. */
  lastSignIn: TransactionOutput<'9001'> | undefined;
}

/**
 * Checks the options (`InputError` `INVALID_INPUT` naming the field) and makes the client's state. Nothing is
 * sent and no global is read.
 *
 * @example
 * const ctx = createClientContext({ baseUrl, institution, area, operator, device })
 */
export function createClientContext(options: PlatformClientOptions): ClientContext {
  parseInput(OptionsSchema, options, { en: 'Platform client options', zh: '医保平台客户端配置' });
  const institution = { ...options.institution };
  const clock = options.clock ?? { now: () => Date.now() };
  const isSignInExpired =
    options.isSignInExpired ?? ((infcode: number, errMsg: string) => infcode !== 0 && SIGN_IN_EXPIRED.test(errMsg));
  const emit = emitter(options.onEvent);
  const ctx: ClientContext = {
    area: options.area,
    institution,
    operator: { ...options.operator },
    device: { ...options.device },
    recerSysCode: options.recerSysCode ?? 'YBXT',
    infver: options.infver ?? 'V1.0',
    signer: options.signer,
    clock,
    msgids: options.msgids ?? createMsgidSource({ institutionCode: institution.code }),
    idempotentMsgid: options.idempotentMsgid ?? true,
    decode: options.decodeOutput ?? decodeJsonOutput,
    isSignInExpired,
    emit,
    transport: transportOf(options, clock, emit),
    drugInfoNode: options.nodeNames?.druginfo ?? 'druginfo',
    drugDetailNode: options.nodeNames?.drugdetail ?? 'drugdetail',
    session: createSignInSession(async () => {
      const { operator, device } = ctx;
      const output = await sendPrepared(
        ctx,
        prepareCall(ctx, '9001', { signIn: { opter_no: operator.id, mac: device.mac, ip: device.ip } }),
      );
      ctx.lastSignIn = output;
      return output.signinoutb.sign_no;
    }),
    lastSignIn: undefined,
  };
  return ctx;
}

/** The transport's settings: the call path on the base URL, the gateway, the limits and the retries. */
function transportOf(
  options: PlatformClientOptions,
  clock: { now(): number },
  emit: (event: PlatformEvent) => void,
): TransportConfig {
  return {
    endpoint: options.baseUrl.replace(/\/+$/, '') + CALL_PATH,
    gateway: options.gateway ?? { scheme: 'none' },
    now: () => clock.now(),
    random: options.random ?? randomBytes,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxResponseBytes: options.maxResponseBytes ?? 8 * 1024 * 1024,
    retryLimit: options.retry?.limit ?? 2,
    backoffLimitMs: options.retry?.backoffLimitMs ?? 3_000,
    maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 10_000,
    emit,
  };
}
