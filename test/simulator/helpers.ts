/**
 * A deliberately small hand-made till for the simulator tests: it builds national envelopes by hand (inputs
 * encoded with the TRANSACTIONS codecs), signs them when it has a key, and posts them with plain fetch over real
 * HTTP on 127.0.0.1. It is not the platform client: the tests must prove the simulator, not lean on the client.
 */
import { afterEach } from 'vitest';
import * as z from 'zod/mini';
import { toBase64Url, type Signer } from '../../src/crypto/index.js';
import {
  buildMsgid,
  formatCstTime,
  signedBodyText,
  tifSignature,
  TRANSACTIONS,
  type Infno,
  type TransactionInput,
} from '../../src/platform/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  DEMO_PHARMACIES,
  SIMULATOR_CALL_PATH,
  startSimulator,
  type DemoPerson,
  type DemoPharmacy,
  type RunningSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../adapters/simulator/index.js';

/** 2026-11-23 10:00 CST. */
export const T0 = Date.UTC(2026, 10, 23, 2, 0);

export interface Wire {
  infcode: number | string;
  inf_refmsgid: string;
  refmsg_time: string;
  respond_time: string;
  err_msg: string | null;
  output: any;
}

export interface Posted {
  status: number;
  headers: Headers;
  text: string;
  json: Wire;
}

const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** A simulator on an ephemeral port with a clock the test moves (`simulator.advance`); closed after each test. */
export async function startTestSimulator(
  options: SimulatorOptions = {},
): Promise<{ server: RunningSimulator; simulator: Simulator; url: string }> {
  const simulator = createSimulator({ clock: { now: () => T0 }, ...options });
  const server = await startSimulator({ port: 0, simulator });
  running.push(server);
  return { server, simulator, url: server.url };
}

export interface TillOptions {
  pharmacy?: DemoPharmacy;
  devNo?: string;
  signer?: Signer;
  gateway?: { paasid: string; secret: string };
  /** First msgid sequence number (msgids of one till increase from it). */
  firstSeq?: number;
}

/** A till terminal speaking the national envelope. */
export class Till {
  readonly pharmacy: DemoPharmacy;
  readonly devNo: string;
  signNo: string | undefined;
  signer: Signer | undefined;
  private seq: number;

  constructor(
    readonly url: string,
    readonly simulator: Simulator,
    readonly options: TillOptions = {},
  ) {
    this.pharmacy = options.pharmacy ?? DEMO_PHARMACIES.active;
    this.devNo = options.devNo ?? 'T01';
    this.signer = options.signer;
    this.seq = options.firstSeq ?? 0;
  }

  nextMsgid(): string {
    this.seq += 1;
    return buildMsgid(this.pharmacy.code, this.simulator.now(), this.seq);
  }

  /** A wire envelope for `input` (internal units: 分, epoch ms), unsigned. */
  envelope<N extends Infno>(
    infno: N,
    input: TransactionInput<N>,
    overrides: Record<string, unknown> = {},
  ): Record<string, unknown> {
    const env: Record<string, unknown> = {
      infno,
      msgid: this.nextMsgid(),
      mdtrtarea_admvs: this.pharmacy.admdvs,
      recer_sys_code: 'YBXT',
      dev_no: this.devNo,
      infver: 'V1.0',
      opter_type: '1',
      opter: 'OP7',
      opter_name: '收银员甲',
      inf_time: formatCstTime(this.simulator.now()),
      fixmedins_code: this.pharmacy.code,
      fixmedins_name: this.pharmacy.name,
      input: z.encode(TRANSACTIONS[infno].input as z.ZodMiniType, input),
      ...overrides,
    };
    if (this.signNo !== undefined && !('sign_no' in overrides)) env['sign_no'] = this.signNo;
    return env;
  }

  async sign(env: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.signer) return env;
    const { cainfo: _c, signtype: _s, ...rest } = env;
    const sig = await this.signer.sign(new TextEncoder().encode(signedBodyText(rest)));
    return { ...rest, cainfo: toBase64Url(sig), signtype: 'ED25519' };
  }

  async headers(): Promise<Record<string, string>> {
    const headers: Record<string, string> = { 'content-type': 'application/json;charset=utf-8' };
    const gw = this.options.gateway;
    if (gw) {
      const timestamp = String(Math.floor(this.simulator.now() / 1000));
      const nonce = `n${Math.random().toString(36).slice(2)}`;
      Object.assign(headers, {
        'x-tif-paasid': gw.paasid,
        'x-tif-timestamp': timestamp,
        'x-tif-nonce': nonce,
        'x-tif-signature': await tifSignature(timestamp, gw.secret, nonce),
      });
    }
    return headers;
  }

  /** Posts an envelope (signed when the till has a key) or raw text. */
  async post(body: Record<string, unknown> | string, headers?: Record<string, string>): Promise<Posted> {
    const text = typeof body === 'string' ? body : JSON.stringify(await this.sign(body));
    const res = await fetch(`${this.url}${SIMULATOR_CALL_PATH}`, {
      method: 'POST',
      headers: headers ?? (await this.headers()),
      body: text,
    });
    const answer = await res.text();
    let json: Wire;
    try {
      json = JSON.parse(answer) as Wire;
    } catch {
      json = undefined as unknown as Wire;
    }
    return { status: res.status, headers: res.headers, text: answer, json };
  }

  async call<N extends Infno>(
    infno: N,
    input: TransactionInput<N>,
    overrides: Record<string, unknown> = {},
  ): Promise<Wire> {
    const { json, status, text } = await this.post(this.envelope(infno, input, overrides));
    if (status !== 200) throw new Error(`HTTP ${status}: ${text}`);
    return json;
  }

  async signIn(): Promise<string> {
    const res = await this.call('9001', { signIn: { opter_no: 'OP7', mac: '00-1A-2B-3C-4D-5E', ip: '192.168.1.20' } });
    if (Number(res.infcode) !== 0) throw new Error(`sign-in failed: ${res.err_msg}`);
    this.signNo = res.output.signinoutb.sign_no as string;
    return this.signNo;
  }
}

