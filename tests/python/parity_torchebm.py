"""Energies and gradients of libtorchebm, called through its C ABI, against TorchEBM 0.8.9.

Usage: python parity_torchebm.py path/to/libtorchebm.so

For every energy TorchEBM 0.8.9 has, the library's values and gradients must match TorchEBM's
forward() and its autograd gradient() in float64 (relative 1e-10) and float32 (relative
2e-5 of the values' scale), on points that include far-from-minimum ones. Energies that
TorchEBM 0.8.9 lacks or defines differently are checked against torch directly: the
specification's double well and composite, and the Gaussian mixture against
torch.distributions.
"""

import ctypes
import math
import sys

import torch
import torchebm
from torch import distributions as D
from torchebm.core import (
    AckleyModel,
    BoothModel,
    DoubleWellModel,
    GaussianModel,
    HarmonicModel,
    HimmelblauModel,
    RastriginModel,
    RosenbrockModel,
    StyblinskiTangModel,
)

assert torchebm.__version__ == "0.8.9", torchebm.__version__

lib = ctypes.CDLL(sys.argv[1])
c_double_p = ctypes.POINTER(ctypes.c_double)
c_float_p = ctypes.POINTER(ctypes.c_float)
energy_p = ctypes.c_void_p
lib.ebm_last_error_message.restype = ctypes.c_char_p
for name, args in {
    "ebm_energy_gaussian_new": [c_double_p, c_double_p, ctypes.c_int64],
    "ebm_energy_double_well_new": [ctypes.c_double, ctypes.c_double],
    "ebm_energy_harmonic_new": [ctypes.c_double],
    "ebm_energy_rosenbrock_new": [ctypes.c_double, ctypes.c_double],
    "ebm_energy_ackley_new": [ctypes.c_double, ctypes.c_double, ctypes.c_double],
    "ebm_energy_rastrigin_new": [ctypes.c_double],
    "ebm_energy_himmelblau_new": [],
    "ebm_energy_booth_new": [],
    "ebm_energy_styblinski_tang_new": [],
    "ebm_energy_gaussian_mixture_new": [c_double_p, c_double_p, c_double_p, ctypes.c_int64, ctypes.c_int64],
    "ebm_energy_composite_new": [ctypes.POINTER(energy_p), ctypes.c_int64, c_double_p, ctypes.c_int64],
}.items():
    getattr(lib, name).argtypes = args + [ctypes.POINTER(energy_p)]
    getattr(lib, name).restype = ctypes.c_int
for suffix, ptr in (("f64", c_double_p), ("f32", c_float_p)):
    fn = getattr(lib, f"ebm_energy_eval_and_gradient_{suffix}")
    fn.argtypes = [energy_p, ptr, ctypes.c_int64, ctypes.c_int64, ptr, ptr]
    fn.restype = ctypes.c_int
lib.ebm_energy_free.argtypes = [energy_p]

failures = []


def ptr(t):
    return ctypes.cast(t.data_ptr(), c_double_p if t.dtype == torch.float64 else c_float_p)


def new(name, *args):
    handle = energy_p()
    converted = [ptr(a) if isinstance(a, torch.Tensor) else a for a in args]
    status = getattr(lib, name)(*converted, ctypes.byref(handle))
    assert status == 0, lib.ebm_last_error_message().decode()
    return handle


def library_eval(handle, x):
    """Energies and gradients from the C ABI, for a contiguous (n, dim) float tensor."""
    n, dim = x.shape
    energy = torch.empty(n, dtype=x.dtype)
    gradient = torch.empty(n, dim, dtype=x.dtype)
    fn = lib.ebm_energy_eval_and_gradient_f64 if x.dtype == torch.float64 else lib.ebm_energy_eval_and_gradient_f32
    status = fn(handle, ptr(x), n, dim, ptr(energy), ptr(gradient))
    assert status == 0, lib.ebm_last_error_message().decode()
    return energy, gradient


def autograd_eval(forward, x):
    x = x.detach().clone().requires_grad_(True)
    energy = forward(x)
    (gradient,) = torch.autograd.grad(energy.sum(), x)
    return energy.detach(), gradient


def compare(label, handle, reference, dim, dtype):
    for n in (80, 10000):  # the host kernel, then libtorch (over 16384 elements)
        compare_batch(label, handle, reference, n, dim, dtype)


