import { checkCode } from './check.js';

/** Where the CLI writes; injected so tests read what a user would see. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

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
  yibao-guard help              本帮助 / this help
`;

/**
 * Runs the `yibao-guard` command with its arguments and returns the exit code. Pure apart from `io`, so the
 * tests drive it directly and `main.ts` only wires it to the process. `sim`, the one long-running command, is
 * asynchronous and lives in `sim.ts`; `main.ts` dispatches it there.
 *
 * @example
 * runCli(['check', '81234560000000000017'], { out: console.log, err: console.error }, '0.1.0') // 0
 */
export function runCli(args: readonly string[], io: CliIo, version: string): number {
  const [command = 'help', ...rest] = args;
  switch (command) {
    case 'help':
    case '--help':
    case '-h':
      io.out(HELP);
      return 0;
    case 'version':
    case '--version':
      io.out(version);
      return 0;
    case 'demo':
      // Long-running like sim: main.ts runs it (runDemo in demo.ts), serving the page and the simulator on one origin.
      io.err('demo 由 yibao-guard 命令启动 / `demo` runs from the yibao-guard command (or call runDemo() from demo.ts)');
      return 2;
    case 'sim':
      // Long-running and asynchronous: main.ts runs it (runSim in sim.ts); this synchronous entry only says so.
      io.err('sim 由 yibao-guard 命令启动 / `sim` runs from the yibao-guard command (or call runSim() from sim.ts)');
      return 2;
    case 'verify':
      // Asynchronous like sim: main.ts runs it (runVerify in verify.ts).
      io.err('verify 由 yibao-guard 命令运行 / `verify` runs from the yibao-guard command (or call runVerify() from verify.ts)');
      return 2;
    case 'self-audit':
      // Asynchronous like verify: main.ts runs it (runSelfAudit in self-audit.ts).
      io.err('self-audit 由 yibao-guard 命令运行 / `self-audit` runs from the yibao-guard command (or call runSelfAudit() from self-audit.ts)');
      return 2;
    case 'check': {
      if (rest.length === 0) {
        io.err('请给出要校验的编码 / give at least one code to check');
        return 2;
      }
      let ok = true;
      for (const code of rest) {
        const report = checkCode(code);
        ok &&= report.ok;
        (report.ok ? io.out : io.err)(report.text);
      }
      return ok ? 0 : 1;
    }
    default:
      io.err(`未知命令 / unknown command: ${command}\n\n${HELP}`);
      return 2;
  }
}
