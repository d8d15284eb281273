/**
 * Public I/O: .npy and .npz files that numpy reads and writes, as float tensors or raw typed arrays.
 * Every save is atomic (temp file + rename); every load error names the file and, inside a .npz, the array.
 * @module
 */

import type { DType, Tensor } from '../core/tensor.js';
import { checkOptions, is } from '../core/validate.js';
import { readFileBytes, writeFileAtomic } from './files.js';
import { decodeNpy, type NpyArray, npyChunks, type NpyValue, toFloatTensor } from './npy.js';
import { decodeNpzAsync, npzChunksAsync, type NpzWriteOptions } from './npz.js';

export { FileFormatError } from './errors.js';
export { checkOutputDirectory, checkOutputPath, MAX_FILE_BYTES, readFileBytes, writeFileAtomic } from './files.js';
export {
  decodeNpy,
  encodeNpy,
  type NpyArray,
  type NpyDataTypes,
  type NpyDType,
  type NpyValue,
  toFloatTensor,
  toNpyArray,
  toStringScalar,
} from './npy.js';
export { decodeNpz, decodeNpzAsync, encodeNpz, type NpzWriteOptions } from './npz.js';

/** Reads a .npy file as it is stored: any supported dtype, including strings (see NpyArray). */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await readFileBytes(path), path);
}

/**
 * Reads a numeric .npy file as a float tensor. float32 and float64 arrays keep their type unless `options.dtype`
 * asks for the other; integer and bool arrays become float64 (or `options.dtype`). String arrays are an error.
 */
export async function loadNpy(path: string, options: { dtype?: DType } = {}): Promise<Tensor> {
  const { dtype } = checkOptions<{ dtype?: DType }>('loadNpy', { dtype: is.oneOf(['float32', 'float64']) }, options);
  return toFloatTensor(await readNpy(path), path, dtype);
}

/**
 * Writes one array to `path` as numpy.save would (the path is used as given; no ".npy" is appended). A string is
 * stored as a 0-d unicode array. The value is checked before anything is written.
 */
export async function saveNpy(path: string, value: NpyValue): Promise<void> {
  await writeFileAtomic(path, npyChunks(value, 'value'));
}

/**
 * Reads every array of a .npz file (numpy.savez or savez_compressed), keyed by name. The file is read, checksummed
 * and inflated on the libuv thread pool (see decodeNpzAsync): a large file does not block the event loop.
 */
export async function loadNpz(path: string): Promise<Record<string, NpyArray>> {
  return decodeNpzAsync(await readFileBytes(path), path);
}

/**
 * Writes named arrays to `path` as a .npz that numpy.load reads; a string value becomes a 0-d unicode array, so
 * `json.loads(str(np.load(path)['config']))` reads back a JSON config saved as `config: JSON.stringify(cfg)`.
 * Stored uncompressed unless `options.compress`. Every value is checked before anything is written. Large arrays are
 * deflated and checksummed on the libuv thread pool and written as they are (no copy): saving does not block the
 * event loop.
 */
export async function saveNpz(
  path: string,
  arrays: Record<string, NpyValue>,
  options: NpzWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, await npzChunksAsync(arrays, options));
}
