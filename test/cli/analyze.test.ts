// `lowrank analyze fixed-points`, run as a user would (needs `npx tsup`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysis } from '../../ts/index.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const FIXTURE = new URL('../fixtures/flipflop3.npz', import.meta.url).pathname;

describe.skipIf(!existsSync(cli))('lowrank analyze fixed-points (dist/cli.js)', () => {
  test('the flip-flop fixture: 8 stable points saved to a .npz, and the topology', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowrank-cli-fp-'));
    const out = join(dir, 'fp.npz');
    const topo = join(dir, 'topo.npz');
    const r = run('analyze', 'fixed-points', '--model', FIXTURE, '--task', 'flipflop', '--trials', '8', '--input', '0,0,0', '--count', '256', '--perturbation', '0.3', '--out', out, '--topology', topo, '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary.type).toBe('fixed-points');
    expect(summary.types.stable).toBe(8);
    expect(summary.search).toBe('newton'); // full-rank net: Newton after the Adam prefix
    const fps = await analysis.loadFixedPoints(out);
    expect(fps.points.shape[0]).toBe(summary.points);
    expect(existsSync(topo)).toBe(true);
  });

  test('bad arguments name the option', () => {
    expect(run('analyze', 'fixed-points', '--model', FIXTURE, '--out', '/tmp/x.npz').stderr).toMatch(/--from .* or --task/);
    expect(run('analyze', 'fixed-points', '--model', FIXTURE, '--task', 'flipflop', '--input', '0,a', '--out', '/tmp/x.npz').stderr).toMatch(/--input must be comma-separated numbers/);
    expect(run('analyze', 'fixed-points', '--model', FIXTURE, '--task', 'dm', '--out', '/tmp/x.npz').stderr).toMatch(/has 1 inputs but the model takes 3/);
  });
});
