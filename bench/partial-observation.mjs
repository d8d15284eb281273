// Reproduces seed 003's partial-observation claims at the authors' scale and prints the tables of
// docs/partial-observation.md (after `npx tsup`; about 5 minutes on the 2-core machine).
//
//   node bench/partial-observation.mjs                   every section
//   node bench/partial-observation.mjs feedforward sweep some sections: line, feedforward, lowrank, cycle, bptt, sweep
//   node bench/partial-observation.mjs --seeds 3         simulation seeds per setting (default 5)
//
// Settings are the authors' (public code): D = 500 units, T = 5000 steps, a = 0.01, process noise s = 0.2, ridge
// 1e-3, no measurement noise, phi linear unless said. Results also go to bench/out/partial-observation-<section>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { partialObservation as po } from '../dist/index.js';

const args = process.argv.slice(2);
const value = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const seeds = Array.from({ length: value('--seeds', 5) }, (_, i) => i);
const sections = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--seeds'));
const wanted = (s) => sections.length === 0 || sections.includes(s);
const outDir = join(import.meta.dirname, 'out');
mkdirSync(outDir, { recursive: true });
const f = (x, digits = 3) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const ms = (xs, digits = 2) => `${f(mean(xs), digits)} ± ${f(sd(xs), digits)}`;
const re = (s, i) => s.eigenvalues.data[2 * i];
const BASE = { steps: 5000, alpha: 0.01, noise: 0.2 };
const save = (name, rows) => writeFileSync(join(outDir, `partial-observation-${name}.json`), JSON.stringify(rows, null, 1));
const t0 = performance.now();
const log = (s) => process.stdout.write(`${s}\n`);

/** Closed-form students of `teacher` at each d: simulated (mean ± sd over seeds; also at T = 30000 over 3 seeds
 * with `long`) and the T -> infinity limit. */
async function scores(teacher, units, long = false, simulation = BASE) {
  const rows = [];
  const students = async (d, steps, list) => {
    const sim = [], lead = [];
    for (const seed of list) {
      const run = await po.simulateTeacher(teacher, { ...simulation, steps, units: d, seed });
      const e = await po.estimate(run.observed, { alpha: simulation.alpha, ridge: 1e-3 });
      sim.push(e.lineAttractorScore);
      lead.push([re(e, 0), re(e, 1)]);
    }
    return { sim, lead };
  };
  for (const d of units) {
    const short = await students(d, simulation.steps, seeds);
    const longer = long ? await students(d, 30000, seeds.slice(0, 3)) : undefined;
    const lim = await po.stationaryLimit(teacher.weights, { alpha: simulation.alpha, noise: simulation.noise, units: d });
    rows.push({ d, simulated: short.sim, lead: short.lead, long: longer?.sim, longLead: longer?.lead, limit: lim.lineAttractorScore, limitLead: [re(lim, 0), re(lim, 1)] });
  }
  return rows;
}

if (wanted('line')) {
  const t = await po.teacher('line-attractor', { size: 500, eps: 1e-3, others: [0.2, 0.2], seed: 1 });
  const rows = await scores(t, [25, 50, 250], true);
  save('line', rows);
  log(`\n### Normal line attractor (D = 500, eps = 1e-3, others 0.2; teacher score ${f(Math.log2(1000 / 1.25), 2)})\n`);
  log('| d | score, T = 5000 (5 seeds) | Re λ̂1, λ̂2 (mean) | score, T = 30000 (3 seeds) | Re λ̂1, λ̂2 (mean) | limit score | limit λ̂1, λ̂2 | 1 - eps - eps D / d |');
  log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) log(`| ${r.d} | ${ms(r.simulated)} | ${f(mean(r.lead.map((x) => x[0])), 4)}, ${f(mean(r.lead.map((x) => x[1])), 4)} | ${ms(r.long)} | ${f(mean(r.longLead.map((x) => x[0])), 4)}, ${f(mean(r.longLead.map((x) => x[1])), 4)} | ${f(r.limit, 2)} | ${f(r.limitLead[0], 4)}, ${f(r.limitLead[1], 4)} | ${f(1 - 1e-3 - (1e-3 * 500) / r.d, 4)} |`);
}

if (wanted('feedforward')) {
  const t = await po.teacher('feedforward', { size: 500, beta: 0.5, seed: 1 });
  const rows = await scores(t, [10, 25, 50, 250], true);
  save('feedforward', rows);
  log('\n### Feed-forward chain (D = 500, beta = 0.5; every eigenvalue 0, teacher score 0; seed 003 fig. 2: 6.13)\n');
  log('| d | score, T = 5000 (5 seeds) | Re λ̂1 (mean) | score, T = 30000 (3 seeds) | Re λ̂1 (mean) | limit score | limit λ̂1 |');
  log('|---|---|---|---|---|---|---|');
  for (const r of rows) log(`| ${r.d} | ${ms(r.simulated)} | ${f(mean(r.lead.map((x) => x[0])), 4)} | ${ms(r.long)} | ${f(mean(r.longLead.map((x) => x[0])), 4)} | ${f(r.limit, 2)} | ${f(r.limitLead[0], 4)} |`);
}

