// The loader finds the built binaries, explains failures, and backendInfo() reports what was built and used.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BackendUnavailableError, NativeLoadError, backendInfo, loadNative, resolveDevice } from '../../ts/index.js';
import { packageRoot } from '../../ts/native/load.js';
import { BUILD_FOLDERS } from '../../ts/native/binaries.js';

const root = packageRoot();

describe('loadNative', () => {
  test('an empty package folder gives one error listing every attempt and the build command', () => {
    const empty = mkdtempSync(join(tmpdir(), 'lowrank-empty-'));
    const saved = process.env.LOWRANK_NATIVE_PATH; // an override would be loaded instead of the candidates
    delete process.env.LOWRANK_NATIVE_PATH;
    let error: unknown;
    try {
      loadNative({ root: empty });
    } catch (err) {
      error = err;
    } finally {
      if (saved !== undefined) process.env.LOWRANK_NATIVE_PATH = saved;
    }
    expect(error).toBeInstanceOf(NativeLoadError);
    const message = (error as Error).message;
    for (const build of BUILD_FOLDERS) expect(message).toContain(`${join(empty, build.path)} (${build.description}): not built`);
    expect(message).toContain(`skipped: none shipped for this platform`);
    // An installed package (no ts/ folder): the fix is a source build, with what it needs.
    expect(message).toMatch(/Fix: npm rebuild lowrank-rnn .*apt-get install -y g\+\+ make python3 pkg-config libeigen3-dev/);
    expect((error as NativeLoadError).attempts).toHaveLength(BUILD_FOLDERS.length + 1);
  });

  test('a broken binary named by LOWRANK_NATIVE_PATH is reported with its load error', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'lowrank-bad-')), 'lowrank.node');
    writeFileSync(bad, 'not a shared object');
    const saved = process.env.LOWRANK_NATIVE_PATH;
    process.env.LOWRANK_NATIVE_PATH = bad;
    try {
      expect(() => loadNative({ root })).toThrow(NativeLoadError);
      expect(() => loadNative({ root })).toThrow(new RegExp(`${bad}: .*(invalid ELF|too short|file)`));
    } finally {
      if (saved === undefined) delete process.env.LOWRANK_NATIVE_PATH;
      else process.env.LOWRANK_NATIVE_PATH = saved;
    }
  });

  test('the first built binary is taken for cpu; cuda needs a usable device', () => {
    const first = BUILD_FOLDERS.map((b) => join(root, b.path)).find((p) => existsSync(p));
    const cpu = loadNative({ root, device: 'cpu' });
    expect(cpu.path).toBe(process.env.LOWRANK_NATIVE_PATH ?? first);
    if (cpu.info.cuda.devices.length === 0) {
      expect(() => loadNative({ root, device: 'cuda' })).toThrow(BackendUnavailableError);
      expect(() => loadNative({ root, device: 'cuda' })).toThrow(/no CUDA device can be used/);
      expect(loadNative({ root, device: 'auto' }).path).toBe(cpu.path);
    } else {
      expect(loadNative({ root, device: 'cuda' }).info.cuda.devices.length).toBeGreaterThan(0);
    }
  });
});

describe('resolveDevice', () => {
  function withDeviceEnv<T>(value: string | undefined, run: () => T): T {
    const saved = process.env.LOWRANK_DEVICE;
    if (value === undefined) delete process.env.LOWRANK_DEVICE;
    else process.env.LOWRANK_DEVICE = value;
    try {
      return run();
    } finally {
      if (saved === undefined) delete process.env.LOWRANK_DEVICE;
      else process.env.LOWRANK_DEVICE = saved;
    }
  }

  test("chooses the device: 'cpu' and 'cuda-emulated' as named, 'auto' by what is usable, LOWRANK_DEVICE by default", () => {
    const cuda = backendInfo({ device: 'cpu' }).cuda.available;
    expect(resolveDevice('cpu')).toBe('cpu');
    expect(resolveDevice('cuda-emulated')).toBe('cuda-emulated');
    expect(resolveDevice('auto')).toBe(cuda ? 'cuda' : 'cpu');
    expect(withDeviceEnv('cuda-emulated', () => resolveDevice())).toBe('cuda-emulated');
    expect(withDeviceEnv('cpu', () => resolveDevice())).toBe('cpu');
    expect(withDeviceEnv('cpu', () => backendInfo().backend)).toBe('cpu');
    expect(withDeviceEnv(undefined, () => resolveDevice())).toBe(cuda ? 'cuda' : 'cpu');
  });

  test('an unknown device, named or in LOWRANK_DEVICE, is an error listing the devices', () => {
    // @ts-expect-error invalid on purpose
    expect(() => resolveDevice('tpu')).toThrow(/resolveDevice: option 'device' must be one of 'auto', 'cpu', 'cuda', 'cuda-emulated'; got 'tpu'/);
    expect(() => withDeviceEnv('gpu', () => resolveDevice())).toThrow(/LOWRANK_DEVICE: option 'device' must be one of 'auto', 'cpu', 'cuda', 'cuda-emulated'; got 'gpu'/);
  });
});

describe('backendInfo', () => {
  test('reports the version, the compiled backends, threads and the CUDA state', () => {
    const info = backendInfo();
    expect(info.version).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    expect(info.compiled).toContain('cpu');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.eigen).toMatch(/^3\.4\./);
    expect(info.binary).toMatch(/lowrank\.node$/);
    expect(['cpu', 'cuda']).toContain(info.backend);
    if (info.cuda.compiled) expect(info.compiled).toContain('cuda');
    if (info.cuda.available) {
      expect(info.backend).toBe('cuda');
      expect(info.cuda.devices[0].computeCapability).toMatch(/^\d+\.\d+$/);
    } else {
      expect(info.backend).toBe('cpu');
      expect(info.cuda.reason).toMatch(/CUDA|built without/);
    }
  });

  test.skipIf(spawnSync('nvcc', ['--version']).status !== 0 || !existsSync(join(root, 'build-cmake/Release/lowrank.node')))(
    'the cmake-js build compiled CUDA here (nvcc exists) and, with no GPU, says so',
    () => {
      const info = loadNative({ root, device: 'cpu' }).info;
      if (process.env.LOWRANK_NATIVE_PATH) return;
      expect(info.compiled).toEqual(['cpu', 'cuda']);
      if (info.cuda.devices.length === 0) expect(info.cuda.reason).toMatch(/CUDA compiled, no/);
    },
  );
});

describe('the built package (dist/)', () => {
  const built = existsSync(join(root, 'dist', 'index.js')) && existsSync(join(root, 'dist', 'index.cjs'));
  test.skipIf(!built)('ESM and CJS builds load the addon and simulate the model equation (run `npm run build:ts` first)', () => {
    const r = spawnSync(process.execPath, [join(root, 'test', 'support', 'smoke.mjs')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/smoke esm: .* ok/);
    expect(r.stdout).toMatch(/smoke cjs: .* ok/);
  });
});
