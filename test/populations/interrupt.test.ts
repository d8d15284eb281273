// The progress callbacks that let a Ctrl-C keep the finished part of a populations job: each hands out the result of
// the finished groups / contexts / fits / K, equal to the matching slice of the uninterrupted result, and an abort
// between them rejects with an AbortError.
import { describe, expect, test } from 'vitest';
import { Random } from '../../ts/core/random.js';
import { LowRankRNN, tasks } from '../../ts/index.js';
import { gains, inactivationAccuracy, populationGroups, selectComponents, stability, type GainResult, type InactivationResult } from '../../ts/populations/index.js';

/** Three Gaussian blobs in 3-D, 40 points each. */
function blobs(): { data: Float64Array; shape: number[] } {
  const rng = new Random(7);
  const z = new Float64Array(3);
  const data = new Float64Array(120 * 3);
  for (let i = 0; i < 120; i++) {
    rng.fillNormal(z);
    for (let d = 0; d < 3; d++) data[i * 3 + d] = z[d] * 0.3 + (d === i % 3 ? 4 : 0);
  }
  return { data, shape: [120, 3] };
}

/** Runs `job` with a signal aborted from inside its progress callback once `stop(p)` holds; returns the last progress. */
async function abortAfter<P>(job: (signal: AbortSignal, onProgress: (p: P) => void) => Promise<unknown>, stop: (p: P) => boolean): Promise<P | undefined> {
  const controller = new AbortController();
  let last: P | undefined;
  await expect(job(controller.signal, (p) => ((last = p), stop(p) && controller.abort()))).rejects.toMatchObject({ name: 'AbortError' });
  return last;
}

describe('interrupted populations jobs keep their finished part', () => {
  test('inactivationAccuracy: the finished groups equal the first groups of the full result', async () => {
    const net = new LowRankRNN({ size: 20, rank: 1, inputs: tasks.byName('dm').inputSize, outputs: 1, seed: 2, threads: 1, dtype: 'float64' });
    const task = tasks.byName('dm');
    const groups = populationGroups(Int32Array.from({ length: 20 }, (_, i) => i % 3));
    const opts = { fraction: 0.5, draws: 3, trials: 30, seed: 4 };
    const all = await inactivationAccuracy(net, task, groups, opts);
    const last = await abortAfter<{ group: number; finished: InactivationResult }>((signal, onProgress) => inactivationAccuracy(net, task, groups, { ...opts, signal, onProgress }), (p) => p.group === 2);
    const f = last!.finished;
    expect(f.groups).toEqual(all.groups.slice(0, 2));
    expect(f.accuracy.shape).toEqual([2, 1]);
    expect(Array.from(f.accuracy.data)).toEqual(Array.from(all.accuracy.data.slice(0, 2)));
    expect(f.accuracy_draws.shape).toEqual([2, 3, 1]);
    expect(Array.from(f.accuracy_draws.data)).toEqual(Array.from(all.accuracy_draws.data.slice(0, 6)));
    expect(Array.from(f.inactivated)).toEqual(Array.from(all.inactivated.slice(0, 2)));
    expect(Array.from(f.baseline)).toEqual(Array.from(all.baseline));
    net.dispose();
  });

  test('gains: the finished context is the first column of the full result', async () => {
    const net = new LowRankRNN({ size: 8, rank: 1, inputs: 4, outputs: 1, seed: 3, threads: 1, dtype: 'float64' });
    const task = tasks.cdm();
    const all = await gains(net, task, { trials: 3, seed: 4 });
    const last = await abortAfter<{ context: number; finished: GainResult }>((signal, onProgress) => gains(net, task, { trials: 3, seed: 4, signal, onProgress }), () => true);
    const f = last!.finished;
    expect(f.contexts).toEqual(['A']);
    expect(f.gains.shape).toEqual([8, 1]);
    expect(Array.from(f.gains.data)).toEqual(Array.from({ length: 8 }, (_, i) => all.gains.data[i * 2]));
    expect(Array.from(f.meanGains.data)).toEqual(Array.from({ length: 8 }, (_, i) => all.meanGains.data[i * 2]));
    net.dispose();
  });

  test('selectComponents: the candidates finished and the best of them', async () => {
    const x = blobs();
    const all = await selectComponents(x, { components: [1, 4], restarts: 2, seed: 1 });
    const seen: number[] = [];
    const last = await abortAfter<{ best: { bic: number; components: number }; candidates: { components: number; bic: number }[] }>(
      (signal, onProgress) => selectComponents(x, { components: [1, 4], restarts: 2, seed: 1, signal, onCandidate: (p) => (seen.push(p.candidates.length), onProgress(p)) }),
      (p) => p.candidates.length === 2,
    );
    expect(seen).toEqual([1, 2]);
    expect(last!.candidates).toEqual(all.candidates.slice(0, 2));
    expect(last!.best.bic).toBe(Math.min(...all.candidates.slice(0, 2).map((c) => c.bic)));
    expect(last!.best.components).toBe(2);
  });

  test('stability: the pairs of the finished fits equal a run of that many bootstraps', async () => {
    const x = blobs();
    const opts = { components: 3, fraction: 0.8, seed: 2, null: 'none' as const, mixture: { restarts: 1 } };
    const three = await stability(x, { ...opts, bootstraps: 3 });
    expect(three.ari).toHaveLength(3);
    const last = await abortAfter<{ stage: string; bootstrap: number; ari: Float64Array }>((signal, onProgress) => stability(x, { ...opts, bootstraps: 10, signal, onProgress }), (p) => p.bootstrap === 3);
    expect(last).toMatchObject({ stage: 'data', bootstrap: 3 });
    expect(Array.from(last!.ari)).toEqual(Array.from(three.ari));
    await expect(stability(x, { ...opts, bootstraps: 3, onProgress: 5 as never })).rejects.toThrow(/onProgress/);
  });
});
