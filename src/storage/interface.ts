/**
 * `zt-netconf-master/storage`: what an implementer of the master's storage interface needs: the
 * `NetconfStore` interface, its reader and transaction, the rows they carry, and the drivers of
 * the master's work (`runSync` for a synchronous engine, `runAsync` for an asynchronous one; `call`
 * to write such work). `openSqlJsStorage()` (from the package root) returns the sql.js implementation.
 */
export type * from '../master/store.js';
export { call, runAsync, runSync } from '../master/store.js';
export type { Cidr, IpFamily } from '../protocol/ip.js';
