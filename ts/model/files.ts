// Model files (DESIGN.md §3): a result file (ts/results) of kind 'model' with the reference array names (m, n, wi,
// si, wo, so, h0, b for low-rank nets, wrec instead of m and n for full-rank nets), `config` (the model's JSON config
// as a 0-d numpy string), `mask` for a full-rank net with a fixed mask, and the `meta` entry of every result file.
// Files written before `meta` existed, and .npz files written by numpy with the reference names and no config, load.
import { checkModel } from './check.js';
import { toFloatTensor, toStringScalar, type NpyArray, type NpyValue } from '../io/index.js';
import { loadResult, saveResult } from '../results/index.js';
import { checkOptions, is, type Rules } from '../core/validate.js';
import { formatShape, type Tensor } from '../core/tensor.js';
import type { AnyModel } from './any.js';
import { checkKind, optionsFromConfig, type ModelConfig, type ModelKind } from './config.js';
import { FullRankRNN } from './fullrank.js';
import { LowRankRNN } from './lowrank.js';
import {
  FULLRANK_NOT_APPLICABLE,
  LOWRANK_NOT_APPLICABLE,
  fullRankRules,
  lowRankRules,
  type FullRankOptions,
  type LowRankOptions,
  type ParamName,
} from './options.js';

/** The version of the model config this package writes (`config.formatVersion`); newer files are refused. */
export const MODEL_FORMAT_VERSION = 1;

/** Options that override what a file says (or supply what a reference file without config lacks). */
export type LoadModelOptions = Partial<Omit<LowRankOptions & FullRankOptions, 'init' | 'size' | 'rank'>>;

/** The kinds of result file that carry a model (its arrays and config), and so load as one. */
const MODEL_CARRYING_KINDS = ['model', 'checkpoint', 'fit'] as const;

/**
 * Writes `model` to `path` as a .npz (atomic; `compress` deflates it). numpy reads it with np.load; the config with
 * json.loads(str(f['config'])). `meta` adds entries to the file's meta, e.g. the task it was trained on
 * (`{ task: 'cdm', taskOptions: { scaleCtx: 0.5 } }`, which the populations commands and the report read).
 */
export async function saveModel(path: string, model: AnyModel, opts: { compress?: boolean; meta?: Record<string, unknown> } = {}): Promise<void> {
  const { compress, meta } = checkOptions<{ compress?: boolean; meta?: Record<string, unknown> }>('saveModel', { compress: is.boolean(), meta: is.object('meta entries') }, opts, { compress: false });
  checkModel('saveModel', 'model', model);
  await model.ready();
  await saveResult(path, 'model', {}, { arrays: modelArrays(model), compress, meta });
}

/**
 * The arrays that make a file a model file: the parameters by their reference names, `config`, and `mask` for a
 * masked full-rank net. Every file that carries a model (models, checkpoints, fits) writes these.
 * @internal
 */
export function modelArrays(model: AnyModel): Record<string, NpyValue> {
  const arrays: Record<string, NpyValue> = { ...model.params(), config: JSON.stringify(model.config) };
  if (model instanceof FullRankRNN && model.connectivityMask) {
    arrays.mask = { dtype: 'uint8', data: model.connectivityMask, shape: [model.size, model.size] };
  }
  return arrays;
}

