// From a recording (NWB, HDF5 or MATLAB, read into a Recording) to the condition-averaged rates that LINT fits:
// select units (by a column value, by a minimum firing rate), align every trial to an event, cut a window, group trials
// into conditions by the values of chosen trial columns, then bin, smooth and average (lint.conditionAverages). What
// was kept and dropped, and why, is returned with the rates, so that a user sees it before fitting.
import type { Tensor } from '../core/tensor.js';
import { checkOptions, is, optionError, type Rule, type Rules } from '../core/validate.js';
import { conditionAverages, type NeuronTrial } from '../lint/recordings.js';
import { checkRecording, type Column, type Recording } from './recording.js';

/** How a recording becomes condition averages; defaults in `PREPARE_DEFAULTS`. */
export interface PrepareOptions {
  /** Trial columns whose values define a condition (one condition per distinct combination). */
  conditions: string[];
  /** The trial column of the event each trial is aligned to (times in s), or 'start_time' / 'stop_time'. */
  align: string;
  /** The window [start, end) in ms around the event. */
  window: [number, number];
  /** Bin width in ms. */
  binMs: number;
  /** Gaussian smoothing sigma in ms (0: none). */
  smoothMs?: number;
  /** Keep the units whose `column` has one of `values` (e.g. { column: 'location', values: ['PFC'] }). */
  units?: { column: string; values: (string | number)[] };
  /** Keep the units whose mean rate in the window, over all kept trials, is at least this (Hz). */
  minRate?: number;
}

/** The defaults of `prepareRecording`. */
export const PREPARE_DEFAULTS = { smoothMs: 0, minRate: 0 } as const satisfies Partial<PrepareOptions>;

const RULES: Rules<PrepareOptions> = {
  conditions: is.arrayOf(is.string(), 'a non-empty array of trial column names'),
  align: is.string(),
  window: is.custom('[start, end] in ms with start < end', (v) => Array.isArray(v) && v.length === 2 && v.every(Number.isFinite) && v[0] < v[1]),
  binMs: is.positive(),
  smoothMs: is.nonNegative(),
  units: is.custom(
    '{ column: a unit column name, values: a non-empty array }',
    (v) => v !== null && typeof v === 'object' && typeof (v as { column: unknown }).column === 'string' && Array.isArray((v as { values: unknown }).values) && (v as { values: unknown[] }).values.length > 0,
  ),
  minRate: is.nonNegative(),
};

/** A unit or trial left out, and why. */
export interface Dropped {
  /** The unit id or the trial index. */
  id: number;
  why: string;
}

/** Condition-averaged rates of a recording, and what was kept and dropped. */
export interface PreparedRecording {
  /** Shape [C, T, N]: rates in Hz, per condition, bin and kept unit. */
  rates: Tensor<Float64Array>;
  /** Each condition's value of every condition column, in the order of `rates`. */
  conditions: Record<string, (string | number)[]>;
  /** The ids of the units kept, in the order of `rates`' last axis. */
  units: number[];
  /** How many trials each condition averages. */
  trialsPerCondition: number[];
  /** The window (ms around the event) and bin width (ms) of `rates`. */
  window: [number, number];
  binMs: number;
  dropped: { units: Dropped[]; trials: Dropped[] };
}

/** The column `name` of the trials table (start_time and stop_time included), or an error naming the columns. */
export function trialColumn(rec: Recording, name: string, where: string): Column {
  const trials = rec.trials!;
  if (name === 'start_time') return Array.from(trials.start);
  if (name === 'stop_time') return Array.from(trials.stop);
  const column = trials.columns[name];
  if (!column) {
    throw new RangeError(`${where}: ${rec.source} has no trial column '${name}'; its trial columns: start_time, stop_time, ${Object.keys(trials.columns).join(', ')}`);
  }
  return column;
}

/** A trial with its condition key and event time, or dropped with the reason (and its key, when it has one). */
export type TrialEntry = { key: string; event: number } | { key?: string; why: string };

/** Each trial's condition key (the values of the condition columns), or a reason to drop it. */
export function trialConditions(rec: Recording, o: Pick<PrepareOptions, 'conditions' | 'align'>, where: string) {
  const columns = o.conditions.map((c) => trialColumn(rec, c, where));
  const align = trialColumn(rec, o.align, where);
  const keys = new Map<string, (string | number)[]>();
  const perTrial = Array.from(rec.trials!.start, (_, t): TrialEntry => {
    const event = Number(align[t]);
    const values = columns.map((c) => c[t]);
    if (values.some((v) => v === undefined || (typeof v === 'number' && !Number.isFinite(v)))) return { why: 'a condition value is missing' };
    const key = JSON.stringify(values);
    if (!Number.isFinite(event)) return { key, why: `no ${o.align} time` };
    keys.set(key, values);
    return { key, event };
  });
  const sorted = [...keys.keys()].sort((a, b) => compareValues(keys.get(a)!, keys.get(b)!));
  return { perTrial, sorted, keys };
}

function compareValues(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return typeof a[i] === 'number' && typeof b[i] === 'number' ? (a[i] as number) - (b[i] as number) : String(a[i]).localeCompare(String(b[i]));
  }
  return 0;
}

