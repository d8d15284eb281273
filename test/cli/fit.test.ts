// `lowrank fit` and `lowrank demo`, run as a user would (needs `npm run build:ts`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LowRankRNN, lint, loadModel, saveModel, saveNpy, saveNpz, tasks, train } from '../../ts/index.js';
import { loadResult } from '../../ts/results/format.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'lowrank-cli-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(cli))('lowrank fit / demo (dist/cli.js)', () => {
  test('fit --teacher --task: a table per rank, the results table and one fit file per rank', async () => {
    const teacher = new LowRankRNN({ size: 48, rank: 1, inputs: 1, outputs: 1, noise: 0.05, seed: 1 });
    await train(teacher, tasks.dm(), { epochs: 10, lr: 5e-3, seed: 1, trials: 300 });
    await saveModel(join(dir, 'teacher.npz'), teacher);
    const out = join(dir, 'sweep.npz');
    const r = run('fit', '--teacher', join(dir, 'teacher.npz'), '--task', 'dm', '--trials', '100', '--ranks', '1-2', '--epochs', '4', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/R2 vs teacher \(validation\), on rates/);
    expect(r.stdout).toMatch(/rank\s+R2\s+median R2\/neuron/);
    const { meta, arrays: table } = await loadResult(out, 'table');
    expect(Array.from(table.rank.data as Float64Array)).toEqual([1, 2]);
    expect(table.summary).toBeUndefined();
    expect(meta).toMatchObject({ kind: 'table', on: 'rates', task: 'dm', fits: [join(dir, 'sweep-rank1.npz'), join(dir, 'sweep-rank2.npz')] });
    const fit2 = await loadModel(join(dir, 'sweep-rank2.npz'));
    expect(fit2.config).toMatchObject({ kind: 'lowrank', rank: 2, size: 48, outputs: 0 });
    const saved = await loadResult(join(dir, 'sweep-rank2.npz'), 'fit');
    expect(saved.arrays.lint).toBeUndefined();
    expect(saved.meta!.teacher).toMatchObject({ r2: { global: (table.r2.data as Float64Array)[1] } });
    expect(saved.arrays['teacher.r2.perNeuron'].data).toHaveLength(48);
  });

  test('fit --targets --inputs with a pre-period and held-out trials, --json', async () => {
    const teacher = new LowRankRNN({ size: 20, rank: 1, inputs: 1, outputs: 0, seed: 2 });
    const inputs = { data: new Float32Array(10 * 15).map((_, i) => (i % 15 > 3 && i % 15 < 8 ? (i % 7) / 7 - 0.4 : 0)), shape: [10, 15, 1] };
    const x = await lint.trajectories(teacher, inputs, { on: 'states', drawNoise: false });
    await saveNpy(join(dir, 'x.npy'), { data: x.data.slice(0, 10 * 15 * 20).filter((_, i) => Math.floor(i / 20) % 15 >= 2), shape: [10, 13, 20] });
    await saveNpy(join(dir, 'u.npy'), inputs);
    const r = run('fit', '--targets', join(dir, 'x.npy'), '--inputs', join(dir, 'u.npy'), '--on', 'states', '--pre-period', '2', '--held-out', '0.2', '--epochs', '3', '--json');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch')).toHaveLength(3);
    const result = lines.find((l) => l.type === 'result');
    expect(result.on).toBe('states');
    expect(result.rows[0].rank).toBe(1);
    expect(Number.isFinite(result.rows[0].r2)).toBe(true);
    // the same data as one .npz
    await saveNpz(join(dir, 'data.npz'), { targets: x, inputs });
    const fromNpz = run('fit', '--data', join(dir, 'data.npz'), '--on', 'states', '--epochs', '2', '--ranks', '2');
    expect(fromNpz.status, fromNpz.stderr).toBe(0);
    expect(fromNpz.stdout).toMatch(/R2 fitted, on states/);
    await saveNpz(join(dir, 'bad.npz'), { inputs });
    expect(run('fit', '--data', join(dir, 'bad.npz')).stderr).toMatch(/needs arrays 'targets' and 'inputs'/);
  });

  test('fit errors name the fix', () => {
    const none = run('fit');
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/give one of --teacher <model.npz> with --task, --data <file.npz> .*, or --nwb \/ --mat <recording>/);
    const noTask = run('fit', '--teacher', join(dir, 'teacher.npz'));
    expect(noTask.stderr).toMatch(/--teacher needs --task/);
    const badRanks = run('fit', '--targets', 'x.npy', '--ranks', 'a');
    expect(badRanks.stderr).toMatch(/--ranks must be integers >= 1/);
    const missing = run('fit', '--targets', join(dir, 'nope.npy'), '--inputs', join(dir, 'u.npy'));
    expect(missing.stderr).toMatch(/--targets .*nope.npy/);
  });

  test('demo: teacher, fits and truncations at reduced size, a table and numpy-readable results', async () => {
    const outDir = join(dir, 'demo');
    const r = run('demo', '--size', '64', '--teacher-epochs', '2', '--fit-epochs', '2', '--ranks', '1,2', '--out-dir', outDir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rank\s+fit R2\s+fit accuracy\s+truncation R2\s+truncation accuracy/);
    for (const f of ['teacher.npz', 'fit-rank1.npz', 'fit-rank2.npz', 'results.npz']) expect(existsSync(join(outDir, f))).toBe(true);
    const { meta, arrays: table } = await loadResult(join(outDir, 'results.npz'), 'table');
    expect(Array.from(table.rank.data as Float64Array)).toEqual([1, 2]);
    expect(meta).toMatchObject({ task: 'cdm', r2On: 'rates', seed: 1, fitEpochs: 2 });
    expect((table.truncation_accuracy.data as Float64Array).every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});
