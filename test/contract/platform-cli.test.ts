/**
 * `npx yibao-guard sim` answers a hand-written national envelope: the built CLI (dist/cli.js) is started on a free
 * port, and the test talks to it exactly as a vendor with curl would: plain fetch, JSON written out by hand, no
 * client code and no simulator code on this side (the control API hands out the e-voucher token).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { buildPackage } from '../build-package.js';

const root = new URL('../../', import.meta.url).pathname;
const CALL_PATH = '/fsi/api/rsfComIfsService/callService';
/**
 * The simulator's time, China Standard Time, as a shell user writes it: `yyyy-MM-dd HH:mm:ss` and `yyyyMMddHHmmss`.
 * `sim --now` stands its clock still there, so the answers' times are known to the second (with the wall clock, a
 * second could tick between writing the envelope and the simulator reading it).
 */
const T0 = { time: '2026-11-23 10:00:00', compact: '20261123100000' };

let child: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;
let stdout = '';
let url = '';

beforeAll(async () => {
  await buildPackage();
  const sim = spawn(process.execPath, ['dist/cli.js', 'sim', '--port', '0', '--now', T0.time], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = sim;
  exited = new Promise((resolve) => sim.on('exit', (code) => resolve(code)));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim did not start:\n${stdout}`)), 20_000);
    const read = (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1] as string);
      }
    };
    sim.stdout.on('data', read);
    sim.stderr.on('data', read);
    sim.on('exit', (code) => reject(new Error(`sim exited early (${code}):\n${stdout}`)));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  await exited;
});

/** What `curl -s -X POST $URL -H 'Content-Type: application/json;charset=utf-8' -d "$BODY"` does. */
async function curl(path: string, body: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json;charset=utf-8' },
    body,
  });
  return { status: res.status, json: JSON.parse(await res.text()) };
}

describe('npx yibao-guard sim', () => {
  it('prints a usable URL for --port 0', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(url.split(':')[2])).toBeGreaterThan(0);
    expect(stdout).toContain(`POST ${url}${CALL_PATH}`);
  });

  it('keeps the time --now gave it: the clock stands still until POST /__sim/advance', async () => {
    expect(stdout).toContain('valid until 10:05:00');
    const state = async () => ((await (await fetch(`${url}/__sim/state`)).json()) as { now: string }).now;
    expect(await state()).toBe(T0.time);
    expect(await state()).toBe(T0.time);
  });

  it('answers a hand-written 9001 sign-in, then a 1101 person query by e-voucher token', async () => {
    const voucher = await curl('/__sim/issue-voucher', '{"person":"active"}');
    expect(voucher.status).toBe(200);
    const ecToken = voucher.json.ecToken as string;
    expect(ecToken).toMatch(/^220100[0-9A-Za-z]{32}$/);

    const { time, compact } = T0;
    const signIn = await curl(
      CALL_PATH,
      `{"infno":"9001","msgid":"P22010100001${compact}0001","mdtrtarea_admvs":"220100","recer_sys_code":"YBXT","dev_no":"CURL1",` +
        `"infver":"V1.0","opter_type":"1","opter":"OP7","opter_name":"收银员","inf_time":"${time}","fixmedins_code":"P22010100001",` +
        `"fixmedins_name":"长春市示范大药房（人民大街店）","input":{"signIn":{"opter_no":"OP7","mac":"00-1A-2B-3C-4D-5E","ip":"127.0.0.1"}}}`,
    );
    expect(signIn.status).toBe(200);
    expect(signIn.json).toMatchObject({ infcode: 0, err_msg: null, output: { signinoutb: { sign_time: time } } });
    expect(signIn.json.inf_refmsgid).toMatch(/^220100\d{24}$/);
    expect(signIn.json.respond_time).toMatch(/^20261123100000\d{3}$/);
    const signNo = signIn.json.output.signinoutb.sign_no as string;
    expect(signNo).toMatch(/^\d+$/);

    const person = await curl(
      CALL_PATH,
      `{"infno":"1101","msgid":"P22010100001${compact}0002","mdtrtarea_admvs":"220100","recer_sys_code":"YBXT","dev_no":"CURL1",` +
        `"infver":"V1.0","opter_type":"1","opter":"OP7","opter_name":"收银员","inf_time":"${time}","fixmedins_code":"P22010100001",` +
        `"fixmedins_name":"长春市示范大药房（人民大街店）","sign_no":"${signNo}",` +
        `"input":{"data":{"mdtrt_cert_type":"01","mdtrt_cert_no":"${ecToken}"}}}`,
    );
    expect(person.status).toBe(200);
    expect(person.json.infcode).toBe(0);
    expect(person.json.output.baseinfo).toMatchObject({
      psn_no: '22010000000000000001',
      psn_name: '李明华',
      psn_cert_type: '01',
      gend: '1',
      brdy: '1978-04-12',
      surv_stas: '1',
    });
    // Amounts on the wire are yuan.
    expect(person.json.output.insuinfo).toMatchObject([
      { balc: 1568.8, insutype: '310', psn_insu_stas: '1', insuplc_admdvs: '220100' },
    ]);

    // Without the sign_no, the platform asks for a sign-in.
    const unsigned = await curl(
      CALL_PATH,
      `{"infno":"1101","msgid":"P22010100001${compact}0003","mdtrtarea_admvs":"220100","recer_sys_code":"YBXT","dev_no":"CURL1",` +
        `"infver":"V1.0","opter_type":"1","opter":"OP7","opter_name":"收银员","inf_time":"${time}","fixmedins_code":"P22010100001",` +
        `"fixmedins_name":"长春市示范大药房（人民大街店）","input":{"data":{"mdtrt_cert_type":"01","mdtrt_cert_no":"${ecToken}"}}}`,
    );
    expect(unsigned.json).toMatchObject({ infcode: -2, err_msg: expect.stringMatching(/签到信息已失效/) });

    // The server logged one line per request, no personal data in it.
    const received = (await (await fetch(`${url}/__sim/received`)).json()) as {
      infno: string;
      msgid: string;
      outcome: number;
    }[];
    expect(received.map((r) => [r.infno, r.outcome])).toEqual([
      ['9001', 0],
      ['1101', 0],
      ['1101', -2],
    ]);
    await expect.poll(() => stdout).toMatch(new RegExp(`1101 P22010100001${compact}0002 dev=CURL1 → infcode 0`));
    expect(stdout).not.toContain(ecToken);
    expect(stdout).not.toContain('李明华');
  });
});
