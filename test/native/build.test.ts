// The CMake options behave as documented: LOWRANK_CUDA=ON needs nvcc, AUTO falls back to the CPU backend, and every
// .cu file is part of the CUDA build. (Configure only; the full builds are run by .ci/run.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const hasCmake = spawnSync('cmake', ['--version']).status === 0;
const hasNvcc = spawnSync('nvcc', ['--version']).status === 0;
const withoutNvcc = { ...process.env, PATH: '/usr/bin:/bin' };
delete (withoutNvcc as Record<string, string | undefined>).CUDACXX;

function configure(cuda: string, env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(join(tmpdir(), 'lowrank-cfg-'));
  const r = spawnSync('cmake', ['-S', root, '-B', dir, '-G', 'Ninja', `-DLOWRANK_CUDA=${cuda}`], { env, encoding: 'utf8' });
  return { dir, status: r.status, output: r.stdout + r.stderr };
}

describe.skipIf(!hasCmake)('CMake configuration', () => {
  test.skipIf(spawnSync('/usr/bin/nvcc', ['--version']).status === 0)('LOWRANK_CUDA=ON without nvcc stops with a message naming the fix', () => {
    const r = configure('ON', withoutNvcc);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/LOWRANK_CUDA=ON but no CUDA compiler \(nvcc\) was found/);
    expect(r.output).toMatch(/PATH/);
  });

  test('LOWRANK_CUDA=AUTO without nvcc configures the CPU backend', () => {
    const r = configure('AUTO', withoutNvcc);
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/lowrank: CUDA backend OFF/);
  });

  test.skipIf(!hasNvcc)('LOWRANK_CUDA=ON with nvcc builds every .cu file', () => {
    const r = configure('ON', process.env);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/lowrank: CUDA backend ON/);
    const ninja = readFileSync(join(r.dir, 'build.ninja'), 'utf8');
    const sources = readdirSync(join(root, 'native', 'cuda')).filter((f) => f.endsWith('.cu'));
    expect(sources.length).toBeGreaterThan(0);
    for (const f of sources) expect(ninja, f).toContain(`native/cuda/${f}`);
  });
});
