"""Models, losses, optimizers and datasets of libtorchebm, through its C ABI, against
PyTorch and TorchEBM 0.8.9 on the same weights and batches.

Usage: python parity_training.py path/to/libtorchebm.so

- An MLP seeded with s has exactly the weights of nn.Sequential(Linear, SiLU, ...) built
  after torch.manual_seed(s); its energies and gradients match that network's.
- The CD loss and its parameter gradients match TorchEBM's ContrastiveDivergence.compute_loss
  on the same data and negatives; exact score matching matches TorchEBM's ScoreMatching
  (hessian_method="exact").
- One SGD and one Adam step match torch.optim on the same gradients.
- Every toy dataset equals TorchEBM's for the same seed.
- A TorchScript module saved from PyTorch loads as an energy with the same values.
"""

import ctypes
import math
import os
import sys
import tempfile

import torch
import torchebm
from torch import nn
from torchebm.core import BaseModel
from torchebm.datasets import (
    CheckerboardDataset,
    CircleDataset,
    EightGaussiansDataset,
    GaussianMixtureDataset,
    GridDataset,
    PinwheelDataset,
    SwissRollDataset,
    TwoMoonsDataset,
)
from torchebm.losses import ContrastiveDivergence, ScoreMatching

assert torchebm.__version__ == "0.8.9", torchebm.__version__

lib = ctypes.CDLL(sys.argv[1])
c_float_p = ctypes.POINTER(ctypes.c_float)
c_double_p = ctypes.POINTER(ctypes.c_double)
handle_p = ctypes.POINTER(ctypes.c_void_p)
lib.ebm_last_error_message.restype = ctypes.c_char_p


class MlpParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("input_dim", ctypes.c_int64),
                ("hidden", ctypes.POINTER(ctypes.c_int64)), ("n_hidden", ctypes.c_int64),
                ("activation", ctypes.c_int32), ("spectral_norm", ctypes.c_int32), ("dtype", ctypes.c_int32),
                ("device", ctypes.c_int32), ("seed", ctypes.c_uint64)]


class Schedule(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int32), ("end_value", ctypes.c_double), ("decay_rate", ctypes.c_double),
                ("min_value", ctypes.c_double), ("n_steps", ctypes.c_int64)]


class LangevinParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("step_size", ctypes.c_double), ("noise_scale", ctypes.c_double),
                ("step_size_schedule", Schedule), ("noise_scale_schedule", Schedule), ("clamp", ctypes.c_int32),
                ("clamp_min", ctypes.c_double), ("clamp_max", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("device", ctypes.c_int32), ("rng", ctypes.c_int32), ("first_chain", ctypes.c_uint64)]


class CdParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("k", ctypes.c_int64), ("start", ctypes.c_int32),
                ("buffer_size", ctypes.c_int64), ("reinit_fraction", ctypes.c_double),
                ("energy_reg_weight", ctypes.c_double), ("n_negatives", ctypes.c_int64), ("seed", ctypes.c_uint64)]


class ScoreMatchingParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("method", ctypes.c_int32), ("n_projections", ctypes.c_int64),
                ("projection", ctypes.c_int32), ("noise_scale", ctypes.c_double), ("seed", ctypes.c_uint64)]


class SgdParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("learning_rate", ctypes.c_double), ("momentum", ctypes.c_double),
                ("dampening", ctypes.c_double), ("nesterov", ctypes.c_int32), ("weight_decay", ctypes.c_double),
                ("max_grad_norm", ctypes.c_double)]


class AdamParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("learning_rate", ctypes.c_double), ("beta1", ctypes.c_double),
                ("beta2", ctypes.c_double), ("eps", ctypes.c_double), ("weight_decay", ctypes.c_double),
                ("decoupled_weight_decay", ctypes.c_int32), ("max_grad_norm", ctypes.c_double)]


class DatasetParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("kind", ctypes.c_int32), ("seed", ctypes.c_uint64),
                ("std", ctypes.c_double), ("scale", ctypes.c_double), ("radius", ctypes.c_double),
                ("noise", ctypes.c_double), ("arclength", ctypes.c_double), ("range_limit", ctypes.c_double),
                ("n_components", ctypes.c_int64), ("n_classes", ctypes.c_int64), ("radial_scale", ctypes.c_double),
                ("angular_scale", ctypes.c_double), ("spiral_scale", ctypes.c_double), ("points_per_dim", ctypes.c_int64)]


for name, struct in [("ebm_mlp_default_params", MlpParams), ("ebm_langevin_default_params", LangevinParams),
                     ("ebm_cd_default_params", CdParams), ("ebm_score_matching_default_params", ScoreMatchingParams),
                     ("ebm_sgd_default_params", SgdParams), ("ebm_adam_default_params", AdamParams),
                     ("ebm_dataset_default_params", DatasetParams)]:
    getattr(lib, name).restype = struct
lib.ebm_dataset_default_params.argtypes = [ctypes.c_int32]
for name in ("ebm_energy_free", "ebm_sampler_free", "ebm_cd_loss_free", "ebm_score_matching_free", "ebm_optimizer_free"):
    getattr(lib, name).argtypes = [ctypes.c_void_p]

