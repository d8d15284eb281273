// Property-based tests (fast-check) of the argument checks in front of the native binding: arbitrary JavaScript values
// (and near-miss numbers: NaN, infinities, negatives, fractions, values past 2^31) passed through the public entries
// that call the addon (linear algebra, model construction and simulation, analysis, mixtures, estimation) end in a
// TypeError or RangeError whose message says what was wrong, or in a result; never in a crash, an abort or an internal
// error. (Thread counts are left out: capping them is another part of issue 19.)
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LowRankRNN, analysis, partialObservation, populations, schur, svd } from '../../ts/index.js';
import { clearErrorOf } from './corpus.js';

const params = (seed: number, numRuns = 120) => ({ seed, numRuns });

/** Numbers that break naive checks, and small good ones. */
const number = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, 0.5, 1, 2, 3, -0, 2 ** 31, 2 ** 32 + 1, 3e9, 1e12, Number.MAX_SAFE_INTEGER + 2, 1e308),
  fc.integer({ min: -3, max: 6 }),
  fc.double(),
);
/** Anything at all, numbers like the above included. */
const value = fc.oneof(number, fc.anything({ maxDepth: 2 }), fc.constantFrom(null, undefined, 'x', '3', [], {}, true, Symbol('s'), () => 1, 10n));
/** A typed array or a look-alike, of up to 12 elements. */
const data = fc.oneof(
  fc.array(fc.double(), { maxLength: 12 }).map((v) => Float64Array.from(v)),
  fc.array(fc.float(), { maxLength: 12 }).map((v) => Float32Array.from(v)),
  fc.array(fc.integer(), { maxLength: 12 }).map((v) => Int32Array.from(v)),
  fc.array(fc.double(), { maxLength: 12 }),
  value,
);
/** A shape, sensible or not. */
const shape = fc.oneof(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), fc.array(number, { maxLength: 3 }), value);
/** A tensor-like value: { data, shape } with arbitrary parts, or anything. */
const tensorish = fc.oneof(fc.record({ data, shape }), value);

/**
 * Runs the call; passes when it returns, or throws a TypeError or RangeError (a bad argument) or an Error that names
 * the entry (a numerical failure of good arguments, e.g. "schur: the complex Schur iteration did not converge"), with
 * a clear message.
 */
async function checked(call: () => unknown): Promise<void> {
  const err = await clearErrorOf(call, ['TypeError', 'RangeError', 'Error']);
  if (err?.name === 'Error') expect(err.message).toMatch(/^\w+: /);
}

describe('arguments of the native entries', () => {
  test('svd(a, rows, cols, k)', async () => {
    await fc.assert(fc.asyncProperty(data, number, number, fc.oneof(number, value), async (a, r, c, k) => checked(() => svd(a as Float64Array, r, c, k as number))), params(1));
  });

  test('schur(a, n, form)', async () => {
    await fc.assert(fc.asyncProperty(data, number, fc.oneof(fc.constantFrom('real', 'complex'), value), async (a, n, form) => checked(() => schur(a as Float64Array, n, form as 'real'))), params(2));
  });

  test('new LowRankRNN(options) with arbitrary option values', async () => {
    const options = fc.record(
      {
        size: fc.oneof(fc.integer({ min: 1, max: 12 }), number, value),
        rank: fc.oneof(fc.integer({ min: 1, max: 3 }), number, value),
        inputs: fc.oneof(fc.integer({ min: 1, max: 3 }), number, value),
        outputs: fc.oneof(fc.integer({ min: 1, max: 3 }), number, value),
        alpha: fc.oneof(number, value),
        noise: fc.oneof(number, value),
        seed: fc.oneof(number, value),
        dtype: fc.oneof(fc.constantFrom('float32', 'float64'), value),
        activation: fc.oneof(fc.constantFrom('tanh', 'relu', 'softplus'), value),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(options, value), async (o) =>
        checked(() => new LowRankRNN({ device: 'cpu', ...(o as object) } as never).dispose()),
      ),
      params(3, 200),
    );
  });

  const model = new LowRankRNN({ size: 6, rank: 2, inputs: 2, outputs: 1, seed: 1, device: 'cpu', dtype: 'float64' });

  test('model.simulate(inputs, options)', async () => {
    const options = fc.oneof(fc.record({ noise: fc.oneof(fc.boolean(), value), seed: fc.oneof(number, value) }, { requiredKeys: [] }), value);
    await fc.assert(fc.asyncProperty(tensorish, options, async (x, o) => checked(() => model.simulate(x as never, o as never))), params(4, 200));
  });

  test('model.loss(batch)', async () => {
    const batch = fc.oneof(fc.record({ inputs: tensorish, targets: tensorish, mask: fc.oneof(tensorish, fc.constant(undefined)) }), value);
    await fc.assert(fc.asyncProperty(batch, async (b) => checked(() => model.loss(b as never))), params(5));
  });

  test('analysis.eigen, jacobian and pca', async () => {
    await fc.assert(
      fc.asyncProperty(tensorish, fc.oneof(data, tensorish), fc.oneof(fc.record({ components: fc.oneof(number, value) }, { requiredKeys: [] }), value), async (m, state, o) => {
        await checked(() => analysis.eigen(m as never));
        await checked(() => analysis.jacobian(model, state as never));
        await checked(() => analysis.pca(m as never, o as never));
      }),
      params(6),
    );
  });

  test('populations.fitMixture(x, options)', async () => {
    const options = fc.oneof(
      fc.record({ components: fc.oneof(fc.integer({ min: 1, max: 3 }), number, value), restarts: fc.oneof(fc.integer({ min: 1, max: 2 }), number, value), seed: fc.oneof(number, value) }, { requiredKeys: [] }),
      value,
    );
    await fc.assert(fc.asyncProperty(tensorish, options, async (x, o) => checked(() => populations.fitMixture(x as never, o as never))), params(7));
  });

  test('partialObservation.estimate(states, options)', async () => {
    const options = fc.oneof(fc.record({ alpha: fc.oneof(number, value), ridge: fc.oneof(number, value) }, { requiredKeys: [] }), value);
    await fc.assert(fc.asyncProperty(tensorish, options, async (x, o) => checked(() => partialObservation.estimate(x as never, o as never))), params(8));
  });
});
