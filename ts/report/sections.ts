// What the report shows for each file: which figures (by kind), the facts of its meta, its table, its config, and a
// 3-D view where it has states. A model given alone also gets the default analyses, run here and saved to a scratch
// folder so that their figures are drawn from result files like any other.
import { basename, join } from 'node:path';
import { toFloatTensor, toStringScalar } from '../io/index.js';
import type { Tensor } from '../core/tensor.js';
import { loadResult, type LoadedResult } from '../results/format.js';
import { loadModel } from '../model/files.js';
import { checkKind } from '../model/config.js';
import { LowRankRNN, type AnyModel } from '../model/index.js';
import { fixedPoints, saveFixedPoints, saveTopology, topology } from '../analysis/index.js';
import { pca } from '../analysis/measures.js';
import { conditionLabels } from '../plot/results.js';
import type { FigureKind } from '../plot/results.js';
import type { Spec } from '../plot/render.js';
import { latentFlowAnalysis, measuresAnalysis, saveAnalysisResult, taskStates } from './analyses.js';
import type { View3d, ViewPoint } from './viewer.js';

/** A figure of a section: what to draw from which file, then the SVG (or why it could not be drawn). */
export interface FigureSlot {
  kind?: FigureKind;
  file: string;
  result?: LoadedResult;
  task?: string;
  points?: string;
  svg?: string;
  /** The figure as a base64 PNG, shown instead of the SVG when the SVG is larger than the report's limit. */
  png?: string;
  spec?: Spec;
  error?: string;
}

/** One file's part of the page. */
export interface Section {
  title: string;
  file: string;
  kind: string;
  command?: string;
  config?: string;
  facts: [string, string][];
  table?: { columns: string[]; rows: string[][] };
  figures: FigureSlot[];
  views: View3d[];
  notes: string[];
}

/** What collectSection knows beside the file. */
export interface SectionContext {
  task?: string;
  preset?: string;
  trials: number;
  seed: number;
  analyses: boolean;
  /** The path was this file alone (a model alone gets the default analyses). */
  alone: boolean;
  /** A folder for the results of the default analyses. */
  scratch: string;
  /** Every file of the report, read. */
  siblings: Map<string, LoadedResult>;
  onProgress?: (text: string) => void;
}

const MODEL_KINDS = ['model', 'checkpoint', 'fit'];

/** Facts of a meta object as rows (nested keys dotted; long lists summarised; the epochs list left to the figure). */
function facts(meta: Record<string, unknown> | undefined): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (value: unknown, key: string) => {
    if (['kind', 'formatVersion', 'package', 'command', 'training.epochs', 'reports'].includes(key)) return;
    if (Array.isArray(value)) rows.push([key, value.length > 12 ? `${value.length} entries` : JSON.stringify(value)]);
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, key ? `${key}.${k}` : k);
    else if (value !== undefined) rows.push([key, typeof value === 'number' ? formatNumber(value) : String(value)]);
  };
  walk(meta ?? {}, '');
  return rows;
}

/** A number for a table: integers as they are, others with 4 significant digits. */
export function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : Number.isFinite(x) ? x.toPrecision(4) : String(x);
}

function has(r: LoadedResult, ...names: string[]): boolean {
  return names.every((n) => n in r.arrays);
}

/** The figures a result file holds, by what it is and which arrays it has. */
function figureKinds(r: LoadedResult, task: string | undefined): FigureKind[] {
  const kind = r.meta?.kind;
  const out: FigureKind[] = [];
  if (kind && MODEL_KINDS.includes(kind)) {
    const training = r.meta?.training as { epochs?: unknown[] } | undefined;
    if ((training?.epochs?.length ?? 0) > 0 || (Array.isArray(r.meta?.reports) && (r.meta!.reports as unknown[]).length > 0)) out.push('training');
    if (task) {
      out.push('trials');
      if (readoutCount(r) !== 0) out.push('psychometric');
      out.push('trajectories');
      if (has(r, 'm', 'n')) out.push('latent-trajectories');
    }
  }
  if (kind === 'table' && has(r, 'rank') && (has(r, 'r2') || has(r, 'fit_r2'))) out.push('rank-sweep');
  if (kind === 'table' && has(r, 'fraction', 'r2')) out.push('subsampling');
  const analysis = r.meta?.analysis;
  if (analysis === 'latent-flow') out.push('flow');
  if (analysis === 'meanfield') out.push('meanfield');
  if (analysis === 'measures' && has(r, 'pca.varianceRatio')) out.push('pca');
  if (analysis === 'linearize' || kind === 'fixed-points' || has(r, 'eigenvalues')) out.push('spectrum');
  if (kind === 'topology') out.push('topology');
  if (has(r, 'space', 'labels', 'means', 'covariances')) out.push('connectivity');
  if (has(r, 'accuracy', 'groups', 'contexts')) out.push('inactivation');
  if (has(r, 'gains', 'labels', 'contexts')) out.push('gains');
  return out;
}

