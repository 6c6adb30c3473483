/**
 * The storage contract against the IndexedDB adapter in Node, over fake-indexeddb (the same suite runs
 * against real IndexedDB in Chromium in test/browser/). A fresh IDBFactory per harness isolates tests;
 * reopening is a new connection to the same database name on the same factory.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { createIdbStorage } from '../../adapters/idb/index.js';
import { CONTRACT_NAMES, storageContract, type ContractLayout } from './storage.js';

storageContract('idb (fake-indexeddb)', async () => {
  const factory = new IDBFactory();
  return {
    open: () =>
      createIdbStorage<ContractLayout>({ name: 'contract', names: CONTRACT_NAMES, indexedDB: factory, persist: false }),
    // The factory and its databases go with the harness.
    cleanup: async () => {},
  };
});
