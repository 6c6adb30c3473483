import type * as z from 'zod/mini';
import { maskPersonalData } from '../codes/index.js';
import { PlatformProtocolError, type InputIssue, type PlatformCallInfo } from '../errors/index.js';
import { ResponseEnvelopeSchema } from './envelope.js';

/*
 * Reading what the platform answered: the response envelope first (is this the interface at all?), then, on
 * success, the transaction's output. Failures say where the answer broke (paths and zod's reasons), never
 * what it held: outputs carry personal data.
 */

/**
 * The parts of a response envelope the client acts on.
 *
 * @example
 * { infcode: -2, errMsg: '该人员无有效参保信息', output: null }
 */
export interface Answer {
  readonly infcode: number;
  /** `err_msg` as sent (not yet masked), '' when absent. */
  readonly errMsg: string;
  /** `output` as sent (an object, a JSON string, something encrypted, or absent). */
  readonly output: unknown;
}

function issuesOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): InputIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: maskPersonalData(issue.message),
  }));
}

function summary(issues: readonly InputIssue[]): string {
  const shown = issues
    .slice(0, 5)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
  return issues.length > 5 ? `${shown} (+${issues.length - 5})` : shown;
}

/**
 * The response envelope in `text`; throws `PlatformProtocolError` when it is not JSON or not the interface's
 * envelope.
 *
 * @example
 * readAnswer({ infno: '1101', msgid }, '{"infcode":"0","output":{}}') // { infcode: 0, errMsg: '', output: {} }
 */
export function readAnswer(call: PlatformCallInfo, text: string): Answer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PlatformProtocolError(call, {
      cause: error,
      message: `The platform's answer to ${call.infno} is not JSON`,
      messageZh: `医保平台对 ${call.infno} 交易的应答不是 JSON`,
    });
  }
  const parsed = ResponseEnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new PlatformProtocolError(call, {
      issues,
      message: `The platform's answer to ${call.infno} is not a response envelope: ${summary(issues)}`,
      messageZh: `医保平台对 ${call.infno} 交易的应答不是接口规定的报文：${summary(issues)}`,
    });
  }
  return { infcode: parsed.data.infcode, errMsg: parsed.data.err_msg ?? '', output: parsed.data.output };
}

/**
 * The default `decodeOutput`: an object as it is; a JSON string (some gateways send `output` so) parsed;
 * an empty string as no output.
 *
 * @example
 * decodeJsonOutput('{"retRslt":"1"}') // { retRslt: '1' }
 */
export function decodeJsonOutput(output: unknown): unknown {
  if (typeof output !== 'string') return output;
  return output.trim() === '' ? undefined : JSON.parse(output);
}

/**
 * The transaction's output, decoded by `decode` and then by its schema (yuan → 分); throws
 * `PlatformProtocolError` naming the paths that failed.
 *
 * @example
 * await decodeOutput(call, PharmacySettleOutputSchema, answer.output, decodeJsonOutput) // setlinfo amounts in 分
 */
export async function decodeOutput<S extends z.ZodMiniType>(
  call: PlatformCallInfo,
  schema: S,
  output: unknown,
  decode: (output: unknown) => unknown,
): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await decode(output);
  } catch (error) {
    throw new PlatformProtocolError(call, {
      cause: error,
      message: `The output of ${call.infno} could not be decoded`,
      messageZh: `${call.infno} 交易的应答 output 无法解码`,
    });
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error);
  throw new PlatformProtocolError(call, {
    issues,
    message: `The output of ${call.infno} does not follow the interface: ${summary(issues)}`,
    messageZh: `${call.infno} 交易的应答 output 不符合接口：${summary(issues)}`,
  });
}