/** The number of outputs a model file's config records (undefined when it does not say). */
function readoutCount(r: LoadedResult): number | undefined {
  try {
    const outputs = (JSON.parse(toStringScalar(r.arrays.config, 'config')) as { outputs?: unknown }).outputs;
    return typeof outputs === 'number' ? outputs : undefined;
  } catch {
    return undefined;
  }
}

/** A table result's columns and rows. */
function tableOf(r: LoadedResult): Section['table'] {
  const columns = Object.keys(r.arrays).filter((k) => r.arrays[k].shape.length === 1 && r.arrays[k].dtype !== 'unicode');
  if (columns.length === 0) return undefined;
  const data = columns.map((c) => toFloatTensor(r.arrays[c], c, 'float64').data);
  const n = Math.max(...data.map((d) => d.length));
  return { columns, rows: Array.from({ length: n }, (_, i) => data.map((d) => (i < d.length ? formatNumber(d[i]) : ''))) };
}

/** The section of one file (and, for a model alone, the sections of its default analyses). */
export async function collectSection(file: string, r: LoadedResult, ctx: SectionContext): Promise<Section[]> {
  const kind = r.meta?.kind ?? 'arrays';
  const task = typeof r.meta?.task === 'string' ? (r.meta.task as string) : ctx.task;
  const section: Section = {
    title: basename(file),
    file,
    kind: typeof r.meta?.analysis === 'string' ? `${kind}: ${r.meta.analysis}` : kind,
    command: typeof r.meta?.command === 'string' ? r.meta.command : undefined,
    config: r.arrays.config ? prettyConfig(r.arrays.config) : undefined,
    facts: facts(r.meta as Record<string, unknown> | undefined),
    table: kind === 'table' ? tableOf(r) : undefined,
    figures: [],
    views: [],
    notes: [],
  };
  const topologyPoints = kind === 'topology' ? matchingFixedPoints(r, ctx) : undefined;
  for (const k of figureKinds(r, task)) section.figures.push({ kind: k, file, result: r, task, points: topologyPoints });
  const isModel = MODEL_KINDS.includes(kind) && 'config' in r.arrays;
  if ('config' in r.arrays) checkConfigKind(r, file);
  if (isModel && !task) section.notes.push('No task is recorded for this model: give --task to draw its trials, trajectories and 3-D view.');
  const sections = [section];
  if (isModel && task) sections.push(...(await modelSections(file, task, section, ctx)));
  if (kind === 'fixed-points') {
    const view = await fixedPointView(r, basename(file));
    if (view) section.views.push(view);
  }
  return sections;
}

/** A model file whose config names a kind of net this package does not know is refused, as loadModel refuses it. */
function checkConfigKind(r: LoadedResult, file: string): void {
  let config: { kind?: unknown } | undefined;
  try {
    config = JSON.parse(toStringScalar(r.arrays.config, 'config'));
  } catch {
    return; // shown as text; loadModel says what is wrong when the model is run
  }
  if (config?.kind !== undefined) checkKind(config.kind, file);
}

function prettyConfig(config: LoadedResult['arrays'][string]): string {
  const text = toStringScalar(config, 'config');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A fixed-point file of the report with as many points as the topology graph (its nodes' positions). */
function matchingFixedPoints(r: LoadedResult, ctx: SectionContext): string | undefined {
  const P = r.arrays.probabilities?.shape[0];
  for (const [path, other] of ctx.siblings) if (other.meta?.kind === 'fixed-points' && other.arrays.points?.shape[0] === P) return path;
  return undefined;
}

/** Rows [S, N] projected on the mean and first three principal axes of `pcaOf` [.., N]. */
async function projector(pcaOf: Tensor): Promise<(rows: ArrayLike<number>, count: number) => [number, number, number][]> {
  const N = pcaOf.shape[pcaOf.shape.length - 1];
  const samples = pcaOf.data.length / N;
  const p = await pca({ data: pcaOf.data, shape: [samples, N] }, { components: Math.min(3, N, samples) });
  const k = p.components.shape[1];
  return (rows, count) =>
    Array.from({ length: count }, (_, s) => {
      const out: [number, number, number] = [0, 0, 0];
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let i = 0; i < N; i++) dot += (rows[s * N + i] - p.mean[i]) * p.components.data[i * k + c];
        out[c] = dot;
      }
      return out;
    });
}