failures = []


def check(status):
    if status != 0:
        raise RuntimeError(lib.ebm_last_error_message().decode())


def report(label, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {label:<58} {detail}")
    if not ok:
        failures.append(label)


def ptr(tensor):
    return ctypes.cast(tensor.data_ptr(), c_float_p if tensor.dtype == torch.float32 else c_double_p)


def new_mlp(hidden, seed, dtype=0):
    params = lib.ebm_mlp_default_params()
    assert params.struct_size == ctypes.sizeof(MlpParams), "ctypes layout differs from torchebm.h"
    widths = (ctypes.c_int64 * len(hidden))(*hidden)
    params.input_dim, params.hidden, params.n_hidden, params.seed, params.dtype = 2, widths, len(hidden), seed, dtype
    model = ctypes.c_void_p()
    check(lib.ebm_model_mlp_new(ctypes.byref(params), ctypes.byref(model)))
    return model


def flat(model, getter="ebm_model_get_parameters_f32"):
    count = ctypes.c_int64()
    check(lib.ebm_model_parameter_count(model, ctypes.byref(count)))
    out = torch.empty(count.value, dtype=torch.float32)
    check(getattr(lib, getter)(model, ptr(out), count.value))
    return out


def torch_mlp(hidden, seed):
    torch.manual_seed(seed)
    widths = [2] + hidden
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.SiLU()]
    layers.append(nn.Linear(widths[-1], 1))
    return nn.Sequential(*layers)


