/**
 * Recordings in: NWB 2.x and plain HDF5 files (through h5wasm, loaded on first use) and MATLAB files, read into one
 * Recording (units with spike times, trials with condition columns, time series), then prepared for LINT: condition
 * averages around a trial event, inputs from condition columns, and fit data. See docs/recordings.md.
 * @module
 */
import { readFileBytes } from '../io/files.js';
import { FileFormatError } from '../io/errors.js';
import { readNwb } from './nwb.js';
import type { Recording } from './recording.js';

export { readNwb, inspectRecording, formatRecordingSummary, type NwbReadOptions, type RecordingSummary } from './nwb.js';
export { readHdf5Arrays } from './hdf5.js';
export { prepareRecording, conditionInputs, PREPARE_DEFAULTS, type PrepareOptions, type PreparedRecording, type Dropped, type ConditionInputOptions } from './prepare.js';
export { recordingFitData, FIT_DATA_DEFAULTS, type FitData, type FitDataOptions } from './fit-data.js';
export type { Recording, Units, Trials, TimeSeries, Column } from './recording.js';

/** The format of a recording file, from its first bytes. */
export type RecordingFormat = 'nwb' | 'mat';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads a recording: an NWB 2.x file, or a MATLAB file with the layout of docs/recordings.md. `format` is checked
 * against the file's content (an HDF5 signature for NWB; a MATLAB header for .mat).
 */
export async function readRecording(path: string, format: RecordingFormat): Promise<Recording> {
  if (format === 'nwb') return readNwb(path);
  const bytes = await readFileBytes(path);
  if (HDF5_SIGNATURE.every((b, i) => bytes[i] === b)) {
    throw new FileFormatError(`${path} is an HDF5 file; read it with --nwb (NWB) or as a MATLAB 7.3 file`);
  }
  throw new FileFormatError(`${path}: MATLAB files are read once the MATLAB reader is wired`);
}
