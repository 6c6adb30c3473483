/**
 * better-sqlite3 is an optional peer dependency: without it, importing `yibao-guard/sqlite` still works and
 * opening a storage says what to install, with a typed error.
 */
import { expect, it, vi } from 'vitest';
import { isYibaoGuardError } from '../../src/errors/index.js';

vi.mock('better-sqlite3', () => {
  // What Node says when the package is not installed.
  throw Object.assign(new Error("Cannot find package 'better-sqlite3'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

it('opens nothing without better-sqlite3 and says ENVIRONMENT_UNSUPPORTED, naming the package to install', async () => {
  const { createSqliteStorage } = await import('../../adapters/sqlite/index.js');
  let caught: unknown;
  try {
    await createSqliteStorage({ file: '/nonexistent/never-created.sqlite', names: { stores: ['meta'], journals: [] } });
  } catch (error) {
    caught = error;
  }
  expect(isYibaoGuardError(caught, 'ENVIRONMENT_UNSUPPORTED'), String(caught)).toBe(true);
  expect((caught as Error).message).toContain('npm install better-sqlite3');
  expect((caught as { messageZh: string }).messageZh).toContain('better-sqlite3');
});
