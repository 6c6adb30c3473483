/**
 * A small hand-made fake platform for the client's tests: msw intercepts the POSTs, records what arrived and
 * answers with what each test writes. 9001 is answered by the fake itself (sign_no SN1, SN2, …) unless the
 * test says otherwise. No simulator: these tests check the client against the spec, not against another
 * implementation of it.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { createPlatformClient, type PlatformClient, type PlatformClientOptions } from '../../../src/platform/index.js';
import type { TransactionInput } from '../../../src/platform/index.js';

export const BASE_URL = 'https://ybj.test.example';
export const CALL_URL = `${BASE_URL}/fsi/api/rsfComIfsService/callService`;
export const INSTITUTION = 'P22010100001';
/** 2026-11-23 10:05:09 in China (02:05:09 UTC). */
export const T0 = Date.UTC(2026, 10, 23, 2, 5, 9);

/** A resident ID with a valid check character, a name and a token: what must never reach a log. */
export const PERSON = {
  certno: '11010519491231002X',
  name: '张三丰',
  psnNo: '22000000123456',
  token: '220100Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3',
} as const;

export interface SeenRequest {
  readonly envelope: Record<string, unknown> & { infno: string; msgid: string; input: Record<string, unknown> };
  readonly headers: Headers;
  readonly body: string;
}

type Answer = unknown;
type Handler = (envelope: SeenRequest['envelope'], seen: readonly SeenRequest[]) => Answer | Promise<Answer>;

/** Starts msw for this test file and returns a function that installs a fake platform for one test. */
export function useFakePlatform(): (
  handler?: Handler,
  options?: { signIn?: Handler },
) => { readonly requests: SeenRequest[]; business(): SeenRequest[] } {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());

  return (handler = () => ok({}), options = {}) => {
    const requests: SeenRequest[] = [];
    let signIns = 0;
    server.use(
      http.post(CALL_URL, async ({ request }) => {
        const body = await request.text();
        const envelope = JSON.parse(body) as SeenRequest['envelope'];
        requests.push({ envelope, headers: request.headers, body });
        let answer: Answer;
        if (envelope.infno === '9001' && options.signIn === undefined) {
          signIns += 1;
          answer = ok({ signinoutb: { sign_time: '2026-11-23 10:05:09', sign_no: `SN${signIns}` } });
        } else {
          answer = await (envelope.infno === '9001' && options.signIn ? options.signIn : handler)(envelope, requests);
        }
        return answer instanceof Response ? answer : HttpResponse.json(answer as never);
      }),
    );
    return { requests, business: () => requests.filter((r) => r.envelope.infno !== '9001') };
  };
}

/** A success envelope. */
export function ok(output: unknown): Record<string, unknown> {
  return {
    infcode: 0,
    inf_refmsgid: '220102202611231005090000000001',
    refmsg_time: '20261123100509123',
    respond_time: '20261123100509200',
    err_msg: null,
    output,
  };
}

/** A failure envelope. */
export function fail(infcode: number | string, errMsg: string): Record<string, unknown> {
  return { infcode, inf_refmsgid: '220102202611231005090000000002', err_msg: errMsg, output: null };
}

/** A clock that stands still unless told to move. */
export function manualClock(start = T0): { now(): number; set(ms: number): void; advance(ms: number): void } {
  let now = start;
  return { now: () => now, set: (ms) => void (now = ms), advance: (ms) => void (now += ms) };
}

/** Deterministic "randomness": a counter, so nonces differ call to call and tests repeat exactly. */
export function countingRandom(): (n: number) => Uint8Array {
  let next = 0;
  return (n) => Uint8Array.from({ length: n }, () => next++ % 256);
}

export function baseOptions(overrides: Partial<PlatformClientOptions> = {}): PlatformClientOptions {
  return {
    baseUrl: BASE_URL,
    institution: { code: INSTITUTION, name: '长春市示例大药房' },
    area: '220102',
    operator: { id: 'S001', name: '王药师' },
    device: { no: 'T01', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' },
    clock: manualClock(),
    random: countingRandom(),
    retry: { backoffLimitMs: 5 },
    ...overrides,
  };
}

export function client(overrides: Partial<PlatformClientOptions> = {}): PlatformClient {
  return createPlatformClient(baseOptions(overrides));
}

/** One line, 2 boxes at 28.70 yuan: 57.40 yuan = 5740 分. */
export function settlementInput(): TransactionInput<'2102'> {
  return {
    druginfo: {
      psn_no: PERSON.psnNo,
      mdtrt_cert_type: '02',
      mdtrt_cert_no: PERSON.certno,
      begntime: T0,
      medfee_sumamt: 5740,
      insutype: '310',
      acct_used_flag: '1',
      med_type: '41',
      invono: 'INV0001',
    },
    drugdetail: [
      {
        feedetl_sn: 'L1',
        rx_circ_flag: '0',
        fee_ocur_time: T0,
        med_list_codg: 'XA10BAA001A001010100001',
        medins_list_codg: 'H0001',
        det_item_fee_sumamt: 5740,
        cnt: 2,
        pric: 28_700_000,
      },
    ],
  };
}

/** A 2101/2102 output in yuan, as the platform sends it. */
export function settlementOutput(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    setlinfo: {
      setl_id: 'S0001',
      mdtrt_id: 'M0001',
      psn_no: PERSON.psnNo,
      medfee_sumamt: 57.4,
      fulamt_ownpay_amt: 0,
      fund_pay_sumamt: '40.18',
      acct_pay: 17.22,
      psn_cash_pay: 0,
      balc: 1000.5,
      ...extra,
    },
    setldetail: [{ fund_pay_type: 310100, fund_payamt: 40.18 }],
  };
}

export function personQueryInput(): TransactionInput<'1101'> {
  return {
    data: {
      mdtrt_cert_type: '02',
      mdtrt_cert_no: PERSON.certno,
      psn_cert_type: '01',
      certno: PERSON.certno,
      psn_name: PERSON.name,
    },
  };
}

/** 3505 sale report input. */
export function saleReportInput(): TransactionInput<'3505'> {
  return {
    selinfo: {
      med_list_codg: 'XA10BAA001A001010100001',
      fixmedins_hilist_id: 'H0001',
      fixmedins_hilist_name: '二甲双胍片',
      rx_flag: '0',
      fixmedins_bchno: 'B0001',
      trdn_flag: '0',
      finl_trns_pric: 28_700_000,
      rtal_docno: 'R0001',
      sel_retn_cnt: 2,
      sel_retn_time: T0,
      sel_retn_opter_name: '王药师',
      mdtrt_setl_type: '1',
      psn_name: PERSON.name,
      certno: PERSON.certno,
      drugtracinfo: [{ drug_trac_codg: '81234567890123456789' }],
    },
  };
}

/** Runs `promise`, expects it to reject, and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  expect.fail('expected the call to fail');
}
