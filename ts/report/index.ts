/**
 * The self-contained HTML report of a training run, a fit, a rank sweep (e.g. `lowrank-demo/`), an analysis or a
 * populations result: figures (inline SVG), tables, the config, versions, the command behind each file, and a 3-D view
 * of trajectories and fixed points (three.js, inlined). The page makes no network request. docs/figures.md.
 * @module
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkOptions, is, type Rules } from '../core/validate.js';
import { checkOutputPath, writeFileAtomic } from '../io/index.js';
import { loadResult, type LoadedResult } from '../results/format.js';
import { figureFromResult, type FigureKind } from '../plot/results.js';
import { png, svg } from '../plot/render.js';
import { collectSection, type Section } from './sections.js';
import { renderPage } from './html.js';

export { ANALYSES, latentFlowAnalysis, linearizeAnalysis, meanFieldAnalysis, measuresAnalysis, saveAnalysisResult, type AnalysisName, type AnalysisResult, type LatentFlowOptions, type LinearizeAnalysisOptions, type MeasuresOptions } from './analyses.js';
export type { View3d, ViewLine, ViewPoint } from './viewer.js';

/** Options of {@link buildReport}; defaults in {@link REPORT_DEFAULTS}. */
export interface ReportOptions {
  /** The task models are run on (default: the one their files, or another file of the folder, record). */
  task?: string;
  /** The task's preset ('lint' or 'populations'). */
  preset?: string;
  /** Trials simulated per model (default 32). */
  trials?: number;
  /** Seed of the trials (default 0). */
  seed?: number;
  /** Run the default analyses (latent flow, fixed points, measures) when the path is a model file alone (default true). */
  analyses?: boolean;
  /** Connectivity and gains figures: neurons drawn at most, every k-th (default 1000, said in the title; 0 = all). */
  maxPoints?: number;
  /** Figures whose SVG is longer than this many characters are shown as PNG images (default 1000000). */
  svgLimit?: number;
  /** The page title (default: the path). */
  title?: string;
  /** Called with a line of text as each file is read and each analysis runs. */
  onProgress?: (text: string) => void;
}

/** The defaults of buildReport. */
export const REPORT_DEFAULTS = Object.freeze({ trials: 32, seed: 0, analyses: true, maxPoints: 1000, svgLimit: 1_000_000 });

const REPORT_RULES: Rules<ReportOptions> = {
  task: is.string(),
  preset: is.string(),
  trials: is.integer(1, 10000),
  seed: is.seed(),
  analyses: is.boolean(),
  maxPoints: is.integer(0),
  svgLimit: is.integer(0),
  title: is.string(),
  onProgress: is.function(),
};

/** What {@link buildReport} returns: the page and what is in it. */
export interface Report {
  /** The HTML page. */
  html: string;
  /** The result files it shows. */
  files: string[];
  /** Figures drawn. */
  figures: number;
  /** 3-D views. */
  views: number;
  /** Figures that could not be drawn, with why (also shown in the page). */
  errors: string[];
}

/** The .npz files a report shows: the file, or every .npz of the folder (sorted). */
async function reportFiles(path: string): Promise<{ files: string[]; folder: boolean }> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new RangeError(`report: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a result file or a folder of them`);
  }
  if (!info.isDirectory()) return { files: [path], folder: false };
  const files = (await readdir(path)).filter((f) => f.endsWith('.npz')).sort().map((f) => join(path, f));
  if (files.length === 0) throw new RangeError(`report: ${path} holds no .npz result file`);
  return { files, folder: true };
}

/** The order of a folder's sections: summaries (tables, population and partial-observation results) before the
 * models and analyses they came from, and the per-fit details last; files of one kind by name. */
const SECTION_ORDER = ['table', 'populations', 'partial-observation', 'model', 'analysis', 'fixed-points', 'topology', 'fit', 'checkpoint'];

function kindOrder(result: LoadedResult): number {
  const i = SECTION_ORDER.indexOf(String(result.meta?.kind));
  return i < 0 ? SECTION_ORDER.length : i;
}

/** Builds the report of a result file, a model file, or a folder of them (e.g. lowrank-demo/). */
export async function buildReport(path: string, options: ReportOptions = {}): Promise<Report> {
  const o = checkOptions<ReportOptions>('report', REPORT_RULES, options, REPORT_DEFAULTS) as ReportOptions & typeof REPORT_DEFAULTS;
  if (typeof path !== 'string' || path === '') throw new TypeError(`path must be a result file or a folder; got ${JSON.stringify(path)}`);
  const { files, folder } = await reportFiles(path);
  const loaded = new Map<string, LoadedResult>();
  for (const file of files) {
    o.onProgress?.(`reading ${file}`);
    loaded.set(file, await loadResult(file));
  }
  if (folder) files.sort((a, b) => kindOrder(loaded.get(a)!) - kindOrder(loaded.get(b)!) || a.localeCompare(b));
  const task = o.task ?? [...loaded.values()].map((r) => r.meta?.task).find((t): t is string => typeof t === 'string');
  const scratch = await mkdtemp(join(tmpdir(), 'lowrank-report-'));
  try {
    const sections: Section[] = [];
    for (const file of files) {
      const ctx = { ...o, task, scratch, alone: !folder, siblings: loaded };
      sections.push(...(await collectSection(file, loaded.get(file)!, ctx)));
    }
    const errors: string[] = [];
    for (const section of sections) await drawFigures(section, errors, o);
    const html = renderPage(o.title ?? `lowrank report: ${basename(path)}`, sections);
    return { html, files, figures: sections.reduce((n, s) => n + s.figures.filter((f) => f.svg).length, 0), views: sections.reduce((n, s) => n + s.views.length, 0), errors };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Draws the figures a section asked for; one that fails is shown as a note with the reason. */
async function drawFigures(section: Section, errors: string[], o: ReportOptions & typeof REPORT_DEFAULTS): Promise<void> {
  for (const f of section.figures) {
    if (f.svg || !f.kind) continue;
    try {
      o.onProgress?.(`drawing ${f.kind} of ${f.file}`);
      const spec = await figureFromResult(f.kind as FigureKind, f.file, f.result!, { task: f.task, preset: o.preset, trials: o.trials, seed: o.seed, points: f.points, maxPoints: o.maxPoints });
      f.svg = await svg(spec);
      // a figure of thousands of marks (a scatter matrix) is shown as an image: its SVG would dominate the page
      if (f.svg.length > o.svgLimit) f.png = Buffer.from(await png(spec, { scale: 1.5 })).toString('base64');
      f.spec = spec;
    } catch (err) {
      f.error = (err as Error).message;
      errors.push(`${f.file}: ${f.kind}: ${f.error}`);
    }
  }
}

/** Builds the report and writes it to `out` (atomic). */
export async function writeReport(path: string, out: string, options: ReportOptions = {}): Promise<Report> {
  if (typeof out !== 'string' || !out.endsWith('.html')) throw new RangeError(`out must be a file name ending in .html; got ${JSON.stringify(out)}`);
  await checkOutputPath(out, 'out'); // before the figures are drawn
  const report = await buildReport(path, options);
  await writeFileAtomic(out, new TextEncoder().encode(report.html));
  return report;
}
