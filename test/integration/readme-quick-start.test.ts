/**
 * README's quick start runs as written: its code block is taken out of README.md byte for byte, saved as a module
 * inside the repository (so `yibao-guard` resolves to the built package by self-reference, as it would from
 * node_modules) and run by Node from an empty directory (its `till.sqlite` is made there). It settles one insured
 * sale against the simulator and delivers it.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildPackage } from '../build-package.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** The first js block after "Quick start" in README.md. */
function quickStart(readme: string): string {
  const at = readme.indexOf('Quick start');
  if (at < 0) throw new Error('README.md has no "Quick start"');
  const block = /```js\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!block) throw new Error('README.md has no ```js block after "Quick start"');
  return `${block[1]}\n`;
}

describe('README quick start', () => {
  it('comes first in README, before the first section', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.indexOf('Quick start')).toBeGreaterThan(0);
    expect(readme.indexOf('Quick start')).toBeLessThan(readme.indexOf('\n## '));
  });

  it('runs as written against the simulator: one insured sale settled and its receipt signed', async () => {
    await buildPackage();
    const code = quickStart(readFileSync(join(root, 'README.md'), 'utf8'));
    // Inside the repository, where Node resolves `yibao-guard` to this package (.tmp/ is git-ignored).
    const dir = join(root, '.tmp');
    mkdirSync(dir, { recursive: true });
    const script = join(dir, `readme-quick-start-${process.pid}.mjs`);
    const cwd = mkdtempSync(join(tmpdir(), 'yg-readme-'));
    try {
      writeFileSync(script, code);
      const { stdout, stderr } = await run(process.execPath, [script], { cwd, timeout: 120_000 });
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^settled ST\d+: 统筹 \d+\.\d\d, 现金 \d+\.\d\d$/m);
      expect(stdout).toContain('invoice #1, signed: true');
      expect(stdout).not.toMatch(/\[block\]/);
      expect(existsSync(join(cwd, 'till.sqlite'))).toBe(true);
    } finally {
      rmSync(script, { force: true });
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 180_000);
});
