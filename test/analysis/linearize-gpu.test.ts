// The reduced (R x R) eigenproblems of low-rank nets on the CUDA backend: the same eigenvalues, eigenvectors (phase
// included) and condition numbers as the CPU's Eigen-based solve, residuals against the dense Jacobian, and matrices
// chosen to exercise the solver (complex pairs, repeated and defective eigenvalues, larger R). Runs on the emulated
// device always, on a real one when present (see test/model/gpu-parity).
import { describe, expect, test } from 'vitest';
import { analysis, LowRankRNN, Random, type Tensor } from '../../ts/index.js';
import type { Eigendecomposition } from '../../ts/analysis/index.js';
import { gpuTargets, reversedThreadOrder } from '../support/gpu.js';
import { randomTensor } from '../support/models.js';
import { bistable, maxAbsDiff } from '../support/analysis.js';

const targets = gpuTargets('reduced eigenproblems');

function largest(a: ArrayLike<number>): number {
  let top = 0;
  for (let i = 0; i < a.length; i++) top = Math.max(top, Math.abs(a[i]));
  return top;
}


/** max |a - b| over everything two lists of decompositions hold, relative to the largest |b| of each part. */
function expectSame(dev: Eigendecomposition[], cpu: Eigendecomposition[], tol: number) {
  expect(dev.length).toBe(cpu.length);
  const rel = (a: Float64Array, b: Float64Array) => maxAbsDiff(a, b) / Math.max(1e-300, largest(b));
  for (let i = 0; i < cpu.length; i++) {
    const a = dev[i], b = cpu[i];
    expect(a.trivial).toEqual(b.trivial);
    const scale = Math.max(1, largest(b.re), largest(b.im));
    expect(maxAbsDiff(a.re, b.re) / scale).toBeLessThan(tol);
    expect(maxAbsDiff(a.im, b.im) / scale).toBeLessThan(tol);
    for (const side of ['right', 'left'] as const) {
      expect(a[side] === undefined).toBe(b[side] === undefined);
      if (!b[side]) continue;
      expect(a[side]!.re.shape).toEqual(b[side]!.re.shape);
      expect(rel(a[side]!.re.data, b[side]!.re.data)).toBeLessThan(tol);
      expect(rel(a[side]!.im.data, b[side]!.im.data)).toBeLessThan(tol);
    }
    if (b.rcond === undefined || Number.isNaN(b.rcond)) expect(a.rcond === undefined || Number.isNaN(a.rcond)).toBe(true);
    else expect(Math.abs(a.rcond! - b.rcond) / b.rcond).toBeLessThan(tol);
  }
}

/** A linear net of size N >= R whose reduced matrix V^T U is exactly `core` (R x R, row-major). */
function withCore(core: number[], R: number, N = R + 3): LowRankRNN {
  const m = randomTensor([N, R], 31, 1).data as Float64Array;
  const n = new Float64Array(N * R);
  for (let a = 0; a < R; a++) {
    n[a * R + a] = N;  // n = N [I; 0], so n^T m / N = the first R rows of m
    for (let b = 0; b < R; b++) m[a * R + b] = core[a * R + b];
  }
  return new LowRankRNN({ size: N, rank: R, inputs: 1, outputs: 1, dtype: 'float64', activation: 'linear', init: { m, n } });
}

/** |J v - lambda v| and |w^T J - lambda w^T| (relative) and |w^T v - 1| for every pair, with J the dense Jacobian. */
async function residuals(model: LowRankRNN, state: Tensor, e: Eigendecomposition): Promise<number> {
  const J = await analysis.jacobian(model, state, { inputs: [0.3] });
  const N = model.size, count = e.re.length;
  let worst = 0;
  for (let k = 0; k < count; k++) {
    const lr = e.re[k], li = e.im[k];
    const vr = e.right!.re.data.subarray(k * N, (k + 1) * N), vi = e.right!.im.data.subarray(k * N, (k + 1) * N);
    const wr = e.left!.re.data.subarray(k * N, (k + 1) * N), wi = e.left!.im.data.subarray(k * N, (k + 1) * N);
    let wNorm = 0, dotR = 0, dotI = 0;
    for (let i = 0; i < N; i++) {
      wNorm = Math.max(wNorm, Math.hypot(wr[i], wi[i]));
      dotR += wr[i] * vr[i] - wi[i] * vi[i];
      dotI += wr[i] * vi[i] + wi[i] * vr[i];
    }
    worst = Math.max(worst, Math.hypot(dotR - 1, dotI));
    for (let i = 0; i < N; i++) {
      let jr = 0, ji = 0, tr = 0, ti = 0;
      for (let j = 0; j < N; j++) {
        jr += J.data[i * N + j] * vr[j];
        ji += J.data[i * N + j] * vi[j];
        tr += wr[j] * J.data[j * N + i];
        ti += wi[j] * J.data[j * N + i];
      }
      worst = Math.max(worst, Math.hypot(jr - (lr * vr[i] - li * vi[i]), ji - (lr * vi[i] + li * vr[i])));
      worst = Math.max(worst, Math.hypot(tr - (lr * wr[i] - li * wi[i]), ti - (lr * wi[i] + li * wr[i])) / wNorm);
    }
  }
  return worst;
}

