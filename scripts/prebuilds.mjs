// npm run build:prebuilds: the binaries shipped in the package for linux-x64, built portable (x86-64-v3: AVX2 and
// FMA, no AVX-512) with `lowrank build`: a CPU-only one, and one with the CUDA backend (static CUDA runtime, so it
// loads on machines without a GPU or a CUDA install) when nvcc is here. They go to prebuilds/<platform>-<arch>/ with
// a manifest.json that the loader reads (ts/native/binaries.ts). Run after `npm run build:ts`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const NAPI = 8; // binding.gyp and CMakeLists.txt define NAPI_VERSION=8
const CPU_LEVEL = 'x86-64-v3'; // what `lowrank build` compiles for without --native-arch
const DEFAULT_CUDA_ARCHITECTURES = '75;80;86;89;90-real;90-virtual'; // CMakeLists.txt's default

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`prebuilds: built on linux-x64 only (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}
if (!existsSync(cli)) {
  console.error('prebuilds: dist/cli.js is missing; run npm run build:ts first');
  process.exit(1);
}

const variants = [{ name: 'cpu', cuda: false }];
if (spawnSync('nvcc', ['--version'], { stdio: 'ignore' }).status === 0) variants.push({ name: 'cuda', cuda: true });
else console.error('prebuilds: nvcc not found, so no CUDA binary is built');

const folder = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
rmSync(folder, { recursive: true, force: true });
mkdirSync(folder, { recursive: true });
const binaries = [];
for (const v of variants) {
  const out = join('build-prebuild', v.name);
  const r = spawnSync(process.execPath, [cli, 'build', '--out', out, ...(v.cuda ? ['--cuda'] : [])], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const built = join(root, out, 'Release', 'lowrank.node');
  const file = `lowrank-napi${NAPI}-${CPU_LEVEL}${v.cuda ? '-cuda' : ''}.node`;
  copyFileSync(built, join(folder, file));
  spawnSync('strip', ['--strip-unneeded', join(folder, file)], { stdio: 'ignore' });
  const info = createRequire(import.meta.url)(join(folder, file)).backendInfo();
  if (v.cuda !== info.compiled.includes('cuda')) throw new Error(`prebuilds: ${file} reports backends ${info.compiled.join(', ')}`);
  if (/512/.test(info.simd)) throw new Error(`prebuilds: ${file} was compiled with AVX-512 (${info.simd}); it must be portable`);
  binaries.push({
    file,
    platform: process.platform,
    arch: process.arch,
    napi: NAPI,
    cpu: CPU_LEVEL,
    cuda: v.cuda,
    ...(v.cuda ? { cudaArchitectures: DEFAULT_CUDA_ARCHITECTURES } : {}),
    simd: info.simd,
  });
  console.error(`prebuilds: ${file} (${(statSync(join(folder, file)).size / 2 ** 20).toFixed(1)} MiB, ${info.simd})`);
}
// The CUDA binary first: the loader tries it where a driver is present, and the CPU one everywhere else.
binaries.sort((a, b) => Number(b.cuda) - Number(a.cuda));
writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ binaries }, null, 2) + '\n');
console.error(`prebuilds: wrote ${join(folder, 'manifest.json')}`);
