// Fits per hour of E small LINT fits trained as one ensemble (trainEnsemble) against E separate train() calls
// (sequential and Promise.all) and PyTorch with torch.func.vmap, side by side in one run. A thin wrapper over
// `lowrank bench ensembles` (ts/bench/ensembles.ts, baseline assets/bench/ensembles_torch.py). Usage (after
// `npm run build`):
//   node bench/ensembles.mjs [--quick] [--json FILE]        (BENCH_THREADS: threads, default all cores)
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const threads = Number(process.env.BENCH_THREADS ?? availableParallelism());
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const r = spawnSync(process.execPath, [cli, 'bench', 'ensembles', '--threads', String(threads), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