function readConfig(arrays: Record<string, NpyArray>, path: string): Partial<ModelConfig> | undefined {
  if (!arrays.config) return undefined;
  const text = toStringScalar(arrays.config, `${path}: array 'config'`);
  let config: Partial<ModelConfig>;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: 'config' is not valid JSON (${(err as Error).message})`);
  }
  if (config === null || typeof config !== 'object') throw new Error(`${path}: 'config' must be a JSON object`);
  if (config.formatVersion !== undefined && config.formatVersion > MODEL_FORMAT_VERSION) {
    throw new Error(`${path}: model format version ${config.formatVersion} is newer than this package reads (${MODEL_FORMAT_VERSION}); update lowrank-rnn`);
  }
  return config;
}

/** The kind a config names (it must be a known one), else the kind the arrays show (wrec: full-rank; m, n: low-rank). */
function modelKind(config: Partial<ModelConfig> | undefined, arrays: Record<string, NpyArray>, path: string): ModelKind {
  if (config?.kind !== undefined) return checkKind(config.kind, path);
  if (arrays.wrec) return 'fullrank';
  if (arrays.m && arrays.n) return 'lowrank';
  throw new Error(`${path}: not a model file: it has neither 'wrec' (full-rank) nor 'm' and 'n' (low-rank); arrays: ${Object.keys(arrays).join(', ') || 'none'}`);
}

function requireShape(t: Tensor | undefined, name: string, shape: number[], path: string): void {
  if (!t) return;
  const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!ok) throw new RangeError(`${path}: array '${name}' has shape ${formatShape(t.shape)}; expected ${formatShape(shape)}`);
}

/** The sizes (from the config, else from the arrays' shapes) and the parameters, every shape checked. */
function readParams(kind: ModelKind, config: Partial<ModelConfig> | undefined, arrays: Record<string, NpyArray>, path: string) {
  const required: ParamName[] = kind === 'fullrank' ? ['wrec', 'wi', 'wo'] : ['m', 'n', 'wi', 'wo'];
  const missing = required.filter((k) => !arrays[k]);
  if (missing.length > 0) throw new Error(`${path}: a ${kind} model needs arrays ${missing.map((k) => `'${k}'`).join(', ')}, which are missing`);
  // float32 and float64 arrays are handed over as stored (the native model converts them to its dtype).
  const get = (name: string) => (arrays[name] ? toFloatTensor(arrays[name], `${path}: array '${name}'`) : undefined);
  const init: Partial<Record<ParamName, Tensor>> = {};
  const names: ParamName[] = [...(kind === 'lowrank' ? (['m', 'n'] as const) : (['wrec'] as const)), 'wi', 'si', 'wo', 'so', 'h0', 'b'];
  for (const name of names) {
    const t = get(name);
    if (t) init[name] = t;
  }
  const { wi, wo } = init as Record<'wi' | 'wo', Tensor>;
  if (wi.shape.length !== 2) throw new RangeError(`${path}: array 'wi' must be 2-D [inputs, size]; got ${formatShape(wi.shape)}`);
  if (wo.shape.length !== 2) throw new RangeError(`${path}: array 'wo' must be 2-D [size, outputs]; got ${formatShape(wo.shape)}`);
  const size = config?.size ?? (kind === 'fullrank' ? init.wrec! : init.m!).shape[0];
  const rank = kind === 'lowrank' ? (config?.rank ?? init.m!.shape[1] ?? 1) : 0;
  const inputs = config?.inputs ?? wi.shape[0];
  const outputs = config?.outputs ?? wo.shape[1];
  const shapes: Record<string, number[]> = {
    m: [size, rank],
    n: [size, rank],
    wrec: [size, size],
    wi: [inputs, size],
    si: [inputs],
    wo: [size, outputs],
    so: [outputs],
    h0: [size],
    b: [size],
  };
  for (const [name, t] of Object.entries(init)) requireShape(t, name, shapes[name], path);
  const mask = kind === 'fullrank' ? get('mask') : undefined;
  requireShape(mask, 'mask', [size, size], path);
  return { sizes: { size, rank, inputs, outputs }, init, mask };
}

/** The caller's overrides, checked against the rules of the file's kind of net. */
function checkOverrides(kind: ModelKind, opts: unknown): LoadModelOptions {
  const fixed = { size: 'the size is read from the file', rank: 'the rank is read from the file', init: 'the parameters are read from the file' };
  const { size: _s, init: _i, ...rules } = kind === 'lowrank' ? lowRankRules(undefined) : fullRankRules(undefined);
  const { rank: _r, ...own } = rules as Record<string, unknown>;
  const notApplicable = { ...(kind === 'lowrank' ? LOWRANK_NOT_APPLICABLE : FULLRANK_NOT_APPLICABLE), ...fixed };
  return checkOptions('loadModel', own as Rules<LoadModelOptions>, opts, {}, notApplicable);
}

/**
 * Reads a model file written by saveModel (or by an earlier version, without `meta`), or a .npz with the reference
 * arrays and no config (written by numpy from a PyTorch state_dict): the kind is inferred from the arrays (wrec:
 * full-rank; m and n: low-rank), the sizes from their shapes, and the reference defaults fill in the rest (alpha 0.2,
 * tanh, no noise), all overridable by `opts`. The config's options (train flags, Dale signs...) and the mask are all
 * kept. Missing arrays si, so, h0, b default to ones (si, so) and zeros (h0, b). float32 and float64 arrays both load.
 */
export async function loadModel(path: string, opts: LoadModelOptions = {}): Promise<AnyModel> {
  const { arrays } = await loadResult(path, MODEL_CARRYING_KINDS);
  const config = readConfig(arrays, path);
  const kind = modelKind(config, arrays, path);
  const overrides = checkOverrides(kind, opts);
  const { sizes, init, mask } = readParams(kind, config, arrays, path);
  const options = { ...optionsFromConfig({ ...config, kind, ...sizes }, path), ...overrides, init };
  if (kind === 'lowrank') return new LowRankRNN(options as LowRankOptions);
  return new FullRankRNN({ mask, ...options } as FullRankOptions);
}
