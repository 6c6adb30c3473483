import { createMemoryBacking, createMemoryStorage } from '../../src/storage/index.js';
import { CONTRACT_NAMES, storageContract, type ContractLayout } from './storage.js';

storageContract('memory', async () => {
  const backing = createMemoryBacking();
  return {
    open: async () => createMemoryStorage<ContractLayout>({ names: CONTRACT_NAMES, backing }),
    cleanup: async () => {},
  };
});
