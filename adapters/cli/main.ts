import { readFileSync } from 'node:fs';
import { runCli } from './run.js';

// Built to dist/cli.js: package.json is one level up, in the repo and when installed.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

process.exitCode = runCli(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line) }, version);
