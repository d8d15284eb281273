// The lowrank command line, run as a user would (needs `npm run build:ts`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../ts/model/files.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe.skipIf(!existsSync(cli))('lowrank CLI (dist/cli.js)', () => {
  test('train --json prints one line per epoch and a result, and saves a loadable model', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lowrank-cli-')), 'dm.npz');
    const r = run('train', '--task', 'dm', '--size', '64', '--epochs', '3', '--lr', '5e-3', '--trials', '200', '--json', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3]);
    const result = lines.find((l) => l.type === 'result');
    expect(result.task).toBe('dm');
    expect(result.validationAccuracy).toBeGreaterThanOrEqual(0);
    const model = await loadModel(out);
    expect(model.config.size).toBe(64);
    expect(model.config.inputs).toBe(1);
  });

  test('--help explains every option; bad values name the option', () => {
    const help = run('train', '--help');
    expect(help.stdout).toMatch(/--task <name>/);
    expect(help.stdout).toMatch(/--early-stop/);
    expect(help.stdout).toMatch(/--trials <n>/);
    const old = run('train', '--task', 'dm', '--examples', '200');
    expect(old.status).not.toBe(0);
    expect(old.stderr).toMatch(/unknown option '--examples'/);
    const bad = run('train', '--task', 'dm', '--size', '-4');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--size must be an integer >= 1/);
    const unknown = run('train', '--task', 'nope');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/nope/);
  });

  test('each command has its help (one file per command, wired by main.ts)', () => {
    for (const command of ['info', 'train', 'fit', 'demo', 'analyze', 'build']) {
      const r = run(command, '--help');
      expect(r.status, command).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: lowrank ${command}`));
    }
  });

  test('info prints the backend as JSON, with the binary loaded and why', () => {
    const r = run('info');
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.compiled).toContain('cpu');
    expect(info.loader.origin).toMatch(/^(override|local-build|development-build|source-build|prebuilt)$/);
    expect(info.loader.reason.length).toBeGreaterThan(10);
    expect(Array.isArray(info.loader.attempts)).toBe(true);
  });

  test('build checks its options before building anything', () => {
    const help = run('build', '--help');
    for (const option of ['--cuda', '--native-arch', '--cuda-architectures <list>', '--out <dir>']) expect(help.stdout).toContain(option);
    const bad = run('build', '--cuda-architectures', 'sm_90');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--cuda-architectures.*CMake CUDA architecture list/);
  });
});
