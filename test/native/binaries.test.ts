// Which binary the loader takes on a machine, and why it passes the others over: prebuilt binaries by platform,
// Node-API version, CPU level and NVIDIA driver; the user's own and source builds before them; one error listing every
// attempt and the one command that fixes it when nothing fits.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NativeLoadError, loadNative } from '../../ts/index.js';
import { BUILD_FOLDERS, binaryCandidates, prebuildFolder, unfit, type MachineFacts, type PrebuiltBinary } from '../../ts/native/binaries.js';
import { packageRoot } from '../../ts/native/load.js';

const V3_FLAGS = new Set(['abm', 'avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'movbe', 'xsave', 'sse4_2']);
const machine = (facts: Partial<MachineFacts> = {}): MachineFacts => ({ platform: 'linux', arch: 'x64', napi: 9, cpuFlags: V3_FLAGS, nvidiaDriver: false, ...facts });
const cpuBinary: PrebuiltBinary = { file: 'lowrank-napi8-x86-64-v3.node', platform: 'linux', arch: 'x64', napi: 8, cpu: 'x86-64-v3', cuda: false };
const cudaBinary: PrebuiltBinary = { ...cpuBinary, file: 'lowrank-napi8-x86-64-v3-cuda.node', cuda: true, cudaArchitectures: '75;80;86;89;90-real;90-virtual' };

describe('unfit: why a prebuilt binary cannot run on a machine', () => {
  test('platform, architecture, Node-API version, CPU level and driver are each checked', () => {
    expect(unfit(cpuBinary, machine())).toBeUndefined();
    expect(unfit(cpuBinary, machine({ platform: 'darwin', arch: 'arm64' }))).toBe('built for linux-x64, this is darwin-arm64');
    expect(unfit(cpuBinary, machine({ napi: 7 }))).toBe('built for Node-API 8, this Node has Node-API 7 (update Node)');
    const noAvx2 = new Set([...V3_FLAGS].filter((f) => f !== 'avx2' && f !== 'fma'));
    expect(unfit(cpuBinary, machine({ cpuFlags: noAvx2 }))).toBe('built for x86-64-v3, and this CPU lacks avx2, fma');
    expect(unfit(cpuBinary, machine({ cpuFlags: undefined }))).toMatch(/features cannot be read/);
    expect(unfit(cudaBinary, machine())).toMatch(/no NVIDIA driver is present/);
    expect(unfit(cudaBinary, machine({ nvidiaDriver: true }))).toBeUndefined();
    expect(unfit({ ...cpuBinary, cpu: 'x86-64-v4' }, machine())).toMatch(/lacks avx512f/);
  });
});

describe('loading from a package folder with prebuilt binaries', () => {
  const real = ['build-cmake-cpu/Release/lowrank.node', 'build/Release/lowrank.node', 'build-cmake/Release/lowrank.node']
    .map((p) => join(packageRoot(), p))
    .find((p) => existsSync(p));
  let pkg: string;
  let saved: string | undefined;

  beforeAll(() => {
    saved = process.env.LOWRANK_NATIVE_PATH; // an override would be taken instead of the candidates
    delete process.env.LOWRANK_NATIVE_PATH;
    pkg = mkdtempSync(join(tmpdir(), 'lowrank-prebuilt-'));
    const folder = join(pkg, prebuildFolder('linux', 'x64'));
    mkdirSync(folder, { recursive: true });
    // A CUDA entry whose file is absent and a CPU entry that is a real addon (this checkout's build).
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ binaries: [cudaBinary, cpuBinary] }));
    if (real) copyFileSync(real, join(folder, cpuBinary.file));
  });
  afterAll(() => {
    if (saved !== undefined) process.env.LOWRANK_NATIVE_PATH = saved;
  });

  test('candidates come in order: own build, development and source builds, then the prebuilt ones', () => {
    const list = binaryCandidates(pkg, machine({ nvidiaDriver: true }), undefined);
    expect(list.map((c) => c.origin)).toEqual([...BUILD_FOLDERS.map((b) => b.origin), 'prebuilt', 'prebuilt']);
    expect(list.slice(0, BUILD_FOLDERS.length).every((c) => c.skip === 'not built')).toBe(true);
    expect(list[BUILD_FOLDERS.length].skip).toBe('listed in the manifest but missing');
    expect(binaryCandidates(pkg, machine(), '/x/y.node')).toEqual([{ path: '/x/y.node', origin: 'override', description: 'named by LOWRANK_NATIVE_PATH' }]);
  });

  test.skipIf(!real)('the fitting prebuilt binary is loaded, and backendInfo-style facts say which and why', () => {
    const loaded = loadNative({ root: pkg, device: 'cpu', machine: machine() });
    expect(loaded.path).toBe(join(pkg, prebuildFolder('linux', 'x64'), cpuBinary.file));
    expect(loaded.origin).toBe('prebuilt');
    expect(loaded.reason).toMatch(/prebuilt for linux-x64, x86-64-v3, Node-API 8, CPU only/);
    expect(loaded.attempts.join('\n')).toMatch(/with CUDA .*: skipped: has the CUDA backend, and no NVIDIA driver is present/);
    expect(loaded.info.compiled).toContain('cpu');
  });

  test('a CPU without the instructions of any binary: one error with every attempt and the source-build command', () => {
    let error: unknown;
    try {
      loadNative({ root: pkg, device: 'auto', machine: machine({ cpuFlags: new Set(['sse4_2']) }) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NativeLoadError);
    const message = (error as Error).message;
    expect(message).toMatch(/lowrank-napi8-x86-64-v3\.node \(prebuilt .*\): skipped: built for x86-64-v3, and this CPU lacks abm, avx, avx2/);
    expect(message).toMatch(/build\/Release\/lowrank\.node \(node-gyp build .*\): not built/);
    expect(message).toMatch(/Fix: npm rebuild lowrank-rnn\s+\(builds the addon from source; .*apt-get install -y g\+\+ make python3 pkg-config libeigen3-dev\)/);
    expect((error as NativeLoadError).attempts).toHaveLength(BUILD_FOLDERS.length + 2);
  });

  test('another platform: nothing shipped for it', () => {
    expect(() => loadNative({ root: pkg, device: 'cpu', machine: machine({ platform: 'darwin', arch: 'arm64' }) })).toThrow(/prebuilds\/darwin-arm64 .*: skipped: none shipped for this platform/);
  });

  test('a binary that does not load (another Node ABI, a truncated file) is reported with its load error', () => {
    const broken = mkdtempSync(join(tmpdir(), 'lowrank-broken-'));
    const folder = join(broken, prebuildFolder('linux', 'x64'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ binaries: [cpuBinary] }));
    writeFileSync(join(folder, cpuBinary.file), 'not a shared object');
    expect(() => loadNative({ root: broken, device: 'cpu', machine: machine() })).toThrow(/lowrank-napi8-x86-64-v3\.node \(prebuilt .*\): .*(invalid ELF|too short|file)/);
  });
});
