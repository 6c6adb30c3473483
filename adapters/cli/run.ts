import { parseCommand, usageError, type CliIo } from './args.js';
import { checkCode } from './check.js';
import { runDemo } from './demo.js';
import { runSelfAudit } from './self-audit.js';
import { runSim } from './sim.js';
import { CliUsageError } from './usage-error.js';
import { runVerify } from './verify.js';

export type { CliIo } from './args.js';
export { CliUsageError, USAGE_ERROR_CODES, type UsageErrorCode } from './usage-error.js';

const HELP = `yibao-guard — 医保基金合规收银 SDK

用法 / usage:
  yibao-guard demo [--port 8787] 演示收银终端与模拟器 / the demo terminal with the simulator on 127.0.0.1 (npm start)
  yibao-guard sim [--port 8787] 启动医保平台模拟器 / start the platform simulator on 127.0.0.1 (--port 0: any free port)
                                [--now "yyyy-MM-dd HH:mm:ss"] 时钟停在该北京时间 / the clock stands at that CST time (POST /__sim/advance moves it)
  yibao-guard check <code>...   校验身份证、追溯码、条码、区划、医保编码 / validate IDs, trace codes, barcodes, area and item codes
  yibao-guard verify <export.jsonl | QR text> [--key PUBKEY]   核验票据链或票据二维码 / verify an invoice chain export or a receipt QR
  yibao-guard self-audit --db <till.sqlite> --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--out report.html|.csv] [--catalog products.json]
                                自查自纠：按规则复核期间内全部销售，生成问题台账与图表报告（--to 不含当日；self-audit --help 查看全部选项）
                                self-audit: replay the period's sales through the rules, write the problem ledger and charts (--to excluded; see self-audit --help)
  yibao-guard help              本帮助 / this help（每个命令都有 --help / every command takes --help）
`;

export const CHECK_USAGE = `用法 / usage: yibao-guard check <code>...
  校验身份证、追溯码、条码、区划、医保编码（按形状识别种类；身份证只显示脱敏形式）
  validate resident IDs, trace codes, barcodes, area and item codes (the kind is told by the shape; IDs print masked)`;

/** `yibao-guard check <code>...`: exit 0 when every code is valid, 1 when one is not, 2 for a usage error. */
function runCheck(args: readonly string[], io: CliIo): number {
  const parsed = parseCommand(args, io, { usage: CHECK_USAGE, options: {}, positionals: true });
  if ('code' in parsed) return parsed.code;
  if (parsed.positionals.length === 0) {
    return usageError(
      io,
      CHECK_USAGE,
      new CliUsageError('USAGE_MISSING_ARGUMENT', '请给出要校验的编码', 'give at least one code to check'),
    ).code;
  }
  let ok = true;
  for (const code of parsed.positionals) {
    const report = checkCode(code);
    ok &&= report.ok;
    (report.ok ? io.out : io.err)(report.text);
  }
  return ok ? 0 : 1;
}

/** What a command ended with: its exit code and, for a long-running one (`sim`, `demo`), how to stop it. */
export interface CliResult {
  readonly code: number;
  /** Closes what the command left running and says so; `main.ts` calls it on Ctrl-C (SIGINT) or SIGTERM. */
  readonly stop?: () => Promise<void>;
}

/**
 * Runs the `yibao-guard` command with its arguments and resolves with the exit code (0 ok, 1 findings or failure, 2
 * usage error), and for `sim` and `demo` the running server's `stop`. Pure apart from `io` and what the command
 * serves, so the tests drive it directly and `main.ts` only wires it to the process.
 *
 * @example
 * await runCli(['check', '81234560000000000017'], { out: console.log, err: console.error }, '0.1.0') // { code: 0 }
 */
export async function runCli(args: readonly string[], io: CliIo, version: string): Promise<CliResult> {
  const [command = 'help', ...rest] = args;
  switch (command) {
    case 'help':
    case '--help':
    case '-h':
      io.out(HELP);
      return { code: 0 };
    case 'version':
    case '--version':
      io.out(version);
      return { code: 0 };
    case 'check':
      return { code: runCheck(rest, io) };
    case 'verify':
      return { code: await runVerify(rest, io) };
    case 'self-audit':
      return { code: await runSelfAudit(rest, io) };
    case 'sim': {
      const { code, server } = await runSim(rest, io);
      if (!server) return { code };
      return { code, stop: () => server.close().then(() => io.out('模拟器已停止 / simulator stopped')) };
    }
    case 'demo': {
      const { code, demo } = await runDemo(rest, io);
      if (!demo) return { code };
      return { code, stop: () => demo.close().then(() => io.out('演示已停止 / demo stopped')) };
    }
    default:
      return usageError(io, HELP, new CliUsageError('USAGE_UNKNOWN_COMMAND', '未知命令', 'unknown command', command));
  }
}
