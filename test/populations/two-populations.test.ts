// The check: a network built from a known two-population mixture (zero means, different covariances) is
// clustered back as well as sklearn clusters the same matrix (ARI against the truth within 0.02 of sklearn's); and
// the `lowrank populations` commands write the arrays their contract names (read back with numpy).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LowRankRNN, Random, saveModel } from '../../ts/index.js';
import { adjustedRandIndex, connectivitySpace, fitMixture, resample, stability, type MixtureParameters } from '../../ts/populations/index.js';
import { pythonWith, runPython } from '../support/python.js';

const sklearn = pythonWith(['numpy', 'sklearn']);
const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

/** Rank 1, 2 inputs, 1 output (D = 5): population 0 with m, n correlated and a strong first input, population 1 with
 * m, n anti-correlated and a strong second input. */
function knownMixture(): MixtureParameters {
  const D = 5;
  const cov = (diag: number[], pairs: [number, number, number][]) => {
    const c = new Float64Array(D * D);
    diag.forEach((v, i) => (c[i * D + i] = v));
    for (const [a, b, v] of pairs) c[a * D + b] = c[b * D + a] = v;
    return c;
  };
  const c0 = cov([1, 1, 4, 0.1, 1], [[0, 1, 0.8]]);
  const c1 = cov([1, 1, 0.1, 4, 1], [[0, 1, -0.8]]);
  const covariances = new Float64Array(2 * D * D);
  covariances.set(c0, 0);
  covariances.set(c1, D * D);
  return { weights: Float64Array.of(0.6, 0.4), means: { data: new Float64Array(2 * D), shape: [2, D] }, covariances: { data: covariances, shape: [2, D, D] } };
}

async function twoPopulationNet(size: number) {
  const template = new LowRankRNN({ size: 10, rank: 1, inputs: 2, outputs: 1, seed: 1, threads: 1 });
  const r = await resample(template, knownMixture(), { size, seed: 11 });
  template.dispose();
  return r;
}

describe.skipIf(!sklearn.available)(`a known two-population net is clustered back (${sklearn.reason})`, () => {
  test('ARI against the truth within 0.02 of sklearn GaussianMixture on the same matrix', async () => {
    const { model, labels } = await twoPopulationNet(1000);
    const { space } = await connectivitySpace(model);
    const fit = await fitMixture(space, { components: 2, restarts: 10, seed: 0, threads: 1 });
    const ours = adjustedRandIndex(labels, fit.labels);
    const py = `import json, sys, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import adjusted_rand_score
d = json.loads(sys.stdin.read()) if False else json.loads(sys.argv[1])
x = np.array(d['x']).reshape(-1, 5)
g = GaussianMixture(2, n_init=10, random_state=0).fit(x)
print(adjusted_rand_score(d['truth'], g.predict(x)))`;
    const theirs = Number(runPython(py, [JSON.stringify({ x: Array.from(space.data), truth: Array.from(labels) })]));
    expect(theirs).toBeGreaterThan(0.8); // the mixture is recoverable at all
    expect(ours).toBeGreaterThanOrEqual(theirs - 0.02);
    model.dispose();
  });
});

describe('bootstrap stability', () => {
  test('two populations are stable (ARI above 0.8), above their Gaussian null and far above an isotropic Gaussian; K = 1 is trivially stable', async () => {
    const { model } = await twoPopulationNet(400);
    const { space } = await connectivitySpace(model);
    const s = await stability(space, { components: 2, bootstraps: 4, seed: 1, mixture: { restarts: 2, threads: 1 } });
    expect(s.ari).toHaveLength(6); // 4 choose 2 pairs
    expect(s.meanAri).toBeGreaterThan(0.8);
    // the null has the space's covariance: a strongly anisotropic Gaussian also splits stably along its longest axis
    expect(s.nullMeanAri!).toBeLessThan(s.meanAri);
    // an isotropic Gaussian has no preferred split: the fits disagree
    const iso = new Random(9).fillNormal(new Float64Array(400 * 5));
    const i = await stability({ data: iso, shape: [400, 5] }, { components: 2, bootstraps: 4, seed: 1, null: 'none', mixture: { restarts: 2, threads: 1 } });
    expect(i.meanAri).toBeLessThan(s.meanAri - 0.3);
    const one = await stability(space, { components: 1, bootstraps: 3, null: 'none', mixture: { threads: 1 } });
    expect(Array.from(one.ari)).toEqual([1, 1, 1]);
    await expect(stability(space, { components: 401 })).rejects.toThrow(/components' must be an integer in \[1, 400\]; got 401/);
    model.dispose();
  });
});

describe.skipIf(!existsSync(cli) || !sklearn.available)('lowrank populations (dist/cli.js)', () => {
  test('cluster writes the contract arrays; resample, inactivate and gains run on them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowrank-populations-'));
    const { model } = await twoPopulationNet(300);
    const file = join(dir, 'net.npz');
    await saveModel(file, model);
    model.dispose();
    const out = join(dir, 'p.npz');
    const r = run('populations', 'cluster', '--model', file, '--components', '2', '--seed', '3', '--out', out, '--threads', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).components).toBe(2);
    const check = runPython(`import json, sys, numpy as np
f = np.load(sys.argv[1])
cols = json.loads(str(f['columns']))
assert f['labels'].dtype == np.int32 and f['labels'].shape == (300,), f['labels'].dtype
assert f['weights'].shape == (2,) and f['means'].shape == (2, 5) and f['covariances'].shape == (2, 5, 5)
assert f['space'].shape == (300, 5) and f['log_likelihood'].shape == () and f['bic'].shape == ()
print(json.dumps(cols))`, [out]);
    expect(JSON.parse(check)).toEqual(['m1', 'n1', 'wi1', 'wi2', 'wo1']);
    const range = run('populations', 'cluster', '--model', file, '--components', '1-3', '--out', join(dir, 'k.npz'), '--threads', '1', '--json');
    expect(range.status, range.stderr).toBe(0);
    expect(JSON.parse(range.stdout).components).toBe(2); // BIC picks the true K
    const bad = run('populations', 'cluster', '--model', file, '--components', '301', '--out', join(dir, 'x.npz'));
    expect(bad.stderr).toMatch(/--components must be at most the 300 neurons; got 301/);
    const g = run('populations', 'gains', '--model', file, '--task', 'dms', '--labels', out, '--trials', '2', '--out', join(dir, 'g.npz'), '--json');
    expect(g.status, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).populationGains).toHaveLength(2);
    const inact = run('populations', 'inactivate', '--model', file, '--task', 'dms', '--labels', out, '--trials', '20', '--fraction', '0.5', '--draws', '2', '--out', join(dir, 'i.npz'), '--json');
    expect(inact.status, inact.stderr).toBe(0);
    expect(JSON.parse(inact.stdout).groups).toEqual(['population 0', 'population 1', 'random']);
    const res = run('populations', 'resample', '--model', file, '--labels', out, '--task', 'dms', '--draws', '2', '--trials', '20', '--out', join(dir, 'r.npz'), '--json');
    expect(res.status, res.stderr).toBe(0);
  });
});
