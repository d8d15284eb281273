// `lowrank bench`, run as a user would (needs `npm run build:ts`): the suite list, a quick eigensolves run on tiny
// matrices (LOWRANK_BENCH_EIGEN_SIZES) with its --json, and the run without python3's baselines.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { pythonWith } from '../support/python.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, 'bench', ...args], { encoding: 'utf8', env: { ...process.env, LOWRANK_BENCH_EIGEN_SIZES: '16,24', ...env } });
const numpy = pythonWith(['numpy', 'scipy']);

describe.skipIf(!existsSync(cli))('lowrank bench (dist/cli.js)', () => {
  test('--list names every suite with its description', () => {
    const r = run(['--list']);
    expect(r.status, r.stderr).toBe(0);
    const names = r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(expect.arrayContaining(['training-step', 'eigensolves']));
    expect(r.stdout).toMatch(/eigensolves +dense eigenvalues/);
  });

  test('an unknown suite is an error that lists the known ones', () => {
    const r = run(['nope']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown suite 'nope'; the suites are training-step, eigensolves/);
  });

  test.skipIf(!numpy.available)(`--quick eigensolves: the table and --json, with the numpy baseline side by side (${numpy.reason})`, () => {
    const json = join(mkdtempSync(join(tmpdir(), 'lowrank-bench-')), 'bench.json');
    const r = run(['eigensolves', '--quick', '--threads', '1', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^machine: .+, \d+ hardware threads, SIMD .+; 1 threads in this run/m);
    expect(r.stdout).toMatch(/\| eigensolves \| right vectors N=24 \| s \|/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(report).sort()).toEqual(['machine', 'rows', 'started']);
    expect(report.machine).toMatchObject({ threads: 1, cores: expect.any(Number), simd: expect.any(String), python: { numpy: expect.any(String) } });
    expect(report.rows).toHaveLength(8);
    for (const row of report.rows) {
      expect(Object.keys(row).sort()).toEqual(['baseline', 'baselineName', 'higherIsBetter', 'metric', 'name', 'note', 'ours', 'params', 'suite']);
      expect(row).toMatchObject({ suite: 'eigensolves', metric: 's', higherIsBetter: false, params: { threads: 1 } });
      expect(row.ours).toBeGreaterThan(0);
      expect(row.baseline).toBeGreaterThan(0);
      expect(row.baselineName).toMatch(/numpy|scipy/);
    }
    expect(report.rows.map((r: { name: string }) => r.name)).toEqual(
      [16, 24].flatMap((n) => ['values', 'right vectors', 'left and right vectors', 'svd'].map((k) => `${k} N=${n}`)),
    );
  });

  test('without python3 it says how to install the baselines and still times the engine', () => {
    const r = run(['eigensolves', '--quick'], { LOWRANK_PYTHON: '/nonexistent/python3' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/baseline eigensolves_numpy\.py skipped: \/nonexistent\/python3 was not found \(ENOENT\): install Python 3, then pip install numpy/);
    expect(r.stdout).toMatch(/torch missing, numpy missing, scipy missing/);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| eigensolves |'));
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(row).toMatch(/^\| eigensolves \| [^|]+ \| s \| [0-9.e-]+ \| - \| - \|/);
  });
});
