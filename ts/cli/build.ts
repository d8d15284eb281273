// `lowrank build`: builds the addon for this machine with cmake-js, into build-local/ of the package, which the loader
// tries before the development and prebuilt binaries. Without options the build is portable (x86-64-v3, CPU only);
// --native-arch compiles for this machine's processor (AVX-512 where it has it) and, with --cuda, for its GPUs.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { checkOutputDirectory } from '../io/files.js';
import { packageRoot } from '../native/load.js';

interface BuildCliOptions {
  cuda?: boolean;
  nativeArch?: boolean;
  cudaArchitectures?: string;
  out: string;
}

/** The tools a cmake-js build needs, each with the Debian package that provides it. */
const BUILD_TOOLS: readonly { command: string; args: string[]; apt: string }[] = [
  { command: 'cmake', args: ['--version'], apt: 'cmake' },
  { command: 'c++', args: ['--version'], apt: 'g++' },
  { command: 'pkg-config', args: ['--exists', 'eigen3'], apt: 'pkg-config libeigen3-dev' },
];

function cudaArchitectures(value: string): string {
  if (!/^(native|all|all-major|\d+(-real|-virtual)?(;\d+(-real|-virtual)?)*)$/.test(value)) {
    throw new InvalidArgumentError("a CMake CUDA architecture list such as '86' or '80;90-real', or 'native'");
  }
  return value;
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build the native addon for this machine (cmake-js) into build-local/, which the loader takes first')
    .option('--cuda', 'compile the CUDA backend too (needs nvcc)')
    .option('--native-arch', "compile for this machine: its processor's highest x86-64 level and, with --cuda, its GPUs")
    .option('--cuda-architectures <list>', "CUDA architectures (CMake syntax, e.g. '86' or '80;90-real')", cudaArchitectures)
    .option('--out <dir>', 'the build folder, relative to the package', 'build-local')
    .action((o: BuildCliOptions) => runBuild(o));
}

async function runBuild(o: BuildCliOptions): Promise<void> {
  const missing = BUILD_TOOLS.filter((t) => spawnSync(t.command, t.args, { stdio: 'ignore' }).status !== 0);
  if (o.cuda && spawnSync('nvcc', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('--cuda needs nvcc (the CUDA toolkit) on PATH; install it or build without --cuda');
  }
  if (missing.length > 0) {
    throw new Error(`building needs ${missing.map((t) => t.command).join(', ')}: apt-get install -y ${missing.map((t) => t.apt).join(' ')}`);
  }
  const root = packageRoot();
  const out = isAbsolute(o.out) ? o.out : join(root, o.out);
  await checkOutputDirectory(out, '--out');
  const args = [
    'rebuild',
    '--directory',
    root,
    '--out',
    out,
    `--CDLOWRANK_CUDA=${o.cuda ? 'ON' : 'OFF'}`,
    `--CDLOWRANK_SIMD=${o.nativeArch ? 'AUTO' : 'V3'}`,
  ];
  const architectures = o.cudaArchitectures ?? (o.cuda && o.nativeArch ? 'native' : undefined);
  if (architectures) args.push(`--CDLOWRANK_CUDA_ARCHITECTURES=${architectures}`);
  const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
  process.stderr.write(`lowrank build: cmake-js ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`the build failed (cmake-js exited with ${r.status ?? r.signal}); its output is above`);
  process.stderr.write(`lowrank build: built ${join(out, 'Release', 'lowrank.node')}; \`lowrank info\` shows the binary in use\n`);
}
