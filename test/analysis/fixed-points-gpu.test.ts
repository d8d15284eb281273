// The fixed-point search's first phase on the CUDA backend against the CPU's: same schedule, same iterations, same
// end states (to rounding), and the same points after polishing, for low-rank (current, rate, no-autapse) and
// full-rank nets. Runs on the emulated device always, on a real one when present (see test/model/gpu-parity).
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, analysis, type AnyModel } from '../../ts/index.js';
import { gpuTargets } from '../support/gpu.js';
import { randomTensor } from '../support/models.js';
import { bistable, maxAbsDiff, roots } from '../support/analysis.js';

const targets = gpuTargets('fixed points');

const nets: { name: string; make: () => { model: AnyModel; inputs: number[] } }[] = [
  { name: 'rank-1 bistable, current', make: () => ({ model: bistable(48, 1).model, inputs: [0.25] }) },
  { name: 'rank-1 bistable, rate formulation', make: () => ({ model: bistable(40, 2, { formulation: 'rate' }).model, inputs: [0.1] }) },
  {
    name: 'rank-2, no autapses, biases',
    make: () => {
      const model = new LowRankRNN({ size: 36, rank: 2, inputs: 1, outputs: 1, dtype: 'float64', seed: 4, biases: true, noAutapse: true, init: { n: randomTensor([36, 2], 9, 2).data } });
      return { model, inputs: [0.3] };
    },
  },
  {
    name: 'full-rank, current',
    make: () => ({ model: new FullRankRNN({ size: 30, inputs: 1, outputs: 1, dtype: 'float64', seed: 5, rho: 1.5 }), inputs: [0.2] }),
  },
  {
    name: 'full-rank, rate formulation, softplus',
    make: () => ({ model: new FullRankRNN({ size: 26, inputs: 1, outputs: 1, dtype: 'float64', seed: 6, rho: 1.3, formulation: 'rate', activation: 'softplus' }), inputs: [0.2] }),
  },
];

for (const { target, skip } of targets) {
  describe.skipIf(skip)(`fixed-point first phase on '${target}' matches the CPU's`, () => {
    for (const net of nets) {
      test(net.name, async () => {
        const { model, inputs } = net.make();
        const initialStates = randomTensor([12, model.size], 3, 1.5);
        for (const precision of ['float64', 'float32'] as const) {
          const opts = { initialStates, inputs, adam: { maxIterations: 300, precision }, polish: false as const, tolerance: { qAbsolute: 1e9 } };
          const cpu = await analysis.fixedPoints(model, { ...opts, device: 'cpu' });
          const dev = await analysis.fixedPoints(model, { ...opts, device: target });
          // the same candidates stop at the same iteration (float32: to within a few, the plateau test on rounded q)
          const iterations = maxAbsDiff(dev.candidates.adamIterations, cpu.candidates.adamIterations);
          expect(iterations).toBeLessThanOrEqual(precision === 'float64' ? 0 : 10);
          const scale = maxAbsDiff(cpu.candidates.final.data, new Float64Array(cpu.candidates.final.data.length));
          const tol = precision === 'float64' ? 1e-9 : 1e-3;
          expect(maxAbsDiff(dev.candidates.final.data, cpu.candidates.final.data) / scale).toBeLessThan(tol);
          expect(maxAbsDiff(dev.candidates.q, cpu.candidates.q) / Math.max(...cpu.candidates.q)).toBeLessThan(tol);
        }
        // and after polishing (double precision, on the CPU), the same points
        const full = { initialStates, inputs, adam: { maxIterations: 300 } };
        const a = await analysis.fixedPoints(model, { ...full, device: 'cpu' });
        const b = await analysis.fixedPoints(model, { ...full, device: target });
        expect(b.points.shape).toEqual(a.points.shape);
        expect(maxAbsDiff(b.points.data, a.points.data)).toBeLessThan(1e-8);
      });
    }

    test('the bistable net: the three roots of its self-consistency equation, found from the GPU phase', async () => {
      const net = bistable(60, 1);
      const u = 0.25;
      // initial states along m kappa + wi u, kappa in [-3, 3], plus noise
      const noise = randomTensor([24, 60], 8, 0.2).data;
      const initialStates = {
        data: noise.map((z, e) => net.m[e % 60] * (-3 + (6 * Math.floor(e / 60)) / 23) + net.wi[e % 60] * u + z),
        shape: [24, 60],
      };
      const fps = await analysis.fixedPoints(net.model, { initialStates, inputs: [u], device: target });
      const kappas = roots(net.selfConsistency(u), -6, 6);
      expect(fps.points.shape[0]).toBe(3);
      const found = Array.from({ length: 3 }, (_, p) => {
        const row = fps.points.data.slice(p * 60, (p + 1) * 60);
        let num = 0, den = 0;
        for (let i = 0; i < 60; i++) {
          num += net.m[i] * (row[i] - net.wi[i] * u);
          den += net.m[i] * net.m[i];
        }
        return num / den;
      }).sort((x, y) => x - y);
      found.forEach((k, i) => expect(Math.abs(k - kappas[i])).toBeLessThan(1e-9));
    });

    test('progress is reported and an abort stops the search', async () => {
      const { model, inputs } = nets[0].make();
      const initialStates = randomTensor([8, model.size], 5, 1.5);
      const seen: number[] = [];
      await analysis.fixedPoints(model, { initialStates, inputs, device: target, adam: { maxIterations: 200, tolQ: 0, minLr: 0 }, polish: false, onProgress: (p) => seen.push(p.done) });
      expect(seen.length).toBeGreaterThan(0);
      const controller = new AbortController();
      controller.abort();
      await expect(analysis.fixedPoints(model, { initialStates, inputs, device: target, signal: controller.signal })).rejects.toThrow(/abort/i);
    });
  });
}

describe('fixed-point device option', () => {
  test('an unknown device is refused, naming the choices', async () => {
    const { model, inputs } = nets[0].make();
    await expect(
      analysis.fixedPoints(model, { initialStates: randomTensor([2, model.size], 1), inputs, device: 'tpu' as 'cpu' }),
    ).rejects.toThrow("fixedPoints: option 'device' must be one of 'auto', 'cpu', 'cuda', 'cuda-emulated'; got 'tpu'");
  });
});
