/**
 * What the admin service counts for `/metrics` as changes commit and requests are answered (the
 * page itself is metrics-page.ts, loaded when first asked for). Labels carry result codes, methods
 * and statuses: never a token or an ID.
 */
import type { NetworkChangeEvent } from '../master/events.js';
import { ResultCode } from '../master/request.js';
import { createHistogram, observe, type Histogram } from './histogram.js';

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

/** The counts since start, as the metrics page reads them. */
export interface MetricCounts {
  readonly changes: { readonly network: number; readonly member: number; readonly auth: number; readonly deauth: number };
  /** Answered config requests by result name. */
  readonly requests: ReadonlyMap<string, number>;
  /** Admin API requests by `"<method> <status>"`. */
  readonly http: ReadonlyMap<string, number>;
  readonly latency: Histogram;
}

export interface MetricsState extends AdminMetrics {
  countChange(event: NetworkChangeEvent): void;
  countHttp(method: string, status: number): void;
  readonly counts: MetricCounts;
}

export function createMetricsState(): MetricsState {
  const changes = { network: 0, member: 0, auth: 0, deauth: 0 };
  const requests = new Map<string, number>(Object.values(RESULT_NAMES).map((name) => [name, 0]));
  const http = new Map<string, number>();
  const latency: Histogram = createHistogram(LATENCY_BOUNDS);
  return {
    counts: { changes, requests, http, latency },
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
  };
}
