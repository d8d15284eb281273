// Shared test helpers for ts/io: temp dirs, raw .npy construction, and a python3 + numpy bridge.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonWith, runPython } from './python.js';

export { runPython };

/** Whether python3 with numpy can run here, checked once; `reason` says why not (or which numpy). */
export const numpy = pythonWith(['numpy']);

/**
 * Python that describes an array independently of our code: numpy's dtype string, shape, and the values in C order
 * (little-endian bytes as hex, or the strings).
 */
export const PY_DESCRIBE = `
import json, sys, zipfile
import numpy as np
def describe(a):
    a = np.asarray(a)
    d = {'descr': a.dtype.str, 'shape': list(a.shape)}
    if a.dtype.kind == 'U':
        d['strings'] = [str(s) for s in a.ravel(order='C').tolist()]
    else:
        d['hex'] = np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<')).tobytes().hex()
    return d
`;

export interface Described {
  descr: string;
  shape: number[];
  hex?: string;
  strings?: string[];
}

/** Hex of the bytes of a typed array (host order; every test host is little-endian). */
export function hexOf(data: ArrayBufferView): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

/** A .npy file with arbitrary header text, for crafted and corrupt inputs. Pads the header like numpy. */
export function rawNpy(header: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const text = new TextEncoder().encode(header);
  const length = Math.ceil((prefix + text.length + 1) / 64) * 64 - prefix;
  const out = new Uint8Array(prefix + length + data.length).fill(0x20, prefix, prefix + length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, length, true);
  else view.setUint32(8, length, true);
  out.set(text, prefix);
  out[prefix + length - 1] = 0x0a;
  out.set(data, prefix + length);
  return out;
}

/** The bytes of `values` written with a DataView setter in the given byte order. */
export function packed<T>(
  values: T[],
  size: number,
  set: (view: DataView, at: number, x: T, littleEndian: boolean) => void,
  littleEndian: boolean,
): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => set(view, i * size, x, littleEndian));
  return out;
}

/** A fresh temp directory and a function that removes it. */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lowrank-io-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
