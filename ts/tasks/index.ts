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
export type { PsychometricCurve, RunTrialsOptions } from './psychometric.js';
export { AngularTask, type AngularOptions, ANGULAR_DEFAULTS, headingDistance, wrapHeading } from './angular.js';
export {
  CdmTask,
  type CdmOptions,
  type CdmPsychometric,
  type CdmSelection,
  CDM_DEFAULTS,
  CDM_PSYCHOMETRIC_COHERENCES,
} from './cdm.js';
export { DmTask, type DmOptions, type DmPreset } from './dm.js';
export { DmsTask, type DmsOptions, DMS_A, DMS_B, DMS_DEFAULTS } from './dms.js';
export { FlipflopTask, type FlipflopOptions, FLIPFLOP_DEFAULTS } from './flipflop.js';
export { IntegrationTask, type IntegrationOptions, INTEGRATION_DEFAULTS } from './integration.js';
export { KbackTask, type KbackOptions, KBACK_DEFAULTS } from './kback.js';
export { MdmTask, type MdmOptions, type MdmPreset, MDM_AUDITORY, MDM_BOTH, MDM_VISUAL } from './mdm.js';
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
export { msToBins } from './validate.js';

const factories = {
  dm: (opts?: Partial<DmOptions>) => new DmTask(opts),
  cdm: (opts?: Partial<CdmOptions>) => new CdmTask(opts),
  wm: (opts?: Partial<WmOptions>) => new WmTask(opts),
  dms: (opts?: Partial<DmsOptions>) => new DmsTask(opts),
  mdm: (opts?: Partial<MdmOptions>) => new MdmTask(opts),
  kback: (opts?: Partial<KbackOptions>) => new KbackTask(opts),
  flipflop: (opts?: Partial<FlipflopOptions>) => new FlipflopTask(opts),
  angular: (opts?: Partial<AngularOptions>) => new AngularTask(opts),
  integration: (opts?: Partial<IntegrationOptions>) => new IntegrationTask(opts),
  perception: (opts?: Partial<PerceptionOptions>) => new PerceptionTask(opts),
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

export const tasks = Object.freeze({
  ...factories,
  angularIntegrator: factories.angular,
  byName,
  names,
  selectTrials,
  decisions,
  psychometricCurve,
});
