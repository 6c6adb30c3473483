/**
 * Builds the package (`npm run build`) for tests that need dist/, once at a time and only when the sources changed:
 * vitest runs test files in parallel, and a rollup run writing dist/ could hand a half-written file to a test that
 * reads it — or to the child processes (CLI, crash tills) that another test file is still starting from dist/.
 * A lock directory serialises the builds; a test that finds a build under way waits for it and uses its result;
 * and a build is skipped when dist/ was built by this helper from the sources as they are now (a fingerprint of
 * what the build reads, kept beside the lock), so that later test files — or a second copy of the suite running at
 * the same time — do not rewrite dist/ under the ones using it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const cache = join(root, 'node_modules/.cache');
const lock = join(cache, 'yibao-guard-build.lock');
const stamp = join(cache, 'yibao-guard-build.stamp');
/** What the build reads. */
const INPUTS = ['src', 'adapters', 'rollup.config.mjs', 'package.json', 'tsconfig.json', 'tsconfig.core.json'];
/** What a test may use from dist/: all must be there. */
const OUTPUTS = [
  'dist/index.js',
  'dist/engine.js',
  'dist/sqlite.js',
  'dist/simulator.js',
  'dist/cli.js',
  'dist/src/index.d.ts',
];
/** A lock whose builder's pid cannot be read after this long was left half-made by a crashed run. */
const UNREADABLE_LOCK_MS = 60_000;

/** sha-256 over every input file's path and bytes, in a fixed order. */
function fingerprint(): string {
  const hash = createHash('sha256');
  const visit = (path: string) => {
    const full = join(root, path);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) visit(join(path, name));
      return;
    }
    hash.update(`${path}\0`);
    hash.update(readFileSync(full));
    hash.update('\0');
  };
  for (const input of INPUTS) visit(input);
  return hash.digest('hex');
}

/** The outputs as this helper left them (a `npm run build` by hand since then changes them); '-' for a missing one. */
function outputs(): string {
  return OUTPUTS.map((file) => statSync(join(root, file), { throwIfNoEntry: false })?.mtimeMs ?? '-').join(',');
}

/** The lock is held by a process that is gone (or unreadable for a long time): it can be taken over. */
function stale(): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === 'ESRCH') return true;
    if ((error as { code?: string }).code === 'EPERM') return false;
    // No pid file yet: the holder has just made the lock, unless it has been like that for long.
    try {
      return Date.now() - statSync(lock).mtimeMs > UNREADABLE_LOCK_MS;
    } catch {
      return false;
    }
  }
}

export async function buildPackage(): Promise<void> {
  mkdirSync(cache, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      if (stale()) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      // Someone else is building: their dist/ is ours too.
      while (existsSync(lock) && !stale()) await new Promise((resolve) => setTimeout(resolve, 200));
      if (!existsSync(lock)) return;
    }
  }
  try {
    // Read before the build: sources edited while it runs leave the stamp behind them, so the next caller rebuilds.
    const sources = fingerprint();
    const built = existsSync(stamp) ? readFileSync(stamp, 'utf8') : '';
    if (built !== '' && built === `${sources} ${outputs()}`) return;
    rmSync(stamp, { force: true });
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
    writeFileSync(stamp, `${sources} ${outputs()}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
