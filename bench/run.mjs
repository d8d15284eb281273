// Training-step benchmark: this engine against a PyTorch baseline written in the reference style (Python loop over
// time, autograd, Adam), on the same machine, same thread count, in the same run. A thin wrapper over
// `lowrank bench training-step` (ts/bench/training-step.ts, baseline assets/bench/torch_baseline.py) that adds the
// developer's reference figure: the measured sgemm peak, to read the GFLOP/s in each row's note against.
//
//   npm run bench                 target rows + scaling rows (several minutes)
//   npm run bench -- --quick      target rows only
//   npm run bench -- --json out.json
//
// One "training step" = forward + BPTT + clipping + Adam on one minibatch, noise on (sigma 0.05), tanh, masked MSE.
// BENCH_THREADS sets the threads (default: every hardware thread).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const threads = Number(process.env.BENCH_THREADS ?? availableParallelism());

function sgemmPeak() {
  const code = `import torch, time
torch.set_num_threads(${threads})
n = 2048
a = torch.randn(n, n); b = torch.randn(n, n)
for _ in range(3): a @ b
t = time.perf_counter(); reps = 10
for _ in range(reps): a @ b
print(2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9)`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

const peak = sgemmPeak();
if (peak) console.log(`measured sgemm peak (torch, 2048^3, ${threads} threads): ${peak.toFixed(1)} GFLOP/s`);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const r = spawnSync(process.execPath, [cli, 'bench', 'training-step', '--threads', String(threads), ...argv], { stdio: 'inherit' });
process.exit(r.status ?? 1);
