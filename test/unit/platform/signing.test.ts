import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { HttpResponse } from 'msw';
import {
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  fromBase64Url,
  verifyEd25519,
} from '../../../src/crypto/index.js';
import { signedBodyText } from '../../../src/platform/index.js';
import { T0, client, ok, settlementInput, settlementOutput, useFakePlatform } from './helpers.js';

const fakePlatform = useFakePlatform();

/** The spec's formula, computed here with node:crypto rather than the SDK's own digest. */
function expectedTifSignature(timestamp: string, secret: string, nonce: string): string {
  return createHash('sha256')
    .update(timestamp + secret + nonce + timestamp, 'utf8')
    .digest('hex');
}

describe('gateway headers', () => {
  it('sends x-tif-* headers whose signature is SHA-256(timestamp + secret + nonce + timestamp)', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    await client({ gateway: { scheme: 'tif', paasid: 'yg-pos', secret: 's3cret-密钥' } }).report('3507', {
      data: { fixmedins_bchno: 'B1', inv_data_type: '4' },
    });
    for (const { headers } of platform.requests) {
      expect(headers.get('x-tif-paasid')).toBe('yg-pos');
      expect(headers.get('x-tif-timestamp')).toBe(String(Math.floor(T0 / 1000)));
      const nonce = headers.get('x-tif-nonce')!;
      expect(nonce).toMatch(/^[0-9a-f]{32}$/);
      expect(headers.get('x-tif-signature')).toBe(
        expectedTifSignature(headers.get('x-tif-timestamp')!, 's3cret-密钥', nonce),
      );
    }
  });

  it('uses a fresh nonce on every attempt, retries included, so a gateway never sees one twice', async () => {
    let calls = 0;
    const platform = fakePlatform(() =>
      ++calls === 1 ? new HttpResponse('busy', { status: 503 }) : ok({ retRslt: '1' }),
    );
    await client({ gateway: { scheme: 'tif', paasid: 'yg-pos', secret: 's' } }).report('3507', {
      data: { fixmedins_bchno: 'B1', inv_data_type: '4' },
    });
    const nonces = platform.requests.map((r) => r.headers.get('x-tif-nonce'));
    expect(nonces).toHaveLength(3);
    expect(new Set(nonces).size).toBe(3);
  });

  it('sends one apikey header for apikey gateways, and no gateway header by default', async () => {
    const withKey = fakePlatform(() => ok({ retRslt: '1' }));
    await client({ gateway: { scheme: 'apikey', apikey: 'k-123' } }).report('3507', {
      data: { fixmedins_bchno: 'B1', inv_data_type: '4' },
    });
    expect(withKey.requests[0]!.headers.get('apikey')).toBe('k-123');
    expect(withKey.requests[0]!.headers.get('x-tif-signature')).toBeNull();

    const plain = fakePlatform(() => ok({ retRslt: '1' }));
    await client().report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } });
    expect(plain.requests[0]!.headers.get('apikey')).toBeNull();
    expect(plain.requests[0]!.headers.get('x-tif-paasid')).toBeNull();
  });
});

describe('request signature (cainfo)', () => {
  it('signs every envelope with Ed25519 over signedBodyText, verifiable with the public key', async () => {
    const platform = fakePlatform(() => ok(settlementOutput()));
    const signer = createEd25519Signer('T01-K1', await ed25519KeyPairFromSeed(new Uint8Array(32).fill(7)));
    await client({ signer, nodeNames: { drugdetail: 'feedetail' } }).preSettle(settlementInput(), {
      insuplcAdmdvs: '220102',
    });
    expect(platform.requests).toHaveLength(2);
    for (const { envelope } of platform.requests) {
      expect(envelope['signtype']).toBe('ED25519');
      const signature = fromBase64Url(envelope['cainfo'] as string);
      const message = new TextEncoder().encode(signedBodyText(envelope));
      expect(await verifyEd25519(message, signature, signer.publicKey)).toBe(true);
      // Any change to the body breaks it: the signature covers what was sent, renamed nodes and sign_no included.
      const altered = new TextEncoder().encode(signedBodyText({ ...envelope, opter: 'S002' }));
      expect(await verifyEd25519(altered, signature, signer.publicKey)).toBe(false);
    }
    expect(Object.keys(platform.business()[0]!.envelope).slice(5, 8)).toEqual(['dev_no', 'cainfo', 'signtype']);
  });

  it('leaves cainfo and signtype out when no signer is configured', async () => {
    const platform = fakePlatform(() => ok({ retRslt: '1' }));
    await client().report('3507', { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } });
    expect(platform.business()[0]!.envelope).not.toHaveProperty('cainfo');
    expect(platform.business()[0]!.envelope).not.toHaveProperty('signtype');
  });
});
