"""scikit-learn side of bench/populations.mjs: fits GaussianMixture or BayesianGaussianMixture to the same data for
K = lo..hi with n_init restarts and prints one JSON line per K: {K, seconds, score, lower_bound, bic}.

    python3 bench/populations_sklearn.py x.bin N D lo hi restarts em|variational [init]
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

warnings.simplefilter('ignore', ConvergenceWarning)
path, n, d, lo, hi, restarts, method = sys.argv[1:8]
init = sys.argv[8] if len(sys.argv) > 8 else 'kmeans'
x = np.fromfile(path).reshape(int(n), int(d))
for k in range(int(lo), int(hi) + 1):
    cls = GaussianMixture if method == 'em' else BayesianGaussianMixture
    model = cls(n_components=k, n_init=int(restarts), random_state=0, init_params=init)
    t0 = time.perf_counter()
    model.fit(x)
    seconds = time.perf_counter() - t0
    row = dict(K=k, seconds=seconds, score=float(model.score(x)), lower_bound=float(model.lower_bound_))
    if method == 'em':
        row['bic'] = float(model.bic(x))
    print(json.dumps(row), flush=True)
