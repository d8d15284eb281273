import { describe, expect, it } from 'vitest';
import { MDM_AUDITORY, MDM_BOTH, MDM_VISUAL, tasks } from '../../ts/tasks/index.js';
import { at, build, counts, std, support } from '../support/tasks.js';

describe('MDM / Raposo, LINT preset (raposo.py of lowrank_inference)', () => {
  const task = tasks.mdm();

  it('has 2 channels and 75 bins: fixation 5, stimulus 40, delay 5, decision 25', () => {
    expect([task.inputSize, task.outputSize, task.steps]).toEqual([2, 1, 75]);
    expect(task.epochs).toEqual({ fixation: [0, 5], context: [5, 5], stimulus: [5, 45], delay: [45, 50], decision: [50, 75] });
    expect(task.options.coherences).toEqual([-8, -4, -2, -1, 1, 2, 4, 8]);
    expect(task.options.noiseStd).toBe(0.5);
  });

  it('puts coh·0.1 on the active channels only and the choice on the 25 decision bins', () => {
    const batch = task.trials(
      { modality: [MDM_VISUAL, MDM_AUDITORY, MDM_BOTH], coherenceVisual: [8, 0, -2], coherenceAuditory: [0, -4, -1] },
      { drawNoise: false },
    );
    expect(support(batch.inputs, 0, 0)).toEqual([5, 45]);
    expect(at(batch.inputs, 0, 5, 0)).toBe(Math.fround(0.8));
    expect(support(batch.inputs, 0, 1)).toBeNull();
    expect(support(batch.inputs, 1, 0)).toBeNull();
    expect(at(batch.inputs, 1, 20, 1)).toBe(Math.fround(-0.4));
    expect(at(batch.inputs, 2, 20, 0)).toBe(Math.fround(-0.2));
    expect(at(batch.inputs, 2, 20, 1)).toBe(Math.fround(-0.1));
    expect(batch.conditions.choice).toEqual([1, -1, -1]);
    for (let b = 0; b < 3; b++) expect(support(batch.mask, b)).toEqual([50, 75]);
    expect(at(batch.targets, 0, 60)).toBe(1);
    expect(at(batch.targets, 2, 74)).toBe(-1);
  });

  it('draws the modality uniformly in {1, −1, 0} and coherences whose sign matches the choice', () => {
    const batch = task.sample(6000, { seed: 21 });
    const { modality, choice, coherenceVisual: v, coherenceAuditory: a } = batch.conditions;
    for (const [m, n] of counts(modality)) {
      expect([MDM_VISUAL, MDM_AUDITORY, MDM_BOTH]).toContain(m);
      expect(Math.abs(n / 6000 - 1 / 3)).toBeLessThan(0.03);
    }
    modality.forEach((m, i) => {
      if (m !== MDM_AUDITORY) expect(Math.sign(v[i])).toBe(choice[i]);
      else expect(v[i]).toBe(0);
      if (m !== MDM_VISUAL) expect(Math.sign(a[i])).toBe(choice[i]);
      else expect(a[i]).toBe(0);
    });
    // In multisensory trials the two coherences are drawn independently (same value 1/4 of the time).
    const both = modality.flatMap((m, i) => (m === MDM_BOTH ? [i] : []));
    const same = both.filter((i) => v[i] === a[i]).length / both.length;
    expect(Math.abs(same - 0.25)).toBeLessThan(0.04);
  });

  it('adds noise of std 0.5 on both channels', () => {
    const batch = task.sample(200, { seed: 3 });
    const fix: number[] = [];
    for (let b = 0; b < 200; b++) for (let t = 0; t < 5; t++) fix.push(at(batch.inputs, b, t, 0), at(batch.inputs, b, t, 1));
    expect(std(fix)).toBeGreaterThan(0.47);
    expect(std(fix)).toBeLessThan(0.53);
  });

  it('derives the choice from specified coherences, or draws coherences for a specified choice', () => {
    const fromCoh = task.trials({ modality: 0, coherenceVisual: [2, -4, 0], coherenceAuditory: [-1, 1, 0] }, { drawNoise: false });
    expect(fromCoh.conditions.choice).toEqual([1, -1, 1]);
    const fromChoice = task.trials({ modality: 0, choice: [-1, 1] }, { repeats: 50, seed: 1 });
    fromChoice.conditions.choice.forEach((c, i) => {
      expect(Math.sign(fromChoice.conditions.coherenceVisual[i])).toBe(c);
      expect(Math.sign(fromChoice.conditions.coherenceAuditory[i])).toBe(c);
    });
    expect(() => task.trials({ modality: MDM_VISUAL, coherenceAuditory: 2 })).toThrow(
      /mdm\.trials: coherenceAuditory must be 0 or left out when modality is 1; got 2/,
    );
  });

  it('scores with the reference accuracy (sign over the decision window)', () => {
    const batch = task.trials({ choice: [1, -1, 1], modality: 0 }, { seed: 2 });
    expect(task.accuracy(build([3, 75, 1], (b, t) => (t >= 50 ? 1 : -1)), batch)).toBeCloseTo(2 / 3, 12);
  });
});

describe('MDM / Raposo, populations preset (raposo.py of populations_paper_code)', () => {
  const task = tasks.mdm({ preset: 'populations' });

  it('has 4 channels and 68 bins: fixation 5, cue 17, stimulus 40, delay 5, decision 1', () => {
    expect([task.inputSize, task.steps]).toEqual([4, 68]);
    expect(task.epochs).toEqual({ fixation: [0, 5], context: [5, 22], stimulus: [22, 62], delay: [62, 67], decision: [67, 68] });
    expect(task.options.coherences).toEqual([-4, -2, -1, 1, 2, 4]);
    expect(task.options.noiseStd).toBe(0.1);
  });

  it('shows the modality cues at 0.1 from the end of fixation to the end of the stimulus, noise-free', () => {
    const batch = task.trials({ modality: [MDM_VISUAL, MDM_AUDITORY, MDM_BOTH] }, { seed: 4 });
    expect(support(batch.inputs, 0, 2)).toEqual([5, 62]);
    expect(at(batch.inputs, 0, 5, 2)).toBe(Math.fround(0.1));
    expect(support(batch.inputs, 0, 3)).toBeNull();
    expect(support(batch.inputs, 1, 2)).toBeNull();
    expect(support(batch.inputs, 1, 3)).toEqual([5, 62]);
    expect(support(batch.inputs, 2, 2)).toEqual([5, 62]);
    expect(support(batch.inputs, 2, 3)).toEqual([5, 62]);
    expect(support(batch.mask, 0)).toEqual([67, 68]);
  });
});
