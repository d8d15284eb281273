import { describe, expect, it } from 'vitest';
import { DMS_A, DMS_B, tasks } from '../../ts/tasks/index.js';
import { at, build, series, std, support } from '../support/tasks.js';

describe('DMS (dms.py)', () => {
  const task = tasks.dms();

  it('pads every trial to 5 + 25 + 150 + 25 + 50 = 255 bins, 2 inputs, 1 output', () => {
    expect([task.steps, task.inputSize, task.outputSize]).toEqual([255, 2, 1]);
    expect(task.bins).toEqual({ fixation: 5, stimulus1: 25, minDelay: 25, maxDelay: 150, stimulus2: 25, decision: 50 });
  });

  it('shows A on ch0 and B on ch1 at 1, and a ±1 match target on the 50 bins right after stimulus 2', () => {
    const types = [
      [DMS_A, DMS_A, 1],
      [DMS_A, DMS_B, -1],
      [DMS_B, DMS_A, -1],
      [DMS_B, DMS_B, 1],
    ];
    const batch = task.trials(
      { stimulus1: types.map((x) => x[0]), stimulus2: types.map((x) => x[1]), delay: [500, 1000, 2990, 3000] },
      { drawNoise: false },
    );
    const delays = [25, 50, 149, 150];
    const onBins = (b: number, ch: number) => series(batch.inputs, b, ch).flatMap((v, t) => (v ? [t] : []));
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    types.forEach(([s1, s2, match], b) => {
      const stim2 = 30 + delays[b];
      for (const ch of [0, 1]) {
        const expected = [...(s1 === ch ? range(5, 25) : []), ...(s2 === ch ? range(stim2, 25) : [])];
        expect(onBins(b, ch)).toEqual(expected);
      }
      expect(at(batch.inputs, b, 5, s1)).toBe(1);
      expect(support(batch.mask, b)).toEqual([stim2 + 25, stim2 + 75]);
      expect(at(batch.targets, b, stim2 + 25)).toBe(match);
      expect(batch.conditions.match[b]).toBe(match);
      expect(batch.conditions.decisionStart[b]).toBe(stim2 + 25);
    });
    // The longest delay fills the padded trial exactly.
    expect(batch.conditions.decisionStart[3] + 50).toBe(255);
  });

  it('draws the delay uniformly in [500, 3000] ms and floors it to bins in [25, 150]', () => {
    const batch = task.sample(3000, { seed: 8 });
    const bins = batch.conditions.delay.map((ms) => Math.round(ms / 20));
    expect(Math.min(...bins)).toBe(25);
    expect(Math.max(...bins)).toBeGreaterThanOrEqual(148);
    expect(Math.max(...bins)).toBeLessThanOrEqual(150);
    const meanBins = bins.reduce((a, x) => a + x, 0) / bins.length;
    expect(Math.abs(meanBins - 87)).toBeLessThan(2); // E[floor(U[25, 150))] = 87
    const types = batch.conditions.stimulus1.map((s1, i) => 2 * s1 + batch.conditions.stimulus2[i]);
    for (const type of [0, 1, 2, 3]) {
      expect(Math.abs(types.filter((x) => x === type).length / 3000 - 0.25)).toBeLessThan(0.03);
    }
  });

  it('adds noise of std 0.03 on both channels, also on the padding; the padding has no mask', () => {
    const batch = task.trials({ delay: 500 }, { repeats: 200, seed: 3 });
    const pad: number[] = [];
    for (let b = 0; b < 200; b++) for (let t = 130; t < 255; t++) pad.push(at(batch.inputs, b, t, 0), at(batch.inputs, b, t, 1));
    expect(std(pad)).toBeGreaterThan(0.0285);
    expect(std(pad)).toBeLessThan(0.0315);
    expect(series(batch.mask, 0).slice(130).every((v) => v === 0)).toBe(true);
  });

  it('reproduces a batch from its conditions (delay metadata is the floored bins in ms)', () => {
    const quiet = tasks.dms({ noiseStd: 0 });
    const batch = quiet.sample(40, { seed: 12 });
    const { stimulus1, stimulus2, delay } = batch.conditions;
    const again = quiet.trials({ stimulus1, stimulus2, delay });
    expect(again.conditions).toEqual(batch.conditions);
    expect(again.inputs.data).toEqual(batch.inputs.data);
    expect(again.targets.data).toEqual(batch.targets.data);
  });

  it('withMaxDelay() gives the curriculum stages 700 → 1000 → 4000 ms their padded lengths', () => {
    expect(task.withMaxDelay(700).steps).toBe(5 + 25 + 35 + 25 + 50);
    expect(task.withMaxDelay(1000).steps).toBe(155);
    const long = task.withMaxDelay(4000);
    expect(long.steps).toBe(305);
    expect(long.options.maxDelay).toBe(4000);
    expect(long.options.minDelay).toBe(500);
    expect(task.steps).toBe(255); // the original is unchanged
    const batch = long.sample(500, { seed: 1 });
    expect(Math.max(...batch.conditions.delay)).toBeGreaterThan(3000);
    expect(() => task.withMaxDelay(400)).toThrow(/dms: maxDelay \(400 ms\) must be >= minDelay \(500 ms\)/);
  });

  it('scores with accuracy_dms: sign of the mean over the mask; catch trials left out', () => {
    const batch = task.trials({ stimulus1: [0, 0, 1], stimulus2: [0, 1, 1], delay: 500, catch: [0, 0, 1] });
    expect(series(batch.mask, 2).every((v) => v === 0)).toBe(true);
    const allPositive = build([3, 255, 1], () => 0.3);
    expect(task.accuracy(allPositive, batch)).toBe(0.5);
    const perfect = build([3, 255, 1], (b, t) => (t >= 80 && t < 130 ? [1, -1, 0][b] : 0));
    expect(task.accuracy(perfect, batch)).toBe(1);
  });
});
