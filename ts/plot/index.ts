/**
 * Figures: one function per figure from data to a Vega-Lite spec, `svg` and `png` renderers (headless: vega with
 * renderer 'none', resvg with the font shipped in the package), and the figures of result files as `lowrank plot`
 * draws them. Conventions and the list of figures: docs/figures.md.
 * @module
 */
import { extname } from 'node:path';
import { writeFileAtomic } from '../io/index.js';
import { png, svg, type PngOptions, type Spec } from './render.js';

export { FONT_FAMILY, fontPath, png, svg, type PngOptions, type Spec } from './render.js';
export { PANEL, SCHEMA, STABILITY_COLOURS } from './spec.js';
export {
  connectivityFigure,
  flowFigure,
  gainsFigure,
  inactivationFigure,
  neuronSubset,
  pcaFigure,
  psychometricFigure,
  rankSweepFigure,
  spectrumFigure,
  subsamplingFigure,
  topologyFigure,
  trainingCurves,
  trajectoriesFigure,
  trialsFigure,
  type ConnectivityData,
  type EpochPoint,
  type FlowData,
  type FlowFixedPoint,
  type GainsData,
  type InactivationData,
  type PsychometricData,
  type RankSweepData,
  type SpectrumSet,
  type SubsamplingData,
  type TopologyData,
  type TrajectoryData,
  type TrialsData,
} from './figures.js';
export { populationName } from '../populations/names.js';
export { FIGURE_DEFAULTS, FIGURE_KINDS, figureFromFile, figureFromResult, unstableDirection, type FigureKind, type FigureOptions } from './results.js';

/** Writes a figure to `path`: SVG for a .svg path, PNG (with `size`) for a .png path (atomic). */
export async function saveFigure(path: string, spec: Spec, size: PngOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`path must be a file name ending in .svg or .png; got ${JSON.stringify(path)}`);
  const ext = extname(path).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new RangeError(`path must end in .svg or .png; got ${JSON.stringify(path)}`);
  const bytes = ext === '.svg' ? new TextEncoder().encode(await svg(spec)) : await png(spec, size);
  await writeFileAtomic(path, bytes);
}
export {
  ANALYSES,
  REPORT_DEFAULTS,
  buildReport,
  latentFlowAnalysis,
  linearizeAnalysis,
  meanFieldAnalysis,
  measuresAnalysis,
  saveAnalysisResult,
  writeReport,
  type AnalysisName,
  type AnalysisResult,
  type LatentFlowOptions,
  type LinearizeAnalysisOptions,
  type MeasuresOptions,
  type Report,
  type ReportOptions,
  type View3d,
  type ViewLine,
  type ViewPoint,
} from '../report/index.js';
