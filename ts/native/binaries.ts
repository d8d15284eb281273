// Which addon binaries exist for this machine, in the order the loader tries them, and why any is passed over:
//   1. LOWRANK_NATIVE_PATH, when set (then nothing else);
//   2. the user's own build, `lowrank build` (build-local/), made for this machine;
//   3. development builds from a checkout (cmake-js: build-cmake, build-cmake-cpu) and the node-gyp build
//      (build/Release), which is also where `npm install` builds from source when no prebuilt binary fits;
//   4. the prebuilt binaries shipped in the package (prebuilds/<platform>-<arch>/, listed in its manifest.json): each
//      is taken only where its platform, architecture, Node-API version and CPU level fit, and a CUDA one only where
//      an NVIDIA driver is present.
// The checks are cheap (files, /proc): a binary is never loaded to find out that it cannot run here, since a binary
// compiled for AVX2 on a CPU without it fails at its first instruction, not when it loads.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** How a binary came to be: named by LOWRANK_NATIVE_PATH, built by the user, by a checkout, at install, or shipped. */
export type BinaryOrigin = 'override' | 'local-build' | 'development-build' | 'source-build' | 'prebuilt';

/** A binary the loader may try, or one it passed over (`skip` says why). */
export interface BinaryCandidate {
  path: string;
  origin: BinaryOrigin;
  /** What the binary is, in words ("prebuilt for linux-x64, x86-64-v3, with CUDA"). */
  description: string;
  /** Whether the binary has the CUDA backend, when that is known before loading it. */
  cuda?: boolean;
  /** Why it is not tried here (not built, another platform, a CPU without the instructions it needs, no driver). */
  skip?: string;
}

/** One binary of a prebuilds folder's manifest.json. */
export interface PrebuiltBinary {
  /** The file, relative to the manifest. */
  file: string;
  platform: string;
  arch: string;
  /** The Node-API version it was built for (it runs on any Node whose Node-API version is at least this). */
  napi: number;
  /** The CPU level it was compiled for: 'x86-64-v3' (AVX2, FMA), 'x86-64-v4' (AVX-512) or 'baseline'. */
  cpu: string;
  cuda: boolean;
  /** The CUDA architectures compiled in (CUDA builds). */
  cudaArchitectures?: string;
}

/** What the selection needs to know about this machine (read from the running process and /proc; tests pass their own). */
export interface MachineFacts {
  platform: string;
  arch: string;
  /** The Node-API version of the running Node. */
  napi: number;
  /** The CPU's feature flags (/proc/cpuinfo), or undefined where they cannot be read. */
  cpuFlags?: ReadonlySet<string>;
  /** Whether an NVIDIA driver is present (/proc/driver/nvidia/version). */
  nvidiaDriver: boolean;
}

/** The x86-64 micro-architecture levels, by the /proc/cpuinfo flags they need. */
const CPU_LEVELS: Readonly<Record<string, readonly string[]>> = {
  baseline: [],
  'x86-64-v3': ['abm', 'avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'movbe', 'xsave'],
  'x86-64-v4': ['abm', 'avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'movbe', 'xsave', 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'],
};

/** Development and source builds, relative to the package root, in order of preference. */
export const BUILD_FOLDERS: readonly { path: string; origin: BinaryOrigin; description: string }[] = [
  { path: 'build-local/Release/lowrank.node', origin: 'local-build', description: 'your own build (lowrank build)' },
  { path: 'build-cmake/Release/lowrank.node', origin: 'development-build', description: 'cmake-js build (npm run build:native)' },
  { path: 'build-cmake-cpu/Release/lowrank.node', origin: 'development-build', description: 'cmake-js CPU build (npm run build:native:cpu)' },
  { path: 'build/Release/lowrank.node', origin: 'source-build', description: 'node-gyp build (at install, or npm run build:native:gyp)' },
];

/** The folder of the prebuilt binaries for a platform and architecture, relative to the package root. */
export function prebuildFolder(platform: string, arch: string): string {
  return join('prebuilds', `${platform}-${arch}`);
}

/** The facts of the running machine. */
export function thisMachine(): MachineFacts {
  return {
    platform: process.platform,
    arch: process.arch,
    napi: Number(process.versions.napi ?? 0),
    cpuFlags: readCpuFlags(),
    nvidiaDriver: existsSync('/proc/driver/nvidia/version'),
  };
}

function readCpuFlags(): ReadonlySet<string> | undefined {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => /^flags\s*:/.test(l));
    return line ? new Set(line.split(':')[1].trim().split(/\s+/)) : undefined;
  } catch {
    return undefined;
  }
}

