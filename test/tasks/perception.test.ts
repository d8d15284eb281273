import { describe, expect, it } from 'vitest';
import { tasks } from '../../ts/tasks/index.js';
import { at, build, counts, std, support } from '../support/tasks.js';

describe('perception task (seed 001: input 0.8 → output 0.5, input 0.5 → output 0.8)', () => {
  const task = tasks.perception();

  it('runs 100 bins of 10 ms: input on throughout, target and mask on the last 80 bins', () => {
    expect([task.inputSize, task.outputSize, task.steps, task.dt]).toEqual([1, 1, 100, 10]);
    expect(task.epochs).toEqual({ settle: [0, 20], response: [20, 100] });
    const batch = task.trials({ level: [0.8, 0.5] }, { drawNoise: false });
    expect(support(batch.inputs, 0)).toEqual([0, 100]);
    expect(at(batch.inputs, 0, 50)).toBe(Math.fround(0.8));
    expect(at(batch.inputs, 1, 0)).toBe(Math.fround(0.5));
    expect(support(batch.mask, 0)).toEqual([20, 100]);
    expect(at(batch.targets, 0, 20)).toBe(Math.fround(0.5));
    expect(at(batch.targets, 1, 99)).toBe(Math.fround(0.8));
    expect(batch.conditions.target).toEqual([0.5, 0.8]);
  });

  it('draws both levels equally often, with input noise of std 0.05', () => {
    const batch = task.sample(2000, { seed: 1 });
    const c = counts(batch.conditions.level);
    expect(Math.abs(c.get(0.8)! / 2000 - 0.5)).toBeLessThan(0.04);
    const dev: number[] = [];
    for (let b = 0; b < 2000; b += 10) for (let t = 0; t < 100; t++) dev.push(at(batch.inputs, b, t) - batch.conditions.level[b]);
    expect(std(dev)).toBeGreaterThan(0.047);
    expect(std(dev)).toBeLessThan(0.053);
  });

  it('counts a trial correct when the masked mean output is nearer its target than the other level', () => {
    const batch = task.trials({ level: [0.8, 0.5, 0.8, 0.5] }, { drawNoise: false });
    // Trial targets 0.5, 0.8, 0.5, 0.8; masked means 0.6 (right), 0.66 (right), 0.7 (wrong), 0.64 (wrong).
    const means = [0.6, 0.66, 0.7, 0.64];
    const outputs = build([4, 100, 1], (b, t) => (t < 20 ? 9 : means[b]));
    expect(task.accuracy(outputs, batch)).toBe(0.5);
    expect(() => task.trials({ level: 0.7 })).toThrow(/perception\.trials: condition 'level' must be one of 0\.8, 0\.5; got 0\.7/);
  });
});

describe('decision task (seed 001: which of two inputs is larger)', () => {
  const task = tasks.decision();

  it('shows both inputs throughout and asks +1 when input 1 is larger, −1 when input 2 is', () => {
    expect([task.inputSize, task.outputSize, task.steps]).toEqual([2, 1, 100]);
    const batch = task.trials({ input1: [0.9, 0.2], input2: [0.4, 0.3] }, { drawNoise: false });
    expect(at(batch.inputs, 0, 0, 0)).toBe(Math.fround(0.9));
    expect(at(batch.inputs, 0, 99, 1)).toBe(Math.fround(0.4));
    expect(support(batch.mask, 1)).toEqual([20, 100]);
    expect(at(batch.targets, 0, 50)).toBe(1);
    expect(at(batch.targets, 1, 50)).toBe(-1);
  });

  it('never draws equal inputs; ties given through trials() get a zero target and are left out of the accuracy', () => {
    const batch = task.sample(3000, { seed: 2 });
    batch.conditions.input1.forEach((a, i) => expect(a).not.toBe(batch.conditions.input2[i]));
    expect(new Set(batch.conditions.input1).size).toBe(9);
    const tie = task.trials({ input1: [0.5, 0.5], input2: [0.5, 0.1] }, { drawNoise: false });
    expect(tie.conditions.choice).toEqual([0, 1]);
    expect(support(tie.mask, 0)).toEqual([20, 100]);
    expect(task.accuracy(build([2, 100, 1], () => -1), tie)).toBe(0);
    expect(task.accuracy(build([2, 100, 1], () => 1), tie)).toBe(1);
  });
});
