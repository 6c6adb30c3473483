import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOG } from '../../src/errors/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('starts with the two commands a newcomer needs', () => {
    const firstCommands = readme.slice(0, 1500);
    expect(firstCommands).toContain('npm install && npm start');
    expect(firstCommands).toContain('npm test');
  });

  it('lists every error code with both messages, and no code that does not exist', () => {
    const rows = [...readme.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \| ([^|]+) \|/gm)];
    const listed = new Map(rows.map((row) => [row[1], { zh: row[2]?.trim(), en: row[3]?.trim() }]));
    expect([...listed.keys()].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(listed.get(code)).toEqual({ zh: entry.zh, en: entry.en });
    }
  });

  it('names the test command that .ci/run runs', () => {
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    expect(ci).toMatch(/^npm test\b/m);
  });
});
