// Analysis results as .npz files: every tensor, typed array, number, boolean and string of a (nested) result
// object becomes one array, named by its path with '.' between levels (np.load(f)['eigenvalues.re']).
import { saveNpz, type NpyValue, type NpzWriteOptions } from '../io/index.js';

const TYPED = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;

function isTyped(value: unknown): value is Float32Array | Float64Array | Int32Array | Uint8Array {
  return TYPED.some((T) => value instanceof T);
}

function flatten(value: unknown, key: string, out: Record<string, NpyValue>): void {
  if (value === undefined || typeof value === 'function') return;
  if (typeof value === 'number') out[key] = { data: Float64Array.of(value), shape: [] };
  else if (typeof value === 'boolean') out[key] = { dtype: 'bool', data: Uint8Array.of(value ? 1 : 0), shape: [] };
  else if (typeof value === 'string') out[key] = value;
  else if (isTyped(value)) out[key] = { data: value, shape: [value.length] };
  else if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'string')) out[key] = { dtype: 'unicode', data: value, shape: [value.length] };
    else if (value.length > 0 && value.every((v) => typeof v === 'number')) out[key] = { data: Float64Array.from(value), shape: [value.length] };
    else value.forEach((v, i) => flatten(v, `${key}.${i}`, out));
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (isTyped(o.data) && Array.isArray(o.shape)) out[key] = o as NpyValue;
    else if (Object.getPrototypeOf(o) === Object.prototype) {
      for (const [k, v] of Object.entries(o)) flatten(v, key ? `${key}.${k}` : k, out);
    } else throw new TypeError(`${key || 'result'} is a ${o.constructor?.name ?? 'object'}, which has no .npz form; remove it from the result`);
  } else if (value !== null) throw new TypeError(`${key || 'result'} is a ${typeof value}, which has no .npz form`);
}

/** The arrays saveAnalysis writes for `result`, keyed by their dotted paths. */
export function analysisArrays(result: object): Record<string, NpyValue> {
  if (result === null || typeof result !== 'object') throw new TypeError(`result must be an object; got ${result === null ? 'null' : typeof result}`);
  const out: Record<string, NpyValue> = {};
  flatten(result, '', out);
  return out;
}

/** Writes an analysis result (latent flows, fixed points, mean-field comparisons, measures) to a .npz (atomic). */
export async function saveAnalysis(path: string, result: object, options: NpzWriteOptions = {}): Promise<void> {
  await saveNpz(path, analysisArrays(result), options);
}
