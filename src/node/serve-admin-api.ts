/**
 * The admin service on Node's HTTP server: `serveAdminApi(master, options)` listens (loopback by
 * default) and answers with `createAdminApi`'s handler; `close()` stops accepting, lets requests in
 * flight finish, and leaves the master and its storage open for the host to close.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createAdminApi, type AdminApi, type AdminApiOptions } from '../admin-api/admin-api.js';
import { InvalidArgumentError } from '../errors.js';
import type { NetconfMaster } from '../master/master.js';

export const DEFAULT_ADMIN_PORT = 9993;
export const DEFAULT_ADMIN_HOST = '127.0.0.1';

export interface ServeAdminApiOptions extends AdminApiOptions {
  /** Where to listen (default 127.0.0.1). Anything but a loopback address needs `allowRemote`. */
  host?: string;
  /** TCP port (default 9993; 0 picks a free one). */
  port?: number;
  /** Listen on a non-loopback address (the tokens then travel in clear text unless a TLS proxy sits in front). */
  allowRemote?: boolean;
}

export interface AdminServer {
  /** `http://host:port` as bound (the port chosen when 0 was asked for). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly api: AdminApi;
  /** Stops accepting, waits for requests in flight, closes idle connections. */
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function serveAdminApi(master: NetconfMaster, options: ServeAdminApiOptions): Promise<AdminServer> {
  const host = options.host ?? DEFAULT_ADMIN_HOST;
  const port = options.port ?? DEFAULT_ADMIN_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`port must be 0..65535, got ${port}`);
  if (!isLoopbackHost(host) && options.allowRemote !== true) {
    throw new InvalidArgumentError(`${host} is not a loopback address: pass allowRemote: true to listen there`);
  }
  const api = createAdminApi(master, options);
  const listener = getRequestListener((request) => api.handle(request), { overrideGlobalObjects: false });
  const server = createServer((incoming, outgoing) => void listener(incoming, outgoing));
  await listen(server, host, port);
  const bound = server.address() as AddressInfo;
  const urlHost = bound.family === 'IPv6' || bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${bound.port}`,
    host: bound.address,
    port: bound.port,
    api,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }).finally(() => api.close());
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
