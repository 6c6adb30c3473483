import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { gatewayHeaders } from '../../../src/platform/index.js';

describe('gateway headers', () => {
  it('tif: signs timestamp + secret + nonce + timestamp with SHA-256, timestamp in Unix seconds', async () => {
    const headers = await gatewayHeaders(
      { scheme: 'tif', paasid: 'yg-demo', secret: 's3cret' },
      1_795_000_000_999,
      'abc123',
    );
    const expected = createHash('sha256')
      .update('1795000000' + 's3cret' + 'abc123' + '1795000000')
      .digest('hex');
    expect(headers).toEqual({
      'x-tif-paasid': 'yg-demo',
      'x-tif-timestamp': '1795000000',
      'x-tif-nonce': 'abc123',
      'x-tif-signature': expected,
    });
  });

  it('apikey and none', async () => {
    expect(await gatewayHeaders({ scheme: 'apikey', apikey: 'k' }, 0, 'n')).toEqual({ apikey: 'k' });
    expect(await gatewayHeaders({ scheme: 'none' }, 0, 'n')).toEqual({});
  });
});
