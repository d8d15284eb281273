"""PyTorch's own Adam with weight decay, run side by side with train() (float64, noise off, full-batch steps).

Usage: torch_adam.py IN.npz OUT.npz. IN holds the model arrays, `inputs`, `targets`, `mask` and `config` (JSON with
the model config plus lossOn, steps, lr, beta1, beta2, eps, clip and weightDecay: {param: decay}); OUT receives the
parameters after `steps` steps of the reference loop: loss.backward(), clip_grad_norm_, Adam(weight_decay).step().
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import masked_mse, parameters, run  # noqa: E402


def main(src, dst):
    f = np.load(src)
    cfg = json.loads(str(f["config"]))
    p = parameters(f, torch.float64)
    trained = [k for k in p if cfg["train"][k]]
    for k in p:
        p[k].requires_grad_(k in trained)
    u, y, mask = (torch.tensor(f[k], dtype=torch.float64) for k in ("inputs", "targets", "mask"))
    groups = [{"params": [p[k]], "weight_decay": cfg["weightDecay"][k]} for k in trained]
    opt = torch.optim.Adam(groups, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    for _ in range(cfg["steps"]):
        opt.zero_grad()
        masked_mse(y, run(p, cfg, u)[1], mask).backward()
        if cfg["clip"] > 0:
            torch.nn.utils.clip_grad_norm_([p[k] for k in trained], cfg["clip"])
        opt.step()
    np.savez(dst, **{k: v.detach().numpy() for k, v in p.items()})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
