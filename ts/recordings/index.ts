/**
 * Recordings in: NWB 2.x and plain HDF5 files (through h5wasm, loaded on first use) and MATLAB files, read into one
 * Recording (units with spike times, trials with condition columns, time series), then prepared for LINT: condition
 * averages around a trial event, inputs from condition columns, and fit data. See docs/recordings.md.
 * @module
 */
import { open } from 'node:fs/promises';
import { FileFormatError } from '../io/errors.js';
import { checkValue, is } from '../core/validate.js';
import { describeMat, readMatRecording } from './mat-recording.js';
import { matVersion, readMat } from './mat.js';
import { formatRecordingSummary, inspectRecording, readNwb } from './nwb.js';
import type { Recording } from './recording.js';

export { readNwb, inspectRecording, formatRecordingSummary, type NwbReadOptions, type RecordingSummary } from './nwb.js';
export { readHdf5Arrays } from './hdf5.js';
export { prepareRecording, conditionInputs, PREPARE_DEFAULTS, type PrepareOptions, type PreparedRecording, type Dropped, type ConditionInputOptions } from './prepare.js';
export { prepareSeries, PREPARE_SERIES_DEFAULTS, type PrepareSeriesOptions } from './prepare-series.js';
export { recordingFitData, FIT_DATA_DEFAULTS, type FitData, type FitDataOptions } from './fit-data.js';
export type { Recording, Units, Trials, TimeSeries, Column } from './recording.js';
export { readMat, decodeMat, matVersion, matToJs, type MatFile, type MatValue, type MatJs, type MatNumeric, type MatNumericClass, type MatComplex, type MatLogical, type MatChar, type MatStruct, type MatCell } from './mat.js';
export { readMat73 } from './mat73.js';
export { readMatRecording, describeMat } from './mat-recording.js';

/** The format of a recording file, from its first bytes. */
export type RecordingFormat = 'nwb' | 'mat';

/**
 * Reads a recording: an NWB 2.x file, or a MATLAB v5 or 7.3 file with the layout of docs/recordings.md (each reader checks
 * the file's content and says what it is when it is not what `format` says).
 */
export async function readRecording(path: string, format: RecordingFormat): Promise<Recording> {
  checkValue('readRecording', 'format', format, is.oneOf(['nwb', 'mat']), 'argument');
  if (format === 'nwb') return readNwb(path);
  return readMatRecording(path);
}

/**
 * What a recording file holds, as text: the tables, their sizes and columns and the series of an NWB file, the
 * datasets of another HDF5 file, or the variables of a MATLAB file (for `lowrank recordings inspect FILE`).
 */
export async function inspectFile(path: string): Promise<string> {
  const head = await firstBytes(path, 1024);
  const version = matVersion(head);
  if (version === 5 || version === 7.3) return describeMat(path, await readMat(path));
  return formatRecordingSummary(await inspectRecording(path));
}

/** The first `count` bytes of a file (fewer for a shorter file), without reading the rest. */
async function firstBytes(path: string, count: number): Promise<Uint8Array> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new FileFormatError(`cannot read "${path}": ${(err as Error).message}`);
  }
  try {
    const bytes = new Uint8Array(count);
    const { bytesRead } = await file.read(bytes, 0, count, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}
