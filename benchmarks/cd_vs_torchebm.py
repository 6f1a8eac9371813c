"""A CD-10 training step, libtorchebm (through its C API) against TorchEBM 0.8.9, same run.

Usage: python cd_vs_torchebm.py path/to/cd_step_bench [steps] [rounds]

Both train a 2 -> 128 -> 128 -> 1 SiLU MLP (the same initial weights: torch.manual_seed(0))
on batches of 256 points of TorchEBM's eight Gaussians with TorchEBM's ContrastiveDivergence
defaults: Langevin (step 0.01, noise 1) chains of 10 steps started at the data, energy
regulariser 0.001, Adam (lr 0.001). Prints microseconds per step, the ratio, and each side's
mean loss over the first and last quarter of the steps (the loss trajectories to compare).
"""

import subprocess
import sys
import time

import torch
import torchebm
from torch import nn
from torchebm.core import BaseModel
from torchebm.datasets import EightGaussiansDataset
from torchebm.losses import ContrastiveDivergence
from torchebm.samplers import LangevinDynamics


class EnergyModel(BaseModel):
    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return self.network(x).squeeze(-1)


def torchebm_run(steps):
    torch.manual_seed(0)
    network = nn.Sequential(nn.Linear(2, 128), nn.SiLU(), nn.Linear(128, 128), nn.SiLU(), nn.Linear(128, 1))
    model = EnergyModel(network)
    sampler = LangevinDynamics(model, step_size=0.01, noise_scale=1.0)
    loss_fn = ContrastiveDivergence(model, sampler, k_steps=10, energy_reg_weight=0.001)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = EightGaussiansDataset(n_samples=20000, seed=1).get_data()

    def step(i):
        offset = (i * 256) % (20000 - 256)
        optimizer.zero_grad()
        loss, _ = loss_fn(data[offset:offset + 256])
        loss.backward()
        optimizer.step()
        return loss.item()

    step(0)  # warm-up, as the C program
    quarter = steps // 4
    losses = []
    start = time.perf_counter()
    for i in range(steps):
        losses.append(step(i))
    elapsed = time.perf_counter() - start
    return elapsed / steps * 1e6, sum(losses[:quarter]) / quarter, sum(losses[-quarter:]) / quarter


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    program = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    # Alternate the two sides and take medians: a shared, noisy machine drifts between runs.
    theirs, ours = [], []
    for _ in range(rounds):
        theirs.append(torchebm_run(steps))
        run = subprocess.run([program, str(steps)], check=True, capture_output=True, text=True)
        ours.append([float(v) for v in run.stdout.split()])
    print(f"torch {torch.__version__}, torchebm {torchebm.__version__}, {torch.get_num_threads()} threads, "
          f"{steps} steps, median of {rounds} alternating rounds")
    print(f"{'':<12} {'us/step':>10} {'loss, first quarter':>20} {'loss, last quarter':>19}")
    for name, runs in (("TorchEBM", theirs), ("libtorchebm", ours)):
        print(f"{name:<12} {median([r[0] for r in runs]):>10.0f} {runs[0][1]:>20.5f} {runs[0][2]:>19.5f}")
    ratios = [t[0] / o[0] for t, o in zip(theirs, ours)]
    ratio = median(ratios)
    print("per-round ratios: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"libtorchebm is {ratio:.2f}x faster per CD-10 step (target >= 2x: {'met' if ratio >= 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
