import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { runSim } from '../../adapters/cli/sim.js';
import { DEMO_PEOPLE, SIMULATOR_CALL_PATH } from '../../adapters/simulator/index.js';
import { buildPackage } from '../build-package.js';

const root = new URL('../../', import.meta.url).pathname;

/** The sign-in envelope of the printed curl example, sent as curl would send it. */
async function curlLike(output: string): Promise<{ infcode: number; output: { signinoutb: { sign_no: string } } }> {
  const [, url, body] = /curl -s -X POST (\S+) -H '[^']+' -d '([^']+)'/.exec(output) ?? [];
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+${SIMULATOR_CALL_PATH}$`));
  const res = await fetch(url as string, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json;charset=utf-8' },
    body: body as string,
  });
  return (await res.json()) as { infcode: number; output: { signinoutb: { sign_no: string } } };
}

describe('yibao-guard sim', () => {
  it('starts on a free port, prints the URL, voucher QRs with masked names and a curl sign-in that works', async () => {
    const out: string[] = [];
    const { code, server } = await runSim(['--port', '0'], { out: (l) => out.push(l), err: (l) => out.push(l) });
    try {
      expect(code).toBe(0);
      const text = out.join('\n');
      expect(text).toContain(`${server?.url}${SIMULATOR_CALL_PATH}`);
      expect(text).toMatch(/ecqr:220100[0-9A-Za-z]{32}/);
      expect(text).toContain('李**');
      for (const person of Object.values(DEMO_PEOPLE)) {
        expect(text).not.toContain(person.name);
        expect(text).not.toContain(person.residentId);
      }
      const answer = await curlLike(text);
      expect(answer.infcode).toBe(0);
      expect(answer.output.signinoutb.sign_no).toMatch(/^\d+$/);
      // One log line per request.
      expect(out.at(-1)).toMatch(/9001 P22010100001\d{18} dev=T01 → infcode 0/);
    } finally {
      await server?.close();
    }
  });

  it('--now stands the clock still at a CST time, moved only by POST /__sim/advance; a time that does not exist is refused', async () => {
    const out: string[] = [];
    const { code, server } = await runSim(['--port', '0', '--now', '2026-12-31 23:59:30', '--quiet'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    try {
      expect(code).toBe(0);
      expect(out.join('\n')).toContain('"inf_time":"2026-12-31 23:59:30"');
      expect(server?.simulator.now()).toBe(Date.UTC(2026, 11, 31, 15, 59, 30));
      const advanced = await fetch(`${server?.url}/__sim/advance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"ms":60000}',
      });
      expect(advanced.status).toBe(200);
      expect(server?.simulator.now()).toBe(Date.UTC(2026, 11, 31, 16, 0, 30));
    } finally {
      await server?.close();
    }
    for (const bad of [['--now', '2026-02-30 10:00:00'], ['--now', '20261123100000'], ['--now']]) {
      const err: string[] = [];
      expect(
        (await runSim(['--port', '0', ...bad], { out: () => {}, err: (l) => err.push(l) })).code,
        bad.join(' '),
      ).toBe(2);
      expect(err.join('\n')).toMatch(/--now/);
    }
  });

  it('refuses a bad port with exit code 2', async () => {
    const err: string[] = [];
    expect((await runSim(['--port', 'eighty'], { out: () => {}, err: (l) => err.push(l) })).code).toBe(2);
    expect(err.join('\n')).toMatch(/usage: yibao-guard sim/);
  });

  describe('the built command', () => {
    beforeAll(async () => {
      await buildPackage();
    });

    it('runs from dist/cli.js, answers a curl-like call, and stops on Ctrl-C', async () => {
      const child = spawn(process.execPath, ['dist/cli.js', 'sim', '--port', '0'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            if (stdout.includes('Ctrl-C to stop')) resolve();
          });
          child.on('exit', () => reject(new Error(`sim exited early:\n${stdout}`)));
        });
        expect((await curlLike(stdout)).infcode).toBe(0);
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited).toBe(0);
      expect(stdout).toContain('模拟器已停止 / simulator stopped');
    });
  });
});
