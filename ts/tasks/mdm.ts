// Multisensory decision making (Raposo et al. 2012, "MDM"): raposo.py of [L] and [P], which differ (presets).
//
// Sensory channels ch0 (visual) and ch1 (auditory) carry coherence * scale during the stimulus epoch, plus white
// noise at every bin. Each trial has a modality: 1 visual only, −1 auditory only, 0 both (uniform). The choice ±1 is
// drawn first, then each active channel gets its own coherence of the matching sign (coherence 0 counts as
// positive, as in the reference). The [P] preset adds two noise-free modality cues, ch2 (visual active) and ch3
// (auditory active), at scaleCtx from the end of fixation to the end of the stimulus, and a cue-only epoch before the
// stimulus. The target (the choice) and the mask cover the decision epoch; catch trials as in DM.
//
// trials(): with coherences specified and no choice, the choice is the sign of the sum of the active coherences
// (+1 when it is 0); with a choice and no coherences, the coherences are drawn to match it.

import type { Random } from '../core/random.js';
import { among, TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import { cuedDecisionTimeline, type CuedDecisionEpoch, type CuedDecisionOptions } from './cdm.js';
import { Check, resolvePreset } from './validate.js';

/** MDM's constants: the LINT code's ('lint') or the populations code's ('populations'). */
export type MdmPreset = 'lint' | 'populations';

/** MDM's options; `contextOnly` is the modality cue alone before the stimulus (0 in [L], 350 ms in [P]). */
export interface MdmOptions extends CuedDecisionOptions {
  preset: MdmPreset;
  /** Two modality-cue input channels (true in [P], false in [L]). */
  cues: boolean;
}

const PRESETS: Record<MdmPreset, Omit<MdmOptions, 'preset'>> = {
  lint: {
    dt: 20,
    fixation: 100,
    contextOnly: 0,
    stimulus: 800,
    delay: 100,
    decision: 500,
    coherences: [-8, -4, -2, -1, 1, 2, 4, 8],
    scale: 0.1,
    cues: false,
    scaleCtx: 0.1,
    noiseStd: 0.5,
    fractionCatch: 0,
    seed: 0,
  },
  populations: {
    dt: 20,
    fixation: 100,
    contextOnly: 350,
    stimulus: 800,
    delay: 100,
    decision: 20,
    coherences: [-4, -2, -1, 1, 2, 4],
    scale: 0.1,
    cues: true,
    scaleCtx: 0.1,
    noiseStd: 0.1,
    fractionCatch: 0,
    seed: 0,
  },
};

/** Modality codes. */
export const MDM_VISUAL = 1;
export const MDM_AUDITORY = -1;
export const MDM_BOTH = 0;

/** The epochs of an MDM trial. */
export type MdmEpoch = CuedDecisionEpoch;

/**
 * Multisensory decision making (Raposo et al. 2012): visual and auditory stimuli, one or both active, in; the
 * common choice out during the decision epoch.
 */
export class MdmTask extends TrialTask<MdmOptions> {
  readonly epochs: Readonly<Record<MdmEpoch, readonly [number, number]>>;
  protected readonly conditionKeys = ['modality', 'choice', 'coherenceVisual', 'coherenceAuditory', 'catch'] as const;
  protected readonly specKeys = ['modality', 'choice', 'coherenceVisual', 'coherenceAuditory'] as const;
  private readonly positive: readonly number[];
  private readonly negative: readonly number[];

  constructor(options?: Partial<MdmOptions>) {
    const o = resolvePreset('mdm', PRESETS, 'lint', options);
    const check = new Check('mdm');
    const dt = check.dt(o.dt);
    const { epochs, total } = cuedDecisionTimeline(check, o, dt);
    const coherences = check.numbers('coherences', o.coherences);
    const cues = check.boolean('cues', o.cues);
    super(
      'mdm',
      { ...o, coherences, cues, scale: check.number('scale', o.scale), scaleCtx: check.number('scaleCtx', o.scaleCtx) },
      {
        inputSize: cues ? 4 : 2,
        outputSize: 1,
        steps: total,
        dt,
        noiseChannels: [0, 1],
        ...stochasticLayout(check, o),
      },
    );
    this.epochs = epochs;
    this.positive = coherences.filter((c) => c >= 0);
    this.negative = coherences.filter((c) => c < 0);
  }

  protected condition(rng: Random, given: Given): Condition {
    const modality = given.get('modality', () => rng.int(3) - 1, among([MDM_AUDITORY, MDM_BOTH, MDM_VISUAL]));
    const cohGiven = given.has('coherenceVisual') || given.has('coherenceAuditory');
    let choice = given.get('choice', () => (cohGiven ? Number.NaN : this.drawChoice(rng)), among([-1, 1]));
    const drawCoherence = () => {
      if (Number.isNaN(choice)) return rng.choice(this.options.coherences);
      const pool = choice > 0 ? this.positive : this.negative;
      if (pool.length === 0) {
        const cohs = JSON.stringify(this.options.coherences);
        throw new RangeError(`mdm.trials: choice ${choice} needs coherences of its sign; coherences are ${cohs}`);
      }
      return rng.choice(pool);
    };
    const channel = (key: string, active: boolean) =>
      active
        ? given.get(key, drawCoherence)
        : given.get(key, () => 0, (check, label, v) =>
            v === 0 ? 0 : check.fail(`${label} must be 0 or left out when modality is ${modality}; got ${v}`),
          );
    const coherenceVisual = channel('coherenceVisual', modality !== MDM_AUDITORY);
    const coherenceAuditory = channel('coherenceAuditory', modality !== MDM_VISUAL);
    if (Number.isNaN(choice)) choice = coherenceVisual + coherenceAuditory >= 0 ? 1 : -1;
    return { modality, choice, coherenceVisual, coherenceAuditory, catch: 0 };
  }

  /** The reference draws the choice first; with coherences of one sign only, the choice is forced. */
  private drawChoice(rng: Random): number {
    const choice = rng.choice([-1, 1]);
    if (this.positive.length === 0) return -1;
    if (this.negative.length === 0) return 1;
    return choice;
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    const { context, stimulus, decision } = this.epochs;
    if (c.catch) {
      w.setMask(b, 0, decision[0], decision[1]);
      return;
    }
    const { scale, scaleCtx, cues } = this.options;
    const active = [c.modality !== MDM_AUDITORY, c.modality !== MDM_VISUAL];
    const coherence = [c.coherenceVisual, c.coherenceAuditory];
    for (const ch of [0, 1]) {
      if (!active[ch]) continue;
      w.addInput(b, ch, stimulus[0], stimulus[1], coherence[ch] * scale);
      if (cues) w.addInput(b, 2 + ch, context[0], stimulus[1], scaleCtx);
    }
    w.setTarget(b, 0, decision[0], decision[1], c.choice);
  }
}
