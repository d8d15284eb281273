// Fits per hour of E small LINT fits trained as one ensemble (trainEnsemble) against E separate train() calls
// (sequential and Promise.all) and PyTorch with torch.func.vmap, side by side in one run: the `ensembles` suite
// (ts/bench/ensembles.ts), run without the `lowrank bench` command. Usage (after `npm run build`):
//   node bench/ensembles.mjs [--quick] [--json FILE]        (BENCH_THREADS: threads, default all cores)
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { backendInfo } from '../dist/index.js';
import { ensemblesSuite } from '../dist/bench-ensembles.js';

const argv = process.argv.slice(2);
const jsonOut = argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined;
const info = backendInfo();

const context = {
  quick: argv.includes('--quick'),
  threads: Number(process.env.BENCH_THREADS ?? availableParallelism()),
  cuda: info.backend === 'cuda',
  log: (line) => process.stderr.write(`${line}\n`),
  async runPython(script, args, modules = []) {
    const check = spawnSync('python3', ['-c', modules.map((m) => `import ${m}`).join('; ') || 'pass'], { encoding: 'utf8' });
    if (check.status !== 0) {
      context.log(`baseline ${script} skipped: python3 with ${modules.join(', ')} is needed (pip install ${modules.join(' ')})`);
      return null;
    }
    const path = new URL(`../assets/bench/${script}`, import.meta.url).pathname;
    const r = spawnSync('python3', [path, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1));
  },
};

const started = new Date().toISOString();
const load = loadavg()[0];
const rows = await ensemblesSuite.run(context);
console.log(`ensembles (${started}, ${context.threads} threads, load average ${load.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end)`);
console.log('| E | N | vs | ensemble fits/h | baseline fits/h | ratio | target | note |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const ratio = r.baseline ? `${(r.ours / r.baseline).toFixed(2)}x` : '-';
  const against = r.name.slice(r.name.indexOf(' vs ') + 4);
  console.log(`| ${r.params.E} | ${r.params.N} | ${against} | ${Math.round(r.ours)} | ${r.baseline ? Math.round(r.baseline) : '-'} | ${ratio} | ${r.target ? `${r.target}x` : ''} | ${r.note ?? ''} |`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
