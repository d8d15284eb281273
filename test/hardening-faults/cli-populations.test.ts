// Ctrl-C in the `lowrank populations` commands: the finished draws / bootstrap fits are saved as a populations result
// (meta.interrupted, the count finished), stderr names the file and the exit status is 130. Each saved part is checked
// against a full run of that many draws / fits (the same seeds). Runs dist/cli.js (needs `npm run build:ts`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LowRankRNN, loadModel, saveModel, tasks } from '../../ts/index.js';
import { inactivationAccuracy, populationGroups } from '../../ts/populations/index.js';
import { loadResult } from '../../ts/results/format.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'lowrank-faults-populations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'm.npz');

/** Runs `lowrank populations ...` and sends SIGINT once `ready(stderr so far)` holds. */
function interruptWhen(args: string[], ready: (stderr: string) => boolean): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cli, 'populations', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && ready(stderr)) (sent = true), child.kill('SIGINT');
  });
  return new Promise((done) => child.on('close', (status) => done({ status, stderr })));
}
const full = (...args: string[]) => spawnSync(process.execPath, [cli, 'populations', ...args], { cwd: dir, encoding: 'utf8' });
const numbers = (a: { data: unknown }) => Array.from(a.data as ArrayLike<number>);

describe.skipIf(!existsSync(cli))('Ctrl-C in lowrank populations keeps the finished part', () => {
  beforeAll(async () => {
    const net = new LowRankRNN({ size: 48, rank: 1, inputs: tasks.byName('dm').inputSize, outputs: 1, seed: 5 });
    await saveModel(model, net);
    net.dispose();
  });

  test('resample: Ctrl-C after three draws saves the finished draws, equal to a full run of that many', async () => {
    const out = join(dir, 'resample.npz');
    const args = ['resample', '--model', model, '--task', 'dm', '--trials', '40', '--threads', '1', '--seed', '2'];
    const r = await interruptWhen([...args, '--draws', '2000', '--out', out], (stderr) => /^draw 3\/2000:/m.test(stderr));
    expect(r.status, r.stderr).toBe(130);
    const done = (r.stderr.match(/^draw \d+\/2000:/gm) ?? []).length;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(2000);
    expect(r.stderr).toContain(`interrupted: saved the ${done} finished draw(s) to ${out}`);
    const { arrays, meta } = await loadResult(out, 'populations');
    expect(meta).toMatchObject({ analysis: 'resample', interrupted: true, draws: 2000, finished: done });
    const accuracy = numbers(arrays.accuracy);
    expect(accuracy).toHaveLength(done);
    expect(numbers(arrays.mean)[0]).toBeCloseTo(accuracy.reduce((a, b) => a + b, 0) / done, 12);
    expect(numbers(arrays.min)[0]).toBe(Math.min(...accuracy));
    expect(numbers(arrays.max)[0]).toBe(Math.max(...accuracy));
    // the same draws as a run of `done` draws
    const whole = join(dir, 'resample-full.npz');
    const f = full(...args, '--draws', String(done), '--out', whole);
    expect(f.status, f.stderr).toBe(0);
    const reference = await loadResult(whole, 'populations');
    expect(accuracy).toEqual(numbers(reference.arrays.accuracy));
    expect(numbers(arrays.baseline)).toEqual(numbers(reference.arrays.baseline));
    expect(reference.meta).not.toHaveProperty('interrupted');
  }, 120_000);

  test('stability: Ctrl-C after three bootstrap fits saves the ARIs of their pairs, equal to a full run of that many', async () => {
    const out = join(dir, 'stability.npz');
    const args = ['stability', '--model', model, '--components', '2', '--restarts', '1', '--threads', '1', '--seed', '1'];
    const r = await interruptWhen([...args, '--bootstraps', '2000', '--out', out], (stderr) => /^data bootstrap 3\/2000$/m.test(stderr));
    expect(r.status, r.stderr).toBe(130);
    const done = (r.stderr.match(/^data bootstrap \d+\/2000$/gm) ?? []).length;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toContain(`interrupted: saved the ${done} finished bootstrap fit(s) to ${out}`);
    const { arrays, meta } = await loadResult(out, 'populations');
    expect(meta).toMatchObject({ analysis: 'stability', interrupted: true, bootstraps: 2000, finished: done, nullFinished: 0 });
    const ari = numbers(arrays.ari);
    expect(ari).toHaveLength((done * (done - 1)) / 2);
    expect(numbers(arrays.mean_ari)[0]).toBeCloseTo(ari.reduce((a, b) => a + b, 0) / ari.length, 12);
    expect(arrays.null_ari).toBeUndefined();
    expect(numbers(arrays.kurtosis)).toHaveLength(JSON.parse(arrays.columns.data[0] as string).length);
    const whole = join(dir, 'stability-full.npz');
    const f = full(...args, '--bootstraps', String(done), '--null-draws', '5', '--out', whole);
    expect(f.status, f.stderr).toBe(0);
    const reference = await loadResult(whole, 'populations');
    expect(ari).toEqual(numbers(reference.arrays.ari));
    expect(numbers(arrays.kurtosis)).toEqual(numbers(reference.arrays.kurtosis));
  }, 120_000);

  test('inactivate: Ctrl-C after the first group saves the finished groups, equal to the library on those groups', async () => {
    const labels = join(dir, 'clusters.npz');
    const c = full('cluster', '--model', model, '--components', '3', '--restarts', '2', '--out', labels);
    expect(c.status, c.stderr).toBe(0);
    const out = join(dir, 'inactivate.npz');
    const opts = { fraction: 0.5, draws: 300, trials: 40, seed: 3 };
    const args = ['inactivate', '--model', model, '--task', 'dm', '--labels', labels, '--fraction', '0.5', '--draws', '300', '--trials', '40', '--seed', '3', '--threads', '1', '--out', out];
    const r = await interruptWhen(args, (stderr) => /^group 1\/4 /m.test(stderr));
    expect(r.status, r.stderr).toBe(130);
    const done = (r.stderr.match(/^group \d\/4 /gm) ?? []).length;
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(4);
    expect(r.stderr).toContain(`interrupted: saved the ${done} finished group(s) to ${out}`);
    const { arrays, meta } = await loadResult(out, 'populations');
    expect(meta).toMatchObject({ analysis: 'inactivate', interrupted: true, total: 4, finished: done });
    expect(arrays.accuracy.shape).toEqual([done, 1]);
    expect(arrays.accuracy_draws.shape).toEqual([done, 300, 1]);
    const net = await loadModel(model, { dtype: 'float64', threads: 1 });
    try {
      const groups = populationGroups(Int32Array.from(numbers((await loadResult(labels)).arrays.labels))).slice(0, done);
      const lib = await inactivationAccuracy(net, tasks.byName('dm'), groups, opts);
      expect(JSON.parse(arrays.groups.data[0] as string)).toEqual(lib.groups);
      expect(numbers(arrays.accuracy_draws)).toEqual(Array.from(lib.accuracy_draws.data));
      expect(numbers(arrays.accuracy)).toEqual(Array.from(lib.accuracy.data));
      expect(numbers(arrays.baseline)).toEqual(Array.from(lib.baseline));
    } finally {
      net.dispose();
    }
  }, 120_000);

  test('cluster --components 1-8: Ctrl-C after K = 2 saves the best of the finished K with their candidates', async () => {
    const out = join(dir, 'cluster.npz');
    const args = ['cluster', '--model', model, '--restarts', '1000', '--threads', '1', '--seed', '1'];
    const r = await interruptWhen([...args, '--components', '1-8', '--out', out], (stderr) => /^K=2: /m.test(stderr));
    expect(r.status, r.stderr).toBe(130);
    const done = (r.stderr.match(/^K=\d: /gm) ?? []).length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(8);
    expect(r.stderr).toContain(`interrupted: saved the best of the ${done} finished K to ${out}`);
    const { arrays, meta } = await loadResult(out, 'populations');
    expect(meta).toMatchObject({ analysis: 'cluster', interrupted: true, range: [1, 8], finished: done });
    expect(numbers(arrays['candidates.components'])).toEqual(Array.from({ length: done }, (_, k) => k + 1));
    const whole = join(dir, 'cluster-full.npz');
    const f = full(...args, '--components', `1-${done}`, '--out', whole);
    expect(f.status, f.stderr).toBe(0);
    const reference = await loadResult(whole, 'populations');
    for (const name of ['candidates.bic', 'candidates.aic', 'labels', 'weights', 'bic']) expect(numbers(arrays[name]), name).toEqual(numbers(reference.arrays[name]));
  }, 120_000);

  test('stability: Ctrl-C after one bootstrap fit (no pair yet) saves nothing and says so', async () => {
    const out = join(dir, 'none.npz');
    const r = await interruptWhen(['stability', '--model', model, '--components', '2', '--restarts', '1', '--bootstraps', '2000', '--threads', '1', '--out', out], (stderr) => /^data bootstrap 1\/2000$/m.test(stderr));
    expect(r.status, r.stderr).toBe(130);
    // the signal may land after the second fit: then its one pair is saved
    const done = (r.stderr.match(/^data bootstrap \d+\/2000$/gm) ?? []).length;
    if (done < 2) {
      expect(r.stderr).toMatch(/interrupted: nothing saved/);
      expect(existsSync(out)).toBe(false);
    } else expect(r.stderr).toContain(`interrupted: saved the ${done} finished bootstrap fit(s) to ${out}`);
  }, 120_000);
});
