import { toBase64Url } from '../crypto/index.js';
import { signedBodyText } from './envelope.js';
import { formatCstTime } from './time.js';
import { TRANSACTIONS } from './transactions.js';
import type { PreparedCall } from './client.js';
import type { ClientContext } from './client-context.js';

/*
 * The national request envelope around a prepared call: its fields in the national order, the province's node
 * names, and the signature over it.
 */

/** The wire input: 2101/2102 nodes renamed where the province wants other names. */
function wireInput(ctx: ClientContext, prepared: PreparedCall): unknown {
  const { drugInfoNode, drugDetailNode } = ctx;
  if (prepared.infno !== '2101' && prepared.infno !== '2102') return prepared.input;
  if (drugInfoNode === 'druginfo' && drugDetailNode === 'drugdetail') return prepared.input;
  const { druginfo, drugdetail, ...rest } = prepared.input as { druginfo: unknown; drugdetail: unknown };
  return { ...rest, [drugInfoNode]: druginfo, [drugDetailNode]: drugdetail };
}

/**
 * The request envelope, national field names in the national order; `cainfo` not yet filled.
 *
 * @example
 * parseInput(RequestEnvelopeSchema, envelopeOf(ctx, prepared, undefined), subject)
 */
export function envelopeOf(
  ctx: ClientContext,
  prepared: PreparedCall,
  signNo: string | undefined,
): Record<string, unknown> {
  const { device, operator, institution } = ctx;
  const fields: Record<string, unknown> = {
    infno: prepared.infno,
    msgid: prepared.msgid,
    mdtrtarea_admvs: ctx.area,
    insuplc_admdvs: TRANSACTIONS[prepared.infno].person ? prepared.insuplcAdmdvs : undefined,
    recer_sys_code: ctx.recerSysCode,
    dev_no: device.no,
    dev_safe_info: device.safeInfo,
    cainfo: undefined,
    signtype: undefined,
    infver: ctx.infver,
    opter_type: operator.type ?? '1',
    opter: operator.id,
    opter_name: operator.name,
    inf_time: formatCstTime(prepared.infTime),
    fixmedins_code: institution.code,
    fixmedins_name: institution.name,
    sign_no: signNo,
    input: wireInput(ctx, prepared),
  };
  return fields;
}

/**
 * The envelope as sent: signed when the client has a signer, absent optional fields left out.
 *
 * @example
 * const body = JSON.stringify(await signedEnvelope(ctx, prepared, signNo))
 */
export async function signedEnvelope(
  ctx: ClientContext,
  prepared: PreparedCall,
  signNo: string | undefined,
): Promise<Record<string, unknown>> {
  const envelope = envelopeOf(ctx, prepared, signNo);
  const signer = ctx.signer;
  if (signer !== undefined) {
    const signature = await signer.sign(new TextEncoder().encode(signedBodyText(envelope)));
    envelope['cainfo'] = toBase64Url(signature);
    envelope['signtype'] = signer.algorithm;
  }
  // Absent optional fields are left out, not sent as null.
  return Object.fromEntries(Object.entries(envelope).filter(([, value]) => value !== undefined));
}
