// Bad input gets a TypeError or RangeError that names the argument, and never crashes the process.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN } from '../../ts/index.js';

const small = () => new LowRankRNN({ size: 10, rank: 1, inputs: 2, outputs: 1, seed: 1 });

describe('model options', () => {
  test('sizes, rank, activation, alpha, noise, train flags', () => {
    expect(() => new LowRankRNN({ size: 0 })).toThrow(RangeError);
    expect(() => new LowRankRNN({ size: 0 })).toThrow(/LowRankRNN: option 'size' must be an integer >= 1; got 0/);
    expect(() => new LowRankRNN({ size: -3 })).toThrow(/size/);
    expect(() => new LowRankRNN({ size: 2.5 })).toThrow(/size/);
    expect(() => new LowRankRNN({ size: 10, rank: 11 })).toThrow(/LowRankRNN: option 'rank' must be an integer in \[1, 10\]; got 11/);
    expect(() => new LowRankRNN({ size: 10, rank: 0 })).toThrow(/option 'rank' must be an integer in \[1, 10\]; got 0/);
    // @ts-expect-error invalid on purpose
    expect(() => new LowRankRNN({ size: 10, activation: 'sigmoid' })).toThrow(RangeError);
    // @ts-expect-error invalid on purpose
    expect(() => new LowRankRNN({ size: 10, activation: 3 })).toThrow(TypeError);
    expect(() => new LowRankRNN({ size: 10, alpha: 1.5 })).toThrow(/option 'alpha' must be a finite number in \(0, 1\]; got 1.5/);
    expect(() => new LowRankRNN({ size: 10, train: { wi: true, si: true } })).toThrow(
      /LowRankRNN: option 'train.si' must be false when train.wi is true \(si is frozen when wi trains\); got true/,
    );
    expect(() => new FullRankRNN({ size: 4, dale: [1, -1, 1] })).toThrow(
      /FullRankRNN: option 'dale' must be \{ excitatory: a fraction in \[0, 1\] \} or one sign \(\+1 excitatory, -1 inhibitory\) per unit \(4\); got \[1, -1, 1\]/,
    );
    expect(() => new FullRankRNN({ size: 4, dale: { excitatory: 1.5 } })).toThrow(/option 'dale' must be/);
    expect(() => new FullRankRNN({ size: 4, mask: new Uint8Array(9) })).toThrow(/option 'mask' must be a Uint8Array of 16 values or a tensor \[4, 4\]/);
    expect(() => new LowRankRNN({ size: 10, init: { m: new Float64Array(3) } })).toThrow(/init.m must have 10 values/);
  });

  test('NaN and Infinity are printed as such', () => {
    expect(() => new LowRankRNN({ size: 10, noise: Number.NaN })).toThrow(/LowRankRNN: option 'noise' must be a finite number >= 0; got NaN/);
    expect(() => new FullRankRNN({ size: 10, rho: Number.POSITIVE_INFINITY })).toThrow(/option 'rho' must be a finite number >= 0; got Infinity/);
    expect(() => new LowRankRNN({ size: Number.NaN })).toThrow(/option 'size' must be an integer >= 1; got NaN/);
  });

  test('unknown options are rejected with the valid names listed', () => {
    // @ts-expect-error misspelt on purpose
    expect(() => new LowRankRNN({ size: 10, rnak: 3 })).toThrow(/LowRankRNN: unknown option 'rnak'; valid options: size, inputs, .*, rank/);
    // @ts-expect-error misspelt on purpose
    expect(() => new FullRankRNN({ size: 10, daleLaw: 0.8 })).toThrow(/FullRankRNN: unknown option 'daleLaw'; valid options: .*rho, dale, mask/);
    // @ts-expect-error invalid on purpose
    expect(() => new LowRankRNN(null)).toThrow(/LowRankRNN: options must be an object; got null/);
  });

  test("options of the other kind of net are rejected as not applicable, with the reason", () => {
    const why = /does not apply here: Dale's law and fixed masks apply to full-rank nets/;
    // @ts-expect-error a full-rank option on purpose
    expect(() => new LowRankRNN({ size: 10, dale: { excitatory: 0.8 } })).toThrow(new RegExp(`LowRankRNN: option 'dale' ${why.source}`));
    // @ts-expect-error a full-rank option on purpose
    expect(() => new LowRankRNN({ size: 10, mask: new Uint8Array(100) })).toThrow(new RegExp(`option 'mask' ${why.source}`));
    // @ts-expect-error a full-rank option on purpose
    expect(() => new LowRankRNN({ size: 10, rho: 2 })).toThrow(/LowRankRNN: option 'rho' does not apply here: rho scales the random wrec of full-rank nets/);
    // @ts-expect-error a low-rank option on purpose
    expect(() => new FullRankRNN({ size: 10, rank: 2 })).toThrow(/FullRankRNN: option 'rank' does not apply here: rank applies to low-rank nets/);
  });

  test('train flags: unknown names rejected, parameters of the other kind not trainable', () => {
    // @ts-expect-error invalid on purpose
    expect(() => new LowRankRNN({ size: 10, train: { w: true } })).toThrow(/LowRankRNN.train: unknown option 'w'; valid options: m, n, wrec, wi, si, wo, so, h0, b/);
    // @ts-expect-error invalid on purpose
    expect(() => new LowRankRNN({ size: 10, train: { wi: 1 } })).toThrow(/LowRankRNN.train: option 'wi' must be true or false; got 1/);
    expect(() => new LowRankRNN({ size: 10, train: { wrec: true } })).toThrow(/option 'train.wrec' does not apply here: a low-rank net has no wrec/);
    expect(() => new FullRankRNN({ size: 10, train: { m: true } })).toThrow(/option 'train.m' does not apply here: a full-rank net has no m and n/);
    expect(new LowRankRNN({ size: 10, train: { wrec: false, h0: true } }).config.train.h0).toBe(true);
  });

  test('init names are checked against the kind of net', () => {
    expect(() => new LowRankRNN({ size: 4, init: { wrec: new Float64Array(16) } })).toThrow(/LowRankRNN.init: unknown option 'wrec'; valid options: m, n, wi, si, wo, so, h0, b/);
    // @ts-expect-error invalid on purpose
    expect(() => new FullRankRNN({ size: 4, init: { wrec: [1, 2] } })).toThrow(/FullRankRNN.init: option 'wrec' must be a tensor or a Float32Array or Float64Array; got \[1, 2\]/);
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
    await expect(m.simulate({ data: new Float32Array(12), shape: [2, 3, 2] }, { seed: -1 })).rejects.toThrow(/model.simulate: option 'seed' must be a non-negative safe integer; got -1/);
    await expect(m.simulate({ data: new Float32Array(12), shape: [2, 3, 2] }, { initialStates: { data: new Float32Array(10), shape: [1, 10] } })).rejects.toThrow(/initialStates must have shape \[2, 10\]; got \[1, 10\]/);
    const batch = { inputs: { data: new Float32Array(12), shape: [2, 3, 2] }, targets: { data: new Float32Array(5), shape: [5] } };
    await expect(m.loss(batch)).rejects.toThrow(/batch.targets must have shape \[2, 3, 1\]; got \[5\]/);
    await expect(m.loss({ ...batch, targets: { data: new Float32Array(6), shape: [2, 3, 1] } }, { lossOn: 'rates' })).rejects.toThrow(
      /batch.targets must have shape \[2, 3, 10\]/,
    );
  });

  test('unknown options of simulate, loss and gradients are rejected; noise is drawNoise', async () => {
    const m = small();
    const inputs = { data: new Float32Array(12), shape: [2, 3, 2] };
    const batch = { inputs, targets: { data: new Float32Array(6), shape: [2, 3, 1] } };
    // @ts-expect-error misspelt on purpose
    await expect(m.simulate(inputs, { rate: true })).rejects.toThrow(/model.simulate: unknown option 'rate'; valid options: drawNoise, seed, initialStates, states, rates, outputs/);
    // @ts-expect-error the old name on purpose
    await expect(m.simulate(inputs, { noise: false })).rejects.toThrow(/model.simulate: option 'noise' does not apply here: the per-call switch of per-step noise is 'drawNoise'/);
    // @ts-expect-error the old name on purpose
    await expect(m.loss(batch, { noise: false })).rejects.toThrow(/model.loss: option 'noise' does not apply here/);
    // @ts-expect-error misspelt on purpose
    await expect(m.gradients(batch, { losOn: 'rates' })).rejects.toThrow(/model.gradients: unknown option 'losOn'; valid options: lossOn, drawNoise, seed/);
    // @ts-expect-error invalid on purpose
    await expect(m.loss(batch, { lossOn: 'hidden' })).rejects.toThrow(/model.loss: option 'lossOn' must be one of 'outputs', 'rates', 'states'; got 'hidden'/);
    // @ts-expect-error invalid on purpose
    await expect(m.simulate(inputs, { drawNoise: 0 })).rejects.toThrow(/option 'drawNoise' must be true or false; got 0/);
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
