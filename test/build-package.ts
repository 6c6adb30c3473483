/**
 * Builds the package (`npm run build`) for tests that need dist/, once at a time: vitest runs test files in
 * parallel, and two rollup runs writing dist/ together could hand a half-written file to a test that reads it.
 * A lock directory serialises them; a test that finds a build under way waits for it and uses its result, since
 * the sources do not change during a test run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const lock = join(root, 'node_modules/.cache/yibao-guard-build.lock');
/** A lock older than this was left by a crashed run. */
const STALE_MS = 5 * 60_000;

export async function buildPackage(): Promise<void> {
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const since = (() => {
        try {
          return Date.now() - statSync(lock).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if (since > STALE_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      // Someone else is building: their dist/ is ours too.
      while (statSync(lock, { throwIfNoEntry: false })) await new Promise((resolve) => setTimeout(resolve, 200));
      return;
    }
  }
  try {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
