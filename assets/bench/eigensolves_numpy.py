"""numpy/scipy baseline of the eigensolves suite of `lowrank bench` (ts/bench/eigensolves.ts).

    python3 eigensolves_numpy.py [threads]

A line-by-line server, so that the suite can interleave its runs with ours (one of ours, one of these, ...) and both
meet the same machine load. The thread count is set for OpenBLAS, MKL and OpenMP before numpy is imported. It first
prints one JSON line {"numpy", "scipy"} (the versions); then, for each JSON line {"kind", "n", "path"} read from
stdin, it loads the n x n float64 matrix that the suite wrote to `path` (raw little-endian, row-major: the engine's
own test matrix, so both sides decompose the same matrix), runs the decomposition once, and prints one JSON line
{"seconds"}: the wall time of the call alone (null where it cannot run it: scipy missing). The kinds:
numpy.linalg.eigvals ("values"), numpy.linalg.eig ("right vectors"), scipy.linalg.eig(left=True, right=True) ("left
and right vectors") and numpy.linalg.svd(full_matrices=False) ("svd").
"""
import json
import os
import sys

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
if threads > 0:
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

try:
    import scipy
    import scipy.linalg
except ImportError:
    scipy = None


def solver(kind):
    if kind == "values":
        return np.linalg.eigvals
    if kind == "right vectors":
        return np.linalg.eig
    if kind == "left and right vectors":
        return None if scipy is None else (lambda a: scipy.linalg.eig(a, left=True, right=True))
    if kind == "svd":
        return lambda a: np.linalg.svd(a, full_matrices=False)
    raise ValueError("unknown kind " + kind)


def main():
    print(json.dumps({"numpy": np.__version__, "scipy": None if scipy is None else scipy.__version__}), flush=True)
    matrices = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        n, path, run = job["n"], job["path"], solver(job["kind"])
        if run is None:
            print(json.dumps({"seconds": None}), flush=True)
            continue
        if path not in matrices:
            matrices[path] = np.fromfile(path, dtype="<f8").reshape(n, n)
        a = matrices[path]
        t0 = time.perf_counter()
        run(a)
        seconds = time.perf_counter() - t0
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
