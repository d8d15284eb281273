// Finds and loads the native addon, picks the backend, and reports what was built and what is in use.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LapackInfo, NativeBackendInfo, NativeBinding } from './binding.js';
import { binaryCandidates, fixCommand, type BinaryCandidate, type BinaryOrigin, type MachineFacts } from './binaries.js';
import { checkValue, is } from '../core/validate.js';

/**
 * Where models and analyses run: 'cpu'; 'cuda' (an NVIDIA GPU; an error when none is usable); 'auto' (CUDA when a
 * device is usable, else the CPU); or 'cuda-emulated', for testing: the CUDA backend's kernels run by host threads
 * (slow, but it checks the GPU code on machines without a GPU). The default is LOWRANK_DEVICE, else 'auto'.
 */
export type Device = 'auto' | 'cpu' | 'cuda' | 'cuda-emulated';

/** Every device name, in the order error messages list them. */
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'cuda-emulated'];

/** A device once chosen: what a model runs on ('auto' resolved). */
export type ResolvedDevice = Exclude<Device, 'auto'>;

/**
 * Thrown when no native addon can be loaded; the message lists every binary tried and the build command, and
 * `attempts` holds one line per binary.
 */
export class NativeLoadError extends Error {
  constructor(
    message: string,
    readonly attempts: string[],
  ) {
    super(message);
    this.name = 'NativeLoadError';
  }
}

/** Thrown when device 'cuda' is asked for but no CUDA device can be used. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/** A loaded native addon: its bindings, the path of its binary and what it was built with. */
export interface LoadedNative {
  /** The addon's exports (private to the package). */
  binding: NativeBinding;
  /** The binary loaded. */
  path: string;
  /** What the binary was built with and the CUDA devices it sees. */
  info: NativeBackendInfo;
  /** How the binary came to be (your own build, a development or source build, a prebuilt one, the override). */
  origin: BinaryOrigin;
  /** Why this binary was taken. */
  reason: string;
  /** Every binary considered before it, each with what happened ("not built", "skipped: ...", a load error). */
  attempts: string[];
}

const nodeRequire = createRequire(import.meta.url);

/** The package root: the nearest folder above this module whose package.json is lowrank-rnn's. */
export function packageRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'lowrank-rnn') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new NativeLoadError('cannot find the lowrank-rnn package root above ' + start, []);
    dir = up;
  }
}

export function packageVersion(root = packageRoot()): string {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
}

function cudaUsable(info: NativeBackendInfo): boolean {
  return info.cuda.compiled && info.cuda.devices.length > 0;
}

/** The path and what it is, for attempt lines. */
const label = (c: BinaryCandidate) => `${c.path} (${c.description})`;

/**
 * Loads the first addon that works for `device`, trying the binaries of `binaryCandidates` in order (binaries.ts says
 * which and why). 'cpu' and 'cuda-emulated' take the first binary that loads; 'auto' prefers one with CUDA compiled
 * and a device present, else takes the first that loads; 'cuda' needs a usable device. When none loads, throws one
 * NativeLoadError listing every binary considered and the one command that fixes it.
 */
export function loadNative(opts: { device?: Device; root?: string; machine?: MachineFacts } = {}): LoadedNative {
  const device = opts.device ?? 'auto';
  const root = opts.root ?? packageRoot();
  const attempts: string[] = [];
  const loaded: LoadedNative[] = [];
  for (const candidate of binaryCandidates(root, opts.machine)) {
    if (candidate.skip) {
      attempts.push(`${label(candidate)}: ${candidate.skip === 'not built' ? 'not built' : `skipped: ${candidate.skip}`}`);
      continue;
    }
    const entry = tryLoad(candidate, attempts);
    if (!entry) continue;
    if (device !== 'auto' && device !== 'cuda') return { ...entry, reason: `the first binary that loads (${candidate.description})` };
    if (cudaUsable(entry.info)) return { ...entry, reason: `the first binary with a usable CUDA device (${candidate.description})` };
    attempts.push(`${label(candidate)}: loaded; ${entry.info.cuda.compiled ? (entry.info.cuda.reason ?? 'CUDA compiled, no device found') : 'CUDA not compiled'}`);
    loaded.push(entry);
  }
  if (loaded.length > 0) {
    if (device === 'cuda') {
      throw new BackendUnavailableError(
        `device 'cuda' was requested but no CUDA device can be used:\n  ${attempts.join('\n  ')}\n` +
          `Use device 'auto' or 'cpu'; for the GPU, install the NVIDIA driver (nvidia-smi must work) and, where no ` +
          `binary with CUDA fits, build one: npx lowrank build --cuda`,
      );
    }
    return { ...loaded[0], reason: `the first binary that loads; none has a usable CUDA device (${loaded[0].reason})` };
  }
  throw new NativeLoadError(
    `lowrank-rnn: no native addon could be loaded. Tried:\n  ${attempts.join('\n  ')}\nFix: ${fixCommand(root)}`,
    attempts,
  );
}

