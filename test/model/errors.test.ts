// Bad input gets a TypeError or RangeError that names the argument, and never crashes the process.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN } from '../../ts/index.js';

const small = () => new LowRankRNN({ size: 10, rank: 1, inputs: 2, outputs: 1, seed: 1 });

describe('model options', () => {
  test('sizes, rank, activation, alpha, noise, train flags', () => {
    expect(() => new LowRankRNN({ size: 0 })).toThrow(RangeError);
    expect(() => new LowRankRNN({ size: 0 })).toThrow(/size must be an integer >= 1; got 0/);
    expect(() => new LowRankRNN({ size: -3 })).toThrow(/size/);
    expect(() => new LowRankRNN({ size: 2.5 })).toThrow(/size/);
    expect(() => new LowRankRNN({ size: 10, rank: 11 })).toThrow(/rank must be <= size \(10\); got 11/);
    expect(() => new LowRankRNN({ size: 10, rank: 0 })).toThrow(/rank must be an integer >= 1/);
    // @ts-expect-error invalid on purpose
    expect(() => new LowRankRNN({ size: 10, activation: 'sigmoid' })).toThrow(TypeError);
    expect(() => new LowRankRNN({ size: 10, alpha: 1.5 })).toThrow(/alpha must be in \(0, 1\]; got 1.5/);
    expect(() => new LowRankRNN({ size: 10, noise: Number.NaN })).toThrow(/noise/);
    expect(() => new LowRankRNN({ size: 10, train: { wi: true, si: true } })).toThrow(/train.si cannot be true/);
    // @ts-expect-error invalid on purpose
    expect(() => new LowRankRNN({ size: 10, train: { w: true } })).toThrow(/train.w is not a parameter/);
    expect(() => new FullRankRNN({ size: 4, dale: [1, -1, 1] })).toThrow(/one sign per unit \(4\); got 3/);
    expect(() => new LowRankRNN({ size: 10, init: { m: new Float64Array(3) } })).toThrow(/init.m must have 10 values/);
  });

  test('a network too large for this machine is refused before allocation', () => {
    expect(() => new FullRankRNN({ size: 300_000 })).toThrow(RangeError);
    expect(() => new FullRankRNN({ size: 300_000 })).toThrow(/GiB/);
  });
});

describe('simulate and loss arguments', () => {
  test('wrong shapes name the argument and the expectation', async () => {
    const m = small();
    await expect(m.simulate({ data: new Float32Array(12), shape: [2, 3, 2] })).resolves.toBeDefined();
    await expect(m.simulate({ data: new Float32Array(12), shape: [2, 2, 3] })).rejects.toThrow(
      /inputs must have shape \[batch, steps, 2\]; got \[2, 2, 3\]/,
    );
    await expect(m.simulate({ data: new Float32Array(11), shape: [2, 3, 2] })).rejects.toThrow(/needs 12 values but data has 11/);
    // @ts-expect-error invalid on purpose
    await expect(m.simulate({ data: [1, 2], shape: [1, 1, 2] })).rejects.toThrow(/inputs.data must be a Float32Array or Float64Array; got Array/);
    await expect(m.simulate({ data: new Float32Array(0), shape: [0, 3, 2] })).rejects.toThrow(/at least one trial/);
    await expect(m.simulate({ data: new Float32Array(12), shape: [2, 3, 2] }, { seed: -1 })).rejects.toThrow(/seed must be a non-negative safe integer/);
    await expect(m.simulate({ data: new Float32Array(12), shape: [2, 3, 2] }, { initialStates: { data: new Float32Array(10), shape: [1, 10] } })).rejects.toThrow(/initialStates must have shape \[2, 10\]; got \[1, 10\]/);
    const batch = { inputs: { data: new Float32Array(12), shape: [2, 3, 2] }, targets: { data: new Float32Array(5), shape: [5] } };
    await expect(m.loss(batch)).rejects.toThrow(/batch.targets must have shape \[2, 3, 1\]; got \[5\]/);
    await expect(m.loss({ ...batch, targets: { data: new Float32Array(6), shape: [2, 3, 1] } }, { lossOn: 'rates' })).rejects.toThrow(
      /batch.targets must have shape \[2, 3, 10\]/,
    );
  });

  test('a loss on outputs needs outputs', async () => {
    const m = new LowRankRNN({ size: 10, rank: 1, inputs: 1, outputs: 0, seed: 1 });
    const batch = { inputs: { data: new Float32Array(6), shape: [2, 3, 1] }, targets: { data: new Float32Array(0), shape: [2, 3, 0] } };
    await expect(m.loss(batch)).rejects.toThrow(/lossOn 'outputs' needs a model with outputs/);
  });

  test('NaN and Inf in inputs and weights are refused with their position', async () => {
    const m = small();
    const data = new Float32Array(12);
    data[7] = Number.NaN;
    await expect(m.simulate({ data, shape: [2, 3, 2] })).rejects.toThrow(/inputs contains NaN at flat index 7/);
    const w = new Float32Array(10);
    w[3] = Number.POSITIVE_INFINITY;
    expect(() => m.setParams({ h0: w })).toThrow(/h0 contains Infinity at flat index 3/);
    expect(() => m.setParams({ h0: new Float32Array(4) })).toThrow(/h0 must have 10 values \(shape \[10\]\); got 4/);
    expect(() => m.setParams({ wrec: new Float32Array(100) })).toThrow(/has no parameter 'wrec'/);
  });

  test('results that cannot fit in memory are a RangeError, not a crash', async () => {
    const m = new LowRankRNN({ size: 4096, rank: 1, inputs: 0, outputs: 1, seed: 1 });
    const inputs = { data: new Float32Array(0), shape: [100_000, 10_000, 0] };
    await expect(m.simulate(inputs)).rejects.toThrow(RangeError);
    await expect(m.simulate(inputs)).rejects.toThrow(/GiB/);
  });

  test('a disposed model refuses calls; dispose twice is safe', () => {
    const m = small();
    m.dispose();
    m.dispose();
    expect(() => m.params()).toThrow(/disposed/);
  });
});
