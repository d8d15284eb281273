// `lowrank populations cluster | resample | inactivate | gains | stability`: populations of a saved low-rank net
// (docs/populations.md). Parses arguments and calls ts/populations.
import { type Command, Option } from 'commander';
import { loadModel, saveModel } from '../model/files.js';
import type { AnyModel } from '../model/index.js';
import * as populations from '../populations/index.js';
import { loadResult, saveResult } from '../results/format.js';
import { tasks } from '../tasks/index.js';
import type { Task } from '../tasks/index.js';
import { int, intList, num, threads } from './args.js';
import { interruptSignal, reportInterrupted, unlessAborted } from './interrupt.js';

interface Common {
  model: string;
  seed: number;
  threads: number;
  out: string;
  json?: boolean;
}

function emit(o: { json?: boolean }, type: string, summary: Record<string, unknown>, line: string): void {
  if (o.json) process.stdout.write(JSON.stringify({ type, ...summary }) + '\n');
  else process.stderr.write(line + '\n');
}

async function withModel<T>(path: string, threads: number, job: (m: AnyModel) => Promise<T>): Promise<T> {
  const model = await loadModel(path, { dtype: 'float64', threads });
  try {
    return await job(model);
  } finally {
    model.dispose();
  }
}

/** The task a command scores on: --task (default: the model file's), the recorded task options, --task-options over them. */
async function taskOf(path: string, name: string | undefined, options: string | undefined, model: AnyModel): Promise<{ task: Task; choice: populations.TaskChoice }> {
  let given: Record<string, unknown> | undefined;
  if (options) {
    try {
      given = JSON.parse(options);
    } catch (err) {
      throw new RangeError(`--task-options must be a JSON object, e.g. '{"scaleCtx":0.5}'; got ${options} (${(err as Error).message})`);
    }
    if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new RangeError(`--task-options must be a JSON object, e.g. '{"scaleCtx":0.5}'; got ${options}`);
  }
  const { meta } = await loadResult(path);
  const choice = populations.chooseTask(meta as Record<string, unknown> | undefined, name, given, (n) => tasks.byName(n).name);
  const task = tasks.byName(choice.name, choice.options);
  if (task.inputSize !== model.inputSize) throw new RangeError(`--task ${choice.name} has ${task.inputSize} inputs but the model takes ${model.inputSize}`);
  return { task, choice };
}

/** Warns on stderr when the intact net scores below the floor; returns the warnings for --json. */
function checkIntact(accuracy: ArrayLike<number>, contexts: readonly string[], choice: populations.TaskChoice): string[] {
  const warning = populations.intactAccuracyWarning(accuracy, contexts, choice);
  if (!warning) return [];
  process.stderr.write(`warning: ${warning}\n`);
  return [warning];
}

/** The labels of a `populations cluster` result (or any .npz with an int `labels` array). */
async function labelsFrom(path: string, N: number): Promise<Int32Array> {
  const { arrays } = await loadResult(path);
  const labels = arrays.labels;
  if (!labels || labels.dtype === 'unicode') throw new RangeError(`--labels ${path} has no numeric 'labels' array; write one with 'lowrank populations cluster'`);
  const out = Int32Array.from(labels.data as ArrayLike<number>);
  populations.checkLabels(out, N, `labels of ${path}`);
  return out;
}

interface ClusterOptions extends Common {
  components: number[];
  method: 'em' | 'variational';
  covariance: 'full' | 'diag' | 'tied' | 'spherical';
  restarts: number;
  svd?: boolean;
  raw?: boolean;
}