def compare_batch(label, handle, reference, n, dim, dtype):
    generator = torch.Generator().manual_seed(1234 + n)
    near = torch.randn(n - n // 5, dim, generator=generator, dtype=torch.float64)
    far = 4 * torch.randn(n // 5, dim, generator=generator, dtype=torch.float64)
    x = torch.cat([near, far]).to(dtype).contiguous()
    got_e, got_g = library_eval(handle, x)
    want_e, want_g = reference(x)
    if dtype == torch.float64:
        tol_e = 1e-10 * want_e.abs().clamp(min=1)
        tol_g = 1e-10 * want_g.abs().clamp(min=1)
    else:
        tol_e = torch.full_like(want_e, 2e-5) * want_e.abs().max().clamp(min=1)
        tol_g = torch.full_like(want_g, 2e-5) * want_g.abs().max().clamp(min=1)
    bad_e = ((got_e - want_e).abs() > tol_e).sum().item()
    bad_g = ((got_g - want_g).abs() > tol_g).sum().item()
    worst = max(
        ((got_e - want_e).abs() / want_e.abs().clamp(min=1)).max().item(),
        ((got_g - want_g).abs() / want_g.abs().clamp(min=1)).max().item(),
    )
    verdict = "ok  " if bad_e == 0 and bad_g == 0 else "FAIL"
    kind = str(dtype).replace("torch.", "")
    print(f"{verdict} {label:<46} {kind:<8} n={n:<6} max rel. difference {worst:.1e}")
    if verdict == "FAIL":
        failures.append(f"{label} {kind} n={n}: {bad_e} energies and {bad_g} gradient entries differ")


def torchebm_reference(model):
    def reference(x):
        model_typed = model(x.dtype)
        return model_typed(x).detach(), model_typed.gradient(x)

    return reference


mean = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
cov = torch.tensor([[1.0, 0.5, 0.1], [0.5, 2.0, -0.3], [0.1, -0.3, 0.8]], dtype=torch.float64)

cases = [
    ("GaussianModel(mean, cov)", lambda: new("ebm_energy_gaussian_new", mean, cov.contiguous(), 3),
     lambda dt: GaussianModel(mean.to(dt), cov.to(dt), dtype=dt), 3),
    ("DoubleWellModel() as double_well(a=2, b=1)", lambda: new("ebm_energy_double_well_new", 2.0, 1.0),
     lambda dt: DoubleWellModel(dtype=dt), 2),
    ("DoubleWellModel(h=0.7, b=1.3) as (0.7, 1.69)", lambda: new("ebm_energy_double_well_new", 0.7, 1.3**2),
     lambda dt: DoubleWellModel(barrier_height=0.7, b=1.3, dtype=dt), 4),
    ("HarmonicModel()", lambda: new("ebm_energy_harmonic_new", 1.0), lambda dt: HarmonicModel(dtype=dt), 3),
    ("HarmonicModel(k=2.5)", lambda: new("ebm_energy_harmonic_new", 2.5), lambda dt: HarmonicModel(k=2.5, dtype=dt), 2),
    ("RosenbrockModel()", lambda: new("ebm_energy_rosenbrock_new", 1.0, 100.0),
     lambda dt: RosenbrockModel(dtype=dt), 2),
    ("RosenbrockModel(a=0.5, b=10) in 5-D", lambda: new("ebm_energy_rosenbrock_new", 0.5, 10.0),
     lambda dt: RosenbrockModel(a=0.5, b=10.0, dtype=dt), 5),
    ("AckleyModel()", lambda: new("ebm_energy_ackley_new", 20.0, 0.2, 2 * math.pi),
     lambda dt: AckleyModel(dtype=dt), 3),
    ("RastriginModel()", lambda: new("ebm_energy_rastrigin_new", 10.0), lambda dt: RastriginModel(dtype=dt), 2),
    ("HimmelblauModel()", lambda: new("ebm_energy_himmelblau_new"), lambda dt: HimmelblauModel(dtype=dt), 2),
    ("BoothModel()", lambda: new("ebm_energy_booth_new"), lambda dt: BoothModel(dtype=dt), 2),
    ("StyblinskiTangModel()", lambda: new("ebm_energy_styblinski_tang_new"),
     lambda dt: StyblinskiTangModel(dtype=dt), 4),
]

for label, make_handle, make_model, dim in cases:
    handle = make_handle()
    for dtype in (torch.float64, torch.float32):
        compare(label, handle, torchebm_reference(make_model), dim, dtype)
    lib.ebm_energy_free(handle)

# The specification's DoubleWellEnergy(a=1, b=2): a * sum((x^2 - b)^2), absent from 0.8.9.
spec_dw = new("ebm_energy_double_well_new", 1.0, 2.0)
for dtype in (torch.float64, torch.float32):
    compare("spec DoubleWellEnergy() vs its formula", spec_dw,
            lambda x: autograd_eval(lambda y: ((y**2 - 2.0) ** 2).sum(dim=1), x), 3, dtype)

# The specification's CompositeEnergy: sum of w_i * E_i, here over TorchEBM models.
himmelblau, booth = new("ebm_energy_himmelblau_new"), new("ebm_energy_booth_new")
parts = (energy_p * 3)(spec_dw, himmelblau, booth)
weights = torch.tensor([0.5, 2.0, -1.0], dtype=torch.float64)
composite = new("ebm_energy_composite_new", parts, 3, weights, 3)
for dtype in (torch.float64, torch.float32):
    models = [HimmelblauModel(dtype=dtype), BoothModel(dtype=dtype)]
    compare("spec CompositeEnergy(dw, Himmelblau, Booth)", composite,
            lambda x: autograd_eval(
                lambda y: 0.5 * ((y**2 - 2.0) ** 2).sum(dim=1) + 2.0 * models[0](y) - 1.0 * models[1](y), x),
            2, dtype)

# The Gaussian mixture is exactly -log p of torch.distributions' mixture.
mix_w = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64)
mix_means = torch.tensor([[-1.0, 0.0], [1.5, 1.0], [0.0, -2.0]], dtype=torch.float64)
mix_covs = torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.1], [0.1, 0.3]], [[2.0, -0.5], [-0.5, 1.0]]],
                        dtype=torch.float64)
mixture = new("ebm_energy_gaussian_mixture_new", mix_w, mix_means, mix_covs.contiguous(), 3, 2)
for dtype in (torch.float64, torch.float32):
    distribution = D.MixtureSameFamily(D.Categorical(mix_w.to(dtype)),
                                       D.MultivariateNormal(mix_means.to(dtype), mix_covs.to(dtype)))
    compare("Gaussian mixture vs torch.distributions", mixture,
            lambda x: autograd_eval(lambda y: -distribution.log_prob(y), x), 2, dtype)

for handle in (spec_dw, himmelblau, booth, composite, mixture):
    lib.ebm_energy_free(handle)

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("parity with TorchEBM 0.8.9: all energies match")