/** The units kept by the column filter; the others, with why. */
function selectUnits(rec: Recording, o: PrepareOptions, where: string): { kept: number[]; dropped: Dropped[] } {
  const units = rec.units!;
  const all = units.ids.map((_, i) => i);
  if (!o.units) return { kept: all, dropped: [] };
  const column = units.columns[o.units.column];
  if (!column) throw new RangeError(`${where}: ${rec.source} has no unit column '${o.units.column}'; its unit columns: ${Object.keys(units.columns).join(', ') || 'none'}`);
  const wanted = new Set(o.units.values.map(String));
  const kept = all.filter((i) => wanted.has(String(column[i])));
  const dropped = all.filter((i) => !wanted.has(String(column[i]))).map((i) => ({ id: units.ids[i], why: `${o.units!.column} = ${column[i]}` }));
  return { kept, dropped };
}

/** Whether unit `u` was observed during [from, to] (s): inside one of its observation intervals, or no intervals given. */
function observed(rec: Recording, u: number, from: number, to: number): boolean {
  const intervals = rec.units!.observationIntervals?.[u];
  return !intervals || intervals.length === 0 || intervals.some(([a, b]) => a <= from && to <= b);
}

/**
 * Marks the trials in which no kept unit spikes in the window as dropped (a sign of a wrong alignment or of missing
 * data), and fails when that leaves no trial: the times of the file are in seconds, the window in ms.
 */
function dropSilentTrials(rec: Recording, o: PrepareOptions, perTrial: TrialEntry[], kept: number[]): void {
  perTrial.forEach((t, i) => {
    if ('why' in t) return;
    const spiking = kept.some((u) => {
      const [lo, hi] = windowRange(rec.units!.spikeTimes[u], t.event, o.window);
      return hi > lo;
    });
    if (!spiking) perTrial[i] = { key: t.key, why: 'no spike of any kept unit in the window' };
  });
  if (perTrial.every((t) => 'why' in t)) {
    throw new RangeError(
      `prepareRecording: no trial of ${rec.source} has a spike in the window [${o.window.join(', ')}] ms around '${o.align}' ` +
        '(times in the file are in seconds, the window in ms): check align and window',
    );
  }
}

