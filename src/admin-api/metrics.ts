/**
 * The admin service's metrics: what it counts as changes commit and requests are answered, and
 * the families `/metrics` renders (ZeroTier's controller names where they fit, `zt_netconf_*` for
 * this project's own). Labels carry result codes, methods and statuses: never a token or an ID.
 */
import type { NetconfMaster } from '../master/master.js';
import type { NetworkChangeEvent } from '../master/events.js';
import { ResultCode } from '../master/request.js';
import type { StorageStats, TimingTotals } from '../master/store.js';
import { createHistogram, histogramFamily, observe, type Histogram, type MetricFamily } from './prometheus-text.js';

const RESULT_NAMES: Readonly<Record<number, string>> = {
  [ResultCode.OK]: 'ok',
  [ResultCode.OK_BUT_NOT_NEWER]: 'ok_but_not_newer',
  [ResultCode.OBJECT_NOT_FOUND]: 'object_not_found',
  [ResultCode.ACCESS_DENIED]: 'access_denied',
  [ResultCode.INTERNAL_SERVER_ERROR]: 'internal_server_error',
};

/** Seconds: from a cached answer (tens of µs) to a slow fresh one on a busy disk. */
const LATENCY_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What a host reports to the admin service's metrics. */
export interface AdminMetrics {
  /** Counts one answered NETWORK_CONFIG_REQUEST and its latency (a host calls this around `doNetworkConfigRequest`). */
  observeConfigRequest(code: ResultCode, seconds: number): void;
}

export interface MetricsState extends AdminMetrics {
  countChange(event: NetworkChangeEvent): void;
  countHttp(method: string, status: number): void;
  families(master: NetconfMaster, online: { now: number; windowMs: number }): Promise<MetricFamily[]>;
}

export function createMetricsState(): MetricsState {
  const changes = { network: 0, member: 0, auth: 0, deauth: 0 };
  const requests = new Map<string, number>(Object.values(RESULT_NAMES).map((name) => [name, 0]));
  const http = new Map<string, number>();
  const latency: Histogram = createHistogram(LATENCY_BOUNDS);
  return {
    observeConfigRequest(code, seconds) {
      const name = RESULT_NAMES[code] ?? 'internal_server_error';
      requests.set(name, (requests.get(name) ?? 0) + 1);
      observe(latency, seconds);
    },
    countChange(event) {
      if (event.address === undefined) changes.network++;
      else changes.member++;
      if (event.type === 'memberAuthorized') changes.auth++;
      if (event.type === 'memberDeauthorized') changes.deauth++;
    },
    countHttp(method, status) {
      const key = `${method} ${status}`;
      http.set(key, (http.get(key) ?? 0) + 1);
    },
    async families(master, online) {
      const networks = await master.listNetworks();
      const { members, seen: onlineMembers } = await master.countMembersSeen(online.now - online.windowMs);
      const counts = master.signatureCounts;
      // A storage that cannot answer now (a database server away) leaves its families out, not the page.
      const storage = await master.storageStats().catch(() => null);
      return [
        { name: 'controller_network_count', help: 'Networks this master serves.', type: 'gauge', samples: [{ value: networks.length }] },
        { name: 'controller_member_count', help: 'Members of all networks.', type: 'gauge', samples: [{ value: members }] },
        { name: 'controller_network_change_count', help: 'Committed changes to networks since start.', type: 'counter', samples: [{ value: changes.network }] },
        { name: 'controller_member_change_count', help: 'Committed changes to members since start.', type: 'counter', samples: [{ value: changes.member }] },
        { name: 'controller_member_auth_count', help: 'Member authorizations since start.', type: 'counter', samples: [{ value: changes.auth }] },
        { name: 'controller_member_deauth_count', help: 'Member de-authorizations since start.', type: 'counter', samples: [{ value: changes.deauth }] },
        {
          name: 'controller_network_config_request',
          help: 'Network config requests answered, by result.',
          type: 'counter',
          samples: [...requests].map(([result, value]) => ({ labels: { result }, value })),
        },
        histogramFamily('zt_netconf_config_request_duration_seconds', 'Time to answer a network config request.', latency),
        {
          name: 'zt_netconf_signatures_total',
          help: 'Netconf signatures made, by where.',
          type: 'counter',
          samples: [
            { labels: { where: 'worker' }, value: counts.byWorkers },
            { labels: { where: 'inline' }, value: counts.inline },
            { labels: { where: 'webcrypto' }, value: counts.byWebCrypto },
          ],
        },
        { name: 'zt_netconf_members_online', help: 'Members seen within the online window.', type: 'gauge', samples: [{ value: onlineMembers }] },
        ...storageFamilies(storage),
        {
          name: 'zt_netconf_admin_http_requests_total',
          help: 'Admin API requests answered, by method and status.',
          type: 'counter',
          samples: [...http].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => {
            const [method, status] = key.split(' ');
            return { labels: { method: method!, status: status! }, value };
          }),
        },
      ];
    },
  };
}

/** The storage's own work: write transactions, syncs and snapshots (seconds, as summaries) and its size. */
function storageFamilies(stats: StorageStats | null): MetricFamily[] {
  if (stats === null) return [];
  const summary = (name: string, help: string, totals: TimingTotals | null): MetricFamily[] =>
    totals === null
      ? []
      : [{ name, help, type: 'summary', samples: [{ suffix: '_sum', value: totals.seconds }, { suffix: '_count', value: totals.count }] }];
  return [
    ...summary('zt_netconf_storage_write_seconds', 'Write transactions run by the storage, and their seconds.', stats.writes),
    ...summary('zt_netconf_storage_sync_seconds', 'Syncs to durable storage (one per batch of commits), and their seconds.', stats.syncs),
    ...summary('zt_netconf_storage_snapshot_seconds', 'Snapshots written (the log compacted into the main file), and their seconds.', stats.snapshots),
    ...(stats.databaseBytes === null
      ? []
      : [{ name: 'zt_netconf_database_bytes', help: 'The database size as stored, in bytes.', type: 'gauge' as const, samples: [{ value: stats.databaseBytes }] }]),
  ];
}
