import { describe, expect, it } from 'vitest';
import { CdmTask, tasks, type TaskBatch } from '../../ts/tasks/index.js';
import type { Tensor } from '../../ts/core/tensor.js';
import { at, build, counts, std, support } from '../support/tasks.js';

describe('CDM (mante.py)', () => {
  const task = tasks.cdm();

  it('has 68 bins (5 + 17 + 40 + 5 + 1), 4 inputs and 1 output', () => {
    expect([task.inputSize, task.outputSize, task.steps]).toEqual([4, 1, 68]);
    expect(task.epochs).toEqual({
      fixation: [0, 5],
      context: [5, 22],
      stimulus: [22, 62],
      delay: [62, 67],
      decision: [67, 68],
    });
  });

  it('puts coh·0.1 on ch0/ch1 over [22, 62), the context cue 0.1 over [5, 67), the target at bin 67 only', () => {
    const batch = task.trials({ coherenceA: [4, -1], coherenceB: [-2, 2], context: [1, 2] }, { drawNoise: false });
    expect(support(batch.inputs, 0, 0)).toEqual([22, 62]);
    expect(support(batch.inputs, 0, 1)).toEqual([22, 62]);
    expect(at(batch.inputs, 0, 30, 0)).toBe(Math.fround(0.4));
    expect(at(batch.inputs, 0, 30, 1)).toBe(Math.fround(-0.2));
    expect(support(batch.inputs, 0, 2)).toEqual([5, 67]);
    expect(at(batch.inputs, 0, 5, 2)).toBe(Math.fround(0.1));
    expect(support(batch.inputs, 0, 3)).toBeNull();
    expect(support(batch.inputs, 1, 2)).toBeNull();
    expect(support(batch.inputs, 1, 3)).toEqual([5, 67]);
    // Context 1 reports the sign of A (+4 → +1); context 2 the sign of B (+2 → +1).
    expect(support(batch.mask, 0)).toEqual([67, 68]);
    expect(support(batch.targets, 0)).toEqual([67, 68]);
    expect(at(batch.targets, 0, 67)).toBe(1);
    expect(at(batch.targets, 1, 67)).toBe(1);
    expect(batch.conditions.congruent).toEqual([0, 0]);
    const other = task.trials({ coherenceA: 4, coherenceB: -2, context: 2 }, { drawNoise: false });
    expect(at(other.targets, 0, 67)).toBe(-1);
  });

  it('adds noise of std 0.1 to the two stimulus channels only', () => {
    const batch = task.sample(300, { seed: 9 });
    const fixation: number[] = [];
    for (let b = 0; b < 300; b++) for (let t = 0; t < 22; t++) fixation.push(at(batch.inputs, b, t, 0), at(batch.inputs, b, t, 1));
    expect(std(fixation)).toBeGreaterThan(0.095);
    expect(std(fixation)).toBeLessThan(0.105);
    for (let b = 0; b < 300; b++) {
      const cue = batch.conditions.context[b] === 1 ? 2 : 3;
      expect(at(batch.inputs, b, 40, cue)).toBe(Math.fround(0.1));
      expect(at(batch.inputs, b, 40, 5 - cue)).toBe(0);
    }
  });

  it('draws the coherences of the two channels independently from ±{1,2,4}, and both contexts', () => {
    const batch = task.sample(6000, { seed: 5 });
    const { coherenceA, coherenceB, context, choice } = batch.conditions;
    expect([...counts(coherenceA).keys()].sort((a, b) => a - b)).toEqual([-4, -2, -1, 1, 2, 4]);
    const same = coherenceA.filter((a, i) => a === coherenceB[i]).length / 6000;
    expect(Math.abs(same - 1 / 6)).toBeLessThan(0.02);
    expect(Math.abs(context.filter((c) => c === 1).length / 6000 - 0.5)).toBeLessThan(0.03);
    choice.forEach((c, i) => expect(c).toBe(Math.sign(context[i] === 1 ? coherenceA[i] : coherenceB[i])));
  });

  it('honours scaleCtx (train_mante_main.py uses 0.5)', () => {
    const batch = tasks.cdm({ scaleCtx: 0.5 }).trials({ context: 2 }, { drawNoise: false });
    expect(at(batch.inputs, 0, 10, 3)).toBe(0.5);
  });

  it('selects incongruent (or congruent) trials on request', () => {
    const inc = tasks.cdm({ selection: 'incongruent' }).sample(500, { seed: 1 });
    inc.conditions.coherenceA.forEach((a, i) => expect(Math.sign(a)).not.toBe(Math.sign(inc.conditions.coherenceB[i])));
    const con = tasks.cdm({ selection: 'congruent' }).sample(500, { seed: 1 });
    con.conditions.coherenceA.forEach((a, i) => expect(Math.sign(a)).toBe(Math.sign(con.conditions.coherenceB[i])));
    const mixed = task.sample(50, { seed: 2 });
    const picked = tasks.selectTrials(mixed, CdmTask.incongruent(mixed));
    expect(picked.inputs.shape).toEqual([picked.conditions.congruent.length, 68, 4]);
    expect(picked.conditions.congruent.every((c) => c === 0)).toBe(true);
    expect(picked.conditions.congruent.length).toBe(mixed.conditions.congruent.filter((c) => c === 0).length);
  });

  it('refuses an incongruent selection when the coherences have one sign', () => {
    expect(() => tasks.cdm({ selection: 'incongruent', coherences: [1, 2] })).toThrow(/needs coherences of both signs/);
  });

  it('scores with accuracy_mante: sign at the decision bin, catch trials left out', () => {
    const batch = task.trials({ coherenceA: [1, 1, 1], coherenceB: [-1, -1, -1], context: [1, 2, 1], catch: [0, 0, 1] });
    expect(batch.conditions.catch).toEqual([0, 0, 1]);
    // Follows coherence A always: right in context 1, wrong in context 2.
    const followA = build([3, 68, 1], () => 1);
    expect(task.accuracy(followA, batch)).toBe(0.5);
  });
});

