/**
 * `zt-netconf-master/storage`: what an implementer of the master's storage interface needs (types
 * only): the `NetconfStore` interface, its reader and transaction, and the rows they carry.
 * `openSqlJsStorage()` (from the package root) returns the sql.js implementation.
 */
export type * from '../master/store.js';
export type { Cidr, IpFamily } from '../protocol/ip.js';
