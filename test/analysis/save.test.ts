// Analysis results round-trip through .npz: our reader and numpy (when available) see the same arrays.
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LowRankRNN, loadNpz } from '../../ts/index.js';
import { analysisArrays, compareMeanField, embedLatent, fixedPoints, latentFixedPoints, saveAnalysis, saveTopology, topology } from '../../ts/analysis/index.js';
import { loadResult } from '../../ts/results/format.js';
import { makeTempDir, numpy, runPython } from '../support/io.js';

const dir = await makeTempDir();
afterAll(() => dir.remove());

const model = new LowRankRNN({ size: 40, rank: 1, dtype: 'float64', seed: 4 });
model.setParams({ n: model.param('m').data.map((x) => 2 * x) });

describe('saveAnalysis', () => {
  test('fixed points and a mean-field comparison: nested fields become dotted array names', async () => {
    const fps = await latentFixedPoints(model);
    const cmp = await compareMeanField(model, { resolution: 5 });
    const path = join(dir.dir, 'analysis.npz');
    await saveAnalysis(path, { fixedPoints: fps, meanField: cmp, note: 'rank-1 test' });
    const back = await loadNpz(path);
    expect(back['fixedPoints.points'].shape).toEqual(fps.points.shape);
    expect(Array.from(back['fixedPoints.points'].data as Float64Array)).toEqual(Array.from(fps.points.data));
    expect(back['fixedPoints.eigenvalues.re'].dtype).toBe('float64');
    expect(back['fixedPoints.unstableModes'].dtype).toBe('int32');
    expect(back['fixedPoints.stability'].data).toEqual(fps.stability);
    expect(back['meanField.statistics.populations.0.covariance'].shape).toEqual([9]);
    expect(back['meanField.maxError'].shape).toEqual([]);
    expect((back['meanField.maxError'].data as Float64Array)[0]).toBe(cmp.maxError);
    expect(back.note.data).toEqual(['rank-1 test']);
    expect(back['meanField.statistics.bias'].dtype).toBe('bool');
  });

  test('numpy reads the same file', async (ctx) => {
    if (!numpy.available) return ctx.skip(`numpy reference skipped: ${numpy.reason}`);
    const path = join(dir.dir, 'for-numpy.npz');
    const fps = await latentFixedPoints(model);
    await saveAnalysis(path, { fixedPoints: fps, meanField: await compareMeanField(model, { resolution: 5 }) });
    const seen = JSON.parse(runPython(
      "import numpy as np, json, sys; f = np.load(sys.argv[1]); print(json.dumps({'points': f['fixedPoints.points'].tolist(), 'stability': f['fixedPoints.stability'].tolist(), 'speed': f['meanField.finite.speed'].shape}))",
      [path],
    ));
    expect(seen.points).toEqual(Array.from({ length: fps.points.shape[0] }, (_, i) => [fps.points.data[i]]));
    expect(seen.stability).toEqual(fps.stability);
    expect(seen.speed).toEqual([5]);
  });

  test('metadata goes in the one `meta` entry, with the kind', async () => {
    const path = join(dir.dir, 'with-meta.npz');
    await saveAnalysis(path, { fixedPoints: await latentFixedPoints(model) }, { meta: { note: 'rank-1 test', seed: 4 } });
    const file = await loadResult(path, 'analysis');
    expect(file.meta).toMatchObject({ kind: 'analysis', note: 'rank-1 test', seed: 4 });
    expect(file.arrays.meta).toBeUndefined();
  });

  test('saveTopology: arrays by name, settings in meta (no info entry)', async () => {
    const x = embedLatent(model, (await latentFixedPoints(model)).points);
    const fps = await fixedPoints(model, { initialStates: x, adam: { maxIterations: 0 }, tolerance: { qAbsolute: 1e-20 } });
    const t = await topology(model, fps, { restarts: 4, perturbation: 0.01, seed: 2 });
    const path = join(dir.dir, 'topology.npz');
    await saveTopology(path, t);
    const file = await loadResult(path, 'topology');
    expect(file.meta).toMatchObject({ kind: 'topology', restarts: 4, perturbation: 0.01, radius: t.radius, maxSteps: t.maxSteps });
    expect(file.arrays.info).toBeUndefined();
    expect(file.arrays.counts.shape).toEqual([fps.points.shape[0], fps.points.shape[0] + 1]);
    expect(Array.from(file.arrays.end.data as Int32Array)).toEqual(Array.from(t.end));
    await expect(loadResult(path, 'fixed-points')).rejects.toThrow(/holds a topology result; expected fixed-points/);
  });

  test('values with no .npz form are refused by name', () => {
    expect(() => analysisArrays({ a: { model: new Map() } })).toThrow(/a\.model is a Map, which has no \.npz form/);
    expect(() => analysisArrays(null as never)).toThrow(/result must be an object/);
  });
});
