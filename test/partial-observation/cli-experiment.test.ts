// The experiment and sweep runners, their result files, and `lowrank partial-observation` run as a user would
// (needs `npx tsup`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { io, partialObservation as po, results } from '../../ts/index.js';
import { pythonWith, runPython } from '../support/python.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'lowrank-po-cli-'));
const py = pythonWith(['numpy']);

describe('experiments', () => {
  test('one experiment: the closed form, its limit, a BPTT student, portraits; the result file has the figures names', async () => {
    const r = await po.runExperiment({
      teacher: { kind: 'line-attractor', size: 30, eps: 0.05, others: [-0.5, 0.5], seed: 1 },
      simulation: { steps: 4000, alpha: 0.2, noise: 0.5, units: 6, seed: 1 },
      ridge: 0,
      students: [{ rank: 'full' }],
      portraits: { resolution: 5, starts: 16 },
    });
    // 4000 steps from x_0 ~ N(0, 1): the estimate is within sampling error of the limit (numerics.test.ts checks
    // the limit itself at 80000 steps).
    expect(r.limit!.distance).toBeLessThan(0.5);
    expect(po.relativeDistance(r.students[0].A.data, r.student.A.data)).toBeLessThan(1e-3);
    // A linear network has one fixed point, the origin (the PC projection of 0).
    const fp = r.portraits!.student.fixedPoints!;
    expect(fp.points.shape[0]).toBe(1);
    expect(fp.type[0]).toBe('stable');
    // The flow at the origin's projection is the field at the mean state: F(mean) projected.
    expect(r.portraits!.teacher.grid.shape).toEqual([25, 2]);
    const path = join(dir, 'one.npz');
    await po.saveExperiment(path, r);
    const { meta, arrays } = await results.loadResult(path, 'partial-observation');
    expect(meta!.experiment).toBe('single');
    expect(arrays.eigenvalues.shape).toEqual([6, 2]);
    expect(arrays.teacher_eigenvalues.shape).toEqual([30, 2]);
    expect(arrays.A.shape).toEqual([6, 6]);
    expect(arrays['limit.eigenvalues'].shape).toEqual([6, 2]);
    expect(arrays['students.0.eigenvalues'].shape).toEqual([6, 2]);
    expect(arrays['portraits.student.flow'].shape).toEqual([25, 2]);
  });

  test('an aborted experiment or sweep rejects with the signal\'s reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped by the user'));
    await expect(po.runExperiment({ teacher: { kind: 'feedforward', size: 10 } }, undefined, controller.signal)).rejects.toThrow(/stopped by the user/);
    await expect(po.sweep({ teachers: [{ kind: 'feedforward', size: 10 }], units: [2] }, undefined, controller.signal)).rejects.toThrow(/stopped by the user/);
  });

  test('a sweep: rows, table file and Markdown', async () => {
    const rows = await po.sweep({
      teachers: [{ kind: 'feedforward', size: 40 }, { kind: 'low-rank', size: 40, rank: 1 }],
      units: [4, 20],
      noise: [0.2],
      seeds: [0, 1],
      simulation: { steps: 2000, alpha: 0.05 },
    });
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      expect(row.fraction).toBe(row.d / 40);
      expect(row.teacherScore).toBe(0);
      expect(Number.isFinite(row.limitScore)).toBe(true);
    }
    const path = join(dir, 'sweep.npz');
    await po.saveSweep(path, rows);
    const { arrays } = await results.loadResult(path, 'partial-observation');
    expect(arrays['table.studentScore'].shape).toEqual([8]);
    expect(po.sweepMarkdown(rows).split('\n')).toHaveLength(10);
  });
});

describe.skipIf(!existsSync(cli))('lowrank partial-observation (dist/cli.js)', () => {
  test('estimate keeps its contract: A [d, d], eigenvalues [d, 2], line_attractor_score; [B, T, d] input; numpy reads it', async () => {
    const t = await po.teacher('feedforward', { size: 30, seed: 1 });
    const obs = await po.simulateTeacher(t, { steps: 500, trials: 2, alpha: 0.1, units: 5, seed: 1 });
    const states = join(dir, 'x.npy');
    await io.saveNpy(states, obs.observed);
    const out = join(dir, 'e.npz');
    const r = run('partial-observation', 'estimate', '--states', states, '--alpha', '0.1', '--ridge', '0.001', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    const direct = await po.estimate(obs.observed, { alpha: 0.1, ridge: 1e-3 });
    expect(summary.lineAttractorScore).toBeCloseTo(direct.lineAttractorScore, 12);
    if (py.available) {
      const check = JSON.parse(runPython(`
import sys, json, numpy as np
f = np.load(sys.argv[1])
A, ev, s = f['A'], f['eigenvalues'], float(f['line_attractor_score'])
ref = np.linalg.eigvals(A)
got = np.sort_complex(ev[:, 0] + 1j * ev[:, 1]); ref = np.sort_complex(ref)
tau = np.sort(np.abs(1 / (1 - ref.real)))[::-1]
print(json.dumps({'A': list(A.shape), 'ev': list(ev.shape), 'err': float(np.max(np.abs(got - ref))), 'score': s, 'ref': float(np.log2(tau[0] / tau[1]))}))`, [out]));
      expect(check.A).toEqual([5, 5]);
      expect(check.ev).toEqual([5, 2]);
      expect(check.err).toBeLessThan(1e-10);
      expect(check.score).toBeCloseTo(check.ref, 10);
    }
  });

  test('run: a config with a teacher from a .npy file; a sweep config with --table; bad input names the option', async () => {
    const t = await po.teacher('low-rank', { size: 20, rank: 1, seed: 2 });
    await io.saveNpy(join(dir, 'B.npy'), t.weights);
    writeFileSync(join(dir, 'one.json'), JSON.stringify({ teacher: { matrix: 'B.npy' }, simulation: { steps: 1000, alpha: 0.1, units: 4 } }));
    const one = run('partial-observation', 'run', join(dir, 'one.json'), '--out', join(dir, 'one-cli.npz'), '--json');
    expect(one.status, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout.trim())).toMatchObject({ type: 'partial-observation-run', teacher: 'user', D: 20, d: 4 });
    writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ sweep: { teachers: [{ kind: 'feedforward', size: 20 }], fractions: [0.25, 0.5], simulation: { steps: 1000, alpha: 0.1 } } }));
    const sw = run('partial-observation', 'run', join(dir, 'sweep.json'), '--out', join(dir, 'sweep-cli.npz'), '--table', join(dir, 'sweep.md'));
    expect(sw.status, sw.stderr).toBe(0);
    expect(readFileSync(join(dir, 'sweep.md'), 'utf8')).toMatch(/\| feedforward \| 20 \| 5 \|/);
    const bad = run('partial-observation', 'estimate', '--states', join(dir, 'x.npy'), '--alpha', '0.1', '--ridge', '-1', '--out', join(dir, 'bad.npz'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--ridge must be a number >= 0/);
    writeFileSync(join(dir, 'big.json'), JSON.stringify({ teacher: { kind: 'feedforward', size: 10 }, simulation: { units: 11 } }));
    const big = run('partial-observation', 'run', join(dir, 'big.json'), '--out', join(dir, 'big.npz'));
    expect(big.stderr).toMatch(/option 'units' must be an integer in \[1, 10\]/);
  });
});
