// `lowrank plot`, `lowrank report`, `lowrank analyze latent-flow|linearize|meanfield|measures`, `lowrank --version`
// and the demo's report, run as a user would (needs `npm run build:ts`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadResult } from '../../ts/results/format.js';
import { pngSize } from '../plot/support.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe.skipIf(!existsSync(cli))('lowrank plot, report and analyze (dist/cli.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowrank-plot-cli-'));
  const model = join(dir, 'dm.npz');

  test('--version prints the package version', () => {
    const r = run('--version');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  test('train records its task, epochs and command; plot draws SVG and PNG of the requested size', async () => {
    const t = run('train', '--task', 'dm', '--rank', '2', '--size', '48', '--epochs', '2', '--trials', '100', '--out', model);
    expect(t.status, t.stderr).toBe(0);
    const { meta } = await loadResult(model, 'model');
    expect(meta!.task).toBe('dm');
    expect((meta!.training as { epochs: unknown[] }).epochs).toHaveLength(2);
    expect(meta!.command).toBe(`lowrank train --task dm --rank 2 --size 48 --epochs 2 --trials 100 --out ${model}`);
    const svg = run('plot', 'training', '--from', model, '--out', join(dir, 'training.svg'));
    expect(svg.status, svg.stderr).toBe(0);
    expect(readFileSync(join(dir, 'training.svg'), 'utf8')).toMatch(/^<svg/);
    const png = run('plot', 'trials', '--from', model, '--out', join(dir, 'trials.png'), '--width', '500', '--height', '700');
    expect(png.status, png.stderr).toBe(0);
    expect(pngSize(readFileSync(join(dir, 'trials.png')))).toEqual({ width: 500, height: 700 });
  });

  test('analyze latent-flow, linearize, meanfield and measures write results that plot and report read', async () => {
    const steps: [string[], string, string][] = [
      [['latent-flow', '--resolution', '20'], 'flow.npz', 'flow'],
      [['linearize', '--task', 'dm', '--trials', '2'], 'linearize.npz', 'spectrum'],
      [['meanfield', '--resolution', '15'], 'meanfield.npz', 'meanfield'],
      [['measures', '--task', 'dm', '--trials', '4'], 'measures.npz', 'pca'],
    ];
    for (const [args, file, figure] of steps) {
      const out = join(dir, file);
      const a = run('analyze', ...args, '--model', model, '--out', out, '--json');
      expect(a.status, a.stderr).toBe(0);
      expect(JSON.parse(a.stdout).out).toBe(out);
      expect((await loadResult(out, 'analysis')).meta!.analysis).toBe(args[0]);
      const p = run('plot', figure, '--from', out, '--out', join(dir, `${figure}.svg`));
      expect(p.status, `${figure}: ${p.stderr}`).toBe(0);
    }
    const r = run('report', dir, '--out', join(dir, 'report.html'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.errors).toEqual([]);
    expect(summary.figures).toBeGreaterThanOrEqual(8);
  });

  test('linearize at the fixed points of a fixed-point file; the topology graph placed by its points', async () => {
    const fps = join(dir, 'fixed-points.npz');
    const topology = join(dir, 'topology.npz');
    const f = run('analyze', 'fixed-points', '--model', model, '--task', 'dm', '--trials', '8', '--count', '32', '--max-iterations', '1500', '--topology', topology, '--out', fps, '--json');
    expect(f.status, f.stderr).toBe(0);
    const points = (await loadResult(fps, 'fixed-points')).arrays.points.shape[0];
    const out = join(dir, 'at-fixed-points.npz');
    const l = run('analyze', 'linearize', '--model', model, '--fixed-points', fps, '--out', out);
    expect(l.status, l.stderr).toBe(0);
    const { arrays } = await loadResult(out, 'analysis');
    expect(arrays.states.shape).toEqual([points, 48]);
    // the same Jacobians as the fixed-point search's own linearization
    const own = (await loadResult(fps)).arrays['eigenvalues.re'].data as Float64Array;
    const again = arrays['eigenvalues.re'].data as Float64Array;
    expect(again.length).toBe(own.length);
    again.forEach((x, i) => expect(x).toBeCloseTo(own[i], 8));
    const t = run('plot', 'topology', '--from', topology, '--points', fps, '--out', join(dir, 'topology.svg'));
    expect(t.status, t.stderr).toBe(0);
  });

  test('bad input: the wrong file for a figure, an unknown figure, an unwritable output', () => {
    const wrong = run('plot', 'flow', '--from', model, '--out', join(dir, 'x.svg'));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/the 'flow' figure needs an array 'axes.0'.*lowrank analyze latent-flow/);
    const unknown = run('plot', 'nope', '--from', model, '--out', join(dir, 'x.svg'));
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/value 'nope' is invalid for argument 'kind'. Allowed choices are training/);
    const unwritable = run('plot', 'training', '--from', model, '--out', join(dir, 'missing', 'x.svg'));
    expect(unwritable.status).toBe(1);
    expect(unwritable.stderr).toMatch(/missing/);
    const report = run('report', model, '--out', join(dir, 'missing', 'r.html'), '--no-analyses');
    expect(report.status).toBe(1);
    expect(report.stderr).toMatch(/missing/);
  });

  test('demo writes lowrank-demo/report.html and prints its path', () => {
    const out = join(dir, 'demo');
    const d = run('demo', '--size', '16', '--teacher-epochs', '1', '--fit-epochs', '2', '--ranks', '1', '--out-dir', out);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toContain(`report: ${join(out, 'report.html')}`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('data-kind="rank-sweep"');
    expect(html).toContain('data-kind="training"');
    expect(html).not.toContain('class="figure-error"');
  });
});
