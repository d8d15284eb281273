// The reference initialisation drawn in the native core (off the event loop for large nets) against the same draws
// made here with the package's TypeScript generator, as the models drew them before: the same seed gives the same
// float32 values bit for bit, and float64 values within the last bit (the C library's log, sin and cos are not
// V8's). Large draws run on a worker thread; every call on the model waits for them.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, type ParamName, type Tensor } from '../../ts/index.js';
import { gpuTargets } from '../support/gpu.js';
import { sameBits } from '../support/models.js';

type Reference = Partial<Record<ParamName, Float64Array>>;

/** The draws in layout order from one generator, as ts/model did in TypeScript: normal(std) per parameter. */
function referenceDraws(seed: number, plan: [ParamName, number, number | 'ones' | 'zeros'][]): Reference {
  const rng = new Random(seed);
  const out: Reference = {};
  for (const [name, count, how] of plan) {
    const values = new Float64Array(count);
    if (how === 'ones') values.fill(1);
    else if (how !== 'zeros') rng.fillNormal(values, how);
    out[name] = values;
  }
  return out;
}

/** Dale's law as the reference draws it: |w_ij| signed by unit j, inhibitory columns scaled by nE / nI. */
function daleReference(w: Float64Array, N: number, nE: number): void {
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const a = Math.abs(w[i * N + j]);
      w[i * N + j] = j < nE ? a : (-a * nE) / (N - nE);
    }
  }
}

function expectMatches(params: Record<ParamName, Tensor>, reference: Reference, dtype: 'float32' | 'float64'): void {
  for (const [name, values] of Object.entries(reference) as [ParamName, Float64Array][]) {
    const got = params[name].data;
    expect(got.length, name).toBe(values.length);
    if (dtype === 'float32') {
      expect(sameBits(got, Float32Array.from(values)), name).toBe(true);
      continue;
    }
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(got[i] - values[i]) / Math.max(Math.abs(values[i]), 1e-300));
    expect(worst, name).toBeLessThan(1e-15); // a few units in the last place: log, sin and cos round differently
  }
}

describe('initial weights drawn in the native core', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`low-rank net (${dtype}): m, n, wi ~ N(0, 1), wo ~ N(0, 16), si = so = 1, as the TypeScript generator`, () => {
      const N = 301; // an odd count: the spare Box-Muller variate carries over from m to n
      const model = new LowRankRNN({ size: N, rank: 1, inputs: 3, outputs: 2, seed: 17, dtype });
      const reference = referenceDraws(17, [['m', N, 1], ['n', N, 1], ['wi', 3 * N, 1], ['si', 3, 'ones'], ['wo', N * 2, 4], ['so', 2, 'ones'], ['h0', N, 'zeros'], ['b', N, 'zeros']]);
      expectMatches(model.params(), reference, dtype);
    });

    test(`large full-rank net (${dtype}), drawn on a worker thread: wrec ~ N(0, rho^2/N); a call right after waits for it`, async () => {
      const N = 400; // 160000 variates: more than the native model draws at once
      const opts = { size: N, inputs: 2, outputs: 1, rho: 1.5, seed: 2 ** 40 + 7, dtype, noise: 0 };
      const model = new FullRankRNN(opts);
      const inputs = { data: new Float64Array(3 * 5 * 2).fill(0.3), shape: [3, 5, 2] };
      const early = await model.simulate(inputs, { drawNoise: false }); // queued while the draws may still run
      const reference = referenceDraws(opts.seed, [['wrec', N * N, 1.5 / Math.sqrt(N)], ['wi', 2 * N, 1], ['si', 2, 'ones'], ['wo', N, 1 / N], ['so', 1, 'ones']]);
      expectMatches(model.params(), reference, dtype);
      const values = model.params();
      const given = new FullRankRNN({ ...opts, init: values }); // set on a worker thread too, from a copy made at once
      values.wrec.data.fill(0);
      const again = await given.simulate(inputs, { drawNoise: false });
      expect(sameBits(early.states!.data, again.states!.data)).toBe(true);
    });
  }

  test("full-rank net with Dale's law: signed by presynaptic unit, inhibitory columns scaled by nE / nI", () => {
    const N = 300;
    const model = new FullRankRNN({ size: N, inputs: 1, outputs: 1, seed: 5, dale: { excitatory: 0.8 }, dtype: 'float32' });
    const reference = referenceDraws(5, [['wrec', N * N, 1 / Math.sqrt(N)], ['wi', N, 1], ['si', 1, 'ones'], ['wo', N, 1 / N]]);
    daleReference(reference.wrec!, N, 240);
    expectMatches(model.params(), reference, 'float32');
  });

  test('given values replace the draws of their parameter only, and draw nothing from the stream', () => {
    const N = 50;
    const m = Float32Array.from({ length: N }, (_, i) => i / N);
    const model = new LowRankRNN({ size: N, rank: 1, inputs: 1, outputs: 1, seed: 9, init: { m }, dtype: 'float32' });
    const reference = referenceDraws(9, [['n', N, 1], ['wi', N, 1], ['si', 1, 'ones'], ['wo', N, 4]]);
    expectMatches(model.params(), reference, 'float32');
    expect(sameBits(model.param('m').data, m)).toBe(true);
    m.fill(7); // the model copied its values
    expect(model.param('m').data[1]).toBeCloseTo(1 / N, 7);
  });

  test('the same seed gives the same bits; a model without a seed draws a new one', () => {
    const a = new FullRankRNN({ size: 300, seed: 3 });
    const b = new FullRankRNN({ size: 300, seed: 3 });
    expect(sameBits(a.flatParams(), b.flatParams())).toBe(true);
    const c = new FullRankRNN({ size: 300 });
    const d = new FullRankRNN({ size: 300 });
    expect(sameBits(c.flatParams(), d.flatParams())).toBe(false);
  });
});

describe('initial weights of a model on the CUDA backend', () => {
  for (const { target, skip } of gpuTargets('initial values')) {
    test.skipIf(skip)(`drawn on a worker thread and copied to the device (${target}), the CPU's values`, async () => {
      const opts = { size: 300, inputs: 1, outputs: 1, seed: 8, noise: 0 };
      const gpu = new FullRankRNN({ ...opts, device: target });
      const inputs = { data: new Float32Array(2 * 4).fill(0.5), shape: [2, 4, 1] };
      const run = await gpu.simulate(inputs, { drawNoise: false });
      const cpu = new FullRankRNN(opts);
      expect(sameBits(gpu.flatParams(), cpu.flatParams())).toBe(true);
      const onCpu = await cpu.simulate(inputs, { drawNoise: false });
      let worst = 0;
      for (let i = 0; i < run.states!.data.length; i++) worst = Math.max(worst, Math.abs(run.states!.data[i] - onCpu.states!.data[i]));
      expect(worst).toBeLessThan(1e-5);
      gpu.dispose();
    });
  }
});
