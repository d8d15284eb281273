// Training-step benchmark on a CUDA GPU: this engine's CUDA backend against its CPU backend and against PyTorch on
// the same GPU written in the reference style (Python loop over time, autograd, Adam), in the same run.
//
//   node bench/gpu.mjs             target row + scaling in N, R, B and the full-rank path (a few minutes)
//   node bench/gpu.mjs --quick     target row and a handful of rows (about a minute)
//   node bench/gpu.mjs --json out.json
//
// One "training step" = forward + BPTT + clipping + Adam on one minibatch, noise on (sigma 0.05), tanh, masked MSE,
// float32. Then the eigenpairs of low-rank nets' Jacobians at many states (analysis.linearize, the reduced R x R
// problems with left and right vectors) on the GPU against the CPU backend's threads. Needs a build with CUDA (npm run build) on a machine with a device; PyTorch with CUDA for the ratios.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FullRankRNN, LowRankRNN, Random, analysis, backendInfo } from '../dist/index.js';
import { benchSettings, stepsFor, timingData, torchBaseline } from './training-step.mjs';

const { quick, jsonOut, threads, K, O } = benchSettings();

const info = backendInfo({ device: 'auto' });
if (!info.cuda.available) {
  console.log(`no CUDA device: ${info.cuda.reason}. This benchmark needs a GPU (see bench/README.md).`);
  process.exit(0);
}

async function timeEngine(cfg, device, budgetMs = 1500) {
  const { kind, N, R } = cfg;
  const common = { size: N, inputs: K, outputs: O, noise: 0.05, seed: 1, threads, device, train: { wi: true } };
  const model = kind === 'lowrank' ? new LowRankRNN({ ...common, rank: R }) : new FullRankRNN(common);
  if (model.device !== device) throw new Error(`asked for device ${device}, got ${model.device}`);
  const data = timingData(cfg, K, O);
  await stepsFor(model, data, 2); // warm-up: allocations, first launches
  const probe = await stepsFor(model, data, 2);
  const steps = Math.max(2, Math.min(500, Math.round(budgetMs / Math.max(probe, 0.01))));
  const samples = [];
  for (let r = 0; r < 3; r++) samples.push(await stepsFor(model, data, steps));
  model.dispose();
  samples.sort((a, b) => a - b);
  return samples[1];
}

function torchCuda() {
  const r = spawnSync('python3', ['-c', 'import torch; assert torch.cuda.is_available(); print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const target = { group: 'target', kind: 'lowrank', N: 512, R: 2, B: 32, T: 75, target: 10, cpu: true };
const rows = quick
  ? [
      target,
      { group: 'N', kind: 'lowrank', N: 8192, R: 2, B: 32, T: 75 },
      { group: 'B', kind: 'lowrank', N: 512, R: 2, B: 1024, T: 75 },
      { group: 'full-rank', kind: 'fullrank', N: 512, B: 32, T: 75, cpu: true },
    ]
  : [
      { group: 'target', kind: 'lowrank', N: 512, R: 1, B: 32, T: 75, cpu: true },
      target,
      ...[2048, 8192].map((N) => ({ group: 'N', kind: 'lowrank', N, R: 2, B: 32, T: 75, cpu: N <= 2048 })),
      ...[4].map((R) => ({ group: 'R', kind: 'lowrank', N: 512, R, B: 32, T: 75 })),
      ...[256, 1024].map((B) => ({ group: 'B', kind: 'lowrank', N: 512, R: 2, B, T: 75, cpu: B <= 256 })),
      { group: 'N x B', kind: 'lowrank', N: 8192, R: 4, B: 1024, T: 75 },
      ...[512, 2048].map((N) => ({ group: 'full-rank', kind: 'fullrank', N, B: 32, T: 75, cpu: N <= 512 })),
      { group: 'full-rank', kind: 'fullrank', N: 2048, B: 256, T: 75 },
    ];

const dev = info.cuda.devices[0];
console.log(`lowrank-rnn ${info.version}; ${dev.name} (compute ${dev.computeCapability}, ${(dev.totalMemory / 2 ** 30).toFixed(0)} GiB); CPU backend on ${threads} threads`);
const torchVersion = torchCuda();
if (!torchVersion) console.log('PyTorch with CUDA is not installed: engine timings only, no ratios.');

const gpu = [];
const cpu = [];
for (const c of rows) {
  gpu.push(await timeEngine(c, 'cuda'));
  cpu.push(c.cpu ? await timeEngine(c, 'cpu', 3000) : undefined);
}
const theirs = torchVersion ? torchBaseline(rows, { threads, device: 'cuda', K, O }) : new Map();

const header = '| group | model | N | R | B | T | CUDA ms/step | CPU ms/step | PyTorch CUDA ms/step | vs CPU | vs PyTorch | target |';
console.log('\n' + header + '\n|' + '---|'.repeat(12));
const results = rows.map((r, i) => {
  const torchMs = theirs.get(i);
  const out = { ...r, cudaMs: gpu[i], cpuMs: cpu[i], torchMs, vsCpu: cpu[i] ? cpu[i] / gpu[i] : undefined, vsTorch: torchMs ? torchMs / gpu[i] : undefined };
  const cells = [
    r.group, r.kind, r.N, r.kind === 'lowrank' ? r.R : '-', r.B, r.T, gpu[i].toFixed(3), cpu[i]?.toFixed(2) ?? '-', torchMs?.toFixed(2) ?? '-',
    out.vsCpu ? `${out.vsCpu.toFixed(1)}x` : '-', out.vsTorch ? `${out.vsTorch.toFixed(1)}x` : '-', r.target ? `${r.target}x` : '',
  ];
  console.log(`| ${cells.join(' | ')} |`);
  return out;
});
if (torchVersion) console.log(`\nPyTorch ${torchVersion} on the same GPU, same run.`);

/** Milliseconds for the eigenpairs (left and right vectors) at `points` states, the median of three runs. */
async function timeEigenpairs(model, states, device) {
  const opts = { vectors: 'both', device, threads };
  await analysis.linearize(model, states, opts); // warm-up
  const samples = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await analysis.linearize(model, states, opts);
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b)[1];
}

const eigenRows = quick ? [{ N: 512, R: 2, points: 1000 }] : [{ N: 512, R: 2, points: 1000 }, { N: 4096, R: 2, points: 1000 }, { N: 4096, R: 4, points: 1000 }];
console.log('\n| eigenpairs of the Jacobian | N | R | states | CUDA ms | CPU ms | vs CPU |\n|---|---|---|---|---|---|---|');
const eigenResults = [];
for (const r of eigenRows) {
  const model = new LowRankRNN({ size: r.N, rank: r.R, inputs: 1, outputs: 1, dtype: 'float64', seed: 3, device: 'cpu' });
  const states = { data: new Random(4).fillNormal(new Float64Array(r.points * r.N)), shape: [r.points, r.N] };
  const cudaMs = await timeEigenpairs(model, states, 'cuda');
  const cpuMs = await timeEigenpairs(model, states, 'cpu');
  eigenResults.push({ ...r, cudaMs, cpuMs });
  console.log(`| reduced, left and right vectors | ${r.N} | ${r.R} | ${r.points} | ${cudaMs.toFixed(1)} | ${cpuMs.toFixed(1)} | ${(cpuMs / cudaMs).toFixed(1)}x |`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ info, threads, torch: torchVersion, rows: results, eigenpairs: eigenResults }, null, 2));
