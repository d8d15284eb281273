// The cognitive task library: `tasks.dm(opts)`, `tasks.cdm(opts)`, …, `tasks.byName(name, opts)` for the CLI.
// See README.md in this folder for the table of tasks, their constants and sources.

import { AngularTask, type AngularOptions } from './angular.js';
import { CdmTask, type CdmOptions } from './cdm.js';
import { DecisionTask, PerceptionTask, type DecisionOptions, type PerceptionOptions } from './perception.js';
import { DmTask, type DmOptions } from './dm.js';
import { DmsTask, type DmsOptions } from './dms.js';
import { FlipflopTask, type FlipflopOptions } from './flipflop.js';
import { IntegrationTask, type IntegrationOptions } from './integration.js';
import { KbackTask, type KbackOptions } from './kback.js';
import { MdmTask, type MdmOptions } from './mdm.js';
import { psychometricCurve } from './psychometric.js';
import { decisions } from './accuracy.js';
import { selectTrials } from './batch.js';
import type { Task } from './types.js';
import { show } from './validate.js';
import { WmTask, type WmOptions } from './wm.js';

export type { RunNetwork, SampleOptions, Task, TaskBatch, TrialSpec, TrialsOptions } from './types.js';
export type { PsychometricCurve, PsychometricCurveOptions, RunTrialsOptions } from './psychometric.js';
export { AngularTask, type AngularOptions, ANGULAR_DEFAULTS, headingDistance, wrapHeading } from './angular.js';
export {
  CdmTask,
  type CdmOptions,
  type CuedDecisionOptions,
  type CdmPsychometricOptions,
  type CdmPsychometric,
  type CdmSelection,
  type CdmEpoch,
  type CuedDecisionEpoch,
  CDM_DEFAULTS,
  CDM_PSYCHOMETRIC_COHERENCES,
} from './cdm.js';
export { DmTask, type DmEpoch, type DmOptions, type DmPreset } from './dm.js';
export { DmsTask, type DmsOptions, DMS_A, DMS_B, DMS_DEFAULTS } from './dms.js';
export { FlipflopTask, type FlipflopOptions, FLIPFLOP_DEFAULTS } from './flipflop.js';
export { IntegrationTask, type IntegrationOptions, INTEGRATION_DEFAULTS } from './integration.js';
export { KbackTask, type KbackOptions, KBACK_DEFAULTS } from './kback.js';
export { MdmTask, type MdmEpoch, type MdmOptions, type MdmPreset, MDM_AUDITORY, MDM_BOTH, MDM_VISUAL } from './mdm.js';
export {
  DecisionTask,
  PerceptionTask,
  type DecisionOptions,
  type PerceptionOptions,
  DECISION_DEFAULTS,
  PERCEPTION_DEFAULTS,
} from './perception.js';
export { WmTask, type WmOptions, type WmPreset, ROMO_PAIRS } from './wm.js';
export { decisions, signAccuracy, pointwiseAccuracy, nearestLevelAccuracy } from './accuracy.js';
export { selectTrials } from './batch.js';
export { psychometricCurve } from './psychometric.js';
export { msToBins, type DelayedPairBins, type DelayedPairDurations } from './validate.js';

const factories = {
  /** Perceptual decision making (random dots), presets 'lint' and 'populations'. */
  dm: (opts?: Partial<DmOptions>) => new DmTask(opts),
  /** Context-dependent decision making (Mante et al. 2013), presets 'lint' and 'populations'. */
  cdm: (opts?: Partial<CdmOptions>) => new CdmTask(opts),
  /** Parametric working memory (Romo et al. 1999): compare two vibration frequencies across a delay. */
  wm: (opts?: Partial<WmOptions>) => new WmTask(opts),
  /** Delayed match-to-sample. */
  dms: (opts?: Partial<DmsOptions>) => new DmsTask(opts),
  /** Multisensory decision making (Raposo et al. 2012). */
  mdm: (opts?: Partial<MdmOptions>) => new MdmTask(opts),
  /** K-back working memory. */
  kback: (opts?: Partial<KbackOptions>) => new KbackTask(opts),
  /** The 3-bit flip-flop (Sussillo & Barak 2013). */
  flipflop: (opts?: Partial<FlipflopOptions>) => new FlipflopTask(opts),
  /** The angular integrator (heading from angular velocity). */
  angular: (opts?: Partial<AngularOptions>) => new AngularTask(opts),
  /** Integration of a noisy input (the integrator of seed 001). */
  integration: (opts?: Partial<IntegrationOptions>) => new IntegrationTask(opts),
  /** The perception task of seed 001 (input 0.8 -> output 0.5, input 0.5 -> output 0.8). */
  perception: (opts?: Partial<PerceptionOptions>) => new PerceptionTask(opts),
  /** The decision task of seed 001. */
  decision: (opts?: Partial<DecisionOptions>) => new DecisionTask(opts),
};

export type TaskName = keyof typeof factories;

/** Canonical task names, as `Task.name` reports them. */
const names = Object.freeze(Object.keys(factories) as TaskName[]);

/** Other names the CLI accepts: the reference modules' names and a few spellings. */
const aliases: Readonly<Record<string, TaskName>> = Object.freeze({
  rdm: 'dm',
  mante: 'cdm',
  romo: 'wm',
  raposo: 'mdm',
  'k-back': 'kback',
  '3bff': 'flipflop',
  'flip-flop': 'flipflop',
  angularIntegrator: 'angular',
  'angular-integrator': 'angular',
});

/** Builds a task from its name (canonical or alias), e.g. for the CLI: `tasks.byName('cdm', { dt: 10 })`. */
function byName(name: string, opts?: Record<string, unknown>): Task {
  const known = typeof name === 'string' && (names as readonly string[]).includes(name);
  const key = known ? name : typeof name === 'string' ? aliases[name] : undefined;
  if (key === undefined) {
    throw new RangeError(`tasks.byName: unknown task ${show(name)}; known tasks: ${names.join(', ')}`);
  }
  return (factories[key as TaskName] as (o?: object) => Task)(opts);
}

/**
 * The task factories by name (`tasks.cdm({ dt: 10 })`), `byName` for names and aliases, the canonical `names`, and
 * the helpers that work on any task's batches (`selectTrials`, `decisions`, `psychometricCurve`). Every task's
 * constants and sources are in ts/tasks/README.md.
 */
export const tasks = Object.freeze({
  ...factories,
  /** The same as `angular`. */
  angularIntegrator: factories.angular,
  /** Builds a task from its name (canonical or alias), e.g. `tasks.byName('cdm', { dt: 10 })`. */
  byName,
  /** The canonical task names. */
  names,
  /** The trials of a batch at the given indices. */
  selectTrials,
  /** Each trial's decision: the sign of its output averaged over the mask. */
  decisions,
  /** A psychometric curve over one condition of a task, for any network. */
  psychometricCurve,
});
