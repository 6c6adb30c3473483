/**
 * The storage contract against the SQLite adapter on real files (one temporary directory per harness);
 * reopening is a new connection to the same file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { CONTRACT_NAMES, storageContract, type ContractLayout } from './storage.js';

storageContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'yg-sqlite-'));
  const file = join(dir, 'till.sqlite');
  return {
    open: () => createSqliteStorage<ContractLayout>({ file, names: CONTRACT_NAMES }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
