import { readFileSync } from 'node:fs';
import { runDemo } from './demo.js';
import { runCli, type CliIo } from './run.js';
import { runSelfAudit } from './self-audit.js';
import { runSim } from './sim.js';
import { runVerify } from './verify.js';

// Built to dist/cli.js: package.json is one level up, in the repo and when installed.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const io: CliIo = { out: (line) => console.log(line), err: (line) => console.error(line) };
const [command, ...rest] = process.argv.slice(2);

if (command === 'sim') {
  // The one long-running command: it keeps the process alive until Ctrl-C (SIGINT) or SIGTERM closes the server.
  const { code, server } = await runSim(rest, io);
  process.exitCode = code;
  if (server) {
    const stop = () => {
      void server.close().then(() => io.out('模拟器已停止 / simulator stopped'));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
} else if (command === 'demo') {
  // Long-running too: the demo page and the simulator on one origin until Ctrl-C.
  const { code, demo } = await runDemo(rest, io);
  process.exitCode = code;
  if (demo) {
    const stop = () => {
      void demo.close().then(() => io.out('演示已停止 / demo stopped'));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
} else if (command === 'verify') {
  process.exitCode = await runVerify(rest, io);
} else if (command === 'self-audit') {
  process.exitCode = await runSelfAudit(rest, io);
} else {
  process.exitCode = runCli(process.argv.slice(2), io, version);
}
