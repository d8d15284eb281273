// Reproduces the populations paper's and the LINT paper's population numbers (docs/populations.md) on the nets of
// bench/populations-nets.mjs (trained on first use), and prints the tables.
//
//   node bench/populations-repro.mjs                 every section
//   node bench/populations-repro.mjs resample single inactivation lint gains epairs dms
//   options: --draws 10 --trials 400 --size 4096 --sklearn (cluster with sklearn instead of populations.fitMixture)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io, populations } from '../dist/index.js';
import { cached, netDir, taskOf } from './populations-nets.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const valueFlags = ['--draws', '--trials', '--size'];
const sections = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valueFlags.includes(args[i - 1])));
const wanted = (s) => sections.length === 0 || sections.includes(s);
const draws = value('--draws', 10);
const trials = value('--trials', 400);
const f3 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3));
const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(0);

/** Labels of a K-component mixture on the connectivity space: the reference's variational DP mixture, 50 restarts. */
async function cluster(space, K, seed) {
  const options = { components: K, method: 'variational', init: 'random', restarts: 50, seed, weightConcentrationPriorType: 'dirichlet_process', threads: 1 };
  if (!args.includes('--sklearn')) {
    try {
      return { labels: (await populations.fitMixture(space, options)).labels, by: 'populations.fitMixture' };
    } catch (err) {
      if (!/not implemented/.test(err.message)) throw err;
    }
  }
  const file = join(netDir, 'space.npy');
  await io.saveNpy(file, space);
  const py = `import numpy as np, sys
from sklearn.mixture import BayesianGaussianMixture
x = np.load(sys.argv[1])
g = BayesianGaussianMixture(n_components=${K}, n_init=50, init_params='random', weight_concentration_prior_type='dirichlet_process', random_state=${seed}).fit(x)
print(','.join(map(str, g.predict(x))))`;
  const out = execFileSync('python3', ['-c', py, file], { encoding: 'utf8' }).trim().split(',').map(Number);
  const used = [...new Set(out)].sort((a, b) => a - b);
  return { labels: Int32Array.from(out, (l) => used.indexOf(l)), by: 'sklearn BayesianGaussianMixture' };
}

const results = {};
let cdmLabels;
async function cdmPopulations() {
  if (cdmLabels) return cdmLabels;
  const model = await cached('cdm4096');
  const { space } = await populations.connectivitySpace(model);
  cdmLabels = await cluster(space, 2, 2020);
  const counts = [0, 1].map((k) => cdmLabels.labels.filter((l) => l === k).length);
  console.log(`\nCDM rank-1 net (N = ${model.size}): 2 populations by ${cdmLabels.by}, sizes ${counts.join(' / ')}`);
  model.dispose();
  return cdmLabels;
}

if (wanted('resample')) {
  const model = await cached('cdm4096');
  const task = taskOf.cdm4096();
  const { labels } = await cdmPopulations();
  const size = value('--size', model.size);
  console.log(`\n### CDM: resampled from 1 vs 2 populations (N' = ${size}, ${draws} draws, ${trials} trials each)\n`);
  console.log('| populations | accuracy per draw | mean | range | published (N = 4096) | time |');
  console.log('|---|---|---|---|---|---|');
  const published = { 1: '0.715-0.78, mean 0.758', 2: '0.895-0.975, mean 0.944' };
  for (const K of [1, 2]) {
    const t0 = performance.now();
    const pops = K === 1 ? new Int32Array(model.size) : labels;
    const r = await populations.resampleAccuracy(model, pops, task, { draws, trials, size, seed: 1 });
    results[`resample${K}`] = Array.from(r.accuracy);
    console.log(`| ${K} | ${Array.from(r.accuracy, f3).join(' ')} | ${f3(r.mean)} | ${f3(r.min)}-${f3(r.max)} | ${published[K]} | ${seconds(t0)} s |`);
  }
  model.dispose();
}

