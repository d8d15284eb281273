// Psychometric helpers: build trials for specified conditions, run a network on them (any function from inputs to
// outputs, sync or async) and summarise the per-trial decisions (sign of the output averaged over the mask).

import { decisions } from './accuracy.js';
import type { RunNetwork, Task, TaskBatch, TrialSpec } from './types.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { Check } from './validate.js';

/** How the psychometric helpers build their trials: repeats per condition, seed, input noise. */
export interface RunTrialsOptions {
  /** Trials per condition. */
  repeats?: number;
  seed?: number;
  /** Draws the input noise (default true, as in the reference psychometric functions). */
  drawNoise?: boolean;
}

/** Builds `task.trials(spec)`, runs `run` on the inputs and returns the batch with each trial's decision. */
export async function runDecisions(
  task: Pick<Task, 'name' | 'trials'>,
  run: RunNetwork,
  spec: TrialSpec,
  opts: RunTrialsOptions,
  where: string,
): Promise<{ batch: TaskBatch; decisions: number[] }> {
  if (typeof run !== 'function') {
    throw new TypeError(`${where}: run must be a function (inputs [B, T, K]) => outputs [B, T, O]; got ${typeof run}`);
  }
  const batch = task.trials(spec, { repeats: opts.repeats, seed: opts.seed, drawNoise: opts.drawNoise });
  const outputs = await run(batch.inputs);
  return { batch, decisions: decisions(outputs, batch, 0, where) };
}

/** What `psychometricCurve` returns: per value of the condition, the decisions of the network. */
export interface PsychometricCurve {
  /** The values of the condition, in the order given. */
  values: number[];
  /** Fraction of trials with a positive decision ("choices to right" in the reference). */
  fractionPositive: number[];
  /** Mean decision in [−1, 1]. */
  meanDecision: number[];
}

/** Options of `psychometricCurve`: trials per value (default 50), seed, input noise, and `fixed` other conditions. */
export type PsychometricCurveOptions = RunTrialsOptions & { fixed?: TrialSpec };
const CURVE_RULES: Rules<PsychometricCurveOptions> = { repeats: is.integer(1), seed: is.seed(), drawNoise: is.boolean(), fixed: is.object() };

/**
 * A psychometric curve over one condition, e.g. `psychometricCurve(tasks.dm(), run, 'coherence', [-4, -2, 0, 2, 4])`.
 * `fixed` holds the other conditions (e.g. `{ modality: 0 }` for MDM). Default 50 trials per value as in the
 * reference's psychometric_curve_rdm.
 */
export async function psychometricCurve(
  task: Pick<Task, 'name' | 'trials'>,
  run: RunNetwork,
  key: string,
  values: readonly number[],
  opts: PsychometricCurveOptions = {},
): Promise<PsychometricCurve> {
  const isTask = (v: unknown) => v !== null && typeof v === 'object' && typeof (v as Task).trials === 'function';
  checkValue('psychometricCurve', 'task', task, is.custom('a task (with trials)', isTask, (v) => v !== null && typeof v === 'object'), 'argument');
  checkValue('psychometricCurve', 'run', run, is.function(), 'argument');
  const where = `${task.name}.psychometricCurve`;
  const check = new Check(where);
  const list = [...check.numbers('values', values)];
  const o = checkOptions(where, CURVE_RULES, opts, { repeats: 50 });
  const { decisions: d } = await runDecisions(task, run, { ...o.fixed, [key]: list }, { seed: o.seed, drawNoise: o.drawNoise, repeats: o.repeats }, where);
  const repeats = o.repeats!;
  const per = list.map((_, i) => d.slice(i * repeats, (i + 1) * repeats));
  return {
    values: list,
    fractionPositive: per.map((ds) => ds.filter((x) => x > 0).length / repeats),
    meanDecision: per.map((ds) => ds.reduce((a, x) => a + x, 0) / repeats),
  };
}
