/**
 * A small typed writer of the Prometheus text exposition format (version 0.0.4): families of
 * counters, gauges, histograms and summaries (sum and count only), each with `# HELP` and `# TYPE` lines and escaped label values.
 */

import type { Histogram } from './histogram.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface Sample {
  /** Appended to the family's name (a histogram's `_bucket`, `_sum`, `_count`; a summary's `_sum`, `_count`). */
  suffix?: '_bucket' | '_sum' | '_count';
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(`${family.name}${sample.suffix ?? ''}${sampleSuffix(sample)}`);
  }
  return lines.join('\n') + '\n';
}

function sampleSuffix(sample: Sample): string {
  const labels = Object.entries(sample.labels ?? {});
  const labelText =
    labels.length === 0 ? '' : `{${labels.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
  return `${labelText} ${formatValue(sample.value)}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** A histogram family: cumulative `_bucket{le}` samples, then `_sum` and `_count`. */
export function histogramFamily(name: string, help: string, histogram: Histogram): MetricFamily {
  return {
    name,
    help,
    type: 'histogram',
    samples: [
      ...histogram.bounds.map((bound, i) => ({ suffix: '_bucket' as const, labels: { le: String(bound) }, value: histogram.counts[i]! })),
      { suffix: '_bucket', labels: { le: '+Inf' }, value: histogram.count },
      { suffix: '_sum', value: histogram.sum },
      { suffix: '_count', value: histogram.count },
    ],
  };
}