/** A signed-in till of the active pharmacy on a fresh simulator. */
export async function signedInTill(options: SimulatorOptions = {}, till: TillOptions = {}) {
  const { simulator, url, server } = await startTestSimulator(options);
  const t = new Till(url, simulator, till);
  await t.signIn();
  return { till: t, simulator, url, server };
}

export function product(genericName: string) {
  const p = DEMO_CATALOG.find((item) => item.genericName === genericName);
  if (!p) throw new Error(`no demo product ${genericName}`);
  return p;
}

/** One line of a sale: `cnt` packages of a demo product at its retail price (or `priceFen`). */
export function line(
  genericName: string,
  cnt: number,
  opts: { priceFen?: number; sn?: string; code?: string; amountFen?: number } = {},
) {
  const p = product(genericName);
  const priceFen = opts.priceFen ?? (p.retailPriceFen as number);
  const amount = opts.amountFen ?? Math.round(priceFen * cnt);
  return {
    feedetl_sn: opts.sn ?? `${p.productId}-1`,
    rx_circ_flag: '0' as const,
    fee_ocur_time: T0,
    med_list_codg: opts.code ?? p.medListCode ?? p.productId,
    medins_list_codg: p.productId,
    det_item_fee_sumamt: amount,
    cnt,
    pric: priceFen * 10_000,
  };
}

type Detail = ReturnType<typeof line>;

/** 2101/2102 input for `person` with `details`. */
export function settleInput(
  person: DemoPerson,
  cert: { type: '01' | '02' | '03'; no: string; cardSn?: string },
  details: Detail[],
  opts: { acct?: '0' | '1'; invono?: string } = {},
): TransactionInput<'2101'> {
  return {
    druginfo: {
      psn_no: person.psnNo,
      mdtrt_cert_type: cert.type,
      mdtrt_cert_no: cert.no,
      ...(cert.cardSn === undefined ? {} : { card_sn: cert.cardSn }),
      begntime: T0,
      medfee_sumamt: details.reduce((sum, d) => sum + d.det_item_fee_sumamt, 0),
      insutype: person.insutype,
      acct_used_flag: opts.acct ?? '1',
      med_type: '41',
      ...(opts.invono === undefined ? {} : { invono: opts.invono }),
    },
    drugdetail: details,
  };
}

/** The envelope fields a transaction naming a person needs. */
export const personArea = (person: DemoPerson) => ({ insuplc_admdvs: person.insuplcAdmdvs });

/** A voucher token for `key`, as 2101/2102's certificate. */
export function voucherCert(simulator: Simulator, key: keyof typeof DEMO_PEOPLE) {
  return { type: '01' as const, no: simulator.issueVoucher(key).ecToken };
}

/** Pre-settles then settles; returns both answers. */
export async function preSettleAndSettle(
  till: Till,
  person: DemoPerson,
  cert: { type: '01' | '02' | '03'; no: string; cardSn?: string },
  details: Detail[],
  opts: { acct?: '0' | '1' } = {},
) {
  const input = settleInput(person, cert, details, opts);
  const pre = await till.call('2101', input, personArea(person));
  const settled = await till.call(
    '2102',
    { ...input, druginfo: { ...input.druginfo, invono: 'INV0001' } },
    personArea(person),
  );
  return { pre, settled, input };
}

/** A 3505 sale record of `codes` (boxes of one product). */
export function saleRecord(
  genericName: string,
  codes: string[],
  opts: { docNo?: string; batch?: string } = {},
): TransactionInput<'3505'> {
  const p = product(genericName);
  return {
    selinfo: {
      med_list_codg: p.medListCode ?? p.productId,
      fixmedins_hilist_id: p.productId,
      fixmedins_hilist_name: p.genericName,
      rx_flag: p.rx ? '1' : '0',
      fixmedins_bchno: opts.batch ?? `B${p.productId.slice(3)}-1`,
      drugtracinfo: codes.map((drug_trac_codg) => ({ drug_trac_codg })),
      trdn_flag: '0',
      finl_trns_pric: (p.retailPriceFen as number) * 10_000,
      rtal_docno: opts.docNo ?? 'S-0001',
      sel_retn_cnt: codes.length || 1,
      sel_retn_time: T0,
      sel_retn_opter_name: '药师乙',
      mdtrt_setl_type: '2',
      psn_name: DEMO_PEOPLE.active.name,
      certno: DEMO_PEOPLE.active.residentId,
    },
  };
}

/** A 3506 return of a 3505 record. */
export function returnRecord(sale: TransactionInput<'3505'>, saleNo = 'S-0001'): TransactionInput<'3506'> {
  return { selinfo: { ...sale.selinfo, medins_prod_sel_no: saleNo } };
}

export const infcode = (res: Wire) => Number(res.infcode);
