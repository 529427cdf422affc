/**
 * zt-netconf-master/node: what only Node.js can run: the admin service on node:http and the
 * token files beside the database. Browser bundles import the root entry and never see this.
 */
export { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, isLoopbackHost, serveAdminApi } from './serve-admin-api.js';
export type { AdminServer, ServeAdminApiOptions } from './serve-admin-api.js';
export {
  AUTHTOKEN_FILE, NAMED_TOKENS_FILE, ensureAuthTokenFile, generateAuthToken, loadAdminTokens, parseNamedTokens,
  readAuthTokenFile, readNamedTokensFile, tokenFilesBeside,
} from './token-files.js';