/** The first index of ascending `times` whose value is >= `t` (binary search). */
function lowerBound(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index range [lo, hi) of a unit's (ascending) spike times within the window around `event` (s). */
function windowRange(times: Float64Array, event: number, window: [number, number]): [number, number] {
  return [lowerBound(times, event + window[0] / 1000), lowerBound(times, event + window[1] / 1000)];
}

/** A unit's spike times in the window around `event` (s), in ms relative to the event. */
function windowSpikes(times: Float64Array, event: number, window: [number, number]): number[] {
  const [lo, hi] = windowRange(times, event, window);
  return Array.from(times.subarray(lo, hi), (t) => (t - event) * 1000);
}

/**
 * Condition-averaged rates [C, T, N] of a recording's units around a trial event, with what was kept and dropped:
 * units by the `units` filter, by `minRate` and by not being observed in every condition; trials without an event
 * time or a condition value. Conditions are the distinct combinations of the `conditions` columns, sorted.
 */
export function prepareRecording(rec: Recording, options: PrepareOptions): PreparedRecording {
  const where = 'prepareRecording';
  checkRecording(where, rec);
  const o = checkOptions<PrepareOptions>(where, RULES, options, PREPARE_DEFAULTS);
  for (const k of ['conditions', 'align', 'window', 'binMs'] as const) {
    if (o[k] === undefined) throw optionError(where, k, (RULES[k] as Rule).expected, undefined, TypeError);
  }
  if (!rec.units || rec.units.ids.length === 0) throw new RangeError(`${where}: ${rec.source} has no units table (spike times of sorted units)`);
  if (!rec.trials || rec.trials.start.length === 0) throw new RangeError(`${where}: ${rec.source} has no trials table`);
  const { perTrial, sorted, keys } = trialConditions(rec, o, where);
  const selection = selectUnits(rec, o, where);
  for (const u of selection.kept) {
    const times = rec.units.spikeTimes[u];
    if (times.some((t, i) => i > 0 && t < times[i - 1])) {
      throw new RangeError(`${where}: the spike times of unit ${rec.units.ids[u]} in ${rec.source} are not in ascending order (Units.spikeTimes must be sorted)`);
    }
  }
  dropSilentTrials(rec, o, perTrial, selection.kept);
  const conditionIndex = new Map(sorted.map((k, i) => [k, i]));
  const droppedTrials = perTrial.flatMap((t, i) => ('why' in t ? [{ id: i, why: t.why }] : []));
  const neurons: NeuronTrial[][] = selection.kept.map((u) =>
    perTrial.flatMap((t) => {
      if ('why' in t || !observed(rec, u, t.event + o.window[0] / 1000, t.event + o.window[1] / 1000)) return [];
      return [{ condition: conditionIndex.get(t.key)!, spikes: windowSpikes(rec.units!.spikeTimes[u], t.event, o.window) }];
    }),
  );
  const trialKeys = perTrial.flatMap((t) => ('event' in t ? [t.key] : []));
  const empty = sorted.find((k) => !trialKeys.includes(k));
  if (empty !== undefined) {
    const named = o.conditions.map((c, j) => `${c} = ${keys.get(empty)![j]}`).join(', ');
    const why = perTrial.flatMap((t, i) => ('why' in t && t.key === empty ? [`trial ${i}: ${t.why}`] : []));
    throw new RangeError(`prepareRecording: in ${rec.source}, condition ${named} has no trial left (${why.join('; ') || 'every trial was dropped'})`);
  }
  return finish(rec, o, { neurons, selection, sorted, keys, droppedTrials, trialKeys });
}

function finish(
  rec: Recording,
  o: PrepareOptions,
  s: { neurons: NeuronTrial[][]; selection: { kept: number[]; dropped: Dropped[] }; sorted: string[]; keys: Map<string, (string | number)[]>; droppedTrials: Dropped[]; trialKeys: string[] },
): PreparedRecording {
  const ids = rec.units!.ids;
  const durationS = (o.window[1] - o.window[0]) / 1000;
  const droppedUnits = [...s.selection.dropped];
  const candidates = s.selection.kept.filter((u, i) => {
    const trials = s.neurons[i];
    const rate = trials.length === 0 ? 0 : trials.reduce((a, t) => a + (t.spikes as number[]).length, 0) / (trials.length * durationS);
    if (rate < o.minRate!) droppedUnits.push({ id: ids[u], why: `mean rate ${rate.toFixed(2)} Hz < minRate ${o.minRate} Hz` });
    return rate >= o.minRate!;
  });
  const isCandidate = new Set(candidates);
  const neurons = s.selection.kept.flatMap((u, i) => (isCandidate.has(u) ? [s.neurons[i]] : []));
  if (neurons.length === 0) throw new RangeError(`prepareRecording: no unit of ${rec.source} is left (dropped: ${droppedUnits.length})`);
  const averages = conditionAverages(neurons, { binMs: o.binMs, start: o.window[0], end: o.window[1], smoothMs: o.smoothMs, conditions: s.sorted.map((_, i) => i) });
  const keptSet = new Set(averages.kept);
  candidates.forEach((u, i) => {
    if (!keptSet.has(i)) droppedUnits.push({ id: ids[u], why: 'not observed in every condition' });
  });
  const conditions: Record<string, (string | number)[]> = Object.fromEntries(o.conditions.map((c, j) => [c, s.sorted.map((k) => s.keys.get(k)![j])]));
  const trialsPerCondition = s.sorted.map((k) => s.trialKeys.filter((t) => t === k).length);
  return {
    rates: averages.rates,
    conditions,
    units: averages.kept.map((i) => ids[candidates[i]]),
    trialsPerCondition,
    window: [o.window[0], o.window[1]],
    binMs: o.binMs,
    dropped: { units: droppedUnits, trials: s.droppedTrials },
  };
}

/** How `conditionInputs` builds a fit's inputs from the condition columns. */
export interface ConditionInputOptions {
  /** Numeric condition columns, one input channel each (e.g. ['coherence']). */
  columns: string[];
  /** When the inputs are on: [start, end) in ms around the event (default the whole window). */
  during?: [number, number];
  /** A factor on every value (e.g. the task's input scale; default 1). */
  scale?: number;
}

/**
 * Inputs [C, T, K] for fitting the prepared rates: channel k carries condition column k's value (times `scale`)
 * in the bins whose start lies in `during`, zero elsewhere, on the same bins as `rates`.
 */
export function conditionInputs(prepared: PreparedRecording, options: ConditionInputOptions): Tensor<Float32Array> {
  const where = 'conditionInputs';
  const o = checkOptions<ConditionInputOptions>(where, {
    columns: is.arrayOf(is.string(), 'a non-empty array of condition column names'),
    during: is.custom('[start, end] in ms with start < end', (v) => Array.isArray(v) && v.length === 2 && v.every(Number.isFinite) && v[0] < v[1]),
    scale: is.number(),
  }, options, { scale: 1 });
  if (!o.columns) throw optionError(where, 'columns', 'a non-empty array of condition column names', undefined, TypeError);
  const [C, T] = prepared.rates.shape;
  const K = o.columns.length;
  const values = o.columns.map((name) => {
    const column = prepared.conditions[name];
    if (!column) throw new RangeError(`${where}: '${name}' is not a condition column; they are ${Object.keys(prepared.conditions).join(', ')}`);
    if (column.some((v) => typeof v !== 'number')) throw new RangeError(`${where}: condition column '${name}' is not numeric; give numeric columns as inputs`);
    return column as number[];
  });
  const [from, to] = o.during ?? prepared.window;
  const out = new Float32Array(C * T * K);
  for (let t = 0; t < T; t++) {
    const start = prepared.window[0] + t * prepared.binMs;
    if (start < from || start >= to) continue;
    for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) out[(c * T + t) * K + k] = values[k][c] * o.scale!;
  }
  return { data: out, shape: [C, T, K] };
}