for (const { target, skip } of targets) {
  describe.skipIf(skip)(`reduced eigenproblems on '${target}'`, () => {
    const configs = [
      { rank: 1, formulation: 'current' as const, activation: 'tanh' as const },
      { rank: 2, formulation: 'current' as const, activation: 'softplus' as const },
      { rank: 3, formulation: 'rate' as const, activation: 'tanh' as const },
      { rank: 4, formulation: 'rate' as const, activation: 'relu' as const },
      { rank: 5, formulation: 'current' as const, activation: 'leaky-relu' as const },
    ];
    for (const c of configs) {
      test(`rank ${c.rank}, ${c.formulation}, ${c.activation}: the CPU's values, vectors and rcond`, async () => {
        const N = 70;
        const model = new LowRankRNN({
          size: N, rank: c.rank, inputs: 1, outputs: 1, dtype: 'float64', seed: 10 + c.rank, formulation: c.formulation,
          activation: c.activation, biases: true, init: { n: randomTensor([N, c.rank], 20 + c.rank, 2.5).data, b: randomTensor([N], 5, 0.3).data },
        });
        const states = randomTensor([6, N], 40 + c.rank, 1.2);
        for (const vectors of ['none', 'right', 'both'] as const) {
          const opts = { inputs: [0.3], vectors };
          const cpu = (await analysis.linearize(model, states, { ...opts, device: 'cpu' }));
          const dev = (await analysis.linearize(model, states, { ...opts, device: target }));
          expectSame(dev, cpu, 1e-9);
          if (vectors === 'both') {
            const state = { data: states.data.slice(0, N), shape: [N] };
            expect(await residuals(model, state, dev[0])).toBeLessThan(1e-10);
          }
        }
      });
    }

    test('complex pairs: exact conjugates, the phase fixed (largest component real and positive)', async () => {
      // two rotations with growth: eigenvalues 0.5 +- 2i and -0.2 +- 0.7i (before the shift by -1)
      const core = [0.5, -2, 0.3, 0.1, 2, 0.5, -0.4, 0.2, 0, 0, -0.2, -0.7, 0, 0, 0.7, -0.2];
      const model = withCore(core, 4, 9);
      const state = randomTensor([9], 3, 1);
      const cpu = (await analysis.linearize(model, state, { inputs: [0.3], vectors: 'both', device: 'cpu' }));
      const dev = (await analysis.linearize(model, state, { inputs: [0.3], vectors: 'both', device: target }));
      expectSame(dev, cpu, 1e-12);
      const e = dev[0];
      expect(maxAbsDiff(e.re, [-0.5, -0.5, -1.2, -1.2])).toBeLessThan(1e-14);
      expect(maxAbsDiff(e.im, [2, -2, 0.7, -0.7])).toBeLessThan(1e-14);
      const N = 9;
      for (const k of [0, 2]) {  // the partner's vectors are the exact conjugates
        for (let i = 0; i < N; i++) {
          expect(e.right!.re.data[(k + 1) * N + i]).toBe(e.right!.re.data[k * N + i]);
          expect(e.right!.im.data[(k + 1) * N + i] === -e.right!.im.data[k * N + i]).toBe(true);
        }
      }
      for (let k = 0; k < 4; k++) {
        const mods = Array.from({ length: N }, (_, i) => Math.hypot(e.right!.re.data[k * N + i], e.right!.im.data[k * N + i]));
        const top = mods.findIndex((v) => v >= (1 - 1e-6) * Math.max(...mods));
        expect(e.right!.im.data[k * N + top]).toBe(0);
        expect(e.right!.re.data[k * N + top]).toBeGreaterThan(0);
      }
      expect(await residuals(model, state, e)).toBeLessThan(1e-12);
    });

    test('repeated and defective eigenvalues; a zero core; R = 12', async () => {
      const state = randomTensor([15], 4, 1);
      const opts = { inputs: [0.3], vectors: 'both' as const };
      // diag(0.5, 0.5, -0.3): an eigenspace of dimension 2, the unit vectors of the Schur form
      const repeated = withCore([0.5, 0, 0, 0, 0.5, 0, 0, 0, -0.3], 3, 15);
      const r = (await analysis.linearize(repeated, state, { ...opts, device: target }))[0];
      expect(maxAbsDiff(r.re, [-0.5, -0.5, -1.3])).toBeLessThan(1e-15);
      expect(r.rcond!).toBeGreaterThan(0.3);  // independent vectors
      expect(await residuals(repeated, state, r)).toBeLessThan(1e-12);
      // a Jordan block: one eigenvector twice, the eigenvector matrix singular
      const jordan = withCore([1, 1, 0, 1], 2, 15);
      const j = (await analysis.linearize(jordan, state, { ...opts, device: target }))[0];
      expect(maxAbsDiff(j.re, [0, 0])).toBeLessThan(1e-7);
      expect(j.rcond!).toBeLessThan(1e-7);
      const cpuJordan = (await analysis.linearize(jordan, state, { ...opts, device: 'cpu' }))[0];
      expect(cpuJordan.rcond!).toBeLessThan(1e-7);
      // m = 0: every eigenvalue is -1 and U c = 0
      const zero = withCore([0, 0, 0, 0], 2, 4);
      const zs = randomTensor([4], 6, 1);
      expectSame((await analysis.linearize(zero, zs, { ...opts, device: target })), (await analysis.linearize(zero, zs, { ...opts, device: 'cpu' })), 1e-12);
      // a larger rank: random nonsymmetric 12 x 12
      const big = withCore(Array.from(randomTensor([144], 8, 1).data), 12, 20);
      const bs = randomTensor([2, 20], 9, 1);
      const a = (await analysis.linearize(big, bs, { ...opts, device: target }));
      expectSame(a, (await analysis.linearize(big, bs, { ...opts, device: 'cpu' })), 1e-9);
      expect(await residuals(big, { data: bs.data.slice(0, 20), shape: [20] }, a[0])).toBeLessThan(1e-10);
    });

    test('random, triangular, permutation, skew-symmetric, tiny, huge and integer matrices, R = 1-16: the same eigenvalues in the same order', async () => {
      // permutation matrices stall Francis QR without exceptional shifts; skew-symmetric ones have real parts equal to
      // rounding (ordered by imaginary part); integer ones have repeated eigenvalues
      const rng = new Random(77);
      const kinds = ['random', 'triangular', 'permutation', 'skew', 'tiny', 'huge', 'integer'] as const;
      let worst = 0;
      for (let trial = 0; trial < 112; trial++) {
        const R = 1 + (trial % 16), kind = kinds[trial % 7];
        const g = Array.from({ length: R * R }, () => rng.normal());
        const perm = rng.sampleIndices(R, R);
        const core = g.map((v, e) => {
          const i = Math.floor(e / R), j = e % R;
          if (kind === 'triangular') return i <= j ? v : 0;
          if (kind === 'permutation') return perm[i] === j ? 1 : 0;
          if (kind === 'skew') return i === j ? 0 : i < j ? v : -g[j * R + i];
          if (kind === 'tiny') return v * 1e-9;
          if (kind === 'huge') return v * 1e9;
          if (kind === 'integer') return Math.round(2 * v);
          return v;
        });
        const model = withCore(core, R);
        const x = new Float64Array(R + 3).fill(0.2);
        const distinct = kind !== 'permutation' && kind !== 'integer';
        const vectors = distinct ? 'right' as const : 'none' as const;
        const [cpu] = (await analysis.linearize(model, x, { device: 'cpu', vectors }));
        const [dev] = (await analysis.linearize(model, x, { device: target, vectors }));
        const scale = Math.max(1, largest(cpu.re), largest(cpu.im));
        for (let k = 0; k < R; k++) worst = Math.max(worst, Math.hypot(dev.re[k] - cpu.re[k], dev.im[k] - cpu.im[k]) / scale);
        if (distinct) expectSame([dev], [cpu], 1e-8);
      }
      expect(worst).toBeLessThan(1e-12);
    });

    test('more points than one launch holds (about 256 MiB a launch)', async () => {
      // N = 40 000, rank 1, right vectors: about 1.6 MB a point, so 170 points take two launches
      const N = 40000;
      const model = new LowRankRNN({ size: N, rank: 1, inputs: 1, outputs: 1, dtype: 'float64', seed: 2, init: { n: randomTensor([N, 1], 3, 3).data } });
      const states = randomTensor([170, N], 11, 0.5);
      const opts = { inputs: [0.1], vectors: 'right' as const };
      const cpu = (await analysis.linearize(model, states, { ...opts, device: 'cpu' }));
      const dev = (await analysis.linearize(model, states, { ...opts, device: target }));
      expectSame(dev, cpu, 1e-9);
    });

    test('fixed points: the eigenpairs of every point as on the CPU', async () => {
      const { model } = bistable(48, 1);
      const opts = { initialStates: randomTensor([16, 48], 23, 2), inputs: [0.25], eigen: { vectors: true } };
      const cpu = await analysis.fixedPoints(model, { ...opts, device: 'cpu' });
      const dev = await analysis.fixedPoints(model, { ...opts, device: target });
      expect(dev.points.shape).toEqual(cpu.points.shape);
      expect(cpu.points.shape[0]).toBeGreaterThan(1);
      // the points agree to about 1e-9 (the first phase runs in float32 on both), so their eigenpairs to about that
      const rel = (a: Tensor, b: Tensor) => maxAbsDiff(a.data, b.data) / largest(b.data);
      expect(rel(dev.eigenvalues.re, cpu.eigenvalues.re)).toBeLessThan(1e-7);
      expect(maxAbsDiff(dev.eigenvalues.im.data, cpu.eigenvalues.im.data)).toBeLessThan(1e-7);
      for (const side of ['right', 'left'] as const) {
        expect(rel(dev.eigenvectors![side].re, cpu.eigenvectors![side].re)).toBeLessThan(1e-7);
        expect(maxAbsDiff(dev.eigenvectors![side].im.data, cpu.eigenvectors![side].im.data)).toBeLessThan(1e-7);
      }
    });

    test.skipIf(target !== 'cuda-emulated')('no thread reads what another wrote without a barrier between', async () => {
      for (const formulation of ['current', 'rate'] as const) {
        const model = new LowRankRNN({ size: 90, rank: 3, inputs: 1, outputs: 1, dtype: 'float64', seed: 7, formulation, init: { n: randomTensor([90, 3], 8, 2.5).data } });
        const states = randomTensor([3, 90], 9, 1);
        const run = async () => (await analysis.linearize(model, states, { inputs: [0.2], vectors: 'both', device: target }));
        const forward = await run();
        const reversed = await reversedThreadOrder(run);
        for (let p = 0; p < forward.length; p++) {
          expect(reversed[p].re).toEqual(forward[p].re);
          expect(reversed[p].right!.re.data).toEqual(forward[p].right!.re.data);
          expect(reversed[p].left!.im.data).toEqual(forward[p].left!.im.data);
        }
      }
    });

    test('a reduced matrix that overflows is refused, as on the CPU', async () => {
      const N = 6;  // finite m and n whose core n^T m / N overflows
      const model = new LowRankRNN({
        size: N, rank: 2, inputs: 1, outputs: 1, dtype: 'float64', activation: 'linear',
        init: { m: new Float64Array(2 * N).fill(3), n: new Float64Array(2 * N).fill(1e307 * N) },
      });
      const state = new Float64Array(N).fill(0.1);
      const message = /the reduced matrix V\^T U.*contains NaN or Inf/;
      await expect(analysis.linearize(model, state, { device: 'cpu' })).rejects.toThrow(message);
      await expect(analysis.linearize(model, state, { device: target })).rejects.toThrow(message);
    });
  });
}

test('an unknown device is a RangeError naming the choices', async () => {
  const model = withCore([0.5], 1, 3);
  const run = analysis.linearize(model, [0, 0, 0], { device: 'gpu' as never });
  await expect(run).rejects.toThrow(RangeError);
  await expect(run).rejects.toThrow("linearize: option 'device' must be one of 'auto', 'cpu', 'cuda', 'cuda-emulated'; got 'gpu'");
});
