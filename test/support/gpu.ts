// What the CUDA backend's tests share: the targets they run on, and the emulator's reversed thread order.
import { backendInfo } from '../../ts/index.js';

export type GpuTarget = 'cuda-emulated' | 'cuda';

/** Whether this machine has a usable CUDA device, and why not. */
export const cudaInfo = backendInfo({ device: 'auto' }).cuda;

/**
 * The targets a GPU test file runs on: 'cuda-emulated' (the CUDA kernels on host threads) always, 'cuda' when a
 * device is present; a skipped target is logged with the reason (`suite` names the file's tests).
 */
export function gpuTargets(suite: string): { target: GpuTarget; skip: boolean }[] {
  if (!cudaInfo.available) console.log(`${suite} on 'cuda' skipped: no CUDA device: ${cudaInfo.reason ?? 'none found'}`);
  return [
    { target: 'cuda-emulated', skip: false },
    { target: 'cuda', skip: !cudaInfo.available },
  ];
}

/**
 * `run` with the emulator executing each barrier phase's threads last to first (LOWRANK_SIMT_ORDER=reverse): a kernel
 * whose threads read what another thread wrote without a barrier between gives other bits than in the default order.
 */
export async function reversedThreadOrder<T>(run: () => Promise<T>): Promise<T> {
  process.env.LOWRANK_SIMT_ORDER = 'reverse';
  try {
    return await run();
  } finally {
    delete process.env.LOWRANK_SIMT_ORDER;
  }
}
