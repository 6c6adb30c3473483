import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ResponseEnvelopeSchema } from '../../src/platform/index.js';
import { SIMULATOR_CALL_PATH } from '../../adapters/simulator/index.js';
import { infcode, signedInTill, startTestSimulator, Till } from './helpers.js';

const trace = { data: { drug_trac_codg: ['81000010000000000001'] } };

describe('the national envelope', () => {
  it('answers in the national response envelope: infcode, inf_refmsgid, refmsg_time, respond_time, err_msg, output', async () => {
    const { till } = await signedInTill();
    const { status, headers, json } = await till.post(till.envelope('YG05', trace));
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(Object.keys(json)).toEqual(['infcode', 'inf_refmsgid', 'refmsg_time', 'respond_time', 'err_msg', 'output']);
    expect(json.infcode).toBe(0);
    expect(json.inf_refmsgid).toMatch(/^220100202611231000000{9}\d$/);
    expect(json.refmsg_time).toBe('20261123100000000');
    expect(json.respond_time).toMatch(/^\d{17}$/);
    expect(ResponseEnvelopeSchema.safeParse(json).success).toBe(true);
  });

  it('answers a body that is not JSON with infcode -1', async () => {
    const { till } = await signedInTill();
    const { status, json } = await till.post('{"infno": "9001",');
    expect(status).toBe(200);
    expect(json.infcode).toBe(-1);
    expect(json.err_msg).toBe('报文不是合法的 JSON / the request body is not valid JSON');
    expect(json.output).toBeNull();
  });

  it('answers an envelope that breaks the schema with -2 naming the fields', async () => {
    const { till } = await signedInTill();
    const env = till.envelope('YG05', trace);
    delete env['recer_sys_code'];
    env['inf_time'] = '2026/11/23 10:00';
    const { json } = await till.post(env);
    expect(infcode(json)).toBe(-2);
    expect(json.err_msg).toMatch(/^报文信封校验失败.*recer_sys_code/);
    expect(json.err_msg).toMatch(/inf_time/);
    expect(json.err_msg!.length).toBeLessThanOrEqual(200);
  });

  it('refuses a msgid that does not start with the pharmacy code, an unknown infno and an invalid input', async () => {
    const { till } = await signedInTill();
    expect(
      (await till.post(till.envelope('YG05', trace, { msgid: 'P22010100009202611231000000001' }))).json.err_msg,
    ).toMatch(/msgid 须以定点医药机构编码开头/);
    expect((await till.post({ ...till.envelope('YG05', trace), infno: '9102' })).json.err_msg).toMatch(
      /不支持的交易编号 9102/,
    );
    const bad = await till.post({ ...till.envelope('YG05', trace), input: { data: { drug_trac_codg: [] } } });
    expect(infcode(bad.json)).toBe(-2);
    expect(bad.json.err_msg).toMatch(/^入参校验失败：data\.drug_trac_codg/);
  });

  it('answers HTTP 404 off the business path, 415 without a JSON content type, 413 past the body limit, 405 for GET', async () => {
    const { url } = await startTestSimulator({ maxBodyBytes: 2048 });
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('/fsi/api/other', '{}')).status).toBe(404);
    expect((await post(SIMULATOR_CALL_PATH, '{}', 'text/plain')).status).toBe(415);
    const big = await post(SIMULATOR_CALL_PATH, JSON.stringify({ pad: 'x'.repeat(4096) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { err_msg: string }).err_msg).toMatch(/2048/);
    expect((await fetch(`${url}${SIMULATOR_CALL_PATH}`)).status).toBe(405);
  });

  it('can send infcode as a string and output as a JSON string, as some provinces do', async () => {
    const { simulator, url } = await startTestSimulator({ quirks: { infcodeAsString: true, outputAsString: true } });
    const till = new Till(url, simulator);
    const res = await till.call('9001', { signIn: { opter_no: 'OP7', mac: 'm', ip: 'i' } });
    expect(res.infcode).toBe('0');
    expect(typeof res.output).toBe('string');
    expect(z.parse(ResponseEnvelopeSchema, res).infcode).toBe(0);
    expect(JSON.parse(res.output).signinoutb.sign_no).toMatch(/^\d+$/);
  });
});
