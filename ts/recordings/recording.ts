// A recording as the readers return it, whatever the file format (NWB, plain HDF5, MATLAB): units with their spike
// times and columns, trials with their times and condition columns, and sampled time series. Times are in seconds,
// on the file's own clock.
import type { Tensor } from '../core/tensor.js';
import { checkValue, is } from '../core/validate.js';

/** A column of a units or trials table: numbers or strings, one per row. */
export type Column = readonly number[] | readonly string[];

/** The units (sorted neurons) of a recording. */
export interface Units {
  /** One id per unit. */
  ids: readonly number[];
  /** Each unit's spike times (s), ascending. */
  spikeTimes: readonly Float64Array[];
  /** Other per-unit columns (brain area, quality, ...), by name. */
  columns: Readonly<Record<string, Column>>;
  /** Each unit's observation intervals (s), as [start, stop] pairs, when the file gives them. */
  observationIntervals?: readonly (readonly [number, number])[][];
}

/** The trials of a recording. */
export interface Trials {
  /** Start and stop time of each trial (s). */
  start: Float64Array;
  stop: Float64Array;
  /** Per-trial columns: conditions and event times (s), by name. */
  columns: Readonly<Record<string, Column>>;
}

/** A sampled signal, e.g. calcium fluorescence: data [T, C] at the given times. */
export interface TimeSeries {
  /** Its path in the file (e.g. 'processing/ophys/DfOverF/RoiResponseSeries'). */
  name: string;
  /** Shape [T, C] (a 1-D series is [T, 1]). */
  data: Tensor<Float64Array>;
  /** The time of each sample (s): the file's timestamps, or starting_time + i / rate. */
  timestamps: Float64Array;
  /** The unit of the data as the file states it, when it does. */
  unit?: string;
}

/** What a recording file holds. */
export interface Recording {
  /** The file it was read from. */
  source: string;
  format: 'nwb' | 'hdf5' | 'mat';
  units?: Units;
  trials?: Trials;
  timeSeries: readonly TimeSeries[];
}

/** Checks that `rec` is a recording as the readers return it (readRecording, readNwb, readMatRecording). */
export function checkRecording(where: string, rec: unknown): Recording {
  const ok = (v: unknown) => v !== null && typeof v === 'object' && typeof (v as Recording).source === 'string' && Array.isArray((v as Recording).timeSeries);
  return checkValue(where, 'recording', rec, is.custom('a recording (from readRecording, readNwb or readMatRecording)', ok, (v) => v !== null && typeof v === 'object'), 'argument');
}
