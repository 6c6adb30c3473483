/**
 * What `npm pack` (and `npm publish`) ships is what the sources build now: `prepack` builds the package and the demo
 * page, and the build starts from an empty dist/, so nothing an earlier build left there (a chunk whose hash has
 * changed since, a module that was renamed) reaches the tarball.
 *
 * Proven on a copy of the repository in a temp dir (its own dist/, the repo's node_modules linked), so the repo's
 * dist/ that other test files use (test/build-package.ts) is never rebuilt under them: a stale file is put in the
 * copy's dist/, then `npm pack --dry-run` runs prepack there and lists what it would pack.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  files: string[];
};

/** What the build and the demo build read, and what npm packs besides dist/. */
const COPIED = [
  'src',
  'adapters',
  'examples/demo-terminal',
  'rollup.config.mjs',
  'package.json',
  'tsconfig.json',
  'tsconfig.core.json',
  'tsconfig.build.json',
  'README.md',
  'LICENSE',
  ...pkg.files.filter((f) => f !== 'dist'),
];

describe('the package build', () => {
  it('runs the build before npm packs (prepack), and the demo page with it', () => {
    expect(pkg.scripts.prepack).toBe('npm run build && npm run build:demo');
  });

  it('starts from an empty dist/: npm pack ships no file an earlier build left', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'yg-build-'));
    try {
      for (const path of COPIED) cpSync(join(root, path), join(copy, path), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
      // What a build of yesterday's sources left: a chunk under a hash today's build does not produce, and a module.
      mkdirSync(join(copy, 'dist/chunks'), { recursive: true });
      writeFileSync(join(copy, 'dist/chunks/index-0ld0ld0l.d.ts'), 'export declare const stale: true;\n');
      writeFileSync(join(copy, 'dist/stale-entry.js'), 'export const stale = true;\n');

      const packed = await run('npm', ['pack', '--dry-run', '--json'], {
        cwd: copy,
        env: { ...process.env, npm_config_update_notifier: 'false' },
        maxBuffer: 64 * 1024 * 1024,
      });
      // npm prints the lifecycle scripts' output before the JSON.
      const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as { files: { path: string }[] }[];
      const paths = info!.files.map((f) => f.path);

      expect(existsSync(join(copy, 'dist/stale-entry.js'))).toBe(false);
      expect(existsSync(join(copy, 'dist/chunks/index-0ld0ld0l.d.ts'))).toBe(false);
      expect(paths.filter((p) => p.includes('stale') || p.includes('0ld0ld0l'))).toEqual([]);
      // prepack built it all: the entries, the CLI, the declarations, the demo page `yibao-guard demo` serves.
      expect(paths).toEqual(
        expect.arrayContaining([
          'dist/index.js',
          'dist/src/index.d.ts',
          'dist/cli.js',
          'dist/demo-terminal/app.js',
          'dist/demo-terminal/index.html',
          'LICENSE',
          'README.md',
        ]),
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 300_000);
});