async function runCluster(o: ClusterOptions): Promise<void> {
  const signal = interruptSignal(); // first: a Ctrl-C while the model loads exits 130 too
  await withModel(o.model, o.threads, async (model) => {
    const space = await populations.connectivitySpace(model, { svd: !!o.svd, scaled: !o.raw });
    const N = space.space.shape[0];
    const lo = Math.min(...o.components), hi = Math.max(...o.components);
    if (hi > N) throw new RangeError(`--components must be at most the ${N} neurons; got ${hi}`);
    const options = { method: o.method, covariance: o.covariance, restarts: o.restarts, seed: o.seed, threads: o.threads };
    let fit: populations.GaussianMixture;
    let candidates: populations.ComponentsCandidate[] | undefined;
    let finished: { best: populations.GaussianMixture; candidates: populations.ComponentsCandidate[] } | undefined;
    const onCandidate = (p: typeof finished & object) => ((finished = p), !o.json && process.stderr.write(`K=${p.candidates.at(-1)!.components}: BIC ${p.candidates.at(-1)!.bic.toFixed(1)}\n`));
    const done = await unlessAborted<{ best: populations.GaussianMixture; candidates?: populations.ComponentsCandidate[] }>(
      lo === hi
        ? populations.fitMixture(space.space, { ...options, components: lo, signal }).then((best) => ({ best, candidates: undefined }))
        : populations.selectComponents(space.space, { ...options, components: [lo, hi], signal, onCandidate }),
    );
    const aborted = !done;
    if (done) ({ best: fit, candidates } = done);
    else if (finished) ({ best: fit, candidates } = finished);
    else return reportInterrupted([], 'the finished fits');
    const result = {
      labels: fit.labels,
      weights: fit.weights,
      means: fit.means,
      covariances: fit.covariances,
      log_likelihood: fit.logLikelihood,
      bic: fit.bic,
      aic: fit.aic,
      columns: JSON.stringify(space.columns),
      space: space.space,
      ...(candidates ? { candidates: { components: candidates.map((c) => c.components), bic: candidates.map((c) => c.bic), aic: candidates.map((c) => c.aic) } } : {}),
    };
    const meta = { analysis: 'cluster', model: o.model, method: o.method, covariance: o.covariance, scaled: space.scaled, svd: space.svd, seed: o.seed };
    // Ctrl-C during a range: the best of the finished K, with the candidates finished
    await saveResult(o.out, 'populations', result, { meta: aborted ? { ...meta, interrupted: true, range: [lo, hi], finished: candidates!.length } : meta });
    if (aborted) return reportInterrupted([o.out], `the best of the ${candidates!.length} finished K`);
    const sizes = Array.from({ length: fit.components }, (_, k) => fit.labels.filter((l) => l === k).length);
    emit(o, 'populations-cluster', { components: fit.components, sizes, logLikelihood: fit.logLikelihood, bic: fit.bic, out: o.out }, `${fit.components} populations (sizes ${sizes.join(', ')}), log-likelihood ${fit.logLikelihood.toFixed(4)} per neuron, BIC ${fit.bic.toFixed(1)}; saved ${o.out}`);
  });
}

interface ResampleCliOptions extends Common {
  labels?: string;
  fitted?: boolean;
  size?: number;
  means: 'zero' | 'fitted';
  task?: string;
  taskOptions?: string;
  draws: number;
  trials: number;
  saveModel?: string;
}

