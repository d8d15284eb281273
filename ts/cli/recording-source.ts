// `lowrank fit --nwb FILE` / `--mat FILE`: the options that turn a recording into fit data, and the recipe that does it
// (read -> prepare: units, trials, conditions -> print what was kept and dropped -> inputs -> targets). Parsing only;
// the work is in ts/recordings.
import { type Command, InvalidArgumentError } from 'commander';
import type { Tensor } from '../core/tensor.js';
import { conditionInputs, prepareRecording, type PreparedRecording } from '../recordings/prepare.js';
import { prepareSeries } from '../recordings/prepare-series.js';
import { FIT_DATA_DEFAULTS, recordingFitData } from '../recordings/fit-data.js';
import { readRecording } from '../recordings/index.js';
import { int, num } from './args.js';

/** The recording options of `lowrank fit`. */
export interface RecordingCliOptions {
  nwb?: string;
  mat?: string;
  conditions?: string[];
  align?: string;
  window?: [number, number];
  bin?: number;
  smooth?: number;
  pca?: number;
  units?: string;
  series?: string;
  minRate?: number;
  inputColumns?: string[];
  inputWindow?: [number, number];
  inputScale?: number;
  keepConditionIndependent?: boolean;
  prePeriod?: number;
  json?: boolean;
}

const list = (value: string) => value.split(',').map((v) => v.trim()).filter((v) => v.length > 0);

function pair(name: string) {
  return (value: string): [number, number] => {
    const [a, b] = value.split(',').map(Number);
    if (!Number.isFinite(a) || !Number.isFinite(b) || !(a < b) || value.split(',').length !== 2) throw new InvalidArgumentError(`${name} must be START,END in ms with START < END`);
    return [a, b];
  };
}

/** Adds the recording options to the fit command. */
export function addRecordingOptions(command: Command): Command {
  return command
    .option('--nwb <file.nwb>', 'a recording in NWB 2.x (units, trials): condition averages around --align are fitted')
    .option('--mat <file.mat>', 'a recording in a MATLAB file (v5 or v7.3) with the layout of docs/recordings.md')
    .option('--conditions <cols>', 'trial columns whose values make a condition, e.g. coherence,context', list)
    .option('--align <event>', 'the trial column (times in s) each trial is aligned to, or start_time')
    .option('--window <start,end>', 'the window around the event, in ms', pair('--window'))
    .option('--bin <ms>', 'bin width in ms', num('--bin'))
    .option('--smooth <ms>', 'Gaussian smoothing sigma in ms (default 0)', num('--smooth'))
    .option('--pca <k>', 'keep the top k principal components of the condition averages', int('--pca'))
    .option('--series <name>', 'fit a sampled signal (e.g. a dF/F series of a processing module) instead of the spikes of the units')
    .option('--units <column=v1,v2>', 'keep the units whose column has one of these values, e.g. location=PFC')
    .option('--min-rate <hz>', 'keep the units firing at least this often in the window (Hz)', num('--min-rate'))
    .option('--input-columns <cols>', 'numeric condition columns fed as inputs (default: every numeric condition column)', list)
    .option('--input-window <start,end>', 'when the inputs are on, in ms around the event (default: the whole window)', pair('--input-window'))
    .option('--input-scale <x>', 'a factor on the input values (default 1)', Number)
    .option('--keep-condition-independent', 'do not remove the condition-independent component');
}

/** Whether the fit reads a recording. */
export const fromRecording = (o: RecordingCliOptions) => Boolean(o.nwb || o.mat);

/** Reads and prepares the recording, prints what was kept and dropped, and returns targets, inputs and mask. */
export async function recordingSource(o: RecordingCliOptions): Promise<{ targets: Tensor; inputs: Tensor; mask: Tensor }> {
  if (o.nwb && o.mat) throw new InvalidArgumentError('give --nwb or --mat, not both');
  for (const [name, value] of [['--conditions', o.conditions], ['--align', o.align], ['--window', o.window], ['--bin', o.bin]] as const) {
    if (value === undefined) throw new InvalidArgumentError(`a fit of a recording needs ${name}`);
  }
  const path = (o.nwb ?? o.mat)!;
  const recording = await readRecording(path, o.nwb ? 'nwb' : 'mat');
  const units = o.units ? parseUnits(o.units) : undefined;
  if (o.series && (units || o.minRate !== undefined)) throw new InvalidArgumentError('--units and --min-rate select units; they do not apply with --series');
  const common = { conditions: o.conditions!, align: o.align!, window: o.window!, binMs: o.bin!, smoothMs: o.smooth };
  const prepared = o.series ? prepareSeries(recording, { ...common, series: o.series }) : prepareRecording(recording, { ...common, units, minRate: o.minRate });
  report(o, path, prepared);
  const numeric = o.conditions!.filter((c) => prepared.conditions[c].every((v) => typeof v === 'number'));
  const columns = o.inputColumns ?? numeric;
  if (columns.length === 0) throw new InvalidArgumentError('no numeric condition column to use as an input: give --input-columns');
  const inputs = conditionInputs(prepared, { columns, during: o.inputWindow, scale: o.inputScale });
  const data = await recordingFitData(prepared, inputs, { pca: o.pca ?? 0, removeConditionIndependent: !o.keepConditionIndependent, prePeriod: o.prePeriod ?? FIT_DATA_DEFAULTS.prePeriod });
  return { targets: data.targets, inputs: data.inputs, mask: data.mask };
}

function parseUnits(value: string): { column: string; values: (string | number)[] } {
  const match = /^([^=]+)=(.+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('--units must be COLUMN=VALUE[,VALUE], e.g. location=PFC');
  return { column: match[1].trim(), values: list(match[2]) };
}

/** What was kept and dropped, before fitting: a JSON line with --json, else lines on stderr. */
function report(o: RecordingCliOptions, path: string, p: PreparedRecording): void {
  const [C, T, N] = p.rates.shape;
  const summary = {
    type: 'recording',
    file: path,
    kept: { units: N, conditions: C, bins: T, trials: p.trialsPerCondition.reduce((a, b) => a + b, 0) },
    dropped: { units: p.dropped.units, trials: p.dropped.trials },
    conditions: p.conditions,
    trialsPerCondition: p.trialsPerCondition,
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  const write = (line: string) => process.stderr.write(line + '\n');
  write(`${path}: kept ${N} ${o.series ? `channels of ${o.series}` : 'units'}, ${summary.kept.trials} trials in ${C} conditions, ${T} bins of ${p.binMs} ms`);
  const reasons = (items: { why: string }[]) => [...new Set(items.map((d) => d.why.replace(/[\d.]+ Hz </, '… Hz <')))].join('; ');
  if (p.dropped.units.length > 0) write(`  dropped ${p.dropped.units.length} units (${reasons(p.dropped.units)})`);
  if (p.dropped.trials.length > 0) write(`  dropped ${p.dropped.trials.length} trials (${reasons(p.dropped.trials)})`);
  const names = Object.keys(p.conditions);
  write(`  conditions (${names.join(', ')}): ${p.trialsPerCondition.map((n, c) => `${names.map((k) => p.conditions[k][c]).join('/')} ×${n}`).join(', ')}`);
}
