/**
 * Medians and spreads of repeated measurements.
 *
 * @module
 */

/** A figure summarised over its repetitions. */
export interface Summary {
  /** Median of the samples. */
  median: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
  /** Half the range as a percentage of the median (the ± shown in tables). */
  spreadPct: number;
  /** Every sample, in the order measured. */
  samples: number[];
}

/** Median of numbers (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Summarise samples (NaN samples, from failed runs, are dropped). */
export function summarise(samples: readonly number[]): Summary {
  const ok = samples.filter((x) => Number.isFinite(x));
  const med = median(ok);
  const min = ok.length ? Math.min(...ok) : NaN;
  const max = ok.length ? Math.max(...ok) : NaN;
  return { median: med, min, max, spreadPct: med ? ((max - min) / 2 / Math.abs(med)) * 100 : 0, samples: [...samples] };
}
