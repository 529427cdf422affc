import type { createNetconfMaster } from '../../src/index.js';

/** The object createNetconfMaster returns. */
export type NetconfMaster = ReturnType<typeof createNetconfMaster>;
