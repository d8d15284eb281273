"""PyTorch baseline written the way the reference code is (a Python loop over time, autograd, Adam).

Prints one JSON line per configuration: {"label", "ms_per_step", "torch", "threads"}, and with --summary a last line
with all of them as one JSON array (what `lowrank bench training-step` reads, ts/bench/training-step.ts). Used by
`lowrank bench`, bench/run.mjs (CPU) and bench/gpu.mjs (device "cuda": the same code with every tensor on the GPU, timed between torch.cuda.synchronize() calls); the same
equations as DESIGN.md section 2 (current formulation, tanh, noise outside alpha, masked MSE normalised per trial).

    python3 torch_baseline.py '<configs as JSON>' [threads] [cpu|cuda] [--summary]
"""
import json
import sys
import time

import torch


def loss_mse(output, target, mask):
    loss_tensor = (mask * (target - output)).pow(2).mean(dim=-1)
    loss_by_trial = loss_tensor.sum(dim=-1) / mask[:, :, 0].sum(dim=-1)
    return loss_by_trial.mean()


class Net(torch.nn.Module):
    """The reference forward pass; subclasses give the recurrent weights and the readout scale."""

    def __init__(self, N, K, O, noise, alpha, wo_std, readout_scale):
        super().__init__()
        self.N, self.noise, self.alpha, self.readout_scale = N, noise, alpha, readout_scale
        self.wi = torch.nn.Parameter(torch.randn(K, N))
        self.si = torch.nn.Parameter(torch.ones(K))
        self.wo = torch.nn.Parameter(torch.randn(N, O) * wo_std, requires_grad=False)
        self.so = torch.nn.Parameter(torch.ones(O))
        self.h0 = torch.nn.Parameter(torch.zeros(N), requires_grad=False)

    def forward(self, u):
        B, T, _ = u.shape
        h = self.h0.expand(B, self.N)
        r = torch.tanh(h)
        wi_full = self.wi * self.si[:, None]
        wo_full = self.wo * self.so[None, :]
        noise = torch.randn(B, T, self.N, device=u.device)
        out = []
        for i in range(T):
            h = h + self.noise * noise[:, i] + self.alpha * (-h + self.recurrent(r) + u[:, i].matmul(wi_full))
            r = torch.tanh(h)
            out.append(r.matmul(wo_full) * self.readout_scale)
        return torch.stack(out, dim=1)


class LowRank(Net):
    def __init__(self, N, R, K, O, noise, alpha):
        super().__init__(N, K, O, noise, alpha, wo_std=4.0, readout_scale=1.0 / N)
        self.m = torch.nn.Parameter(torch.randn(N, R))
        self.n = torch.nn.Parameter(torch.randn(N, R))

    def recurrent(self, r):
        return r.matmul(self.n).matmul(self.m.t()) / self.N


class FullRank(Net):
    def __init__(self, N, K, O, noise, alpha):
        super().__init__(N, K, O, noise, alpha, wo_std=1.0 / N, readout_scale=1.0)
        self.wrec = torch.nn.Parameter(torch.randn(N, N) / N ** 0.5)

    def recurrent(self, r):
        return r.matmul(self.wrec.t())


def time_step(net, B, T, K, O, repeats, device):
    u = torch.randn(B, T, K, device=device)
    y = torch.randn(B, T, O, device=device)
    mask = torch.ones(B, T, O, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3)

    def step():
        opt.zero_grad()
        loss = loss_mse(net(u), y, mask)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    sync()
    # blocks of about half a second; the median block is robust to a briefly busy machine
    t0 = time.perf_counter()
    step()
    sync()
    per_step = time.perf_counter() - t0
    block = max(1, min(repeats, int(0.5 / max(per_step, 1e-6))))
    samples = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(block):
            step()
        sync()
        samples.append((time.perf_counter() - t0) / block * 1000)
    return sorted(samples)[1]


def main():
    args = [a for a in sys.argv[1:] if a != "--summary"]
    configs = json.loads(args[0])
    threads = int(args[1]) if len(args) > 1 else 0
    device = args[2] if len(args) > 2 else "cpu"
    results = []
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    for c in configs:
        if c["kind"] == "lowrank":
            net = LowRank(c["N"], c["R"], c["K"], c["O"], 0.05, 0.2)
        else:
            net = FullRank(c["N"], c["K"], c["O"], 0.05, 0.2)
        net.to(device)
        ms = time_step(net, c["B"], c["T"], c["K"], c["O"], c.get("repeats", 10), device)
        results.append({"label": c["label"], "ms_per_step": ms, "torch": torch.__version__, "threads": torch.get_num_threads()})
        print(json.dumps(results[-1]), flush=True)
    if "--summary" in sys.argv[1:]:
        print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
