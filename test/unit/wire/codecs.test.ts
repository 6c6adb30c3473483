import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { canonicalJson } from '../../../src/crypto/index.js';
import {
  CountCodec,
  CstTimeCodec,
  PriceCodec,
  TRANSACTIONS,
  WireCodeCodec,
  YuanCodec,
  buildMsgid,
  signedBodyText,
  ResponseEnvelopeSchema,
} from '../../../src/platform/index.js';

describe('wire codecs', () => {
  it('decode yuan to fen and encode fen to yuan exactly', () => {
    expect(z.decode(YuanCodec, 0.29)).toBe(29);
    expect(z.decode(YuanCodec, '57.40')).toBe(5740);
    expect(z.encode(YuanCodec, 5740)).toBe(57.4);
    expect(z.safeDecode(YuanCodec, 1.234).success).toBe(false);
    expect(z.safeEncode(YuanCodec, 1.5).success).toBe(false);
  });

  it('carry six-decimal prices, four-decimal counts, CST times and codes sent as numbers', () => {
    expect(z.decode(PriceCodec, 0.123456)).toBe(123456);
    expect(z.encode(PriceCodec, 28_700_000)).toBe(28.7);
    expect(z.decode(CountCodec, '1.5')).toBe(1.5);
    expect(z.safeDecode(CountCodec, 1.00001).success).toBe(false);
    expect(z.safeDecode(CountCodec, '').success).toBe(false);
    expect(z.decode(CstTimeCodec, '2026-11-23 10:00:00')).toBe(Date.UTC(2026, 10, 23, 2));
    expect(z.encode(CstTimeCodec, Date.UTC(2026, 10, 23, 2))).toBe('2026-11-23 10:00:00');
    expect(z.safeDecode(CstTimeCodec, '2026-02-30 10:00:00').success).toBe(false);
    expect(z.decode(WireCodeCodec, 310)).toBe('310');
  });

  it('encode a 2101 input to the wire and decode it back unchanged, refusing a total that does not add up', () => {
    const input = {
      druginfo: {
        psn_no: 'P1',
        mdtrt_cert_type: '01' as const,
        mdtrt_cert_no: 'tok',
        begntime: Date.UTC(2026, 10, 23, 2),
        medfee_sumamt: 5740,
        insutype: '310',
        acct_used_flag: '1' as const,
        med_type: '41',
      },
      drugdetail: [
        {
          feedetl_sn: '1',
          rx_circ_flag: '0' as const,
          fee_ocur_time: Date.UTC(2026, 10, 23, 2),
          med_list_codg: 'XC10AAA052A001010104430',
          medins_list_codg: 'P-1',
          det_item_fee_sumamt: 5740,
          cnt: 2,
          pric: 28_700_000,
        },
      ],
    };
    const wire = z.encode(TRANSACTIONS['2101'].input, input);
    expect(wire.druginfo.medfee_sumamt).toBe(57.4);
    expect(wire.druginfo.begntime).toBe('2026-11-23 10:00:00');
    expect(wire.drugdetail[0]?.pric).toBe(28.7);
    expect(z.decode(TRANSACTIONS['2101'].input, JSON.parse(JSON.stringify(wire)))).toEqual(input);
    const bad = z.safeEncode(TRANSACTIONS['2101'].input, {
      ...input,
      druginfo: { ...input.druginfo, medfee_sumamt: 5741 },
    });
    expect(bad.success).toBe(false);
  });
});

describe('envelope helpers', () => {
  it('builds msgid as institution code + CST time + 4-digit sequence', () => {
    expect(buildMsgid('P22010100001', Date.UTC(2026, 10, 23, 2, 5, 9), 17)).toBe('P22010100001202611231005090017');
    expect(buildMsgid('P22010100001', 0, 9999)).toHaveLength(30);
    expect(() => buildMsgid('P22010100001', 0, 10000)).toThrow();
  });

  it('signs the canonical envelope without cainfo and signtype', () => {
    const envelope = { infno: '1101', input: { data: { b: 1, a: 2 } }, cainfo: 'x', signtype: 'ED25519', msgid: 'm' };
    expect(signedBodyText(envelope)).toBe(
      canonicalJson({ infno: '1101', input: { data: { a: 2, b: 1 } }, msgid: 'm' }),
    );
  });

  it('reads infcode as number or string', () => {
    expect(ResponseEnvelopeSchema.parse({ infcode: '-2', err_msg: 'x' }).infcode).toBe(-2);
    expect(ResponseEnvelopeSchema.parse({ infcode: 0, output: {} }).infcode).toBe(0);
    expect(ResponseEnvelopeSchema.safeParse({ infcode: 'oops' }).success).toBe(false);
  });
});
