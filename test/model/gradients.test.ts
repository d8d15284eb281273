// Every parameter's BPTT gradient against double-precision central finite differences.
import { describe, expect, test } from 'vitest';
import type { Activation, AnyModel, LossOn } from '../../ts/index.js';
import { finiteDifferences, fullRank, lowRank, perturbAll, randomBatch, relativeErrors } from '../support/models.js';

const B = 3;
const T = 9;

async function checkGradients(model: AnyModel, lossOn: LossOn, pinned?: (model: AnyModel) => (i: number) => boolean) {
  perturbAll(model, 5);
  const skip = pinned ? pinned(model) : () => false;
  const batch = randomBatch(model, lossOn, B, T, 21);
  const seed = 77;
  const { grads } = await model.gradients(batch, { lossOn, seed });
  const analytic = new Float64Array(model.flatParams().length);
  let offset = 0;
  for (const name of model.paramNames) {
    analytic.set(grads[name].data, offset);
    offset += grads[name].data.length;
  }
  const fd = await finiteDifferences(model, batch, lossOn, seed, skip);
  const errors = relativeErrors(model, analytic, fd, skip);
  for (const [name, err] of Object.entries(errors)) {
    expect(err, `${name}: relative error ${err}`).toBeLessThan(1e-6);
  }
  // The loss must depend on the parameters at all, or the comparison proves nothing.
  expect(Math.max(...Array.from(fd, Math.abs))).toBeGreaterThan(1e-4);
  model.dispose();
}

const activations: Activation[] = ['tanh', 'relu', 'leaky-relu', 'softplus', 'linear'];

describe('low-rank gradients (double)', () => {
  for (const formulation of ['current', 'rate'] as const) {
    for (const activation of activations) {
      test(`${formulation} ${activation}, loss on outputs`, async () => {
        await checkGradients(lowRank({ formulation, activation, slope: 0.1, outputActivation: 'tanh' }), 'outputs');
      });
    }
    for (const lossOn of ['rates', 'states'] as const) {
      test(`${formulation} tanh, loss on ${lossOn}`, async () => {
        await checkGradients(lowRank({ formulation, outputs: 0 }), lossOn);
      });
    }
    test(`${formulation} without autapses, rank 3`, async () => {
      await checkGradients(lowRank({ formulation, noAutapse: true, rank: 3 }), 'outputs');
    });
  }
  test('readout identity (outputActivation linear) and rank 1', async () => {
    await checkGradients(lowRank({ rank: 1, outputActivation: 'linear', activation: 'softplus' }), 'outputs');
  });
});

// The engine walks each trial's row in SIMD tiles (32 or 64 floats, 16 or 32 doubles) plus a shorter last tile; the
// sizes above fit in one partial tile, N = 45 takes whole tiles and a partial one.
describe('sizes spanning whole and partial SIMD tiles', () => {
  test('current tanh with a tanh readout (its loss joins the recurrent phi\' pass), no autapses, N = 45', async () => {
    await checkGradients(lowRank({ size: 45, noAutapse: true, outputActivation: 'tanh' }), 'outputs');
  });
  test('rate relu, no autapses, N = 45', async () => {
    await checkGradients(lowRank({ size: 45, formulation: 'rate', activation: 'relu', noAutapse: true }), 'outputs');
  });
  test('full-rank current softplus, N = 45', async () => {
    await checkGradients(fullRank({ size: 45, activation: 'softplus' }), 'outputs');
  });
});

describe('initial states', () => {
  test('with given initial states the gradient reaches no h0, and matches finite differences', async () => {
    const model = lowRank({ rank: 2 });
    perturbAll(model, 5);
    const batch = { ...randomBatch(model, 'outputs', B, T, 21), initialStates: randomTensorLike(B, model.size) };
    const { grads } = await model.gradients(batch, { seed: 3 });
    expect(Array.from(grads.h0.data).every((v) => v === 0)).toBe(true);
    const fd = await finiteDifferences(model, batch, 'outputs', 3);
    const analytic = new Float64Array(fd.length);
    let offset = 0;
    for (const name of model.paramNames) {
      analytic.set(grads[name].data, offset);
      offset += grads[name].data.length;
    }
    for (const [name, err] of Object.entries(relativeErrors(model, analytic, fd))) expect(err, name).toBeLessThan(1e-6);
  });
});

function randomTensorLike(B: number, N: number) {
  const data = new Float64Array(B * N).map((_, i) => Math.sin(1.7 * i));
  return { data, shape: [B, N] };
}

describe('full-rank gradients (double)', () => {
  for (const formulation of ['current', 'rate'] as const) {
    for (const activation of activations) {
      test(`${formulation} ${activation}, loss on outputs`, async () => {
        await checkGradients(fullRank({ formulation, activation, slope: 0.1 }), 'outputs');
      });
    }
    test(`${formulation} tanh, loss on rates`, async () => {
      await checkGradients(fullRank({ formulation }), 'rates');
    });
  }
  test('no autapses, Dale and a connectivity mask (constrained entries excluded)', async () => {
    const N = 16;
    const mask = new Uint8Array(N * N).map((_, i) => ((i * 7919) % 5 === 0 ? 0 : 1));
    const model = fullRank({ noAutapse: true, dale: { excitatory: 0.75 }, mask });
    // Entries pinned at zero by the constraints (or within a step of the Dale boundary) cannot be probed.
    const pinned = (m: AnyModel) => {
      const w = m.param('wrec').data;
      return (i: number) => i < N * N && Math.abs(w[i]) < 1e-4;
    };
    await checkGradients(model, 'outputs', pinned);
  });
});
