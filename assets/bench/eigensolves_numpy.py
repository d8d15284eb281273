"""numpy/scipy baseline of the eigensolves suite of `lowrank bench` (ts/bench/eigensolves.ts).

    python3 eigensolves_numpy.py '[{"kind": "values", "n": 512, "repeats": 3}, ...]' [threads]

Times, on the same kind of matrix as the engine (-I + 1.5 W, W ~ N(0, 1/N)), the median of `repeats` runs (after one
warm-up for N <= 512) of numpy.linalg.eigvals ("values"), numpy.linalg.eig ("right vectors"),
scipy.linalg.eig(left=True, right=True) ("left and right vectors") and numpy.linalg.svd(full_matrices=False)
("svd"). The thread count is set for OpenBLAS, MKL and OpenMP before numpy is imported. The last line printed is
JSON: {"numpy", "scipy", "seconds": {"<kind> <n>": seconds or null}}.
"""
import json
import os
import sys

jobs = json.loads(sys.argv[1])
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
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
    rng = np.random.default_rng(1)
    seconds = {}
    for job in jobs:
        n, kind = job["n"], job["kind"]
        run = solver(kind)
        key = "%s %d" % (kind, n)
        if run is None:
            seconds[key] = None
            continue
        a = 1.5 / np.sqrt(n) * rng.standard_normal((n, n)) - np.eye(n)
        if n <= 512:
            run(a)
        samples = []
        for _ in range(max(1, job.get("repeats", 3))):
            t0 = time.perf_counter()
            run(a)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        seconds[key] = samples[len(samples) // 2]
        print("numpy: %s: %.3f s" % (key, seconds[key]), file=sys.stderr, flush=True)
    print(json.dumps({"numpy": np.__version__, "scipy": None if scipy is None else scipy.__version__, "seconds": seconds}))


if __name__ == "__main__":
    main()
