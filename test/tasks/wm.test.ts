import { describe, expect, it } from 'vitest';
import { ROMO_PAIRS, tasks } from '../../ts/tasks/index.js';
import { at, build, counts, series, std, support } from '../support/tasks.js';

describe('WM / Romo (romo.py)', () => {
  it('has the 54 reference pairs with d counts {−24:1, −16:9, −8:17, 8:17, 16:9, 24:1}, all in [10, 34] Hz', () => {
    expect(ROMO_PAIRS.length).toBe(54);
    const d = counts(ROMO_PAIRS.map(([f1, f2]) => f2 - f1));
    expect(Object.fromEntries(d)).toEqual({ '-24': 1, '-16': 9, '-8': 17, '8': 17, '16': 9, '24': 1 });
    expect(ROMO_PAIRS.flat().every((f) => f >= 10 && f <= 34)).toBe(true);
    expect(new Set(ROMO_PAIRS.map((p) => p.join())).size).toBe(54);
    // The reference's first pair: d = −24, base 34.
    expect(ROMO_PAIRS[0]).toEqual([34, 10]);
  });

  it('has 120 bins with the LINT maximum delay of 2000 ms and 70 with the populations preset (1000 ms)', () => {
    const lint = tasks.wm();
    expect([lint.steps, lint.inputSize, lint.outputSize]).toEqual([120, 1, 1]);
    expect(lint.bins).toEqual({ fixation: 5, stimulus1: 5, minDelay: 25, maxDelay: 100, stimulus2: 5, decision: 5 });
    expect(tasks.wm({ preset: 'populations' }).steps).toBe(70);
    expect(tasks.wm({ maxDelay: 1500 }).steps).toBe(95);
  });

  it('encodes (f − 22)/24 on the input and the graded target (f1 − f2)/24 on the 5 decision bins', () => {
    const task = tasks.wm();
    const batch = task.trials({ f1: [34, 10, 18], f2: [10, 34, 26], delay: [500, 2000, 1000] }, { drawNoise: false });
    const cases = [
      { f1: 34, f2: 10, delayBins: 25 },
      { f1: 10, f2: 34, delayBins: 100 },
      { f1: 18, f2: 26, delayBins: 50 },
    ];
    cases.forEach(({ f1, f2, delayBins }, b) => {
      const s = series(batch.inputs, b);
      const stim2 = 10 + delayBins;
      expect(s.slice(5, 10)).toEqual(new Array(5).fill(Math.fround((f1 - 22) / 24)));
      expect(s.slice(stim2, stim2 + 5)).toEqual(new Array(5).fill(Math.fround((f2 - 22) / 24)));
      expect(s.filter((v) => v !== 0).length).toBe(10);
      expect(support(batch.mask, b)).toEqual([stim2 + 5, stim2 + 10]);
      expect(at(batch.targets, b, stim2 + 5)).toBe(Math.fround((f1 - f2) / 24));
      expect(batch.conditions.decisionStart[b]).toBe(stim2 + 5);
      expect(batch.conditions.delay[b]).toBe(delayBins * 20);
    });
    expect(batch.conditions.target).toEqual([1, -1, -1 / 3]);
  });

  it('draws the delay as a whole number of bins in [25, 100], both ends included', () => {
    const batch = tasks.wm().sample(4000, { seed: 11 });
    const bins = batch.conditions.delay.map((ms) => ms / 20);
    expect(Math.min(...bins)).toBe(25);
    expect(Math.max(...bins)).toBe(100);
    expect(bins.every(Number.isInteger)).toBe(true);
    const targets = new Set(batch.conditions.target.map((t) => Math.round(t * 3)));
    expect([...targets].sort((a, b) => a - b)).toEqual([-3, -2, -1, 1, 2, 3]);
  });

  it('adds input noise of std 0.01', () => {
    const batch = tasks.wm().sample(200, { seed: 2 });
    const fix: number[] = [];
    for (let b = 0; b < 200; b++) for (let t = 0; t < 5; t++) fix.push(at(batch.inputs, b, t));
    expect(std(fix)).toBeGreaterThan(0.0095);
    expect(std(fix)).toBeLessThan(0.0105);
  });

  it('scores with accuracy_romo: sign of the masked means, catch trials (no target, no mask) left out', () => {
    const task = tasks.wm();
    const batch = task.trials({ f1: [34, 10, 20, 20], f2: [26, 18, 12, 12], delay: 500, catch: [0, 0, 0, 1] });
    expect(series(batch.mask, 3).every((v) => v === 0)).toBe(true);
    // Output: +0.1 everywhere; trials 0 and 2 want + (f1 > f2), trial 1 wants −.
    expect(task.accuracy(build([4, 120, 1], () => 0.1), batch)).toBeCloseTo(2 / 3, 12);
    // The graded size does not matter, only the sign over the mask: −5 outside the mask is ignored.
    const outputs = build([4, 120, 1], (b, t) => (t >= 40 && t < 45 ? [0.01, -0.01, 0.01, -9][b] : -5));
    expect(task.accuracy(outputs, batch)).toBe(1);
  });

  it('rejects specified delays longer than the padded maximum, f1 without f2, and bad pairs', () => {
    const task = tasks.wm();
    expect(() => task.trials({ f1: 20, f2: 28, delay: 2100 })).toThrow(/wm\.trials: delay = 2100 ms gives 105 bins, more than the longest delay/);
    expect(() => task.trials({ f1: 20 })).toThrow(/f1 and f2 must be specified together/);
    expect(() => tasks.wm({ pairs: [[20, 28, 3] as never] })).toThrow(/pairs\[0\] must be a pair/);
    expect(() => tasks.wm({ minDelay: 900, maxDelay: 800 })).toThrow(/maxDelay \(800 ms\) must be >= minDelay \(900 ms\)/);
  });
});
