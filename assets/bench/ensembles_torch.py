"""The PyTorch baseline of the `ensembles` benchmark: E independent rank-R fits trained side by side with
torch.func.vmap, the way a PyTorch user batches many small fits.

One fit is the LINT student of the benchmark: a rank-R low-rank RNN (current formulation, tanh, alpha 0.2, no noise,
x_0 = 0) whose rates tanh(x_t) are fitted to targets [B, T, N] under inputs [B, T, K] with the masked MSE (all ones),
m, n and wi trained, one Adam step (lr 1e-2) per epoch on the whole batch of B trials, the gradient clipped to global
norm 1 per member. `vmap(grad_and_value(loss))` gives every member's loss and gradient in one batched pass; the
members' Adam moments live in the stacked tensors, so one torch.optim.Adam over them is E independent Adams.

Usage: ensembles_torch.py '<json list of {label, N, R, K, B, T, E, epochs, budget}>' <threads>
Each row is timed over one warm-up epoch and then epochs until `epochs` ran or `budget` seconds passed (at least one).
Prints one JSON line: {"torch": version, "rows": [{"label", "seconds_per_epoch"}]}.
"""
import json
import sys
import time

import torch
from torch.func import grad_and_value, vmap

ALPHA = 0.2


def fit_loss(params, u, y):
    """The masked MSE (mask all ones) of one member's rates against its targets; u [B, T, K], y [B, T, N]."""
    m, n, wi = params["m"], params["n"], params["wi"]
    N = m.shape[0]
    B, T, _ = u.shape
    x = torch.zeros(B, N, dtype=u.dtype)
    total = torch.zeros((), dtype=u.dtype)
    for t in range(T):
        r = torch.tanh(x)
        x = x + ALPHA * (-x + (r @ n) @ m.T / N + u[:, t] @ wi)
        total = total + ((torch.tanh(x) - y[:, t]) ** 2).sum()
    return total / (B * T * N)


def run(cfg):
    N, R, K, B, T, E, epochs, budget = (cfg[k] for k in ("N", "R", "K", "B", "T", "E", "epochs", "budget"))
    g = torch.Generator().manual_seed(1)
    params = {
        "m": torch.randn(E, N, R, generator=g),
        "n": torch.randn(E, N, R, generator=g),
        "wi": torch.randn(E, K, N, generator=g),
    }
    for p in params.values():
        p.requires_grad_(False)
    u = torch.randn(E, B, T, K, generator=g) * 0.7
    y = torch.tanh(torch.randn(E, B, T, N, generator=g))
    opt = torch.optim.Adam(list(params.values()), lr=1e-2)
    step = vmap(grad_and_value(fit_loss))

    def epoch():
        grads, _ = step(params, u, y)
        norms = torch.sqrt(sum((gr.reshape(E, -1) ** 2).sum(1) for gr in grads.values()))
        scale = torch.clamp(1.0 / (norms + 1e-6), max=1.0)
        for name, p in params.items():
            p.grad = grads[name] * scale.view(E, *([1] * (p.dim() - 1)))
        opt.step()

    epoch()
    t0 = time.perf_counter()
    done = 0
    while done < epochs and (done == 0 or time.perf_counter() - t0 < budget):
        epoch()
        done += 1
    return (time.perf_counter() - t0) / done


def main():
    configs = json.loads(sys.argv[1])
    torch.set_num_threads(int(sys.argv[2]))
    rows = [{"label": c["label"], "seconds_per_epoch": run(c)} for c in configs]
    print(json.dumps({"torch": torch.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