async function runResample(o: ResampleCliOptions): Promise<void> {
  const signal = interruptSignal(); // first: a Ctrl-C while the model loads exits 130 too
  await withModel(o.model, o.threads, async (model) => {
    let pops: ArrayLike<number> | populations.MixtureParameters = new Int32Array(model.size);
    if (o.labels) {
      pops = await labelsFrom(o.labels, model.size);
      if (o.fitted) {
        const { arrays } = await loadResult(o.labels, 'populations');
        pops = { weights: arrays.weights.data as Float64Array, means: arrays.means as { data: Float64Array; shape: number[] }, covariances: arrays.covariances as { data: Float64Array; shape: number[] } };
      }
    } else if (o.fitted) throw new RangeError('--fitted needs --labels <cluster.npz> (the fitted mixture)');
    const opts = { size: o.size, means: o.means };
    if (o.saveModel) {
      const r = await populations.resample(model, pops, { ...opts, seed: o.seed });
      await saveModel(o.saveModel, r.model);
      r.model.dispose();
    }
    if (!o.task) {
      if (!o.saveModel) throw new RangeError('give --task <name> (the accuracy over --draws resampled nets) or --save-model <file.npz> (one resampled net)');
      emit(o, 'populations-resample', { model: o.saveModel }, `saved a resampled net to ${o.saveModel}`);
      return;
    }
    const { task, choice } = await taskOf(o.model, o.task, o.taskOptions, model);
    const intact = await populations.taskAccuracy(model, task, o.trials, o.seed);
    const warnings = checkIntact([intact], ['all'], choice);
    const finished: number[] = [];
    const meta = { analysis: 'resample', model: o.model, labels: o.labels, fitted: !!o.fitted, size: o.size ?? model.size, means: o.means, task: choice.name, taskOptions: choice.options, seed: o.seed };
    const r = await unlessAborted(
      populations.resampleAccuracy(model, pops, task, {
        ...opts, draws: o.draws, trials: o.trials, seed: o.seed, signal,
        onProgress: (p) => (finished.push(p.accuracy), !o.json && process.stderr.write(`draw ${p.draw}/${p.draws}: accuracy ${p.accuracy.toFixed(3)}\n`)),
      }),
    );
    if (!r) {
      // Ctrl-C: the finished draws, with their mean and range, as a result of fewer draws
      if (finished.length > 0) {
        const accuracy = Float64Array.from(finished);
        const result = { accuracy, mean: finished.reduce((a, b) => a + b, 0) / finished.length, min: Math.min(...finished), max: Math.max(...finished), baseline: Float64Array.of(intact) };
        await saveResult(o.out, 'populations', result, { meta: { ...meta, interrupted: true, draws: o.draws, finished: finished.length } });
      }
      return reportInterrupted(finished.length > 0 ? [o.out] : [], `the ${finished.length} finished draw(s)`);
    }
    await saveResult(o.out, 'populations', { accuracy: r.accuracy, mean: r.mean, min: r.min, max: r.max, baseline: Float64Array.of(intact) }, { meta });
    emit(o, 'populations-resample', { mean: r.mean, min: r.min, max: r.max, baseline: intact, warnings, out: o.out }, `intact net ${intact.toFixed(3)}; accuracy over ${o.draws} resampled nets: mean ${r.mean.toFixed(3)}, range ${r.min.toFixed(3)}-${r.max.toFixed(3)}; saved ${o.out}`);
  });
}

interface InactivateCliOptions extends Common {
  labels?: string;
  top?: number;
  inputs: number[];
  task?: string;
  taskOptions?: string;
  mode: populations.InactivationMode;
  rescale?: boolean;
  fraction: number;
  draws?: number;
  trialsPerCell: number;
  trials: number;
  random: boolean;
}

async function runInactivate(o: InactivateCliOptions): Promise<void> {
  const signal = interruptSignal(); // first: a Ctrl-C while the model loads exits 130 too
  await withModel(o.model, o.threads, async (model) => {
    const { task, choice } = await taskOf(o.model, o.task, o.taskOptions, model);
    let groups: populations.NeuronGroup[];
    if (o.labels) groups = populations.populationGroups(await labelsFrom(o.labels, model.size), { random: o.random });
    else if (o.top) {
      const labels = populations.selectivityPopulations(model, o.inputs.map((k) => k - 1), o.top);
      groups = populations.populationGroups(labels, { random: o.random, names: ['rest', ...o.inputs.map((k) => `top ${o.top} |wi${k}|`)] }).slice(1);
    } else throw new RangeError('give --labels <cluster.npz> (populations) or --top <k> (the k neurons of largest |si wi| for each of --inputs)');
    let finished: populations.InactivationResult | undefined;
    const r = await unlessAborted(
      populations.inactivationAccuracy(model, task, groups, {
        mode: o.mode, rescale: o.rescale, fraction: o.fraction, draws: o.draws, seed: o.seed, trialsPerCell: o.trialsPerCell, trials: o.trials, signal,
        onProgress: (p) => ((finished = p.finished), !o.json && process.stderr.write(`group ${p.group}/${p.groups} (${p.finished.groups[p.group - 1]}) done\n`)),
      }),
    );
    const meta = { analysis: 'inactivate', model: o.model, task: choice.name, taskOptions: choice.options, mode: o.mode, fraction: o.fraction, seed: o.seed };
    const save = (x: populations.InactivationResult, extra = {}) => saveResult(o.out, 'populations', { ...x, groups: JSON.stringify(x.groups), contexts: JSON.stringify(x.contexts) }, { meta: { ...meta, ...extra } });
    if (!r) {
      // Ctrl-C: the groups whose draws all finished
      if (finished) await save(finished, { interrupted: true, total: groups.length, finished: finished.groups.length });
      return reportInterrupted(finished ? [o.out] : [], `the ${finished?.groups.length ?? 0} finished group(s)`);
    }
    await save(r);
    const warnings = checkIntact(r.baseline, r.contexts, choice);
    const rows = r.groups.map((g, i) => `${g}: ${r.contexts.map((c, j) => `${c} ${r.accuracy.data[i * r.contexts.length + j].toFixed(3)}`).join(', ')}`);
    emit(o, 'populations-inactivate', { groups: r.groups, contexts: r.contexts, accuracy: Array.from(r.accuracy.data), baseline: Array.from(r.baseline), warnings, out: o.out }, [`intact: ${r.contexts.map((c, j) => `${c} ${r.baseline[j].toFixed(3)}`).join(', ')}`, ...rows, `saved ${o.out}`].join('\n'));
  });
}

