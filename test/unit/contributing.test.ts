/**
 * CONTRIBUTING.md's map of the house matches the tree: every folder of src/, adapters/ and examples/ has its row,
 * every folder the map names exists, and its rule that no code reads the design notes beside the repository holds.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const contributing = readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8');

/** The folders the map names: code spans that are a path ending in `/` (`src/rules/`, `test/e2e/artifacts/`). */
const named = [...contributing.matchAll(/`((?:[a-z0-9.-]+\/)+)`/g)].map((m) => m[1]!.replace(/\/$/, ''));

/** The folders directly in `dir`, as paths from the root. */
const folders = (dir: string) =>
  readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${dir}/${entry.name}`);

describe('CONTRIBUTING.md', () => {
  it('names every folder of src/, adapters/ and examples/ in its map', () => {
    for (const dir of ['src', 'adapters', 'examples']) {
      const missing = folders(dir).filter((folder) => !contributing.includes(`\`${folder}/\``));
      expect(missing, `folders of ${dir}/ without a row in CONTRIBUTING.md`).toEqual([]);
    }
  });

  it('names only folders that exist', () => {
    expect(named.length).toBeGreaterThan(20);
    // Generated output that a run makes (git ignores it) is named as such, not mapped.
    const generated = new Set(['dist', 'docs/api', 'test/e2e/artifacts']);
    const absent = named.filter(
      (path) => !generated.has(path) && !statSync(join(root, path), { throwIfNoEntry: false })?.isDirectory(),
    );
    expect(absent).toEqual([]);
  });

  it('keeps its rule: nothing in src, adapters, examples or test reads the design notes beside the repository', () => {
    const needle = ['..', 'shared'].join('/');
    const files = execFileSync('git', ['ls-files', 'src', 'adapters', 'examples', 'test'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    expect(files.length).toBeGreaterThan(100);
    const readers = files.filter((file) => readFileSync(join(root, file), 'utf8').includes(needle));
    expect(readers).toEqual([]);
  });

  it('shows the commands a newcomer runs first', () => {
    expect(contributing.slice(0, 400)).toContain('npm install && npm start');
    expect(contributing.slice(0, 400)).toContain('npm test');
    for (const command of ['npm run build', 'npm start', 'npm run bench', 'npm run docs'])
      expect(contributing).toContain(`\`${command}\``);
  });
});
