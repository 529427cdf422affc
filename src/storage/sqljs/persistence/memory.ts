/** Persistence for an in-memory database: nothing is stored (docs/architecture.md, "Persistence"). */
import type { Persistence, StoredState } from './types.js';

export function createMemoryPersistence(): Persistence {
  return {
    location: ':memory:',
    keepsChanges: false,
    load: async (): Promise<StoredState> => ({ snapshot: null, records: [], logMatchesSnapshot: true }),
    acceptLoaded: async () => {},
    append: async () => {},
    replaceSnapshot: async () => {},
    backupSnapshot: async () => null,
    detectExternalChange: () => null,
    logBytes: () => 0,
    snapshotBytes: () => 0,
    close: async () => {},
  };
}