interface GainsCliOptions extends Common {
  task?: string;
  taskOptions?: string;
  labels?: string;
  window?: number[];
  trials: number;
}

async function runGains(o: GainsCliOptions): Promise<void> {
  const signal = interruptSignal(); // first: a Ctrl-C while the model loads exits 130 too
  await withModel(o.model, o.threads, async (model) => {
    const { task, choice } = await taskOf(o.model, o.task, o.taskOptions, model);
    const intact = await populations.taskAccuracy(model, task, o.trials * 4, o.seed);
    const warnings = checkIntact([intact], ['all'], choice);
    if (o.window && o.window.length !== 2) throw new RangeError(`--window must be START-END in steps, e.g. 23-63; got ${o.window.join(',')}`);
    const labels = o.labels ? await labelsFrom(o.labels, model.size) : new Int32Array(model.size);
    let finished: populations.GainResult | undefined;
    const g = await unlessAborted(
      populations.gains(model, task, {
        trials: o.trials, seed: o.seed, window: o.window ? [o.window[0], o.window[o.window.length - 1] + 1] : undefined, signal,
        onProgress: (p) => ((finished = p.finished), !o.json && process.stderr.write(`context ${p.context}/${p.contexts} (${p.finished.contexts[p.context - 1]}) done\n`)),
      }),
    );
    const resultOf = (x: populations.GainResult) => ({ gains: x.gains, mean_gains: x.meanGains, labels, contexts: JSON.stringify(x.contexts), window: Float64Array.from(x.window), population_gains: populations.populationMeans(x.gains, labels), population_mean_gains: populations.populationMeans(x.meanGains, labels) });
    const meta = { analysis: 'gains', model: o.model, task: choice.name, taskOptions: choice.options, accuracy: intact, seed: o.seed };
    if (!g) {
      // Ctrl-C: the finished contexts' columns
      if (finished) await saveResult(o.out, 'populations', resultOf(finished), { meta: { ...meta, interrupted: true, finished: finished.contexts.length } });
      return reportInterrupted(finished ? [o.out] : [], `the ${finished?.contexts.length ?? 0} finished context(s)`);
    }
    const result = resultOf(g);
    await saveResult(o.out, 'populations', result, { meta });
    const C = g.contexts.length;
    const rows = Array.from({ length: result.population_gains.shape[0] }, (_, k) => `${populations.populationName(k)}: ${g.contexts.map((c, j) => `${c} ${result.population_gains.data[k * C + j].toFixed(3)}`).join(', ')}`);
    emit(o, 'populations-gains', { contexts: g.contexts, window: g.window, populationGains: Array.from(result.population_gains.data), accuracy: intact, warnings, out: o.out }, [...rows, `saved ${o.out}`].join('\n'));
  });
}

interface StabilityCliOptions extends Common {
  components: number;
  method: 'em' | 'variational';
  restarts: number;
  bootstraps: number;
  fraction: number;
  nullDraws: number;
}

