import * as z from 'zod/mini';
import { InputError, PlatformRejectedError, PlatformUnavailableError } from '../errors/index.js';
import { personalStrings, redact } from './redact.js';
import { TRANSACTIONS, type TransactionOutput } from './transactions.js';
import type { PreparedCall, ReportAnswer, ReportInfno } from './client.js';
import type { ClientContext } from './client-context.js';
import { checkPreparedInput, prepareCall } from './client-prepare.js';
import { sendPrepared } from './client-send.js';

/*
 * YG07: prepared 3501–3507 reports sent in one request, each answered on its own.
 */

const REPORT_INFNO = /^350[1-7]$/;

/** One message's answer in a YG07 batch answer, as the platform sends it. */
type BatchAnswer = TransactionOutput<'YG07'>['result'][number];

/**
 * Sends prepared reports in one YG07 request and returns each one's answer, in order (`PlatformClient.sendReports`).
 *
 * @example
 * const answers = await sendReportBatch(ctx, preparedReports)
 */
export async function sendReportBatch(
  ctx: ClientContext,
  records: readonly PreparedCall[],
): Promise<readonly ReportAnswer[]> {
  for (const record of records) {
    if (!REPORT_INFNO.test(record?.infno)) {
      throw new InputError('INVALID_INPUT', {
        message: 'A YG07 batch carries 3501–3507 only',
        messageZh: 'YG07 批量上传仅可包含 3501–3507 交易',
        field: 'infno',
      });
    }
    // As checkPrepared, but the envelope is the batch's: its schema checks each msgid and inf_time.
    checkPreparedInput(record);
  }
  const msgs = records.map((r) => ({
    infno: r.infno as ReportInfno,
    msgid: r.msgid,
    inf_time: r.infTime,
    input: r.input as Record<string, unknown>,
  }));
  // Just prepared (encoded and checked) here: no need to check it again before sending.
  const { result } = await sendPrepared(ctx, prepareCall(ctx, 'YG07', { msgs }), true);
  return records.map((record, i): ReportAnswer => reportAnswer(record, result[i]));
}

/** One record's end: its output, its refusal, or an unknown outcome (no answer, infcode -1, unreadable output). */
function reportAnswer(record: PreparedCall, answer: BatchAnswer | undefined): ReportAnswer {
  const call = { infno: record.infno, msgid: record.msgid };
  const unknown = (why: string, whyZh: string) => ({
    msgid: record.msgid,
    error: new PlatformUnavailableError(call, {
      outcomeUnknown: true,
      message:
        `The outcome of ${call.infno} (msgid ${call.msgid}) in a YG07 batch is unknown: ${why}. ` +
        'Send it again with the same msgid.',
      messageZh: `YG07 批量上传中 ${call.infno} 交易（msgid ${call.msgid}）结果未知：${whyZh}。请以同一 msgid 重新发送。`,
    }),
  });
  if (answer?.msgid !== record.msgid)
    return unknown('the batch answer has no answer for it', '批量应答中没有该报文的应答');
  const infcode = Number(answer.infcode);
  if (infcode === 0) {
    const output = z.safeDecode(TRANSACTIONS[record.infno].output as z.ZodMiniType, answer.output ?? null);
    return output.success
      ? { msgid: record.msgid, output: output.data as TransactionOutput<ReportInfno> }
      : unknown('its output cannot be read', '应答 output 无法读取');
  }
  const message = redact(answer.err_msg ?? '', personalStrings(record.input));
  if (infcode === -1 || !Number.isInteger(infcode)) {
    return unknown(`infcode ${answer.infcode}: ${message}`, `infcode ${answer.infcode}：${message}`);
  }
  return { msgid: record.msgid, error: new PlatformRejectedError(call, infcode, message) };
}
