/** A Prometheus histogram's running state: cumulative bucket counts, sum and count (rendered by prometheus-text.ts). */

export interface Histogram {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum: number;
  count: number;
}

export function createHistogram(bounds: readonly number[]): Histogram {
  return { bounds, counts: bounds.map(() => 0), sum: 0, count: 0 };
}

export function observe(histogram: Histogram, value: number): void {
  for (let i = 0; i < histogram.bounds.length; i++) if (value <= histogram.bounds[i]!) histogram.counts[i]!++;
  histogram.sum += value;
  histogram.count++;
}
