// Training-step benchmark: this engine against a PyTorch baseline written in the reference style (Python loop over
// time, autograd, Adam), on the same machine, same thread count, in the same run.
//
//   npm run bench                 main targets + scaling tables (several minutes)
//   npm run bench -- --quick      main targets only
//   npm run bench -- --json out.json
//
// One "training step" = forward + BPTT + clipping + Adam on one minibatch, noise on (sigma 0.05), tanh, masked MSE.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FullRankRNN, LowRankRNN, backendInfo } from '../dist/index.js';
import { benchSettings, stepsFor, timingData, torchBaseline } from './training-step.mjs';

const { quick, jsonOut, threads, K, O } = benchSettings();

/** Floating-point operations of one training step (forward + backward), counted from the equations. */
function flops({ kind, N, R, B, T }) {
  const perElement = 20; // noise, tanh and its derivative, leak updates, bias, loss-side elementwise work
  const io = 2 * N * K * 3 + 2 * N * O * 3; // input drive and its two gradients; readout and its two gradients
  const rec = kind === 'lowrank' ? 2 * N * R * 6 : 2 * N * N * 3; // forward product, back-propagated product, weight gradient(s)
  return B * T * (rec + io + perElement * N);
}

async function timeEngine(cfg, repeats = 3) {
  const { kind, N, R } = cfg;
  const common = { size: N, inputs: K, outputs: O, noise: 0.05, seed: 1, threads, train: { wi: true } };
  const model = kind === 'lowrank' ? new LowRankRNN({ ...common, rank: R }) : new FullRankRNN(common);
  const data = timingData(cfg, K, O);
  const budgetMs = 1500;
  const probe = await stepsFor(model, data, 2);
  const steps = Math.max(2, Math.min(200, Math.round(budgetMs / Math.max(probe, 0.05))));
  const samples = [];
  for (let r = 0; r < repeats; r++) samples.push(await stepsFor(model, data, steps));
  model.dispose();
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function torchAvailable() {
  const r = spawnSync('python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

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

const main = [
  { group: 'target', kind: 'lowrank', N: 512, R: 1, B: 32, T: 75, target: 20 },
  { group: 'target', kind: 'lowrank', N: 512, R: 2, B: 32, T: 75, target: 20 },
  { group: 'target', kind: 'fullrank', N: 512, B: 32, T: 75, target: 3 },
];
const scaling = quick
  ? []
  : [
      ...[128, 256, 1024, 2048, 4096].map((N) => ({ group: 'N', kind: 'lowrank', N, R: 1, B: 32, T: 75 })),
      ...[4, 8].map((R) => ({ group: 'R', kind: 'lowrank', N: 512, R, B: 32, T: 75 })),
      ...[8, 128, 512].map((B) => ({ group: 'B', kind: 'lowrank', N: 512, R: 1, B, T: 75 })),
      ...[25, 225].map((T) => ({ group: 'T', kind: 'lowrank', N: 512, R: 1, B: 32, T })),
      ...[128, 1024].map((N) => ({ group: 'N (full-rank)', kind: 'fullrank', N, B: 32, T: 75 })),
    ];
const configs = [...main, ...scaling];

const info = backendInfo();
const torchVersion = torchAvailable();
console.log(`lowrank-rnn ${info.version}, ${info.binary.split('/').slice(-3).join('/')}, ${threads} threads, SIMD: ${info.simd}`);
if (!torchVersion) console.log('PyTorch is not installed (pip install torch numpy): engine timings only, no ratios.');
const peak = torchVersion ? sgemmPeak() : undefined;
if (peak) console.log(`measured sgemm peak (torch, 2048^3, ${threads} threads): ${peak.toFixed(1)} GFLOP/s`);

const ours = [];
for (const c of configs) ours.push(await timeEngine(c));
const theirs = torchVersion ? torchBaseline(configs, { threads, device: 'cpu', K, O }) : new Map();

const rows = configs.map((c, i) => {
  const ms = ours[i];
  const torchMs = theirs.get(i);
  const gflops = flops({ ...c, R: c.R ?? 0 }) / (ms * 1e6);
  return { ...c, ms, torchMs, speedup: torchMs ? torchMs / ms : undefined, gflops, peakFraction: peak ? gflops / peak : undefined };
});

const header = '| group | model | N | R | B | T | engine ms/step | PyTorch ms/step | speed-up | target | GFLOP/s | of sgemm peak |';
console.log('\n' + header + '\n|' + '---|'.repeat(12));
for (const r of rows) {
  const cells = [
    r.group, r.kind, r.N, r.kind === 'lowrank' ? r.R : '-', r.B, r.T, r.ms.toFixed(2), r.torchMs?.toFixed(1) ?? '-',
    r.speedup ? `${r.speedup.toFixed(1)}x` : '-', r.target ? `${r.target}x` : '', r.gflops.toFixed(1),
    r.peakFraction ? `${(100 * r.peakFraction).toFixed(0)} %` : '-',
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
if (torchVersion) console.log(`\nPyTorch ${torchVersion}; same machine, ${threads} threads, same run.`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ info, threads, torch: torchVersion, sgemmPeak: peak, rows }, null, 2));
