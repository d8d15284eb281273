// The .npz format: a zip archive with one NAME.npy entry per array, as numpy.savez / savez_compressed write it.

import { checkBytes, concatBytes, startsWith } from './bytes.js';
import { describeValue, FileFormatError } from './errors.js';
import { decodeNpy, NPY_MAGIC, type NpyArray, npyChunks, type NpyValue } from './npy.js';
import { unzip, unzipAsync, zipChunks, zipChunksAsync, type ZipEntry, type ZipInput, type ZipWriteOptions } from './zip.js';

/** How a .npz is written (`compress`: deflate the entries). */
export type NpzWriteOptions = ZipWriteOptions;

const NPY_SUFFIX = '.npy';

/**
 * Encodes named arrays as a .npz archive that numpy.load reads. A string value is stored as a 0-d unicode array.
 * Entries are stored uncompressed unless `options.compress` is true.
 */
export function encodeNpz(arrays: Record<string, NpyValue>, options: NpzWriteOptions = {}): Uint8Array {
  return concatBytes(npzChunks(arrays, options));
}

/** The chunks of a .npz archive, to write in order (numeric data is not copied). See encodeNpz. */
export function npzChunks(arrays: Record<string, NpyValue>, options: NpzWriteOptions = {}): Uint8Array[] {
  return zipChunks(npzEntries(arrays), options);
}

/**
 * npzChunks with the deflating and checksumming of large arrays on the libuv thread pool (saveNpz writes these), so
 * that the event loop is never blocked by them; the bytes are those of npzChunks.
 */
export async function npzChunksAsync(arrays: Record<string, NpyValue>, options: NpzWriteOptions = {}): Promise<Uint8Array[]> {
  return zipChunksAsync(npzEntries(arrays), options);
}

/** Every array checked and encoded as a NAME.npy entry (numeric data is not copied). */
function npzEntries(arrays: Record<string, NpyValue>): ZipInput[] {
  if (arrays === null || typeof arrays !== 'object' || Array.isArray(arrays)) {
    throw new TypeError(`arrays must be an object mapping names to arrays; got ${describeValue(arrays)}`);
  }
  return Object.entries(arrays).map(([key, value]) => {
    if (key === '') throw new TypeError('arrays: an array name must not be empty');
    if (/[\0\\]|^\/|(^|\/)\.\.(\/|$)/.test(key)) {
      throw new RangeError(`arrays: array name ${JSON.stringify(key)} must not start with '/', hold '..' parts, backslashes or NUL (an unzip would write outside its folder)`);
    }
    return { name: key + NPY_SUFFIX, chunks: npyChunks(value, `arrays[${JSON.stringify(key)}]`) };
  });
}

/**
 * Decodes a .npz archive (stored or deflated, zip64 or not) into its arrays, keyed by name without ".npy".
 * `source` names the file in error messages; corrupt input throws a FileFormatError naming the file and array.
 */
export function decodeNpz(bytes: Uint8Array, source = '.npz data'): Record<string, NpyArray> {
  checkNpz(bytes, source);
  return arraysOf(unzip(bytes, source), source);
}

/**
 * decodeNpz with the CRC checks and the inflation of large arrays on the libuv thread pool (loadNpz reads with it),
 * so that the event loop is never blocked by them.
 */
export async function decodeNpzAsync(bytes: Uint8Array, source = '.npz data'): Promise<Record<string, NpyArray>> {
  checkNpz(bytes, source);
  return arraysOf(await unzipAsync(bytes, source), source);
}

function checkNpz(bytes: Uint8Array, source: string): void {
  checkBytes(bytes, 'bytes');
  if (startsWith(bytes, NPY_MAGIC)) {
    throw new FileFormatError(`${source}: not a .npz archive: it is a .npy file; load it with loadNpy or readNpy`);
  }
}

function arraysOf(entries: readonly ZipEntry[], source: string): Record<string, NpyArray> {
  const out: Record<string, NpyArray> = {};
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue; // a directory
    if (!entry.name.endsWith(NPY_SUFFIX)) {
      const problem = `entry '${entry.name}' is not a .npy array (a .npz holds only NAME.npy entries)`;
      throw new FileFormatError(`${source}: ${problem}`);
    }
    const key = entry.name.slice(0, -NPY_SUFFIX.length);
    if (Object.hasOwn(out, key)) throw new FileFormatError(`${source}: array '${key}' appears twice`);
    const array = decodeNpy(entry.data, `${source}, array '${key}'`);
    // defineProperty, so that a name such as "__proto__" is an ordinary key.
    Object.defineProperty(out, key, { value: array, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
