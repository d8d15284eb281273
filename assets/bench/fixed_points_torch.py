"""FixedPointFinder-style baseline (PyTorch back-end, 'joint' mode) for the fixed-point suite of `lowrank bench`.

Reads a problem written by the benchmark (model arrays, initial states, constant input, settings) and runs what
FixedPointFinder does: Adam on all candidates at once on the mean of q = 1/2 |x_next - x|^2 (x_next the network's
noise-free update, float32), ReduceLROnPlateau(factor 0.95, patience 2), stop when every candidate has q < tol_q or
|dq| < tol_dq * lr (q copied to the host every iteration, as FixedPointFinder does), then the O(n^2) uniqueness loop
(tol_unique, keep the lowest q), the distance-outlier exclusion, one batched autograd Jacobian of the map and
numpy.linalg.eig. Prints one JSON line with the timings and the points.

    python3 assets/bench/fixed_points_torch.py problem.npz THREADS        the fixed-point search
    python3 assets/bench/fixed_points_torch.py jacobian.npz THREADS eig   numpy's dense eigensolve of one Jacobian
"""
import json
import sys
import time

import numpy as np
import torch


def load(path):
    f = np.load(path)
    cfg = json.loads(str(f["settings"]))
    return f, cfg


class Map(torch.nn.Module):
    """x -> x + alpha (-x + W tanh(x) + W_in^T u): the network's step with the noise off (current formulation)."""

    def __init__(self, f, cfg):
        super().__init__()
        self.alpha = cfg["alpha"]
        t = lambda name: torch.tensor(f[name], dtype=torch.float32)
        if cfg["kind"] == "lowrank":
            self.m, self.n = t("m"), t("n") / cfg["N"]
            self.wrec = None
        else:
            self.wrec = t("wrec")
        self.drive = t("u") @ (t("wi") * t("si")[:, None])

    def forward(self, x):
        r = torch.tanh(x)
        rec = (r @ self.n) @ self.m.T if self.wrec is None else r @ self.wrec.T
        return x + self.alpha * (-x + rec + self.drive)


def find(f, cfg):
    rnn = Map(f, cfg)
    for p in rnn.parameters():
        p.requires_grad_(False)
    x = torch.tensor(f["initial"], dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([x], lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.95, patience=2, cooldown=0)
    q_prev = np.full(x.shape[0], np.nan)
    iters = 0
    for iters in range(1, cfg["max_iters"] + 1):
        opt.zero_grad()
        dx = rnn(x) - x
        q = 0.5 * (dx**2).sum(dim=1)
        loss = q.mean()
        loss.backward()
        opt.step()
        sched.step(loss)
        q_np = q.detach().cpu().numpy()
        dq = np.abs(q_np - q_prev)
        q_prev = q_np
        lr = opt.param_groups[0]["lr"]
        if np.all((q_np < cfg["tol_q"]) | (dq < cfg["tol_dq"] * lr)):
            break
    with torch.no_grad():
        xs = x.detach()
        q = (0.5 * ((rnn(xs) - xs) ** 2).sum(dim=1)).numpy()
    return xs.numpy(), q, iters


def unique(xs, q, tol):
    keep = []
    for i in np.argsort(q, kind="stable"):
        if all(np.linalg.norm(xs[i] - xs[j]) > tol for j in keep):
            keep.append(i)
    return np.array(keep, dtype=int)


def time_eig(path):
    """numpy.linalg.eig of the dense matrix stored in `path` (eigenvalues only, then with right vectors)."""
    a = np.load(path)["jacobian"]
    repeats = 3 if a.shape[0] <= 512 else 1

    def median_time(f):
        f(a)  # warm-up
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            f(a)
            samples.append(time.perf_counter() - t0)
        return sorted(samples)[len(samples) // 2]

    print(json.dumps({"seconds_values": median_time(np.linalg.eigvals), "seconds_vectors": median_time(np.linalg.eig)}))


def main():
    torch.set_num_threads(int(sys.argv[2]))
    if sys.argv[3:] == ["eig"]:
        return time_eig(sys.argv[1])
    f, cfg = load(sys.argv[1])
    t0 = time.perf_counter()
    xs, q, iters = find(f, cfg)
    t1 = time.perf_counter()
    keep = unique(xs, q, cfg["tol_unique"])
    init = f["initial"]
    centroid = init.mean(axis=0)
    spread = np.linalg.norm(init - centroid, axis=1).mean()
    keep = keep[np.linalg.norm(xs[keep] - centroid, axis=1) <= 10 * spread]
    t2 = time.perf_counter()
    rnn = Map(f, cfg)
    pts = torch.tensor(xs[keep])
    jac = torch.autograd.functional.jacobian(lambda X: rnn(X).sum(dim=0), pts)  # [d, n, d]
    jac = jac.permute(1, 0, 2).numpy().astype(np.float64)
    evals = np.linalg.eig(jac)[0] if len(keep) else np.zeros((0, xs.shape[1]))
    t3 = time.perf_counter()
    stable = int(np.sum(np.abs(evals).max(axis=1) < 1)) if len(keep) else 0
    print(json.dumps({
        "torch": torch.__version__,
        "iterations": iters,
        "seconds_optimise": t1 - t0,
        "seconds_unique": t2 - t1,
        "seconds_jacobian_eig": t3 - t2,
        "seconds": t3 - t0,
        "unique": int(len(keep)),
        "stable": stable,
        "q_fpf": q[keep].tolist(),
        "points": xs[keep].tolist(),
    }))


if __name__ == "__main__":
    main()
