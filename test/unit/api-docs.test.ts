/**
 * The API reference (`npm run docs`, TypeDoc over typedoc.config.mjs) builds without a warning — an export whose
 * type names something undocumented, a `{@link}` to nothing — and has one module per subpath of package.json's
 * "exports", named as an app imports it. TypeDoc compiles the whole program: on a loaded machine that takes over a
 * minute, hence one run and a generous timeout.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  scripts: Record<string, string>;
  exports: Record<string, unknown>;
};

describe('the API reference', () => {
  it('is what npm run docs builds', () => {
    expect(pkg.scripts.docs).toBe('typedoc');
  });

  it('builds with TypeDoc, warnings treated as errors, one module per subpath export', async () => {
    const out = mkdtempSync(join(tmpdir(), 'yg-api-'));
    try {
      const typedoc = join(root, 'node_modules/typedoc/bin/typedoc');
      const result = await run(
        process.execPath,
        [typedoc, '--treatWarningsAsErrors', '--out', join(out, 'html'), '--json', join(out, 'api.json')],
        { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      ).then(
        ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code,
          output: `${error.stdout}${error.stderr}`,
        }),
      );
      expect(result.output).not.toMatch(/\[warning\]|\[error\]/);
      expect(result.code, result.output).toBe(0);
      const project = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8')) as { children: { name: string }[] };
      const specifiers = Object.keys(pkg.exports)
        .filter((subpath) => subpath !== './package.json')
        .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`));
      expect(project.children.map((module) => module.name).sort()).toEqual(specifiers.sort());
      expect(readFileSync(join(out, 'html/index.html'), 'utf8')).toContain('yibao-guard/idb');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 400_000);
});