/** A view of a fixed-point file's points on their own principal components. */
async function fixedPointView(r: LoadedResult, title: string): Promise<View3d | undefined> {
  if (!r.arrays.points || r.arrays.points.shape[0] < 2) return undefined;
  const points = toFloatTensor(r.arrays.points, 'points', 'float64');
  const types = r.arrays['stability.type']?.dtype === 'unicode' ? (r.arrays['stability.type'].data as string[]) : [];
  const project = await projector(points);
  const at = project(points.data, points.shape[0]);
  return { title: `Fixed points of ${title} (PC 1-3)`, axes: ['PC 1', 'PC 2', 'PC 3'], lines: [], points: at.map((p, i) => ({ at: p, stability: types[i] ?? 'marginal' })) };
}

/** A model's 3-D view (condition-averaged trajectories and, for a model alone, its fixed points) and default analyses. */
async function modelSections(file: string, task: string, section: Section, ctx: SectionContext): Promise<Section[]> {
  const model = await loadModel(file, { dtype: 'float64' });
  const extra: Section[] = [];
  try {
    const { batch, states } = await taskStates(model, task, ctx.trials, ctx.seed, ctx.preset);
    const project = await projector(states);
    const [, T, N] = states.shape;
    const labels = conditionLabels(batch);
    const groups = new Map<string, number[]>();
    labels.forEach((l, b) => groups.set(l, [...(groups.get(l) ?? []), b]));
    const lines = [...groups].map(([label, trials]) => {
      const mean = new Float64Array(T * N);
      for (const b of trials) for (let i = 0; i < T * N; i++) mean[i] += states.data[b * T * N + i] / trials.length;
      return { label, points: project(mean, T) };
    });
    let points: ViewPoint[] = [];
    if (ctx.alone && ctx.analyses) {
      const analysed = await defaultAnalyses(file, model, states, ctx);
      extra.push(...analysed.sections);
      if (analysed.points) {
        const fp = analysed.points;
        points = project(fp.data, fp.shape[0]).map((at, i) => ({ at, stability: analysed.types[i] ?? 'marginal' }));
      }
    }
    section.views.push({ title: `Trajectories of ${basename(file)} on ${task} (PC 1-3)${points.length ? ' and its fixed points' : ''}`, axes: ['PC 1', 'PC 2', 'PC 3'], lines, points });
  } catch (err) {
    section.notes.push(`Could not simulate ${task} trials: ${(err as Error).message}`);
  } finally {
    model.dispose();
  }
  return extra;
}

/** Nets up to this size also get the topology graph in a report of the model alone (noisy restarts cost N^2 per step). */
const TOPOLOGY_MAX_SIZE = 256;

/**
 * The analyses `lowrank report MODEL.npz` runs: fixed points, their topology graph (nets of at most 256 units), the
 * latent flow (low-rank, rank <= 3), measures.
 */
async function defaultAnalyses(file: string, model: AnyModel, states: Tensor, ctx: SectionContext) {
  const sections: Section[] = [];
  const base = basename(file, '.npz');
  const analysisSection = async (name: string, path: string) => {
    const r = await loadResult(path);
    const s = await collectSection(path, r, { ...ctx, alone: false });
    s[0].title = `${name} of ${basename(file)} (computed for this report)`;
    sections.push(...s);
  };
  ctx.onProgress?.(`fixed points of ${file}`);
  const fps = await fixedPoints(model, { from: states, count: 64, seed: ctx.seed });
  const fpPath = join(ctx.scratch, `${base}-fixed-points.npz`);
  await saveFixedPoints(fpPath, fps);
  await analysisSection('Fixed points', fpPath);
  if (fps.points.shape[0] >= 2 && model.size <= TOPOLOGY_MAX_SIZE) {
    ctx.onProgress?.(`topology graph of ${file}`);
    const path = join(ctx.scratch, `${base}-topology.npz`);
    await saveTopology(path, await topology(model, fps, { restarts: 32, seed: ctx.seed }));
    ctx.siblings.set(fpPath, await loadResult(fpPath));
    await analysisSection('Topology graph', path);
  }
  if (model instanceof LowRankRNN && model.rank <= 3) {
    ctx.onProgress?.(`latent flow of ${file}`);
    const path = join(ctx.scratch, `${base}-latent-flow.npz`);
    await saveAnalysisResult(path, await latentFlowAnalysis(model));
    await analysisSection('Latent flow', path);
  }
  ctx.onProgress?.(`measures of ${file}`);
  const path = join(ctx.scratch, `${base}-measures.npz`);
  await saveAnalysisResult(path, await measuresAnalysis(model, { states }));
  await analysisSection('Measures', path);
  return { sections, points: fps.points.shape[0] > 0 ? fps.points : undefined, types: fps.stability.type as string[] };
}
