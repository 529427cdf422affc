/**
 * The `/metrics` page: the families built from the master and the admin service's counts
 * (ZeroTier's controller names where they fit, `zt_netconf_*` for this project's own), as
 * Prometheus text. Loaded on the first scrape: a page that serves no metrics never downloads it.
 */
import type { NetconfMaster } from '../master/master.js';
import type { StorageStats, TimingTotals } from '../master/store.js';
import type { MetricCounts } from './metrics.js';
import { histogramFamily, renderPrometheusText, type MetricFamily } from './prometheus-text.js';

/** The page's text for the master now; members seen within `online.windowMs` of `online.now` count as online. */
export async function metricsPage(master: NetconfMaster, counts: MetricCounts, online: { now: number; windowMs: number }): Promise<string> {
  const { changes, requests, http, latency } = counts;
  const networks = await master.listNetworks();
  const { members, seen: onlineMembers } = await master.countMembersSeen(online.now - online.windowMs);
  const signatures = master.signatureCounts;
  // A storage that cannot answer now (a database server away) leaves its families out, not the page.
  const storage = await master.storageStats().catch(() => null);
  return renderPrometheusText([
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
        { labels: { where: 'worker' }, value: signatures.byWorkers },
        { labels: { where: 'inline' }, value: signatures.inline },
        { labels: { where: 'webcrypto' }, value: signatures.byWebCrypto },
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
  ]);
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