if (wanted('inactivation')) {
  const model = await cached('cdm4096');
  const task = taskOf.cdm4096();
  const { labels } = await cdmPopulations();
  const { space } = await populations.connectivitySpace(model);
  const D = space.shape[1];
  // name the populations by their context-cue input (columns wi3, wi4 = context A, B): mean |si wi_ctx|
  const meanAbs = (k, col) => {
    let s = 0, c = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i] === k) (s += Math.abs(space.data[i * D + 2 + col]), c++);
    return s / c;
  };
  const names = [0, 1].map((k) => `population ${k} (mean |wi_ctxA| ${meanAbs(k, 2).toFixed(2)}, |wi_ctxB| ${meanAbs(k, 3).toFixed(2)})`);
  const t0 = performance.now();
  const r = await populations.inactivationAccuracy(model, task, populations.populationGroups(labels, { names }), { fraction: 0.25, draws: 10, mode: 'zero', seed: 1 });
  results.inactivation = { groups: r.groups, accuracy: Array.from(r.accuracy.data), congruent: Array.from(r.congruent.data), baseline: Array.from(r.baseline) };
  console.log(`\n### CDM 2-population net: 25 % of each population inactivated (zero m, n, wo rows; 10 draws; 6 x 6 grid, 10 trials per cell) (${seconds(t0)} s)\n`);
  console.log(`intact: incongruent ${f3(r.baseline[0])} / ${f3(r.baseline[1])}, congruent ${f3(r.baseline_congruent[0])} / ${f3(r.baseline_congruent[1])}\n`);
  console.log('| inactivated | incongruent accuracy, context A / B | congruent A / B |');
  console.log('|---|---|---|');
  r.groups.forEach((g, i) => console.log(`| ${g} | ${f3(r.accuracy.data[2 * i])} / ${f3(r.accuracy.data[2 * i + 1])} | ${f3(r.congruent.data[2 * i])} / ${f3(r.congruent.data[2 * i + 1])} |`));
  console.log('\npublished (2-population net): random 1.00 / 1.00, context-A selective 0.999 / 0.692, context-B selective 0.439 / 0.998');
  // the same on a net drawn from the 2-population mixture (the populations paper's fig. 6 nets are mixture nets)
  const drawn = await populations.resample(model, labels, { seed: 1 });
  const rd = await populations.inactivationAccuracy(drawn.model, task, populations.populationGroups(drawn.labels, { names }), { fraction: 0.25, draws: 10, mode: 'zero', seed: 1 });
  results.inactivationResampled = { accuracy: Array.from(rd.accuracy.data), congruent: Array.from(rd.congruent.data), baseline: Array.from(rd.baseline) };
  console.log(`\nthe same on a net resampled from the 2 populations (N = ${drawn.model.size}, draw seed 1); intact: incongruent ${f3(rd.baseline[0])} / ${f3(rd.baseline[1])}\n`);
  console.log('| inactivated | incongruent accuracy, context A / B | congruent A / B |');
  console.log('|---|---|---|');
  rd.groups.forEach((g, i) => console.log(`| ${g} | ${f3(rd.accuracy.data[2 * i])} / ${f3(rd.accuracy.data[2 * i + 1])} | ${f3(rd.congruent.data[2 * i])} / ${f3(rd.congruent.data[2 * i + 1])} |`));
  drawn.model.dispose();
  model.dispose();
}

if (wanted('gains')) {
  const model = await cached('cdm4096');
  const { labels } = await cdmPopulations();
  const g = await populations.gains(model, taskOf.cdm4096(), { seed: 1 });
  const pg = populations.populationMeans(g.gains, labels), pm = populations.populationMeans(g.meanGains, labels);
  console.log(`\n### CDM 2-population net: gains per population (window ${g.window.join('-')} steps, 50 zero-coherence trials per context)\n`);
  console.log('| population | phi\'(mean x), context A / B | mean phi\'(x), context A / B |');
  console.log('|---|---|---|');
  for (let k = 0; k < 2; k++) console.log(`| ${k} | ${f3(pg.data[2 * k])} / ${f3(pg.data[2 * k + 1])} | ${f3(pm.data[2 * k])} / ${f3(pm.data[2 * k + 1])} |`);
  model.dispose();
}

if (wanted('lint')) {
  console.log('\n### LINT CDM: top-100 |wi_ctx| populations deleted (full-rank teacher N = 1024 and its rank-1 fit)\n');
  console.log('| net | removed | incongruent A / B | congruent A / B | published A / B |');
  console.log('|---|---|---|---|---|');
  const published = { cdmFit: ['0.92 / 0.42', '0.52 / 0.86'], cdmTeacher: ['1.00 / 0.49', '0.64 / 0.93'] };
  for (const name of ['cdmFit', 'cdmTeacher']) {
    const model = await cached(name);
    const labels = populations.selectivityPopulations(model, [2, 3], 100);
    const groups = populations.populationGroups(labels, { random: false, names: ['rest', 'pop A (top |wi_ctxA|)', 'pop B (top |wi_ctxB|)'] }).slice(1);
    const r = await populations.inactivationAccuracy(model, taskOf[name](), groups, { mode: 'delete', seed: 1 });
    results[`lint-${name}`] = { accuracy: Array.from(r.accuracy.data), congruent: Array.from(r.congruent.data), baseline: Array.from(r.baseline) };
    r.groups.forEach((g, i) => console.log(`| ${name === 'cdmFit' ? 'rank-1 fit' : 'full-rank teacher'} | ${g} | ${f3(r.accuracy.data[2 * i])} / ${f3(r.accuracy.data[2 * i + 1])} | ${f3(r.congruent.data[2 * i])} / ${f3(r.congruent.data[2 * i + 1])} | ${published[name][i]} |`));
    console.log(`| (intact ${name}) | none | ${f3(r.baseline[0])} / ${f3(r.baseline[1])} | ${f3(r.baseline_congruent[0])} / ${f3(r.baseline_congruent[1])} | |`);
    model.dispose();
  }
}