/** A fake network that reads the inputs of a CDM batch: the decision follows the channel `pick` chooses. */
function network(pick: (ctx: number) => number): (inputs: Tensor<Float32Array>) => Tensor {
  return (inputs) => {
    const [B, T] = inputs.shape;
    return build([B, T, 1], (b) => {
      let ctx1 = 0;
      let a = 0;
      let c = 0;
      for (let t = 0; t < T; t++) {
        ctx1 += at(inputs, b, t, 2) - at(inputs, b, t, 3);
        a += at(inputs, b, t, 0);
        c += at(inputs, b, t, 1);
      }
      return Math.sign(pick(ctx1 > 0 ? 1 : 2) === 0 ? a : c);
    });
  };
}

describe('CDM psychometric matrices (psychometric_matrices / inactivating_pop_matrices)', () => {
  const task = tasks.cdm();

  it('uses coherences −5…5 step 2 and 10 trials per cell in one batch', async () => {
    let seen: number[] = [];
    const result = await task.psychometric((inputs) => {
      seen = inputs.shape;
      return build([inputs.shape[0], 68, 1], () => 1);
    });
    expect(result.coherences).toEqual([-5, -3, -1, 1, 3, 5]);
    expect(seen).toEqual([2 * 36 * 10, 68, 4]);
    // Always +1: correct on the 18 cells of each context whose relevant coherence is positive.
    expect(result.choice[0].flat().every((v) => v === 1)).toBe(true);
    expect(result.accuracy[0].flat().reduce((s, v) => s + v, 0)).toBe(18);
    expect(result.incongruentAccuracy).toEqual([0.5, 0.5]);
  });

  it('lays out rows by coherence B from the top and columns by coherence A; an ideal network scores 1', async () => {
    const ideal = await task.psychometric(network((ctx) => (ctx === 1 ? 0 : 1)), { seed: 3 });
    const n = 6;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < n; i++) {
        const cohA = ideal.coherences[i];
        const cohB = ideal.coherences[n - 1 - r];
        expect(ideal.choice[0][r][i]).toBe(Math.sign(cohA));
        expect(ideal.choice[1][r][i]).toBe(Math.sign(cohB));
      }
    }
    expect(ideal.accuracy.flat(2).every((v) => v === 1)).toBe(true);
    expect(ideal.incongruentAccuracy).toEqual([1, 1]);
  });

  it('scores a context-blind network at 1 / 0 on incongruent trials of the two contexts (async run accepted)', async () => {
    const followA = network(() => 0);
    const result = await task.psychometric(async (x) => followA(x), { seed: 4, drawNoise: false });
    expect(result.incongruentAccuracy).toEqual([1, 0]);
  });

  it('rejects a run that is not a function, and outputs of the wrong shape', async () => {
    await expect(task.psychometric(42 as never)).rejects.toThrow(/cdm\.psychometric: run must be a function/);
    await expect(task.psychometric((x) => build([x.shape[0], 67, 1], () => 1))).rejects.toThrow(/outputs must have shape/);
  });
});

describe('CDM trials() for specified conditions', () => {
  const task = tasks.cdm();

  it('broadcasts scalars, repeats conditions, and draws the unspecified ones', () => {
    const batch: TaskBatch = task.trials({ context: [1, 2], coherenceA: 2 }, { repeats: 3, seed: 1 });
    expect(batch.conditions.context).toEqual([1, 1, 1, 2, 2, 2]);
    expect(batch.conditions.coherenceA).toEqual([2, 2, 2, 2, 2, 2]);
    expect(new Set(batch.conditions.coherenceB).size).toBeGreaterThan(1);
  });

  it('rejects unknown conditions, arrays of unequal length, and bad values with the trial index', () => {
    expect(() => task.trials({ coherence: [1] })).toThrow(/cdm\.trials: unknown condition 'coherence'; settable conditions: coherenceA/);
    expect(() => task.trials({ coherenceA: [1, 2], context: [1] })).toThrow(/all condition arrays must have one length/);
    expect(() => task.trials({ context: [1, 3] })).toThrow(/cdm\.trials: condition 'context\[1\]' must be one of 1, 2; got 3/);
    expect(() => task.trials({ coherenceA: [Number.NaN] })).toThrow(/condition 'coherenceA\[0\]' must be a finite number; got NaN/);
    expect(() => task.trials({ coherenceA: [] })).toThrow(/empty array/);
  });
});
