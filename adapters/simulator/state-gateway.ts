import { tifSignature } from '../../src/platform/index.js';
import { httpJson, now, type SimState } from './state-context.js';
import type { SimHttpResponse } from './state.js';

const GATEWAY_WINDOW_S = 300;

/** The provincial gateway's check of the `x-tif-*` headers: an HTTP 401, or undefined when they pass or no gateway. */
export async function gatewayRefusal(
  state: SimState,
  headers: Readonly<Record<string, string>>,
): Promise<SimHttpResponse | undefined> {
  const gateway = state.gateway;
  if (!gateway) return undefined;
  const paasid = headers['x-tif-paasid'];
  const timestamp = headers['x-tif-timestamp'];
  const nonce = headers['x-tif-nonce'];
  const signature = headers['x-tif-signature'];
  if (!paasid || !timestamp || !nonce || !signature) {
    return httpJson(
      401,
      '缺少网关鉴权请求头（x-tif-paasid、x-tif-timestamp、x-tif-nonce、x-tif-signature）',
      'missing gateway headers x-tif-paasid, x-tif-timestamp, x-tif-nonce, x-tif-signature',
    );
  }
  if (paasid !== gateway.paasid) return httpJson(401, '网关接入方 x-tif-paasid 未登记', 'unknown x-tif-paasid');
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now(state) / 1000 - Number(timestamp)) > GATEWAY_WINDOW_S) {
    return httpJson(
      401,
      `网关时间戳 x-tif-timestamp 与网关时间相差超过 ${GATEWAY_WINDOW_S} 秒`,
      `x-tif-timestamp is more than ${GATEWAY_WINDOW_S} s from the gateway's clock`,
    );
  }
  if (signature !== (await tifSignature(timestamp, gateway.secret, nonce)))
    return httpJson(401, '网关签名 x-tif-signature 校验失败', 'x-tif-signature does not match');
  return undefined;
}
