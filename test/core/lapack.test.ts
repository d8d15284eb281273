// Dense eigenproblems and SVDs on LAPACK (loaded at run time, native/core/lapack.hpp) against numpy/scipy side by
// side, and against Eigen's own solvers (LOWRANK_LAPACK=off, in a child process: the choice is made once per process).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysis, backendInfo, svd } from '../../ts/index.js';
import { testMatrix } from '../../ts/bench/eigensolves.js';
import { native } from '../../ts/native/load.js';
import { pythonWith, runPython } from '../support/python.js';

const lapack = backendInfo().lapack;
const numpy = pythonWith(['numpy', 'scipy']);

type C = [number, number];
const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cabs = (a: C) => Math.hypot(a[0], a[1]);

/** Row i of a [count, dim] complex tensor. */
function row(t: { re: { data: Float64Array }; im: { data: Float64Array } }, i: number, dim: number): C[] {
  return Array.from({ length: dim }, (_, k) => [t.re.data[i * dim + k], t.im.data[i * dim + k]] as C);
}

/** Our convention (fix_phase) applied to a vector: unit norm, first component of (near) largest modulus real > 0. */
function convention(v: C[]): C[] {
  const norm = Math.sqrt(v.reduce((s, z) => s + z[0] ** 2 + z[1] ** 2, 0));
  const largest = Math.max(...v.map(cabs));
  const k = v.findIndex((z) => cabs(z) >= (1 - 1e-6) * largest);
  const f: C = [v[k][0] / cabs(v[k]) / norm, -v[k][1] / cabs(v[k]) / norm];
  return v.map((z) => cmul(z, f));
}

const maxDiff = (a: C[], b: C[]) => Math.max(...a.map((z, k) => cabs([z[0] - b[k][0], z[1] - b[k][1]])));

