"""Independent PyTorch implementation of DESIGN.md section 2 for the parity tests (float32, noise off).

Usage: torch_reference.py IN.npz OUT.npz. IN holds the model arrays, `inputs`, `targets`, `mask` and `config` (JSON);
OUT receives `states`, `outputs`, `loss` and `grad_<name>` for every parameter.
"""
import json
import sys

import numpy as np
import torch

PHI = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda x: x,
    "softplus": torch.nn.functional.softplus,
}


def parameters(f, dtype=torch.float32):
    """The model's parameters in a loaded .npz, as leaf tensors that require gradients."""
    names = [k for k in ("m", "n", "wrec", "wi", "si", "wo", "so", "h0", "b") if k in f.files]
    return {k: torch.tensor(f[k], dtype=dtype, requires_grad=True) for k in names}


def run(p, cfg, u):
    """States [B, T+1, N] and predictions [B, T, F] of the network with parameters p on inputs u (DESIGN.md section 2)."""
    lossOn = cfg["lossOn"]
    phi, phi_out = PHI[cfg["activation"]], PHI[cfg["outputActivation"]]
    alpha, N = cfg["alpha"], cfg["size"]
    lowrank = cfg["kind"] == "lowrank"
    rate = cfg["formulation"] == "rate"
    wi_full = p["wi"] * p["si"][:, None]
    wo_full = p["wo"] * p["so"][None, :]
    scale = 1.0 / N if lowrank else 1.0
    B, T, _ = u.shape

    def rec(v):
        if lowrank:
            return v.matmul(p["n"]).matmul(p["m"].t()) / N
        return v.matmul(p["wrec"].t())

    h = p["h0"].expand(B, N)
    states, preds = [h], []
    for t in range(T):
        if rate:
            h = (1 - alpha) * h + alpha * phi(rec(h) + u[:, t].matmul(wi_full) + p["b"])
            readin, rates = h, h
        else:
            r = phi(h + p["b"])
            h = h + alpha * (-h + rec(r) + u[:, t].matmul(wi_full))
            readin, rates = h + p["b"], phi(h + p["b"])
        states.append(h)
        if lossOn == "outputs":
            preds.append(phi_out(readin).matmul(wo_full) * scale)
        elif lossOn == "rates":
            preds.append(rates)
        else:
            preds.append(h)
    return torch.stack(states, dim=1), torch.stack(preds, dim=1)


def masked_mse(y, pred, mask):
    """The reference loss_mse: masked squared error, mean over features, per-trial normalisation by mask[:, :, 0]."""
    loss = ((mask * (y - pred)) ** 2).mean(dim=-1).sum(dim=-1) / mask[:, :, 0].sum(dim=-1)
    return loss.mean()


def main(src, dst):
    f = np.load(src)
    cfg = json.loads(str(f["config"]))
    p = parameters(f)
    u = torch.tensor(f["inputs"], dtype=torch.float32)
    y = torch.tensor(f["targets"], dtype=torch.float32)
    mask = torch.tensor(f["mask"], dtype=torch.float32)
    states, pred = run(p, cfg, u)
    loss = masked_mse(y, pred, mask)
    loss.backward()
    out = {"states": states.detach().numpy(), "pred": pred.detach().numpy(), "loss": np.array(loss.item())}
    for k in p:  # parameters the loss does not reach have no gradient in torch: zeros
        out["grad_" + k] = p[k].grad.numpy() if p[k].grad is not None else np.zeros(p[k].shape, np.float32)
    np.savez(dst, **out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