if (wanted('single')) {
  console.log(`\n### Single-Gaussian resampling (${draws} draws at the trained size, ${trials} trials each)\n`);
  console.log('| task | net | accuracy mean | range | published (100 nets x 10 samples) | time |');
  console.log('|---|---|---|---|---|---|');
  const published = { dm: '0.9996', wm: '0.958', mdm: '1.0', cdm4096: '0.70', dms: '0.54' };
  for (const name of ['dm', 'wm', 'mdm', 'cdm4096', 'dms']) {
    const t0 = performance.now();
    const model = await cached(name);
    const r = await populations.resampleAccuracy(model, new Int32Array(model.size), taskOf[name](), { draws, trials, seed: 1 });
    results[`single-${name}`] = Array.from(r.accuracy);
    console.log(`| ${name} | rank ${model.rank}, N = ${model.size} | ${f3(r.mean)} | ${f3(r.min)}-${f3(r.max)} | ${published[name]} | ${seconds(t0)} s |`);
    model.dispose();
  }
}

if (wanted('epairs')) {
  console.log('\n### ePAIRS and kurtosis of the connectivity space (3 neighbours, 100 Gaussian null sets)\n');
  console.log('| net | effect size | p | kurtosis per column | published: nets of 100 with p < 0.0005 |');
  console.log('|---|---|---|---|---|');
  const published = { dm: '5', cdm4096: '100', dms: '100' };
  for (const name of ['dm', 'cdm4096', 'dms']) {
    const model = await cached(name);
    const { space, columns } = await populations.connectivitySpace(model);
    const e = await populations.epairs(space, { seed: 1 });
    const k = populations.columnKurtosis(space);
    results[`epairs-${name}`] = { effectSize: e.effectSize, pvalue: e.pvalue };
    console.log(`| ${name} | ${e.effectSize.toFixed(2)} | ${e.pvalue.toExponential(1)} | ${Array.from(k, (v, i) => `${columns[i]} ${v.toFixed(2)}`).join(', ')} | ${published[name]} |`);
    model.dispose();
  }
}

if (wanted('dms')) {
  // DMS (rank 2): two populations (the DMS notebook's variational mixture with mean_precision_prior 1e5), resampled
  // with and without fine-tuning (20 epochs at lr 1e-4, as the tutorial's retraining)
  const model = await cached('dms');
  const task = taskOf.dms();
  const { space } = await populations.connectivitySpace(model);
  const fit = await populations.fitMixture(space, { components: 2, method: 'variational', init: 'random', restarts: 50, seed: 2020, meanPrecisionPrior: 1e5, threads: 1 });
  const sizes = Array.from({ length: fit.components }, (_, k) => fit.labels.filter((l) => l === k).length);
  console.log(`\n### DMS rank-2 net (N = ${model.size}): ${fit.components} populations (sizes ${sizes.join(' / ')}), resampled (${draws} draws, ${trials} trials)\n`);
  console.log('| populations | fine-tuning | accuracy per draw | mean | published |');
  console.log('|---|---|---|---|---|');
  for (const [K, labels] of [[1, new Int32Array(model.size)], [fit.components, fit.labels]]) {
    for (const retrain of [undefined, { epochs: 20, lr: 1e-4, seed: 3 }]) {
      const t0 = performance.now();
      const r = await populations.resampleAccuracy(model, labels, task, { draws, trials, seed: 1, retrain });
      results[`dms-${K}-${retrain ? 'tuned' : 'raw'}`] = Array.from(r.accuracy);
      const pub = K === 1 && !retrain ? '0.54 (1 Gaussian)' : K === 2 && retrain ? '[1, 1, 1, 1, 1, .425, .985, .725, 1, 1], mean 0.914' : '-';
      console.log(`| ${K} | ${retrain ? '20 epochs, lr 1e-4' : 'none'} | ${Array.from(r.accuracy, f3).join(' ')} | ${f3(r.mean)} | ${pub} | (${seconds(t0)} s)`);
    }
  }
  model.dispose();
}

writeFileSync(join(netDir, `repro-${sections.join('-') || 'all'}.json`), JSON.stringify(results, null, 1));
