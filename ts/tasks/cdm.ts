// Context-dependent decision making (Mante et al. 2013, "CDM"): mante.py, identical in [L] and [P].
//
// Inputs: ch0 stimulus A ("color") and ch1 stimulus B ("motion") carry coherence * scale during the stimulus epoch
// plus white noise at every bin; ch2 / ch3 are the noise-free context cues (scaleCtx) from the end of fixation to the
// start of the decision epoch. Context 1 (ch2) asks for the sign of coherence A, context 2 (ch3) for the sign of B
// (+1 if > 0, else −1). The target and the mask cover the decision epoch (1 bin by default). The two coherences are
// drawn independently. A catch trial has no stimulus and no cue, a zero target and its mask on, as in the reference.
//
// `psychometric()` reproduces psychometric_matrices / inactivating_pop_matrices of [P].

import type { Random } from '../core/random.js';
import { among, TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import { checkOptions, is, type Rules } from '../core/validate.js';
import { runDecisions, type RunTrialsOptions } from './psychometric.js';
import type { RunNetwork } from './types.js';
import { Check, mergeOptions, timeline } from './validate.js';

/** Which random trials CDM's `sample` draws: all, or only congruent or incongruent ones. */
export type CdmSelection = 'all' | 'congruent' | 'incongruent';

/** The options shared by the cued two-stimulus decision tasks (CDM and MDM). */
export interface CuedDecisionOptions {
  dt: number;
  fixation: number;
  /** Context (or modality) cue alone, before the stimulus ("ctx_only_pre_duration"). */
  contextOnly: number;
  stimulus: number;
  delay: number;
  decision: number;
  coherences: readonly number[];
  /** Input amplitude per unit of coherence. */
  scale: number;
  /** Amplitude of the context cue ([P] train_mante_main.py uses 0.5). */
  scaleCtx: number;
  noiseStd: number;
  fractionCatch: number;
  seed: number;
}

/** Options of context-dependent decision making; defaults in `CDM_DEFAULTS`. */
export interface CdmOptions extends CuedDecisionOptions {
  /**
   * Which random trials `sample` draws: all, or only congruent / incongruent ones (the two stimuli ask for the same /
   * opposite choices, so that only incongruent trials reveal whether the context is used).
   */
  selection: CdmSelection;
}

export const CDM_DEFAULTS: Readonly<CdmOptions> = Object.freeze({
  dt: 20,
  fixation: 100,
  contextOnly: 350,
  stimulus: 800,
  delay: 100,
  decision: 20,
  coherences: [-4, -2, -1, 1, 2, 4],
  scale: 0.1,
  scaleCtx: 0.1,
  noiseStd: 0.1,
  fractionCatch: 0,
  selection: 'all',
  seed: 0,
});

/** Coherences of the reference psychometric matrices: −5…5 in steps of 2. */
export const CDM_PSYCHOMETRIC_COHERENCES: readonly number[] = Object.freeze([-5, -3, -1, 1, 3, 5]);

/** CDM's psychometric matrices per context (choice and accuracy per coherence cell) and incongruent-trial accuracy. */
export interface CdmPsychometric {
  coherences: number[];
  /**
   * Per context (index 0: context 1, index 1: context 2), a square matrix laid out as the reference plots it:
   * row r, column i holds coherence A = coherences[i] and coherence B = coherences[n − 1 − r] (B grows upwards).
   * `choice` is the mean decision in [−1, 1] (the reference matrix); `accuracy` the fraction of correct decisions.
   */
  choice: [number[][], number[][]];
  accuracy: [number[][], number[][]];
  /**
   * Per context, the reference's score on incongruent cells (inactivating_pop_matrices): the mean over incongruent
   * cells of 1 − |correct − meanDecision| / 2.
   */
  incongruentAccuracy: [number, number];
}

/** The epochs of a cued decision trial (CDM, MDM). */
export type CuedDecisionEpoch = 'fixation' | 'context' | 'stimulus' | 'delay' | 'decision';
/** The epochs of a CDM trial. */
export type CdmEpoch = CuedDecisionEpoch;

const choiceOf = (coherence: number): number => (coherence > 0 ? 1 : -1);

/** The options of `cdm.psychometric`. */
export type CdmPsychometricOptions = Omit<RunTrialsOptions, 'repeats'> & { coherences?: readonly number[]; trialsPerCell?: number };
const CDM_PSYCHOMETRIC_RULES: Rules<CdmPsychometricOptions> = {
  seed: is.seed(),
  drawNoise: is.boolean(),
  coherences: is.anything(),
  trialsPerCell: is.integer(1),
};

/** The epochs of a cued decision trial (CDM, MDM): fixation, cue alone, stimulus, delay, decision. */
export function cuedDecisionTimeline(check: Check, o: CuedDecisionOptions, dt: number) {
  return timeline<CuedDecisionEpoch>([
    ['fixation', check.bins('fixation', o.fixation, dt, 0)],
    ['context', check.bins('contextOnly', o.contextOnly, dt, 0)],
    ['stimulus', check.bins('stimulus', o.stimulus, dt)],
    ['delay', check.bins('delay', o.delay, dt, 0)],
    ['decision', check.bins('decision', o.decision, dt)],
  ]);
}

/**
 * Context-dependent decision making (Mante et al. 2013): two noisy stimuli and two context cues in, the sign of the
 * cued stimulus's coherence out during the decision epoch.
 */
export class CdmTask extends TrialTask<CdmOptions> {
  readonly epochs: Readonly<Record<CdmEpoch, readonly [number, number]>>;
  protected readonly conditionKeys = ['coherenceA', 'coherenceB', 'context', 'choice', 'congruent', 'catch'] as const;
  protected readonly specKeys = ['coherenceA', 'coherenceB', 'context'] as const;

  constructor(options?: Partial<CdmOptions>) {
    const o = mergeOptions('cdm', CDM_DEFAULTS as CdmOptions, options);
    const check = new Check('cdm');
    const dt = check.dt(o.dt);
    const { epochs, total } = cuedDecisionTimeline(check, o, dt);
    const coherences = check.numbers('coherences', o.coherences);
    const selection = check.oneOf('selection', o.selection, ['all', 'congruent', 'incongruent'] as const);
    if (selection === 'incongruent' && !(coherences.some((c) => c > 0) && coherences.some((c) => c <= 0))) {
      check.fail(`selection 'incongruent' needs coherences of both signs; got ${JSON.stringify(coherences)}`);
    }
    super(
      'cdm',
      {
        ...o,
        coherences,
        selection,
        scale: check.number('scale', o.scale),
        scaleCtx: check.number('scaleCtx', o.scaleCtx),
      },
      {
        inputSize: 4,
        outputSize: 1,
        steps: total,
        dt,
        noiseChannels: [0, 1],
        ...stochasticLayout(check, o),
      },
    );
    this.epochs = epochs;
  }

  protected condition(rng: Random, given: Given): Condition {
    const draw = () => rng.choice(this.options.coherences);
    const { selection } = this.options;
    for (let attempt = 0; ; attempt++) {
      if (attempt === 10_000) {
        const cohs = JSON.stringify(this.options.coherences);
        throw new RangeError(`cdm: cannot draw a ${selection} trial with the given coherence and coherences ${cohs}`);
      }
      const coherenceA = given.get('coherenceA', draw);
      const coherenceB = given.get('coherenceB', draw);
      const congruent = choiceOf(coherenceA) === choiceOf(coherenceB) ? 1 : 0;
      const fixed = given.has('coherenceA') && given.has('coherenceB');
      if (selection === 'all' || fixed || congruent === (selection === 'congruent' ? 1 : 0)) {
        const context = given.get('context', () => 1 + rng.int(2), among([1, 2]));
        const choice = choiceOf(context === 1 ? coherenceA : coherenceB);
        return { coherenceA, coherenceB, context, choice, congruent, catch: 0 };
      }
    }
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    const { context, stimulus, decision } = this.epochs;
    if (c.catch) {
      w.setMask(b, 0, decision[0], decision[1]);
      return;
    }
    const { scale, scaleCtx } = this.options;
    w.addInput(b, 0, stimulus[0], stimulus[1], c.coherenceA * scale);
    w.addInput(b, 1, stimulus[0], stimulus[1], c.coherenceB * scale);
    w.addInput(b, c.context === 1 ? 2 : 3, context[0], decision[0], scaleCtx);
    w.setTarget(b, 0, decision[0], decision[1], c.choice);
  }

  /**
   * Psychometric matrices: for each context and each (coherence A, coherence B) cell, `trialsPerCell` noisy trials
   * (reference: 10) are run through `run` in one batch of 2·n²·trialsPerCell trials.
   */
  async psychometric(
    run: RunNetwork,
    opts: CdmPsychometricOptions = {},
  ): Promise<CdmPsychometric> {
    const where = 'cdm.psychometric';
    const check = new Check(where);
    const o = checkOptions(where, CDM_PSYCHOMETRIC_RULES, opts, { coherences: CDM_PSYCHOMETRIC_COHERENCES, trialsPerCell: 10 });
    const cohs = [...check.numbers('coherences', o.coherences)];
    const repeats = o.trialsPerCell!;
    const n = cohs.length;
    const spec = { coherenceA: [] as number[], coherenceB: [] as number[], context: [] as number[] };
    for (const context of [1, 2]) {
      for (const a of cohs) {
        for (const bCoh of cohs) {
          spec.coherenceA.push(a);
          spec.coherenceB.push(bCoh);
          spec.context.push(context);
        }
      }
    }
    const { batch, decisions: d } = await runDecisions(this, run, spec, { seed: o.seed, drawNoise: o.drawNoise, repeats }, where);
    const square = () => Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const choice: [number[][], number[][]] = [square(), square()];
    const accuracy: [number[][], number[][]] = [square(), square()];
    const incongruent: [number, number] = [0, 0];
    const incongruentCells: [number, number] = [0, 0];
    let cell = 0;
    for (let ctx = 0; ctx < 2; ctx++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++, cell++) {
          const trials = Array.from({ length: repeats }, (_, r) => cell * repeats + r);
          const mean = trials.reduce((s, t) => s + d[t], 0) / repeats;
          const correct = batch.conditions.choice[cell * repeats];
          choice[ctx][n - 1 - j][i] = mean;
          accuracy[ctx][n - 1 - j][i] = trials.filter((t) => d[t] === correct).length / repeats;
          if (batch.conditions.congruent[cell * repeats] === 0) {
            incongruent[ctx] += 1 - Math.abs(correct - mean) / 2;
            incongruentCells[ctx] += 1;
          }
        }
      }
    }
    return {
      coherences: cohs,
      choice,
      accuracy,
      incongruentAccuracy: [0, 1].map((ctx) => incongruent[ctx] / incongruentCells[ctx]) as [number, number],
    };
  }

  /** Indices of the incongruent trials of a batch (to use with `selectTrials`). */
  static incongruent(batch: { conditions: Record<string, number[]> }): number[] {
    const congruent = batch.conditions.congruent;
    if (!congruent) throw new RangeError('cdm.incongruent: batch has no congruent condition; is it a CDM batch?');
    return congruent.flatMap((v, i) => (v === 0 && batch.conditions.catch?.[i] !== 1 ? [i] : []));
  }
}
