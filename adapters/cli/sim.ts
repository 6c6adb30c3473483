import { maskName } from '../../src/codes/index.js';
import { buildMsgid, formatCstTime, parseCstTime } from '../../src/platform/index.js';
import {
  createSimulator,
  DEMO_PEOPLE,
  DEMO_PHARMACIES,
  SIMULATOR_CALL_PATH,
  startSimulator,
  type DemoPersonKey,
  type RunningSimulator,
} from '../simulator/index.js';
import { badPort, parseCommand, parsePort, SERVE_OPTIONS, SERVE_USAGE, usageError, type CliIo } from './args.js';
import { CliUsageError } from './usage-error.js';

/** The people whose voucher QR `sim` prints at start: one who can settle, one with 慢特病, one the till must stop. */
const SHOWN: readonly DemoPersonKey[] = ['active', 'chronic', 'deceased'];

export const SIM_USAGE = `用法 / usage: yibao-guard sim [--port 8787] [--quiet] [--now "yyyy-MM-dd HH:mm:ss"]
选项 / options:
${SERVE_USAGE}
  --now       时钟停在该北京时间（POST /__sim/advance 推进）/ the clock stands at that CST time (POST /__sim/advance moves it)`;

/** The usage error for a `--now` that is no CST wall time. */
function badNow(): CliUsageError {
  return new CliUsageError(
    'USAGE_BAD_VALUE',
    '--now 须为北京时间 "yyyy-MM-dd HH:mm:ss"',
    '--now takes a CST time "yyyy-MM-dd HH:mm:ss"',
  );
}

/** A sign-in envelope written out by hand, as a vendor would first try the endpoint with curl. */
function curlExample(url: string, now: number): string {
  const pharmacy = DEMO_PHARMACIES.active;
  const envelope = {
    infno: '9001',
    msgid: buildMsgid(pharmacy.code, now, 1),
    mdtrtarea_admvs: pharmacy.admdvs,
    recer_sys_code: 'YBXT',
    dev_no: 'T01',
    infver: 'V1.0',
    opter_type: '1',
    opter: 'OP7',
    opter_name: '收银员',
    inf_time: formatCstTime(now),
    fixmedins_code: pharmacy.code,
    fixmedins_name: pharmacy.name,
    input: { signIn: { opter_no: 'OP7', mac: '00-1A-2B-3C-4D-5E', ip: '127.0.0.1' } },
  };
  return `curl -s -X POST ${url}${SIMULATOR_CALL_PATH} -H 'Content-Type: application/json;charset=utf-8' -d '${JSON.stringify(envelope)}'`;
}

/**
 * `yibao-guard sim [--port 8787] [--quiet] [--now "yyyy-MM-dd HH:mm:ss"]`: starts the platform simulator on 127.0.0.1
 * and prints how to use it (the URL, demo voucher QRs with masked names, a curl sign-in). `--now` stands the
 * simulator's clock still at that CST time (POST /__sim/advance moves it); without it the clock is the wall clock.
 * Resolves once it listens, with the running server (the caller stops it on Ctrl-C), or with an exit code for a
 * usage error.
 *
 * @example
 * const { server } = await runSim(['--port', '0'], io)
 */
export async function runSim(args: readonly string[], io: CliIo): Promise<{ code: number; server?: RunningSimulator }> {
  const parsed = parseCommand(args, io, { usage: SIM_USAGE, options: { ...SERVE_OPTIONS, now: { type: 'string' } } });
  if ('code' in parsed) return parsed;
  const port = parsePort(parsed.values.port);
  if (port === undefined) return usageError(io, SIM_USAGE, badPort());
  // --now stands the clock still at a CST wall time, so that a session (a script, a test, a support case replayed)
  // sees the same times on every run.
  const frozenAt = parsed.values.now === undefined ? undefined : parseCstTime(parsed.values.now);
  if (parsed.values.now !== undefined && frozenAt === undefined) return usageError(io, SIM_USAGE, badNow());
  const quiet = parsed.values.quiet;
  const simulator = createSimulator({
    ...(quiet ? {} : { log: (line: string) => io.out(line) }),
    ...(frozenAt === undefined ? {} : { clock: { now: () => frozenAt } }),
  });
  let server: RunningSimulator;
  try {
    server = await startSimulator({ port, simulator });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    io.err(
      code === 'EADDRINUSE'
        ? `端口 ${port} 已被占用 / port ${port} is in use: try --port 0`
        : `模拟器未能启动 / the simulator did not start: ${String(error)}`,
    );
    return { code: 1 };
  }
  const { url } = server;
  const now = simulator.now();
  const lines = [
    'yibao-guard 医保信息平台模拟器 / provincial platform simulator',
    `  业务接口 / business calls:  POST ${url}${SIMULATOR_CALL_PATH}`,
    `  控制接口 / control API:     ${url}/__sim/state`,
    `  平台公钥 / platform key:    ${simulator.platformPublicKey}`,
    `  定点药店 / pharmacies:      ${Object.values(DEMO_PHARMACIES)
      .map((p) => `${p.code} ${p.name}（${p.agreement === 'active' ? '协议正常 active' : '协议暂停 suspended'}）`)
      .join('；')}`,
    '',
    `演示医保码 / demo voucher QRs (有效至 valid until ${formatCstTime(now + 5 * 60_000).slice(11)}; 新码 / a new one: curl -s -X POST ${url}/__sim/issue-voucher -d '{"person":"active"}' -H 'Content-Type: application/json'):`,
    ...SHOWN.map((key) => {
      const person = DEMO_PEOPLE[key];
      return `  ${key.padEnd(9)} ${maskName(person.name)}  ${person.about}\n            ${simulator.issueVoucher(key).qr}`;
    }),
    '',
    '签到示例 / sign in with curl:',
    `  ${curlExample(url, now)}`,
    '',
    `模拟器运行中 / listening on ${url} — 按 Ctrl-C 停止 / Ctrl-C to stop`,
  ];
  io.out(lines.join('\n'));
  return { code: 0, server };
}