async function runStability(o: StabilityCliOptions): Promise<void> {
  const signal = interruptSignal(); // first: a Ctrl-C while the model loads exits 130 too
  await withModel(o.model, o.threads, async (model) => {
    const { space, columns } = await populations.connectivitySpace(model);
    const kurtosis = populations.columnKurtosis(space);
    const stages: Partial<Record<'data' | 'null', { ari: Float64Array; bootstrap: number }>> = {};
    const s = await unlessAborted(
      populations.stability(space, {
        components: o.components, bootstraps: o.bootstraps, fraction: o.fraction, seed: o.seed, mixture: { method: o.method, restarts: o.restarts, threads: o.threads }, signal,
        onProgress: (p) => ((stages[p.stage] = { ari: p.ari, bootstrap: p.bootstrap }), !o.json && process.stderr.write(`${p.stage} bootstrap ${p.bootstrap}/${p.bootstraps}\n`)),
      }),
    );
    if (!s) {
      // Ctrl-C: the pairs of the finished fits (a stage needs two fits for a pair), the null too when it has pairs
      const mean = (a: Float64Array) => a.reduce((t, v) => t + v, 0) / a.length;
      const data = stages.data, nul = stages.null;
      const saved = data !== undefined && data.ari.length > 0;
      if (saved) {
        const result = { ari: data.ari, mean_ari: mean(data.ari), ...(nul && nul.ari.length > 0 ? { null_ari: nul.ari, null_mean_ari: mean(nul.ari) } : {}), kurtosis, columns: JSON.stringify(columns) };
        await saveResult(o.out, 'populations', result, { meta: { analysis: 'stability', model: o.model, components: o.components, seed: o.seed, interrupted: true, bootstraps: o.bootstraps, finished: data.bootstrap, nullFinished: nul?.bootstrap ?? 0 } });
      }
      return reportInterrupted(saved ? [o.out] : [], `the ${data?.bootstrap ?? 0} finished bootstrap fit(s)`);
    }
    const e = await populations.epairs(space, { nullDraws: o.nullDraws, seed: o.seed, threads: o.threads });
    const result = { ari: s.ari, mean_ari: s.meanAri, null_ari: s.nullAri, null_mean_ari: s.nullMeanAri, z_score: s.zScore, epairs: { angles: e.angles, effect_size: e.effectSize, pvalue: e.pvalue, median: e.median, null_median: e.nullMedian }, kurtosis, columns: JSON.stringify(columns) };
    await saveResult(o.out, 'populations', result, { meta: { analysis: 'stability', model: o.model, components: o.components, seed: o.seed } });
    emit(o, 'populations-stability', { meanAri: s.meanAri, nullMeanAri: s.nullMeanAri, zScore: s.zScore, epairsEffect: e.effectSize, epairsP: e.pvalue, kurtosis: Array.from(kurtosis), out: o.out },
      `bootstrap ARI ${s.meanAri.toFixed(3)} (null ${s.nullMeanAri?.toFixed(3)}, z ${s.zScore?.toFixed(1)}); ePAIRS effect ${e.effectSize.toFixed(2)}, p ${e.pvalue.toExponential(2)}; kurtosis ${Array.from(kurtosis, (k, i) => `${columns[i]} ${k.toFixed(2)}`).join(', ')}; saved ${o.out}`);
  });
}