/** Loads one binary; a failure is recorded in `attempts` (with its first line) and gives undefined. */
function tryLoad(candidate: BinaryCandidate, attempts: string[]): LoadedNative | undefined {
  try {
    const binding = nodeRequire(candidate.path) as NativeBinding;
    const info = binding.backendInfo();
    return { binding, path: candidate.path, info, origin: candidate.origin, reason: candidate.description, attempts: [...attempts] };
  } catch (err) {
    attempts.push(`${label(candidate)}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

function deviceFromEnv(): Device | undefined {
  const env = process.env.LOWRANK_DEVICE;
  if (env === undefined || env === '') return undefined;
  return checkValue<Device>('LOWRANK_DEVICE', 'device', env, is.oneOf(DEVICES));
}

const cache = new Map<Device, LoadedNative>();

/** The addon for `device` (default: LOWRANK_DEVICE or 'auto'), loaded once per process. */
export function native(device?: Device): LoadedNative {
  const d = device ?? deviceFromEnv() ?? 'auto';
  let entry = cache.get(d);
  if (!entry) {
    entry = loadNative({ device: d });
    cache.set(d, entry);
  }
  return entry;
}

/**
 * The one place a device is chosen: `device` (default LOWRANK_DEVICE, else 'auto') with 'auto' resolved to 'cuda'
 * when a CUDA device is usable and to 'cpu' otherwise. 'cuda' without a usable device throws BackendUnavailableError.
 */
export function resolveDevice(device?: Device, where = 'resolveDevice'): ResolvedDevice {
  if (device !== undefined) checkValue(where, 'device', device, is.oneOf(DEVICES));
  const d = device ?? deviceFromEnv() ?? 'auto';
  if (d === 'cpu' || d === 'cuda-emulated') return d;
  const { info } = native(d);
  return cudaUsable(info) ? 'cuda' : 'cpu';
}

/** What {@link backendInfo} returns. */
export interface BackendInfo {
  /** The package version. */
  version: string;
  /** Backends compiled into the loaded binary. */
  compiled: string[];
  /** The backend new models use with the device asked for (default: LOWRANK_DEVICE, else 'auto'). */
  backend: ResolvedDevice;
  /** The path of the loaded addon. */
  binary: string;
  /** How that binary came to be, why it was taken, and every binary considered before it. */
  loader: { origin: BinaryOrigin; reason: string; attempts: string[] };
  /** Hardware threads, the CPU threads a call with `threads: 0` uses. */
  threads: number;
  /** The SIMD instruction sets the binary was compiled for. */
  simd: string;
  /** The Eigen version compiled in. */
  eigen: string;
  /** The LAPACK used for dense eigenproblems and SVDs, or why Eigen's solvers are used (docs/analysis.md). */
  lapack: LapackInfo;
  /** The CUDA backend: whether it was compiled and can be used, and the devices it sees. */
  cuda: {
    /** Whether the binary has the CUDA backend. */
    compiled: boolean;
    /** Whether it was compiled and a device is present. */
    available: boolean;
    /** Each device: name, compute capability, memory in bytes, multiprocessors. */
    devices: { name: string; computeCapability: string; totalMemory: number; multiprocessors: number }[];
    /** The CUDA driver version, as cudaDriverGetVersion reports it. */
    driverVersion: number;
    /** The CUDA runtime version, as cudaRuntimeGetVersion reports it. */
    runtimeVersion: number;
    /** Why CUDA cannot be used, when it cannot. */
    reason?: string;
  };
}

/** What was built, which backend is used and, for CUDA, the device or the reason none is usable. */
export function backendInfo(opts: { device?: Device } = {}): BackendInfo {
  const { info, path, origin, reason, attempts } = native(opts.device);
  const available = cudaUsable(info);
  return {
    version: packageVersion(),
    compiled: info.compiled,
    backend: resolveDevice(opts.device, 'backendInfo'),
    binary: path,
    loader: { origin, reason, attempts },
    threads: info.threads,
    simd: info.simd,
    eigen: info.eigen,
    lapack: info.lapack,
    cuda: {
      compiled: info.cuda.compiled,
      available,
      devices: info.cuda.devices,
      driverVersion: info.cuda.driverVersion,
      runtimeVersion: info.cuda.runtimeVersion,
      reason: available ? undefined : info.cuda.reason,
    },
  };
}
