import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { DEMO_PEOPLE } from '../../adapters/simulator/index.js';
import { buildPackage } from '../build-package.js';

const root = new URL('../../', import.meta.url).pathname;

/** Runs a node script to its end. */
function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('examples/his-hook', () => {
  beforeAll(async () => {
    await buildPackage();
  });

  it('runs the service on a free port and the HIS script against it, end to end, on the built package', async () => {
    const service = spawn(process.execPath, ['examples/his-hook/service.mjs', '--port', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let serviceOut = '';
    service.stderr.on('data', (c: Buffer) => (serviceOut += c.toString()));
    const exited = new Promise<number | null>((resolve) => service.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        service.stdout.on('data', (c: Buffer) => {
          serviceOut += c.toString();
          const match = /HIS hook service: (http:\/\/127\.0\.0\.1:\d+)\/cds-services/.exec(serviceOut);
          if (match) resolve(match[1]!);
        });
        service.on('exit', () => reject(new Error(`service exited: ${serviceOut}`)));
      });
      const client = await run(['examples/his-hook/his-client.mjs', '--url', url]);
      expect(client.out).toContain('[critical/hard] 串换：保健品不能按医保结算');
      expect(client.out).toContain('feedback: recorded, recorded');
      expect(client.out).toContain('same feedback again: duplicate, duplicate');
      expect(client.out).toContain('replayed token: 401 HIS_UNAUTHORIZED (replayed)');
      expect(client.out).toMatch(/audit trail: sale-review, finding-action, finding-override, sale-review/);
      expect(client.out.trim().endsWith('ok')).toBe(true);
      expect(client.code).toBe(0);
      // Neither script shows the patient's 身份证 or name unmasked.
      for (const text of [client.out, serviceOut]) {
        expect(text).not.toContain(DEMO_PEOPLE.resident.residentId);
        expect(text).not.toContain(DEMO_PEOPLE.resident.name);
      }
    } finally {
      service.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
