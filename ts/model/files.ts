// Model files (DESIGN.md §3): a .npz with the reference array names (m, n, wi, si, wo, so, h0, b for low-rank nets,
// wrec instead of m and n for full-rank nets) plus `config`, the JSON config as a 0-d numpy string.
import { loadNpz, saveNpz, toFloatTensor, toStringScalar, type NpyArray, type NpyValue } from '../io/index.js';
import {
  FullRankRNN,
  LowRankRNN,
  type AnyModel,
  type CommonModelOptions,
  type FullRankOptions,
  type LowRankOptions,
  type ModelConfig,
  type ParamName,
} from './models.js';
import { formatShape, type Tensor } from '../core/tensor.js';

export const MODEL_FORMAT_VERSION = 1;

/** Options that override what a file says (or supply what a reference file without config lacks). */
export type LoadModelOptions = Partial<Omit<LowRankOptions & FullRankOptions, 'init' | 'size' | 'rank'>>;

/** Writes `model` to `path` (atomic). numpy reads it with np.load; the config with json.loads(str(f['config'])). */
export async function saveModel(path: string, model: AnyModel, opts: { compress?: boolean } = {}): Promise<void> {
  const arrays: Record<string, NpyValue> = { ...model.params() };
  if (model instanceof FullRankRNN && model.connectivityMask) {
    arrays.mask = { dtype: 'uint8', data: model.connectivityMask, shape: [model.size, model.size] };
  }
  arrays.config = JSON.stringify(model.config);
  await saveNpz(path, arrays, { compress: opts.compress ?? false });
}

function floatArray(arrays: Record<string, NpyArray>, name: string, path: string): Tensor | undefined {
  const a = arrays[name];
  return a ? toFloatTensor(a, `${path}: array '${name}'`, 'float64') : undefined;
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

function requireShape(t: Tensor | undefined, name: string, shape: number[], path: string): void {
  if (!t) return;
  const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!ok) throw new RangeError(`${path}: array '${name}' has shape ${formatShape(t.shape)}; expected ${formatShape(shape)}`);
}

/**
 * Reads a model file written by saveModel, or a .npz with the reference arrays and no config (written by numpy from
 * a PyTorch state_dict): the kind is inferred from the arrays (wrec: full-rank; m and n: low-rank), the sizes from
 * their shapes, and the reference defaults fill in the rest (alpha 0.2, tanh, no noise), all overridable by `opts`.
 * Missing arrays si, so, h0, b default to ones (si, so) and zeros (h0, b). float32 and float64 arrays both load.
 */
export async function loadModel(path: string, opts: LoadModelOptions = {}): Promise<AnyModel> {
  const arrays = await loadNpz(path);
  const config = readConfig(arrays, path);
  const get = (name: string) => floatArray(arrays, name, path);
  const wrec = get('wrec');
  const m = get('m');
  const n = get('n');
  const kind = config?.kind ?? (wrec ? 'fullrank' : m && n ? 'lowrank' : undefined);
  if (kind === undefined) {
    throw new Error(`${path}: not a model file: it has neither 'wrec' (full-rank) nor 'm' and 'n' (low-rank); arrays: ${Object.keys(arrays).join(', ') || 'none'}`);
  }
  const required: ParamName[] = kind === 'fullrank' ? ['wrec', 'wi', 'wo'] : ['m', 'n', 'wi', 'wo'];
  const missing = required.filter((k) => !arrays[k]);
  if (missing.length > 0) throw new Error(`${path}: a ${kind} model needs arrays ${missing.map((k) => `'${k}'`).join(', ')}, which are missing`);

  const wi = get('wi')!;
  const wo = get('wo')!;
  if (wi.shape.length !== 2) throw new RangeError(`${path}: array 'wi' must be 2-D [inputs, size]; got ${formatShape(wi.shape)}`);
  if (wo.shape.length !== 2) throw new RangeError(`${path}: array 'wo' must be 2-D [size, outputs]; got ${formatShape(wo.shape)}`);
  const size = config?.size ?? (kind === 'fullrank' ? wrec!.shape[0] : m!.shape[0]);
  const rank = config?.rank ?? (kind === 'lowrank' ? (m!.shape[1] ?? 1) : 0);
  const inputs = config?.inputs ?? wi.shape[0];
  const outputs = config?.outputs ?? wo.shape[1];
  if (kind === 'lowrank') {
    requireShape(m, 'm', [size, rank], path);
    requireShape(n, 'n', [size, rank], path);
  } else {
    requireShape(wrec, 'wrec', [size, size], path);
  }
  requireShape(wi, 'wi', [inputs, size], path);
  requireShape(wo, 'wo', [size, outputs], path);
  const init: Partial<Record<ParamName, Tensor>> = { wi, wo };
  for (const [name, shape] of [['si', [inputs]], ['so', [outputs]], ['h0', [size]], ['b', [size]]] as const) {
    const t = get(name);
    requireShape(t, name, [...shape], path);
    if (t) init[name] = t;
  }

  const common: CommonModelOptions = {
    size,
    inputs,
    outputs,
    formulation: config?.formulation,
    activation: config?.activation,
    slope: config?.slope,
    outputActivation: config?.outputActivation,
    alpha: config?.alpha,
    noise: config?.noise,
    noAutapse: config?.noAutapse,
    train: config?.train,
    ...opts,
    init,
  };
  if (kind === 'lowrank') {
    init.m = m;
    init.n = n;
    return new LowRankRNN({ ...common, rank });
  }
  init.wrec = wrec;
  const maskArray = arrays.mask;
  const mask = maskArray ? toFloatTensor(maskArray, `${path}: array 'mask'`, 'float64') : undefined;
  requireShape(mask, 'mask', [size, size], path);
  return new FullRankRNN({
    ...common,
    rho: config?.rho,
    dale: opts.dale ?? (config?.daleSigns ? Int8Array.from(config.daleSigns) : undefined),
    mask: opts.mask ?? mask,
  });
}
