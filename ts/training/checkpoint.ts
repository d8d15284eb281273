// Training checkpoints, written through the one results format (results/format.ts): a result of kind 'checkpoint'
// whose `meta` holds the run's state (epoch, learning rate, best loss, reports, the options that must match to
// resume) and whose arrays are the model's (config and parameters: a checkpoint is also a model file that loadModel
// reads) plus `bestParams`, `optimizer.m` and `optimizer.v`.
import type { FloatArray } from '../core/tensor.js';
import { modelArrays } from '../model/files.js';
import { toFloatTensor } from '../io/index.js';
import type { AnyModel, LossOn } from '../model/index.js';
import { loadResult, saveResult } from '../results/index.js';
import type { Monitor } from './options.js';
import type { RunState } from './progress.js';

/** The version of the checkpoint state in `meta` (1 was the `training` entry of versions before the results format). */
export const CHECKPOINT_VERSION = 2;

/** What must match between a checkpoint and the run that resumes it. */
export interface RunSignature {
  seed: number;
  batchSize: number;
  lossOn: LossOn;
  trials: number;
  heldOut: number;
  monitor: Monitor;
  model: string;
}

/** The `meta` of a checkpoint, beside the results format's own fields. */
interface CheckpointMeta extends Omit<RunState, 'bestParams' | 'firstEpoch'> {
  checkpointVersion: number;
  epoch: number;
  optimizerStep: number;
  signature: RunSignature;
}

/** Writes the state of a run after `epoch` (atomic). */
export async function writeCheckpoint(path: string, model: AnyModel, state: RunState, epoch: number, signature: RunSignature): Promise<void> {
  const { bestParams, firstEpoch: _, ...progress } = state;
  const opt = model.handle.optimizerState();
  const meta: CheckpointMeta = { checkpointVersion: CHECKPOINT_VERSION, epoch, optimizerStep: opt.step, signature, ...progress };
  const result = { bestParams, optimizer: { m: opt.m, v: opt.v } };
  await saveResult(path, 'checkpoint', result, { meta, arrays: modelArrays(model) });
}

function checkSignature(path: string, saved: RunSignature, now: RunSignature): void {
  for (const key of Object.keys(now) as (keyof RunSignature)[]) {
    if (saved[key] !== now[key]) {
      throw new Error(`${path} was written by a different run: ${key} was ${JSON.stringify(saved[key])}, now ${JSON.stringify(now[key])}; resume with the same options or start afresh`);
    }
  }
}

async function readMeta(path: string) {
  const { meta, arrays } = await loadResult(path, 'checkpoint');
  if (!meta) {
    const why = arrays.training ? 'it was written by an earlier version of lowrank-rnn, whose checkpoints cannot be resumed' : "it has no 'meta' entry";
    throw new Error(`${path} is not a training checkpoint: ${why}; it still loads as a model (loadModel)`);
  }
  const state = meta as unknown as CheckpointMeta;
  if (state.checkpointVersion !== CHECKPOINT_VERSION) throw new Error(`${path}: checkpoint version ${state.checkpointVersion} is not supported`);
  for (const key of ['bestParams', 'optimizer.m', 'optimizer.v']) {
    if (!arrays[key]) throw new Error(`${path} is not a training checkpoint: array '${key}' is missing`);
  }
  return { state, arrays };
}

/** Restores the model's parameters and Adam state from a checkpoint, and returns the run's state. */
export async function readCheckpoint(path: string, model: AnyModel, signature: RunSignature): Promise<RunState> {
  const { state, arrays } = await readMeta(path);
  checkSignature(path, state.signature, signature);
  const values: Record<string, FloatArray> = {};
  for (const name of model.paramNames) values[name] = toFloatTensor(arrays[name], `${path}: '${name}'`, model.dtype).data;
  model.setParams(values);
  const moment = (key: string) => toFloatTensor(arrays[key], `${path}: '${key}'`, 'float64').data as Float64Array;
  model.handle.setOptimizerState({ step: state.optimizerStep, m: moment('optimizer.m'), v: moment('optimizer.v') });
  return {
    reports: state.reports,
    bestLoss: state.bestLoss,
    bestEpoch: state.bestEpoch,
    bestParams: toFloatTensor(arrays.bestParams, `${path}: 'bestParams'`, model.dtype).data,
    lr: state.lr,
    plateauEpochs: state.plateauEpochs,
    firstEpoch: state.epoch + 1,
  };
}
