// A trained 3-bit flip-flop (test/fixtures/flipflop3.npz, made by test/fixtures/make-flipflop.mjs): 8 stable points,
// one per corner of the output cube, and index-1 saddles between adjacent corners (Sussillo & Barak 2013, Fig. 2).
import { describe, expect, test } from 'vitest';
import { analysis, loadModel, tasks } from '../../ts/index.js';

const FIXTURE = new URL('../fixtures/flipflop3.npz', import.meta.url).pathname;

describe('3-bit flip-flop', async () => {
  const model = await loadModel(FIXTURE, { dtype: 'float64' });
  const N = model.size;
  const task = tasks.flipflop({ duration: 1000, flipInterval: 200 });
  const sim = await model.simulate(task.sample(32, { seed: 1 }).inputs, { drawNoise: false });
  const fps = await analysis.fixedPoints(model, { from: sim.states!, count: 512, perturbation: 0.3, seed: 2 });
  const P = fps.points.shape[0];
  const p = model.params();
  /** The signs of the three outputs read out at a point (full-rank readout: wo^T tanh(x + b), no 1/N). */
  const corner = (q: number) =>
    [0, 1, 2]
      .map((o) => {
        let z = 0;
        for (let i = 0; i < N; i++) z += Math.tanh(fps.points.data[q * N + i] + p.b.data[i]) * p.wo.data[i * 3 + o] * p.so.data[o];
        return z > 0 ? '+' : '-';
      })
      .join('');
  const stable = [...Array(P).keys()].filter((q) => fps.stability.type[q] === 'stable');

  test('eight stable points, one per corner of the output cube', () => {
    expect(stable).toHaveLength(8);
    expect(new Set(stable.map(corner)).size).toBe(8);
    for (const q of stable) expect(fps.q[q]).toBeLessThan(1e-20);
  });

  test('index-1 saddles send restarts to two adjacent corners', async () => {
    const saddles = [...Array(P).keys()].filter((q) => fps.stability.unstable[q] === 1 && fps.q[q] < 1e-20);
    expect(saddles.length).toBeGreaterThanOrEqual(10);
    const topo = await analysis.topology(model, fps, { restarts: 64, seed: 3 });
    for (const s of saddles) {
      const row = Array.from(topo.counts.slice(s * (P + 1), (s + 1) * (P + 1) - 1));
      const [a, b] = [...row.keys()].sort((x, y) => row[y] - row[x]);
      expect(row[a] + row[b]).toBeGreaterThanOrEqual(48);
      expect([fps.stability.type[a], fps.stability.type[b]]).toEqual(['stable', 'stable']);
      const [ca, cb] = [corner(a), corner(b)];
      expect([...ca].filter((c, i) => c !== cb[i])).toHaveLength(1);
    }
  });
});
