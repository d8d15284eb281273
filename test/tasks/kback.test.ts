import { describe, expect, it } from 'vitest';
import { tasks } from '../../ts/tasks/index.js';
import { at, build, counts, series, support } from '../support/tasks.js';

describe('K-back (LINT section 3.2.1; timing documented in kback.ts)', () => {
  it('lays out fixation 5 | P × (stimulus 5 + interval 5) | decision 15 bins, padded to P = K + 4', () => {
    const task = tasks.kback();
    expect(task.options).toMatchObject({ k: 2, minStimuli: 2, maxStimuli: 6 });
    expect([task.inputSize, task.outputSize, task.steps]).toEqual([2, 1, 5 + 6 * 10 + 15]);
    expect(tasks.kback({ k: 3 }).steps).toBe(5 + 7 * 10 + 15);
    expect(tasks.kback({ goCue: false }).inputSize).toBe(1);
  });

  it('shows each ±1 stimulation for 5 bins, the go cue on the decision bins, and the K-th last as target', () => {
    const task = tasks.kback({ k: 2 });
    const batch = task.trials(
      { count: [3, 2], stimulus1: [1, -1], stimulus2: [-1, 1], stimulus3: [1, 0] },
      { drawNoise: false },
    );
    // Trial 0: +1, −1, +1 → 2-back = −1; decision after 5 + 3·10 = 35 bins.
    const s0 = series(batch.inputs, 0, 0);
    expect(s0.slice(5, 10)).toEqual([1, 1, 1, 1, 1]);
    expect(s0.slice(10, 15)).toEqual([0, 0, 0, 0, 0]);
    expect(s0.slice(15, 20)).toEqual([-1, -1, -1, -1, -1]);
    expect(s0.slice(25, 30)).toEqual([1, 1, 1, 1, 1]);
    expect(s0.slice(30).every((v) => v === 0)).toBe(true);
    expect(support(batch.inputs, 0, 1)).toEqual([35, 50]);
    expect(support(batch.mask, 0)).toEqual([35, 50]);
    expect(at(batch.targets, 0, 40)).toBe(-1);
    // Trial 1: −1, +1 → 2-back = −1 (the first); decision at 25.
    expect(support(batch.mask, 1)).toEqual([25, 40]);
    expect(at(batch.targets, 1, 25)).toBe(-1);
    expect(batch.conditions).toMatchObject({ count: [3, 2], target: [-1, -1], decisionStart: [35, 25] });
    expect(batch.conditions.stimulus6).toEqual([0, 0]);
  });

  it('draws P uniformly in [K, K + 4] and fair ±1 stimulations; the target is always the K-th last', () => {
    for (const k of [1, 3]) {
      const task = tasks.kback({ k });
      const batch = task.sample(3000, { seed: k });
      const c = counts(batch.conditions.count);
      expect([...c.keys()].sort((a, b) => a - b)).toEqual([k, k + 1, k + 2, k + 3, k + 4]);
      for (let b = 0; b < 3000; b++) {
        const P = batch.conditions.count[b];
        const stimuli = Array.from({ length: P }, (_, j) => batch.conditions[`stimulus${j + 1}`][b]);
        expect(batch.conditions.target[b]).toBe(stimuli[P - k]);
      }
      const plus = batch.conditions.stimulus1.filter((v) => v === 1).length / 3000;
      expect(Math.abs(plus - 0.5)).toBeLessThan(0.03);
    }
  });

  it('adds noise on the stimulus channel only; the go cue stays clean', () => {
    const batch = tasks.kback().sample(50, { seed: 2 });
    expect(at(batch.inputs, 0, 0, 0)).not.toBe(0);
    const cue = Array.from({ length: 50 }, (_, b) => series(batch.inputs, b, 1)).flat();
    expect(cue.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('scores with the sign rule over the decision window', () => {
    const task = tasks.kback({ k: 1 });
    const batch = task.trials({ count: 1, stimulus1: [1, -1, 1] }, { drawNoise: false });
    expect(task.accuracy(build([3, task.steps, 1], () => 0.5), batch)).toBeCloseTo(2 / 3, 12);
  });

  it('rejects bad K, stimulus counts and sequences', () => {
    expect(() => tasks.kback({ k: 0 })).toThrow(/kback: option 'k' must be an integer >= 1; got 0/);
    expect(() => tasks.kback({ k: 3, minStimuli: 2 })).toThrow(/kback: option 'minStimuli' must be an integer >= 3; got 2/);
    expect(() => tasks.kback({ minStimuli: 5, maxStimuli: 4 })).toThrow(/option 'maxStimuli' must be an integer >= 5; got 4/);
    const task = tasks.kback();
    expect(() => task.trials({ count: 1 })).toThrow(/kback\.trials: condition 'count' must be an integer in \[2, 6\]; got 1/);
    expect(() => task.trials({ count: 2, stimulus1: 0.5 })).toThrow(/condition 'stimulus1' must be one of -1, 1; got 0\.5/);
    expect(() => task.trials({ count: 2, stimulus3: 1 })).toThrow(/stimulus3 must be 0 or left out when count is 2/);
  });
});
