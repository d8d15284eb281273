// The files the bad-input corpus feeds the package: a few good ones (small models, states) and many bad ones
// (corrupt, truncated and lying .npy/.npz, models of unknown kind, NaN weights, unreadable recordings and plans).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FullRankRNN, LowRankRNN, saveModel, saveNpy, saveNpz } from '../../ts/index.js';
import { encodeNpy } from '../../ts/io/npy.js';
import { encodeNpz } from '../../ts/io/npz.js';
import { saveResult } from '../../ts/results/format.js';

/** A .npy file made of a header dict (as numpy writes it) and `dataBytes` bytes of data. */
export function npyWithHeader(dict: string, dataBytes: number): Uint8Array {
  let header = dict;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

const series = (n: number, f: (i: number) => number = (i) => 0.5 * Math.sin(0.7 * i)) => Float64Array.from({ length: n }, (_, i) => f(i));

/** Writes the fixtures into `dir` (sizes: N = 16, rank 1, 1 input, 1 output; states [4, 6, 16]). */
export async function makeFixtures(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const at = (name: string) => join(dir, name);
  const low = new LowRankRNN({ size: 16, rank: 1, inputs: 1, outputs: 1, seed: 1, dtype: 'float64', device: 'cpu' });
  const low4 = new LowRankRNN({ size: 16, rank: 2, inputs: 4, outputs: 1, seed: 2, dtype: 'float64', device: 'cpu' });
  const full = new FullRankRNN({ size: 16, inputs: 1, outputs: 1, seed: 3, dtype: 'float64', device: 'cpu' });
  await saveModel(at('lowrank.npz'), low);
  await saveModel(at('lowrank-cdm.npz'), low4);
  await saveModel(at('fullrank.npz'), full);
  const params = low.params();
  const config = JSON.parse(JSON.stringify(low.config));
  const arrays = { m: params.m, n: params.n, wi: params.wi, si: params.si, wo: params.wo, so: params.so, h0: params.h0 };
  // A model file (meta kind 'model') whose config names an unknown kind, and the same arrays as numpy would write them.
  await saveResult(at('unknown-kind.npz'), 'model', {}, { arrays: { ...arrays, config: JSON.stringify({ ...config, kind: 'banana' }) } });
  await saveNpz(at('unknown-kind-numpy.npz'), { ...arrays, config: JSON.stringify({ ...config, kind: 'banana' }) });
  await saveNpz(at('config-not-json.npz'), { ...arrays, config: '{"kind": "lowrank", ' });
  await saveNpz(at('config-huge-size.npz'), { ...arrays, config: JSON.stringify({ ...config, size: 1e12 }) });
  await saveNpz(at('config-nan-alpha.npz'), { ...arrays, config: JSON.stringify({ ...config, alpha: 'NaN' }) });
  const nanM = { data: Float64Array.from(params.m.data), shape: params.m.shape };
  nanM.data[3] = NaN;
  await saveNpz(at('model-nan.npz'), { ...arrays, m: nanM, config: JSON.stringify(config) });
  await saveNpz(at('model-shape.npz'), { ...arrays, n: { data: series(15), shape: [15, 1] }, config: JSON.stringify(config) });
  await saveNpz(at('model-no-arrays.npz'), { x: { data: series(3), shape: [3] } });
  await saveNpz(at('model-int.npz'), { ...arrays, m: { dtype: 'int32', data: Int32Array.from({ length: 16 }, (_, i) => i), shape: [16, 1] }, config: JSON.stringify(config) } as never);

  await saveNpy(at('states.npy'), { data: series(4 * 6 * 16), shape: [4, 6, 16] });
  await saveNpy(at('states-2d.npy'), { data: series(24 * 16), shape: [24, 16] });
  await saveNpy(at('states-nan.npy'), { data: series(4 * 6 * 16, (i) => (i === 5 ? NaN : Math.sin(i))), shape: [4, 6, 16] });
  await saveNpy(at('states-inf.npy'), { data: series(4 * 6 * 16, (i) => (i === 5 ? Infinity : Math.sin(i))), shape: [4, 6, 16] });
  await saveNpy(at('states-n7.npy'), { data: series(4 * 6 * 7), shape: [4, 6, 7] });
  await saveNpy(at('states-b0.npy'), { data: new Float64Array(0), shape: [0, 6, 16] });
  await saveNpy(at('states-t0.npy'), { data: new Float64Array(0), shape: [4, 0, 16] });
  await saveNpy(at('states-1d.npy'), { data: series(16), shape: [16] });
  await saveNpy(at('scalar.npy'), { data: Float64Array.of(1), shape: [] });
  await saveNpy(at('string.npy'), 'hello');
  await saveNpy(at('inputs.npy'), { data: series(4 * 6 * 1), shape: [4, 6, 1] });
  await saveNpy(at('inputs-k3.npy'), { data: series(4 * 6 * 3), shape: [4, 6, 3] });
  await saveNpy(at('mask-zero.npy'), { data: new Float64Array(4 * 6), shape: [4, 6] });
  await saveNpy(at('int.npy'), { dtype: 'int32', data: Int32Array.from({ length: 4 * 6 * 16 }, (_, i) => i % 5), shape: [4, 6, 16] } as never);

  const good = encodeNpy({ data: series(4 * 6 * 16), shape: [4, 6, 16] });
  writeFileSync(at('truncated.npy'), good.subarray(0, good.length - 40));
  writeFileSync(at('trailing.npy'), Buffer.concat([good, Buffer.alloc(8)]));
  writeFileSync(at('header-only.npy'), good.subarray(0, 20));
  writeFileSync(at('empty.npy'), new Uint8Array(0));
  writeFileSync(at('bad-magic.npy'), Buffer.from('this is not a numpy file at all, just text\n'));
  writeFileSync(at('lying-1e12.npy'), npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", 64));
  writeFileSync(at('lying-1e12-unicode.npy'), npyWithHeader("{'descr': '<U1', 'fortran_order': False, 'shape': (1000000000000,), }", 64));
  writeFileSync(at('lying-2e9.npy'), npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 1), }", 64));
  writeFileSync(at('negative-shape.npy'), npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (-3, 2), }", 48));
  writeFileSync(at('float-shape.npy'), npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2.5,), }", 20));
  writeFileSync(at('object.npy'), npyWithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16));
  writeFileSync(at('complex.npy'), npyWithHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", 32));
  writeFileSync(at('structured.npy'), npyWithHeader("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", 16));
  writeFileSync(at('bad-header.npy'), npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", 16));
  writeFileSync(at('garbage-header.npy'), npyWithHeader("{'descr': '<f8', 'fortran_order': Fals", 16));
  writeFileSync(at('big-endian.npy'), npyWithHeader("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 16));
  writeFileSync(at('fortran.npy'), npyWithHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 48));
  writeFileSync(at('deep-header.npy'), npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': ${'('.repeat(5000)}${')'.repeat(5000)}, }`, 8));
  writeFileSync(at('version9.npy'), Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0]), Buffer.alloc(64)]));

  const zip = encodeNpz({ a: { data: series(100), shape: [100] }, config: 'x' });
  writeFileSync(at('truncated.npz'), zip.subarray(0, Math.floor(zip.length / 2)));
  writeFileSync(at('corrupt.npz'), Buffer.concat([zip.subarray(0, 30), Buffer.alloc(200, 0xab), zip.subarray(230)]));
  const flipped = Buffer.from(zip);
  flipped[flipped.length - 10] ^= 0xff;
  flipped[flipped.length - 20] ^= 0xff;
  writeFileSync(at('flipped.npz'), flipped);
  writeFileSync(at('random.npz'), Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) & 0xff)));
  writeFileSync(at('lying-member.npz'), encodeNpzRaw({ 'states.npy': npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", 64) }));
  writeFileSync(at('compressed.npz'), encodeNpz({ a: { data: series(1000), shape: [1000] } }, { compress: true }));
  const deflated = Buffer.from(encodeNpz({ a: { data: series(1000), shape: [1000] } }, { compress: true }));
  deflated[80] ^= 0x5a;
  deflated[120] ^= 0x5a;
  writeFileSync(at('corrupt-deflate.npz'), deflated);
  writeFileSync(at('empty.npz'), new Uint8Array(0));

  writeFileSync(at('dataset-mask-zero.npz'), encodeNpz({ inputs: { data: series(4 * 6), shape: [4, 6, 1] }, targets: { data: series(4 * 6 * 16), shape: [4, 6, 16] }, mask: { data: new Float64Array(4 * 6), shape: [4, 6] } }));
  writeFileSync(at('result-future.npz'), encodeNpz({ meta: JSON.stringify({ kind: 'fixed-points', formatVersion: 99, package: 'lowrank-rnn', version: '9' }) }));
  writeFileSync(at('result-bad-meta.npz'), encodeNpz({ meta: 'not json', points: { data: series(16), shape: [1, 16] } }));
  writeFileSync(at('result-empty-fp.npz'), encodeNpz({ meta: JSON.stringify({ kind: 'fixed-points', formatVersion: 1, package: 'lowrank-rnn', version: '0.1.0' }) }));

  writeFileSync(at('random.nwb'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) & 0xff)));
  const hdf5 = Buffer.alloc(4096, 0);
  Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]).copy(hdf5);
  for (let i = 8; i < hdf5.length; i++) hdf5[i] = (i * 131) & 0xff;
  writeFileSync(at('hdf5-garbage.nwb'), hdf5);
  writeFileSync(at('hdf5-garbage.mat'), hdf5);
  const mat = Buffer.alloc(128 + 64, 0);
  mat.write('MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024', 0, 'latin1');
  mat.fill(0x20, 76, 116);
  mat.writeUInt16LE(0x0100, 124);
  mat.write('IM', 126, 'latin1');
  mat.writeUInt32LE(14, 128); // miMATRIX
  mat.writeUInt32LE(0xffffff00, 132); // a size far beyond the file
  writeFileSync(at('lying.mat'), mat);
  writeFileSync(at('truncated.mat'), mat.subarray(0, 130));
  writeFileSync(at('text.mat'), 'x = 1\n');

  writeFileSync(at('plan-not-json.json'), '{"jobs": [');
  writeFileSync(at('plan-empty.json'), '{}');
  writeFileSync(at('plan-bad-kind.json'), JSON.stringify({ kind: 'banana', grid: { seed: [1] } }));
  writeFileSync(at('plan-array.json'), '[1, 2, 3]');
  writeFileSync(at('config-not-json.json'), '{"teacher": ');
  writeFileSync(at('config-empty.json'), '{}');
  writeFileSync(at('config-array.json'), '[]');
  writeFileSync(at('config-huge.json'), JSON.stringify({ teacher: { kind: 'line', size: 1e9 } }));
  writeFileSync(at('not-a-model.txt'), 'hello');
  mkdirSync(at('a-directory.npz'), { recursive: true });
}

/** A .npz holding the given raw member bytes (stored, no compression), for members no encoder would write. */
function encodeNpzRaw(members: Record<string, Uint8Array>): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(members)) {
    const crc = crc32(data);
    const local = Buffer.alloc(30 + name.length);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.write(name, 30, 'latin1');
    const entry = Buffer.alloc(46 + name.length);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    entry.write(name, 46, 'latin1');
    parts.push(local, Buffer.from(data));
    central.push(entry);
    offset += local.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length, 8);
  end.writeUInt16LE(central.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

function crc32(data: Uint8Array): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}