/** Why this machine cannot run a prebuilt binary, or undefined when it can. */
export function unfit(binary: PrebuiltBinary, machine: MachineFacts): string | undefined {
  if (binary.platform !== machine.platform || binary.arch !== machine.arch) {
    return `built for ${binary.platform}-${binary.arch}, this is ${machine.platform}-${machine.arch}`;
  }
  if (machine.napi < binary.napi) return `built for Node-API ${binary.napi}, this Node has Node-API ${machine.napi} (update Node)`;
  const needs = CPU_LEVELS[binary.cpu];
  if (needs === undefined) return `built for an unknown CPU level '${binary.cpu}'`;
  if (needs.length > 0) {
    if (!machine.cpuFlags) return `built for ${binary.cpu}, and this CPU's features cannot be read`;
    const missing = needs.filter((f) => !machine.cpuFlags!.has(f));
    if (missing.length > 0) return `built for ${binary.cpu}, and this CPU lacks ${missing.join(', ')}`;
  }
  if (binary.cuda && !machine.nvidiaDriver) return 'has the CUDA backend, and no NVIDIA driver is present (/proc/driver/nvidia/version)';
  return undefined;
}

/** The prebuilt binaries of a package folder for this platform (from its manifest), each with why it is unfit, if so. */
export function prebuiltCandidates(root: string, machine: MachineFacts): BinaryCandidate[] {
  const folder = join(root, prebuildFolder(machine.platform, machine.arch));
  const manifestPath = join(folder, 'manifest.json');
  if (!existsSync(manifestPath)) {
    return [{ path: folder, origin: 'prebuilt', description: `prebuilt binaries for ${machine.platform}-${machine.arch}`, skip: 'none shipped for this platform' }];
  }
  let binaries: PrebuiltBinary[];
  try {
    binaries = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { binaries: PrebuiltBinary[] }).binaries;
    if (!Array.isArray(binaries)) throw new Error("no 'binaries' list");
  } catch (err) {
    return [{ path: manifestPath, origin: 'prebuilt', description: 'the prebuilt binaries manifest', skip: `unreadable: ${(err as Error).message}` }];
  }
  return binaries.map((b) => {
    const path = join(folder, b.file);
    const description = `prebuilt for ${b.platform}-${b.arch}, ${b.cpu}, Node-API ${b.napi}${b.cuda ? `, with CUDA (${b.cudaArchitectures ?? 'architectures not listed'})` : ', CPU only'}`;
    const skip = unfit(b, machine) ?? (existsSync(path) ? undefined : 'listed in the manifest but missing');
    return { path, origin: 'prebuilt' as const, description, cuda: b.cuda, skip };
  });
}

/** Every binary the loader may try for this machine, in order; the ones it must pass over say why. */
export function binaryCandidates(root: string, machine: MachineFacts = thisMachine(), override = process.env.LOWRANK_NATIVE_PATH): BinaryCandidate[] {
  if (override) return [{ path: resolve(override), origin: 'override', description: 'named by LOWRANK_NATIVE_PATH' }];
  const builds = BUILD_FOLDERS.map((b) => ({
    path: join(root, b.path),
    origin: b.origin,
    description: b.description,
    skip: existsSync(join(root, b.path)) ? undefined : 'not built',
  }));
  return [...builds, ...prebuiltCandidates(root, machine)];
}

/**
 * The one command that gives a loadable binary where none loads: in a checkout, the development build; in an
 * installed package, a source build (which needs a compiler, make, python3, pkg-config and Eigen).
 */
export function fixCommand(root: string): string {
  if (existsSync(join(root, 'ts')) && existsSync(join(root, 'CMakeLists.txt'))) {
    return 'npm run build:native   (in the checkout; CPU only: npm run build:native:cpu or npm run build:native:gyp)';
  }
  return (
    'npm rebuild lowrank-rnn   (builds the addon from source; it needs a C++17 compiler, make, python3, pkg-config ' +
    'and Eigen 3.4: apt-get install -y g++ make python3 pkg-config libeigen3-dev)'
  );
}
