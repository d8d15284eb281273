// Condition averages of a sampled signal (e.g. calcium ΔF/F from an NWB processing module) around a trial event: the
// samples of each trial's window are averaged into bins, the bins averaged over each condition's trials, and smoothed.
// The result has the same form as prepareRecording's, with the signal's channels in place of units.
import type { Tensor } from '../core/tensor.js';
import { checkOptions, is, optionError, type Rule, type Rules } from '../core/validate.js';
import { smoothTime } from '../lint/recordings.js';
import { trialConditions, type Dropped, type PreparedRecording } from './prepare.js';
import { checkRecording, type Recording, type TimeSeries } from './recording.js';

/** How a time series becomes condition averages; defaults in `PREPARE_SERIES_DEFAULTS`. */
export interface PrepareSeriesOptions {
  /** The series, by its path in the file (or its last part, when that is unique). */
  series: string;
  /** Trial columns whose values make a condition. */
  conditions: string[];
  /** The trial column of the event each trial is aligned to (s), or 'start_time' / 'stop_time'. */
  align: string;
  /** The window [start, end) in ms around the event. */
  window: [number, number];
  /** Bin width in ms. */
  binMs: number;
  /** Gaussian smoothing sigma in ms (0: none). */
  smoothMs?: number;
}

/** The defaults of `prepareSeries`. */
export const PREPARE_SERIES_DEFAULTS = { smoothMs: 0 } as const satisfies Partial<PrepareSeriesOptions>;

const RULES: Rules<PrepareSeriesOptions> = {
  series: is.string(),
  conditions: is.arrayOf(is.string(), 'a non-empty array of trial column names'),
  align: is.string(),
  window: is.custom('[start, end] in ms with start < end', (v) => Array.isArray(v) && v.length === 2 && v.every(Number.isFinite) && v[0] < v[1]),
  binMs: is.positive(),
  smoothMs: is.nonNegative(),
};

function findSeries(rec: Recording, name: string): TimeSeries {
  const exact = rec.timeSeries.find((s) => s.name === name || s.name === `/${name}`);
  if (exact) return exact;
  const byLast = rec.timeSeries.filter((s) => s.name.split('/').pop() === name);
  if (byLast.length === 1) return byLast[0];
  const names = rec.timeSeries.map((s) => s.name).join(', ') || 'none';
  throw new RangeError(`prepareSeries: ${rec.source} has ${byLast.length > 1 ? 'several' : 'no'} time series '${name}'; its series: ${names}`);
}

/** The mean of each channel over the samples in each bin of one trial's window; undefined when a bin has none. */
function binTrial(s: TimeSeries, event: number, o: PrepareSeriesOptions, T: number): Float64Array | undefined {
  const C = s.data.shape[1];
  const sums = new Float64Array(T * C);
  const counts = new Int32Array(T);
  for (let i = 0; i < s.timestamps.length; i++) {
    // relative to the event first, so that a sample at the event time falls exactly on a bin edge
    const bin = Math.floor(((s.timestamps[i] - event) * 1000 - o.window[0]) / o.binMs + 1e-9);
    if (bin < 0 || bin >= T) continue;
    counts[bin] += 1;
    for (let c = 0; c < C; c++) sums[bin * C + c] += s.data.data[i * C + c];
  }
  if (counts.some((n) => n === 0)) return undefined;
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) sums[t * C + c] /= counts[t];
  return sums;
}

/**
 * Condition averages [conditions, bins, channels] of a time series around a trial event. Trials without an event
 * time or a condition value, or with a bin that holds no sample (the series does not cover the window), are dropped
 * with the reason. `units` of the result are the channel indices.
 */
export function prepareSeries(rec: Recording, options: PrepareSeriesOptions): PreparedRecording {
  const where = 'prepareSeries';
  checkRecording(where, rec);
  const o = checkOptions<PrepareSeriesOptions>(where, RULES, options, PREPARE_SERIES_DEFAULTS);
  for (const k of ['series', 'conditions', 'align', 'window', 'binMs'] as const) {
    if (o[k] === undefined) throw optionError(where, k, (RULES[k] as Rule).expected, undefined, TypeError);
  }
  if (!rec.trials || rec.trials.start.length === 0) throw new RangeError(`${where}: ${rec.source} has no trials table`);
  const s = findSeries(rec, o.series);
  const T = Math.floor((o.window[1] - o.window[0]) / o.binMs);
  const C = s.data.shape[1];
  const { perTrial, sorted, keys } = trialConditions(rec, o, where);
  const index = new Map(sorted.map((k, i) => [k, i]));
  const sums = new Float64Array(sorted.length * T * C);
  const trials = new Array<number>(sorted.length).fill(0);
  const dropped: Dropped[] = [];
  perTrial.forEach((t, i) => {
    if ('why' in t) return dropped.push({ id: i, why: t.why });
    const binned = binTrial(s, t.event, o, T);
    if (!binned) return dropped.push({ id: i, why: `the series has no sample in some bin of the window` });
    const c = index.get(t.key)!;
    trials[c] += 1;
    for (let j = 0; j < T * C; j++) sums[c * T * C + j] += binned[j];
  });
  const empty = trials.findIndex((n) => n === 0);
  if (empty >= 0) {
    const named = o.conditions.map((c, j) => `${c} = ${keys.get(sorted[empty])![j]}`).join(', ');
    throw new RangeError(`${where}: in ${rec.source}, condition ${named} has no trial left: check the window against the series' timestamps`);
  }
  for (let c = 0; c < sorted.length; c++) for (let j = 0; j < T * C; j++) sums[c * T * C + j] /= trials[c];
  const rates: Tensor<Float64Array> = smoothTime({ data: sums, shape: [sorted.length, T, C] }, o.smoothMs! / o.binMs);
  const conditions = Object.fromEntries(o.conditions.map((name, j) => [name, sorted.map((k) => keys.get(k)![j])]));
  return { rates, conditions, units: Array.from({ length: C }, (_, i) => i), trialsPerCondition: trials, window: [o.window[0], o.window[1]], binMs: o.binMs, dropped: { units: [], trials: dropped } };
}