/** Adds the `populations` command group to the program. */
export function registerPopulations(program: Command): void {
  const group = program.command('populations').description('populations of a low-rank net: mixtures over its connectivity space, resampled nets, inactivations, gains (docs/populations.md)');
  const common = (c: Command, out = true) => {
    c.requiredOption('--model <file.npz>', 'the low-rank model')
      .option('--seed <n>', 'seed', int('--seed', 0), 0)
      .option('--threads <n>', 'CPU threads (0 = all cores)', threads, 0)
      .option('--json', 'print the summary as one JSON line');
    if (out) c.requiredOption('--out <file.npz>', 'where to save the result (numpy-readable .npz)');
    return c;
  };
  const methodOption = () => new Option('--method <m>', 'em (GaussianMixture) or variational (BayesianGaussianMixture, the reference)').choices(['em', 'variational']).default('em');
  common(group.command('cluster').description('fit a Gaussian mixture to the connectivity space; --components A-B picks K by BIC'))
    .requiredOption('--components <k>', 'K, or a range A-B', intList('--components'))
    .addOption(methodOption())
    .addOption(new Option('--covariance <c>', 'covariance type').choices(['full', 'diag', 'tied', 'spherical']).default('full'))
    .option('--restarts <n>', 'initialisations (n_init)', int('--restarts'), 10)
    .option('--svd', 'SVD re-parametrise m and n first')
    .option('--raw', 'cluster the raw wi, wo (the reference) instead of si wi, so wo')
    .action(runCluster);
  common(group.command('resample').description('nets resampled from the populations (or one Gaussian): accuracy over draws, or one net'), false)
    .option('--labels <cluster.npz>', 'populations from `populations cluster` (default: one population)')
    .option('--fitted', 'draw from the fitted mixture of --labels instead of the empirical covariances of its populations')
    .option('--size <n>', "N' (default the model's)", int('--size'))
    .addOption(new Option('--means <m>', 'zero (the reference) or the fitted means').choices(['zero', 'fitted']).default('zero'))
    .option('--task <name>', `score on this task: ${tasks.names.join(', ')}`)
    .option('--task-options <json>', 'task options as JSON, over those the model file records, e.g. \'{"scaleCtx":0.5}\'')
    .option('--draws <n>', 'resampled nets', int('--draws'), 10)
    .option('--trials <n>', 'trials per net', int('--trials'), 400)
    .option('--save-model <file.npz>', 'also save the net of --seed')
    .option('--out <file.npz>', 'where to save the accuracies', 'resample.npz')
    .action(runResample);
  common(group.command('inactivate').description('task accuracy per context with each population (or a fraction of it) inactivated'))
    .option('--task <name>', `the task (default: the one the model file records): ${tasks.names.join(', ')}`)
    .option('--task-options <json>', 'task options as JSON, over those the model file records, e.g. \'{"scaleCtx":0.5}\'')
    .option('--labels <cluster.npz>', 'populations from `populations cluster`')
    .option('--top <k>', 'instead of --labels: the k neurons of largest |si wi| per input of --inputs', int('--top'))
    .option('--inputs <list>', 'inputs (1-based) for --top', intList('--inputs'), [3, 4])
    .addOption(new Option('--mode <m>', 'delete, zero (m, n, wo rows) or silence (wi, m, n)').choices(['delete', 'zero', 'silence']).default('zero'))
    .option('--rescale', "delete: keep the effective weights (m, wo times N'/N)")
    .option('--fraction <p>', 'fraction of each population', num('--fraction'), 1)
    .option('--draws <n>', 'random draws of the fraction (default 10 when < 1)', int('--draws'))
    .option('--trials-per-cell <n>', 'CDM: trials per cell of the coherence grid', int('--trials-per-cell'), 10)
    .option('--trials <n>', 'other tasks: trials', int('--trials'), 400)
    .option('--no-random', 'leave out the random-neurons control')
    .action(runInactivate);
  common(group.command('gains').description("per neuron and context phi'(mean x) and mean phi'(x), per population"))
    .option('--task <name>', `the task (default: the one the model file records): ${tasks.names.join(', ')}`)
    .option('--task-options <json>', 'task options as JSON, over those the model file records, e.g. \'{"scaleCtx":0.5}\'')
    .option('--labels <cluster.npz>', 'populations from `populations cluster`')
    .option('--window <a-b>', 'steps A..B of the trajectory (default the stimulus epoch)', intList('--window', 0))
    .option('--trials <n>', 'trials per context', int('--trials'), 50)
    .action(runGains);
  common(group.command('stability').description('bootstrap stability of a K-population mixture, ePAIRS and kurtosis of the connectivity space'))
    .requiredOption('--components <k>', 'K', int('--components'))
    .addOption(methodOption())
    .option('--restarts <n>', 'initialisations per fit', int('--restarts'), 5)
    .option('--bootstraps <n>', 'subsamples', int('--bootstraps', 2), 20)
    .option('--fraction <p>', 'share of neurons per subsample', num('--fraction'), 0.8)
    .option('--null-draws <n>', 'ePAIRS null data sets', int('--null-draws'), 100)
    .action(runStability);
}
