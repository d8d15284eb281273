import { describe, expect, it } from 'vitest';
import { tasks } from '../../ts/tasks/index.js';
import { at, build, counts, series, std, support } from '../support/tasks.js';

describe('DM, LINT preset (rdm.py of lowrank_inference)', () => {
  const task = tasks.dm();

  it('has 75 bins: fixation 5, stimulus 40, delay 15, decision 15', () => {
    expect(task.options.preset).toBe('lint');
    expect([task.inputSize, task.outputSize, task.steps, task.dt]).toEqual([1, 1, 75, 20]);
    expect(task.epochs).toEqual({ fixation: [0, 5], stimulus: [5, 45], delay: [45, 60], decision: [60, 75] });
  });

  it('puts coh·3.2/100 on bins [5, 45) and the sign of coh on the masked bins [60, 75)', () => {
    const cohs = [-16, -8, -4, -2, -1, 1, 2, 4, 8, 16];
    const batch = task.trials({ coherence: cohs }, { drawNoise: false });
    expect(batch.inputs.shape).toEqual([10, 75, 1]);
    cohs.forEach((coh, b) => {
      expect(support(batch.inputs, b)).toEqual([5, 45]);
      expect(at(batch.inputs, b, 5)).toBe(Math.fround((coh * 3.2) / 100));
      expect(at(batch.inputs, b, 44)).toBe(Math.fround((coh * 3.2) / 100));
      expect(support(batch.targets, b)).toEqual([60, 75]);
      expect(at(batch.targets, b, 70)).toBe(Math.sign(coh));
      expect(series(batch.mask, b)).toEqual(Array.from({ length: 75 }, (_, t) => (t >= 60 ? 1 : 0)));
    });
    expect(batch.conditions.choice).toEqual(cohs.map(Math.sign));
    expect(batch.conditions.catch).toEqual(new Array(10).fill(0));
  });

  it('gives coherence 0 the target −1, as the reference (hi if coh > 0 else lo)', () => {
    const batch = task.trials({ coherence: 0 }, { drawNoise: false });
    expect(at(batch.targets, 0, 60)).toBe(-1);
  });

  it('draws the ten coherences ±{1,2,4,8,16} uniformly', () => {
    const batch = task.sample(5000, { seed: 3 });
    const c = counts(batch.conditions.coherence);
    expect([...c.keys()].sort((a, b) => a - b)).toEqual([-16, -8, -4, -2, -1, 1, 2, 4, 8, 16]);
    for (const n of c.values()) expect(Math.abs(n - 500)).toBeLessThan(4 * Math.sqrt(500 * 0.9));
  });

  it('adds input noise of std 0.03 everywhere (checked on the fixation and delay bins)', () => {
    const batch = task.sample(400, { seed: 4 });
    const quiet: number[] = [];
    for (let b = 0; b < 400; b++) for (const t of [0, 1, 2, 3, 4, 45, 50, 59, 60, 74]) quiet.push(at(batch.inputs, b, t));
    expect(std(quiet)).toBeGreaterThan(0.03 * 0.95);
    expect(std(quiet)).toBeLessThan(0.03 * 1.05);
  });

  it('makes catch trials with no stimulus, a zero target and the mask still on (reference)', () => {
    const t = tasks.dm({ fractionCatch: 1, noiseStd: 0 });
    const batch = t.sample(3, { seed: 1 });
    expect(batch.conditions.catch).toEqual([1, 1, 1]);
    expect(Array.from(batch.inputs.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(batch.targets.data).every((v) => v === 0)).toBe(true);
    expect(support(batch.mask, 0)).toEqual([60, 75]);
    const some = tasks.dm({ fractionCatch: 0.3 }).sample(4000, { seed: 2 });
    const fraction = some.conditions.catch.filter((c) => c === 1).length / 4000;
    expect(Math.abs(fraction - 0.3)).toBeLessThan(0.03);
  });
});

describe('DM, populations preset (rdm.py of populations_paper_code)', () => {
  const task = tasks.dm({ preset: 'populations' });

  it('has 51 bins: 5 / 40 / 5 / 1, coherences ±{1,2,4} at coh·0.1, noise 0.1', () => {
    expect(task.steps).toBe(51);
    expect(task.epochs).toEqual({ fixation: [0, 5], stimulus: [5, 45], delay: [45, 50], decision: [50, 51] });
    expect(task.options.coherences).toEqual([-4, -2, -1, 1, 2, 4]);
    expect(task.options.noiseStd).toBe(0.1);
    const batch = task.trials({ coherence: [4, -2] }, { drawNoise: false });
    expect(at(batch.inputs, 0, 10)).toBe(Math.fround(0.4));
    expect(at(batch.inputs, 1, 10)).toBe(Math.fround(-0.2));
    expect(support(batch.mask, 0)).toEqual([50, 51]);
    expect(at(batch.targets, 1, 50)).toBe(-1);
  });

  it('lets single options override the preset', () => {
    const t = tasks.dm({ preset: 'populations', decision: 100, dt: 10 });
    expect(t.epochs.decision).toEqual([100, 110]);
    expect(t.steps).toBe(110);
    expect(t.options.scale).toBe(0.1);
  });
});

describe('DM accuracy (accuracy_rdm)', () => {
  const task = tasks.dm({ noiseStd: 0 });
  const batch = task.trials({ coherence: [2, -2, 4, -4], catch: [0, 0, 0, 1] });

  it('compares the sign of the output averaged over the decision window with the target sign', () => {
    // Trial 0 right; trial 1 (target −1) is negative on 14 of 15 bins but positive on average: wrong; trial 2 wrong.
    const outputs = build([4, 75, 1], (b, t) => {
      if (t < 60) return b === 1 ? -5 : 5; // outside the window: ignored
      if (b === 0) return 0.2;
      if (b === 1) return t === 74 ? 10 : -0.1;
      return -0.3;
    });
    // Trial 3 is a catch trial (zero target): out of the denominator whatever the output.
    expect(task.accuracy(outputs, batch)).toBeCloseTo(1 / 3, 12);
  });

  it('counts an output mean of exactly 0 as wrong (torch.sign(0) = 0) and NaN outputs as wrong', () => {
    const outputs = build([4, 75, 1], (b) => (b === 0 ? 0 : b === 1 ? Number.NaN : b === 2 ? 1 : 0));
    expect(task.accuracy(outputs, batch)).toBeCloseTo(1 / 3, 12);
  });

  it('is NaN when every trial is a catch trial (the reference divides by zero trials)', () => {
    const all = tasks.dm({ fractionCatch: 1 }).sample(2, { seed: 0 });
    expect(task.accuracy(build([2, 75, 1], () => 1), all)).toBeNaN();
  });

  it('rejects outputs of the wrong shape with a message naming both shapes', () => {
    expect(() => task.accuracy(build([4, 74, 1], () => 1), batch)).toThrow(
      /dm\.accuracy: outputs must have shape \[4, 75, 1\].*got \[4, 74, 1\]/,
    );
  });
});
