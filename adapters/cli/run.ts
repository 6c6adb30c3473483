import { residentIdCheckChar } from '../../src/index.js';
import { checkCode } from './check.js';

/** Where the CLI writes; injected so tests read what a user would see. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** The example number of GB 11643-1999 itself (no one's), completed with its check character. */
const SAMPLE_RESIDENT_ID = `11010519491231002${residentIdCheckChar('11010519491231002')}`;

const HELP = `yibao-guard — 医保基金合规收银 SDK

用法 / usage:
  yibao-guard demo              演示收银终端 / the demo terminal (npm start)
  yibao-guard sim [--port 8787] 启动医保平台模拟器 / start the platform simulator on 127.0.0.1 (--port 0: any free port)
  yibao-guard check <code>...   校验身份证、追溯码、条码、区划、医保编码 / validate IDs, trace codes, barcodes, area and item codes
  yibao-guard verify <export.jsonl | QR text> [--key PUBKEY]   核验票据链或票据二维码 / verify an invoice chain export or a receipt QR
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
      io.out(
        [
          `yibao-guard ${version}`,
          '演示收银终端尚未完成：它随平台模拟器与收银终端一起到来（issue [2/10]、[7/10]）。',
          'The demo terminal is not built yet: it arrives with the platform simulator and the terminal (issues [2/10], [7/10]).',
          '',
          '现在可用 / available now:',
          '  npx yibao-guard sim            医保平台模拟器 / the platform simulator on 127.0.0.1:8787',
          '  npx yibao-guard check <code>   校验一个编码 / validate a code, e.g.',
          ...[SAMPLE_RESIDENT_ID, '6901234567892', '81234560000000000017'].map((code) => `    ${checkCode(code).text}`),
        ].join('\n'),
      );
      return 0;
    case 'sim':
      // Long-running and asynchronous: main.ts runs it (runSim in sim.ts); this synchronous entry only says so.
      io.err('sim 由 yibao-guard 命令启动 / `sim` runs from the yibao-guard command (or call runSim() from sim.ts)');
      return 2;
    case 'verify':
      // Asynchronous like sim: main.ts runs it (runVerify in verify.ts).
      io.err('verify 由 yibao-guard 命令运行 / `verify` runs from the yibao-guard command (or call runVerify() from verify.ts)');
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
