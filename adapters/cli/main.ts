import { readFileSync } from 'node:fs';
import { runCli, type CliIo } from './run.js';

// Built to dist/cli.js: package.json is one level up, in the repo and when installed.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const io: CliIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const { code, stop } = await runCli(process.argv.slice(2), io, version);
process.exitCode = code;
if (stop) {
  // `sim` and `demo` keep the process alive until Ctrl-C (SIGINT) or SIGTERM closes what they serve.
  const onSignal = () => void stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
