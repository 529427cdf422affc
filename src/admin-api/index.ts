/** The admin service (a Fetch-standard handler of ZeroTier's controller API) and its types. */
export { createAdminApi, DEFAULT_MAX_BODY_BYTES, DEFAULT_ONLINE_WINDOW_MS } from './admin-api.js';
export type { AdminApi, AdminApiOptions } from './admin-api.js';
export type { AdminToken, TokenScope } from './auth.js';
export type { AdminMetrics } from './metrics.js';
