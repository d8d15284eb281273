// The full-rank default search against the points scipy finds: a full-rank net (a rank-2 bistable structure plus a
// random part) whose fixed points are found independently by scipy.optimize.root (MINPACK's hybrid method, with the
// analytic Jacobian) from a dense grid of starts in the plane of the structure and from every initial state; the
// default search must find every fixed point that the full search (Adam + Levenberg-Marquardt) finds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FullRankRNN, Random, analysis, type Tensor } from '../../ts/index.js';
import { benchStates } from '../../ts/bench/fixed-points.js';
import { runPython } from '../support/io.js';
import { pythonWith } from '../support/python.js';

const scipy = pythonWith(['numpy', 'scipy']);
const N = 60;

/**
 * W = (m1 n1^T + m2 n2^T) / N + g G / sqrt(N), n_r = 2 m_r + 0.3 noise (the benchmark's net, smaller); the initial
 * states are sampled from trajectories as the benchmark's (benchStates).
 */
function net(seed: number, g: number) {
  const rng = new Random(seed);
  const m = rng.fillNormal(new Float64Array(N * 2));
  const n = m.map((v) => 2 * v + 0.3 * rng.normal());
  const wrec = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) wrec[i * N + j] = (m[2 * i] * n[2 * j] + m[2 * i + 1] * n[2 * j + 1]) / N + (g * rng.normal()) / Math.sqrt(N);
  const model = new FullRankRNN({ size: N, inputs: 1, dtype: 'float64', init: { wrec, wi: rng.fillNormal(new Float64Array(N)) } });
  return { model, m, wrec };
}

// x' = -x + W tanh(x): the roots from a 25 x 25 grid of m kappa, kappa in [-4, 4]^2, and from the initial states
const SCIPY_ROOTS = `
import json, sys
import numpy as np
from scipy.optimize import root
a = json.load(open(sys.argv[1]))
N = a['N']; W = np.array(a['wrec']).reshape(N, N); m = np.array(a['m']).reshape(N, 2); X0 = np.array(a['starts']).reshape(-1, N)
F = lambda x: -x + W @ np.tanh(x)
J = lambda x: -np.eye(N) + W * (1 - np.tanh(x) ** 2)[None, :]
grid = np.linspace(-4, 4, 25)
found = []
for x0 in [m @ np.array([k1, k2]) for k1 in grid for k2 in grid] + list(X0):
    r = root(F, x0, jac=J, method='hybr', options={'xtol': 1e-14})
    if np.linalg.norm(F(r.x)) < 1e-10 and all(np.linalg.norm(r.x - y) > 1e-6 for y in found):
        found.append(r.x)
print(json.dumps([x.tolist() for x in found]))
`;

/** For every row of `a` with q below `qMax`, the distance to the nearest row of `b`. */
function nearest(a: Tensor, q: ArrayLike<number>, b: number[][], qMax: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < a.shape[0]; p++) {
    if (!(q[p] < qMax)) continue;
    const x = a.data.subarray(p * N, (p + 1) * N);
    out.push(Math.min(Infinity, ...b.map((y) => Math.sqrt(y.reduce((s, v, i) => s + (v - x[i]) ** 2, 0)))));
  }
  return out;
}

const rows = (t: Tensor) => [...Array(t.shape[0]).keys()].map((p) => Array.from(t.data.subarray(p * N, (p + 1) * N)));

describe('full-rank nets: the default search finds every fixed point the full search finds', () => {
  test.skipIf(!scipy.available)(`every point is a root scipy finds, and none of the full search's is lost (${scipy.reason})`, async () => {
    const { model, m, wrec } = net(11, 0.5);
    const { initialStates } = await benchStates(model, m, 120);
    const full = await analysis.fixedPoints(model, { initialStates, search: 'full' });
    const auto = await analysis.fixedPoints(model, { initialStates });
    expect(full.search).toBe('full');
    const dir = mkdtempSync(join(tmpdir(), 'fp-fullrank-'));
    const path = join(dir, 'net.json');
    writeFileSync(path, JSON.stringify({ N, wrec: Array.from(wrec), m: Array.from(m), starts: Array.from(initialStates.data) }));
    const roots: number[][] = JSON.parse(runPython(SCIPY_ROOTS, [path]));
    rmSync(dir, { recursive: true, force: true });
    // the net has several fixed points (stable ones and saddles), and the full search finds more than one
    expect(roots.length).toBeGreaterThanOrEqual(3);
    const fixed = (fps: typeof full) => fps.q.filter((q) => q < 1e-20).length;
    expect(fixed(full)).toBeGreaterThanOrEqual(2);
    // every fixed point of either search is one of scipy's roots
    for (const d of nearest(full.points, full.q, roots, 1e-20)) expect(d).toBeLessThan(1e-8);
    for (const d of nearest(auto.points, auto.q, roots, 1e-20)) expect(d).toBeLessThan(1e-8);
    // and the default search loses none of the full search's fixed points
    for (const d of nearest(full.points, full.q, rows(auto.points), 1e-20)) expect(d).toBeLessThan(1e-8);
    expect(fixed(auto)).toBeGreaterThanOrEqual(fixed(full));
    model.dispose();
  }, 120_000);
});

describe('the Newton search with an Adam prefix', () => {
  test('adam.maxIterations Adam steps first, then Newton: the same fixed points, q at the rounding level', async () => {
    const { model, m } = net(13, 0.3);
    const { initialStates } = await benchStates(model, m, 24);
    const plain = await analysis.fixedPoints(model, { initialStates, search: 'newton' });
    const prefixed = await analysis.fixedPoints(model, { initialStates, search: 'newton', adam: { maxIterations: 40 } });
    expect(prefixed.search).toBe('newton');
    expect(Math.max(...plain.candidates.adamIterations)).toBe(0);
    expect(Math.max(...prefixed.candidates.adamIterations)).toBeLessThanOrEqual(40);
    expect(Math.min(...prefixed.candidates.adamIterations)).toBeGreaterThan(0);
    const v = await analysis.velocity(model, prefixed.points);
    for (const q of v.q) expect(q).toBeLessThan(1e-20);
    for (const d of nearest(plain.points, plain.q, rows(prefixed.points), 1e-20)) expect(d).toBeLessThan(1e-8);
    model.dispose();
  }, 60_000);
});