if (wanted('lowrank')) {
  const t = await po.teacher('low-rank', { size: 500, rank: 2, seed: 1 });
  const rows = await scores(t, [250, 100, 50, 25, 10]);
  save('lowrank', rows);
  log('\n### Non-normal low rank (D = 500, r = 2, gamma^2 = D / sqrt(r); every eigenvalue 0)\n');
  log('| d / D | Re λ̂1, λ̂2 (T = 5000, mean) | limit Re λ̂1, λ̂2 |');
  log('|---|---|---|');
  for (const r of rows) log(`| ${r.d / 500} | ${f(mean(r.lead.map((x) => x[0])))}, ${f(mean(r.lead.map((x) => x[1])))} | ${f(r.limitLead[0])}, ${f(r.limitLead[1])} |`);
}

if (wanted('cycle')) {
  const t = await po.teacher('oscillator', { size: 200, shift: 3, seed: 1 });
  const teacherCycle = await po.limitCycle({ weights: t.weights, activation: 'tanh', alpha: 0.01 });
  const rows = [];
  for (const d of [5, 10, 25, 50])
    for (const seed of seeds.slice(0, 3)) {
      const run = await po.simulateTeacher(t, { steps: 20000, alpha: 0.01, noise: 1, units: d, activation: 'tanh', seed });
      const e = await po.estimate(run.observed, { alpha: 0.01, ridge: 1e-3, activation: 'tanh' });
      const c = await po.limitCycle({ weights: e.A, activation: 'tanh', alpha: 0.01 });
      rows.push({ d, seed, lead: [re(e, 0), e.eigenvalues.data[1]], ...c });
    }
  save('cycle', { teacher: teacherCycle, rows });
  log(`\n### tanh: low-rank non-normal oscillator (D = 200, shift 3, s = 1, T = 20000); the teacher's own noise-free runs: cycle ${teacherCycle.cycle}, amplitude ${teacherCycle.amplitude.toExponential(1)}\n`);
  log('| d | seed | leading λ̂ | limit cycle | unstable complex pair at 0 | amplitude | persistence | period (steps) |');
  log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) log(`| ${r.d} | ${r.seed} | ${f(r.lead[0])} ± ${f(Math.abs(r.lead[1]))}i | ${r.cycle} | ${r.unstableComplexPair} | ${f(r.amplitude)} | ${f(r.persistence)} | ${f(r.period, 0)} |`);
}

if (wanted('bptt')) {
  const t = await po.teacher('feedforward', { size: 500, beta: 0.5, seed: 1 });
  const run = await po.simulateTeacher(t, { ...BASE, units: 25, seed: 0 });
  const closed = await po.estimate(run.observed, { alpha: 0.01, ridge: 0 });
  const rows = [{ student: 'closed form (ridge 0)', score: closed.lineAttractorScore, lead: re(closed, 0), distance: 0 }];
  for (const rank of ['full', 1, 2]) {
    const s = await po.fitStudent(run.observed, { alpha: 0.01, rank, epochs: 3000 });
    rows.push({ student: `BPTT rank ${rank}`, score: s.lineAttractorScore, lead: re(s, 0), distance: po.relativeDistance(s.A.data, closed.A.data), loss: s.training.bestLoss });
    s.model.dispose();
  }
  save('bptt', rows);
  log('\n### BPTT students of the feed-forward chain (D = 500, d = 25, T = 5000, seed 0; 3000 full-batch Adam epochs)\n');
  log('| student | score | Re λ̂1 | distance to the closed form |');
  log('|---|---|---|---|');
  for (const r of rows) log(`| ${r.student} | ${f(r.score, 2)} | ${f(r.lead, 4)} | ${f(r.distance)} |`);
}

if (wanted('sweep')) {
  const rows = await po.sweep({
    teachers: [
      { kind: 'line-attractor', size: 200, eps: 1e-3, others: [-0.4, 0.4], seed: 1 },
      { kind: 'feedforward', size: 200, seed: 1 },
      { kind: 'low-rank', size: 200, rank: 2, seed: 1 },
    ],
    fractions: [0.05, 0.25, 0.5],
    noise: [0.2, 1],
    measurementNoise: [0, 0.1],
    seeds: [0],
    simulation: BASE,
  });
  await po.saveSweep(join(outDir, 'partial-observation-sweep.npz'), rows);
  save('sweep', rows);
  log('\n### Sweep (D = 200, T = 5000, a = 0.01, closed form, seed 0)\n');
  log(po.sweepMarkdown(rows));
}
log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s`);
