"""Seeded unadjusted Langevin through the C ABI reproduces TorchEBM 0.8.9's LangevinDynamics.

Usage: python parity_langevin.py path/to/libtorchebm.so

With EBM_RNG_TORCH and seed s, libtorchebm draws exactly what PyTorch draws after
torch.manual_seed(s): the initial N(0, I) points and every step's noise. TorchEBM's
LangevinDynamics (float32) and libtorchebm's float32 sampler must then produce the same
chains up to float32 rounding (the two compute the update in a different order, and
TorchEBM's gradient comes from autograd), checked to 1e-4 after 50 steps. TorchEBM's
noise_scale s corresponds to noise_scale s^2 here (the specification's convention).
"""

import ctypes
import sys

import torch
import torchebm
from torchebm.core import DoubleWellModel, GaussianModel
from torchebm.samplers import LangevinDynamics

assert torchebm.__version__ == "0.8.9", torchebm.__version__

lib = ctypes.CDLL(sys.argv[1])
c_double_p = ctypes.POINTER(ctypes.c_double)
c_float_p = ctypes.POINTER(ctypes.c_float)


class Schedule(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int32), ("end_value", ctypes.c_double), ("decay_rate", ctypes.c_double),
                ("min_value", ctypes.c_double), ("n_steps", ctypes.c_int64)]


class LangevinParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("step_size", ctypes.c_double), ("noise_scale", ctypes.c_double),
                ("step_size_schedule", Schedule), ("noise_scale_schedule", Schedule), ("clamp", ctypes.c_int32),
                ("clamp_min", ctypes.c_double), ("clamp_max", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("device", ctypes.c_int32), ("rng", ctypes.c_int32), ("first_chain", ctypes.c_uint64)]


EBM_RNG_TORCH = 1
lib.ebm_last_error_message.restype = ctypes.c_char_p
lib.ebm_langevin_default_params.restype = LangevinParams
lib.ebm_energy_double_well_new.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.POINTER(ctypes.c_void_p)]
lib.ebm_energy_gaussian_new.argtypes = [c_double_p, c_double_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p)]
lib.ebm_langevin_new.argtypes = [ctypes.c_void_p, ctypes.POINTER(LangevinParams), ctypes.POINTER(ctypes.c_void_p)]
lib.ebm_sampler_sample_f32.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, c_float_p]
for name in ("ebm_sampler_free", "ebm_energy_free"):
    getattr(lib, name).argtypes = [ctypes.c_void_p]


def check(status):
    assert status == 0, lib.ebm_last_error_message().decode()


def library_chains(energy, n, dim, steps, step_size, noise_scale, seed):
    params = lib.ebm_langevin_default_params()
    assert params.struct_size == ctypes.sizeof(LangevinParams), "ctypes layout differs from torchebm.h"
    params.step_size, params.noise_scale, params.seed, params.rng = step_size, noise_scale, seed, EBM_RNG_TORCH
    sampler = ctypes.c_void_p()
    check(lib.ebm_langevin_new(energy, ctypes.byref(params), ctypes.byref(sampler)))
    out = torch.empty(n, dim, dtype=torch.float32)
    check(lib.ebm_sampler_sample_f32(sampler, n, dim, steps, ctypes.cast(out.data_ptr(), c_float_p)))
    lib.ebm_sampler_free(sampler)
    return out


def torchebm_chains(model, n, dim, steps, step_size, noise_scale, seed):
    torch.manual_seed(seed)
    sampler = LangevinDynamics(model, step_size=step_size, noise_scale=noise_scale)
    return sampler.sample(dim=dim, n_samples=n, n_steps=steps)


mean = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
cov = torch.tensor([[1.0, 0.5, 0.1], [0.5, 2.0, -0.3], [0.1, -0.3, 0.8]], dtype=torch.float64)
double_well = ctypes.c_void_p()
check(lib.ebm_energy_double_well_new(2.0, 1.0, ctypes.byref(double_well)))  # DoubleWellModel()
gaussian = ctypes.c_void_p()
check(lib.ebm_energy_gaussian_new(ctypes.cast(mean.data_ptr(), c_double_p),
                                  ctypes.cast(cov.contiguous().data_ptr(), c_double_p), 3, ctypes.byref(gaussian)))

failures = []
cases = [
    ("DoubleWellModel()", double_well, DoubleWellModel(), 2, 0.01, 1.0),
    ("DoubleWellModel(), 4-D, noise_scale 0.5", double_well, DoubleWellModel(), 4, 0.005, 0.5),
    ("GaussianModel(mean, cov)", gaussian, GaussianModel(mean.float(), cov.float()), 3, 0.05, 1.0),
]
for label, energy, model, dim, step_size, noise_scale in cases:
    for n, seed in ((1, 0), (64, 42), (1000, 7)):
        theirs = torchebm_chains(model, n, dim, 50, step_size, noise_scale, seed)
        ours = library_chains(energy, n, dim, 50, step_size, noise_scale**2, seed)
        difference = (ours - theirs).abs().max().item()
        spread = theirs.abs().max().item()
        verdict = "ok  " if difference < 1e-4 * max(1.0, spread) else "FAIL"
        print(f"{verdict} {label:<42} n={n:<5} seed={seed:<3} max |difference| {difference:.1e}")
        if verdict == "FAIL":
            failures.append(f"{label} n={n} seed={seed}: {difference}")

lib.ebm_energy_free(double_well)
lib.ebm_energy_free(gaussian)
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("seeded Langevin matches TorchEBM 0.8.9")