/** The eigen/svd results of the addon in a child process with LOWRANK_LAPACK set (raw binding, JSON out). */
function child(setting: string, n: number, a: Float64Array, env: Record<string, string | undefined> = {}): { info: { loaded: boolean; mode: string; reason?: string; config?: string }; coretype?: string; eigen: Record<string, number[]>; svd: Record<string, number[]> } {
  const script = `const b = require(process.argv[1]); const n = Number(process.argv[2]); const a = new Float64Array(JSON.parse(process.argv[3]));
Promise.all([b.dynamics.eigen(a, { n, right: true, left: true }), b.svd(a, n, n, n)]).then(([e, s]) => {
  const plain = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v) : v]));
  console.log(JSON.stringify({ info: b.backendInfo().lapack, coretype: process.env.OPENBLAS_CORETYPE, eigen: plain(e), svd: plain(s) }));
});`;
  const r = spawnSync(process.execPath, ['-e', script, native().path, String(n), JSON.stringify(Array.from(a))], { encoding: 'utf8', env: Object.fromEntries(Object.entries({ ...process.env, LOWRANK_LAPACK: setting, ...env }).filter(([, v]) => v !== undefined)), maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('LAPACK at run time', () => {
  test('backendInfo reports the library or why there is none', () => {
    expect(['auto', 'off', 'path']).toContain(lapack.mode);
    if (lapack.loaded) expect(lapack.library).toMatch(/lapack|openblas|Accelerate/i);
    else expect(lapack.reason).toBeTruthy();
  });

  test('LOWRANK_LAPACK=off and a bad path fall back to Eigen, with the same eigenpairs and SVD as LAPACK', () => {
    const n = 40;
    const a = testMatrix(n, 3);
    const off = child('off', n, a);
    expect(off.info).toMatchObject({ loaded: false, mode: 'off', reason: 'LOWRANK_LAPACK=off' });
    const bad = child('/nonexistent/liblapack.so', n, a);
    expect(bad.info.loaded).toBe(false);
    expect(bad.info.reason).toMatch(/LOWRANK_LAPACK=\/nonexistent\/liblapack\.so: .*No such file/);
    const auto = child('auto', n, a);
    expect(auto.info.loaded).toBe(lapack.loaded);
    for (const key of ['re', 'im', 'rightRe', 'rightIm', 'leftRe', 'leftIm'])
      for (let i = 0; i < off.eigen[key].length; i++) expect(Math.abs(auto.eigen[key][i] - off.eigen[key][i]), `${key}[${i}]`).toBeLessThan(1e-8);
    for (let i = 0; i < n; i++) expect(auto.svd.s[i]).toBeCloseTo(off.svd.s[i], 11);
    // singular vectors agree up to the sign of each pair (u_i, v_i)
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += auto.svd.u[r * n + i] * off.svd.u[r * n + i];
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-8);
      for (let r = 0; r < n; r++) expect(Math.abs(auto.svd.v[r * n + i] - Math.sign(dot) * off.svd.v[r * n + i])).toBeLessThan(1e-8);
    }
  });

  const cpuFlags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  test.skipIf(!lapack.config?.includes('DYNAMIC_ARCH'))('OpenBLAS runs the kernels the CPU allows, unless OPENBLAS_CORETYPE says otherwise', () => {
    const a = testMatrix(8, 1);
    const auto = child('auto', 8, a, { OPENBLAS_CORETYPE: undefined });
    if (/\bavx512bw\b/.test(cpuFlags)) expect(auto.info.config).toMatch(/ SkylakeX /);
    else if (/\bavx2\b/.test(cpuFlags)) expect(auto.info.config).toMatch(/ Haswell /);
    expect(auto.coretype).toBeUndefined(); // removed again once the library is loaded
    const chosen = child('auto', 8, a, { OPENBLAS_CORETYPE: 'Sandybridge' });
    expect(chosen.info.config).toMatch(/ Sandybridge /);
    expect(chosen.coretype).toBe('Sandybridge');
  });

  test.skipIf(!numpy.available)(`eigenvalues, right and left vectors against numpy/scipy (${numpy.reason})`, async () => {
    const n = 60;
    const a = testMatrix(n, 7);
    const e = await analysis.eigen({ data: a, shape: [n, n] }, { vectors: 'both' });
    const ref = JSON.parse(runPython(`import sys, json, numpy as np, scipy.linalg
n = int(sys.argv[1]); a = np.array(json.loads(sys.argv[2])).reshape(n, n)
w, vl, vr = scipy.linalg.eig(a, left=True, right=True)
left = []
for i in range(n):
    wl = vl[:, i].conj()
    left.append(wl / (wl @ vr[:, i]))
left = np.array(left)
print(json.dumps({"re": w.real.tolist(), "im": w.imag.tolist(), "vr": [vr.real.T.tolist(), vr.imag.T.tolist()], "wl": [left.real.tolist(), left.imag.tolist()]}))`, [String(n), JSON.stringify(Array.from(a))]));
    for (let i = 1; i < n; i++) expect(e.re[i]).toBeLessThanOrEqual(e.re[i - 1] + 1e-12);
    for (let i = 0; i < n; i++) {
      // the numpy eigenvalue nearest ours (the eigenvalues of this matrix are distinct)
      const j = ref.re.map((re: number, k: number) => Math.hypot(re - e.re[i], ref.im[k] - e.im[i])).reduce((best: number, d: number, k: number, all: number[]) => (d < all[best] ? k : best), 0);
      expect(Math.hypot(ref.re[j] - e.re[i], ref.im[j] - e.im[i])).toBeLessThan(1e-11);
      const theirsRight = convention(ref.vr[0][j].map((re: number, k: number) => [re, ref.vr[1][j][k]] as C));
      const oursRight = row(e.right!, i, n);
      expect(maxDiff(oursRight, theirsRight), `right vector ${i}`).toBeLessThan(1e-9);
      // left: w^T v = 1 fixes w once v is fixed; scipy's v differs from ours by a phase, so rescale by it
      const theirsLeft = ref.wl[0][j].map((re: number, k: number) => [re, ref.wl[1][j][k]] as C);
      const k0 = oursRight.findIndex((z) => cabs(z) > 0.1);
      const raw: C = [ref.vr[0][j][k0], ref.vr[1][j][k0]];
      const phase: C = [(raw[0] * oursRight[k0][0] + raw[1] * oursRight[k0][1]) / cabs(raw) ** 2, (raw[0] * oursRight[k0][1] - raw[1] * oursRight[k0][0]) / cabs(raw) ** 2]; // ours / theirs
      const inv: C = [phase[0] / cabs(phase) ** 2, -phase[1] / cabs(phase) ** 2];
      expect(maxDiff(row(e.left!, i, n), theirsLeft.map((z: C) => cmul(z, inv))), `left vector ${i}`).toBeLessThan(1e-8);
    }
    expect(e.rcond).toBeGreaterThan(1e-6);
  });

  test.skipIf(!numpy.available)(`n = 160 (LAPACK's blocked code paths): values, right vectors and rcond against numpy (${numpy.reason})`, async () => {
    // the row-major matrix goes to dgeev as the column-major transpose (native/core/eigen_decomposition.hpp): the
    // right vectors come from A^T's left vectors; numpy decomposes A itself
    const n = 160;
    const a = testMatrix(n, 5);
    const [none, right, both] = await Promise.all((['none', 'right', 'both'] as const).map((vectors) => analysis.eigen({ data: a, shape: [n, n] }, { vectors })));
    const file = join(mkdtempSync(join(tmpdir(), 'lowrank-lapack-')), 'a.f64'); // too long for an argument
    writeFileSync(file, new Uint8Array(a.buffer));
    const ref = JSON.parse(runPython(`import sys, json, numpy as np
n = int(sys.argv[1]); a = np.fromfile(sys.argv[2], dtype='<f8').reshape(n, n)
w, vr = np.linalg.eig(a)
print(json.dumps({"re": w.real.tolist(), "im": w.imag.tolist(), "vr": [vr.real.T.tolist(), vr.imag.T.tolist()]}))`, [String(n), file]));
    // one dgeev call serves 'right' and 'both': the same numbers; 'none' runs without vectors: equal to rounding
    expect(Array.from(both.re)).toEqual(Array.from(right.re));
    expect(Array.from(both.right!.re.data)).toEqual(Array.from(right.right!.re.data));
    for (let i = 0; i < n; i++) expect(Math.hypot(none.re[i] - right.re[i], none.im[i] - right.im[i])).toBeLessThan(1e-12);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const j = ref.re.map((re: number, k: number) => Math.hypot(re - right.re[i], ref.im[k] - right.im[i])).reduce((best: number, d: number, k: number, all: number[]) => (d < all[best] ? k : best), 0);
      expect(Math.hypot(ref.re[j] - right.re[i], ref.im[j] - right.im[i])).toBeLessThan(1e-10);
      worst = Math.max(worst, maxDiff(row(right.right!, i, n), convention(ref.vr[0][j].map((re: number, k: number) => [re, ref.vr[1][j][k]] as C))));
    }
    expect(worst).toBeLessThan(1e-8);
    // rcond = 1 / (|V|_1 |W|_1) with V's columns the right vectors and W's rows the left ones
    let vNorm = 0;
    const wColumns = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      vNorm = Math.max(vNorm, row(both.right!, i, n).reduce((s, z) => s + cabs(z), 0));
      row(both.left!, i, n).forEach((z, k) => (wColumns[k] += cabs(z)));
    }
    expect(both.rcond! * vNorm * Math.max(...wColumns)).toBeCloseTo(1, 10);
    // and W = V^-1: W V = I
    let offIdentity = 0;
    for (let i = 0; i < n; i += 7)
      for (let j = 0; j < n; j += 5) {
        const w = row(both.left!, i, n), v = row(both.right!, j, n);
        const s = w.reduce((acc, z, k) => { const p = cmul(z, v[k]); return [acc[0] + p[0], acc[1] + p[1]] as C; }, [0, 0] as C);
        offIdentity = Math.max(offIdentity, cabs([s[0] - (i === j ? 1 : 0), s[1]]));
      }
    expect(offIdentity).toBeLessThan(1e-10);
  });

  test('the matrix is read when eigen() is called: changing it before the promise settles changes nothing', async () => {
    const n = 30;
    const a = testMatrix(n, 9);
    const reference = await analysis.eigen({ data: Float64Array.from(a), shape: [n, n] }, { vectors: 'right' });
    const pending = analysis.eigen({ data: a, shape: [n, n] }, { vectors: 'right' });
    a.fill(0);
    const e = await pending;
    expect(Array.from(e.re)).toEqual(Array.from(reference.re));
    expect(Array.from(e.right!.im.data)).toEqual(Array.from(reference.right!.im.data));
  });

  test('threads: one LAPACK thread gives the same decompositions; bad counts are errors that name the option', async () => {
    const n = 90;
    const a = testMatrix(n, 4);
    const [one, all] = await Promise.all([analysis.eigen({ data: a, shape: [n, n] }, { vectors: 'both', threads: 1 }), analysis.eigen({ data: a, shape: [n, n] }, { vectors: 'both' })]);
    for (const key of ['re', 'im'] as const) for (let i = 0; i < n; i++) expect(Math.abs(one[key][i] - all[key][i])).toBeLessThan(1e-12);
    for (let i = 0; i < n * n; i++) expect(Math.abs(one.left!.re.data[i] - all.left!.re.data[i])).toBeLessThan(1e-9);
    const [s1, s0] = await Promise.all([svd(a, n, n, n, { threads: 1 }), svd(a, n, n)]);
    for (let i = 0; i < n; i++) expect(Math.abs(s1.s[i] - s0.s[i])).toBeLessThan(1e-12);
    await expect(analysis.eigen({ data: a, shape: [n, n] }, { threads: -1 })).rejects.toThrow(/eigen.*threads.*-1/);
    await expect(svd(a, n, n, n, { threads: 1.5 })).rejects.toThrow(/svd.*threads.*1\.5/);
    await expect(svd(a, n, n, n, { thread: 1 } as never)).rejects.toThrow(/svd.*thread/);
  });

  test('a repeated eigenvalue (-I plus a rank-2 update): left vectors biorthogonal to the right ones', async () => {
    const n = 50;
    const u = testMatrix(n, 11), v = testMatrix(n, 12);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (i === j ? -1 : 0) + u[i] * v[j] + u[n + i] * v[n + j];
    const e = await analysis.eigen({ data: a, shape: [n, n] }, { vectors: 'both' });
    expect(e.re.filter((x) => Math.abs(x + 1) < 1e-9).length).toBe(n - 2);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const w = row(e.left!, i, n);
      for (let j = 0; j < n; j++) {
        const vj = row(e.right!, j, n);
        const s = w.reduce((acc, z, k) => { const p = cmul(z, vj[k]); return [acc[0] + p[0], acc[1] + p[1]] as C; }, [0, 0] as C);
        worst = Math.max(worst, cabs([s[0] - (i === j ? 1 : 0), s[1]]));
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  test('a defective matrix gives rcond near 0 and no crash', async () => {
    const e = await analysis.eigen({ data: Float64Array.of(1, 1, 0, 1), shape: [2, 2] }, { vectors: 'both' });
    expect(Array.from(e.re)).toEqual([1, 1]);
    expect(e.rcond!).toBeLessThan(1e-12);
  });

  test.skipIf(!numpy.available)('thin SVD of a tall and a wide matrix against numpy', async () => {
    for (const [rows, cols] of [[30, 12], [9, 25]]) {
      const a = testMatrix(Math.max(rows, cols), rows + cols).subarray(0, rows * cols);
      const k = Math.min(rows, cols);
      const ours = await svd(Float64Array.from(a), rows, cols, k);
      const ref = JSON.parse(runPython(`import sys, json, numpy as np
r, c = int(sys.argv[1]), int(sys.argv[2]); a = np.array(json.loads(sys.argv[3])).reshape(r, c)
u, s, vt = np.linalg.svd(a, full_matrices=False)
print(json.dumps({"u": u.tolist(), "s": s.tolist(), "v": vt.T.tolist()}))`, [String(rows), String(cols), JSON.stringify(Array.from(a))]));
      for (let i = 0; i < k; i++) {
        expect(ours.s[i]).toBeCloseTo(ref.s[i], 12);
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += ours.u[r * k + i] * ref.u[r][i];
        expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-10);
        for (let c = 0; c < cols; c++) expect(Math.abs(ours.v[c * k + i] - Math.sign(dot) * ref.v[c][i])).toBeLessThan(1e-10);
      }
    }
  });
});