class Wrapped(BaseModel):
    """A TorchEBM model around a network: E(x) = net(x).squeeze(-1), the specification's EnergyModel."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x).squeeze(-1)


def torch_flat(net):
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def torch_flat_grad(net):
    """Gradients, zero for parameters the loss does not depend on (as libtorchebm reports them)."""
    return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in net.parameters()])


# --- MLP initialisation, energies, gradients ---
hidden = [128, 128]
ours = new_mlp(hidden, seed=3)
theirs = torch_mlp(hidden, seed=3)
difference = (flat(ours) - torch_flat(theirs)).abs().max().item()
report("MLP(seed 3) weights == nn.Sequential after manual_seed(3)", difference == 0.0, f"max |diff| {difference:.1e}")

x = torch.randn(300, 2, generator=torch.Generator().manual_seed(5))
energies, gradients = torch.empty(300), torch.empty(300, 2)
check(lib.ebm_energy_eval_and_gradient_f32(ours, ptr(x), 300, 2, ptr(energies), ptr(gradients)))
xr = x.clone().requires_grad_(True)
e_ref = theirs(xr).squeeze(-1)
(g_ref,) = torch.autograd.grad(e_ref.sum(), xr)
diff_e = (energies - e_ref.detach()).abs().max().item()
diff_g = (gradients - g_ref).abs().max().item()
report("MLP energies and gradients == PyTorch", diff_e < 1e-5 and diff_g < 1e-5, f"{diff_e:.1e}, {diff_g:.1e}")

# --- CD loss and its gradients against TorchEBM's ContrastiveDivergence.compute_loss ---
langevin = lib.ebm_langevin_default_params()
langevin.step_size, langevin.noise_scale = 0.05, 0.1
sampler = ctypes.c_void_p()
check(lib.ebm_langevin_new(ours, ctypes.byref(langevin), ctypes.byref(sampler)))
cd_params = lib.ebm_cd_default_params()
cd_params.k = 10
cd = ctypes.c_void_p()
check(lib.ebm_cd_loss_new(ours, sampler, ctypes.byref(cd_params), ctypes.byref(cd)))
data = x[:128].contiguous()
loss_value = ctypes.c_double()
check(lib.ebm_model_zero_grad(ours))
check(lib.ebm_cd_loss_compute_f32(cd, ptr(data), 128, 2, ctypes.byref(loss_value)))
negatives = torch.empty(128, 2)
check(lib.ebm_cd_loss_get_negatives_f32(cd, ptr(negatives), 128, 2))
reference_loss = ContrastiveDivergence(Wrapped(theirs), sampler=None, energy_reg_weight=0.001)
theirs.zero_grad()
value = reference_loss.compute_loss(data, negatives)
value.backward()
report("CD loss == TorchEBM compute_loss (same negatives)", abs(loss_value.value - value.item()) < 1e-5,
       f"{loss_value.value:.6f} vs {value.item():.6f}")
grad_diff = (flat(ours, "ebm_model_get_gradients_f32") - torch_flat_grad(theirs)).abs().max().item()
report("CD parameter gradients == TorchEBM's", grad_diff < 1e-5, f"max |diff| {grad_diff:.1e}")

# --- exact score matching against TorchEBM's ScoreMatching(hessian_method="exact") ---
small_ours, small_theirs = new_mlp([16, 16], seed=8), torch_mlp([16, 16], seed=8)
sm_params = lib.ebm_score_matching_default_params()
sm = ctypes.c_void_p()
check(lib.ebm_score_matching_new(small_ours, ctypes.byref(sm_params), ctypes.byref(sm)))
check(lib.ebm_score_matching_compute_f32(sm, ptr(data), 128, 2, ctypes.byref(loss_value)))
sm_ref = ScoreMatching(Wrapped(small_theirs), hessian_method="exact")(data)
report("exact score matching == TorchEBM ScoreMatching('exact')", abs(loss_value.value - sm_ref.item()) < 1e-4 * max(1, abs(sm_ref.item())),
       f"{loss_value.value:.6f} vs {sm_ref.item():.6f}")
# The gradients against the same objective written with plain autograd.
small_theirs.zero_grad()
xr = data.clone().requires_grad_(True)
(g,) = torch.autograd.grad(small_theirs(xr).squeeze(-1).sum(), xr, create_graph=True)
trace = sum(torch.autograd.grad(g[:, j].sum(), xr, create_graph=True)[0][:, j] for j in range(2))
(0.5 * g.square().sum(1) - trace).mean().backward()
grad_diff = (flat(small_ours, "ebm_model_get_gradients_f32") - torch_flat_grad(small_theirs)).abs().max().item()
report("score-matching gradients == autograd of the same objective", grad_diff < 1e-4, f"max |diff| {grad_diff:.1e}")

# --- one optimizer step against torch.optim on the same gradients ---
for rule in ("sgd", "adam"):
    model, net = new_mlp([8], seed=1), torch_mlp([8], seed=1)
    grads = torch.linspace(-1, 1, flat(model).numel())
    check(lib.ebm_model_set_gradients_f32(model, ptr(grads), grads.numel()))
    offset = 0
    for p in net.parameters():
        p.grad = grads[offset:offset + p.numel()].reshape(p.shape).clone()
        offset += p.numel()
    optimizer = ctypes.c_void_p()
    if rule == "sgd":
        params = lib.ebm_sgd_default_params()
        params.learning_rate, params.momentum, params.weight_decay = 0.1, 0.9, 0.01
        check(lib.ebm_optimizer_sgd_new(model, ctypes.byref(params), ctypes.byref(optimizer)))
        reference = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    else:
        params = lib.ebm_adam_default_params()
        params.learning_rate, params.weight_decay = 0.01, 0.01
        check(lib.ebm_optimizer_adam_new(model, ctypes.byref(params), ctypes.byref(optimizer)))
        reference = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=0.01)
    check(lib.ebm_optimizer_step(optimizer))
    reference.step()
    step_diff = (flat(model) - torch_flat(net)).abs().max().item()
    report(f"{rule} step == torch.optim", step_diff < 1e-7, f"max |diff| {step_diff:.1e}")
    lib.ebm_optimizer_free(optimizer)
    lib.ebm_energy_free(model)

# --- datasets against TorchEBM's generators ---
datasets = [
    (0, lambda s: GaussianMixtureDataset(n_samples=500, seed=s), 500),
    (1, lambda s: EightGaussiansDataset(n_samples=500, seed=s), 500),
    (2, lambda s: TwoMoonsDataset(n_samples=500, seed=s), 500),
    (3, lambda s: SwissRollDataset(n_samples=500, seed=s), 500),
    (4, lambda s: CircleDataset(n_samples=500, seed=s), 500),
    (5, lambda s: CheckerboardDataset(n_samples=500, seed=s), 500),
    (6, lambda s: PinwheelDataset(n_samples=500, seed=s), 500),
    (7, lambda s: GridDataset(n_samples_per_dim=10, seed=s), 100),
]
names = ["gaussian_mixture", "eight_gaussians", "two_moons", "swiss_roll", "circle", "checkerboard", "pinwheel", "grid"]
for (kind, make, n), name in zip(datasets, names):
    params = lib.ebm_dataset_default_params(kind)
    params.seed = 42
    out = torch.empty(n, 2)
    check(lib.ebm_dataset_generate_f32(ctypes.byref(params), n, ptr(out)))
    reference = make(42).get_data()
    diff = (out - reference).abs().max().item()
    report(f"dataset {name} == TorchEBM's (seed 42)", diff <= 1e-6, f"max |diff| {diff:.1e}")

# --- a TorchScript module written by PyTorch ---
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "energy.pt")
    torch.jit.save(torch.jit.script(Wrapped(theirs)), path)
    scripted = ctypes.c_void_p()
    check(lib.ebm_model_torchscript_load(path.encode(), ctypes.c_int64(2), ctypes.c_int32(-1), ctypes.byref(scripted)))
    values = torch.empty(300)
    check(lib.ebm_energy_eval_f32(scripted, ptr(x), 300, 2, ptr(values)))
    diff = (values - theirs(x).squeeze(-1).detach()).abs().max().item()
    report("TorchScript energy == the module in PyTorch", diff < 1e-6, f"max |diff| {diff:.1e}")
    lib.ebm_energy_free(scripted)

for handle, free in ((cd, "ebm_cd_loss_free"), (sm, "ebm_score_matching_free"), (sampler, "ebm_sampler_free"),
                     (ours, "ebm_energy_free"), (small_ours, "ebm_energy_free")):
    getattr(lib, free)(handle)
if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("training parity with PyTorch and TorchEBM 0.8.9: all match")
