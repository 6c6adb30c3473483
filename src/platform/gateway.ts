import { sha256Hex } from '../crypto/digest.js';

/**
 * Credentials for the provincial gateway in front of the platform. `tif` (the common scheme) sends
 * `x-tif-paasid`, `x-tif-timestamp` (Unix seconds), `x-tif-nonce` and `x-tif-signature` = lowercase hex
 * SHA-256 of `timestamp + secret + nonce + timestamp`; `apikey` sends one `apikey` header.
 */
export type GatewayAuth =
  | { readonly scheme: 'tif'; readonly paasid: string; readonly secret: string }
  | { readonly scheme: 'apikey'; readonly apikey: string }
  | { readonly scheme: 'none' };

/** The `x-tif-signature` of a timestamp, secret and nonce. */
export function tifSignature(timestamp: string, secret: string, nonce: string): Promise<string> {
  return sha256Hex(timestamp + secret + nonce + timestamp);
}

/**
 * The gateway headers of one request. `nowMs` and `nonce` are injected so tests are deterministic.
 *
 * @example
 * await gatewayHeaders({ scheme: 'tif', paasid: 'yg', secret: 's' }, clock.now(), 'n0nce')
 */
export async function gatewayHeaders(auth: GatewayAuth, nowMs: number, nonce: string): Promise<Record<string, string>> {
  switch (auth.scheme) {
    case 'tif': {
      const timestamp = String(Math.floor(nowMs / 1000));
      return {
        'x-tif-paasid': auth.paasid,
        'x-tif-timestamp': timestamp,
        'x-tif-nonce': nonce,
        'x-tif-signature': await tifSignature(timestamp, auth.secret, nonce),
      };
    }
    case 'apikey':
      return { apikey: auth.apikey };
    case 'none':
      return {};
  }
}
