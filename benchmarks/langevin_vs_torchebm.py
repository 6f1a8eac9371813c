"""Unadjusted Langevin, libtorchebm (through its C API) against TorchEBM 0.8.9, same run.

Usage: python langevin_vs_torchebm.py path/to/langevin_bench [repetitions]

For each (energy, chains x dim x steps) it times TorchEBM's LangevinDynamics.sample (float32,
step_size 0.01, noise_scale 1; the median of the repetitions, after a warm-up) and runs the C
benchmark program (benchmarks/langevin.c) for libtorchebm, then prints microseconds per step
and the ratio TorchEBM / libtorchebm.
"""

import subprocess
import sys
import time

import torch
import torchebm
from torchebm.core import DoubleWellModel, GaussianModel
from torchebm.samplers import LangevinDynamics

CONFIGS = [(1, 2, 1000), (100, 2, 1000), (10000, 2, 100), (1000, 64, 100)]
TARGETS = {(1, 2): 100.0, (10000, 2): 4.0, (1000, 64): 4.0}


def torchebm_us_per_step(energy, n, dim, steps, repetitions):
    model = DoubleWellModel() if energy == "double_well" else GaussianModel(torch.zeros(dim), torch.eye(dim))
    sampler = LangevinDynamics(model, step_size=0.01, noise_scale=1.0)
    sampler.sample(dim=dim, n_samples=n, n_steps=steps)  # warm-up
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        sampler.sample(dim=dim, n_samples=n, n_steps=steps)
        times.append((time.perf_counter() - start) / steps * 1e6)
    return sorted(times)[len(times) // 2]


def main():
    program = sys.argv[1]
    repetitions = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    torch.manual_seed(0)
    reference = {}
    for energy in ("double_well", "gaussian"):
        for n, dim, steps in CONFIGS:
            reference[(energy, n, dim, steps)] = torchebm_us_per_step(energy, n, dim, steps, repetitions)
    ours = {}
    output = subprocess.run([program, str(repetitions)], check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        energy, n, dim, steps, us = line.split()
        ours[(energy, int(n), int(dim), int(steps))] = float(us)

    print(f"torch {torch.__version__}, torchebm {torchebm.__version__}, {torch.get_num_threads()} threads")
    print(f"{'energy':<12} {'chains x dim x steps':>22} {'TorchEBM us/step':>17} {'libtorchebm us/step':>20} {'ratio':>8}  target")
    missed = []
    for key, theirs in reference.items():
        energy, n, dim, steps = key
        mine = ours[key]
        ratio = theirs / mine
        target = TARGETS.get((n, dim))
        verdict = "" if target is None else (f">= {target:g}x " + ("met" if ratio >= target else "MISSED"))
        if target is not None and ratio < target:
            missed.append(key)
        print(f"{energy:<12} {f'{n} x {dim} x {steps}':>22} {theirs:>17.2f} {mine:>20.3f} {ratio:>7.1f}x  {verdict}")
    if missed:
        print(f"{len(missed)} target(s) missed")


if __name__ == "__main__":
    main()
